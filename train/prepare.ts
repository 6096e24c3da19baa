/**
 * Makes the pretokenized training data for train/train_prm.py: synthetic problems rendered with
 * the app's own qwen-prm prompt builder over the app's own tokenizer adapter, so the Python side
 * never tokenizes and sees exactly the ids the app will feed the ONNX model.
 *
 * Each JSONL line: {"input_ids": [...], "score_positions": [...], "step_labels": [1, 1, 0, ...],
 * "label": k, "error_type": "..."}; step_labels are 1 for a correct step and 0 for the first wrong
 * step and every step after it (ProcessBench convention).
 *
 * Run: npx tsx train/prepare.ts --train 60000 --val 1000 [--train-seed 1000] [--val-seed 2000]
 *        [--drill 0] [--drill-seed 1500] (arithmetic drill added to train.jsonl, ./drill.ts)
 *        [--drill-ops +:1,-:1,*:1,/:1] (drill operators and their weights)
 *        [--golden-seed 3000] [--tokenizer train/tokenizer] [--out train/data]
 *        [--word-noise P] (training problems only: a share P of them get people and objects
 *        renamed, and a share P of their steps one or two words replaced, from Debian's wamerican
 *        list, ./word-noise.ts; apt-get install -y wamerican)
 *        [--pairs P] (training problems only: a share P of them come as minimal pairs, a
 *        solution with one mistake and its twin without, synthPair in src/core/synth; word noise
 *        changes both twins alike)
 *        [--written DIR] (training only: the hand-written records of DIR/*.jsonl, ./written.ts,
 *        [--written-repeat K] times, copies after the first word-noised, plus
 *        [--written-slips K] arithmetic-slip twins of each right one)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { synthPair, synthesize, type SynthItem } from '../src/core/synth/index.ts';
import { createFamily } from '../src/core/families/index.ts';
import { defaultSpecFor } from '../src/core/spec.ts';
import type { ModelSpec, TokenizerLike } from '../src/core/types.ts';
import { loadTokenizerDir } from '../src/node/tokenizer-files.ts';
import { drill, parseDrillOps } from './drill.ts';
import { checkStep } from '../src/core/judge/index.ts';
import { reverseNumbers } from '../src/core/families/reverse-numbers.ts';
import { itemSeed, mulberry32, type Rng } from '../src/core/synth/rng.ts';
import { noiseWords, noisySteps, renameThings } from './word-noise.ts';
import { NAMES } from '../src/core/synth/kit.ts';
import { loadWritten, slipped } from './written.ts';

/** Debian's wamerican word list, the pool of --word-noise. */
const WORD_LIST = '/usr/share/dict/american-english';

/** Keeps the seeds of --pairs apart from those of the single training records. */
const PAIR_SALT = 0x2c1b3c6d;

/** The `prm synth` seed of the golden inputs (prepare.ts --golden-seed, train/ship.ts). */
export const GOLDEN_SEED = 3000;

/** The spec the bundled model is trained and shipped with (prm.json repeats these fields). */
export function demoSpec(): ModelSpec {
  return {
    format: 'prm-playground/1',
    name: 'arith-prm-mini',
    architecture: 'qwen2',
    dtypes: ['fp32', 'q4'],
    ...defaultSpecFor('qwen-prm'),
    context_length: 1024,
    strip_step_labels: true,
    reverse_numbers: true,
  };
}

export interface Example {
  input_ids: number[];
  score_positions: number[];
  /**
   * Positions and 1/0 targets along each step's stated result (resultDigits below): dense
   * training targets that ask the model to judge a computation digit by digit where it reads it.
   * Steps with no checked computation have none. Read only by train_prm.py --arith-weight.
   */
  arith_positions: number[];
  arith_labels: number[];
  /**
   * At each digit of arith_positions, the token id of the true result's digit there (what the
   * digit should be, read by train_prm.py --truth-weight); -100 where there is none (the token
   * after the result, digits beyond the true length).
   */
  arith_truth: number[];
  step_labels: number[];
  label: number;
  error_type: string;
}

