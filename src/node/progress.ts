/**
 * Progress reporting for long CLI runs (`prm eval`): a redrawn bar with rate and time left when
 * stderr is a terminal, plain lines about every 5% when it is a pipe or a file (so logs stay
 * readable). It only formats and writes through the injected `write`; the clock is injectable so
 * tests do not sleep.
 */

export interface ProgressOptions {
  /** Items to do in this run (already-done items from a resume are `initial`). */
  total: number;
  /** Items already done before this run; counted in the bar, not in the rate. */
  initial?: number;
  /** Word before the figures, e.g. "gsm8k". */
  label?: string;
  write: (text: string) => void;
  isTTY: boolean;
  /** Milliseconds clock; `Date.now` unless a test injects one. */
  now?: () => number;
  /** Bar width in characters on a TTY. */
  width?: number;
}

export interface Progress {
  /** Marks `n` more items done. */
  tick(n?: number): void;
  /** Ends the bar (TTY: final redraw and newline). Safe to call twice. */
  done(): void;
}

/**
 * Seconds as `45s`, `3m05s` or `1h02m`.
 *
 * @example
 * formatDuration(185); // '3m05s'
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function formatRate(rate: number): string {
  if (!Number.isFinite(rate) || rate <= 0) return '- items/s';
  return `${rate >= 10 ? rate.toFixed(0) : rate.toFixed(2)} items/s`;
}

/**
 * A progress reporter for `total` items.
 *
 * @example
 * const p = createProgress({ total: 400, label: 'gsm8k', write: (t) => process.stderr.write(t), isTTY: false });
 * p.tick(20); // writes "gsm8k: 20/400 (5%), 4.10 items/s, ETA 1m33s\n"
 * p.done();
 */
export function createProgress(options: ProgressOptions): Progress {
  const { total, write, isTTY } = options;
  const now = options.now ?? Date.now;
  const width = options.width ?? 24;
  const label = options.label ? `${options.label} ` : '';
  const initial = options.initial ?? 0;
  const start = now();
  let done = initial;
  let lastDraw = -Infinity;
  let nextPercent = total > 0 ? Math.floor((100 * initial) / total / 5) * 5 + 5 : 100;
  let finished = false;

  const figures = (): { pct: number; rate: number; eta: number } => {
    const elapsed = (now() - start) / 1000;
    const rate = elapsed > 0 ? (done - initial) / elapsed : 0;
    const pct = total > 0 ? (100 * done) / total : 100;
    return { pct, rate, eta: rate > 0 ? (total - done) / rate : NaN };
  };

  const drawBar = (): void => {
    const { pct, rate, eta } = figures();
    const filled = Math.round((width * Math.min(pct, 100)) / 100);
    const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
    const tail =
      done >= total ? `in ${formatDuration((now() - start) / 1000)}` : `ETA ${formatDuration(eta)}`;
    // \x1b[K clears what a longer previous line left behind.
    write(`\r${label}[${bar}] ${done}/${total} ${pct.toFixed(0)}% ${formatRate(rate)} ${tail}\x1b[K`);
    lastDraw = now();
  };

  const line = (): void => {
    const { pct, rate, eta } = figures();
    const tail =
      done >= total ? `done in ${formatDuration((now() - start) / 1000)}` : `ETA ${formatDuration(eta)}`;
    write(
      `${label ? label.trimEnd() + ': ' : ''}${done}/${total} (${pct.toFixed(0)}%), ${formatRate(rate)}, ${tail}\n`,
    );
  };

  if (isTTY && total > 0) drawBar();

  return {
    tick(n = 1) {
      if (finished) return;
      done = Math.min(total, done + n);
      if (isTTY) {
        // Redraw at most 10 times a second: terminals slow down a fast loop otherwise.
        if (now() - lastDraw >= 100 || done >= total) drawBar();
        return;
      }
      const pct = total > 0 ? (100 * done) / total : 100;
      if (pct >= nextPercent) {
        line();
        nextPercent = Math.floor(pct / 5) * 5 + 5;
      }
    },
    done() {
      if (finished) return;
      finished = true;
      if (isTTY && total > 0) {
        drawBar();
        write('\n');
      }
    },
  };
}
