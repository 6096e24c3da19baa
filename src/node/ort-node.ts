/**
 * The Node side's one owner of onnxruntime-node: opens a converted PRM graph, checks it keeps the
 * graph contract (`input_ids` + `attention_mask` int64 [batch, seq] in, `logits` float32
 * [batch, seq, 2] out), and runs batches of token id lists as a `LogitsRunner`.
 *
 * No other Node module imports onnxruntime-node (style.md "one module owns ONNX Runtime"). Runs are
 * serialised through one queue: a session is not meant to be entered concurrently and the CPU EP
 * already uses every core for one run. It does not tokenise, build prompts or read rewards; the
 * core does that from the logits this returns.
 */
import os from 'node:os';
import * as ort from 'onnxruntime-node';
import type { LogitsRunner } from '../core/pipeline.ts';

/** The graph breaks the ONNX contract of prm.json; the message names the file and what is wrong. */
export class GraphContractError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GraphContractError';
  }
}

export interface OrtRunnerOptions {
  /** Threads for one run; defaults to every available core. */
  threads?: number;
  /** Id placed in padded positions (masked out, so any valid id works). Default 0. */
  padId?: number;
}

/** A `LogitsRunner` over one onnxruntime-node session, plus what a CLI wants to report. */
export interface OrtRunner extends LogitsRunner {
  /** The .onnx file the session was opened from. */
  readonly file: string;
  readonly threads: number;
  dispose(): Promise<void>;
}

const REQUIRED_INPUTS = ['input_ids', 'attention_mask'] as const;

function describe(meta: readonly ort.InferenceSession.ValueMetadata[]): string {
  return meta.map((m) => (m.isTensor ? `${m.name} (${m.type} [${m.shape.join(', ')}])` : m.name)).join(', ');
}

/**
 * Refuses graphs that would be fed or read wrongly: missing or extra required inputs, non-int64
 * ids, no float32 `logits`, or a known last dimension other than 2.
 */
export function checkGraphContract(
  file: string,
  inputs: readonly ort.InferenceSession.ValueMetadata[],
  outputs: readonly ort.InferenceSession.ValueMetadata[],
): void {
  const fix = 'Re-convert the model with `prm convert`, which writes graphs that keep this contract.';
  for (const name of REQUIRED_INPUTS) {
    const m = inputs.find((x) => x.name === name);
    if (!m) {
      throw new GraphContractError(
        `${file}: the graph has no input "${name}" (inputs: ${describe(inputs) || 'none'}); ` +
          `a PRM graph takes input_ids and attention_mask (int64 [batch, seq]). ${fix}`,
      );
    }
    if (m.isTensor && m.type !== 'int64') {
      throw new GraphContractError(`${file}: input "${name}" is ${m.type}, expected int64. ${fix}`);
    }
  }
  const extra = inputs.filter((x) => !(REQUIRED_INPUTS as readonly string[]).includes(x.name));
  if (extra.length > 0) {
    throw new GraphContractError(
      `${file}: the graph wants inputs this runner does not feed: ${describe(extra)}; ` +
        `only input_ids and attention_mask are part of the contract (no KV cache, no position_ids). ${fix}`,
    );
  }
  const logits = outputs.find((x) => x.name === 'logits');
  if (!logits) {
    throw new GraphContractError(
      `${file}: the graph has no output "logits" (outputs: ${describe(outputs) || 'none'}). ${fix}`,
    );
  }
  if (logits.isTensor) {
    if (logits.type !== 'float32') {
      throw new GraphContractError(`${file}: output "logits" is ${logits.type}, expected float32. ${fix}`);
    }
    const last = logits.shape[logits.shape.length - 1];
    if (logits.shape.length !== 3 || (typeof last === 'number' && last !== 2)) {
      throw new GraphContractError(
        `${file}: output "logits" has shape [${logits.shape.join(', ')}], expected [batch, seq, 2]. ${fix}`,
      );
    }
  }
}

/**
 * Right-pads a batch into flat int64 `input_ids` and `attention_mask` of shape [batch, maxLen].
 * Right padding keeps every real token at the position it has unbatched, so a causal model gives
 * the same logits at those positions as a batch of one.
 *
 * @example
 * padBatch([[5, 6, 7], [8]], 0);
 * // { ids: [5n,6n,7n, 8n,0n,0n], mask: [1n,1n,1n, 1n,0n,0n], maxLen: 3 } (as BigInt64Arrays)
 */
export function padBatch(
  batch: number[][],
  padId: number,
): { ids: BigInt64Array; mask: BigInt64Array; maxLen: number } {
  const maxLen = Math.max(...batch.map((b) => b.length));
  const ids = new BigInt64Array(batch.length * maxLen).fill(BigInt(padId));
  const mask = new BigInt64Array(batch.length * maxLen);
  batch.forEach((row, b) => {
    row.forEach((id, t) => {
      ids[b * maxLen + t] = BigInt(id);
      mask[b * maxLen + t] = 1n;
    });
  });
  return { ids, mask, maxLen };
}

/**
 * Opens `file` with onnxruntime-node (CPU) and returns a serialised `LogitsRunner`.
 *
 * @example
 * const runner = await createOrtRunner('models/demo/onnx/model_q4.onnx');
 * const [{ logits, seqLen }] = await runner.run([[1, 2, 3]]); // logits.length === seqLen * 2
 * await runner.dispose();
 */
export async function createOrtRunner(file: string, options: OrtRunnerOptions = {}): Promise<OrtRunner> {
  const threads = options.threads ?? Math.max(1, os.availableParallelism());
  const padId = options.padId ?? 0;
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(file, {
      graphOptimizationLevel: 'all',
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
    });
  } catch (e) {
    throw new Error(`Could not open ${file} with onnxruntime-node: ${(e as Error).message}`, { cause: e });
  }
  try {
    checkGraphContract(file, session.inputMetadata, session.outputMetadata);
  } catch (e) {
    await session.release();
    throw e;
  }

  let queue: Promise<unknown> = Promise.resolve();
  let released = false;

  async function runNow(batch: number[][]): Promise<{ logits: Float32Array; seqLen: number }[]> {
    if (released) throw new Error(`The session for ${file} was disposed; load the model again.`);
    if (batch.length === 0) return [];
    batch.forEach((row, i) => {
      if (row.length === 0)
        throw new Error(`Batch item ${i} has no tokens; every input needs at least one token.`);
    });
    const { ids, mask, maxLen } = padBatch(batch, padId);
    const dims = [batch.length, maxLen];
    const out = await session.run(
      { input_ids: new ort.Tensor('int64', ids, dims), attention_mask: new ort.Tensor('int64', mask, dims) },
      ['logits'],
    );
    const logits = out.logits as ort.Tensor;
    const [b, s, c] = logits.dims;
    if (logits.dims.length !== 3 || b !== batch.length || s !== maxLen || c !== 2) {
      throw new GraphContractError(
        `${file}: "logits" came back with shape [${logits.dims.join(', ')}] for input [${dims.join(', ')}]; ` +
          `expected [${batch.length}, ${maxLen}, 2].`,
      );
    }
    const data = logits.data as Float32Array;
    // Copy each item's own rows out, so callers never see padding or hold the whole batch alive.
    return batch.map((row, i) => ({
      logits: data.slice(i * maxLen * 2, (i * maxLen + row.length) * 2),
      seqLen: row.length,
    }));
  }

  return {
    file,
    threads,
    run(batch) {
      const result = queue.then(() => runNow(batch));
      queue = result.catch(() => undefined);
      return result;
    },
    async dispose() {
      if (released) return;
      released = true;
      await queue;
      await session.release();
    },
  };
}
