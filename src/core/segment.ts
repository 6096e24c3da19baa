/**
 * Step segmentation: turns a pasted solution into the steps a PRM scores, each with its exact span
 * in the source (`source.slice(step.start, step.end) === step.text`, text trimmed), and the
 * boundary edits the UI offers (split, merge, join).
 *
 * Strategies: 'paragraphs' (blank lines; the Qwen2.5-Math-PRM convention), 'markers' (`Step 1:`,
 * `1.`, `(1)` ... at line starts; rules in ./segment/markers.ts), 'lines', 'sentences'
 * (./segment/sentences.ts) and 'auto'. No strategy cuts inside a fenced code block, `$$...$$`,
 * `\[...\]` or `\begin{env}...\end{env}`; an opener without a closer is plain text
 * (./segment/blocks.ts). `\r\n` and `\r` are line ends like `\n`; offsets index the original
 * string, and cuts only fall next to ASCII characters, so surrogate pairs stay whole.
 *
 * It does not tokenize, render Markdown/LaTeX, or decide what a model sees beyond the step texts.
 * All scanning is linear in the text length (a 1 MB paste is fine).
 */
import type { SegmentStrategy, Step } from './types.ts';
import { analyse, inside, isBlank, type Analysis, type Span } from './segment/blocks.ts';
import { findMarkers } from './segment/markers.ts';
import { sentenceRanges } from './segment/sentences.ts';

export { joinSteps, mergeWithNext, splitStep, stepsFromTexts } from './segment/edit.ts';

export const SEGMENT_STRATEGIES: readonly SegmentStrategy[] = [
  'auto',
  'paragraphs',
  'markers',
  'lines',
  'sentences',
];

/**
 * Splits `text` into steps. Empty or blank text gives []; pieces that show nothing (white space,
 * NULs, zero-width or bidi characters only: `isBlankText`) are dropped. With 'markers' and fewer than two markers, the whole text is one step.
 *
 * @example
 * segment('Let x = 2.\n\nThen 2x = 4.')
 * // [{ text: 'Let x = 2.', start: 0, end: 10 }, { text: 'Then 2x = 4.', start: 12, end: 24 }]
 * segment('Step 1: x = 2\nStep 2: 2x = 4', 'markers').map((s) => s.text)
 * // ['Step 1: x = 2', 'Step 2: 2x = 4']
 */
export function segment(text: string, strategy: SegmentStrategy = 'auto'): Step[] {
  checkText('segment(text, strategy)', text);
  if (!SEGMENT_STRATEGIES.includes(strategy)) {
    throw new RangeError(
      `segment(text, strategy): unknown strategy ${JSON.stringify(strategy)}; use one of ${SEGMENT_STRATEGIES.join(', ')}`,
    );
  }
  const doc = analyse(text);
  const chosen = strategy === 'auto' ? detect(doc) : strategy;
  return toSteps(text, RANGES[chosen](doc));
}

/**
 * The strategy 'auto' picks: 'markers' when at least two markers are found, else 'paragraphs'
 * when a blank line (outside code and display math) separates two pieces of content, else 'lines'.
 *
 * @example
 * detectStrategy('1. x = 2\n2. 2x = 4') // 'markers'
 * detectStrategy('x = 2\n\n2x = 4') // 'paragraphs'
 * detectStrategy('x = 2\n2x = 4') // 'lines'
 */
export function detectStrategy(text: string): Exclude<SegmentStrategy, 'auto'> {
  checkText('detectStrategy(text)', text);
  return detect(analyse(text));
}

function detect(doc: Analysis): Exclude<SegmentStrategy, 'auto'> {
  if (findMarkers(doc).length >= 2) return 'markers';
  return paragraphRanges(doc).length >= 2 ? 'paragraphs' : 'lines';
}

const RANGES: Record<Exclude<SegmentStrategy, 'auto'>, (doc: Analysis) => Span[]> = {
  paragraphs: paragraphRanges,
  markers: markerRanges,
  lines: lineRanges,
  sentences: (doc) =>
    paragraphRanges(doc).flatMap((p) => sentenceRanges(doc.text, p.start, p.end, doc.blocks)),
};

/** Runs of lines between separator lines (blank and not inside a block); each run has content. */
function paragraphRanges({ text, lines, blocks }: Analysis): Span[] {
  const out: Span[] = [];
  let run: Span | null = null;
  for (const line of lines) {
    if (isBlank(text, line.start, line.end) && !inside(blocks, line.start)) {
      run = null;
    } else if (run) {
      run.end = line.end;
    } else {
      run = { start: line.start, end: line.end };
      out.push(run);
    }
  }
  return out;
}

function lineRanges({ text, lines, blocks }: Analysis): Span[] {
  const out: Span[] = [];
  let start = 0;
  for (const line of lines.slice(0, -1)) {
    if (inside(blocks, line.end)) continue;
    out.push({ start, end: line.end });
    start = line.next;
  }
  out.push({ start, end: text.length });
  return out;
}

function markerRanges(doc: Analysis): Span[] {
  const cuts = findMarkers(doc);
  const bounds = [0, ...cuts, doc.text.length];
  return bounds.slice(1).map((end, i) => ({ start: bounds[i], end }));
}

function toSteps(text: string, ranges: Span[]): Step[] {
  const steps: Step[] = [];
  for (const r of ranges) {
    if (isBlank(text, r.start, r.end)) continue;
    const piece = text.slice(r.start, r.end);
    const trimmed = piece.trim();
    const start = r.start + piece.length - piece.trimStart().length;
    steps.push({ text: trimmed, start, end: start + trimmed.length });
  }
  return steps;
}

function checkText(call: string, text: unknown): asserts text is string {
  if (typeof text !== 'string') throw new TypeError(`${call}: text must be a string, got ${typeof text}`);
}
