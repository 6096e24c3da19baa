/**
 * What the Export menu writes: a JSON record of inputs, steps, rewards, model, backend and
 * threshold, and a CSV with one row per step. Pure functions from app data to text; the browser
 * part (downloads, SVG/PNG of the heatmap) lives in download.ts.
 *
 * Rewards are exported at full precision. When nothing has been scored (or the text changed
 * since), rewards are null: an export never pairs numbers with text they were not computed for.
 */
import { firstError } from '../../core/rewards.ts';
import type { Aggregate, SegmentStrategy } from '../../core/types.ts';
import { rankSolutions } from './ranking.ts';
import type { RunModel, ScoredRun } from './run.ts';
import type { Backend } from '../../engine/protocol.ts';

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
  backend: Backend | null;
  scored_at: string | null;
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
 * The CSV export: header `solution,step,reward,first_error,aggregate,text`, one row per step.
 *
 * @example
 * exportCsv(input).split('\r\n')[1] // '1,1,0.9981,false,0.1904,First step text'
 */
export function exportCsv(x: ExportInput): string {
  const j = exportJson(x);
  const lines = ['solution,step,reward,first_error,aggregate,text'];
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
          csvField(text, true),
        ].join(','),
      );
    });
  });
  return lines.join('\r\n') + '\r\n';
}
