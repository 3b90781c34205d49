/**
 * The subcommands, in the order `vdmzip --help` lists them. Each module exports
 * `register(program)`, which adds its subcommand to the program; to add a command,
 * write such a module and list it here.
 */
import type { Command } from 'commander';
import * as bench from './bench.ts';
import * as compress from './compress.ts';
import * as decompress from './decompress.ts';
import * as evaluate from './eval.ts';
import * as info from './info.ts';
import * as train from './train.ts';

export type CommandModule = { register(program: Command): void };

export const commandModules: CommandModule[] = [compress, decompress, info, train, evaluate, bench];
