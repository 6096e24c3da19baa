/**
 * The shape of a `prm` subcommand. Each lives in `src/cli/commands/<name>.ts` and is listed in
 * `src/cli/commands/index.ts`. Commands parse their own flags with `node:util` parseArgs and
 * return an exit code; they throw `UsageError` for bad flags so `main` can print the usage.
 */
export interface Command {
  name: string;
  /** One line for `prm --help`. */
  summary: string;
  /** Full `prm <name> --help` text. */
  usage: string;
  run(argv: string[], io: CliIO): Promise<number>;
}

/** Where a command writes. Injected so tests can capture output. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** True when stderr is a terminal (progress bars) rather than a pipe/file (plain lines). */
  isTTY: boolean;
}

export class UsageError extends Error {}
