/**
 * Which of the three files the Evaluate view accepts a dropped file is: a ProcessBench-format
 * dataset, a `prm eval --out` predictions file, or a Best-of-N candidates file. It looks only at
 * the first record's fields; the full, field-precise validation is the parsers' job
 * (core/processbench.ts, ./best-of-n.ts). It does not read files from disk or the DOM.
 */
import { DataError } from '../../core/processbench.ts';
import { asObject, readRecords } from './records.ts';

export type EvalFileKind = 'processbench' | 'predictions' | 'best-of-n';

/**
 * Decides the kind from the first record: `rewards` + `prediction` is a predictions file,
 * `correct` a Best-of-N file, `steps` + `label` a ProcessBench file. Throws `DataError` naming the
 * fields found and the fields each kind needs when none fits.
 *
 * @example
 * detectFileKind('{"id":"gsm8k-0","label":1,"prediction":1,"rewards":[0.9,0.2]}\n', 'p.jsonl'); // 'predictions'
 * detectFileKind('[{"problem_id":"p1","steps":["x"],"correct":true}]', 'bon.json'); // 'best-of-n'
 */
export function detectFileKind(text: string, sourceName: string): EvalFileKind {
  const [first] = readRecords(text, sourceName, true);
  const record = asObject(first);
  const has = (k: string) => Object.hasOwn(record, k);
  if (has('rewards') && has('prediction')) return 'predictions';
  if (has('correct')) return 'best-of-n';
  if (has('steps') && has('label')) return 'processbench';
  const fields = Object.keys(record).slice(0, 12).join(', ') || 'none';
  throw new DataError(
    `${first.where}: cannot tell what this file is (fields: ${fields}). Expected ProcessBench records ` +
      '{id, problem, steps, final_answer_correct, label}, `prm eval --out` predictions {id, label, prediction, rewards}, ' +
      'or Best-of-N records {problem_id or problem, steps or solution, correct}.',
  );
}
