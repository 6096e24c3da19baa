/**
 * Ships a trained checkpoint as the bundled demo model in one step, and measures it for its card.
 *
 *   npx tsx train/ship.ts CKPT [--model models/arith-prm-mini] [--skip-tests] [--work DIR]
 *     [--written DIR] (the hand-written training records CKPT was trained on: their words join
 *     the domain's word list)
 *   npx tsx train/ship.ts --eval-only [--model DIR] [--work DIR]  # the figures of a folder as it is
 *
 * CKPT is a train_prm.py checkpoint folder (Hugging Face files + golden.json). Steps:
 * 1. `prm convert CKPT` (fp32 + q4, the flags of `demoSpec()` in ./prepare.ts) into a fresh work
 *    folder under train/out/ship/, then into the model folder: only files prm convert writes are
 *    replaced or removed there, the committed model card (README.md) is kept, golden.json comes
 *    from CKPT. Any other entry in the model folder stops the script before anything changes.
 * 2. prm.json `domain` through ./domain.ts (in-domain data: `prm synth --n 2000 --seed 5000`).
 * 3. The model card's figures, printed and written to the work folder (figures.md, figures.json):
 *    ProcessBench metrics at threshold 0.5 for `prm synth --n 1000 --seed 4242` in both wordings
 *    (q4 and fp32), per error type and per operand size (./eval_types.ts), the hand-written set
 *    test/data/handwritten.jsonl (q4, once per model: never used to choose anything), q4 and fp32
 *    against the PyTorch golden probabilities and each other, and the folder's size.
 * 4. The unit tests that read the bundled model (MODEL_TESTS), unless --skip-tests.
 *
 * A TypeScript script rather than shell: it reuses prm convert's own rule for which files in a
 * model folder are its (src/convert/out-folder.ts) and the app's onnxruntime-node runner, and it
 * reads the JSON the CLI prints instead of scraping text.
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CONVERTED_MARK } from '../src/convert/convert-core.ts';
import { foreignEntries } from '../src/convert/out-folder.ts';
import { checkDomain, datasetOutsideDomain } from '../src/core/domain.ts';
import { parseProcessBench } from '../src/core/processbench.ts';
import { stepRewards } from '../src/core/rewards.ts';
import { readModelSpec } from '../src/node/model.ts';
import { createOrtRunner } from '../src/node/ort-node.ts';
import { typeRows, type TypeRow } from './eval_types.ts';
import { demoSpec, GOLDEN_SEED, toExample } from './prepare.ts';
import { synthesize } from '../src/core/synth/index.ts';
import { loadTokenizerDir } from '../src/node/tokenizer-files.ts';

const ROOT = resolve(import.meta.dirname, '..');
const PRM = join(ROOT, 'bin/prm.js');
/** Entries of the model folder that prm convert does not write and this script keeps. */
const KEPT = ['README.md', 'golden.json'];
const EVAL_SEED = 4242;
const DOMAIN_SEED = 5000;
const HANDWRITTEN = join(ROOT, 'test/data/handwritten.jsonl');
/** Unit tests that read models/arith-prm-mini (grep the tests for the folder name to refresh). */
export const MODEL_TESTS = [
  'test/train/golden.test.ts',
  'test/train/examples.test.ts',
  'test/cli/domain.test.ts',
  'test/core/domain.test.ts',
  'test/core/synth.test.ts',
  'test/hostile/text.test.ts',
];

export class ShipError extends Error {}

