/**
 * The conversion worker's entry: converts a Hugging Face Hub checkpoint inside the page with the
 * same code as `prm convert hf:...` - the repo listed and pinned to its commit and the weights
 * read by HTTP range (src/convert/hub-files.ts, http-source.ts), checked and converted by
 * src/convert/convert-core.ts - and writes the model folder into the Origin Private File System
 * through sync access handles (opfs-io.ts), under model-store.ts's layout. The record that makes
 * the folder a stored model is written last; a failed or cancelled conversion removes its folder.
 *
 * This worker alone reads and writes: OPFS sync access handles lock their file to the worker that
 * opened it. The compute goes to a pool of nested quantizing workers (quantize-pool.ts): each
 * checkpoint matrix's raw bytes are transferred to one of them, which runs the CLI pool's weight
 * job (decode, 4-bit quantize on the WebAssembly SIMD kernel, transpose) and transfers the bytes
 * back, and this worker writes them at their reserved range; a job counts as done (and is recorded
 * for resume) only once written. One tensor per quantizing worker is in flight, plus the one being
 * read (the pool's backpressure), so memory stays bounded whatever the model's size. A failed job
 * fails the conversion with the codes below (a worker that crashes or cannot load: 'internal'), and
 * Cancel terminates the pool at once.
 *
 * Start it with `new Worker(new URL('./convert-worker.ts', import.meta.url), { type: 'module' })`
 * (src/app/conversion.svelte.ts does); one `ConvertRequest` 'convert' at a time.
 */
import type { CheckpointFiles } from '../convert/byte-source.ts';
import { convertInto, type ConversionOptions } from '../convert/convert-core.ts';
import { hubCheckpointFiles } from '../convert/hub-files.ts';
import { formatBytes } from '../core/format.ts';
import type { ModelFamily } from '../core/types.ts';
import { OpfsIo, type SyncHandle } from './opfs-io.ts';
import { MAX_QUANTIZE_WORKERS, quantizePool } from './quantize-pool.ts';
import type { FileIo } from '../convert/file-io.ts';
import { poolWorkers, type WeightPool } from '../convert/weight-pool.ts';
import { ConvertFailure, failure } from './convert-failure.ts';
import {
  commitOfKey,
  folderBytes,
  MODEL_DIR,
  readRecord,
  RECORD_FILE,
  storeKey,
  storeRoot,
} from './model-store.ts';
import { bestEffort } from '../core/best-effort.ts';
import type { ConvertReply, ConvertRequest, StoredModel } from './protocol.ts';

// The app's tsconfig has the DOM lib, not WebWorker; this is the slice of the worker scope used.
const scope = self as unknown as {
  postMessage(message: ConvertReply): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<ConvertRequest>) => void): void;
};

/**
 * The catalog's `prm convert` flags as options (src/core/prm-catalog.json uses these six).
 *
 * @example
 * flagOptions(['--good-id', '648', '--bad-id', '387']) // { goodId: 648, badId: 387 }
 */
export function flagOptions(flags: string[]): ConversionOptions {
  const o: ConversionOptions = {};
  for (let i = 0; i < flags.length; i++) {
    const f = flags[i];
    const value = () => {
      const v = flags[++i];
      if (v === undefined) throw new ConvertFailure('internal', `${f} needs a value`);
      return v;
    };
    if (f === '--quantize-embedding') o.quantizeEmbedding = true;
    else if (f === '--good-id') o.goodId = Number(value());
    else if (f === '--bad-id') o.badId = Number(value());
    else if (f === '--step-separator') o.stepSeparator = value();
    else if (f === '--step-token') o.stepToken = value();
    else if (f === '--family') o.family = value() as ModelFamily;
    else throw new ConvertFailure('internal', `the page cannot pass the prm convert flag ${f}; use the CLI`);
  }
  return o;
}

/** The checkpoint's files, counting the bytes read from its weights. */
function counting(files: CheckpointFiles, onRead: (bytes: number) => void): CheckpointFiles {
  return {
    label: files.label,
    name: files.name,
    remote: files.remote,
    list: () => files.list(),
    path: (f) => files.path(f),
    readText: (f) => files.readText(f),
    async open(file) {
      const src = await files.open(file);
      return {
        name: src.name,
        size: src.size,
        close: () => src.close(),
        async read(offset, length, into) {
          const bytes = await src.read(offset, length, into);
          onRead(length);
          return bytes;
        },
      };
    },
  };
}

function writeRecord(dir: FileSystemDirectoryHandle, record: StoredModel): Promise<void> {
  return writeJson(dir, RECORD_FILE, record);
}

let running: AbortController | null = null;

