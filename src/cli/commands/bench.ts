/**
 * `prm bench`: scoring speed side by side on every backend (onnxruntime-node, onnxruntime-web WASM
 * single- and multi-threaded and WebGPU in headless Chromium, PyTorch), on the same model files
 * and the same short/typical/long solutions, with a reward agreement check. A thin shell over
 * bench/run.ts: it parses flags, prints the Markdown table and writes the files.
 *
 * Exit code 1 when a backend fails or scores differently from onnxruntime-node (a benchmark of
 * wrong numbers is worthless); slow figures never fail it.
 */
import { writeFileSync } from 'node:fs';
import { DTYPES } from '../../core/spec.ts';
import { parseDtype, parseFlags, parseWholeNumber } from '../options.ts';
import type { SessionTweaks } from '../../../bench/web/protocol.ts';
import { UsageError, type Command } from '../command.ts';

const BACKEND_LIST = ['node', 'wasm1', 'wasmN', 'webgpu', 'engine', 'torch'];
const SOLUTIONS = ['short', 'typical', 'long'];

const usage = `Usage: prm bench [--model DIR] [--dtype q4] [--backends node,wasm1,wasmN,webgpu,torch]
                 [--repeats N] [--json FILE] [--md FILE] [--app] [--real-gpu]

Times scoring of the same three solutions (short / typical / long: about 100, 400 and 1,500
tokens, built from the synthetic problem generator, capped to the model's context) on each
backend, and checks that every backend gives the same rewards as onnxruntime-node.
For each: model load time, first score (cold), warm latency (median, p90), tokens per second,
peak memory. Ratios are against onnxruntime-node in the same run (which always runs).

Options:
  --model DIR        converted model folder (default: the bundled model under models/)
  --dtype D          ONNX variant: ${DTYPES.join(', ')} (default: q4 when present, else fp32)
  --backends LIST    comma-separated, from ${BACKEND_LIST.join(', ')} (default: all)
                     node = onnxruntime-node (CPU); wasm1 / wasmN = onnxruntime-web WASM in headless
                     Chromium with 1 / N threads (cross-origin isolated); webgpu = WebGPU in headless
                     Chromium (SwiftShader without a GPU); engine = the app's own scoring worker
                     (src/engine) with its automatic backend and threads; torch =
                     train/train_prm.py's model in /usr/bin/python3 (needs torch and a checkpoint)
  --repeats N        timed warm runs per solution (default 10)
  --warmup N         untimed runs per solution before the timed ones (default 1; 0 for huge models)
  --solutions LIST   subset of ${SOLUTIONS.join(', ')} (default: all)
  --threads N        WASM threads for wasmN (default: the app's choice, min(4, cores))
  --checkpoint DIR   train_prm.py checkpoint for torch (default for the bundled model: train/out/<prm.json source>)
  --app              also measure the built app: JS loaded before a model is chosen (gzip) and
                     cold start to the first score on WASM
  --real-gpu         Chromium flags for a real GPU (--headless=new --use-angle=vulkan ...)
  --graph-opt LEVEL  browser session graphOptimizationLevel: disabled, basic, extended, all
  --ort-build B      onnxruntime-web build for wasm1/wasmN/webgpu: jspi (default: what the app
                     loads where JSPI exists, as in Chromium), webgpu (the asyncify build the app
                     loads elsewhere) or wasm (the plain WASM-only build)
  --timeout S        per-backend time limit in seconds (default 600)
  --json FILE        write the full results as JSON
  --md FILE          write the Markdown table
  -h, --help         show this help

Example:
  prm bench --backends node,wasm1,wasmN --repeats 5 --json bench.json --md bench.md
`;

function list<T extends string>(name: string, value: string, allowed: readonly string[]): T[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = items.filter((s) => !allowed.includes(s));
  if (items.length === 0 || bad.length > 0) {
    throw new UsageError(
      `--${name}: unknown ${bad.length ? bad.map((b) => `'${b}'`).join(', ') : 'empty list'}; use a comma-separated list of ${allowed.join(', ')}.`,
    );
  }
  return [...new Set(items)] as T[];
}

