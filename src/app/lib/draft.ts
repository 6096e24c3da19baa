/**
 * The user's work as plain data (`Draft`): problem, solutions, any hand-edited step boundaries,
 * the segmentation strategy, threshold and aggregate. It is what autosave keeps and what a share
 * link carries, so it is versioned and every field is checked on the way in: a damaged link or an
 * old localStorage entry gives a clear message, never a half-loaded page.
 *
 * Scores are not part of a draft (see `ScoredRun`); this module does no I/O.
 */
import { AGGREGATES } from '../../core/rewards.ts';
import { SEGMENT_STRATEGIES } from '../../core/segment.ts';
import type { Aggregate, SegmentStrategy, Step } from '../../core/types.ts';

export interface DraftSolution {
  text: string;
  /** Hand-edited steps (exact spans into `text`), or null to segment automatically. */
  steps: Step[] | null;
}

export interface Draft {
  problem: string;
  solutions: DraftSolution[];
  strategy: SegmentStrategy;
  /** The threshold the user chose, or null to follow the model's default. */
  threshold: number | null;
  aggregate: Aggregate;
}

export const DRAFT_VERSION = 1;
/**
 * The size limits of a draft: the one definition used when the page autosaves, when it restores a
 * saved draft, and when it makes or opens a share link (`limitProblem`). Largest text per field
 * (characters), far above any real solution.
 */
export const MAX_TEXT = 200_000;
export const MAX_SOLUTIONS = 16;

/**
 * What in `draft` is over the size limits, as a sentence naming the field; null when it fits.
 *
 * @example
 * limitProblem({ ...emptyDraft(), problem: 'x'.repeat(300_000) })
 * // 'The problem has 300,000 characters; the limit is 200,000.'
 */
export function limitProblem(draft: Draft): string | null {
  const n = (x: number) => x.toLocaleString('en');
  if (draft.problem.length > MAX_TEXT) {
    return `The problem has ${n(draft.problem.length)} characters; the limit is ${n(MAX_TEXT)}.`;
  }
  if (draft.solutions.length > MAX_SOLUTIONS) {
    return `There are ${draft.solutions.length} solutions; the limit is ${MAX_SOLUTIONS}.`;
  }
  const i = draft.solutions.findIndex((s) => s.text.length > MAX_TEXT);
  if (i >= 0) {
    return `Solution ${i + 1} has ${n(draft.solutions[i].text.length)} characters; the limit is ${n(MAX_TEXT)}.`;
  }
  return null;
}

export function emptyDraft(): Draft {
  return {
    problem: '',
    solutions: [{ text: '', steps: null }],
    strategy: 'auto',
    threshold: null,
    aggregate: 'min',
  };
}

/** The serialised form: short keys are not worth the confusion, but spans are stored as pairs. */
export interface DraftJson {
  v: number;
  problem: string;
  solutions: { text: string; steps?: [number, number][] }[];
  strategy: SegmentStrategy;
  threshold?: number | null;
  aggregate?: Aggregate;
}

/** A draft as JSON-ready data. */
export function draftToJson(d: Draft): DraftJson {
  return {
    v: DRAFT_VERSION,
    problem: d.problem,
    solutions: d.solutions.map((s) =>
      s.steps
        ? { text: s.text, steps: s.steps.map((st) => [st.start, st.end] as [number, number]) }
        : { text: s.text },
    ),
    strategy: d.strategy,
    threshold: d.threshold,
    aggregate: d.aggregate,
  };
}

/**
 * The stored data does not form a draft; the message says which field and why. The page shows
 * any failure's message alike; test/app/share.test.ts tells this one from a bug in the parser.
 */
export class DraftError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DraftError';
  }
}

function text(value: unknown, field: string, where: string): string {
  if (typeof value !== 'string')
    throw new DraftError(`${where}: "${field}" must be text, got ${typeof value}.`);
  return value;
}

