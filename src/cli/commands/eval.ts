/**
 * `prm eval`: ProcessBench metrics (Acc_error, Acc_correct, F1 per subset, unweighted average F1)
 * for a model on ProcessBench-format files (`--data`), or recomputed from a predictions file
 * without a model (`--preds`, e.g. to sweep the threshold).
 *
 * A thin shell: the scoring loop, resume and batching live in src/node/eval-run.ts, the metric
 * definitions in src/core/metrics.ts. This file parses flags, wires Ctrl-C and formats results.
 */
import path from 'node:path';
import { UsageError, type CliIO, type Command } from '../command.ts';
import { compareRewards, type RewardComparison } from '../../core/compare.ts';
import { evaluate, type Evaluation } from '../../core/metrics.ts';
import { parsePredictions } from '../../core/processbench.ts';
import { firstError } from '../../core/rewards.ts';
import {
  DEFAULT_BATCH,
  parseDtype,
  parseFlags,
  parseJudge,
  parsePositiveInt,
  parseServerFlags,
  parseThreshold,
  SERVER_FLAGS,
  SERVER_USAGE,
} from '../options.ts';
import { judgeItems, judgeJson, judgeTable } from './eval-judge.ts';
import { keyOf, loadEvalData, runEval } from '../../node/eval-run.ts';
import { readTextFile } from '../../node/files.ts';

const usage = `Usage:
  prm eval --data FILE... [options]
  prm eval --server URL --model NAME --prompt-from DIR --data FILE... [options]
  prm eval --preds FILE [--threshold T] [--json]
  prm eval --preds A.jsonl --against B.jsonl [--json]

Evaluates a process reward model on ProcessBench-format data (JSON list or JSONL of
{id, problem, steps, label, final_answer_correct}); the subset name comes from a "subset" field
or the file name (gsm8k.json -> gsm8k). Prints Acc_error, Acc_correct and F1 per subset and the
unweighted average F1, as ProcessBench defines them.

Data and model:
  --data FILE...        One or more data files (--data a.json b.json, or repeat --data).
  --model DIR           Converted model folder (default: the bundled model in models/);
                        with --server, the served model name.
  --dtype NAME          ONNX variant: fp32, fp16, q4, q4f16 (default q4 when present, else fp32).
  --threshold T         p(correct) at or below T marks a step wrong, 0..1 (default: the model's).
  --limit N             Only the first N items of each file.
  --batch N             Items per model run, or per request to a server (default ${DEFAULT_BATCH}).
  --concurrency N       With --server: requests in flight at once (default 8); vLLM batches them.

${SERVER_USAGE}

Predictions:
  --out FILE            Write one JSON line per item {id, subset, label, prediction, rewards,
                        model, dtype}. If FILE exists the run resumes: items already in it are
                        not scored again. Ctrl-C stops after the current batch (with --server:
                        cancels the requests in flight) and keeps FILE usable.
  --preds FILE          Recompute the metrics from such a file, without a model. With --threshold,
                        predictions are re-derived from the stored rewards (threshold sweep).
  --against FILE        With --preds: compare the two files' step rewards on their shared items
                        (e.g. a local q4 model against the server's bf16 weights): mean, p95 and
                        largest |difference| per subset, how often the first error is the same
                        step, each file's F1, and the largest differences.

Second judge:
  --judge arithmetic    Also run the exact arithmetic checker on every item and report the checker
                        alone, the PRM alone, the first error of either, and the first step both
                        call wrong (Acc_error, Acc_correct, F1 each), the step agreement matrix
                        and the steps where the two disagree. --json adds a "judge" object.

Output:
  --json                {"subsets": {NAME: {n, acc_error, acc_correct, f1}}, "average_f1",
                        "threshold", "model"} with fractions in 0..1 (null where undefined).
  -h, --help            This help.

Progress goes to stderr: a bar with items/s and time left on a terminal, a line every 5% otherwise.

Examples:
  prm eval --data ../shared/processbench/gsm8k.json --limit 100 --out preds.jsonl
  prm eval --preds preds.jsonl --threshold 0.3 --json
  prm eval --server http://127.0.0.1:8000 --model Qwen/Qwen2.5-Math-PRM-7B \\
           --prompt-from models/qwen-prm-7b --data ../shared/processbench/*.json \\
           --concurrency 16 --out preds-vllm.jsonl
`;

