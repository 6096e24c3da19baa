/**
 * Browser entry: global styles (the app's and KaTeX's), the scoring worker's client, the offline
 * app's service worker (registered in production builds only), and the app.
 * If the worker cannot start (very old browser), the page still runs without scores and says so.
 */
import 'katex/dist/katex.min.css';
import './app/styles.css';
import { mount } from 'svelte';
import App from './app/App.svelte';
import { EngineClient } from './engine/client.ts';
import { OfflineState } from './app/offline.svelte.ts';
import { ISOLATION_MARK } from './sw/isolation.ts';
import { registerSW } from 'virtual:pwa-register';
import { pwaInfo } from 'virtual:pwa-info';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

function startEngine(): EngineClient | null {
  try {
    return EngineClient.start();
  } catch (err) {
    console.error('The scoring worker could not start:', err);
    return null;
  }
}

const sw = 'serviceWorker' in navigator ? navigator.serviceWorker : null;
const offline = new OfflineState({
  build: __PRM_BUILD__,
  // The dev server has no service worker (vite-plugin-pwa makes it at build time); pwaInfo says so.
  register: sw && pwaInfo ? registerSW : null,
  crossOriginIsolated: globalThis.crossOriginIsolated === true,
  controlled: Boolean(sw?.controller),
  async isolationAddedByWorker() {
    // The page's own response is not readable; index.html comes from the same precache entry.
    const res = await fetch(import.meta.env.BASE_URL);
    return res.headers.has(ISOLATION_MARK);
  },
  workerActive: async () => void (await sw?.ready),
  reload: () => location.reload(),
});

export default mount(App, { target, props: { client: startEngine(), offline } });
