import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GSM8K, makeTinyModel, type TinyModel } from './tiny-model.ts';
import { jsonLines, runPrm } from '../support/prm-cli.ts';
import { startVllmStandIn, type VllmStandIn } from '../support/vllm-standin.ts';
import { runEval } from '../../src/node/eval-run.ts';

const NAME = 'Qwen/Qwen2.5-Math-PRM-7B';
let m: TinyModel;
let vllm: VllmStandIn;
beforeAll(async () => {
  m = await makeTinyModel({ dtypes: ['fp32', 'q4'], contextLength: 2048 });
  vllm = await startVllmStandIn({ modelDir: m.dir, servedName: NAME, dtype: 'q4' });
});
afterAll(async () => {
  await vllm?.close();
  if (m) fs.rmSync(m.root, { recursive: true, force: true });
});

let n = 0;
const outFile = () => path.join(m.root, `vllm-preds-${n++}.jsonl`);
const lines = (file: string) => jsonLines(fs.readFileSync(file, 'utf8'));
const server = (url = vllm.url) => ['--server', url, '--model', NAME, '--prompt-from', m.dir];

describe('prm score --server', () => {
  it('prints the same steps, rewards and first error as the local model, naming the server', async () => {
    const solution = '24 × 5 = 120 muffins.\n\n120 - 98 = 22 muffins.\n\nThe answer is 22.';
    const args = [
      'score',
      '--problem',
      'A bakery makes 24 muffins a day for 5 days. It sells 98.',
      '--solution',
      solution,
      '--json',
    ];
    const here = await runPrm([...args, '--model', m.dir, '--dtype', 'q4']);
    const there = await runPrm([...args, ...server()]);
    expect(there.code, there.err).toBe(0);
    const a = JSON.parse(here.out);
    const b = JSON.parse(there.out);
    expect(b).toEqual({ ...a, model: NAME, dtype: 'vllm' });
    const table = await runPrm(args.filter((x) => x !== '--json').concat(server()));
    expect(table.out).toContain(`model ${NAME} (vllm at ${vllm.url}), threshold 0.5`);
  });

  it('refuses --server without --prompt-from or with --dtype, and --timeout without --server', async () => {
    const base = ['score', '--problem', 'p', '--solution', 's'];
    expect((await runPrm([...base, '--server', vllm.url, '--model', NAME])).err).toMatch(
      /--server needs --prompt-from DIR/,
    );
    expect((await runPrm([...base, ...server(), '--dtype', 'q4'])).err).toMatch(
      /the server runs its own weights/,
    );
    expect((await runPrm([...base, '--timeout', '5'])).err).toMatch(/--timeout applies to --server only/);
  });
});

