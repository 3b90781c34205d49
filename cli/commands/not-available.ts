import type { Command } from 'commander';
import { VdmzipError } from '../../src/errors.ts';

/**
 * Adds a subcommand that is planned but not built: it shows in --help as such and
 * fails with exit code 2 whatever its arguments, rather than pretending to work.
 */
export function addUnavailableCommand(program: Command, name: string, description: string): void {
  program
    .command(name)
    .description(`${description} (not available yet)`)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new VdmzipError('NOT_AVAILABLE', `${name} is not available yet`);
    });
}
