/**
 * `prm score`: scores one solution (`--problem`/`--solution`) or a file of records (`--input`)
 * with a converted model folder, printing step rewards, the first error and the aggregates.
 *
 * A thin shell: segmentation, prompts, rewards and aggregates come from src/core; model loading
 * and onnxruntime from src/node. It does not evaluate datasets against labels (`prm eval` does).
 */
import path from 'node:path';
import { UsageError, type CliIO, type Command } from '../command.ts';
import { domainNotice } from '../../core/domain.ts';
import {
  ContextLengthError,
  planScore,
  resolveThreshold,
  runPlans,
  scoreSolution,
  type ScorePlan,
} from '../../core/pipeline.ts';
import { parseScoreInput, type ScoreRecord } from '../../core/processbench.ts';
import { aggregate } from '../../core/rewards.ts';
import { SEGMENT_STRATEGIES, segment } from '../../core/segment.ts';
import type { SegmentStrategy } from '../../core/types.ts';
import { describeClaim, judgeArithmetic, type Judgement } from '../../core/judge/index.ts';
import {
  DEFAULT_BATCH,
  parseDtype,
  parseFlags,
  parseJudge,
  parsePositiveInt,
  parseServerFlags,
  parseThreshold,
  SERVER_FLAGS,
  SERVER_USAGE,
} from '../options.ts';
import { readStdin, readTextFile } from '../../node/files.ts';
import { defaultModelDir, loadModelDir } from '../../node/model.ts';
import { openServerModel, type ScoringModel } from '../../node/server-model.ts';

const usage = `Usage:
  prm score --problem TEXT --solution TEXT [options]
  prm score --problem TEXT --solution-file FILE [options]
  prm score --input FILE [options]
  prm score --server URL --model NAME --prompt-from DIR (--problem ... | --input FILE) [options]

Scores every step of a solution with a process reward model: p(step is correct), the first step
at or below the threshold, and the solution aggregates (min, product, last, mean).

Input:
  --problem TEXT        The problem statement ('-' reads it from stdin).
  --solution TEXT       The solution; split into steps with --strategy ('-' reads stdin).
  --solution-file FILE  Read the solution from FILE instead.
  --strategy NAME       How to split the solution into steps (default auto):
                        ${SEGMENT_STRATEGIES.join(', ')}.
  --input FILE          JSON list or JSONL of {id?, problem, steps} or {id?, problem, solution};
                        prints one JSON line per record: {id, steps, rewards, first_error, aggregate}.
  --on-error MODE       With --input: skip (default) reports a bad record on stderr and goes on;
                        stop ends the run there. Either way the exit code is 1 if any was bad.

Model:
  --model DIR           Converted model folder (prm.json, tokenizer, onnx/). Default: the bundled
                        model in the package's models/ folder. With --server: the served model name.
  --dtype NAME          ONNX variant: fp32, fp16, q4, q4f16 (default q4 when present, else fp32).
  --threshold T         p(correct) at or below T marks a step wrong, 0..1 (default: the model's).
  --truncate            Score only the leading steps that fit the model's context instead of
                        refusing an input that is too long.
  --batch N             With --input: solutions per model run (default ${DEFAULT_BATCH}).

${SERVER_USAGE}

Second judge:
  --judge arithmetic    Also check every computation a step states with exact arithmetic. JSON
                        output gains "judge": {name, first_error, steps: [{verdict, claims:
                        [{text, stated, computed, verdict}]}]}; a step is "wrong" if any claim is
                        wrong, "right" if it has checked claims and none is wrong, else "none".

Output:
  --json                One JSON object instead of the table (--input always prints JSON lines).
  -h, --help            This help.

Examples:
  prm score --problem "A bakery makes 24 muffins a day for 5 days. It sells 98. How many are left?" \\
            --solution $'24 × 5 = 120 muffins.\\n\\n120 - 98 = 22 muffins.\\n\\nThe answer is 22.'
  prm score --input solutions.jsonl --on-error stop > scores.jsonl
`;

