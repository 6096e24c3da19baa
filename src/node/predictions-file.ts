/**
 * The `prm eval --out` predictions file on disk: reading it back to resume a run, and appending
 * whole lines so that an interrupted run leaves a file the next run (and `prm eval --preds`) can
 * read. The line format is parsed by the core (`parsePredictions`); this module adds the one
 * on-disk concern the core cannot see: an incomplete last line left by a killed process, which is
 * dropped (and cut from the file) with a note instead of failing the resume.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DataError, parsePredictions, type PredictionRecord } from '../core/processbench.ts';

/** A stored prediction plus the provenance fields `prm eval` writes next to the core ones. */
export interface StoredPrediction extends PredictionRecord {
  /** 1-based line in the file. */
  line: number;
  model?: string;
  dtype?: string;
  truncated?: boolean;
}

export interface ResumeState {
  records: StoredPrediction[];
  /** Things the user should know (e.g. a dropped partial line). */
  notes: string[];
}

/**
 * Reads an existing predictions file for resuming. A missing or empty file gives no records. A
 * last line that is not valid JSON (a write cut short) is removed from the file and noted; a bad
 * line anywhere else is an error naming the line, because it means the file is not ours or was
 * edited.
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
  // After a clean write the text ends in '\n'. A last line that does not parse is what a killed
  // process left mid-write; everything before it must still be valid before we cut it off.
  const text = lastOk ? original : lines.slice(0, lastIdx).join('\n') + (lastIdx > 0 ? '\n' : '');
  let parsed: PredictionRecord[] = [];
  if (text.trim() !== '') {
    try {
      parsed = parsePredictions(text, file);
    } catch (e) {
      throw new DataError(
        `${(e as Error).message}. The --out file cannot be resumed: fix that line, delete the file, or choose another --out.`,
      );
    }
  }
  const notes: string[] = [];
  if (!lastOk) {
    fs.writeFileSync(file, text);
    notes.push(
      `${path.basename(file)}: dropped an incomplete last line (line ${lastIdx + 1}) left by an interrupted run; that item will be scored again.`,
    );
  } else if (!original.endsWith('\n')) {
    fs.appendFileSync(file, '\n');
  }
  // parsePredictions drops fields it does not know; read the provenance fields from the same lines.
  const kept = text
    .split('\n')
    .map((l, i) => ({ l, line: i + 1 }))
    .filter(({ l }) => l.trim() !== '');
  const records = parsed.map((p, i): StoredPrediction => {
    const raw = JSON.parse(kept[i].l) as Record<string, unknown>;
    const rec: StoredPrediction = { ...p, line: kept[i].line };
    if (typeof raw.model === 'string') rec.model = raw.model;
    if (typeof raw.dtype === 'string') rec.dtype = raw.dtype;
    if (raw.truncated === true) rec.truncated = true;
    return rec;
  });
  return { records, notes };
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
 * w.append([{ id: 'gsm8k-0', subset: 'gsm8k', label: 1, prediction: 1, rewards: [0.9, 0.2], model: 'demo', dtype: 'q4' }]);
 * w.close();
 */
export function openPredictionWriter(file: string): PredictionWriter {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
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
