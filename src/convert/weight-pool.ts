/**
 * Workers that run weight jobs (`weight-jobs.ts`) while the caller reads the next tensor:
 * decoding, 4-bit quantization and transposes happen off the reading thread, so a conversion uses
 * every core and overlaps reading with work. The same pool runs on Node's worker threads
 * (`weight-threads.ts`, whose workers also make their positional writes into the data files) and
 * on a page's module workers (src/engine/quantize-pool.ts, whose workers hand their writes back:
 * only the conversion worker may hold the OPFS sync access handles, so the pool makes them, through
 * `io`, before the job counts as done).
 *
 * Backpressure: `submit` resolves once the job is queued, but waits while `maxInFlight` jobs are
 * unfinished, which bounds memory to a few tensors' raw bytes plus each worker's scratch. A failed
 * job fails the conversion: the next `submit` or `drain` throws its error (a failed write throws
 * the `FileIo`'s own error, so a full disk stays a full disk); a worker that crashes or cannot
 * start, or `close`, fails it with a `WeightPoolError`.
 *
 * Deliberately does not: order jobs (each writes its own reserved byte range), start the platform's
 * workers (the caller's `spawn` does) or own file descriptors (the caller closes them, after
 * `close` has stopped every worker).
 */
import { bestEffort } from '../core/best-effort.ts';
import type { FileIo } from './file-io.ts';
import { sourceBuffer, type JobReply, type JobRequest, type WeightJob } from './weight-jobs.ts';

/** One worker, however the platform runs it. */
export interface PoolWorker {
  /** Sends a job; the buffers in `transfer` move to the worker. */
  post(req: JobRequest, transfer: ArrayBuffer[]): void;
  /** Stops it at once, mid-job if need be. */
  terminate(): unknown;
}

/** What a worker reports to its pool. */
export interface PoolWorkerEvents {
  reply(m: JobReply): void;
  /** The worker crashed, exited or could not start: the message says how. */
  crash(message: string): void;
}

/** The pool stopped: a worker crashed or could not start, or `close` was called. */
export class WeightPoolError extends Error {
  override name = 'WeightPoolError';
}

/**
 * The most workers the CLI starts by default: it reads from disk or one range request at a time,
 * and each worker holds a tensor's raw bytes plus its scratch (a 7B's MLP weight is 136 MB as
 * bf16), which keeps a large conversion's memory bounded on a many-core machine.
 */
export const MAX_POOL_WORKERS = 4;

/**
 * How many workers to start on a machine with `cores` logical cores (`availableParallelism()`,
 * `navigator.hardwareConcurrency`), leaving `reserved` cores to the threads that read and write:
 * at least one, at most `max`.
 *
 * @example
 * poolWorkers(8, 0) // 4
 * poolWorkers(8, 1, 2) // 2
 * poolWorkers(2, 1) // 1
 */
export function poolWorkers(cores: number | undefined, reserved: number, max = MAX_POOL_WORKERS): number {
  const free = Math.floor(cores ?? 1) - reserved;
  return Math.min(max, Math.max(1, free || 1));
}

interface Pending {
  resolve: (out: (Uint8Array | null)[]) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: PoolWorker;
  busy: number;
}

export interface WeightPoolOptions {
  /** Jobs queued or running at most (default twice the workers). */
  maxInFlight?: number;
  /** Makes the writes workers hand back (`JobReply.writes`); needed when they do. */
  io?: FileIo;
}

export class WeightPool {
  /** How many workers it runs. */
  readonly size: number;
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly running = new Set<Promise<unknown>>();
  private readonly maxInFlight: number;
  private readonly io?: FileIo;
  private readonly spare: ArrayBuffer[] = [];
  private nextId = 0;
  private failure: Error | null = null;
  private waiters: (() => void)[] = [];
  private closed = false;

  /**
   * @example
   * const pool = nodeWeightPool(2); // weight-threads.ts: new WeightPool(2, spawn)
   * await pool.submit(job, (out) => ...); // queued; runs on a worker
   * await pool.drain(); // every job done (or the first failure thrown)
   * await pool.close();
   */
  constructor(
    threads: number,
    spawn: (events: PoolWorkerEvents) => PoolWorker,
    options: WeightPoolOptions = {},
  ) {
    if (!Number.isInteger(threads) || threads < 1)
      throw new Error(`WeightPool: threads must be >= 1, got ${threads}`);
    this.size = threads;
    this.maxInFlight = Math.max(1, options.maxInFlight ?? threads * 2);
    this.io = options.io;
    for (let i = 0; i < threads; i++) {
      const worker = spawn({
        reply: (m) => this.onReply(m),
        crash: (message) => {
          if (!this.closed) this.fail(new WeightPoolError(message));
        },
      });
      this.slots.push({ worker, busy: 0 });
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
   * the bytes of its `'return'` outputs once its writes are made. Waits first while too many jobs
   * are unfinished.
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
    slot.worker.post({ id, job }, [sourceBuffer(job)]);
  }

  /** Waits for every queued job; throws the first failure. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
    if (this.failure) throw this.failure;
  }

  /**
   * Stops the workers at once (queued and running jobs are dropped; a `submit` waiting for room
   * throws). Safe to call more than once.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.fail(new WeightPoolError('weight pool closed'));
  }

  private onReply(m: JobReply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.spare) {
      // Keep a few of the largest: enough for the reads in flight, never a growing heap.
      this.spare.push(m.spare);
      this.spare.sort((a, b) => b.byteLength - a.byteLength);
      this.spare.length = Math.min(this.spare.length, this.maxInFlight);
    }
    let error: Error | null = m.error !== undefined ? new Error(m.error) : null;
    if (!error && m.writes) {
      try {
        if (!this.io) throw new Error('WeightPool: a worker handed back writes but the pool has no io');
        for (const w of m.writes) this.io.writeAt(w.fd, w.bytes, w.position);
      } catch (e) {
        error = e instanceof Error ? e : new Error(String(e));
      }
    }
    if (error) {
      this.fail(error);
      p.reject(error);
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
