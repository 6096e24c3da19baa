/**
 * What every model family's prompt builder shares: the `PromptBuilder` contract, its error type
 * and the input checks. Family files hold only what differs between families.
 */
import type { InputPlan, TokenizerLike } from '../types.ts';

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
    if (typeof s !== 'string' || s.trim() === '') {
      throw new PromptError(`Step ${i + 1} is empty: remove it or give it text.`);
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

/** Every index of `id` in `ids`. */
export function positionsOf(ids: number[], id: number): number[] {
  const out: number[] = [];
  ids.forEach((x, i) => {
    if (x === id) out.push(i);
  });
  return out;
}

/** Guards against a tokenizer that merged the tag with neighbouring text, which would misplace scores. */
export function checkPositionCount(found: number, steps: number, token: string): void {
  if (found !== steps) {
    throw new PromptError(
      `Found ${found} step-token ${JSON.stringify(token)} positions for ${steps} steps after tokenising; ` +
        'the tokenizer merged or split the step token. Check step_token/step_separator in prm.json ' +
        'and that no step text ends in characters that fuse with the separator.',
    );
  }
}
