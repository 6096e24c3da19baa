/**
 * From a model folder (any source) to a warmed-up session: read and check prm.json, choose the
 * backend and ONNX variant, list what will be read (`planModel`, before any download), then read
 * the tokenizer and graph, check them against the contract, create the session and run a warm-up
 * (`loadPlanned`). Every bad file becomes `EngineError('bad-model')` naming it.
 *
 * It does not fall back between backends or talk to the page; engine.ts does both.
 */
import { singleTokenId } from '../core/families/common.ts';
import { bestEffort } from '../core/best-effort.ts';
import { planSolution } from '../core/pipeline.ts';
import { modelFileFor, parseModelSpec, SpecError } from '../core/spec.ts';
import type { Dtype, ModelSpec } from '../core/types.ts';
import {
  asyncifyMemory,
  backendInfo,
  chooseVariant,
  memoryWarnings,
  type Environment,
  type VariantChoice,
} from './backend.ts';
import { checkExternalData, checkGraphContract, checkSessionNames } from './contract.ts';
import { CancelledError, EngineError } from './errors.ts';
import { OnnxFormatError, readOnnxInfo } from './onnx-info.ts';
import type { Backend, BackendInfo, FileProgress, ModelPlan } from './protocol.ts';
import type { Runtime, RuntimeSession } from './runtime.ts';
import type { ModelFiles, SourceFile } from './sources/types.ts';
import { TokenizerFileError, tokenizerFromFiles, type HfTokenizer } from './tokenizer.ts';

const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json'];

export interface PlannedModel {
  plan: ModelPlan;
  files: ModelFiles;
  spec: ModelSpec;
  choice: VariantChoice;
  /** The chosen variant's graph, e.g. `onnx/model_q4.onnx`. */
  modelPath: string;
}

export interface LoadedState {
  planned: PlannedModel;
  tokenizer: HfTokenizer;
  session: RuntimeSession;
  backend: BackendInfo;
  bytes: number;
  warnings: string[];
  timings: { loadMs: number; compileMs: number; warmupMs: number };
}

export interface LoadHooks {
  signal?: AbortSignal;
  onDownload?: (file: string, loaded: number, total: number, files: FileProgress[]) => void;
  onPhase?: (phase: 'compile' | 'warmup') => void;
  /** Called once the files passed every check, just before the session is created. */
  beforeCreate?: () => Promise<void>;
  now?: () => number;
}

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i + 1);
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError();
}

async function readText(files: ModelFiles, path: string, signal?: AbortSignal): Promise<string> {
  return (await files.read(path, { signal })).text();
}

/** prm.json, checked; a bad one is a `bad-model` error naming the file. */
async function readSpec(files: ModelFiles, signal?: AbortSignal): Promise<ModelSpec> {
  const file = `${files.label}prm.json`;
  try {
    return parseModelSpec(await readText(files, 'prm.json', signal), file);
  } catch (e) {
    if (e instanceof SpecError) throw new EngineError('bad-model', e.message, { file, cause: e });
    throw e;
  }
}

/**
 * prm.json and the tokenizer of a model without its ONNX files: what builds the prompts a vLLM
 * server scores.
 *
 * @example
 * const { spec, tokenizer } = await loadPromptFiles(await openSource({ kind: 'bundled', id: 'demo' }, '/models/'));
 */
export async function loadPromptFiles(
  files: ModelFiles,
  signal?: AbortSignal,
): Promise<{ spec: ModelSpec; tokenizer: HfTokenizer }> {
  const label = files.label;
  const spec = await readSpec(files, signal);
  const [json, config] = await Promise.all(TOKENIZER_FILES.map((f) => readText(files, f, signal)));
  return { spec, tokenizer: buildTokenizer(spec, label, json, config) };
}

/**
 * Reads prm.json, chooses backend and dtype, and lists the files to read with their sizes and
 * the warnings to show, without reading any weights.
 *
 * @example
 * const planned = await planModel(await openSource({ kind: 'bundled', id: 'demo' }, '/models/'), env);
 * planned.plan.backend.reason; // 'WebGPU adapter "google swiftshader" has no shader-f16, so q4 ...'
 */
