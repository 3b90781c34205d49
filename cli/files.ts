import { randomBytes } from 'node:crypto';
import { constants, rmSync } from 'node:fs';
import { access, link, lstat, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { VdmzipError } from '../src/errors.ts';

/** How a command names standard input and output in messages. */
export const STDIN_NAME = '<stdin>';
export const STDOUT_NAME = '<stdout>';

/** The system's reason for a failed file operation ("no such file or directory"), without Node's errno prefix. */
function reasonOf(error: NodeJS.ErrnoException): string {
  // Node's text is "ENOENT: no such file or directory, open 'x'": keep the middle.
  // Stream errors say only "write EPIPE".
  if (error.code === 'EPIPE') return 'broken pipe';
  return /^E[A-Z]+: ([^,]+)/.exec(error.message)?.[1] ?? error.code ?? error.message;
}

/** An errno failure as a VdmzipError 'IO' naming `path`; anything else unchanged. */
export function ioError(error: unknown, path: string, doing?: string): unknown {
  if (error instanceof VdmzipError || typeof (error as NodeJS.ErrnoException).code !== 'string') return error;
  const reason = reasonOf(error as NodeJS.ErrnoException);
  return new VdmzipError('IO', doing === undefined ? reason : `${doing}: ${reason}`, { file: path, cause: error });
}

/** Set once writeStdout has written: its own callback then reports standard output's failures. */
let binaryOutput = false;
let streamsGuarded = false;

/**
 * Makes a failing standard output or error end the command without a stack trace (an
 * unhandled 'error' event would print one). A reader that has gone away (EPIPE, as in
 * `vdmzip info x.vdmz | head -1`) has what it wanted: the command stops at once, quietly,
 * with the exit status it had so far (0 unless something failed before), as `gzip -dc |
 * head` does. Another failure of standard output (no space left on /dev/full) is one line
 * on standard error and exit status 1; a failing standard error leaves nowhere to say
 * anything. Binary output through writeStdout reports its failures itself.
 */
export function guardStandardStreams(): void {
  if (streamsGuarded) return;
  streamsGuarded = true;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (binaryOutput) return; // writeStdout's callback reports it
    if (error.code === 'EPIPE') process.exit();
    process.stderr.write(`vdmzip: ${STDOUT_NAME}: cannot write: ${reasonOf(error)}\n`, () => process.exit(1));
  });
  process.stderr.on('error', () => process.exit(process.exitCode ?? 1));
}

/**
 * Writes `bytes` to standard output and waits until Node has handed them on. A reader that
 * has gone away (EPIPE, as in `vdmzip decompress -c x.vdmz | head -c 10`) took what it
 * wanted: the command stops at once, quietly, with the status it had so far, as `gzip -dc |
 * head` does. Other failures (a full disk) are one line and exit status 1.
 */
export async function writeStdout(bytes: Uint8Array): Promise<void> {
  binaryOutput = true;
  guardStandardStreams();
  try {
    await new Promise<void>((resolve, reject) => {
      process.stdout.write(bytes, (error) => (error ? reject(error) : resolve()));
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw ioError(error, STDOUT_NAME, 'cannot write');
  }
}

/** Runs `work`, naming `path` in any VdmzipError it throws. */
export async function aboutFile<T>(path: string, work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw error instanceof VdmzipError ? error.withFile(path) : error;
  }
}

export function outputExistsError(path: string): VdmzipError {
  return new VdmzipError('OUTPUT_EXISTS', 'output file already exists; use -f/--force to overwrite it', { file: path });
}

/** Whether something exists at `path` (a dangling symbolic link counts: it is a name we must not replace). */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw ioError(error, path);
  }
}

/**
 * Refuses an output whose folder cannot be written (read-only, no permission, missing)
 * before any work is done for it; writeOutputFile meets the same failure only after.
 */
export async function checkOutputFolder(path: string): Promise<void> {
  try {
    await access(dirname(path), constants.W_OK);
  } catch (error) {
    throw ioError(error, path, 'cannot write');
  }
}

/** Temporary files being written now; removed if the process is interrupted. */
const pendingTemps = new Set<string>();
let cleanupInstalled = false;

function removePendingTemps(): void {
  for (const temp of pendingTemps) rmSync(temp, { force: true });
  pendingTemps.clear();
}

/**
 * On SIGINT, SIGTERM or SIGHUP: remove the temporary files, then die of the same signal
 * (the listener is gone by then, so the default action runs and the exit status says so).
 */
function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      removePendingTemps();
      process.kill(process.pid, signal);
    });
  }
  process.once('exit', removePendingTemps);
}

/** Codes of link(2) failures that mean "this file system has no hard links", not "exists". */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK']);

/**
 * Writes `bytes` to `path` atomically: into a temporary file in the same folder, then
 * renamed into place, so readers see either no file or the whole file. Without `force`
 * an existing file is never replaced (OUTPUT_EXISTS), checked at the moment of the link
 * that publishes the file. The temporary file is removed on any failure, and on
 * SIGINT/SIGTERM/SIGHUP.
 */
export async function writeOutputFile(path: string, bytes: Uint8Array, force: boolean): Promise<void> {
  installCleanup();
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  pendingTemps.add(temp);
  try {
    await writeFile(temp, bytes, { flag: 'wx' });
    if (force) {
      await rename(temp, path);
    } else {
      try {
        // link(2) fails if `path` exists: no window in which another writer's file is replaced.
        await link(temp, path);
      } catch (error) {
        const { code } = error as NodeJS.ErrnoException;
        if (code === 'EEXIST') throw outputExistsError(path);
        if (code === undefined || !NO_HARD_LINKS.has(code)) throw error;
        if (await pathExists(path)) throw outputExistsError(path);
        await rename(temp, path);
      }
    }
  } catch (error) {
    throw ioError(error, path, 'cannot write');
  } finally {
    await rm(temp, { force: true });
    pendingTemps.delete(temp);
  }
}

/** Whether `a` and `b` name the same existing file (same device and inode). */
export async function sameFile(a: string, b: string): Promise<boolean> {
  try {
    const [sa, sb] = await Promise.all([stat(a), stat(b)]);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}
