/**
 * The exact arithmetic checker: for each computation a step states, "right" when it holds
 * exactly, "wrong" (with the correct value) when it fails under every reading a writer could have
 * meant, and "none" when it cannot tell: an approximation (`≈`, `0.333...`, "about"), a value
 * rounded or cut to the digits stated (`10/3 = 3.33` and `100/3 = 33` are "none", not "right"),
 * a result that holds when read left to right or with `%` as a plain number, mixed units, or a
 * sentence that talks about remainders, bases or mistakes. Steps with nothing it can read are
 * "none", never "right". It judges arithmetic only, not whether the step uses the right numbers.
 */
import { normalizeLatex } from './latex.ts';
import { lex } from './lex.ts';
import { findChains, type Side } from './parse.ts';
import { evaluate, USUAL, type Reading, type Value } from './expr.ts';
import { Rational } from './rational.ts';

const HUNDRED = new Rational(100n);

export type Verdict = 'right' | 'wrong' | 'none';

/** One stated computation (the output contract of `prm score --judge arithmetic`). */
export interface Claim {
  /** The computation as written (LaTeX rewritten to plain symbols). */
  text: string;
  /** The stated result as written. */
  stated: string;
  /** The exact value of the computed side. */
  computed: string;
  verdict: Verdict;
}

export interface StepCheck {
  /** "wrong" if any claim is wrong, "right" if some claim is checked and none is wrong, else "none". */
  verdict: Verdict;
  claims: Claim[];
}

/** Words in the sentence that make a mismatch something other than an arithmetic slip. */
const HEDGES = new Set(
  'about approximately approx approximate around roughly nearly almost estimate estimated round rounded rounding rounds nearest remainder remainders mod modulo pmod bmod base incorrect incorrectly wrong mistake mistakes error errors not actually wait should instead mistakenly recheck verify check checking if whether suppose assume assuming equation need want must would could test testing try trying'.split(
    ' ',
  ),
);
const ALTERNATIVES: Reading[] = [
  { precedence: false, percentScale: true },
  { precedence: true, percentScale: false },
  { precedence: false, percentScale: false },
];

/** A side that is one written number (`12`, `-7`), not a computation (`\frac{24}{6}` is one). */
const STATES_SOMETHING = /[=≈≃~]|\\(approx|sim)/;

const isBare = (s: Side): boolean => {
  const t = s.toks[s.toks.length - 1];
  const signed = s.toks.length === 2 && s.toks[0].k === 'op' && s.toks[0].op === '-';
  return (s.toks.length === 1 || signed) && t.k === 'num' && !t.fraction;
};

/** The number a running chain continues from: `12` in `12 + 5` (`3 × 4 = 12 + 5 = 17`). */
function lead(s: Side): Side | null {
  const [a, b] = s.toks;
  if (a?.k !== 'num' || b?.k !== 'op' || b.op === '^') return null;
  return { toks: [a], start: a.start, end: a.end, units: a.unit ? [a.unit] : [] };
}

function judgePair(
  text: string,
  expr: Side,
  stated: Side,
  approxSep: boolean,
  hedged: boolean,
): Claim | null {
  const e = evaluate(expr.toks, USUAL);
  const s = evaluate(stated.toks, USUAL);
  if (!e || !s) return null;
  const quote = (x: Side): string =>
    text.slice(x.start, x.end).replace(/\s+/g, ' ').replace(/⁄/g, '/').trim();
  const claim = (verdict: Verdict): Claim => ({
    text: quote({ ...expr, start: Math.min(expr.start, stated.start), end: Math.max(expr.end, stated.end) }),
    stated: quote(stated).replace(/^\$\s*/, ''),
    computed: show(e.v, stated),
    verdict,
  });
  if (approxSep || e.approx || s.approx) return claim('none');
  if (e.v.eq(s.v)) return claim('right');
  if (hedged || e.ambiguous || s.ambiguous) return claim('none');
  if (roundedTo(e, stated)) return claim('none');
  for (const r of ALTERNATIVES) {
    const ae = evaluate(expr.toks, r);
    const as = evaluate(stated.toks, r);
    if (ae && as && ae.v.eq(as.v)) return claim('none');
  }
  return claim('wrong');
}

/** The stated number is the exact value rounded or cut to the digits it shows. */
function roundedTo(e: Value, stated: Side): boolean {
  const t = stated.toks[stated.toks.length - 1];
  if (!isBare(stated) || t.k !== 'num' || t.fraction) return false;
  const digits = t.decimals + (t.percent ? 2 : 0);
  const s = evaluate(stated.toks, USUAL)!.v;
  return !e.v.fitsDecimals(digits) && e.v.within(s, digits);
}

/** The computed value, as a percent when the stated one is. */
function show(v: Rational, stated: Side): string {
  const t = stated.toks[stated.toks.length - 1];
  if (isBare(stated) && t.k === 'num' && t.percent) return `${v.mul(HUNDRED).toString()}%`;
  return v.toString();
}

/**
 * Checks every computation stated in one step.
 *
 * @example
 * checkStep('Since 7 \\times 9 = 65, ...').claims[0];
 * // { text: '7 × 9 = 65', stated: '65', computed: '63', verdict: 'wrong' }
 */
export function checkStep(step: string): StepCheck {
  // Every claim stands next to `=` or `≈`; most steps have neither.
  if (!STATES_SOMETHING.test(step)) return { verdict: 'none', claims: [] };
  const text = normalizeLatex(step);
  const claims: Claim[] = [];
  for (const chain of findChains(lex(text))) {
    // A chain that mixes units (`4 hours = 4 × 60 = 240 minutes`) or `≈` with `=` may not mean
    // equality by every `=`.
    const hedged =
      [...chain.words].some((w) => HEDGES.has(w)) ||
      chain.seps.some((x) => x !== '=') ||
      chain.units.size > 1;
    for (let i = 0; i + 1 < chain.sides.length; i++) {
      const a = chain.sides[i];
      const b = chain.sides[i + 1];
      const sep = chain.seps[i];
      if (!a || !b || sep === 'other' || (isBare(a) && isBare(b))) continue;
      let c: Claim | null;
      if (isBare(b)) c = judgePair(text, a, b, sep === '≈', hedged);
      else if (isBare(a)) c = judgePair(text, b, a, sep === '≈', hedged);
      else {
        c = judgePair(text, a, b, sep === '≈', hedged);
        const l = lead(b);
        if (c?.verdict === 'wrong' && l) c = judgePair(text, a, l, sep === '≈', hedged);
      }
      if (c) claims.push(c);
    }
  }
  const verdict: Verdict = claims.some((c) => c.verdict === 'wrong')
    ? 'wrong'
    : claims.some((c) => c.verdict === 'right')
      ? 'right'
      : 'none';
  return { verdict, claims };
}

/** "7 × 9 = 63, not 65" for a wrong claim; the claim's text otherwise. */
export function describeClaim(c: Claim): string {
  if (c.verdict !== 'wrong') return c.text;
  const cut = c.text.lastIndexOf(c.stated);
  const expr =
    cut > 0 ? c.text.slice(0, cut).replace(/[=\s$]+$/, '') : c.text.slice(c.text.indexOf('=') + 1).trim();
  return `${expr} = ${c.computed}, not ${c.stated}`;
}
