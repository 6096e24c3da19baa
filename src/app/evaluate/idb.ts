/**
 * A `TextStore` over IndexedDB: one database, one object store of strings keyed by name.
 * IndexedDB rather than localStorage because a scored ProcessBench run is megabytes, past
 * localStorage's usual 5 MB. Browser only; the logic around it is in ./persist.ts.
 */
import { browserIndexedDb } from '../lib/storage.ts';
import type { TextStore } from './persist.ts';

const DB_NAME = 'prm-playground-evaluate';
const STORE = 'snapshots';

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

function open(): Promise<IDBDatabase> {
  const idb = browserIndexedDb<IDBFactory>();
  if (!idb) return Promise.reject(new Error('this browser has no IndexedDB here, or blocks site storage'));
  const req = idb.open(DB_NAME, 1);
  req.onupgradeneeded = () => req.result.createObjectStore(STORE);
  return request(req);
}

/**
 * The IndexedDB store; the database opens on first use.
 *
 * @example
 * const store = indexedDbStore();
 * await store.set('processbench', '{"format":"prm-playground/eval-1",...}');
 */
export function indexedDbStore(): TextStore {
  let db: Promise<IDBDatabase> | null = null;
  const tx = async (mode: IDBTransactionMode) => {
    db ??= open();
    return (await db).transaction(STORE, mode).objectStore(STORE);
  };
  return {
    async get(key) {
      const v = await request((await tx('readonly')).get(key));
      return typeof v === 'string' ? v : undefined;
    },
    async set(key, value) {
      await request((await tx('readwrite')).put(value, key));
    },
    async delete(key) {
      await request((await tx('readwrite')).delete(key));
    },
  };
}
