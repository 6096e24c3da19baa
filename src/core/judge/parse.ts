/**
 * Finds the computations a step states: runs of numbers, operators, brackets and `=`/`≈` in the
 * token stream, split into sides, with every side whose edge touches something the checker cannot
 * read (a variable `x + 3`, a glued letter `2x`, a ratio `3:4`, `\sqrt`, "half of") dropped, so a
 * fragment of a larger expression is never checked as if it were whole. Reads `x`, `times` and a
 * percent's `of` as multiplication where they stand between numbers, and spaced unit words after a
 * number (`18 flamingos - 6`) as labels. It does not evaluate anything (expr.ts, check.ts).
 */
import type { Token } from './lex.ts';
import { INTRO, LEFT_STOP, RIGHT_STOP, isSpacedUnit, isVariable, normalizeUnit, relabel } from './words.ts';

type Tok = Token;

export interface Side {
  /** Tokens to evaluate (currency signs and unit labels removed). */
  toks: Token[];
  /** First and last token as written, currency and units included (for quoting). */
  start: number;
  end: number;
  /** Unit labels written in this side, normalized (`$`, `hour`, `cm`). */
  units: string[];
}

export interface Chain {
  /** Sides in order; null where a side cannot be read whole. */
  sides: (Side | null)[];
  /** What stands between sides i and i+1. */
  seps: ('=' | '≈' | 'other')[];
  /** Words of the sentence around the chain, lowercased. */
  words: Set<string>;
  /** Unit labels anywhere in the chain, the one after its last number included. */
  units: Set<string>;
}

const RUN = new Set(['num', 'op', '(', ')', '=', 'rel', '!', 'cur', 'unit']);
const SENTENCE_END = new Set(['.', '?', ';']);
const GLUE_OK = new Set(['"', '“', '‘', '**', '`']);

const depth = (toks: Tok[]): number => toks.reduce((d, t) => d + (t.k === '(' ? 1 : t.k === ')' ? -1 : 0), 0);

function makeSide(all: Tok[]): Side | null {
  // A currency sign after the last number closes a `$...$` formula; it is not part of the side.
  let n = all.length;
  while (n > 0 && all[n - 1].k === 'cur') n--;
  const toks = all.slice(0, n);
  if (toks.length === 0) return null;
  const units: string[] = [];
  const core: Token[] = [];
  // A currency sign stands for its number's spacing: `$794 - $446` has a spaced minus.
  let curSpace: boolean | null = null;
  for (const t of toks) {
    if (t.k === 'cur') {
      units.push('$');
      curSpace = t.space;
    } else if (t.k === 'unit') {
      if (t.w) units.push(normalizeUnit(t.w));
    } else {
      if (t.k === 'num' && t.unit) units.push(t.unit);
      core.push(curSpace === null ? t : { ...t, space: curSpace });
      curSpace = null;
    }
  }
  if (core.length === 0) return null;
  return { toks: core, start: toks[0].start, end: toks[toks.length - 1].end, units };
}

/** Words of the sentence containing tokens [a, b). */
function sentenceWords(toks: Tok[], a: number, b: number): Set<string> {
  while (a > 0 && !(toks[a - 1].k === 'punct' && SENTENCE_END.has((toks[a - 1] as { c: string }).c))) a--;
  while (b < toks.length && !(toks[b].k === 'punct' && SENTENCE_END.has((toks[b] as { c: string }).c))) b++;
  const words = new Set<string>();
  for (const t of toks.slice(a, b)) if (t.k === 'word') words.add(t.w.toLowerCase());
  return words;
}

/**
 * True when the token before a run (`prev`, before `runFirst`) makes the first side (`first`,
 * after leading currency signs and an unmatched bracket) a fragment.
 */
