/**
 * The Node side of src/convert/byte-source.ts: a checkpoint folder and its files read with
 * positional reads (node:fs), so the converter's readers stay free of fs.
 */
import { open as fsOpen, readFile, readdir } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import { freshBuffer, type ByteSource, type CheckpointFiles } from '../convert/byte-source.ts';
import { Checkpoint, CheckpointError } from '../convert/safetensors.ts';

/**
 * Opens one local file for range reads.
 *
 * @example
 * const src = await openLocalFile('ckpt/model.safetensors');
 * const head = await src.read(0, 8); // the header length
 * await src.close();
 */
export async function openLocalFile(path: string): Promise<ByteSource> {
  const fh = await fsOpen(path, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new CheckpointError(`${path}: cannot open (${err.code ?? err.message})`);
  });
  const size = (await fh.stat()).size;
  return {
    name: path,
    size,
    close: () => fh.close(),
    async read(offset, length, into) {
      const out = freshBuffer(length, into);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await fh.read(out, done, Math.min(length - done, 1 << 30), offset + done);
        if (bytesRead === 0) {
          throw new CheckpointError(
            `${path}: unexpected end of file at byte ${offset + done} of ${size} (file changed?)`,
          );
        }
        done += bytesRead;
      }
      return out;
    },
  };
}

/**
 * A checkpoint folder as `CheckpointFiles` (its top-level files; a missing folder fails on `list`).
 *
 * @example
 * const files = localCheckpointFiles('~/hf/Qwen2.5-Math-PRM-7B');
 * await files.list(); // ['config.json', 'model-00001-of-00004.safetensors', ...]
 */
export function localCheckpointFiles(dir: string): CheckpointFiles {
  const abs = resolve(dir);
  const inside = (file: string) => {
    const p = resolve(abs, file);
    if (!p.startsWith(abs + sep)) throw new CheckpointError(`${file}: not inside ${abs}`);
    return p;
  };
  return {
    label: abs,
    name: basename(abs),
    remote: false,
    async list() {
      try {
        const entries = await readdir(abs, { withFileTypes: true });
        return entries
          .filter((e) => !e.isDirectory())
          .map((e) => e.name)
          .sort();
      } catch (err) {
        throw new CheckpointError(
          `${abs}: cannot read the checkpoint folder (${(err as NodeJS.ErrnoException).code})`,
        );
      }
    },
    path: (file) => join(abs, file),
    async readText(file) {
      try {
        return await readFile(inside(file), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    },
    open: (file) => openLocalFile(inside(file)),
  };
}

/**
 * Opens a local checkpoint folder (see `Checkpoint.open`).
 *
 * @example
 * const ckpt = await openLocalCheckpoint('~/hf/Qwen2.5-Math-PRM-7B');
 */
export function openLocalCheckpoint(dir: string): Promise<Checkpoint> {
  return Checkpoint.open(localCheckpointFiles(dir));
}

/**
 * Runs `use` on a local file opened for range reads, then closes it.
 *
 * @example
 * const header = await withLocalFile('ckpt/model.safetensors', readSafetensorsHeader);
 */
export async function withLocalFile<T>(path: string, use: (src: ByteSource) => Promise<T>): Promise<T> {
  const src = await openLocalFile(path);
  try {
    return await use(src);
  } finally {
    await src.close();
  }
}
