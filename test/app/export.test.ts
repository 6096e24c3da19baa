import { describe, expect, it } from 'vitest';
import {
  CSV_COLUMNS,
  csvField,
  exportCaption,
  exportCsv,
  exportJson,
  type ExportInput,
} from '../../src/app/lib/export.ts';
import type { ScoredRun } from '../../src/app/lib/run.ts';
import { readCsv } from '../support/csv.ts';

const run: ScoredRun = {
  problem: 'What is 2 + 3 * 4?',
  steps: [
    ['3 * 4 = 12.', '2 + 12 = 14.'],
    ['2 + 3 = 5.', '= 20, so "20".'],
  ],
  solutions: [
    { rewards: [0.9981234, 0.97], tokenCount: 40, scoredSteps: 2 },
    { rewards: [0.31, 0.12], tokenCount: 41, scoredSteps: 2 },
  ],
  model: { name: 'demo-prm', source: 'models/demo/', dtype: 'q4', family: 'qwen-prm' },
  backend: 'wasm',
  defaultThreshold: 0.5,
  runMs: 12,
  at: '2025-01-01T00:00:00.000Z',
};

function input(over: Partial<ExportInput> = {}): ExportInput {
  return {
    problem: run.problem,
    solutions: ['3 * 4 = 12.\n\n2 + 12 = 14.', '2 + 3 = 5.\n\n= 20, so "20".'],
    strategy: 'auto',
    steps: run.steps,
    run,
    fresh: [true, true],
    threshold: 0.5,
    aggregate: 'min',
    ...over,
  };
}

describe('exportJson(input)', () => {
  it('holds inputs, steps, full-precision rewards, first errors, threshold, model and backend', () => {
    const { judge, consensus, ...j } = exportJson(input());
    expect(judge).toHaveLength(2);
    expect(consensus.first_error).toEqual([-1, -1]);
    expect(j).toEqual({
      format: 'prm-playground/export-1',
      inputs: { problem: run.problem, solutions: input().solutions, strategy: 'auto' },
      steps: run.steps,
      rewards: [
        [0.9981234, 0.97],
        [0.31, 0.12],
      ],
      first_error: [-1, 0],
      threshold: 0.5,
      aggregate: { method: 'min', scores: [0.97, 0.12], picked: 0 },
      model: run.model,
      backend: 'wasm',
      scored_at: run.at,
      scores_from: null,
    });
  });

  it('moves the first error with the threshold, without new scores', () => {
    expect(exportJson(input({ threshold: 0.98 })).first_error).toEqual([1, 0]);
    expect(exportJson(input({ threshold: 0.1 })).first_error).toEqual([-1, -1]);
  });

  it('exports null rewards for a solution whose text changed since scoring', () => {
    const j = exportJson(input({ fresh: [false, true] }));
    expect(j.rewards[0]).toBeNull();
    expect(j.first_error[0]).toBeNull();
    expect(j.aggregate.scores).toEqual([null, 0.12]);
    expect(j.aggregate.picked).toBe(1);
  });

  it('names no model or backend when nothing was scored', () => {
    const j = exportJson(input({ run: null, fresh: [false, false] }));
    expect(j.rewards).toEqual([null, null]);
    expect([j.model, j.backend, j.scored_at, j.aggregate.picked]).toEqual([null, null, null, null]);
  });
});

describe('exportJson(input): the arithmetic checker beside the PRM', () => {
  it('adds the judge object per solution and the consensus per step, null where not scored', () => {
    const j = exportJson(input({ fresh: [false, true] }));
    expect(j.judge.map((x) => x.steps.map((s) => s.verdict))).toEqual([
      ['right', 'right'],
      ['right', 'none'],
    ]);
    expect(j.judge[0].steps[0].claims).toEqual([
      { text: '3 * 4 = 12', stated: '12', computed: '12', verdict: 'right' },
    ]);
    expect(j.consensus).toEqual({ marks: [null, ['only-prm', 'only-prm']], first_error: [null, -1] });
  });
});

