import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

/** Directive name -> sources, from a CSP string. */
function directives(csp: string): Record<string, string[]> {
  return Object.fromEntries(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...sources]) => [name, sources]),
  );
}

const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(
  readFileSync(resolve(root, 'index.html'), 'utf8'),
)?.[1];
const header = /^\s+Content-Security-Policy:\s*(.+)$/m.exec(
  readFileSync(resolve(root, 'public/_headers'), 'utf8'),
)?.[1];

describe('the Content-Security-Policy of index.html and public/_headers', () => {
  it('is present in both', () => {
    expect(meta).toBeTruthy();
    expect(header).toBeTruthy();
  });

  it('is the same policy, plus frame-ancestors in the header (a <meta> cannot carry it)', () => {
    const { 'frame-ancestors': frame, ...rest } = directives(header!);
    expect(frame).toEqual(["'none'"]);
    expect(rest).toEqual(directives(meta!));
  });

  it.each<[string, string[]]>([
    ['script-src', ["'self'", "'wasm-unsafe-eval'"]],
    ['worker-src', ["'self'", 'blob:']],
    [
      'connect-src',
      [
        "'self'",
        'blob:',
        'data:',
        'https://huggingface.co',
        'https://*.huggingface.co',
        'https://*.hf.co',
        'http://127.0.0.1:*',
        'http://localhost:*',
      ],
    ],
    ['object-src', ["'none'"]],
  ])('allows exactly the intended sources for %s', (name, sources) => {
    expect(directives(meta!)[name]).toEqual(sources);
  });

  it('never allows inline script or eval (pasted text must not run)', () => {
    for (const csp of [meta!, header!]) {
      expect(directives(csp)['script-src']).not.toContain("'unsafe-inline'");
      expect(directives(csp)['script-src']).not.toContain("'unsafe-eval'");
    }
  });
});
