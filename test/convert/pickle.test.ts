import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtemp, rm, writeFile, mkdir, copyFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTorchCheckpoint, readZipEntries, unpickle } from '../../src/convert/pickle.ts';
import { CheckpointError } from '../../src/convert/safetensors.ts';
import { openLocalCheckpoint, withLocalFile } from '../../src/node/local-files.ts';
import { convertCheckpoint } from '../../src/convert/convert.ts';
import { makeTinyCheckpoint } from './tiny-checkpoint.ts';

// Real torch.save output (PyTorch 1.13); see fixtures/torch/README.md for the code that wrote it.
const FIX = join(import.meta.dirname, 'fixtures', 'torch');

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'prm-pk-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/**
 * A zip with stored (uncompressed) entries, as torch.save writes them. `zip64` writes the sizes
 * and offsets only in ZIP64 records (as for files over 4 GB), saturating the 32-bit fields.
 */
function storedZip(entries: [string, Uint8Array][], method = 0, zip64 = false): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  const sat = (v: number) => (zip64 ? 0xffffffff : v);
  for (const [name, data] of entries) {
    const n = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(n.length, 26);
    parts.push(local, n, Buffer.from(data));
    const extra = Buffer.alloc(zip64 ? 28 : 0);
    if (zip64) {
      extra.writeUInt16LE(0x0001, 0);
      extra.writeUInt16LE(24, 2);
      extra.writeBigUInt64LE(BigInt(data.length), 4);
      extra.writeBigUInt64LE(BigInt(data.length), 12);
      extra.writeBigUInt64LE(BigInt(offset), 20);
    }
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(method, 10);
    c.writeUInt32LE(sat(data.length), 20);
    c.writeUInt32LE(sat(data.length), 24);
    c.writeUInt16LE(n.length, 28);
    c.writeUInt16LE(extra.length, 30);
    c.writeUInt32LE(sat(offset), 42);
    central.push(c, n, extra);
    offset += 30 + n.length + data.length;
  }
  const cd = Buffer.concat(central);
  const tail: Buffer[] = [];
  if (zip64) {
    const rec = Buffer.alloc(56);
    rec.writeUInt32LE(0x06064b50, 0);
    rec.writeBigUInt64LE(BigInt(entries.length), 24);
    rec.writeBigUInt64LE(BigInt(entries.length), 32);
    rec.writeBigUInt64LE(BigInt(cd.length), 40);
    rec.writeBigUInt64LE(BigInt(offset), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeBigUInt64LE(BigInt(offset + cd.length), 8);
    tail.push(rec, loc);
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(zip64 ? 0xffff : entries.length, 8);
  end.writeUInt16LE(zip64 ? 0xffff : entries.length, 10);
  end.writeUInt32LE(sat(cd.length), 12);
  end.writeUInt32LE(sat(offset), 16);
  return Buffer.concat([...parts, cd, ...tail, end]);
}

const pkl = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

describe('readTorchCheckpoint(file) on real torch.save output', () => {
  it('lists every tensor with dtype, shape and its byte range inside the .bin', async () => {
    const infos = await withLocalFile(join(FIX, 'tiny', 'pytorch_model.bin'), readTorchCheckpoint);
    expect(infos.map((t) => [t.name, t.dtype, t.shape, t.byteLength])).toEqual([
      ['embed.weight', 'F32', [4, 3], 48],
      ['lin.weight', 'F32', [2, 3], 24],
      ['lin.bias', 'F32', [2], 8],
      ['head.weight', 'F32', [4, 3], 48],
      ['half.weight', 'F16', [2, 3], 12],
      ['bf16.weight', 'BF16', [3, 2], 12],
      ['ids', 'I64', [3], 24],
      ['view.weight', 'F32', [2, 2], 16],
      ['param', 'F32', [2], 8],
    ]);
    // Tied weights share one storage: same bytes.
    const byName = Object.fromEntries(infos.map((t) => [t.name, t]));
    expect(byName['head.weight'].offset).toBe(byName['embed.weight'].offset);
  });

  it.each<[string, string, RegExp]>([
    ['evil.bin', 'a pickle that calls os.system', /refusing to load: the pickle references posix\.system/],
    [
      'noncontig.bin',
      'a transposed (non-contiguous) tensor',
      /tensor "t" is stored non-contiguously \(shape \[3,2\], stride \[1,3\]\)/,
    ],
    ['legacy.bin', 'the legacy non-zip format', /not a zip-format torch\.save file/],
  ])('refuses %s (%s)', async (file, _what, message) => {
    const err = await withLocalFile(join(FIX, file), readTorchCheckpoint).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).toContain(file);
  });
});