describe('prm eval --server', () => {
  const data = ['--data', GSM8K, '--limit', '12'];

  it('reproduces prm eval on the same model exactly (metrics, rewards, --preds), with concurrent requests', async () => {
    const localOut = outFile();
    const remoteOut = outFile();
    const here = await runPrm([
      'eval',
      ...data,
      '--model',
      m.dir,
      '--dtype',
      'q4',
      '--out',
      localOut,
      '--json',
    ]);
    const calls = vllm.calls.length;
    const there = await runPrm([
      'eval',
      ...data,
      ...server(),
      '--concurrency',
      '4',
      '--out',
      remoteOut,
      '--json',
    ]);
    expect(there.code, there.err).toBe(0);
    expect(JSON.parse(there.out)).toEqual({ ...JSON.parse(here.out), model: NAME });
    expect(vllm.calls.length - calls).toBe(12 + 1);
    const byId = new Map(lines(localOut).map((l) => [l.id, l]));
    const remote = lines(remoteOut);
    expect(remote).toHaveLength(12);
    for (const l of remote) {
      expect(l).toMatchObject({ model: NAME, dtype: 'vllm' });
      expect(l.rewards).toEqual(byId.get(l.id).rewards);
      expect(l.prediction).toBe(byId.get(l.id).prediction);
    }
    const preds = await runPrm('eval', { preds: remoteOut, json: true });
    expect(JSON.parse(preds.out).subsets).toEqual(JSON.parse(here.out).subsets);
    expect(there.err).toMatch(/eval: 12\/12 \(100%\), [\d.]+ items\/s, done in/);
  });

  it('loses no predictions when the server goes away mid-run, and resumes to the same result', async () => {
    const out = outFile();
    const full = await runPrm(['eval', ...data, '--model', m.dir, '--dtype', 'q4', '--json']);
    vllm.breakAfter(1 + 5);
    const broken = await runPrm([
      'eval',
      ...data,
      ...server(),
      '--concurrency',
      '3',
      '--retries',
      '0',
      '--out',
      out,
      '--json',
    ]);
    vllm.heal();
    expect(broken.code).toBe(1);
    expect(broken.err).toMatch(/Could not reach the vLLM server at http:\/\/127\.0\.0\.1:\d+/);
    expect(broken.err).toContain(
      `stopped: 5 of 12 items are saved in ${out}; run the same command again to resume.`,
    );
    expect(lines(out)).toHaveLength(5);

    const again = await runPrm(['eval', ...data, ...server(), '--concurrency', '3', '--out', out, '--json']);
    expect(again.code, again.err).toBe(0);
    expect(again.err).toContain('resuming: 5 of 12 items already in');
    expect(JSON.parse(again.out)).toEqual({ ...JSON.parse(full.out), model: NAME });
    expect(lines(out)).toHaveLength(12);
  });

  it('keeps the finished lines when a request hangs past --timeout', async () => {
    const out = outFile();
    vllm.breakAfter(1 + 4, 'hang');
    const r = await runPrm([
      'eval',
      ...data,
      ...server(),
      '--concurrency',
      '2',
      '--timeout',
      '1',
      '--retries',
      '0',
      '--out',
      out,
    ]);
    vllm.heal();
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/\/pooling did not answer within 1 s; the server may be overloaded or stuck/);
    expect(r.err).toContain(`stopped: 4 of 12 items are saved in ${out}`);
    expect(lines(out)).toHaveLength(4);
  });

  it('Ctrl-C cancels the requests in flight instead of waiting out --timeout, and a rerun resumes', async () => {
    const out = outFile();
    vllm.breakAfter(1 + 4, 'hang');
    const controller = new AbortController();
    // Stop once the four answered items are written and the next requests hang.
    const watch = setInterval(() => {
      const text = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
      if (text.split('\n').length - 1 === 4) controller.abort();
    }, 20);
    const first = await runEval({
      dataFiles: [GSM8K],
      limit: 12,
      server: { url: vllm.url, model: NAME, promptDir: m.dir, timeoutMs: 600_000, retries: 0 },
      concurrency: 2,
      batch: 1,
      out,
      signal: controller.signal,
      stderr: () => undefined,
      isTTY: false,
    }).finally(() => {
      clearInterval(watch);
      vllm.heal();
    });
    // Without the cancel the hanging requests would hold runEval past this test's time limit.
    expect(first.interrupted).toBe(true);
    expect(first.scored).toBe(4);
    expect(lines(out)).toHaveLength(4);
    const again = await runPrm(['eval', ...data, ...server(), '--out', out]);
    expect(again.code, again.err).toBe(0);
    expect(again.err).toContain('resuming: 4 of 12 items already in');
    expect(lines(out)).toHaveLength(12);
  });

  it('retries a 500 and a dropped connection, then finishes; a 400 stops with the server message', async () => {
    const out = outFile();
    vllm.fail(1, 500);
    vllm.drop(1);
    // The first two /pooling requests are the probe's tries: it succeeds on the third.
    const r = await runPrm(['eval', ...data, ...server(), '--concurrency', '2', '--out', out, '--json']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/note: retry 1 in 1\.0s: .*answered 500/);
    expect(r.err).toMatch(/note: retry 2 in 2\.0s: Could not reach/);

    const out2 = outFile();
    const before = vllm.calls.length;
    vllm.fail(1, 400, 'Task embed is not supported.');
    const bad = await runPrm(['eval', ...data, ...server(), '--out', out2, '--json']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/answered 400: Task embed is not supported\..*--runner pooling/);
    expect(vllm.calls.length).toBe(before);
  });

  it('stops before scoring when the pooler does not match the prompt, naming --pooler-config', async () => {
    const wrong = await startVllmStandIn({
      modelDir: m.dir,
      servedName: NAME,
      dtype: 'q4',
      pooler: { step_tag_id: 0 },
    });
    try {
      const out = outFile();
      const r = await runPrm(['eval', ...data, ...server(wrong.url), '--out', out]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(
        /step_tag_id is not our step token .*--pooler-config '\{"pooling_type":"STEP","step_tag_id":\d+\}'/,
      );
      expect(fs.existsSync(out)).toBe(false);
      expect(wrong.calls).toHaveLength(1);
    } finally {
      await wrong.close();
    }
  });
});

describe('prm eval --preds A --against B: a local model against the server, step by step', () => {
  it('prints mean/p95/max reward differences, first-error agreement and both F1s, from the two files', async () => {
    const data = ['--data', GSM8K, '--limit', '8'];
    const fp32 = outFile();
    const q4 = outFile();
    expect((await runPrm(['eval', ...data, '--model', m.dir, '--dtype', 'fp32', '--out', fp32])).code).toBe(
      0,
    );
    expect((await runPrm(['eval', ...data, ...server(), '--out', q4])).code).toBe(0);
    const r = await runPrm('eval', { preds: fp32, against: q4, json: true });
    expect(r.code, r.err).toBe(0);
    const got = JSON.parse(r.out);
    const a = new Map(lines(fp32).map((l) => [l.id, l]));
    const diffs = lines(q4).flatMap((l) =>
      l.rewards.map((x: number, s: number) => Math.abs(x - a.get(l.id).rewards[s])),
    );
    expect(got.subsets.gsm8k.n).toBe(8);
    expect(got.subsets.gsm8k.steps).toBe(diffs.length);
    expect(got.subsets.gsm8k.max_abs).toBe(Math.max(...diffs));
    expect(got.subsets.gsm8k.mean_abs).toBeCloseTo(
      diffs.reduce((x: number, y: number) => x + y, 0) / diffs.length,
      12,
    );
    expect(got.subsets.gsm8k.max_abs).toBeGreaterThan(0);
    expect(got.b).toMatchObject({ model: NAME, dtype: 'vllm' });
    const table = await runPrm('eval', { preds: fp32, against: q4 });
    expect(table.out).toMatch(/^A: .*\(tiny-test, fp32\)\nB: .*\(Qwen\/Qwen2.5-Math-PRM-7B, vllm\)\n/);
    expect(table.out).toMatch(
      /subset +n +steps +mean \|diff\| +p95 \|diff\| +max \|diff\| +same first error +F1 A +F1 B/,
    );
    expect(table.out).toContain(`largest differences:`);
    const same = await runPrm('eval', { preds: q4, against: q4, json: true });
    expect(JSON.parse(same.out).subsets.gsm8k).toMatchObject({ max_abs: 0, same_first_error: 1 });
  });
});