const FLAGS = {
  model: { type: 'string' },
  dtype: { type: 'string' },
  backends: { type: 'string' },
  repeats: { type: 'string' },
  warmup: { type: 'string' },
  solutions: { type: 'string' },
  threads: { type: 'string' },
  checkpoint: { type: 'string' },
  app: { type: 'boolean', default: false },
  'real-gpu': { type: 'boolean', default: false },
  'graph-opt': { type: 'string' },
  'ort-build': { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'string' },
  md: { type: 'string' },
} as const;

export const benchCommand: Command = {
  name: 'bench',
  summary: 'Benchmark scoring on onnxruntime-node, WASM, WebGPU and PyTorch side by side',
  usage,
  async run(argv, io) {
    const v = parseFlags(argv, FLAGS).values;
    const dtype = parseDtype(v.dtype);
    const graphOpt = v['graph-opt'];
    if (graphOpt !== undefined && !['disabled', 'basic', 'extended', 'all'].includes(graphOpt)) {
      throw new UsageError(`--graph-opt must be disabled, basic, extended or all, got '${graphOpt}'.`);
    }
    const ortBuild = v['ort-build'];
    if (ortBuild !== undefined && !['webgpu', 'wasm', 'jspi'].includes(ortBuild)) {
      throw new UsageError(`--ort-build must be webgpu, wasm or jspi, got '${ortBuild}'.`);
    }
    const tweaks: SessionTweaks = {
      ...(graphOpt ? { graphOptimizationLevel: graphOpt as SessionTweaks['graphOptimizationLevel'] } : {}),
      ...(ortBuild ? { ortBuild: ortBuild as SessionTweaks['ortBuild'] } : {}),
    };
    // Loaded here, not at the top: `prm --help` should not pull in vite and playwright.
    const { runBench } = await import('../../../bench/run.ts');
    const { markdown } = await import('../../../bench/report.ts');
    const report = await runBench({
      modelDir: v.model,
      dtype,
      backends: v.backends ? list('backends', v.backends, BACKEND_LIST) : (BACKEND_LIST as never[]),
      repeats: parseWholeNumber('--repeats', v.repeats, 10, 1),
      warmup: parseWholeNumber('--warmup', v.warmup, undefined, 0),
      solutions: v.solutions ? list('solutions', v.solutions, SOLUTIONS) : undefined,
      threads: parseWholeNumber('--threads', v.threads, undefined, 1),
      checkpoint: v.checkpoint,
      app: v.app,
      realGpu: v['real-gpu'],
      tweaks: Object.keys(tweaks).length > 0 ? tweaks : undefined,
      timeoutMs: v.timeout === undefined ? undefined : parseWholeNumber('--timeout', v.timeout, 0, 1) * 1000,
      log: (line) => io.stderr(`bench: ${line}\n`),
    });
    const md = markdown(report);
    io.stdout(md + '\n');
    if (v.json) writeFileSync(v.json, JSON.stringify(report, null, 1) + '\n');
    if (v.md) writeFileSync(v.md, md + '\n');
    const broken = report.agreement.filter((a) => !a.ok);
    const failed = report.failures.filter((f) => !f.error.startsWith('skipped:'));
    for (const a of broken) {
      io.stderr(
        `bench: ${a.backend} disagrees with ${a.against}: max |reward diff| ${a.tokenMismatch ? '(token counts differ)' : a.maxAbsDiff.toExponential(2)} > ${a.tolerance}\n`,
      );
    }
    for (const f of failed) io.stderr(`bench: ${f.backend} failed: ${f.error}\n`);
    if (report.app?.error) io.stderr(`bench: app measurement failed: ${report.app.error}\n`);
    return broken.length > 0 || failed.length > 0 || Boolean(report.app?.error) ? 1 : 0;
  },
};
