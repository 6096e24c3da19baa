/**
 * The one place the CLI decides whether a path it is about to write may touch files the user
 * owns: paths are compared after resolving symlinks (`fs.realpath`), also for an output that does
 * not exist yet (through its nearest existing ancestor), so `--out ../` or a symlinked folder
 * cannot reach an input. It throws an Error naming both paths and what to do; callers
 * decide which inputs to protect. Besides creating an output's missing parent folders
 * (`makeParentFolder`) it does not create, replace or delete anything.
 */
import fs from 'node:fs';
import path from 'node:path';

/**
 * The real path of `p`: symlinks resolved, and for a path that does not exist yet, the real path
 * of its nearest existing ancestor with the missing tail appended.
 *
 * @example
 * realPathNearest('/tmp/link-to-ckpt/new/out'); // '/data/ckpt/new/out'
 */
export function realPathNearest(p: string): string {
  let head = path.resolve(p);
  const tail: string[] = [];
  for (;;) {
    try {
      return path.join(fs.realpathSync(head), ...tail.reverse());
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const parent = path.dirname(head);
      // ENOTDIR: a component is a file; the caller's own write reports that with its own message.
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === head) return path.join(head, ...tail);
      tail.push(path.basename(head));
      head = parent;
    }
  }
}

/** True when `inner` is `outer` or lies inside it (both already resolved). */
export function isSameOrInside(inner: string, outer: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

export interface ProtectedInput {
  /** What the path is, for the message: e.g. 'the checkpoint folder', '--data file'. */
  what: string;
  path: string;
}

/**
 * Throws unless `out` (named `flag` in messages) is neither one of `inputs` nor a folder holding
 * one, after resolving symlinks on both sides.
 *
 * @example
 * checkOutputPath('--out', '..', [{ what: 'the checkpoint folder', path: 'ckpt' }]);
 * // Error: --out /data contains the checkpoint folder /data/ckpt; ...
 */
export function checkOutputPath(flag: string, out: string, inputs: ProtectedInput[]): void {
  const outReal = realPathNearest(out);
  for (const input of inputs) {
    const inReal = realPathNearest(input.path);
    if (!isSameOrInside(inReal, outReal)) continue;
    const shown = inReal === path.resolve(input.path) ? inReal : `${path.resolve(input.path)} (${inReal})`;
    const how = outReal === path.resolve(out) ? '' : ` (${path.resolve(out)} resolves to ${outReal})`;
    throw new Error(
      inReal === outReal
        ? `${flag} ${path.resolve(out)} is ${input.what} ${shown}${how}; writing there would destroy it. Choose an ${flag} outside it.`
        : `${flag} ${path.resolve(out)} contains ${input.what} ${shown}${how}; replacing it would delete that. Choose an ${flag} that holds none of the inputs.`,
    );
  }
}

/**
 * Creates the missing folders above `out` (named `flag` in messages); a path component that is a
 * file gets a message naming it instead of a raw EEXIST / ENOTDIR.
 *
 * @example
 * makeParentFolder('--out', 'notes.txt/preds.jsonl'); // Error: cannot create /abs/notes.txt for --out: /abs/notes.txt is a file. ...
 */
export function makeParentFolder(flag: string, out: string): void {
  const parent = path.dirname(path.resolve(out));
  try {
    fs.mkdirSync(parent, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    let blocker = parent;
    while (!fs.existsSync(blocker) && path.dirname(blocker) !== blocker) blocker = path.dirname(blocker);
    throw new Error(
      code === 'EEXIST' || code === 'ENOTDIR'
        ? `cannot create ${parent} for ${flag}: ${blocker} is a file. Choose an ${flag} whose folders are folders.`
        : `cannot create ${parent} for ${flag} (${code}); check the path and its permissions.`,
      { cause: e },
    );
  }
}

/**
 * Throws unless `out` (named `flag` in messages) may be written as a single file: a folder is
 * refused, and an existing non-empty file is refused unless `force` is set and `isOurs(text)`
 * says its contents are this command's own output, so a file the user owns is never replaced.
 *
 * @example
 * checkFileOutput('--out', 'notes.txt', { force: true, isOurs: isSynthOutput });
 * // Error: --out /abs/notes.txt holds something prm did not write; ...
 */
export function checkFileOutput(
  flag: string,
  out: string,
  opts: { force: boolean; isOurs: (text: string) => boolean },
): void {
  const abs = path.resolve(out);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(abs);
  } catch {
    return;
  }
  if (stat.isDirectory())
    throw new Error(
      `${flag} ${abs} is a folder; give a file name (for example ${path.join(abs, 'out.json')}).`,
    );
  if (stat.size === 0) return;
  if (!opts.force)
    throw new Error(
      `${flag} ${abs} already exists; choose a new file name, or pass --force to replace a file this command wrote.`,
    );
  if (!opts.isOurs(fs.readFileSync(abs, 'utf8')))
    throw new Error(
      `${flag} ${abs} holds something prm did not write; it is left as it is. Choose another file name.`,
    );
}
