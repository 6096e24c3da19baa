/**
 * The step renderer (lib/markup.ts) stays linear in the length of the text, whatever the number
 * of `$`, `$$`, `\(` or `*` in it: the math extensions look delimiters up in an index built once per
 * text (counted by `mathScanCost`) instead of scanning the rest of the text at each token, which
 * made 100 KB of prices cost over a second per keystroke. No timing here (the machine is shared):
 * the figures are in bench/README.md, from bench/markup.ts.
 */
import { describe, expect, it } from 'vitest';
import { MATH_PENDING, mathScanCost, renderMarkup } from '../../src/app/lib/markup.ts';
import { fillText as fill } from '../support/fill-text.ts';

const KB = 1024;

const SHAPES: Record<string, (i: number) => string> = {
  prices: (i) => `It costs $${i} and $${i + 1} more. `,
  inlineMath: (i) => `so $x_{${i}} = ${i}$ then `,
  unclosedParens: () => String.raw`\( a `,
  unclosedBlock: () => '$$ a ',
  dollarsOnly: () => '$',
  stars: (i) => `${i}*${i + 1} and *a* `,
  lines: (i) => `Step ${i}: costs $${i}\n`,
  blockLines: (i) => `$$x_${i}$$ then\n`,
};

/** Characters the math scanning examined while rendering `text`. */
function cost(text: string): number {
  const before = mathScanCost();
  renderMarkup(text);
  return mathScanCost() - before;
}

const strip = (html: string) =>
  html
    .replace(/<[^>]*>/g, '')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

describe('rendering cost grows linearly with the text', () => {
  it.each(Object.keys(SHAPES))('%s: each character is examined a bounded number of times', (name) => {
    const small = fill(SHAPES[name], 25 * KB);
    const big = fill(SHAPES[name], 100 * KB);
    const c1 = cost(small);
    const c4 = cost(big);
    // One index per text marked lexes (the document, then each paragraph and nested span).
    expect(c4).toBeLessThanOrEqual(4 * big.length);
    expect(c4).toBeLessThanOrEqual(4.5 * Math.max(c1, 1));
  });
});

describe('the output is right at size', () => {
  it('keeps every "$" of 100 KB of prices as text (none turned into math)', () => {
    const text = fill(SHAPES.prices, 100 * KB);
    const html = renderMarkup(text);
    expect(html).not.toContain(MATH_PENDING);
    expect(strip(html).trim()).toBe(text.trim());
    expect(strip(html).split('$').length).toBe(text.split('$').length);
  });

  it('turns each of 4,000 inline formulas into one math span, in order', () => {
    const n = 4000;
    const text = Array.from({ length: n }, (_, i) => `so $x_{${i}} = ${i}$ then`).join(' ');
    const html = renderMarkup(text);
    const spans = [...html.matchAll(new RegExp(`<span class="${MATH_PENDING}">([^<]*)</span>`, 'g'))];
    expect(spans.length).toBe(n);
    expect(spans[0][1]).toBe('x_{0} = 0');
    expect(spans[n - 1][1]).toBe(`x_{${n - 1}} = ${n - 1}`);
  });

  it('leaves 20,000 unclosed \\( and $$ as text, and still closes the last pair', () => {
    const text = `${String.raw`\( a `.repeat(10_000)}${'$$ b '.repeat(10_000)}$$ c $$`;
    const html = renderMarkup(text);
    const spans = [...html.matchAll(new RegExp(`class="${MATH_PENDING}"`, 'g'))];
    // $$ pairs close left to right: 10,001 openers make 5,000 pairs... plus the final one.
    expect(spans.length).toBe(5001);
    // `\(` is a Markdown escape of "(".
    expect(strip(html)).toContain('( a ( a ( a');
  });

  it('renders block math that ends its line, and keeps a "$$" that does not as inline text', () => {
    expect(renderMarkup('$$\nx^2\n$$\n\nafter')).toMatch(/^<div class="math-display">/);
    const inline = renderMarkup('$$a$$ b');
    expect(inline).toMatch(/^<p>/);
    expect(inline).toContain(`<span class="${MATH_PENDING}">a</span> b`);
  });

  it('keeps 2*3*4 a product and *a* emphasis at 100 KB', () => {
    const html = renderMarkup(fill(SHAPES.stars, 100 * KB));
    expect(html).toContain('0*1 and <em>a</em>');
    expect(html.split('<em>').length - 1).toBeGreaterThan(1000);
  });
});
