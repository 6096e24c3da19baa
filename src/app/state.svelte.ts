/**
 * The playground's state: what the user typed (problem, solutions, hand-edited step boundaries),
 * the choices (strategy, threshold, aggregate), the last scored run, and what the page is doing.
 * Fields are `$state`, mutated only through methods; everything computable (segmentation, first
 * errors, ranking, heatmap rows, the draft to save) is `$derived`. Effects live at the edges, in
 * the components that talk to storage and the worker.
 *
 * It does not render, store or talk to the worker itself: the engine is injected (`EngineState`)
 * and persistence goes through `draft` / `loadDraft`.
 */
import { domainNotice } from '../core/domain.ts';
import { detectStrategy, mergeWithNext, segment, splitStep, joinSteps } from '../core/segment.ts';
import { judgeArithmetic, type Judgement } from '../core/judge/index.ts';
import { firstError } from '../core/rewards.ts';
import { practiceProblem } from '../core/synth/index.ts';
import type { Aggregate, SegmentStrategy, Step } from '../core/types.ts';
import type { EngineState, Overflow } from './engine.svelte.ts';
import { CancelledError } from '../engine/errors.ts';
import type { Activity } from './engine.svelte.ts';
import { rebaseSteps } from './lib/boundaries.ts';
import { emptyDraft, isEmptyDraft, MAX_SOLUTIONS, type Draft } from './lib/draft.ts';
import type { Example } from './lib/examples.ts';
import type { HeatmapRow } from './lib/heatmap-layout.ts';
import { solutionLabel } from './lib/labels.ts';
import { rankSolutions } from './lib/ranking.ts';
import { nowIso, runFreshness, type ScoredRun } from './lib/run.ts';

export class SolutionState {
  text = $state('');
  /** Hand-edited steps, or null for automatic segmentation. */
  manual = $state.raw<Step[] | null>(null);
  /** Earlier values of `manual`, for Undo. */
  history = $state.raw<(Step[] | null)[]>([]);

  constructor(text = '', manual: Step[] | null = null) {
    this.text = text;
    this.manual = manual;
  }
}

export interface Message {
  kind: 'error' | 'info';
  text: string;
  /** One button offered with the message (e.g. bring back the text an example replaced). */
  action?: { label: string; run: () => void };
}

/** The truth of a practice problem or an example on the page, revealed on request. */
export interface PracticeTruth {
  /** First wrong step per solution (0-based), -1 where every step is right. */
  firstErrors: number[];
  /** The kind of error planted, or the example's explanation; '' when there is nothing to add. */
  detail: string;
  /** The example's id when an example is on the page (the Examples menu names it). */
  example?: string;
}

export class AppState {
  problem = $state('');
  solutions: SolutionState[] = $state([new SolutionState()]);
  strategy = $state<SegmentStrategy>('auto');
  /** The user's threshold, or null to follow the model's default. */
  thresholdChoice = $state<number | null>(null);
  aggregate = $state<Aggregate>('min');
  /** The solution whose steps are on view. */
  selected = $state(0);
  run = $state.raw<ScoredRun | null>(null);
  message = $state.raw<Message | null>(null);
  /** A context overflow waiting for the user's consent to score only the steps that fit. */
  overflow = $state.raw<Overflow | null>(null);
  scoring = $state.raw<Activity | null>(null);
  practice = $state.raw<PracticeTruth | null>(null);
  /** What the last example, practice problem or shared link replaced, so it can be brought back. */
  previous = $state.raw<{ draft: Draft; run: ScoredRun | null } | null>(null);
  /**
   * Told before the text on the page is replaced (example, practice problem, share link, a saved
   * draft, Clear, "bring back"), with what is there and what comes: the page keeps the old text
   * in the draft history (App.svelte).
   */
  onReplace: ((before: { draft: Draft; run: ScoredRun | null }, after: Draft) => void) | null = null;

  readonly engine: EngineState;

  constructor(engine: EngineState) {
    this.engine = engine;
  }

