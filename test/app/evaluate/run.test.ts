import { describe, expect, it } from 'vitest';
import {
  RunControl,
  formatDuration,
  progressStats,
  runJobs,
  runProgressStats,
  type EvalScorer,
  type JobResult,
  type RunJob,
  type ScorerOutcome,
} from '../../../src/app/evaluate/run.ts';

/** A scorer that gives each step 1/(step+2) and can overflow, fail or be cancelled on cue. */
function fakeScorer(script: Record<string, 'overflow' | 'fail' | 'cancel-during' | { fits: number }> = {}) {
  const calls: string[] = [];
  let cancelled = false;
  const scorer: EvalScorer = {
    async score(problem, solutions): Promise<ScorerOutcome> {
      calls.push(problem);
      const cue = script[problem];
      if (cue === 'fail') throw new Error('GPU device lost and WASM retry failed');
      if (cue === 'overflow')
        return { kind: 'overflow', overflow: { tokenCount: 5000, limit: 4096, fittingSteps: 0 } };
      if (cue === 'cancel-during') {
        control.cancel();
        return cancelled ? { kind: 'cancelled' } : { kind: 'scored', results: [] };
      }
      const fits = typeof cue === 'object' ? cue.fits : Infinity;
      return {
        kind: 'scored',
        results: solutions.map((steps) => {
          const n = Math.min(fits, steps.length);
          return {
            rewards: steps.slice(0, n).map((_, i) => 1 / (i + 2)),
            firstError: -1,
            tokenCount: 10,
            scoredSteps: n,
            totalSteps: steps.length,
          };
        }),
      };
    },
    cancel: () => (cancelled = true),
  };
  const control = new RunControl();
  return { scorer, control, calls };
}

const jobs = (...names: string[]): RunJob[] =>
  names.map((problem) => ({ problem, solutions: [['s1', 's2', 's3']] }));

describe('runJobs(jobs, scorer, control, callbacks)', () => {
  it('scores every job in order, reporting results and progress', async () => {
    const { scorer, control } = fakeScorer({ b: { fits: 2 } });
    const results: [number, JobResult][] = [];
    const progress: [number, number][] = [];
    const report = await runJobs(jobs('a', 'b'), scorer, control, {
      onResult: (i, r) => results.push([i, r]),
      onProgress: (d, t) => progress.push([d, t]),
    });
    expect(report).toEqual({ status: 'done', done: 2 });
    expect(results).toEqual([
      [0, { rewards: [[1 / 2, 1 / 3, 1 / 4]], truncated: [false] }],
      [1, { rewards: [[1 / 2, 1 / 3]], truncated: [true] }],
    ]);
    expect(progress).toEqual([
      [0, 2],
      [1, 2],
      [2, 2],
    ]);
  });

  it('reports an item where not even one step fits as unscorable and goes on', async () => {
    const { scorer, control } = fakeScorer({ b: 'overflow' });
    const unscorable: [number, string][] = [];
    const done: number[] = [];
    const report = await runJobs(jobs('a', 'b', 'c'), scorer, control, {
      onResult: (i) => done.push(i),
      onUnscorable: (i, why) => unscorable.push([i, why]),
    });
    expect(report.status).toBe('done');
    expect(done).toEqual([0, 2]);
    expect(unscorable).toEqual([
      [1, "5000 tokens, more than the model's 4096, and not even the first step fits."],
    ]);
  });

  it('stops on an engine error with its message, keeping the results already delivered', async () => {
    const { scorer, control } = fakeScorer({ b: 'fail' });
    const done: number[] = [];
    const report = await runJobs(jobs('a', 'b', 'c'), scorer, control, { onResult: (i) => done.push(i) });
    expect(report).toEqual({ status: 'failed', done: 1, error: 'GPU device lost and WASM retry failed' });
    expect(done).toEqual([0]);
  });

  it('stops when cancelled during a job, forwarding the cancel to the scorer', async () => {
    const { scorer, control, calls } = fakeScorer({ b: 'cancel-during' });
    const report = await runJobs(jobs('a', 'b', 'c'), scorer, control, { onResult: () => {} });
    expect(report).toEqual({ status: 'cancelled', done: 1 });
    expect(calls).toEqual(['a', 'b']);
  });

  it('does not start when cancelled before the first job', async () => {
    const { scorer, control, calls } = fakeScorer();
    control.cancel();
    expect(await runJobs(jobs('a'), scorer, control, { onResult: () => {} })).toEqual({
      status: 'cancelled',
      done: 0,
    });
    expect(calls).toEqual([]);
  });

  it('fails when the engine returns the wrong number of results', async () => {
    const scorer: EvalScorer = { score: async () => ({ kind: 'scored', results: [] }), cancel: () => {} };
    const report = await runJobs(jobs('a'), scorer, new RunControl(), { onResult: () => {} });
    expect(report).toEqual({
      status: 'failed',
      done: 0,
      error: 'The engine returned 0 results for 1 solutions.',
    });
  });

  it('treats an error after a cancel (e.g. a cancelled model load) as the cancel', async () => {
    const control = new RunControl();
    const scorer: EvalScorer = {
      score: async () => {
        control.cancel();
        throw new Error('Loading the model was cancelled.');
      },
      cancel: () => {},
    };
    expect(await runJobs(jobs('a'), scorer, control, { onResult: () => {} })).toEqual({
      status: 'cancelled',
      done: 0,
    });
  });
});

describe('progressStats(done, total, elapsedMs)', () => {
  it.each([
    [10, 40, 5000, { fraction: 0.25, rate: 2, etaS: 15 }],
    [0, 40, 5000, { fraction: 0, rate: null, etaS: null }],
    [5, 5, 2500, { fraction: 1, rate: 2, etaS: 0 }],
    [0, 0, 0, { fraction: 1, rate: null, etaS: null }],
  ])('progressStats(%d, %d, %d) = %j', (done, total, ms, stats) => {
    expect(progressStats(done, total, ms)).toEqual(stats);
  });
});

describe('runProgressStats(done, total, times)', () => {
  it.each([
    [
      'before any job finished',
      0,
      10,
      { startedAt: 0, firstAt: null, at: 5000 },
      { fraction: 0, rate: null, etaS: null },
    ],
    [
      'after the first job (includes model load)',
      1,
      10,
      { startedAt: 0, firstAt: 8000, at: 8000 },
      { fraction: 0.1, rate: 0.125, etaS: 72 },
    ],
    [
      'timed from the first job afterwards',
      3,
      10,
      { startedAt: 0, firstAt: 9000, at: 11000 },
      { fraction: 0.3, rate: 1, etaS: 7 },
    ],
  ])('%s', (_what, done, total, times, stats) => {
    expect(runProgressStats(done, total, times)).toEqual(stats);
  });
});

describe('formatDuration(seconds)', () => {
  it.each([
    [0, '0 s'],
    [12.4, '12 s'],
    [185, '3 min 05 s'],
    [3725, '1 h 02 min'],
    [-3, '0 s'],
  ])('formatDuration(%d) = %s', (s, text) => {
    expect(formatDuration(s)).toBe(text);
  });
});
