/**
 * Explicit step markers at line starts, for the 'markers' strategy and for 'auto' detection.
 *
 * Two kinds, never mixed: "Step N" markers (`Step 1:`, `Step 1.`, `**Step 1:**`, `## Step 1`,
 * case-insensitive) and numbered markers (`1.`, `1)`, `(1)` followed by whitespace or the line end,
 * so `1.5 kg` is not one). When at least two "Step N" markers are accepted they win and numbered
 * lines are step content (a list inside a step); otherwise numbered markers are used.
 *
 * The numbering rule that keeps stray numbers out: numbers have 1-3 digits (so `2010.` is never a
 * marker), the first accepted marker is numbered 0-3, and each next one must be larger than the
 * last accepted one by at most 3 (`1.` then `3.` is fine; a nested list restarting at `1.` inside
 * step 2 is content). Fewer than two accepted markers means "no markers". Lines inside code
 * fences and display math are never markers.
 */
import { firstChar, inside, type Analysis } from './blocks.ts';

// Characters a marker line can start with; other lines skip the regexes.
const MARKER_START = /[\d(#*_s]/i;

const STEP_MARKER =
  /^[ \t]*(#{1,6}[ \t]+)?(?:\*\*|__)?step[ \t]*(\d{1,3})(?!\d)(?:\*\*|__)?([ \t]*(?:[:)\-–—]|\.(?!\d)|\*\*|__|$))?/i;
const NUMBERED_MARKER = /^[ \t]*(?:\((\d{1,3})\)|(\d{1,3})[.)])(?=\s|$)/;

/** Start of the marker (first non-blank character) of the first line of each step, or [] if fewer than two. */
export function findMarkers(doc: Analysis): number[] {
  const steps: Candidate[] = [];
  const numbered: Candidate[] = [];
  for (const line of doc.lines) {
    if (!MARKER_START.test(firstChar(doc.text, line)) || inside(doc.blocks, line.start)) continue;
    const text = doc.text.slice(line.start, line.end);
    const offset = line.start + text.length - text.trimStart().length;
    const step = STEP_MARKER.exec(text);
    if (step && (step[1] !== undefined || step[3] !== undefined)) {
      steps.push({ n: Number(step[2]), at: offset });
      continue;
    }
    const num = NUMBERED_MARKER.exec(text);
    if (num) numbered.push({ n: Number(num[1] ?? num[2]), at: offset });
  }
  const accepted = sequence(steps);
  return accepted.length >= 2 ? accepted : sequence(numbered);
}

interface Candidate {
  n: number;
  at: number;
}

const FIRST_MAX = 3;
const MAX_GAP = 3;

function sequence(candidates: Candidate[]): number[] {
  const out: number[] = [];
  let last = -1;
  for (const { n, at } of candidates) {
    const ok = last < 0 ? n <= FIRST_MAX : n > last && n <= last + MAX_GAP;
    if (!ok) continue;
    out.push(at);
    last = n;
  }
  return out.length >= 2 ? out : [];
}

/**
 * `text` without a leading step label (`Step 2:`, `**Step 2.**`, `## Step 2`, `2.`, `2)`, `(2)`)
 * and the blanks after it, for models whose `prm.json` sets `strip_step_labels` (a label's digits
 * would otherwise read as a number of the solution). Text that is nothing but a label, or that
 * has none, comes back unchanged.
 *
 * @example
 * stripStepLabel('Step 2: 3 x 4 = 12.') // '3 x 4 = 12.'
 * stripStepLabel('2) 3 x 4 = 12.')      // '3 x 4 = 12.'
 * stripStepLabel('1.5 kg of flour')     // unchanged
 */
export function stripStepLabel(text: string): string {
  const step = STEP_MARKER.exec(text);
  let end = -1;
  if (step && (step[1] !== undefined || step[3] !== undefined)) end = step[0].length;
  else {
    const num = NUMBERED_MARKER.exec(text);
    if (num) end = num[0].length;
  }
  if (end < 0) return text;
  // "**Step 2:**": the marker regex stops before the closing emphasis.
  const rest = text
    .slice(end)
    .replace(/^(?:\*\*|__)/, '')
    .trimStart();
  return rest.length > 0 ? rest : text;
}
