/**
 * Autosave: the draft and the last run live in one localStorage entry, written on every change
 * (debounced by the caller) and read once at start-up. Storage is injected (`StorageLike`) so tests
 * run without a browser. A corrupt entry is reported and left in place under a backup key rather
 * than silently overwritten, so nothing typed is lost to a bug.
 *
 * Nothing here leaves the machine.
 */
import { draftToJson, parseDraft, type Draft, type DraftJson } from './draft.ts';
import { parseRun, type ScoredRun } from './run.ts';

export const AUTOSAVE_KEY = 'prm-playground:autosave';
export const BACKUP_KEY = 'prm-playground:autosave-unreadable';

export type StorageLike = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

interface Saved {
  draft: DraftJson;
  run: ScoredRun | null;
}

/** Writes the draft and run; returns an error message when storage refuses (quota, private mode). */
export function saveAutosave(storage: StorageLike, draft: Draft, run: ScoredRun | null): string | null {
  try {
    storage.setItem(AUTOSAVE_KEY, JSON.stringify({ draft: draftToJson(draft), run } satisfies Saved));
    return null;
  } catch (err) {
    return `Autosave failed (${err instanceof Error ? err.message : String(err)}): your text is still on the page, but will not survive a reload. Export it or copy a share link.`;
  }
}

export interface Loaded {
  draft: Draft | null;
  run: ScoredRun | null;
  /** Set when an entry existed but could not be read. */
  problem: string | null;
}

/** Reads the autosaved state; never throws. */
export function loadAutosave(storage: StorageLike): Loaded {
  let raw: string | null;
  try {
    raw = storage.getItem(AUTOSAVE_KEY);
  } catch {
    return {
      draft: null,
      run: null,
      problem: 'This browser does not allow local storage here, so nothing is autosaved.',
    };
  }
  if (raw === null) return { draft: null, run: null, problem: null };
  try {
    const saved = JSON.parse(raw) as Partial<Saved>;
    return { draft: parseDraft(saved.draft, 'The autosaved draft'), run: parseRun(saved.run), problem: null };
  } catch (err) {
    try {
      storage.setItem(BACKUP_KEY, raw);
    } catch {
      // Best effort only: the message below still tells the user.
    }
    const why = err instanceof Error ? err.message : String(err);
    return {
      draft: null,
      run: null,
      problem: `The autosaved draft could not be read (${why}). It was kept in localStorage under "${BACKUP_KEY}".`,
    };
  }
}

/** Forgets the autosave (the Clear button, after the user agreed). */
export function clearAutosave(storage: StorageLike): void {
  try {
    storage.removeItem(AUTOSAVE_KEY);
  } catch {
    // Nothing to clear when storage is unavailable.
  }
}
