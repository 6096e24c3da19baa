/**
 * Times `prm convert` on a full-size checkpoint and reports peak memory, to check the converter
 * streams (stays far below the 4 GB resident-memory budget of the issue) and is disk-bound:
 *
 *   npx tsx bench/make-synthetic-checkpoint.ts --config skywork1.5b --out .bench/sky15
 *   npx tsx bench/convert-scale.ts --checkpoint .bench/sky15 --out .bench/sky15-onnx --dtype q4
 *
 * Prints wall time, peak RSS (`process.resourceUsage().maxRSS`), checkpoint and output sizes and
 * the read rate. The output folder is deleted afterwards unless `--keep`.
 *
 * Deliberately does not: generate the checkpoint (make-synthetic-checkpoint.ts does) or check
 * scores (random weights; the tests check correctness on tiny models).
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { convertCheckpoint } from '../src/convert/convert.ts';
import type { Dtype } from '../src/core/types.ts';

const USAGE = `Usage: npx tsx bench/convert-scale.ts --checkpoint DIR --out DIR [--dtype q4[,q4f16,...]]
  [--quantize-embedding] [--block-size 32] [--threads N] [--keep]`;

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? await dirBytes(p) : (await stat(p)).size;
  }
  return total;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      checkpoint: { type: 'string' },
      out: { type: 'string' },
      dtype: { type: 'string', default: 'q4' },
      'quantize-embedding': { type: 'boolean', default: false },
      'block-size': { type: 'string', default: '32' },
      threads: { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.checkpoint || !values.out) {
    console.error(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const GB = 1e9;
  const ckptBytes = await dirBytes(values.checkpoint);
  // Peak RSS also sampled: maxRSS covers the whole process, sampling shows when the peak happens.
  let peakSampled = 0;
  let peakAt = '';
  let current = '';
  const timer = setInterval(() => {
    const rss = process.memoryUsage.rss();
    if (rss > peakSampled) {
      peakSampled = rss;
      peakAt = current;
    }
  }, 200);
  const t0 = performance.now();
  let lastLine = 0;
  try {
    const result = await convertCheckpoint({
      checkpointDir: values.checkpoint,
      outDir: values.out,
      dtypes: values.dtype.split(',') as Dtype[],
      quantizeEmbedding: values['quantize-embedding'],
      blockSize: Number(values['block-size']),
      threads: values.threads === undefined ? undefined : Number(values.threads),
      force: true,
      log: (line) => console.error(line),
      onProgress: (p) => {
        current = p.name;
        const now = performance.now();
        if (now - lastLine > 5000 || p.index === p.total) {
          lastLine = now;
          const s = ((now - t0) / 1000).toFixed(1);
          console.error(
            `  ${s} s  tensor ${p.index}/${p.total}  ${(p.bytesWritten / GB).toFixed(2)} GB written`,
          );
        }
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(timer);
    const maxRssBytes = process.resourceUsage().maxRSS * 1024;
    const outBytes = await dirBytes(result.outDir);
    console.log(`checkpoint   ${values.checkpoint} (${(ckptBytes / GB).toFixed(2)} GB)`);
    console.log(`threads      ${values.threads ?? 'default'}`);
    console.log(`dtypes       ${values.dtype}${values['quantize-embedding'] ? ' + 4-bit embedding' : ''}`);
    console.log(`wall time    ${seconds.toFixed(1)} s (${(ckptBytes / GB / seconds).toFixed(3)} GB/s read)`);
    console.log(`peak RSS     ${(maxRssBytes / GB).toFixed(2)} GB (sampled peak while at ${peakAt || '?'})`);
    console.log(`output       ${(outBytes / GB).toFixed(2)} GB`);
    for (const m of result.models) {
      console.log(
        `  onnx/${m.file}  ${(m.bytes / GB).toFixed(3)} GB${m.externalData.length ? ` (${m.externalData.join(', ')})` : ''}`,
      );
    }
  } finally {
    clearInterval(timer);
    if (!values.keep) await rm(values.out, { recursive: true, force: true });
  }
}

await main();