const flags = {
  problem: { type: 'string' },
  solution: { type: 'string' },
  'solution-file': { type: 'string' },
  strategy: { type: 'string' },
  input: { type: 'string' },
  'on-error': { type: 'string' },
  model: { type: 'string' },
  dtype: { type: 'string' },
  threshold: { type: 'string' },
  truncate: { type: 'boolean' },
  batch: { type: 'string' },
  judge: { type: 'string' },
  json: { type: 'boolean' },
  ...SERVER_FLAGS,
} as const;

type Values = ReturnType<typeof parseFlags<typeof flags>>['values'];

/** The four aggregates `prm score` reports (the Lessons paper's strategies). */
function aggregates(rewards: number[]) {
  return {
    min: aggregate(rewards, 'min'),
    product: aggregate(rewards, 'product'),
    last: aggregate(rewards, 'last'),
    mean: aggregate(rewards, 'mean'),
  };
}

function short(text: string, width: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > width ? `${flat.slice(0, width - 3)}...` : flat;
}

function overflowMessage(e: ContextLengthError): string {
  const fit =
    e.fittingSteps > 0
      ? `the first ${e.fittingSteps} of ${e.totalSteps} steps fit; pass --truncate to score only those, or shorten the solution.`
      : `not even the first of ${e.totalSteps} steps fits; shorten the problem or the first step.`;
  return `the input is ${e.tokenCount} tokens but the model accepts at most ${e.limit}: ${fit}`;
}

const CHECK_CELL = { right: 'right', wrong: 'WRONG', none: '-' } as const;

function runJudge(v: Values, steps: string[]): Judgement | undefined {
  return parseJudge(v.judge) === 'arithmetic' ? judgeArithmetic(steps) : undefined;
}

/** The checker's first error and each wrong claim ("step 2: 7 × 9 = 63, not 65"). */
function judgeLines(j: Judgement): string[] {
  const wrong = j.steps.flatMap((s, i) =>
    s.claims.filter((c) => c.verdict === 'wrong').map((c) => `  step ${i + 1}: ${describeClaim(c)}`),
  );
  const checked = j.steps.filter((s) => s.verdict !== 'none').length;
  return [
    `arithmetic:  ${j.first_error === -1 ? 'no wrong computation' : `first error step ${j.first_error + 1}`} (${checked} of ${j.steps.length} steps checked)`,
    ...wrong,
  ];
}

/** The model that scores, with the name and variant the output reports. */
interface Opened extends ScoringModel {
  name: string;
  /** `q4`, or `vllm at URL`. */
  variant: string;
}

async function openModel(v: Values, io: CliIO): Promise<Opened> {
  const server = parseServerFlags(v);
  if (server) {
    const m = await openServerModel({
      ...server,
      onRetry: ({ attempt, waitMs, error }) =>
        io.stderr(`note: retry ${attempt} in ${(waitMs / 1000).toFixed(1)}s: ${error.message}\n`),
      note: (t) => io.stderr(`note: ${t}\n`),
    });
    return { ...m, name: server.model, variant: `vllm at ${m.runner.url}` };
  }
  const m = await loadModelDir(v.model ?? defaultModelDir(), { dtype: parseDtype(v.dtype) });
  return { ...m, name: m.spec.name, variant: m.dtype };
}

function parseStrategy(value: string | undefined): SegmentStrategy {
  if (value === undefined) return 'auto';
  if (!SEGMENT_STRATEGIES.includes(value as SegmentStrategy)) {
    throw new UsageError(`--strategy must be one of ${SEGMENT_STRATEGIES.join(', ')}, got ${value}.`);
  }
  return value as SegmentStrategy;
}

