/**
 * The work behind `prm eval --data`: read ProcessBench-format files, resume from an existing
 * predictions file, score the remaining items in length-sorted batches, append each batch to the
 * predictions file, and compute ProcessBench metrics with the core (`evaluate`).
 *
 * It stops between batches when its `AbortSignal` fires (the command wires Ctrl-C to it), so the
 * predictions file only ever holds whole lines. It does not format the results (the command does)
 * and does not own the model runtime (./model.ts, ./ort-node.ts).
 */
import path from 'node:path';
import { evaluate, type Evaluation } from '../core/metrics.ts';
import { lengthBatches } from '../core/batching.ts';
import {
  ContextLengthError,
  planScore,
  resolveThreshold,
  runPlans,
  type ScorePlan,
} from '../core/pipeline.ts';
import { DataError, describeScorer, parseProcessBench } from '../core/processbench.ts';
import { firstError } from '../core/rewards.ts';
import type { Dtype, ProcessBenchItem } from '../core/types.ts';
import { readTextFile } from './files.ts';
import { chooseDtype, defaultModelDir, loadModelDir, modelFingerprint, readModelSpec } from './model.ts';
import { checkOutputPath } from './paths.ts';
import {
  openPredictionWriter,
  readForResume,
  type PredictionLine,
  type PredictionWriter,
} from './predictions-file.ts';
import { createProgress } from './progress.ts';
import {
  openServerModel,
  serverFingerprint,
  type ScoringModel,
  type ServerModelOptions,
} from './server-model.ts';

/** Score on a vLLM server instead of a local ONNX model. */
export type EvalServer = Pick<
  ServerModelOptions,
  'url' | 'model' | 'promptDir' | 'timeoutMs' | 'retries' | 'backoffMs'
>;

export interface EvalOptions {
  dataFiles: string[];
  /** Model folder; the bundled default when absent. */
  modelDir?: string;
  dtype?: Dtype;
  /** Defaults to the model's `default_threshold`. */
  threshold?: number;
  /** First N items of each data file. */
  limit?: number;
  /** Predictions file: resumed when present, appended to per batch. */
  out?: string;
  /** Items per model run (per request to a server). */
  batch: number;
  /** Score on this server; `modelDir` and `dtype` then do not apply. */
  server?: EvalServer;
  /** Batches in flight at once; default 1 (a local session runs one at a time anyway). */
  concurrency?: number;
  /** Stops between batches (Ctrl-C); cancels a server's requests in flight. */
  signal?: AbortSignal;
  /** onnxruntime threads; every core when absent. */
  threads?: number;
  /** Where progress and notes go, and whether to draw a bar. */
  stderr: (text: string) => void;
  isTTY: boolean;
}

export interface EvalSummary {
  evaluation: Evaluation;
  threshold: number;
  model: string;
  /** The ONNX variant, or `vllm` for a server. */
  dtype: Dtype | 'vllm';
  /** Items selected from the data files (after --limit). */
  total: number;
  /** Items taken from the existing --out file. */
  resumed: number;
  /** Items scored by this run. */
  scored: number;
  /** Seconds spent scoring (model runs and writes), for the items/s figure. */
  scoreSeconds: number;
  /** Keys (`subset/id`) of items longer than the context, scored on their leading steps only. */
  truncated: string[];
  /** Items that could not be scored at all, with the reason; left out of the metrics. */
  unscorable: { key: string; reason: string }[];
  interrupted: boolean;
  /** Step rewards of every evaluated item by `subset/id` (for a second judge beside the PRM). */
  rewards: Map<string, number[]>;
}

export const keyOf = (subset: string, id: string) => `${subset}/${id}`;

/** Reads every data file, keeps the first `limit` items of each, and refuses repeated ids. */
export function loadEvalData(
  files: string[],
  limit?: number,
): { all: Map<string, ProcessBenchItem>; selected: ProcessBenchItem[] } {
  const all = new Map<string, ProcessBenchItem>();
  const from = new Map<string, string>();
  const selected: ProcessBenchItem[] = [];
  for (const file of files) {
    const items = parseProcessBench(readTextFile(file, '--data'), file);
    for (const it of items) {
      const key = keyOf(it.subset as string, it.id);
      if (all.has(key)) {
        throw new DataError(
          `item ${it.id} of subset ${it.subset} appears in both ${from.get(key)} and ${path.basename(file)}; give each file once.`,
        );
      }
      all.set(key, it);
      from.set(key, path.basename(file));
    }
    selected.push(...(limit === undefined ? items : items.slice(0, limit)));
  }
  return { all, selected };
}