  readonly steps: Step[][] = $derived(this.solutions.map((s) => s.manual ?? segment(s.text, this.strategy)));
  readonly stepTexts: string[][] = $derived(this.steps.map((list) => list.map((s) => s.text)));
  readonly detected = $derived(this.solutions.map((s) => (s.text.trim() ? detectStrategy(s.text) : null)));
  readonly fresh: boolean[] = $derived(runFreshness(this.run, this.problem, this.stepTexts));
  // Arrow bodies: `engine` is assigned in the constructor, after field initialisers run.
  // Scores computed elsewhere keep their own model's default: never another model's threshold.
  readonly defaultThreshold: number = $derived.by(() =>
    this.run?.origin
      ? this.run.defaultThreshold
      : (this.engine.model?.spec.default_threshold ?? this.run?.defaultThreshold ?? 0.5),
  );
  readonly threshold: number = $derived(this.thresholdChoice ?? this.defaultThreshold);
  /** Fresh rewards per solution (null where not scored for the current text). */
  readonly rewards: (number[] | null)[] = $derived(
    this.fresh.map((ok, i) => (ok && this.run ? this.run.solutions[i].rewards : null)),
  );
  readonly firstErrors: number[] = $derived(
    this.rewards.map((r) => (r ? firstError(r, this.threshold) : -1)),
  );
  readonly ranking = $derived(
    rankSolutions(
      this.rewards.map((r) => r ?? []),
      this.aggregate,
    ),
  );
  /** The exact arithmetic checker on every solution's current steps (no model needed). */
  readonly judgements: Judgement[] = $derived(this.stepTexts.map((steps) => judgeArithmetic(steps)));
  readonly heatmapRows: HeatmapRow[] = $derived(
    this.rewards.some((r) => r !== null)
      ? this.rewards.map((r, i) => ({
          label: solutionLabel(i, this.solutions.length),
          rewards: r ?? [],
          steps: this.stepTexts[i],
          firstError: this.firstErrors[i],
          score: this.ranking[i].score,
          rank: this.ranking[i].rank,
          picked: this.ranking[i].picked,
          checks: this.judgements[i].steps,
        }))
      : [],
  );
  readonly busy: boolean = $derived.by(() => this.scoring !== null || this.engine.loading !== null);
  readonly draft: Draft = $derived({
    problem: this.problem,
    solutions: this.solutions.map((s) => ({ text: s.text, steps: s.manual })),
    strategy: this.strategy,
    threshold: this.thresholdChoice,
    aggregate: this.aggregate,
  });

  setProblem(text: string): void {
    this.problem = text;
  }

  setSolution(index: number, text: string): void {
    const s = this.solutions[index];
    if (!s) return;
    const before = s.text;
    s.manual = rebaseSteps(before, text, s.manual);
    s.history = s.history.map((h) => rebaseSteps(before, text, h));
    s.text = text;
  }

  addSolution(): void {
    if (this.solutions.length >= MAX_SOLUTIONS) return;
    this.solutions.push(new SolutionState());
    this.selected = this.solutions.length - 1;
  }

  removeSolution(index: number): void {
    if (this.solutions.length <= 1) return;
    this.solutions.splice(index, 1);
    // Scores belong to solutions by position: drop the removed one's so the rest stay matched.
    if (this.run) {
      this.run = {
        ...this.run,
        steps: this.run.steps.filter((_, i) => i !== index),
        solutions: this.run.solutions.filter((_, i) => i !== index),
      };
    }
    this.selected = Math.min(this.selected, this.solutions.length - 1);
  }

  select(index: number): void {
    if (index >= 0 && index < this.solutions.length) this.selected = index;
  }

  setStrategy(strategy: SegmentStrategy): void {
    this.strategy = strategy;
  }

