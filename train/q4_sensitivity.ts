/**
 * How much 4-bit rounding alone moves a checkpoint's p(correct) on its golden inputs, without the
 * converter or onnxruntime in the way: every weight `prm convert` stores 4-bit is quantized and
 * dequantized (src/convert/quantize.ts, the converter's own rule) and the plain float64 reference
 * forward pass (src/convert/reference.ts) is run on the result. If these figures match
 * `test/train/golden.test.ts` on the converted q4 file, the drift is the checkpoint's own
 * sensitivity to its weights, not a conversion bug. `--parts` rounds one group of matrices at a
 * time (any substring of the tensor names) to show where the sensitivity sits.
 *
 *   npx tsx train/q4_sensitivity.ts train/out/ckpt-s8 --blocks 16,32,64 --parts q_proj,layers.2.
 *
 * Prints, per row, the largest |p_rounded - p_torch| over every score position of golden.json and
 * where it is. Deliberately does not: read the converted ONNX files (golden.test.ts does) or choose
 * which tensors to keep in float.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDecoderConfig } from '../src/convert/hf-config.ts';
import { dequantizeQ4, quantizeQ4 } from '../src/convert/quantize.ts';
import { referenceForward } from '../src/convert/reference.ts';
import { openLocalCheckpoint } from '../src/node/local-files.ts';

interface GoldenItem {
  input_ids: number[];
  score_positions: number[];
  probs: number[];
}

const USAGE = 'Usage: npx tsx train/q4_sensitivity.ts CKPT [--blocks 16,32,64] [--parts a,b,...]';

/** Matrices stored 4-bit in a q4 variant of a qwen-prm model (graph/decoder.ts, graph/heads/qwen-prm.ts). */
function storedQ4(name: string, shape: number[]): boolean {
  return shape.length === 2 && name !== 'model.embed_tokens.weight' && name !== 'score.2.weight';
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { blocks: { type: 'string', default: '32' }, parts: { type: 'string', default: '' } },
  });
  const dir = positionals[0];
  if (!dir) throw new Error(USAGE);
  const cfg = parseDecoderConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')));
  if (cfg.head !== 'qwen-prm') throw new Error(`${dir}: a qwen-prm checkpoint is expected, got ${cfg.head}`);
  const golden = (JSON.parse(readFileSync(join(dir, 'golden.json'), 'utf8')) as { items: GoldenItem[] })
    .items;
  const ckpt = await openLocalCheckpoint(dir);
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  try {
    for (const name of ckpt.names())
      weights.set(name, { shape: ckpt.info(name).shape, data: await ckpt.readF32(name) });
  } finally {
    await ckpt.close();
  }

  const worstDrift = (rounded: (name: string) => boolean, block: number): string => {
    const use = new Map<string, Float32Array>();
    for (const [name, { shape, data }] of weights) {
      const q = storedQ4(name, shape) && rounded(name);
      use.set(name, q ? dequantizeQ4(quantizeQ4(data, shape[0], shape[1], block)) : data);
    }
    let worst = 0;
    let where = '';
    golden.forEach((item, g) => {
      const logits = referenceForward(cfg, (n) => use.get(n)!, item.input_ids);
      item.score_positions.forEach((pos, i) => {
        const p = 1 / (1 + Math.exp(logits[pos * 2] - logits[pos * 2 + 1]));
        const d = Math.abs(p - item.probs[i]);
        if (d > worst) {
          worst = d;
          where = `input ${g}, step ${i + 1}: torch ${item.probs[i].toFixed(3)}, rounded ${p.toFixed(3)}`;
        }
      });
    });
    return `${worst.toFixed(4)} (${where})`;
  };

  const parts = values.parts.split(',').filter(Boolean);
  for (const block of values.blocks.split(',').map(Number)) {
    console.log(`block ${block}, every q4 matrix: max |dp| ${worstDrift(() => true, block)}`);
    for (const part of parts) {
      console.log(`block ${block}, only "${part}": max |dp| ${worstDrift((n) => n.includes(part), block)}`);
    }
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
