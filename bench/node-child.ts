/**
 * The onnxruntime-node backend of the benchmark, run as its own process (so its load time is cold
 * and its peak RSS is its own): `node --import tsx bench/node-child.ts JOB.json` prints one JSON
 * `BackendRun` line on stdout. It scores through the CLI's own path (loadModelDir +
 * planSolution + the Node LogitsRunner), timing tokenization and the model run apart.
 *
 * It does not choose inputs (solutions.ts) or write reports (report.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import { planSolution } from '../src/core/pipeline.ts';
import { stepRewards } from '../src/core/rewards.ts';
import type { Dtype } from '../src/core/types.ts';
import { loadModelDir } from '../src/node/model.ts';
import { measure, type ScoreSample } from './measure.ts';
import type { BackendRun } from './types.ts';

export interface NodeJob {
  modelDir: string;
  dtype?: Dtype;
  threads?: number;
  solutions: { name: string; problem: string; steps: string[] }[];
  repeats: number;
  warmup?: number;
  /** Score each solution once and report rewards only (reference values for another backend). */
  rewardsOnly?: boolean;
}

async function run(job: NodeJob): Promise<BackendRun> {
  const baseRss = process.memoryUsage().rss;
  const t0 = performance.now();
  const model = await loadModelDir(job.modelDir, { dtype: job.dtype, threads: job.threads });
  const loadMs = performance.now() - t0;
  const byName = new Map(job.solutions.map((s) => [s.name, s]));
  const score = async (name: string): Promise<ScoreSample> => {
    const s = byName.get(name)!;
    const a = performance.now();
    const plan = planSolution(model.spec, model.tokenizer, s.problem, s.steps);
    const b = performance.now();
    const [out] = await model.runner.run([plan.inputIds]);
    const c = performance.now();
    return {
      rewards: stepRewards(out.logits, out.seqLen, plan.scorePositions),
      tokens: plan.inputIds.length,
      planMs: b - a,
      runMs: c - b,
    };
  };
  const names = job.solutions.map((s) => s.name);
  const result = job.rewardsOnly
    ? {
        firstScoreMs: 0,
        solutions: await Promise.all(
          names.map(async (name) => {
            const s = await score(name);
            return {
              name,
              tokens: s.tokens,
              rewards: s.rewards,
              samplesMs: [],
              medianMs: 0,
              p90Ms: 0,
              tokensPerSecond: 0,
            };
          }),
        ),
      }
    : await measure(names, score, { repeats: job.repeats, warmup: job.warmup });
  await model.dispose();
  return {
    backend: 'node',
    label: `onnxruntime-node (CPU, ${model.runner.threads} threads)`,
    dtype: model.dtype,
    threads: model.runner.threads,
    loadMs: Math.round(loadMs * 10) / 10,
    ...result,
    memory: {
      peakMB: Math.round(process.resourceUsage().maxRSS / 1024),
      baseMB: Math.round(baseRss / 2 ** 20),
      what: 'peak RSS of the Node process (resourceUsage().maxRSS); base = RSS before loading the model',
    },
    env: { cpus: os.availableParallelism(), node: process.version },
  };
}

const jobFile = process.argv[2];
if (!jobFile) {
  process.stderr.write('usage: node --import tsx bench/node-child.ts JOB.json\n');
  process.exit(2);
}
run(JSON.parse(fs.readFileSync(jobFile, 'utf8')) as NodeJob).then(
  (r) => process.stdout.write(JSON.stringify(r) + '\n'),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
