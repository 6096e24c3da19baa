/**
 * A `TokenizerLike` (src/core/types.ts) over @huggingface/transformers' `PreTrainedTokenizer`,
 * built from the already-read `tokenizer.json` and `tokenizer_config.json` of a model folder, so
 * bundled, Hub and local models (and the Node CLI) share one path.
 *
 * It runs in the browser worker and in Node alike: no DOM, no fetch, no onnxruntime import, no
 * file reading (callers hand in text or parsed JSON). It does not load tokenizers by repo id: the
 * model sources fetch and cache the files, this module only builds the tokenizer.
 */
import { PreTrainedTokenizer } from '@huggingface/transformers';
import type { TokenizerLike, UserSpan } from '../core/types.ts';

/** Tokenizer files that are missing, unreadable, or cannot be parsed or built; the message names the file and the problem. */
export class TokenizerFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'TokenizerFileError';
  }
}

/** A `TokenizerLike` that also keeps the transformers.js tokenizer for callers that need more. */
export interface HfTokenizer extends TokenizerLike {
  readonly inner: PreTrainedTokenizer;
  /** Number of entries in the vocabulary, added tokens included. */
  readonly vocabSize: number;
}

function parseObject(text: string, file: string): Record<string, unknown> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new TokenizerFileError(
      file,
      `${file} is not valid JSON (${(e as Error).message}); re-download or re-convert the model.`,
    );
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new TokenizerFileError(
      file,
      `${file} must hold a JSON object, got ${Array.isArray(data) ? 'a list' : typeof data}.`,
    );
  }
  return data as Record<string, unknown>;
}

/** The parts of tokenizers.js' `Tokenizer` that user-span encoding reaches into (dist/tokenizers.mjs). */
interface TokenizerInternals {
  splitter_unnormalized: { split(text: string): string[] };
  added_tokens_map: Map<string, { special: boolean }>;
  all_special_ids: number[];
  model: { unk_token_id?: number };
}

/**
 * Runs `encode` (which must encode exactly `text`) so that special tokens inside `spans` are
 * split like plain text. tokenizers.js first cuts the text at added tokens (its
 * `splitter_unnormalized`) and encodes the pieces between them on their own; this swaps in a
 * splitter that glues a special token found inside a span back into the text around it. Outside
 * the spans, and for text with no special strings in the spans, the cuts and so the ids are the
 * same as a plain encode. If a special id still comes out of a span (a piece that is exactly a
 * special token, or one the normalizer reaches), the text is refused rather than read as control.
 */
function encodeWithUserSpans(
  core: TokenizerInternals,
  text: string,
  spans: UserSpan[],
  encode: () => number[],
  /** Special ids the post-processor adds around any text (e.g. bos). */
  wrapperSpecials: number,
  file: string,
): number[] {
  const original = core.splitter_unnormalized;
  core.splitter_unnormalized = {
    split(t) {
      const sections = original.split(t);
      if (t !== text) return sections;
      const out: string[] = [];
      let plain = '';
      let at = 0;
      for (const section of sections) {
        const start = at;
        at += section.length;
        const token = core.added_tokens_map.get(section);
        const inUser = token?.special === true && spans.some(([a, b]) => start < b && at > a);
        if (token && !inUser) {
          if (plain) out.push(plain);
          plain = '';
          out.push(section);
        } else {
          plain += section;
        }
      }
      if (plain) out.push(plain);
      return out;
    },
  };
  let ids: number[];
  try {
    ids = encode();
  } finally {
    core.splitter_unnormalized = original;
  }
  // The unknown token stands for text the vocabulary lacks; it controls nothing.
  const special = new Set(core.all_special_ids.filter((id) => id !== core.model.unk_token_id));
  const found = ids.filter((id) => special.has(id)).length;
  if (found > specialsOutside(core, text, spans) + wrapperSpecials) {
    throw new TokenizerFileError(
      file,
      `the text holds a control string of ${file} (such as <|im_end|>) that this tokenizer can only read as a ` +
        'control token, never as text; remove it or put a character next to it.',
    );
  }
  return ids;
}

