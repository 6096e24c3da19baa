import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession, type BrowserMode, type BrowserSession } from './harness.ts';

describe.each<BrowserMode>(['webgpu', 'wasm'])('built app in Chromium (%s)', (mode) => {
  let s: BrowserSession;
  beforeAll(async () => {
    s = await openSession(mode);
  });
  afterAll(async () => s?.close());

  it('serves the page cross-origin isolated', async () => {
    await s.page.goto(s.url);
    expect(
      await s.page.evaluate(
        () => (globalThis as unknown as { crossOriginIsolated: boolean }).crossOriginIsolated,
      ),
    ).toBe(true);
  });

  it(`has ${mode === 'webgpu' ? 'a' : 'no'} WebGPU adapter`, async () => {
    await s.page.goto(s.url);
    const hasAdapter = await s.page.evaluate(async () => {
      const nav = (globalThis as unknown as { navigator: { gpu?: { requestAdapter(): Promise<unknown> } } })
        .navigator;
      const gpu = nav.gpu;
      return Boolean(gpu && (await gpu.requestAdapter()));
    });
    expect(hasAdapter).toBe(mode === 'webgpu');
  });

  it('serves the self-hosted onnxruntime wasm and the model manifest', async () => {
    await s.page.goto(s.url);
    const res = await s.page.evaluate(async () => {
      const wasm = await fetch('/ort/ort-wasm-simd-threaded.asyncify.wasm');
      const manifest = await fetch('/models/manifest.json');
      return { wasm: wasm.status, wasmType: wasm.headers.get('content-type'), manifest: manifest.status };
    });
    expect(res).toEqual({ wasm: 200, wasmType: 'application/wasm', manifest: 200 });
  });
});
