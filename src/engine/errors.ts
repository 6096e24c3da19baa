/**
 * The engine's one error type. Every failure the worker reports carries a stable `code` the page
 * can switch on, a message a person can act on (which file, what is wrong, what to do), and for
 * some codes the facts behind it (the file, how many bytes a cache needs).
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
  /** onnxruntime could not create the session or run it on any backend. */
  | 'backend'
  /** `score` arrived before any model finished loading. */
  | 'not-loaded'
  /** The problem/steps cannot be turned into model input (e.g. a step contains the step token). */
  | 'prompt'
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
  constructor() {
    super('The request was cancelled.');
    this.name = 'CancelledError';
  }
}

/**
 * A human size, e.g. for messages about downloads and limits.
 *
 * @example
 * formatBytes(1536); // '1.5 KB'
 * formatBytes(1.2e9); // '1.12 GB'
 */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} bytes` : `${Number(v.toFixed(2))} ${units[u]}`;
}
