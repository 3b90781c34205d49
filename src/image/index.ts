/**
 * Image input and output: PNG and PGM/PPM, 8-bit samples. See png.ts and pnm.ts for
 * what each reader accepts.
 */
import { VdmzipError } from '../errors.ts';
import type { Image } from './image.ts';
import { decodePng, encodePng, isPng } from './png.ts';
import { decodePnm, encodePnm, isPnm } from './pnm.ts';

export { cropImage, MAX_PIXELS, SAMPLE_MAX, type Channels, type Image } from './image.ts';
export { decodePng, encodePng } from './png.ts';
export { decodePnm, encodePnm } from './pnm.ts';

/** 'pnm' writes PGM (P5) for grey and PPM (P6) for RGB images. */
export type ImageFormat = 'png' | 'pnm';

/** The format of `bytes` by its magic number, or undefined when it is neither PNG nor PNM. */
export function detectImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (isPng(bytes)) return 'png';
  if (isPnm(bytes)) return 'pnm';
  return undefined;
}

/** Decodes a PNG or PGM/PPM file, chosen by its magic number. */
export function readImage(bytes: Uint8Array): Image {
  switch (detectImageFormat(bytes)) {
    case 'png':
      return decodePng(bytes);
    case 'pnm':
      return decodePnm(bytes);
    default:
      throw new VdmzipError('UNSUPPORTED_FORMAT', 'not a PNG, PGM or PPM image');
  }
}

export function writeImage(image: Image, format: ImageFormat): Uint8Array {
  return format === 'png' ? encodePng(image) : encodePnm(image);
}
