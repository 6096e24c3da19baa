/**
 * Test helpers for conversions carried on into the same folder: the page's OPFS io on Node, and a
 * folder's files for byte comparisons.
 */
import { existsSync, openSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { FileIo } from '../../src/convert/file-io.ts';
import { nodeFileIo } from '../../src/node/file-io.ts';

/** nodeFileIo, but opening a file for writing keeps its bytes (the page's OPFS io on resume). */
export const keepingIo: FileIo = {
  ...nodeFileIo,
  open: (path, mode) =>
    mode === 'w' && existsSync(path) ? openSync(path, 'r+') : nodeFileIo.open(path, mode),
};

/** Every file under `dir`, by path relative to it. */
export async function folderFiles(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile())
      out.set(relative(dir, join(e.parentPath, e.name)), await readFile(join(e.parentPath, e.name)));
  }
  return out;
}