  #edit(index: number, next: (s: SolutionState, steps: Step[]) => Step[]): void {
    const s = this.solutions[index];
    if (!s) return;
    try {
      const result = next(s, this.steps[index]);
      s.history = [...s.history, s.manual];
      s.manual = result;
      this.message = null;
    } catch (err) {
      this.message = { kind: 'info', text: err instanceof Error ? err.message : String(err) };
    }
  }

  /** Splits the step of solution `index` that contains caret `offset` (an offset into its text). */
  splitAt(index: number, offset: number): void {
    this.select(index);
    this.#edit(index, (_, steps) => {
      const k = steps.findIndex((st) => offset > st.start && offset < st.end);
      if (k < 0) {
        throw new Error(
          'To split a step, put the text cursor inside it (not at its very start or end), then press "Split step at cursor".',
        );
      }
      return splitStep(steps, k, offset - steps[k].start);
    });
  }

  mergeWithNext(index: number, stepIndex: number): void {
    this.#edit(index, (s, steps) => mergeWithNext(s.text, steps, stepIndex));
  }

  undo(index: number): void {
    const s = this.solutions[index];
    if (!s || s.history.length === 0) return;
    s.manual = s.history[s.history.length - 1];
    s.history = s.history.slice(0, -1);
  }

  resetSteps(index: number): void {
    const s = this.solutions[index];
    if (!s || !s.manual) return;
    s.history = [...s.history, s.manual];
    s.manual = null;
  }

  setThreshold(value: number): void {
    this.thresholdChoice = Math.min(1, Math.max(0, value));
  }

  resetThreshold(): void {
    this.thresholdChoice = null;
  }

  setAggregate(how: Aggregate): void {
    this.aggregate = how;
  }

  /** Shows a message from outside the state (storage, share links, exports, the model picker). */
  showMessage(kind: Message['kind'], text: string): void {
    this.message = { kind, text };
  }

  dismissMessage(): void {
    this.message = null;
  }

  /**
   * Replaces the work on the page with `draft` and remembers what it replaced (if anything was
   * typed), returning a message offering to bring it back.
   */
  replaceWith(draft: Draft, what: string, run: ScoredRun | null = null): void {
    const before = { draft: this.draft, run: this.run };
    const hadText = !isEmptyDraft(before.draft);
    this.onReplace?.(before, draft);
    this.loadDraft(draft, run);
    this.previous = hadText ? before : null;
    this.message = {
      kind: 'info',
      text: what,
      action: hadText
        ? { label: 'Bring back my previous text', run: () => this.restorePrevious() }
        : undefined,
    };
  }

  restorePrevious(): void {
    const p = this.previous;
    if (!p) return;
    this.onReplace?.({ draft: this.draft, run: this.run }, p.draft);
    this.loadDraft(p.draft, p.run);
    this.previous = null;
    this.message = { kind: 'info', text: 'Your previous text is back.' };
  }

  /** Sets everything typed to `draft` (autosave at start-up, and the helpers above). */
  loadDraft(draft: Draft, run: ScoredRun | null = null): void {
    this.problem = draft.problem;
    this.solutions = draft.solutions.map((s) => new SolutionState(s.text, s.steps));
    this.strategy = draft.strategy;
    this.thresholdChoice = draft.threshold;
    this.aggregate = draft.aggregate;
    this.selected = 0;
    this.run = run;
    this.overflow = null;
    this.practice = null;
  }

  loadExample(example: Example): void {
    this.replaceWith(
      {
        ...emptyDraft(),
        aggregate: this.aggregate,
        problem: example.problem,
        solutions: example.solutions.map((text) => ({ text, steps: null })),
      },
      `Example "${example.title}": ${example.note}`,
    );
    this.practice = { firstErrors: [...example.firstErrors], detail: example.note, example: example.id };
  }

  /** A fresh generated problem from the demo model's own domain (the truth is kept for "reveal"). */
  newPractice(seed: number): void {
    const item = practiceProblem(seed);
    this.replaceWith(
      {
        ...emptyDraft(),
        aggregate: this.aggregate,
        problem: item.problem,
        solutions: [{ text: joinSteps(item.steps), steps: null }],
      },
      'A new practice problem from the generator. Score it, then reveal whether (and where) the generator planted an error.',
    );
    this.practice = {
      firstErrors: [item.label],
      detail: item.label < 0 ? '' : `The planted error: ${item.error_type.replace(/_/g, ' ')}.`,
    };
  }

  /** Empties the page (the caller asked the user first); the old text can still be brought back. */
  clear(): void {
    this.replaceWith(emptyDraft(), 'Cleared.');
  }

  /** Checks the input; returns what is wrong, or null when it can be scored. */
  readonly inputProblem: string | null = $derived.by(() => {
    if (!this.problem.trim()) return 'Type the problem first: the model judges each step against it.';
    const empty = this.steps.findIndex((s) => s.length === 0);
    if (empty >= 0)
      return `${solutionLabel(empty, this.solutions.length)} has no steps yet: type it, or remove it.`;
    return null;
  });

  /** Scores every solution. With `truncate`, scores only the steps that fit the context (after consent). */
  async score(truncate = false): Promise<void> {
    if (this.busy) return;
    if (this.inputProblem) {
      this.message = { kind: 'error', text: this.inputProblem };
      return;
    }
    const problem = this.problem;
    const steps = this.stepTexts.map((s) => [...s]);
    this.message = null;
    this.overflow = null;
    this.scoring = { text: 'Starting', fraction: null };
    try {
      const outcome = await this.engine.score(problem, steps, truncate, (a) => (this.scoring = a));
      if (outcome.kind === 'overflow') {
        this.overflow = outcome.overflow;
        return;
      }
      if (outcome.kind === 'cancelled') {
        this.message = { kind: 'info', text: 'Scoring was cancelled. Your text is unchanged.' };
        return;
      }
      const { model, results, runMs } = outcome;
      this.run = {
        problem,
        steps,
        solutions: results.map((r, i) => {
          const domain = domainNotice(model.spec, problem, steps[i], r.tokenCount);
          return {
            rewards: r.rewards,
            tokenCount: r.tokenCount,
            scoredSteps: r.scoredSteps,
            ...(domain ? { domain } : {}),
          };
        }),
        model: {
          name: model.spec.name,
          source: model.label,
          dtype: model.backend.dtype,
          family: model.spec.family,
        },
        backend: model.backend.backend,
        defaultThreshold: model.spec.default_threshold,
        runMs,
        at: nowIso(),
      };
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      const cancelled = err instanceof CancelledError;
      this.message = {
        kind: cancelled ? 'info' : 'error',
        text: `${text}${cancelled ? '' : ' Your text is unchanged.'}`,
      };
    } finally {
      this.scoring = null;
    }
  }

  /** The user agreed to score only the steps that fit. */
  acceptTruncation(): void {
    this.overflow = null;
    void this.score(true);
  }

  declineTruncation(): void {
    this.overflow = null;
  }

  cancel(): void {
    this.engine.cancel();
  }
}
