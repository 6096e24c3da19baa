/**
 * The benchmark worker on the JSPI build of onnxruntime-web (ort-jspi.mts), to compare with the
 * app's asyncify build on both WASM and WebGPU. Logic: worker-core.mts.
 */
import { ort } from './ort-jspi.mts';
import { startWorker } from './worker-core.mts';

startWorker(ort, 'onnxruntime-web/jspi');
