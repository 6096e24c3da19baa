/**
 * The one measuring protocol every backend follows, so their figures compare: score the typical
 * solution once on a cold session (first score), then for each solution a warm-up run followed by
 * `repeats` timed runs (median, p90, tokens per second). A backend supplies `score`, which does
 * the whole user-visible job (tokenize, plan, run, rewards) and says how long its parts took.
 *
 * Plain TypeScript with no Node or DOM imports: the Node child, the browser page and the tests
 * share it. It does not load models or start processes.
 */

/** One scoring of one solution, as a backend reports it. */
export interface ScoreSample {
  rewards: number[];
  /** Tokens fed to the model. */
  tokens: number;
  /** Tokenizing and planning (ms), when the backend can tell. */
  planMs?: number;
  /** The model run itself (ms), when the backend can tell. */
  runMs?: number;
}

export interface SolutionStats {
  name: string;
  tokens: number;
  rewards: number[];
  /** Every timed warm run (ms), in order. */
  samplesMs: number[];
  medianMs: number;
  p90Ms: number;
  /** tokens / median latency. */
  tokensPerSecond: number;
  /** Medians of the parts, when reported. */
  planMedianMs?: number;
  runMedianMs?: number;
}

export interface MeasureResult {
  /** The typical (or first) solution on a cold session, before any warm-up. */
  firstScoreMs: number;
  solutions: SolutionStats[];
}

/**
 * The q-quantile of `values` with linear interpolation (q in 0..1).
 *
 * @example
 * quantile([1, 2, 3, 4], 0.5); // 2.5
 * quantile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.9); // 91
 */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) throw new Error('quantile: no values');
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export interface MeasureOptions {
  /** Timed warm runs per solution (>= 1). */
  repeats: number;
  /** Untimed runs before the timed ones (default 1). */
  warmup?: number;
  /** Solution scored cold first (default: 'typical' when present, else the first). */
  first?: string;
  now?: () => number;
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

/**
 * Runs the protocol over `names` with `score(name)`.
 *
 * @example
 * const r = await measure(['short', 'typical'], (name) => scoreIt(name), { repeats: 5 });
 * r.solutions[1].medianMs; // e.g. 12.3
 */
export async function measure(
  names: string[],
  score: (name: string) => Promise<ScoreSample>,
  options: MeasureOptions,
): Promise<MeasureResult> {
  const now = options.now ?? (() => performance.now());
  const repeats = options.repeats;
  if (!Number.isInteger(repeats) || repeats < 1)
    throw new Error(`repeats must be a whole number >= 1, got ${repeats}.`);
  const warmup = options.warmup ?? 1;
  const first = options.first ?? (names.includes('typical') ? 'typical' : names[0]);
  const t0 = now();
  await score(first);
  const firstScoreMs = round(now() - t0);
  const solutions: SolutionStats[] = [];
  for (const name of names) {
    let last: ScoreSample | null = null;
    for (let i = 0; i < warmup; i++) last = await score(name);
    const samples: number[] = [];
    const plans: number[] = [];
    const runs: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const t = now();
      last = await score(name);
      samples.push(now() - t);
      if (last.planMs !== undefined) plans.push(last.planMs);
      if (last.runMs !== undefined) runs.push(last.runMs);
    }
    const s = last!;
    const medianMs = quantile(samples, 0.5);
    solutions.push({
      name,
      tokens: s.tokens,
      rewards: s.rewards,
      samplesMs: samples.map(round),
      medianMs: round(medianMs),
      p90Ms: round(quantile(samples, 0.9)),
      tokensPerSecond: Math.round((s.tokens / medianMs) * 1000),
      ...(plans.length === repeats ? { planMedianMs: round(quantile(plans, 0.5)) } : {}),
      ...(runs.length === repeats ? { runMedianMs: round(quantile(runs, 0.5)) } : {}),
    });
  }
  return { firstScoreMs, solutions };
}
