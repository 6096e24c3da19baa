/**
 * Source analysis shared by the segmentation strategies: the line table and the "block" spans
 * (fenced code, `$$...$$`, `\[...\]`, `\begin{env}...\end{env}`) inside which no strategy may cut.
 *
 * It finds where blocks open and close; it does not parse Markdown or LaTeX. An opener without a
 * closer (an unbalanced `$$`, `\[`, `\begin{align}` or code fence) is plain text, so a truncated
 * paste never swallows the rest of the solution. Every pass is linear in the text length: closers
 * are looked up in precomputed tables instead of searched for again from each opener.
 */

/** A half-open range `[start, end)` of UTF-16 offsets into the source. */
export interface Span {
  start: number;
  end: number;
}

/** One line: content `[start, end)`, line break `[end, next)` (`\n`, `\r\n` or `\r`). */
export interface Line {
  start: number;
  end: number;
  next: number;
}

export interface Analysis {
  text: string;
  lines: Line[];
  /** Sorted, non-overlapping spans that must stay whole. */
  blocks: Span[];
}

export function analyse(text: string): Analysis {
  const lines = splitLines(text);
  const fences = fenceSpans(text, lines);
  return { text, lines, blocks: mergeSpans([...fences, ...mathSpans(text, fences)]) };
}

export function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 10 && c !== 13) continue;
    const next = c === 13 && text.charCodeAt(i + 1) === 10 ? i + 2 : i + 1;
    lines.push({ start, end: i, next });
    start = next;
    i = next - 1;
  }
  lines.push({ start, end: text.length, next: text.length });
  return lines;
}

/** True when a cut at offset `p` would fall strictly inside one of the sorted `spans`. */
export function inside(spans: Span[], p: number): boolean {
  let lo = 0;
  let hi = spans.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (spans[mid].start < p) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && p < spans[lo - 1].end;
}

export function mergeSpans(spans: Span[]): Span[] {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const out: Span[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s.start < last.end) last.end = Math.max(last.end, s.end);
    else out.push({ ...s });
  }
  return out;
}

// Anything but white space (\s, \p{Z}), controls such as NUL (\p{Cc}) and invisible format
// characters such as zero-width spaces and bidi marks (\p{Cf}).
const VISIBLE = /[^\s\p{Z}\p{Cc}\p{Cf}]/u;

/**
 * True when `text` shows nothing: only white space, controls and zero-width or bidi characters.
 *
 * @example
 * isBlankText('\u200b\u0000 '); // true
 */
export function isBlankText(text: string): boolean {
  return !VISIBLE.test(text);
}

export function isBlank(text: string, start: number, end: number): boolean {
  return start === end || isBlankText(text.slice(start, end));
}

/** The first non-blank character of a line, or '' (a cheap filter before running a line regex). */
export function firstChar(text: string, line: Line): string {
  let i = line.start;
  while (i < line.end && (text[i] === ' ' || text[i] === '\t')) i++;
  return i < line.end ? text[i] : '';
}

// CommonMark fences: up to 3 spaces of indent, 3+ backticks or tildes; a backtick fence's info
// string may not contain a backtick; the closer uses the same character, at least as many times.
const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})(.*)$/;
const FENCE_CLOSE = /^ {0,3}(`{3,}|~{3,})[ \t]*$/;

function fenceSpans(text: string, lines: Line[]): Span[] {
  const n = lines.length;
  const closeChar: string[] = new Array(n);
  const closeLen = new Int32Array(n);
  const isFence = (i: number) => {
    const c = firstChar(text, lines[i]);
    return c === '`' || c === '~';
  };
  for (let i = 0; i < n; i++) {
    const m = isFence(i) && FENCE_CLOSE.exec(text.slice(lines[i].start, lines[i].end));
    if (m) [closeChar[i], closeLen[i]] = [m[1][0], m[1].length];
  }
  // longestAfter[c][i]: the longest closer of character c on a line after i, so an opener learns
  // in O(1) whether it is ever closed (an unclosed one would otherwise scan to the end each time).
  const longestAfter: Record<string, Int32Array> = { '`': new Int32Array(n), '~': new Int32Array(n) };
  for (let i = n - 2; i >= 0; i--) {
    for (const c of ['`', '~']) {
      const after = closeChar[i + 1] === c ? closeLen[i + 1] : 0;
      longestAfter[c][i] = Math.max(longestAfter[c][i + 1], after);
    }
  }
  const spans: Span[] = [];
  for (let i = 0; i < n; i++) {
    if (!isFence(i)) continue;
    const line = text.slice(lines[i].start, lines[i].end);
    const m = FENCE_OPEN.exec(line);
    if (!m) continue;
    const [c, len] = [m[1][0], m[1].length];
    if ((c === '`' && m[2].includes('`')) || longestAfter[c][i] < len) continue;
    let j = i + 1;
    while (!(closeChar[j] === c && closeLen[j] >= len)) j++;
    spans.push({ start: lines[i].start + line.indexOf(c), end: lines[j].end });
    i = j;
  }
  return spans;
}

