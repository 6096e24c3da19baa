/**
 * The words around numbers that the checker reads: `x` and `times` between numbers (or a number
 * and its unit label, `55 minutes x 2`) as multiplication, a percent's or fraction's `of`, unit labels (`18 flamingos - 6`, `5cm`,
 * `80 cm^3`), and the words before or after a number that make it part of something larger
 * ("half of", "squared", "million"). It does not find computations (parse.ts).
 */
import { GLUED_UNITS, type Token } from './lex.ts';

/** Words right before a number that make what follows part of a larger expression. */
export const LEFT_STOP = new Set(
  'of times plus minus over by than twice half double triple thrice sqrt root log ln sin cos tan exp mod modulo from divided multiplied less more product sum difference quotient power choose per squared cubed'.split(
    ' ',
  ),
);
/** Words right after a number that change its value or meaning. */
export const RIGHT_STOP = new Set(
  'squared cubed dozen dozens hundred hundreds thousand thousands million millions billion billions trillion times factorial choose over divided multiplied plus minus mod modulo to th st nd rd'.split(
    ' ',
  ),
);
/** Words that are not unit labels when they follow a number. */
const NOT_UNITS = new Set([
  ...LEFT_STOP,
  ...RIGHT_STOP,
  ...'and or is are was were be the a an in on at for with into each which that this then so if when we it as equals equal gives get makes total remainder left remain remains altogether now base digits after before every about'.split(
    ' ',
  ),
]);

/** Words after which a lone number can start a claim. */
export const INTRO = new Set(
  'so thus then hence therefore get gives have has is are was find as since because where and now that which yields obtain compute calculate see know note also'.split(
    ' ',
  ),
);

export const isUnitWord = (w: string): boolean =>
  GLUED_UNITS.has(w.toLowerCase()) || (/^[a-z]{3,}$/.test(w) && !NOT_UNITS.has(w));

/**
 * A spaced word after a number that labels it (`12 apples`, `5 in`); `in` before another word is
 * the preposition (`57 in total`, `8 in each`), not inches.
 */
export const isSpacedUnit = (t: { w: string; space: boolean }, next: Token | undefined): boolean =>
  t.space && isUnitWord(t.w) && !(t.w.toLowerCase() === 'in' && next?.k === 'word');

/** A one-letter word other than "a" and "I": most likely a variable. */
export const isVariable = (t: Tok | undefined): boolean =>
  t?.k === 'word' && t.w.length === 1 && !/^[aAI]$/.test(t.w);

type Tok = Token;

export function normalizeUnit(w: string): string {
  const l = w.toLowerCase();
  if (l === '$' || l.startsWith('dollar') || l === 'usd') return '$';
  return l.length > 3 && l.endsWith('s') ? l.slice(0, -1) : l;
}

const isNumLike = (t: Tok | undefined): boolean => t?.k === 'num' || t?.k === ')';
const opensOperand = (t: Tok | undefined): boolean => t?.k === 'num' || t?.k === '(' || t?.k === 'cur';

/** Rewrites words that act as operators or unit labels, and marks `!` that may be an exclamation. */
export function relabel(toks: Token[]): Tok[] {
  const out: Tok[] = toks.map((t) => ({ ...t }));
  for (let i = 0; i < out.length; i++) {
    const t = out[i];
    const prev = out[i - 1];
    const next = out[i + 1];
    if (t.k === 'word') {
      const w = t.w.toLowerCase();
      // `55 minutes x 2`: a unit label between the number and the operator.
      const between =
        (isNumLike(prev) || (prev?.k === 'unit' && out[i - 2]?.k === 'num')) && opensOperand(next);
      const spacedAlike = !!next && t.space === next.space;
      if ((w === 'x' || w === 'times') && between && spacedAlike) out[i] = { ...t, k: 'op', op: '*' };
      else if (
        w === 'of' &&
        opensOperand(next) &&
        prev?.k === 'num' &&
        (prev.percent || out[i - 2]?.k === 'op')
      )
        out[i] = { ...t, k: 'op', op: '*' };
      else if (prev?.k === 'num' && ((GLUED_UNITS.has(w) && !t.space) || isSpacedUnit(t, next))) {
        if (prev.k === 'num') prev.unit ??= normalizeUnit(w);
        // `80 cm^3`: the power belongs to the unit.
        if (next?.k === 'op' && next.op === '^' && out[i + 2]?.k === 'num') {
          out[i + 1] = { ...next, k: 'unit' };
          out[i + 2] = { ...out[i + 2], k: 'unit' };
        }
        const at = i + (out[i + 1]?.k === 'unit' ? 3 : 1);
        const after = out[at];
        const timesNext = after?.k === 'word' && /^(x|times)$/i.test(after.w) && opensOperand(out[at + 1]);
        if (!t.space || timesNext || (after && ['op', '=', 'rel', ')'].includes(after.k)))
          out[i] = { ...t, k: 'unit' };
      } else if (prev && !t.space && (prev.k === 'num' || prev.k === ')' || prev.k === '!'))
        out[i] = { ...t, k: 'opaque' };
    } else if (t.k === '!') {
      const glued = isNumLike(prev) && !t.space;
      const after = next && ['op', '=', 'rel', ')', '!'].includes(next.k);
      if (!glued || !after) out[i] = { ...t, k: 'opaque' };
    }
  }
  return out;
}
