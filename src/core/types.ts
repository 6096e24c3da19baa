/**
 * Shared data shapes of the pure core. Everything here is plain data: no DOM, no I/O, no
 * onnxruntime. Browser, worker, CLI and converter all speak these types.
 */

/** One step of a solution, with its exact span in the source text (UTF-16 offsets, end exclusive). */
export interface Step {
  /** The step's text as sent to the model (trimmed of surrounding whitespace). */
  text: string;
  /** Offset of the first character of `text` in the source. */
  start: number;
  /** Offset just past the last character of `text` in the source. */
  end: number;
}

export type SegmentStrategy = 'auto' | 'paragraphs' | 'markers' | 'lines' | 'sentences';

/**
 * How a model family turns (problem, steps) into tokens and where scores are read (sources:
 * the family defaults in src/core/spec.ts).
 * - `qwen-prm`: Qwen2.5-Math-PRM; ChatML chat template, `step_token` after every step.
 * - `value-head`: Skywork-o1-PRM style; bos + problem + "\n", each step tokenised alone with the
 *   newline id appended; read at that newline.
 * - `token-pair`: Math-Shepherd style; "{problem} {step1 ки\nstep2 ки...}", read at each tag.
 * - `token-classification`: TRL PRMs; the separator after each step carries the label.
 * - `user-turns`: RLHFlow; a chat through the tokenizer's template, each step a user turn answered
 *   by the assistant's `step_token` ("+"); read at the token before each reply.
 */
export type ModelFamily = 'qwen-prm' | 'value-head' | 'token-pair' | 'token-classification' | 'user-turns';

export type Dtype = 'fp32' | 'fp16' | 'q4' | 'q4f16';

/**
 * `prm.json`: the description that sits next to a converted model's files.
 * The ONNX graph contract is the same for every family: inputs `input_ids` and
 * `attention_mask` (int64 [batch, seq]), output `logits` (float32 [batch, seq, 2]),
 * softmax class 1 = "step correct".
 */
export interface ModelSpec {
  /** Always `"prm-playground/1"`. */
  format: 'prm-playground/1';
  /** Human-readable name. */
  name: string;
  family: ModelFamily;
  /** Decoder architecture the graph was built from, for information (`qwen2`, `llama`, `mistral`). */
  architecture: string;
  /** Text appended after each step when building the prompt (e.g. `<extra_0>`, ` ки`, `\n`); unused by `user-turns`. */
  step_separator: string;
  /**
   * The token (as a string in the model's tokenizer) at whose positions scores are read;
   * `user-turns`: the assistant's reply to each step, scores read at the token before it.
   */
  step_token: string;
  /** String placed between steps besides the separator (Math-Shepherd: "\n"; others ""). */
  step_joiner: string;
  /** System prompt for chat-template families; null when the family has none. */
  system_prompt: string | null;
  /** p(correct) at or below this marks a step wrong. */
  default_threshold: number;
  /** Maximum number of tokens the model accepts. */
  context_length: number;
  /** ONNX variants present in `onnx/`: fp32 -> model.onnx, fp16 -> model_fp16.onnx, q4 -> model_q4.onnx, q4f16 -> model_q4f16.onnx. */
  dtypes: Dtype[];
  /**
   * Optional, default false: drop a leading step label (`Step 2:`, `2.`, `(2)`) from each step
   * before building the prompt, for models trained on unlabelled steps whose label digits would
   * read as numbers (the bundled demo model). The page still shows the steps as typed.
   */
  strip_step_labels?: boolean;
  /**
   * Optional, default false: write every whole number least-significant digit first (thousands
   * separators dropped) in the problem and the steps before building the prompt, for models
   * trained that way (demo models trained on train/prepare.ts's prompts; see
   * families/reverse-numbers.ts). The page still shows the text as typed.
   */
  reverse_numbers?: boolean;
  /**
   * Optional: what the model was trained on, for demo models trained on a narrow generator.
   * Solutions outside it get a notice next to their scores (see ./domain.ts). Real PRMs have none.
   */
  domain?: ModelDomain;
  /** Optional: source checkpoint, licence, notes. */
  source?: string;
  license?: string;
  description?: string;
}

/** `prm.json` `domain`: a narrow model's training distribution and the limits of its trust. */
export interface ModelDomain {
  /** One or two sentences for people: what the model was trained on. */
  description: string;
  /** Every lower-case word (letter run) the training text uses. */
  words: string[];
  /** Largest share of a solution's words (problem and steps) outside `words` that is still inside. */
  max_unknown_word_share: number;
  /** Largest share of steps without an `a op b = c` computation that is still inside. */
  max_steps_without_computation: number;
  /** Longest prompt, in the model's tokens, that is still inside. */
  max_tokens: number;
  /** Whether numbers with decimals, fractions of numbers or powers put a solution outside. */
  whole_numbers_only: boolean;
}

/** `[start, end)` character range of user text inside a prompt. */
export type UserSpan = readonly [start: number, end: number];

/** What a tokenizer must offer the core. Implemented over @huggingface/transformers by callers. */
export interface TokenizerLike {
  /**
   * Token ids of `text`; `addSpecialTokens` defaults to false. Inside `userSpans` (`[start, end)`
   * character ranges of text the user typed) special tokens such as `<|im_end|>` are never
   * recognised: they encode as plain text, as the Hub tokenizers' `split_special_tokens` does.
   */
  encode(text: string, options?: { addSpecialTokens?: boolean; userSpans?: UserSpan[] }): number[];
  /** Id of a single token string (added/special tokens included), or undefined if absent. */
  tokenId(token: string): number | undefined;
  /** Beginning-of-sequence id, if the tokenizer has one. */
  bosId?: number;
  /** Renders chat messages to text (no generation prompt). Needed by chat-template families. */
  applyChatTemplate?(messages: { role: string; content: string }[]): string;
}

/** The model input for one solution and where to read each step's score. */
export interface InputPlan {
  inputIds: number[];
  /** scorePositions[i] = token index whose logits give step i's score. */
  scorePositions: number[];
  /** The prompt text when the family renders one string (for display/debugging). */
  text?: string;
}

export type Aggregate = 'min' | 'product' | 'last' | 'mean' | 'geomean';

/** The scored result of one solution. */
export interface StepScores {
  /** p(correct) per step. */
  rewards: number[];
  /** Index of the first step with reward <= threshold, or -1. */
  firstError: number;
  threshold: number;
}

/** One ProcessBench record (original release form), optionally with synth extras. */
export interface ProcessBenchItem {
  id: string;
  generator?: string;
  problem: string;
  steps: string[];
  final_answer_correct: boolean;
  /** 0-based index of the earliest wrong step, -1 when all steps are correct. */
  label: number;
  /** Subset name (gsm8k, math, ...) when known. */
  subset?: string;
  /** Synthetic data only: which injected error. */
  error_type?: string;
}
