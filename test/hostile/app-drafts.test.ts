/**
 * The draft history (src/app/lib/storage.ts) against the data-loss cases of the hostile-input
 * audit: a text over the size limits saved then refused on reload and overwritten by the next
 * one, one autosave slot shared by every tab, replaced work kept only in memory, and storage that
 * throws. Storage here is an in-memory `Storage` look-alike; the page-level cases are in
 * test/browser/storage.browser.test.ts.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { draftToJson, emptyDraft, MAX_TEXT, type Draft } from '../../src/app/lib/draft.ts';
import {
  AUTOSAVE_KEY,
  browserStorage,
  DRAFT_PREFIX,
  DraftSlot,
  listDrafts,
  MAX_DRAFTS,
  MAX_HISTORY_CHARS,
  STORAGE_BLOCKED,
  TAB_DRAFT_KEY,
} from '../../src/app/lib/storage.ts';
import { memoryStorage } from '../support/memory-storage.ts';

const draftOf = (problem: string, solution = 'Step one.\n\nStep two.'): Draft => ({
  ...emptyDraft(),
  problem,
  solutions: [{ text: solution, steps: null }],
});

/** A clock that moves one second per call, so every write has its own time. */
function clock(start = Date.UTC(2026, 11, 6, 9, 0, 0)) {
  let t = start;
  return () => (t += 1000);
}

describe('a text over the size limits', () => {
  const huge = draftOf('Big one', 'x'.repeat(MAX_TEXT + 5));

  it('is saved, said to be over the limit, not reopened on reload, and never overwritten', () => {
    const local = memoryStorage();
    const session = memoryStorage();
    const now = clock();
    const tab = new DraftSlot(local, session, now);
    expect(tab.start().draft).toBeNull();
    const saved = tab.save(huge, null);
    expect(saved.problem).toMatch(
      /Solution 1 has 200,005 characters; the limit is 200,000\..*saved in Drafts/,
    );

    // Reload: the page does not come back with a text it cannot hold, and says where it is.
    const reload = new DraftSlot(local, session, now);
    const start = reload.start();
    expect(start.draft).toBeNull();
    expect(start.problem).toMatch(/was not reopened: .*200,005 characters.* kept in Drafts/);
    // The page saves what is typed next into another draft; the refused one is intact.
    expect(reload.save(draftOf('Something new'), null).problem).toBeNull();
    const second = new DraftSlot(local, session, now);
    expect(second.start().draft?.problem).toBe('Something new');
    const all = listDrafts(local);
    const refused = all.find((d) => d.draft === null)!;
    expect(refused.problem).toMatch(/200,005 characters/);
    expect(refused.raw).toContain('x'.repeat(MAX_TEXT + 5));
    expect(refused.preview).toMatch(/^Big one x+/);
  });

  it('is refused with a message when it does not fit in storage at all, and nothing is removed', () => {
    const local = memoryStorage();
    const tab = new DraftSlot(local, memoryStorage(), clock());
    tab.start();
    tab.save(draftOf('Keep me'), null);
    tab.fork();
    const out = tab.save(draftOf('Way too big', 'y'.repeat(MAX_HISTORY_CHARS)), null);
    expect(out.problem).toMatch(/Autosave failed: .*does not fit.*download it \(Export\)/);
    expect(listDrafts(local).map((d) => d.draft?.problem)).toEqual(['Keep me']);
  });
});

