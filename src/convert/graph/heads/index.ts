/**
 * The PRM heads, one file each, reduced to the project's output contract: logits [batch, seq, 2]
 * where softmax class 1 means "this step is correct". `emitHead` switches on the head kind and
 * throws on one it does not know.
 *
 * How to add a head: write `heads/<kind>.ts` exporting `emit(b, cfg, hidden, options)`, add the
 * kind to `HeadKind` and the architecture table in ../../hf-config.ts, and a case below.
 */
import type { DecoderConfig } from '../../hf-config.ts';
import type { GraphBuilder } from '../builder.ts';
import { emitQwenPrm } from './qwen-prm.ts';
import { emitTokenClassification } from './token-classification.ts';
import { emitTokenPair } from './token-pair.ts';
import { emitValueHead } from './value-head.ts';

export interface HeadOptions {
  /** token-pair only: vocabulary ids of the "good" (+) and "bad" (-) tokens. */
  goodTokenId?: number;
  badTokenId?: number;
}

/**
 * Emits the head on `hidden` [batch, seq, hidden] and returns the 2-logit value.
 *
 * @example
 * const logits = await emitHead(b, cfg, hidden, {}); // cfg.head === 'qwen-prm'
 */
export async function emitHead(
  b: GraphBuilder,
  cfg: DecoderConfig,
  hidden: string,
  options: HeadOptions,
): Promise<string> {
  switch (cfg.head) {
    case 'qwen-prm':
      return emitQwenPrm(b, cfg, hidden);
    case 'token-classification':
      return emitTokenClassification(b, cfg, hidden);
    case 'value-head':
      return emitValueHead(b, cfg, hidden);
    case 'token-pair':
      return emitTokenPair(b, cfg, hidden, options);
    default:
      throw new Error(`unknown PRM head ${JSON.stringify((cfg as { head: unknown }).head)}`);
  }
}
