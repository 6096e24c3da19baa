/**
 * Renders a step or a problem for display: Markdown (via `marked`) with LaTeX math rendered by
 * KaTeX. Pasted text is untrusted, so this module never lets it become markup of its own:
 * raw HTML is shown as text, links keep only http(s)/mailto targets, images become their alt
 * text (no request leaves the page), and KaTeX runs with `trust: false` so `\href`,
 * `\htmlClass` and friends cannot produce active content.
 *
 * KaTeX (about 75 kB gzip of the page's JavaScript) is loaded on demand: `loadMath()` fetches it once.
 * Until it is loaded, math renders as its escaped source in a `<span class="math-pending">`
 * (`MATH_PENDING` tells a caller that happened), so nothing typed is hidden; MathText.svelte then
 * loads KaTeX and renders again. Text without math never loads it.
 *
 * It does not sanitise arbitrary HTML (there is none to sanitise: every HTML path is escaped),
 * and it does not touch the DOM; the caller inserts the returned string.
 */
import type Katex from 'katex';
import {
  Lexer,
  Marked,
  type MarkedOptions,
  type Token,
  type Tokens,
  type TokenizerAndRendererExtension,
} from 'marked';

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Texts longer than this (characters) show only their head until the user asks for all of them,
 * which then renders once typing pauses for `LAZY_DELAY_MS` (MathText.svelte): a keystroke in a
 * very long solution re-renders a bounded amount of text.
 */
export const LAZY_CHARS = 20_000;
export const LAZY_DELAY_MS = 400;

/** The first `LAZY_CHARS` of `text`, cut after a line end when there is one in its second half. */
export function lazyHead(text: string): string {
  if (text.length <= LAZY_CHARS) return text;
  const cut = text.lastIndexOf('\n', LAZY_CHARS);
  return text.slice(0, cut > LAZY_CHARS / 2 ? cut + 1 : LAZY_CHARS);
}

/** Escapes text for use inside HTML text or a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

let katex: typeof Katex | null = null;

/** Class of the placeholder that stands for math while KaTeX is not loaded. */
export const MATH_PENDING = 'math-pending';
let loading: Promise<void> | null = null;

/** Whether KaTeX is loaded (math then renders as math, not as pending source). */
export function mathLoaded(): boolean {
  return katex !== null;
}

/**
 * Loads KaTeX once; later calls return the same promise. Rejects if the chunk cannot be fetched
 * (offline after an update, say); math then stays shown as its source.
 */
export function loadMath(): Promise<void> {
  loading ??= import('katex').then(
    (m) => {
      katex = m.default;
    },
    (err: unknown) => {
      loading = null;
      throw err;
    },
  );
  return loading;
}

/** KaTeX with the options that keep untrusted TeX inert. Errors render in red, never throw. */
export function renderTex(tex: string, displayMode: boolean): string {
  if (!katex) return `<span class="${MATH_PENDING}">${escapeHtml(tex)}</span>`;
  const key = `${displayMode ? 'D' : 'I'}${tex}`;
  const hit = rendered.get(key);
  if (hit !== undefined) {
    // Most recently used last, so the oldest entry is the one dropped.
    rendered.delete(key);
    rendered.set(key, hit);
    return hit;
  }
  const html = katex.renderToString(tex, {
    displayMode,
    throwOnError: false,
    trust: false,
    strict: 'ignore',
    output: 'htmlAndMathml',
    // Bounds the work a pasted macro bomb can cause.
    maxExpand: 500,
    maxSize: 20,
  });
  rendered.set(key, html);
  if (rendered.size > RENDERED_MAX) rendered.delete(rendered.keys().next().value!);
  return html;
}

/**
 * KaTeX output by source, so a keystroke re-renders only the formulas it changed (a long
 * solution re-renders as a whole on every edit). Bounded: least recently used entries go first.
 */
