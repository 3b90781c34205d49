// Expanding command-line paths into image files.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { VdmzipError } from '../errors.ts';

export const IMAGE_FILE = /\.(png|ppm|pgm|pnm)$/i;

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
