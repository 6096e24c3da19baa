/**
 * Probe data for train/probe_digits.py: 400 right drill solutions (./drill.ts, seed 987654), each
 * tokenized twice, with numbers reversed (`probe-rev.jsonl`, what demoSpec() builds) and in
 * writing order (`probe-msb.jsonl`, how checkpoints before ckpt-r2 were trained), plus each
 * step's operation.
 *
 *   npx tsx train/probe_data.ts [--out train/out/probe]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadTokenizerDir } from '../src/node/tokenizer-files.ts';
import { drill } from './drill.ts';
import { demoSpec, toExample } from './prepare.ts';

const { values } = parseArgs({ options: { out: { type: 'string', default: 'train/out/probe' } } });
const out = values.out as string;
mkdirSync(out, { recursive: true });
const tokenizer = loadTokenizerDir('train/tokenizer');
const items = drill(3000, 987654)
  .filter((d) => d.label === -1)
  .slice(0, 400);
for (const reverse of [true, false]) {
  const spec = { ...demoSpec(), reverse_numbers: reverse };
  const lines = items.map((item) =>
    JSON.stringify({
      ...toExample(tokenizer, spec, item),
      ops: item.steps.map((s) => /[+\-−×*x/÷]/.exec(s)![0]),
    }),
  );
  writeFileSync(join(out, `probe-${reverse ? 'rev' : 'msb'}.jsonl`), lines.join('\n') + '\n');
}
console.log(`wrote ${out}/probe-rev.jsonl and probe-msb.jsonl (${items.length} solutions each)`);
