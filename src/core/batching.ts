/**
 * How planned inputs are grouped into model runs: by count and by padded-token budget, in the
 * given order (the worker, which reports progress in the user's order) or after sorting by length
 * so a batch pads little (the CLI's files). Returns index lists; it runs nothing.
 */

/**
 * Splits inputs of the given token lengths into runs of at most `maxItems` inputs and at most
 * `maxTokens` padded tokens (items x longest), keeping their order. An input longer than
 * `maxTokens` runs alone.
 *
 * @example
 * batchesOf([100, 5000, 3000, 10], 8, 8192); // [[0], [1], [2, 3]]
 */
export function batchesOf(lengths: number[], maxItems: number, maxTokens = Infinity): number[][] {
  if (!Number.isInteger(maxItems) || maxItems < 1)
    throw new Error(`Batch size must be a positive integer, got ${maxItems}.`);
  const out: number[][] = [];
  let cur: number[] = [];
  let maxLen = 0;
  lengths.forEach((len, i) => {
    const nextMax = Math.max(maxLen, len);
    if (cur.length > 0 && (cur.length + 1 > maxItems || nextMax * (cur.length + 1) > maxTokens)) {
      out.push(cur);
      cur = [];
      maxLen = 0;
    }
    cur.push(i);
    maxLen = Math.max(maxLen, len);
  });
  if (cur.length > 0) out.push(cur);
  return out;
}

/**
 * Like `batchesOf`, after ordering the inputs by length (ties keep their order), so that a batch
 * pads little. Returns index lists into `lengths`.
 *
 * @example
 * lengthBatches([3, 1, 2], 2); // [[1, 2], [0]]
 */
export function lengthBatches(lengths: number[], maxItems: number, maxTokens = Infinity): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a] - lengths[b] || a - b);
  return batchesOf(
    order.map((i) => lengths[i]),
    maxItems,
    maxTokens,
  ).map((batch) => batch.map((k) => order[k]));
}
