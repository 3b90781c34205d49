/**
 * Runs a file command over its inputs, gzip-style: each input becomes one output (a file
 * beside it, the -o file, or standard output), a failed input is reported on one line and
 * the others still run, and the command fails at the end if any input did.
 */
import { VdmzipError, type VdmzipErrorCode } from '../src/errors.ts';
import { checkOutputFolder, outputExistsError, pathExists, sameFile, STDIN_NAME, STDOUT_NAME, writeOutputFile, writeStdout } from './files.ts';
import { progressMode, type FileOptions } from './options.ts';
import { ProgressBar } from './progress.ts';

export interface Job {
  /** A path, or '-' for standard input. */
  input: string;
  /** A path, undefined for standard output, or null for none (decompress --test). */
  output: string | undefined | null;
}

export interface JobResult {
  bytes: Uint8Array;
  /** What -v prints about the file after "input → output: ", e.g. sizes and bpd. */
  summary: string;
}

/** How an input is named in messages. */
export function inputLabel(input: string): string {
  return input === '-' ? STDIN_NAME : input;
}

function usage(message: string): VdmzipError {
  return new VdmzipError('USAGE', message);
}

/** Checks the command line and decides where each input goes. Throws 'USAGE' errors. */
export function planJobs(inputs: string[], o: FileOptions, defaultOutput: (input: string) => string): Job[] {
  if (inputs.length === 0) throw usage('no input files (use - to read standard input)');
  if (inputs.filter((input) => input === '-').length > 1) throw usage('standard input (-) can be given only once');
  if (o.output !== undefined && o.stdout) throw usage('-o/--output and -c/--stdout cannot be used together');
  if (o.output !== undefined && inputs.length > 1) throw usage(`-o/--output takes one input, not ${inputs.length}`);
  if (o.stdout && inputs.length > 1) throw usage(`-c/--stdout takes one input, not ${inputs.length}`);
  const jobs = inputs.map((input): Job => ({
    input,
    output: o.stdout ? undefined : (o.output ?? (input === '-' ? undefined : defaultOutput(input))),
  }));
  if (jobs.some((job) => job.output === undefined) && process.stdout.isTTY && !o.force) {
    throw usage('refusing to write binary data to a terminal; redirect standard output, or use -o FILE (or -f)');
  }
  return jobs;
}

/** The one-line form the CLI prints a VdmzipError in. */
export function formatError(error: VdmzipError): string {
  return `vdmzip: ${error.file === undefined ? '' : `${error.file}: `}${error.message}`;
}

/**
 * Runs `work` on each job and writes its bytes. With one job its error propagates (the
 * CLI prints it); with several, each failure is printed as it happens and the others run
 * on, then a last error counts the failures, so the exit status is 1.
 */
export async function runJobs(jobs: Job[], o: FileOptions, work: (job: Job, bar: ProgressBar) => Promise<JobResult>): Promise<void> {
  const failures: VdmzipError[] = [];
  for (const job of jobs) {
    const label = inputLabel(job.input);
    const started = performance.now();
    const bar = new ProgressBar(label, progressMode(o));
    try {
      if (typeof job.output === 'string') {
        // Refuse early, before the coding work; writeOutputFile checks again when it publishes.
        if (!o.force && (await pathExists(job.output))) throw outputExistsError(job.output);
        await checkOutputFolder(job.output);
        if (job.input !== '-' && (await sameFile(job.input, job.output))) {
          throw new VdmzipError('USAGE', `the output ${job.output} is the input file itself`, { file: label });
        }
      }
      const result = await work(job, bar);
      bar.finish();
      if (job.output === undefined) await writeStdout(result.bytes);
      else if (job.output !== null) await writeOutputFile(job.output, result.bytes, o.force === true);
      if (o.verbose && !o.quiet) {
        const seconds = (performance.now() - started) / 1000;
        const where = job.output === null ? label : `${label} → ${job.output ?? STDOUT_NAME}`;
        process.stderr.write(`${where}: ${result.summary}, ${seconds.toFixed(2)} s\n`);
      }
    } catch (error) {
      bar.finish();
      if (error instanceof BatchFailure) throw error.failure;
      if (!(error instanceof VdmzipError)) throw error;
      const named = error.withFile(label);
      if (jobs.length === 1) throw named;
      process.stderr.write(`${formatError(named)}\n`);
      failures.push(named);
    }
  }
  if (failures.length > 0) {
    // The exit status is 1 (a file failed) even if the failures were usage-like.
    const code: VdmzipErrorCode = failures.find((f) => f.code !== 'USAGE')?.code ?? 'IO';
    throw new VdmzipError(code, `${failures.length} of ${jobs.length} inputs failed`);
  }
}

/** A failure that ends the whole batch, not only the input it happened in (the model cannot be opened). */
class BatchFailure extends Error {
  constructor(readonly failure: VdmzipError) {
    super(failure.message);
  }
}

/**
 * Something the jobs share, opened when the first job asks for it (after its input has been
 * read and checked, so that a bad input or output fails before a model loads) and only
 * once. A VdmzipError from `open` ends the batch rather than failing each input in turn.
 */
export function openOnFirstUse<T extends { dispose(): Promise<void> }>(open: () => Promise<T>): { get(): Promise<T>; dispose(): Promise<void> } {
  let opened: Promise<T> | undefined;
  return {
    get: () =>
      (opened ??= open().catch((error: unknown) => {
        throw error instanceof VdmzipError ? new BatchFailure(error) : error;
      })),
    async dispose() {
      const resource = await opened?.catch(() => undefined);
      await resource?.dispose();
    },
  };
}

/** "640×480 RGB" and the like. */
export function describeImage(image: { width: number; height: number; channels: number; maxValue?: number }): string {
  const depth = image.maxValue === undefined ? '' : image.maxValue === 0xffff ? ' 16-bit' : ` 0…${image.maxValue}`;
  return `${image.width}×${image.height} ${['', 'grey', 'grey+alpha', 'RGB', 'RGBA'][image.channels]}${depth}`;
}
