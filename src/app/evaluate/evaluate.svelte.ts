/**
 * The Evaluate view's state: the loaded ProcessBench dataset and Best-of-N file with their
 * rewards, the threshold, the run in progress, and what failed. Mutated only through its
 * methods; everything shown (F1 table, sweep, misses...) is `$derived` from the rewards, so the
 * threshold slider never re-runs the model.
 *
 * It does not touch the DOM, storage or the worker directly: files arrive as text, the engine as
 * an `EvalScorer`, storage as a `TextStore` (the view wires them).
 */
import { bestEffort } from '../../core/best-effort.ts';
import { evaluate, sweepThreshold } from '../../core/metrics.ts';
import { DataError, parseProcessBench, parsePredictions } from '../../core/processbench.ts';
import { firstError } from '../../core/rewards.ts';
import { bonSummary, parseBestOfN, unscoredCount, type BonProblem } from './best-of-n.ts';
import { THRESHOLDS } from './chart.ts';
import {
  consistentThresholds,
  mergePredictions,
  mergeProcessBench,
  scoredItems,
  subsetNames,
  thresholdFor,
  unscoredItems,
  withRewards,
  type EvalItem,
} from './dataset.ts';
import { detectFileKind, type EvalFileKind } from './detect.ts';
import {
  BON_KEY,
  EVAL_KEY,
  decodeBon,
  decodeEval,
  restoreSnapshot,
  saveSnapshot,
  type SaveResult,
  type TextStore,
} from './persist.ts';
import { RunControl, runJobs, type EvalScorer, type RunJob } from './run.ts';

export interface RunState {
  target: 'processbench' | 'best-of-n';
  done: number;
  total: number;
  startedAt: number;
  /** When the first job finished (the model is loaded by then); null before. */
  firstAt: number | null;
  /** Time of the last progress, for rate and ETA. */
  at: number;
}

export interface BonFile {
  source: string;
  problems: BonProblem[];
}

/**
 * How often results of a running set are written into the item list (every derived view,
 * the threshold sweep included, recomputes then): 0.4 s, longer for big sets (0.5 ms per item).
 */
const flushMs = (items: number) => Math.max(400, items / 2);
/** Save throttle: 0.8 s, longer for big sets (1 s per 2 MB), so writes stay a small share of the time. */
const saveDelayMs = (bytes: number) => Math.max(800, bytes / 2000);

/** Why a failed delete of an emptied snapshot is ignored. */
const STALE_SNAPSHOT =
  'nothing is left to save; a failed delete leaves the old snapshot, which the next save replaces';

export class EvaluateState {
  items = $state.raw<EvalItem[]>([]);
  sources = $state.raw<string[]>([]);
  threshold = $state(0.5);
  /** The subset the detail sections show; null = all. */
  focus = $state<string | null>(null);
  /** Model that scored the dataset / the Best-of-N file (display only). */
  model = $state.raw<string | null>(null);
  bon = $state.raw<BonFile | null>(null);
  bonModel = $state.raw<string | null>(null);
  /** The last file problem; cleared by the next good file. */
  fileError = $state.raw<string | null>(null);
  /** Something the user should know about the last load or run. */
  notice = $state.raw<string | null>(null);
  runError = $state.raw<string | null>(null);
  run = $state.raw<RunState | null>(null);
  unscorable = $state.raw<{ key: string; reason: string }[]>([]);
  saved = $state.raw<{ processbench: SaveResult | null; bon: SaveResult | null }>({
    processbench: null,
    bon: null,
  });
  /** A change of the dataset not yet written to storage (debounce or write in progress). */
  savingDataset = $state(false);
  restoreProblem = $state.raw<string | null>(null);

