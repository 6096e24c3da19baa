/**
 * The Examples menu: worked examples written for this project (none is taken from ProcessBench or
 * any other dataset). The arithmetic word problems are in the demo model's own domain, with and
 * without a planted error; the competition-style ones are outside it, to show what a small demo
 * PRM cannot judge. `note` says where the error is, so a user can compare the model's verdict with
 * the truth.
 */
export interface Example {
  id: string;
  title: string;
  kind: 'demo' | 'competition';
  problem: string;
  /** One or more solutions; steps separated by blank lines (or one per line). */
  solutions: string[];
  /** The truth per solution: index of the first wrong step after auto segmentation, -1 if none. */
  firstErrors: number[];
  note: string;
}

export const EXAMPLES: readonly Example[] = [
  {
    id: 'muffins-correct',
    title: 'Muffins (all steps right)',
    kind: 'demo',
    problem: 'A bakery makes 24 muffins a day for 5 days. It sells 98 of them. How many muffins are left?',
    solutions: [
      'Step 1: The muffins made: \\(24 \\times 5 = 120\\) muffins.\n\nStep 2: 120 - 98 = 22 muffins, which gives the muffins left.\n\nStep 3: The answer is $\\boxed{22}$.',
    ],
    firstErrors: [-1],
    note: 'Every step is right; a good PRM keeps every reward high.',
  },
  {
    id: 'pencils-error',
    title: 'Pencils (wrong arithmetic in step 2)',
    kind: 'demo',
    problem:
      'Maria has 7 boxes of pencils with 12 pencils in each. She gives away 25 pencils and then buys 2 packs of 10. How many pencils does she have now?',
    solutions: [
      '1. To start, 7 × 12 = 84 pencils, which gives the pencils in the boxes.\n2. The pencils left after giving some away: 84 − 25 = 49 pencils.\n3. The packs hold 2 × 10 = 20 pencils.\n4. 49 + 20 = 69 pencils. So the answer is 69.',
    ],
    firstErrors: [1],
    note: "Step 2 is wrong (84 − 25 = 59, not 49); steps 3 and 4 follow from it. The right answer is 79. A wrong result like this is the demo model's weak spot (its model card says how often it catches one): compare its first error with step 2.",
  },
  {
    id: 'shopping-best-of-3',
    title: 'Shopping change (Best-of-3)',
    kind: 'demo',
    problem:
      'Ravi buys 7 shirts at $9 each and 8 towels at $5 each. He hands the cashier $200. How much change does he get?',
    solutions: [
      'The shirts cost 7 × $9 = $63.\n\nThe towels cost 8 × $5 = $40.\n\nTogether that is $63 + $40 = $103, which gives the total cost.\n\nHis change is $200 - $103 = $97. The answer is $97.',
      'The shirts cost 7 × $9 = $63.\n\nThe towels cost 8 × $6 = $48.\n\nTogether that is $63 + $48 = $111, which gives the total cost.\n\nHis change is $200 - $111 = $89. The answer is $89.',
      'The shirts cost 7 × $9 = $63.\n\nThe towels cost 8 × $5 = $40.\n\nTogether that is $63 + $40 = $103, which gives the total cost.\n\nHis change is $200 - $103 = $97. The answer is $103.',
    ],
    firstErrors: [-1, 1, 3],
    note: 'Solution 1 is right ($97). Solution 2 goes wrong in step 2: the towels cost $5, not $6. Solution 3 computes correctly but gives the wrong final answer in its last step.',
  },
  {
    id: 'shells-lines',
    title: 'Shells (one step per line, wrong operation in step 3)',
    kind: 'demo',
    problem:
      'Yuki has 726 shells. She buys 9 packs with 22 shells in each. She loses 633 of them. How many shells does she end up with?',
    solutions: [
      'The new shells: 9 × 22 = 198 shells.\nThen she has 726 + 198 = 924 shells.\nAt the end she has 924 + 633 = 1,557 shells. The answer is 1,557.',
    ],
    firstErrors: [2],
    note: 'Step 3 adds the 633 lost shells instead of taking them away: 924 - 633 = 291. Steps are one per line here, so the segmenter picks lines.',
  },
  {
    id: 'radical-extraneous',
    title: 'Radical equation (competition style, error in step 3)',
    kind: 'competition',
    problem: 'Find all real $x$ with $\\sqrt{x+3} = x - 3$.',
    solutions: [
      'Squaring both sides gives $x + 3 = x^2 - 6x + 9$.\n\nRearranging, $x^2 - 7x + 6 = 0$, so $(x - 1)(x - 6) = 0$.\n\nBoth roots solve the original equation, so $x = 1$ and $x = 6$.\n\nThe answer is $x \\in \\{1, 6\\}$.',
    ],
    firstErrors: [2],
    note: 'Step 3 is wrong: $x = 1$ is extraneous ($\\sqrt{4} = 2 \\ne -2$); the only solution is $x = 6$. The demo model was trained on arithmetic word problems only and is not expected to see this.',
  },
  {
    id: 'divisors-correct',
    title: 'Counting divisors (competition style, all right)',
    kind: 'competition',
    problem: 'How many positive divisors does $720$ have?',
    solutions: [
      'Factor: $720 = 2^4 \\cdot 3^2 \\cdot 5$.\n\nEvery divisor is $2^a 3^b 5^c$ with $0 \\le a \\le 4$, $0 \\le b \\le 2$ and $0 \\le c \\le 1$.\n\nSo there are $(4 + 1)(2 + 1)(1 + 1) = 30$ divisors.\n\n$$\\boxed{30}$$',
    ],
    firstErrors: [-1],
    note: "Every step is right. Outside the demo model's training domain its scores say little; a real PRM such as Qwen2.5-Math-PRM-7B is built for this.",
  },
];