describe('the history', () => {
  it('keeps replaced work: fork() leaves the old draft and starts a new one', () => {
    const local = memoryStorage();
    const tab = new DraftSlot(local, memoryStorage(), clock());
    tab.start();
    tab.save(draftOf('My own work'), null);
    tab.fork(draftOf('An example'));
    // The example is not written until it is edited...
    tab.save(draftOf('An example'), null);
    expect(listDrafts(local).map((d) => d.draft?.problem)).toEqual(['My own work']);
    // ...then it is a draft of its own, and the old one is still there.
    tab.save(draftOf('An example, edited'), null);
    expect(listDrafts(local).map((d) => d.draft?.problem)).toEqual(['An example, edited', 'My own work']);
  });

  it('keeps the text when the page is emptied (the next text is a new draft)', () => {
    const local = memoryStorage();
    const tab = new DraftSlot(local, memoryStorage(), clock());
    tab.start();
    tab.save(draftOf('Typed, then deleted'), null);
    tab.save(emptyDraft(), null);
    tab.save(draftOf('Fresh start'), null);
    expect(listDrafts(local).map((d) => d.draft?.problem)).toEqual(['Fresh start', 'Typed, then deleted']);
  });

  it(`is bounded: at most ${MAX_DRAFTS} drafts and ${MAX_HISTORY_CHARS.toLocaleString('en')} characters, oldest removed first`, () => {
    const local = memoryStorage();
    const tab = new DraftSlot(local, memoryStorage(), clock());
    tab.start();
    for (let i = 0; i < MAX_DRAFTS + 5; i++) {
      tab.save(draftOf(`Draft ${i}`), null);
      tab.fork();
    }
    const names = listDrafts(local).map((d) => d.draft?.problem);
    expect(names).toHaveLength(MAX_DRAFTS);
    expect(names[0]).toBe(`Draft ${MAX_DRAFTS + 4}`);
    expect(names.at(-1)).toBe('Draft 5');
    for (let i = 0; i < 12; i++) {
      tab.save(draftOf(`Big ${i}`, 'z'.repeat(190_000)), null);
      tab.fork();
    }
    const total = [...local.data]
      .filter(([k]) => k.startsWith(DRAFT_PREFIX))
      .reduce((n, [, v]) => n + v.length, 0);
    expect(total).toBeLessThanOrEqual(MAX_HISTORY_CHARS);
    expect(listDrafts(local)[0].draft?.problem).toBe('Big 11');
    expect(listDrafts(local).length).toBeLessThan(12);
  });

  it('makes room when the browser says the storage is full, removing the oldest drafts only', () => {
    const local = memoryStorage(2_000);
    const tab = new DraftSlot(local, memoryStorage(), clock());
    tab.start();
    for (let i = 0; i < 6; i++) {
      expect(tab.save(draftOf(`Draft ${i}`, 'w'.repeat(300)), null).problem).toBeNull();
      tab.fork();
    }
    const names = listDrafts(local).map((d) => d.draft?.problem);
    expect(names[0]).toBe('Draft 5');
    expect(names.length).toBeLessThan(6);
  });

  it('moves the autosave of earlier versions into the history, readable or not', () => {
    const local = memoryStorage();
    local.setItem(AUTOSAVE_KEY, JSON.stringify({ draft: draftToJson(draftOf('From before')), run: null }));
    const tab = new DraftSlot(local, memoryStorage(), clock());
    expect(tab.start().draft?.problem).toBe('From before');
    expect(local.getItem(AUTOSAVE_KEY)).toBeNull();

    const broken = memoryStorage();
    broken.setItem(AUTOSAVE_KEY, '{"draft": {"v": 99');
    const start = new DraftSlot(broken, memoryStorage(), clock()).start();
    expect(start.problem).toMatch(/was not reopened: The saved draft is not valid JSON/);
    expect(listDrafts(broken)[0].raw).toBe('{"draft": {"v": 99');
  });
});

