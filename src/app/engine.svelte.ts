/**
 * The page's side of the scoring worker: which backend the browser offers, which bundled models
 * exist, the model that is loaded (with its size, variant, backend and memory facts), load and
 * score progress, and a promise API over the worker protocol for the rest of the app.
 *
 * It never imports onnxruntime: all model work happens in the worker. The client (over a Worker or,
 * in tests, a fake) is injected; `null` means there is no engine, and every call then says so
 * instead of producing numbers. Shared by every view (the playground, and the evaluate view).
 */
import type { Dtype } from '../core/types.ts';
import type {
  LoadedModel,
  ModelPlan,
  ModelSource,
  ScoringBackend,
  SolutionResult,
  WorkerReply,
} from '../engine/protocol.ts';
import { formatBytes } from '../core/format.ts';
import { pickBackend, type BackendChoice } from '../engine/backend.ts';
import { CancelledError } from '../engine/errors.ts';

export type Probe = Extract<WorkerReply, { status: 'probed' }>;
export type BundledModel = Extract<WorkerReply, { status: 'bundled' }>['models'][number];
export type Overflow = Extract<WorkerReply, { status: 'context-overflow' }>;

export type ScoreOutcome =
  | { kind: 'scored'; results: SolutionResult[]; runMs: number; model: LoadedModel }
  | { kind: 'overflow'; overflow: Overflow }
  | { kind: 'cancelled' };

/** A running request of the client: its answer, and a cancel that makes it settle as cancelled. */
export interface RunningRequest<T> {
  result: Promise<T>;
  cancel(): void;
}

/**
 * The part of `EngineClient` (src/engine/client.ts) this state uses. Typed structurally so the
 * app state and its Node tests do not load the worker client (DOM-only types); main.ts passes
 * the real client.
 */
export interface EngineClientLike {
  onBackendChanged: ((reply: Extract<WorkerReply, { status: 'backend-changed' }>) => void) | null;
  probe(): Promise<Probe>;
  listBundled(): Promise<BundledModel[]>;
  load(
    source: ModelSource,
    options: {
      dtype?: Dtype | 'auto';
      backend?: BackendChoice;
      onPlan?: (plan: ModelPlan) => void;
      onProgress?: (p: Extract<WorkerReply, { status: 'progress' }>) => void;
    },
  ): RunningRequest<LoadedModel | null>;
  score(
    problem: string,
    solutions: string[][],
    options: { truncate?: boolean; onProgress?: (p: Extract<WorkerReply, { status: 'progress' }>) => void },
  ): RunningRequest<
    Extract<WorkerReply, { status: 'scored' }> | Overflow | Extract<WorkerReply, { status: 'cancelled' }>
  >;
}

/** The text of a rejection, for a sentence shown to the user. */
function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export interface Activity {
  text: string;
  /** 0..1, or null when the size is unknown. */
  fraction: number | null;
}

/** A short human description of a progress reply. */
export function describeProgress(reply: Extract<WorkerReply, { status: 'progress' }>): Activity {
  const fraction = reply.total > 0 ? Math.min(1, reply.loaded / reply.total) : null;
  switch (reply.phase) {
    case 'download':
      return {
        text: `Reading ${reply.file ?? 'model files'} (${formatBytes(reply.loaded)} of ${formatBytes(reply.total)})`,
        fraction,
      };
    case 'compile':
      return { text: 'Preparing the model for this device', fraction: null };
    case 'warmup':
      return { text: 'Warming up', fraction: null };
    case 'score':
      return { text: `Scoring: ${reply.loaded} of ${reply.total} solutions done`, fraction };
  }
}

