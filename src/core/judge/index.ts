/**
 * A second judge beside the PRM: an exact arithmetic checker over step text (see check.ts), and
 * its verdicts for a whole solution in the shape `prm score --judge arithmetic` prints. Pure: step
 * strings in, verdicts out.
 */
import { checkStep, type StepCheck } from './check.ts';

export { checkStep, describeClaim, type Claim, type StepCheck, type Verdict } from './check.ts';

/** The checker's verdicts on one solution. */
export interface Judgement {
  name: 'arithmetic';
  /** Index of the first step with a wrong claim, -1 when none. */
  first_error: number;
  steps: StepCheck[];
}

/**
 * Checks every step of a solution.
 *
 * @example
 * judgeArithmetic(['3 + 4 = 7.', '7 × 9 = 65.']).first_error; // 1
 */
export function judgeArithmetic(steps: readonly string[]): Judgement {
  const checked = steps.map(checkStep);
  return { name: 'arithmetic', first_error: checked.findIndex((s) => s.verdict === 'wrong'), steps: checked };
}

/** The judges `--judge` accepts besides the PRM. */
export const JUDGES = ['arithmetic'] as const;
export type JudgeName = (typeof JUDGES)[number];
