/**
 * Hand-edited step boundaries that survive typing. A manual segmentation is kept as cut points
 * (the start of every step after the first); when the solution text changes, the cuts move with
 * the text around them (a common-prefix/suffix diff, which is what typing, pasting and deleting
 * produce), and the steps are rebuilt from the new text. Text typed between two steps joins the
 * step before it, so nothing the user types falls outside every step.
 *
 * Splitting and merging themselves are the core's `splitStep` / `mergeWithNext`; this module only
 * carries their result across edits. Pure, no DOM.
 */
import type { Step } from '../../core/types.ts';

/** Steps from cut offsets: each piece between cuts, trimmed; empty pieces are dropped. */
export function stepsFromCuts(text: string, cuts: readonly number[]): Step[] {
  const bounds = [0, ...cuts, text.length];
  const steps: Step[] = [];
  for (let i = 1; i < bounds.length; i++) {
    const piece = text.slice(bounds[i - 1], bounds[i]);
    const trimmed = piece.trim();
    if (!trimmed) continue;
    const start = bounds[i - 1] + piece.length - piece.trimStart().length;
    steps.push({ text: trimmed, start, end: start + trimmed.length });
  }
  return steps;
}

/** Lengths of the common prefix and suffix of two texts (not overlapping in the shorter one). */
export function commonEnds(before: string, after: string): { prefix: number; suffix: number } {
  const max = Math.min(before.length, after.length);
  let prefix = 0;
  while (prefix < max && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
  let suffix = 0;
  while (
    suffix < max - prefix &&
    before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)
  ) {
    suffix++;
  }
  return { prefix, suffix };
}

/** Where a cut at `offset` in `before` lands in `after`. */
export function moveOffset(before: string, after: string, offset: number): number {
  const { prefix, suffix } = commonEnds(before, after);
  if (offset <= prefix) return offset;
  if (offset >= before.length - suffix) return offset + after.length - before.length;
  // Inside the replaced region: keep the cut at the end of the new text, so the edit joins the
  // step it was typed into rather than starting a new one.
  return after.length - suffix;
}

/**
 * The manual steps of `before`, carried over to `after`. Returns null, so the caller falls back
 * to automatic segmentation, when no manual step remains (the text was emptied) or when the edit
 * replaced the text around every hand-made cut (e.g. select-all and paste): those cuts no longer
 * refer to anything in the new text.
 *
 * @example
 * rebaseSteps('a.\n\nb.', 'a!\n\nb.', [{ text: 'a.', start: 0, end: 2 }, { text: 'b.', start: 4, end: 6 }])
 * // [{ text: 'a!', start: 0, end: 2 }, { text: 'b.', start: 4, end: 6 }]
 */
export function rebaseSteps(before: string, after: string, steps: readonly Step[] | null): Step[] | null {
  if (!steps) return null;
  if (before === after) return [...steps];
  const { prefix, suffix } = commonEnds(before, after);
  const starts = steps.slice(1).map((s) => s.start);
  if (starts.length > 0 && starts.every((c) => c > prefix && c < before.length - suffix)) return null;
  const cuts = starts.map((c) => moveOffset(before, after, c));
  const out = stepsFromCuts(
    after,
    [...new Set(cuts)].sort((a, b) => a - b),
  );
  return out.length ? out : null;
}
