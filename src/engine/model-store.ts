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
 * `saveStoredModel` copies a finished model into a folder the user picked (File System Access
 * API), so it can be carried to another machine and opened there as "A folder on this device".
 *
 * Deliberately does not: convert (convert-worker.ts) or load models (the engine does).
 */
import type { Dtype } from '../core/types.ts';
import { bestEffort } from '../core/best-effort.ts';
import { formatBytes } from '../core/format.ts';
import type { StoredModel } from './protocol.ts';
import { parentFolder } from './opfs-io.ts';

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

/**
 * The subfolder name a saved model gets: its prm.json name with the characters file systems
 * refuse replaced.
 *
 * @example
 * saveFolderName({ name: 'Qwen2.5-Math-PRM-7B', key: '...' }) // 'Qwen2.5-Math-PRM-7B'
 */
export function saveFolderName(model: Pick<StoredModel, 'name' | 'key'>): string {
  const name = [...model.name]
    .map((c) => (c < ' ' || '\\/:*?"<>|'.includes(c) ? '-' : c))
    .join('')
    .replace(/^[\s.]+|[\s.]+$/g, '');
  return name || model.key;
}

type WritableFileHandle = FileSystemFileHandle & {
  createWritable(): Promise<WritableStream<Uint8Array> & { abort(reason?: unknown): Promise<void> }>;
};

async function isEmpty(dir: FileSystemDirectoryHandle): Promise<boolean> {
  for await (const _ of (dir as IterableDir).entries()) return false;
  return true;
}

/**
 * Copies stored model `model` into `<target>/<saveFolderName(model)>/`, file by file as streams
 * (no whole file in memory). Refuses, writing nothing, when that subfolder exists and is not
 * empty. Only files it created are ever written; if the copy fails they are removed again (with
 * the subfolder, when it made it and nothing else is in it), and nothing else is touched.
 * Resolves with the subfolder's name.
 *
 * @example
 * const dir = await showDirectoryPicker({ mode: 'readwrite' });
 * await saveStoredModel(model, dir, (done, total) => console.log(done, total)); // 'tiny-raw'
 */
export async function saveStoredModel(
  model: StoredModel,
  target: FileSystemDirectoryHandle,
  onProgress?: (bytesDone: number, bytesTotal: number) => void,
): Promise<string> {
  const name = saveFolderName(model);
  let existing: FileSystemDirectoryHandle | null = null;
  try {
    existing = await target.getDirectoryHandle(name);
  } catch (e) {
    if (!(e instanceof DOMException && e.name === 'NotFoundError')) throw e;
  }
  if (existing && !(await isEmpty(existing))) {
    throw new Error(
      `"${target.name}/${name}" already exists and is not empty, so nothing was saved (files there are never replaced). Choose another folder, or move or rename that "${name}" folder first.`,
    );
  }
  const source = await (await storeRoot()).getDirectoryHandle(model.key);
  if (!(await readRecord(source)))
    throw new Error(`The conversion of ${model.repo} did not finish; convert it again.`);
  const files: { path: string; file: File }[] = [];
  for await (const f of walk(await source.getDirectoryHandle(MODEL_DIR))) {
    files.push({ path: f.path, file: await f.handle.getFile() });
  }
  const total = files.reduce((a, f) => a + f.file.size, 0);
  const out = existing ?? (await target.getDirectoryHandle(name, { create: true }));
  // What this call created, deepest last, so a failure removes exactly that.
  const made: { dir: FileSystemDirectoryHandle; name: string }[] = existing ? [] : [{ dir: target, name }];
  const dirs = new Map<string, FileSystemDirectoryHandle>([['', out]]);
  let done = 0;
  try {
    for (const { path, file } of files) {
      const parts = path.split('/');
      const dir = await parentFolder(dirs, parts, (parent, folder) =>
        made.push({ dir: parent, name: folder }),
      );
      const handle = (await dir.getFileHandle(parts.at(-1)!, { create: true })) as WritableFileHandle;
      made.push({ dir, name: parts.at(-1)! });
      const writable = await handle.createWritable();
      const base = done;
      await file
        .stream()
        .pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              done += chunk.byteLength;
              onProgress?.(done, total);
              controller.enqueue(chunk);
            },
          }),
        )
        .pipeTo(writable);
      done = base + file.size;
    }
  } catch (e) {
    // Files first, then the folders this call made; a folder someone else put files in stays.
    for (const m of made.reverse()) {
      await bestEffort(
        m.dir.removeEntry(m.name),
        'a folder that is not empty is not ours to remove, and the error below is what to report',
      );
    }
    throw new Error(
      `Saving ${model.repo} to "${target.name}/${name}" failed after ${formatBytes(done)} of ${formatBytes(total)}: ${e instanceof Error ? e.message : String(e)}. What it had written was removed; free some space or choose another folder, and save again.`,
      { cause: e },
    );
  }
  return name;
}
