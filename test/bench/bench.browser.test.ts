// The benchmark's browser backends and app figures on a tiny random model in headless Chromium:
// they must run, report every figure, and score like onnxruntime-node (WebGPU on SwiftShader too:
// the benchmark sets it up as the engine does, subgroups off). Timings are never
// asserted (a slow machine must not fail the gate; a broken benchmark must).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureApp } from '../../bench/app.ts';
import { runBench } from '../../bench/run.ts';
import type { BenchReport } from '../../bench/types.ts';
import { makeTinyModel, REPO_ROOT, type TinyModel } from '../cli/tiny-model.ts';

let m: TinyModel;
let report: BenchReport;
beforeAll(async () => {
  m = await makeTinyModel({ dtypes: ['q4'], contextLength: 600 });
  report = await runBench({
    modelDir: m.dir,
    backends: ['node', 'wasm1', 'wasmN', 'webgpu', 'engine'],
    solutions: ['short'],
    repeats: 1,
    threads: 2,
  });
  // Five fresh Chromiums and a page build: generous for a busy 2-core machine (about 25 s idle).
}, 400_000);
afterAll(() => fs.rmSync(m.root, { recursive: true, force: true }));

describe('runBench on a tiny model in Chromium', () => {
  it('runs every browser backend without failures', () => {
    expect(report.failures).toEqual([]);
    expect(report.runs.map((r) => r.backend)).toEqual(['node', 'wasm1', 'wasmN', 'webgpu', 'engine']);
    expect(report.machine.chromium).toMatch(/^\d+\./);
  });

  it.each([
    ['wasm1', 1],
    ['wasmN', 2],
    ['webgpu', 2],
    ['engine', 2],
  ])(
    '%s runs cross-origin isolated with %i WASM thread(s) and scores like onnxruntime-node (q4) within 2e-3',
    (backend, threads) => {
      const run = report.runs.find((r) => r.backend === backend)!;
      expect(run.threads).toBe(threads);
      expect(run.env?.crossOriginIsolated).toBe(true);
      const row = report.agreement.find((a) => a.backend === backend)!;
      expect(row.tokenMismatch).toBe(false);
      expect(row.maxAbsDiff).toBeLessThanOrEqual(2e-3);
      expect(row.ok).toBe(true);
    },
  );

  it.each(['wasm1', 'wasmN', 'webgpu', 'engine'])(
    '%s reports load, first score, warm latency, in-worker time and peak memory',
    (backend) => {
      const run = report.runs.find((r) => r.backend === backend)!;
      expect(run.loadMs).toBeGreaterThan(0);
      expect(run.firstScoreMs).toBeGreaterThan(0);
      expect(run.memory.peakMB).toBeGreaterThan(0);
      for (const s of run.solutions) {
        expect(s.medianMs).toBeGreaterThan(0);
        expect(s.rewards).toHaveLength(report.solutions.find((x) => x.name === s.name)!.steps);
        expect(s.rewards.every((r) => Number.isFinite(r))).toBe(true);
        expect(run.workerMedianMs?.[s.name]).toBeGreaterThan(0);
      }
    },
  );
});

describe.runIf(fs.existsSync(path.join(REPO_ROOT, 'dist', 'index.html')))(
  'measureApp on the built dist/',
  () => {
    it('sums the gzipped JavaScript the page loads before a model is chosen', async () => {
      const app = await measureApp({
        distDir: path.join(REPO_ROOT, 'dist'),
        problem: 'What is 2 + 2?',
        solution: '2 + 2 = 4.',
        timeoutMs: 60_000,
        coldStart: false,
      });
      expect(app.jsBeforeModel.files.length).toBeGreaterThan(0);
      expect(app.jsBeforeModel.files.every((f) => !f.url.endsWith('.wasm'))).toBe(true);
      expect(app.jsBeforeModel.gzipBytes).toBeGreaterThan(0);
      expect(app.jsBeforeModel.gzipBytes).toBeLessThan(app.jsBeforeModel.bytes);
    });
  },
);
