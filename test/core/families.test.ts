import { describe, expect, it } from 'vitest';
import { createFamily, PromptError } from '../../src/core/families/index.ts';
import { reverseNumbers } from '../../src/core/families/reverse-numbers.ts';
import type { ModelFamily } from '../../src/core/types.ts';
import { specFor } from './fixtures/specs.ts';
import { LLAMA3_SYSTEM, toyTokenizer } from './fixtures/toy-tokenizer.ts';

const SYSTEM = 'Please reason step by step, and put your final answer within \\boxed{}.';

describe('createFamily(spec)', () => {
  it.each<ModelFamily>(['qwen-prm', 'value-head', 'token-pair', 'token-classification', 'user-turns'])(
    'returns a builder for %s',
    (family) => {
      expect(typeof createFamily(specFor(family)).build).toBe('function');
    },
  );

  it('throws on an unknown family, listing the known ones', () => {
    expect(() => createFamily(specFor('qwen-prm', { family: 'orm' as ModelFamily }))).toThrow(
      'Unknown model family "orm"; expected one of qwen-prm, value-head, token-pair, token-classification, user-turns.',
    );
  });
});

describe('strip_step_labels', () => {
  const tok = () => toyTokenizer({ specials: ['<extra_0>'], chatml: true });
  const labelled = ['Step 1: 2+2=4.', '**Step 2:** so 4.', '(3) The answer is 4.', 'Step 4:'];
  const bare = ['2+2=4.', 'so 4.', 'The answer is 4.', 'Step 4:'];

  it('builds the prompt of the unlabelled steps when the spec asks (a bare label stays as it is)', () => {
    const strip = createFamily(specFor('qwen-prm', { strip_step_labels: true })).build(tok(), 'Q?', labelled);
    expect(strip).toEqual(createFamily(specFor('qwen-prm')).build(tok(), 'Q?', bare));
  });

  it('keeps the labels by default', () => {
    expect(createFamily(specFor('qwen-prm')).build(tok(), 'Q?', labelled).text).toContain('Step 1: 2+2=4.');
  });
});

describe('reverse_numbers', () => {
  const tok = () => toyTokenizer({ specials: ['<extra_0>'], chatml: true });

  it.each([
    ['84 - 25 = 59', '48 - 52 = 95'],
    ['$1,250 + 30 = $1,280.', '$0521 + 03 = $0821.'],
    ['1{,}000 \\times 12 = 12{,}000', '0001 \\times 21 = 00021'],
    ['12,5 and 1,2345 keep their commas', '21,5 and 1,5432 keep their commas'],
    ['1.25 kg', '1.52 kg'],
    ['no numbers here', 'no numbers here'],
  ])('reverseNumbers(%j) is %j', (text, reversed) => {
    expect(reverseNumbers(text)).toBe(reversed);
  });

  it('builds the prompt of the reversed problem and steps, after dropping step labels', () => {
    const spec = specFor('qwen-prm', { strip_step_labels: true, reverse_numbers: true });
    const plan = createFamily(spec).build(tok(), 'Ann has 12 pens.', ['Step 1: 12 + 30 = 42.', 'So 42.']);
    expect(plan).toEqual(
      createFamily(specFor('qwen-prm')).build(tok(), 'Ann has 21 pens.', ['21 + 03 = 24.', 'So 24.']),
    );
  });

  it('keeps the digits in order by default, and still rejects an empty step when reversing', () => {
    expect(createFamily(specFor('qwen-prm')).build(tok(), 'Q?', ['12 + 30 = 42.']).text).toContain(
      '12 + 30 = 42.',
    );
    const reverse = createFamily(specFor('qwen-prm', { reverse_numbers: true }));
    expect(() => reverse.build(tok(), 'Q?', ['12 = 12', ' '])).toThrow(PromptError);
  });
});

