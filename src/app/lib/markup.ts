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
import { Marked, type Tokens, type TokenizerAndRendererExtension } from 'marked';

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

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
  return katex.renderToString(tex, {
    displayMode,
    throwOnError: false,
    trust: false,
    strict: 'ignore',
    output: 'htmlAndMathml',
    // Bounds the work a pasted macro bomb can cause.
    maxExpand: 500,
    maxSize: 20,
  });
}

interface MathToken extends Tokens.Generic {
  type: 'blockMath' | 'inlineMath';
  text: string;
  display: boolean;
}

// Block math: $$...$$ or \[...\] starting a block (may span lines).
const BLOCK_MATH = /^(?:\$\$([\s\S]+?)\$\$|\\\[([\s\S]+?)\\\])[ \t]*(?:\n|$)/;
// Inline math: $$...$$, \[...\], \(...\), or $...$ where the $ is not followed by a space and the
// closing $ is not preceded by one (so "$5 and $6" stays text, as in Pandoc).
const INLINE_MATH =
  /^(?:\$\$([\s\S]+?)\$\$|\\\[([\s\S]+?)\\\]|\\\(([\s\S]+?)\\\)|\$(?!\s)((?:\\\$|[^$\n])+?)(?<!\s)\$(?!\d))/;

const mathExtensions: TokenizerAndRendererExtension[] = [
  {
    name: 'blockMath',
    level: 'block',
    start: (src) => src.match(/\$\$|\\\[/)?.index,
    tokenizer(src) {
      const m = BLOCK_MATH.exec(src);
      if (!m) return undefined;
      return { type: 'blockMath', raw: m[0], text: (m[1] ?? m[2]).trim(), display: true } satisfies MathToken;
    },
    renderer: (token) => `<div class="math-display">${renderTex(token.text as string, true)}</div>\n`,
  },
  {
    name: 'inlineMath',
    level: 'inline',
    start: (src) => src.match(/\$|\\[([]/)?.index,
    tokenizer(src) {
      const m = INLINE_MATH.exec(src);
      if (!m) return undefined;
      const display = m[1] !== undefined || m[2] !== undefined;
      const text = (m[1] ?? m[2] ?? m[3] ?? m[4]).trim();
      return { type: 'inlineMath', raw: m[0], text, display } satisfies MathToken;
    },
    renderer: (token) => renderTex(token.text as string, Boolean(token.display)),
  },
  {
    // "2*3*4" in arithmetic is multiplication, not emphasis: a star between two numbers (or a
    // closing bracket and a number) stays a literal star.
    name: 'multiplyStar',
    level: 'inline',
    start: (src) => src.match(/(?<=[\d)\]]\s*)\*/)?.index,
    tokenizer(src, tokens) {
      const prev = tokens.at(-1);
      const prevText = prev && 'raw' in prev ? String(prev.raw) : '';
      if (!/[\d)\]]\s*$/.test(prevText)) return undefined;
      const m = /^\*(?=\s*[\d(])/.exec(src);
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