export async function planModel(
  files: ModelFiles,
  env: Environment,
  want: { backend?: Backend | 'auto'; dtype?: Dtype | 'auto' } = {},
  signal?: AbortSignal,
): Promise<PlannedModel> {
  const label = files.label;
  const listing = await files.list();
  const size = new Map<string, number | null>(listing.map((f) => [f.path, f.size]));
  if (!size.has('prm.json')) {
    throw new EngineError(
      'bad-model',
      `${label}prm.json is missing: this is not a model converted by \`prm convert\` (a converted folder holds prm.json, tokenizer.json, tokenizer_config.json and onnx/).`,
      { file: `${label}prm.json` },
    );
  }
  const spec = await readSpec(files, signal);
  for (const f of TOKENIZER_FILES) {
    if (!size.has(f)) {
      throw new EngineError(
        'bad-model',
        `${label}${f} is missing; the model needs tokenizer.json and tokenizer_config.json next to prm.json.`,
        {
          file: `${label}${f}`,
        },
      );
    }
  }
  const warnings: string[] = [];
  const present = spec.dtypes.filter((d) => size.has(modelFileFor(d)));
  const absent = spec.dtypes.filter((d) => !size.has(modelFileFor(d)));
  if (present.length === 0) {
    throw new EngineError(
      'bad-model',
      `${label}prm.json lists dtypes ${spec.dtypes.join(', ')} but none of their graphs (${spec.dtypes.map(modelFileFor).join(', ')}) is in the model folder.`,
      { file: `${label}${modelFileFor(spec.dtypes[0])}` },
    );
  }
  if (absent.length > 0) {
    warnings.push(
      `prm.json lists ${absent.join(', ')} but ${absent.map(modelFileFor).join(', ')} ${absent.length > 1 ? 'are' : 'is'} missing; choosing among ${present.join(', ')}.`,
    );
  }
  const choice = chooseVariant(env, present, want);
  const modelPath = modelFileFor(choice.dtype);
  // External data sits next to the graph under a name that starts with the graph's (ORT and
  // transformers.js write `model.onnx_data` / `model.onnx.data`); the graph itself says which.
  const data = listing.filter((f) => f.path !== modelPath && f.path.startsWith(modelPath));
  const planFiles: SourceFile[] = ['prm.json', ...TOKENIZER_FILES, modelPath, ...data.map((f) => f.path)].map(
    (path) => ({
      path,
      size: size.get(path) ?? null,
    }),
  );
  const weightBytes = [modelPath, ...data.map((d) => d.path)].reduce((a, p) => a + (size.get(p) ?? 0), 0);
  const asyncify = asyncifyMemory(env, weightBytes);
  if (asyncify?.refuse) throw new EngineError('memory', asyncify.message, { bytesNeeded: weightBytes });
  if (asyncify) warnings.push(asyncify.message);
  warnings.push(
    ...memoryWarnings(env, choice.backend, {
      totalBytes: weightBytes,
      modelFileBytes: size.get(modelPath) ?? undefined,
    }),
  );
  const plan: ModelPlan = {
    label,
    spec,
    files: planFiles,
    totalBytes: planFiles.reduce((a, f) => a + (f.size ?? 0), 0),
    cachedBytes: await files.cachedBytes(planFiles.map((f) => f.path)),
    backend: backendInfo(env, choice),
    warnings,
  };
  return { plan, files, spec, choice, modelPath };
}

