/**
 * What a failed in-page conversion tells the user: one `ConvertErrorCode` per thing the page or
 * the user does differently, and a message that says what to do. Pure (no worker scope), so the
 * classification is unit-tested (test/engine/convert-failure.test.ts).
 */
import { HttpSourceError } from '../convert/http-source.ts';
import { CheckpointError } from '../convert/safetensors.ts';
import { WeightPoolError } from '../convert/weight-pool.ts';
import type { ConvertErrorCode } from './protocol.ts';

export class ConvertFailure extends Error {
  constructor(
    readonly code: ConvertErrorCode,
    message: string,
    readonly bytesNeeded?: number,
  ) {
    super(message);
  }
}

/** The failure `e` stands for; `signal` tells a cancelled conversion from a failed one. */
export function failure(e: unknown, signal: AbortSignal): ConvertFailure {
  if (e instanceof ConvertFailure) return e;
  const message = e instanceof Error ? e.message : String(e);
  if (signal.aborted)
    return new ConvertFailure('cancelled', 'The conversion was cancelled; nothing was kept.');
  if (e instanceof WeightPoolError) {
    return new ConvertFailure(
      'internal',
      `The conversion stopped: ${message}. Reload the page and press Convert again.`,
    );
  }
  if (e instanceof HttpSourceError) {
    return new ConvertFailure(
      e.code === 'changed' ? 'changed' : e.code === 'network' ? 'network' : 'bad-checkpoint',
      message,
    );
  }
  if (e instanceof DOMException) {
    const quota = e.name === 'QuotaExceededError';
    return new ConvertFailure(
      quota ? 'quota' : 'storage',
      `The browser's storage refused the converted model (${e.name}: ${e.message}).`,
    );
  }
  if (e instanceof CheckpointError) return new ConvertFailure('bad-checkpoint', message);
  // Everything the checkpoint can be blamed for is a CheckpointError (or an HttpSourceError);
  // anything else is the converter's own fault and must not send the user to another model.
  return new ConvertFailure(
    'internal',
    `The converter failed (${message}). This is a fault of the playground, not of the checkpoint: ` +
      'reload the page and press Convert again, and if it fails again, report it with the repository name.',
  );
}
