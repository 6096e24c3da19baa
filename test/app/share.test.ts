import { describe, expect, it } from 'vitest';
import {
  DraftError,
  draftToJson,
  emptyDraft,
  MAX_TEXT,
  parseDraft,
  type Draft,
} from '../../src/app/lib/draft.ts';
import { DRAFT_PREFIX, DraftSlot } from '../../src/app/lib/storage.ts';
import { memoryStorage } from '../support/memory-storage.ts';
import {
  base64urlToBytes,
  bytesToBase64url,
  draftFromFragment,
  MAX_LINK_CHARS,
  shareFragment,
  shareLink,
} from '../../src/app/lib/share.ts';
import type { ScoredRun } from '../../src/app/lib/run.ts';

const draft: Draft = {
  problem: 'Find $x$ if $2x = 6$ — ünïcödé, emoji 🧮, <b>tags</b>.',
  solutions: [
    { text: 'Divide by 2.\n\nSo x = 3.', steps: null },
    {
      text: 'x = 6 / 2 = 3. The answer is 3.',
      steps: [
        { text: 'x = 6 / 2 = 3.', start: 0, end: 14 },
        { text: 'The answer is 3.', start: 15, end: 31 },
      ],
    },
  ],
  strategy: 'sentences',
  threshold: 0.35,
  aggregate: 'product',
};

