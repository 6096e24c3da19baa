// The benchmark tooling on a tiny random model: it must run, report every figure and catch a
// backend that scores differently. Timings are never asserted (a slow machine must not fail).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { charTokenizer } from '../../bench/big-model.ts';
import { CONFIGS, tokenizerFiles } from '../../bench/make-synthetic-checkpoint.ts';
import { KERNELS, kernelGraph, writeKernelModel } from '../../bench/kernel-model.ts';
import { setIntAttribute } from '../../bench/onnx-patch.ts';
import { agreement, markdown, maxAbsDiff } from '../../bench/report.ts';
import { measure, quantile } from '../../bench/measure.ts';
import { runBench, torchAvailable } from '../../bench/run.ts';
import { benchSolutions, buildSolution } from '../../bench/solutions.ts';
import type { BackendRun, BenchReport } from '../../bench/types.ts';
import { readModelSpec } from '../../src/node/model.ts';
import { createOrtRunner } from '../../src/node/ort-node.ts';
import { loadTokenizerDir } from '../../src/node/tokenizer-files.ts';
import { tokenizerFromFiles } from '../../src/engine/tokenizer.ts';
import { makeTinyModel, type TinyModel } from '../cli/tiny-model.ts';
import { runPrm } from '../support/prm-cli.ts';

let m: TinyModel;
beforeAll(async () => {
  // Context 600: "long" is capped (to 584 tokens), which keeps the test fast and exercises the cap.
  m = await makeTinyModel({ dtypes: ['fp32', 'q4'], contextLength: 600 });
});
afterAll(() => fs.rmSync(m.root, { recursive: true, force: true }));

describe('quantile(values, q)', () => {
  it.each([
    [[1, 2, 3, 4], 0.5, 2.5],
    [[4, 1, 3, 2], 0.5, 2.5],
    [[5], 0.9, 5],
    [[10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.9, 91],
    [[1, 2, 3], 0, 1],
  ])('quantile(%j, %d) = %d', (values, q, expected) => {
    expect(quantile(values, q)).toBeCloseTo(expected, 10);
  });
});

describe('maxAbsDiff(a, b)', () => {
  it.each([
    ['equal rewards', [0.5, 0.9], [0.5, 0.9], 3, 0, false],
    ['one step off', [0.5, 0.9], [0.5, 0.7], 3, 0.2, false],
    ['different token count', [0.5], [0.5], 4, 0, true],
    ['NaN reward', [Number.NaN], [0.5], 3, Infinity, false],
  ])('%s', (_, ra, rb, tokensB, diff, mismatch) => {
    const r = maxAbsDiff(
      [{ name: 's', tokens: 3, rewards: ra }],
      [{ name: 's', tokens: tokensB, rewards: rb }],
    );
    expect(r.diff).toBeCloseTo(diff, 12);
    expect(r.tokenMismatch).toBe(mismatch);
  });
});

describe('measure(names, score, { repeats })', () => {
  it('times the typical solution cold first, then warm-up + repeats per solution', async () => {
    const calls: string[] = [];
    let t = 0;
    const r = await measure(
      ['short', 'typical'],
      async (name) => {
        calls.push(name);
        t += name === 'short' ? 1 : 4;
        return { rewards: [0.5], tokens: name === 'short' ? 10 : 40 };
      },
      { repeats: 3, now: () => t },
    );
    expect(calls).toEqual([
      'typical',
      'short',
      'short',
      'short',
      'short',
      'typical',
      'typical',
      'typical',
      'typical',
    ]);
    expect(r.firstScoreMs).toBe(4);
    expect(r.solutions.map((s) => [s.name, s.medianMs, s.tokensPerSecond])).toEqual([
      ['short', 1, 10000],
      ['typical', 4, 10000],
    ]);
  });
});

describe('benchSolutions(spec, tokenizer)', () => {
  it('builds short < typical < long, same text every call, long capped below the context', () => {
    const spec = readModelSpec(m.dir);
    const tok = loadTokenizerDir(m.dir);
    const a = benchSolutions(spec, tok);
    const b = benchSolutions(spec, tok);
    expect(a.map((s) => s.name)).toEqual(['short', 'typical', 'long']);
    expect(a.map((s) => s.steps)).toEqual(b.map((s) => s.steps));
    expect(a[0].tokens).toBeLessThan(a[1].tokens);
    expect(a[1].tokens).toBeLessThan(a[2].tokens);
    expect(a[2].target).toBe(600 - 16);
    expect(a[2].tokens).toBeLessThanOrEqual(600 - 16);
    for (const s of a) {
      expect(Math.abs(s.tokens - s.target) / s.target).toBeLessThan(0.25);
      expect(s.scorePositions).toHaveLength(s.steps.length);
    }
  });

  it('buildSolution throws a clear error when no step fits', () => {
    const spec = readModelSpec(m.dir);
    expect(() => buildSolution(spec, loadTokenizerDir(m.dir), 'short', 100, 5)).toThrow(/exceeds 5 tokens/);
  });
});

describe('charTokenizer(vocabSize, specials)', () => {
  it('gives every character its own id below the vocabulary size and keeps the specials', () => {
    const t = charTokenizer(151936, { '\n': 198, '<|endoftext|>': 151643 }) as {
      model: { vocab: Record<string, number> };
    };
    const ids = Object.values(t.model.vocab);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Math.max(...ids)).toBeLessThan(151936);
    expect(t.model.vocab['\n']).toBe(198);
    expect(t.model.vocab['<|endoftext|>']).toBe(151643);
    expect(t.model.vocab['7']).toBeGreaterThanOrEqual(1000);
  });
});

