/**
 * The engine's one error type, on both sides of the worker: the worker throws it, its `error`
 * reply carries the same `code`, `message`, `file` and `bytesNeeded`, and the page's client
 * rejects with it again (src/engine/client.ts). The `code` is a stable `EngineErrorCode` the page
 * can switch on; the message is one a person can act on (which file, what is wrong, what to do).
 * A cancelled request is not an error: `CancelledError`.
 *
 * It does not decide how errors are shown; the page does.
 */

export type EngineErrorCode =
  /** The request itself is malformed (unknown type, bad repo id, no steps). */
  | 'bad-request'
  /** A model file is missing, unreadable or breaks the contract; `file` names it. */
  | 'bad-model'
  /** A file could not be fetched (offline, HTTP error, server gone) and is not cached. */
  | 'network'
  /** The browser refused to store a download; `bytesNeeded` says how much space it wanted. */
  | 'quota'
  /** The model is larger than this browser's runtime loads (`bytesNeeded`: its size); nothing was read. */
  | 'memory'
  /** onnxruntime could not create the session or run it on any backend. */
  | 'backend'
  /** `score` arrived before any model finished loading. */
  | 'not-loaded'
  /** The problem/steps cannot be turned into model input (e.g. a step contains the step token). */
  | 'prompt'
  /** A vLLM server answered, but wrongly for this model (pooler setup, HTTP error); says the flag. */
  | 'server'
  /** Anything unexpected; a bug. */
  | 'internal';

export class EngineError extends Error {
  readonly code: EngineErrorCode;
  readonly file?: string;
  readonly bytesNeeded?: number;

  constructor(
    code: EngineErrorCode,
    message: string,
    extra: { file?: string; bytesNeeded?: number; cause?: unknown } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'EngineError';
    this.code = code;
    if (extra.file !== undefined) this.file = extra.file;
    if (extra.bytesNeeded !== undefined) this.bytesNeeded = extra.bytesNeeded;
  }
}

/** Cancellation of a request by the page; never reported as an error. */
export class CancelledError extends Error {
  constructor(message = 'The request was cancelled.') {
    super(message);
    this.name = 'CancelledError';
  }
}