describe('shareFragment(draft) and draftFromFragment(hash)', () => {
  it('round-trips a draft through a compressed #z= fragment', async () => {
    const hash = await shareFragment(draft);
    expect(hash).toMatch(/^#z=[A-Za-z0-9_-]+$/);
    expect(await draftFromFragment(hash)).toEqual(draft);
  });

  it('round-trips through a plain #j= fragment when compression is off', async () => {
    const hash = await shareFragment(draft, false);
    expect(hash).toMatch(/^#j=[A-Za-z0-9_-]+$/);
    expect(await draftFromFragment(hash)).toEqual(draft);
  });

  it('compresses a long solution to a much shorter link', async () => {
    const long = {
      ...emptyDraft(),
      solutions: [{ text: 'Step: 12 x 4 = 48 apples.\n\n'.repeat(200), steps: null }],
    };
    const [z, j] = [await shareFragment(long), await shareFragment(long, false)];
    expect(z.length * 5).toBeLessThan(j.length);
  });

  it.each(['', '#', '#section-2', '#x=abc'])('returns null for %j, which is no share link', async (hash) => {
    expect(await draftFromFragment(hash)).toBeNull();
  });

  it.each<[string, string, RegExp]>([
    ['bad characters', '#j=ab$cd', /characters that base64url does not use/],
    ['a cut-off compressed link', '#z=q1YqU7JSMjQ', /compressed data does not unpack/],
    ['data that is not JSON', `#j=${bytesToBase64url(new TextEncoder().encode('{nope'))}`, /not valid JSON/],
    [
      'JSON of the wrong shape',
      `#j=${bytesToBase64url(new TextEncoder().encode('[1,2]'))}`,
      /does not hold a saved playground/,
    ],
  ])('explains a damaged link: %s', async (_name, hash, message) => {
    await expect(draftFromFragment(hash)).rejects.toThrow(message);
  });
});

describe('bytesToBase64url(bytes) and base64urlToBytes(text)', () => {
  it('round-trips every byte value without padding or +/ characters', () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const text = bytesToBase64url(bytes);
    expect(text).not.toMatch(/[+/=]/);
    expect(base64urlToBytes(text)).toEqual(bytes);
  });
});

describe('parseDraft(value, where)', () => {
  const ok = draftToJson(draft);
  it('accepts what draftToJson writes', () => {
    expect(parseDraft(JSON.parse(JSON.stringify(ok)), 'Test')).toEqual(draft);
  });

  it('fills defaults for missing strategy, threshold and aggregate', () => {
    expect(parseDraft({ v: 1, problem: 'p', solutions: [{ text: 's' }] }, 'Test')).toEqual({
      problem: 'p',
      solutions: [{ text: 's', steps: null }],
      strategy: 'auto',
      threshold: null,
      aggregate: 'min',
    });
  });

  it.each<[string, unknown, RegExp]>([
    ['a newer version', { ...ok, v: 2 }, /unknown version \(2\)/],
    ['no solutions', { ...ok, solutions: [] }, /"solutions" must be a list of 1 to 16/],
    ['a non-text problem', { ...ok, problem: 5 }, /"problem" must be text, got number/],
    ['an unknown strategy', { ...ok, strategy: 'words' }, /unknown strategy "words"/],
    ['a threshold above 1', { ...ok, threshold: 1.5 }, /threshold must be a number from 0 to 1, got 1.5/],
    ['an unknown aggregate', { ...ok, aggregate: 'max' }, /unknown aggregate "max"/],
    [
      'a span past the end',
      { ...ok, solutions: [{ text: 'abc', steps: [[0, 9]] }] },
      /steps\[0\] = \[0,9\] is not an in-order/,
    ],
    [
      'spans out of order',
      {
        ...ok,
        solutions: [
          {
            text: 'ab cd',
            steps: [
              [3, 5],
              [0, 2],
            ],
          },
        ],
      },
      /steps\[1\]/,
    ],
    [
      'a span with untrimmed text',
      { ...ok, solutions: [{ text: 'ab cd', steps: [[0, 3]] }] },
      /does not cover trimmed text/,
    ],
  ])('rejects %s with a clear message', (_name, value, message) => {
    expect(() => parseDraft(value, 'The shared link')).toThrow(DraftError);
    expect(() => parseDraft(value, 'The shared link')).toThrow(message);
  });
});

const run: ScoredRun = {
  problem: draft.problem,
  steps: [
    ['Divide by 2.', 'So x = 3.'],
    ['x = 6 / 2 = 3.', 'The answer is 3.'],
  ],
  solutions: [
    { rewards: [0.9, 0.8], tokenCount: 30, scoredSteps: 2 },
    { rewards: [0.7, 0.1], tokenCount: 31, scoredSteps: 2 },
  ],
  model: { name: 'demo', source: 'models/demo/', dtype: 'q4', family: 'qwen-prm' },
  backend: 'webgpu',
  defaultThreshold: 0.5,
  runMs: 5,
  at: '2025-01-01T00:00:00.000Z',
};

describe('the draft history (DraftSlot) keeps the draft and its run', () => {
  it('round-trips the draft and the run across a reload', () => {
    const local = memoryStorage();
    const session = memoryStorage();
    const tab = new DraftSlot(local, session);
    tab.start();
    expect(tab.save(draft, run)).toEqual({ problem: null, notice: null });
    expect(new DraftSlot(local, session).start()).toEqual({ draft, run, problem: null });
  });

  it('reports nothing saved on first visit', () => {
    expect(new DraftSlot(memoryStorage(), memoryStorage()).start()).toEqual({
      draft: null,
      run: null,
      problem: null,
    });
  });

  it('drops a malformed run but keeps the draft', () => {
    const local = memoryStorage();
    local.setItem(
      `${DRAFT_PREFIX}x`,
      JSON.stringify({
        v: 1,
        updated: 1,
        writer: 'w',
        draft: draftToJson(draft),
        run: { ...run, backend: 'cuda' },
      }),
    );
    expect(new DraftSlot(local, memoryStorage()).start()).toEqual({ draft, run: null, problem: null });
  });

  it('returns a message instead of throwing when storage refuses every write', () => {
    const local = memoryStorage();
    local.setItem = () => {
      throw new Error('QuotaExceededError');
    };
    const tab = new DraftSlot(local, memoryStorage());
    tab.start();
    expect(tab.save(draft, null).problem).toMatch(
      /Autosave failed: .*will not survive a reload: download it/,
    );
  });
});

describe('shareLink(draft, base)', () => {
  it('makes a link that opens back to the same draft', async () => {
    const made = await shareLink(draft, 'http://x/');
    expect(made.problem).toBeNull();
    expect(await draftFromFragment(made.url!.slice('http://x/'.length))).toEqual(draft);
  });

  it('refuses a draft over the size limits, saying why and what to do instead', async () => {
    const big = { ...draft, solutions: [{ text: 'a'.repeat(MAX_TEXT + 1), steps: null }] };
    const made = await shareLink(big, 'http://x/');
    expect(made.url).toBeNull();
    expect(made.problem).toMatch(
      /No link made: Solution 1 has 200,001 characters; the limit is 200,000\..*Export → JSON/,
    );
    // The same limit refuses it when opening: the link would not have opened.
    const fragment = await shareFragment(big);
    await expect(draftFromFragment(fragment)).rejects.toThrow(/200,001 characters; the limit is 200,000/);
  });

  it('refuses a link longer than browsers open', async () => {
    // Incompressible text under the size limit, in every solution: the link passes MAX_LINK_CHARS.
    let seed = 1;
    const noise = (n: number) =>
      Array.from({ length: n }, () =>
        String.fromCharCode(0x4e00 + ((seed = (seed * 16807) % 2147483647) % 20000)),
      ).join('');
    const wide = {
      ...draft,
      solutions: Array.from({ length: 16 }, () => ({ text: noise(190_000), steps: null })),
    };
    const made = await shareLink(wide, 'http://x/');
    expect(made.url).toBeNull();
    expect(made.problem).toMatch(/over the 2,000,000 that browsers open/);
    await expect(draftFromFragment(`#z=${'A'.repeat(MAX_LINK_CHARS)}`)).rejects.toThrow(
      /the limit is 2,000,000/,
    );
  });
});
