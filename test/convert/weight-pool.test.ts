import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertInto, type ConversionOptions } from '../../src/convert/convert-core.ts';
import { convertCheckpoint } from '../../src/convert/convert.ts';
import type { FileIo } from '../../src/convert/file-io.ts';
import { answerJob, runWeightJob, type JobRequest, type WeightJob } from '../../src/convert/weight-jobs.ts';
import {
  poolWorkers,
  WeightPool,
  WeightPoolError,
  type PoolWorker,
  type PoolWorkerEvents,
} from '../../src/convert/weight-pool.ts';
import { localCheckpointFiles } from '../../src/node/local-files.ts';
import { folderFiles, keepingIo } from './folder-io.ts';
import { makeTinyCheckpoint, TINY_QWEN_POOLED } from './tiny-checkpoint.ts';

// The page's pool (src/engine/quantize-pool.ts) with its Web Workers replaced by workers in this
// thread that run the same code as src/engine/quantize-worker.ts (`answerJob(req, 'hand-back')`),
// with the buffers transferred as postMessage transfers them (structuredClone with `transfer`).

interface InThread {
  spawn: (events: PoolWorkerEvents) => PoolWorker;
  /** Jobs each worker was sent. */
  sent: number[];
  terminated: boolean[];
  /** With `hold`: runs the oldest held job of worker `i`. */
  release(i?: number): void;
  /** Makes worker `i` report a crash. */
  crash(i: number, message: string): void;
}

function inThread(hold = false): InThread {
  const sent: number[] = [];
  const terminated: boolean[] = [];
  const held: (() => void)[][] = [];
  const events: PoolWorkerEvents[] = [];
  return {
    sent,
    terminated,
    spawn(e) {
      const i = sent.length;
      sent.push(0);
      terminated.push(false);
      held.push([]);
      events.push(e);
      return {
        post(req: JobRequest, transfer: ArrayBuffer[]) {
          sent[i]++;
          const moved = structuredClone(req, { transfer });
          const run = () => {
            if (terminated[i]) return;
            const { reply, transfer: back } = answerJob(moved, 'hand-back');
            e.reply(structuredClone(reply, { transfer: back }));
          };
          if (hold) held[i].push(run);
          else setTimeout(run, 0);
        },
        terminate: () => (terminated[i] = true),
      };
    },
    release: (i = 0) => held[i].shift()!(),
    crash: (i, message) => events[i].crash(message),
  };
}

/** A FileIo over in-memory files, keyed by fd. */
function memoryIo(): FileIo & { files: Map<number, Uint8Array> } {
  const files = new Map<number, Uint8Array>();
  return {
    files,
    writeAt(fd, bytes, at) {
      const old = files.get(fd) ?? new Uint8Array(0);
      const next = new Uint8Array(Math.max(old.length, at + bytes.length));
      next.set(old);
      next.set(bytes, at);
      files.set(fd, next);
    },
    open: () => 0,
    readAt: () => {},
    size: (fd) => files.get(fd)?.length ?? 0,
    close: () => {},
    rename: async () => {},
  };
}

/** A q4 job of `n` rows of 64 bf16 values, packed bytes and scales written to file `fd`. */
function q4Job(fd: number, n = 4, value = 0x3f80): WeightJob {
  const bytes = new Uint8Array(new Uint16Array(n * 64).fill(value).buffer);
  return {
    name: `w${fd}`,
    src: { dtype: 'BF16', bytes },
    n,
    k: 64,
    outs: [
      {
        kind: 'q4',
        blockSize: 32,
        scaleType: 'f32',
        packed: { fd, position: 0 },
        scales: { fd, position: n * 32 },
      },
    ],
  };
}

