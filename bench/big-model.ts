/**
 * Prepares a full-size random PRM for `prm bench`: a checkpoint with a REAL model's config
 * (bench/make-synthetic-checkpoint.ts: skywork1.5b or qwen7b), converted to q4 by the project's
 * converter with the weights in external data (as a browser needs them: a Blob per file, never
 * one >2 GB ArrayBuffer), and a character-level tokenizer whose ids lie across the model's whole
 * vocabulary, so the benchmark's synthetic text tokenizes fully (the synthetic checkpoint's own
 * word-level tokenizer maps unknown words to no id at all).
 *
 *   npx tsx bench/big-model.ts --config skywork1.5b --out .bench/sky15
 *   node bin/prm.js bench --model .bench/sky15/model --backends node,wasmN,webgpu \
 *     --solutions typical --repeats 1 --warmup 0 --timeout 1500
 *   rm -rf .bench/sky15        # 3 GB checkpoint + 1.7 GB model
 *
 * Random weights: the scores mean nothing; the benchmark checks that backends agree, and times
 * and memory. It does not run the benchmark itself.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { convertCheckpoint } from '../src/convert/convert.ts';

const root = resolve(import.meta.dirname, '..');

/**
 * A WordLevel tokenizer over single characters: printable ASCII and common math symbols get ids
 * spread over `vocabSize`, specials keep the ids the checkpoint's tokenizer gave them.
 *
 * @example
 * charTokenizer(151936, { '\n': 198, '<|endoftext|>': 151643 }).model.vocab['7']; // some id < 151936
 */
export function charTokenizer(vocabSize: number, specials: Record<string, number>): Record<string, unknown> {
  const chars = [...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)), ...'×÷−–—’“”…°²√π≤≥≠'];
  const taken = new Set(Object.values(specials));
  const vocab: Record<string, number> = { '<unk>': 0 };
  const stride = Math.floor((vocabSize - 1000) / chars.length);
  chars.forEach((c, i) => {
    let id = 1000 + i * stride;
    while (taken.has(id)) id++;
    taken.add(id);
    vocab[c] = id;
  });
  Object.assign(vocab, specials);
  const ordered = Object.fromEntries(Object.entries(vocab).sort((a, b) => a[1] - b[1]));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: Object.entries(specials).map(([content, id]) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: content !== '\n',
    })),
    normalizer: null,
    pre_tokenizer: { type: 'Split', pattern: { Regex: '.' }, behavior: 'Isolated', invert: false },
    post_processor: null,
    decoder: null,
    model: { type: 'WordLevel', vocab: ordered, unk_token: '<unk>' },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string', default: 'skywork1.5b' },
      out: { type: 'string' },
      'keep-checkpoint': { type: 'boolean', default: false },
    },
  });
  if (!values.out) {
    console.error(
      'Usage: npx tsx bench/big-model.ts --config skywork1.5b|qwen7b --out DIR [--keep-checkpoint]',
    );
    process.exit(2);
  }
  const out = resolve(values.out);
  const ckpt = join(out, 'checkpoint');
  const model = join(out, 'model');
  if (!existsSync(join(ckpt, 'config.json'))) {
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(root, 'bench', 'make-synthetic-checkpoint.ts'),
        '--config',
        values.config!,
        '--out',
        ckpt,
      ],
      { stdio: 'inherit', cwd: root },
    );
    if (r.status !== 0) throw new Error(`make-synthetic-checkpoint failed (exit ${r.status})`);
  }
  const t0 = performance.now();
  await convertCheckpoint({
    checkpointDir: ckpt,
    outDir: model,
    dtypes: ['q4'],
    name: `${values.config}-shaped (random)`,
    force: true,
    // External data in 1 GB files: the browser gets Blobs, not one 1.7 GB ArrayBuffer.
    inlineLimit: 16 * 2 ** 20,
    chunkBytes: 2 ** 30,
    log: (line) => console.log(line),
  });
  console.log(`converted in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const old = JSON.parse(await readFile(join(model, 'tokenizer.json'), 'utf8')) as {
    added_tokens: { id: number; content: string }[];
  };
  const config = JSON.parse(await readFile(join(ckpt, 'config.json'), 'utf8')) as { vocab_size: number };
  const specials = Object.fromEntries(old.added_tokens.map((t) => [t.content, t.id]));
  await writeFile(join(model, 'tokenizer.json'), JSON.stringify(charTokenizer(config.vocab_size, specials)));
  if (!values['keep-checkpoint']) await rm(ckpt, { recursive: true, force: true });
  console.log(`model folder: ${model}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  });
}
