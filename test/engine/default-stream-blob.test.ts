import { describe, expect, it } from 'vitest';
import { DefaultStreamBlob } from '../../src/engine/default-stream-blob.ts';

/** Reads a stream to the end with a default reader. */
async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

// Several parts, so slices cross part boundaries; a size above one stream chunk.
const bytes = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 251);
const source = new Blob([bytes.subarray(0, 1000), bytes.subarray(1000, 170_001), bytes.subarray(170_001)]);

describe('DefaultStreamBlob', () => {
  it('stream() refuses a BYOB reader, so onnxruntime-web takes its default-reader path', () => {
    const blob = new DefaultStreamBlob([source]);
    expect(() => blob.stream().getReader({ mode: 'byob' })).toThrow(TypeError);
    expect(() => blob.slice(5, 10).stream().getReader({ mode: 'byob' })).toThrow(TypeError);
  });

  it.each([
    [0, 300_000],
    [0, 1],
    [999, 1001],
    [123_456, 299_999],
    [170_000, 170_002],
    [42, 42],
  ])('slice(%i, %i).stream() yields exactly those bytes', async (start, end) => {
    const blob = new DefaultStreamBlob([source]);
    const slice = blob.slice(start, end);
    expect(slice).toBeInstanceOf(DefaultStreamBlob);
    expect(slice.size).toBe(end - start);
    expect(await readAll(slice.stream())).toEqual(bytes.subarray(start, end));
  });

  it('a slice of a slice is still a default stream over the right bytes', async () => {
    const inner = new DefaultStreamBlob([source]).slice(1000, 200_000).slice(10, 20);
    expect(() => inner.stream().getReader({ mode: 'byob' })).toThrow(TypeError);
    expect(await readAll(inner.stream())).toEqual(bytes.subarray(1010, 1020));
  });

  it('cancel() reaches the underlying stream and ends the read', async () => {
    const reader = new DefaultStreamBlob([source]).stream().getReader();
    await reader.read();
    await reader.cancel('done');
    expect((await reader.read()).done).toBe(true);
  });
});