describe('tokenizerFiles(config) of bench/make-synthetic-checkpoint.ts', () => {
  it.each(Object.keys(CONFIGS))('%s: words outside the vocabulary become the unknown token', (name) => {
    const { tokenizer, tokenizerConfig } = tokenizerFiles(CONFIGS[name]);
    const tok = tokenizerFromFiles(JSON.stringify(tokenizer), JSON.stringify(tokenizerConfig), 'synthetic/');
    // The app's warm-up prompt: "What" is not in the synthetic vocabulary.
    const ids = tok.encode('What is 1 + 1?');
    const vocab = tokenizer.model.vocab;
    expect(ids).toEqual([vocab.w100, vocab.is, vocab['1'], vocab['+'], vocab['1'], vocab['?']]);
  });
});

describe('setIntAttribute(model, op, name, value)', () => {
  it('adds accuracy_level to every MatMulNBits node and onnxruntime-node still runs the graph', async () => {
    const file = path.join(m.dir, 'onnx', 'model_q4.onnx');
    const original = fs.readFileSync(file);
    const { bytes, count } = setIntAttribute(original, 'MatMulNBits', 'accuracy_level', 4);
    // 2 layers x (q, k, v, o, gate, up, down) + the head's first linear layer.
    expect(count).toBe(15);
    const copy = path.join(m.root, 'patched.onnx');
    fs.writeFileSync(copy, bytes);
    const runner = await createOrtRunner(copy, { threads: 1 });
    const [out] = await runner.run([[1, 2, 3, 4]]);
    await runner.dispose();
    expect(out.logits).toHaveLength(8);
    expect([...out.logits].every(Number.isFinite)).toBe(true);
  });

  it('changes nothing when no node has the op type', () => {
    const original = fs.readFileSync(path.join(m.dir, 'onnx', 'model_q4.onnx'));
    const { bytes, count } = setIntAttribute(original, 'NoSuchOp', 'x', 1);
    expect(count).toBe(0);
    expect(Buffer.compare(Buffer.from(bytes), original)).toBe(0);
  });
});

describe('kernel-isolation models (bench/kernel-model.ts)', () => {
  it.each([
    ['matmul-fp32', 'MatMul', 17],
    ['matmul-q4', 'MatMulNBits', 16],
    ['matmul-q4acc4', 'MatMulNBits', 16],
    ['matmul-int8', 'DynamicQuantizeMatMul', 16],
    ['attention', 'GroupQueryAttention', 4],
  ] as const)('%s is %s x%d between the embedding and the 2-logit head', (kernel, op, count) => {
    const { nodes } = kernelGraph(kernel, 340);
    expect(nodes.filter((n) => n.opType === op)).toHaveLength(count);
    expect(nodes[0].opType).toBe('Gather');
    expect(nodes.at(-1)?.outputs).toEqual(['logits']);
    const acc = nodes.filter((n) => n.attributes?.accuracy_level);
    expect(acc).toHaveLength(kernel === 'matmul-q4acc4' ? 16 : 0);
  });

  it.each(KERNELS)('%s: onnxruntime-node scores it through the benchmark runner contract', async (kernel) => {
    const dir = path.join(m.root, `kernel-${kernel}`);
    writeKernelModel(kernel, dir);
    expect(readModelSpec(dir).name).toBe(`kernel-${kernel}`);
    const runner = await createOrtRunner(path.join(dir, 'onnx', 'model.onnx'), { threads: 1 });
    const [out] = await runner.run([[3, 17, 42, 99, 5, 8]]);
    await runner.dispose();
    expect(out.logits).toHaveLength(12);
    expect([...out.logits].every(Number.isFinite)).toBe(true);
    // Different tokens give different logits: data flows through every layer.
    expect(new Set([...out.logits].map((v) => v.toFixed(6))).size).toBeGreaterThan(2);
  });
});

