/**
 * Entry point of the `prm` CLI: a thin shell over the core. Finds the subcommand, handles
 * `--help` everywhere, turns errors into one clear line and an exit code.
 */
import { commands } from './commands/index.ts';
import { UsageError, type CliIO } from './command.ts';
import { terminalSafe } from './terminal.ts';

const defaultIO: CliIO = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  isTTY: Boolean(process.stderr.isTTY),
};

export function topLevelHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length), 4);
  return [
    'prm - process reward model playground, command line',
    '',
    'Usage: prm <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'prm <command> --help' for a command's options.",
    '',
  ].join('\n');
}

export async function main(argv: string[], raw: CliIO = defaultIO): Promise<number> {
  // Everything printed may quote user text or file contents: escape what a terminal would act on.
  const io: CliIO = {
    stdout: (t) => raw.stdout(terminalSafe(t)),
    stderr: (t) => raw.stderr(terminalSafe(t, raw.isTTY)),
    isTTY: raw.isTTY,
  };
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(topLevelHelp());
    return name ? 0 : 2;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr(`prm: unknown command '${name}'.\n\n${topLevelHelp()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(command.usage.endsWith('\n') ? command.usage : command.usage + '\n');
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`prm ${name}: ${err.message}\n\n${command.usage}\n`);
      return 2;
    }
    io.stderr(`prm ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
