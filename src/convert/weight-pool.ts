/**
 * Worker threads that run weight jobs (`weight-jobs.ts`) while the main thread reads the next
 * tensor: decoding, 4-bit quantization, transposes and the positional writes into the data files
 * all happen off the main thread, so a conversion uses every core and overlaps reading with work.
 *
 * Backpressure: `submit` resolves once the job is queued, but waits while `maxInFlight` jobs are
 * unfinished, which bounds memory to a few tensors' raw bytes plus each worker's scratch. A failed
 * job fails the conversion: the next `submit` or `drain` throws its error.
 *
 * Deliberately does not: order jobs (each writes its own reserved byte range) or own file
 * descriptors (the caller closes them, after `close` has stopped every worker).
 */
import { Worker } from 'node:worker_threads';
import { bestEffort } from '../core/best-effort.ts';
import { sourceBuffer, type WeightJob } from './weight-jobs.ts';

interface Pending {
  resolve: (out: (Uint8Array | null)[]) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: number;
}

export class WeightPool {
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly running = new Set<Promise<unknown>>();
  private readonly maxInFlight: number;
  private readonly spare: ArrayBuffer[] = [];
  private nextId = 0;
  private failure: Error | null = null;
  private waiters: (() => void)[] = [];
  private closing = false;

  /**
   * @example
   * const pool = new WeightPool(2);
   * await pool.submit(job, (out) => ...); // queued; runs on a worker
   * await pool.drain(); // every job done (or the first failure thrown)
   * await pool.close();
   */
  constructor(threads: number, maxInFlight = threads * 2) {
    if (!Number.isInteger(threads) || threads < 1)
      throw new Error(`WeightPool: threads must be >= 1, got ${threads}`);
    this.maxInFlight = Math.max(1, maxInFlight);
    for (let i = 0; i < threads; i++) {
      // A JavaScript entry that registers tsx, so the TypeScript worker loads under the CLI and vitest.
      const worker = new Worker(new URL('./weight-worker.js', import.meta.url));
      worker.on('message', (m: WorkerReply) => this.onReply(m));
      worker.on('error', (e: Error) => this.fail(new Error(`weight worker failed: ${e.message}`)));
      worker.on('exit', (code) => {
        if (code !== 0 && !this.closing) this.fail(new Error(`weight worker exited with code ${code}`));
      });
      const slot: Slot = { worker, busy: 0 };
      this.slots.push(slot);
    }
  }

  /** A buffer of at least `bytes` handed back by a finished job, to read the next tensor into. */
  takeSpare(bytes: number): ArrayBuffer | undefined {
    // The smallest that fits, so a big buffer stays free for the next big tensor.
    const i = this.spare.findLastIndex((b) => b.byteLength >= bytes);
    return i < 0 ? undefined : this.spare.splice(i, 1)[0];
  }

  /**
   * Queues a job (its raw source buffer is transferred to the worker, not copied); `onDone` gets
   * the bytes of its `'return'` outputs. Waits first while too many jobs are unfinished.
   */
  async submit(job: WeightJob, onDone: (out: (Uint8Array | null)[]) => void): Promise<void> {
    while (this.running.size >= this.maxInFlight && !this.failure) {
      await new Promise<void>((r) => this.waiters.push(r));
    }
    if (this.failure) throw this.failure;
    const slot = this.slots.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.nextId++;
    const done = new Promise<(Uint8Array | null)[]>((resolve, reject) =>
      this.pending.set(id, { resolve, reject }),
    );
    const tracked = done.then(onDone).finally(() => {
      this.running.delete(tracked);
      slot.busy--;
      this.wake();
    });
    void bestEffort(
      tracked,
      'failures surface through drain()/submit(); this keeps them from going unhandled',
    );
    this.running.add(tracked);
    slot.busy++;
    slot.worker.postMessage({ id, job }, [sourceBuffer(job)]);
  }

  /** Waits for every queued job; throws the first failure. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
    if (this.failure) throw this.failure;
  }

  /** Stops the workers (after a failure, without waiting for queued jobs). */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.fail(new Error('weight pool closed'));
  }

  private onReply(m: WorkerReply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.spare) {
      // Keep a few of the largest: enough for the reads in flight, never a growing heap.
      this.spare.push(m.spare);
      this.spare.sort((a, b) => b.byteLength - a.byteLength);
      this.spare.length = Math.min(this.spare.length, this.maxInFlight);
    }
    if (m.error !== undefined) {
      const e = new Error(m.error);
      this.fail(e);
      p.reject(e);
    } else {
      p.resolve(m.out!);
    }
  }

  private fail(e: Error): void {
    if (!this.failure) this.failure = e;
    for (const [, p] of this.pending) p.reject(this.failure);
    this.pending.clear();
    this.wake();
  }

  /** Lets every `submit` waiting for room look again. */
  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }
}

export interface WorkerReply {
  id: number;
  out?: (Uint8Array | null)[];
  error?: string;
  /** The job's source buffer, handed back for reuse. */
  spare?: ArrayBuffer;
}
