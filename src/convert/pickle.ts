/**
 * A SAFE reader of PyTorch `torch.save` checkpoints (`pytorch_model.bin`, the zip format of
 * torch >= 1.6), so checkpoints that ship only as .bin (Skywork-o1-Open-PRM) convert without
 * Python.
 *
 * A torch zip holds `<name>/data.pkl` (a pickle of the state dict whose tensors point at storages
 * by key) and `<name>/data/<key>` (raw little-endian storage bytes, stored uncompressed). This
 * module finds the entries in the zip's central directory (ZIP64 included), runs `data.pkl` through
 * a minimal pickle machine, and returns each tensor's dtype, shape and absolute byte range in the
 * .bin file, so `Checkpoint` reads it exactly like a safetensors tensor.
 *
 * Deliberately does not: execute anything. The pickle machine knows only the opcodes torch.save
 * emits and only these globals: collections.OrderedDict, torch._utils._rebuild_tensor_v2,
 * torch._utils._rebuild_parameter and the torch.*Storage types. Any other global (os.system,
 * builtins.eval, ...) or opcode is refused with an error, never called. Legacy (pre-1.6,
 * non-zip) files, compressed entries and non-contiguous tensors are refused too.
 */
import type { ByteSource } from './byte-source.ts';
import { CheckpointError, type TensorInfo } from './safetensors.ts';

// ---------------------------------------------------------------------------------------------
// Zip central directory

export interface ZipEntry {
  name: string;
  /** Absolute offset of the entry's (stored) data in the file. */
  dataOffset: number;
  size: number;
}

/** Little-endian reads of a byte range (`Uint8Array`s from a ByteSource, no Node Buffer). */
class Bytes {
  readonly length: number;
  private readonly dv: DataView;
  readonly bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.length = bytes.length;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u16 = (at: number) => this.dv.getUint16(at, true);
  u32 = (at: number) => this.dv.getUint32(at, true);
  u64 = (at: number) => {
    const v = this.dv.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER))
      throw new CheckpointError('a 64-bit zip field is too large: the .bin checkpoint is damaged');
    return Number(v);
  };
  text = (from: number, to: number) => new TextDecoder().decode(this.bytes.subarray(from, to));
}

// Reads up to `length` bytes at `position` (fewer at the end of the file).
async function readAt(src: ByteSource, position: number, length: number): Promise<Bytes> {
  const n = Math.max(0, Math.min(length, src.size - position));
  return new Bytes(position < 0 ? new Uint8Array(0) : await src.read(position, n));
}

const LOCAL_HEADER_READS = 16;

/**
 * Lists the entries of a zip file that are stored uncompressed (torch.save never compresses).
 *
 * @example
 * const entries = await readZipEntries(await openLocalFile('pytorch_model.bin')); // [{ name: 'pytorch_model/data.pkl', ... }]
 */
