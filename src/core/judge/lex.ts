/**
 * Splits a step (after normalizeLatex) into tokens: numbers with what was written around them
 * (decimals stated, percent, repeating "…", unit glued on), operators, brackets, `=` and other
 * relations, words, and "opaque" marks for what cannot be evaluated (dates, times of day, ratios
 * like 3:4, unknown LaTeX, subscripts). It keeps every token's offsets so a claim can quote its
 * text. It does not decide which tokens form a computation (parse.ts).
 */
import { BREAK, FRACTION_SLASH, OPAQUE } from './latex.ts';
import { Rational } from './rational.ts';

export type Op = '+' | '-' | '*' | '/' | '^';

interface Base {
  start: number;
  end: number;
  /** Whitespace right before this token. */
  space: boolean;
}
export type Token = Base &
  (
    | {
        k: 'num';
        v: Rational;
        /** Digits after the decimal point as written. */
        decimals: number;
        percent: boolean;
        /** Written as a repeating or cut-off decimal (`0.333...`). */
        approx: boolean;
        /** Written as a fraction `\frac{a}{b}`, so it shows no decimal precision. */
        fraction: boolean;
        unit?: string;
      }
    | { k: 'op'; op: Op }
    | { k: '(' | ')' | '=' | '!' | 'cur' | 'opaque' }
    /** A unit label between numbers (`18 flamingos - 6`); set by parse.ts, never by lex. */
    | { k: 'unit'; w?: string }
    | { k: 'rel'; approx: boolean }
    | { k: 'word'; w: string }
    | { k: 'punct'; c: string }
  );

/** Unit abbreviations that may be glued to a number (`5cm`, `12kg`, `90°`). */
export const GLUED_UNITS = new Set(
  'cm mm km kg mg ml cl dl ft yd mi lb lbs oz hr hrs min mins sec secs mph kph kmh pm am gal qt pt in ms ns kb mb gb tb'.split(
    ' ',
  ),
);

const OPS: Record<string, Op> = {
  '+': '+',
  '-': '-',
  '−': '-',
  '×': '*',
  '*': '*',
  '·': '*',
  '⋅': '*',
  '∙': '*',
  '/': '/',
  '÷': '/',
  '^': '^',
};
const RELATIONS = new Set(['≈', '≃', '≠', '<', '>', '≤', '≥', '≡', '⇒', '→', '⟹']);
const OPAQUE_CHARS = new Set([
  OPAQUE,
  '…',
  '±',
  '|',
  '√',
  'π',
  '∞',
  '∑',
  '∏',
  '°′',
  '′',
  '″',
  '#',
  '@',
  '\\',
]);
const CURRENCY = new Set(['$', '€', '£', '¥', '₹']);

