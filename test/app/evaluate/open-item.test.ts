import { describe, expect, it } from 'vitest';
import { draftForItem } from '../../../src/app/evaluate/open-item.ts';

const base = { strategy: 'auto' as const, aggregate: 'product' as const };

describe('draftForItem(item, base)', () => {
  it('keeps the item steps as fixed boundaries, even a step that holds a blank line', () => {
    const d = draftForItem({ problem: 'P', steps: ['a = 1.\n\nb = 2.', 'So 3.'], threshold: 0.3 }, base);
    expect(d.problem).toBe('P');
    expect(d.solutions).toHaveLength(1);
    const [s] = d.solutions;
    expect(s.steps?.map((st) => s.text.slice(st.start, st.end))).toEqual(['a = 1.\n\nb = 2.', 'So 3.']);
    expect([d.threshold, d.aggregate, d.strategy]).toEqual([0.3, 'product', 'auto']);
  });

  it('drops blank steps, which cannot be a boundary', () => {
    const d = draftForItem({ problem: 'P', steps: ['x', '  ', 'y'] }, base);
    expect(d.solutions[0].steps?.map((st) => st.text)).toEqual(['x', 'y']);
    expect(d.threshold).toBeNull();
  });

  it('gives an empty solution when every step is blank', () => {
    expect(draftForItem({ problem: 'P', steps: [' '] }, base).solutions).toEqual([{ text: '', steps: null }]);
  });
});
