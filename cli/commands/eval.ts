// Placeholder until the real command replaces this file.
import type { Command } from 'commander';
import { addUnavailableCommand } from './not-available.ts';

export function register(program: Command): void {
  addUnavailableCommand(program, 'eval', "report a model's negative ELBO in bits per dimension");
}
