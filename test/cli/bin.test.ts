import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/commands/index.ts';
import { REPO_ROOT } from './tiny-model.ts';
import { runPrm } from '../support/prm-cli.ts';

const run = promisify(execFile);

describe('node bin/prm.js (child process)', () => {
  it('--help lists the commands and exits 0', async () => {
    const { stdout } = await run(process.execPath, ['bin/prm.js', '--help'], { cwd: REPO_ROOT });
    expect(stdout).toMatch(/^prm - process reward model playground/);
    expect(stdout).toMatch(/^ {2}score +Score the steps/m);
    expect(stdout).toMatch(/^ {2}eval +ProcessBench metrics/m);
  });

  it('score --help prints the score usage and exits 0', async () => {
    const { stdout, stderr } = await run(process.execPath, ['bin/prm.js', 'score', '--help'], {
      cwd: REPO_ROOT,
    });
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^Usage:\n {2}prm score --problem TEXT --solution TEXT/);
  });
});

// Every flag a command parses must be in its --help text.
const FLAGS: Record<string, string[]> = {
  score: [
    '--problem',
    '--solution',
    '--solution-file',
    '--strategy',
    '--input',
    '--on-error',
    '--model',
    '--dtype',
    '--threshold',
    '--truncate',
    '--batch',
    '--json',
    '--help',
  ],
  eval: [
    '--data',
    '--model',
    '--dtype',
    '--threshold',
    '--limit',
    '--batch',
    '--out',
    '--preds',
    '--json',
    '--help',
  ],
};

describe('prm <command> --help', () => {
  it.each(Object.entries(FLAGS))('%s --help lists every flag it accepts', async (name, flags) => {
    const r = await runPrm([name, '--help']);
    expect(r.code).toBe(0);
    for (const f of flags) expect(r.out).toMatch(new RegExp(`^\\s+(-h, )?${f}\\b`, 'm'));
  });

  it.each(commands.map((c) => [c.name]))(
    '%s --help prints its usage with an Options-style flag list',
    async (name) => {
      const r = await runPrm([name, '--help']);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^Usage:/);
      expect(r.out).toMatch(/^\s+(-h, )?--help\b/m);
    },
  );
});
