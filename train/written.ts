/**
 * Hand-written training records (`train/written/*.jsonl`, ProcessBench-style lines as in the dev
 * sets): problems and solutions written as people write them, the wording the generator cannot
 * reach. Read by prepare.ts --written; never the dev sets or test/data/handwritten.jsonl.
 *
 * Every record is checked with the app's arithmetic checker before it is used: a right solution
 * (label -1) and the steps before a first error must state no wrong computation, so a slip made
 * while writing the data does not become a "right" label.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkStep } from '../src/core/judge/index.ts';
import { carrySlip, slip, type ErrorType } from '../src/core/synth/inject.ts';
import type { Op } from '../src/core/synth/plan.ts';
import type { SynthItem } from '../src/core/synth/index.ts';
import type { Rng } from '../src/core/synth/rng.ts';

const TYPES = new Set<string>([
  'none',
  'arithmetic',
  'unsupported_number',
  'wrong_operation',
  'final_answer',
]);

/** The records of every .jsonl file in `dir`, checked; throws naming each bad record. */
export function loadWritten(dir: string): SynthItem[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort();
  if (files.length === 0) throw new Error(`--written ${dir} holds no .jsonl file.`);
  const items: SynthItem[] = [];
  const bad: string[] = [];
  for (const f of files) {
    readFileSync(join(dir, f), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (!line.trim()) return;
        const where = `${f}:${i + 1}`;
        let x: Record<string, unknown>;
        try {
          x = JSON.parse(line) as Record<string, unknown>;
        } catch {
          bad.push(`${where}: not JSON`);
          return;
        }
        const problem = x.problem;
        const steps = x.steps;
        const label = x.label;
        const type = x.error_type ?? (label === -1 ? 'none' : undefined);
        if (
          typeof problem !== 'string' ||
          !Array.isArray(steps) ||
          steps.length === 0 ||
          !steps.every((s) => typeof s === 'string' && s.trim()) ||
          typeof label !== 'number' ||
          !Number.isInteger(label) ||
          label < -1 ||
          label >= steps.length ||
          typeof type !== 'string' ||
          !TYPES.has(type) ||
          (type === 'none') !== (label === -1)
        ) {
          bad.push(`${where}: needs problem, non-empty steps, label -1..steps-1 and a matching error_type`);
          return;
        }
        const upTo = label === -1 ? steps.length : label;
        const wrong = (steps as string[]).slice(0, upTo).findIndex((s) => checkStep(s).verdict === 'wrong');
        if (wrong >= 0) {
          bad.push(
            `${where} (${String(x.id)}): step ${wrong} states a wrong computation before the labelled error`,
          );
          return;
        }
        items.push({
          id: `written-${String(x.id ?? where)}`,
          generator: 'synth',
          problem,
          steps: steps as string[],
          label,
          final_answer_correct: label === -1,
          error_type: type as ErrorType,
        });
      });
  }
  if (bad.length) throw new Error(`${bad.length} bad hand-written record(s) in ${dir}:\n${bad.join('\n')}`);
  return items;
}

/** A number after `=` (an optional `$` or `\$` first), the stated result of a step. */
const STATED = /(=\s*(?:\\?\$\s*)?)(\d{1,3}(?:,\d{3})+|\d+)(?![\d.,]\d)/g;

const OPS: Record<string, Op> = {
  '+': '+',
  '-': '-',
  '−': '-',
  '*': '*',
  '×': '*',
  x: '*',
  '/': '/',
  '÷': '/',
};

/**
 * The arithmetic-slip twin of a right solution: one step's stated result replaced by a pupil's
 * slip (a dropped carry where one applies, else the generator's `slip`), later steps carrying the
 * wrong number where they repeat it. Null when no step has a checked whole-number result.
 */
export function slipped(item: SynthItem, r: Rng): SynthItem | null {
  if (item.label !== -1) return null;
  // Each step with a checked whole-number claim and a stated result, read once.
  const candidates = item.steps.flatMap((step, k) => {
    const claims = checkStep(step).claims;
    const m = [...step.matchAll(STATED)].at(-1);
    return claims.some((c) => c.verdict === 'right' && /^\d+$/.test(c.computed)) && m
      ? [{ k, step, m, claim: claims.at(-1)! }]
      : [];
  });
  if (candidates.length === 0) return null;
  const { k, step, m, claim } = r.pick(candidates);
  const truth = Number(m[2].replace(/,/g, ''));
  const parts = claim.text.match(/^\s*(\d+)\s*([-+−*×x/÷])\s*(\d+)\s*=/);
  const op = parts ? OPS[parts[2]] : undefined;
  const carried =
    op && r.chance(0.35) ? carrySlip(op, Number(parts![1]), Number(parts![3]), r.chance(0.5)) : null;
  const wrong = carried ?? slip(r, truth);
  const write = (n: number): string => (m[2].includes(',') ? n.toLocaleString('en-US') : String(n));
  const at = m.index! + m[1].length;
  const steps = [...item.steps];
  steps[k] = step.slice(0, at) + write(wrong) + step.slice(at + m[2].length);
  if (checkStep(steps[k]).verdict !== 'wrong') return null;
  const same = new RegExp(`(?<![\\d.,])(?:${m[2]}|${String(truth)})(?![\\d]|[.,]\\d)`, 'g');
  for (let j = k + 1; j < steps.length; j++)
    steps[j] = steps[j].replace(same, (t) =>
      t.includes(',') ? wrong.toLocaleString('en-US') : String(wrong),
    );
  return {
    ...item,
    id: `${item.id}-slip`,
    steps,
    label: k,
    final_answer_correct: false,
    error_type: 'arithmetic',
  };
}
