/**
 * Value head (Skywork-o1-Open-PRM, `v_head.summary` = Linear(H, 1)): logits `[0, v]`, so that
 * softmax class 1 equals sigmoid(v), the score the model's own inference code reports.
 */
import type { DecoderConfig } from '../../hf-config.ts';
import { attr } from '../../onnx-proto.ts';
import type { GraphBuilder } from '../builder.ts';

export async function emitValueHead(b: GraphBuilder, cfg: DecoderConfig, hidden: string): Promise<string> {
  const v = await b.linear('/v_head/summary', hidden, {
    name: 'v_head.summary',
    n: 1,
    k: cfg.hiddenSize,
    bias: true,
    quantize: false,
  });
  // Sub(v, v) rather than a ConstantOfShape: zeros of v's shape and type with one elementwise op.
  const [zeros] = b.op('/v_head/zeros/Sub', 'Sub', [v, v]);
  const [logits] = b.op('/v_head/Concat', 'Concat', [zeros, v], { attrs: { axis: attr.int(-1) } });
  return logits;
}
