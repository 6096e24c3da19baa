/**
 * The one way the app reaches the browser's storage, and the draft history kept in it.
 *
 * Where the browser blocks site storage (cookies blocked, or the page framed by another site),
 * even reading `window.localStorage` throws; `browserStorage` / `browserIndexedDb` turn that into
 * null, and every caller then works without saving and says so. Nothing else in src/ touches
 * `localStorage`, `sessionStorage` or `indexedDB` (test/hostile/app-storage.test.ts checks).
 *
 * The draft history: each draft is one localStorage entry (`DRAFT_PREFIX` + id) holding the draft,
 * its last run and when and by which page it was written. Each tab writes only its own draft (its
 * id lives in sessionStorage, so a reload continues it), so two tabs never overwrite each other;
 * a tab that finds its draft written by another page (a duplicated tab) moves to a new draft and
 * says so. Replacing the text (example, share link, a draft from the history) starts a new draft,
 * so the old one stays in the history. At most `MAX_DRAFTS` drafts and `MAX_HISTORY_CHARS`
 * characters are kept; the oldest go first. A draft over the size limits (`limitProblem`) is still
 * kept, so it stays reachable (download or copy from the history), but is never reopened as is.
 *
 * Nothing here leaves the machine. Storage is injected (`StorageLike`), so tests run without a browser.
 */
import { draftToJson, isEmptyDraft, limitProblem, parseDraft, type Draft, type DraftJson } from './draft.ts';
import { parseRun, type ScoredRun } from './run.ts';

export type StorageLike = Pick<Storage, 'getItem' | 'setItem' | 'removeItem' | 'key' | 'length'>;

/**
 * `localStorage` or `sessionStorage`, or null where the browser refuses it (the property access
 * throws, or writing a probe does: storage blocked, or a private mode without storage).
 */
export function browserStorage(kind: 'localStorage' | 'sessionStorage'): StorageLike | null {
  try {
    const s = (globalThis as Record<string, unknown>)[kind] as Storage | undefined;
    if (!s) return null;
    const probe = 'prm-playground:probe';
    s.setItem(probe, '1');
    s.removeItem(probe);
    return s;
  } catch {
    return null;
  }
}

/**
 * `indexedDB`, or null where there is none or the browser refuses it. The caller names the type
 * (`IDBFactory`), so this module also type-checks without the DOM library (Node tests).
 */
export function browserIndexedDb<T extends object>(): T | null {
  try {
    return (globalThis as unknown as { indexedDB?: T }).indexedDB ?? null;
  } catch {
    return null;
  }
}

