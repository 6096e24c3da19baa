/**
 * The interface between the engine and whatever runs ONNX graphs. ort-web.ts implements it over
 * onnxruntime-web in the worker; Node tests implement it with fakes to exercise the engine's
 * fallback and cancel logic without a browser.
 *
 * Types only: importing this file never loads onnxruntime.
 */
import type { Backend } from './protocol.ts';

/** One external data file for a session: `path` is the location string stored in the .onnx. */
export interface ExternalDataFile {
  path: string;
  data: Blob | Uint8Array | string;
}

export interface RuntimeSession {
  readonly backend: Backend;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /**
   * Runs a batch of token id lists (right-padded internally) and returns, per item, its logits
   * `[seqLen, 2]` flattened, trimmed to the item's own length.
   */
  run(batch: number[][]): Promise<{ logits: Float32Array; seqLen: number }[]>;
  dispose(): Promise<void>;
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