describe('exportCsv(input)', () => {
  it('writes a header and one row per step, CRLF line ends, formulas and quotes escaped', () => {
    const ctx = '0.5,min,What is 2 + 3 * 4?,demo-prm,q4,wasm,2025-01-01T00:00:00.000Z,';
    expect(exportCsv(input())).toBe(
      [
        'solution,step,reward,first_error,aggregate,check,check_claims,consensus,text,threshold,aggregate_method,problem,model,dtype,backend,scored_at,scores_from',
        `1,1,0.9981234,false,0.97,right,3 * 4 = 12,both-fine,3 * 4 = 12.,${ctx}`,
        `1,2,0.97,false,0.97,right,2 + 12 = 14,both-fine,2 + 12 = 14.,${ctx}`,
        `2,1,0.31,true,0.12,right,2 + 3 = 5,only-prm,2 + 3 = 5.,${ctx}`,
        `2,2,0.12,false,0.12,none,,only-prm,"'= 20, so ""20"".",${ctx}`,
        '',
      ].join('\r\n'),
    );
  });

  it('leaves reward and first_error empty when not scored', () => {
    expect(exportCsv(input({ run: null, fresh: [false, false] })).split('\r\n')[1]).toBe(
      '1,1,,,,right,3 * 4 = 12,,3 * 4 = 12.,0.5,min,What is 2 + 3 * 4?,,,,,',
    );
  });

  it('says where scores from elsewhere came from, in every row', () => {
    const shared = { ...run, origin: 'a shared link' };
    const rows = exportCsv(input({ run: shared }))
      .trim()
      .split('\r\n');
    expect(rows.slice(1).every((r) => r.endsWith(',a shared link'))).toBe(true);
    expect(exportJson(input({ run: shared })).scores_from).toBe('a shared link');
  });
});

describe('csvField(value, isText)', () => {
  it.each<[string | number | boolean | null, string]>([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    [' padded ', '" padded "'],
    ['=SUM(A1)', "'=SUM(A1)"],
    ['+1', "'+1"],
    ['-x', "'-x"],
    ['@cmd', "'@cmd"],
    [-0.5, '-0.5'],
    [true, 'true'],
    [null, ''],
  ])('%j -> %s', (value, out) => {
    expect(csvField(value)).toBe(out);
  });
});

describe('exportCaption(input, maxChars, maxSteps)', () => {
  // Golden: the caption as a reader of the exported picture sees it (regenerate with `npx vitest run test/app/export.test.ts -u`, then read the diff).
  it('names model, dtype, backend, date, threshold, aggregate, problem, first errors and steps', async () => {
    const lines = exportCaption(input());
    await expect(lines.join('\n') + '\n').toMatchFileSnapshot('__snapshots__/export-caption.txt');
    expect(lines[0]).toBe('Scored by demo-prm (q4) on WASM, 2025-01-01 00:00 UTC · PRM Playground');
    expect(lines).toContain('Solution 2: first error: step 1 (reward 0.310); min 0.120');
  });

  it('cuts long lines and leaves steps past maxSteps to the JSON and CSV', () => {
    const lines = exportCaption(input({ problem: 'word '.repeat(100) }), 60, 3);
    expect(lines.every((l) => l.length <= 60)).toBe(true);
    const problem = lines.filter((l) => l.startsWith('Problem: word') || l.startsWith('  word'));
    expect(problem).toHaveLength(3);
    expect(problem.every((l) => !/wor$|^ *ord/.test(l))).toBe(true);
    expect(problem[2]).toMatch(/…$/);
    const word = exportCaption(input({ problem: 'x'.repeat(500) }), 60);
    expect(word.slice(2, 5)).toEqual([
      'Problem: ' + 'x'.repeat(30),
      '  ' + 'x'.repeat(30),
      '  ' + 'x'.repeat(30) + '…',
    ]);
    expect(lines.at(-1)).toBe('… 1 more step: see the JSON or CSV export.');
  });

  it('says "Not scored" without a run, and where shared scores came from', () => {
    expect(exportCaption(input({ run: null, fresh: [false, false] }))[0]).toBe('Not scored · PRM Playground');
    expect(exportCaption(input({ run: { ...run, origin: 'a shared link' } }))[0]).toContain(
      '(from a shared link)',
    );
  });
});

describe('exportCsv(input) read back as a spreadsheet would', () => {
  it('every row has every column, and the model, dtype, threshold and problem are in each', () => {
    const rows = readCsv(exportCsv(input({ problem: 'Two, "quoted"\nlines?' })));
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    const col = (name: string) => CSV_COLUMNS.indexOf(name as (typeof CSV_COLUMNS)[number]);
    for (const r of rows.slice(1)) {
      expect(r).toHaveLength(CSV_COLUMNS.length);
      expect(r[col('model')]).toBe('demo-prm');
      expect(r[col('dtype')]).toBe('q4');
      expect(Number(r[col('threshold')])).toBe(0.5);
      expect(r[col('problem')]).toBe('Two, "quoted"\nlines?');
    }
  });
});