/** One training example from one record, through the app's prompt builder. */
export function toExample(tokenizer: TokenizerLike, spec: ModelSpec, item: SynthItem): Example {
  const plan = createFamily(spec).build(tokenizer, item.problem, item.steps);
  const arith = resultDigits(tokenizer, spec, plan.inputIds, plan.scorePositions, item.steps);
  return {
    input_ids: plan.inputIds,
    score_positions: plan.scorePositions,
    arith_positions: arith.map((a) => a[0]),
    arith_labels: arith.map((a) => a[1]),
    arith_truth: arith.map((a) => a[2]),
    step_labels: item.steps.map((_, i) => (item.label === -1 || i < item.label ? 1 : 0)),
    label: item.label,
    error_type: item.error_type,
  };
}

/**
 * Dense targets for the stated result of each step's last computation (after its last "="), from
 * the exact checker's value (src/core/judge): at each of its digits (in the order the model reads
 * them: reversed when the spec sets reverse_numbers), 1 while every digit so far agrees with the
 * true result, else 0; and at the token after it, 1 if the whole result is right (unless that
 * token is the step's tag). Each comes with the token id of the true digit at that place (-100
 * where there is none).
 */
function resultDigits(
  tokenizer: TokenizerLike,
  spec: ModelSpec,
  ids: number[],
  scorePositions: number[],
  steps: string[],
): [number, number, number][] {
  const eq = tokenizer.tokenId('=');
  const digitOf = new Map(Array.from({ length: 10 }, (_, d) => [tokenizer.tokenId(String(d)), String(d)]));
  const out: [number, number, number][] = [];
  scorePositions.forEach((end, k) => {
    const from = k === 0 ? 0 : scorePositions[k - 1];
    const claim = checkStep(steps[k]).claims.at(-1);
    const truth = claim?.computed.replace(/,/g, '');
    const start = eq === undefined ? -1 : ids.lastIndexOf(eq, end - 1);
    if (!claim || claim.verdict === 'none' || !truth || !/^\d+$/.test(truth) || start <= from) return;
    // The stated result: skip up to three tokens ("$", "\$", "-") after "=", then the run of digits.
    let i = start + 1;
    while (i < end && i <= start + 3 && !digitOf.has(ids[i])) i++;
    const want = [...(spec.reverse_numbers ? reverseNumbers(truth) : truth)];
    let ok = true;
    let j = 0;
    for (; i < end && digitOf.has(ids[i]); i++, j++) {
      ok = ok && digitOf.get(ids[i]) === want[j];
      out.push([i, ok ? 1 : 0, j < want.length ? (tokenizer.tokenId(want[j]) ?? -100) : -100]);
    }
    if (j > 0 && i < end) out.push([i, ok && j === want.length ? 1 : 0, -100]);
  });
  return out;
}