function badLeft(prev: Tok | undefined, runFirst: Tok, first: Tok[]): boolean {
  const [a, b] = first;
  if (a.k === 'op') {
    const unaryMinus = a.op === '-' && b?.k === 'num' && !b.space;
    const variable = isVariable(prev);
    const gluedToPrev = a === runFirst && !a.space && !!prev;
    if (!unaryMinus || variable || gluedToPrev || prev?.k === ')') return true;
  }
  if (!prev) return false;
  if (prev.k === 'opaque') return true;
  if (!runFirst.space) return !(prev.k === 'punct' && GLUE_OK.has(prev.c));
  if (prev.k !== 'word') return false;
  const w = prev.w.toLowerCase();
  // A lone number before `=` is a claim only after words that introduce one ("so 25 = 3^2 + 4^2"),
  // not inside a label ("multiples of 3 or 5 = 100 + 60 - 20").
  const bare = first.filter((t) => t.k !== 'unit' && t.k !== 'cur').length === 1;
  return LEFT_STOP.has(w) || isVariable(prev) || (bare && !INTRO.has(w));
}

/** True when the token after a run makes its last side a fragment. */
function badRight(last: Tok, next: Tok | undefined, after: Tok | undefined): boolean {
  if (last.k === 'op') return true;
  if (!next) return false;
  if (next.k === 'opaque') return true;
  if (next.k === 'word') return !next.space || RIGHT_STOP.has(next.w.toLowerCase()) || isVariable(next);
  if (next.k === 'punct' && !next.space && (next.c === ',' || next.c === '.' || next.c === ':'))
    return !!after && !after.space && (after.k === 'num' || after.k === 'word' || after.k === 'opaque');
  return false;
}

/**
 * The chains of `=`/`≈` a normalized step states.
 *
 * @example
 * findChains(lex('So 3 × 4 = 12 + 5 = 17.')).map((c) => c.sides.length); // [3]
 */
export function findChains(tokens: Token[]): Chain[] {
  const toks = relabel(tokens);
  const chains: Chain[] = [];
  let i = 0;
  while (i < toks.length) {
    if (!RUN.has(toks[i].k)) {
      i++;
      continue;
    }
    let j = i;
    while (j < toks.length && RUN.has(toks[j].k)) j++;
    const run = toks.slice(i, j);
    if (run.some((t) => t.k === '=' || t.k === 'rel')) {
      const groups: Tok[][] = [[]];
      const seps: Chain['seps'] = [];
      for (const t of run) {
        if (t.k === '=' || t.k === 'rel') {
          seps.push(t.k === '=' ? '=' : t.k === 'rel' && t.approx ? '≈' : 'other');
          groups.push([]);
        } else groups[groups.length - 1].push(t);
      }
      let first = groups[0];
      // `1) 5 + 3 = 8`: a list number closed by an unmatched bracket is not part of the side.
      const close = first.findIndex((_, k) => depth(first.slice(0, k + 1)) < 0);
      if (close >= 0) first = groups[0] = first.slice(close + 1);
      while (first[0]?.k === 'cur' || (first[0]?.k === '(' && depth(first) > 0)) first.shift();
      const last = groups[groups.length - 1];
      while (last.at(-1)?.k === ')' && depth(last) < 0) last.pop();
      const sides = groups.map(makeSide);
      if (first.length && badLeft(toks[i - 1], run[0], first)) sides[0] = null;
      const lastCore = last.filter((t) => t.k !== 'cur' && t.k !== 'unit');
      if (lastCore.length && badRight(lastCore[lastCore.length - 1], toks[j], toks[j + 1]))
        sides[sides.length - 1] = null;
      const units = new Set(sides.flatMap((x) => x?.units ?? []));
      for (const t of run) if (t.k === 'num' && t.unit) units.add(t.unit);
      const tail = toks[j];
      if (tail?.k === 'word' && isSpacedUnit(tail, toks[j + 1])) units.add(normalizeUnit(tail.w));
      chains.push({ sides, seps, words: sentenceWords(toks, i, j), units });
    }
    i = j;
  }
  return chains;
}
