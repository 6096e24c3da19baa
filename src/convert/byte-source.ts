/**
 * Random access to the files of a checkpoint, wherever they are: a local folder (src/node/
 * local-files.ts, Node fs) or a Hugging Face Hub repo read by HTTP range requests
 * (`hub-files.ts`, fetch: Node 20 and browsers). The checkpoint readers (`safetensors.ts`,
 * `pickle.ts`) see only these interfaces, so the same converter code runs in the CLI and a page.
 *
 * `coalesceReads` groups neighbouring small tensors into one read of up to `segmentBytes`, so a
 * remote checkpoint costs a few hundred range requests rather than one per layer-norm vector.
 *
 * Deliberately does not: cache whole files, or write anything.
 */

/** One file, read by byte range. */
export interface ByteSource {
  /** The file as shown in messages (an absolute path, or `hf:owner/name@rev/file`). */
  readonly name: string;
  readonly size: number;
  /**
   * Exactly `length` bytes from `offset`, into `into` when it holds at least `length` bytes (the
   * result is then a view of it), else into a fresh ArrayBuffer of its own (8-byte aligned).
   * Throws when the file ends early.
   */
  read(offset: number, length: number, into?: ArrayBuffer): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** The files of one checkpoint (a folder, or a repo at one commit). */
export interface CheckpointFiles {
  /** The folder or repo as shown in messages (an absolute path, or `hf:owner/name@rev`). */
  readonly label: string;
  /** The default model name: the folder's or repo's last path part. */
  readonly name: string;
  /** File names relative to the checkpoint root ('/'-separated). */
  list(): Promise<string[]>;
  /** How `file` is named in messages. */
  path(file: string): string;
  /** A whole (small) file as text; a missing file is null. */
  readText(file: string): Promise<string | null>;
  open(file: string): Promise<ByteSource>;
  /** Remote sources want neighbouring tensor reads grouped (`coalesceReads`). */
  readonly remote: boolean;
}

/** A region of a file that will be read whole (a tensor's bytes). */
export interface Extent {
  offset: number;
  length: number;
}

/** Tensors read together into one request, up to this many bytes (tens of MB: few requests, bounded memory). */
export const DEFAULT_SEGMENT_BYTES = 32 * 1024 * 1024;
// Segments kept after their read, for the other tensors in them still to come.
const KEPT_SEGMENTS = 4;

export function freshBuffer(length: number, into?: ArrayBuffer): Uint8Array {
  return new Uint8Array(into && into.byteLength >= length ? into : new ArrayBuffer(length), 0, length);
}

/**
 * Groups `extents` (sorted by offset, gaps under 64 KiB bridged) into segments of at most
 * `segmentBytes`; an extent larger than that is its own (unread-ahead) segment.
 *
 * @example
 * planSegments([{ offset: 0, length: 10 }, { offset: 10, length: 5 }], 100) // [{ offset: 0, length: 15 }]
 */
export function planSegments(extents: Extent[], segmentBytes: number): Extent[] {
  const sorted = extents.filter((e) => e.length > 0).sort((a, b) => a.offset - b.offset);
  const out: Extent[] = [];
  let cur: Extent | null = null;
  for (const e of sorted) {
    const end = e.offset + e.length;
    if (e.length > segmentBytes) {
      if (cur) out.push(cur);
      cur = null;
      continue;
    }
    if (cur && e.offset - (cur.offset + cur.length) <= 65536 && end - cur.offset <= segmentBytes) {
      cur.length = Math.max(cur.length, end - cur.offset);
    } else {
      if (cur) out.push(cur);
      cur = { offset: e.offset, length: e.length };
    }
  }
  if (cur) out.push(cur);
  return out;
}

/**
 * Wraps `source` so a read inside one of the planned segments fetches the whole segment once and
 * serves the other tensors in it from memory (the last few segments are kept). Reads outside
 * every segment (large tensors) go straight through.
 *
 * @example
 * const src = coalesceReads(remote, tensors.map((t) => ({ offset: t.offset, length: t.byteLength })));
 */
export function coalesceReads(
  source: ByteSource,
  extents: Extent[],
  segmentBytes = DEFAULT_SEGMENT_BYTES,
): ByteSource {
  const segments = planSegments(extents, segmentBytes);
  const kept = new Map<number, Promise<Uint8Array>>();
  const find = (offset: number, length: number): Extent | undefined => {
    // Binary search for the last segment starting at or before `offset`.
    let lo = 0;
    let hi = segments.length - 1;
    let hit = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (segments[mid].offset <= offset) {
        hit = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const s = hit >= 0 ? segments[hit] : undefined;
    return s && offset + length <= s.offset + s.length ? s : undefined;
  };
  return {
    name: source.name,
    size: source.size,
    close: () => {
      kept.clear();
      return source.close();
    },
    async read(offset, length, into) {
      const seg = find(offset, length);
      if (!seg || seg.length === length) return source.read(offset, length, into);
      let bytes = kept.get(seg.offset);
      if (bytes) {
        kept.delete(seg.offset);
      } else {
        bytes = source.read(seg.offset, seg.length);
        // A failed read is not kept: the next read of the segment tries again.
        bytes.catch(() => kept.delete(seg.offset));
      }
      kept.set(seg.offset, bytes);
      while (kept.size > KEPT_SEGMENTS) kept.delete(kept.keys().next().value!);
      const all = await bytes;
      const out = freshBuffer(length, into);
      out.set(all.subarray(offset - seg.offset, offset - seg.offset + length));
      return out;
    },
  };
}
