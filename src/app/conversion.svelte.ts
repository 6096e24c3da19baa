/**
 * The page's side of in-page conversion: asks for persistent storage and measures the free space,
 * starts the conversion worker (src/engine/convert-worker.ts) for one Hub checkpoint, follows its
 * progress (bytes, rate, ETA, current tensor), cancels it, and when it is done makes the stored
 * model the active one (its OPFS files as a 'local' source). One conversion at a time, shared by
 * every Convert button (the catalog's and the Hub form's).
 *
 * Deliberately does not: touch OPFS files itself (the worker writes, src/engine/model-store.ts
 * lists and reads).
 */
import type { Dtype } from '../core/types.ts';
import type {
  ConvertErrorCode,
  ConvertProgress,
  ConvertReply,
  ConvertRequest,
  StoredModel,
} from '../engine/protocol.ts';
import { storedModelFiles } from '../engine/model-store.ts';
import { startConvertWorker } from '../engine/convert-client.ts';
import { formatBytes } from '../core/format.ts';
import { PAGE_CONVERT_DTYPES } from '../core/page-convert.ts';
import type { EngineState } from './engine.svelte.ts';

export type ConversionStatus = 'idle' | 'running' | 'done' | 'error';

export interface ConvertTarget {
  repo: string;
  revision: string;
  /** Normalised Hub base URL. */
  endpoint: string;
  flags: readonly string[];
}

/**
 * Bytes this origin may still store, or null when the browser does not say.
 */
async function availableBytes(): Promise<number | null> {
  const e = await navigator.storage?.estimate?.();
  return e?.quota === undefined ? null : Math.max(0, e.quota - (e.usage ?? 0));
}

/** "12.5 MB of 900 MB · 3.1 MB/s · about 4 min left" */
export function describeConversion(p: ConvertProgress): string {
  const rate = p.elapsedMs > 0 ? (p.bytesRead / p.elapsedMs) * 1000 : 0;
  const left = rate > 0 ? (p.bytesTotal - p.bytesRead) / rate : null;
  const eta =
    left === null
      ? ''
      : left < 90
        ? ` · about ${Math.ceil(left)} s left`
        : ` · about ${Math.ceil(left / 60)} min left`;
  return (
    `${formatBytes(p.bytesRead)} of ${formatBytes(p.bytesTotal)} read` +
    (rate > 0 ? ` · ${formatBytes(rate)}/s` : '') +
    eta +
    ` · tensor ${p.tensorsDone} of ${p.tensorsTotal}: ${p.tensor}`
  );
}

export class Conversion {
  status = $state<ConversionStatus>('idle');
  /** The checkpoint being (or last) converted, `owner/name@revision`. */
  target = $state.raw<ConvertTarget | null>(null);
  progress = $state.raw<ConvertProgress | null>(null);
  /** What went wrong, or what is happening outside the progress figures. */
  message = $state('');
  code = $state.raw<ConvertErrorCode | null>(null);
  /** What the worker said besides progress (carrying on an unfinished conversion, a restart). */
  note = $state('');
  /** The estimate of the converted size, once the checkpoint was checked. */
  estimatedBytes = $state.raw<number | null>(null);
  #worker: Worker | null = null;
  #finish: ((r: ConvertReply) => void) | null = null;

  /**
   * Converts `target` into this browser's storage and makes it the active model of `engine`.
   * Resolves with the stored model, or null when it failed or was cancelled (see `message`).
   */
  async start(
    target: ConvertTarget,
    engine: EngineState,
    dtypes: readonly Dtype[] = PAGE_CONVERT_DTYPES,
  ): Promise<StoredModel | null> {
    if (this.status === 'running') return null;
    this.status = 'running';
    this.target = target;
    this.progress = null;
    this.estimatedBytes = null;
    this.code = null;
    this.note = '';
    this.message = 'Checking the checkpoint…';
    try {
      // Asked before anything is downloaded: without it the browser may evict a multi-GB model.
      const persisted = await navigator.storage?.persist?.();
      const available = await availableBytes();
      const reply = await this.#run({
        type: 'convert',
        repo: target.repo,
        revision: target.revision,
        endpoint: target.endpoint,
        dtypes: [...dtypes],
        available,
        flags: [...target.flags],
      });
      if (reply.status !== 'converted') {
        const err = reply as Extract<ConvertReply, { status: 'convert-error' }>;
        this.code = err.code;
        this.message = err.message;
        this.status = 'error';
        return null;
      }
      this.message = `Converted (${formatBytes(reply.model.bytes)}${persisted === false ? '; the browser may evict it when space runs low' : ''}); loading it…`;
      const { files, paths } = await storedModelFiles(reply.model);
      engine.choose({ kind: 'local', files, paths });
      await engine.load();
      this.message = `${reply.model.repo} converted and loaded (${formatBytes(reply.model.bytes)} in this browser's storage).`;
      this.status = 'done';
      return reply.model;
    } catch (e) {
      this.code = 'internal';
      this.message = e instanceof Error ? e.message : String(e);
      this.status = 'error';
      return null;
    } finally {
      this.#worker?.terminate();
      this.#worker = null;
    }
  }

  /** Stops the running conversion; its partial files are removed and nothing is kept. */
  cancel(): void {
    if (this.status !== 'running' || !this.#worker) return;
    this.message = 'Cancelling…';
    this.#worker.postMessage({ type: 'convert-cancel' } satisfies ConvertRequest);
  }

  #run(req: ConvertRequest): Promise<ConvertReply> {
    const worker = startConvertWorker();
    this.#worker = worker;
    return new Promise<ConvertReply>((resolve) => {
      this.#finish = resolve;
      worker.addEventListener('message', (e: MessageEvent<ConvertReply>) => {
        const r = e.data;
        if (r.status === 'convert-plan') {
          this.estimatedBytes = r.estimatedBytes;
          this.message = `Converting (about ${formatBytes(r.estimatedBytes)} when done)…`;
        } else if (r.status === 'convert-note') {
          this.note = r.message;
        } else if (r.status === 'convert-progress') {
          this.progress = r;
        } else {
          this.#finish = null;
          resolve(r);
        }
      });
      worker.addEventListener('error', (e) => {
        this.#finish?.({
          status: 'convert-error',
          code: 'internal',
          message: `The conversion worker failed: ${e.message || 'could not start (see the console)'}`,
        });
        this.#finish = null;
      });
      worker.postMessage(req);
    });
  }
}

/** The page's one conversion. */
export const conversion = new Conversion();
