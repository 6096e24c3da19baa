import { describe, expect, it } from 'vitest';
import {
  defaultSpecFor,
  modelFileFor,
  MODEL_FAMILIES,
  parseModelSpec,
  SpecError,
} from '../../src/core/spec.ts';
import type { Dtype, ModelFamily } from '../../src/core/types.ts';

const valid = {
  format: 'prm-playground/1',
  name: 'Qwen2.5-Math-PRM-7B',
  family: 'qwen-prm',
  architecture: 'qwen2',
  step_separator: '<extra_0>',
  step_token: '<extra_0>',
  step_joiner: '',
  system_prompt: 'Please reason step by step, and put your final answer within \\boxed{}.',
  default_threshold: 0.5,
  context_length: 4096,
  dtypes: ['fp16', 'q4f16'],
  license: 'apache-2.0',
};

describe('parseModelSpec(json, source)', () => {
  it('returns the spec typed when every field is valid', () => {
    expect(parseModelSpec(valid)).toEqual(valid);
  });

  it('accepts the file text as well as a parsed object', () => {
    expect(parseModelSpec(JSON.stringify(valid))).toEqual(valid);
  });

  it('ignores unknown extra fields so newer files still load', () => {
    const spec = parseModelSpec({ ...valid, quantized_by: 'someone', future: { x: 1 } });
    expect(spec).toEqual(valid);
  });

  it('keeps a valid domain (lower-casing its words) and names the bad field of an invalid one', () => {
    const domain = {
      description: 'arithmetic word problems',
      words: ['Apples', 'cost'],
      max_unknown_word_share: 0.2,
      max_steps_without_computation: 0.1,
      max_tokens: 350,
      whole_numbers_only: true,
    };
    expect(parseModelSpec({ ...valid, domain }).domain).toEqual({ ...domain, words: ['apples', 'cost'] });
    expect(parseModelSpec(valid).domain).toBeUndefined();
    expect(() => parseModelSpec({ ...valid, domain: 'math' })).toThrow(
      'prm.json: field "domain" must be an object describing the training data, got "math"',
    );
    expect(() => parseModelSpec({ ...valid, domain: { ...domain, max_unknown_word_share: 2 } })).toThrow(
      'prm.json: field "domain.max_unknown_word_share" must be a number between 0 and 1, got 2',
    );
    expect(() => parseModelSpec({ ...valid, domain: { ...domain, words: [] } })).toThrow(
      'field "domain.words" must be a non-empty list of strings',
    );
    expect(() => parseModelSpec({ ...valid, domain: { ...domain, max_tokens: 0 } })).toThrow(
      'field "domain.max_tokens" must be a positive integer, got 0',
    );
  });

  it('keeps reverse_numbers when it is a boolean and rejects anything else', () => {
    expect(parseModelSpec({ ...valid, reverse_numbers: true }).reverse_numbers).toBe(true);
    expect(parseModelSpec(valid).reverse_numbers).toBeUndefined();
    expect(() => parseModelSpec({ ...valid, reverse_numbers: 1 })).toThrow(
      'prm.json: field "reverse_numbers" must be true or false, got 1',
    );
  });

  it('keeps strip_step_labels when it is a boolean and rejects anything else', () => {
    expect(parseModelSpec({ ...valid, strip_step_labels: true }).strip_step_labels).toBe(true);
    expect(parseModelSpec(valid).strip_step_labels).toBeUndefined();
    expect(() => parseModelSpec({ ...valid, strip_step_labels: 'yes' })).toThrow(
      'prm.json: field "strip_step_labels" must be true or false, got "yes"',
    );
  });

  it('accepts system_prompt null and an empty step_joiner', () => {
    const spec = parseModelSpec({ ...valid, system_prompt: null, step_joiner: '' });
    expect(spec.system_prompt).toBeNull();
  });

  it.each([
    [
      'default_threshold',
      'high',
      'prm.json: field "default_threshold" must be a number between 0 and 1, got "high"',
    ],
    [
      'default_threshold',
      1.5,
      'prm.json: field "default_threshold" must be a number between 0 and 1, got 1.5',
    ],
    ['context_length', 0, 'prm.json: field "context_length" must be a positive integer, got 0'],
    ['context_length', 40.5, 'prm.json: field "context_length" must be a positive integer, got 40.5'],
    ['format', 'prm/2', 'prm.json: field "format" must be "prm-playground/1", got "prm/2"'],
    ['name', '', 'prm.json: field "name" must be a non-empty string, got ""'],
    [
      'step_token',
      undefined,
      'prm.json: field "step_token" must be a non-empty string, got nothing (field missing)',
    ],
    ['step_joiner', null, 'prm.json: field "step_joiner" must be a string, got null'],
    ['system_prompt', 3, 'prm.json: field "system_prompt" must be a string or null, got 3'],
    [
      'family',
      'llama-prm',
      'prm.json: field "family" must be one of "qwen-prm", "value-head", "token-pair", "token-classification", "user-turns", got "llama-prm"',
    ],
    [
      'dtypes',
      [],
      'prm.json: field "dtypes" must be a non-empty list of "fp32", "fp16", "q4", "q4f16", got []',
    ],
    [
      'dtypes',
      ['fp16', 'int8'],
      'prm.json: field "dtypes" may only contain "fp32", "fp16", "q4", "q4f16", got "int8" in ["fp16","int8"]',
    ],
    ['dtypes', ['q4', 'q4'], 'prm.json: field "dtypes" must be a list without repeats, got ["q4","q4"]'],
    ['license', 7, 'prm.json: field "license" must be a string, got 7'],
  ])('rejects %s = %j with a message naming file, field and form', (field, value, message) => {
    const bad = { ...valid, [field]: value };
    expect(() => parseModelSpec(bad)).toThrow(message);
    try {
      parseModelSpec(bad);
    } catch (e) {
      expect(e).toBeInstanceOf(SpecError);
      expect((e as SpecError).field).toBe(field);
    }
  });

  it.each([
    [[1, 2], 'models/x/prm.json: must be a JSON object describing the model, got [1,2].'],
    ['{"name": ', 'models/x/prm.json: not valid JSON'],
    [null, 'models/x/prm.json: must be a JSON object describing the model, got null.'],
  ])('rejects %j as a whole, naming the source', (json, message) => {
    expect(() => parseModelSpec(json, 'models/x/prm.json')).toThrow(message);
  });
});

