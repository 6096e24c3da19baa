/**
 * Causal LM reduced to a token pair (Math-Shepherd `+`/`-`, RLHFlow): keeps only the rows [bad,
 * good] of `lm_head.weight` (or of the embedding when tied) as a Linear(H, 2) without bias, so
 * softmax class 1 is p(good) against bad - the two-token softmax the model cards describe.
 */
import type { DecoderConfig } from '../../hf-config.ts';
import type { GraphBuilder } from '../builder.ts';
import type { HeadOptions } from './index.ts';

export async function emitTokenPair(
  b: GraphBuilder,
  cfg: DecoderConfig,
  hidden: string,
  options: HeadOptions,
): Promise<string> {
  const { goodTokenId, badTokenId } = options;
  for (const [label, id] of [
    ['good', goodTokenId],
    ['bad', badTokenId],
  ] as const) {
    if (id === undefined || !Number.isInteger(id) || id < 0 || id >= cfg.vocabSize) {
      throw new Error(
        `a token-pair head needs the ${label} token id inside the vocabulary [0, ${cfg.vocabSize}), got ${id}. ` +
          'Pass --good-token/--bad-token (or --good-id/--bad-id).',
      );
    }
  }
  if (goodTokenId === badTokenId)
    throw new Error(`the good and bad token ids are both ${goodTokenId}; they must differ`);
  const source = cfg.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
  const rows = await b.readRows(source, [cfg.vocabSize, cfg.hiddenSize], [badTokenId!, goodTokenId!]);
  return b.linear('/lm_head_pair', hidden, {
    name: 'lm_head_pair',
    n: 2,
    k: cfg.hiddenSize,
    bias: false,
    quantize: false,
    weight: rows,
  });
}
