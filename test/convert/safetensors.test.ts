import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtemp, rm, writeFile, readFile, truncate, mkdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from '../../src/convert/float16.ts';
import { CheckpointError, readSafetensorsHeader } from '../../src/convert/safetensors.ts';
import { openLocalCheckpoint, withLocalFile } from '../../src/node/local-files.ts';
import { writeSafetensors } from '../../src/node/safetensors-write.ts';
import { makeTinyCheckpoint } from './tiny-checkpoint.ts';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'prm-st-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const hex = (h: number) => '0x' + h.toString(16).padStart(4, '0');
const isHalfNaN = (h: number) => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
const isBf16NaN = (h: number) => (h & 0x7f80) === 0x7f80 && (h & 0x7f) !== 0;

describe('f32ToF16(x) / f16ToF32(h)', () => {
  it.each([
    [1, '0x3c00'],
    [-2.5, '0xc100'],
    [0, '0x0000'],
    [-0, '0x8000'],
    [0.1, '0x2e66'],
    [65504, '0x7bff'],
    [65519, '0x7bff'], // below the 65520 midpoint: rounds down to the largest half
    [65520, '0x7c00'], // midpoint between 65504 and 2^16: ties to even = Infinity
    [1e6, '0x7c00'],
    [Infinity, '0x7c00'],
    [-Infinity, '0xfc00'],
    [2 ** -14, '0x0400'], // smallest normal
    [2 ** -14 - 2 ** -24, '0x03ff'], // largest subnormal
    [2 ** -24, '0x0001'], // smallest subnormal
    [2 ** -25, '0x0000'], // half of the smallest subnormal: tie to even = 0
    [1.5 * 2 ** -25 + 2 ** -40, '0x0001'],
    [3 * 2 ** -25, '0x0002'], // 1.5 subnormal units: tie to even = 2
    [1 + 2 ** -11, '0x3c00'], // tie between 0x3c00 and 0x3c01: even
    [1 + 3 * 2 ** -11, '0x3c02'], // tie between 0x3c01 and 0x3c02: even
    [1e-10, '0x0000'],
  ])('f32ToF16(%s) returns %s', (x, h) => {
    expect(hex(f32ToF16(x))).toBe(h);
  });

  it('f32ToF16(NaN) returns a NaN half and f16ToF32 of a NaN half is NaN', () => {
    expect(isHalfNaN(f32ToF16(NaN))).toBe(true);
    expect(f16ToF32(0x7e00)).toBeNaN();
    expect(f16ToF32(0xfc01)).toBeNaN();
  });

  it.each([
    ['0x3c00', 1],
    ['0xc100', -2.5],
    ['0x7bff', 65504],
    ['0x0001', 2 ** -24],
    ['0x03ff', 2 ** -14 - 2 ** -24],
    ['0x7c00', Infinity],
    ['0xfc00', -Infinity],
    ['0x8000', -0],
  ])('f16ToF32(%s) returns %s', (h, x) => {
    expect(Object.is(f16ToF32(Number(h)), x)).toBe(true);
  });

  it('f32ToF16(f16ToF32(h)) === h for every non-NaN half', () => {
    for (let h = 0; h < 65536; h++) if (!isHalfNaN(h)) expect(f32ToF16(f16ToF32(h))).toBe(h);
  });

  it('f32ToF16(x) is the nearest half (ties to even) for random float32 values, by exhaustive search', () => {
    // Independent method: sort all finite positive halves and pick the nearest by search.
    const vals: number[] = [];
    for (let h = 0; h < 0x7c00; h++) vals.push(f16ToF32(h));
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let n = 0; n < 5000; n++) {
      const x = Math.fround(2 ** (rand() * 42 - 26) * (1 + rand()));
      let lo = 0;
      let hi = vals.length - 1;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (vals[mid] <= x) lo = mid;
        else hi = mid;
      }
      let expected: number;
      if (x >= 65520) expected = 0x7c00;
      else if (x >= vals[vals.length - 1]) expected = 0x7bff;
      else {
        const dl = x - vals[lo];
        const dh = vals[hi] - x;
        expected = dl < dh ? lo : dh < dl ? hi : lo % 2 === 0 ? lo : hi;
      }
      expect(f32ToF16(x)).toBe(expected);
      expect(f32ToF16(-x)).toBe(expected | 0x8000);
    }
  });
});

