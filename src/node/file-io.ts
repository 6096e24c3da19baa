/**
 * The converter's `FileIo` (src/convert/file-io.ts) on Node's fs: positional reads and writes on
 * file descriptors, which any worker thread of the process may use.
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import type { FileIo } from '../convert/file-io.ts';

export const nodeFileIo: FileIo = {
  open: (path, mode) => openSync(path, mode),
  writeAt(fd, bytes, position) {
    // writeSync may write less than asked.
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
  },
  readAt(path, position, into) {
    const fd = openSync(path, 'r');
    try {
      let done = 0;
      while (done < into.length) {
        const n = readSync(fd, into, done, into.length - done, position + done);
        if (n === 0) throw new Error(`${path} ended before offset ${position + into.length}`);
        done += n;
      }
    } finally {
      closeSync(fd);
    }
  },
  size: (fd) => fstatSync(fd).size,
  close: (fd) => closeSync(fd),
  rename: (from, to) => rename(from, to),
};