interface Done {
  label: number;
  prediction: number;
  rewards: number[];
}

/**
 * Evaluates a model on ProcessBench-format files.
 *
 * @example
 * const s = await runEval({ dataFiles: ['../shared/processbench/gsm8k.json'], limit: 20, batch: 4, out: 'p.jsonl', stderr: console.error, isTTY: false });
 * s.evaluation.average_f1; // e.g. 0.42
 */
export async function runEval(opts: EvalOptions): Promise<EvalSummary> {
  const { stderr } = opts;
  const { all, selected } = loadEvalData(opts.dataFiles, opts.limit);
  const server = opts.server;
  const modelDir = server ? server.promptDir : (opts.modelDir ?? defaultModelDir());
  const spec = readModelSpec(modelDir);
  const dtype = server ? 'vllm' : chooseDtype(path.resolve(modelDir), spec, opts.dtype);
  const threshold = resolveThreshold(spec, opts.threshold);
  const modelName = server ? server.model : spec.name;

  // Hashing reads every byte of the model, so only runs that write lines pay for it.
  const fingerprint = !opts.out
    ? ''
    : server
      ? serverFingerprint(modelDir, server.model)
      : modelFingerprint(modelDir, dtype as Dtype);
  const scorer = { model: modelName, dtype, fingerprint };

  const done = new Map<string, Done>();
  if (opts.out) {
    checkOutputPath(
      '--out',
      opts.out,
      opts.dataFiles.map((f) => ({ what: 'the --data file', path: f })),
    );
    const { records, notes } = readForResume(opts.out);
    notes.forEach((n) => stderr(`note: ${n}\n`));
    const outName = path.basename(opts.out);
    for (const r of records) {
      const at = `${outName} line ${r.line}`;
      const item = all.get(keyOf(r.subset, r.id));
      const redo = 'choose another --out or delete the file';
      if (!item) {
        throw new DataError(
          `${at}: item ${r.id} of subset ${r.subset} is not in the --data files; this --out file belongs to other data: ${redo}.`,
        );
      }
      if (item.label !== r.label || r.rewards.length > item.steps.length) {
        throw new DataError(
          `${at}: item ${r.id} has label ${r.label} and ${r.rewards.length} rewards, but the data says label ${item.label} with ${item.steps.length} steps; the data changed since that run: ${redo}.`,
        );
      }
      if (r.fingerprint === undefined) {
        throw new DataError(
          `${at} has no model fingerprint (an older prm eval, or another tool, wrote it), so it cannot be shown to ` +
            `come from ${describeScorer(scorer)}: ${redo}. (prm eval --preds still reads it.)`,
        );
      }
      if (r.model !== modelName || r.dtype !== dtype || r.fingerprint !== fingerprint) {
        throw new DataError(
          `${at}: scored by model ${describeScorer(r)}, but this run uses ${describeScorer(scorer)}; mixing models would mix their scores: ${redo}.`,
        );
      }
      const again = firstError(r.rewards, threshold);
      if (again !== r.prediction) {
        throw new DataError(
          `${at}: prediction ${r.prediction} does not follow from its rewards at threshold ${threshold} (that gives ${again}); ` +
            `the file was written with another --threshold. Pass that threshold to resume, or ${redo}. ` +
            `(prm eval --preds ${opts.out} --threshold T recomputes metrics at any threshold without the model.)`,
        );
      }
      done.set(keyOf(r.subset, r.id), { label: r.label, prediction: r.prediction, rewards: r.rewards });
    }
    const chosen = new Set(selected.map((s) => keyOf(s.subset as string, s.id)));
    const outside = records.filter((r) => !chosen.has(keyOf(r.subset, r.id))).length;
    if (outside > 0)
      stderr(
        `note: ${outName} holds ${outside} items outside this selection (--limit); they are not counted.\n`,
      );
  }

  const pending = selected.filter((it) => !done.has(keyOf(it.subset as string, it.id)));
  const resumed = selected.length - pending.length;
  if (opts.out && resumed > 0) {
    stderr(
      `resuming: ${resumed} of ${selected.length} items already in ${path.basename(opts.out)}; ${pending.length} to score.\n`,
    );
  }

  const truncated: string[] = [];
  const unscorable: { key: string; reason: string }[] = [];
  let scored = 0;
  let scoreSeconds = 0;
  let interrupted = false;

  if (pending.length > 0) {
    let model: ScoringModel | undefined;
    let writer: PredictionWriter | undefined;
    let failure: unknown;
    try {
      model = server
        ? await openServerModel({
            url: server.url,
            model: server.model,
            promptDir: server.promptDir,
            timeoutMs: server.timeoutMs,
            retries: server.retries,
            backoffMs: server.backoffMs,
            // Ctrl-C cancels the requests in flight: they would otherwise hold the stop for up
            // to --timeout each; their items are not written and a rerun scores them.
            signal: opts.signal,
            onRetry: ({ attempt, waitMs, error }) =>
              stderr(
                `${opts.isTTY ? '\n' : ''}note: retry ${attempt} in ${(waitMs / 1000).toFixed(1)}s: ${error.message}\n`,
              ),
            note: (t) => stderr(`note: ${t}\n`),
          })
        : await loadModelDir(modelDir, { dtype: dtype as Dtype, threads: opts.threads });
      const m = model;
      const progress = createProgress({
        total: selected.length,
        initial: resumed,
        label: 'eval',
        write: stderr,
        isTTY: opts.isTTY,
      });
      const planned: { item: ProcessBenchItem; plan: ScorePlan }[] = [];
      for (const item of pending) {
        const key = keyOf(item.subset as string, item.id);
        try {
          const plan = planScore(m.spec, m.tokenizer, item.problem, item.steps, true);
          if (plan.truncated) truncated.push(key);
          planned.push({ item, plan });
        } catch (e) {
          const reason =
            e instanceof ContextLengthError
              ? e.message
              : `cannot build the model input: ${(e as Error).message}`;
          unscorable.push({ key, reason });
          progress.tick();
        }
      }
      if (opts.out) writer = openPredictionWriter(opts.out);
      const w = writer;
      const start = performance.now();
      const batches = lengthBatches(
        planned.map((p) => p.plan.inputIds.length),
        opts.batch,
      );
      let next = 0;
      // Each lane takes the next batch when its last one is written; Ctrl-C or a failure stops
      // new batches, and the batches in flight still land in the file (a server's requests in
      // flight are cancelled by Ctrl-C instead).
      const lane = async (): Promise<void> => {
        while (next < batches.length && failure === undefined) {
          if (opts.signal?.aborted) {
            interrupted = true;
            return;
          }
          const group = batches[next++].map((i) => planned[i]);
          let results;
          try {
            results = await runPlans(
              m.runner,
              group.map((g) => g.plan),
              threshold,
            );
          } catch (e) {
            if (opts.signal?.aborted) interrupted = true;
            else failure ??= e;
            return;
          }
          const lines = group.map((g, j): PredictionLine => {
            const line: PredictionLine = {
              id: g.item.id,
              subset: g.item.subset as string,
              label: g.item.label,
              prediction: results[j].firstError,
              rewards: results[j].rewards,
              model: modelName,
              dtype,
              fingerprint,
            };
            if (g.plan.truncated) line.truncated = true;
            return line;
          });
          w?.append(lines);
          for (const l of lines) done.set(keyOf(l.subset, l.id), l);
          scored += lines.length;
          progress.tick(lines.length);
        }
      };
      const lanes = Math.max(1, Math.min(opts.concurrency ?? 1, batches.length));
      await Promise.all(Array.from({ length: lanes }, lane));
      scoreSeconds = (performance.now() - start) / 1000;
      if (!interrupted && failure === undefined) progress.done();
      else if (opts.isTTY) stderr('\n');
      if (failure !== undefined) {
        const have = resumed + scored;
        stderr(
          opts.out
            ? `stopped: ${have} of ${selected.length} items are saved in ${opts.out}; run the same command again to resume.\n`
            : `stopped after ${have} of ${selected.length} items; nothing was saved (add --out FILE to make runs resumable).\n`,
        );
        throw failure;
      }
    } finally {
      writer?.close();
      await model?.dispose();
    }
  }

  if (truncated.length > 0) {
    stderr(
      `note: ${truncated.length} items are longer than the model's ${spec.context_length}-token context; only their leading ` +
        `steps were scored, so an error after those counts as a miss (${truncated.slice(0, 5).join(', ')}${truncated.length > 5 ? ', ...' : ''}).\n`,
    );
  }
  for (const u of unscorable) stderr(`not scored: ${u.key}: ${u.reason}\n`);

  const preds = selected.flatMap((it) => {
    const d = done.get(keyOf(it.subset as string, it.id));
    return d ? [{ subset: it.subset as string, label: d.label, prediction: d.prediction }] : [];
  });
  return {
    evaluation: evaluate(preds),
    threshold,
    model: modelName,
    dtype,
    total: selected.length,
    resumed,
    scored,
    scoreSeconds,
    truncated,
    unscorable,
    interrupted,
    rewards: new Map([...done].map(([k, d]) => [k, d.rewards])),
  };
}
