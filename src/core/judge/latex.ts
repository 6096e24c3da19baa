/**
 * Rewrites the LaTeX a step may contain into the plain notation the lexer reads: `\times` -> `×`,
 * `\frac{a}{b}` -> `a/b`, `\boxed{12}` -> `12`, `^{10}` -> `^(10)`, `1{,}000` -> `1,000`.
 * Commands it does not know (`\sqrt`, `\pi`, `\binom`) become `⍰`, a mark the lexer treats as
 * "something here it cannot evaluate", so nothing next to them is checked. It does not decide
 * what is a computation; parse.ts does.
 */

/** The mark for anything the checker must not read through. */
export const OPAQUE = '⍰';
/** The mark for the edge of a formula (`\[`, `\)`, `$$`): no computation spans it. */
export const BREAK = '¶';
/** Joins the two numbers of a `\frac{a}{b}`, which reads as one number (`4 ÷ \frac{4}{9}`). */
export const FRACTION_SLASH = '⁄';

const SYMBOLS: Record<string, string> = {
  times: ' × ',
  cdot: ' · ',
  div: ' ÷ ',
  approx: ' ≈ ',
  sim: ' ≈ ',
  simeq: ' ≈ ',
  neq: ' ≠ ',
  ne: ' ≠ ',
  le: ' ≤ ',
  leq: ' ≤ ',
  ge: ' ≥ ',
  geq: ' ≥ ',
  lt: ' < ',
  gt: ' > ',
  equiv: ' ≡ ',
  implies: ' ⇒ ',
  Rightarrow: ' ⇒ ',
  Longrightarrow: ' ⇒ ',
  rightarrow: ' → ',
  to: ' → ',
  cdots: ' … ',
  ldots: ' … ',
  dots: ' … ',
  quad: ' ',
  qquad: ' ',
  displaystyle: ' ',
  $: '$',
  '%': '%',
  '&': ' and ',
  ',': ' ',
  ';': ' ',
  ':': ' ',
  '!': '',
  ' ': ' ',
  '\\': ' ',
  '(': ` ${BREAK} `,
  ')': ` ${BREAK} `,
  '[': ` ${BREAK} `,
  ']': ` ${BREAK} `,
};

/** Commands whose one braced argument is shown as it is. */
const UNWRAP = new Set([
  'boxed',
  'text',
  'textbf',
  'textit',
  'mathrm',
  'mathbf',
  'mbox',
  'textrm',
  'operatorname',
]);
const FRACTIONS = new Set(['frac', 'dfrac', 'tfrac']);
/** Sizing prefixes before a delimiter. */
const SIZES = new Set(['left', 'right', 'big', 'Big', 'bigl', 'bigr', 'Bigl', 'Bigr', 'bigg', 'Bigg']);

/** The braced group starting at `s[i] === '{'`: its content and the index after the closing brace. */
function group(s: string, i: number): [string, number] | null {
  if (s[i] !== '{') return null;
  let depth = 0;
  for (let j = i; j < s.length; j++) {
    if (s[j] === '{') depth++;
    else if (s[j] === '}' && --depth === 0) return [s.slice(i + 1, j), j + 1];
  }
  return null;
}

const skipSpaces = (s: string, i: number): number => {
  while (s[i] === ' ') i++;
  return i;
};
const PLAIN_NUMBER = /^\s*\d+(\.\d+)?\s*$/;

/**
 * Plain notation for `text`.
 *
 * @example
 * normalizeLatex('\\(1/3 \\times 18 = 6\\)'); // ' 1/3  ×  18 = 6 '
 */
export function normalizeLatex(text: string): string {
  let out = '';
  let i = 0;
  const s = text.replace(/\{,\}/g, ',').replace(/\$\$/g, ` ${BREAK} `);
  while (i < s.length) {
    const c = s[i];
    if (c === '^' && s[i + 1] === '{') {
      const g = group(s, i + 1);
      if (!g) return out + OPAQUE;
      out += `^(${normalizeLatex(g[0])})`;
      i = g[1];
      continue;
    }
    if (c === '{' || c === '}' || c === '_') {
      out += OPAQUE;
      i++;
      continue;
    }
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const m = /^\\([A-Za-z]+|.)/.exec(s.slice(i, i + 40));
    if (!m) {
      out += OPAQUE;
      i++;
      continue;
    }
    const name = m[1];
    i += m[0].length;
    if (SIZES.has(name)) {
      const d = s[skipSpaces(s, i)];
      if (d === '(' || d === '[' || d === ')' || d === ']') {
        out += d;
        i = skipSpaces(s, i) + 1;
      } else if (d === '.') i = skipSpaces(s, i) + 1;
      else out += OPAQUE;
      continue;
    }
    if (name in SYMBOLS) {
      out += SYMBOLS[name];
      continue;
    }
    if (UNWRAP.has(name) || FRACTIONS.has(name)) {
      const a = group(s, skipSpaces(s, i));
      if (!a) {
        out += OPAQUE;
        continue;
      }
      i = a[1];
      if (UNWRAP.has(name)) {
        out += name === 'boxed' ? `(${normalizeLatex(a[0])})` : ` ${normalizeLatex(a[0])} `;
        continue;
      }
      const b = group(s, skipSpaces(s, i));
      if (!b) {
        out += OPAQUE;
        continue;
      }
      i = b[1];
      const [num, den] = [normalizeLatex(a[0]), normalizeLatex(b[0])];
      const simple = PLAIN_NUMBER.test(num) && PLAIN_NUMBER.test(den);
      // A whole number right before a simple fraction is a mixed number (2\frac{1}{2}).
      const mixed = simple && /\d$/.test(out) && !num.includes('.');
      const fraction = mixed ? ` ${num.trim()}/${den.trim()}` : `${num.trim()}${FRACTION_SLASH}${den.trim()}`;
      out += simple ? fraction : `(${num})/(${den})`;
      continue;
    }
    if (name === 'overline' || name === 'dot') {
      out += '…' + OPAQUE;
      const g = group(s, skipSpaces(s, i));
      if (g) i = g[1];
      continue;
    }
    out += OPAQUE;
  }
  return out;
}
