/**
 * Driving the playground page in browser tests through its labels and `data-*` hooks, and the
 * CLI's numbers (`prm score --json`, onnxruntime-node) that the page's rewards are checked against.
 * Shared by the browser tests that score on the page.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { step } from './harness.ts';

const root = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

/** The first bundled model folder in models/ (one with a prm.json), if any. */
export const bundled = existsSync(join(root, 'models'))
  ? readdirSync(join(root, 'models')).find((d) => existsSync(join(root, 'models', d, 'prm.json')))
  : undefined;

export interface CliScore {
  steps: string[];
  rewards: number[];
  first_error: number;
  threshold: number;
  model: string;
  dtype: string;
  truncated?: boolean;
}

/** `prm score ... --json`, the CLI's numbers for the same input. */
export async function cliScore(problem: string, solution: string, extra: string[] = []): Promise<CliScore> {
  const { stdout } = await step(
    `prm score --json ${extra.join(' ')}`,
    () =>
      run(
        process.execPath,
        [join(root, 'bin/prm.js'), 'score', '--problem', problem, '--solution', solution, '--json', ...extra],
        { cwd: root, timeout: 120_000, killSignal: 'SIGKILL' },
      ),
    130_000,
  );
  return JSON.parse(stdout) as CliScore;
}

export interface StepHook {
  index: number;
  reward: number | null;
  firstError: boolean;
}

/** The step rows' automation hooks. */
export function stepHooks(page: Page): Promise<StepHook[]> {
  return page.locator('[data-step-index]').evaluateAll((els) =>
    els.map((e) => {
      const d = e.dataset;
      return {
        index: Number(d.stepIndex),
        reward: d.reward === undefined ? null : Number(d.reward),
        firstError: d.firstError === 'true',
      };
    }),
  );
}

/**
 * Asserts that the page's step rows show `cli`'s rewards: one row per CLI step, in order, each
 * reward within `tolerance` of the CLI's. Returns the rows.
 */
export async function expectRewardsLikeCli(page: Page, cli: CliScore, tolerance = 1e-4): Promise<StepHook[]> {
  const hooks = await stepHooks(page);
  expect(hooks.map((h) => h.index)).toEqual(cli.steps.map((_, i) => i));
  hooks.forEach((h, i) => expect(Math.abs(h.reward! - cli.rewards[i])).toBeLessThan(tolerance));
  return hooks;
}

export async function typeInput(page: Page, problem: string, solution: string): Promise<void> {
  await page.getByLabel('Problem').fill(problem);
  await page.getByLabel(/^Solution( 1)?$/).fill(solution);
}

/** Picks bundled model `id` in the model panel. */
export async function chooseBundled(page: Page, id: string): Promise<void> {
  const panel = page.locator('details.model');
  if (!(await panel.evaluate((d) => Boolean(d.getAttribute('open') !== null))))
    await panel.locator('summary').click();
  // The panel opens on the catalog of real PRMs; the bundled models are one choice further.
  await page.getByLabel('Bundled with this site').check();
  await page.getByLabel('Bundled model').selectOption(id);
}

/**
 * Presses Score and waits until this run is over (the results' `aria-busy` is false again) and every
 * step shows a reward: rewards already on the page (a run restored after a reload, for the same
 * text) must not pass for this run's.
 */
export async function scoreAndWait(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Score' }).click();
  await step(
    'page: score and wait for every data-reward',
    () =>
      expect
        .poll(
          async () =>
            (await page.locator('#results').getAttribute('aria-busy')) === 'false' &&
            (await stepHooks(page)).every((h) => h.reward !== null),
          { timeout: 120_000 },
        )
        .toBe(true),
    130_000,
  );
}

/** Whether an inline `<script>` added to the page runs (the CSP must block it). */
export async function inlineScriptRuns(page: Page): Promise<boolean> {
  // A string, so the Node-side type check needs no DOM types.
  return (await page.evaluate(`(async () => {
    const el = document.createElement('script');
    el.textContent = 'window.__inlineRan = true';
    document.body.append(el);
    await new Promise((r) => setTimeout(r, 50));
    return window.__inlineRan === true;
  })()`)) as boolean;
}
