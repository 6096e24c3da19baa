import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';

// The shipped ONNX files of the bundled model against PyTorch. golden.json is written by
// train/train_prm.py next to the checkpoint (PyTorch float32 p(correct) at each score position of
// 8 fixed inputs) and copied into the model folder; regenerate both by retraining (train/README.md).
// PRM_GOLDEN_MODEL points the test at another converted folder with its own golden.json.
const MODEL_DIR = process.env.PRM_GOLDEN_MODEL ?? 'models/arith-prm-mini';

/** Largest |p_onnx - p_torch| allowed per variant. q4 was measured on the shipped model (README). */
const TOLERANCE: Record<string, number> = { 'model.onnx': 1e-4, 'model_q4.onnx': 0.05 };

interface GoldenItem {
  input_ids: number[];
  score_positions: number[];
  probs: number[];
}

const golden = JSON.parse(fs.readFileSync(path.join(MODEL_DIR, 'golden.json'), 'utf8')) as {
  items: GoldenItem[];
};

async function onnxProbs(file: string, item: GoldenItem): Promise<number[]> {
  const session = await ort.InferenceSession.create(file);
  try {
    const s = item.input_ids.length;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(item.input_ids.map(BigInt)), [1, s]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(s).fill(1n), [1, s]),
    };
    const out = await session.run(feeds, ['logits']);
    const logits = out.logits.data as Float32Array;
    expect(out.logits.dims).toEqual([1, s, 2]);
    return item.score_positions.map((p) => {
      const [a, b] = [logits[p * 2], logits[p * 2 + 1]];
      return 1 / (1 + Math.exp(a - b));
    });
  } finally {
    await session.release();
  }
}

describe(`${MODEL_DIR} ONNX vs PyTorch golden probabilities`, () => {
  it('has golden inputs with steps to compare', () => {
    expect(golden.items.length).toBeGreaterThanOrEqual(2);
    for (const item of golden.items) expect(item.probs).toHaveLength(item.score_positions.length);
  });

  it.each(Object.entries(TOLERANCE))('%s matches PyTorch within %f', async (file, tol) => {
    let worst = 0;
    for (const item of golden.items) {
      const probs = await onnxProbs(path.join(MODEL_DIR, 'onnx', file), item);
      probs.forEach((p, i) => (worst = Math.max(worst, Math.abs(p - item.probs[i]))));
    }
    expect(worst).toBeLessThanOrEqual(tol);
  });
});