function sh(cmd: string, args: string[], opts: { capture?: boolean; nice?: boolean } = {}): string {
  const [c, a] = opts.nice ? ['nice', ['-n', '5', cmd, ...args]] : [cmd, args];
  console.log(`$ ${[c, ...a].join(' ')}`);
  const r = spawnSync(c, a, {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: opts.capture ? ['ignore', 'pipe', 'inherit'] : 'inherit',
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new ShipError(`${c} ${a.join(' ')} failed (exit ${r.status ?? r.signal}).`);
  return r.stdout ?? '';
}

const prm = (args: string[], capture = false): string => sh('node', [PRM, ...args], { capture });
const tsx = (args: string[], capture = false): string =>
  sh(join(ROOT, 'node_modules/.bin/tsx'), args, { capture });

/** Why `dir` cannot take a new model, or undefined: it may hold only convert's files and KEPT. */
export function targetProblem(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  if (!statSync(dir).isDirectory()) return `${dir} is not a folder.`;
  const foreign = foreignEntries(dir).filter((e) => !(KEPT.includes(e) && lstatSync(join(dir, e)).isFile()));
  if (foreign.length > 0)
    return `${dir} holds ${foreign.join(', ')}, which neither prm convert writes nor this script keeps (${KEPT.join(', ')}); move them out and run again.`;
  const spec = join(dir, 'prm.json');
  if (existsSync(spec) && !readFileSync(spec, 'utf8').includes(CONVERTED_MARK))
    return `${spec} was not written by prm convert; move the folder away and run again.`;
  return undefined;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort();
}

/** Puts the converted folder `staged` into `target`, keeping KEPT; returns the files removed. */
export function install(staged: string, target: string, golden: string): string[] {
  const problem = targetProblem(target);
  if (problem) throw new ShipError(problem);
  mkdirSync(join(target, 'onnx'), { recursive: true });
  const fresh = new Set(filesUnder(staged));
  // targetProblem left only convert's files besides KEPT, so what the new conversion lacks is ours.
  const removed = filesUnder(target).filter((f) => !fresh.has(f) && !KEPT.includes(f));
  for (const f of removed) rmSync(join(target, f));
  const put = (from: string, to: string): void => {
    const tmp = `${to}.ship-${process.pid}`;
    copyFileSync(from, tmp);
    renameSync(tmp, to);
  };
  for (const f of fresh) put(join(staged, f), join(target, f));
  put(golden, join(target, 'golden.json'));
  return removed;
}

interface Metrics {
  n: number;
  acc_error: number | null;
  acc_correct: number | null;
  f1: number | null;
}

/** Runs `prm eval`, or reads back the predictions an earlier run wrote to `out` (--work). */
function evalRun(model: string, data: string, dtype: string, out: string): Metrics {
  const json = existsSync(out)
    ? prm(['eval', '--preds', out, '--json'], true)
    : prm(['eval', '--data', data, '--model', model, '--dtype', dtype, '--out', out, '--json'], true);
  const r = JSON.parse(json) as { subsets: Record<string, Metrics> };
  const subsets = Object.values(r.subsets);
  if (subsets.length !== 1) throw new ShipError(`prm eval on ${data} gave ${subsets.length} subsets.`);
  return subsets[0];
}

interface GoldenItem {
  input_ids: number[];
  score_positions: number[];
  probs: number[];
}

/**
 * Why CKPT's golden inputs differ from what demoSpec() builds today, or null when they agree. A
 * checkpoint trained on prompts built another way (reverse_numbers, strip_step_labels, another
 * tokenizer) would be shipped with a prm.json that feeds it text it has never seen.
 */
export function promptMismatch(ckpt: string): string | null {
  const golden = JSON.parse(readFileSync(join(ckpt, 'golden.json'), 'utf8')) as { items: GoldenItem[] };
  const tokenizer = loadTokenizerDir(ckpt);
  const items = synthesize({ n: golden.items.length, seed: GOLDEN_SEED });
  const spec = demoSpec();
  const i = items.findIndex(
    (item, k) => toExample(tokenizer, spec, item).input_ids.join(',') !== golden.items[k].input_ids.join(','),
  );
  return i < 0
    ? null
    : `golden input ${i} of ${ckpt} is not the prompt demoSpec() (train/prepare.ts) builds for prm synth ` +
        `seed ${GOLDEN_SEED}: the checkpoint was trained on prompts built another way (reverse_numbers, ` +
        'strip_step_labels, the tokenizer or --golden-seed). Ship it with the spec it was trained with.';
}

/** Largest |Δp| of each ONNX variant against PyTorch and of q4 against fp32, on golden.json. */
async function goldenDiffs(model: string): Promise<Record<string, number>> {
  const golden = JSON.parse(readFileSync(join(model, 'golden.json'), 'utf8')) as { items: GoldenItem[] };
  const probs: Record<string, number[][]> = {};
  for (const [name, file] of [
    ['fp32', 'model.onnx'],
    ['q4', 'model_q4.onnx'],
  ]) {
    const runner = await createOrtRunner(join(model, 'onnx', file));
    try {
      probs[name] = [];
      // One input per run, as the app scores a solution (no padding).
      for (const item of golden.items) {
        const [o] = await runner.run([item.input_ids]);
        probs[name].push(stepRewards(o.logits, o.seqLen, item.score_positions));
      }
    } finally {
      await runner.dispose();
    }
  }
  const worst = (a: number[][], b: number[][]): number =>
    Math.max(...a.flatMap((row, i) => row.map((p, j) => Math.abs(p - b[i][j]))));
  const torch = golden.items.map((x) => x.probs);
  return {
    fp32_vs_torch: worst(probs.fp32, torch),
    q4_vs_torch: worst(probs.q4, torch),
    q4_vs_fp32: worst(probs.q4, probs.fp32),
  };
}

const pct = (x: number | null): string => (x === null ? '-' : (100 * x).toFixed(1));
const mb = (bytes: number): string => (bytes / 1e6).toFixed(2);

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      model: { type: 'string', default: 'models/arith-prm-mini' },
      'eval-only': { type: 'boolean', default: false },
      'skip-tests': { type: 'boolean', default: false },
      work: { type: 'string' },
      written: { type: 'string' },
    },
  });
  const model = resolve(ROOT, values.model as string);
  const evalOnly = values['eval-only'] as boolean;
  if (evalOnly !== (positionals.length === 0) || positionals.length > 1)
    throw new ShipError(
      'usage: npx tsx train/ship.ts CKPT [--model DIR] [--skip-tests] [--work DIR] | --eval-only [--model DIR] [--work DIR]',
    );
  const ckpt = positionals[0] ? resolve(positionals[0]) : undefined;
  if (ckpt && values.work)
    throw new ShipError('--work goes with --eval-only: a new model needs new figures.');
  if (ckpt) {
    for (const f of [
      'config.json',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
      'golden.json',
    ])
      if (!existsSync(join(ckpt, f)))
        throw new ShipError(`${ckpt} has no ${f}; give a train_prm.py checkpoint folder.`);
    const problem = targetProblem(model) ?? promptMismatch(ckpt);
    if (problem) throw new ShipError(problem);
  }
  const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
  // --work DIR (with --eval-only) writes the figures again from an earlier run's folder: its
  // data and predictions are read back, so no model is scored on the hand-written set twice.
  const work = values.work
    ? resolve(values.work)
    : join(ROOT, 'train/out/ship', `${ckpt ? basename(ckpt) : basename(model)}-${stamp}`);
  mkdirSync(work, { recursive: true });
  console.log(`work folder: ${relative(ROOT, work)}`);

  if (ckpt) {
    const spec = demoSpec();
    const staged = join(work, 'model');
    prm([
      'convert',
      ckpt,
      '--out',
      staged,
      '--dtype',
      spec.dtypes.join(','),
      '--name',
      spec.name,
      '--context-length',
      String(spec.context_length),
      ...(spec.strip_step_labels ? ['--strip-step-labels'] : []),
      ...(spec.reverse_numbers ? ['--reverse-numbers'] : []),
    ]);
    const removed = install(staged, model, join(ckpt, 'golden.json'));
    console.log(
      `installed ${relative(ROOT, ckpt)} into ${relative(ROOT, model)}` +
        (removed.length ? `; removed the old ${removed.join(', ')}` : ''),
    );
    const domainData = join(work, `synth-varied-${DOMAIN_SEED}.json`);
    if (!existsSync(domainData))
      prm(['synth', '--n', '2000', '--seed', String(DOMAIN_SEED), '--out', domainData]);
    tsx([
      'train/domain.ts',
      '--model',
      model,
      '--in-domain',
      domainData,
      ...(values.written ? ['--written', values.written] : []),
      '--write',
    ]);
  }

  const figures: Record<string, unknown> = {
    model: relative(ROOT, model),
    checkpoint: ckpt ? relative(ROOT, ckpt) : null,
  };
  const sets: [string, string][] = [];
  for (const wording of ['varied', 'plain']) {
    const data = join(work, `synth-${wording}-${EVAL_SEED}.json`);
    if (!existsSync(data))
      prm(['synth', '--n', '1000', '--seed', String(EVAL_SEED), '--wording', wording, '--out', data]);
    sets.push([`synth-${wording}`, data]);
  }
  const evals: Record<string, Record<string, Metrics>> = {};
  const types: Record<string, TypeRow[]> = {};
  for (const [name, data] of sets) {
    evals[name] = {};
    for (const dtype of ['q4', 'fp32']) {
      const preds = join(work, `preds-${name}-${dtype}.jsonl`);
      evals[name][dtype] = evalRun(model, data, dtype, preds);
      types[`${name} ${dtype}`] = typeRows(data, preds);
    }
  }
  // The hand-written set: q4 (what the app runs), once per model.
  const hwPreds = join(work, 'preds-handwritten-q4.jsonl');
  evals.handwritten = { q4: evalRun(model, HANDWRITTEN, 'q4', hwPreds) };
  types['handwritten q4'] = typeRows(HANDWRITTEN, hwPreds);
  figures.evals = evals;
  figures.types = types;

  // How much of each set the out-of-domain notice would flag (the token limit aside), and the
  // hand-written set split by that check: does the model do better where no notice shows?
  const domain = readModelSpec(model).domain;
  const outside: Record<string, string> = {};
  const hwSplit: string[] = [];
  if (domain) {
    for (const [name, data] of [...sets, ['handwritten', HANDWRITTEN]]) {
      const r = datasetOutsideDomain(domain, parseProcessBench(readFileSync(data, 'utf8'), data));
      outside[name] = `${r.outside}/${r.total}`;
    }
    const items = parseProcessBench(readFileSync(HANDWRITTEN, 'utf8'), HANDWRITTEN);
    const pred = new Map(
      readFileSync(hwPreds, 'utf8')
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as { id: string; prediction: number })
        .map((p) => [p.id, p.prediction]),
    );
    for (const inside of [true, false]) {
      const xs = items.filter((x) => checkDomain(domain, x.problem, x.steps).inside === inside);
      const right = xs.filter((x) => x.label === -1);
      const wrong = xs.filter((x) => x.label !== -1);
      const hits = (ys: typeof xs): number => ys.filter((x) => pred.get(x.id) === x.label).length;
      hwSplit.push(
        `${inside ? 'inside' : 'outside'} the domain (${xs.length}): ${hits(right)} of ${right.length} ` +
          `right solutions pass, ${hits(wrong)} of ${wrong.length} first errors are found`,
      );
    }
  }
  figures.outside_domain = outside;
  figures.handwritten_by_domain = hwSplit;

  const diffs = await goldenDiffs(model);
  figures.golden_max_abs_diff = diffs;
  const sizes = Object.fromEntries(filesUnder(model).map((f) => [f, statSync(join(model, f)).size]));
  const total = Object.values(sizes).reduce((a, b) => a + b, 0);
  figures.sizes = { ...sizes, total };

  const card = cardFigures({ evals, types, outside, hwSplit, diffs, sizes, total });
  const detail = Object.entries(types).flatMap(([name, rows]) => [
    `### ${name}`,
    '',
    '| error type | n | Acc_error | Acc_correct | F1 |',
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.name} | ${r.n} | ${pct(r.accError)} | ${pct(r.accCorrect)} | ${pct(r.f1)} |`),
    '',
  ]);
  const title = `## ${figures.model}${ckpt ? ` from ${figures.checkpoint}` : ''}`;
  writeFileSync(join(work, 'figures.md'), [title, '', card, '', ...detail].join('\n'));
  writeFileSync(join(work, 'figures.json'), JSON.stringify(figures, null, 2) + '\n');
  console.log(`\n${title}\n\n${card}\n\n${detail.join('\n')}`);
  console.log(`figures: ${relative(ROOT, join(work, 'figures.md'))}`);
  if (ckpt) {
    const cardFile = join(model, 'README.md');
    if (writeCardFigures(cardFile, card, basename(ckpt))) console.log(`updated the figures in ${cardFile}`);
    else console.log(`${cardFile} has no ${BEGIN} ... ${END} block; copy the figures by hand.`);
  }

  if (ckpt && !values['skip-tests']) sh('npx', ['vitest', 'run', ...MODEL_TESTS], { nice: true });
}

