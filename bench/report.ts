/**
 * Turns benchmark runs into the checks and tables people read: reward agreement between backends
 * (max |Δ| against onnxruntime-node on the same variant, so a fast backend that scores wrong is
 * caught) and the Markdown report with ratios against onnxruntime-node in the same run.
 *
 * Pure functions over `BenchReport` data; no I/O, no timing.
 */
import type { AgreementRow, BackendName, BackendRun, BenchReport } from './types.ts';

/** Same ONNX file on another runtime: float differences only. */
export const SAME_VARIANT_TOLERANCE = 2e-3;

/**
 * The largest |a - b| over matching steps of matching solutions, and whether token counts differ.
 *
 * @example
 * maxAbsDiff([{ name: 's', tokens: 3, rewards: [0.5, 0.9] }], [{ name: 's', tokens: 3, rewards: [0.5, 0.8] }]);
 * // { diff: 0.1 (about), tokenMismatch: false }
 */
export function maxAbsDiff(
  a: { name: string; tokens: number; rewards: number[] }[],
  b: { name: string; tokens: number; rewards: number[] }[],
): { diff: number; tokenMismatch: boolean } {
  let diff = 0;
  let tokenMismatch = false;
  for (const x of a) {
    const y = b.find((s) => s.name === x.name);
    if (!y) continue;
    if (x.tokens !== y.tokens || x.rewards.length !== y.rewards.length) {
      tokenMismatch = true;
      continue;
    }
    x.rewards.forEach((r, i) => {
      const d = Math.abs(r - y.rewards[i]);
      diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
    });
  }
  return { diff, tokenMismatch };
}

/**
 * Agreement of every run with onnxruntime-node. `torchReference` (node on fp32, when the run used
 * a quantised variant) is what the fp32 PyTorch checkpoint is held against.
 *
 * @example
 * agreement(runs).filter((r) => !r.ok); // [] when every backend scored alike
 */
export function agreement(
  runs: BackendRun[],
  torchReference?: { dtype: string; solutions: { name: string; tokens: number; rewards: number[] }[] },
  torchTolerance = SAME_VARIANT_TOLERANCE,
): AgreementRow[] {
  const node = runs.find((r) => r.backend === 'node');
  if (!node) return [];
  return runs
    .filter((r) => r.backend !== 'node')
    .map((r) => {
      const ref = r.backend === 'torch' && torchReference ? torchReference : node;
      const tolerance = r.backend === 'torch' ? torchTolerance : SAME_VARIANT_TOLERANCE;
      const { diff, tokenMismatch } = maxAbsDiff(r.solutions, ref.solutions);
      return {
        backend: r.backend,
        against: `node ${ref.dtype}`,
        maxAbsDiff: diff,
        tokenMismatch,
        tolerance,
        ok: !tokenMismatch && diff <= tolerance,
      };
    });
}

const ms = (x: number | null | undefined): string =>
  x === null || x === undefined ? '-' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
const ratio = (x: number, base: number | undefined): string => (base ? `${(x / base).toFixed(2)}x` : '-');

/** The untimed runs before the timed ones, in words. */
function warmups(n: number): string {
  if (n === 0) return 'no warm-up run (the first timed run follows the cold one)';
  return n === 1 ? 'one warm-up run' : `${n} warm-up runs`;
}

/**
 * The Markdown report: machine and model, one row per backend and solution, agreement, app
 * figures and notes.
 *
 * @example
 * markdown(report).split('\n')[0]; // '# PRM scoring benchmark'
 */
