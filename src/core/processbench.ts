/**
 * Parsers for the data files the playground reads: ProcessBench subsets, `prm score` inputs and
 * `prm eval --out` prediction files. Each accepts a JSON list or JSONL (one object per line,
 * blank lines allowed) as text and reports bad records by file, line (JSONL) or item index
 * (JSON list, 0-based) and field. Reading the file is the caller's job.
 */
import type { ProcessBenchItem } from './types.ts';

/** A data file that cannot be used as given; the message says where and what is expected. */
export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataError';
  }
}

/** One record of a `prm score` input: the steps given, or a solution the caller will segment. */
export interface ScoreRecord {
  id: string;
  problem: string;
  steps?: string[];
  solution?: string;
}

/** Per-record outcome of `parseScoreInput`, so the caller can skip or stop on errors. */
export interface ScoreInputResult {
  /** JSONL: 1-based line number. JSON list: 1-based position of the item. */
  line: number;
  record?: ScoreRecord;
  error?: string;
}

/** One line of a `prm eval --out` predictions file. */
export interface PredictionRecord {
  id: string;
  subset: string;
  label: number;
  prediction: number;
  rewards: number[];
  /** Provenance `prm eval` writes: the model's name, ONNX variant and fingerprint (model.ts). */
  model?: string;
  dtype?: string;
  fingerprint?: string;
  /** Only leading steps fitted the context. */
  truncated?: true;
}

interface RawRecord {
  /** `gsm8k.jsonl line 12` or `gsm8k.json item 3`. */
  where: string;
  /** `line 12` or `item 3`. */
  loc: string;
  /** 1-based line (JSONL) or 1-based item position (list). */
  line: number;
  value?: unknown;
  /** Set when the line is not valid JSON. */
  error?: string;
}

/**
 * The file's name without folders and extension: `data/gsm8k.json` -> `gsm8k`.
 *
 * @example
 * subsetFromName('C:\\data\\omnimath.jsonl'); // 'omnimath'
 */
