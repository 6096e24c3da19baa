/**
 * `*ForTokenClassification` head (TRL PRMs): one Linear(H, 2) named `score`, bias when the
 * checkpoint has `score.bias` (transformers' Qwen2/Llama token classification heads have one).
 */
import type { DecoderConfig } from '../../hf-config.ts';
import type { GraphBuilder } from '../builder.ts';

export async function emitTokenClassification(
  b: GraphBuilder,
  cfg: DecoderConfig,
  hidden: string,
): Promise<string> {
  return b.linear('/score', hidden, {
    name: 'score',
    n: 2,
    k: cfg.hiddenSize,
    bias: b.hasTensor('score.bias'),
    quantize: false,
  });
}