export async function readZipEntries(src: ByteSource): Promise<ZipEntry[]> {
  const file = src.name;
  const size = src.size;
  const bad = (msg: string): never => {
    throw new CheckpointError(`${file}: ${msg}`);
  };
  const tailLen = Math.min(size, 22 + 65535);
  const tail = await readAt(src, size - tailLen, tailLen);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.u32(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0)
    bad(
      'not a zip archive (no end-of-central-directory record); the file is incomplete or not a torch.save file',
    );
  let count = tail.u16(eocd + 10);
  let cdSize = tail.u32(eocd + 12);
  let cdOffset = tail.u32(eocd + 16);
  const eocdAbs = size - tailLen + eocd;
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = await readAt(src, eocdAbs - 20, 20);
    if (loc.length < 20 || loc.u32(0) !== 0x07064b50) bad('ZIP64 locator missing');
    const rec = await readAt(src, loc.u64(8), 56);
    if (rec.length < 56 || rec.u32(0) !== 0x06064b50) bad('ZIP64 end record missing');
    count = rec.u64(32);
    cdSize = rec.u64(40);
    cdOffset = rec.u64(48);
  }
  if (cdOffset + cdSize > size) bad('central directory lies past the end of the file (truncated download?)');
  const cd = await readAt(src, cdOffset, cdSize);
  const records: { name: string; localOffset: number; size: number }[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cd.u32(p) !== 0x02014b50) bad('corrupt central directory');
    const method = cd.u16(p + 10);
    let compSize = cd.u32(p + 20);
    let rawSize = cd.u32(p + 24);
    const nameLen = cd.u16(p + 28);
    const extraLen = cd.u16(p + 30);
    const commentLen = cd.u16(p + 32);
    let localOffset = cd.u32(p + 42);
    const name = cd.text(p + 46, p + 46 + nameLen);
    // ZIP64 extended information: 64-bit values for the fields saturated at 0xffffffff, in order.
    for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen;) {
      const id = cd.u16(e);
      const len = cd.u16(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        if (rawSize === 0xffffffff) {
          rawSize = cd.u64(q);
          q += 8;
        }
        if (compSize === 0xffffffff) {
          compSize = cd.u64(q);
          q += 8;
        }
        if (localOffset === 0xffffffff) localOffset = cd.u64(q);
      }
      e += 4 + len;
    }
    p += 46 + nameLen + extraLen + commentLen;
    if (method !== 0)
      bad(`entry ${name} is compressed (method ${method}); torch.save files store entries uncompressed`);
    records.push({ name, localOffset, size: compSize });
  }
  // Each entry's data starts after its local header, whose extra field (alignment padding) differs
  // from the central one: one small read per entry, a few at a time (range requests when remote).
  const entries: ZipEntry[] = [];
  for (let i = 0; i < records.length; i += LOCAL_HEADER_READS) {
    const batch = records.slice(i, i + LOCAL_HEADER_READS);
    const locals = await Promise.all(batch.map((r) => readAt(src, r.localOffset, 30)));
    batch.forEach((r, j) => {
      const local = locals[j];
      if (local.length < 30 || local.u32(0) !== 0x04034b50) bad(`corrupt local header for ${r.name}`);
      const dataOffset = r.localOffset + 30 + local.u16(26) + local.u16(28);
      if (dataOffset + r.size > size)
        bad(`entry ${r.name} ends past the end of the file (truncated download?)`);
      entries.push({ name: r.name, dataOffset, size: r.size });
    });
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------
// Restricted pickle machine

class PyTuple {
  readonly items: unknown[];
  constructor(items: unknown[]) {
    this.items = items;
  }
}
class PyDict {
  readonly map = new Map<unknown, unknown>();
}
class PyGlobal {
  readonly module: string;
  readonly name: string;
  constructor(module: string, name: string) {
    this.module = module;
    this.name = name;
  }
}
interface StorageRef {
  kind: 'storage';
  dtype: string;
  key: string;
  numel: number;
}
interface TensorRef {
  kind: 'tensor';
  storage: StorageRef;
  offset: number;
  shape: number[];
  stride: number[];
}
const isStorage = (v: unknown): v is StorageRef => (v as StorageRef | null)?.kind === 'storage';
const isTensor = (v: unknown): v is TensorRef => (v as TensorRef | null)?.kind === 'tensor';

const STORAGE_DTYPES: Record<string, string> = {
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  DoubleStorage: 'F64',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

const ALLOWED_CALLABLES = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
]);

function checkGlobal(module: string, name: string, where: string): PyGlobal {
  const full = `${module}.${name}`;
  if (ALLOWED_CALLABLES.has(full) || (module === 'torch' && name in STORAGE_DTYPES))
    return new PyGlobal(module, name);
  throw new CheckpointError(
    `${where}: refusing to load: the pickle references ${full}, which is not part of a plain tensor state dict ` +
      '(this reader never runs code from a checkpoint).',
  );
}

const asInts = (v: unknown, what: string, where: string): number[] => {
  if (!(v instanceof PyTuple) || !v.items.every((x) => Number.isSafeInteger(x))) {
    throw new CheckpointError(`${where}: tensor ${what} is not a tuple of integers`);
  }
  return v.items as number[];
};

function call(fn: unknown, args: unknown, where: string): unknown {
  if (!(fn instanceof PyGlobal) || !(args instanceof PyTuple)) {
    throw new CheckpointError(`${where}: unsupported REDUCE (only allow-listed torch/collections callables)`);
  }
  const full = `${fn.module}.${fn.name}`;
  const a = args.items;
  if (full === 'collections.OrderedDict') {
    if (a.length !== 0)
      throw new CheckpointError(`${where}: OrderedDict built from arguments is not supported`);
    return new PyDict();
  }
  if (full === 'torch._utils._rebuild_parameter') {
    if (!isTensor(a[0])) throw new CheckpointError(`${where}: _rebuild_parameter without a tensor`);
    return a[0];
  }
  if (full === 'torch._utils._rebuild_tensor_v2') {
    const [storage, offset] = a;
    if (!isStorage(storage) || !Number.isSafeInteger(offset)) {
      throw new CheckpointError(
        `${where}: _rebuild_tensor_v2 arguments are not (storage, offset, size, stride, ...)`,
      );
    }
    return {
      kind: 'tensor',
      storage,
      offset: offset as number,
      shape: asInts(a[2], 'size', where),
      stride: asInts(a[3], 'stride', where),
    } satisfies TensorRef;
  }
  throw new CheckpointError(`${where}: ${full} cannot be called`);
}

