// Placeholder until the real command replaces this file.
import type { Command } from 'commander';
import { addUnavailableCommand } from './not-available.ts';

export function register(program: Command): void {
  addUnavailableCommand(program, 'train', 'train a model bundle on a folder of images');
}
