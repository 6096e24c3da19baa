/**
 * Score time against input length on one browser backend, to tell a per-token cost from a fixed
 * one and to predict a bigger model's time from a cut-down one (e.g. a 2-layer 7B-shaped model:
 * the 28-layer time is about 14x its layer part):
 *
 *   npx tsx bench/make-synthetic-checkpoint.ts --config qwen7b --layers 2 --out .bench/q7l2
 *   node bin/prm.js convert .bench/q7l2 --out .bench/q7l2-q4 --dtype q4 --external-data --quantize-embedding
 *   npx tsx bench/token-scaling.ts --model .bench/q7l2-q4 --backend webgpu --tokens 40,80,160
 *
 * One fresh Chromium, the model loaded once (the bench page's own session set up as the engine
 * does), then the first length scored cold and every length once more warm, in the order given
 * (measure.ts with warmup 0, repeats 1), with Chromium's CPU seconds in each run (bench/proc.ts:
 * on a shared machine wall time depends on the neighbours, CPU time much less). Solutions come
 * from the benchmark's generator (solutions.ts) at each target length, the text `prm bench` scores.
 *
 * Deliberately does not: compare rewards (random weights; `prm bench` does that) or repeat runs.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { readModelSpec } from '../src/node/model.ts';
import { loadTokenizerDir } from '../src/node/tokenizer-files.ts';
import { buildBenchSite, runBrowserBackend, serveBench } from './browser.ts';
import { descendants } from './proc.ts';
import { buildSolution } from './solutions.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    backend: { type: 'string', default: 'webgpu' },
    tokens: { type: 'string', default: '16,32,64,128' },
    dtype: { type: 'string', default: 'q4' },
    threads: { type: 'string', default: '2' },
    timeout: { type: 'string', default: '3600' },
  },
});
const lengths = (values.tokens ?? '').split(',').map(Number);
if (
  !values.model ||
  !['wasm1', 'wasmN', 'webgpu'].includes(values.backend!) ||
  lengths.some((n) => !Number.isInteger(n) || n < 1)
) {
  console.error(
    'Usage: npx tsx bench/token-scaling.ts --model DIR [--backend webgpu|wasm1|wasmN] [--tokens 16,32,64,128] [--dtype q4] [--threads 2] [--timeout S]',
  );
  process.exit(2);
}
const modelDir = resolve(values.model);
const spec = readModelSpec(modelDir);
const tokenizer = loadTokenizerDir(modelDir);
const limit = spec.context_length - 16;
// buildSolution stops at the step closest to the target, so two targets can give one solution.
const solutions = lengths.map((n) => ({
  ...buildSolution(spec, tokenizer, 'typical', n, limit),
  name: `t${n}`,
}));
for (const s of solutions) console.log(`${s.name}: ${s.tokens} tokens, ${s.steps.length} steps`);

/** CPU seconds of Chromium (every process this one started) at times (ms), every 500 ms. */
const cpu: [number, number][] = [];
const sampleCpu = (): number => cpu.push([performance.now(), descendants().cpuS]);
/** Chromium's CPU seconds between two times, interpolated between samples. */
function cpuBetween(from: number, to: number): number {
  const at = (t: number): number => {
    const i = cpu.findIndex(([ti]) => ti >= t);
    if (i <= 0) return cpu[i === 0 ? 0 : cpu.length - 1][1];
    const [t0, c0] = cpu[i - 1];
    const [t1, c1] = cpu[i];
    return c0 + ((c1 - c0) * (t - t0)) / (t1 - t0);
  };
  return at(to) - at(from);
}

const site = await buildBenchSite((l) => console.log(l));
const server = await serveBench(site, modelDir);
const sampler = setInterval(sampleCpu, 500);
try {
  const run = await runBrowserBackend({
    backend: values.backend as 'webgpu' | 'wasm1' | 'wasmN',
    siteUrl: server.url,
    dtype: values.dtype as 'q4',
    threads: values.backend === 'wasm1' ? 1 : Number(values.threads),
    solutions: solutions.map((s) => ({ name: s.name, problem: s.problem, steps: s.steps })),
    repeats: 1,
    warmup: 0,
    timeoutMs: Number(values.timeout) * 1000,
  });
  clearInterval(sampler);
  // runBrowserBackend closes Chromium before it returns, and the summed CPU time of the processes
  // still alive falls: the runs ended at the last sample before that fall. The page scores the
  // first length cold, then each length once, back to back: walk back from there.
  const last = cpu.reduce((best, c, i) => (c[1] >= cpu[best][1] ? i : best), 0);
  cpu.length = last + 1;
  let end = cpu[last][0];
  const rows = [...run.solutions].reverse().map((s) => {
    const row = { s, cpuS: cpuBetween(end - s.medianMs, end) };
    end -= s.medianMs;
    return row;
  });
  const firstCpu = cpuBetween(end - run.firstScoreMs, end);
  console.log(`${run.label}; load ${(run.loadMs / 1000).toFixed(1)} s; peak ${run.memory.peakMB} MiB`);
  console.log(
    `first (cold) ${solutions[0].name}: ${(run.firstScoreMs / 1000).toFixed(1)} s, Chromium CPU ${firstCpu.toFixed(0)} s`,
  );
  console.log('| tokens | wall s | ms per token | Chromium CPU s | CPU ms per token |');
  console.log('|---:|---:|---:|---:|---:|');
  for (const { s, cpuS } of rows.reverse()) {
    console.log(
      `| ${s.tokens} | ${(s.medianMs / 1000).toFixed(1)} | ${(s.medianMs / s.tokens).toFixed(0)} | ${cpuS.toFixed(0)} | ${((cpuS * 1000) / s.tokens).toFixed(0)} |`,
    );
  }
} finally {
  clearInterval(sampler);
  await server.close();
}