const rendered = new Map<string, string>();
const RENDERED_MAX = 2000;

interface MathToken extends Tokens.Generic {
  type: 'blockMath' | 'inlineMath';
  text: string;
  display: boolean;
}

/** Characters examined by the math scanning below (for the linear-cost test). */
let scanned = 0;

/** How many characters the math extensions have examined so far (tests check it grows linearly). */
export function mathScanCost(): number {
  return scanned;
}

/**
 * Where the math delimiters of one source text are, found in one pass the first time they are
 * needed. marked hands extensions the rest of the text at every token, so looking for the next
 * delimiter (or a closing one) by scanning that rest costs the length of the text per token:
 * quadratic. Looking it up here costs a binary search.
 */
class Delimiters {
  #lists: Record<'$' | '$$' | '\\(' | '\\)' | '\\[' | '\\]', number[]> | null = null;

  constructor(readonly text: string) {}

  get lists() {
    if (this.#lists) return this.#lists;
    const l: Record<'$' | '$$' | '\\(' | '\\)' | '\\[' | '\\]', number[]> = {
      $: [],
      $$: [],
      '\\(': [],
      '\\)': [],
      '\\[': [],
      '\\]': [],
    };
    const t = this.text;
    scanned += t.length;
    for (let i = t.indexOf('$'), j = t.indexOf('\\'); i >= 0 || j >= 0;) {
      if (i >= 0 && (j < 0 || i < j)) {
        l.$.push(i);
        if (t.charCodeAt(i + 1) === 36) l.$$.push(i);
        i = t.indexOf('$', i + 1);
      } else {
        const pair = t.slice(j, j + 2);
        if (pair in l && pair !== '$' && pair !== '$$') l[pair as '\\('].push(j);
        j = t.indexOf('\\', j + 1);
      }
    }
    return (this.#lists = l);
  }

  #blocks = new Map<number, { raw: string; body: string } | null>();
  #blockStarts: number[] | null = null;

  /** Every position where block math starts, in order. */
  get blockStarts(): number[] {
    if (this.#blockStarts) return this.#blockStarts;
    const l = this.lists;
    const all = [...l.$$, ...l['\\[']].sort((x, y) => x - y);
    return (this.#blockStarts = all.filter((p) => this.blockAt(p)));
  }

  /**
   * The block math starting at `p` (`$$` or `\\[` at the start of a line, closed on a later or the
   * same line by the first matching close, which ends its line), or null; remembered per position.
   */
  blockAt(p: number): { raw: string; body: string } | null {
    const known = this.#blocks.get(p);
    if (known !== undefined) return known;
    const t = this.text;
    let found: { raw: string; body: string } | null = null;
    const open = t.slice(p, p + 2);
    let line = p;
    while (line > 0 && p - line < 3 && t[line - 1] === ' ') line--;
    if ((open === '$$' || open === '\\[') && (line === 0 || t[line - 1] === '\n')) {
      const end = Delimiters.next(this.lists[open === '$$' ? '$$' : '\\]'], p + 3);
      if (end >= 0) {
        let k = end + 2;
        while (t[k] === ' ' || t[k] === '\t') k++;
        if (k === t.length || t[k] === '\n') {
          found = { raw: t.slice(p, k === t.length ? k : k + 1), body: t.slice(p + 2, end) };
        }
      }
    }
    this.#blocks.set(p, found);
    return found;
  }

  /** The first position >= `from` in `list`, or -1. */
  static next(list: readonly number[], from: number): number {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid] < from) lo = mid + 1;
      else hi = mid;
    }
    return lo < list.length ? list[lo] : -1;
  }
}

/**
 * The source texts marked is tokenizing, innermost last, per lexer and level. marked passes
 * extensions only the rest of the current text; its offset is the difference in length.
 */
const sources = new WeakMap<Lexer, { block: Delimiters[]; inline: Delimiters[] }>();

/** A lexer whose `blockTokens` / `inlineTokens` record the text they work on (see `sources`). */
function trackedLexer(options: unknown): Lexer {
  const lexer = new Lexer(options as MarkedOptions | undefined);
  const stacks = { block: [] as Delimiters[], inline: [] as Delimiters[] };
  sources.set(lexer, stacks);
  const block = lexer.blockTokens.bind(lexer) as (
    src: string,
    tokens?: Token[],
    clipped?: boolean,
  ) => Token[];
  const inline = lexer.inlineTokens.bind(lexer);
  lexer.blockTokens = ((src: string, tokens?: Token[], clipped?: boolean) => {
    stacks.block.push(new Delimiters(src));
    try {
      return block(src, tokens, clipped);
    } finally {
      stacks.block.pop();
    }
  }) as Lexer['blockTokens'];
  lexer.inlineTokens = (src: string, tokens?: Token[]) => {
    stacks.inline.push(new Delimiters(src));
    try {
      return inline(src, tokens);
    } finally {
      stacks.inline.pop();
    }
  };
  return lexer;
}

/**
 * The delimiters of the text `src` is the rest of, and the offset of `src` in it. A `src` that is not
 * such a rest (a lexer marked made some other way) gets its own index: correct, only not shared.
 */
function locate(lexer: Lexer, level: 'block' | 'inline', src: string): { d: Delimiters; at: number } {
  const d = sources.get(lexer)?.[level].at(-1);
  const at = d ? d.text.length - src.length : -1;
  if (d && at >= 0 && (src.length === 0 || d.text.charCodeAt(at) === src.charCodeAt(0))) return { d, at };
  return { d: new Delimiters(src), at: 0 };
}

/** Offset in `src` of the first of `kinds` at or after `src`'s start, or undefined. */
function nextOf(lexer: Lexer, level: 'block' | 'inline', src: string, kinds: ('$' | '$$' | '\\(' | '\\[')[]) {
  const { d, at } = locate(lexer, level, src);
  let best = -1;
  for (const k of kinds) {
    const i = Delimiters.next(d.lists[k], at);
    if (i >= 0 && (best < 0 || i < best)) best = i;
  }
  return best < 0 ? undefined : best - at;
}

/**
 * The math that opens `src` with `$$`, `\\[` or `\\(`: up to the first matching close with at least
 * one character between (so an unclosed opener costs one lookup, not a scan of the rest).
 */
function delimited(lexer: Lexer, level: 'block' | 'inline', src: string, kinds: ('$$' | '\\[' | '\\(')[]) {
  const open = src.slice(0, 2);
  if (!(kinds as string[]).includes(open)) return null;
  const { d, at } = locate(lexer, level, src);
  const close = open === '$$' ? '$$' : open === '\\[' ? '\\]' : '\\)';
  const end = Delimiters.next(d.lists[close as '$$'], at + 3);
  if (end < 0) return null;
  return { open, body: src.slice(2, end - at), raw: src.slice(0, end - at + 2) };
}

// Inline math with one `$`: the $ is not followed by a space and the closing $ is not preceded by
// one nor followed by a digit (so "$5 and $6" stays text, as in Pandoc). It cannot cross a `$` or a
// line end, so each attempt reads at most one line.
const SINGLE_DOLLAR = /^\$(?!\s)((?:\\\$|[^$\n])+?)(?<!\s)\$(?!\d)/;

const mathExtensions: TokenizerAndRendererExtension[] = [
  {
    // Block math: $$...$$ or \[...\] starting a block (may span lines), its close ending a line.
    name: 'blockMath',
    level: 'block',
    start(src) {
      // Only where block math really starts: marked ends a paragraph at every index returned here,
      // and each extra block costs marked a look at the rest of the text.
      const { d, at } = locate(this.lexer, 'block', src);
      const p = Delimiters.next(d.blockStarts, at);
      return p < 0 ? undefined : p - at;
    },
    tokenizer(src) {
      const { d, at } = locate(this.lexer, 'block', src);
      const m = d.blockAt(at);
      if (!m) return undefined;
      return { type: 'blockMath', raw: m.raw, text: m.body.trim(), display: true } satisfies MathToken;
    },
    renderer: (token) => `<div class="math-display">${renderTex(token.text as string, true)}</div>\n`,
  },
  {
    // Inline math: $$...$$, \[...\] (display), \(...\) or $...$.
    name: 'inlineMath',
    level: 'inline',
    start(src) {
      return nextOf(this.lexer, 'inline', src, ['$', '\\(', '\\[']);
    },
    tokenizer(src) {
      const m = delimited(this.lexer, 'inline', src, ['$$', '\\[', '\\(']);
      if (m) {
        const display = m.open !== '\\(';
        return { type: 'inlineMath', raw: m.raw, text: m.body.trim(), display } satisfies MathToken;
      }
      const one = SINGLE_DOLLAR.exec(src);
      if (!one) return undefined;
      return { type: 'inlineMath', raw: one[0], text: one[1].trim(), display: false } satisfies MathToken;
    },
    renderer: (token) => renderTex(token.text as string, Boolean(token.display)),
  },
  {
    // "2*3*4" in arithmetic is multiplication, not emphasis: a star between two numbers (or a
    // closing bracket and a number) stays a literal star. No `start`: marked's own text rule
    // already stops before every `*`, where extensions get their turn.
    name: 'multiplyStar',
    level: 'inline',
    tokenizer(src, tokens) {
      // Runs at every inline position: decide on the first character before reading the previous
      // token (a long run of merged text, which reading would flatten).
      if (src.charCodeAt(0) !== 42) return undefined;
      const prev = tokens.at(-1);
      const prevText = prev && 'raw' in prev ? String(prev.raw) : '';
      if (!/[\d)\]]\s*$/.test(prevText.slice(-200))) return undefined;
      const m = /^\*(?=\s*[\d(])/.exec(src.slice(0, 200));
      if (!m) return undefined;
      return { type: 'multiplyStar', raw: m[0] };
    },
    renderer: () => '*',
  },
];