type MathKind = 'begin' | 'end' | '$$' | '\\[' | '\\]';
interface MathToken {
  kind: MathKind;
  name: string;
  start: number;
  end: number;
}

/** `$$`, `\[`, `\]`, `\begin{name}`, `\end{name}` outside fences; other `\x` escapes are consumed so `\\[2pt]` and `\$` are not delimiters. */
function mathTokens(text: string, fences: Span[]): MathToken[] {
  const re = /\\(begin|end)\{([A-Za-z]+\*?)\}|\$\$|\\[\s\S]/g;
  const tokens: MathToken[] = [];
  let f = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    while (f < fences.length && fences[f].end <= m.index) f++;
    if (f < fences.length && fences[f].start <= m.index) {
      re.lastIndex = fences[f].end;
      continue;
    }
    const kind = (m[1] ?? m[0]) as MathKind;
    if (m[1] || kind === '$$' || kind === '\\[' || kind === '\\]') {
      tokens.push({ kind, name: m[2] ?? '', start: m.index, end: re.lastIndex });
    }
  }
  return tokens;
}

/** Pairs each `\end{x}` with the nearest open `\begin{x}`; begins left open in between are unbalanced and dropped. */
function matchEnvironments(tokens: MathToken[]): Map<number, number> {
  const pairs = new Map<number, number>();
  const stack: number[] = [];
  const open = new Map<string, number>();
  tokens.forEach((t, k) => {
    if (t.kind === 'begin') {
      stack.push(k);
      open.set(t.name, (open.get(t.name) ?? 0) + 1);
    } else if (t.kind === 'end' && open.get(t.name)) {
      for (;;) {
        const b = stack.pop() as number;
        const name = tokens[b].name;
        open.set(name, (open.get(name) as number) - 1);
        if (name === t.name) {
          pairs.set(b, k);
          break;
        }
      }
    }
  });
  return pairs;
}

/** nextOf[k] = index of the first token of `kind` at or after k, or -1. */
function nextOf(tokens: MathToken[], kind: MathKind): Int32Array {
  const next = new Int32Array(tokens.length + 1).fill(-1);
  for (let k = tokens.length - 1; k >= 0; k--) next[k] = tokens[k].kind === kind ? k : next[k + 1];
  return next;
}

function mathSpans(text: string, fences: Span[]): Span[] {
  const tokens = mathTokens(text, fences);
  const envs = matchEnvironments(tokens);
  const nextDollars = nextOf(tokens, '$$');
  const nextBracket = nextOf(tokens, '\\]');
  const spans: Span[] = [];
  for (let k = 0; k < tokens.length;) {
    const t = tokens[k];
    const j =
      t.kind === '$$'
        ? nextDollars[k + 1]
        : t.kind === '\\['
          ? nextBracket[k + 1]
          : t.kind === 'begin'
            ? (envs.get(k) ?? -1)
            : -1;
    if (j < 0) {
      k++;
      continue;
    }
    spans.push({ start: t.start, end: tokens[j].end });
    k = j + 1;
  }
  return spans;
}