export function subsetFromName(sourceName: string): string {
  const base = sourceName.split(/[/\\]/).pop() ?? sourceName;
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

function baseName(sourceName: string): string {
  return sourceName.split(/[/\\]/).pop() ?? sourceName;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch {
    // JSON.parse reads nesting of any depth; JSON.stringify of it overflows the stack.
    return `${Array.isArray(value) ? 'a list' : 'an object'} nested too deeply to show`;
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function readRecords(text: string, sourceName: string): RawRecord[] {
  const file = baseName(sourceName);
  const trimmed = text.replace(/^\uFEFF/, '').trimStart();
  if (trimmed === '')
    throw new DataError(`${file}: the file is empty; expected a JSON list or JSONL records.`);
  if (trimmed.startsWith('[')) {
    let list: unknown;
    try {
      list = JSON.parse(trimmed);
    } catch (e) {
      throw new DataError(
        `${file}: not valid JSON (${(e as Error).message}); expected a JSON list of records or JSONL.`,
      );
    }
    if (!Array.isArray(list)) throw new DataError(`${file}: expected a JSON list of records.`);
    return list.map((value, i) => ({ where: `${file} item ${i}`, loc: `item ${i}`, line: i + 1, value }));
  }
  const out: RawRecord[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const lineText = i === 0 ? raw.replace(/^\uFEFF/, '') : raw;
    if (lineText.trim() === '') return;
    const loc = `line ${i + 1}`;
    const where = `${file} ${loc}`;
    try {
      out.push({ where, loc, line: i + 1, value: JSON.parse(lineText) });
    } catch (e) {
      out.push({ where, loc, line: i + 1, error: `${where}: not valid JSON (${(e as Error).message})` });
    }
  });
  return out;
}

type Fields = Record<string, unknown>;

function asObject(rec: RawRecord): Fields {
  if (rec.error) throw new DataError(rec.error);
  const v = rec.value;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new DataError(`${rec.where}: expected a JSON object, got ${show(v)}`);
  }
  return v as Fields;
}

function fieldError(where: string, field: string, expected: string, value: unknown): DataError {
  return new DataError(`${where}: field "${field}" must be ${expected}, got ${show(value)}`);
}

function idOf(where: string, obj: Fields, fallback?: string): string {
  const id = obj.id;
  if (id === undefined && fallback !== undefined) return fallback;
  if (typeof id === 'string' && id !== '') return id;
  if (typeof id === 'number' && Number.isSafeInteger(id)) return String(id);
  if (typeof id === 'number' && Number.isInteger(id)) {
    throw new DataError(
      `${where}: field "id" is a number too large to read exactly (${show(id)} after rounding; JSON numbers ` +
        'above 2^53 lose digits, so two ids could become one): write it as a string, e.g. "id": "12345678901234567891".',
    );
  }
  throw fieldError(where, 'id', 'a non-empty string or an integer', id);
}

function stringList(where: string, obj: Fields, field: string): string[] {
  const v = obj[field];
  if (!Array.isArray(v) || v.length === 0 || v.some((s) => typeof s !== 'string')) {
    throw fieldError(where, field, 'a non-empty list of strings', v);
  }
  return v as string[];
}

function nonEmptyString(where: string, obj: Fields, field: string): string {
  const v = obj[field];
  if (typeof v !== 'string' || v.trim() === '') throw fieldError(where, field, 'a non-empty string', v);
  return v;
}

function optionalString(where: string, obj: Fields, field: string): string | undefined {
  const v = obj[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw fieldError(where, field, 'a string', v);
  return v;
}

/** Ids join predictions back to items, so a repeat would silently merge two records. */
function checkUniqueIds(keys: string[], records: RawRecord[], what: string): void {
  const seen = new Map<string, string>();
  keys.forEach((key, i) => {
    const first = seen.get(key);
    if (first !== undefined) {
      throw new DataError(
        `${records[i].where}: field "id" repeats ${key} of ${first}; ${what} must be unique.`,
      );
    }
    seen.set(key, records[i].loc);
  });
}

/**
 * `model (dtype, fingerprint f)` of a prediction, or a phrase saying it names none.
 *
 * @example
 * describeScorer({ model: 'demo', dtype: 'q4', fingerprint: '0123456789abcdef' }); // 'demo (q4, fingerprint 0123456789abcdef)'
 */
export function describeScorer(p: Pick<PredictionRecord, 'model' | 'dtype' | 'fingerprint'>): string {
  if (p.model === undefined && p.dtype === undefined && p.fingerprint === undefined)
    return 'an unnamed model';
  return `${p.model ?? 'an unnamed model'} (${p.dtype ?? 'no dtype'}, ${p.fingerprint ? `fingerprint ${p.fingerprint}` : 'no fingerprint'})`;
}

/** A predictions file holding more than one model's scores. */
export class MixedModelsError extends DataError {
  constructor(message: string) {
    super(message);
    this.name = 'MixedModelsError';
  }
}

/** Metrics over one file must be one model's: two scorers' predictions would be averaged. */
function checkOneModel(preds: PredictionRecord[], records: RawRecord[]): void {
  if (preds.length === 0) return;
  const first = describeScorer(preds[0]);
  preds.forEach((p, i) => {
    const who = describeScorer(p);
    if (who !== first) {
      throw new MixedModelsError(
        `${records[i].where} was scored by ${who}, but ${records[0].loc} by ${first}; one predictions file must ` +
          "hold one model's scores, or its metrics mix two models. Split the file by model, or score again with one model.",
      );
    }
  });
}

/**
 * ProcessBench records (original release form) from a JSON list or JSONL. `subset` comes from a
 * `subset` field, else from the file name (`gsm8k.json` -> `gsm8k`). Throws `DataError` on the
 * first bad record.
 *
 * @example
 * parseProcessBench(text, 'gsm8k.jsonl');
 * // DataError: gsm8k.jsonl line 12: field "label" must be an integer from -1 to steps.length-1 (got 7 with 5 steps)
 */
export function parseProcessBench(text: string, sourceName: string): ProcessBenchItem[] {
  const fallbackSubset = subsetFromName(sourceName);
  const records = readRecords(text, sourceName);
  const items = records.map((rec) => {
    const obj = asObject(rec);
    const w = rec.where;
    const id = idOf(w, obj);
    const problem = nonEmptyString(w, obj, 'problem');
    const steps = stringList(w, obj, 'steps');
    const fac = obj.final_answer_correct;
    if (typeof fac !== 'boolean') throw fieldError(w, 'final_answer_correct', 'true or false', fac);
    const label = obj.label;
    if (typeof label !== 'number' || !Number.isInteger(label) || label < -1 || label >= steps.length) {
      throw new DataError(
        `${w}: field "label" must be an integer from -1 to steps.length-1 (got ${show(label)} with ${steps.length} steps)`,
      );
    }
    const item: ProcessBenchItem = {
      id,
      problem,
      steps,
      final_answer_correct: fac,
      label,
      subset: optionalString(w, obj, 'subset') ?? fallbackSubset,
    };
    const generator = optionalString(w, obj, 'generator');
    const errorType = optionalString(w, obj, 'error_type');
    if (generator !== undefined) item.generator = generator;
    if (errorType !== undefined) item.error_type = errorType;
    return item;
  });
  if (items.length === 0) throw new DataError(`${baseName(sourceName)}: the list holds no records.`);
  checkUniqueIds(
    items.map((it) => JSON.stringify(it.id)),
    records,
    'ids',
  );
  return items;
}

/**
 * `prm score` input records `{id?, problem, steps}` or `{id?, problem, solution}`. Never throws
 * for a bad record: each gets `error` instead, so the caller decides to skip or stop. A record
 * without `id` is named by its line (item position for a JSON list). Throws `DataError` only when
 * the whole file is unusable (empty, or a JSON list that does not parse).
 *
 * @example
 * parseScoreInput('{"problem":"1+1?","solution":"2"}\n', 'in.jsonl');
 * // [{ line: 1, record: { id: '1', problem: '1+1?', solution: '2' } }]
 */
export function parseScoreInput(text: string, sourceName: string): ScoreInputResult[] {
  return readRecords(text, sourceName).map((rec) => {
    try {
      const obj = asObject(rec);
      const w = rec.where;
      const id = idOf(w, obj, String(rec.line));
      const problem = nonEmptyString(w, obj, 'problem');
      const hasSteps = obj.steps !== undefined;
      const hasSolution = obj.solution !== undefined;
      if (hasSteps && hasSolution) {
        throw new DataError(`${w}: give either "steps" (a list) or "solution" (a string), not both.`);
      }
      if (hasSteps) return { line: rec.line, record: { id, problem, steps: stringList(w, obj, 'steps') } };
      if (hasSolution)
        return { line: rec.line, record: { id, problem, solution: nonEmptyString(w, obj, 'solution') } };
      throw new DataError(
        `${w}: missing the solution: add "steps" (a list of strings) or "solution" (a string).`,
      );
    } catch (e) {
      if (!(e instanceof DataError)) throw e;
      return { line: rec.line, error: e.message };
    }
  });
}

/**
 * The predictions file of `prm eval --out`: `{id, subset?, label, prediction, rewards}` per line.
 * `subset` falls back to the file name. Throws `DataError` on the first bad record.
 *
 * @example
 * parsePredictions('{"id":"gsm8k-0","subset":"gsm8k","label":1,"prediction":1,"rewards":[0.9,0.2]}', 'p.jsonl');
 */
export function parsePredictions(text: string, sourceName: string): PredictionRecord[] {
  const fallbackSubset = subsetFromName(sourceName);
  const records = readRecords(text, sourceName);
  const preds = records.map((rec) => {
    const obj = asObject(rec);
    const w = rec.where;
    const id = idOf(w, obj);
    const rewards = obj.rewards;
    if (
      !Array.isArray(rewards) ||
      rewards.some((r) => typeof r !== 'number' || !Number.isFinite(r) || r < 0 || r > 1)
    ) {
      throw fieldError(w, 'rewards', 'a list of numbers between 0 and 1', rewards);
    }
    const label = obj.label;
    if (typeof label !== 'number' || !Number.isInteger(label) || label < -1) {
      throw fieldError(w, 'label', 'an integer >= -1 (-1 = no error)', label);
    }
    const prediction = obj.prediction;
    if (
      typeof prediction !== 'number' ||
      !Number.isInteger(prediction) ||
      prediction < -1 ||
      prediction >= rewards.length
    ) {
      throw new DataError(
        `${w}: field "prediction" must be an integer from -1 to rewards.length-1 (got ${show(prediction)} with ${rewards.length} rewards)`,
      );
    }
    const subset = optionalString(w, obj, 'subset') ?? fallbackSubset;
    const pred: PredictionRecord = { id, subset, label, prediction, rewards: rewards as number[] };
    for (const field of ['model', 'dtype', 'fingerprint'] as const) {
      const v = optionalString(w, obj, field);
      if (v !== undefined) pred[field] = v;
    }
    if (obj.truncated === true) pred.truncated = true;
    return pred;
  });
  checkUniqueIds(
    preds.map((p) => `${JSON.stringify(p.id)} (subset ${p.subset})`),
    records,
    'ids within a subset',
  );
  checkOneModel(preds, records);
  return preds;
}