/** How many special-token strings the text holds outside the spans (longest match first). */
function specialsOutside(core: TokenizerInternals, text: string, spans: UserSpan[]): number {
  const specials = [...core.added_tokens_map].filter(([, t]) => t.special).map(([s]) => s);
  specials.sort((a, b) => b.length - a.length);
  const first = new Set(specials.map((s) => s[0]));
  let n = 0;
  for (let i = 0; i < text.length;) {
    const hit =
      first.has(text[i]) && !spans.some(([a, b]) => i >= a && i < b)
        ? specials.find((s) => text.startsWith(s, i))
        : undefined;
    if (hit) n++;
    i += hit ? hit.length : 1;
  }
  return n;
}

/**
 * A `TokenizerLike` from parsed `tokenizer.json` and `tokenizer_config.json` objects.
 *
 * @example
 * const tok = tokenizerFromJSON(JSON.parse(tokenizerJson), JSON.parse(tokenizerConfigJson));
 * tok.tokenId('<extra_0>'); // 151651 for Qwen2.5-Math-PRM
 * tok.encode('1 + 1 = 2'); // ids, no special tokens
 */
export function tokenizerFromJSON(json: object, config: object, file = 'tokenizer.json'): HfTokenizer {
  const model = (json as { model?: unknown }).model;
  if (typeof model !== 'object' || model === null) {
    throw new TokenizerFileError(
      file,
      `${file} has no "model" section; it is not a Hugging Face tokenizers file.`,
    );
  }
  let tok: PreTrainedTokenizer;
  try {
    tok = new PreTrainedTokenizer(json, config);
  } catch (e) {
    throw new TokenizerFileError(
      file,
      `${file} could not be loaded by transformers.js: ${(e as Error).message}`,
    );
  }
  // token_to_id answers undefined for unknown strings; convert_tokens_to_ids would answer the unk id.
  const inner = tok._tokenizer as unknown as {
    token_to_id(t: string): number | undefined;
    get_vocab(withAdded?: boolean): Map<string, number>;
  };
  const vocabSize = inner.get_vocab(true).size;
  const core = tok._tokenizer as unknown as TokenizerInternals;
  const specialCount = (ids: number[]) => ids.filter((id) => core.all_special_ids.includes(id)).length;
  const adapter: HfTokenizer = {
    inner: tok,
    vocabSize,
    encode: (text, options) => {
      const add_special_tokens = options?.addSpecialTokens ?? false;
      const spans = options?.userSpans ?? [];
      const ids =
        spans.length === 0
          ? tok.encode(text, { add_special_tokens })
          : encodeWithUserSpans(
              core,
              text,
              spans,
              () => tok.encode(text, { add_special_tokens }),
              add_special_tokens ? specialCount(tok.encode('', { add_special_tokens })) : 0,
              file,
            );
      // A vocabulary without an unknown token (e.g. WordLevel with no unk_token) gives no id for
      // a word it lacks; onnxruntime would fail later on the missing number.
      const missing = ids.findIndex((id) => typeof id !== 'number');
      if (missing >= 0) {
        const piece = tok.tokenize(text)[missing];
        throw new TokenizerFileError(
          file,
          `${file} has no id for ${piece === undefined ? 'part of the text' : JSON.stringify(piece)} and no unknown token to use instead, so this text cannot be scored. Reword it with words the model knows, or use the tokenizer.json the model was trained with.`,
        );
      }
      return ids;
    },
    tokenId: (token) => {
      const id = inner.token_to_id(token);
      return typeof id === 'number' ? id : undefined;
    },
  };
  if (typeof tok.bos_token_id === 'number') adapter.bosId = tok.bos_token_id;
  if (tok.chat_template) {
    adapter.applyChatTemplate = (messages) =>
      tok.apply_chat_template(messages, { tokenize: false, add_generation_prompt: false }) as string;
  }
  return adapter;
}

/**
 * A tokenizer from the text of the two files, with errors that name the file.
 *
 * @example
 * const tok = tokenizerFromFiles(await blob1.text(), await blob2.text(), 'models/demo/');
 */
export function tokenizerFromFiles(
  tokenizerJson: string,
  tokenizerConfigJson: string,
  prefix = '',
): HfTokenizer {
  const json = parseObject(tokenizerJson, `${prefix}tokenizer.json`);
  const config = parseObject(tokenizerConfigJson, `${prefix}tokenizer_config.json`);
  return tokenizerFromJSON(json, config, `${prefix}tokenizer.json`);
}
