/**
 * The Node side's one owner of onnxruntime-node: opens a converted PRM graph, checks it keeps the
 * graph contract (`input_ids` + `attention_mask` int64 [batch, seq] in, `logits` float32
 * [batch, seq, 2] out), and runs batches of token id lists as a `ModelSession`.
 *
 * No other Node module imports onnxruntime-node. Runs are
 * serialised through one queue: a session is not meant to be entered concurrently and the CPU EP
 * already uses every core for one run. Padding and the logits check are the core's
 * (src/core/runner.ts), shared with onnxruntime-web. It does not tokenise, build prompts or read
 * rewards; the core does that from the logits this returns.
 */
import os from 'node:os';
import * as ort from 'onnxruntime-node';
import { GraphContractError, runPadded, serialQueue, type ModelSession } from '../core/runner.ts';

export interface OrtRunnerOptions {
  /** Threads for one run; defaults to every available core. */
  threads?: number;
}

/** A `ModelSession` over one onnxruntime-node session, plus what a CLI wants to report. */
export interface OrtRunner extends ModelSession {
  /** The .onnx file the session was opened from. */
  readonly file: string;
  readonly threads: number;
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
 * Opens `file` with onnxruntime-node (CPU) and returns a serialised `LogitsRunner`.
 *
 * @example
 * const runner = await createOrtRunner('models/demo/onnx/model_q4.onnx');
 * const [{ logits, seqLen }] = await runner.run([[1, 2, 3]]); // logits.length === seqLen * 2
 * await runner.dispose();
 */
export async function createOrtRunner(file: string, options: OrtRunnerOptions = {}): Promise<OrtRunner> {
  const threads = options.threads ?? Math.max(1, os.availableParallelism());
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

  const serial = serialQueue();
  let released = false;

  return {
    file,
    threads,
    run(batch) {
      return serial(async () => {
        if (released) throw new Error(`The session for ${file} was disposed; load the model again.`);
        return runPadded(file, batch, async (ids, mask, dims) => {
          const out = await session.run(
            {
              input_ids: new ort.Tensor('int64', ids, dims),
              attention_mask: new ort.Tensor('int64', mask, dims),
            },
            ['logits'],
          );
          return { logits: out.logits as ort.Tensor | undefined };
        });
      });
    },
    async dispose() {
      if (released) return;
      released = true;
      await serial.idle();
      await session.release();
    },
  };
}
