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
import { backendName, solutionLabel } from './labels.ts';
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
  /** Where the scores were computed when not in this browser (a shared link, the Evaluate view). */
  scores_from: string | null;
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
    scores_from: anyScored && x.run ? (x.run.origin ?? null) : null,
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

/** The CSV's columns, in order: the step table, then what makes a row readable on its own. */
export const CSV_COLUMNS = [
  'solution',
  'step',
  'reward',
  'first_error',
  'aggregate',
  'check',
  'check_claims',
  'consensus',
  'text',
  'threshold',
  'aggregate_method',
  'problem',
  'model',
  'dtype',
  'backend',
  'scored_at',
  'scores_from',
] as const;

/**
 * The CSV export: one header row (`CSV_COLUMNS`), then one row per step; `check` is the arithmetic
 * checker's right/wrong/none, `check_claims` its claims in words, `consensus` the step's mark
 * (empty where not scored). Every row also carries the threshold, the aggregate method, the
 * problem, model, dtype, backend and scoring time, so a spreadsheet (or a filtered or pasted
 * part of one) describes itself; one header row keeps it readable by every CSV reader.
 *
 * @example
 * exportCsv(input).split('\r\n')[1] // '1,1,0.9981,false,0.1904,right,3 + 4 = 7,both-fine,First step text,0.5,min,...'
 */
export function exportCsv(x: ExportInput): string {
  const j = exportJson(x);
  const context = [
    csvField(j.threshold),
    csvField(j.aggregate.method),
    csvField(j.inputs.problem, true),
    csvField(j.model?.name ?? null, true),
    csvField(j.model?.dtype ?? null),
    csvField(j.backend),
    csvField(j.scored_at),
    csvField(j.scores_from, true),
  ];
  const lines = [CSV_COLUMNS.join(',')];
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
          ...context,
        ].join(','),
      );
    });
  });
  return lines.join('\r\n') + '\r\n';
}

/**
 * The caption block under an exported heatmap (SVG, PNG): model, dtype, backend and date;
 * threshold and aggregate; the problem; each solution's first error and score; and its steps with
 * their rewards, so the picture reads on its own. Lines are cut to `maxChars`; after `maxSteps`
 * step lines the rest is left to the JSON and CSV exports, and the caption says so.
 *
 * @example
 * exportCaption(input)[0]; // 'Scored by demo-prm (q4) on WASM, 2025-01-01 00:00 UTC · PRM Playground'
 */
export function exportCaption(x: ExportInput, maxChars = 90, maxSteps = 24): string[] {
  const j = exportJson(x);
  const cut = (t: string, n = maxChars) => (t.length > n ? `${t.slice(0, n - 1)}…` : t);
  const flat = (t: string) => t.replace(/\s+/g, ' ').trim();
  const lines: string[] = [];
  const when = j.scored_at ? `${j.scored_at.slice(0, 10)} ${j.scored_at.slice(11, 16)} UTC` : '';
  lines.push(
    j.model
      ? cut(
          `Scored by ${j.model.name} (${j.model.dtype}) on ${backendName(j.backend ?? 'wasm')}${when ? `, ${when}` : ''}${j.scores_from ? ` (from ${j.scores_from})` : ''} · PRM Playground`,
        )
      : 'Not scored · PRM Playground',
  );
  lines.push(
    cut(
      `Threshold ${j.threshold.toFixed(2)} (a step at or below it is an error) · score: ${j.aggregate.method} of the steps`,
    ),
  );
  wrapWords(`Problem: ${flat(j.inputs.problem)}`, maxChars, 3).forEach((l, n) =>
    lines.push(n ? `  ${l}` : l),
  );
  let stepLines = 0;
  let left = 0;
  j.steps.forEach((steps, i) => {
    const r = j.rewards[i];
    const fe = j.first_error[i];
    const score = j.aggregate.scores[i];
    const verdict = !r
      ? 'not scored'
      : fe === -1 || fe === null
        ? `no step at or below ${j.threshold.toFixed(2)}`
        : `first error: step ${fe + 1} (reward ${r[fe].toFixed(3)})`;
    lines.push(
      cut(
        `${solutionLabel(i, j.steps.length)}: ${verdict}${r && score !== null ? `; ${j.aggregate.method} ${score.toFixed(3)}` : ''}${j.aggregate.picked === i && j.steps.length > 1 ? ' (picked)' : ''}`,
      ),
    );
    steps.forEach((text, k) => {
      if (stepLines >= maxSteps) {
        left++;
        return;
      }
      stepLines++;
      const reward = r?.[k] === undefined ? '  –  ' : r[k].toFixed(3);
      lines.push(cut(`  ${k + 1}. ${reward}${fe === k ? ' ✗' : '  '} ${flat(text)}`));
    });
  });
  if (left > 0) lines.push(`… ${left} more step${left === 1 ? '' : 's'}: see the JSON or CSV export.`);
  return lines;
}

/**
 * Splits `text` at spaces into at most `maxLines` lines of at most `width` characters (the later
 * lines two less, for their indent); words longer than half a line are cut into pieces, and
 * text left over ends the last line with "…".
 */
function wrapWords(text: string, width: number, maxLines: number): string[] {
  const half = Math.max(1, Math.floor(width / 2));
  const words = text
    .split(' ')
    .flatMap((w) => (w.length > half ? (w.match(new RegExp(`.{1,${half}}`, 'gu')) ?? []) : [w]));
  const lines: string[] = [];
  let line = '';
  let k = 0;
  for (; k < words.length; k++) {
    const room = lines.length ? width - 2 : width;
    const next = line ? `${line} ${words[k]}` : words[k];
    if (next.length <= room) {
      line = next;
      continue;
    }
    lines.push(line);
    line = words[k];
    if (lines.length === maxLines) break;
  }
  if (lines.length < maxLines) lines.push(line);
  else if (k < words.length) {
    const last = lines.length - 1;
    lines[last] = `${lines[last].slice(0, (last ? width - 2 : width) - 1)}…`;
  }
  return lines;
}