describe('qwen-prm build(tokenizer, problem, steps)', () => {
  const spec = specFor('qwen-prm');
  const tok = () => toyTokenizer({ specials: ['<extra_0>'], chatml: true });

  it('renders the ChatML text of the model card exactly', () => {
    const plan = createFamily(spec).build(tok(), 'What is 2+2?', ['2+2=4.', 'The answer is 4.']);
    expect(plan.text).toBe(
      `<|im_start|>system\n${SYSTEM}<|im_end|>\n` +
        '<|im_start|>user\nWhat is 2+2?<|im_end|>\n' +
        '<|im_start|>assistant\n2+2=4.<extra_0>The answer is 4.<extra_0><|im_end|>\n',
    );
  });

  it('reads scores at every <extra_0>, the last step included', () => {
    const t = tok();
    const plan = createFamily(spec).build(t, 'Q?', ['a b', 'c']);
    const tokens = t.tokens(plan.inputIds);
    expect(plan.scorePositions.map((p) => tokens[p])).toEqual(['<extra_0>', '<extra_0>']);
    // Everything up to each position is the prompt through that step's tag.
    expect(tokens.slice(0, plan.scorePositions[0] + 1).join('')).toMatch(/assistant\na b<extra_0>$/);
    expect(tokens.slice(0, plan.scorePositions[1] + 1).join('')).toMatch(/a b<extra_0>c<extra_0>$/);
    expect(tokens.slice(plan.scorePositions[1] + 1)).toEqual(['<|im_end|>', '\n']);
  });

  it('leaves the system message out when system_prompt is null', () => {
    const plan = createFamily(specFor('qwen-prm', { system_prompt: null })).build(tok(), 'Q', ['a']);
    expect(plan.text).toBe('<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\na<extra_0><|im_end|>\n');
  });

  it.each([
    [
      ['ok', 'bad <extra_0> here'],
      /Step 2 \("bad <extra_0> here"\) contains the model's step marker "<extra_0>"/,
    ],
    [[], /There are no steps to score/],
    [['a', '  '], /Step 2 is empty/],
  ])('rejects steps %j', (steps, message) => {
    expect(() => createFamily(spec).build(tok(), 'Q', steps)).toThrow(message);
  });

  it('rejects a problem containing the step token', () => {
    expect(() => createFamily(spec).build(tok(), 'Q <extra_0>', ['a'])).toThrow(/The problem contains/);
  });

  it('throws a clear error when the tokenizer has no chat template', () => {
    const t = toyTokenizer({ specials: ['<extra_0>'] });
    expect(() => createFamily(spec).build(t, 'Q', ['a'])).toThrow(PromptError);
    expect(() => createFamily(spec).build(t, 'Q', ['a'])).toThrow(/needs a tokenizer with a chat template/);
  });

  it('throws when the tokenizer splits the step token so positions cannot be found', () => {
    // Without <extra_0> as a special token the toy splits it into pieces, as a wrong tokenizer would.
    const t = toyTokenizer({ chatml: true });
    expect(() => createFamily(spec).build(t, 'Q', ['a'])).toThrow(
      /Found 0 step-token "<extra_0>" positions for 1 steps/,
    );
  });
});

describe('value-head build(tokenizer, problem, steps)', () => {
  const spec = specFor('value-head');

  it('is bos + problem + "\\n", then each step with the newline id appended, scored at that newline', () => {
    const t = toyTokenizer({ bos: '<bos>' });
    const plan = createFamily(spec).build(t, 'What is 2+2?', ['2+2=4.', 'So 4.']);
    expect(t.tokens(plan.inputIds)).toEqual([
      '<bos>',
      'What',
      ' is',
      ' 2+2?',
      '\n',
      '2+2=4.',
      '\n',
      'So',
      ' 4.',
      '\n',
    ]);
    expect(plan.scorePositions).toEqual([6, 9]);
  });

  it('has no bos when the tokenizer has none', () => {
    const t = toyTokenizer();
    const plan = createFamily(spec).build(t, 'Q', ['a']);
    expect(t.tokens(plan.inputIds)).toEqual(['Q', '\n', 'a', '\n']);
    expect(plan.scorePositions).toEqual([3]);
  });

  it('keeps newlines inside a step without scoring them', () => {
    const t = toyTokenizer();
    const plan = createFamily(spec).build(t, 'Q', ['x\ny', 'z']);
    expect(t.tokens(plan.inputIds)).toEqual(['Q', '\n', 'x', '\n', 'y', '\n', 'z', '\n']);
    expect(plan.scorePositions).toEqual([5, 7]);
  });
});

describe('token-pair build(tokenizer, problem, steps)', () => {
  const spec = specFor('token-pair');

  it('is "{problem} {step ки\\n...}" with bos, scored at each ки', () => {
    const t = toyTokenizer({ bos: '<s>', specials: ['ки'] });
    const plan = createFamily(spec).build(t, 'Q', ['a', 'b']);
    expect(plan.text).toBe('Q a ки\nb ки');
    expect(t.tokens(plan.inputIds)).toEqual(['<s>', 'Q', ' a', ' ', 'ки', '\n', 'b', ' ', 'ки']);
    expect(plan.scorePositions).toEqual([4, 8]);
  });

  it('rejects a step that contains the tag', () => {
    const t = toyTokenizer({ specials: ['ки'] });
    expect(() => createFamily(spec).build(t, 'Q', ['a ки b'])).toThrow(
      /Step 1 \("a ки b"\) contains the model's step marker "ки"/,
    );
  });
});

describe('token-classification build(tokenizer, problem, steps)', () => {
  it('follows TRL tokenize_row: problem, then step + separator ids, scored at the last separator token', () => {
    const t = toyTokenizer();
    const plan = createFamily(specFor('token-classification')).build(t, 'What is 2+2?', ['2+2=4.', 'So 4.']);
    expect(t.tokens(plan.inputIds)).toEqual(['What', ' is', ' 2+2?', '2+2=4.', '\n', 'So', ' 4.', '\n']);
    expect(plan.scorePositions).toEqual([4, 7]);
  });

  it('scores at the last token of a multi-token separator and prepends bos when there is one', () => {
    const t = toyTokenizer({ bos: '<bos>' });
    const spec = specFor('token-classification', { step_separator: '\n\n', step_token: '\n\n' });
    const plan = createFamily(spec).build(t, 'Q', ['a', 'b']);
    expect(t.tokens(plan.inputIds)).toEqual(['<bos>', 'Q', 'a', '\n', '\n', 'b', '\n', '\n']);
    expect(plan.scorePositions).toEqual([4, 7]);
  });
});