function persistentLoad(pid: unknown, where: string): StorageRef {
  // ('storage', storage_type, key, location, numel)
  const t = pid instanceof PyTuple ? pid.items : [];
  const [tag, type, key, , numel] = t;
  if (
    tag !== 'storage' ||
    !(type instanceof PyGlobal) ||
    !(type.name in STORAGE_DTYPES) ||
    typeof key !== 'string'
  ) {
    throw new CheckpointError(`${where}: unsupported persistent id (expected a torch storage reference)`);
  }
  if (!Number.isSafeInteger(numel))
    throw new CheckpointError(`${where}: storage ${key} has no element count`);
  return { kind: 'storage', dtype: STORAGE_DTYPES[type.name], key, numel: numel as number };
}

const MARK = Symbol('mark');

/**
 * Runs a torch.save pickle through the restricted machine and returns the unpickled top-level
 * object (PyDict / TensorRef / ... values). Exported for tests.
 */
export function unpickle(data: Uint8Array, where: string): unknown {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const td = new TextDecoder('utf-8');
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  let pos = 0;
  const fail = (msg: string): never => {
    throw new CheckpointError(`${where}: ${msg} at pickle byte ${pos}`);
  };
  const need = (n: number) => {
    if (pos + n > data.length) fail('pickle ends early');
  };
  const u8 = () => (need(1), data[pos++]);
  const u16 = () => (need(2), (pos += 2), dv.getUint16(pos - 2, true));
  const u32 = () => (need(4), (pos += 4), dv.getUint32(pos - 4, true));
  const i32 = () => (need(4), (pos += 4), dv.getInt32(pos - 4, true));
  const bytes = (n: number) => (need(n), (pos += n), data.subarray(pos - n, pos));
  const line = () => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) fail('unterminated GLOBAL');
    const s = td.decode(data.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = () => (stack.length === 0 ? fail('stack underflow') : stack.pop());
  const popMark = (): unknown[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) fail('MARK missing');
    const items = stack.splice(i);
    items.shift();
    return items;
  };
  const setItems = (d: unknown, kv: unknown[]) => {
    if (!(d instanceof PyDict)) fail('SETITEM(S) on a non-dict');
    for (let i = 0; i + 1 < kv.length; i += 2) (d as PyDict).map.set(kv[i], kv[i + 1]);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        u8();
        break;
      case 0x95: // FRAME
        bytes(8);
        break;
      case 0x2e: // STOP
        return pop();
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PyTuple([]));
        break;
      case 0x74: // TUPLE
        stack.push(new PyTuple(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(new PyTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push(new PyTuple([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(new PyTuple([pop(), b, c]));
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        const l = stack[stack.length - 1];
        if (!Array.isArray(l)) fail('APPEND on a non-list');
        (l as unknown[]).push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        const l = stack[stack.length - 1];
        if (!Array.isArray(l)) fail('APPENDS on a non-list');
        (l as unknown[]).push(...items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict());
        break;
      case 0x64: {
        // DICT
        const d = new PyDict();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(stack[stack.length - 1], [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const kv = popMark();
        setItems(stack[stack.length - 1], kv);
        break;
      }
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: {
        // LONG1: little-endian two's complement of n bytes
        const n = u8();
        const b = bytes(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
        if (n > 0 && b[n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))
          fail('integer too large');
        stack.push(Number(v));
        break;
      }
      case 0x47: // BINFLOAT (big-endian)
        need(8);
        stack.push(dv.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x58: // BINUNICODE
        stack.push(td.decode(bytes(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(td.decode(bytes(u8())));
        break;
      case 0x8d: {
        // BINUNICODE8
        const lo = u32();
        const hi = u32();
        stack.push(td.decode(bytes(hi * 2 ** 32 + lo)));
        break;
      }
      case 0x54: // BINSTRING
        stack.push(td.decode(bytes(i32())));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(td.decode(bytes(u8())));
        break;
      case 0x42: // BINBYTES
        stack.push(bytes(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(bytes(u8()).slice());
        break;
      case 0x71: // BINPUT
        memo.set(u8(), stack[stack.length - 1]);
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), stack[stack.length - 1]);
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, stack[stack.length - 1]);
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const k = op === 0x68 ? u8() : u32();
        if (!memo.has(k)) fail(`memo ${k} missing`);
        stack.push(memo.get(k));
        break;
      }
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        stack.push(checkGlobal(module, line(), where));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(checkGlobal(module as string, name as string, where));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        stack.push(call(pop(), args, where));
        break;
      }
      case 0x62: {
        // BUILD: only OrderedDict state (the state dict's `_metadata`), which is ignored.
        pop();
        if (!(stack[stack.length - 1] instanceof PyDict)) fail('BUILD on an object other than a dict');
        break;
      }
      case 0x51: // BINPERSID
        stack.push(persistentLoad(pop(), where));
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(stack[stack.length - 1]);
        break;
      default:
        pos--;
        fail(`unsupported pickle opcode 0x${op.toString(16)} (not one torch.save emits for a state dict)`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// torch.save checkpoint -> TensorInfo

const DTYPE_SIZE: Record<string, number> = {
  F32: 4,
  F16: 2,
  BF16: 2,
  F64: 8,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/**
 * Reads a torch.save zip checkpoint's tensor table. Each TensorInfo points at the tensor's bytes
 * inside the .bin file (absolute offset), so it can be read like a safetensors tensor. Tensors
 * that share a storage (tied embeddings) point at the same bytes.
 *
 * @example
 * const infos = await readTorchCheckpoint(await openLocalFile('Skywork-o1-Open-PRM-Qwen-2.5-1.5B/pytorch_model.bin'));
 * infos.find((t) => t.name === 'v_head.summary.weight') // { dtype: 'BF16', shape: [1, 1536], ... }
 */
export async function readTorchCheckpoint(src: ByteSource): Promise<TensorInfo[]> {
  const file = src.name;
  const head = await readAt(src, 0, 4);
  if (head.length < 4 || head.u32(0) !== 0x04034b50) {
    throw new CheckpointError(
      `${file}: not a zip-format torch.save file (legacy pre-1.6 pickle or not a checkpoint). ` +
        'Re-save it with a current PyTorch.',
    );
  }
  const entries = await readZipEntries(src);
  const pkl = entries.find((e) => e.name.endsWith('/data.pkl') || e.name === 'data.pkl');
  if (!pkl) throw new CheckpointError(`${file}: zip has no data.pkl; not a torch.save checkpoint`);
  const prefix = pkl.name.slice(0, pkl.name.length - 'data.pkl'.length);
  const byName = new Map(entries.map((e) => [e.name, e]));

  const root = unpickle((await readAt(src, pkl.dataOffset, pkl.size)).bytes, `${file} (${pkl.name})`);
  const bo = byName.get(`${prefix}byteorder`);
  const byteorder = bo ? (await readAt(src, bo.dataOffset, bo.size)).text(0, bo.size).trim() : 'little';
  if (byteorder !== 'little') throw new CheckpointError(`${file}: big-endian checkpoints are not supported`);
  if (!(root instanceof PyDict))
    throw new CheckpointError(`${file}: the pickle is not a state dict (name -> tensor)`);

  const infos: TensorInfo[] = [];
  for (const [name, value] of root.map) {
    if (typeof name !== 'string' || !isTensor(value)) continue;
    const { storage, offset, shape, stride } = value;
    const entry = byName.get(`${prefix}data/${storage.key}`);
    if (!entry)
      throw new CheckpointError(
        `${file}: tensor "${name}": storage data/${storage.key} is missing from the zip`,
      );
    const size = DTYPE_SIZE[storage.dtype];
    if (entry.size < storage.numel * size) {
      throw new CheckpointError(
        `${file}: tensor "${name}": storage ${storage.key} is shorter than its ${storage.numel} elements`,
      );
    }
    // Contiguous row-major strides (dims of size 1 may carry any stride).
    let expect = 1;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (shape[d] !== 1 && stride[d] !== expect) {
        throw new CheckpointError(
          `${file}: tensor "${name}" is stored non-contiguously (shape ${JSON.stringify(shape)}, stride ` +
            `${JSON.stringify(stride)}). Re-save the state dict with contiguous tensors, or as safetensors.`,
        );
      }
      expect *= shape[d];
    }
    const numel = shape.reduce((a, b) => a * b, 1);
    if (offset + numel > storage.numel) {
      throw new CheckpointError(`${file}: tensor "${name}" runs past the end of its storage`);
    }
    infos.push({
      name,
      dtype: storage.dtype,
      shape,
      file,
      offset: entry.dataOffset + offset * size,
      byteLength: numel * size,
    });
  }
  if (infos.length === 0) throw new CheckpointError(`${file}: the state dict holds no tensors`);
  return infos;
}
