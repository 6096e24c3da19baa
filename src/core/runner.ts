/**
 * The one interface between the scoring pipeline and whatever runs the ONNX graph
 * (onnxruntime-node in src/node/ort-node.ts, onnxruntime-web in src/engine/ort-web.ts, fakes in
 * tests), and the batch I/O both runtimes share: right padding with one pad id, the `logits` shape
 * check, per-item slicing, and the serial queue that keeps a session from being entered twice.
 *
 * Environment-free: the tensor run itself is injected (`runPadded`'s `exec`), so this module never
 * loads onnxruntime and the core's build rules hold.
 */
import { bestEffort } from './best-effort.ts';
import type { InputPlan } from './types.ts';

/** One input's logits: `[seqLen, 2]` flattened, trimmed to the input's own length. */
export interface ItemLogits {
  logits: Float32Array;
  seqLen: number;
}

/** Runs the model on a batch of id sequences and returns one `ItemLogits` per input, in order. */
export interface LogitsRunner {
  run(batch: number[][]): Promise<ItemLogits[]>;
}

/**
 * Runs planned inputs somewhere that answers with each step's p(correct) instead of logits: a vLLM
 * server under STEP pooling returns one softmax row per step tag, never the logits of every token
 * (src/remote/vllm.ts). The pipeline takes the rewards as they come; the runner checks the rows.
 */
export interface StepRewardRunner {
  stepRewards(plans: InputPlan[]): Promise<number[][]>;
}

/** What `runPlans` can score with: a local graph's logits, or a server's step rewards. */
export type ScoreRunner = LogitsRunner | StepRewardRunner;

/** A `LogitsRunner` over an open model; `dispose` frees it (later runs reject). */
export interface ModelSession extends LogitsRunner {
  dispose(): Promise<void>;
}

/**
 * The id in padded positions. Any valid id works, as the attention mask hides those positions;
 * both runtimes use this one so their batches are byte-identical.
 */
export const PAD_ID = 0;

/** The graph breaks the ONNX contract of prm.json; the message names the file and what is wrong. */
export class GraphContractError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GraphContractError';
  }
}

/**
 * Right-pads a batch into flat int64 `input_ids` and `attention_mask` of shape [batch, maxLen].
 * Right padding keeps every real token at the position it has unbatched, so a causal model gives
 * the same logits at those positions as a batch of one.
 *
 * @example
 * padBatch([[5, 6, 7], [8]]);
 * // { ids: [5n,6n,7n, 8n,0n,0n], mask: [1n,1n,1n, 1n,0n,0n], maxLen: 3 } (as BigInt64Arrays)
 */
export function padBatch(
  batch: number[][],
  padId: number = PAD_ID,
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

/** What a runtime's tensor run hands back: the `logits` output as the runtime sees it. */
export interface RawLogits {
  type: string;
  dims: readonly number[];
  data: unknown;
}

/** A runtime's tensor run over padded feeds; `release` (if any) frees the outputs after reading. */
export type PaddedExec = (
  ids: BigInt64Array,
  mask: BigInt64Array,
  dims: [number, number],
) => Promise<{ logits: RawLogits | undefined; release?: () => void }>;

/**
 * Runs a batch through `exec`: refuses empty items, right-pads with `PAD_ID`, checks the `logits`
 * output is float32 `[batch, maxLen, 2]` (a `GraphContractError` naming `file` otherwise), and
 * copies each item's own rows out, so callers never see padding or hold the whole batch alive.
 *
 * @example
 * const outs = await runPadded('onnx/model.onnx', [[1, 2, 3], [4]], exec); // outs[1].logits.length === 2
 */
export async function runPadded(file: string, batch: number[][], exec: PaddedExec): Promise<ItemLogits[]> {
  if (batch.length === 0) return [];
  batch.forEach((row, i) => {
    if (row.length === 0)
      throw new Error(`Batch item ${i} has no tokens; every input needs at least one token.`);
  });
  const { ids, mask, maxLen } = padBatch(batch);
  const dims: [number, number] = [batch.length, maxLen];
  const { logits, release } = await exec(ids, mask, dims);
  try {
    if (!logits || logits.type !== 'float32') {
      throw new GraphContractError(
        `${file}: the "logits" output is ${logits?.type ?? 'missing'}, expected float32.`,
      );
    }
    const [b, s, c] = logits.dims;
    if (logits.dims.length !== 3 || b !== batch.length || s !== maxLen || c !== 2) {
      throw new GraphContractError(
        `${file}: "logits" came back with shape [${logits.dims.join(', ')}] for input [${dims.join(', ')}]; ` +
          `expected [${batch.length}, ${maxLen}, 2].`,
      );
    }
    const data = logits.data as Float32Array;
    return batch.map((row, i) => ({
      logits: data.slice(i * maxLen * 2, (i * maxLen + row.length) * 2),
      seqLen: row.length,
    }));
  } finally {
    release?.();
  }
}

/**
 * A queue that runs tasks one after another (a session must not be entered concurrently). Each
 * task's own promise carries its result or failure; a failure does not stop the tasks behind it.
 *
 * @example
 * const serial = serialQueue();
 * const [a, b] = await Promise.all([serial(() => session.run(x)), serial(() => session.run(y))]);
 */
export function serialQueue(): {
  <T>(task: () => Promise<T>): Promise<T>;
  /** Settles when every task queued so far has settled. */
  idle(): Promise<void>;
} {
  let tail: Promise<void> = Promise.resolve();
  const enqueue = <T>(task: () => Promise<T>): Promise<T> => {
    const result = tail.then(task);
    tail = bestEffort(result, 'the queue only orders tasks; each caller awaits its own result');
    return result;
  };
  return Object.assign(enqueue, { idle: () => tail });
}
