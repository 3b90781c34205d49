// Expanding command-line paths into image files, and reading one with bounds.

import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { VdmzipError } from '../errors.ts';
import { IMAGE_FORMATS } from './index.ts';
import { BoundedInput, imageInputBound } from './limits.ts';

/** Bytes read at a time. */
const READ_BYTES = 1024 * 1024;

/** A file name that ends in an image format's extension (`IMAGE_FORMATS`), the format's name as its first group. */
export const IMAGE_FILE = new RegExp(`\\.(${IMAGE_FORMATS.join('|')})$`, 'i');

/** Each path as is if it is a file; the images directly inside it (sorted) if it is a folder. */
export function listImageFiles(paths: string[]): string[] {
  return paths.flatMap((path) => {
    if (!existsSync(path)) throw new VdmzipError('IO', 'no such file or directory', { file: path });
    if (!statSync(path).isDirectory()) return [path];
    const names = readdirSync(path).filter((n) => IMAGE_FILE.test(n)).sort();
    if (names.length === 0) throw new VdmzipError('INVALID_ARGUMENT', 'no PNG/PPM/PGM images in this folder', { file: path });
    return names.map((n) => join(path, n));
  });
}

/**
 * The bytes of the image file at `path`, read as the command line reads its inputs (limits.ts):
 * the signature and header are checked before the rest is read, and reading stops once the
 * file holds more than its header's image can need, so `/dev/zero` or a huge non-image fails
 * at once ('UNSUPPORTED_FORMAT', 'TOO_LARGE'). Synchronous, for the benchmark's many files.
 */
export function readImageFile(path: string): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const input = new BoundedInput(imageInputBound);
    for (;;) {
      const chunk = Buffer.allocUnsafe(READ_BYTES);
      const read = readSync(fd, chunk, 0, READ_BYTES, null);
      if (read === 0) return input.bytes();
      input.add(chunk.subarray(0, read));
    }
  } finally {
    closeSync(fd);
  }
}
