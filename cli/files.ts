import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { link, lstat, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
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
function ioError(error: unknown, path: string, doing?: string): unknown {
  if (error instanceof VdmzipError || typeof (error as NodeJS.ErrnoException).code !== 'string') return error;
  const reason = reasonOf(error as NodeJS.ErrnoException);
  return new VdmzipError('IO', doing === undefined ? reason : `${doing}: ${reason}`, { file: path, cause: error });
}

/**
 * Reads a file for a command. Failures become VdmzipErrors naming the file, with the
 * system's reason ("no such file or directory") instead of Node's errno text.
 */
export async function readInputFile(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    throw ioError(error, path);
  }
}

/** Reads all of standard input. Refuses a terminal: the data is binary. */
export async function readStdin(): Promise<Uint8Array> {
  if (process.stdin.isTTY) throw new VdmzipError('USAGE', 'refusing to read binary data from a terminal; redirect standard input', { file: STDIN_NAME });
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  } catch (error) {
    throw ioError(error, STDIN_NAME);
  }
  return Buffer.concat(chunks);
}

/** Reads `path`, or standard input for '-'. */
export function readInput(path: string): Promise<Uint8Array> {
  return path === '-' ? readStdin() : readInputFile(path);
}

let stdoutGuarded = false;

/**
 * Writes `bytes` to standard output and waits until Node has handed them on. A closed
 * pipe (EPIPE, as in `vdmzip decompress -c x.vdmz | head -c 10`) is a one-line failure,
 * not a crash: the stream's 'error' event, which would otherwise be unhandled, is caught.
 */
export async function writeStdout(bytes: Uint8Array): Promise<void> {
  if (!stdoutGuarded) {
    stdoutGuarded = true;
    process.stdout.on('error', () => {}); // the write callback below reports it
  }
  try {
    await new Promise<void>((resolve, reject) => {
      process.stdout.write(bytes, (error) => (error ? reject(error) : resolve()));
    });
  } catch (error) {
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
