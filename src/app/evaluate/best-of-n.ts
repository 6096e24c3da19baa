/**
 * Best-of-N files and their summary. The accepted format (also documented in the view):
 *
 * A JSON list or JSONL of one record per candidate solution:
 *   `{ problem_id?, problem?, steps? | solution?, correct, answer?, rewards? }`
 * - `problem_id` (string or integer) groups candidates; without it the `problem` text does.
 * - `steps` (list of strings) or `solution` (one string, split into steps like the playground's
 *   "auto" segmentation); needed, with `problem`, when `rewards` is absent so the model can run.
 * - `correct` (true/false): whether the candidate's final answer is right.
 * - `answer` (string or number): its final answer, for majority vote; optional.
 * - `rewards` (list of numbers in 0..1): step scores already computed; no model run needed.
 *
 * Records of one problem need not be adjacent; problems keep the order of first appearance.
 * The pickers themselves (bestOfN, majorityVote, passAtN) live in core/metrics.ts.
 */
import {
  bestOfN,
  finalStepMinShare,
  majorityVote,
  passAtN,
  type CandidateGroup,
} from '../../core/metrics.ts';
import { DataError } from '../../core/processbench.ts';
import { segment } from '../../core/segment.ts';
import type { Aggregate } from '../../core/types.ts';
import { asObject, readRecords, show } from './records.ts';

export interface BonCandidate {
  /** Where the record was (`bon.jsonl line 3`), for messages. */
  where: string;
  steps?: string[];
  correct: boolean;
  answer?: string;
  rewards?: number[];
  /** Scored on its leading steps only (longer than the model's context). */
  truncated?: boolean;
}

export interface BonProblem {
  /** `problem_id`, or the problem text when there is none. */
  key: string;
  problem?: string;
  candidates: BonCandidate[];
}

export const BON_PICKERS: readonly Aggregate[] = ['min', 'product', 'last', 'mean'];

function fieldError(where: string, field: string, expected: string, value: unknown): DataError {
  return new DataError(`${where}: field "${field}" must be ${expected}, got ${show(value)}`);
}

function readSteps(where: string, obj: Record<string, unknown>): string[] | undefined {
  if (obj.steps !== undefined && obj.solution !== undefined) {
    throw new DataError(`${where}: give either "steps" (a list) or "solution" (a string), not both.`);
  }
  if (obj.steps !== undefined) {
    const v = obj.steps;
    if (!Array.isArray(v) || v.length === 0 || v.some((s) => typeof s !== 'string')) {
      throw fieldError(where, 'steps', 'a non-empty list of strings', v);
    }
    return v as string[];
  }
  if (obj.solution !== undefined) {
    if (typeof obj.solution !== 'string' || obj.solution.trim() === '') {
      throw fieldError(where, 'solution', 'a non-empty string', obj.solution);
    }
    return segment(obj.solution).map((s) => s.text);
  }
  return undefined;
}

function readCandidate(where: string, obj: Record<string, unknown>): BonCandidate {
  if (typeof obj.correct !== 'boolean') throw fieldError(where, 'correct', 'true or false', obj.correct);
  const c: BonCandidate = { where, correct: obj.correct };
  const steps = readSteps(where, obj);
  if (steps) c.steps = steps;
  if (obj.answer !== undefined) {
    if (typeof obj.answer !== 'string' && typeof obj.answer !== 'number') {
      throw fieldError(where, 'answer', 'a string or a number', obj.answer);
    }
    c.answer = String(obj.answer).trim();
  }
  if (obj.rewards !== undefined) {
    const r = obj.rewards;
    if (
      !Array.isArray(r) ||
      r.length === 0 ||
      r.some((x) => typeof x !== 'number' || !Number.isFinite(x) || x < 0 || x > 1)
    ) {
      throw fieldError(where, 'rewards', 'a non-empty list of numbers between 0 and 1', r);
    }
    if (steps && r.length > steps.length) {
      throw new DataError(
        `${where}: ${r.length} rewards for ${steps.length} steps; give at most one reward per step.`,
      );
    }
    c.rewards = r as number[];
  } else if (!steps) {
    throw new DataError(
      `${where}: no "rewards", so the model must score it: add "steps" (a list of strings) or "solution" (a string).`,
    );
  }
  return c;
}

