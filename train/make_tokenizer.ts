/**
 * Writes the bundled demo PRM's own tokenizer (train/tokenizer/tokenizer.json and
 * tokenizer_config.json), loadable by @huggingface/transformers and by Hugging Face `tokenizers`.
 *
 * Design (see train/README.md):
 * - WordLevel over lower-cased text: every word the synthetic generator can write, every printable
 *   ASCII character, the operator glyphs `− × ÷`, and `<unk>` for anything else.
 * - Pre-tokenizer: split on whitespace, then isolate every digit and every character that is not a
 *   letter, so `$124.` is `$ 1 2 4 .` - the model sees numbers digit by digit.
 * - Whitespace (newlines included) is dropped: step boundaries are carried by `<extra_0>`, and
 *   nothing in the domain depends on line breaks.
 * - Added special tokens `<|endoftext|>`, `<|im_start|>`, `<|im_end|>`, `<extra_0>` and a ChatML chat
 *   template that renders exactly the Qwen2.5-Math-PRM prompt (prm-models.md 2.1).
 *
 * It does not train anything: the vocabulary is a list, not learned merges.
 *
 * Run: npx tsx train/make_tokenizer.ts [--out train/tokenizer]
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

/** Vocabulary: `<unk>`, the special tokens, then ASCII/glyph characters, then words by frequency. */
export function buildVocab(texts: Iterable<string>): Record<string, number> {
  const counts = new Map<string, number>();
  for (const t of texts) for (const p of pieces(t)) counts.set(p, (counts.get(p) ?? 0) + 1);
  const tokens: string[] = ['<unk>', ...SPECIAL_TOKENS];
  for (let c = 33; c < 127; c++) tokens.push(String.fromCharCode(c).toLowerCase());
  tokens.push('−', '×', '÷');
  const words = [...counts.entries()].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).map(([w]) => w);
  tokens.push(...words);
  const vocab: Record<string, number> = {};
  for (const t of tokens) if (!(t in vocab)) vocab[t] = Object.keys(vocab).length;
  return vocab;
}

export function tokenizerJson(vocab: Record<string, number>): object {
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
      ],
    },
    post_processor: null,
    decoder: null,
    model: { type: 'WordLevel', vocab, unk_token: '<unk>' },
  };
}

export function tokenizerConfig(vocab: Record<string, number>): object {
  return {
    tokenizer_class: 'PreTrainedTokenizerFast',
    model_max_length: 1024,
    bos_token: null,
    eos_token: '<|im_end|>',
    pad_token: '<|endoftext|>',
    unk_token: '<unk>',
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
  const { values } = parseArgs({ options: { out: { type: 'string', default: 'train/tokenizer' } } });
  const out = values.out as string;
  // Several seeds and many items so every name, item and phrasing the generator knows is seen.
  const texts: string[] = [SYSTEM_PROMPT, 'system user assistant'];
  for (const seed of [101, 202, 303]) {
    for (const it of synthesize({ n: 20000, seed })) texts.push(it.problem, ...it.steps);
  }
  const vocab = buildVocab(texts);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'tokenizer.json'), JSON.stringify(tokenizerJson(vocab), null, 2) + '\n');
  writeFileSync(join(out, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig(vocab), null, 2) + '\n');
  console.log(`wrote ${out}/tokenizer.json (${Object.keys(vocab).length} tokens) and tokenizer_config.json`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
