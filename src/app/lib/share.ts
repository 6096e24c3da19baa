/**
 * Share links: the draft (and, when it is scored, its scores: shared-scores.ts) travels in the URL fragment (`#z=...` deflate-raw compressed, or `#j=...`
 * plain where CompressionStream is missing), base64url encoded. Browsers never send the fragment
 * to a server, so a shared link reveals nothing to the host.
 *
 * Decoding treats the fragment as untrusted input (see `parseDraft`). This module does not touch
 * `location` or history; the caller does.
 */
import { draftToJson, limitProblem, parseDraft, DraftError, type Draft } from './draft.ts';
import type { ScoredRun } from './run.ts';
import { runFromShared, type SharedScoresJson } from './shared-scores.ts';

const WHERE = 'The shared link';
/** The `origin` of a run that came with a share link. */
export const SHARED_LINK = 'a shared link';

/**
 * Longest share link the app makes or opens (characters): Chromium refuses longer URLs (2 MB),
 * and links this long are cut by most chat and mail programs well before that.
 */
export const MAX_LINK_CHARS = 2_000_000;

/** Where to go instead of a link, when no link can be made. */
const INSTEAD = 'To keep or pass on this work, use Export → JSON (or Drafts → Download) instead.';

export function bytesToBase64url(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function base64urlToBytes(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text))
    throw new DraftError(`${WHERE} is damaged: it has characters that base64url does not use.`);
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  let binary: string;
  try {
    binary = atob(b64);
  } catch {
    throw new DraftError(`${WHERE} is damaged: its data is not valid base64url (was it cut short?).`);
  }
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

async function pipe(bytes: Uint8Array, stream: GenerativeTransform): Promise<Uint8Array> {
  const out = new Blob([bytes.slice()]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(out).arrayBuffer());
}

type GenerativeTransform = ReadableWritablePair<Uint8Array, Uint8Array>;

const canCompress = (): boolean =>
  typeof CompressionStream === 'function' && typeof DecompressionStream === 'function';

/**
 * The fragment (with its leading `#`) that reopens `draft`.
 *
 * @example
 * await shareFragment(draft) // '#z=q1YqU7JSMjQ...'
 */
export async function shareFragment(
  draft: Draft,
  compress = canCompress(),
  scores: SharedScoresJson | null = null,
): Promise<string> {
  const body = scores ? { ...draftToJson(draft), scores } : draftToJson(draft);
  const json = new TextEncoder().encode(JSON.stringify(body));
  if (!compress) return `#j=${bytesToBase64url(json)}`;
  const packed = await pipe(json, new CompressionStream('deflate-raw') as GenerativeTransform);
  return `#z=${bytesToBase64url(packed)}`;
}

/**
 * The draft in a fragment, or null when the fragment holds no shared draft (empty, or some other
 * anchor). Throws `DraftError` with a clear message when it is a share link but damaged.
 */
export async function draftFromFragment(hash: string): Promise<Draft | null> {
  return (await openFragment(hash))?.draft ?? null;
}

/**
 * A fragment's draft and the scores it carries (rebuilt as a run marked as from "a shared link"),
 * or why its scores were left out; null when the fragment holds no shared draft. Throws like
 * `draftFromFragment`.
 */
export async function openFragment(
  hash: string,
): Promise<{ draft: Draft; run: ScoredRun | null; scoresProblem: string | null } | null> {
  const json = await fragmentJson(hash);
  if (json === null) return null;
  const { value } = json;
  const draft = parseDraft(value, WHERE);
  const scores = (value as { scores?: unknown }).scores;
  if (scores === undefined) return { draft, run: null, scoresProblem: null };
  const out = runFromShared(scores, draft, SHARED_LINK);
  return { draft, run: out.run, scoresProblem: out.problem };
}

/** The JSON a share fragment holds, or null when the fragment is not a share link. */
async function fragmentJson(hash: string): Promise<{ value: unknown } | null> {
  const m = /^#?([zj])=(.*)$/s.exec(hash);
  if (!m) return null;
  if (hash.length > MAX_LINK_CHARS) {
    throw new DraftError(
      `${WHERE} has ${hash.length.toLocaleString('en')} characters; the limit is ${MAX_LINK_CHARS.toLocaleString('en')}.`,
    );
  }
  const bytes = base64urlToBytes(m[2]);
  let json = bytes;
  if (m[1] === 'z') {
    if (!canCompress())
      throw new DraftError(
        `${WHERE} is compressed, and this browser cannot decompress it (no DecompressionStream).`,
      );
    try {
      json = await pipe(bytes, new DecompressionStream('deflate-raw') as GenerativeTransform);
    } catch {
      throw new DraftError(`${WHERE} is damaged: its compressed data does not unpack (was it cut short?).`);
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch {
    throw new DraftError(`${WHERE} is damaged: its data is not valid JSON text.`);
  }
  return { value };
}

/**
 * The share link for `draft` at `base` (origin + path), or why there is none: over the size limits
 * (`limitProblem`, the same that autosave and opening a link use), too long a link, or a link that
 * does not open back to the same draft. Only a link this app would open is ever offered.
 */
export async function shareLink(
  draft: Draft,
  base: string,
  compress?: boolean,
  scores: SharedScoresJson | null = null,
): Promise<{ url: string; problem: null } | { url: null; problem: string }> {
  const over = limitProblem(draft);
  if (over) return { url: null, problem: `No link made: ${over} A link to it would not open. ${INSTEAD}` };
  const fragment = await shareFragment(draft, compress, scores);
  const url = `${base}${fragment}`;
  if (fragment.length > MAX_LINK_CHARS) {
    return {
      url: null,
      problem: `No link made: it would have ${url.length.toLocaleString('en')} characters, over the ${MAX_LINK_CHARS.toLocaleString('en')} that browsers open. ${INSTEAD}`,
    };
  }
  try {
    const back = await draftFromFragment(fragment);
    if (JSON.stringify(back && draftToJson(back)) !== JSON.stringify(draftToJson(draft))) {
      throw new Error('it opens to a different text');
    }
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return {
      url: null,
      problem: `No link made: the link would not open back to this work (${why}). ${INSTEAD}`,
    };
  }
  return { url, problem: null };
}
