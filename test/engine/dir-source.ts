/**
 * Test helper: a `ModelFiles` over a model folder on disk, and a `Runtime` over onnxruntime-node
 * that opens the graph from disk by its file name (`CreateOptions.file` = `<dir>/onnx/...`), so the
 * engine runs in Node exactly as in the worker, minus the browser.
 *
 * Test-only: the CLI has its own runner (src/node/ort-node.ts), used here as the reference.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createOrtRunner } from '../../src/node/ort-node.ts';
import { EngineError } from '../../src/engine/errors.ts';
import type { Runtime, RuntimeSession } from '../../src/engine/runtime.ts';
import type { ModelFiles } from '../../src/engine/sources/types.ts';

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** The files of a model folder; `label` is `<dir>/` so engine file names are real paths. */
export function dirFiles(dir: string): ModelFiles {
  const paths = walk(dir).map((p) => relative(dir, p).split('\\').join('/'));
  const label = `${dir}/`;
  return {
    label,
    list: async () => paths.map((path) => ({ path, size: statSync(join(dir, path)).size })),
    async read(path, options = {}) {
      if (!paths.includes(path))
        throw new EngineError('bad-model', `${label}${path} is missing.`, { file: `${label}${path}` });
      const bytes = readFileSync(join(dir, path));
      options.onProgress?.(bytes.length, bytes.length);
      return new Blob([bytes]);
    },
    cachedBytes: async () => 0,
    reserve: async () => undefined,
  };
}

export interface NodeRuntimeOptions {
  /** Pretend to be WebGPU: sessions report `webgpu` but run on the CPU. */
  failWebgpuCreate?: boolean;
  /** Make the n-th run (1-based, warm-up included) of a `webgpu` session throw. */
  failWebgpuRunAt?: number;
}

/** A `Runtime` over onnxruntime-node; `created` lists each session's backend and file. */
export function nodeRuntime(
  options: NodeRuntimeOptions = {},
): Runtime & { created: { backend: string; file: string }[]; lose(reason: string): void } {
  const created: { backend: string; file: string }[] = [];
  let lostCb: ((r: string) => void) | null = null;
  return {
    created,
    lose(reason) {
      lostCb?.(reason);
    },
    onDeviceLost(cb) {
      lostCb = cb;
    },
    async create(_model, opts) {
      if (opts.backend === 'webgpu' && options.failWebgpuCreate) {
        throw new EngineError(
          'backend',
          `onnxruntime could not load ${opts.file} on WebGPU: simulated adapter failure`,
          { file: opts.file },
        );
      }
      created.push({ backend: opts.backend, file: opts.file });
      const runner = await createOrtRunner(opts.file, { threads: 1 });
      let runs = 0;
      const session: RuntimeSession = {
        backend: opts.backend,
        inputNames: ['input_ids', 'attention_mask'],
        outputNames: ['logits'],
        async run(batch) {
          runs++;
          if (opts.backend === 'webgpu' && runs === options.failWebgpuRunAt)
            throw new Error('simulated GPU failure');
          return runner.run(batch);
        },
        dispose: () => runner.dispose(),
      };
      return session;
    },
  };
}