/** Tracks per-file progress of one load and reports the sums. */
function progressTracker(planned: PlannedModel, hooks: LoadHooks) {
  // prm.json was read while planning.
  const files: FileProgress[] = planned.plan.files.map((f) => ({
    path: f.path,
    loaded: f.path === 'prm.json' ? (f.size ?? 0) : 0,
    total: f.size,
  }));
  let lastEmit = 0;
  const now = hooks.now ?? (() => performance.now());
  return {
    add(path: string, total: number | null) {
      if (!files.some((f) => f.path === path)) files.push({ path, loaded: 0, total });
    },
    update(path: string, loaded: number, total: number | null, force = false) {
      const f = files.find((x) => x.path === path);
      if (!f) return;
      f.loaded = loaded;
      if (total !== null) f.total = total;
      const t = now();
      if (!force && t - lastEmit < 100) return;
      lastEmit = t;
      const sumLoaded = files.reduce((a, x) => a + x.loaded, 0);
      const sumTotal = files.reduce((a, x) => a + (x.total ?? x.loaded), 0);
      hooks.onDownload?.(
        `${planned.plan.label}${path}`,
        sumLoaded,
        sumTotal,
        files.map((x) => ({ ...x })),
      );
    },
  };
}

async function readTracked(
  planned: PlannedModel,
  path: string,
  track: ReturnType<typeof progressTracker>,
  signal?: AbortSignal,
): Promise<Blob> {
  const blob = await planned.files.read(path, {
    signal,
    onProgress: (loaded, total) => track.update(path, loaded, total),
  });
  track.update(path, blob.size, blob.size, true);
  return blob;
}

/** Tokenizer files -> tokenizer, with the step token checked; errors name the file. */
function buildTokenizer(spec: ModelSpec, label: string, json: string, config: string): HfTokenizer {
  let tokenizer: HfTokenizer;
  try {
    tokenizer = tokenizerFromFiles(json, config, label);
  } catch (e) {
    if (e instanceof TokenizerFileError)
      throw new EngineError('bad-model', e.message, { file: e.file, cause: e });
    throw e;
  }
  try {
    singleTokenId(tokenizer, spec.step_token);
  } catch (e) {
    throw new EngineError(
      'bad-model',
      `${label}tokenizer.json has no single token for the step token ${JSON.stringify(spec.step_token)} that prm.json names (step_token); ` +
        'the tokenizer does not belong to this model, or the converter dropped the added token. Re-convert the model.',
      { file: `${label}tokenizer.json`, cause: e },
    );
  }
  return tokenizer;
}

/**
 * Reads the planned files, checks tokenizer and graph, creates the session and warms it up.
 *
 * @example
 * const state = await loadPlanned(planned, ortWebRuntime, env, { onDownload: (f, n, t) => bar(n / t) });
 * state.timings; // { loadMs: 812, compileMs: 430, warmupMs: 95 }
 */
