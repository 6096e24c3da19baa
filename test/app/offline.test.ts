import { describe, expect, it, vi } from 'vitest';
import type { RegisterSWOptions } from 'vite-plugin-pwa/types';
import { OfflineState, type OfflinePlatform } from '../../src/app/offline.svelte.ts';

/** A browser as OfflineState sees it; `hooks` are the callbacks it gave registerSW. */
function platform(over: Partial<OfflinePlatform> = {}) {
  const seen: { hooks: RegisterSWOptions | null; updated: boolean[] } = { hooks: null, updated: [] };
  const p: OfflinePlatform = {
    build: 'test-build',
    register: (options) => {
      seen.hooks = options;
      return async (reload) => void seen.updated.push(reload ?? false);
    },
    crossOriginIsolated: false,
    controlled: false,
    isolationAddedByWorker: async () => false,
    workerActive: () => new Promise(() => {}),
    reload: vi.fn(),
    ...over,
  };
  return { p, seen };
}

describe('OfflineState.start()', () => {
  it.each<[string, Partial<OfflinePlatform>, string]>([
    ['host headers', { crossOriginIsolated: true, controlled: false }, 'host'],
    ['host headers, through the worker', { crossOriginIsolated: true, controlled: true }, 'host'],
    [
      'the service worker',
      { crossOriginIsolated: true, controlled: true, isolationAddedByWorker: async () => true },
      'service-worker',
    ],
    ['nobody', { crossOriginIsolated: false, controlled: true }, 'none'],
  ])('isolated by %s -> isolation %s', async (_, over, isolation) => {
    const s = new OfflineState(platform(over).p);
    await s.start();
    expect(s.isolation).toBe(isolation);
  });

  it('offers the reload that isolates once the worker is active, on the first (uncontrolled) load', async () => {
    let activate!: () => void;
    const active = new Promise<void>((r) => (activate = r));
    const s = new OfflineState(platform({ workerActive: () => active }).p);
    await s.start();
    expect([s.isolation, s.reloadIsolates, s.copy]).toEqual(['none', false, 'storing']);
    activate();
    await active;
    await Promise.resolve();
    expect(s.reloadIsolates).toBe(true);
  });

  it('does not offer that reload when the worker already served the page (it would not help)', async () => {
    const s = new OfflineState(platform({ controlled: true, workerActive: async () => {} }).p);
    await s.start();
    await Promise.resolve();
    expect(s.reloadIsolates).toBe(false);
    expect(s.copy).toBe('ready');
  });

  it('says "unsupported" without service workers, and registers nothing', async () => {
    const s = new OfflineState(platform({ register: null }).p);
    await s.start();
    expect([s.copy, s.isolation, s.reloadIsolates]).toEqual(['unsupported', 'none', false]);
  });

  it('follows registerSW: offline ready, update waiting, registration error', async () => {
    const { p, seen } = platform();
    const s = new OfflineState(p);
    await s.start();
    seen.hooks!.onOfflineReady!();
    expect(s.copy).toBe('ready');
    seen.hooks!.onNeedRefresh!();
    expect(s.updateReady).toBe(true);
    await s.update();
    expect(seen.updated).toEqual([true]);
    expect(s.updateReady).toBe(false);
    seen.hooks!.onRegisterError!(new Error('SecurityError: no'));
    expect(s.copy).toBe('failed');
    expect(s.problem).toMatch(/could not be stored: SecurityError: no/);
  });

  it('says so when it cannot tell who isolates the page', async () => {
    const s = new OfflineState(
      platform({
        crossOriginIsolated: true,
        controlled: true,
        isolationAddedByWorker: async () => {
          throw new Error('Failed to fetch');
        },
      }).p,
    );
    await s.start();
    expect(s.problem).toMatch(/Could not tell .*Failed to fetch/);
  });
});
