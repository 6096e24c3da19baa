/**
 * Reading and checking `prm.json`, the description that sits next to a converted model, plus the
 * standard prompt conventions of each model family.
 *
 * It validates already-read data (a parsed object or the file's text); it does not read files.
 * Unknown extra fields are accepted and dropped so that newer files still load; unknown values of
 * the closed fields (`family`, `dtypes`, `format`) are errors, because guessing them would score
 * the wrong tokens.
 */
import type { Dtype, ModelDomain, ModelFamily, ModelSpec } from './types.ts';

export const MODEL_FAMILIES: readonly ModelFamily[] = [
  'qwen-prm',
  'value-head',
  'token-pair',
  'token-classification',
  'user-turns',
];
export const DTYPES: readonly Dtype[] = ['fp32', 'fp16', 'q4', 'q4f16'];
export const SPEC_FORMAT = 'prm-playground/1';

/** A `prm.json` that does not describe a usable model. The message names file, field and expected form. */
export class SpecError extends Error {
  constructor(
    readonly source: string,
    readonly field: string | null,
    message: string,
  ) {
    super(message);
    this.name = 'SpecError';
  }
}

/** The prompt conventions a family brings; a `ModelSpec` minus the per-model facts. */
export type FamilyDefaults = Pick<
  ModelSpec,
  | 'family'
  | 'step_separator'
  | 'step_token'
  | 'step_joiner'
  | 'system_prompt'
  | 'default_threshold'
  | 'context_length'
>;

const QWEN_SYSTEM_PROMPT = 'Please reason step by step, and put your final answer within \\boxed{}.';

/** A family's defaults: its separators, and what every family shares unless `more` says otherwise. */
function familyDefaults(
  family: ModelFamily,
  step_separator: string,
  step_token: string,
  more: Partial<FamilyDefaults> = {},
): FamilyDefaults {
  return {
    family,
    step_separator,
    step_token,
    step_joiner: '',
    system_prompt: null,
    default_threshold: 0.5,
    context_length: 4096,
    ...more,
  };
}

// Sources: the Qwen2.5-Math-PRM model card (https://huggingface.co/Qwen/Qwen2.5-Math-PRM-7B);
// `prepare_input` in https://github.com/SkyworkAI/skywork-o1-prm-inference; the Math-Shepherd
// model card (https://huggingface.co/peiyi9979/math-shepherd-mistral-7b-prm); TRL's
// `PRMConfig.step_separator` (default "\n", the same separator ProcessBench's
// `run_eval_prm_trl.py` uses: https://github.com/QwenLM/ProcessBench).
const DEFAULTS: Record<ModelFamily, FamilyDefaults> = {
  'qwen-prm': familyDefaults('qwen-prm', '<extra_0>', '<extra_0>', { system_prompt: QWEN_SYSTEM_PROMPT }),
  // Skywork tuned its ProcessBench threshold on GSM8K but did not publish it; 0.5 is sigmoid(0).
  'value-head': familyDefaults('value-head', '\n', '\n'),
  'token-pair': familyDefaults('token-pair', ' ки', 'ки', { step_joiner: '\n' }),
  'token-classification': familyDefaults('token-classification', '\n', '\n'),
  // RLHFlow math-rm/prm_evaluate.py: the assistant answers every step "+"; no separator in the text.
  'user-turns': familyDefaults('user-turns', '+', '+'),
};

/**
 * The standard separators, system prompt, threshold and context length of a family.
 *
 * @example
 * defaultSpecFor('token-pair').step_separator; // ' ки'
 */
export function defaultSpecFor(family: ModelFamily): FamilyDefaults {
  const defaults = DEFAULTS[family];
  if (!defaults) {
    throw new Error(
      `Unknown model family ${JSON.stringify(family)}; expected one of ${MODEL_FAMILIES.join(', ')}.`,
    );
  }
  return { ...defaults };
}

const MODEL_FILES: Record<Dtype, string> = {
  fp32: 'onnx/model.onnx',
  fp16: 'onnx/model_fp16.onnx',
  q4: 'onnx/model_q4.onnx',
  q4f16: 'onnx/model_q4f16.onnx',
};

/**
 * Path of the ONNX file for a dtype, relative to the model folder (the transformers.js layout).
 *
 * @example
 * modelFileFor('q4f16'); // 'onnx/model_q4f16.onnx'
 */
