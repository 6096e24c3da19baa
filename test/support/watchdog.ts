/**
 * A stall watchdog for long-running tests: the test names what it waits for (`step`), and when
 * nothing has made progress for `silenceMs` the watchdog reports the test and step it was in and
 * what Node still has open, runs the registered cleanups (close the browser, close the servers),
 * and fails the waiting step with a `WatchdogError`. After it fires every later step fails at once,
 * so a stuck file ends instead of waiting out each test's timeout.
 *
 * Progress is a step starting or ending, or a test starting or ending. A wait outside any `step`
 * is still ended when a cleanup closes what it waits on (a Playwright call rejects once its browser
 * is gone). The browser tests' single instance lives in test/browser/harness.ts.
 *
 * All of that runs on the main thread's timers, which never fire while a synchronous call (a
 * native addon, a `*Sync` child process) blocks it. For that case `killWhenBlockedMs` starts a
 * worker thread that watches the main thread's heartbeat and, when it stops for that long, prints
 * where the test was and kills the process, so the test runner reports a crash instead of waiting.
 */
import { Worker } from 'node:worker_threads';

export class WatchdogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WatchdogError';
  }
}

export interface WatchdogOptions {
  /** Longest time without progress before the watchdog fires. */
  silenceMs: number;
  /** Longest time one cleanup may take before the watchdog gives up on it. */
  cleanupMs?: number;
  /** Where the report goes; stderr by default. */
  log?: (text: string) => void;
  /** More lines for the report (e.g. the browser's processes and last console messages). */
  report?: () => string[];
  /** Kill this process when its main thread runs nothing for this long (off when absent). */
  killWhenBlockedMs?: number;
}

// The blocked-thread backstop: a worker thread (CommonJS, from source, so it needs no loader).
const BACKSTOP = `
const { workerData, parentPort } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const beat = new Int32Array(workerData.beat);
let where = '(unknown)';
parentPort.on('message', (m) => { where = m; });
let seen = Atomics.load(beat, 0);
let since = Date.now();
setInterval(() => {
  const now = Atomics.load(beat, 0);
  if (now !== seen) { seen = now; since = Date.now(); return; }
  const quiet = Date.now() - since;
  if (quiet < workerData.limitMs) return;
  writeSync(2, '\\n[watchdog] the main thread of this test process ran nothing for ' + Math.round(quiet / 1000) +
    ' s (a synchronous call that does not return) in ' + where + '; killing the test process\\n');
  process.kill(process.pid, 'SIGKILL');
}, Math.min(1000, workerData.limitMs / 4));
`;

type Cleanup = { label: string; run: () => Promise<void> | void };

/** `p`, or a rejection naming `what` once `ms` have passed. */
export function settleWithin<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/** process.getActiveResourcesInfo() as counts, e.g. "TCPSocketWrap x3, Timeout x2". */
export function activeResources(): string {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts].map(([r, n]) => `${r} x${n}`).join(', ') || 'none';
}

export class Watchdog {
  private test = '(no test yet)';
  private readonly steps: { label: string; allowMs: number }[] = [];
  private lastProgress = Date.now();
  private timer: NodeJS.Timeout | null = null;
  private readonly waiters = new Set<(e: WatchdogError) => void>();
  private readonly cleanups = new Set<Cleanup>();
  private readonly silenceMs: number;
  private readonly cleanupMs: number;
  private readonly log: (text: string) => void;
  private readonly report: () => string[];
  private readonly killWhenBlockedMs: number | undefined;
  private backstop: { worker: Worker; beat: Int32Array } | null = null;
  /** Set once the watchdog has fired; every later `step` throws it. */
  fired: WatchdogError | null = null;
  /** Resolves when a firing has run its cleanups (for tests and the self-test). */
  cleanedUp: Promise<void> | null = null;

  constructor(options: WatchdogOptions) {
    this.silenceMs = options.silenceMs;
    this.cleanupMs = options.cleanupMs ?? 15_000;
    this.log = options.log ?? ((text) => process.stderr.write(`${text}\n`));
    this.report = options.report ?? (() => []);
    this.killWhenBlockedMs = options.killWhenBlockedMs;
  }

  /** Where the watchdog believes the run is: test and step. */
  where(): { test: string; step: string } {
    return { test: this.test, step: this.steps.map((s) => s.label).join(' > ') || '(between steps)' };
  }

  /** The silence allowed now: the limit, or more while a step that asked for more runs. */
  private limitMs(): number {
    return Math.max(this.silenceMs, ...this.steps.map((s) => s.allowMs));
  }