/** Reads `key`; null when absent or when storage refuses. */
export function readItem(storage: StorageLike | null, key: string): string | null {
  try {
    return storage?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

/** Writes `key`; returns false when storage refuses (blocked, full). */
export function writeItem(storage: StorageLike | null, key: string, value: string): boolean {
  try {
    if (!storage) return false;
    storage.setItem(key, value);
    return true;
  } catch {
    return false;
  }
}

export const STORAGE_BLOCKED =
  'This browser does not let this page store anything (site storage is blocked, or the page is inside another site’s frame), so nothing you type will be saved: not on reload, not in the draft history. Export your work or copy a share link to keep it.';

/** The single autosave entry of earlier versions; moved into the history at start-up. */
export const AUTOSAVE_KEY = 'prm-playground:autosave';
export const BACKUP_KEY = 'prm-playground:autosave-unreadable';
export const DRAFT_PREFIX = 'prm-playground:draft:';
/** sessionStorage: the id of this tab's draft. */
export const TAB_DRAFT_KEY = 'prm-playground:tab-draft';
export const MAX_DRAFTS = 20;
/** All drafts together (characters of JSON): well inside the usual 5 MB localStorage quota. */
export const MAX_HISTORY_CHARS = 2_000_000;

interface Entry {
  v: 1;
  /** Milliseconds since the epoch of the last write. */
  updated: number;
  /** The page (one load of one tab) that wrote it. */
  writer: string;
  draft: DraftJson;
  run: ScoredRun | null;
}

/** One draft of the history, as listed. */
export interface SavedDraft {
  id: string;
  /** When it was last written (ms since the epoch); 0 when unknown. */
  updated: number;
  /** The stored text, for download or copy whatever its state. */
  raw: string;
  /** The draft, or null when it cannot be opened (see `problem`). */
  draft: Draft | null;
  run: ScoredRun | null;
  /** Why it cannot be opened (over the size limits, or unreadable), or null. */
  problem: string | null;
  /** Its first words, to recognise it. */
  preview: string;
}

const WHERE = 'The saved draft';

/** Reads one stored entry; never throws. */
export function readEntry(id: string, raw: string): SavedDraft {
  let value: Partial<Entry>;
  try {
    value = JSON.parse(raw) as Partial<Entry>;
  } catch {
    return {
      id,
      updated: 0,
      raw,
      draft: null,
      run: null,
      problem: `${WHERE} is not valid JSON.`,
      preview: raw.slice(0, 80),
    };
  }
  const updated = typeof value.updated === 'number' ? value.updated : 0;
  const json = value.draft as Partial<DraftJson> | undefined;
  const preview = firstWords(
    `${typeof json?.problem === 'string' ? json.problem : ''} ${Array.isArray(json?.solutions) && typeof json.solutions[0]?.text === 'string' ? json.solutions[0].text : ''}`,
  );
  try {
    return {
      id,
      updated,
      raw,
      draft: parseDraft(value.draft, WHERE),
      run: parseRun(value.run),
      problem: null,
      preview,
    };
  } catch (err) {
    return {
      id,
      updated,
      raw,
      draft: null,
      run: null,
      problem: err instanceof Error ? err.message : String(err),
      preview,
    };
  }
}

function firstWords(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > 80 ? `${t.slice(0, 79)}…` : t;
}

/** Every draft in `storage`, newest first. */
export function listDrafts(storage: StorageLike | null): SavedDraft[] {
  if (!storage) return [];
  const out: SavedDraft[] = [];
  try {
    for (let i = 0; i < storage.length; i++) {
      const key = storage.key(i);
      if (!key?.startsWith(DRAFT_PREFIX)) continue;
      const raw = storage.getItem(key);
      if (raw !== null) out.push(readEntry(key.slice(DRAFT_PREFIX.length), raw));
    }
  } catch {
    // Storage went away while reading: list what was read.
  }
  return out.sort((a, b) => b.updated - a.updated);
}

/** A new draft id: time plus randomness, unique across tabs. */
export function newDraftId(now = Date.now()): string {
  return `${now.toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** The outcome of `DraftSlot.save`: what to tell the user, if anything. */
export interface SaveOutcome {
  /** An error to show (not saved, or saved but over the limits), or null. */
  problem: string | null;
  /** Information to show once (this tab moved to a new draft), or null. */
  notice: string | null;
}

/**
 * This tab's draft: where the page saves as the user types, what it restores on reload, and how
 * it starts a new draft when the text is replaced. One instance per page.
 */
export class DraftSlot {
  readonly local: StorageLike | null;
  readonly session: StorageLike | null;
  /** This page load; written into each entry to tell pages apart. */
  readonly writer = newDraftId();
  /** The id this tab writes to. */
  id: string;
  /** `updated` of our entry when we last read or wrote it (null: not written yet). */
  #stamp: number | null = null;
  /** The serialised draft and run last saved or loaded, so an unchanged page writes nothing. */
  #baseline: string | null = null;
  readonly #now: () => number;

  constructor(local: StorageLike | null, session: StorageLike | null, now: () => number = Date.now) {
    this.local = local;
    this.session = session;
    this.#now = now;
    this.id = readItem(session, TAB_DRAFT_KEY) ?? newDraftId(now());
    writeItem(session, TAB_DRAFT_KEY, this.id);
  }

  get available(): boolean {
    return this.local !== null;
  }

  get key(): string {
    return DRAFT_PREFIX + this.id;
  }

  /**
   * What to show at start-up: this tab's draft (a reload), else the newest draft (a new tab, as
   * a starting point: it is written under this tab's own id only once changed). Moves an autosave
   * of earlier versions into the history first. A draft that cannot be opened is left in the
   * history, and the message says where it is.
   */
  start(): { draft: Draft | null; run: ScoredRun | null; problem: string | null } {
    if (!this.local) return { draft: null, run: null, problem: STORAGE_BLOCKED };
    this.#migrate();
    const own = readItem(this.local, this.key);
    const saved = own !== null ? readEntry(this.id, own) : listDrafts(this.local)[0];
    if (!saved) return { draft: null, run: null, problem: null };
    if (!saved.draft) {
      // Never write over it: this tab continues in a new draft.
      this.fork();
      return {
        draft: null,
        run: null,
        problem: `Your last draft${saved.updated ? ` (saved ${timeLabel(saved.updated, this.#now())})` : ''} was not reopened: ${saved.problem} It is kept in Drafts, where you can download or copy it.`,
      };
    }
    if (own !== null) this.#stamp = saved.updated;
    else this.fork();
    this.#baseline = contentOf(saved.draft, saved.run);
    return { draft: saved.draft, run: saved.run, problem: null };
  }

  /** From now on, write to a new draft (the current one stays in the history as it is). */
  fork(baseline: Draft | null = null): void {
    this.id = newDraftId(this.#now());
    this.#stamp = null;
    this.#baseline = baseline ? contentOf(baseline, null) : null;
    writeItem(this.session, TAB_DRAFT_KEY, this.id);
  }

  /** Saves the page's draft into this tab's entry (bounded history, oldest drafts go first). */
  save(draft: Draft, run: ScoredRun | null): SaveOutcome {
    const none: SaveOutcome = { problem: null, notice: null };
    if (!this.local) return none;
    const json = draftToJson(draft);
    const content = contentOf(draft, run);
    if (content === this.#baseline) return none;
    if (isEmptyDraft(draft)) {
      // Emptying the page keeps what was there in the history; the next text is a new draft.
      if (this.#stamp !== null) this.fork(draft);
      return none;
    }
    let notice: string | null = null;
    const current = readItem(this.local, this.key);
    if (current !== null) {
      const theirs = readEntry(this.id, current);
      if (theirs.updated !== this.#stamp && writerOf(current) !== this.writer) {
        this.fork();
        notice =
          'Another tab was saving to the same draft as this one (a duplicated tab?). Nothing was overwritten: this tab now saves to a draft of its own; both are in Drafts.';
      }
    }
    const over = limitProblem(draft);
    const entry: Entry = {
      v: 1,
      updated: Math.max(this.#now(), (this.#stamp ?? 0) + 1),
      writer: this.writer,
      draft: json,
      run,
    };
    const value = JSON.stringify(entry);
    const stored = this.#write(value);
    if (!stored) {
      return {
        problem: `Autosave failed: this draft (${value.length.toLocaleString('en')} characters) does not fit in this browser’s storage even with older drafts removed. Your text is still on the page, but will not survive a reload: download it (Export) to keep it.`,
        notice,
      };
    }
    this.#stamp = entry.updated;
    this.#baseline = content;
    return {
      problem: over
        ? `${over} Your text is saved in Drafts and stays there to download or copy, but it will not be reopened on reload or fit in a share link until it is shorter.`
        : null,
      notice,
    };
  }

  /**
   * Another page changed `key` (a `storage` event). Returns a message when it was this tab's
   * draft: this tab then saves its own text to a new draft at the next save.
   */
  noticeExternalWrite(key: string | null, newValue: string | null): string | null {
    if (key !== this.key || newValue === null || writerOf(newValue) === this.writer) return null;
    this.fork();
    return 'Another tab wrote to the draft this tab was saving to (a duplicated tab?). Nothing was overwritten: this tab now saves to a draft of its own; both are in Drafts.';
  }

  /** Writes our entry, removing the oldest other drafts while over the bounds or the quota. */
  #write(value: string): boolean {
    const local = this.local!;
    if (value.length > MAX_HISTORY_CHARS) return false;
    const others = listDrafts(local).filter((d) => d.id !== this.id);
    let total = value.length + others.reduce((n, d) => n + d.raw.length, 0);
    // Oldest last in `others`: drop from the end.
    while (others.length > 0 && (others.length + 1 > MAX_DRAFTS || total > MAX_HISTORY_CHARS)) {
      const old = others.pop()!;
      total -= old.raw.length;
      removeDraft(local, old.id);
    }
    for (;;) {
      if (writeItem(local, this.key, value)) return true;
      const old = others.pop();
      if (!old) return false;
      removeDraft(local, old.id);
    }
  }

  /** Moves the single autosave entry of earlier versions (and its backup) into the history. */
  #migrate(): void {
    for (const key of [AUTOSAVE_KEY, BACKUP_KEY]) {
      const raw = readItem(this.local, key);
      if (raw === null) continue;
      let value = raw;
      try {
        const old = JSON.parse(raw) as { draft?: unknown; run?: unknown };
        value = JSON.stringify({
          v: 1,
          updated: this.#now() - 1,
          writer: 'earlier version',
          draft: old.draft,
          run: old.run ?? null,
        });
      } catch {
        // Kept as it is: listed as unreadable, still downloadable.
      }
      if (writeItem(this.local, DRAFT_PREFIX + newDraftId(this.#now()), value)) {
        try {
          this.local!.removeItem(key);
        } catch {
          // Left where it was; nothing lost.
        }
      }
    }
  }
}

/** What an entry holds, to tell whether anything changed since the last write. */
function contentOf(draft: Draft, run: ScoredRun | null): string {
  return JSON.stringify([draftToJson(draft), run]);
}

function writerOf(raw: string): string | null {
  try {
    const w = (JSON.parse(raw) as Partial<Entry> | null)?.writer;
    return typeof w === 'string' ? w : null;
  } catch {
    return null;
  }
}

/** Removes one draft (the user asked, or the history is over its bounds). */
export function removeDraft(storage: StorageLike | null, id: string): void {
  try {
    storage?.removeItem(DRAFT_PREFIX + id);
  } catch {
    // Nothing to remove without storage.
  }
}

/** "today 10:31", "yesterday 18:02" or "3 Dec 2026 10:31", in local time. */
export function timeLabel(ms: number, now = Date.now()): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  const hm = `${p(d.getHours())}:${p(d.getMinutes())}`;
  const day = (x: Date) => `${x.getFullYear()}-${x.getMonth()}-${x.getDate()}`;
  if (day(d) === day(new Date(now))) return `today ${hm}`;
  if (day(d) === day(new Date(now - 86_400_000))) return `yesterday ${hm}`;
  const month = d.toLocaleString('en', { month: 'short' });
  return `${d.getDate()} ${month} ${d.getFullYear()} ${hm}`;
}

/**
 * The texts of a saved draft as plain text (problem, then each solution), for download or copy.
 * Works for drafts that cannot be opened too: over the limits, or from a damaged entry (then the
 * stored text as it is).
 */
export function draftText(saved: SavedDraft): string {
  try {
    const d = (JSON.parse(saved.raw) as { draft?: { problem?: unknown; solutions?: { text?: unknown }[] } })
      .draft;
    if (d && typeof d.problem === 'string' && Array.isArray(d.solutions)) {
      const parts = [`Problem:\n${d.problem}`];
      d.solutions.forEach((s, i) => {
        if (typeof s?.text === 'string') parts.push(`Solution ${i + 1}:\n${s.text}`);
      });
      return `${parts.join('\n\n')}\n`;
    }
  } catch {
    // Not JSON: the stored text itself.
  }
  return saved.raw;
}