/** What an unfinished conversion was (`<key>/resume.json`): it is carried on only when equal. */
const STATE_FILE = 'resume.json';
/** The weight jobs it finished, as little-endian uint32 numbers (`<key>/jobs.bin`). */
const JOBS_FILE = 'jobs.bin';

async function openSync(dir: FileSystemDirectoryHandle, name: string): Promise<SyncHandle> {
  const f = await dir.getFileHandle(name, { create: true });
  return (f as unknown as { createSyncAccessHandle(): Promise<SyncHandle> }).createSyncAccessHandle();
}

async function writeJson(dir: FileSystemDirectoryHandle, name: string, value: unknown): Promise<void> {
  const h = await openSync(dir, name);
  try {
    h.truncate(0);
    h.write(new TextEncoder().encode(JSON.stringify(value, null, 2) + '\n'), { at: 0 });
    h.flush();
  } finally {
    h.close();
  }
}

/** The finished jobs of an unfinished conversion in `dir` made with `state`, or null. */
async function finishedJobs(dir: FileSystemDirectoryHandle, state: object): Promise<Set<number> | null> {
  try {
    const saved = await (await (await dir.getFileHandle(STATE_FILE)).getFile()).text();
    if (saved.trim() !== JSON.stringify(state, null, 2)) return null;
    const bytes = await (await (await dir.getFileHandle(JOBS_FILE)).getFile()).arrayBuffer();
    const view = new DataView(bytes, 0, bytes.byteLength - (bytes.byteLength % 4));
    const done = new Set<number>();
    for (let i = 0; i < view.byteLength; i += 4) done.add(view.getUint32(i, true));
    return done;
  } catch {
    // No state or no jobs file: not a conversion this worker can carry on.
    return null;
  }
}

function note(message: string): void {
  scope.postMessage({ status: 'convert-note', message });
}

