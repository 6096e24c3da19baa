import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { settleWithin, Watchdog, WatchdogError } from './watchdog.ts';

const never = () => new Promise<never>(() => undefined);

afterEach(() => {
  vi.useRealTimers();
});

describe('Watchdog', () => {
  it('fails a step that awaits forever within the silence limit, naming the test and step', async () => {
    const logs: string[] = [];
    const closed: string[] = [];
    const w = new Watchdog({ silenceMs: 200, log: (t) => logs.push(t) });
    w.onFire('browser', () => {
      closed.push('browser');
    });
    w.onFire('server', async () => {
      closed.push('server');
    });
    w.enterTest('engine > loads a model');
    const t0 = Date.now();
    const err = await w.step('page: load bundled', never).catch((e: unknown) => e);
    const waited = Date.now() - t0;
    w.stop();
    expect(err).toBeInstanceOf(WatchdogError);
    expect((err as Error).message).toMatch(
      /no progress for \d+ s \(limit 0\.2 s\) in test "engine > loads a model" at step "page: load bundled"/,
    );
    expect(waited).toBeGreaterThanOrEqual(190);
    await w.cleanedUp;
    // Closed in reverse order of registration (the server the browser talks to goes last).
    expect(closed).toEqual(['server', 'browser']);
    expect(logs.join('\n')).toMatch(/stalled: test "engine > loads a model", step "page: load bundled"/);
    expect(logs.join('\n')).toMatch(/active Node resources: /);
  });

  it('does not fire while steps keep making progress, and names nested steps', async () => {
    vi.useFakeTimers();
    const w = new Watchdog({ silenceMs: 150, log: () => undefined });
    w.enterTest('t');
    for (let i = 0; i < 6; i++) {
      const s = w.step(`short ${i}`, () => new Promise((r) => setTimeout(r, 100)));
      await vi.advanceTimersByTimeAsync(100);
      await s;
    }
    const inner = await w.step('outer', () => w.step('inner', async () => w.where().step));
    w.stop();
    expect(w.fired).toBeNull();
    expect(inner).toBe('outer > inner');
  });

  it('after firing, every later step fails at once with the same error, without running', async () => {
    const w = new Watchdog({ silenceMs: 50, log: () => undefined });
    w.enterTest('t');
    await expect(w.step('stuck', never)).rejects.toThrow(/at step "stuck"/);
    w.stop();
    const fn = vi.fn(never);
    await expect(w.step('next', fn)).rejects.toBe(w.fired);
    expect(fn).not.toHaveBeenCalled();
  });

  it('lets a step with its own longer bound run past the silence limit, and fires after it', async () => {
    vi.useFakeTimers();
    const w = new Watchdog({ silenceMs: 50, log: () => undefined });
    w.enterTest('t');
    const slow = w.step('slow but bounded', () => new Promise((r) => setTimeout(() => r('done'), 300)), 400);
    await vi.advanceTimersByTimeAsync(300);
    await expect(slow).resolves.toBe('done');
    expect(w.fired).toBeNull();
    const stuck = w.step('stuck', never, 400).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(399);
    expect(w.fired).toBeNull();
    await vi.advanceTimersByTimeAsync(10);
    expect(await stuck).toBeInstanceOf(WatchdogError);
    w.stop();
  });

  it('gives up on a cleanup that hangs and still runs the others', async () => {
    const logs: string[] = [];
    const closed: string[] = [];
    const w = new Watchdog({ silenceMs: 50, cleanupMs: 50, log: (t) => logs.push(t) });
    w.onFire('ok', () => {
      closed.push('ok');
    });
    w.onFire('hangs', never);
    w.enterTest('t');
    await w.step('stuck', never).catch(() => undefined);
    await w.cleanedUp;
    w.stop();
    expect(closed).toEqual(['ok']);
    expect(logs.join('\n')).toMatch(/closing hangs did not finish within 50 ms/);
  });

  it('unregistered cleanups are not run', async () => {
    const closed: string[] = [];
    const w = new Watchdog({ silenceMs: 50, log: () => undefined });
    const off = w.onFire('gone', () => {
      closed.push('gone');
    });
    off();
    w.enterTest('t');
    await w.step('stuck', never).catch(() => undefined);
    await w.cleanedUp;
    w.stop();
    expect(closed).toEqual([]);
  });
});

describe('Watchdog outside a test run', () => {
  it('never fires before a test has started (a benchmark that only runs steps)', async () => {
    const w = new Watchdog({ silenceMs: 20, log: () => undefined });
    const r = await w.step(
      'long step',
      () => new Promise((resolve) => setTimeout(() => resolve('done'), 200)),
    );
    expect(r).toBe('done');
    expect(w.fired).toBeNull();
  });
});

describe('Watchdog backstop for a blocked main thread', () => {
  it('kills the process, naming the test and step, when a synchronous call never returns', () => {
    // A child process whose main thread blocks (Atomics.wait: no timer can run) for 60 s.
    const code = `
      import { Watchdog } from ${JSON.stringify(new URL('./watchdog.ts', import.meta.url).href)};
      const w = new Watchdog({ silenceMs: 60_000, killWhenBlockedMs: 500 });
      w.enterTest('blocked test');
      await w.step('sync forever', async () => {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
      });
      console.log('returned');
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      encoding: 'utf8',
      timeout: 50_000,
    });
    expect(r.error).toBeUndefined(); // not ended by this test's own timeout
    expect(r.signal).toBe('SIGKILL');
    expect(r.stdout).not.toContain('returned');
    expect(r.stderr).toMatch(
      /main thread of this test process ran nothing for \d+ s .* in test "blocked test", step "sync forever"; killing the test process/,
    );
  }, 60_000);
});

describe('settleWithin', () => {
  it('passes a settled value through and rejects, naming the wait, after the limit', async () => {
    await expect(settleWithin(Promise.resolve(3), 50, 'x')).resolves.toBe(3);
    await expect(settleWithin(never(), 30, 'closing a server')).rejects.toThrow(
      'closing a server did not finish within 30 ms',
    );
  });
});
