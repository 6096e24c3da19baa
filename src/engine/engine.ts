/**
 * The scoring engine behind the worker protocol: it answers `WorkerRequest`s with
 * `WorkerReply`s, keeps the loaded model, runs `load`/`inspect`/`score` one at a time, cancels
 * on request, and falls back from WebGPU to WASM (reload, retry once) when the GPU fails.
 *
 * Everything that touches the browser or onnxruntime is injected (`EngineDeps`), so the logic is
 * tested in Node with fakes; worker.ts wires the real pieces. It does not segment text (the page
 * sends steps) nor build prompts (the core pipeline does).
 */
import { PromptError } from '../core/families/common.ts';
import { batchesOf } from '../core/batching.ts';
import { bestEffort } from '../core/best-effort.ts';
import {
  ContextLengthError,
  planScore,
  resolveThreshold,
  runPlans,
  type ScorePlan,
} from '../core/pipeline.ts';
import { singleTokenId } from '../core/families/common.ts';
import type { LogitsRunner, ScoreRunner } from '../core/runner.ts';
import type { Dtype, ModelSpec } from '../core/types.ts';
import { checkServerFamily, PROBE_SOLUTION, RemoteError } from '../core/vllm.ts';
import { createVllmRunner, type VllmOptions } from '../remote/vllm.ts';
import { adapterName, softwareAdapter, wasmThreads, type Environment } from './backend.ts';
import { CancelledError, EngineError } from './errors.ts';
import { loadPlanned, loadPromptFiles, planModel, type LoadedState } from './loader.ts';
import type {
  BackendInfo,
  CacheEntry,
  FileProgress,
  FileSource,
  SolutionResult,
  WorkerReply,
  WorkerRequest,
} from './protocol.ts';
import type { Runtime } from './runtime.ts';
import type { HfTokenizer } from './tokenizer.ts';
import type { ModelFiles } from './sources/types.ts';

export interface EngineDeps {
  runtime: Runtime;
  probe(): Promise<Environment>;
  open(source: FileSource): Promise<ModelFiles>;
  /** The page's origin, for the CORS advice when a vLLM server cannot be reached. */
  origin?: string;
  listBundled(): Promise<{ id: string; name: string; bytes: number; dtypes: Dtype[] }[]>;
  cacheList(): Promise<CacheEntry[]>;
  cacheClear(repo?: string): Promise<void>;
  storageEstimate?(): Promise<{ usage?: number; quota?: number } | null>;
  post(reply: WorkerReply): void;
  now?(): number;
}

/** Batches for one runner call: at most this many solutions and padded tokens. */
const MAX_BATCH = 8;
const MAX_BATCH_TOKENS = 8192;

/** Why a failed dispose of a session being replaced is ignored. */
const FREE_OLD = 'the session is being replaced; a failed release only delays freeing its memory';

type Job = Extract<WorkerRequest, { type: 'load' | 'inspect' | 'score' }>;

/**
 * Lets queued messages (a `cancel`) in. A WASM run settles through microtasks only, so a score
 * loop that just awaits runs would finish before the worker ever reads the cancel.
 */
function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** A vLLM server the page chose: the prompt side is local, the scoring remote. */
interface RemoteState {
  spec: ModelSpec;
  tokenizer: HfTokenizer;
  /** Everything but the per-request cancel signal. */
  options: VllmOptions;
}

function toReplyError(e: unknown, requestId?: number): WorkerReply {
  if (e instanceof RemoteError) {
    const code = e.code === 'unreachable' || e.code === 'timeout' ? 'network' : 'server';
    return { status: 'error', requestId, code, message: e.message };
  }
  if (e instanceof EngineError) {
    const r: WorkerReply = { status: 'error', requestId, code: e.code, message: e.message };
    if (e.file !== undefined) r.file = e.file;
    if (e.bytesNeeded !== undefined) r.bytesNeeded = e.bytesNeeded;
    return r;
  }
  if (e instanceof PromptError) return { status: 'error', requestId, code: 'prompt', message: e.message };
  const message = e instanceof Error ? e.message : String(e);
  return { status: 'error', requestId, code: 'internal', message: `Unexpected engine failure: ${message}` };
}

export class Engine {
  private active: LoadedState | null = null;
  private remote: RemoteState | null = null;
  private gpuLost: string | null = null;
  private queue: Promise<void> = Promise.resolve();
  private readonly aborts = new Map<number, AbortController>();
  private envPromise: Promise<Environment> | null = null;

  constructor(private readonly deps: EngineDeps) {
    deps.runtime.onDeviceLost((reason) => {
      this.gpuLost = reason;
    });
  }

