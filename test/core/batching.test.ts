import { describe, expect, it } from 'vitest';
import { batchesOf, lengthBatches } from '../../src/core/batching.ts';

describe('batchesOf(lengths, maxItems, maxTokens)', () => {
  it.each([
    { lengths: [10, 10, 10], items: 8, tokens: 8192, expected: [[0, 1, 2]] },
    { lengths: [10, 10, 10], items: 2, tokens: 8192, expected: [[0, 1], [2]] },
    { lengths: [100, 5000, 3000, 10], items: 8, tokens: 8192, expected: [[0], [1], [2, 3]] },
    { lengths: [100, 5000, 5000, 10], items: 8, tokens: 8192, expected: [[0], [1], [2], [3]] },
    { lengths: [9000], items: 8, tokens: 8192, expected: [[0]] },
  ])('batchesOf($lengths, $items, $tokens) -> $expected', ({ lengths, items, tokens, expected }) => {
    expect(batchesOf(lengths, items, tokens)).toEqual(expected);
  });
});

describe('lengthBatches(lengths, maxItems, maxTokens)', () => {
  it.each([
    { lengths: [3, 1, 2], items: 2, tokens: Infinity, expected: [[1, 2], [0]] },
    { lengths: [5, 5, 1], items: 8, tokens: Infinity, expected: [[2, 0, 1]] },
    { lengths: [400, 10, 300, 20], items: 8, tokens: 700, expected: [[1, 3], [2], [0]] },
  ])('lengthBatches($lengths, $items, $tokens) -> $expected', ({ lengths, items, tokens, expected }) => {
    expect(lengthBatches(lengths, items, tokens)).toEqual(expected);
  });

  it('refuses a batch size that is not a positive integer', () => {
    expect(() => lengthBatches([1], 0)).toThrow('Batch size must be a positive integer, got 0.');
  });
});
