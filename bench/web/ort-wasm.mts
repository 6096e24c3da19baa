/**
 * The plain WASM build of onnxruntime-web (`onnxruntime-web/wasm`: no WebGPU, the smaller
 * non-asyncify binary), configured before transformers.js is imported, as ort.mts does for the
 * app's build.
 */
import * as ort from 'onnxruntime-web/wasm';

ort.env.wasm.wasmPaths = new URL('/ort/', self.location.origin).href;
ort.env.wasm.proxy = false;
ort.env.logLevel = 'error';
(globalThis as Record<symbol, unknown>)[Symbol.for('onnxruntime')] = ort;

export { ort };
