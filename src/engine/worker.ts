/**
 * The scoring worker's entry: wires the engine to onnxruntime-web, the model sources and the
 * Cache API, and to the page through `postMessage` (one `WorkerRequest` in, `WorkerReply`s out).
 *
 * Start it with `new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' })`, or
 * use client.ts, which does. It holds no logic of its own: see engine.ts.
 */
// First import: configures onnxruntime (self-hosted wasm paths) before transformers.js loads.
import { ortWebRuntime, probeEnvironment } from './ort-web.ts';
import { Engine } from './engine.ts';
import type { WorkerReply, WorkerRequest } from './protocol.ts';
import { listBundled } from './sources/bundled.ts';
import { clearCachedModels, listCachedModels } from './sources/hub.ts';
import { openSource } from './sources/index.ts';

const bundledBase = `${import.meta.env.BASE_URL}models/`;
// The app's tsconfig has the DOM lib, not WebWorker; this is the slice of the worker scope used.
const scope = self as unknown as {
  postMessage(message: WorkerReply): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<WorkerRequest>) => void): void;
};

const engine = new Engine({
  runtime: ortWebRuntime,
  probe: probeEnvironment,
  open: (source) => openSource(source, bundledBase),
  listBundled: () => listBundled(bundledBase),
  cacheList: listCachedModels,
  cacheClear: clearCachedModels,
  storageEstimate: async () => (navigator.storage?.estimate ? navigator.storage.estimate() : null),
  post: (reply: WorkerReply) => scope.postMessage(reply),
  origin: self.location.origin,
});

scope.addEventListener('message', (event: MessageEvent<WorkerRequest>) => {
  void engine.handle(event.data);
});
