/**
 * Where the converter writes: a few synchronous, positional file operations on numeric handles,
 * so the same writer code (external-data.ts, weight-jobs.ts, model.ts) runs on Node's fs in the
 * CLI (src/node/file-io.ts) and on Origin Private File System sync access handles in a page's
 * worker (src/engine/opfs-io.ts). Handles are numbers so weight jobs can name their target file
 * across worker threads. Paths are '/'-separated.
 *
 * Deliberately does not: create folders, list or delete files (the caller owns the output folder).
 */

export interface FileIo {
  /** Opens `path` for writing: 'w' creates or empties it, 'r+' keeps its bytes. */
  open(path: string, mode: 'w' | 'r+'): number;
  /** Writes all of `bytes` at `position`; a gap before it reads as zeros. */
  writeAt(fd: number, bytes: Uint8Array, position: number): void;
  /** Reads exactly `into.length` bytes of `path` from `position` (for file-slice parts). */
  readAt(path: string, position: number, into: Uint8Array): void;
  size(fd: number): number;
  close(fd: number): void;
  /** Renames a closed file. */
  rename(from: string, to: string): Promise<void>;
}

/** `dir/file` with '/' separators (Node accepts them on every platform). */
export function joinPath(dir: string, file: string): string {
  return dir.endsWith('/') ? `${dir}${file}` : `${dir}/${file}`;
}

/** Writes `bytes` as the whole of `path`. */
export function writeWholeFile(io: FileIo, path: string, bytes: Uint8Array): void {
  const fd = io.open(path, 'w');
  try {
    io.writeAt(fd, bytes, 0);
  } finally {
    io.close(fd);
  }
}