  readonly scored = $derived(scoredItems(this.items));
  readonly subsets = $derived(subsetNames(this.scored));
  /** Items with text but no rewards, less those found too long: what Run would score. */
  readonly unscored = $derived(
    unscoredItems(
      this.items,
      this.unscorable.map((u) => u.key),
    ),
  );
  readonly evaluation = $derived(
    evaluate(
      this.scored.map((it) => ({
        subset: it.subset,
        label: it.label,
        prediction: firstError(it.rewards, this.threshold),
      })),
    ),
  );
  /** Independent of the threshold, so moving the slider does not recompute it. */
  readonly sweep = $derived(sweepThreshold(this.scored, THRESHOLDS as number[]));
  readonly bonUnscored = $derived(this.bon ? unscoredCount(this.bon.problems) : 0);
  readonly bonSummary = $derived(this.bon && this.bonUnscored === 0 ? bonSummary(this.bon.problems) : null);

  #control: RunControl | null = null;
  /** What storage holds (as read or last written), so an unchanged state is not written again. */
  #stored: unknown[] = [];
  #storedBytes = 0;

  /**
   * Reads one file's text: detects its kind, validates it and merges it. A bad file sets
   * `fileError` and leaves everything loaded as it was. Returns the kind, or null on error.
   */
  loadText(text: string, name: string): EvalFileKind | null {
    try {
      const kind = detectFileKind(text, name);
      if (kind === 'best-of-n') this.#loadBon(text, name);
      else if (kind === 'predictions') this.#loadPredictions(text, name);
      else {
        this.items = mergeProcessBench(this.items, parseProcessBench(text, name));
        this.notice = null;
      }
      if (kind !== 'best-of-n' && !this.sources.includes(name)) this.sources = [...this.sources, name];
      this.fileError = null;
      return kind;
    } catch (err) {
      this.fileError =
        err instanceof DataError
          ? err.message
          : `${name}: ${err instanceof Error ? err.message : String(err)}`;
      return null;
    }
  }

  /** Loads several files in order; every bad one is reported, the good ones are kept. */
  loadTexts(files: readonly { text: string; name: string }[]): void {
    const errors: string[] = [];
    for (const f of files) {
      if (this.loadText(f.text, f.name) === null && this.fileError) errors.push(this.fileError);
    }
    this.fileError = errors.length > 0 ? errors.join('\n') : null;
  }

  /** A problem outside file loading (e.g. the engine could not start). */
  fail(message: string): void {
    this.runError = message;
  }

