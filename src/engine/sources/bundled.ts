/**
 * Bundled models: the folders of `models/` that the build copies to `<base>models/` and lists in
 * `<base>models/manifest.json` (`{ models: [{ id, files: [{ path, size }] }] }`, written by
 * vite.config.ts). Files are fetched from the same origin; nothing is cached beyond the HTTP cache.
 *
 * It does not read prm.json for the loader (the loader does); `listBundled` reads it only to name
 * the models in a picker.
 */
import { parseModelSpec } from '../../core/spec.ts';
import type { Dtype } from '../../core/types.ts';
import { EngineError } from '../errors.ts';
import { fetchOk, readBody } from './fetch.ts';
import type { ModelFiles, SourceFile } from './types.ts';

interface Manifest {
  models: { id: string; files: SourceFile[] }[];
}

function isManifest(x: unknown): x is Manifest {
  const m = x as Manifest;
  return (
    typeof m === 'object' &&
    m !== null &&
    Array.isArray(m.models) &&
    m.models.every(
      (e) =>
        typeof e?.id === 'string' &&
        Array.isArray(e.files) &&
        e.files.every((f) => typeof f?.path === 'string'),
    )
  );
}

/** Fetches and checks the build's model manifest. */
export async function readManifest(base: string): Promise<Manifest> {
  const file = `${base}manifest.json`;
  const res = await fetchOk(file, 'models/manifest.json');
  let data: unknown;
  try {
    data = await res.json();
  } catch (e) {
    throw new EngineError(
      'bad-model',
      `models/manifest.json is not valid JSON (${(e as Error).message}); rebuild the app.`,
      { file: 'models/manifest.json' },
    );
  }
  if (!isManifest(data)) {
    throw new EngineError(
      'bad-model',
      'models/manifest.json does not have the form {models:[{id, files:[{path,size}]}]}; rebuild the app.',
      {
        file: 'models/manifest.json',
      },
    );
  }
  return data;
}

/**
 * The files of bundled model `id`, served under `base` (e.g. `/models/`).
 *
 * @example
 * const files = await bundledFiles('/models/', 'demo');
 * await files.read('prm.json');
 */
export async function bundledFiles(base: string, id: string): Promise<ModelFiles> {
  const manifest = await readManifest(base);
  const entry = manifest.models.find((m) => m.id === id);
  if (!entry) {
    const ids = manifest.models.map((m) => m.id);
    throw new EngineError(
      'bad-request',
      `There is no bundled model "${id}"; the build has ${ids.length ? ids.map((i) => `"${i}"`).join(', ') : 'none'}.`,
    );
  }
  const sizes = new Map(entry.files.map((f) => [f.path, typeof f.size === 'number' ? f.size : null]));
  const label = `models/${id}/`;
  return {
    label,
    list: async () => entry.files.map((f) => ({ path: f.path, size: sizes.get(f.path) ?? null })),
    async read(path, options = {}) {
      if (!sizes.has(path))
        throw new EngineError('bad-model', `${label}${path} is missing from the bundled model.`, {
          file: `${label}${path}`,
        });
      const res = await fetchOk(
        `${base}${encodeURIComponent(id)}/${path.split('/').map(encodeURIComponent).join('/')}`,
        `${label}${path}`,
        options,
      );
      return readBody(res, `${label}${path}`, sizes.get(path) ?? null, options);
    },
    cachedBytes: async () => 0,
    reserve: async () => undefined,
  };
}

/**
 * The bundled models with their names, sizes and dtypes, for a model picker.
 *
 * @example
 * await listBundled('/models/'); // [{ id: 'demo', name: 'PRM demo (tiny)', bytes: 4_800_000, dtypes: ['fp32', 'q4'] }]
 */
export async function listBundled(
  base: string,
): Promise<{ id: string; name: string; bytes: number; dtypes: Dtype[] }[]> {
  const manifest = await readManifest(base);
  const out: { id: string; name: string; bytes: number; dtypes: Dtype[] }[] = [];
  for (const m of manifest.models) {
    const res = await fetchOk(`${base}${encodeURIComponent(m.id)}/prm.json`, `models/${m.id}/prm.json`);
    const spec = parseModelSpec(await res.text(), `models/${m.id}/prm.json`);
    out.push({
      id: m.id,
      name: spec.name,
      bytes: m.files.reduce((a, f) => a + (f.size ?? 0), 0),
      dtypes: spec.dtypes,
    });
  }
  return out;
}
