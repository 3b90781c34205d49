import type { Command } from 'commander';
import { addUnavailableCommand } from './not-available.ts';

export function register(program: Command): void {
  addUnavailableCommand(program, 'decompress', 'decompress a .vdmz file to PNG, PGM or PPM');
}
