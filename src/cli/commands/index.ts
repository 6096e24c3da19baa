import type { Command } from '../command.ts';
import { scoreCommand } from './score.ts';
import { evalCommand } from './eval.ts';
import { convertCommand } from './convert.ts';
import { synthCommand } from './synth.ts';
import { benchCommand } from './bench.ts';

/** Every `prm` subcommand, in the order `prm --help` lists them. */
export const commands: Command[] = [scoreCommand, evalCommand, convertCommand, synthCommand, benchCommand];
