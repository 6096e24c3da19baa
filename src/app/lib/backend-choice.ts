/**
 * The backend override (Auto / WebGPU / WASM): remembered per browser in localStorage, and forced
 * for one page by `?backend=webgpu|wasm|auto` (how tests and benchmarks run WebGPU on a software
 * adapter that Auto would skip). A forced choice is not saved: it lasts as long as the URL says it.
 */
import { backendFromQuery, type BackendChoice } from '../../engine/backend.ts';

export const BACKEND_KEY = 'prm-playground:backend';

/**
 * The choice for this page: `?backend=` when present (forced), else the saved one, else Auto.
 *
 * @example
 * readBackendChoice(localStorage, '?backend=webgpu'); // { choice: 'webgpu', forced: true }
 */
export function readBackendChoice(
  storage: Pick<Storage, 'getItem'> | null,
  search: string,
): { choice: BackendChoice; forced: boolean } {
  const fromUrl = backendFromQuery(search);
  if (fromUrl) return { choice: fromUrl, forced: true };
  try {
    const saved = storage?.getItem(BACKEND_KEY);
    if (saved === 'webgpu' || saved === 'wasm') return { choice: saved, forced: false };
  } catch {
    // Storage blocked: Auto.
  }
  return { choice: 'auto', forced: false };
}

export function saveBackendChoice(storage: Pick<Storage, 'setItem'> | null, choice: BackendChoice): void {
  try {
    storage?.setItem(BACKEND_KEY, choice);
  } catch {
    // Without storage the choice lasts for this page only.
  }
}