function spans(value: unknown, source: string, field: string, where: string): Step[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new DraftError(`${where}: "${field}" must be a non-empty list of [start, end] pairs.`);
  }
  let last = 0;
  return value.map((pair, i) => {
    const ok =
      Array.isArray(pair) &&
      pair.length === 2 &&
      pair.every((n) => Number.isInteger(n)) &&
      pair[0] >= last &&
      pair[0] < pair[1] &&
      pair[1] <= source.length;
    if (!ok) {
      throw new DraftError(
        `${where}: ${field}[${i}] = ${JSON.stringify(pair)} is not an in-order [start, end] span inside the ${source.length}-character solution.`,
      );
    }
    last = pair[1];
    const slice = source.slice(pair[0], pair[1]);
    if (slice.trim() !== slice || !slice) {
      throw new DraftError(`${where}: ${field}[${i}] does not cover trimmed text of the solution.`);
    }
    return { text: slice, start: pair[0], end: pair[1] };
  });
}

/**
 * Checks untrusted data (a decoded link, a localStorage entry) and returns the draft it holds.
 * `where` names the origin in error messages ("The shared link", "The autosaved draft").
 *
 * @example
 * parseDraft({ v: 1, problem: '1+1?', solutions: [{ text: '2' }], strategy: 'auto' }, 'The link').problem // '1+1?'
 */
export function parseDraft(value: unknown, where: string): Draft {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new DraftError(`${where} does not hold a saved playground (expected a JSON object).`);
  }
  const v = value as Record<string, unknown>;
  if (v.v !== DRAFT_VERSION) {
    throw new DraftError(
      `${where} was made by an unknown version (${JSON.stringify(v.v)}) of the playground; expected ${DRAFT_VERSION}.`,
    );
  }
  const problem = text(v.problem, 'problem', where);
  if (!Array.isArray(v.solutions) || v.solutions.length === 0 || v.solutions.length > MAX_SOLUTIONS) {
    throw new DraftError(`${where}: "solutions" must be a list of 1 to ${MAX_SOLUTIONS} solutions.`);
  }
  const solutions = v.solutions.map((s: unknown, i): DraftSolution => {
    if (!s || typeof s !== 'object')
      throw new DraftError(`${where}: solutions[${i}] must be an object with "text".`);
    const so = s as Record<string, unknown>;
    const body = text(so.text, `solutions[${i}].text`, where);
    return {
      text: body,
      steps: so.steps === undefined ? null : spans(so.steps, body, `solutions[${i}].steps`, where),
    };
  });
  const strategy = v.strategy ?? 'auto';
  if (!SEGMENT_STRATEGIES.includes(strategy as SegmentStrategy)) {
    throw new DraftError(
      `${where}: unknown strategy ${JSON.stringify(strategy)}; expected one of ${SEGMENT_STRATEGIES.join(', ')}.`,
    );
  }
  const threshold = v.threshold ?? null;
  if (threshold !== null && !(typeof threshold === 'number' && threshold >= 0 && threshold <= 1)) {
    throw new DraftError(
      `${where}: threshold must be a number from 0 to 1, got ${JSON.stringify(threshold)}.`,
    );
  }
  const aggregate = v.aggregate ?? 'min';
  if (!AGGREGATES.includes(aggregate as Aggregate)) {
    throw new DraftError(
      `${where}: unknown aggregate ${JSON.stringify(aggregate)}; expected one of ${AGGREGATES.join(', ')}.`,
    );
  }
  const draft: Draft = {
    problem,
    solutions,
    strategy: strategy as SegmentStrategy,
    threshold,
    aggregate: aggregate as Aggregate,
  };
  const over = limitProblem(draft);
  if (over) throw new DraftError(`${where}: ${over}`);
  return draft;
}

/** True when the draft holds nothing the user typed. */
export function isEmptyDraft(d: Draft): boolean {
  return !d.problem.trim() && d.solutions.every((s) => !s.text.trim());
}
