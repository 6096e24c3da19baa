/**
 * Reproduces the Chromium stall behind issue 22 without onnxruntime or WebGPU: in a worker, reads
 * byte ranges of in-memory Blobs exactly as onnxruntime-web's JSPI build reads Blob external data
 * (`blob.slice(a, b).stream()`, a BYOB reader when the stream accepts one, else a default reader;
 * see src/engine/default-stream-blob.ts), and reports how many ranges it read before one read
 * never settled.
 *
 *   npx tsx bench/blob-byob-stall.ts [--iterations N] [--blob native|ours] [--stall-s S]
 *
 * `native`: plain Blobs (what the engine handed onnxruntime before); `ours`: the same Blobs
 * wrapped in DefaultStreamBlob (what the engine hands it now). Exit code 0 when every read
 * settled, 3 on a stall. Figures: bench/README.md, "The stall: a BYOB read that never settles".
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { DefaultStreamBlob } from '../src/engine/default-stream-blob.ts';
import { CHROMIUM, BASE_FLAGS } from '../test/browser/harness.ts';
import { chromium } from 'playwright-core';

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '3000' },
    blob: { type: 'string', default: 'native' },
    'stall-s': { type: 'string', default: '30' },
  },
});
const iterations = Number(values.iterations);
const stallMs = Number(values['stall-s']) * 1000;
if (!Number.isInteger(iterations) || iterations < 1)
  throw new Error('--iterations takes a whole number >= 1');
if (values.blob !== 'native' && values.blob !== 'ours') throw new Error('--blob takes native or ours');

// The worker: each iteration builds a Blob from 1-7 parts and reads it whole in ranges.
const worker = `
var __name = (f) => f; // tsx's keepNames helper, referenced by the class source below
const DefaultStreamBlob = ${DefaultStreamBlob.toString()};
const WRAP = ${JSON.stringify(values.blob === 'ours')};
let spare = null;
async function readRange(blob, start, length) {
  const out = new Uint8Array(length);
  const stream = blob.slice(start, start + length).stream();
  let reader, byob = false;
  try { reader = stream.getReader({ mode: 'byob' }); byob = true; } catch { reader = stream.getReader(); }
  let at = 0;
  if (byob) {
    let buf = spare || new ArrayBuffer(1048576);
    spare = null;
    for (;;) {
      const r = await reader.read(new Uint8Array(buf, 0, buf.byteLength));
      if (r.value) { out.set(r.value, at); at += r.value.byteLength; buf = r.value.buffer; }
      if (r.done) break;
    }
    spare = buf;
  } else {
    for (;;) { const r = await reader.read(); if (r.done) break; out.set(r.value, at); at += r.value.byteLength; }
  }
  if (at !== length) throw new Error('read ' + at + ' of ' + length + ' bytes');
}
self.onmessage = async (e) => {
  for (let i = 0; i < e.data; i++) {
    const parts = [];
    let total = 0;
    for (let k = 0; k <= i % 7; k++) { const n = 1000 + ((i * 7919 + k * 104729) % 300000); parts.push(new Uint8Array(n)); total += n; }
    const plain = new Blob(parts);
    const blob = WRAP ? new DefaultStreamBlob([plain]) : plain;
    for (let at = 0; at < total; ) {
      const length = Math.min(total - at, 1 + ((at * 31 + i) % 200000));
      self.__reading = { iteration: i, start: at, length, total };
      await readRange(blob, at, length);
      at += length;
    }
    postMessage({ done: i + 1 });
  }
};`;
const page = `<!doctype html><script>
const w = new Worker('worker.js');
self.__worker = w;
self.__done = 0;
w.onmessage = (e) => { self.__done = e.data.done; };
w.onerror = (e) => { self.__error = String(e.message); };
</script>`;

const server = createServer((req, res) => {
  const body = req.url === '/worker.js' ? worker : req.url === '/' ? page : null;
  if (body === null) return void res.writeHead(404).end();
  res.writeHead(200, { 'content-type': req.url === '/' ? 'text/html' : 'text/javascript' }).end(body);
}).listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...BASE_FLAGS] });
let code = 0;
try {
  const tab = await (await browser.newContext()).newPage();
  await tab.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  const t0 = Date.now();
  await tab.evaluate(
    (n) => (globalThis as unknown as { __worker: { postMessage(n: number): void } }).__worker.postMessage(n),
    iterations,
  );
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    const s = await tab.evaluate(() => {
      const g = globalThis as unknown as { __done: number; __error?: string };
      return { done: g.__done, error: g.__error };
    });
    if (s.error) throw new Error(`the worker failed: ${s.error}`);
    if (s.done === iterations) {
      console.log(
        `blob ${values.blob}: ${iterations} iterations, every read settled (${((Date.now() - t0) / 1000).toFixed(0)} s)`,
      );
      break;
    }
    if (s.done !== last) [last, lastChange] = [s.done, Date.now()];
    else if (Date.now() - lastChange > stallMs) {
      const w = tab.workers()[0];
      const reading = await w.evaluate(() => (globalThis as unknown as { __reading: unknown }).__reading);
      console.log(
        `blob ${values.blob}: STALL after ${s.done} iterations (${((lastChange - t0) / 1000).toFixed(0)} s): ` +
          `a read of ${JSON.stringify(reading)} did not settle in ${values['stall-s']} s`,
      );
      code = 3;
      break;
    }
  }
} finally {
  await browser.close();
  server.close();
}
process.exit(code);
