/**
 * `prm bench` end to end: builds the short/typical/long solutions for a model, runs every asked
 * backend on the same ONNX file and the same text (onnxruntime-node in a child process, the
 * browser backends in fresh headless Chromiums, PyTorch in /usr/bin/python3), checks they agree,
 * optionally measures the built app, and returns one `BenchReport`.
 *
 * onnxruntime-node always runs: it is the reference for ratios and for the reward check. A
 * backend that fails becomes a `failures` entry and the others still run. It does not print or
 * write files (src/cli/commands/bench.ts does).
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { modelFileFor } from '../src/core/spec.ts';
import type { Dtype } from '../src/core/types.ts';
import { wasmThreads } from '../src/engine/backend.ts';
import { chooseDtype, defaultModelDir, readModelSpec } from '../src/node/model.ts';
import { loadTokenizerDir } from '../src/node/tokenizer-files.ts';
import { measureApp } from './app.ts';
import { buildBenchSite, runBrowserBackend, serveBench } from './browser.ts';
import type { NodeJob } from './node-child.ts';
import { agreement, sortRuns } from './report.ts';
import { benchSolutions, SOLUTION_TARGETS, type BenchSolution, type SolutionName } from './solutions.ts';
import { BACKENDS, type BackendName, type BackendRun, type BenchReport } from './types.ts';
import type { SessionTweaks } from './web/protocol.ts';

const execFileP = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
export const PYTHON = process.env.PRM_BENCH_PYTHON ?? '/usr/bin/python3';

export interface BenchOptions {
  /** Model folder; default: the bundled model under models/. */
  modelDir?: string;
  dtype?: Dtype;
  backends: BackendName[];
  /** Timed warm runs per solution. */
  repeats: number;
  /** Untimed runs per solution before the timed ones (default 1; 0 for very slow backends). */
  warmup?: number;
  solutions?: SolutionName[];
  /** WASM threads for `wasmN` (default: what the app's engine uses, min(4, cores)). */
  threads?: number;
  /** Use the real-GPU Chromium flags for `webgpu`. */
  realGpu?: boolean;
  /** train_prm.py checkpoint for `torch` (default for the bundled model: train/out/<prm.json source>). */
  checkpoint?: string;
  /** Also measure the built app (JS before a model is chosen, cold start to first score). */
  app?: boolean;
  /** Use this built app folder instead of building one. */
  appDist?: string;
  /** Session option experiments for the browser backends. */
  tweaks?: SessionTweaks;
  /** Per-backend time limit (ms). */
  timeoutMs?: number;
  log?: (line: string) => void;
}

/** True when `python` can import torch. */
export function torchAvailable(python = PYTHON): boolean {
  if (!existsSync(python)) return false;
  return spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 }).status === 0;
}