// Dates (2023-10-05, 10/05/2023), times of day and ratios (3:45, 3:4) read as one opaque token.
const DATE_OR_TIME = /^(\d{1,4}([-/.])\d{1,2}\2\d{1,4}|\d+:\d+(:\d+)?)/;
// 1,234,567.89 or 12.5 or .5; the thousands groups must be exactly three digits.
const NUMBER = /^(\d{1,3}(,\d{3})+(?!\d)|\d+)?(\.\d+)?/;
// A contraction or possessive is one word (`that's`, `Tom's`), so its `s` is not read as a
// variable before a formula; a prime with no letter after it (`f'(x)`) stays apart.
const WORD = /[A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u024F]+(?:['’][A-Za-z]+)?/y;
const MIXED = /^ (\d+)\/(\d+)(?![\d/.]|,\d)/;

/**
 * Tokens of a normalized step.
 *
 * @example
 * lex('7 × 9 = 65').map((t) => t.k); // ['num', 'op', 'num', '=', 'num']
 */
export function lex(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let space = true;
  const push = (t: Token): void => {
    out.push(t);
    space = false;
  };
  while (i < s.length) {
    const c = s[i];
    const start = i;
    if (c === '\n' || c === BREAK) {
      push({ k: 'punct', c, start, end: i + 1, space: true });
      space = true;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || /\s/.test(c)) {
      space = true;
      i++;
      continue;
    }
    WORD.lastIndex = i;
    const word = WORD.exec(s);
    if (word) {
      i += word[0].length;
      push({ k: 'word', w: word[0], start, end: i, space });
      continue;
    }
    // A list bullet at the start of a line is not a minus sign.
    if (
      (c === '-' || c === '*' || c === '•') &&
      s[i + 1] === ' ' &&
      (!out.length || out[out.length - 1].k === 'punct') &&
      /(^|\n)[ \t]*$/.test(s.slice(Math.max(0, i - 20), i))
    ) {
      i++;
      push({ k: 'punct', c: 'bullet', start, end: i, space });
      continue;
    }
    const digitLike = (c >= '0' && c <= '9') || c === '.';
    const rest = digitLike ? s.slice(i, i + 40) : '';
    const date = digitLike ? DATE_OR_TIME.exec(rest) : null;
    if (date) {
      i += date[0].length;
      push({ k: 'opaque', start, end: i, space });
      continue;
    }
    const num = /^\.?\d/.test(rest) ? NUMBER.exec(rest) : null;
    if (num && num[0]) {
      const raw = num[0];
      i += raw.length;
      let v = Rational.parse(raw.replace(/,/g, ''));
      const decimals = num[3] ? num[3].length - 1 : 0;
      const leadingZero = /^0\d/.test(raw);
      const mixed = decimals === 0 && !raw.includes(',') ? MIXED.exec(s.slice(i, i + 30)) : null;
      if (mixed && BigInt(mixed[1]) < BigInt(mixed[2])) {
        v = v.add(new Rational(BigInt(mixed[1]), BigInt(mixed[2])));
        i += mixed[0].length;
      }
      let fraction = false;
      const den = s[i] === FRACTION_SLASH ? /^\d+(\.\d+)?/.exec(s.slice(i + 1, i + 40)) : null;
      if (den && Number(den[0]) !== 0) {
        v = v.div(Rational.parse(den[0]))!;
        fraction = true;
        i += 1 + den[0].length;
      }
      let approx = false;
      const tail = s.slice(i, i + 4);
      if (tail.startsWith('...') || tail.startsWith('…')) {
        approx = true;
        i += tail.startsWith('…') ? 1 : 3;
      }
      let percent = false;
      const pct = /^ ?%| ?percent\b/.exec(s.slice(i, i + 9));
      if (pct) {
        percent = true;
        i += pct[0].length;
      }
      let unit: string | undefined;
      if (s[i] === '°') {
        unit = '°';
        i++;
      }
      if (leadingZero) {
        push({ k: 'opaque', start, end: i, space });
        continue;
      }
      const value = percent ? v.div(new Rational(100n))! : v;
      push({ k: 'num', v: value, decimals, percent, approx, fraction, unit, start, end: i, space });
      continue;
    }
    i++;
    if (c === '*' && s[i] === '*') {
      i++;
      push({ k: 'punct', c: '**', start, end: i, space });
    } else if (c === '=') {
      if (s[i] === '=') i++;
      push({ k: '=', start, end: i, space });
    } else if (c === '-' && /[A-Za-z]/.test(s[i] ?? '') && !space)
      push({ k: 'punct', c, start, end: i, space });
    else if (c in OPS) push({ k: 'op', op: OPS[c], start, end: i, space });
    else if (c === '(' || c === '[') push({ k: '(', start, end: i, space });
    else if (c === ')' || c === ']') push({ k: ')', start, end: i, space });
    else if (RELATIONS.has(c)) push({ k: 'rel', approx: c === '≈' || c === '≃', start, end: i, space });
    else if (c === '~' && /\d/.test(s[i] ?? '')) push({ k: 'rel', approx: true, start, end: i, space });
    else if (CURRENCY.has(c)) push({ k: 'cur', start, end: i, space });
    else if (c === '!') push({ k: '!', start, end: i, space });
    else if (OPAQUE_CHARS.has(c) || c === '{' || c === '}' || c === '_')
      push({ k: 'opaque', start, end: i, space });
    else push({ k: 'punct', c, start, end: i, space });
  }
  return out;
}