function writeSet(path: string, tokenizer: TokenizerLike, spec: ModelSpec, items: SynthItem[]): number {
  let tokens = 0;
  const unk = tokenizer.tokenId('<unk>');
  const lines = items.map((it) => {
    // Drill examples get their own type so that --oversample arithmetic=K leaves them alone.
    const ex = {
      ...toExample(tokenizer, spec, it),
      ...(it.id.startsWith('drill-') ? { error_type: 'drill' } : {}),
    };
    if (unk !== undefined && ex.input_ids.includes(unk))
      throw new Error(`${it.id} encodes to <unk>: rebuild the tokenizer (npx tsx train/make_tokenizer.ts).`);
    tokens += ex.input_ids.length;
    return JSON.stringify(ex);
  });
  writeFileSync(path, lines.join('\n') + '\n');
  return tokens;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      train: { type: 'string', default: '60000' },
      val: { type: 'string', default: '1000' },
      'train-seed': { type: 'string', default: '1000' },
      'val-seed': { type: 'string', default: '2000' },
      'golden-seed': { type: 'string', default: String(GOLDEN_SEED) },
      drill: { type: 'string', default: '0' },
      'drill-seed': { type: 'string', default: '1500' },
      'drill-ops': { type: 'string', default: '+:1,-:1,*:1,/:1' },
      'word-noise': { type: 'string', default: '0' },
      pairs: { type: 'string', default: '0' },
      written: { type: 'string' },
      'written-repeat': { type: 'string', default: '1' },
      'written-slips': { type: 'string', default: '0' },
      tokenizer: { type: 'string', default: 'train/tokenizer' },
      out: { type: 'string', default: 'train/data' },
    },
  });
  const out = values.out as string;
  mkdirSync(out, { recursive: true });
  const tokenizer = loadTokenizerDir(values.tokenizer as string);
  const spec = demoSpec();
  const sets: [string, number, number][] = [
    ['train.jsonl', Number(values.train), Number(values['train-seed'])],
    ['val.jsonl', Number(values.val), Number(values['val-seed'])],
    ['golden.jsonl', 8, Number(values['golden-seed'])],
  ];
  const noise = Number(values['word-noise']);
  if (!(noise >= 0 && noise <= 1))
    throw new Error(`--word-noise must be a share between 0 and 1, got ${values['word-noise']}.`);
  if (noise > 0 && !existsSync(WORD_LIST))
    throw new Error(`--word-noise reads ${WORD_LIST}: install it with apt-get install -y wamerican.`);
  const pairShare = Number(values.pairs);
  if (!(pairShare >= 0 && pairShare <= 1))
    throw new Error(`--pairs must be a share between 0 and 1, got ${values.pairs}.`);
  const drillOps = parseDrillOps(values['drill-ops'] as string);
  const writtenRepeat = Number(values['written-repeat']);
  const writtenSlips = Number(values['written-slips']);
  if (
    !Number.isInteger(writtenRepeat) ||
    writtenRepeat < 1 ||
    !Number.isInteger(writtenSlips) ||
    writtenSlips < 0
  )
    throw new Error('--written-repeat must be a whole number >= 1 and --written-slips one >= 0.');
  const written = values.written ? loadWritten(values.written) : [];
  const pool = noise > 0 ? noiseWords(readFileSync(WORD_LIST, 'utf8')) : [];
  const noisy = (x: SynthItem, r: Rng): SynthItem => {
    const t = r.chance(noise) ? renameThings(x.problem, x.steps, r, pool, NAMES) : x;
    return { ...x, problem: t.problem, steps: noisySteps(t.steps, r, pool, noise) };
  };
  for (const [file, n, seed] of sets) {
    const pairs = file === 'train.jsonl' ? Math.round((n * pairShare) / 2) : 0;
    let items = synthesize({ n: n - 2 * pairs, seed });
    if (file === 'train.jsonl') {
      if (noise > 0) {
        const r = mulberry32(seed + 7);
        items = items.map((x) => noisy(x, r));
      }
      const r = mulberry32(seed + 11);
      for (let i = 0; i < pairs; i++) {
        const twins = synthPair(itemSeed(seed ^ PAIR_SALT, i), `pair-${i}`);
        const from = r.int(0, 0xffffffff);
        items.push(...twins.map((x) => (noise > 0 ? noisy(x, mulberry32(from)) : x)));
      }
      if (written.length) {
        // Copies after the first get word noise (when --word-noise is set), as synthetic ones do.
        const r = mulberry32(seed + 13);
        for (let c = 0; c < writtenRepeat; c++)
          items.push(
            ...written.map((x) => (c > 0 && noise > 0 ? noisy(x, r) : { ...x, id: `${x.id}-${c}` })),
          );
        for (let c = 0; c < writtenSlips; c++)
          for (const x of written) {
            const twin = slipped(x, r);
            if (twin)
              items.push(
                noise > 0 ? noisy({ ...twin, id: `${twin.id}-${c}` }, r) : { ...twin, id: `${twin.id}-${c}` },
              );
          }
      }
      items.push(...drill(Number(values.drill), Number(values['drill-seed']), drillOps));
    }
    const tokens = writeSet(join(out, file), tokenizer, spec, items);
    console.log(
      `${file}: ${items.length} examples, ${tokens} tokens (${(tokens / Math.max(items.length, 1)).toFixed(1)} per example)`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
