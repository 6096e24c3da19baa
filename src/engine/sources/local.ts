/**
 * A model folder the user picked (directory picker or `<input webkitdirectory>`): the files stay
 * on the device and are read as Blobs; nothing is uploaded or copied.
 *
 * The picked folder may be the model folder itself or a parent holding exactly one model; the
 * folder with the shallowest `prm.json` is the model root. It does not read a directory handle
 * (the page turns one into `File`s with `filesFromDirectory` in client.ts).
 */
import { EngineError } from '../errors.ts';
import type { ModelFiles } from './types.ts';

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i + 1);
}

/**
 * The model folder among picked files.
 *
 * @example
 * const files = localFiles(input.files ? [...input.files] : []);
 * await files.read('prm.json'); // the File itself
 */
export function localFiles(files: File[], paths?: string[]): ModelFiles {
  if (paths && paths.length !== files.length) {
    throw new EngineError(
      'bad-request',
      `local source: got ${files.length} files but ${paths.length} paths; give one path per file.`,
    );
  }
  const all = files.map((f, i) => ({
    file: f,
    path: (paths?.[i] ?? (f.webkitRelativePath || f.name)).replace(/\\/g, '/').replace(/^\/+/, ''),
  }));
  if (all.length === 0) {
    throw new EngineError(
      'bad-request',
      'The picked folder is empty; pick the folder of a converted model (it holds prm.json).',
    );
  }
  const specs = all.filter((f) => f.path === 'prm.json' || f.path.endsWith('/prm.json'));
  const topFolder = all[0].path.includes('/') ? all[0].path.slice(0, all[0].path.indexOf('/')) : '';
  if (specs.length === 0) {
    throw new EngineError(
      'bad-model',
      `prm.json is missing from the picked folder${topFolder ? ` "${topFolder}"` : ''}: it is not a converted PRM. Pick a folder written by \`prm convert\`.`,
      { file: `${topFolder ? `${topFolder}/` : ''}prm.json` },
    );
  }
  const depth = (p: string) => p.split('/').length;
  const shallowest = Math.min(...specs.map((s) => depth(s.path)));
  const roots = specs.filter((s) => depth(s.path) === shallowest);
  if (roots.length > 1) {
    throw new EngineError(
      'bad-request',
      `The picked folder holds several models (${roots.map((r) => r.path).join(', ')}); pick one model's folder.`,
    );
  }
  const root = dirOf(roots[0].path);
  const byPath = new Map<string, File>();
  for (const f of all) if (f.path.startsWith(root)) byPath.set(f.path.slice(root.length), f.file);
  const label = root ? `${root}` : `${topFolder || 'picked folder'}/`;
  return {
    label,
    list: async () => [...byPath].map(([path, f]) => ({ path, size: f.size })),
    async read(path, options = {}) {
      const f = byPath.get(path);
      if (!f)
        throw new EngineError('bad-model', `${label}${path} is missing from the picked folder.`, {
          file: `${label}${path}`,
        });
      options.onProgress?.(f.size, f.size);
      return f;
    },
    cachedBytes: async () => 0,
    reserve: async () => undefined,
  };
}