describe('Checkpoint.open(files) with only pytorch_model.bin', () => {
  it('reads F32, F16, BF16, tied, offset-view and Parameter tensors as float32', async () => {
    const ck = await openLocalCheckpoint(join(FIX, 'tiny'));
    expect(ck.format).toBe('pytorch');
    expect(Array.from(await ck.readF32('embed.weight'))).toEqual(
      Array.from({ length: 12 }, (_, i) => i / 4 - 1),
    );
    expect(Array.from(await ck.readF32('head.weight'))).toEqual(
      Array.from({ length: 12 }, (_, i) => i / 4 - 1),
    );
    expect(Array.from(await ck.readF32('lin.weight'))).toEqual([1, -2.5, 65504, Math.fround(0.1), 3, -0]);
    expect(Array.from(await ck.readF32('lin.bias'))).toEqual([0.5, -0.25]);
    // float16 / bfloat16 of i/3 as torch rounds them (nearest even).
    expect(Array.from(await ck.readF32('half.weight'))).toEqual([
      0, 0.333251953125, 0.66650390625, 1, 1.3330078125, 1.6669921875,
    ]);
    expect(Array.from(await ck.readF32('bf16.weight'))).toEqual([
      -1, -0.66796875, -0.333984375, 0, 0.333984375, 0.66796875,
    ]);
    expect(Array.from(await ck.readF32('view.weight'))).toEqual([4, 5, 6, 7]);
    expect(Array.from(await ck.readF32('param'))).toEqual([7, 8]);
    expect(Array.from(await ck.readRowsF32('embed.weight', [3, 0]))).toEqual([
      1.25, 1.5, 1.75, -1, -0.75, -0.5,
    ]);
    await expect(ck.readF32('ids')).rejects.toThrow(/tensor "ids" has dtype I64/);
    await ck.close();
  });

  it('adds the safetensors advice when the .bin cannot be read', async () => {
    const dir = join(tmp, 'evil');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'config.json'), '{}');
    await copyFile(join(FIX, 'evil.bin'), join(dir, 'pytorch_model.bin'));
    await expect(openLocalCheckpoint(dir)).rejects.toThrow(
      /posix\.system.*safetensors revision.*weights_only=True/s,
    );
  });

  it('reads shards named by pytorch_model.bin.index.json and ignores training_args.bin', async () => {
    const dir = join(tmp, 'sharded-bin');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'config.json'), '{}');
    await copyFile(join(FIX, 'tiny', 'pytorch_model.bin'), join(dir, 'pytorch_model-00001-of-00001.bin'));
    await copyFile(join(FIX, 'evil.bin'), join(dir, 'training_args.bin'));
    await writeFile(
      join(dir, 'pytorch_model.bin.index.json'),
      JSON.stringify({ weight_map: { 'embed.weight': 'pytorch_model-00001-of-00001.bin' } }),
    );
    const ck = await openLocalCheckpoint(dir);
    expect(ck.has('lin.bias')).toBe(true);
    await ck.close();
  });
});