export function markdown(report: BenchReport): string {
  const m = report.machine;
  const out: string[] = [
    '# PRM scoring benchmark',
    '',
    `${report.date} - ${m.cpus} CPU cores (${m.cpuModel}), ${m.memGB} GB RAM, ${m.gpu}; ${m.platform}, Node ${m.node}` +
      (m.chromium ? `, Chromium ${m.chromium}` : ''),
    '',
    `Model: ${report.model.name} (${report.model.family}, ${report.model.dtype}, ${(report.model.onnxBytes / 2 ** 20).toFixed(1)} MiB ONNX, context ${report.model.contextLength}) from ${report.model.dir}`,
    '',
    `Solutions: ${report.solutions.map((s) => `${s.name} ${s.tokens} tokens / ${s.steps} steps`).join(', ')}. ` +
      `Warm latency: median and p90 of ${report.repeats} runs after ${warmups(report.warmup)}; x = ratio to onnxruntime-node in this run.`,
    '',
    '| backend | solution | tokens | load ms | first score ms | warm median ms | p90 ms | tokens/s | vs node | in-worker ms | peak memory MiB |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const node = report.runs.find((r) => r.backend === 'node');
  for (const run of report.runs) {
    run.solutions.forEach((s, i) => {
      const base = node?.solutions.find((n) => n.name === s.name)?.medianMs;
      out.push(
        `| ${i === 0 ? run.label : ''} | ${s.name} | ${s.tokens} | ${i === 0 ? ms(run.loadMs) : ''} | ${i === 0 ? ms(run.firstScoreMs) : ''} | ` +
          `${ms(s.medianMs)} | ${ms(s.p90Ms)} | ${s.tokensPerSecond} | ${run.backend === 'node' ? '1.00x' : ratio(s.medianMs, base)} | ` +
          `${run.workerMedianMs?.[s.name] !== undefined ? ms(run.workerMedianMs[s.name]) : s.planMedianMs !== undefined && s.runMedianMs !== undefined ? `${ms(s.planMedianMs)} + ${ms(s.runMedianMs)}` : '-'} | ` +
          `${i === 0 ? (run.memory.peakMB ?? '-') : ''} |`,
      );
    });
  }
  for (const f of report.failures)
    out.push(`| ${f.backend} | FAILED: ${f.error.replace(/\|/g, '/')} | | | | | | | | | |`);
  out.push(
    '',
    'In-worker ms: browser = median time inside the worker (tokenize + run), the rest of warm latency is messaging; node = tokenize + run.',
    '',
  );
  out.push(
    'Peak memory: ' + [...new Set(report.runs.map((r) => `${r.backend}: ${r.memory.what}`))].join('; ') + '.',
    '',
  );
  if (report.agreement.length) {
    out.push(
      '## Same rewards?',
      '',
      '| backend | against | max abs diff | tolerance | ok |',
      '|---|---|---:|---:|---|',
    );
    for (const a of report.agreement) {
      out.push(
        `| ${a.backend} | ${a.against} | ${a.tokenMismatch ? 'token counts differ' : a.maxAbsDiff.toExponential(2)} | ${a.tolerance.toExponential(0)} | ${a.ok ? 'yes' : 'NO'} |`,
      );
    }
    out.push('');
  }
  if (report.app) {
    const a = report.app;
    out.push(
      '## The app',
      '',
      `- JavaScript before a model is chosen: ${(a.jsBeforeModel.gzipBytes / 1024).toFixed(1)} KiB gzip (${(a.jsBeforeModel.bytes / 1024).toFixed(1)} KiB raw) in ${a.jsBeforeModel.files.length} files (onnxruntime .wasm excluded)`,
      ...a.jsBeforeModel.files
        .slice(0, 8)
        .map((f) => `  - ${f.url}: ${(f.gzipBytes / 1024).toFixed(1)} KiB gzip`),
      `- Cold start to first score (${a.backend}, fresh browser context, navigation start -> first [data-reward] visible): ${a.coldStartToFirstScoreMs === null ? 'not measured' : `${a.coldStartToFirstScoreMs} ms`}` +
        (a.coldStartSamplesMs && a.coldStartSamplesMs.length > 1
          ? ` (median of ${a.coldStartSamplesMs.join(', ')} ms)`
          : '') +
        (a.navigationToReadyMs !== undefined
          ? ` (page ready with Score button: ${a.navigationToReadyMs} ms)`
          : ''),
      ...(a.error ? [`- app measurement error: ${a.error}`] : []),
      '',
    );
  }
  if (report.notes.length) out.push('## Notes', '', ...report.notes.map((n) => `- ${n}`), '');
  return out.join('\n');
}

/** Backends in report order. */
export function sortRuns(runs: BackendRun[], order: readonly BackendName[]): BackendRun[] {
  return [...runs].sort((a, b) => order.indexOf(a.backend) - order.indexOf(b.backend));
}
