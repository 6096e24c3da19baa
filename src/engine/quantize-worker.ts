/**
 * A quantizing worker of the page's conversion (quantize-pool.ts), nested in the conversion
 * worker: runs each weight job it is sent with the converter's code (decode, 4-bit quantize on the
 * WebAssembly SIMD kernel, transpose) and hands back the result bytes and the positional writes
 * the conversion worker makes into OPFS, which only it may hold (`answerJob` 'hand-back'). Every
 * buffer goes back transferred, not copied, the job's source buffer too, for the next read.
 */
import { answerJob, type JobReply, type JobRequest } from '../convert/weight-jobs.ts';

// The app's tsconfig has the DOM lib, not WebWorker; this is the slice of the worker scope used.
const scope = self as unknown as {
  postMessage(message: JobReply, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<JobRequest>) => void): void;
};

scope.addEventListener('message', (event) => {
  const { reply, transfer } = answerJob(event.data, 'hand-back');
  scope.postMessage(reply, transfer);
});