const flags = {
  data: { type: 'string', multiple: true },
  model: { type: 'string' },
  dtype: { type: 'string' },
  threshold: { type: 'string' },
  limit: { type: 'string' },
  batch: { type: 'string' },
  out: { type: 'string' },
  preds: { type: 'string' },
  against: { type: 'string' },
  judge: { type: 'string' },
  json: { type: 'boolean' },
  concurrency: { type: 'string' },
  ...SERVER_FLAGS,
} as const;

const num = (x: number): number | null => (Number.isFinite(x) ? x : null);
const pct = (x: number): string => (Number.isFinite(x) ? (100 * x).toFixed(1) : '-');

/**
 * The `--json` object: exactly subsets, average_f1, threshold, model.
 *
 * @example
 * evalJson(evaluate([{ subset: 'gsm8k', label: -1, prediction: -1 }]), 0.5, 'demo');
 * // { subsets: { gsm8k: { n: 1, acc_error: null, acc_correct: 1, f1: null } }, average_f1: null, threshold: 0.5, model: 'demo' }
 */
export function evalJson(ev: Evaluation, threshold: number | null, model: string | null) {
  return {
    subsets: Object.fromEntries(
      ev.subsets.map((s) => [
        s.subset,
        { n: s.n, acc_error: num(s.acc_error), acc_correct: num(s.acc_correct), f1: num(s.f1) },
      ]),
    ),
    average_f1: num(ev.average_f1),
    threshold,
    model,
  };
}

/**
 * The metrics as a text table, percentages with one decimal.
 *
 * @example
 * evalTable(evaluate([{ subset: 'gsm8k', label: 1, prediction: 1 }, { subset: 'gsm8k', label: -1, prediction: -1 }]));
 * // 'subset  n  Acc_error  Acc_correct  F1\ngsm8k  2  100.0  100.0  100.0\n...' (aligned)
 */
export function evalTable(ev: Evaluation): string {
  const rows = [
    ['subset', 'n', 'Acc_error', 'Acc_correct', 'F1'],
    ...ev.subsets.map((s) => [s.subset, String(s.n), pct(s.acc_error), pct(s.acc_correct), pct(s.f1)]),
  ];
  if (ev.subsets.length > 1 || ev.subsets.length === 0)
    rows.push(['average', '', '', '', pct(ev.average_f1)]);
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return (
    rows
      .map((r) =>
        r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '),
      )
      .join('\n') + '\n'
  );
}

function fromPreds(file: string, threshold: number | undefined, json: boolean, io: CliIO): number {
  const text = readTextFile(file, '--preds');
  const preds = parsePredictions(text, file);
  const items = preds.map((p) => ({
    subset: p.subset,
    label: p.label,
    prediction: threshold === undefined ? p.prediction : firstError(p.rewards, threshold),
  }));
  const ev = evaluate(items);
  // parsePredictions refuses a file that mixes models, so the first line names the only one.
  const model = preds[0]?.model ?? null;
  if (json) {
    io.stdout(JSON.stringify(evalJson(ev, threshold ?? null, model)) + '\n');
  } else {
    io.stdout(evalTable(ev));
    io.stdout(
      `${preds.length} predictions from ${path.basename(file)}` +
        (threshold === undefined ? ', as stored' : `, re-derived at threshold ${threshold}`) +
        (model ? `, model ${model}` : '') +
        '\n',
    );
  }
  return 0;
}

/**
 * The comparison as a text table: differences with three decimals, shares and F1 in percent.
 *
 * @example
 * compareTable(compareRewards(a, b)); // 'subset  n  steps  mean |diff| ...\ngsm8k  12  50  0.012 ...'
 */
