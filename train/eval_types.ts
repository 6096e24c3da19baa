/**
 * ProcessBench metrics of the bundled model per injected error type, for its model card. It joins
 * a synth data file (with `error_type`) and the predictions `prm eval --out` wrote; it does not
 * run the model itself.
 *
 * Acc_correct is shared by all rows (the correct solutions); Acc_error and F1 are per error type.
 *
 * Run:
 *   node bin/prm.js synth --n 1000 --seed 4242 --out train/out/eval-4242.json
 *   node bin/prm.js eval --data train/out/eval-4242.json --model models/arith-prm-mini --dtype q4 \
 *     --out train/out/preds-q4.jsonl
 *   npx tsx train/eval_types.ts train/out/eval-4242.json train/out/preds-q4.jsonl
 */
import { readFileSync } from 'node:fs';
import { checkStep } from '../src/core/judge/index.ts';

/** Digits of the largest operand in the first computation of a step ("3+" for 3 or more), or "?". */
export function operandSize(step: string): string {
  const claim = checkStep(step).claims[0];
  if (!claim) return '?';
  const computed = claim.text.slice(0, claim.text.lastIndexOf('='));
  const digits = Math.max(0, ...(computed.replace(/,/g, '').match(/\d+/g) ?? []).map((d) => d.length));
  return digits >= 3 ? '3+' : String(digits);
}

/** The operation of the first computation of a step (`a op b = c`), or "?" when there is none. */
export function operation(step: string): string {
  const claim = checkStep(step).claims[0];
  if (!claim) return '?';
  const computed = claim.text.slice(0, claim.text.lastIndexOf('='));
  if (/[×x*·]/.test(computed)) return 'multiply';
  if (/[÷/]/.test(computed)) return 'divide';
  if (/[−-]/.test(computed)) return 'subtract';
  if (computed.includes('+')) return 'add';
  return '?';
}

interface Pred {
  id: string;
  label: number;
  prediction: number;
}

interface Item {
  id: string;
  error_type: string;
  label: number;
  steps: string[];
}

/** One row of the per-type table: Acc_correct is the same in every row (the correct solutions). */
export interface TypeRow {
  name: string;
  n: number;
  accError: number;
  accCorrect: number;
  f1: number;
}

function f1(a: number, b: number): number {
  return a + b === 0 ? 0 : (2 * a * b) / (a + b);
}

function readRecords<T>(file: string): T[] {
  // A JSON list (prm synth) or JSONL (test/data/handwritten.jsonl, prm eval --out).
  const text = readFileSync(file, 'utf8');
  if (text.trimStart().startsWith('[')) return JSON.parse(text) as T[];
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}

/**
 * Rows per error type, `all`, then arithmetic errors by operation and by operand size, from a
 * data file with `error_type` and the predictions `prm eval --out` wrote for it.
 *
 * @example
 * typeRows('eval-4242.json', 'preds.jsonl')[0]; // { name: 'arithmetic', n: 103, accError: 0.369, ... }
 */
export function typeRows(dataFile: string, predsFile: string): TypeRow[] {
  const data = readRecords<Item>(dataFile);
  const preds = new Map(readRecords<Pred>(predsFile).map((p) => [p.id, p]));
  const missing = data.filter((d) => !preds.has(d.id));
  if (missing.length)
    throw new Error(`${missing.length} items of ${dataFile} have no prediction in ${predsFile}.`);
  const hit = (d: Item): boolean => preds.get(d.id)!.prediction === d.label;
  const share = (xs: Item[]): number => xs.filter(hit).length / Math.max(xs.length, 1);
  const accCorrect = share(data.filter((d) => d.label === -1));
  const row = (name: string, n: number, items: Item[]): TypeRow => {
    const accError = share(items);
    return { name, n, accError, accCorrect, f1: f1(accError, accCorrect) };
  };
  const errors = data.filter((d) => d.label !== -1);
  const types = [...new Set(errors.map((d) => d.error_type))].sort();
  const rows = types.map((t) => {
    const items = data.filter((d) => d.error_type === t);
    return row(t, items.length, items);
  });
  rows.push(row('all', data.length, errors));
  // Arithmetic errors by the size of the wrong step's operands: which computations it checks.
  const arithmetic = data.filter((d) => d.error_type === 'arithmetic');
  for (const op of ['add', 'subtract', 'multiply', 'divide']) {
    const items = arithmetic.filter((d) => operation(d.steps[d.label]) === op);
    if (items.length > 0) rows.push(row(`arithmetic, ${op}`, items.length, items));
  }
  for (const size of ['1', '2', '3+', '?']) {
    const items = arithmetic.filter((d) => operandSize(d.steps[d.label]) === size);
    if (items.length === 0) continue;
    const name =
      size === '?'
        ? 'arithmetic, no a op b = c found'
        : `arithmetic, largest operand ${size} digit${size === '1' ? '' : 's'}`;
    rows.push(row(name, items.length, items));
  }
  return rows;
}

function main(): void {
  const [dataFile, predsFile] = process.argv.slice(2);
  if (!dataFile || !predsFile) {
    console.error('usage: npx tsx train/eval_types.ts DATA.json PREDS.jsonl');
    process.exit(2);
  }
  const rows = typeRows(dataFile, predsFile);
  const pct = (x: number): string => (100 * x).toFixed(1);
  console.log('| error type | n | Acc_error | Acc_correct | F1 |');
  for (const r of rows)
    console.log(`| ${r.name} | ${r.n} | ${pct(r.accError)} | ${pct(r.accCorrect)} | ${pct(r.f1)} |`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
