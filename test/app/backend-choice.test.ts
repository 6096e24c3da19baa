import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../support/memory-storage.ts';
import { BACKEND_KEY, readBackendChoice, saveBackendChoice } from '../../src/app/lib/backend-choice.ts';

const stored = (value: string | null) => ({ getItem: (k: string) => (k === BACKEND_KEY ? value : null) });

describe('readBackendChoice(storage, search)', () => {
  it.each([
    ['?backend=webgpu', 'wasm', { choice: 'webgpu', forced: true }],
    ['?backend=wasm', null, { choice: 'wasm', forced: true }],
    ['?backend=auto', 'wasm', { choice: 'auto', forced: true }],
    ['', 'webgpu', { choice: 'webgpu', forced: false }],
    ['?backend=cuda', 'wasm', { choice: 'wasm', forced: false }],
    ['', 'junk', { choice: 'auto', forced: false }],
    ['', null, { choice: 'auto', forced: false }],
  ] as const)('%j with %j saved -> %j', (search, saved, expected) => {
    expect(readBackendChoice(stored(saved), search)).toEqual(expected);
  });

  it('reads Auto where storage throws, and saving there does not throw', () => {
    const blocked = {
      getItem: () => {
        throw new Error('blocked');
      },
      setItem: () => {
        throw new Error('blocked');
      },
    };
    expect(readBackendChoice(blocked, '')).toEqual({ choice: 'auto', forced: false });
    expect(() => saveBackendChoice(blocked, 'wasm')).not.toThrow();
  });

  it('saveBackendChoice then readBackendChoice gives the choice back', () => {
    const s = memoryStorage();
    saveBackendChoice(s, 'webgpu');
    expect(readBackendChoice(s, '')).toEqual({ choice: 'webgpu', forced: false });
  });
});
