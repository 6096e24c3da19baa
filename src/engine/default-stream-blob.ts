/**
 * A Blob whose `stream()` is a default stream (not a byte stream), for the external data handed
 * to onnxruntime-web.
 *
 * Why: onnxruntime-web's JSPI build reads Blob external data with a BYOB reader whenever the
 * stream accepts one (`blob.slice(a, b).stream().getReader({ mode: 'byob' })` in
 * `ort-wasm-simd-threaded.jspi.mjs`), and in Chromium a BYOB read of a Blob's stream sometimes
 * never settles: session creation then waits forever (issue 22). `bench/blob-byob-stall.ts`
 * reproduces it without onnxruntime in a minute or two; default reads, `arrayBuffer()` and this
 * class do not stall there. On a default stream `getReader({ mode: 'byob' })` throws, and
 * onnxruntime-web falls back to its default-reader path: same bytes, still streamed, nothing
 * copied up front.
 *
 * @example
 * const data = new DefaultStreamBlob([await response.blob()]);
 * data.slice(0, 10).stream().getReader({ mode: 'byob' }); // throws TypeError
 */
export class DefaultStreamBlob extends Blob {
  override slice(start?: number, end?: number, contentType?: string): DefaultStreamBlob {
    // A Blob part is referenced, not copied.
    return new DefaultStreamBlob([super.slice(start, end, contentType)]);
  }

  override stream(): ReadableStream<Uint8Array<ArrayBuffer>> {
    const reader = super.stream().getReader();
    return new ReadableStream<Uint8Array<ArrayBuffer>>({
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    });
  }
}
