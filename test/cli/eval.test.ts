import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evalJson } from '../../src/cli/commands/eval.ts';
import { evaluate, sweepThreshold } from '../../src/core/metrics.ts';
import { parsePredictions, parseProcessBench } from '../../src/core/processbench.ts';
import { firstError } from '../../src/core/rewards.ts';
import { runEval } from '../../src/node/eval-run.ts';
import { GSM8K, makeTinyModel, REPO_ROOT, type TinyModel } from './tiny-model.ts';
import { jsonLines, prmArgv, runPrm } from '../support/prm-cli.ts';

let m: TinyModel;
let gsm8k: ReturnType<typeof parseProcessBench>;
beforeAll(async () => {
  if (!fs.existsSync(GSM8K)) {
    throw new Error(
      `${GSM8K} is missing: these tests read ProcessBench from ../shared/processbench beside the checkout.`,
    );
  }
  m = await makeTinyModel({ dtypes: ['q4'], contextLength: 2048 });
  gsm8k = parseProcessBench(fs.readFileSync(GSM8K, 'utf8'), GSM8K);
});
afterAll(() => fs.rmSync(m.root, { recursive: true, force: true }));

let n = 0;
const outFile = () => path.join(m.root, `preds-${n++}.jsonl`);
const readLines = (file: string) => jsonLines(fs.readFileSync(file, 'utf8'));

describe('prm eval --data FILE --limit N --json', () => {
  it('prints exactly {subsets: {gsm8k: {n, acc_error, acc_correct, f1}}, average_f1, threshold, model}, equal to evaluate() of its --out lines', async () => {
    const out = outFile();
    const r = await runPrm('eval', { model: m.dir, data: GSM8K, limit: '5', out, json: true });
    expect(r.code).toBe(0);
    const got = JSON.parse(r.out);
    expect(Object.keys(got)).toEqual(['subsets', 'average_f1', 'threshold', 'model']);
    expect(Object.keys(got.subsets)).toEqual(['gsm8k']);
    expect(Object.keys(got.subsets.gsm8k)).toEqual(['n', 'acc_error', 'acc_correct', 'f1']);
    expect(got.subsets.gsm8k.n).toBe(5);
    expect(got.threshold).toBe(0.5);
    expect(got.model).toBe('tiny-test');

    const lines = readLines(out);
    expect(lines).toHaveLength(5);
    expect(new Set(lines.map((l) => l.id))).toEqual(new Set(gsm8k.slice(0, 5).map((it) => it.id)));
    for (const l of lines) {
      const item = gsm8k.find((it) => it.id === l.id)!;
      expect(Object.keys(l)).toEqual(
        expect.arrayContaining(['id', 'subset', 'label', 'prediction', 'rewards']),
      );
      expect(l).toMatchObject({ subset: 'gsm8k', label: item.label, model: 'tiny-test', dtype: 'q4' });
      expect(l.rewards).toHaveLength(item.steps.length);
      expect(l.prediction).toBe(firstError(l.rewards, 0.5));
    }
    expect(got).toEqual(JSON.parse(JSON.stringify(evalJson(evaluate(lines), 0.5, 'tiny-test'))));
    expect(r.err).toMatch(/eval: 5\/5 \(100%\), [\d.]+ items\/s, done in/);
  });

  it('scores items in batches with the same rewards as prm score --input one at a time', async () => {
    const out = outFile();
    const r = await runPrm('eval', { model: m.dir, data: GSM8K, limit: '6', batch: '4', out });
    expect(r.code).toBe(0);
    const input = path.join(m.root, 'score-in.jsonl');
    fs.writeFileSync(
      input,
      gsm8k
        .slice(0, 6)
        .map((it) => JSON.stringify({ id: it.id, problem: it.problem, steps: it.steps }))
        .join('\n'),
    );
    const s = await runPrm('score', { model: m.dir, input, batch: '1' });
    expect(s.code).toBe(0);
    const single = new Map(jsonLines(s.out).map((l) => [l.id, l.rewards as number[]]));
    for (const l of readLines(out)) {
      l.rewards.forEach((v: number, j: number) =>
        expect(Math.abs(v - single.get(l.id)![j])).toBeLessThan(1e-5),
      );
    }
  });

  it('prints a table with percentages to 1 decimal, and the average over several subsets', async () => {
    const mini = path.join(m.root, 'mini.jsonl');
    fs.writeFileSync(
      mini,
      gsm8k
        .slice(10, 13)
        .map((it) => JSON.stringify({ ...it, id: `m${it.id}`, subset: undefined }))
        .join('\n') + '\n',
    );
    const out = outFile();
    const r = await runPrm('eval', { model: m.dir, data: [GSM8K, mini], limit: '3', out });
    expect(r.code).toBe(0);
    const ev = evaluate(readLines(out));
    expect(ev.subsets.map((s) => s.subset).sort()).toEqual(['gsm8k', 'mini']);
    const pct = (x: number) => (Number.isFinite(x) ? (100 * x).toFixed(1) : '-');
    const rows = r.out.trim().split('\n');
    expect(rows[0].split(/\s+/)).toEqual(['subset', 'n', 'Acc_error', 'Acc_correct', 'F1']);
    expect(rows[1].split(/\s+/)).toEqual([
      'gsm8k',
      '3',
      ...[ev.subsets[0].acc_error, ev.subsets[0].acc_correct, ev.subsets[0].f1].map(pct),
    ]);
    expect(rows[2].split(/\s+/)[0]).toBe('mini');
    expect(rows[3].split(/\s+/)).toEqual(['average', pct(ev.average_f1)]);
    expect(rows[4]).toBe('threshold 0.5, model tiny-test (q4)');
  });
});