  private progress(): void {
    this.lastProgress = Date.now();
    if (this.backstop) {
      const { test, step } = this.where();
      this.backstop.worker.postMessage(`test "${test}", step "${step}"`);
    }
  }

  private startBackstop(limitMs: number): void {
    const beat = new Int32Array(new SharedArrayBuffer(4));
    // No inherited execArgv: a loader (tsx, vitest's) in the worker could wait on this thread.
    const worker = new Worker(BACKSTOP, {
      eval: true,
      execArgv: [],
      workerData: { beat: beat.buffer, limitMs },
    });
    worker.unref();
    this.backstop = { worker, beat };
  }

  private check(): void {
    if (this.backstop) Atomics.add(this.backstop.beat, 0, 1);
    if (!this.fired && Date.now() - this.lastProgress >= this.limitMs()) void this.fire();
  }

  /**
   * Marks the start of a test (or hook phase) so a report names it. The first call starts the
   * watchdog: code that only runs steps (a benchmark reusing the harness) is never watched.
   */
  enterTest(name: string): void {
    this.test = name;
    this.steps.length = 0;
    if (!this.timer) {
      const every = Math.min(1000, this.silenceMs / 4, (this.killWhenBlockedMs ?? Infinity) / 4);
      this.timer = setInterval(() => this.check(), Math.max(10, every));
      this.timer.unref();
      if (this.killWhenBlockedMs !== undefined) this.startBackstop(this.killWhenBlockedMs);
    }
    this.progress();
  }

  /**
   * Runs `fn` as a named step: a wait the watchdog watches. Rejects with the watchdog's error if
   * the watchdog fires while it waits (and at once if it already fired). `allowMs` raises the
   * silence limit while this step runs, for a wait that has its own, longer bound.
   */
  async step<T>(label: string, fn: () => Promise<T>, allowMs = 0): Promise<T> {
    if (this.fired) throw this.fired;
    const entry = { label, allowMs };
    this.steps.push(entry);
    this.progress();
    let stop: ((e: WatchdogError) => void) | undefined;
    const guard = new Promise<never>((_, reject) => {
      stop = reject;
    });
    this.waiters.add(stop!);
    try {
      return await Promise.race([fn(), guard]);
    } finally {
      this.waiters.delete(stop!);
      const i = this.steps.indexOf(entry);
      if (i !== -1) this.steps.splice(i, 1);
      this.progress();
    }
  }

  /** Registers something to close when the watchdog fires; returns its unregister function. */
  onFire(label: string, run: () => Promise<void> | void): () => void {
    const c = { label, run };
    this.cleanups.add(c);
    return () => this.cleanups.delete(c);
  }

  /** Reports where the run stalled, runs the cleanups and fails the waiting steps. */
  fire(): Promise<void> {
    if (this.fired) return this.cleanedUp ?? Promise.resolve();
    const { test, step } = this.where();
    const quiet = ((Date.now() - this.lastProgress) / 1000).toFixed(0);
    const error = new WatchdogError(
      `Watchdog: no progress for ${quiet} s (limit ${this.limitMs() / 1000} s) in test "${test}" at step "${step}". ` +
        'The browser and servers were closed; see the report above for what Node still had open.',
    );
    this.fired = error;
    this.log(
      [
        `[watchdog] stalled: test "${test}", step "${step}", ${quiet} s without progress`,
        `[watchdog] active Node resources: ${activeResources()}`,
        ...this.extraReport().map((line) => `[watchdog] ${line}`),
        `[watchdog] closing: ${[...this.cleanups].map((c) => c.label).join(', ') || 'nothing registered'}`,
      ].join('\n'),
    );
    for (const reject of this.waiters) reject(error);
    this.waiters.clear();
    this.cleanedUp = (async () => {
      for (const c of [...this.cleanups].reverse()) {
        try {
          await settleWithin(Promise.resolve().then(c.run), this.cleanupMs, `closing ${c.label}`);
        } catch (e) {
          this.log(`[watchdog] ${(e as Error).message}`);
        }
      }
      this.cleanups.clear();
    })();
    return this.cleanedUp;
  }

  private extraReport(): string[] {
    try {
      return this.report();
    } catch (e) {
      return [`(report failed: ${(e as Error).message})`];
    }
  }

  /** Stops the silence timer (the process may then exit). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    void this.backstop?.worker.terminate();
    this.backstop = null;
  }
}
