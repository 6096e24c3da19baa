/**
 * Starts the conversion worker (convert-worker.ts). Vite bundles the worker from the literal
 * `new Worker(new URL(...), ...)` below, so it lives in this one place.
 */
export function startConvertWorker(): Worker {
  return new Worker(new URL('./convert-worker.ts', import.meta.url), { type: 'module', name: 'prm-convert' });
}