async function scoreOne(v: Values, io: CliIO, stdin: () => Promise<string>): Promise<number> {
  if (v.problem === undefined)
    throw new UsageError('give --problem TEXT with --solution, or use --input FILE.');
  if (v.solution === undefined && v['solution-file'] === undefined) {
    throw new UsageError('give the solution with --solution TEXT or --solution-file FILE.');
  }
  if (v.solution !== undefined && v['solution-file'] !== undefined) {
    throw new UsageError('give either --solution or --solution-file, not both.');
  }
  if (v.problem === '-' && v.solution === '-') {
    throw new UsageError(
      "only one of --problem and --solution can be '-' (stdin); put the other in a file or the flag.",
    );
  }
  if (v['on-error'] !== undefined || v.batch !== undefined) {
    throw new UsageError('--on-error and --batch apply to --input only.');
  }
  const strategy = parseStrategy(v.strategy);
  const threshold = parseThreshold(v.threshold);
  const problem = v.problem === '-' ? await stdin() : v.problem;
  const solution =
    v['solution-file'] !== undefined
      ? readTextFile(v['solution-file'], '--solution-file')
      : v.solution === '-'
        ? await stdin()
        : (v.solution as string);
  if (problem.trim() === '') throw new Error('the problem is empty; give the problem statement.');
  const steps = segment(solution, strategy).map((s) => s.text);
  if (steps.length === 0) throw new Error('the solution is empty; give at least one step of text.');

  const judgement = runJudge(v, steps);
  const model = await openModel(v, io);
  try {
    let scored;
    try {
      scored = await scoreSolution(model.spec, model.tokenizer, model.runner, problem, steps, {
        threshold,
        truncate: Boolean(v.truncate),
      });
    } catch (e) {
      if (e instanceof ContextLengthError) throw new Error(overflowMessage(e), { cause: e });
      throw e;
    }
    const { rewards } = scored;
    const agg = aggregates(rewards);
    const truncated = scored.scoredSteps < steps.length;
    const domain = domainNotice(model.spec, problem, steps, scored.tokenCount);
    if (v.json) {
      const out: Record<string, unknown> = {
        steps,
        rewards,
        first_error: scored.firstError,
        aggregate: agg,
        threshold: scored.threshold,
        model: model.name,
        dtype: model.dtype,
        tokens: scored.tokenCount,
      };
      if (domain) out.domain = domain;
      if (truncated) out.truncated = true;
      if (judgement) out.judge = judgement;
      io.stdout(JSON.stringify(out) + '\n');
      return 0;
    }
    const lines = [
      `model ${model.name} (${model.variant}), threshold ${scored.threshold}, ${scored.tokenCount} tokens`,
      ...(domain?.notice ? ['', `NOTE: ${domain.notice} (${domain.reasons.join('; ')}).`] : []),
      '',
      `step  reward  verdict   ${judgement ? 'check  ' : ''}text`,
      ...steps.map((text, i) => {
        const r = rewards[i];
        const cell = (r === undefined ? '-' : r.toFixed(3)).padStart(7);
        const verdict = r === undefined ? 'unscored' : r <= scored.threshold ? 'WRONG' : 'ok';
        const check = judgement ? CHECK_CELL[judgement.steps[i].verdict].padEnd(7) : '';
        return `${String(i + 1).padStart(4)} ${cell}  ${verdict.padEnd(8)}  ${check}${short(text, 60)}`;
      }),
      '',
      `first error: ${scored.firstError === -1 ? 'none (every scored step is above the threshold)' : `step ${scored.firstError + 1}`}`,
      ...(judgement ? judgeLines(judgement) : []),
      `aggregates:  min ${agg.min.toFixed(3)}  product ${agg.product.toFixed(3)}  last ${agg.last.toFixed(3)}  mean ${agg.mean.toFixed(3)}`,
    ];
    if (truncated) {
      lines.push(
        `note: the input is ${scored.tokenCount} tokens, over the model's ${model.spec.context_length}; ` +
          `only the first ${scored.scoredSteps} of ${steps.length} steps were scored (--truncate).`,
      );
    }
    io.stdout(lines.join('\n') + '\n');
    return 0;
  } finally {
    await model.dispose();
  }
}

interface Pending {
  record: ScoreRecord;
  steps: string[];
  plan: ScorePlan;
}