describe('f32ToBf16(x) / bf16ToF32(h)', () => {
  it.each([
    [1, '0x3f80'],
    [-2.5, '0xc020'],
    [0, '0x0000'],
    [-0, '0x8000'],
    [65504, '0x4780'], // 65504 = 0x477fe000 rounds up to 65536
    [1 + 2 ** -8, '0x3f80'], // tie: even
    [1 + 3 * 2 ** -8, '0x3f82'], // tie: even
    [1 + 2 ** -8 + 2 ** -20, '0x3f81'],
    [Infinity, '0x7f80'],
    [-Infinity, '0xff80'],
    [3.4028234663852886e38, '0x7f80'], // float32 max rounds to Infinity
    [1e-40, '0x0001'], // float32 subnormal 0x000116c2 keeps its top bits
  ])('f32ToBf16(%s) returns %s', (x, h) => {
    expect(hex(f32ToBf16(x))).toBe(h);
  });

  it('f32ToBf16(NaN) is a NaN and bf16ToF32 of NaN bits is NaN', () => {
    expect(isBf16NaN(f32ToBf16(NaN))).toBe(true);
    expect(bf16ToF32(0x7fc0)).toBeNaN();
  });

  it('f32ToBf16(bf16ToF32(h)) === h for every non-NaN bfloat16', () => {
    for (let h = 0; h < 65536; h++) if (!isBf16NaN(h)) expect(f32ToBf16(bf16ToF32(h))).toBe(h);
  });
});

/** Builds a raw safetensors file from a header object and data bytes. */
async function rawFile(path: string, header: Record<string, unknown>, data: Uint8Array, pad = true) {
  let json = JSON.stringify(header);
  if (pad) json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
  const h = Buffer.from(json);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  await writeFile(path, Buffer.concat([len, h, data]));
}

async function folder(name: string, files: Record<string, Uint8Array | string> = {}): Promise<string> {
  const dir = join(tmp, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), JSON.stringify({ model_type: 'qwen2' }));
  for (const [f, content] of Object.entries(files)) await writeFile(join(dir, f), content);
  return dir;
}

describe('writeSafetensors(path, tensors) + Checkpoint.open(files).readF32(name)', () => {
  const values = new Float32Array([1, -2.5, 65504, 2 ** -24, 0.1, -0, 3.14159, 1e-3]);

  it.each(['F32', 'F16', 'BF16'] as const)('round-trips %s values with the dtype rounding', async (dtype) => {
    const dir = await folder(`rt-${dtype}`);
    await writeSafetensors(join(dir, 'model.safetensors'), [
      { name: 'a', dtype, shape: [2, 4], data: values },
      { name: 'b', dtype, shape: [3], data: new Float32Array([7, 8, 9]) },
    ]);
    const ck = await openLocalCheckpoint(dir);
    expect(ck.names().sort()).toEqual(['a', 'b']);
    expect(ck.info('a')).toMatchObject({ dtype, shape: [2, 4], byteLength: dtype === 'F32' ? 32 : 16 });
    const round = (x: number) =>
      dtype === 'F32' ? Math.fround(x) : dtype === 'F16' ? f16ToF32(f32ToF16(x)) : bf16ToF32(f32ToBf16(x));
    expect(Array.from(await ck.readF32('a'))).toEqual(Array.from(values, round));
    expect(Array.from(await ck.readF32('b'))).toEqual([7, 8, 9]);
    await ck.close();
  });

  it('pads the header so tensor data starts at a multiple of 8 and keeps metadata', async () => {
    const file = join(tmp, 'pad.safetensors');
    await writeSafetensors(file, [{ name: 'x', dtype: 'F16', shape: [3], data: new Float32Array(3) }], {
      format: 'pt',
    });
    const h = await withLocalFile(file, readSafetensorsHeader);
    expect(h.dataStart % 8).toBe(0);
    expect(h.metadata).toEqual({ format: 'pt' });
    expect((await stat(file)).size).toBe(h.dataStart + 6);
  });

  it('streams LazyTensors: data() is called once per tensor, in order, and may return encoded bytes', async () => {
    const dir = await folder('lazy');
    const calls: string[] = [];
    await writeSafetensors(join(dir, 'model.safetensors'), {
      specs: [
        { name: 'p', dtype: 'BF16', shape: [2] },
        { name: 'q', dtype: 'F32', shape: [1] },
      ],
      data: (spec) => {
        calls.push(spec.name);
        return spec.name === 'p' ? new Uint8Array([0x80, 0x3f, 0x20, 0xc0]) : new Float32Array([5]);
      },
    });
    expect(calls).toEqual(['p', 'q']);
    const ck = await openLocalCheckpoint(dir);
    expect(Array.from(await ck.readF32('p'))).toEqual([1, -2.5]);
    expect(Array.from(await ck.readF32('q'))).toEqual([5]);
    await ck.close();
  });

  it('rejects LazyTensors data of the wrong size, naming the tensor', async () => {
    await expect(
      writeSafetensors(join(tmp, 'wrong.safetensors'), {
        specs: [{ name: 'p', dtype: 'F32', shape: [4] }],
        data: () => new Float32Array(3),
      }),
    ).rejects.toThrow(/tensor "p": got 12 bytes/);
  });
});

