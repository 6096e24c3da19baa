/**
 * Ships a trained checkpoint as the bundled demo model in one step, and measures it for its card.
 *
 *   npx tsx train/ship.ts CKPT [--model models/arith-prm-mini] [--skip-tests]
 *   npx tsx train/ship.ts --eval-only [--model DIR]      # the figures of a folder as it is
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
import { demoSpec } from './prepare.ts';

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

function evalRun(model: string, data: string, dtype: string, out: string): Metrics {
  const json = prm(
    ['eval', '--data', data, '--model', model, '--dtype', dtype, '--out', out, '--json'],
    true,
  );
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
    },
  });
  const model = resolve(ROOT, values.model as string);
  const evalOnly = values['eval-only'] as boolean;
  if (evalOnly !== (positionals.length === 0) || positionals.length > 1)
    throw new ShipError(
      'usage: npx tsx train/ship.ts CKPT [--model DIR] [--skip-tests] | --eval-only [--model DIR]',
    );
  const ckpt = positionals[0] ? resolve(positionals[0]) : undefined;
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
    const problem = targetProblem(model);
    if (problem) throw new ShipError(problem);
  }
  const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
  const work = join(ROOT, 'train/out/ship', `${ckpt ? basename(ckpt) : basename(model)}-${stamp}`);
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
    ]);
    const removed = install(staged, model, join(ckpt, 'golden.json'));
    console.log(
      `installed ${relative(ROOT, ckpt)} into ${relative(ROOT, model)}` +
        (removed.length ? `; removed the old ${removed.join(', ')}` : ''),
    );
    const domainData = join(work, `synth-varied-${DOMAIN_SEED}.json`);
    prm(['synth', '--n', '2000', '--seed', String(DOMAIN_SEED), '--out', domainData]);
    tsx(['train/domain.ts', '--model', model, '--in-domain', domainData, '--write']);
  }

  const figures: Record<string, unknown> = {
    model: relative(ROOT, model),
    checkpoint: ckpt ? relative(ROOT, ckpt) : null,
  };
  const md: string[] = [];
  const sets: [string, string][] = [];
  for (const wording of ['varied', 'plain']) {
    const data = join(work, `synth-${wording}-${EVAL_SEED}.json`);
    prm(['synth', '--n', '1000', '--seed', String(EVAL_SEED), '--wording', wording, '--out', data]);
    sets.push([`synth-${wording}`, data]);
  }
  const evals: Record<string, Record<string, Metrics>> = {};
  for (const [name, data] of sets) {
    evals[name] = {};
    for (const dtype of ['q4', 'fp32']) {
      const preds = join(work, `preds-${name}-${dtype}.jsonl`);
      evals[name][dtype] = evalRun(model, data, dtype, preds);
      const table = tsx(['train/eval_types.ts', data, preds], true);
      md.push(`### ${name} seed ${EVAL_SEED}, ${dtype}\n\n${table.trim()}\n`);
    }
  }
  // The hand-written set: q4 (what the app runs), once per model.
  const hwPreds = join(work, 'preds-handwritten-q4.jsonl');
  evals.handwritten = { q4: evalRun(model, HANDWRITTEN, 'q4', hwPreds) };
  md.push(`### handwritten, q4\n\n${tsx(['train/eval_types.ts', HANDWRITTEN, hwPreds], true).trim()}\n`);
  figures.evals = evals;
  // How much of each set the out-of-domain notice would flag (the token limit aside).
  const domain = readModelSpec(model).domain;
  const outside: Record<string, string> = {};
  for (const [name, data] of [...sets, ['handwritten', HANDWRITTEN]]) {
    const r = domain
      ? datasetOutsideDomain(domain, parseProcessBench(readFileSync(data, 'utf8'), data))
      : null;
    outside[name] = r ? `${r.outside}/${r.total}` : 'no domain';
  }
  figures.outside_domain = outside;
  // The hand-written set split by the domain check: does the model do better where no notice shows?
  const hwSplit: string[] = [];
  if (domain) {
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
        `${inside ? 'inside' : 'outside'} ${xs.length}: right solutions passed ${hits(right)}/${right.length}, ` +
          `first errors found ${hits(wrong)}/${wrong.length}`,
      );
    }
  }
  figures.handwritten_by_domain = hwSplit;

  const diffs = await goldenDiffs(model);
  figures.golden_max_abs_diff = diffs;
  const sizes = Object.fromEntries(filesUnder(model).map((f) => [f, statSync(join(model, f)).size]));
  const total = Object.values(sizes).reduce((a, b) => a + b, 0);
  figures.sizes = { ...sizes, total };

  const lines = [
    `## ${figures.model}${ckpt ? ` from ${figures.checkpoint}` : ''}`,
    '',
    '| data | dtype | n | Acc_error | Acc_correct | F1 |',
    '|---|---|---|---|---|---|',
    ...Object.entries(evals).flatMap(([name, byDtype]) =>
      Object.entries(byDtype).map(
        ([dtype, m]) =>
          `| ${name} | ${dtype} | ${m.n} | ${pct(m.acc_error)} | ${pct(m.acc_correct)} | ${pct(m.f1)} |`,
      ),
    ),
    '',
    `golden max |Δp|: fp32 vs PyTorch ${diffs.fp32_vs_torch.toExponential(1)}, q4 vs PyTorch ` +
      `${diffs.q4_vs_torch.toFixed(4)}, q4 vs fp32 ${diffs.q4_vs_fp32.toFixed(4)}`,
    `F1 q4 - fp32: ` +
      sets
        .map(([name]) => `${name} ${pct((evals[name].q4.f1 ?? 0) - (evals[name].fp32.f1 ?? 0))}`)
        .join(', '),
    `outside the domain: ${Object.entries(outside)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    ...hwSplit.map((l) => `handwritten, ${l}`),
    `folder: ${mb(total)} MB (${Object.entries(sizes)
      .map(([f, b]) => `${f} ${mb(b)}`)
      .join(', ')})`,
    '',
    ...md,
  ];
  writeFileSync(join(work, 'figures.md'), lines.join('\n') + '\n');
  writeFileSync(join(work, 'figures.json'), JSON.stringify(figures, null, 2) + '\n');
  console.log('\n' + lines.join('\n'));
  console.log(`figures: ${relative(ROOT, join(work, 'figures.md'))}`);

  if (ckpt && !values['skip-tests']) sh('npx', ['vitest', 'run', ...MODEL_TESTS], { nice: true });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: unknown) => {
    console.error(`ship: ${e instanceof ShipError ? e.message : (e as Error).stack}`);
    process.exit(1);
  });
}
