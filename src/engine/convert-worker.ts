/**
 * The conversion worker's entry: converts a Hugging Face Hub checkpoint inside the page with the
 * same code as `prm convert hf:...` - the repo listed and pinned to its commit and the weights
 * read by HTTP range (src/convert/hub-files.ts, http-source.ts), checked and converted by
 * src/convert/convert-core.ts - and writes the model folder into the Origin Private File System
 * through sync access handles (opfs-io.ts), under model-store.ts's layout. The record that makes
 * the folder a stored model is written last; a failed or cancelled conversion removes its folder.
 *
 * One worker does the reading, quantizing (the WebAssembly SIMD kernel) and writing: OPFS sync
 * handles lock their file to the worker that opened it, so a pool of workers writing one data file
 * would need a second copy of every weight.
 *
 * Start it with `new Worker(new URL('./convert-worker.ts', import.meta.url), { type: 'module' })`
 * (src/app/conversion.svelte.ts does); one `ConvertRequest` 'convert' at a time.
 */
import type { CheckpointFiles } from '../convert/byte-source.ts';
import { convertInto, type ConversionOptions } from '../convert/convert-core.ts';
import { hubCheckpointFiles } from '../convert/hub-files.ts';
import { HttpSourceError } from '../convert/http-source.ts';
import { formatBytes } from '../core/format.ts';
import { OpfsIo, type SyncHandle } from './opfs-io.ts';
import { folderBytes, MODEL_DIR, readRecord, RECORD_FILE, storeKey, storeRoot } from './model-store.ts';
import { bestEffort } from '../core/best-effort.ts';
import type { ConvertErrorCode, ConvertReply, ConvertRequest, StoredModel } from './protocol.ts';

// The app's tsconfig has the DOM lib, not WebWorker; this is the slice of the worker scope used.
const scope = self as unknown as {
  postMessage(message: ConvertReply): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<ConvertRequest>) => void): void;
};

class ConvertFailure extends Error {
  constructor(
    readonly code: ConvertErrorCode,
    message: string,
    readonly bytesNeeded?: number,
  ) {
    super(message);
  }
}

/**
 * The catalog's `prm convert` flags as options (src/core/prm-catalog.json uses these five).
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
  return dir.getFileHandle(RECORD_FILE, { create: true }).then(async (f) => {
    const h = await (
      f as unknown as { createSyncAccessHandle(): Promise<SyncHandle> }
    ).createSyncAccessHandle();
    try {
      h.truncate(0);
      h.write(new TextEncoder().encode(JSON.stringify(record, null, 2) + '\n'), { at: 0 });
      h.flush();
    } finally {
      h.close();
    }
  });
}

function failure(e: unknown, signal: AbortSignal): ConvertFailure {
  if (e instanceof ConvertFailure) return e;
  const message = e instanceof Error ? e.message : String(e);
  if (signal.aborted)
    return new ConvertFailure('cancelled', 'The conversion was cancelled; nothing was kept.');
  if (e instanceof HttpSourceError) {
    return new ConvertFailure(
      e.code === 'changed' ? 'changed' : e.code === 'network' ? 'network' : 'bad-checkpoint',
      message,
    );
  }
  if (e instanceof DOMException) {
    const quota = e.name === 'QuotaExceededError';
    return new ConvertFailure(
      quota ? 'quota' : 'storage',
      `The browser's storage refused the converted model (${e.name}: ${e.message}).`,
    );
  }
  return new ConvertFailure('bad-checkpoint', message);
}

let running: AbortController | null = null;

async function convert(req: Extract<ConvertRequest, { type: 'convert' }>): Promise<ConvertReply> {
  const controller = new AbortController();
  running = controller;
  const { signal } = controller;
  let io: OpfsIo | null = null;
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
    const existing = await root.getDirectoryHandle(key).then(readRecord, () => null);
    if (existing) return { status: 'converted', model: existing };
    let bytesTotal = 0;
    for (const [f, size] of files.sizes) if (/\.(safetensors|bin)$/.test(f)) bytesTotal += size;
    let bytesRead = 0;
    let started = 0;
    const source = counting(files, (n) => {
      started ||= performance.now();
      bytesRead += n;
    });
    const made = await convertInto(
      source,
      {
        io: {
          open: (p, m) => io!.open(p, m),
          writeAt: (fd, b, at) => io!.writeAt(fd, b, at),
          readAt: (p, at, into) => io!.readAt(p, at, into),
          size: (fd) => io!.size(fd),
          close: (fd) => io!.close(fd),
          rename: (a, b) => io!.rename(a, b),
        },
        async prepare(plan) {
          scope.postMessage({
            status: 'convert-plan',
            commit: files.commit,
            estimatedBytes: plan.estimatedBytes,
          });
          if (req.available !== null && plan.estimatedBytes > req.available) {
            throw new ConvertFailure(
              'quota',
              `Converting ${req.repo} needs about ${formatBytes(plan.estimatedBytes)} (${plan.estimatedBytes} bytes) ` +
                `of browser storage, and this site may store only ${formatBytes(req.available)} more. ` +
                'Free space (delete stored models, or other sites’ data) and try again; nothing was written.',
              plan.estimatedBytes,
            );
          }
          // An unfinished earlier conversion of the same checkpoint (no record) is ours to replace.
          await bestEffort(
            root.removeEntry(key, { recursive: true }),
            'usually there is none; a folder that cannot be removed fails the getDirectoryHandle below',
          );
          const dir = await root.getDirectoryHandle(key, { create: true });
          folder = { root, key };
          io = await OpfsIo.create(await dir.getDirectoryHandle(MODEL_DIR, { create: true }), plan.files);
          return '.';
        },
      },
      {
        ...options,
        dtypes: req.dtypes,
        // Weights as external data (`prm convert --external-data`): the loader hands the OPFS
        // files to onnxruntime-web as Blobs, which its JSPI build streams tensor by tensor.
        inlineLimit: 0,
        signal,
        onProgress: (p) =>
          scope.postMessage({
            status: 'convert-progress',
            tensor: p.name,
            tensorsDone: p.index,
            tensorsTotal: p.total,
            bytesRead,
            bytesTotal,
            bytesWritten: p.bytesWritten,
            elapsedMs: started ? performance.now() - started : 0,
          }),
      },
    );
    await io!.finish();
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
    await writeRecord(dir, record);
    return { status: 'converted', model: record };
  } catch (e) {
    const f = failure(e, signal);
    (io as OpfsIo | null)?.closeAll();
    const made = folder as { root: FileSystemDirectoryHandle; key: string } | null;
    if (made) {
      await bestEffort(
        made.root.removeEntry(made.key, { recursive: true }),
        'the folder has no record, so it never loads as a model; the picker offers to remove it',
      );
    }
    return {
      status: 'convert-error',
      code: f.code,
      message: f.message,
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
