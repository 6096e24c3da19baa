/**
 * The service worker (built by vite-plugin-pwa's injectManifest into `<base>sw.js`, scope `<base>`):
 * - serves the precached build (list and revisions injected at build time) cache-first, so the
 *   app opens and scores with no network; navigations get the precached index.html;
 * - caches onnxruntime-web's asyncify pair on first use, in a cache named by the ORT version;
 * - adds COOP/COEP to what it serves where the host sent none (isolation.ts);
 * - waits, after installing a new build, until the page says `SKIP_WAITING` (the update prompt), so
 *   a page never mixes files of two builds; old precaches are deleted when the new one activates.
 *
 * It does not touch cross-origin requests (Hugging Face Hub downloads keep their own cache) or
 * anything outside its scope, and it does not claim the page that registered it: that page was
 * loaded without the headers, so it reloads once to be isolated (the model panel offers it).
 */
import {
  addPlugins,
  cleanupOutdatedCaches,
  createHandlerBoundToURL,
  precacheAndRoute,
} from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { CacheFirst } from 'workbox-strategies';
import type { PrecacheEntry } from 'workbox-precaching';
import type { WorkboxPlugin } from 'workbox-core';
import { withIsolationHeaders } from './isolation.ts';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: (string | PrecacheEntry)[] };

const ORT_CACHE_PREFIX = 'prm-ort-';
const ORT_CACHE = `${ORT_CACHE_PREFIX}${__ORT_VERSION__}`;

const isolation: WorkboxPlugin = {
  handlerWillRespond: async ({ response }) => withIsolationHeaders(response),
};

addPlugins([isolation]);
precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
registerRoute(new NavigationRoute(createHandlerBoundToURL('index.html')));
registerRoute(
  ({ url, sameOrigin }) =>
    sameOrigin &&
    url.href.startsWith(`${self.registration.scope}ort/`) &&
    /\.asyncify\.(mjs|wasm)$/.test(url.pathname),
  new CacheFirst({ cacheName: ORT_CACHE, plugins: [isolation] }),
);

self.addEventListener('message', (event) => {
  if ((event.data as { type?: unknown } | null)?.type === 'SKIP_WAITING') void self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith(ORT_CACHE_PREFIX) && name !== ORT_CACHE) await caches.delete(name);
      }
    })(),
  );
});