describe('readZipEntries(source)', () => {
  it.each([false, true])('finds stored entries and their data offsets (zip64: %s)', async (zip64) => {
    const file = join(tmp, `a-${zip64}.zip`);
    const data: [string, Uint8Array][] = [
      ['x/data.pkl', pkl('abc')],
      ['x/data/0', new Uint8Array([1, 2, 3, 4])],
    ];
    await writeFile(file, storedZip(data, 0, zip64));
    const entries = await withLocalFile(file, readZipEntries);
    const bytes = await readFile(file);
    expect(entries.map((e) => [e.name, e.size])).toEqual([
      ['x/data.pkl', 3],
      ['x/data/0', 4],
    ]);
    expect([...bytes.subarray(entries[1].dataOffset, entries[1].dataOffset + 4)]).toEqual([1, 2, 3, 4]);
  });

  it.each<[string, (z: Buffer) => Buffer, RegExp]>([
    ['a truncated file', (z) => z.subarray(0, z.length - 30), /no end-of-central-directory record/],
    [
      'a compressed entry',
      () => storedZip([['x/data.pkl', pkl('abc')]], 8),
      /entry x\/data\.pkl is compressed \(method 8\)/,
    ],
  ])('rejects %s', async (_name, mutate, message) => {
    const file = join(tmp, `bad-${_name.replace(/\W+/g, '-')}.zip`);
    await writeFile(file, mutate(storedZip([['x/data.pkl', pkl('abc')]])));
    await expect(withLocalFile(file, readZipEntries)).rejects.toThrow(message);
  });
});

describe('unpickle(data, where) refuses anything but a tensor state dict', () => {
  it.each<[string, string, RegExp]>([
    [
      'GLOBAL builtins.eval',
      'cbuiltins\neval\n(X\x01\x00\x00\x001tR.',
      /refusing to load: the pickle references builtins\.eval/,
    ],
    [
      'STACK_GLOBAL os.system',
      '\x80\x04\x8c\x02os\x8c\x06system\x93.',
      /refusing to load: the pickle references os\.system/,
    ],
    ['INST (opcode i)', 'ios\nsystem\n.', /unsupported pickle opcode 0x69/],
    ['NEWOBJ', '\x80\x02ccollections\nOrderedDict\n)\x81.', /unsupported pickle opcode 0x81/],
    ['REDUCE of a torch storage type', 'ctorch\nFloatStorage\n)R.', /torch\.FloatStorage cannot be called/],
    ['a truncated pickle', '\x80\x02X\x10\x00\x00\x00abc', /pickle ends early/],
  ])('%s', (_name, bytes, message) => {
    expect(() => unpickle(pkl(bytes), 'test.pkl')).toThrow(message);
  });

  it('builds dicts, tuples, lists and numbers (LONG1, BINFLOAT) without calling anything', () => {
    // {'a': (1, -2, 3.5), 'b': [True, None]}
    const out = unpickle(
      pkl(
        '\x80\x02}(X\x01\x00\x00\x00aK\x01\x8a\x01\xfeG@\x0c\x00\x00\x00\x00\x00\x00\x87X\x01\x00\x00\x00b](\x88Neu.',
      ),
      't',
    ) as { map: Map<string, unknown> };
    expect(out.map.get('a')).toEqual({ items: [1, -2, 3.5] });
    expect(out.map.get('b')).toEqual([true, null]);
  });
});

describe('a tiny checkpoint saved as pytorch_model.bin (test/support/torch-save.ts)', () => {
  it('converts to the same model folder as its safetensors twin', async () => {
    const common = {
      arch: 'qwen2',
      head: 'value-head',
      dtype: 'BF16',
      hidden: 64,
      heads: 4,
      seed: 5,
    } as const;
    const st = await makeTinyCheckpoint({ ...common, dir: join(tmp, 'twin-st') });
    const bin = await makeTinyCheckpoint({ ...common, dir: join(tmp, 'twin-bin'), format: 'bin' });
    const ck = await openLocalCheckpoint(bin.dir);
    expect(ck.format).toBe('pytorch');
    // Tied lm_head and embedding share one storage, as torch.save writes them.
    expect(ck.info('lm_head.weight').offset).toBe(ck.info('model.embed_tokens.weight').offset);
    await ck.close();
    const o = { dtypes: ['q4' as const], name: 'twin' };
    await convertCheckpoint({ checkpointDir: st.dir, outDir: join(tmp, 'twin-out-st'), ...o });
    await convertCheckpoint({ checkpointDir: bin.dir, outDir: join(tmp, 'twin-out-bin'), ...o });
    // (prm.json differs only in its "source", the folder name.)
    for (const f of ['onnx/model_q4.onnx', 'config.json', 'tokenizer.json']) {
      const a = await readFile(join(tmp, 'twin-out-st', f));
      const b = await readFile(join(tmp, 'twin-out-bin', f));
      expect(b.equals(a), f).toBe(true);
    }
  });
});
