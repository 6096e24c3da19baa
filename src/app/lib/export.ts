/**
 * What the Export menu writes: a JSON record of inputs, steps, rewards, model, backend and
 * threshold, and a CSV with one row per step. Pure functions from app data to text; the browser
 * part (downloads, SVG/PNG of the heatmap) lives in download.ts.
 *
 * Rewards are exported at full precision. When nothing has been scored (or the text changed
 * since), rewards are null: an export never pairs numbers with text they were not computed for.
 */
import { combineFirstErrors, consensusMark, type Mark } from '../../core/judge/consensus.ts';
import { describeClaim, judgeArithmetic, type Judgement } from '../../core/judge/index.ts';
import { firstError } from '../../core/rewards.ts';
import type { Aggregate, SegmentStrategy } from '../../core/types.ts';
import { rankSolutions } from './ranking.ts';
import type { RunModel, ScoredRun } from './run.ts';
import type { ScoringBackend } from '../../engine/protocol.ts';

export interface ExportInput {
  problem: string;
  solutions: string[];
  strategy: SegmentStrategy;
  /** Current step texts per solution. */
  steps: string[][];
  /** The run, or null; used only for the solutions whose `fresh` flag is true. */
  run: ScoredRun | null;
  fresh: boolean[];
  threshold: number;
  aggregate: Aggregate;
}

export interface ExportJson {
  format: 'prm-playground/export-1';
  inputs: { problem: string; solutions: string[]; strategy: SegmentStrategy };
  steps: string[][];
  /** p(correct) per step and solution; null where not scored for this text. */
  rewards: (number[] | null)[];
  first_error: (number | null)[];
  threshold: number;
  aggregate: { method: Aggregate; scores: (number | null)[]; picked: number | null };
  model: RunModel | null;
  backend: ScoringBackend | null;
  scored_at: string | null;
  /** The exact arithmetic checker per solution (`prm score --judge arithmetic`'s object). */
  judge: Judgement[];
  /** Checker and PRM per step, and the first step both call wrong; null where not scored. */
  consensus: { marks: (Mark[] | null)[]; first_error: (number | null)[] };
}

/**
 * The JSON export.
 *
 * @example
 * exportJson(input).rewards[0] // [0.998, 0.190, ...] or null
 */
export function exportJson(x: ExportInput): ExportJson {
  const rewards = x.steps.map((_, i) => (x.run && x.fresh[i] ? [...x.run.solutions[i].rewards] : null));
  const ranked = rankSolutions(
    rewards.map((r) => r ?? []),
    x.aggregate,
  );
  const anyScored = rewards.some((r) => r !== null);
  const judge = x.steps.map((s) => judgeArithmetic(s));
  return {
    format: 'prm-playground/export-1',
    inputs: { problem: x.problem, solutions: [...x.solutions], strategy: x.strategy },
    steps: x.steps.map((s) => [...s]),
    rewards,
    first_error: rewards.map((r) => (r ? firstError(r, x.threshold) : null)),
    threshold: x.threshold,
    aggregate: {
      method: x.aggregate,
      scores: ranked.map((r) => r.score),
      picked: ranked.find((r) => r.picked)?.solution ?? null,
    },
    model: anyScored && x.run ? x.run.model : null,
    backend: anyScored && x.run ? x.run.backend : null,
    scored_at: anyScored && x.run ? x.run.at : null,
    judge,
    consensus: {
      marks: rewards.map((r, i) =>
        r ? judge[i].steps.map((s, k) => consensusMark(r[k], x.threshold, s.verdict)) : null,
      ),
      first_error: rewards.map((r, i) => (r ? combineFirstErrors(r, x.threshold, judge[i]).both : null)),
    },
  };
}

/**
 * Quotes a CSV field (RFC 4180). Text that a spreadsheet would run as a formula (starting with
 * = + - @ or a control character) gets a leading apostrophe, the OWASP advice for CSV injection:
 * a shared link's text must not become a formula on someone else's machine.
 */
export function csvField(
  value: string | number | boolean | null,
  isText = typeof value === 'string',
): string {
  if (value === null) return '';
  let s = String(value);
  if (isText && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * The CSV export: header `solution,step,reward,first_error,aggregate,check,check_claims,consensus,text`,
 * one row per step; `check` is the arithmetic checker's right/wrong/none, `check_claims` its claims
 * in words, `consensus` the step's mark (empty where not scored).
 *
 * @example
 * exportCsv(input).split('\r\n')[1] // '1,1,0.9981,false,0.1904,right,3 + 4 = 7,both-fine,First step text'
 */
export function exportCsv(x: ExportInput): string {
  const j = exportJson(x);
  const lines = ['solution,step,reward,first_error,aggregate,check,check_claims,consensus,text'];
  j.steps.forEach((texts, i) => {
    texts.forEach((text, k) => {
      const reward = j.rewards[i]?.[k] ?? null;
      const first = j.first_error[i] === null ? null : j.first_error[i] === k;
      lines.push(
        [
          csvField(i + 1),
          csvField(k + 1),
          csvField(reward),
          csvField(first),
          csvField(j.aggregate.scores[i] ?? null),
          csvField(j.judge[i].steps[k].verdict),
          csvField(j.judge[i].steps[k].claims.map(describeClaim).join('; '), true),
          csvField(j.consensus.marks[i]?.[k] ?? null),
          csvField(text, true),
        ].join(','),
      );
    });
  });
  return lines.join('\r\n') + '\r\n';
}