  #loadPredictions(text: string, name: string): void {
    const preds = parsePredictions(text, name);
    this.items = mergePredictions(this.items, preds, name);
    this.model = null;
    const range = consistentThresholds(preds);
    if (range) {
      this.threshold = thresholdFor(range, this.threshold);
      this.notice = `Threshold ${this.threshold} reproduces the predictions stored in ${name}.`;
    } else {
      this.notice = `The predictions in ${name} do not all come from one threshold; every number here is re-derived from the rewards at the slider's threshold.`;
    }
  }

  #loadBon(text: string, name: string): void {
    if (this.run?.target === 'best-of-n')
      throw new DataError(`${name}: wait for the running Best-of-N file to finish or cancel it first.`);
    this.bon = { source: name, problems: parseBestOfN(text, name) };
    this.bonModel = null;
  }

  setThreshold(t: number): void {
    if (Number.isFinite(t)) this.threshold = Math.min(1, Math.max(0, t));
  }

  setFocus(subset: string | null): void {
    this.focus = subset;
  }

  clearDataset(): void {
    if (this.run?.target === 'processbench') this.cancel();
    this.items = [];
    this.sources = [];
    this.unscorable = [];
    this.model = null;
    this.notice = null;
    this.focus = null;
  }

  clearBon(): void {
    if (this.run?.target === 'best-of-n') this.cancel();
    this.bon = null;
    this.bonModel = null;
  }

  dismissError(): void {
    this.fileError = null;
  }

  /** Scores every loaded item without rewards. */
  async runDataset(scorer: EvalScorer, modelName: () => string | null): Promise<void> {
    const todo = this.unscored;
    if (todo.length === 0 || this.run) return;
    const jobs: RunJob[] = todo.map((it) => ({
      problem: it.problem as string,
      solutions: [it.steps as string[]],
    }));
    const pending: { key: string; rewards: number[]; truncated: boolean }[] = [];
    const flush = () => {
      if (pending.length === 0) return;
      this.items = withRewards(this.items, pending.splice(0));
      this.model = modelName() ?? this.model;
    };
    await this.#run('processbench', jobs, scorer, flush, {
      onResult: (i, r) =>
        pending.push({ key: todo[i].key, rewards: r.rewards[0], truncated: r.truncated[0] }),
      onUnscorable: (i, reason) =>
        (this.unscorable = [
          ...this.unscorable.filter((u) => u.key !== todo[i].key),
          { key: todo[i].key, reason },
        ]),
    });
  }

  /** Scores every Best-of-N candidate without rewards, one request per problem. */
  async runBon(scorer: EvalScorer, modelName: () => string | null): Promise<void> {
    const file = this.bon;
    if (!file || this.run) return;
    const todo = file.problems
      .map((g, gi) => ({ gi, cis: g.candidates.flatMap((c, ci) => (c.rewards === undefined ? [ci] : [])) }))
      .filter((t) => t.cis.length > 0);
    const jobs: RunJob[] = todo.map((t) => ({
      problem: file.problems[t.gi].problem as string,
      solutions: t.cis.map((ci) => file.problems[t.gi].candidates[ci].steps as string[]),
    }));
    const pending: { job: number; rewards: number[][]; truncated: boolean[] }[] = [];
    const flush = () => {
      if (pending.length === 0 || this.bon?.source !== file.source) return;
      const problems = [...this.bon.problems];
      for (const p of pending.splice(0)) {
        const t = todo[p.job];
        const candidates = [...problems[t.gi].candidates];
        t.cis.forEach(
          (ci, j) =>
            (candidates[ci] = {
              ...candidates[ci],
              rewards: p.rewards[j],
              truncated: p.truncated[j] || undefined,
            }),
        );
        problems[t.gi] = { ...problems[t.gi], candidates };
      }
      this.bon = { ...this.bon, problems };
      this.bonModel = modelName() ?? this.bonModel;
    };
    await this.#run('best-of-n', jobs, scorer, flush, {
      onResult: (job, r) => pending.push({ job, ...r }),
      onUnscorable: (job, reason) =>
        (this.runError = `Problem ${file.problems[todo[job].gi].key}: ${reason}`),
    });
  }

  async #run(
    target: RunState['target'],
    jobs: RunJob[],
    scorer: EvalScorer,
    flush: () => void,
    cb: Pick<Parameters<typeof runJobs>[3], 'onResult' | 'onUnscorable'>,
  ): Promise<void> {
    const control = (this.#control = new RunControl());
    const startedAt = performance.now();
    this.run = { target, done: 0, total: jobs.length, startedAt, firstAt: null, at: startedAt };
    this.runError = null;
    this.notice = null;
    let lastFlush = startedAt;
    const report = await runJobs(jobs, scorer, control, {
      ...cb,
      onProgress: (done, total) => {
        const now = performance.now();
        this.run = {
          target,
          done,
          total,
          startedAt,
          firstAt: this.run?.firstAt ?? (done >= 1 ? now : null),
          at: now,
        };
        if (now - lastFlush >= flushMs(this.items.length)) {
          flush();
          lastFlush = now;
        }
      },
    });
    flush();
    this.run = null;
    this.#control = null;
    if (report.status === 'failed')
      this.runError = `The run stopped after ${report.done} of ${jobs.length}: ${report.error}`;
    else if (report.status === 'cancelled')
      this.notice = `Cancelled after ${report.done} of ${jobs.length}; the results so far are kept. Run again to continue.`;
  }

  cancel(): void {
    this.#control?.cancel();
  }

  /**
   * Restores from `store`, then saves on every change (debounced) for the life of the page. Lives
   * in an effect root, not in a component, so a run keeps saving while another view is shown.
   */
  attachStorage(store: TextStore): () => void {
    let restored = $state(false);
    void this.restore(store).finally(() => (restored = true));
    // A throttle, not a debounce: a run changes the items several times a second, and a debounce
    // would put off saving until the run ends. Each save writes the state as it is when it fires.
    let datasetTimer: ReturnType<typeof setTimeout> | null = null;
    let bonTimer: ReturnType<typeof setTimeout> | null = null;
    return $effect.root(() => {
      $effect(() => {
        const now = [this.items, this.sources, this.threshold, this.model];
        if (!restored || datasetTimer || now.every((v, i) => v === this.#stored[i])) return;
        this.savingDataset = true;
        datasetTimer = setTimeout(() => {
          datasetTimer = null;
          void this.saveDataset(store).finally(() => (this.savingDataset = datasetTimer !== null));
        }, saveDelayMs(this.#storedBytes));
      });
      $effect(() => {
        void [this.bon, this.bonModel];
        if (!restored || bonTimer) return;
        bonTimer = setTimeout(() => {
          bonTimer = null;
          void this.saveBon(store);
        }, saveDelayMs(0));
      });
    });
  }

  /** Reads the saved dataset and Best-of-N file (at start-up). */
  async restore(store: TextStore): Promise<void> {
    const [ev, bon] = await Promise.all([
      restoreSnapshot(store, EVAL_KEY, decodeEval),
      restoreSnapshot(store, BON_KEY, decodeBon),
    ]);
    // A file dropped while storage was still being read wins over the saved copy.
    if (ev.value && this.items.length === 0) {
      this.items = ev.value.items;
      this.sources = ev.value.sources;
      this.threshold = ev.value.threshold;
      this.model = ev.value.model;
      this.#stored = [this.items, this.sources, this.threshold, this.model];
    }
    if (bon.value && !this.bon) {
      this.bon = { source: bon.value.source, problems: bon.value.problems };
      this.bonModel = bon.value.model;
    }
    this.restoreProblem = ev.problem ?? bon.problem;
  }

  /** Writes the dataset (or deletes it when empty). */
  async saveDataset(store: TextStore): Promise<void> {
    this.#stored = [this.items, this.sources, this.threshold, this.model];
    if (this.items.length === 0) {
      await bestEffort(store.delete(EVAL_KEY), STALE_SNAPSHOT);
      this.saved = { ...this.saved, processbench: null };
      return;
    }
    const result = await saveSnapshot(store, EVAL_KEY, {
      format: 'prm-playground/eval-1',
      sources: this.sources,
      items: this.items,
      threshold: this.threshold,
      model: this.model,
    });
    this.saved = { ...this.saved, processbench: result };
    this.#storedBytes = result.bytes;
  }

  /** Writes the Best-of-N file (or deletes it when none). */
  async saveBon(store: TextStore): Promise<void> {
    if (!this.bon) {
      await bestEffort(store.delete(BON_KEY), STALE_SNAPSHOT);
      this.saved = { ...this.saved, bon: null };
      return;
    }
    const result = await saveSnapshot(store, BON_KEY, {
      format: 'prm-playground/bon-1',
      source: this.bon.source,
      problems: this.bon.problems,
      model: this.bonModel,
    });
    this.saved = { ...this.saved, bon: result };
  }
}

let pageState: EvaluateState | null = null;

/**
 * The page's one Evaluate state, created and attached to `store` on first use. Switching views
 * unmounts the component but not this, so a run in progress and its results survive.
 *
 * @example
 * const ev = evaluateStateFor(indexedDbStore());
 */
export function evaluateStateFor(store: TextStore): EvaluateState {
  if (!pageState) {
    pageState = new EvaluateState();
    pageState.attachStorage(store);
  }
  return pageState;
}