  private env(): Promise<Environment> {
    this.envPromise ??= this.deps.probe();
    return this.envPromise;
  }

  private now(): number {
    return this.deps.now ? this.deps.now() : performance.now();
  }

  /** Handles one request; replies go through `deps.post`. Resolves when the request is answered. */
  handle(req: WorkerRequest): Promise<void> {
    switch (req?.type) {
      case 'probe':
        return this.probe(req.requestId);
      case 'list-bundled':
        return this.deps.listBundled().then(
          (models) => this.deps.post({ status: 'bundled', requestId: req.requestId, models }),
          (e) => this.deps.post(toReplyError(e, req.requestId)),
        );
      case 'cancel': {
        this.aborts.get(req.requestId)?.abort();
        return Promise.resolve();
      }
      case 'cache-list':
        return this.cacheReply(req.requestId);
      case 'cache-clear':
        return this.deps.cacheClear(req.repo).then(
          () => this.cacheReply(req.requestId),
          (e) => this.deps.post(toReplyError(e, req.requestId)),
        );
      case 'load':
      case 'inspect':
      case 'score':
        return this.enqueue(req);
      default: {
        const unknown: never = req;
        this.deps.post({
          status: 'error',
          code: 'bad-request',
          message: `Unknown request type ${JSON.stringify((unknown as { type?: unknown })?.type)}; expected probe, list-bundled, inspect, load, score, cancel, cache-list or cache-clear.`,
        });
        return Promise.resolve();
      }
    }
  }

  private async probe(requestId?: number): Promise<void> {
    const env = await this.env();
    const a = env.adapter;
    const threads = wasmThreads(env.crossOriginIsolated, env.hardwareConcurrency);
    this.deps.post({
      status: 'probed',
      requestId,
      webgpu: a !== null,
      shaderF16: a?.shaderF16 ?? false,
      crossOriginIsolated: env.crossOriginIsolated,
      threads,
      ...(a ? { adapter: { ...a } } : {}),
      reason: a
        ? `${adapterName(a)}${a.shaderF16 ? ' with' : ' without'} shader-f16${softwareAdapter(a) ? `; a software adapter (${softwareAdapter(a)}), so Auto runs models on WASM` : ''}`
        : `${env.noAdapterReason ?? 'No WebGPU adapter'}; models run on WASM with ${threads} thread${threads > 1 ? 's' : ''}`,
    });
  }

  private async cacheReply(requestId?: number): Promise<void> {
    try {
      const entries = await this.deps.cacheList();
      const est = (await this.deps.storageEstimate?.()) ?? null;
      const reply: WorkerReply = { status: 'cache', requestId, entries };
      if (est?.usage !== undefined) reply.usage = est.usage;
      if (est?.quota !== undefined) reply.quota = est.quota;
      this.deps.post(reply);
    } catch (e) {
      this.deps.post(toReplyError(e, requestId));
    }
  }

  private enqueue(req: Job): Promise<void> {
    const abort = new AbortController();
    this.aborts.set(req.requestId, abort);
    const run = async () => {
      try {
        if (abort.signal.aborted) throw new CancelledError();
        if (req.type === 'score') await this.score(req, abort.signal);
        else await this.load(req, abort.signal);
      } catch (e) {
        if (e instanceof CancelledError || abort.signal.aborted)
          this.deps.post({ status: 'cancelled', requestId: req.requestId });
        else this.deps.post(toReplyError(e, req.requestId));
      } finally {
        this.aborts.delete(req.requestId);
      }
    };
    const next = this.queue.then(run);
    this.queue = next;
    return next;
  }

