/**
 * How the arithmetic checker (src/core/judge) does on ProcessBench's real solutions and on
 * `prm synth` errors: steps it could check, solutions labelled fully correct where it flags a
 * step wrong (target <= 2%), flagged steps at or after the labelled first error (target >= 95%),
 * and the share of synth arithmetic errors it catches at the labelled step (target >= 99%).
 *
 *   npx tsx bench/judge-processbench.ts [dir=/work/shared/processbench] [--show N]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseProcessBench } from '../src/core/processbench.ts';
import { judgeTargets } from '../src/core/judge/targets.ts';
import { describeClaim } from '../src/core/judge/index.ts';
import { synthesize } from '../src/core/synth/index.ts';

const SUBSETS = ['gsm8k', 'math', 'olympiadbench', 'omnimath'];
const args = process.argv.slice(2);
const showAt = args.indexOf('--show');
const show = showAt >= 0 ? Number(args.splice(showAt, 2)[1]) : 0;
const dir = args[0] ?? '/work/shared/processbench';
const pct = (a: number, b: number): string => (b ? ((100 * a) / b).toFixed(1) : '-') + '%';

console.log(
  '| subset | steps | checked | correct flagged (<= 2%) | flags at/after label (>= 95%) | first flag = label |',
);
console.log('|---|---|---|---|---|---|');
for (const name of SUBSETS) {
  const path = join(dir, `${name}.json`);
  const items = parseProcessBench(readFileSync(path, 'utf8'), path);
  const t = judgeTargets(items);
  const errors = t.solutions - t.correct;
  console.log(
    `| ${name} | ${t.steps} | ${t.checkedSteps} (${pct(t.checkedSteps, t.steps)}) | ${t.correctFlagged}/${t.correct} (${pct(t.correctFlagged, t.correct)}) | ${t.flaggedAtOrAfter}/${t.flagged} (${pct(t.flaggedAtOrAfter, t.flagged)}) | ${t.exact}/${errors} (${pct(t.exact, errors)}) |`,
  );
  let shown = 0;
  items.forEach((item, k) => {
    const j = t.judgements[k];
    j.steps.forEach((s, i) => {
      if (s.verdict !== 'wrong' || (item.label !== -1 && i >= item.label) || shown >= show) return;
      shown++;
      const wrong = s.claims.filter((c) => c.verdict === 'wrong').map(describeClaim);
      console.error(`\n[${item.id} label ${item.label} step ${i}] ${wrong.join(' | ')}\n  ${item.steps[i]}`);
    });
  });
}

const synth = synthesize({ n: 4000, seed: 16 }).filter((x) => x.error_type === 'arithmetic');
const s = judgeTargets(synth);
console.log(
  `\nprm synth arithmetic errors caught at the labelled step: ${s.exact}/${synth.length} (${pct(s.exact, synth.length)}, target >= 99%); flags before the label: ${s.flagged - s.flaggedAtOrAfter}`,
);
