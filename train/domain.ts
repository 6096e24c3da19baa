/**
 * Sets a demo model's `prm.json` `domain` (src/core/domain.ts) from data: the word list is what
 * its training text uses, and each limit is the largest value seen on in-domain solutions
 * (a `prm synth` file of the generator the model was trained on), rounded up, so every in-domain
 * solution stays inside. It prints how much of each ProcessBench subset each limit puts outside,
 * which is the check that the limits separate the two. Never run it on test/data/handwritten.jsonl:
 * that set measures the model and must not tune anything.
 *
 * Run: npx tsx train/domain.ts --model models/arith-prm-mini --in-domain synth.json \
 *        [--words tokenizer|text] [--processbench ../shared/processbench] [--write]
 *   --words tokenizer: the whole-word entries of a WordLevel vocabulary (a closed-vocabulary
 *   model knows nothing else); text (default): every word of the in-domain file and of
 *   `prm synth` output for seeds 101, 202, 303 (20,000 problems each, what make_tokenizer reads)
 *   and, with --written DIR, of the hand-written training records there (./written.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { measureDomain, type DomainMeasure } from '../src/core/domain.ts';
import { createFamily } from '../src/core/families/index.ts';
import { parseProcessBench } from '../src/core/processbench.ts';
import { parseModelSpec } from '../src/core/spec.ts';
import { synthesize } from '../src/core/synth/index.ts';
import type { ModelDomain, ProcessBenchItem } from '../src/core/types.ts';
import { loadTokenizerDir } from '../src/node/tokenizer-files.ts';
import { loadWritten } from './written.ts';

export const DOMAIN_DESCRIPTION =
  'Everyday arithmetic word problems (shopping, money, time, distance, rates, sharing, recipes, ' +
  'collections, counts that go up and down, how many days or trips an amount takes, one-line ' +
  'problems of a single relation such as a rate and a time or a total and a group size, numbers ' +
  'given in words such as "twice", "a dozen" or "two weeks") with whole ' +
  'numbers and + - x / (exact division), one "a op b = c" computation ' +
  'per step, 1 to 8 computations in 2 to 8 steps, in the sentence templates, step labels, LaTeX ' +
  'and \\boxed{} answers of the prm synth generator.';

function quantile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.floor(p * (s.length - 1))))];
}

const roundUp = (x: number, grid: number): number => Math.ceil(x / grid - 1e-9) * grid;

function wordsOf(texts: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const t of texts) for (const w of t.toLowerCase().match(/\p{L}{2,}/gu) ?? []) out.add(w);
  return [...out].sort();
}

function measureAll(
  domain: ModelDomain,
  items: ProcessBenchItem[],
  build: (p: string, s: string[]) => number,
): DomainMeasure[] {
  return items.map((x) => measureDomain(domain, x.problem, x.steps, build(x.problem, x.steps)));
}

function main(): void {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: 'models/arith-prm-mini' },
      'in-domain': { type: 'string' },
      words: { type: 'string', default: 'text' },
      processbench: { type: 'string', default: '../shared/processbench' },
      written: { type: 'string' },
      write: { type: 'boolean', default: false },
    },
  });
  if (!values['in-domain'])
    throw new Error('give --in-domain FILE (prm synth output of the training generator).');
  const dir = values.model as string;
  const specPath = join(dir, 'prm.json');
  const raw = JSON.parse(readFileSync(specPath, 'utf8')) as Record<string, unknown>;
  const spec = parseModelSpec(raw, specPath);
  const tokenizer = loadTokenizerDir(dir);
  const family = createFamily(spec);
  const build = (p: string, s: string[]): number => family.build(tokenizer, p, s).inputIds.length;
  const inDomain = parseProcessBench(readFileSync(values['in-domain'] as string, 'utf8'), 'in-domain');

  let words: string[];
  if (values.words === 'tokenizer') {
    const vocab = (
      JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as {
        model: { vocab: Record<string, number> };
      }
    ).model.vocab;
    words = Object.keys(vocab).filter((w) => /^\p{L}{2,}$/u.test(w));
  } else {
    const texts: string[] = [];
    for (const x of inDomain) texts.push(x.problem, ...x.steps);
    for (const seed of [101, 202, 303])
      for (const x of synthesize({ n: 20000, seed })) texts.push(x.problem, ...x.steps);
    if (values.written) for (const x of loadWritten(values.written)) texts.push(x.problem, ...x.steps);
    words = wordsOf(texts);
  }
  const open: ModelDomain = {
    description: values.written
      ? DOMAIN_DESCRIPTION.replace(/\.$/, ', and in the words of its hand-written training problems.')
      : DOMAIN_DESCRIPTION,
    words,
    max_unknown_word_share: 1,
    max_steps_without_computation: 1,
    max_tokens: 1_000_000,
    whole_numbers_only: true,
  };
  const ins = measureAll(open, inDomain, build);
  const subsets = ['gsm8k', 'math', 'olympiadbench', 'omnimath'].map((name) => {
    const file = join(values.processbench as string, `${name}.json`);
    const items = parseProcessBench(readFileSync(file, 'utf8'), file);
    return { name, ms: measureAll(open, items, build) };
  });
  const pb = subsets.flatMap((x) => x.ms);
  // Each share limit: halfway between the largest in-domain value and ProcessBench's 5th
  // percentile, rounded to 0.05 (never below the in-domain maximum); the token limit: the
  // longest in-domain prompt plus a fifth, rounded up to 50.
  const limit = (f: (m: DomainMeasure) => number): number => {
    const inMax = Math.max(...ins.map(f));
    const pb5 = quantile(pb.map(f), 0.05);
    return Math.max(roundUp(inMax, 0.05), Math.round(((inMax + pb5) / 2) * 20) / 20);
  };
  const domain: ModelDomain = {
    ...open,
    max_unknown_word_share: limit((m) => m.unknownWordShare),
    max_steps_without_computation: limit((m) => m.stepsWithoutComputation),
    max_tokens: roundUp(Math.max(...ins.map((m) => m.tokens ?? 0)) * 1.2, 50),
  };
  const describe = (label: string, ms: DomainMeasure[]): void => {
    const q = (f: (m: DomainMeasure) => number): string =>
      [0, 0.05, 0.5, 1].map((p) => quantile(ms.map(f), p).toFixed(2)).join('/');
    console.log(
      `${label.padEnd(14)} ${String(ms.length).padStart(5)}  unknown-word share min/p5/median/max ${q((m) => m.unknownWordShare)}` +
        `  steps without computation ${q((m) => m.stepsWithoutComputation)}  tokens ${q((m) => m.tokens ?? 0)}` +
        `  non-whole ${ms.filter((m) => m.nonWholeNumbers).length}`,
    );
  };
  describe('in-domain', ins);
  for (const x of subsets) describe(x.name, x.ms);
  console.log(
    `limits: unknown words <= ${domain.max_unknown_word_share.toFixed(2)}, steps without computation <= ` +
      `${domain.max_steps_without_computation.toFixed(2)}, tokens <= ${domain.max_tokens}, whole numbers only; ${words.length} words`,
  );
  const w = (m: DomainMeasure): boolean => m.unknownWordShare > domain.max_unknown_word_share;
  const c = (m: DomainMeasure): boolean => m.stepsWithoutComputation > domain.max_steps_without_computation;
  const t = (m: DomainMeasure): boolean => (m.tokens ?? 0) > domain.max_tokens;
  const out = (m: DomainMeasure): boolean => w(m) || c(m) || t(m) || m.nonWholeNumbers;
  console.log('outside by:      n     words  no-comp  non-whole  tokens  any');
  for (const x of [{ name: 'in-domain', ms: ins }, ...subsets]) {
    const pct = (f: (m: DomainMeasure) => boolean): string =>
      `${((100 * x.ms.filter(f).length) / x.ms.length).toFixed(1)}%`.padStart(8);
    console.log(
      `${x.name.padEnd(13)} ${String(x.ms.length).padStart(5)} ${pct(w)} ${pct(c)} ${pct((m) => m.nonWholeNumbers)}   ${pct(t)} ${pct(out)}`,
    );
  }
  if (values.write) {
    raw.domain = domain;
    writeFileSync(specPath, JSON.stringify(raw, null, 2) + '\n');
    console.log(`wrote domain to ${specPath}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
