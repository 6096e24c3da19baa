/**
 * Arithmetic drill for training the bundled model only: "solutions" that are nothing but
 * `a op b = c` lines, about half with one slipped result (the generator's own `slip` and
 * `carrySlip`). A word problem spends most of its tokens on words; a drill spends them on the
 * computations, so the next-token loss on its right lines is mostly arithmetic. Never shipped as
 * examples and never used for evaluation.
 */
import { mulberry32, type Rng } from '../src/core/synth/rng.ts';
import { carrySlip, slip } from '../src/core/synth/inject.ts';
import type { SynthItem } from '../src/core/synth/index.ts';
import type { Op } from '../src/core/synth/plan.ts';
import { GLYPHS } from '../src/core/synth/render.ts';

const PROBLEMS = ['Work out each calculation.', 'Compute these.', 'Check the sums.', 'Solve each one.'];

/** Operands of the sizes the generator uses: 1 to 3 digits, products and sums below 1,000,000. */
function computation(r: Rng, ops: readonly Op[]): [Op, number, number, number] {
  const size = (): number => [9, 99, 999][r.int(0, 2)];
  const op = r.pick(ops);
  if (op === '+' || op === '-') {
    const a = r.int(1, size());
    const b = r.int(1, size());
    return op === '+' ? ['+', a, b, a + b] : ['-', Math.max(a, b), Math.min(a, b), Math.abs(a - b)];
  }
  // Two-digit multipliers often enough that the tens of a product get checked, not only its units.
  const b = r.int(2, r.chance(0.55) ? 9 : 99);
  const c = r.int(2, size());
  return op === '*' ? ['*', c, b, b * c] : ['/', b * c, b, c];
}

const ALL_OPS: readonly Op[] = ['+', '-', '*', '/'];

/**
 * Reads `--drill-ops`: operators with whole-number weights, `+:1,-:1,*:2,/:2` (twice as many
 * products and quotients as sums and differences). Returns each operator repeated by its weight.
 */
export function parseDrillOps(spec: string): Op[] {
  const out: Op[] = [];
  for (const part of spec.split(',')) {
    const m = /^\s*([-+*/]):(\d+)\s*$/.exec(part);
    if (!m)
      throw new Error(
        `--drill-ops takes operators with whole-number weights like "+:1,-:1,*:2,/:2", got "${part}".`,
      );
    for (let i = 0; i < Number(m[2]); i++) out.push(m[1] as Op);
  }
  if (out.length === 0) throw new Error('--drill-ops gives every operator weight 0; give one a weight.');
  return out;
}

/**
 * `n` drill items from `seed`, in the shape prepare.ts turns into training examples; `ops` is
 * drawn from uniformly (repeat an operator to weight it, `parseDrillOps`).
 */
export function drill(n: number, seed: number, ops: readonly Op[] = ALL_OPS): SynthItem[] {
  const r = mulberry32(seed);
  const out: SynthItem[] = [];
  for (let i = 0; i < n; i++) {
    const lines = Array.from({ length: r.int(3, 8) }, () => computation(r, ops));
    const wrong = r.chance(0.5) ? r.int(0, lines.length - 1) : -1;
    const steps = lines.map(([op, a, b, c], k) => {
      const stated =
        k === wrong ? ((r.chance(0.35) ? carrySlip(op, a, b, r.chance(0.5)) : null) ?? slip(r, c)) : c;
      return `${a} ${r.pick(GLYPHS[op])} ${b} = ${stated}`;
    });
    out.push({
      id: `drill-${seed}-${i}`,
      generator: 'synth',
      problem: r.pick(PROBLEMS),
      steps,
      label: wrong,
      final_answer_correct: wrong === -1,
      error_type: wrong === -1 ? 'none' : 'arithmetic',
    });
  }
  return out;
}