export async function loadPlanned(
  planned: PlannedModel,
  runtime: Runtime,
  env: Environment,
  hooks: LoadHooks = {},
): Promise<LoadedState> {
  const { files, spec, modelPath, choice } = planned;
  const label = files.label;
  const signal = hooks.signal;
  const now = hooks.now ?? (() => performance.now());
  const warnings = [...planned.plan.warnings];
  await files.reserve(planned.plan.files.map((f) => f.path));
  const track = progressTracker(planned, hooks);
  const t0 = now();

  const [json, config] = await Promise.all(
    TOKENIZER_FILES.map(async (f) => (await readTracked(planned, f, track, signal)).text()),
  );
  const tokenizer = buildTokenizer(spec, label, json, config);
  throwIfAborted(signal);

  const modelFile = `${label}${modelPath}`;
  const modelBlob = await readTracked(planned, modelPath, track, signal);
  const modelBytes = new Uint8Array(await modelBlob.arrayBuffer());
  let info;
  try {
    info = readOnnxInfo(modelBytes, modelFile);
  } catch (e) {
    if (e instanceof OnnxFormatError)
      throw new EngineError('bad-model', e.message, { file: modelFile, cause: e });
    throw e;
  }
  checkGraphContract(info, modelFile);
  const listing = new Map((await files.list()).map((f) => [f.path, f.size]));
  const dir = dirOf(modelPath);
  checkExternalData(info.external, modelFile, (loc) => listing.get(dir + loc) ?? undefined);
  const externalData = [];
  let bytes = modelBlob.size + json.length + config.length;
  for (const e of info.external) {
    track.add(dir + e.location, listing.get(dir + e.location) ?? null);
    const blob = await readTracked(planned, dir + e.location, track, signal);
    // The listing's size was checked above; the bytes that actually arrived are checked here.
    checkExternalData([e], modelFile, () => blob.size);
    externalData.push({ path: e.location, data: blob });
    bytes += blob.size;
  }
  if (info.largestInitializer) {
    warnings.push(
      ...memoryWarnings(env, choice.backend, {
        totalBytes: 0,
        largestTensorBytes: info.largestInitializer.bytes,
        largestTensorName: info.largestInitializer.name,
      }),
    );
  }
  const loadMs = now() - t0;
  throwIfAborted(signal);

  await hooks.beforeCreate?.();
  hooks.onPhase?.('compile');
  const t1 = now();
  const session = await runtime.create(modelBytes, {
    backend: choice.backend,
    file: modelFile,
    externalData,
  });
  const compileMs = now() - t1;
  try {
    checkSessionNames(session.inputNames, session.outputNames, modelFile);
    throwIfAborted(signal);
    hooks.onPhase?.('warmup');
    const t2 = now();
    await warmUp(spec, tokenizer, session, modelFile, label);
    const warmupMs = now() - t2;
    return {
      planned,
      tokenizer,
      session,
      backend: backendInfo(env, choice),
      bytes,
      warnings,
      timings: { loadMs, compileMs, warmupMs },
    };
  } catch (e) {
    await bestEffort(
      session.dispose(),
      'the load already failed with `e`, which is what the user needs to see',
    );
    throw e;
  }
}

/**
 * One run on a short real prompt, so shader compilation is paid now and not by the first score,
 * and so a model whose output breaks the contract fails at load time with its file named.
 */
async function warmUp(
  spec: ModelSpec,
  tokenizer: HfTokenizer,
  session: RuntimeSession,
  modelFile: string,
  label: string,
): Promise<void> {
  let ids: number[];
  try {
    ids = planSolution(spec, tokenizer, 'What is 1 + 1?', ['1 + 1 = 2.']).inputIds;
  } catch (e) {
    throw new EngineError(
      'bad-model',
      `${label}tokenizer_config.json / tokenizer.json cannot build this model's prompt: ${(e as Error).message}`,
      {
        file: `${label}tokenizer_config.json`,
        cause: e,
      },
    );
  }
  let out;
  try {
    out = await session.run([ids]);
  } catch (e) {
    if (e instanceof EngineError) throw e;
    throw new EngineError(
      'backend',
      `The warm-up run of ${modelFile} failed on ${session.backend === 'webgpu' ? 'WebGPU' : 'WASM'}: ${(e as Error).message}`,
      {
        file: modelFile,
        cause: e,
      },
    );
  }
  const first = out[0];
  if (!first || first.logits.length !== ids.length * 2) {
    throw new EngineError(
      'bad-model',
      `${modelFile}: the warm-up returned ${first?.logits.length ?? 0} logits for ${ids.length} tokens; the contract is 2 per token.`,
      {
        file: modelFile,
      },
    );
  }
  if (first.logits.some((v) => !Number.isFinite(v))) {
    throw new EngineError(
      'backend',
      `The warm-up run of ${modelFile} on ${session.backend} returned non-finite logits (an fp16 overflow or a broken GPU kernel).`,
      {
        file: modelFile,
      },
    );
  }
  // All-zero logits are what some WebGPU builds return for fp16 graphs on adapters without
  // shader-f16; no trained head produces them.
  if (session.backend === 'webgpu' && first.logits.every((v) => v === 0)) {
    throw new EngineError(
      'backend',
      `The warm-up run of ${modelFile} on WebGPU returned only zeros, a sign the GPU cannot run this variant.`,
      { file: modelFile },
    );
  }
}