export function modelFileFor(dtype: Dtype): string {
  const file = MODEL_FILES[dtype];
  if (!file) throw new Error(`Unknown dtype ${JSON.stringify(dtype)}; expected one of ${DTYPES.join(', ')}.`);
  return file;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing (field missing)';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * Checks a parsed (or raw text) `prm.json` and returns it typed. Throws `SpecError` naming the
 * file, the field and the expected form.
 *
 * @example
 * parseModelSpec({ ...spec, default_threshold: 'high' });
 * // SpecError: prm.json: field "default_threshold" must be a number between 0 and 1, got "high"
 */
export function parseModelSpec(json: unknown, source = 'prm.json'): ModelSpec {
  let data = json;
  if (typeof json === 'string') {
    try {
      data = JSON.parse(json);
    } catch (e) {
      throw new SpecError(source, null, `${source}: not valid JSON (${(e as Error).message}).`);
    }
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new SpecError(
      source,
      null,
      `${source}: must be a JSON object describing the model, got ${show(data)}.`,
    );
  }
  const obj = data as Record<string, unknown>;
  const fail = (field: string, expected: string): never => {
    throw new SpecError(
      source,
      field,
      `${source}: field "${field}" must be ${expected}, got ${show(obj[field])}`,
    );
  };
  const str = (field: string, nonEmpty: boolean): string => {
    const v = obj[field];
    if (typeof v !== 'string' || (nonEmpty && v.length === 0))
      fail(field, nonEmpty ? 'a non-empty string' : 'a string');
    return v as string;
  };
  const optStr = (field: string): string | undefined => {
    if (obj[field] === undefined) return undefined;
    return str(field, false);
  };

  if (obj.format !== SPEC_FORMAT) fail('format', `"${SPEC_FORMAT}"`);
  const name = str('name', true);
  const family = obj.family as ModelFamily;
  if (!MODEL_FAMILIES.includes(family))
    fail('family', `one of ${MODEL_FAMILIES.map((f) => `"${f}"`).join(', ')}`);
  const architecture = str('architecture', true);
  const step_separator = str('step_separator', true);
  const step_token = str('step_token', true);
  const step_joiner = str('step_joiner', false);
  const sp = obj.system_prompt;
  if (sp !== null && typeof sp !== 'string') fail('system_prompt', 'a string or null');
  const t = obj.default_threshold;
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0 || t > 1) {
    fail('default_threshold', 'a number between 0 and 1');
  }
  const c = obj.context_length;
  if (typeof c !== 'number' || !Number.isInteger(c) || c <= 0) fail('context_length', 'a positive integer');
  const d = obj.dtypes;
  const allowed = DTYPES.map((x) => `"${x}"`).join(', ');
  if (!Array.isArray(d) || d.length === 0) fail('dtypes', `a non-empty list of ${allowed}`);
  for (const x of d as unknown[]) {
    if (!DTYPES.includes(x as Dtype)) {
      throw new SpecError(
        source,
        'dtypes',
        `${source}: field "dtypes" may only contain ${allowed}, got ${show(x)} in ${show(d)}`,
      );
    }
  }
  if (new Set(d as Dtype[]).size !== (d as Dtype[]).length) fail('dtypes', 'a list without repeats');

  const spec: ModelSpec = {
    format: SPEC_FORMAT,
    name,
    family,
    architecture,
    step_separator,
    step_token,
    step_joiner,
    system_prompt: sp as string | null,
    default_threshold: t as number,
    context_length: c as number,
    dtypes: [...(d as Dtype[])],
  };
  const strip = obj.strip_step_labels;
  if (strip !== undefined && typeof strip !== 'boolean') fail('strip_step_labels', 'true or false');
  if (typeof strip === 'boolean') spec.strip_step_labels = strip;
  const reverse = obj.reverse_numbers;
  if (reverse !== undefined && typeof reverse !== 'boolean') fail('reverse_numbers', 'true or false');
  if (typeof reverse === 'boolean') spec.reverse_numbers = reverse;
  if (obj.domain !== undefined) spec.domain = parseDomain(obj.domain, source);
  const source_ = optStr('source');
  const license = optStr('license');
  const description = optStr('description');
  if (source_ !== undefined) spec.source = source_;
  if (license !== undefined) spec.license = license;
  if (description !== undefined) spec.description = description;
  return spec;
}

/** `prm.json` `domain` (optional), checked field by field like the rest of the file. */
function parseDomain(value: unknown, source: string): ModelDomain {
  const fail = (field: string, expected: string, got: unknown): never => {
    throw new SpecError(
      source,
      `domain.${field}`,
      `${source}: field "domain.${field}" must be ${expected}, got ${show(got)}`,
    );
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SpecError(
      source,
      'domain',
      `${source}: field "domain" must be an object describing the training data, got ${show(value)}`,
    );
  }
  const d = value as Record<string, unknown>;
  if (typeof d.description !== 'string' || d.description.trim() === '')
    fail('description', 'a non-empty string', d.description);
  const words = d.words;
  if (!Array.isArray(words) || words.length === 0 || words.some((w) => typeof w !== 'string'))
    fail('words', 'a non-empty list of strings', words);
  const share = (field: string): number => {
    const v = d[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1)
      fail(field, 'a number between 0 and 1', v);
    return v as number;
  };
  const maxTokens = d.max_tokens;
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens <= 0)
    fail('max_tokens', 'a positive integer', maxTokens);
  if (typeof d.whole_numbers_only !== 'boolean')
    fail('whole_numbers_only', 'true or false', d.whole_numbers_only);
  return {
    description: d.description as string,
    words: (words as string[]).map((w) => w.toLowerCase()),
    max_unknown_word_share: share('max_unknown_word_share'),
    max_steps_without_computation: share('max_steps_without_computation'),
    max_tokens: maxTokens as number,
    whole_numbers_only: d.whole_numbers_only as boolean,
  };
}
