/**
 * What every model family's prompt builder shares: the `PromptBuilder` contract, its error type
 * and the input checks. Family files hold only what differs between families.
 */
import { isBlankText } from '../segment/blocks.ts';
import type { InputPlan, ModelSpec, TokenizerLike, UserSpan } from '../types.ts';

/** Turns (problem, steps) into model input ids and the positions where step scores are read. */
export interface PromptBuilder {
  build(tokenizer: TokenizerLike, problem: string, steps: string[]): InputPlan;
}

/** The input cannot be turned into a prompt for this family; the message says what to change. */
export class PromptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PromptError';
  }
}

function preview(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return JSON.stringify(flat.length > 50 ? `${flat.slice(0, 47)}...` : flat);
}

/** Rejects a missing problem, an empty step list and steps that are not non-empty strings. */
export function checkInput(problem: string, steps: string[]): void {
  if (typeof problem !== 'string') throw new PromptError('The problem must be a string.');
  if (!Array.isArray(steps) || steps.length === 0) {
    throw new PromptError('There are no steps to score: give the solution at least one step.');
  }
  steps.forEach((s, i) => {
    if (typeof s !== 'string' || isBlankText(s)) {
      throw new PromptError(
        `Step ${i + 1} is empty (or only white space, NULs or zero-width characters): remove it or give it text.`,
      );
    }
  });
}

/**
 * Families that find score positions by searching for a tag token must not see that tag inside
 * the user's text: it would add a score position that belongs to no step.
 */
export function rejectMarker(problem: string, steps: string[], marker: string): void {
  if (marker === '') return;
  if (problem.includes(marker)) {
    throw new PromptError(
      `The problem contains the model's step marker ${JSON.stringify(marker)}; remove it, it is reserved for step boundaries.`,
    );
  }
  steps.forEach((s, i) => {
    if (s.includes(marker)) {
      throw new PromptError(
        `Step ${i + 1} (${preview(s)}) contains the model's step marker ${JSON.stringify(marker)}; ` +
          'remove it or split the step there, the marker is reserved for step boundaries.',
      );
    }
  });
}

/** The id of a single-token string: `tokenId`, else an encoding that is exactly one id. */
export function singleTokenId(tokenizer: TokenizerLike, token: string): number {
  const id = tokenizer.tokenId(token);
  if (id !== undefined) return id;
  const ids = tokenizer.encode(token, { addSpecialTokens: false });
  if (ids.length === 1) return ids[0];
  throw new PromptError(
    `The tokenizer has no single token for the step token ${JSON.stringify(token)} (it encodes to ${ids.length} ids); ` +
      "check step_token in the model's prm.json.",
  );
}

/**
 * The score positions of a prompt whose steps each end in the step token: every index of that
 * token's id in `ids`, exactly one per step. A different count means the tokenizer merged the tag
 * with neighbouring text, which would misplace scores, so it throws.
 *
 * @example
 * stepTokenPositions(tok, [5, 9, 7, 9], 'ки', 2); // [1, 3] where 'ки' is id 9
 */
export function stepTokenPositions(
  tokenizer: TokenizerLike,
  ids: number[],
  token: string,
  steps: number,
): number[] {
  const id = singleTokenId(tokenizer, token);
  const found: number[] = [];
  ids.forEach((x, i) => {
    if (x === id) found.push(i);
  });
  if (found.length !== steps) {
    throw new PromptError(
      `Found ${found.length} step-token ${JSON.stringify(token)} positions for ${steps} steps after tokenising; ` +
        'the tokenizer merged or split the step token. Check step_token/step_separator in prm.json ' +
        'and that no step text ends in characters that fuse with the separator.',
    );
  }
  return found;
}

/** A piece of prompt text; `user` marks text the user typed (encoded with special tokens split). */
export interface PromptPart {
  text: string;
  user?: boolean;
}

/** `encode` options that treat all of `text` as the user's. */
export function userText(text: string): { addSpecialTokens: false; userSpans: UserSpan[] } {
  return { addSpecialTokens: false, userSpans: [[0, text.length]] };
}

/**
 * Joins parts into one text and the spans of its user parts.
 *
 * @example
 * joinParts([{ text: 'Q', user: true }, { text: ' ' }, { text: 'a', user: true }]);
 * // { text: 'Q a', userSpans: [[0, 1], [2, 3]] }
 */
export function joinParts(parts: PromptPart[]): { text: string; userSpans: UserSpan[] } {
  let text = '';
  const userSpans: UserSpan[] = [];
  for (const p of parts) {
    if (p.user && p.text) userSpans.push([text.length, text.length + p.text.length]);
    text += p.text;
  }
  return { text, userSpans };
}

/**
 * The steps as prompt parts for families that mark step ends in the text: each step is user text,
 * preceded by `step_joiner` (from the second on) and followed by `step_separator` (the last too).
 *
 * @example
 * markedSteps(spec, ['a', 'b']); // with joiner '\n', separator ' ки':
 * // [{ text: 'a', user: true }, { text: ' ки' }, { text: '\n' }, { text: 'b', user: true }, { text: ' ки' }]
 */
export function markedSteps(
  spec: Pick<ModelSpec, 'step_joiner' | 'step_separator'>,
  steps: string[],
): PromptPart[] {
  return steps.flatMap((s, i) => [
    ...(i > 0 ? [{ text: spec.step_joiner }] : []),
    { text: s, user: true },
    { text: spec.step_separator },
  ]);
}

// Private-use characters: stand-ins for user text while the chat template renders.
const SLOT = /\uE000(\d+)\uE001/g;

/**
 * Renders chat messages made of parts through the tokenizer's chat template, and finds where the
 * user parts landed: the template sees numbered stand-ins, which are then replaced by the user's
 * text, so nothing the user typed is interpreted by the template and the spans are exact.
 *
 * @example
 * renderChat(tok.applyChatTemplate, [{ role: 'user', parts: [{ text: 'Hi', user: true }] }]);
 * // { text: '<|im_start|>user\nHi<|im_end|>\n', userSpans: [[19, 21]] }
 */
export function renderChat(
  applyChatTemplate: NonNullable<TokenizerLike['applyChatTemplate']>,
  messages: { role: string; parts: PromptPart[] }[],
): { text: string; userSpans: UserSpan[] } {
  const user: string[] = [];
  const rendered = applyChatTemplate(
    messages.map((m) => ({
      role: m.role,
      content: m.parts.map((p) => (p.user ? `\uE000${user.push(p.text) - 1}\uE001` : p.text)).join(''),
    })),
  );
  let text = '';
  let last = 0;
  let next = 0;
  const userSpans: UserSpan[] = [];
  for (const m of rendered.matchAll(SLOT)) {
    if (Number(m[1]) !== next) break;
    text += rendered.slice(last, m.index);
    if (user[next]) userSpans.push([text.length, text.length + user[next].length]);
    text += user[next++];
    last = m.index + m[0].length;
  }
  if (next !== user.length) {
    throw new PromptError(
      "The model's chat template does not place the message text verbatim, so the user's text cannot be " +
        'kept apart from its control tokens; use a template that inserts message content as given.',
    );
  }
  return { text: text + rendered.slice(last), userSpans };
}