async function nodeChild(job: NodeJob, timeoutMs: number): Promise<BackendRun> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'prm-bench-'));
  try {
    const file = path.join(dir, 'job.json');
    writeFileSync(file, JSON.stringify(job));
    const { stdout } = await execFileP(
      process.execPath,
      ['--import', 'tsx', path.join(root, 'bench', 'node-child.ts'), file],
      {
        cwd: root,
        timeout: timeoutMs,
        maxBuffer: 64 * 2 ** 20,
      },
    ).catch((e: { stderr?: string; message: string }) => {
      throw new Error(`onnxruntime-node run failed: ${(e.stderr || e.message).trim().split('\n').pop()}`);
    });
    return JSON.parse(stdout.trim().split('\n').pop()!) as BackendRun;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function torchRun(
  checkpoint: string,
  solutions: BenchSolution[],
  repeats: number,
  warmup: number,
  threads: number,
  timeoutMs: number,
): Promise<BackendRun> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'prm-bench-'));
  try {
    const file = path.join(dir, 'job.json');
    const job = {
      checkpoint,
      threads,
      repeats,
      warmup,
      solutions: solutions.map((s) => ({
        name: s.name,
        inputIds: s.inputIds,
        scorePositions: s.scorePositions,
      })),
    };
    writeFileSync(file, JSON.stringify(job));
    const { stdout } = await execFileP(PYTHON, [path.join(root, 'bench', 'torch_bench.py'), file], {
      cwd: root,
      timeout: timeoutMs,
      maxBuffer: 64 * 2 ** 20,
      env: { ...process.env, OMP_NUM_THREADS: String(threads) },
    }).catch((e: { stderr?: string; message: string }) => {
      throw new Error(`PyTorch run failed: ${(e.stderr || e.message).trim().split('\n').pop()}`);
    });
    return JSON.parse(stdout.trim().split('\n').pop()!) as BackendRun;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The train_prm.py checkpoint behind the bundled model: `train/out/<prm.json source>` when it
 * exists (the training writes stage folders), else `train/out/ckpt`. Only for the bundled model;
 * the reward check catches a checkpoint that does not match.
 */
function defaultCheckpoint(modelDir: string, source: string | undefined): string | undefined {
  let bundled: string | undefined;
  try {
    bundled = defaultModelDir();
  } catch {
    return undefined;
  }
  if (path.resolve(bundled) !== path.resolve(modelDir)) return undefined;
  const out = path.join(root, 'train', 'out');
  const candidates = [
    ...(source && /^[\w.-]+$/.test(source) ? [path.join(out, source)] : []),
    path.join(out, 'ckpt'),
  ];
  return candidates.find((c) => existsSync(path.join(c, 'model.safetensors')));
}

/**
 * Runs the benchmark.
 *
 * @example
 * const report = await runBench({ backends: ['node', 'wasm1', 'wasmN', 'webgpu', 'torch'], repeats: 10 });
 * report.agreement.every((a) => a.ok); // true when every backend scored alike
 */
export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const log = options.log ?? (() => undefined);
  const modelDir = path.resolve(options.modelDir ?? defaultModelDir());
  const spec = readModelSpec(modelDir);
  const dtype = chooseDtype(modelDir, spec, options.dtype);
  const tokenizer = loadTokenizerDir(modelDir);
  const solutions = benchSolutions(spec, tokenizer, options.solutions);
  const cores = os.availableParallelism();
  const threadsN = options.threads ?? wasmThreads(true, cores);
  const timeoutMs = options.timeoutMs ?? 600_000;
  const notes: string[] = [];
  for (const s of solutions) {
    if (s.target < SOLUTION_TARGETS[s.name]) {
      notes.push(
        `The ${s.name} solution is capped at ${s.target} tokens (asked ${SOLUTION_TARGETS[s.name]}): the model's context is ${spec.context_length}.`,
      );
    }
  }
  const plain = solutions.map(({ name, problem, steps }) => ({ name, problem, steps }));
  const runs: BackendRun[] = [];
  const failures: BenchReport['failures'] = [];
  const attempt = async (backend: BackendName, fn: () => Promise<BackendRun>) => {
    log(`${backend}: running`);
    try {
      const r = await fn();
      runs.push(r);
      const typical = r.solutions.find((s) => s.name === 'typical') ?? r.solutions[0];
      log(
        `${backend}: load ${r.loadMs} ms, first ${r.firstScoreMs} ms, ${typical.name} median ${typical.medianMs} ms`,
      );
    } catch (e) {
      failures.push({ backend, error: (e as Error).message });
      log(`${backend}: FAILED ${(e as Error).message}`);
    }
  };
  const wanted = (b: BackendName) => options.backends.includes(b);

  await attempt('node', () =>
    nodeChild(
      { modelDir, dtype, solutions: plain, repeats: options.repeats, warmup: options.warmup },
      timeoutMs,
    ),
  );

  const browserBackends = (['wasm1', 'wasmN', 'webgpu', 'engine'] as const).filter(wanted);
  if (browserBackends.length > 0) {
    const site = await buildBenchSite(log);
    const server = await serveBench(site, modelDir);
    try {
      for (const backend of browserBackends) {
        await attempt(backend, () =>
          runBrowserBackend({
            backend,
            siteUrl: server.url,
            dtype,
            threads: backend === 'wasm1' ? 1 : threadsN,
            solutions: plain,
            repeats: options.repeats,
            warmup: options.warmup,
            realGpu: options.realGpu,
            tweaks: options.tweaks,
            timeoutMs,
          }),
        );
      }
    } finally {
      await server.close();
    }
  }

  let torchReference: { dtype: string; solutions: BackendRun['solutions'] } | undefined;
  let torchTolerance: number | undefined;
  if (wanted('torch')) {
    const checkpoint = options.checkpoint
      ? path.resolve(options.checkpoint)
      : defaultCheckpoint(modelDir, spec.source);
    if (!torchAvailable()) {
      failures.push({
        backend: 'torch',
        error: `skipped: ${PYTHON} cannot import torch (apt-get install python3-torch)`,
      });
    } else if (!checkpoint) {
      failures.push({
        backend: 'torch',
        error: 'skipped: no train_prm.py checkpoint for this model; pass --checkpoint DIR',
      });
    } else {
      await attempt('torch', () =>
        torchRun(checkpoint, solutions, options.repeats, options.warmup ?? 1, cores, timeoutMs),
      );
      // PyTorch runs the fp32 checkpoint: hold it against onnxruntime-node on the fp32 graph.
      if (dtype !== 'fp32' && existsSync(path.join(modelDir, modelFileFor('fp32')))) {
        try {
          const ref = await nodeChild(
            { modelDir, dtype: 'fp32', solutions: plain, repeats: 1, rewardsOnly: true },
            timeoutMs,
          );
          torchReference = { dtype: 'fp32', solutions: ref.solutions };
        } catch (e) {
          notes.push(`Could not score the fp32 graph for the PyTorch check: ${(e as Error).message}`);
        }
      } else if (dtype !== 'fp32') {
        torchTolerance = 0.05;
        notes.push(
          `The model has no fp32 graph: PyTorch (fp32) is compared with ${dtype}, so the tolerance is quantisation-sized (0.05).`,
        );
      }
    }
  }

  const report: BenchReport = {
    format: 'prm-bench/1',
    date: new Date().toISOString(),
    machine: {
      cpus: cores,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memGB: Math.round(os.totalmem() / 2 ** 30),
      platform: `${os.type()} ${os.release()}`,
      node: process.version,
      gpu: options.realGpu
        ? 'real GPU requested (--real-gpu)'
        : 'no GPU (WebGPU = SwiftShader, CPU-emulated: correctness and overhead only)',
    },
    model: {
      dir: path.relative(root, modelDir) || modelDir,
      name: spec.name,
      family: spec.family,
      dtype,
      contextLength: spec.context_length,
      onnxBytes: onnxBytes(modelDir, dtype),
    },
    solutions: solutions.map((s) => ({
      name: s.name,
      target: s.target,
      tokens: s.tokens,
      steps: s.steps.length,
    })),
    repeats: options.repeats,
    warmup: options.warmup ?? 1,
    runs: sortRuns(runs, BACKENDS),
    failures,
    agreement: agreement(runs, torchReference, torchTolerance),
    notes,
  };
  const chromium = runs.find((r) => r.env?.chromium)?.env?.chromium;
  if (typeof chromium === 'string') report.machine.chromium = chromium;

  if (options.app) {
    const typical = solutions.find((s) => s.name === 'typical') ?? solutions[0];
    log('app: measuring JS size and cold start');
    report.app = await measureApp({
      distDir: options.appDist,
      problem: typical.problem,
      solution: typical.steps.join('\n\n'),
      timeoutMs,
      log,
    });
    if (report.app.error) log(`app: ${report.app.error}`);
  }
  return report;
}

function onnxBytes(dir: string, dtype: Dtype): number {
  const file = path.join(dir, modelFileFor(dtype));
  let total = statSync(file).size;
  for (const suffix of ['_data', '.data']) {
    if (existsSync(file + suffix)) total += statSync(file + suffix).size;
  }
  for (let i = 1; existsSync(`${file}_data_${i}`); i++) total += statSync(`${file}_data_${i}`).size;
  return total;
}