describe('Checkpoint.open(files) on a sharded tiny checkpoint', () => {
  it('reads every tensor of a 3-shard BF16 checkpoint through model.safetensors.index.json', async () => {
    const t = await makeTinyCheckpoint({
      dir: join(tmp, 'sharded'),
      arch: 'qwen2',
      head: 'qwen-prm',
      dtype: 'BF16',
      shards: 3,
    });
    const index = JSON.parse(await readFile(join(t.dir, 'model.safetensors.index.json'), 'utf8'));
    expect(new Set(Object.values(index.weight_map)).size).toBe(3);
    const ck = await openLocalCheckpoint(t.dir);
    expect(ck.names().sort()).toEqual(Object.keys(t.weights).sort());
    expect(ck.config.architectures).toEqual(['Qwen2ForProcessRewardModel']);
    for (const name of ck.names()) expect(await ck.readF32(name)).toEqual(t.weights[name]);
    await ck.close();
  });

  it('readRowsF32(name, rows) returns just those rows, in the order given', async () => {
    const t = await makeTinyCheckpoint({
      dir: join(tmp, 'rows'),
      arch: 'llama',
      head: 'token-pair',
      dtype: 'F16',
    });
    const ck = await openLocalCheckpoint(t.dir);
    const H = t.cfg.hiddenSize;
    const rows = await ck.readRowsF32('lm_head.weight', [9, 2]);
    const full = t.weights['lm_head.weight'];
    expect(Array.from(rows)).toEqual([...full.subarray(9 * H, 10 * H), ...full.subarray(2 * H, 3 * H)]);
    await expect(ck.readRowsF32('lm_head.weight', [64])).rejects.toThrow(/row 64 is out of range/);
    await ck.close();
  });
});

