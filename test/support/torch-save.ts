/**
 * Test helper: writes a state dict the way `torch.save` (zip format, pickle protocol 2) does, so
 * the tiny test checkpoints exist as `pytorch_model.bin` too without Python: a stored zip with
 * `archive/data.pkl` (an OrderedDict of `torch._utils._rebuild_tensor_v2` calls on persistent
 * storage ids), `archive/byteorder`, `archive/data/<key>` and `archive/version`. Like torch, each
 * entry's data is 64-byte aligned by padding in the local header's extra field only.
 *
 * Tensors given the same `Float32Array` object share one storage (tied weights), as in torch.
 * Checked against real torch.save output by test/convert/pickle.test.ts reading both.
 */
import { writeFile } from 'node:fs/promises';
import { encodeFloats } from '../../src/convert/float16.ts';

export interface TorchTensor {
  name: string;
  dtype: 'F32' | 'F16' | 'BF16';
  shape: number[];
  data: Float32Array;
}

const STORAGE: Record<TorchTensor['dtype'], string> = {
  F32: 'FloatStorage',
  F16: 'HalfStorage',
  BF16: 'BFloat16Storage',
};

class Pickler {
  private parts: number[] = [];
  op(...bytes: number[]) {
    this.parts.push(...bytes);
    return this;
  }
  ascii(s: string) {
    for (const c of Buffer.from(s, 'utf8')) this.parts.push(c);
    return this;
  }
  global(module: string, name: string) {
    return this.op(0x63).ascii(`${module}\n${name}\n`);
  }
  str(s: string) {
    const b = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(b.length);
    return this.op(0x58, ...len, ...b);
  }
  int(n: number) {
    const b = Buffer.alloc(4);
    b.writeInt32LE(n);
    return this.op(0x4a, ...b);
  }
  tuple(items: number[]) {
    this.op(0x28);
    for (const i of items) this.int(i);
    return this.op(0x74);
  }
  bytes() {
    return Uint8Array.from(this.parts);
  }
}

function storedZip(entries: [string, Uint8Array][]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const n = Buffer.from(name);
    // Pad the local extra field so the data starts on a 64-byte boundary.
    const base = offset + 30 + n.length + 4;
    const pad = (64 - (base % 64)) % 64;
    const extra = Buffer.alloc(4 + pad);
    extra.writeUInt16LE(0x4246, 0); // "FB", the id torch's writer uses for padding
    extra.writeUInt16LE(pad, 2);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(n.length, 26);
    local.writeUInt16LE(extra.length, 28);
    parts.push(local, n, extra, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt32LE(data.length, 20);
    c.writeUInt32LE(data.length, 24);
    c.writeUInt16LE(n.length, 28);
    c.writeUInt32LE(offset, 42);
    central.push(c, n);
    offset += 30 + n.length + extra.length + data.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cd, end]);
}

/**
 * Writes `tensors` to `path` as a torch.save zip checkpoint.
 *
 * @example
 * await writeTorchSave('ckpt/pytorch_model.bin', [{ name: 'w', dtype: 'BF16', shape: [2, 2], data }]);
 */
export async function writeTorchSave(path: string, tensors: TorchTensor[]): Promise<void> {
  const keys = new Map<Float32Array, { key: string; dtype: TorchTensor['dtype'] }>();
  const storages: [string, Uint8Array][] = [];
  const p = new Pickler().op(0x80, 2).global('collections', 'OrderedDict').op(0x29, 0x52, 0x28);
  for (const t of tensors) {
    let s = keys.get(t.data);
    if (!s || s.dtype !== t.dtype) {
      s = { key: String(storages.length), dtype: t.dtype };
      keys.set(t.data, s);
      storages.push([s.key, encodeFloats(t.dtype, t.data).slice()]);
    }
    const stride = t.shape.map((_, i) => t.shape.slice(i + 1).reduce((a, b) => a * b, 1));
    p.str(t.name).global('torch._utils', '_rebuild_tensor_v2').op(0x28);
    p.op(0x28).str('storage').global('torch', STORAGE[t.dtype]).str(s.key).str('cpu').int(t.data.length);
    p.op(0x74, 0x51); // TUPLE, BINPERSID
    p.int(0).tuple(t.shape).tuple(stride).op(0x89); // offset, size, stride, requires_grad=False
    p.global('collections', 'OrderedDict').op(0x29, 0x52); // backward hooks
    p.op(0x74, 0x52); // TUPLE, REDUCE
  }
  p.op(0x75, 0x2e); // SETITEMS, STOP
  await writeFile(
    path,
    storedZip([
      ['archive/data.pkl', p.bytes()],
      ['archive/byteorder', Buffer.from('little')],
      ...storages.map(([k, b]): [string, Uint8Array] => [`archive/data/${k}`, b]),
      ['archive/version', Buffer.from('3\n')],
    ]),
  );
}
