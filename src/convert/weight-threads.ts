/**
 * A `WeightPool` on Node's worker threads (the CLI's `--threads`): each thread runs
 * `weight-worker.ts` and writes its jobs' bytes straight into the data files through its own
 * `FileIo` (file descriptors are shared by the threads of a process).
 *
 * Deliberately does not: pick the number of threads (convert.ts does).
 */
import { Worker } from 'node:worker_threads';
import { WeightPool } from './weight-pool.ts';
import type { JobReply } from './weight-jobs.ts';

/**
 * @example
 * const pool = nodeWeightPool(2);
 * await pool.submit(job, () => {}); // runs on a worker thread, which writes the job's outputs
 */
export function nodeWeightPool(threads: number): WeightPool {
  return new WeightPool(threads, (events) => {
    // A JavaScript entry that registers tsx, so the TypeScript worker loads under the CLI and vitest.
    const worker = new Worker(new URL('./weight-worker.js', import.meta.url));
    worker.on('message', (m: JobReply) => events.reply(m));
    worker.on('error', (e: Error) => events.crash(`weight worker failed: ${e.message}`));
    worker.on('exit', (code) => {
      if (code !== 0) events.crash(`weight worker exited with code ${code}`);
    });
    return {
      post: (req, transfer) => worker.postMessage(req, transfer),
      terminate: () => worker.terminate(),
    };
  });
}
