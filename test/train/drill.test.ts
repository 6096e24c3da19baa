import { describe, expect, it } from 'vitest';
import { drill, parseDrillOps } from '../../train/drill.ts';
import { checkStep } from '../../src/core/judge/index.ts';

const OP_OF: Record<string, string> = {
  '+': '+',
  '-': '-',
  '−': '-',
  '×': '*',
  '*': '*',
  x: '*',
  '/': '/',
  '÷': '/',
};

describe('drill', () => {
  it('draws only the weighted operators, and every line it calls right is right', () => {
    const items = drill(200, 9, parseDrillOps('*:3,/:1'));
    const ops = items.flatMap((it) => it.steps.map((s) => OP_OF[s.split(' ')[1]]));
    expect(new Set(ops)).toEqual(new Set(['*', '/']));
    const share = ops.filter((o) => o === '*').length / ops.length;
    expect(share).toBeGreaterThan(0.68);
    expect(share).toBeLessThan(0.82);
    for (const it of items) {
      it.steps.forEach((s, k) => {
        const verdict = checkStep(s);
        expect(verdict.verdict, s).toBe(it.label === k ? 'wrong' : 'right');
      });
    }
  });

  it('keeps the uniform default identical to equal weights', () => {
    expect(drill(20, 4)).toEqual(drill(20, 4, parseDrillOps('+:1,-:1,*:1,/:1')));
  });

  it.each([['*:x'], ['+:1;-:1'], ['%:1'], ['+:0,-:0']])('refuses --drill-ops %j', (spec) => {
    expect(() => parseDrillOps(spec)).toThrow(/--drill-ops/);
  });
});
