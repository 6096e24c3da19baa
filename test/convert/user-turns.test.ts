/**
 * RLHFlow-shaped checkpoints end to end (family user-turns): a tiny LlamaForCausalLM with Llama 3's
 * chat tokens, llama3 RoPE scaling and a Llama 3.1-style template, converted with
 * `--family user-turns`, then scored
 * - by the converted ONNX through the family's prompt in one pass, against the independent loop
 *   implementation src/convert/reference.ts at the same positions (the golden numbers, computed
 *   here as test/convert/convert.test.ts does), and
 * - by that reference run prefix by prefix as RLHFlow's math-rm/prm_evaluate.py does (`logits[-3]`
 *   of each k-turn conversation): both readings agree, as a causal LM's must;
 * and `prm score` on the folder matches the reference too.
 * Bad checkpoints (no chat template, "+"/"-" not single tokens, a head that is not a causal LM)
 * get a CheckpointError or a message, and nothing is written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertCheckpoint } from '../../src/convert/convert.ts';
import { referenceForward } from '../../src/convert/reference.ts';
import type { HeadKind } from '../../src/convert/hf-config.ts';
import { CheckpointError } from '../../src/convert/safetensors.ts';
import { planSolution } from '../../src/core/pipeline.ts';
import { parseModelSpec } from '../../src/core/spec.ts';
import type { ModelSpec, TokenizerLike } from '../../src/core/types.ts';
import { loadTokenizerDir } from '../../src/node/tokenizer-files.ts';
import { runPrm } from '../support/prm-cli.ts';
import { makeTinyCheckpoint, type TinyCheckpoint, TINY_RLHFLOW } from './tiny-checkpoint.ts';

let tmp: string;
let t: TinyCheckpoint;
let out: string;
let spec: ModelSpec;
let tokenizer: TokenizerLike;
let log: string[];

// Words of the tiny vocabulary, so that every token is a real one (not <unk>).
const PROBLEM = 'Sue have 2 flamingos . we add 3 . find the total ?';
const STEPS = ['2 + 3 = 5 .', 'so the sum is 5 .', 'the answer is 5 .', 'x - 1 = 4 ?'];

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'prm-user-turns-'));
  t = await makeTinyCheckpoint({
    ...TINY_RLHFLOW,
    dir: join(tmp, 'ckpt'),
    std: 0.1,
    seed: 31,
    shards: 2,
  });
  out = join(tmp, 'model');
  log = [];
  await convertCheckpoint({
    checkpointDir: t.dir,
    outDir: out,
    name: 'tiny-rlhflow',
    family: 'user-turns',
    dtypes: ['fp32', 'q4'],
    contextLength: 256,
    log: (l) => log.push(l),
  });
  spec = parseModelSpec(await readFile(join(out, 'prm.json'), 'utf8'));
  tokenizer = loadTokenizerDir(out);
}, 60_000);

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const p1 = (logits: ArrayLike<number>, pos: number) =>
  1 / (1 + Math.exp(logits[2 * pos] - logits[2 * pos + 1]));

async function onnxLogits(file: string, ids: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(join(out, 'onnx', file));
  const shape = [1, ids.length];
  const res = await session.run({
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), shape),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(ids.length).fill(1n), shape),
  });
  await session.release();
  return res.logits.data as Float32Array;
}

describe('convertCheckpoint({ family: "user-turns" }) of a tiny RLHFlow-shaped checkpoint', () => {
  it('writes a prm.json of family user-turns whose reply is "+", with the chat template kept', async () => {
    expect(spec).toMatchObject({
      family: 'user-turns',
      architecture: 'llama',
      step_token: '+',
      context_length: 256,
    });
    expect(spec.description).toContain(`token pair good=${t.tokenIds['+']} bad=${t.tokenIds['-']}`);
    const tc = JSON.parse(await readFile(join(out, 'tokenizer_config.json'), 'utf8'));
    expect(tc.chat_template).toContain('<|start_header_id|>');
  });

  it('renders the conversation through the model\'s own template and reads before each "+"', () => {
    const plan = planSolution(spec, tokenizer, PROBLEM, STEPS);
    expect(plan.text).toContain(
      `<|start_header_id|>user<|end_header_id|>\n\n${PROBLEM} ${STEPS[0]}<|eot_id|>`,
    );
    expect(plan.text!.startsWith('<|begin_of_text|><|start_header_id|>system<|end_header_id|>')).toBe(true);
    expect(plan.scorePositions).toHaveLength(STEPS.length);
    for (const p of plan.scorePositions) {
      expect(plan.inputIds[p + 1]).toBe(t.tokenIds['+']);
      expect(plan.inputIds[p + 2]).toBe(t.tokenIds['<|eot_id|>']);
    }
    // The tiny vocabulary lacks the system header's words, not the solution's.
    const turns = plan.inputIds.slice(plan.inputIds.indexOf(t.tokenIds['<|eot_id|>']));
    expect(turns).not.toContain(t.tokenIds['<unk>']);
  });

  it.each([
    ['fp32', 'model.onnx', 1e-4],
    ['q4', 'model_q4.onnx', 0.2],
  ])(
    '%s: one-pass scores match the reference forward pass and its prefix-by-prefix reading',
    async (_, file, tol) => {
      const plan = planSolution(spec, tokenizer, PROBLEM, STEPS);
      const ref = referenceForward(t.cfg, (n) => t.weights[n], plan.inputIds, t.tokenPair);
      const onePass = plan.scorePositions.map((p) => p1(ref, p));
      // RLHFlow's own procedure: one forward pass per k-turn prefix, logits[-3] of each.
      const prefixes = STEPS.map((_, k) => {
        const ids = planSolution(spec, tokenizer, PROBLEM, STEPS.slice(0, k + 1)).inputIds;
        return p1(
          referenceForward(t.cfg, (n) => t.weights[n], ids, t.tokenPair),
          ids.length - 3,
        );
      });
      prefixes.forEach((x, i) => expect(Math.abs(x - onePass[i])).toBeLessThan(1e-9));
      const logits = await onnxLogits(file, plan.inputIds);
      const got = plan.scorePositions.map((p) => p1(logits, p));
      got.forEach((x, i) => expect(Math.abs(x - onePass[i])).toBeLessThanOrEqual(tol));
    },
  );

  it('prm score --json gives the reference rewards (fp32)', async () => {
    const r = await runPrm('score', {
      model: out,
      dtype: 'fp32',
      problem: PROBLEM,
      solution: STEPS.join('\n\n'),
      json: true,
    });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const got = JSON.parse(r.out);
    const plan = planSolution(spec, tokenizer, PROBLEM, STEPS);
    const ref = referenceForward(t.cfg, (n) => t.weights[n], plan.inputIds, t.tokenPair);
    expect(got.steps).toEqual(STEPS);
    expect(got.tokens).toBe(plan.inputIds.length);
    got.rewards.forEach((x: number, i: number) =>
      expect(Math.abs(x - p1(ref, plan.scorePositions[i]))).toBeLessThan(1e-4),
    );
  });
});

describe('convertCheckpoint family checks', () => {
  async function broken(name: string, edit: (dir: string) => Promise<void>, head: HeadKind = 'token-pair') {
    const c = await makeTinyCheckpoint({ ...TINY_RLHFLOW, dir: join(tmp, name), head, layers: 1 });
    await edit(c.dir);
    return c.dir;
  }
  const editJson = async (file: string, edit: (j: Record<string, unknown>) => void) => {
    const j = JSON.parse(await readFile(file, 'utf8'));
    edit(j);
    await writeFile(file, JSON.stringify(j));
  };

  it.each<[string, (dir: string) => Promise<void>, RegExp]>([
    [
      'no chat template',
      (dir) => editJson(join(dir, 'tokenizer_config.json'), (j) => delete j.chat_template),
      /has no "chat_template".*A user-turns model scores each step as a user turn/,
    ],
    [
      'no single "-" token',
      (dir) =>
        editJson(join(dir, 'tokenizer.json'), (j) => {
          const vocab = (j.model as { vocab: Record<string, number> }).vocab;
          vocab['--'] = vocab['-'];
          delete vocab['-'];
        }),
      /the bad token "-" is not a single token in tokenizer.json/,
    ],
  ])('a checkpoint with %s is a CheckpointError and writes nothing', async (name, edit, message) => {
    const dir = await broken(name.replace(/\W+/g, '-'), edit);
    const target = join(tmp, `out-${name.replace(/\W+/g, '-')}`);
    const run = convertCheckpoint({
      checkpointDir: dir,
      outDir: target,
      family: 'user-turns',
      dtypes: ['fp32'],
    });
    await expect(run).rejects.toThrow(message);
    await expect(run).rejects.toBeInstanceOf(CheckpointError);
    expect(existsSync(target)).toBe(false);
  });

  it('refuses --family user-turns on a head that is not a causal LM', async () => {
    const dir = await broken('tc', async () => {}, 'token-classification');
    await expect(
      convertCheckpoint({
        checkpointDir: dir,
        outDir: join(tmp, 'out-tc'),
        family: 'user-turns',
        dtypes: ['fp32'],
      }),
    ).rejects.toThrow("--family user-turns does not fit this checkpoint's token-classification head");
  });

  it('notes --family user-turns when a causal LM with a chat template converts as token-pair', async () => {
    const dir = await broken('note', async () => {});
    const lines: string[] = [];
    await convertCheckpoint({
      checkpointDir: dir,
      outDir: join(tmp, 'out-note'),
      dtypes: ['fp32'],
      log: (l) => lines.push(l),
    });
    expect(lines.join('\n')).toContain('convert it with --family user-turns');
    expect(log.join('\n')).not.toContain('convert it with --family user-turns');
  });

  it('prm convert --family rejects an unknown family as a usage error', async () => {
    const r = await runPrm(['convert', t.dir], { out: join(tmp, 'x'), family: 'rlhflow' });
    expect(r.code).toBe(2);
    expect(r.err).toContain(
      '--family takes one of qwen-prm, value-head, token-pair, token-classification, user-turns; got "rlhflow".',
    );
  });
});
