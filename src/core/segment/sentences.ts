/**
 * Sentence boundaries inside one paragraph, for the 'sentences' strategy.
 *
 * A sentence ends after a run of `.`, `!` or `?` (plus closing quotes, brackets or `*`) that is
 * followed by whitespace and then an uppercase letter, a digit, `$` or `\(` - or by the end of the
 * paragraph. It does not end after a common abbreviation (e.g., i.e., etc., Mr., Dr., vs., ...),
 * after a bare list/step number (`1.`, `Step 2.`), inside a block span, or inside inline math
 * `$...$` / `\(...\)`. Inline `$` follows Pandoc's rule: an opening `$` is followed by a non-space,
 * a closing `$` follows a non-space and is not followed by a digit, so "$5 and $3" is not math.
 * It is a heuristic for prose with math, not a linguistic sentence splitter.
 */
import { inside, type Span } from './blocks.ts';

const ABBREVIATIONS = new Set(
  'e.g i.e etc vs cf al approx resp viz mr mrs ms dr prof st jr sr fig eq eqs ref'.split(' '),
);
const BARE_NUMBER = /^(?:#{1,6}[ \t]*)?(?:\*\*|__)?(?:step[ \t]*)?\(?\d{1,3}$/i;
const SENTENCE_START = /^(?:\p{Lu}|\d|\$|\\\()/u;

/** Ranges `[start, end)` of the sentences of paragraph `[a, b)` of `text` (untrimmed). */
export function sentenceRanges(text: string, a: number, b: number, blocks: Span[]): Span[] {
  const para = text.slice(a, b);
  const math = inlineMath(para, a, blocks);
  const out: Span[] = [];
  let start = 0;
  const punct = /[.!?]+["'”’)\]*]*/g;
  for (let m = punct.exec(para); m; m = punct.exec(para)) {
    const cut = punct.lastIndex;
    let next = cut;
    while (next < para.length && /\s/.test(para[next])) next++;
    if (next < para.length && (next === cut || !SENTENCE_START.test(para.slice(next, next + 2)))) continue;
    if (inside(blocks, a + cut) || inside(math, cut)) continue;
    if (
      m[0][0] === '.' &&
      (isAbbreviation(para, m.index) || BARE_NUMBER.test(para.slice(start, m.index).trim()))
    ) {
      continue;
    }
    out.push({ start: a + start, end: a + cut });
    start = next;
  }
  out.push({ start: a + start, end: b });
  return out;
}

function isAbbreviation(para: string, dot: number): boolean {
  let j = dot;
  while (j > 0 && dot - j < 8 && /[A-Za-z.]/.test(para[j - 1])) j--;
  if (j > 0 && /[A-Za-z.]/.test(para[j - 1])) return false;
  return ABBREVIATIONS.has(para.slice(j, dot).toLowerCase());
}

/** Inline math spans of `para` (offsets relative to it); `para` starts at offset `a` of the text the absolute `blocks` index. */
function inlineMath(para: string, a: number, blocks: Span[]): Span[] {
  const re = /\\[()]|\\[\s\S]|\$\$|\$/g;
  const spans: Span[] = [];
  let open = -1;
  let kind = '';
  let bi = firstEndingAfter(blocks, a);
  for (let m = re.exec(para); m; m = re.exec(para)) {
    const i = m.index;
    while (bi < blocks.length && blocks[bi].end <= a + i) bi++;
    if (bi < blocks.length && blocks[bi].start <= a + i) {
      re.lastIndex = Math.max(re.lastIndex, blocks[bi].end - a);
      continue;
    }
    const before = para[i - 1] ?? ' ';
    const after = para[i + 1] ?? ' ';
    if (m[0] === '$' && kind === '$' && /\S/.test(before) && !/\d/.test(after)) {
      spans.push({ start: open, end: i + 1 });
      kind = '';
    } else if (m[0] === '$' && kind === '' && /\S/.test(after)) {
      [open, kind] = [i, '$'];
    } else if (m[0] === '\\(' && kind === '') {
      [open, kind] = [i, '\\('];
    } else if (m[0] === '\\)' && kind === '\\(') {
      spans.push({ start: open, end: i + 2 });
      kind = '';
    }
  }
  return spans;
}

function firstEndingAfter(spans: Span[], p: number): number {
  let lo = 0;
  let hi = spans.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (spans[mid].end <= p) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
