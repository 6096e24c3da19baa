/**
 * Qwen2ForProcessRewardModel head: `score.2(relu(score.0(h)))`, Linear(H, H) -> ReLU ->
 * Linear(H, 2), both with bias. The H x H layer is 4-bit in q4 variants; the 2-row one stays float.
 */
import type { DecoderConfig } from '../../hf-config.ts';
import type { GraphBuilder } from '../builder.ts';

export async function emitQwenPrm(b: GraphBuilder, cfg: DecoderConfig, hidden: string): Promise<string> {
  const H = cfg.hiddenSize;
  const h1 = await b.linear('/score/0', hidden, { name: 'score.0', n: H, k: H, bias: true, quantize: true });
  const [relu] = b.op('/score/1/Relu', 'Relu', [h1]);
  return b.linear('/score/2', relu, { name: 'score.2', n: 2, k: H, bias: true, quantize: false });
}