const NAN_BF16 = 0x7fc0;
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('new WeightPool(threads, spawn, { io }) with workers that hand back their writes', () => {
  it('makes each job’s writes through io: the bytes runWeightJob writes on the calling thread', async () => {
    const w = inThread();
    const io = memoryIo();
    const pool = new WeightPool(2, w.spawn, { io });
    const done: number[] = [];
    for (const fd of [1, 2, 3]) await pool.submit(q4Job(fd), () => done.push(fd));
    await pool.drain();
    await pool.close();
    expect(done.sort()).toEqual([1, 2, 3]);
    expect(w.sent).toEqual([2, 1]);
    const here = memoryIo();
    runWeightJob(q4Job(1), here);
    for (const fd of [1, 2, 3]) expect(io.files.get(fd)).toEqual(here.files.get(1));
  });

  it('transfers each source buffer to a worker (not copied) and offers it back for the next read', async () => {
    const pool = new WeightPool(1, inThread().spawn, { io: memoryIo() });
    const job = q4Job(1, 8);
    const buffer = (job.src as { bytes: Uint8Array }).bytes.buffer;
    await pool.submit(job, () => {});
    expect(buffer.byteLength).toBe(0); // detached: it moved to the worker
    await pool.drain();
    expect(pool.takeSpare(8 * 64 * 2)?.byteLength).toBe(8 * 64 * 2);
    await pool.close();
  });

  it('holds a submit while maxInFlight jobs are unfinished (backpressure)', async () => {
    const w = inThread(true);
    const pool = new WeightPool(1, w.spawn, { maxInFlight: 2, io: memoryIo() });
    await pool.submit(q4Job(1), () => {});
    await pool.submit(q4Job(2), () => {});
    let third = false;
    const queued = pool.submit(q4Job(3), () => {}).then(() => (third = true));
    await tick();
    expect(third).toBe(false);
    expect(w.sent).toEqual([2]);
    w.release();
    await queued;
    expect(w.sent).toEqual([3]);
    w.release();
    w.release();
    await pool.drain();
    await pool.close();
  });

  it('fails drain and the next submit with a job’s error (a NaN weight), naming the tensor', async () => {
    const pool = new WeightPool(1, inThread().spawn, { io: memoryIo() });
    await pool.submit(q4Job(7, 4, NAN_BF16), () => {});
    await expect(pool.drain()).rejects.toThrow(/w7.*NaN/);
    await expect(pool.submit(q4Job(8), () => {})).rejects.toThrow(/w7.*NaN/);
    await pool.close();
  });

  it('fails with the io’s own error when a handed-back write fails (a full disk stays a full disk)', async () => {
    class QuotaError extends Error {}
    const full = new QuotaError('no room');
    const io: FileIo = {
      ...memoryIo(),
      writeAt: () => {
        throw full;
      },
    };
    const pool = new WeightPool(1, inThread().spawn, { io });
    let called = false;
    await pool.submit(q4Job(1), () => (called = true));
    await expect(pool.drain()).rejects.toBe(full);
    expect(called).toBe(false); // not recorded as done: a resumed conversion redoes it
    await pool.close();
  });

  it('fails with a WeightPoolError when a worker crashes or cannot start', async () => {
    const w = inThread(true);
    const pool = new WeightPool(2, w.spawn, { io: memoryIo() });
    await pool.submit(q4Job(1), () => {});
    w.crash(0, 'a quantizing worker failed: it could not be started');
    const e = await pool.drain().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(WeightPoolError);
    expect((e as Error).message).toBe('a quantizing worker failed: it could not be started');
    await pool.close();
  });

  it('close() terminates every worker and fails a submit waiting for room (Cancel)', async () => {
    const w = inThread(true);
    const pool = new WeightPool(2, w.spawn, { maxInFlight: 2, io: memoryIo() });
    await pool.submit(q4Job(1), () => {});
    await pool.submit(q4Job(2), () => {});
    const waiting = pool.submit(q4Job(3), () => {});
    await tick();
    await pool.close();
    await expect(waiting).rejects.toBeInstanceOf(WeightPoolError);
    expect(w.terminated).toEqual([true, true]);
    expect(w.sent).toEqual([1, 1]);
    await pool.close(); // a second close (the builder's, after Cancel's) is harmless
  });
});

