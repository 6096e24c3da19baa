/**
 * Names shown for solutions and strategies. A lone solution is "Solution" (the common case);
 * once there are several they are "Solution 1", "Solution 2", ... so the first is not the odd
 * one out. The same names label heatmap rows.
 */
import type { SegmentStrategy } from '../../core/types.ts';
import type { ScoringBackend } from '../../engine/protocol.ts';

/** Where scores were computed, in words: "WebGPU", "WASM", "a vLLM server". */
export function backendName(backend: ScoringBackend): string {
  return backend === 'webgpu' ? 'WebGPU' : backend === 'remote' ? 'a vLLM server' : 'WASM';
}

export function solutionLabel(index: number, count: number): string {
  return count <= 1 ? 'Solution' : `Solution ${index + 1}`;
}

export const STRATEGY_LABELS: Record<SegmentStrategy, string> = {
  auto: 'Auto',
  paragraphs: 'Blank lines',
  markers: 'Step markers ("Step 1:", "1.")',
  lines: 'Lines',
  sentences: 'Sentences',
};