export class EngineState {
  probe = $state.raw<Probe | null>(null);
  bundled = $state.raw<BundledModel[] | null>(null);
  /** The source the user picked; loaded on the next Score (or at once with `load`). */
  source = $state.raw<ModelSource | null>(null);
  plan = $state.raw<ModelPlan | null>(null);
  model = $state.raw<LoadedModel | null>(null);
  /** Set while a model loads. */
  loading = $state.raw<Activity | null>(null);
  /** Last engine problem not tied to a user action (probe, listing), shown in the model panel. */
  problem = $state.raw<string | null>(null);
  /** A switch from WebGPU to WASM the user should know about. */
  notice = $state.raw<string | null>(null);

  /** Auto / WebGPU / WASM: what the next load asks the engine for (`setBackendChoice`). */
  backendChoice = $state.raw<BackendChoice>('auto');
  /** True when the page's `?backend=` set the choice (the menu then says so). */
  backendForced = $state.raw(false);

  /** Which backend the probe says the current choice would run on, and why (before a load). */
  readonly #predicted = $derived.by(() => {
    const p = this.probe;
    if (!p) return null;
    const picked = pickBackend(
      { adapter: p.webgpu && p.adapter ? p.adapter : null, noAdapterReason: p.reason },
      this.backendChoice,
    );
    return {
      backend: picked.backend,
      reason: picked.said.length ? `${picked.said.join('. ')}.` : `${p.reason}.`,
    };
  });

  /** The backend in use, or the one the probe says the current choice will use. */
  readonly backend: ScoringBackend | null = $derived(
    this.model?.backend.backend ??
      (this.source?.kind === 'vllm' ? 'remote' : null) ??
      this.plan?.backend.backend ??
      this.#predicted?.backend ??
      null,
  );
  /** The vLLM server the text is sent to, once chosen (before it is even connected). */
  readonly server: { url: string; model: string } | null = $derived(
    this.model?.backend.server ??
      (this.source?.kind === 'vllm' ? { url: this.source.url, model: this.source.model } : null),
  );
  /** Why that backend (and dtype) runs, in words for the user. */
  readonly backendReason: string | null = $derived(
    this.model?.backend.reason ??
      (this.server
        ? `vLLM server at ${this.server.url}, not connected yet: the next Score checks it, then sends the problem and steps to it`
        : null) ??
      this.plan?.backend.reason ??
      this.#predicted?.reason ??
      null,
  );
  /** The chosen model's name (its prm.json name once loaded), or null when none is chosen. */
  readonly modelName: string | null = $derived.by(() => {
    if (this.model) return this.model.spec.name;
    const s = this.source;
    if (!s) return null;
    if (s.kind === 'bundled') return this.bundled?.find((b) => b.id === s.id)?.name ?? s.id;
    if (s.kind === 'hub') return s.repo;
    if (s.kind === 'vllm') return s.model;
    return 'local folder';
  });
  readonly available: boolean;

  #client: EngineClientLike | null;
  #running: RunningRequest<unknown> | null = null;
  #loadingPromise: Promise<LoadedModel> | null = null;
  #initialized: Promise<void> | null = null;

  /** `client` is null in a build or test without the worker: every call then says so. */
  constructor(client: EngineClientLike | null) {
    this.#client = client;
    this.available = client !== null;
    if (client) {
      client.onBackendChanged = (r) => {
        if (this.model) this.model = { ...this.model, backend: r.backend };
        this.notice = `Switched to ${r.backend.backend === 'webgpu' ? 'WebGPU' : 'WASM'}: ${r.reason}`;
      };
    }
  }

  #need(): EngineClientLike {
    if (!this.#client) {
      throw new Error(
        'This build has no scoring engine, so nothing can be scored. Segmentation still works.',
      );
    }
    return this.#client;
  }

  /**
   * Asks the worker what the browser offers and which models are bundled (once; later calls share
   * the answer). Never throws. A load started meanwhile waits for it.
   */
  init(): Promise<void> {
    this.#initialized ??= this.#init();
    return this.#initialized;
  }

  async #init(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    const [probe, bundled] = await Promise.allSettled([client.probe(), client.listBundled()]);
    if (probe.status === 'fulfilled') this.probe = probe.value;
    else this.problem = `The browser check failed: ${messageOf(probe.reason)}`;
    if (bundled.status === 'fulfilled') {
      this.bundled = bundled.value;
      if (!this.source && bundled.value[0]) this.source = { kind: 'bundled', id: bundled.value[0].id };
    } else {
      this.bundled = [];
      this.problem = `The bundled models could not be listed: ${messageOf(bundled.reason)}`;
    }
  }

  /** Picks a model source; it loads on the next Score. Forgets the loaded model. */
  choose(source: ModelSource): void {
    this.source = source;
    this.plan = null;
    this.model = null;
    this.problem = null;
    this.notice = null;
  }

  /**
   * Sets the backend the next load asks for; a loaded model on another backend is forgotten, so
   * the next Score loads it again where the user asked. `forced`: set by the page's `?backend=`.
   */
  setBackendChoice(choice: BackendChoice, forced = false): void {
    this.backendForced = forced;
    if (choice === this.backendChoice) return;
    this.backendChoice = choice;
    this.plan = null;
    this.model = null;
    this.notice = null;
  }

  /**
   * Loads the chosen model (or returns the loaded one). Rejects with the engine's `EngineError`,
   * `CancelledError` when the user cancelled, or an `Error` saying why there is nothing to load.
   * A model chosen while another was loading is loaded next: the result is always the model
   * chosen when the load settles, the one the worker then scores with.
   */
  load(dtype: Dtype | 'auto' = 'auto'): Promise<LoadedModel> {
    if (this.model) return Promise.resolve(this.model);
    this.#loadingPromise ??= this.#loadChosen(dtype).finally(() => (this.#loadingPromise = null));
    return this.#loadingPromise;
  }

  async #loadChosen(dtype: Dtype | 'auto'): Promise<LoadedModel> {
    for (;;) {
      const { model, current } = await this.#load(dtype);
      if (current) return model;
    }
  }

  /** Loads the model chosen now; `current`: it is still the chosen one when loaded. */
  async #load(dtype: Dtype | 'auto'): Promise<{ model: LoadedModel; current: boolean }> {
    const client = this.#need();
    // A Score pressed before the bundled list arrived would otherwise find no model chosen.
    await this.#initialized;
    const source = this.source;
    if (!source) {
      throw new Error(
        'No model is chosen, and this build bundles none. Pick a Hugging Face repo or a local model folder under "Model".',
      );
    }
    this.loading = { text: 'Opening the model', fraction: null };
    try {
      const run = client.load(source, {
        dtype,
        backend: this.backendChoice,
        onPlan: (plan) => (this.plan = plan),
        onProgress: (p) => (this.loading = describeProgress(p)),
      });
      this.#running = run;
      const model = await run.result;
      if (!model) throw new CancelledError('Loading the model was cancelled.');
      const current = this.source === source;
      if (current) this.model = model;
      return { model, current };
    } finally {
      this.#running = null;
      this.loading = null;
    }
  }

  /** Scores solutions (loading the model first if needed). Progress goes to `onactivity`. */
  async score(
    problem: string,
    solutions: string[][],
    truncate: boolean,
    onactivity: (a: Activity) => void,
  ): Promise<ScoreOutcome> {
    const model = await this.load();
    const client = this.#need();
    onactivity({ text: 'Scoring', fraction: null });
    try {
      const run = client.score(problem, solutions, {
        truncate,
        onProgress: (p) => onactivity(describeProgress(p)),
      });
      this.#running = run;
      const out = await run.result;
      switch (out.status) {
        case 'scored':
          return { kind: 'scored', results: out.results, runMs: out.runMs, model: this.model ?? model };
        case 'context-overflow':
          return { kind: 'overflow', overflow: out };
        case 'cancelled':
          return { kind: 'cancelled' };
      }
    } finally {
      this.#running = null;
    }
  }

  /** Cancels the running load or score. */
  cancel(): void {
    this.#running?.cancel();
  }
}
