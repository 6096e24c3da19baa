/**
 * The benchmark worker on the plain WASM build of onnxruntime-web (ort-wasm.mts), to measure what
 * a WASM-only path would gain over the app's asyncify build. Logic: worker-core.mts.
 */
import { ort } from './ort-wasm.mts';
import { startWorker } from './worker-core.mts';

startWorker(ort, 'onnxruntime-web/wasm');
