import type { Command } from '../command.ts';

/** Every `prm` subcommand, in the order `prm --help` lists them. */
export const commands: Command[] = [];
