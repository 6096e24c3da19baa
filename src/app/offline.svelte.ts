/**
 * The page's side of the offline app (src/sw/sw.ts): registers the service worker, knows whether
 * this build is stored for offline use, whether a newer build is waiting (the update prompt), and
 * how the page is cross-origin isolated - by the host's headers, by the service worker, or not
 * at all (then WASM runs on one thread). Shown in the model panel and the update banner.
 *
 * The browser is injected (`OfflinePlatform`), so this state is unit-tested in Node; main.ts passes
 * the real one. It does not cache anything itself and knows nothing about models.
 */
import type { RegisterSWOptions } from 'vite-plugin-pwa/types';

/** How the page got (or did not get) `crossOriginIsolated`. */
export type Isolation = 'host' | 'service-worker' | 'none';

/** Whether this build is stored for use without a network. */
export type OfflineCopy = 'unsupported' | 'storing' | 'ready' | 'failed';

export interface OfflinePlatform {
  /** This build's id (vite.config.ts `__PRM_BUILD__`). */
  build: string;
  /** vite-plugin-pwa's `registerSW`; null where the browser has no service workers. */
  register: ((options: RegisterSWOptions) => (reloadPage?: boolean) => Promise<void>) | null;
  /** `globalThis.crossOriginIsolated`. */
  crossOriginIsolated: boolean;
  /** Whether a service worker served this page (`navigator.serviceWorker.controller` at start). */
  controlled: boolean;
  /** Whether a same-origin response served like the page carries the worker's isolation mark. */
  isolationAddedByWorker(): Promise<boolean>;
  /** Resolves once a service worker of this scope is active (`navigator.serviceWorker.ready`). */
  workerActive(): Promise<void>;
  reload(): void;
}

export class OfflineState {
  copy = $state<OfflineCopy>('unsupported');
  /** A newer build is installed and waits for the user's yes. */
  updateReady = $state(false);
  isolation = $state<Isolation | null>(null);
  /** Not isolated yet, but a reload would be: the worker is active and this page predates it. */
  reloadIsolates = $state(false);
  /** Why the offline copy could not be stored. */
  problem = $state<string | null>(null);

  readonly build: string;
  private applyUpdate: ((reloadPage?: boolean) => Promise<void>) | null = null;

  constructor(private readonly platform: OfflinePlatform) {
    this.build = platform.build;
  }

  /** Registers the worker and works out the isolation; call once at start-up. */
  async start(): Promise<void> {
    const p = this.platform;
    if (p.register) {
      this.copy = p.controlled ? 'ready' : 'storing';
      this.applyUpdate = p.register({
        immediate: true,
        onNeedRefresh: () => (this.updateReady = true),
        onOfflineReady: () => (this.copy = 'ready'),
        onRegisterError: (e: unknown) => {
          this.copy = 'failed';
          this.problem = `The offline copy could not be stored: ${e instanceof Error ? e.message : String(e)}`;
        },
      });
    }
    if (!p.crossOriginIsolated) {
      this.isolation = 'none';
      if (p.register && !p.controlled) {
        void p.workerActive().then(() => (this.reloadIsolates = true));
      }
      return;
    }
    try {
      this.isolation = p.controlled && (await p.isolationAddedByWorker()) ? 'service-worker' : 'host';
    } catch (e) {
      this.isolation = 'host';
      this.problem = `Could not tell whether the host or the service worker isolates this page: ${(e as Error).message}`;
    }
  }

  /** Activates the waiting build; the page reloads once it controls the page. */
  async update(): Promise<void> {
    this.updateReady = false;
    await this.applyUpdate?.(true);
  }

  dismissUpdate(): void {
    this.updateReady = false;
  }

  reload(): void {
    this.platform.reload();
  }
}