describe('poolWorkers(cores, reserved, max)', () => {
  it.each([
    [undefined, 1, 4, 1],
    [0, 1, 4, 1],
    [1, 1, 4, 1],
    [2, 1, 4, 1],
    [4, 1, 4, 3],
    [5, 1, 4, 4],
    [16, 1, 4, 4],
    [16, 1, 2, 2],
    [3, 1, 2, 2],
    [2, 0, 4, 2],
    [16, 0, 4, 4],
  ])('%s cores, %i reserved, at most %i -> %i workers', (cores, reserved, max, workers) => {
    expect(poolWorkers(cores, reserved, max)).toBe(workers);
  });
});

describe('convertInto(...) with the page’s pool (workers hand back their writes)', () => {
  let tmp: string;
  let ckpt: string;
  let alone: string;

  async function expectSameFiles(dir: string): Promise<void> {
    const a = await folderFiles(alone);
    const b = await folderFiles(dir);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [f, bytes] of a) expect(b.get(f)!.equals(bytes), f).toBe(true);
  }

  /** As the page's conversion worker: a pool on the target's io, closed on abort. */
  function pooled(dir: string, signal?: AbortSignal) {
    const w = inThread();
    const pools: WeightPool[] = [];
    signal?.addEventListener('abort', () => void pools.at(-1)?.close());
    const target = {
      io: keepingIo,
      makePool: (threads: number) => {
        pools.push(new WeightPool(threads, w.spawn, { maxInFlight: threads, io: keepingIo }));
        return pools.at(-1)!;
      },
      prepare: async () => {
        await mkdir(join(dir, 'onnx'), { recursive: true });
        return dir;
      },
    };
    return { w, target };
  }

  const options: ConversionOptions = {
    dtypes: ['q4', 'q4f16', 'fp16'],
    inlineLimit: 0,
    chunkBytes: 200_000,
    threads: 2,
    workerMinValues: 0,
  };

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'prm-weight-pool-'));
    ckpt = join(tmp, 'tiny');
    await makeTinyCheckpoint({ dir: ckpt, ...TINY_QWEN_POOLED });
    alone = join(tmp, 'alone');
    await convertCheckpoint({ checkpointDir: ckpt, outDir: alone, ...options, threads: 0 });
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('writes the same bytes as the calling thread alone, every matrix on the pool', async () => {
    const dir = join(tmp, 'pooled');
    const { w, target } = pooled(dir);
    await convertInto(localCheckpointFiles(ckpt), target, options);
    // 3 layers x 7 projections, the embedding and the score head's two matrices.
    expect(w.sent.reduce((a, b) => a + b, 0)).toBe(3 * 7 + 1 + 2);
    expect(w.sent.every((n) => n > 0)).toBe(true);
    await expectSameFiles(dir);
  });

  it('cancelled mid-way stops the workers, and carried on (resume) gives the same bytes', async () => {
    const dir = join(tmp, 'resumed');
    const controller = new AbortController();
    const first = pooled(dir, controller.signal);
    const done = new Set<number>();
    await expect(
      convertInto(localCheckpointFiles(ckpt), first.target, {
        ...options,
        signal: controller.signal,
        resume: { done: new Set(), onDone: (i) => done.add(i) },
        onProgress: (p) => {
          if (p.index === Math.floor(p.total / 2)) controller.abort();
        },
      }),
    ).rejects.toThrow(/aborted|closed/);
    expect(first.w.terminated.every(Boolean)).toBe(true);
    expect(done.size).toBeGreaterThan(0);

    const again = pooled(dir);
    const redone: number[] = [];
    await convertInto(localCheckpointFiles(ckpt), again.target, {
      ...options,
      resume: { done, onDone: (i) => redone.push(i) },
    });
    const total = Math.max(...done, ...redone) + 1;
    expect(new Set([...done, ...redone]).size).toBe(total);
    expect(redone.length).toBeLessThan(total - 5);
    await expectSameFiles(dir);
  });
});
