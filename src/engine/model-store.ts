/**
 * Models converted in the page, kept in the Origin Private File System: each under
 * `prm-converted/<key>/`, with the model folder (`prm convert`'s output) in `model/` and its record
 * (`StoredModel`) in `stored.json`, written only after the conversion finished. A folder without
 * the record is a conversion that did not finish: it is never offered as a model, and the next
 * conversion of the same checkpoint (or `removePartial`) removes it.
 *
 * Loading a stored model reads its files as `File`s (`getFile()`), which the 'local' model source
 * takes as they are: the weights reach onnxruntime-web as Blob external data, never copied whole
 * into this page's memory.
 *
 * Deliberately does not: convert (convert-worker.ts) or load models (the engine does).
 */
import type { Dtype } from '../core/types.ts';
import type { StoredModel } from './protocol.ts';

const STORE_DIR = 'prm-converted';
export const MODEL_DIR = 'model';
export const RECORD_FILE = 'stored.json';

/** The folder name of one conversion: repo, commit and dtypes (all OPFS-safe characters). */
export function storeKey(repo: string, commit: string, dtypes: Dtype[]): string {
  return `${repo.replace('/', '--')}--${commit.slice(0, 12)}--${dtypes.join('+')}`;
}

/**
 * The commit (12 digits) in `key` when it is a folder of `repo` converted to `dtypes`, else null.
 *
 * @example
 * commitOfKey('Qwen--Qwen2.5-Math-PRM-7B--0610740060cd--q4', 'Qwen/Qwen2.5-Math-PRM-7B', ['q4']) // '0610740060cd'
 */
export function commitOfKey(key: string, repo: string, dtypes: Dtype[]): string | null {
  const [before, after] = storeKey(repo, 'COMMIT', dtypes).split('COMMIT');
  if (!key.startsWith(before) || !key.endsWith(after)) return null;
  const commit = key.slice(before.length, key.length - after.length);
  return /^[0-9a-f]{12}$/.test(commit) ? commit : null;
}

/** `prm-converted/` at the root of this origin's private file system. */
export async function storeRoot(): Promise<FileSystemDirectoryHandle> {
  if (!navigator.storage?.getDirectory) {
    throw new Error(
      'This browser has no Origin Private File System (navigator.storage.getDirectory), where converted models are kept. Use a current Chromium, Firefox or Safari, or convert with `prm convert`.',
    );
  }
  const root = await navigator.storage.getDirectory();
  return root.getDirectoryHandle(STORE_DIR, { create: true });
}

type IterableDir = FileSystemDirectoryHandle & {
  entries(): AsyncIterable<[string, FileSystemDirectoryHandle | FileSystemFileHandle]>;
};

async function* walk(
  dir: FileSystemDirectoryHandle,
  prefix = '',
): AsyncGenerator<{ path: string; handle: FileSystemFileHandle }> {
  for await (const [name, h] of (dir as IterableDir).entries()) {
    if (h.kind === 'directory') yield* walk(h as FileSystemDirectoryHandle, `${prefix}${name}/`);
    else yield { path: `${prefix}${name}`, handle: h as FileSystemFileHandle };
  }
}

/** Bytes of every file under `dir`. */
export async function folderBytes(dir: FileSystemDirectoryHandle): Promise<number> {
  let bytes = 0;
  for await (const f of walk(dir)) bytes += (await f.handle.getFile()).size;
  return bytes;
}

/** The record of a finished conversion in `dir`, or null. */
export async function readRecord(dir: FileSystemDirectoryHandle): Promise<StoredModel | null> {
  try {
    const file = await (await dir.getFileHandle(RECORD_FILE)).getFile();
    return JSON.parse(await file.text()) as StoredModel;
  } catch {
    // No record (or an unreadable one): a conversion that did not finish, never a model.
    return null;
  }
}

/**
 * The finished conversions, newest first, and the keys of unfinished ones.
 *
 * @example
 * const { models } = await listStoredModels(); // [{ key, repo, commit, dtypes, bytes, date, ... }]
 */
export async function listStoredModels(): Promise<{ models: StoredModel[]; partial: string[] }> {
  const root = await storeRoot();
  const models: StoredModel[] = [];
  const partial: string[] = [];
  for await (const [name, h] of (root as IterableDir).entries()) {
    if (h.kind !== 'directory') continue;
    const record = await readRecord(h as FileSystemDirectoryHandle);
    if (record) models.push(record);
    else partial.push(name);
  }
  models.sort((a, b) => b.date.localeCompare(a.date));
  return { models, partial };
}

/** Removes one stored model (or an unfinished conversion) and everything in its folder. */
export async function deleteStoredModel(key: string): Promise<void> {
  const root = await storeRoot();
  await root.removeEntry(key, { recursive: true });
}

/**
 * A finished model's files, named `<name>/<path>` for the 'local' model source.
 *
 * @example
 * const { files, paths } = await storedModelFiles(model);
 * engine.choose({ kind: 'local', files, paths });
 */
export async function storedModelFiles(model: StoredModel): Promise<{ files: File[]; paths: string[] }> {
  const dir = await (await storeRoot()).getDirectoryHandle(model.key);
  if (!(await readRecord(dir))) {
    throw new Error(`The conversion of ${model.repo} did not finish; convert it again.`);
  }
  const files: File[] = [];
  const paths: string[] = [];
  for await (const f of walk(await dir.getDirectoryHandle(MODEL_DIR))) {
    files.push(await f.handle.getFile());
    paths.push(`${model.name}/${f.path}`);
  }
  return { files, paths };
}