describe('defaultSpecFor(family)', () => {
  it.each<[ModelFamily, string, string, string, string | null]>([
    [
      'qwen-prm',
      '<extra_0>',
      '<extra_0>',
      '',
      'Please reason step by step, and put your final answer within \\boxed{}.',
    ],
    ['value-head', '\n', '\n', '', null],
    ['token-pair', ' ки', 'ки', '\n', null],
    ['token-classification', '\n', '\n', '', null],
    ['user-turns', '+', '+', '', null],
  ])('%s uses separator %j, token %j, joiner %j', (family, separator, token, joiner, system) => {
    const d = defaultSpecFor(family);
    expect(d).toMatchObject({
      family,
      step_separator: separator,
      step_token: token,
      step_joiner: joiner,
      system_prompt: system,
      default_threshold: 0.5,
      context_length: 4096,
    });
  });

  it('gives defaults that parse as a complete spec for every family', () => {
    for (const family of MODEL_FAMILIES) {
      const spec = {
        format: 'prm-playground/1',
        name: 'x',
        architecture: 'qwen2',
        dtypes: ['fp32'],
        ...defaultSpecFor(family),
      };
      expect(parseModelSpec(spec).family).toBe(family);
    }
  });

  it('throws on an unknown family, listing the known ones', () => {
    expect(() => defaultSpecFor('rlhflow' as ModelFamily)).toThrow(
      'Unknown model family "rlhflow"; expected one of qwen-prm, value-head, token-pair, token-classification, user-turns.',
    );
  });
});

describe('modelFileFor(dtype)', () => {
  it.each<[Dtype, string]>([
    ['fp32', 'onnx/model.onnx'],
    ['fp16', 'onnx/model_fp16.onnx'],
    ['q4', 'onnx/model_q4.onnx'],
    ['q4f16', 'onnx/model_q4f16.onnx'],
  ])('%s -> %s', (dtype, file) => {
    expect(modelFileFor(dtype)).toBe(file);
  });

  it('throws on an unknown dtype', () => {
    expect(() => modelFileFor('int8' as Dtype)).toThrow(
      'Unknown dtype "int8"; expected one of fp32, fp16, q4, q4f16.',
    );
  });
});
