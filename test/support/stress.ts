/**
 * `npm run test:stress`: runs browser test files many times, each run in its own vitest process
 * under an outer time limit, and prints how many runs passed, failed and stalled per file, so a
 * rare stall or flake is caught before CI. Not part of the gate.
 *
 *   npm run test:stress -- [--runs N] [--files a.browser.test.ts,b...] [--limit S] [--no-build]
 *   npm run test:stress -- --selftest
 *
 * --runs N      runs per file (default 10)
 * --files ...   comma-separated files or names under test/browser/ (default: every *.browser.test.ts)
 * --limit S     outer limit per run in seconds (default 900); a run still going then is a stall:
 *               its process tree (Chromium included) is listed in its log and killed
 * --no-build    skip `npm run build` (the app's files need dist/; the engine file builds its own)
 * --selftest    runs test/browser/watchdog.selftest.ts, a test that awaits forever, with a short
 *               watchdog (PRM_TEST_WATCHDOG_S=10) and checks it fails in time, naming test and step
 *
 * Each run's output goes to a log file in a temp folder printed at the start.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { describeProcesses, descendants, killAll } from './processes.ts';

const root = resolve(import.meta.dirname, '../..');
const vitest = join(root, 'node_modules/vitest/vitest.mjs');

interface Options {
  runs: number;
  files: string[];
  limitS: number;
  build: boolean;
  selftest: boolean;
}

function usage(message: string): never {
  process.stderr.write(
    `${message}\nusage: npm run test:stress -- [--runs N] [--files a,b] [--limit S] [--no-build] | --selftest\n`,
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const o: Options = { runs: 10, files: [], limitS: 900, build: true, selftest: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => argv[++i] ?? usage(`${a} needs a value`);
    const positive = (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) usage(`${a} must be a whole number >= 1, got "${v}"`);
      return n;
    };
    if (a === '--runs') o.runs = positive(value());
    else if (a === '--limit') o.limitS = positive(value());
    else if (a === '--files') o.files.push(...value().split(',').filter(Boolean));
    else if (a === '--no-build') o.build = false;
    else if (a === '--selftest') o.selftest = true;
    else usage(`unknown argument "${a}"`);
  }
  const dir = join(root, 'test/browser');
  const all = readdirSync(dir)
    .filter((f) => f.endsWith('.browser.test.ts'))
    .sort();
  o.files = (o.files.length ? o.files : all).map((f) => {
    const name = basename(f);
    const match = all.find((x) => x === name || x === `${name}.browser.test.ts`);
    if (!match) usage(`no browser test file "${f}" in test/browser/ (have: ${all.join(', ')})`);
    return `test/browser/${match}`;
  });
  return o;
}

interface RunResult {
  outcome: 'pass' | 'fail' | 'stall';
  seconds: number;
  log: string;
  output: string;
}

/** One vitest run of `file` in its own process group, killed with its whole tree after `limitS`. */
function runOnce(file: string, limitS: number, log: string, env: NodeJS.ProcessEnv): Promise<RunResult> {
  const t0 = Date.now();
  const child = spawn(process.execPath, [vitest, 'run', '--config', 'vitest.browser.config.ts', file], {
    cwd: root,
    env: { ...process.env, CI: 'true', ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  return new Promise((done) => {
    let stalled = false;
    const timer = setTimeout(() => {
      stalled = true;
      const tree = [child.pid!, ...descendants(child.pid!)];
      output += `\n[stress] no result after ${limitS} s: killing the process tree\n${describeProcesses(tree).join('\n')}\n`;
      killAll(tree.reverse());
    }, limitS * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      writeFileSync(log, output);
      const outcome = stalled ? 'stall' : code === 0 ? 'pass' : 'fail';
      done({ outcome, seconds: (Date.now() - t0) / 1000, log, output });
    });
  });
}

/** The failed tests' names in a vitest log. */
function failedTests(output: string): string[] {
  // eslint-disable-next-line no-control-regex
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
  return [...new Set([...plain.matchAll(/^\s*FAIL\s+(.+)$/gm)].map((m) => m[1].trim()))];
}

async function selftest(logs: string): Promise<number> {
  const silenceS = 10;
  const limitS = silenceS + 90;
  process.stdout.write(`watchdog self-test: a test that awaits forever, watchdog at ${silenceS} s\n`);
  const r = await runOnce('test/browser/watchdog.selftest.ts', limitS, join(logs, 'selftest.log'), {
    PRM_WATCHDOG_SELFTEST: '1',
    PRM_TEST_WATCHDOG_S: String(silenceS),
  });
  const named =
    /Watchdog: no progress for \d+ s \(limit 10 s\) in test "watchdog self-test > awaits a page promise that never settles" at step "page: a promise that never settles"/.test(
      r.output,
    );
  const ok = r.outcome === 'fail' && named;
  process.stdout.write(
    `${ok ? 'PASS' : 'FAIL'}: the run ${r.outcome === 'stall' ? 'stalled' : r.outcome === 'pass' ? 'passed (it must not)' : 'failed'} after ${r.seconds.toFixed(0)} s; ` +
      `watchdog message naming the test and step: ${named ? 'yes' : 'no'} (log: ${r.log})\n`,
  );
  return ok ? 0 : 1;
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const logs = mkdtempSync(join(tmpdir(), 'prm-stress-'));
  process.stdout.write(`logs: ${logs}\n`);
  if (o.selftest) return selftest(logs);
  if (o.build) {
    process.stdout.write('npm run build\n');
    const b = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
    if (b.status !== 0) return 1;
  }
  const rows: { file: string; results: RunResult[] }[] = [];
  let bad = 0;
  for (const file of o.files) {
    const row = { file, results: [] as RunResult[] };
    rows.push(row);
    for (let i = 1; i <= o.runs; i++) {
      const r = await runOnce(file, o.limitS, join(logs, `${basename(file, '.ts')}.${i}.log`), {});
      row.results.push(r);
      const why = r.outcome === 'fail' ? `: ${failedTests(r.output).join('; ') || 'see log'}` : '';
      if (r.outcome !== 'pass') bad++;
      process.stdout.write(
        `${file} run ${i}/${o.runs}: ${r.outcome} in ${r.seconds.toFixed(0)} s${why}${r.outcome === 'pass' ? '' : ` (log: ${r.log})`}\n`,
      );
    }
  }
  const table = [['file', 'runs', 'pass', 'fail', 'stall', 'median s', 'max s']];
  for (const { file, results } of rows) {
    const secs = results.map((r) => r.seconds).sort((a, b) => a - b);
    const count = (k: RunResult['outcome']) => String(results.filter((r) => r.outcome === k).length);
    table.push([
      basename(file),
      String(results.length),
      count('pass'),
      count('fail'),
      count('stall'),
      secs[Math.floor(secs.length / 2)].toFixed(0),
      secs[secs.length - 1].toFixed(0),
    ]);
  }
  const widths = table[0].map((_, c) => Math.max(...table.map((r) => r[c].length)));
  process.stdout.write(
    `\n${table.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n')}\n`,
  );
  return bad === 0 ? 0 : 1;
}

process.exitCode = await main();