const BEGIN = '<!-- figures: begin';
const END = '<!-- figures: end -->';

/** Replaces the block between BEGIN and END in the model card; false when it has none. */
export function writeCardFigures(file: string, figures: string, source: string): boolean {
  if (!existsSync(file)) return false;
  const text = readFileSync(file, 'utf8');
  const a = text.indexOf(BEGIN);
  const b = text.indexOf(END);
  if (a < 0 || b < a) return false;
  const head = `${BEGIN} (written by train/ship.ts from ${source}; edit the script, not this block) -->`;
  writeFileSync(file, `${text.slice(0, a)}${head}\n\n${figures}\n\n${text.slice(b)}`);
  return true;
}

interface CardInput {
  evals: Record<string, Record<string, Metrics>>;
  types: Record<string, TypeRow[]>;
  outside: Record<string, string>;
  hwSplit: string[];
  diffs: Record<string, number>;
  sizes: Record<string, number>;
  total: number;
}

/** The model card's measured figures as Markdown. */
function cardFigures(x: CardInput): string {
  const m = (set: string, dtype: string): Metrics | undefined => x.evals[set]?.[dtype];
  const row = (label: string, set: string): string => {
    const q = m(set, 'q4')!;
    const f = m(set, 'fp32');
    return `| ${label} | ${q.n} | ${pct(q.acc_error)} | ${pct(q.acc_correct)} | **${pct(q.f1)}** | ${f ? pct(f.f1) : '-'} |`;
  };
  const typeOf = (key: string, name: string): TypeRow | undefined =>
    x.types[key]?.find((r) => r.name === name);
  const names = (x.types['synth-varied q4'] ?? []).map((r) => r.name).filter((n) => n !== 'all');
  const cell = (key: string, name: string): string => {
    const r = typeOf(key, name);
    return r ? `${r.n} | ${pct(r.accError)}` : '- | -';
  };
  const hw = x.types['handwritten q4'] ?? [];
  const onnx = (f: string): string => `${mb(x.sizes[f] ?? 0)} MB`;
  const other = Object.entries(x.sizes)
    .filter(([f]) => !f.startsWith('onnx/'))
    .reduce((a, [, b]) => a + b, 0);
  return [
    '### Overall (threshold 0.5)',
    '',
    '| data | n | Acc_error q4 | Acc_correct q4 | F1 q4 | F1 fp32 |',
    '|---|---|---|---|---|---|',
    row('synth, varied wording (what it is trained on)', 'synth-varied'),
    row('synth, plain wording (the old generator forms)', 'synth-plain'),
    row('hand-written, `test/data/handwritten.jsonl`', 'handwritten'),
    '',
    '### Per error type and operand size (q4)',
    '',
    'Acc_error per row; Acc_correct is the overall one above.',
    '',
    '| error type | n varied | Acc_error varied | n plain | Acc_error plain | n hand-written | Acc_error hand-written |',
    '|---|---|---|---|---|---|---|',
    ...names.map(
      (n) =>
        `| ${n.replace(/_/g, ' ')} | ${cell('synth-varied q4', n)} | ${cell('synth-plain q4', n)} | ${
          hw.find((r) => r.name === n) ? cell('handwritten q4', n) : '- | -'
        } |`,
    ),
    '',
    '### The hand-written set and the domain check',
    '',
    `The domain check puts ${x.outside.handwritten ?? '-'} hand-written solutions outside the domain ` +
      `(synth varied ${x.outside['synth-varied'] ?? '-'}, plain ${x.outside['synth-plain'] ?? '-'}).`,
    ...x.hwSplit.map((l) => `- ${l[0].toUpperCase()}${l.slice(1)}.`),
    '',
    '### Size, quantization',
    '',
    `- \`onnx/model.onnx\` (fp32) ${onnx('onnx/model.onnx')}, \`onnx/model_q4.onnx\` (4-bit weights, ` +
      `block 32, float32 activations and embedding) ${onnx('onnx/model_q4.onnx')}, every other file ` +
      `${mb(other)} MB; the whole folder is ${mb(x.total)} MB (limit 30 MB).`,
    `- Max |Δp| on the 8 golden inputs (\`golden.json\`, \`test/train/golden.test.ts\`): fp32 vs ` +
      `PyTorch ${x.diffs.fp32_vs_torch.toExponential(1)} (test tolerance 1e-4), q4 vs PyTorch ` +
      `${x.diffs.q4_vs_torch.toFixed(3)} (tolerance 0.05), q4 vs fp32 ${x.diffs.q4_vs_fp32.toFixed(3)} ` +
      `(limit 0.05).`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: unknown) => {
    console.error(`ship: ${e instanceof ShipError ? e.message : (e as Error).stack}`);
    process.exit(1);
  });
}
