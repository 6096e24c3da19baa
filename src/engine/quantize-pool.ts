/**
 * The conversion worker's pool of quantizing workers (quantize-worker.ts, module workers nested in
 * it): the conversion worker reads each checkpoint matrix and transfers its raw bytes to one of
 * them, which decodes, quantizes and transposes it and transfers the bytes back; the conversion
 * worker writes them at their reserved range, because OPFS sync access handles lock a file to the
 * worker that opened it.
 *
 * Deliberately does not: write files (the pool's `io` is the conversion worker's OpfsIo).
 */
import type { FileIo } from '../convert/file-io.ts';
import { WeightPool } from '../convert/weight-pool.ts';
import type { JobReply } from '../convert/weight-jobs.ts';

/**
 * The most quantizing workers the page starts: its reads are one range request at a time, and one
 * worker on the WebAssembly SIMD kernel quantizes faster than they arrive (bench/README.md, "The
 * quantizing pool in the page"); a second covers a slow or busy core. Each further worker would
 * only hold one more raw tensor (136 MB for a 7B's MLP weight).
 */
export const MAX_QUANTIZE_WORKERS = 2;

/**
 * Starts `workers` quantizing workers that hand their writes to `io`. At most one job per worker is
 * in flight: the next tensor is read meanwhile and waits in `submit`, so a worker that finishes
 * gets it at once, and the raw tensors held at once are the workers' plus that one (reading is
 * slower than quantizing, so a deeper queue would only hold more memory).
 *
 * @example
 * const pool = quantizePool(poolWorkers(navigator.hardwareConcurrency, 1, MAX_QUANTIZE_WORKERS), opfsIo);
 */
export function quantizePool(workers: number, io: FileIo): WeightPool {
  return new WeightPool(
    workers,
    (events) => {
      const worker = new Worker(new URL('./quantize-worker.ts', import.meta.url), {
        type: 'module',
        name: 'prm-quantize',
      });
      worker.addEventListener('message', (e: MessageEvent<JobReply>) => events.reply(e.data));
      // A script that cannot load (offline without the precached chunk, a CSP refusal) or throws.
      worker.addEventListener('error', (e) => {
        e.preventDefault();
        events.crash(`a quantizing worker failed: ${e.message || 'it could not be started'}`);
      });
      worker.addEventListener('messageerror', () =>
        events.crash('a quantizing worker sent a message that could not be read'),
      );
      return {
        post: (req, transfer) => worker.postMessage(req, transfer),
        terminate: () => worker.terminate(),
      };
    },
    { maxInFlight: workers, io },
  );
}