describe('agreement(runs)', () => {
  const run = (backend: BackendRun['backend'], rewards: number[]): BackendRun => ({
    backend,
    label: backend,
    dtype: 'q4',
    loadMs: 1,
    firstScoreMs: 1,
    solutions: [
      { name: 'typical', tokens: 5, rewards, samplesMs: [1], medianMs: 1, p90Ms: 1, tokensPerSecond: 5000 },
    ],
    memory: { peakMB: null, what: 'none' },
  });
  it.each([
    ['same rewards', [0.3, 0.7], true],
    ['float noise', [0.3 + 1e-6, 0.7], true],
    ['a wrong step', [0.3, 0.2], false],
  ])('%s -> ok %s', (_, rewards, ok) => {
    const rows = agreement([run('node', [0.3, 0.7]), run('wasmN', rewards)]);
    expect(rows.map((r) => [r.backend, r.ok])).toEqual([['wasmN', ok]]);
  });
});

describe('runBench on a tiny model (node + torch)', () => {
  let report: BenchReport;
  beforeAll(async () => {
    report = await runBench({
      modelDir: m.dir,
      backends: ['node', 'torch'],
      repeats: 2,
      checkpoint: m.ckpt.dir,
    });
  }, 120_000);

  it('reports load, first score, warm latency, tokens/s and memory for onnxruntime-node', () => {
    const node = report.runs.find((r) => r.backend === 'node')!;
    expect(node).toBeDefined();
    expect(node.dtype).toBe('q4');
    expect(node.loadMs).toBeGreaterThan(0);
    expect(node.firstScoreMs).toBeGreaterThan(0);
    expect(node.memory.peakMB).toBeGreaterThan(0);
    expect(node.solutions.map((s) => s.name)).toEqual(['short', 'typical', 'long']);
    for (const s of node.solutions) {
      const planned = report.solutions.find((x) => x.name === s.name)!;
      expect(s.tokens).toBe(planned.tokens);
      expect(s.rewards).toHaveLength(planned.steps);
      expect(s.rewards.every((r) => r > 0 && r < 1)).toBe(true);
      expect(s.samplesMs).toHaveLength(2);
      expect(s.p90Ms).toBeGreaterThanOrEqual(s.medianMs);
      expect(s.tokensPerSecond).toBeGreaterThan(0);
    }
    expect(report.notes.join(' ')).toMatch(/long solution is capped at 584 tokens/);
  });

  it.runIf(torchAvailable())(
    'runs PyTorch on the checkpoint and agrees with onnxruntime-node fp32 within 2e-3',
    () => {
      const torch = report.runs.find((r) => r.backend === 'torch');
      expect(report.failures).toEqual([]);
      expect(torch?.solutions).toHaveLength(3);
      const row = report.agreement.find((a) => a.backend === 'torch')!;
      expect(row.against).toBe('node fp32');
      expect(row.ok).toBe(true);
    },
  );

  it('markdown(report) has a row per backend and solution and the agreement table', () => {
    const md = markdown(report);
    expect(md).toMatch(/\| onnxruntime-node \(CPU, \d+ threads?\) \| short \|/);
    expect(md).toMatch(/\| {2}\| long \| \d+ \|/);
    expect(md).toContain('## Same rewards?');
  });

  it('markdown(report) says how many warm-up runs came before the timed ones', () => {
    expect(report.warmup).toBe(1);
    expect(markdown(report)).toContain('median and p90 of 2 runs after one warm-up run;');
    expect(markdown({ ...report, warmup: 0 })).toContain('after no warm-up run');
    expect(markdown({ ...report, warmup: 3 })).toContain('after 3 warm-up runs;');
  });
});

describe('prm bench flags', () => {
  it.each([
    [['--backends', 'node,cuda'], /--backends: unknown 'cuda'/],
    [['--repeats', '0'], /--repeats must be a whole number of at least 1/],
    [['--dtype', 'int8'], /--dtype must be one of/],
    [['--graph-opt', 'max'], /--graph-opt must be/],
  ])('prm bench %j exits 2 with a message', async (flags, message) => {
    const r = await runPrm(['bench', '--model', m.dir, ...flags]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it('prm bench --backends node --json --md writes both files and exits 0', async () => {
    const json = `${m.root}/bench.json`;
    const md = `${m.root}/bench.md`;
    const r = await runPrm('bench', {
      model: m.dir,
      backends: 'node',
      solutions: 'short',
      repeats: '1',
      json,
      md,
    });
    expect(r.code).toBe(0);
    const saved = JSON.parse(fs.readFileSync(json, 'utf8')) as BenchReport;
    expect(saved.format).toBe('prm-bench/1');
    expect(saved.runs.map((x) => x.backend)).toEqual(['node']);
    expect(fs.readFileSync(md, 'utf8')).toBe(r.out);
  }, 60_000);
});