function problemKey(where: string, obj: Record<string, unknown>): { key: string; problem?: string } {
  const id = obj.problem_id;
  const problem = obj.problem;
  if (problem !== undefined && (typeof problem !== 'string' || problem.trim() === '')) {
    throw fieldError(where, 'problem', 'a non-empty string', problem);
  }
  if (id === undefined) {
    if (problem === undefined)
      throw new DataError(`${where}: add "problem_id" or "problem" so candidates can be grouped by problem.`);
    return { key: problem as string, problem: problem as string };
  }
  if (!(typeof id === 'string' && id !== '') && !(typeof id === 'number' && Number.isInteger(id))) {
    throw fieldError(where, 'problem_id', 'a non-empty string or an integer', id);
  }
  return { key: String(id), problem: problem as string | undefined };
}

/**
 * Candidates grouped by problem. Throws `DataError` at the first bad record, naming its line.
 *
 * @example
 * parseBestOfN('{"problem_id":1,"steps":["a"],"correct":true,"rewards":[0.9]}\n{"problem_id":1,"steps":["b"],"correct":false,"rewards":[0.2]}', 'bon.jsonl');
 * // [{ key: '1', problem: undefined, candidates: [{ where: 'bon.jsonl line 1', ... }, { where: 'bon.jsonl line 2', ... }] }]
 */
export function parseBestOfN(text: string, sourceName: string): BonProblem[] {
  const groups = new Map<string, BonProblem>();
  for (const rec of readRecords(text, sourceName)) {
    const obj = asObject(rec);
    const { key, problem } = problemKey(rec.where, obj);
    const candidate = readCandidate(rec.where, obj);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, problem, candidates: [] }));
    if (problem !== undefined) {
      if (g.problem !== undefined && g.problem !== problem) {
        throw new DataError(
          `${rec.where}: problem_id ${show(key)} has a different "problem" text than ${g.candidates[0].where}.`,
        );
      }
      g.problem = problem;
    }
    g.candidates.push(candidate);
  }
  const problems = [...groups.values()];
  // Checked after grouping: a later record of the same problem may supply the text.
  for (const g of problems) {
    const unscored = g.candidates.find((c) => c.rewards === undefined);
    if (unscored && g.problem === undefined) {
      throw new DataError(
        `${unscored.where}: no "rewards" and no "problem" text for problem_id ${show(g.key)}; the model needs the problem to score it.`,
      );
    }
  }
  return problems;
}

/** Candidates still without rewards. */
export function unscoredCount(problems: readonly BonProblem[]): number {
  return problems.reduce((n, g) => n + g.candidates.filter((c) => c.rewards === undefined).length, 0);
}

export interface BonSummary {
  problems: number;
  candidates: number;
  /** Fewest and most candidates per problem (N). */
  nMin: number;
  nMax: number;
  /** Accuracy of picking the candidate with the highest aggregate, per aggregate. */
  pickers: { how: Aggregate; accuracy: number }[];
  /** maj@N, or null when some candidate has no `answer` (`majorityMissing` says how many). */
  majority: number | null;
  majorityMissing: number;
  passAtN: number;
  /** Expected accuracy of a uniformly random pick: the mean share of correct candidates. */
  random: number;
  /** Share of multi-step candidates whose lowest step score is the final step. */
  finalStepMin: { share: number; final: number; n: number };
}

/**
 * Accuracies of every picker over fully scored problems. Throws when a candidate lacks rewards
 * (run the model first).
 *
 * @example
 * bonSummary(problems).pickers.find((p) => p.how === 'min')?.accuracy;
 */
export function bonSummary(problems: readonly BonProblem[]): BonSummary {
  const groups: CandidateGroup[] = problems.map((g) => ({
    problemId: g.key,
    candidates: g.candidates.map((c) => {
      if (!c.rewards) throw new Error(`${c.where} has no rewards yet; score the file before summarising it.`);
      return { rewards: c.rewards, correct: c.correct, answer: c.answer };
    }),
  }));
  const sizes = groups.map((g) => g.candidates.length);
  const all = groups.flatMap((g) => g.candidates);
  const majorityMissing = all.filter((c) => c.answer === undefined || c.answer === '').length;
  return {
    problems: groups.length,
    candidates: all.length,
    nMin: Math.min(...sizes),
    nMax: Math.max(...sizes),
    pickers: BON_PICKERS.map((how) => ({ how, accuracy: bestOfN(groups, how).accuracy })),
    majority: majorityMissing === 0 ? majorityVote(groups).accuracy : null,
    majorityMissing,
    passAtN: passAtN(groups),
    random:
      groups.reduce((a, g) => a + g.candidates.filter((c) => c.correct).length / g.candidates.length, 0) /
      groups.length,
    finalStepMin: finalStepMinShare(all.map((c) => c.rewards)),
  };
}