describe('prm eval --out: resume', () => {
  it('--limit 3 then --limit 5 scores only the 2 new items and keeps the first lines', async () => {
    const out = outFile();
    const first = await runPrm('eval', { model: m.dir, data: GSM8K, limit: '3', out });
    expect(first.code).toBe(0);
    const before = fs.readFileSync(out, 'utf8');
    expect(before.trim().split('\n')).toHaveLength(3);
    const second = await runPrm('eval', { model: m.dir, data: GSM8K, limit: '5', out, json: true });
    expect(second.code).toBe(0);
    expect(second.err).toContain(`resuming: 3 of 5 items already in ${path.basename(out)}; 2 to score.`);
    expect(second.err).toMatch(/scored 2 items in/);
    const after = fs.readFileSync(out, 'utf8');
    expect(after.startsWith(before)).toBe(true);
    expect(
      readLines(out)
        .map((l) => l.id)
        .sort(),
    ).toEqual(
      gsm8k
        .slice(0, 5)
        .map((it) => it.id)
        .sort(),
    );
    expect(JSON.parse(second.out).subsets.gsm8k.n).toBe(5);

    const again = await runPrm('eval', { model: m.dir, data: GSM8K, limit: '5', out });
    expect(again.err).toContain('resuming: 5 of 5 items already');
    expect(again.err).not.toMatch(/scored \d+ items/);
    expect(fs.readFileSync(out, 'utf8')).toBe(after);
  });

  it('drops an incomplete last line with a note and scores that item again', async () => {
    const out = outFile();
    await runPrm('eval', { model: m.dir, data: GSM8K, limit: '2', out });
    fs.appendFileSync(out, '{"id":"gsm8k-2","subset":"gsm8k","lab');
    const r = await runPrm('eval', { model: m.dir, data: GSM8K, limit: '3', out });
    expect(r.code).toBe(0);
    expect(r.err).toContain(
      `note: ${path.basename(out)}: dropped an incomplete last line (line 3) left by an interrupted run`,
    );
    expect(r.err).toContain('resuming: 2 of 3 items already');
    expect(readLines(out)).toHaveLength(3);
  });

  it.each([
    {
      name: 'a different threshold',
      flags: { threshold: '0.9999' },
      patch: (l: Record<string, unknown>) => l,
      msg: /line 1: prediction -?\d+ does not follow from its rewards at threshold 0\.9999 .*another --threshold/,
    },
    {
      name: 'an id that is not in the data',
      flags: {},
      patch: (l: Record<string, unknown>) => ({ ...l, id: 'gsm8k-zzz' }),
      msg: /line 1: item gsm8k-zzz of subset gsm8k is not in the --data files/,
    },
    {
      name: 'a label that changed',
      flags: {},
      patch: (l: Record<string, unknown>) => ({ ...l, label: (l.label as number) === -1 ? 0 : -1 }),
      msg: /line 1: item gsm8k-\d+ has label .* but the data says label/,
    },
    {
      name: 'another model',
      flags: {},
      patch: (l: Record<string, unknown>) => ({ ...l, model: 'other-model' }),
      msg: /line 2 was scored by tiny-test \(q4, fingerprint \w+\), but line 1 by other-model \(q4, fingerprint \w+\)/,
    },
  ])('refuses to resume a file written with $name', async ({ flags, patch, msg }) => {
    const out = outFile();
    await runPrm('eval', { model: m.dir, data: GSM8K, limit: '2', out });
    const lines = readLines(out);
    lines[0] = patch(lines[0]);
    fs.writeFileSync(out, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const r = await runPrm('eval', { model: m.dir, data: GSM8K, limit: '3', out, ...flags });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(msg);
    expect(readLines(out)).toHaveLength(2);
  });

  it('runEval stops between batches when its signal fires, leaving whole lines that a rerun completes', async () => {
    const out = outFile();
    const controller = new AbortController();
    const first = await runEval({
      dataFiles: [GSM8K],
      modelDir: m.dir,
      limit: 6,
      batch: 2,
      out,
      signal: controller.signal,
      isTTY: false,
      // The first progress line comes after the first batch: stop there.
      stderr: (t) => {
        if (t.startsWith('eval:')) controller.abort();
      },
    });
    expect(first.interrupted).toBe(true);
    expect(first.scored).toBe(2);
    expect(readLines(out)).toHaveLength(2);
    const rest = await runPrm('eval', { model: m.dir, data: GSM8K, limit: '6', out, batch: '2' });
    expect(rest.code).toBe(0);
    expect(rest.err).toContain('resuming: 2 of 6 items already');
    expect(readLines(out)).toHaveLength(6);
  });
});

describe('prm eval --preds FILE', () => {
  let preds: string;
  beforeAll(async () => {
    preds = outFile();
    await runPrm('eval', { model: m.dir, data: GSM8K, limit: '8', out: preds });
  });

  it('recomputes the metrics of the stored predictions without a model', async () => {
    const r = await runPrm('eval', { preds, json: true });
    expect(r.code).toBe(0);
    const ev = evaluate(parsePredictions(fs.readFileSync(preds, 'utf8'), preds));
    expect(JSON.parse(r.out)).toEqual(JSON.parse(JSON.stringify(evalJson(ev, null, 'tiny-test'))));
  });

  it.each([0.2, 0.5, 0.8])('with --threshold %s equals sweepThreshold over the stored rewards', async (t) => {
    const r = await runPrm('eval', { preds, threshold: String(t), json: true });
    const [sweep] = sweepThreshold(parsePredictions(fs.readFileSync(preds, 'utf8'), preds), [t]);
    expect(JSON.parse(r.out)).toEqual(JSON.parse(JSON.stringify(evalJson(sweep, t, 'tiny-test'))));
  });

  it('prints the table with where the predictions came from', async () => {
    const r = await runPrm('eval', { preds, threshold: '0.3' });
    expect(r.out).toMatch(/^subset +n +Acc_error +Acc_correct +F1\ngsm8k +8 /);
    expect(r.out).toContain(
      `8 predictions from ${path.basename(preds)}, re-derived at threshold 0.3, model tiny-test`,
    );
  });
});

describe('prm eval: bad input', () => {
  it.each([
    { argv: ['--data', GSM8K, '--bogus'], msg: 'unknown option --bogus.' },
    {
      argv: ['--data', GSM8K, '--threshold', '2'],
      msg: '--threshold must be a number between 0 and 1, got 2.',
    },
    { argv: ['--data', GSM8K, '--limit', '0'], msg: '--limit must be a whole number of at least 1, got 0.' },
    {
      argv: ['--data', GSM8K, '--limit', '2.5'],
      msg: '--limit must be a whole number of at least 1, got 2.5.',
    },
    { argv: ['--data', GSM8K, '--batch', 'x'], msg: '--batch must be a whole number of at least 1, got x.' },
    { argv: [], msg: 'give --data FILE (ProcessBench-format JSON or JSONL), or --preds FILE.' },
    {
      argv: ['--preds', 'p.jsonl', '--limit', '3'],
      msg: '--preds recomputes metrics without a model; drop --limit.',
    },
  ])('$argv -> exit 2: $msg', async ({ argv, msg }) => {
    // Flags are checked before any model or file is opened, so no --model is needed here.
    const r = await runPrm(['eval', ...argv]);
    expect(r.code).toBe(2);
    expect(r.err.startsWith(`prm eval: ${msg}`)).toBe(true);
    expect(r.err).toContain('Usage:\n  prm eval --data FILE...');
  });

  it('names a missing data file', async () => {
    const r = await runPrm('eval', { model: m.dir, data: path.join(m.root, 'nope.json') });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^prm eval: --data: no such file: .*nope\.json; check the path\.\n$/);
  });

  it('names the line of a bad JSONL record', async () => {
    const file = path.join(m.root, 'broken.jsonl');
    const good = JSON.stringify(gsm8k[0]);
    fs.writeFileSync(
      file,
      `${good}\n${JSON.stringify({ ...gsm8k[1], id: 'x1' })}\n{"id": "x2", "problem": \n`,
    );
    const r = await runPrm('eval', { model: m.dir, data: file });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^prm eval: broken\.jsonl line 3: not valid JSON/);
  });

  it('names a record whose label does not fit its steps', async () => {
    const file = path.join(m.root, 'label.jsonl');
    fs.writeFileSync(file, JSON.stringify({ ...gsm8k[0], label: 99 }) + '\n');
    const r = await runPrm('eval', { model: m.dir, data: file });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /label\.jsonl line 1: field "label" must be an integer from -1 to steps\.length-1 \(got 99/,
    );
  });

  it('refuses the same data file twice', async () => {
    const r = await runPrm(['eval', '--model', m.dir, '--data', GSM8K, '--data', GSM8K, '--limit', '1']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/item gsm8k-0 of subset gsm8k appears in both gsm8k\.json and gsm8k\.json/);
  });
});

describe('node bin/prm.js eval + Ctrl-C', () => {
  it('finishes the current batch on SIGINT, exits 130, keeps whole lines and says how to resume', async () => {
    const out = outFile();
    const child = spawn(
      process.execPath,
      ['bin/prm.js', ...prmArgv('eval', { model: m.dir, data: GSM8K, limit: '200', batch: '1', out })],
      { cwd: REPO_ROOT },
    );
    let err = '';
    let sent = false;
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (!sent && /eval: \d+\/200/.test(err)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(130);
    expect(err).toContain('stopping after the current batch');
    expect(err).toMatch(
      new RegExp(
        `interrupted: (\\d+) of 200 items are saved in ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\. Resume with:\\n  prm eval `,
      ),
    );
    const saved = Number(/interrupted: (\d+) of 200/.exec(err)![1]);
    const lines = readLines(out);
    expect(lines).toHaveLength(saved);
    expect(saved).toBeGreaterThan(0);
    expect(saved).toBeLessThan(200);
  });
});
