/**
 * Score time against input length on one browser backend, to tell a per-token cost from a fixed
 * one and to predict a bigger model's time from a cut-down one (e.g. a 2-layer 7B-shaped model:
 * the 28-layer time is about 14x its layer part):
 *
 *   npx tsx bench/make-synthetic-checkpoint.ts --config qwen7b --layers 2 --out .bench/q7l2
 *   node bin/prm.js convert .bench/q7l2 --out .bench/q7l2-q4 --dtype q4 --quantize-embedding
 *   npx tsx bench/token-scaling.ts --model .bench/q7l2-q4 --backend webgpu --tokens 16,32,64,128
 *
 * One fresh Chromium, the model loaded once (the bench page's own session set up as the engine
 * does), then the first length scored cold and every length once more warm, in the order given
 * (measure.ts with warmup 0, repeats 1). Solutions come from the benchmark's generator
 * (solutions.ts) at each target length, so they are the same kind of text `prm bench` scores.
 *
 * Deliberately does not: compare rewards (random weights; `prm bench` does that) or repeat runs.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { readModelSpec } from '../src/node/model.ts';
import { loadTokenizerDir } from '../src/node/tokenizer-files.ts';
import { buildBenchSite, runBrowserBackend, serveBench } from './browser.ts';
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

const site = await buildBenchSite((l) => console.log(l));
const server = await serveBench(site, modelDir);
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
  console.log(`${run.label}; load ${(run.loadMs / 1000).toFixed(1)} s; peak ${run.memory.peakMB} MiB`);
  console.log(`first (cold) ${solutions[0].name}: ${(run.firstScoreMs / 1000).toFixed(1)} s`);
  console.log('| tokens | warm s | ms per token |');
  console.log('|---:|---:|---:|');
  for (const s of run.solutions) {
    console.log(
      `| ${s.tokens} | ${(s.medianMs / 1000).toFixed(1)} | ${(s.medianMs / s.tokens).toFixed(0)} |`,
    );
  }
} finally {
  await server.close();
}
