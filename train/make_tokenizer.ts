/**
 * Writes the bundled demo PRM's own tokenizer (train/tokenizer/tokenizer.json and
 * tokenizer_config.json), loadable unchanged by @huggingface/transformers and by Hugging Face
 * `tokenizers`.
 *
 * Design (see train/README.md):
 * - Open vocabulary: byte-level BPE over lower-cased text. Every byte has a token, so no word,
 *   name, unit, currency sign or LaTeX command is ever unknown; merges learned here from the
 *   generator's own text make its frequent words single tokens and split the rest into pieces.
 * - Pre-tokenizer: split on whitespace, then isolate every digit and every character that is not a
 *   letter, so `$124.` is `$ 1 2 4 .` - the model sees numbers digit by digit and merges never
 *   cross a digit or a sign; then the GPT-2 byte-to-character map (ByteLevel without its regex).
 * - Whitespace (newlines included) is dropped: step boundaries are carried by `<extra_0>`, and
 *   nothing in the domain depends on line breaks.
 * - Added special tokens `<|endoftext|>`, `<|im_start|>`, `<|im_end|>`, `<extra_0>` and a ChatML chat
 *   template that renders exactly the Qwen2.5-Math-PRM prompt (https://huggingface.co/Qwen/Qwen2.5-Math-PRM-7B).
 *
 * Run: npx tsx train/make_tokenizer.ts [--out train/tokenizer] [--vocab 2048]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { synthesize } from '../src/core/synth/index.ts';

export const SYSTEM_PROMPT = 'Please reason step by step, and put your final answer within \\boxed{}.';
export const SPECIAL_TOKENS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<extra_0>'] as const;

/** Isolates digits and non-letters; letter runs stay whole. Same regex in JS and Rust tokenizers. */
const SPLIT_REGEX = '\\p{N}|[^\\p{L}\\p{N}]';

/** ChatML as Qwen2.5-Math-PRM renders it; a missing system message gets the Qwen PRM prompt. */
export const CHAT_TEMPLATE =
  "{%- if messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\n" +
  SYSTEM_PROMPT.replace(/\\/g, '\\\\') +
  "<|im_end|>\\n' }}{%- endif %}" +
  "{%- for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{%- endfor %}" +
  "{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{%- endif %}";

/** The pieces the pre-tokenizer makes of lower-cased text (mirrors the tokenizer.json config). */
export function pieces(text: string): string[] {
  const re = new RegExp(SPLIT_REGEX, 'gu');
  const out: string[] = [];
  for (const word of text.toLowerCase().split(/\s+/u).filter(Boolean)) {
    let prev = 0;
    for (const m of word.matchAll(re)) {
      if (m.index > prev) out.push(word.slice(prev, m.index));
      out.push(m[0]);
      prev = m.index + m[0].length;
    }
    if (prev < word.length) out.push(word.slice(prev));
  }
  return out;
}

/** GPT-2's reversible byte -> printable character map (what the ByteLevel pre-tokenizer applies). */
export function bytesToUnicode(): string[] {
  const keep: number[] = [];
  for (let c = 33; c <= 126; c++) keep.push(c);
  for (let c = 161; c <= 172; c++) keep.push(c);
  for (let c = 174; c <= 255; c++) keep.push(c);
  const map: string[] = new Array(256);
  let extra = 0;
  for (let byte = 0; byte < 256; byte++)
    map[byte] = String.fromCodePoint(keep.includes(byte) ? byte : 256 + extra++);
  return map;
}

const BYTE_CHARS = bytesToUnicode();
const byteLevel = (piece: string): string[] => [...new TextEncoder().encode(piece)].map((b) => BYTE_CHARS[b]);

export interface Bpe {
  vocab: Record<string, number>;
  merges: string[];
}

/**
 * Byte-level BPE learned from `texts`: the special tokens, the 256 byte characters, then merges of
 * the most frequent adjacent pair (ties broken by the pair's text, so the result is reproducible)
 * until the vocabulary has `size` tokens or no pair occurs twice.
 */
export function trainBpe(texts: Iterable<string>, size: number): Bpe {
  const counts = new Map<string, number>();
  for (const t of texts) for (const p of pieces(t)) counts.set(p, (counts.get(p) ?? 0) + 1);
  const words = [...counts.entries()].map(([w, n]) => ({ syms: byteLevel(w), n }));
  const vocab: Record<string, number> = {};
  const add = (t: string): void => {
    if (!(t in vocab)) vocab[t] = Object.keys(vocab).length;
  };
  SPECIAL_TOKENS.forEach(add);
  BYTE_CHARS.forEach(add);
  const merges: string[] = [];
  while (Object.keys(vocab).length < size) {
    const pairs = new Map<string, number>();
    for (const { syms, n } of words)
      for (let i = 0; i + 1 < syms.length; i++) {
        const key = syms[i] + ' ' + syms[i + 1];
        pairs.set(key, (pairs.get(key) ?? 0) + n);
      }
    let best = '';
    let bestN = 1;
    for (const [k, n] of pairs)
      if (n > bestN || (n === bestN && best !== '' && k < best)) [best, bestN] = [k, n];
    if (best === '') break;
    const [x, y] = best.split(' ');
    merges.push(best);
    add(x + y);
    for (const w of words) {
      const out: string[] = [];
      for (let i = 0; i < w.syms.length; i++) {
        if (i + 1 < w.syms.length && w.syms[i] === x && w.syms[i + 1] === y) {
          out.push(x + y);
          i++;
        } else out.push(w.syms[i]);
      }
      w.syms = out;
    }
  }
  return { vocab, merges };
}

export function tokenizerJson({ vocab, merges }: Bpe): object {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content) => ({
      id: vocab[content],
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'WhitespaceSplit' },
        { type: 'Split', pattern: { Regex: SPLIT_REGEX }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
      ],
    },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
}

export function tokenizerConfig(vocab: Record<string, number>): object {
  return {
    tokenizer_class: 'PreTrainedTokenizerFast',
    model_max_length: 1024,
    bos_token: null,
    eos_token: '<|im_end|>',
    pad_token: '<|endoftext|>',
    additional_special_tokens: ['<|im_start|>', '<|im_end|>', '<extra_0>'],
    added_tokens_decoder: Object.fromEntries(
      SPECIAL_TOKENS.map((content) => [
        String(vocab[content]),
        { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true },
      ]),
    ),
    clean_up_tokenization_spaces: false,
    chat_template: CHAT_TEMPLATE,
  };
}

function main(): void {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: 'train/tokenizer' },
      vocab: { type: 'string', default: '2048' },
    },
  });
  const out = values.out as string;
  // Several seeds and many items so every name, item and phrasing the generator knows is seen.
  // Every prompt carries the system prompt and the role names: weight them like one problem each.
  const texts: string[] = Array.from({ length: 60000 }, () => `${SYSTEM_PROMPT} system user assistant`);
  for (const seed of [101, 202, 303]) {
    for (const it of synthesize({ n: 20000, seed })) texts.push(it.problem, ...it.steps);
  }
  const bpe = trainBpe(texts, Number(values.vocab));
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'tokenizer.json'), JSON.stringify(tokenizerJson(bpe), null, 2) + '\n');
  writeFileSync(
    join(out, 'tokenizer_config.json'),
    JSON.stringify(tokenizerConfig(bpe.vocab), null, 2) + '\n',
  );
  console.log(
    `wrote ${out}/tokenizer.json (${Object.keys(bpe.vocab).length} tokens) and tokenizer_config.json`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) main();
