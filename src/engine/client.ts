/**
 * The page's typed handle on the scoring worker: one promise per request (resolved with the
 * final reply, rejected with an `EngineError` carrying the reply's code on `error`), callbacks for progress, plans
 * and backend changes, and cancel. The page never imports onnxruntime or transformers.js; all of
 * that lives in the worker.
 *
 * It does not keep UI state; the app's stores do.
 */
import type { Dtype } from '../core/types.ts';
import { EngineError } from './errors.ts';
import type {
  Backend,
  CacheEntry,
  LoadedModel,
  ModelPlan,
  ModelSource,
  SolutionResult,
  WorkerReply,
  WorkerRequest,
} from './protocol.ts';

type Reply<S extends WorkerReply['status']> = Extract<WorkerReply, { status: S }>;

/**
 * The slice of a Worker the client uses. Typed here (not with the DOM's Worker) so Node-side
 * type checks of modules that import this file need no DOM types; tests may pass a fake.
 */
export interface WorkerLike {
  postMessage(message: WorkerRequest): void;
  addEventListener(type: 'message', listener: (event: { data: WorkerReply }) => void): void;
  addEventListener(type: 'error', listener: (event: { message?: string }) => void): void;
  terminate(): void;
}

// Vite bundles the worker from the literal `new Worker(new URL(...), ...)` below; this
// declaration only types that constructor for the checks that run without the DOM lib.
declare const Worker: new (url: URL, options: { type: 'module'; name?: string }) => WorkerLike;

export interface RequestHooks {
  onProgress?: (p: Reply<'progress'>) => void;
  onPlan?: (plan: ModelPlan) => void;
}

/** How a `score` request ended: scores, or a context overflow the user must decide about, or cancel. */
export type ScoreOutcome = Reply<'scored'> | Reply<'context-overflow'> | Reply<'cancelled'>;

interface Pending {
  resolve: (r: WorkerReply) => void;
  reject: (e: Error) => void;
  hooks: RequestHooks;
  /** Reply statuses that end this request. */
  final: WorkerReply['status'][];
}

/** A request handle: the answer's promise plus a cancel that makes it settle with `cancelled`. */
export interface Running<T> {
  requestId: number;
  result: Promise<T>;
  cancel(): void;
}