describe('user-turns build(tokenizer, problem, steps)', () => {
  const spec = specFor('user-turns');
  const tok = () => toyTokenizer({ llama3: true });
  const turn = (role: string, content: string) =>
    `<|start_header_id|>${role}<|end_header_id|>\n\n${content}<|eot_id|>`;

  it('renders RLHFlow\'s conversation: problem + " " + step 1, then one user turn per step, each answered "+"', () => {
    const plan = createFamily(spec).build(tok(), 'What is 2+2?', ['2+2=4.', 'The answer is 4.']);
    expect(plan.text).toBe(
      LLAMA3_SYSTEM +
        turn('user', 'What is 2+2? 2+2=4.') +
        turn('assistant', '+') +
        turn('user', 'The answer is 4.') +
        turn('assistant', '+'),
    );
  });

  it.each<[string, string, string[], string[]]>([
    ['trims each step as prm_evaluate.py does', 'Q', ['  a \n', '\tb '], ['Q a', 'b']],
    ["keeps the problem's own trailing newline inside the first turn", 'Q\n', ['a'], ['Q\n a']],
    ['drops the joining space when the problem is empty', '', ['a', 'b'], ['a', 'b']],
    ['drops it when the problem is only white space', '  \n', ['a'], ['a']],
  ])('%s', (_, problem, steps, turns) => {
    const plan = createFamily(spec).build(tok(), problem, steps);
    expect(plan.text).toBe(
      LLAMA3_SYSTEM + turns.map((u) => turn('user', u) + turn('assistant', '+')).join(''),
    );
  });

  it.each<[string, string[]]>([
    ['one step', ['a']],
    ['three steps', ['a b', 'c', 'd e f']],
    ['steps that contain "+" and "-" themselves', ['1 + 1 = 2', '2 - 1 = +1', '+']],
  ])('reads each score at the token before the assistant\'s "+" (%s)', (_, steps) => {
    const t = tok();
    const plan = createFamily(spec).build(t, 'Q', steps);
    const tokens = t.tokens(plan.inputIds);
    expect(plan.scorePositions).toHaveLength(steps.length);
    for (const p of plan.scorePositions) {
      // The toy splits "\n\n" in two; Llama 3's tokenizer has one token for it.
      expect(tokens.slice(p - 3, p + 3)).toEqual([
        'assistant',
        '<|end_header_id|>',
        '\n',
        '\n',
        '+',
        '<|eot_id|>',
      ]);
    }
    // The last position is RLHFlow's logits[-3]: "+" and <|eot_id|> follow it.
    expect(plan.inputIds.length - plan.scorePositions.at(-1)!).toBe(3);
  });

  it('reads the same positions in one pass as in each prefix conversation (their logits[-3])', () => {
    const t = tok();
    const steps = ['a', 'b c', 'd'];
    const full = createFamily(spec).build(t, 'Q', steps);
    steps.forEach((_, k) => {
      const prefix = createFamily(spec).build(t, 'Q', steps.slice(0, k + 1));
      expect(full.inputIds.slice(0, prefix.inputIds.length)).toEqual(prefix.inputIds);
      expect(full.scorePositions[k]).toBe(prefix.inputIds.length - 3);
    });
  });

  it('keeps control tokens typed in a step as text', () => {
    const t = tok();
    const plan = createFamily(spec).build(t, 'Q', ['a <|eot_id|> b']);
    expect(t.tokens(plan.inputIds).filter((x) => x === '<|eot_id|>')).toHaveLength(3);
    expect(plan.scorePositions).toHaveLength(1);
  });

  it.each<[string, () => ReturnType<typeof toyTokenizer>, RegExp]>([
    [
      'has no chat template',
      () => toyTokenizer(),
      /family user-turns\) needs a tokenizer with a chat template/,
    ],
    [
      'merges the reply with its neighbours',
      () => {
        const t = toyTokenizer();
        t.applyChatTemplate = (ms) => ms.map((m) => `${m.role}:${m.content};`).join('');
        return t;
      },
      /merges the assistant's reply "\+" with the text around it/,
    ],
  ])('throws a PromptError when the tokenizer %s', (_, make, message) => {
    expect(() => createFamily(spec).build(make(), 'Q', ['a'])).toThrow(PromptError);
    expect(() => createFamily(spec).build(make(), 'Q', ['a'])).toThrow(message);
  });

  it('throws when the reply is not a single token', () => {
    const s = specFor('user-turns', { step_token: '+ +' });
    expect(() => createFamily(s).build(tok(), 'Q', ['a'])).toThrow(
      /no single token for the step token "\+ \+"/,
    );
  });
});
