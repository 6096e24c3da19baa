/**
 * The converter's `FileIo` (src/convert/file-io.ts) on the Origin Private File System, for the
 * conversion worker: positional writes through `FileSystemSyncAccessHandle`s
 * (https://fs.spec.whatwg.org/#api-filesystemsyncaccesshandle), which only a dedicated worker may
 * open. Opening a handle is asynchronous and the writer's `open` is not, so every file the
 * conversion may write (its `WritePlan`) is created and opened first by `OpfsIo.create`; `open`
 * hands out those handles, and files the conversion never opened are removed by `finish`.
 *
 * A handle stays open from `create` until its file is renamed or the io finishes: OPFS keeps an
 * exclusive lock on a file while a sync handle is open, so nothing else can touch a half-written
 * model. Writing past the end fills the gap with zeros (the spec's `write` step), as Node's
 * positional writes do.
 *
 * Deliberately does not: decide where the model folder lives (model-store.ts) or list models.
 */
import type { FileIo } from '../convert/file-io.ts';

/** The slice of FileSystemSyncAccessHandle used (the WebWorker lib is not in the app's tsconfig). */
export interface SyncHandle {
  read(buffer: Uint8Array, options?: { at?: number }): number;
  write(buffer: Uint8Array, options?: { at?: number }): number;
  truncate(size: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}

type SyncFileHandle = FileSystemFileHandle & {
  createSyncAccessHandle(): Promise<SyncHandle>;
  move(newName: string): Promise<void>;
};

interface OpenFile {
  dir: FileSystemDirectoryHandle;
  name: string;
  file: SyncFileHandle;
  handle: SyncHandle | null;
  opened: boolean;
}

/**
 * The folder that holds `parts.at(-1)`, made as needed below `dirs.get('')`. `dirs` caches one
 * handle per folder path (so two files of one folder share it); `onMade` hears of each folder this
 * call creates, parent first.
 *
 * @example
 * const dirs = new Map([['', root]]);
 * await parentFolder(dirs, ['onnx', 'model_q4.onnx']); // root/onnx, made if missing
 */
export async function parentFolder(
  dirs: Map<string, FileSystemDirectoryHandle>,
  parts: string[],
  onMade?: (parent: FileSystemDirectoryHandle, name: string) => void,
): Promise<FileSystemDirectoryHandle> {
  let dir = dirs.get('')!;
  for (let i = 0; i < parts.length - 1; i++) {
    const path = parts.slice(0, i + 1).join('/');
    let next = dirs.get(path);
    if (!next) {
      next = await dir.getDirectoryHandle(parts[i], { create: true });
      onMade?.(dir, parts[i]);
      dirs.set(path, next);
    }
    dir = next;
  }
  return dir;
}

/** 'onnx/model_q4.onnx' from './onnx/model_q4.onnx' or '/onnx//model_q4.onnx'. */
function normalise(path: string): string {
  return path
    .split('/')
    .filter((p) => p !== '' && p !== '.')
    .join('/');
}

export class OpfsIo implements FileIo {
  private readonly files = new Map<string, OpenFile>();
  private readonly fds = new Map<number, OpenFile>();
  private nextFd = 1;

  private constructor(private readonly keep: boolean) {}

  /**
   * Creates (empty) and opens every file in `paths` (relative to `root`, folders made as needed).
   * With `keep` (resuming an interrupted conversion) existing files keep their bytes, and opening
   * one for writing does not empty it: the conversion rewrites what it does not skip.
   *
   * @example
   * const io = await OpfsIo.create(folder, ['prm.json', 'onnx/model_q4.onnx', 'onnx/model_q4.onnx_data']);
   * const fd = io.open('onnx/model_q4.onnx_data', 'w'); io.writeAt(fd, bytes, 0); io.close(fd);
   * await io.finish(); // closes the handles, removes the files never opened
   */
  static async create(
    root: FileSystemDirectoryHandle,
    paths: string[],
    options: { keep?: boolean } = {},
  ): Promise<OpfsIo> {
    const io = new OpfsIo(options.keep ?? false);
    // One handle per folder, so `rename` can tell two files share one.
    const dirs = new Map<string, FileSystemDirectoryHandle>([['', root]]);
    try {
      for (const p of paths) {
        const parts = normalise(p).split('/');
        const dir = await parentFolder(dirs, parts);
        const name = parts.at(-1)!;
        const file = (await dir.getFileHandle(name, { create: true })) as SyncFileHandle;
        const handle = await file.createSyncAccessHandle();
        if (!io.keep) handle.truncate(0);
        io.files.set(parts.join('/'), { dir, name, file, handle, opened: false });
      }
    } catch (e) {
      io.closeAll();
      throw e;
    }
    return io;
  }

  private entry(path: string): OpenFile {
    const f = this.files.get(normalise(path));
    if (!f?.handle) throw new Error(`OPFS: ${normalise(path)} was not prepared for writing`);
    return f;
  }

  private fd(fd: number): SyncHandle {
    const f = this.fds.get(fd);
    if (!f?.handle) throw new Error(`OPFS: file handle ${fd} is not open`);
    return f.handle;
  }

  open(path: string, mode: 'w' | 'r+'): number {
    const f = this.entry(path);
    if (mode === 'w' && !this.keep) f.handle!.truncate(0);
    f.opened = true;
    const fd = this.nextFd++;
    this.fds.set(fd, f);
    return fd;
  }

  writeAt(fd: number, bytes: Uint8Array, position: number): void {
    const h = this.fd(fd);
    let done = 0;
    while (done < bytes.length) {
      const n = h.write(bytes.subarray(done), { at: position + done });
      if (n <= 0) throw new Error('OPFS: a write stored nothing (is the disk full?)');
      done += n;
    }
  }

  readAt(path: string, position: number, into: Uint8Array): void {
    const h = this.entry(path).handle!;
    let done = 0;
    while (done < into.length) {
      const n = h.read(into.subarray(done), { at: position + done });
      if (n <= 0) throw new Error(`OPFS: ${normalise(path)} ended before offset ${position + into.length}`);
      done += n;
    }
  }

  size(fd: number): number {
    return this.fd(fd).getSize();
  }

  close(fd: number): void {
    this.fd(fd).flush();
    this.fds.delete(fd);
  }

  async rename(from: string, to: string): Promise<void> {
    const src = this.entry(from);
    const dest = this.files.get(normalise(to));
    if (!dest || dest.dir !== src.dir) throw new Error(`OPFS: cannot rename ${from} to ${to}`);
    for (const f of [src, dest]) {
      f.handle?.close();
      f.handle = null;
    }
    // move() does not replace an existing entry everywhere: remove the prepared one first.
    await dest.dir.removeEntry(dest.name);
    await src.file.move(dest.name);
    this.files.delete(normalise(from));
    dest.file = src.file;
    dest.opened = true;
  }

  /** Closes every handle and removes the prepared files the conversion never opened. */
  async finish(): Promise<void> {
    this.closeAll();
    for (const [path, f] of this.files) {
      if (!f.opened) {
        await f.dir.removeEntry(f.name);
        this.files.delete(path);
      }
    }
  }

  /** Closes every handle (after a failure; the caller removes the folder). */
  closeAll(): void {
    for (const f of this.files.values()) {
      try {
        f.handle?.close();
      } catch {
        // Already closed by the browser (the worker is going away); nothing else to release.
      }
      f.handle = null;
    }
    this.fds.clear();
  }
}
