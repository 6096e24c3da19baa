/**
 * Vite config for the playground.
 * - Serves `models/` at `<base>models/` in dev and copies it into the build, with a manifest of
 *   the bundled model folders (`<base>models/manifest.json`).
 * - Self-hosts onnxruntime-web's wasm/mjs pair under `<base>ort/` (never a CDN).
 * - Sends the response headers of public/_headers (the one source of them, see HOSTING.md): all of
 *   them under `vite preview` / `npm start`, as a static host would; the cross-origin ones (COOP/COEP,
 *   so multi-threaded WASM works) in dev, where the CSP would block Vite's own dev client.
 * - Builds the offline app: a web app manifest and the service worker `src/sw/sw.ts` (vite-plugin-pwa,
 *   injectManifest), which precaches the site and adds COOP/COEP where the host sends none.
 * - `base`: `/` unless `PRM_BASE` (or `vite build --base`) names a sub-path such as `/prm-playground/`.
 */
import { defineConfig, defaultClientConditions, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { VitePWA } from 'vite-plugin-pwa';
import {
  createReadStream,
  existsSync,
  readdirSync,
  readFileSync,
  statSync,
  mkdirSync,
  copyFileSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve, extname, relative } from 'node:path';

const root = import.meta.dirname;
const modelsDir = resolve(root, 'models');
const ortDist = resolve(root, 'node_modules/onnxruntime-web/dist');
const readVersion = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
const ORT_VERSION = readVersion(resolve(root, 'node_modules/onnxruntime-web/package.json'));

/**
 * The public path the site is served under: `PRM_BASE` (e.g. `/prm-playground/` for a GitHub
 * Pages project site), else `/`. `vite build --base` overrides it.
 */
export function siteBase(value = process.env.PRM_BASE): string {
  if (value === undefined || value === '') return '/';
  if (!/^\/([A-Za-z0-9._~-]+\/)*$/.test(value)) {
    throw new Error(
      `PRM_BASE=${JSON.stringify(value)} is not a site path: give one that starts and ends with "/", such as /prm-playground/.`,
    );
  }
  return value;
}

/**
 * What the app shows as its build (`data-build` in the model panel): `PRM_BUILD_ID` when set (a CI
 * can pass the commit), else the package version.
 */
const BUILD_ID = process.env.PRM_BUILD_ID || readVersion(resolve(root, 'package.json'));
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

/** One block of a `_headers` file: a path pattern (`*` matches anything) and its headers. */
export interface HeaderRule {
  pattern: string;
  headers: Record<string, string>;
}

/**
 * The rules of a Netlify / Cloudflare Pages `_headers` file: a path line, then indented
 * `Name: value` lines; `#` starts a comment line.
 */
export function parseHeadersFile(text: string): HeaderRule[] {
  const rules: HeaderRule[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim() || line.trimStart().startsWith('#')) continue;
    if (!/^\s/.test(line)) {
      rules.push({ pattern: line.trim(), headers: {} });
      continue;
    }
    const colon = line.indexOf(':');
    const rule = rules.at(-1);
    if (!rule || colon < 0) throw new Error(`public/_headers: "${line.trim()}" is not under a path line.`);
    rule.headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return rules;
}

/** The headers `rules` give `path` (later rules add to and override earlier ones, as on Netlify). */
export function headersFor(rules: readonly HeaderRule[], path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { pattern, headers } of rules) {
    const re = new RegExp(
      `^${pattern
        .split('*')
        .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    if (re.test(path)) Object.assign(out, headers);
  }
  return out;
}

/** public/_headers, read when the config loads. */
export const HOST_HEADERS = parseHeadersFile(readFileSync(resolve(root, 'public/_headers'), 'utf8'));

/** The cross-origin isolation headers of public/_headers (dev server). */
export const SECURITY_HEADERS = Object.fromEntries(
  Object.entries(headersFor(HOST_HEADERS, '/')).filter(([name]) => name.startsWith('Cross-Origin-')),
);

/** `vite preview` sends every header of public/_headers for the path asked, like a static host. */
function hostHeaders(): Plugin {
  return {
    name: 'prm-host-headers',
    configurePreviewServer(server) {
      server.middlewares.use((req, res, next) => {
        const path = (req.url ?? '/').split(/[?#]/)[0];
        for (const [name, value] of Object.entries(headersFor(HOST_HEADERS, path)))
          res.setHeader(name, value);
        next();
      });
    },
  };
}

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
  let mounts: [string, string, (p: string) => boolean][] = [];
  let base = '/';
  return {
    name: 'prm-static-dirs',
    configResolved(config) {
      base = config.base;
      mounts = [
        [`${base}models/`, modelsDir, () => true],
        [`${base}ort/`, ortDist, (p) => ORT_FILES.includes(p)],
      ];
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = decodeURIComponent((req.url ?? '').split('?')[0]);
        if (url === `${base}models/manifest.json`) {
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

/**
 * The installable offline app. Precached (versioned by content, fetched when a new service worker
 * installs): the app shell and its chunks, KaTeX's woff2 fonts, the bundled models and their
 * manifest, and the JSPI pair of onnxruntime-web files, which browsers with JSPI load. The asyncify
 * pair, for the other browsers, is cached by the service worker on first use instead, so nobody
 * downloads both builds. Hub models are not touched: they keep their own cache (sources/hub.ts).
 */
function offlineApp(): Plugin[] {
  return VitePWA({
    strategies: 'injectManifest',
    // Absolute: test pages are built with another `root` (test/browser/fixtures/engine-site.ts).
    srcDir: resolve(root, 'src/sw'),
    filename: 'sw.ts',
    registerType: 'prompt',
    injectRegister: false,
    manifestFilename: 'manifest.webmanifest',
    // The glob below already lists the icons; the plugin adds the manifest itself.
    includeManifestIcons: false,
    manifest: {
      name: 'PRM Playground',
      short_name: 'PRM Playground',
      description: 'Score every step of a math solution with a process reward model, in your browser.',
      display: 'standalone',
      start_url: '.',
      scope: '.',
      background_color: '#f6f6f8',
      theme_color: '#4b2991',
      icons: [
        { src: 'icon-192.png', sizes: '192x192', type: 'image/png' },
        { src: 'icon-512.png', sizes: '512x512', type: 'image/png' },
        { src: 'icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        { src: 'favicon.svg', sizes: 'any', type: 'image/svg+xml' },
      ],
    },
    injectManifest: {
      globPatterns: ['**/*.{html,js,css,woff2,svg,png,json,mjs,wasm,onnx}'],
      globIgnores: ['**/*.map', 'ort/*.asyncify.*', 'sw.js'],
      // The JSPI wasm is the largest file; the limit only guards against precaching something unplanned.
      maximumFileSizeToCacheInBytes: 32 * 1024 * 1024,
    },
  });
}

export default defineConfig({
  base: siteBase(),
  define: {
    __PRM_BUILD__: JSON.stringify(BUILD_ID),
    __ORT_VERSION__: JSON.stringify(ORT_VERSION),
  },
  plugins: [svelte(), staticDirs(), hostHeaders(), offlineApp()],
  server: { headers: SECURITY_HEADERS, host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
  // Use onnxruntime's build that loads its wasm from /ort/ instead of bundling a second 26.8 MB copy.
  resolve: { conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions] },
  worker: { format: 'es' },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  build: { target: 'es2022', sourcemap: true },
});
