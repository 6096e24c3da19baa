/**
 * How the engine opens sessions from model bytes. A session is the core's `ModelSession`
 * (src/core/runner.ts), the same interface onnxruntime-node implements for the CLI, plus what the
 * engine checks and reports. ort-web.ts implements this over onnxruntime-web in the worker; Node
 * tests implement it over onnxruntime-node or fakes to exercise the engine's fallback and cancel
 * logic without a browser.
 *
 * Types only: importing this file never loads onnxruntime.
 */
import type { ModelSession } from '../core/runner.ts';
import type { Backend } from './protocol.ts';

/** One external data file for a session: `path` is the location string stored in the .onnx. */
export interface ExternalDataFile {
  path: string;
  data: Blob | Uint8Array | string;
}

export interface RuntimeSession extends ModelSession {
  readonly backend: Backend;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
}

export interface CreateOptions {
  backend: Backend;
  /** The file name the model came from, for error messages. */
  file: string;
  externalData: ExternalDataFile[];
}

export interface Runtime {
  create(model: Uint8Array, options: CreateOptions): Promise<RuntimeSession>;
  /** Registers a callback for a lost GPU device (WebGPU only); called at most once per device. */
  onDeviceLost(callback: (reason: string) => void): void;
}
