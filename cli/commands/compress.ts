import type { Command } from 'commander';
import { addUnavailableCommand } from './not-available.ts';

export function register(program: Command): void {
  addUnavailableCommand(program, 'compress', 'compress a PNG, PGM or PPM image to .vdmz');
}
