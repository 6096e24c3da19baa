/**
 * `prm synth`: writes synthetic step-by-step arithmetic word problems with labelled errors in
 * ProcessBench form (the bundled demo model's training and evaluation data). A thin shell over
 * `synthesize` in src/core/synth; it only parses flags and writes the file.
 */
import { writeFileSync } from 'node:fs';
import { parseFlags, parseWholeNumber } from '../options.ts';
import { synthesize } from '../../core/synth/index.ts';
import { UsageError, type Command } from '../command.ts';
import { checkFileOutput } from '../../node/paths.ts';

/** True when `text` is a file `prm synth` wrote: a JSON array or JSONL of synth records. */
export function isSynthOutput(text: string): boolean {
  const records = (): unknown[] => {
    const t = text.trim();
    if (t.startsWith('[')) return JSON.parse(t) as unknown[];
    return t.split('\n').map((line) => JSON.parse(line) as unknown);
  };
  try {
    const list = records();
    return (
      Array.isArray(list) &&
      list.length > 0 &&
      list.every(
        (r) => typeof r === 'object' && r !== null && (r as { generator?: unknown }).generator === 'synth',
      )
    );
  } catch {
    return false;
  }
}

const usage = `Usage: prm synth --n N --seed S [--out FILE] [--jsonl] [--correct-share P] [--wording W]

Writes N synthetic arithmetic word problems with step-by-step solutions in ProcessBench form:
{id, generator: "synth", problem, steps, label, final_answer_correct, error_type}.
label is the index of the first wrong step (-1 when every step is right); error_type is one of
none, arithmetic, unsupported_number, wrong_operation, final_answer. Same N and seed, same file.

Options:
  --n N               number of records (required, whole number >= 1)
  --seed S            integer seed (required); use a seed not used in training for evaluation
  --out FILE          output file (default: stdout); an existing file is refused
  --force             replace an existing --out file that prm synth wrote (never any other file)
  --jsonl             one JSON record per line instead of a JSON array
  --correct-share P   share of fully correct solutions, 0..1 (default 0.5)
  --wording W         varied (default: word-list names and objects, step labels, bare
                      equations, LaTeX, thousands separators, \\boxed answers; what the bundled
                      demo model is trained on) or plain (a small closed vocabulary, one form)
  -h, --help          show this help

Example:
  prm synth --n 1000 --seed 7 --out synth-7.json
`;

const FLAGS = {
  n: { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
  jsonl: { type: 'boolean', default: false },
  force: { type: 'boolean', default: false },
  'correct-share': { type: 'string' },
  wording: { type: 'string' },
} as const;

export const synthCommand: Command = {
  name: 'synth',
  summary: 'Generate synthetic arithmetic word problems with labelled step errors',
  usage,
  async run(argv, io) {
    const v = parseFlags(argv, FLAGS).values;
    if (v.n === undefined) throw new UsageError('--n is required.');
    const n = parseWholeNumber('--n', v.n, 0, 1);
    if (v.seed === undefined) throw new UsageError('--seed is required.');
    const seed = Number(v.seed);
    if (!Number.isInteger(seed) || Math.abs(seed) > 0xffffffff)
      throw new UsageError(`--seed must be an integer between -4294967295 and 4294967295, got '${v.seed}'.`);
    let correctShare = 0.5;
    if (v['correct-share'] !== undefined) {
      correctShare = Number(v['correct-share']);
      if (!(correctShare >= 0 && correctShare <= 1))
        throw new UsageError(
          `--correct-share must be a number between 0 and 1, got '${v['correct-share']}'.`,
        );
    }
    const wording = v.wording ?? 'varied';
    if (wording !== 'plain' && wording !== 'varied')
      throw new UsageError(`--wording must be plain or varied, got '${wording}'.`);
    if (v.out) checkFileOutput('--out', v.out, { force: v.force, isOurs: isSynthOutput });
    const items = synthesize({ n, seed: seed | 0, correctShare, wording });
    const text = v.jsonl
      ? items.map((x) => JSON.stringify(x)).join('\n') + '\n'
      : JSON.stringify(items, null, 1) + '\n';
    if (v.out) {
      writeFileSync(v.out, text);
      const errors = items.filter((x) => x.label !== -1).length;
      io.stderr(`wrote ${n} records (${n - errors} correct, ${errors} with an error) to ${v.out}\n`);
    } else io.stdout(text);
    return 0;
  },
};