  /**
   * Connects to a vLLM server: reads the prompt model's prm.json and tokenizer, then checks the
   * server (it serves the model, a probe comes back as one softmax row per step) before it
   * replaces the current model. Nothing of the user's is sent until the first Score.
   */
  private async connect(
    req: Extract<Job, { type: 'load' | 'inspect' }>,
    source: Extract<WorkerRequest, { type: 'load' }>['source'] & { kind: 'vllm' },
    signal: AbortSignal,
  ): Promise<void> {
    const env = await this.env();
    const t0 = this.now();
    const files = await this.deps.open(source.prompt);
    const { spec: folderSpec, tokenizer } = await loadPromptFiles(files, signal);
    checkServerFamily(folderSpec);
    const options: VllmOptions = {
      url: source.url,
      model: source.model,
      prompt: {
        family: folderSpec.family,
        stepToken: folderSpec.step_token,
        stepTokenId: singleTokenId(tokenizer, folderSpec.step_token),
      },
      timeoutMs: 60_000,
      retries: 2,
      origin: this.deps.origin,
    };
    const runner = createVllmRunner({ ...options, signal });
    const probe = planScore(folderSpec, tokenizer, PROBE_SOLUTION.problem, PROBE_SOLUTION.steps, true);
    const served = await runner.check(probe);
    const warnings: string[] = [];
    // The served model scores, so its name is the one shown; the folder only builds prompts.
    let spec: ModelSpec = { ...folderSpec, name: source.model };
    if (served.maxModelLen !== undefined && served.maxModelLen < folderSpec.context_length) {
      warnings.push(
        `The server accepts at most ${served.maxModelLen} tokens (its --max-model-len), fewer than the model's ${folderSpec.context_length}; longer inputs are held to that.`,
      );
      spec = { ...spec, context_length: served.maxModelLen };
    }
    const backend: BackendInfo = {
      backend: 'remote',
      dtype: 'vllm',
      server: { url: runner.url, model: source.model },
      reason: `vLLM server at ${runner.url} serving ${source.model}: the problem and steps are sent to it, and it scores them with its own weights; prompts are built here from ${files.label}prm.json and its tokenizer`,
      threads: 0,
      crossOriginIsolated: env.crossOriginIsolated,
    };
    if (req.type === 'inspect') return;
    await this.unload();
    this.remote = { spec, tokenizer, options: { ...options, url: runner.url } };
    this.deps.post({
      status: 'loaded',
      requestId: req.requestId,
      model: {
        spec,
        bytes: 0,
        backend,
        timings: { loadMs: this.now() - t0, compileMs: 0, warmupMs: 0 },
        label: `${runner.url} (${source.model})`,
        warnings,
      },
    });
  }

  private async load(req: Extract<Job, { type: 'load' | 'inspect' }>, signal: AbortSignal): Promise<void> {
    if (req.source.kind === 'vllm') return this.connect(req, req.source, signal);
    const env = await this.env();
    const files = await this.deps.open(req.source);
    const want = { backend: req.backend, dtype: req.dtype };
    const planned = await planModel(files, env, want, signal);
    this.deps.post({ status: 'plan', requestId: req.requestId, plan: planned.plan });
    if (req.type === 'inspect') return;
    const hooks = {
      signal,
      onDownload: (file: string, loaded: number, total: number, perFile: FileProgress[]) =>
        this.deps.post({
          status: 'progress',
          requestId: req.requestId,
          phase: 'download',
          file,
          loaded,
          total,
          files: perFile,
        }),
      onPhase: (phase: 'compile' | 'warmup') =>
        this.deps.post({ status: 'progress', requestId: req.requestId, phase, loaded: 0, total: 1 }),
      // A bad model fails its checks before this, leaving the current model usable; a good one
      // replaces it, and the old session is freed before the new one takes memory.
      beforeCreate: () => this.unload(),
      now: () => this.now(),
    };
    let state: LoadedState;
    try {
      state = await loadPlanned(planned, this.deps.runtime, env, hooks);
    } catch (e) {
      if (!(e instanceof EngineError) || e.code !== 'backend' || planned.choice.backend !== 'webgpu') throw e;
      const wasm = await planModel(files, env, { backend: 'wasm', dtype: req.dtype }, signal);
      const reason = `${e.message}; loading ${wasm.choice.dtype} on WASM instead`;
      this.deps.post({
        status: 'backend-changed',
        requestId: req.requestId,
        backend: wasm.plan.backend,
        reason,
      });
      state = await loadPlanned(wasm, this.deps.runtime, env, hooks);
      state.backend.reason = `${reason}. ${state.backend.reason}`;
    }
    this.active = state;
    this.gpuLost = null;
    this.deps.post({
      status: 'loaded',
      requestId: req.requestId,
      model: {
        spec: state.planned.spec,
        bytes: state.bytes,
        backend: state.backend,
        timings: state.timings,
        label: state.planned.plan.label,
        warnings: state.warnings,
      },
    });
  }

  private async unload(): Promise<void> {
    this.remote = null;
    const old = this.active;
    this.active = null;
    if (old) await bestEffort(old.session.dispose(), FREE_OLD);
  }

