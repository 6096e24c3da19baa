import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';
import { synthesize } from '../../src/core/synth/index.ts';
import { SYSTEM_PROMPT } from '../../train/make_tokenizer.ts';

// The bundled model's tokenizer as the app loads it: transformers.js, local files only.
let tok: PreTrainedTokenizer;
beforeAll(async () => {
  env.allowRemoteModels = false;
  env.localModelPath = path.resolve('train');
  tok = await AutoTokenizer.from_pretrained('tokenizer');
});

const vocab = (
  JSON.parse(fs.readFileSync('train/tokenizer/tokenizer.json', 'utf8')) as {
    model: { vocab: Record<string, number> };
  }
).model.vocab;

const pieces = (text: string): string[] =>
  tok.encode(text, { add_special_tokens: false }).map((id) => tok.decode([id]));

describe('train/tokenizer (AutoTokenizer.from_pretrained)', () => {
  it.each([
    ['3 × $124 = $372.', ['3', '×', '$', '1', '2', '4', '=', '$', '3', '7', '2', '.']],
    ['Tom has 12 pens', ['tom', 'has', '1', '2', 'pens']],
    ['45 km − 30 km', ['4', '5', 'km', '−', '3', '0', 'km']],
    ['a\n\nb', ['a', 'b']],
    ['1+1=2.<extra_0>', ['1', '+', '1', '=', '2', '.', '<extra_0>']],
  ])('encode(%j) gives the pieces %j', (text, expected) => {
    expect(pieces(text)).toEqual(expected);
  });

  it.each([
    'zyzzyva',
    'Siobhan paid \\$1,250 for 3 tulip bulbs',
    '\\frac{126}{6} = 21 and \\boxed{21}',
    'ünïcödé 日本 € £ ½ 🙂',
  ])('has an open vocabulary: %j decodes back to its lower-cased text without blanks', (text) => {
    const ids = tok.encode(text, { add_special_tokens: false });
    expect(tok.decode(ids)).toBe(text.toLowerCase().replace(/\s+/g, ''));
  });

  it('keeps the generator words whole and splits other words into known pieces', () => {
    expect(pieces('apples tickets')).toEqual(['apples', 'tickets']);
    expect(pieces('zyzzyva').length).toBeGreaterThan(1);
    expect(vocab['<unk>']).toBeUndefined();
  });

  it('keeps the special tokens as single ids', () => {
    for (const t of ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<extra_0>']) {
      expect(tok.encode(t, { add_special_tokens: false }), t).toEqual([vocab[t]]);
    }
  });

  it('renders the Qwen2.5-Math-PRM chat format exactly, with or without a system message', () => {
    const assistant = 'Step one.<extra_0>Step two.<extra_0>';
    const expected =
      `<|im_start|>system\n${SYSTEM_PROMPT}<|im_end|>\n<|im_start|>user\nWhat is 1+1?<|im_end|>\n` +
      `<|im_start|>assistant\n${assistant}<|im_end|>\n`;
    const user = { role: 'user', content: 'What is 1+1?' };
    const asst = { role: 'assistant', content: assistant };
    const opts = { tokenize: false, add_generation_prompt: false } as const;
    expect(tok.apply_chat_template([{ role: 'system', content: SYSTEM_PROMPT }, user, asst], opts)).toBe(
      expected,
    );
    expect(tok.apply_chat_template([user, asst], opts)).toBe(expected);
  });

  // Most words of the generator's frames are single tokens; the 1,126 plural nouns it draws from
  // (src/core/synth/words.ts) are not all merges, so a rare noun splits into pieces, and a short
  // problem that repeats one can reach 1.6 tokens per unit. The sum over many problems is the
  // measure of "about one"; the per-problem bound catches a byte or character fallback (>= 2).
  it('encodes freshly generated problems in about one token per word or digit', () => {
    let ids = 0;
    let units = 0;
    for (const item of synthesize({ n: 300, seed: 987654 })) {
      const text = [item.problem, ...item.steps].join(' ');
      const n = tok.encode(text, { add_special_tokens: false }).length;
      const u = (text.match(/\p{L}+|\d|[^\p{L}\d\s]/gu) ?? []).length;
      expect(n, item.problem).toBeLessThan(u * 1.8);
      ids += n;
      units += u;
    }
    expect(ids).toBeLessThan(units * 1.1);
  });
});
