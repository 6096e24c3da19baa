import { beforeAll, describe, expect, it } from 'vitest';
import { escapeHtml, loadMath, mathLoaded, renderMarkup } from '../../src/app/lib/markup.ts';

// Runs first (describe blocks run in order): KaTeX is not loaded until someone asks for it.
describe('renderMarkup(text) before KaTeX is loaded', () => {
  it('shows math as its escaped source in a math-pending span, and text without math as usual', () => {
    expect(mathLoaded()).toBe(false);
    expect(renderMarkup('So $x<2$ here.')).toBe('<p>So <span class="math-pending">x&lt;2</span> here.</p>\n');
    expect(renderMarkup('It costs $5 and $6 more.')).toBe('<p>It costs $5 and $6 more.</p>\n');
  });

  it('loads KaTeX once, then renders math', async () => {
    const first = loadMath();
    expect(loadMath()).toBe(first);
    await first;
    expect(mathLoaded()).toBe(true);
    expect(renderMarkup('$x^2$')).toContain('class="katex"');
  });
});

/** Tags in the output, e.g. ['p', 'span', ...], to check no foreign tag got through. */
const tags = (html: string) => [...html.matchAll(/<([a-zA-Z][\w-]*)/g)].map((m) => m[1].toLowerCase());

describe('renderMarkup(text): pasted text never becomes active markup', () => {
  beforeAll(() => loadMath());

  it.each<[string, string]>([
    ['<img src=x onerror=alert(1)>', '&lt;img src=x onerror=alert(1)&gt;'],
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['Step <img src=x onerror=alert(1)> two', 'Step &lt;img src=x onerror=alert(1)&gt; two'],
    [
      '<iframe src="javascript:alert(1)"></iframe>',
      '&lt;iframe src=&quot;javascript:alert(1)&quot;&gt;&lt;/iframe&gt;',
    ],
    ['<svg onload=alert(1)>', '&lt;svg onload=alert(1)&gt;'],
  ])('shows %j as text', (input, escaped) => {
    const html = renderMarkup(input);
    expect(html).toContain(escaped);
    expect(tags(html).filter((t) => !['p', 'br'].includes(t))).toEqual([]);
  });

  it('keeps only http(s) and mailto links, with rel=noopener', () => {
    const html = renderMarkup('[a](javascript:alert(1)) [b](https://example.org) [c](data:text/html,x)');
    expect(html).not.toMatch(/javascript:|data:text/);
    expect(html).toContain(
      '<a href="https://example.org" rel="noopener noreferrer nofollow" target="_blank">b</a>',
    );
    expect(html.match(/<a /g)).toHaveLength(1);
  });

  it('turns Markdown images into their alt text (no request leaves the page)', () => {
    expect(renderMarkup('![a chart](http://tracker.example/x.png)')).toBe('<p>a chart</p>\n');
  });

  it('runs KaTeX without trust: \\href and \\htmlId render as inert error text', () => {
    for (const tex of [
      '$\\href{javascript:alert(1)}{x}$',
      '$\\htmlId{x}{y}$',
      '$\\url{javascript:alert(1)}$',
    ]) {
      const html = renderMarkup(tex);
      expect(html).not.toMatch(/<a |\sid="x"/);
      expect(html).toContain('katex');
    }
  });
});

describe('renderMarkup(text): math and Markdown', () => {
  beforeAll(() => loadMath());

  it.each<[string, string]>([
    ['$x^2$', 'inline'],
    ['\\(x^2\\)', 'inline'],
    ['$$x^2$$', 'display'],
    ['\\[x^2\\]', 'display'],
  ])('renders %s as %s math', (input, kind) => {
    const html = renderMarkup(input);
    expect(html).toContain('class="katex"');
    expect(html.includes('katex-display')).toBe(kind === 'display');
  });

  it.each(['It costs $5 and $6 more.', 'We pay $5+$3=$8.'])('leaves dollar amounts as text: %s', (input) => {
    expect(renderMarkup(input)).not.toContain('katex');
  });

  it.each<[string, string]>([
    ['2*3*4 = 24', '<p>2*3*4 = 24</p>\n'],
    ['(2+1)*3 = 9', '<p>(2+1)*3 = 9</p>\n'],
    ['**bold** and *it*', '<p><strong>bold</strong> and <em>it</em></p>\n'],
    ['line one\nline two', '<p>line one<br>line two</p>\n'],
    ['<<5*2=10>>', '<p>&lt;&lt;5*2=10&gt;&gt;</p>\n'],
  ])('renders %j as %j', (input, html) => {
    expect(renderMarkup(input)).toBe(html);
  });

  it('renders a KaTeX error in place instead of throwing', () => {
    expect(renderMarkup('$\\frac{1}{$')).toContain('katex');
  });
});

describe('escapeHtml(text)', () => {
  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