  /** Reloads the active model on WASM after a WebGPU failure and tells the page. */
  private async fallbackToWasm(reason: string, requestId: number, signal: AbortSignal): Promise<LoadedState> {
    const old = this.active!;
    const env = await this.env();
    await bestEffort(old.session.dispose(), FREE_OLD);
    this.active = null;
    const planned = await planModel(old.planned.files, env, { backend: 'wasm' }, signal);
    const message = `${reason}; reloading the model on WASM (${planned.choice.dtype}) and running again`;
    this.deps.post({ status: 'backend-changed', requestId, backend: planned.plan.backend, reason: message });
    const state = await loadPlanned(planned, this.deps.runtime, env, { signal, now: () => this.now() });
    state.backend.reason = `${message}. ${state.backend.reason}`;
    this.active = state;
    this.gpuLost = null;
    return state;
  }

  /** The runner the pipeline calls: WebGPU failures reload on WASM and retry once. */
  private runner(requestId: number, signal: AbortSignal): LogitsRunner {
    return {
      run: async (batch) => {
        if (signal.aborted) throw new CancelledError();
        let state = this.active!;
        if (this.gpuLost && state.session.backend === 'webgpu')
          state = await this.fallbackToWasm(this.gpuLost, requestId, signal);
        let out;
        try {
          out = await state.session.run(batch);
        } catch (e) {
          if (state.session.backend !== 'webgpu' || (e instanceof EngineError && e.code === 'bad-model')) {
            if (e instanceof EngineError) throw e;
            throw new EngineError('backend', `The model run failed on WASM: ${(e as Error).message}`, {
              cause: e,
            });
          }
          state = await this.fallbackToWasm(
            `The WebGPU run failed (${(e as Error).message})`,
            requestId,
            signal,
          );
          out = await state.session.run(batch);
        }
        // A result that arrives after a cancel is dropped: the page must never see it.
        if (signal.aborted) throw new CancelledError();
        return out;
      },
    };
  }

  private async score(req: Extract<Job, { type: 'score' }>, signal: AbortSignal): Promise<void> {
    const state = this.active;
    const remote = this.remote;
    if (!state && !remote)
      throw new EngineError('not-loaded', 'No model is loaded yet; load a model before scoring.');
    const spec = remote ? remote.spec : state!.planned.spec;
    const tokenizer = remote ? remote.tokenizer : state!.tokenizer;
    if (!Array.isArray(req.solutions) || req.solutions.length === 0) {
      throw new EngineError('bad-request', 'score needs at least one solution (a list of steps).');
    }
    let threshold: number;
    try {
      threshold = resolveThreshold(spec, req.threshold);
    } catch (e) {
      throw new EngineError('bad-request', (e as Error).message, { cause: e });
    }
    // Plan everything first (each input tokenized once): an overflow is reported before any model
    // time is spent.
    const plans: ScorePlan[] = [];
    for (let i = 0; i < req.solutions.length; i++) {
      try {
        plans.push(planScore(spec, tokenizer, req.problem, req.solutions[i], req.truncate === true));
      } catch (e) {
        if (e instanceof ContextLengthError) {
          this.deps.post({
            status: 'context-overflow',
            requestId: req.requestId,
            solution: i,
            tokenCount: e.tokenCount,
            limit: e.limit,
            fittingSteps: e.fittingSteps,
            totalSteps: e.totalSteps,
          });
          return;
        }
        if (e instanceof PromptError) {
          throw new EngineError(
            'prompt',
            req.solutions.length > 1 ? `Solution ${i + 1}: ${e.message}` : e.message,
            { cause: e },
          );
        }
        throw e;
      }
    }
    const t0 = this.now();
    const results: SolutionResult[] = new Array(req.solutions.length);
    const runner: ScoreRunner = remote
      ? createVllmRunner({ ...remote.options, signal })
      : this.runner(req.requestId, signal);
    let done = 0;
    const lengths = plans.map((p) => p.inputIds.length);
    for (const batch of batchesOf(lengths, MAX_BATCH, MAX_BATCH_TOKENS)) {
      await yieldToEvents();
      if (signal.aborted) throw new CancelledError();
      const scored = await runPlans(
        runner,
        batch.map((i) => plans[i]),
        threshold,
      );
      scored.forEach((r, k) => {
        const i = batch[k];
        results[i] = {
          rewards: r.rewards,
          firstError: r.firstError,
          tokenCount: r.tokenCount,
          scoredSteps: r.scoredSteps,
          totalSteps: req.solutions[i].length,
        };
      });
      done += batch.length;
      this.deps.post({
        status: 'progress',
        requestId: req.requestId,
        phase: 'score',
        loaded: done,
        total: req.solutions.length,
      });
    }
    await yieldToEvents();
    if (signal.aborted) throw new CancelledError();
    this.deps.post({
      status: 'scored',
      requestId: req.requestId,
      results,
      threshold,
      runMs: this.now() - t0,
    });
  }
}
