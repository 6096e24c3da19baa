import { describe, expect, it } from 'vitest';
import { pageConvertCommand, PAGE_CONVERT_FLAGS, shellWord } from '../../src/core/page-convert.ts';

describe('pageConvertCommand(opts)', () => {
  it('names the flags that make `prm convert` write what the page writes', () => {
    expect(PAGE_CONVERT_FLAGS).toEqual(['--dtype', 'q4', '--external-data']);
    expect(pageConvertCommand({ repo: 'test-org/tiny-raw', revision: 'main' })).toBe(
      'npx prm convert hf:test-org/tiny-raw --out models/tiny-raw --dtype q4 --external-data',
    );
  });

  it("adds the revision, the model's own flags (quoted) and the endpoint", () => {
    expect(
      pageConvertCommand({
        repo: 'peiyi9979/math-shepherd-mistral-7b-prm',
        revision: 'refs/pr/5',
        flags: ['--good-id', '648', '--step-separator', '\n\n', '--step-token', 'a b'],
        endpoint: 'http://127.0.0.1:8080',
      }),
    ).toBe(
      "npx prm convert hf:peiyi9979/math-shepherd-mistral-7b-prm@refs/pr/5 --out models/math-shepherd-mistral-7b-prm --dtype q4 --external-data --good-id 648 --step-separator $'\\n\\n' --step-token 'a b' --endpoint http://127.0.0.1:8080",
    );
  });
});

describe('shellWord(s)', () => {
  it.each([
    ['--quantize-embedding', '--quantize-embedding'],
    ['ки', "'ки'"],
    ["it's", "$'it\\'s'"],
    ['a\tb\\', "$'a\\tb\\\\'"],
  ])('%j -> %s', (s, want) => expect(shellWord(s)).toBe(want));
});
