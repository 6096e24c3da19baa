/**
 * HTTP reading shared by the bundled and Hub sources: a GET that turns failures into
 * `EngineError`s naming the file (missing -> 'bad-model', offline/HTTP -> 'network'), and a body
 * reader that reports byte progress and refuses a body shorter than its Content-Length or than
 * the size the listing promised (a truncated file must never reach onnxruntime).
 *
 * It does not cache; the Hub source does that.
 */
import { CancelledError, EngineError } from '../errors.ts';
import type { ReadOptions } from './types.ts';

/**
 * GET `url`; resolves with an OK response or throws `EngineError` naming `file`.
 *
 * @example
 * const res = await fetchOk('/models/demo/prm.json', 'models/demo/prm.json');
 */
export async function fetchOk(
  url: string,
  file: string,
  options: ReadOptions = {},
  init: RequestInit = {},
): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: options.signal });
  } catch (e) {
    if (options.signal?.aborted) throw new CancelledError();
    throw new EngineError(
      'network',
      `Could not fetch ${file} (${(e as Error).message}); check the connection or the server address.`,
      {
        file,
        cause: e,
      },
    );
  }
  if (res.status === 404) {
    throw new EngineError('bad-model', `${file} does not exist (HTTP 404 from ${url}).`, { file });
  }
  if (!res.ok) {
    throw new EngineError(
      'network',
      `Could not fetch ${file}: HTTP ${res.status} ${res.statusText} from ${url}.`,
      { file },
    );
  }
  return res;
}

/** The body length the server announced, or null. */
export function contentLength(res: Response): number | null {
  const v = res.headers.get('content-length');
  if (v === null) return null;
  const n = Number(v);
  // A compressed body's Content-Length counts compressed bytes, not what the stream yields.
  const encoding = res.headers.get('content-encoding');
  return Number.isFinite(n) && n >= 0 && (!encoding || encoding === 'identity') ? n : null;
}

/**
 * Reads a response body into a Blob with progress, checking its length against the server's
 * Content-Length and the size the model listing gave (`expected`).
 *
 * @example
 * const blob = await readBody(res, 'onnx/model.onnx', 123456, { onProgress: (n, t) => console.log(n, t) });
 */
export async function readBody(
  res: Response,
  file: string,
  expected: number | null,
  options: ReadOptions = {},
): Promise<Blob> {
  const announced = contentLength(res);
  const total = announced ?? expected;
  const parts: Uint8Array[] = [];
  let loaded = 0;
  if (res.body) {
    const reader = res.body.getReader();
    try {
      for (;;) {
        if (options.signal?.aborted) throw new CancelledError();
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (e) {
          if (options.signal?.aborted) throw new CancelledError();
          throw new EngineError(
            'network',
            `The download of ${file} broke off after ${loaded} bytes (${(e as Error).message}); try again.`,
            {
              file,
              cause: e,
            },
          );
        }
        if (chunk.done) break;
        parts.push(chunk.value);
        loaded += chunk.value.length;
        options.onProgress?.(loaded, total);
      }
    } finally {
      reader.releaseLock();
    }
  }
  checkLength(file, loaded, announced, expected);
  return new Blob(parts as unknown as ConstructorParameters<typeof Blob>[0]);
}

/** Throws when `got` bytes fall short of (or exceed) what the server or the listing promised. */
export function checkLength(
  file: string,
  got: number,
  announced: number | null,
  expected: number | null,
): void {
  if (announced !== null && got !== announced) {
    throw new EngineError(
      'network',
      `${file} is truncated: received ${got} of ${announced} bytes. Try the download again.`,
      { file },
    );
  }
  if (expected !== null && got !== expected) {
    throw new EngineError(
      'bad-model',
      `${file} has ${got} bytes but the model listing says ${expected}; the file is ${got < expected ? 'truncated' : 'not the one listed'}. Download or copy it again.`,
      { file },
    );
  }
}
