/**
 * The benchmark worker on the app's onnxruntime-web build (`onnxruntime-web/webgpu`, which runs
 * both WebGPU and WASM from the asyncify wasm binary). Logic: worker-core.mts.
 */
import { ort } from './ort.mts';
import { startWorker } from './worker-core.mts';

startWorker(ort, 'onnxruntime-web/webgpu');
