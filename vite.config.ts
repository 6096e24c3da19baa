/**
 * Vite config for the playground.
 * - Serves `models/` at `/models/` in dev and copies it into the build, with a manifest of the
 *   bundled model folders (`/models/manifest.json`).
 * - Self-hosts onnxruntime-web's wasm/mjs pair under `/ort/` (never a CDN).
 * - Sends COOP/COEP so multi-threaded WASM works (`crossOriginIsolated`).
 */
import { defineConfig, defaultClientConditions, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import {
  createReadStream,
  existsSync,
  readdirSync,
  statSync,
  mkdirSync,
  copyFileSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve, extname, relative } from 'node:path';

const root = import.meta.dirname;
const modelsDir = resolve(root, 'models');
const ortDist = resolve(root, 'node_modules/onnxruntime-web/dist');
/**
 * The wasm builds the engine loads (src/engine/ort-web.ts): `onnxruntime-web/jspi` where the
 * browser has JSPI, else `onnxruntime-web/webgpu` (asyncify; see shared/reference/browser-runtime.md).
 * Each browser fetches one pair.
 */
export const ORT_FILES = [
  'ort-wasm-simd-threaded.jspi.mjs',
  'ort-wasm-simd-threaded.jspi.wasm',
  'ort-wasm-simd-threaded.asyncify.mjs',
  'ort-wasm-simd-threaded.asyncify.wasm',
];

export const SECURITY_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const MIME: Record<string, string> = {
  '.json': 'application/json',
  '.onnx': 'application/octet-stream',
  '.data': 'application/octet-stream',
  '.wasm': 'application/wasm',
  '.mjs': 'text/javascript',
  '.md': 'text/markdown; charset=utf-8',
};

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out;
}

/** The bundled model folders: every subfolder of models/ that has a prm.json. */
export function modelManifest() {
  if (!existsSync(modelsDir)) return { models: [] };
  const models = readdirSync(modelsDir)
    .filter((name) => existsSync(join(modelsDir, name, 'prm.json')))
    .map((name) => {
      const files = listFiles(join(modelsDir, name)).map((p) => ({
        path: relative(join(modelsDir, name), p).split('\\').join('/'),
        size: statSync(p).size,
      }));
      return { id: name, files };
    });
  return { models };
}

function staticDirs(): Plugin {
  const mounts: [string, string, (p: string) => boolean][] = [
    ['/models/', modelsDir, () => true],
    ['/ort/', ortDist, (p) => ORT_FILES.includes(p)],
  ];
  return {
    name: 'prm-static-dirs',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = decodeURIComponent((req.url ?? '').split('?')[0]);
        if (url === '/models/manifest.json') {
          res.setHeader('Content-Type', 'application/json');
          res.end(JSON.stringify(modelManifest()));
          return;
        }
        for (const [prefix, dir, allowed] of mounts) {
          if (!url.startsWith(prefix)) continue;
          const rel = url.slice(prefix.length);
          const file = resolve(dir, rel);
          if (!file.startsWith(dir) || !allowed(rel) || !existsSync(file) || !statSync(file).isFile()) break;
          res.setHeader('Content-Type', MIME[extname(file)] ?? 'application/octet-stream');
          res.setHeader('Content-Length', String(statSync(file).size));
          createReadStream(file).pipe(res);
          return;
        }
        next();
      });
    },
    writeBundle(options) {
      const out = options.dir ?? resolve(root, 'dist');
      mkdirSync(join(out, 'ort'), { recursive: true });
      for (const f of ORT_FILES) copyFileSync(join(ortDist, f), join(out, 'ort', f));
      if (existsSync(modelsDir)) {
        for (const file of listFiles(modelsDir)) {
          const dest = join(out, 'models', relative(modelsDir, file));
          mkdirSync(resolve(dest, '..'), { recursive: true });
          copyFileSync(file, dest);
        }
      }
      mkdirSync(join(out, 'models'), { recursive: true });
      writeFileSync(join(out, 'models', 'manifest.json'), JSON.stringify(modelManifest()));
    },
  };
}

export default defineConfig({
  plugins: [svelte(), staticDirs()],
  server: { headers: SECURITY_HEADERS, host: '127.0.0.1' },
  preview: { headers: SECURITY_HEADERS, host: '127.0.0.1' },
  // Use onnxruntime's build that loads its wasm from /ort/ instead of bundling a second 26.8 MB copy.
  resolve: { conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions] },
  worker: { format: 'es' },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  build: { target: 'es2022', sourcemap: true },
});
