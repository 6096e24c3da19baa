/**
 * An in-memory `Storage` look-alike for the app's storage code. `quota` (characters of keys and
 * values together) makes `setItem` throw a QuotaExceededError, as a full localStorage does.
 */
import type { StorageLike } from '../../src/app/lib/storage.ts';

export type MemoryStorage = StorageLike & { data: Map<string, string> };

export function memoryStorage(quota = Infinity, data = new Map<string, string>()): MemoryStorage {
  return {
    data,
    get length() {
      return data.size;
    },
    key: (i) => [...data.keys()][i] ?? null,
    getItem: (k) => data.get(k) ?? null,
    setItem(k, v) {
      const used = [...data].reduce((n, [a, b]) => (a === k ? n : n + a.length + b.length), 0);
      if (used + k.length + v.length > quota) throw new DOMException('quota', 'QuotaExceededError');
      data.set(k, v);
    },
    removeItem: (k) => void data.delete(k),
  };
}
