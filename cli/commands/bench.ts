import type { Command } from 'commander';
import { addUnavailableCommand } from './not-available.ts';

export function register(program: Command): void {
  addUnavailableCommand(program, 'bench', "compare vdmzip's bits per dimension with classic codecs");
}
