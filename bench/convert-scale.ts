/**
 * Times `prm convert` on a full-size checkpoint and reports peak memory, to check the converter
 * streams (stays far below the 4 GB resident-memory budget of the issue) and is disk-bound:
 *
 *   npx tsx bench/make-synthetic-checkpoint.ts --config skywork1.5b --out .bench/sky15
 *   npx tsx bench/convert-scale.ts --checkpoint .bench/sky15 --out .bench/sky15-onnx --dtype q4
 *   npx tsx bench/convert-scale.ts --checkpoint .bench/q7 --out .bench/q7-onnx --floor --rounds 3 --drop-caches
 *
 * Prints wall time, peak RSS (`process.resourceUsage().maxRSS`), checkpoint and output sizes and
 * the read rate. The output folder is deleted afterwards unless `--keep`.
 *
 * `--floor` also times the I/O alone: read every checkpoint file and write as many bytes as the
 * conversion wrote (16 MiB at a time, one thread, computing nothing - what copying the files
 * costs). With `--rounds N` the floor and the conversion alternate N times (a virtual machine's
 * disk and page cache vary run to run, so one pair proves little) and medians are printed;
 * `--drop-caches` (root only) empties the page cache before each timed step, so every step reads
 * the checkpoint from disk.
 *
 * Deliberately does not: generate the checkpoint (make-synthetic-checkpoint.ts does) or check
 * scores (random weights; the tests check correctness on tiny models).
 */
import { closeSync, openSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { convertCheckpoint } from '../src/convert/convert.ts';
import type { Dtype } from '../src/core/types.ts';

const USAGE = `Usage: npx tsx bench/convert-scale.ts --checkpoint DIR --out DIR [--dtype q4[,q4f16,...]]
  [--quantize-embedding] [--block-size 32] [--threads N] [--keep]
  [--floor] [--rounds N] [--drop-caches]`;

const GB = 1e9;

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const f of await filesUnder(dir)) total += (await stat(f)).size;
  return total;
}

/** Seconds to read every file of `dir` and write `writeBytes` to a fresh file `scratch`. */
async function ioFloor(dir: string, writeBytes: number, scratch: string): Promise<number> {
  const chunk = new Uint8Array(16 << 20);
  const t0 = performance.now();
  for (const file of await filesUnder(dir)) {
    const fd = openSync(file, 'r');
    try {
      while (readSync(fd, chunk, 0, chunk.length, null) > 0);
    } finally {
      closeSync(fd);
    }
  }
  const fd = openSync(scratch, 'w');
  try {
    for (let done = 0; done < writeBytes;) {
      done += writeSync(fd, chunk, 0, Math.min(chunk.length, writeBytes - done));
    }
  } finally {
    closeSync(fd);
  }
  const seconds = (performance.now() - t0) / 1000;
  await rm(scratch, { force: true });
  return seconds;
}

/** Writes dirty pages out and empties the page cache (needs root). */
function dropCaches(): void {
  execFileSync('sync');
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3');
  } catch (e) {
    throw new Error(
      `--drop-caches needs root (writing /proc/sys/vm/drop_caches failed: ${(e as Error).message})`,
      { cause: e },
    );
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
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
      floor: { type: 'boolean', default: false },
      rounds: { type: 'string', default: '1' },
      'drop-caches': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const rounds = Number(values.rounds);
  if (values.help || !values.checkpoint || !values.out || !Number.isInteger(rounds) || rounds < 1) {
    console.error(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const checkpoint = values.checkpoint;
  const outDir = values.out;
  const ckptBytes = await dirBytes(checkpoint);
  const scratch = `${outDir.replace(/\/+$/, '')}.floor-scratch`;
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
  const convertTimes: number[] = [];
  const floorTimes: number[] = [];
  // Until the first conversion says how much it writes, the floor writes half the checkpoint
  // (about what q4 writes from bfloat16).
  let outBytes = Math.round(ckptBytes / 2);
  try {
    for (let round = 1; round <= rounds; round++) {
      if (values.floor) {
        if (values['drop-caches']) dropCaches();
        floorTimes.push(await ioFloor(checkpoint, outBytes, scratch));
        console.error(`round ${round}: I/O floor ${floorTimes.at(-1)!.toFixed(1)} s`);
      }
      if (values['drop-caches']) dropCaches();
      await rm(outDir, { recursive: true, force: true });
      const t0 = performance.now();
      let lastLine = 0;
      const result = await convertCheckpoint({
        checkpointDir: checkpoint,
        outDir,
        dtypes: values.dtype.split(',') as Dtype[],
        quantizeEmbedding: values['quantize-embedding'],
        blockSize: Number(values['block-size']),
        threads: values.threads === undefined ? undefined : Number(values.threads),
        force: true,
        log: (line) => {
          if (round === 1) console.error(line);
        },
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
      convertTimes.push((performance.now() - t0) / 1000);
      console.error(`round ${round}: conversion ${convertTimes.at(-1)!.toFixed(1)} s`);
      outBytes = await dirBytes(result.outDir);
      if (round === rounds) {
        const maxRssBytes = process.resourceUsage().maxRSS * 1024;
        const seconds = median(convertTimes);
        const list = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(' / ');
        console.log(`checkpoint   ${checkpoint} (${(ckptBytes / GB).toFixed(2)} GB)`);
        console.log(`threads      ${values.threads ?? 'default'}`);
        console.log(
          `dtypes       ${values.dtype}${values['quantize-embedding'] ? ' + 4-bit embedding' : ''}`,
        );
        console.log(`page cache   ${values['drop-caches'] ? 'dropped before each step' : 'as it was'}`);
        console.log(
          `wall time    ${seconds.toFixed(1)} s${rounds > 1 ? ` median (${list(convertTimes)})` : ''} (${(ckptBytes / GB / seconds).toFixed(3)} GB/s read)`,
        );
        console.log(
          `peak RSS     ${(maxRssBytes / GB).toFixed(2)} GB (sampled peak while at ${peakAt || '?'})`,
        );
        console.log(`output       ${(outBytes / GB).toFixed(2)} GB`);
        if (values.floor) {
          const floor = median(floorTimes);
          console.log(
            `I/O floor    ${floor.toFixed(1)} s${rounds > 1 ? ` median (${list(floorTimes)})` : ''}: read ${(ckptBytes / GB).toFixed(2)} GB + write ${(outBytes / GB).toFixed(2)} GB, one thread, no computing`,
          );
          console.log(`converter    ${(seconds / floor).toFixed(2)}x the I/O floor (medians)`);
        }
        for (const m of result.models) {
          console.log(
            `  onnx/${m.file}  ${(m.bytes / GB).toFixed(3)} GB${m.externalData.length ? ` (${m.externalData.join(', ')})` : ''}`,
          );
        }
      }
    }
  } finally {
    clearInterval(timer);
    if (!values.keep) await rm(outDir, { recursive: true, force: true });
  }
}

await main();
