/**
 * The vdmzip command line: a thin shell over the library. It parses arguments, calls
 * one library function per command, and turns failures into one-line messages and
 * exit codes (0 success, 1 failure, 2 usage error or command not available).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { VdmzipError } from '../src/errors.ts';
import { PACKAGE_ROOT } from '../src/package-root.ts';
import { commandModules } from './commands/index.ts';
import { guardStandardStreams } from './files.ts';

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

export async function runCli(argv: string[]): Promise<number> {
  guardStandardStreams();
  const { version } = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };
  const program = new Command('vdmzip')
    .description('Lossless image compression with a Variational Diffusion Model and bits-back rANS')
    .version(version)
    // Throw instead of exiting, so every way out passes through one place; subcommands
    // inherit both settings because they are added after them.
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`vdmzip: ${text.replace(/^error: /, '')}`) });
  for (const module of commandModules) module.register(program);

  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    return report(error);
  }
}

function report(error: unknown): number {
  // Commander has already printed its message (or the help text it was asked for).
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
  if (error instanceof VdmzipError) {
    console.error(`vdmzip: ${error.file === undefined ? '' : `${error.file}: `}${error.message}`);
    return error.code === 'USAGE' ? EXIT_USAGE : EXIT_FAILURE;
  }
  // Not a failure the library foresaw: a bug. One line still, like every other failure;
  // VDMZIP_DEBUG=1 shows the trace to put in a report.
  if (process.env.VDMZIP_DEBUG) {
    console.error('vdmzip: internal error; please report it with this trace:');
    console.error(error);
  } else {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    console.error(`vdmzip: internal error: ${reason} (a bug: please report it, with the trace VDMZIP_DEBUG=1 shows)`);
  }
  return EXIT_FAILURE;
}
