import { describe, expect, it } from 'vitest';
import { ConvertFailure, failure } from '../../src/engine/convert-failure.ts';
import { CheckpointError } from '../../src/convert/safetensors.ts';
import { HttpSourceError } from '../../src/convert/http-source.ts';
import { WeightPoolError } from '../../src/convert/weight-pool.ts';
import type { ConvertErrorCode } from '../../src/engine/protocol.ts';

const live = new AbortController().signal;

describe('failure(e, signal): the code the page shows for what a conversion threw', () => {
  it.each<[string, unknown, ConvertErrorCode, RegExp]>([
    ['CheckpointError', new CheckpointError('tensor "x" has shape [2]'), 'bad-checkpoint', /^tensor "x"/],
    [
      'HttpSourceError not-found',
      new HttpSourceError('not-found', 'no such repo'),
      'bad-checkpoint',
      /no such repo/,
    ],
    ['HttpSourceError network', new HttpSourceError('network', 'offline'), 'network', /offline/],
    ['HttpSourceError changed', new HttpSourceError('changed', 'new commit'), 'changed', /new commit/],
    [
      'WeightPoolError',
      new WeightPoolError('a worker crashed'),
      'internal',
      /a worker crashed.*Convert again/,
    ],
    ['DOMException quota', new DOMException('full', 'QuotaExceededError'), 'quota', /storage refused/],
    ['DOMException other', new DOMException('gone', 'InvalidStateError'), 'storage', /InvalidStateError/],
    // A plain Error or a TypeError is the converter's own bug, never the checkpoint's.
    [
      'plain Error',
      new Error('ExternalDataWriter: already closed'),
      'internal',
      /fault of the playground, not of the checkpoint/,
    ],
    ['TypeError', new TypeError('x is undefined'), 'internal', /x is undefined.*report it/],
    ['a thrown string', 'boom', 'internal', /boom/],
  ])('%s -> its code', (_what, e, code, message) => {
    const f = failure(e, live);
    expect(f.code).toBe(code);
    expect(f.message).toMatch(message);
  });

  it('a ConvertFailure passes through; anything after Cancel is "cancelled"', () => {
    const own = new ConvertFailure('quota', 'needs 2 GB', 2e9);
    expect(failure(own, live)).toBe(own);
    const c = new AbortController();
    c.abort();
    expect(failure(new Error('conversion aborted'), c.signal).code).toBe('cancelled');
    expect(failure(new CheckpointError('half-read'), c.signal).code).toBe('cancelled');
  });
});
