/**
 * What `prm convert` may replace or clean up: an output folder counts as ours only when every
 * entry in it is a file the converter writes (config.json, tokenizer files, prm.json, onnx/model*
 * files) and its prm.json says it was converted by prm convert; a temporary `<out>.tmp-PID-*` /
 * `<out>.old-PID-*` sibling counts as stale only when its process is gone and its contents are
 * ours. Anything else is the user's and is never deleted.
 *
 * Deliberately does not: decide where the output goes (convert.ts) or compare it with the inputs
 * (src/node/paths.ts).
 */
import { lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ProtectedInput } from '../node/paths.ts';
import { CONVERTED_MARK } from './convert-core.ts';

const TOP_LEVEL = new Set(['config.json', 'tokenizer.json', 'tokenizer_config.json', 'prm.json', 'onnx']);
/** model.onnx, model_q4f16.onnx, model_q4.onnx_data, model.onnx_data_3 (external-data.ts naming). */
const ONNX_FILE = /^model(_[a-z0-9]+)?\.onnx(_data(_\d+)?)?$/;
/** The checkpoint folder and every entry in it (weights may be symlinks into a Hub cache). */
export function checkpointInputs(src: string): ProtectedInput[] {
  const inputs: ProtectedInput[] = [{ what: 'the checkpoint folder', path: src }];
  try {
    for (const f of readdirSync(src)) inputs.push({ what: 'the checkpoint file', path: join(src, f) });
  } catch {
    // An unreadable checkpoint is reported by Checkpoint.open with its own message.
  }
  return inputs;
}

/** Entries of `dir` that prm convert does not write (lstat: a symlinked onnx/ is not ours). */
export function foreignEntries(dir: string): string[] {
  const foreign: string[] = [];
  for (const name of readdirSync(dir)) {
    const st = lstatSync(join(dir, name));
    if (name === 'onnx' && st.isDirectory()) {
      for (const f of readdirSync(join(dir, name))) {
        if (!ONNX_FILE.test(f) || !lstatSync(join(dir, name, f)).isFile()) foreign.push(`onnx/${f}`);
      }
    } else if (!TOP_LEVEL.has(name) || name === 'onnx' || !st.isFile()) {
      foreign.push(name);
    }
  }
  return foreign;
}

function writtenByConvert(prmJson: string): boolean {
  try {
    const spec = JSON.parse(readFileSync(prmJson, 'utf8')) as { format?: unknown; description?: unknown };
    return (
      spec.format === 'prm-playground/1' &&
      typeof spec.description === 'string' &&
      spec.description.includes(CONVERTED_MARK)
    );
  } catch {
    return false;
  }
}

/**
 * Why `--force` must not replace the existing `out`, or undefined when it may: it is an empty
 * folder, or a model folder prm convert wrote and nothing else.
 *
 * @example
 * existingOutProblem('models/empty'); // undefined
 * existingOutProblem('~/thesis'); // '--force only replaces an empty folder or ... holds thesis.tex'
 */
export function existingOutProblem(out: string): string | undefined {
  if (!statSync(out).isDirectory()) {
    return `--out ${out} is a file, not a folder; --force only replaces a model folder. Choose another --out.`;
  }
  const entries = readdirSync(out);
  if (entries.length === 0) return undefined;
  const foreign = foreignEntries(out);
  if (foreign.length > 0) {
    const list = foreign.slice(0, 5).join(', ') + (foreign.length > 5 ? `, ... (${foreign.length})` : '');
    return (
      `--force only replaces an empty folder or a model folder prm convert wrote, and ${out} holds ${list}. ` +
      'Move those out of it, or choose another --out.'
    );
  }
  if (!entries.includes('prm.json') || !writtenByConvert(join(out, 'prm.json'))) {
    return (
      `--force only replaces a model folder prm convert wrote, and ${out}/prm.json was not written by prm convert ` +
      `(its description lacks "${CONVERTED_MARK}"). Choose another --out, or empty the folder yourself.`
    );
  }
  return undefined;
}

function stamp(): string {
  return `${process.pid}-${Date.now().toString(36)}`;
}

/** `<out>.tmp-<pid>-<time>`: where a conversion builds its folder before renaming it into place. */
export function tmpFolderName(out: string): string {
  return `${out}.tmp-${stamp()}`;
}

/** `<out>.old-<pid>-<time>`: the replaced folder, between the two renames and its removal. */
export function oldFolderName(out: string): string {
  return `${out}.old-${stamp()}`;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Removes `<out>.tmp-PID-*` and `<out>.old-PID-*` siblings whose process is gone and whose contents
 * are ours (a temporary folder may lack prm.json: it is written last); returns the removed paths.
 *
 * @example
 * await removeStaleTemporaries('models/qwen'); // ['models/qwen.tmp-4242-m1abc']
 */
export async function removeStaleTemporaries(out: string): Promise<string[]> {
  const parent = dirname(out);
  const base = basename(out);
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(`${base}.`)) continue;
    const m = /^\.(tmp|old)-(\d+)-[0-9a-z]+$/.exec(name.slice(base.length));
    if (!m) continue;
    const pid = Number(m[2]);
    const full = join(parent, name);
    if (pid === process.pid || processAlive(pid)) continue;
    if (!lstatSync(full).isDirectory() || foreignEntries(full).length > 0) continue;
    if (m[1] === 'old' && !writtenByConvert(join(full, 'prm.json'))) continue;
    await rm(full, { recursive: true, force: true });
    removed.push(full);
  }
  return removed;
}