async function convert(req: Extract<ConvertRequest, { type: 'convert' }>): Promise<ConvertReply> {
  const controller = new AbortController();
  running = controller;
  const { signal } = controller;
  let io: OpfsIo | null = null;
  let jobs: SyncHandle | null = null;
  let folder: { root: FileSystemDirectoryHandle; key: string } | null = null;
  try {
    const options = flagOptions(req.flags);
    const files = await hubCheckpointFiles({
      repo: req.repo,
      revision: req.revision,
      endpoint: req.endpoint,
      signal,
    });
    const key = storeKey(req.repo, files.commit, req.dtypes);
    const root = await storeRoot();
    const partial = await root.getDirectoryHandle(key).catch((e: unknown) => {
      if (e instanceof DOMException && e.name === 'NotFoundError') return null;
      throw e;
    });
    const existing = partial && (await readRecord(partial));
    if (existing) return { status: 'converted', model: existing };
    const state = { repo: req.repo, commit: files.commit, dtypes: req.dtypes, flags: req.flags };
    const done = partial && (await finishedJobs(partial, state));
    // An unfinished conversion of another commit of this repo cannot be carried on.
    for await (const [name, h] of (
      root as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }
    ).entries()) {
      if (name === key || commitOfKey(name, req.repo, req.dtypes) === null) continue;
      if (h.kind !== 'directory' || (await readRecord(h as FileSystemDirectoryHandle))) continue;
      await root.removeEntry(name, { recursive: true });
      note(
        `${req.repo} moved to commit ${files.commit.slice(0, 12)} since its unfinished conversion; starting again.`,
      );
    }
    if (done) note(`Carrying on from the unfinished conversion (${done.size} weights already converted).`);
    let bytesRead = 0;
    let started = 0;
    const source = counting(files, (n) => {
      started ||= performance.now();
      bytesRead += n;
    });
    let jobCount = 0;
    const jobBytes = new Uint8Array(4);
    const fileIo: FileIo = {
      open: (p, m) => io!.open(p, m),
      writeAt: (fd, b, at) => io!.writeAt(fd, b, at),
      readAt: (p, at, into) => io!.readAt(p, at, into),
      size: (fd) => io!.size(fd),
      close: (fd) => io!.close(fd),
      rename: (a, b) => io!.rename(a, b),
    };
    let pool: WeightPool | null = null;
    // Cancel stops the quantizing workers mid-job; the builder's waiting submit then throws.
    signal.addEventListener('abort', () => void pool?.close(), { once: true });
    const made = await convertInto(
      source,
      {
        io: fileIo,
        makePool: (workers) => (pool = quantizePool(workers, fileIo)),
        async prepare(plan) {
          scope.postMessage({
            status: 'convert-plan',
            commit: files.commit,
            estimatedBytes: plan.estimatedBytes,
          });
          const have = done && partial ? await folderBytes(partial) : 0;
          const needed = Math.max(0, plan.estimatedBytes - have);
          if (req.available !== null && needed > req.available) {
            throw new ConvertFailure(
              'quota',
              `Converting ${req.repo} needs about ${formatBytes(needed)} (${needed} bytes) ` +
                `more browser storage, and this site may store only ${formatBytes(req.available)} more. ` +
                'Free space (delete stored models, or other sites’ data) and try again; nothing was written.',
              needed,
            );
          }
          if (!done) {
            // An unfinished conversion made with other options is ours to replace.
            await bestEffort(
              root.removeEntry(key, { recursive: true }),
              'usually there is none; a folder that cannot be removed fails the getDirectoryHandle below',
            );
          }
          const dir = await root.getDirectoryHandle(key, { create: true });
          folder = { root, key };
          if (!done) await writeJson(dir, STATE_FILE, state);
          jobs = await openSync(dir, JOBS_FILE);
          if (!done) jobs.truncate(0);
          jobCount = Math.floor(jobs.getSize() / 4);
          io = await OpfsIo.create(await dir.getDirectoryHandle(MODEL_DIR, { create: true }), plan.files, {
            keep: !!done,
          });
          return '.';
        },
      },
      {
        ...options,
        dtypes: req.dtypes,
        // Weights as external data (`prm convert --external-data`, which the page's command
        // says: src/core/page-convert.ts): the loader hands the OPFS files to onnxruntime-web as
        // Blobs, which its JSPI build streams tensor by tensor.
        inlineLimit: 0,
        // One core is left to this worker (reading, writing) and the page. Every checkpoint matrix
        // goes to the pool, whatever its size: the pool's workers start once per conversion.
        threads: poolWorkers(navigator.hardwareConcurrency, 1, MAX_QUANTIZE_WORKERS),
        workerMinValues: 0,
        signal,
        resume: {
          done: done ?? new Set(),
          onDone(index) {
            new DataView(jobBytes.buffer).setUint32(0, index, true);
            (jobs as SyncHandle | null)?.write(jobBytes, { at: jobCount++ * 4 });
          },
        },
        onProgress: (p) =>
          scope.postMessage({
            status: 'convert-progress',
            tensor: p.name,
            tensorsDone: p.index,
            tensorsTotal: p.total,
            bytesRead,
            // bytesRead also counts the headers and pickle read before the weights.
            bytesTotal: Math.max(p.bytesToRead, bytesRead),
            bytesWritten: p.bytesWritten,
            elapsedMs: started ? performance.now() - started : 0,
          }),
      },
    );
    await io!.finish();
    (jobs as SyncHandle | null)?.close();
    jobs = null;
    const dir = await root.getDirectoryHandle(key);
    const record: StoredModel = {
      key,
      repo: req.repo,
      revision: req.revision,
      commit: files.commit,
      endpoint: req.endpoint,
      dtypes: req.dtypes,
      bytes: await folderBytes(await dir.getDirectoryHandle(MODEL_DIR)),
      date: new Date().toISOString(),
      name: made.spec.name,
    };
    if (signal.aborted) throw new Error('conversion aborted');
    await dir.removeEntry(JOBS_FILE);
    await dir.removeEntry(STATE_FILE);
    await writeRecord(dir, record);
    return { status: 'converted', model: record };
  } catch (e) {
    const f = failure(e, signal);
    (io as OpfsIo | null)?.closeAll();
    (jobs as SyncHandle | null)?.close();
    const made = folder as { root: FileSystemDirectoryHandle; key: string } | null;
    // After a network failure the finished weights are kept for the next Convert.
    const keep = f.code === 'network' && made !== null;
    if (made && !keep) {
      await bestEffort(
        made.root.removeEntry(made.key, { recursive: true }),
        'the folder has no record, so it never loads as a model; the picker offers to remove it',
      );
    }
    return {
      status: 'convert-error',
      code: f.code,
      message: keep
        ? `${f.message} What was converted is kept: press Convert again to carry on from there.`
        : f.message,
      ...(f.bytesNeeded !== undefined ? { bytesNeeded: f.bytesNeeded } : {}),
    };
  } finally {
    if (running === controller) running = null;
  }
}

scope.addEventListener('message', (event: MessageEvent<ConvertRequest>) => {
  const req = event.data;
  if (req.type === 'convert-cancel') {
    running?.abort();
    return;
  }
  if (running) {
    scope.postMessage({
      status: 'convert-error',
      code: 'internal',
      message: 'A conversion is already running in this worker.',
    });
    return;
  }
  void convert(req).then((reply) => scope.postMessage(reply));
});