describe('Checkpoint.open(files) rejects bad input with a CheckpointError naming the file or tensor', () => {
  const f32 = (n: number) => new Uint8Array(new Float32Array(n).buffer);

  it('a truncated file', async () => {
    const dir = await folder('trunc');
    const file = join(dir, 'model.safetensors');
    await writeSafetensors(file, [
      { name: 'first', dtype: 'F32', shape: [4], data: new Float32Array(4) },
      { name: 'last.weight', dtype: 'F32', shape: [4], data: new Float32Array(4) },
    ]);
    await truncate(file, (await stat(file)).size - 3);
    const err = await openLocalCheckpoint(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as Error).message).toMatch(
      /model\.safetensors: tensor "last\.weight" .*truncated.*download it again/,
    );
  });

  it.each([
    [
      'header offsets that disagree with dtype x shape',
      { w: { dtype: 'F32', shape: [4], data_offsets: [0, 12] } },
      16,
      /tensor "w": data_offsets \[0, 12\] span 12 bytes but F32 \[4\] needs 16/,
    ],
    [
      'overlapping tensors',
      {
        a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] },
        b: { dtype: 'F32', shape: [4], data_offsets: [8, 24] },
      },
      24,
      /tensors "a" and "b" overlap/,
    ],
    [
      'offsets past the end of the file',
      { w: { dtype: 'F32', shape: [4], data_offsets: [16, 32] } },
      16,
      /tensor "w" ends at data byte 32 .* 16 data bytes/,
    ],
    [
      'an unknown dtype',
      { w: { dtype: 'F7', shape: [4], data_offsets: [0, 16] } },
      16,
      /tensor "w": unknown dtype "F7"/,
    ],
    [
      'a bad shape',
      { w: { dtype: 'F32', shape: [-4], data_offsets: [0, 16] } },
      16,
      /tensor "w": shape \[-4\]/,
    ],
    [
      'reversed offsets',
      { w: { dtype: 'F32', shape: [0], data_offsets: [8, 0] } },
      16,
      /tensor "w": data_offsets \[8,0\]/,
    ],
  ])('%s', async (_label, header, bytes, message) => {
    const dir = await folder(`bad-${_label.replace(/\W+/g, '-')}`);
    await rawFile(join(dir, 'model.safetensors'), header, f32(bytes / 4));
    const err = await openLocalCheckpoint(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).toContain('model.safetensors');
  });

  it('a header that is not JSON', async () => {
    const dir = await folder('notjson');
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(8n);
    await writeFile(join(dir, 'model.safetensors'), Buffer.concat([len, Buffer.from('{"a": 1 ')]));
    await expect(openLocalCheckpoint(dir)).rejects.toThrow(/model\.safetensors: header is not valid JSON/);
  });

  it('a header length larger than the file', async () => {
    const dir = await folder('hugelen');
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(1000n);
    await writeFile(join(dir, 'model.safetensors'), Buffer.concat([len, Buffer.from('{}')]));
    await expect(openLocalCheckpoint(dir)).rejects.toThrow(/header claims 1000 bytes/);
  });

  it('readF32 of an integer tensor names the tensor and its dtype', async () => {
    const dir = await folder('i64');
    await rawFile(
      join(dir, 'model.safetensors'),
      { ids: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } },
      f32(4),
    );
    const ck = await openLocalCheckpoint(dir);
    await expect(ck.readF32('ids')).rejects.toThrow(
      /tensor "ids" has dtype I64; only F32, F16, BF16 and F64/,
    );
    await ck.close();
  });

  it('info/readF32 of a missing tensor names it', async () => {
    const dir = await folder('missing');
    await writeSafetensors(join(dir, 'model.safetensors'), [
      { name: 'x', dtype: 'F32', shape: [1], data: new Float32Array(1) },
    ]);
    const ck = await openLocalCheckpoint(dir);
    expect(ck.has('model.norm.weight')).toBe(false);
    expect(() => ck.info('model.norm.weight')).toThrow(CheckpointError);
    await expect(ck.readF32('model.norm.weight')).rejects.toThrow(
      /tensor "model\.norm\.weight" is not in the checkpoint/,
    );
    await ck.close();
  });

  it('a folder with only pytorch_model.bin explains how to get safetensors', async () => {
    const dir = await folder('binonly', { 'pytorch_model.bin': new Uint8Array(16) });
    const err = await openLocalCheckpoint(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as Error).message).toMatch(/pytorch_model\.bin/);
    expect((err as Error).message).toMatch(/safetensors revision.*torch\.load\(f, weights_only=True\)/);
  });

  it('a folder without config.json', async () => {
    const dir = join(tmp, 'noconfig');
    await mkdir(dir, { recursive: true });
    await expect(openLocalCheckpoint(dir)).rejects.toThrow(/no config\.json/);
  });

  it('a folder without weights', async () => {
    const dir = await folder('noweights');
    await expect(openLocalCheckpoint(dir)).rejects.toThrow(/no weights found/);
  });

  it('an index that lists a missing shard', async () => {
    const index = JSON.stringify({ weight_map: { w: 'model-00002-of-00002.safetensors' } });
    const dir = await folder('missingshard', { 'model.safetensors.index.json': index });
    await expect(openLocalCheckpoint(dir)).rejects.toThrow(
      /lists shard "model-00002-of-00002\.safetensors" but the file is missing/,
    );
  });

  it('an index that places a tensor in a shard whose header lacks it', async () => {
    const index = JSON.stringify({ weight_map: { w: 'a.safetensors', ghost: 'a.safetensors' } });
    const dir = await folder('ghost', { 'model.safetensors.index.json': index });
    await writeSafetensors(join(dir, 'a.safetensors'), [
      { name: 'w', dtype: 'F32', shape: [1], data: new Float32Array(1) },
    ]);
    await expect(openLocalCheckpoint(dir)).rejects.toThrow(
      /tensor "ghost": the index says it is in a\.safetensors/,
    );
  });

  it('the same tensor in two unindexed files', async () => {
    const dir = await folder('dup');
    for (const f of ['a.safetensors', 'b.safetensors']) {
      await writeSafetensors(join(dir, f), [
        { name: 'w', dtype: 'F32', shape: [1], data: new Float32Array(1) },
      ]);
    }
    await expect(openLocalCheckpoint(dir)).rejects.toThrow(
      /tensor "w" appears in both a\.safetensors and b\.safetensors/,
    );
  });
});
