/**
 * Running `prm` in tests: in-process through `main` with everything it prints captured
 * (`runPrm`), its flags written as an object (`prmArgv`), its JSON-lines output parsed
 * (`jsonLines`). Tests that need a real process (signals, the bin script) spawn bin/prm.js
 * themselves.
 */
import type { CliIO } from '../../src/cli/command.ts';
import { main } from '../../src/cli/main.ts';

export interface Captured extends CliIO {
  out: string;
  err: string;
}

export function captureIO(isTTY = false): Captured {
  const io: Captured = {
    out: '',
    err: '',
    isTTY,
    stdout: (t) => {
      io.out += t;
    },
    stderr: (t) => {
      io.err += t;
    },
  };
  return io;
}

/**
 * Flags in the order they are written: a value follows its flag, a list's values all do, `true`
 * is a bare flag, `undefined` leaves the flag out.
 */
export type Flags = Record<string, string | number | true | readonly string[] | undefined>;

/**
 * The argv of `prm <command> [positionals] --flag value ...`, flags in the object's order.
 *
 * @example
 * prmArgv('eval', { model: dir, data: ['a.json', 'b.json'], limit: 3, json: true });
 * // ['eval', '--model', dir, '--data', 'a.json', 'b.json', '--limit', '3', '--json']
 * prmArgv(['convert', 'hf:org/name'], { out: dir }); // ['convert', 'hf:org/name', '--out', dir]
 */
export function prmArgv(command: string | readonly string[], flags: Flags): string[] {
  const argv = typeof command === 'string' ? [command] : [...command];
  for (const [name, value] of Object.entries(flags)) {
    if (value === undefined) continue;
    argv.push(`--${name}`);
    if (value === true) continue;
    if (typeof value === 'object') argv.push(...value);
    else argv.push(String(value));
  }
  return argv;
}

/**
 * Runs `prm` in-process with the argv of `prmArgv(command, flags)` and returns the exit code with
 * everything it printed.
 *
 * @example
 * await runPrm('eval', { preds: file, json: true }); // { code: 0, out: '{"subsets":...}\n', err: '' }
 * await runPrm(['eval', '--preds', file]); // a whole argv works too
 */
export async function runPrm(
  command: string | readonly string[],
  flags: Flags = {},
): Promise<{ code: number; out: string; err: string }> {
  const io = captureIO();
  const code = await main(prmArgv(command, flags), io);
  return { code, out: io.out, err: io.err };
}

/** The JSON values of a JSON-lines text, one per line once surrounding white space is trimmed. */
export function jsonLines(text: string) {
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}
