/**
 * The catalog of public PRMs (`prm-catalog.json`, each row citing its model card or code) and a
 * "fits this device?" estimate from what a page can learn: the WebGPU adapter's buffer limits and
 * `navigator.storage.estimate()`. Pure: the caller gathers the device facts.
 *
 * The q4 size is derived (the reference's 0.56 bytes per parameter with a 4-bit embedding, plus the
 * float32 embedding when it stays unquantized), not measured; the page says so.
 */
import raw from './prm-catalog.json' with { type: 'json' };
import { MODEL_FAMILIES } from './spec.ts';
import type { ModelFamily } from './types.ts';

export interface CatalogEntry {
  repo: string;
  revision: string;
  /** null: the format could not be confirmed from the model's code. */
  family: ModelFamily | null;
  parameters: number;
  base: string;
  checkpoint: { format: 'safetensors' | 'pytorch' | null; bytes: number | null };
  /** Embedding table shape where the sources give it (the largest single weight). */
  embedding: { vocab: number; hidden: number } | null;
  prompt: { stepSeparator: string | null; stepToken: string | null; systemPrompt: string | null };
  license: string | null;
  /** `prm convert` flags this model needs beyond the family defaults. */
  convertFlags: string[];
  notes: string;
  sources: string[];
}

const FAMILIES: readonly (ModelFamily | null)[] = [...MODEL_FAMILIES, null];

const isStr = (v: unknown): v is string => typeof v === 'string';
const strOrNull = (v: unknown) => v === null || typeof v === 'string';
const posInt = (v: unknown) => Number.isSafeInteger(v) && (v as number) > 0;

/**
 * Checks the catalog's shape row by row; throws an Error naming the row and field. The catalog is a
 * file of this repository, so a bad row is a bug to fix here, never something a user can act on.
 *
 * @example
 * parseCatalog({ models: [] }) // []
 */
export function parseCatalog(data: unknown): CatalogEntry[] {
  const models = (data as { models?: unknown } | null)?.models;
  if (!Array.isArray(models)) throw new Error('the catalog has no "models" list');
  const seen = new Set<string>();
  return models.map((m: Record<string, unknown>, i) => {
    const where = `catalog row ${i} (${isStr(m?.repo) ? m.repo : '?'})`;
    const bad = (field: string): never => {
      throw new Error(`${where}: "${field}" is missing or malformed`);
    };
    if (!isStr(m.repo) || !/^[\w.-]+\/[\w.-]+$/.test(m.repo)) bad('repo');
    if (!isStr(m.revision) || !m.revision) bad('revision');
    if (!FAMILIES.includes(m.family as ModelFamily | null)) bad('family');
    if (!posInt(m.parameters)) bad('parameters');
    if (!isStr(m.base)) bad('base');
    const ck = m.checkpoint as Record<string, unknown> | null;
    if (
      !ck ||
      ![null, 'safetensors', 'pytorch'].includes(ck.format as string) ||
      !(ck.bytes === null || posInt(ck.bytes))
    )
      bad('checkpoint');
    const emb = m.embedding as Record<string, unknown> | null;
    if (emb !== null && !(emb && posInt(emb.vocab) && posInt(emb.hidden))) bad('embedding');
    const pr = m.prompt as Record<string, unknown> | null;
    if (!pr || !strOrNull(pr.stepSeparator) || !strOrNull(pr.stepToken) || !strOrNull(pr.systemPrompt))
      bad('prompt');
    if (!strOrNull(m.license)) bad('license');
    if (!Array.isArray(m.convertFlags) || !m.convertFlags.every(isStr)) bad('convertFlags');
    if (!isStr(m.notes)) bad('notes');
    if (!Array.isArray(m.sources) || m.sources.length === 0 || !m.sources.every(isStr)) bad('sources');
    const key = `${m.repo}@${m.revision}`;
    if (seen.has(key)) throw new Error(`${where}: listed twice`);
    seen.add(key);
    return m as unknown as CatalogEntry;
  });
}

/** The catalog, checked at load. */
export const CATALOG: readonly CatalogEntry[] = parseCatalog(raw);

/** Whether the playground can convert and score this model today. */
export function isConvertible(e: CatalogEntry): boolean {
  return e.family !== null && e.checkpoint.format !== null;
}

/** 4-bit block weights: half a byte per value plus a float32 scale per 32 values, about 0.56 with overheads. */
const Q4_BYTES_PER_PARAM = 0.56;

/** Whether the converted model stores its embedding 4-bit (`--quantize-embedding`). */
export function quantizesEmbedding(e: CatalogEntry): boolean {
  return e.convertFlags.includes('--quantize-embedding');
}

/**
 * The converted q4 folder's size (derived): 0.56 bytes a parameter, plus 3.44 more per embedding
 * value when the embedding stays float32.
 *
 * @example
 * estimateQ4Bytes(CATALOG.find((e) => e.repo === 'Qwen/Qwen2.5-Math-PRM-7B')!) // about 4.3e9
 */
