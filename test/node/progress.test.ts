import { describe, expect, it } from 'vitest';
import { createProgress, formatDuration } from '../../src/node/progress.ts';

describe('formatDuration(seconds)', () => {
  it.each([
    [0, '0s'],
    [45.4, '45s'],
    [185, '3m05s'],
    [3720, '1h02m'],
    [NaN, '?'],
    [Infinity, '?'],
  ])('%s -> %s', (s, want) => expect(formatDuration(s)).toBe(want));
});

/** A clock the test moves by hand. */
function clock(start = 1000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('createProgress({ isTTY: false })', () => {
  it('prints a plain line about every 5% with rate and ETA, and "done" at the end', () => {
    const c = clock();
    const lines: string[] = [];
    const p = createProgress({
      total: 40,
      label: 'eval',
      write: (t) => lines.push(t),
      isTTY: false,
      now: c.now,
    });
    for (let i = 0; i < 40; i++) {
      c.advance(500);
      p.tick();
    }
    p.done();
    expect(lines).toHaveLength(20); // 40 items, one line per 2 items = 5%
    expect(lines.every((l) => l.endsWith('\n') && !l.includes('\r'))).toBe(true);
    expect(lines[0]).toBe('eval: 2/40 (5%), 2.00 items/s, ETA 19s\n');
    expect(lines[19]).toBe('eval: 40/40 (100%), 2.00 items/s, done in 20s\n');
  });

  it('counts resumed items in the bar but not in the rate', () => {
    const c = clock();
    const lines: string[] = [];
    const p = createProgress({
      total: 100,
      initial: 50,
      write: (t) => lines.push(t),
      isTTY: false,
      now: c.now,
    });
    c.advance(10_000);
    p.tick(5);
    expect(lines).toEqual(['55/100 (55%), 0.50 items/s, ETA 1m30s\n']);
  });

  it('prints one line per jump when a batch skips several 5% marks', () => {
    const lines: string[] = [];
    const p = createProgress({ total: 10, write: (t) => lines.push(t), isTTY: false, now: clock().now });
    p.tick(4);
    p.tick(6);
    expect(lines.map((l) => l.split(',')[0])).toEqual(['4/10 (40%)', '10/10 (100%)']);
  });
});

describe('createProgress({ isTTY: true })', () => {
  it('redraws one bar in place with rate and ETA and ends with a newline', () => {
    const c = clock();
    const out: string[] = [];
    const p = createProgress({
      total: 4,
      label: 'eval',
      write: (t) => out.push(t),
      isTTY: true,
      now: c.now,
      width: 8,
    });
    c.advance(1000);
    p.tick();
    c.advance(1000);
    p.tick();
    expect(out[0]).toBe('\reval [........] 0/4 0% - items/s ETA ?\x1b[K');
    expect(out[1]).toBe('\reval [##......] 1/4 25% 1.00 items/s ETA 3s\x1b[K');
    expect(out[2]).toBe('\reval [####....] 2/4 50% 1.00 items/s ETA 2s\x1b[K');
    p.tick(2);
    p.done();
    expect(out.at(-2)).toBe('\reval [########] 4/4 100% 2.00 items/s in 2s\x1b[K');
    expect(out.at(-1)).toBe('\n');
  });

  it('redraws at most every 100 ms while items stream in', () => {
    const c = clock();
    const out: string[] = [];
    const p = createProgress({ total: 1000, write: (t) => out.push(t), isTTY: true, now: c.now });
    for (let i = 0; i < 100; i++) {
      c.advance(10);
      p.tick();
    }
    // 1 s of ticks every 10 ms: the first draw plus about one per 100 ms.
    expect(out.length).toBeGreaterThanOrEqual(10);
    expect(out.length).toBeLessThanOrEqual(12);
  });
});
