/**
 * `prm eval --judge arithmetic`: the PRM beside the exact arithmetic checker on the same items,
 * as JSON and as text: ProcessBench metrics of each judge and their combinations, the step
 * agreement matrix and the steps where they disagree. The numbers come from
 * src/core/judge/consensus.ts; this file only lays them out.
 */
import { judgeArithmetic } from '../../core/judge/index.ts';
import { judgedEvaluation, type JudgedEvaluation } from '../../core/judge/consensus.ts';
import type { Evaluation } from '../../core/metrics.ts';
import type { ProcessBenchItem } from '../../core/types.ts';

const COMBINATIONS = [
  ['checker', 'checker alone'],
  ['prm', 'PRM alone'],
  ['either', 'first error of either'],
  ['both', 'only where both agree'],
] as const;

const num = (x: number): number | null => (Number.isFinite(x) ? x : null);
const pct = (x: number): string => (Number.isFinite(x) ? (100 * x).toFixed(1) : '-');

/**
 * Runs the checker over `items` and sets it beside the PRM's `rewards` (keyed by `key(item)`);
 * items without rewards (not scored) are left out, as they are from the PRM's metrics.
 */
export function judgeItems(
  items: ProcessBenchItem[],
  rewards: Map<string, number[]>,
  key: (item: ProcessBenchItem) => string,
  threshold: number,
): JudgedEvaluation {
  const rows = items.flatMap((item) => {
    const r = rewards.get(key(item));
    return r ? [{ item, rewards: r, judgement: judgeArithmetic(item.steps) }] : [];
  });
  return judgedEvaluation(rows, threshold);
}

const metricsJson = (ev: Evaluation) => ({
  subsets: Object.fromEntries(
    ev.subsets.map((s) => [
      s.subset,
      { n: s.n, acc_error: num(s.acc_error), acc_correct: num(s.acc_correct), f1: num(s.f1) },
    ]),
  ),
  average_f1: num(ev.average_f1),
});

/** The `"judge"` member of `prm eval --judge arithmetic --json`. */
export function judgeJson(je: JudgedEvaluation) {
  return {
    name: 'arithmetic',
    combinations: Object.fromEntries(COMBINATIONS.map(([k]) => [k, metricsJson(je.metrics[k])])),
    agreement: je.matrix,
    disagreements: je.disagreements,
  };
}

function align(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) => r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '))
    .join('\n');
}

/** The text report: combinations table, agreement matrix, the first `shown` disagreements. */
export function judgeTable(je: JudgedEvaluation, shown = 20): string {
  const rows = [['judge', 'subset', 'Acc_error', 'Acc_correct', 'F1']];
  for (const [k, label] of COMBINATIONS) {
    const ev = je.metrics[k];
    for (const s of ev.subsets) rows.push([label, s.subset, pct(s.acc_error), pct(s.acc_correct), pct(s.f1)]);
    if (ev.subsets.length > 1) rows.push([label, 'average', '', '', pct(ev.average_f1)]);
  }
  const m = je.matrix;
  const matrix = [
    ['steps', '', 'checker wrong', 'checker right', 'no check'],
    ['PRM wrong', '', String(m.prm_wrong.wrong), String(m.prm_wrong.right), String(m.prm_wrong.none)],
    ['PRM fine', '', String(m.prm_fine.wrong), String(m.prm_fine.right), String(m.prm_fine.none)],
  ];
  const d = je.disagreements;
  const lines = d
    .slice(0, shown)
    .map(
      (x) =>
        `  ${x.subset}/${x.id} step ${x.step + 1} (label ${x.label === -1 ? 'correct' : `error at step ${x.label + 1}`}): ` +
        `${x.mark === 'only-checker' ? 'only the checker says wrong' : 'only the PRM says wrong'}, ` +
        `reward ${x.reward.toFixed(3)}; ${x.claims.join('; ')}`,
    );
  return [
    '',
    'PRM and arithmetic checker (--judge arithmetic):',
    align(rows),
    '',
    align(matrix),
    '',
    `${d.length} disagreements on checked steps${d.length > shown ? ` (first ${shown}; --json lists all)` : ''}:`,
    ...lines,
    '',
  ].join('\n');
}
