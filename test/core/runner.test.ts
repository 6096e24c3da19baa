import { describe, expect, it } from 'vitest';
import { bestEffort } from '../../src/core/best-effort.ts';
import {
  GraphContractError,
  PAD_ID,
  runPadded,
  serialQueue,
  type PaddedExec,
} from '../../src/core/runner.ts';

/** An exec that returns logits [b, s, 2] whose value at (item, pos, class) is item*100 + pos*10 + class. */
function echoExec(seen: { ids?: number[]; mask?: number[]; dims?: number[]; released?: number }): PaddedExec {
  return async (ids, mask, dims) => {
    seen.ids = Array.from(ids, Number);
    seen.mask = Array.from(mask, Number);
    seen.dims = dims;
    const [b, s] = dims;
    const data = new Float32Array(b * s * 2).map((_, k) => {
      const item = Math.floor(k / (s * 2));
      const pos = Math.floor((k % (s * 2)) / 2);
      return item * 100 + pos * 10 + (k % 2);
    });
    return {
      logits: { type: 'float32', dims: [b, s, 2], data },
      release: () => (seen.released = (seen.released ?? 0) + 1),
    };
  };
}

describe('runPadded(file, batch, exec)', () => {
  it('right-pads with PAD_ID, then returns each item its own rows and releases the outputs', async () => {
    const seen: Parameters<typeof echoExec>[0] = {};
    const outs = await runPadded('m.onnx', [[7, 8, 9], [5]], echoExec(seen));
    expect(seen.dims).toEqual([2, 3]);
    expect(seen.ids).toEqual([7, 8, 9, 5, PAD_ID, PAD_ID]);
    expect(seen.mask).toEqual([1, 1, 1, 1, 0, 0]);
    expect(outs.map((o) => o.seqLen)).toEqual([3, 1]);
    expect(Array.from(outs[0].logits)).toEqual([0, 1, 10, 11, 20, 21]);
    expect(Array.from(outs[1].logits)).toEqual([100, 101]);
    expect(seen.released).toBe(1);
  });

  it('returns [] for an empty batch without running', async () => {
    const seen: Parameters<typeof echoExec>[0] = {};
    expect(await runPadded('m.onnx', [], echoExec(seen))).toEqual([]);
    expect(seen.dims).toBeUndefined();
  });

  it('refuses an empty item before running', async () => {
    await expect(runPadded('m.onnx', [[1], []], echoExec({}))).rejects.toThrow(
      'Batch item 1 has no tokens; every input needs at least one token.',
    );
  });

  it.each([
    { name: 'missing logits', logits: undefined, message: /m\.onnx: the "logits" output is missing/ },
    {
      name: 'float16 logits',
      logits: { type: 'float16', dims: [1, 2, 2], data: new Uint16Array(4) },
      message: /m\.onnx: the "logits" output is float16, expected float32/,
    },
    {
      name: 'three classes',
      logits: { type: 'float32', dims: [1, 2, 3], data: new Float32Array(6) },
      message: /m\.onnx: "logits" came back with shape \[1, 2, 3\] for input \[1, 2\]; expected \[1, 2, 2\]/,
    },
  ])(
    'throws GraphContractError naming the file for $name, and still releases',
    async ({ logits, message }) => {
      let released = 0;
      const run = runPadded('m.onnx', [[1, 2]], async () => ({ logits, release: () => released++ }));
      await expect(run).rejects.toThrow(GraphContractError);
      await expect(run).rejects.toThrow(message);
      expect(released).toBe(1);
    },
  );
});

describe('serialQueue()', () => {
  it('runs tasks one at a time in order, and a failure does not stop the next', async () => {
    const serial = serialQueue();
    const log: string[] = [];
    const task =
      (name: string, fail = false) =>
      async () => {
        log.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, 5));
        log.push(`end ${name}`);
        if (fail) throw new Error(`${name} failed`);
        return name;
      };
    const a = serial(task('a'));
    const b = serial(task('b', true));
    const c = serial(task('c'));
    await expect(a).resolves.toBe('a');
    await expect(b).rejects.toThrow('b failed');
    await expect(c).resolves.toBe('c');
    await serial.idle();
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });
});

describe('bestEffort(promise, reason)', () => {
  it('settles with undefined whether the promise resolves or rejects', async () => {
    await expect(bestEffort(Promise.resolve(3), 'test')).resolves.toBeUndefined();
    await expect(bestEffort(Promise.reject(new Error('x')), 'test')).resolves.toBeUndefined();
  });
});
