/**
 * Image input and output: PNG and Netpbm (PBM, PGM, PPM, PAM), 8-bit and 16-bit samples, with PNG metadata.
 * See png.ts and pnm.ts for what each reader accepts.
 */
import { VdmzipError } from '../errors.ts';
import { NOT_AN_IMAGE } from './limits.ts';
import { is16, type Image, type Image16, type Picture } from './image.ts';
import { decodePng, encodePng, isPng, stripPng } from './png.ts';
import { decodePnmPicture, encodePnm, isPnm, NETPBM_KINDS, type NetpbmKind } from './pnm.ts';

export { cropImage, is16, maxValueOf, checkImage16, checkMetadata, MAX_PIXELS, SAMPLE_MAX, type Channels, type Image, type Image16, type MetadataChunk, type Picture, type PngLayout } from './image.ts';
export { decodePng, encodePng, stripPng } from './png.ts';
export { decodePnm, encodePnm } from './pnm.ts';

/**
 * 'png', or a Netpbm kind (pnm.ts): 'pnm' writes PGM (P5) for grey, PPM (P6) for RGB, PAM (P7)
 * for either with alpha, and PBM (P4) for a 1-bit grey layout; 'pbm', 'pgm', 'ppm' and 'pam'
 * ask for one of them.
 */
export type ImageFormat = 'png' | NetpbmKind;

/** Every image format, each also the file extension that names it. */
export const IMAGE_FORMATS: readonly ImageFormat[] = ['png', ...NETPBM_KINDS];

/** The format of `bytes` by its magic number, or undefined when it is neither PNG nor PNM. */
export function detectImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (isPng(bytes)) return 'png';
  if (isPnm(bytes)) return 'pnm';
  return undefined;
}

/** Decodes a PNG or Netpbm file, chosen by its magic number: pixels at their depth, PNG metadata, and the PNG file itself. */
export function readPicture(bytes: Uint8Array): Picture {
  switch (detectImageFormat(bytes)) {
    case 'png':
      return { ...decodePng(bytes), png: bytes };
    case 'pnm':
      return { ...decodePnmPicture(bytes), metadata: [] };
    default:
      throw new VdmzipError('UNSUPPORTED_FORMAT', NOT_AN_IMAGE);
  }
}

/**
 * The picture without its metadata: no chunks beside the pixels, and its PNG (if any) stripped
 * of them too (`compress --strip`). Its layout (a palette, grey of fewer bits) is not metadata
 * and stays.
 */
export function withoutMetadata(picture: Picture): Picture {
  return { ...picture, metadata: [], png: picture.png && stripPng(picture.png) };
}

/** Encodes a picture as PNG (with its metadata) or Netpbm (which holds none: pnm.ts says which kind). */
export function writePicture(picture: Picture, format: ImageFormat): Uint8Array {
  return format === 'png' ? encodePng(picture.image, picture.metadata, picture.layout) : encodePnm(picture.image, picture.layout, format);
}

/** The 8-bit pixels of a PNG or PGM/PPM file ('UNSUPPORTED_BIT_DEPTH' for other depths; readPicture reads every file). */
export function readImage(bytes: Uint8Array): Image {
  const { image } = readPicture(bytes);
  if (is16(image)) throw new VdmzipError('UNSUPPORTED_BIT_DEPTH', `the image's samples run to ${image.maxValue}, not 255: it is not 8-bit`);
  return image;
}

export function writeImage(image: Image | Image16, format: ImageFormat): Uint8Array {
  return writePicture({ image, metadata: [] }, format);
}