export class EngineClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Called when the engine switches backend (e.g. GPU lost -> WASM). */
  onBackendChanged: ((r: Reply<'backend-changed'>) => void) | null = null;
  /** Called for errors that belong to no request (should not happen; for logging). */
  onStrayError: ((r: Reply<'error'>) => void) | null = null;

  constructor(private readonly worker: WorkerLike) {
    worker.addEventListener('message', (e) => this.receive(e.data));
    worker.addEventListener('error', (e) => {
      const err = new Error(`The scoring worker failed: ${e.message || 'could not start (see the console)'}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
  }

  /**
   * Starts the worker from this bundle. A page opened with `?ort=asyncify` makes the worker load
   * onnxruntime-web's asyncify build even where JSPI is available (backend.ts `chooseOrtBuild`):
   * a way around a browser whose JSPI misbehaves, and how the tests run that build.
   *
   * @example
   * const engine = EngineClient.start();
   * const info = await engine.probe();
   */
  static start(): EngineClient {
    const search = typeof location !== 'undefined' ? location.search : '';
    const name =
      new URLSearchParams(search).get('ort') === 'asyncify' ? 'prm-engine ort=asyncify' : 'prm-engine';
    return new EngineClient(new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name }));
  }

  private receive(r: WorkerReply): void {
    if (r.status === 'backend-changed') this.onBackendChanged?.(r);
    const id = 'requestId' in r ? r.requestId : undefined;
    const p = id === undefined ? undefined : this.pending.get(id);
    if (!p) {
      if (r.status === 'error') this.onStrayError?.(r);
      return;
    }
    switch (r.status) {
      case 'progress':
        p.hooks.onProgress?.(r);
        return;
      case 'plan':
        p.hooks.onPlan?.(r.plan);
        if (!p.final.includes('plan')) return;
        break;
      case 'error':
        this.pending.delete(id!);
        p.reject(new EngineError(r.code, r.message, { file: r.file, bytesNeeded: r.bytesNeeded }));
        return;
      default:
        break;
    }
    if (p.final.includes(r.status)) {
      this.pending.delete(id!);
      p.resolve(r);
    }
  }

  private request<T extends WorkerReply>(
    msg: WorkerRequest & { requestId?: number },
    final: WorkerReply['status'][],
    hooks: RequestHooks = {},
  ): Running<T> {
    const requestId = this.nextId++;
    const result = new Promise<T>((resolve, reject) => {
      this.pending.set(requestId, { resolve: resolve as (r: WorkerReply) => void, reject, hooks, final });
    });
    this.worker.postMessage({ ...msg, requestId });
    return {
      requestId,
      result,
      cancel: () => this.worker.postMessage({ type: 'cancel', requestId } satisfies WorkerRequest),
    };
  }

  /** WebGPU adapter, shader-f16, isolation and threads, with a sentence for the user. */
  probe(): Promise<Reply<'probed'>> {
    return this.request<Reply<'probed'>>({ type: 'probe' }, ['probed']).result;
  }

  /** The models bundled with the build. */
  async listBundled(): Promise<Reply<'bundled'>['models']> {
    return (await this.request<Reply<'bundled'>>({ type: 'list-bundled' }, ['bundled']).result).models;
  }

  /** Size, dtype, backend and warnings of a model, without downloading weights. */
  async inspect(
    source: ModelSource,
    options: { dtype?: Dtype | 'auto'; backend?: Backend | 'auto' } = {},
  ): Promise<ModelPlan> {
    const r = await this.request<Reply<'plan'>>({ type: 'inspect', requestId: 0, source, ...options }, [
      'plan',
      'cancelled',
    ]).result;
    return r.plan;
  }

  /**
   * Loads a model (replacing the current one). Resolves with the loaded model, or with null when
   * cancelled.
   *
   * @example
   * const run = engine.load({ kind: 'hub', repo: 'my-org/prm-onnx' }, { onProgress: (p) => bar(p.loaded / p.total) });
   * const model = await run.result; // model?.backend.reason says what runs and why
   */
  load(
    source: ModelSource,
    options: { dtype?: Dtype | 'auto'; backend?: Backend | 'auto' } & RequestHooks = {},
  ): Running<LoadedModel | null> {
    const { onProgress, onPlan, ...want } = options;
    const run = this.request<Reply<'loaded'> | Reply<'cancelled'>>(
      { type: 'load', requestId: 0, source, ...want },
      ['loaded', 'cancelled'],
      {
        onProgress,
        onPlan,
      },
    );
    return { ...run, result: run.result.then((r) => (r.status === 'loaded' ? r.model : null)) };
  }

  /**
   * Scores one or more solutions of a problem. Resolves with `scored`, `context-overflow` (ask the
   * user, then call again with `truncate: true`) or `cancelled`.
   *
   * @example
   * const out = await engine.score('What is 2+2?', [['2+2=4.', 'The answer is 4.']]).result;
   * if (out.status === 'scored') out.results[0].rewards;
   */
  score(
    problem: string,
    solutions: string[][],
    options: { threshold?: number; truncate?: boolean } & RequestHooks = {},
  ): Running<ScoreOutcome> {
    const { onProgress, onPlan, ...rest } = options;
    return this.request<ScoreOutcome>(
      { type: 'score', requestId: 0, problem, solutions, ...rest },
      ['scored', 'context-overflow', 'cancelled'],
      {
        onProgress,
        onPlan,
      },
    );
  }

  /** Cached Hub models and the storage this site uses. */
  async cacheList(): Promise<{ entries: CacheEntry[]; usage?: number; quota?: number }> {
    const r = await this.request<Reply<'cache'>>({ type: 'cache-list' }, ['cache']).result;
    return { entries: r.entries, usage: r.usage, quota: r.quota };
  }

  /** Deletes one cached repo, or all cached models; resolves with what remains. */
  async cacheClear(repo?: string): Promise<CacheEntry[]> {
    return (
      await this.request<Reply<'cache'>>({ type: 'cache-clear', ...(repo ? { repo } : {}) }, ['cache']).result
    ).entries;
  }

  terminate(): void {
    this.worker.terminate();
    const err = new Error('The scoring worker was stopped.');
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

/**
 * The files of a folder picked with `showDirectoryPicker()`, with their paths, ready for a
 * `{ kind: 'local' }` source. Nothing is read yet; Files are handles to the user's disk.
 *
 * @example
 * const dir = await showDirectoryPicker();
 * engine.load({ kind: 'local', ...(await filesFromDirectory(dir)) });
 */
export async function filesFromDirectory(
  dir: FileSystemDirectoryHandle,
  prefix = '',
): Promise<{ files: File[]; paths: string[] }> {
  const files: File[] = [];
  const paths: string[] = [];
  const entries = (dir as unknown as { values(): AsyncIterable<FileSystemHandle> }).values();
  for await (const handle of entries) {
    if (handle.kind === 'file') {
      files.push(await (handle as FileSystemFileHandle).getFile());
      paths.push(`${prefix}${handle.name}`);
    } else {
      const sub = await filesFromDirectory(handle as FileSystemDirectoryHandle, `${prefix}${handle.name}/`);
      files.push(...sub.files);
      paths.push(...sub.paths);
    }
  }
  return { files, paths };
}

export type { SolutionResult };
