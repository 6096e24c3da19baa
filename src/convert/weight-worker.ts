/**
 * A Node `WeightPool` worker thread (weight-threads.ts): runs each weight job it is sent, writing
 * its outputs into the data files, and replies with the bytes of its `'return'` outputs, or the
 * error message. The job's source buffer goes back to the pool for the next read.
 */
import { parentPort } from 'node:worker_threads';
import { answerJob, type JobRequest } from './weight-jobs.ts';
import { nodeFileIo } from '../node/file-io.ts';

const port = parentPort;
if (!port) throw new Error('weight-worker.ts runs as a worker thread of a Node WeightPool');

port.on('message', (req: JobRequest) => {
  const { reply, transfer } = answerJob(req, nodeFileIo);
  port.postMessage(reply, transfer);
});