export function estimateQ4Bytes(e: CatalogEntry): number {
  const base = e.parameters * Q4_BYTES_PER_PARAM;
  if (!e.embedding || quantizesEmbedding(e)) return Math.round(base);
  return Math.round(base + e.embedding.vocab * e.embedding.hidden * (4 - Q4_BYTES_PER_PARAM));
}

/** The largest single weight of the converted model (one GPU buffer), or null when unknown. */
export function largestWeightBytes(e: CatalogEntry): number | null {
  if (!e.embedding) return null;
  const values = e.embedding.vocab * e.embedding.hidden;
  return Math.round(values * (quantizesEmbedding(e) ? Q4_BYTES_PER_PARAM : 4));
}

/** What a page knows about its device; any fact may be missing (null). */
export interface DeviceFacts {
  /** WebGPU adapter limits, or null without WebGPU. */
  gpu: { maxBufferSize: number; maxStorageBufferBindingSize: number } | null;
  /** `navigator.storage.estimate()`; null when the browser does not say. */
  storage: { quota: number; usage: number } | null;
}

export type FitVerdict = 'fits' | 'tight' | 'no' | 'unknown';

export interface FitEstimate {
  verdict: FitVerdict;
  /** One line per check, for the picker. */
  reasons: string[];
  q4Bytes: number;
}

// onnxruntime-web's WASM build has a 4 GiB wasm32 heap; the weights must leave room for activations.
const WASM_WEIGHT_LIMIT = 2.5 * 1024 ** 3;
// Binary units labelled GB, as the rest of the app shows sizes (formatBytes in ./format.ts).
const GB = 1024 ** 3;
const gb = (n: number) => `${(n / GB).toFixed(n < 10 * GB ? 1 : 0)} GB`;

/**
 * Whether a catalog model is likely to fit this device: converted size against free storage, its
 * largest weight against the adapter's buffer limits, and without WebGPU its size against the
 * WASM heap. "tight" means under 1.5x headroom on storage.
 *
 * @example
 * fitEstimate(entry, { gpu: { maxBufferSize: 2 ** 31, maxStorageBufferBindingSize: 2 ** 31 }, storage: { quota: 1e11, usage: 0 } })
 * // { verdict: 'fits', reasons: [...], q4Bytes: ... }
 */
export function fitEstimate(e: CatalogEntry, device: DeviceFacts): FitEstimate {
  const q4Bytes = estimateQ4Bytes(e);
  const reasons: string[] = [];
  const verdicts: FitVerdict[] = [];
  if (!isConvertible(e)) {
    return {
      verdict: 'no',
      reasons: ['its format is not confirmed'],
      q4Bytes,
    };
  }
  if (device.storage) {
    const free = Math.max(0, device.storage.quota - device.storage.usage);
    if (q4Bytes > free) {
      verdicts.push('no');
      reasons.push(`needs about ${gb(q4Bytes)} of storage; ${gb(free)} is free for this site`);
    } else {
      verdicts.push(q4Bytes * 1.5 > free ? 'tight' : 'fits');
      reasons.push(`about ${gb(q4Bytes)} of ${gb(free)} free storage`);
    }
  } else {
    verdicts.push('unknown');
    reasons.push('the browser does not report free storage');
  }
  const largest = largestWeightBytes(e);
  if (device.gpu) {
    const limit = Math.min(device.gpu.maxBufferSize, device.gpu.maxStorageBufferBindingSize);
    if (largest === null && q4Bytes <= limit) {
      verdicts.push('fits');
      reasons.push(`the whole model (${gb(q4Bytes)}) is within the GPU's ${gb(limit)} buffer limit`);
    } else if (largest === null) {
      verdicts.push('unknown');
      reasons.push('its largest weight is not in the catalog');
    } else if (largest > limit) {
      verdicts.push('no');
      reasons.push(`its largest weight (${gb(largest)}) exceeds this GPU's buffer limit (${gb(limit)})`);
    } else {
      verdicts.push('fits');
      reasons.push(`largest weight ${gb(largest)} within the GPU's ${gb(limit)} buffer limit`);
    }
  } else if (q4Bytes > WASM_WEIGHT_LIMIT) {
    verdicts.push('no');
    reasons.push(
      `no WebGPU, and ${gb(q4Bytes)} of weights is too much for the WASM fallback (about ${gb(WASM_WEIGHT_LIMIT)})`,
    );
  } else {
    verdicts.push('tight');
    reasons.push('no WebGPU: runs on the slower WASM fallback');
  }
  const order: FitVerdict[] = ['no', 'unknown', 'tight', 'fits'];
  const verdict = order.find((v) => verdicts.includes(v)) ?? 'unknown';
  return { verdict, reasons, q4Bytes };
}
