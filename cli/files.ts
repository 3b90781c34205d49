import { readFile } from 'node:fs/promises';
import { VdmzipError } from '../src/errors.ts';

/**
 * Reads a file for a command. Failures become VdmzipErrors naming the file, with the
 * system's reason ("no such file or directory") instead of Node's errno text.
 */
export async function readInputFile(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (code === undefined) throw error;
    // Node's text is "ENOENT: no such file or directory, open 'x'": keep the middle.
    const reason = /^E[A-Z]+: ([^,]+)/.exec(message)?.[1] ?? code;
    throw new VdmzipError('IO', reason, { file: path, cause: error });
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
