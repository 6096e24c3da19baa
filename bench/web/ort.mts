/**
 * The benchmark worker's onnxruntime-web, configured before anything else imports it: the same
 * build (`onnxruntime-web/webgpu`), self-hosted wasm under `/ort/` and registration for
 * transformers.js as in src/engine/ort-web.ts. Kept separate from the engine's module because the
 * benchmark must set the thread count and session options explicitly, which the engine decides
 * for itself.
 */
import * as ort from 'onnxruntime-web/webgpu';

ort.env.wasm.wasmPaths = new URL('/ort/', self.location.origin).href;
ort.env.wasm.proxy = false;
ort.env.logLevel = 'error';
(globalThis as Record<symbol, unknown>)[Symbol.for('onnxruntime')] = ort;

export { ort };
