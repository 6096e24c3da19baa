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

interface Pred {
  id: string;
  label: number;
  prediction: number;
}

function f1(a: number, b: number): number {
  return a + b === 0 ? 0 : (2 * a * b) / (a + b);
}

function main(): void {
  const [dataFile, predsFile] = process.argv.slice(2);
  if (!dataFile || !predsFile) {
    console.error('usage: npx tsx train/eval_types.ts DATA.json PREDS.jsonl');
    process.exit(2);
  }
  // A JSON list (prm synth) or JSONL (test/data/handwritten.jsonl).
  const text = readFileSync(dataFile, 'utf8');
  const data = (
    text.trimStart().startsWith('[')
      ? JSON.parse(text)
      : text
          .split('\n')
          .filter((l) => l.trim())
          .map((l) => JSON.parse(l) as unknown)
  ) as { id: string; error_type: string; label: number; steps: string[] }[];
  const preds = new Map<string, Pred>();
  for (const line of readFileSync(predsFile, 'utf8').split('\n')) {
    if (line.trim()) {
      const p = JSON.parse(line) as Pred;
      preds.set(p.id, p);
    }
  }
  const missing = data.filter((d) => !preds.has(d.id));
  if (missing.length)
    throw new Error(`${missing.length} items of ${dataFile} have no prediction in ${predsFile}.`);
  const hit = (d: { id: string; label: number }): boolean => preds.get(d.id)!.prediction === d.label;
  const share = (xs: { id: string; label: number }[]): number =>
    xs.filter(hit).length / Math.max(xs.length, 1);
  const correct = data.filter((d) => d.label === -1);
  const accCorrect = share(correct);
  const rows: string[][] = [['error type', 'n', 'Acc_error', 'Acc_correct', 'F1']];
  const types = [...new Set(data.filter((d) => d.label !== -1).map((d) => d.error_type))].sort();
  const pct = (x: number): string => (100 * x).toFixed(1);
  for (const t of types) {
    const items = data.filter((d) => d.error_type === t);
    const acc = share(items);
    rows.push([t, String(items.length), pct(acc), pct(accCorrect), pct(f1(acc, accCorrect))]);
  }
  const errors = data.filter((d) => d.label !== -1);
  rows.push([
    'all',
    String(data.length),
    pct(share(errors)),
    pct(accCorrect),
    pct(f1(share(errors), accCorrect)),
  ]);
  // Arithmetic errors by the size of the wrong step's operands: which computations it checks.
  const arithmetic = data.filter((d) => d.error_type === 'arithmetic');
  for (const size of ['1', '2', '3+', '?']) {
    const items = arithmetic.filter((d) => operandSize(d.steps[d.label]) === size);
    if (items.length === 0) continue;
    const acc = share(items);
    const name =
      size === '?'
        ? 'arithmetic, no a op b = c found'
        : `arithmetic, largest operand ${size} digit${size === '1' ? '' : 's'}`;
    rows.push([name, String(items.length), pct(acc), pct(accCorrect), pct(f1(acc, accCorrect))]);
  }
  console.log(`correct solutions: ${correct.length}`);
  console.log(rows.map((r) => `| ${r.join(' | ')} |`).join('\n'));
}

if (import.meta.url === `file://${process.argv[1]}`) main();
