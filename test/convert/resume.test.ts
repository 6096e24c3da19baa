import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertInto } from '../../src/convert/convert-core.ts';
import { convertCheckpoint } from '../../src/convert/convert.ts';
import { localCheckpointFiles } from '../../src/node/local-files.ts';
import { folderFiles, keepingIo } from './folder-io.ts';
import { makeTinyCheckpoint, TINY_QWEN_POOLED } from './tiny-checkpoint.ts';

// A conversion stopped part-way and carried on with `resume` (as the page does after a reload)
// writes exactly the bytes of one uninterrupted conversion, without redoing the finished weights.

let tmp: string;
let ckpt: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'prm-resume-'));
  ckpt = join(tmp, 'tiny');
  await makeTinyCheckpoint({ dir: ckpt, ...TINY_QWEN_POOLED });
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('convertInto(..., { resume })', () => {
  it('carries on an interrupted conversion to the same bytes, skipping the weights already written', async () => {
    const whole = join(tmp, 'whole');
    await convertCheckpoint({
      checkpointDir: ckpt,
      outDir: whole,
      dtypes: ['q4'],
      inlineLimit: 0,
      threads: 0,
    });

    const dir = join(tmp, 'resumed');
    const target = {
      io: keepingIo,
      prepare: async () => {
        await mkdir(join(dir, 'onnx'), { recursive: true });
        return dir;
      },
    };
    const options = { dtypes: ['q4' as const], inlineLimit: 0 };
    const done = new Set<number>();
    const controller = new AbortController();
    await expect(
      convertInto(localCheckpointFiles(ckpt), target, {
        ...options,
        signal: controller.signal,
        resume: { done: new Set(), onDone: (i) => done.add(i) },
        onProgress: (p) => {
          if (p.index === Math.floor(p.total / 2)) controller.abort();
        },
      }),
    ).rejects.toThrow(/aborted/);
    expect(done.size).toBeGreaterThan(0);

    const again: number[] = [];
    await convertInto(localCheckpointFiles(ckpt), target, {
      ...options,
      resume: { done, onDone: (i) => again.push(i) },
    });
    // Every job ran in one of the two runs; the second redid only those whose outputs are not all
    // in the data files (a tiny model's inline scales), so it ran fewer than a whole conversion.
    const all = new Set([...done, ...again]);
    const total = Math.max(...all) + 1;
    expect(all.size).toBe(total);
    expect(again.length).toBeGreaterThan(0);
    expect(again.length).toBeLessThan(total - 5);

    const a = await folderFiles(whole);
    const b = await folderFiles(dir);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [f, bytes] of a) expect(b.get(f)!.equals(bytes), f).toBe(true);
  });
});