describe('two tabs', () => {
  it('each save to their own draft: neither overwrites the other', () => {
    const local = memoryStorage();
    const now = clock();
    const a = new DraftSlot(local, memoryStorage(), now);
    const b = new DraftSlot(local, memoryStorage(), now);
    a.start();
    b.start();
    a.save(draftOf('Tab A text'), null);
    b.save(draftOf('Tab B text'), null);
    a.save(draftOf('Tab A text, more'), null);
    expect(listDrafts(local).map((d) => d.draft?.problem)).toEqual(['Tab A text, more', 'Tab B text']);
    // Each tab's reload gets its own text back.
    expect(new DraftSlot(local, a.session, now).start().draft?.problem).toBe('Tab A text, more');
    expect(new DraftSlot(local, b.session, now).start().draft?.problem).toBe('Tab B text');
  });

  it('a duplicated tab (same sessionStorage) moves to a new draft and says so, losing nothing', () => {
    const local = memoryStorage();
    const now = clock();
    const session = memoryStorage();
    const a = new DraftSlot(local, session, now);
    a.start();
    a.save(draftOf('Original'), null);
    const copy = memoryStorage(Infinity, new Map(session.data));
    const dup = new DraftSlot(local, copy, now);
    expect(dup.start().draft?.problem).toBe('Original');
    expect(a.save(draftOf('Original, edited in A'), null).notice).toBeNull();
    const out = dup.save(draftOf('Edited in the duplicate'), null);
    expect(out.notice).toMatch(/Another tab was saving to the same draft.*Nothing was overwritten/);
    expect(listDrafts(local).map((d) => d.draft?.problem)).toEqual([
      'Edited in the duplicate',
      'Original, edited in A',
    ]);
    expect(copy.getItem(TAB_DRAFT_KEY)).not.toBe(session.getItem(TAB_DRAFT_KEY));
  });

  it('a storage event for this tab’s draft from another page moves this tab to a new draft', () => {
    const local = memoryStorage();
    const now = clock();
    const a = new DraftSlot(local, memoryStorage(), now);
    a.start();
    a.save(draftOf('Mine'), null);
    const key = a.key;
    const foreign = JSON.stringify({
      v: 1,
      updated: now(),
      writer: 'someone else',
      draft: draftToJson(draftOf('Theirs')),
      run: null,
    });
    expect(a.noticeExternalWrite(key, foreign)).toMatch(/Another tab wrote to the draft/);
    expect(a.key).not.toBe(key);
    // Our own writes and other keys are not news.
    expect(a.noticeExternalWrite(`${DRAFT_PREFIX}other`, foreign)).toBeNull();
  });
});

describe('blocked storage', () => {
  it('browserStorage returns null when even reading the property throws', () => {
    const desc = Object.getOwnPropertyDescriptor(globalThis, 'localStorage');
    Object.defineProperty(globalThis, 'localStorage', {
      configurable: true,
      get() {
        throw new DOMException('The operation is insecure.', 'SecurityError');
      },
    });
    try {
      expect(browserStorage('localStorage')).toBeNull();
    } finally {
      if (desc) Object.defineProperty(globalThis, 'localStorage', desc);
      else delete (globalThis as { localStorage?: unknown }).localStorage;
    }
  });

  it('the slot says nothing will be saved, and saving is a no-op that never throws', () => {
    const tab = new DraftSlot(null, null, clock());
    expect(tab.start()).toEqual({ draft: null, run: null, problem: STORAGE_BLOCKED });
    expect(STORAGE_BLOCKED).toMatch(/nothing you type will be saved/);
    expect(tab.save(draftOf('Typed anyway'), null)).toEqual({ problem: null, notice: null });
    expect(listDrafts(null)).toEqual([]);
  });

  it('every storage access in src/ goes through src/app/lib/storage.ts (names in quotes are its arguments)', () => {
    const root = resolve(import.meta.dirname, '../../src');
    const walk = (dir: string): string[] =>
      readdirSync(dir).flatMap((n) =>
        statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)],
      );
    const offenders = walk(root)
      .filter((f) => /\.(ts|svelte)$/.test(f) && !f.endsWith(join('app', 'lib', 'storage.ts')))
      .filter((f) =>
        readFileSync(f, 'utf8')
          .split('\n')
          .some(
            (line) =>
              !/^\s*(\*|\/\/|<!--)/.test(line) &&
              /(?<!['"])\b(localStorage|sessionStorage|indexedDB)\b(?!['"])/.test(line),
          ),
      )
      .map((f) => relative(root, f));
    expect(offenders).toEqual([]);
  });
});

describe('scores', () => {
  it('are saved when only the run changed (the text was already saved)', () => {
    const local = memoryStorage();
    const session = memoryStorage();
    const tab = new DraftSlot(local, session, clock());
    tab.start();
    const d = draftOf('Scored later');
    tab.save(d, null);
    const run = {
      problem: d.problem,
      steps: [['Step one.', 'Step two.']],
      solutions: [{ rewards: [0.9, 0.2], tokenCount: 12, scoredSteps: 2 }],
      model: { name: 'm', source: 'bundled', dtype: 'q4' as const, family: 'qwen-prm' },
      backend: 'wasm' as const,
      defaultThreshold: 0.5,
      runMs: 3,
      at: '2026-12-06T09:00:00.000Z',
    };
    tab.save(d, run);
    expect(new DraftSlot(local, session, clock()).start().run).toEqual(run);
  });
});
