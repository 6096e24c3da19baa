/**
 * The JSPI build of onnxruntime-web (`onnxruntime-web/jspi`: WebGPU and WASM from the smaller
 * JSPI binary instead of asyncify; needs WebAssembly JSPI, Chrome 137+), configured before
 * transformers.js is imported, as ort.mts does for the app's build.
 */
import * as ort from 'onnxruntime-web/jspi';

ort.env.wasm.wasmPaths = new URL('/ort/', self.location.origin).href;
ort.env.wasm.proxy = false;
ort.env.logLevel = 'error';
(globalThis as Record<symbol, unknown>)[Symbol.for('onnxruntime')] = ort;

export { ort };