export function compareTable(c: RewardComparison): string {
  const d = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '-');
  const rows = [
    ['subset', 'n', 'steps', 'mean |diff|', 'p95 |diff|', 'max |diff|', 'same first error', 'F1 A', 'F1 B'],
    ...c.rows.map((r) => [
      r.subset,
      String(r.n),
      String(r.steps),
      d(r.mean_abs),
      d(r.p95_abs),
      d(r.max_abs),
      `${pct(r.same_first_error)}%`,
      pct(r.f1_a),
      pct(r.f1_b),
    ]),
  ];
  const widths = rows[0].map((_, k) => Math.max(...rows.map((r) => r[k].length)));
  const table = rows
    .map((r) => r.map((cell, k) => (k === 0 ? cell.padEnd(widths[k]) : cell.padStart(widths[k]))).join('  '))
    .join('\n');
  const largest = c.largest.map((x) => `  ${x.key} step ${x.step}: A ${x.a.toFixed(3)}, B ${x.b.toFixed(3)}`);
  return [table, ...(largest.length ? ['largest differences:', ...largest] : [])].join('\n') + '\n';
}

function againstPreds(fileA: string, fileB: string, json: boolean, io: CliIO): number {
  const a = parsePredictions(readTextFile(fileA, '--preds'), fileA);
  const b = parsePredictions(readTextFile(fileB, '--against'), fileB);
  const c = compareRewards(a, b);
  if (c.rows.length === 0) {
    throw new Error(
      `${path.basename(fileA)} and ${path.basename(fileB)} share no items (matched by subset and id).`,
    );
  }
  const who = (file: string, p: (typeof a)[number] | undefined) =>
    `${path.basename(file)}${p?.model ? ` (${p.model}, ${p.dtype ?? 'no dtype'})` : ''}`;
  if (json) {
    const n = (x: number) => (Number.isFinite(x) ? x : null);
    io.stdout(
      JSON.stringify({
        a: { file: fileA, model: a[0]?.model ?? null, dtype: a[0]?.dtype ?? null },
        b: { file: fileB, model: b[0]?.model ?? null, dtype: b[0]?.dtype ?? null },
        subsets: Object.fromEntries(
          c.rows.map((r) => [
            r.subset,
            {
              n: r.n,
              steps: r.steps,
              mean_abs: n(r.mean_abs),
              p95_abs: n(r.p95_abs),
              max_abs: n(r.max_abs),
              same_first_error: n(r.same_first_error),
              f1_a: n(r.f1_a),
              f1_b: n(r.f1_b),
            },
          ]),
        ),
        only_a: c.only_a,
        only_b: c.only_b,
        largest: c.largest,
      }) + '\n',
    );
    return 0;
  }
  io.stdout(`A: ${who(fileA, a[0])}\nB: ${who(fileB, b[0])}\n`);
  io.stdout(compareTable(c));
  if (c.only_a + c.only_b > 0) {
    io.stdout(`left out: ${c.only_a} items only in A, ${c.only_b} only in B\n`);
  }
  return 0;
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export const evalCommand: Command = {
  name: 'eval',
  summary: 'ProcessBench metrics (Acc_error, Acc_correct, F1) for a PRM on labelled data',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values: v, positionals } = parseFlags(argv, flags, true);
    const threshold = parseThreshold(v.threshold);
    const dtype = parseDtype(v.dtype);
    const limit = parsePositiveInt('--limit', v.limit, undefined);
    const batch = parsePositiveInt('--batch', v.batch, DEFAULT_BATCH);
    const dataFiles = [...(v.data ?? []), ...positionals];
    const judge = parseJudge(v.judge);
    const server = parseServerFlags(v);
    if (!server && v.concurrency !== undefined)
      throw new UsageError('--concurrency applies to --server only.');
    const concurrency = parsePositiveInt('--concurrency', v.concurrency, 8);

    if (v.preds !== undefined) {
      const extra = (
        ['data', 'model', 'dtype', 'limit', 'batch', 'out', 'judge', 'server', 'concurrency'] as const
      ).filter((k) => v[k] !== undefined);
      if (extra.length > 0 || positionals.length > 0) {
        throw new UsageError(
          `--preds recomputes metrics without a model; drop ${extra.map((k) => `--${k}`).join(', ') || positionals.join(' ')}.`,
        );
      }
      if (v.against !== undefined) {
        if (threshold !== undefined) {
          throw new UsageError('--against compares stored rewards; drop --threshold.');
        }
        return againstPreds(v.preds, v.against, Boolean(v.json), io);
      }
      return fromPreds(v.preds, threshold, Boolean(v.json), io);
    }
    if (v.against !== undefined) throw new UsageError('--against goes with --preds FILE.');
    if (v.data === undefined) {
      if (positionals.length > 0)
        throw new UsageError(`unexpected argument ${positionals[0]}; data files go after --data.`);
      throw new UsageError('give --data FILE (ProcessBench-format JSON or JSONL), or --preds FILE.');
    }

    const controller = new AbortController();
    let interrupts = 0;
    const onSigint = () => {
      interrupts++;
      if (interrupts > 1) process.exit(130);
      io.stderr(
        server
          ? '\nstopping: cancelling the requests in flight (Ctrl-C again to quit at once)...\n'
          : '\nstopping after the current batch (Ctrl-C again to quit at once)...\n',
      );
      controller.abort();
    };
    process.on('SIGINT', onSigint);
    let summary;
    try {
      summary = await runEval({
        dataFiles,
        modelDir: server ? undefined : v.model,
        dtype,
        server: server && {
          url: server.url,
          model: server.model,
          promptDir: server.promptDir,
          timeoutMs: server.timeoutMs,
          retries: server.retries,
        },
        concurrency: server ? concurrency : 1,
        threshold,
        limit,
        out: v.out,
        batch,
        signal: controller.signal,
        stderr: io.stderr,
        isTTY: io.isTTY,
      });
    } finally {
      process.off('SIGINT', onSigint);
    }

    if (summary.scored > 0 && summary.scoreSeconds > 0) {
      io.stderr(
        `scored ${summary.scored} items in ${summary.scoreSeconds.toFixed(1)}s ` +
          `(${(summary.scored / summary.scoreSeconds).toFixed(2)} items/s, batch ${batch}` +
          `${server ? `, concurrency ${concurrency}` : ''}).\n`,
      );
    }
    if (summary.interrupted) {
      const have = summary.resumed + summary.scored;
      io.stderr(
        v.out
          ? `interrupted: ${have} of ${summary.total} items are saved in ${v.out}. Resume with:\n  prm eval ${argv.map(shellQuote).join(' ')}\n`
          : `interrupted after ${have} of ${summary.total} items; nothing was saved (add --out FILE to make runs resumable).\n`,
      );
      return 130;
    }
    const judged = judge
      ? judgeItems(
          loadEvalData(dataFiles, limit).selected,
          summary.rewards,
          (it) => keyOf(it.subset as string, it.id),
          summary.threshold,
        )
      : undefined;
    if (v.json) {
      const out = evalJson(summary.evaluation, summary.threshold, summary.model);
      io.stdout(JSON.stringify(judged ? { ...out, judge: judgeJson(judged) } : out) + '\n');
    } else {
      io.stdout(evalTable(summary.evaluation));
      io.stdout(
        `threshold ${summary.threshold}, model ${summary.model} (${server ? `vllm at ${server.url}` : summary.dtype})\n`,
      );
      if (judged) io.stdout(judgeTable(judged));
    }
    if (summary.unscorable.length > 0) {
      io.stderr(
        `${summary.unscorable.length} items could not be scored and are left out of the metrics (listed above).\n`,
      );
      return 1;
    }
    return 0;
  },
};
