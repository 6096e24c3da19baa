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
  /** One or more solutions; steps separated by blank lines. */
  solutions: string[];
  note: string;
}

export const EXAMPLES: readonly Example[] = [
  {
    id: 'muffins-correct',
    title: 'Muffins (all steps right)',
    kind: 'demo',
    problem: 'A bakery makes 24 muffins a day for 5 days. It sells 98 of them. How many muffins are left?',
    solutions: [
      'First, the muffins made come to 24 x 5 = 120 muffins.\n\nThen the muffins left are 120 - 98 = 22 muffins.\n\nThe answer is 22.',
    ],
    note: 'Every step is right; a good PRM keeps every reward high.',
  },
  {
    id: 'pencils-error',
    title: 'Pencils (error in step 2)',
    kind: 'demo',
    problem:
      'Maria has 7 boxes of pencils with 12 pencils in each. She gives away 25 pencils and then buys 2 packs of 10. How many pencils does she have now?',
    solutions: [
      'She starts with 7 x 12 = 84 pencils.\n\nAfter giving some away she has 84 - 25 = 49 pencils.\n\nThe packs hold 2 x 10 = 20 pencils.\n\nSo she has 49 + 20 = 69 pencils. The answer is 69.',
    ],
    note: 'Step 2 is wrong (84 - 25 = 59, not 49); steps 3 and 4 follow from it. The right answer is 79.',
  },
  {
    id: 'tickets-best-of-3',
    title: 'Concert tickets (Best-of-3)',
    kind: 'demo',
    problem:
      'A school sells 45 concert tickets at $8 each and 30 tickets at $5 each. The hall costs $260 to rent. How much money is left after paying for the hall?',
    solutions: [
      'The $8 tickets bring in 45 x 8 = 360 dollars.\n\nThe $5 tickets bring in 30 x 5 = 150 dollars.\n\nTogether that is 360 + 150 = 510 dollars.\n\nAfter the hall, 510 - 260 = 250 dollars are left. The answer is 250.',
      'The $8 tickets bring in 45 x 8 = 360 dollars.\n\nThe $5 tickets bring in 30 x 5 = 160 dollars.\n\nTogether that is 360 + 160 = 520 dollars.\n\nAfter the hall, 520 - 260 = 260 dollars are left. The answer is 260.',
      'The $8 tickets bring in 45 x 8 = 360 dollars.\n\nThe $5 tickets bring in 30 x 5 = 150 dollars.\n\nTogether that is 360 + 150 = 510 dollars.\n\nAfter the hall, 510 - 260 = 250 dollars are left. The answer is 270.',
    ],
    note: 'Solution 1 is right. Solution 2 goes wrong in step 2 (30 x 5 = 150). Solution 3 computes correctly but states the wrong answer in its last step.',
  },
  {
    id: 'garden-markers',
    title: 'Garden rows ("Step 1:" markers, error in step 3)',
    kind: 'demo',
    problem:
      'A garden has 9 rows of 14 tomato plants. Each plant gives 6 tomatoes. The gardener keeps 150 tomatoes and packs the rest into bags of 12. How many bags does she fill?',
    solutions: [
      'Step 1: The number of plants is 9 x 14 = 126.\nStep 2: The tomatoes picked are 126 x 6 = 756.\nStep 3: The tomatoes to pack are 756 - 150 = 616.\nStep 4: The bags filled are 616 / 12 = 51 with some left over. The answer is 51.',
    ],
    note: 'Step 3 is wrong (756 - 150 = 606). With 606 tomatoes the answer is 50 full bags (606 / 12 = 50.5).',
  },
  {
    id: 'radical-extraneous',
    title: 'Radical equation (competition style, error in step 3)',
    kind: 'competition',
    problem: 'Find all real $x$ with $\\sqrt{x+3} = x - 3$.',
    solutions: [
      'Squaring both sides gives $x + 3 = x^2 - 6x + 9$.\n\nRearranging, $x^2 - 7x + 6 = 0$, so $(x - 1)(x - 6) = 0$.\n\nBoth roots solve the original equation, so $x = 1$ and $x = 6$.\n\nThe answer is $x \\in \\{1, 6\\}$.',
    ],
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
    note: "Every step is right. Outside the demo model's training domain its scores say little; a real PRM such as Qwen2.5-Math-PRM-7B is built for this.",
  },
];
