/**
 * Editing step boundaries by hand (the UI's split and merge buttons) and building steps from a
 * list that is already split (ProcessBench records, CLI `steps` arrays).
 *
 * Every function returns new arrays and never mutates its arguments. Bad indices or offsets throw
 * a RangeError that names the function, the value and the allowed range; none of them "clamp",
 * because a silently moved boundary would score a different solution than the one on screen.
 */
import type { Step } from '../types.ts';
import { isBlankText } from './blocks.ts';

/**
 * Steps back to one text, the inverse of 'paragraphs' segmentation for trimmed steps without blank
 * lines (and without a `$$`, `\[`, `\begin{..}` or code fence opened in one step and closed in another).
 *
 * @example
 * joinSteps(['Let x = 2.', 'So 2x = 4.']) // 'Let x = 2.\n\nSo 2x = 4.'
 */
export function joinSteps(steps: string[], separator = '\n\n'): string {
  return steps.join(separator);
}

/**
 * Splits step `index` at `offset` (a UTF-16 offset into its `text`); both halves are trimmed and keep
 * exact spans. Throws a RangeError when `index` is not a step, when `offset` is not strictly inside
 * the text (0 or `text.length` would leave an empty half), when a half would be only whitespace,
 * or when `offset` falls between the two halves of a surrogate pair (an emoji, `𝑥`).
 *
 * @example
 * splitStep([{ text: 'a = 1. b = 2.', start: 0, end: 13 }], 0, 6)
 * // [{ text: 'a = 1.', start: 0, end: 6 }, { text: 'b = 2.', start: 7, end: 13 }]
 */
export function splitStep(steps: Step[], index: number, offset: number): Step[] {
  const call = 'splitStep(steps, index, offset)';
  checkIndex(call, steps, index, steps.length - 1, 'there are no steps to split');
  const step = steps[index];
  const len = step.text.length;
  if (!Number.isInteger(offset) || offset <= 0 || offset >= len) {
    throw new RangeError(
      `${call}: offset ${offset} must be an integer from 1 to ${len - 1} (inside step ${index}, ${len} characters) so both halves keep text`,
    );
  }
  if (isHighSurrogate(step.text.charCodeAt(offset - 1)) && isLowSurrogate(step.text.charCodeAt(offset))) {
    throw new RangeError(
      `${call}: offset ${offset} falls inside a surrogate pair (one character such as an emoji); use ${offset - 1} or ${offset + 1}`,
    );
  }
  const left = trimmed(step.text.slice(0, offset), step.start);
  const right = trimmed(step.text.slice(offset), step.start + offset);
  if (!left.text || !right.text) {
    throw new RangeError(
      `${call}: splitting step ${index} at offset ${offset} leaves a half with only whitespace`,
    );
  }
  return [...steps.slice(0, index), left, right, ...steps.slice(index + 1)];
}

/**
 * Merges step `index` with the next one. The merged step spans from the first's start to the
 * second's end, and its text is that slice of `source` (whatever lay between them included).
 * Throws a RangeError when there is no next step or when the two steps do not match `source`.
 *
 * @example
 * const source = 'a = 1.\n\nb = 2.';
 * mergeWithNext(source, segment(source), 0) // [{ text: 'a = 1.\n\nb = 2.', start: 0, end: 14 }]
 */
export function mergeWithNext(source: string, steps: Step[], index: number): Step[] {
  const call = 'mergeWithNext(source, steps, index)';
  checkIndex(call, steps, index, steps.length - 2, `merging needs at least 2 steps, got ${steps?.length}`);
  const [a, b] = [steps[index], steps[index + 1]];
  for (const [k, s] of [
    [index, a],
    [index + 1, b],
  ] as const) {
    if (source.slice(s.start, s.end) !== s.text) {
      throw new RangeError(
        `${call}: steps[${k}] does not match source[${s.start}..${s.end}]; pass the text the steps were segmented from`,
      );
    }
  }
  if (b.start < a.end) {
    throw new RangeError(
      `${call}: steps[${index + 1}] starts before steps[${index}] ends; steps must be in order`,
    );
  }
  const merged: Step = { text: source.slice(a.start, b.end), start: a.start, end: b.end };
  return [...steps.slice(0, index), merged, ...steps.slice(index + 2)];
}

/**
 * Steps from texts that are already split: each text is trimmed and the source is the texts
 * joined by a blank line, so spans index that source. Indices are kept one-to-one (a ProcessBench
 * label is a step index), so an empty or whitespace-only text is an error rather than dropped.
 *
 * @example
 * stepsFromTexts(['x = 2', ' y = 3 '])
 * // { source: 'x = 2\n\ny = 3', steps: [{ text: 'x = 2', start: 0, end: 5 }, { text: 'y = 3', start: 7, end: 12 }] }
 */
export function stepsFromTexts(texts: string[]): { source: string; steps: Step[] } {
  if (!Array.isArray(texts)) {
    throw new TypeError(`stepsFromTexts(texts): texts must be an array of strings, got ${typeof texts}`);
  }
  const separator = '\n\n';
  const steps: Step[] = [];
  let at = 0;
  texts.forEach((raw, i) => {
    if (typeof raw !== 'string') {
      throw new TypeError(`stepsFromTexts(texts): texts[${i}] must be a string, got ${typeof raw}`);
    }
    const text = raw.trim();
    if (isBlankText(text)) {
      throw new RangeError(
        `stepsFromTexts(texts): texts[${i}] is empty or shows nothing (white space, NULs or zero-width characters only); remove it or give it text`,
      );
    }
    steps.push({ text, start: at, end: at + text.length });
    at += text.length + separator.length;
  });
  return {
    source: joinSteps(
      steps.map((s) => s.text),
      separator,
    ),
    steps,
  };
}

function checkIndex(call: string, steps: Step[], index: number, max: number, none: string): void {
  if (!Array.isArray(steps))
    throw new TypeError(`${call}: steps must be an array of steps, got ${typeof steps}`);
  if (!Number.isInteger(index) || index < 0 || index > max) {
    const allowed = max < 0 ? none : `expected an integer from 0 to ${max}`;
    throw new RangeError(`${call}: index ${index} is out of range; ${allowed}`);
  }
}

function trimmed(piece: string, at: number): Step {
  const text = piece.trim();
  const start = at + piece.length - piece.trimStart().length;
  return { text, start, end: start + text.length };
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
