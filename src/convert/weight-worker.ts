/**
 * A `WeightPool` worker thread: runs each weight job it is sent and replies with the bytes of its
 * `'return'` outputs, or the error message. The job's source buffer goes back to the pool for the
 * next read.
 */
import { parentPort } from 'node:worker_threads';
import { runWeightJob, sourceBuffer, type WeightJob } from './weight-jobs.ts';
import type { WorkerReply } from './weight-pool.ts';
import { nodeFileIo } from '../node/file-io.ts';

const port = parentPort;
if (!port) throw new Error('weight-worker.ts runs as a worker thread of WeightPool');

port.on('message', ({ id, job }: { id: number; job: WeightJob }) => {
  let reply: WorkerReply;
  try {
    const out = runWeightJob(job, nodeFileIo);
    reply = { id, out, spare: sourceBuffer(job) };
  } catch (e) {
    reply = { id, error: (e as Error).message };
  }
  const transfer = (reply.out ?? [])
    .filter((b): b is Uint8Array => b !== null)
    .map((b) => b.buffer as ArrayBuffer);
  if (reply.spare) transfer.push(reply.spare);
  port.postMessage(reply, transfer);
});
