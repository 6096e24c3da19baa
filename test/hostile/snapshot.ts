/**
 * Test helper for the hostile-input suite: every file, folder and symlink under a folder with a
 * SHA-256 of each file's bytes, so a test can assert that a refused command lost or wrote nothing.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * `{ relative path: 'dir' | 'link -> target' | sha256 }` of everything under `root` (symlinks
 * are not followed).
 *
 * @example
 * const before = snapshot(dir); runRefusedCommand(); expect(snapshot(dir)).toEqual(before);
 */
export function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      const rel = path.relative(root, full);
      if (e.isSymbolicLink()) out[rel] = `link -> ${fs.readlinkSync(full)}`;
      else if (e.isDirectory()) {
        out[rel] = 'dir';
        walk(full);
      } else out[rel] = createHash('sha256').update(fs.readFileSync(full)).digest('hex');
    }
  };
  walk(root);
  return out;
}
