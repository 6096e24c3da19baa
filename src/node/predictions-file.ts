/**
 * The `prm eval --out` predictions file on disk: reading it back to resume a run, and appending
 * whole lines so that an interrupted run leaves a file the next run (and `prm eval --preds`) can
 * read. The line format is parsed by the core (`parsePredictions`); this module adds the on-disk
 * concerns the core cannot see: a file that is not ours is refused untouched, and an incomplete
 * last line left by a killed process is dropped (and cut from the file) with a note.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  DataError,
  MixedModelsError,
  parsePredictions,
  type PredictionRecord,
} from '../core/processbench.ts';
import { makeParentFolder } from './paths.ts';

/** A stored prediction with its 1-based line in the file. */
export interface StoredPrediction extends PredictionRecord {
  line: number;
}

export interface ResumeState {
  records: StoredPrediction[];
  /** Things the user should know (e.g. a dropped partial line). */
  notes: string[];
}

/** How every line `openPredictionWriter` writes begins (JSON.stringify of a `PredictionLine`). */
const LINE_START = '{"id":';

function notOurs(file: string, detail: string): DataError {
  return new DataError(
    `--out ${file} is not a predictions file written by prm eval (${detail}); it cannot be resumed. ` +
      'Choose another --out (nothing was written to this one), or delete the file if it is yours to lose.',
  );
}

/**
 * Reads an existing predictions file for resuming. A missing or empty file gives no records.
 * Anything else must be lines prm eval wrote (with their model, dtype and fingerprint fields), or
 * it is refused and left untouched. Only a last line that is the start of such a line, after at
 * least one whole one (what a process killed mid-write leaves), is cut from the file with a note.
 *
 * @example
 * readForResume('preds.jsonl'); // { records: [{ id: 'gsm8k-0', subset: 'gsm8k', ..., line: 1 }], notes: [] }
 */
export function readForResume(file: string): ResumeState {
  if (!fs.existsSync(file)) return { records: [], notes: [] };
  if (fs.statSync(file).isDirectory()) throw new DataError(`--out ${file} is a folder; give a file path.`);
  const original = fs.readFileSync(file, 'utf8');
  if (original.trim() === '') return { records: [], notes: [] };
  if (
    original
      .replace(/^\uFEFF/, '')
      .trimStart()
      .startsWith('[')
  ) {
    throw new DataError(
      `--out ${file} holds a JSON list, not the JSONL that prm eval writes; choose another --out or delete the file.`,
    );
  }
  const lines = original.split('\n');
  let lastIdx = lines.length - 1;
  while (lastIdx >= 0 && lines[lastIdx].trim() === '') lastIdx--;
  let lastOk = true;
  try {
    JSON.parse(lines[lastIdx]);
  } catch {
    lastOk = false;
  }
  // A killed process leaves the start of one of our lines after whole ones; anything else that
  // does not parse is not ours to cut.
  const partial = !lastOk && lastIdx > 0 && lines[lastIdx].startsWith(LINE_START);
  const text = partial ? lines.slice(0, lastIdx).join('\n') + '\n' : original;
  let records: PredictionRecord[];
  try {
    records = parsePredictions(text, file);
  } catch (e) {
    if (e instanceof MixedModelsError) throw e;
    throw notOurs(file, (e as Error).message);
  }
  const kept = text
    .split('\n')
    .map((l, i) => ({ l, line: i + 1 }))
    .filter(({ l }) => l.trim() !== '');
  const stored = records.map((p, i): StoredPrediction => ({ ...p, line: kept[i].line }));
  const foreign = stored.find((r) => r.model === undefined || r.dtype === undefined);
  if (foreign) throw notOurs(file, `line ${foreign.line} has no "model" and "dtype" fields`);
  const notes: string[] = [];
  if (partial) {
    fs.writeFileSync(file, text);
    notes.push(
      `${path.basename(file)}: dropped an incomplete last line (line ${lastIdx + 1}) left by an interrupted run; that item will be scored again.`,
    );
  } else if (!original.endsWith('\n')) {
    fs.appendFileSync(file, '\n');
  }
  return { records: stored, notes };
}

/** One line of `prm eval --out`. */
export interface PredictionLine {
  id: string;
  subset: string;
  label: number;
  prediction: number;
  rewards: number[];
  model: string;
  dtype: string;
  /** `modelFingerprint` of the model folder and dtype that scored the line. */
  fingerprint: string;
  /** Present (true) only when the item was longer than the context and only leading steps were scored. */
  truncated?: true;
}

export interface PredictionWriter {
  /** Appends the lines in one write call, so a Ctrl-C between batches never splits a line. */
  append(lines: PredictionLine[]): void;
  close(): void;
}

/**
 * Opens `file` for appending (creating it and its folder when missing).
 *
 * @example
 * const w = openPredictionWriter('out/preds.jsonl');
 * w.append([{ id: 'gsm8k-0', subset: 'gsm8k', label: 1, prediction: 1, rewards: [0.9, 0.2], model: 'demo', dtype: 'q4', fingerprint: '0123456789abcdef' }]);
 * w.close();
 */
export function openPredictionWriter(file: string): PredictionWriter {
  makeParentFolder('--out', file);
  const fd = fs.openSync(file, 'a');
  let open = true;
  return {
    append(lines) {
      if (!open) throw new Error(`${file} is closed.`);
      if (lines.length === 0) return;
      fs.writeSync(fd, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    },
    close() {
      if (!open) return;
      open = false;
      fs.closeSync(fd);
    },
  };
}