async function scoreFile(v: Values, io: CliIO): Promise<number> {
  const file = v.input as string;
  if (v.problem !== undefined || v.solution !== undefined || v['solution-file'] !== undefined) {
    throw new UsageError('use either --input FILE or --problem/--solution, not both.');
  }
  const strategy = parseStrategy(v.strategy);
  const onError = v['on-error'] ?? 'skip';
  if (onError !== 'skip' && onError !== 'stop') {
    throw new UsageError(`--on-error must be skip or stop, got ${onError}.`);
  }
  const threshold = parseThreshold(v.threshold);
  const batchSize = parsePositiveInt('--batch', v.batch, DEFAULT_BATCH);
  const text = readTextFile(file, '--input');
  const name = path.basename(file);
  const isList = text
    .replace(/^\uFEFF/, '')
    .trimStart()
    .startsWith('[');
  // parseScoreInput numbers list items from 1 in `line` but names them from 0 in its messages.
  const where = (line: number) => (isList ? `${name} item ${line - 1}` : `${name} line ${line}`);
  const results = parseScoreInput(text, file);

  const model = await openModel(v, io);
  const t = resolveThreshold(model.spec, threshold);
  const bad: number[] = [];
  let pending: Pending[] = [];
  let printed = 0;

  const flush = async () => {
    for (let i = 0; i < pending.length; i += batchSize) {
      const chunk = pending.slice(i, i + batchSize);
      const scored = await runPlans(
        model.runner,
        chunk.map((p) => p.plan),
        t,
      );
      chunk.forEach((p, j) => {
        const r = scored[j].rewards;
        const out: Record<string, unknown> = {
          id: p.record.id,
          steps: p.steps,
          rewards: r,
          first_error: scored[j].firstError,
          aggregate: aggregates(r),
        };
        const domain = domainNotice(model.spec, p.record.problem, p.steps, p.plan.tokenCount);
        if (domain) out.domain = domain;
        if (p.plan.truncated) out.truncated = true;
        const judgement = runJudge(v, p.steps);
        if (judgement) out.judge = judgement;
        io.stdout(JSON.stringify(out) + '\n');
        printed++;
      });
    }
    pending = [];
  };

  try {
    for (const res of results) {
      let error = res.error;
      if (res.record) {
        const rec = res.record;
        try {
          const steps = rec.steps ?? segment(rec.solution as string, strategy).map((s) => s.text);
          if (steps.length === 0) throw new Error('the solution has no steps after segmentation.');
          pending.push({
            record: rec,
            steps,
            plan: planScore(model.spec, model.tokenizer, rec.problem, steps, Boolean(v.truncate)),
          });
        } catch (e) {
          const msg = e instanceof ContextLengthError ? overflowMessage(e) : (e as Error).message;
          error = `${where(res.line)} (id ${rec.id}): ${msg}`;
        }
      }
      if (error === undefined) {
        if (pending.length >= batchSize) await flush();
        continue;
      }
      bad.push(res.line);
      if (onError === 'stop') {
        await flush();
        io.stderr(`${error}\n`);
        io.stderr(`stopped at ${where(res.line)} (--on-error stop); ${printed} records scored before it.\n`);
        return 1;
      }
      io.stderr(`skipped: ${error}\n`);
    }
    await flush();
  } finally {
    await model.dispose();
  }
  if (bad.length > 0) {
    const noun = isList ? 'items' : 'lines';
    const where_ = isList ? bad.map((l) => l - 1) : bad;
    io.stderr(
      `${bad.length} record${bad.length === 1 ? '' : 's'} skipped (${noun} ${where_.join(', ')}); ${printed} scored.\n`,
    );
    return 1;
  }
  return 0;
}

export function createScoreCommand(stdin: () => Promise<string> = () => readStdin()): Command {
  return {
    name: 'score',
    summary: 'Score the steps of a solution (or a file of solutions) with a PRM',
    usage,
    async run(argv: string[], io: CliIO): Promise<number> {
      const { values } = parseFlags(argv, flags);
      parseDtype(values.dtype);
      parseServerFlags(values);
      parseThreshold(values.threshold);
      parseJudge(values.judge);
      if (values.input !== undefined) return scoreFile(values, io);
      return scoreOne(values, io, stdin);
    },
  };
}

export const scoreCommand: Command = createScoreCommand();