function safeHref(href: string): string | null {
  const trimmed = href.trim();
  return /^(https?:|mailto:)/i.test(trimmed) ? trimmed : null;
}

const md = new Marked({
  gfm: true,
  // A single newline inside a step is usually a deliberate line break in a worked solution.
  breaks: true,
  extensions: mathExtensions,
  hooks: {
    // Every parse gets a lexer that records its texts, for the delimiter lookups above.
    provideLexer(block) {
      const lex: typeof Lexer.lexInline = (src, options) =>
        block ? trackedLexer(options).lex(src) : trackedLexer(options).inlineTokens(src);
      return lex;
    },
  },
  renderer: {
    html: ({ text }) => escapeHtml(text),
    image: ({ text }) => escapeHtml(text),
    link({ href, title, tokens }) {
      const inner = this.parser.parseInline(tokens);
      const safe = safeHref(href);
      if (!safe) return inner;
      const t = title ? ` title="${escapeHtml(title)}"` : '';
      return `<a href="${escapeHtml(safe)}"${t} rel="noopener noreferrer nofollow" target="_blank">${inner}</a>`;
    },
  },
});

/**
 * Markdown + math to an HTML string that is safe to insert with `{@html}`.
 *
 * @example
 * renderMarkup('So $x = 2$ and <b>done</b>')
 * // '<p>So <span class="katex">…</span> and &lt;b&gt;done&lt;/b&gt;</p>\n'
 */
export function renderMarkup(text: string): string {
  return md.parse(text, { async: false });
}

/** Like `renderMarkup` but without the block wrapper, for one-line labels. */
export function renderInlineMarkup(text: string): string {
  return md.parseInline(text, { async: false });
}
