import { VdmzipError, type VdmzipErrorCode } from '../errors.ts';

/**
 * An 8-bit image: `data` holds `width · height · channels` bytes, interleaved and
 * row-major (the sample of channel c at column x, row y is at (y·width + x)·channels + c).
 * Channels: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA.
 */
export type Image = {
  width: number;
  height: number;
  channels: Channels;
  data: Uint8Array;
};

export type Channels = 1 | 2 | 3 | 4;

/**
 * An image whose samples are not 8-bit: each an integer 0 … `maxValue` (1 … 65535, never
 * 255), held in 16 bits: 16-bit PNG (maxValue 65535) and PGM/PPM with a maxval other than
 * 255. Laid out as Image's `data`. vdmzip codes it through an 8-bit image of its high bits
 * (docs/format.md §12).
 */
export type Image16 = {
  width: number;
  height: number;
  channels: Channels;
  maxValue: number;
  data: Uint16Array;
};

/**
 * A PNG chunk kept beside the pixels, byte for byte (colour profile, EXIF, text, resolution,
 * time): its four-letter type, its data, and whether it stood after the image data (IDAT)
 * rather than before it.
 */
export type MetadataChunk = { type: string; data: Uint8Array; afterImageData: boolean };

/**
 * How a PNG held its 8-bit pixels where that was not a byte per channel: indices of `depth`
 * bits into `palette` (its entries in the file's order, each as the picture's channels: RGB,
 * or RGBA where the file had tRNS; no two alike), or grey samples of `depth` bits, scaled to
 * 0 … 255 in the picture. A PNG writer given it writes the same kind of file back.
 */
export type PngLayout = { kind: 'palette'; depth: 1 | 2 | 4 | 8; palette: Uint8Array } | { kind: 'grey'; depth: 1 | 2 | 4 };

/**
 * What an image file holds: its pixels, 8-bit or not, and the metadata to keep with them; for
 * a picture read from PNG, that PNG file, which the encoder stores whole where coding the
 * pixels would take more bytes (docs/format.md §2.7), and the PNG's layout where it was a
 * palette or grey of fewer bits. A picture decoded from a file that stored its PNG carries
 * that PNG, which `vdmzip decompress` writes as it is.
 */
export type Picture = { image: Image | Image16; metadata: MetadataChunk[]; png?: Uint8Array; layout?: PngLayout };

/** Whether `image` has samples other than 8-bit. */
export function is16(image: Image | Image16): image is Image16 {
  return image.data instanceof Uint16Array;
}

/** The largest sample value of either kind of image. */
export function maxValueOf(image: Image | Image16): number {
  return is16(image) ? image.maxValue : SAMPLE_MAX;
}

/** The largest sample value: images are 8 bits a sample. */
export const SAMPLE_MAX = 255;

/**
 * The largest image vdmzip accepts, in pixels (2^28 ≈ 268 megapixels, 16384 × 16384).
 * An RGBA image at the limit takes 1 GiB of samples, and the coder needs several times
 * that; readers refuse larger images with 'TOO_LARGE' before allocating anything, so a
 * hostile header cannot make vdmzip exhaust memory.
 */
export const MAX_PIXELS = 2 ** 28;

/**
 * Checks dimensions: positive integers (else `invalidCode`, 'CORRUPT' for dimensions
 * read from a file) whose product is at most MAX_PIXELS (else 'TOO_LARGE').
 * `what` names the thing in the message ("PNG image", "image").
 */
export function checkDimensions(
  width: number,
  height: number,
  what: string,
  invalidCode: VdmzipErrorCode = 'CORRUPT',
): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new VdmzipError(invalidCode, `${what} has invalid dimensions ${width}×${height}`);
  }
  if (width * height > MAX_PIXELS) {
    throw new VdmzipError('TOO_LARGE', `${what} is ${width}×${height} pixels; vdmzip handles at most ${MAX_PIXELS}`);
  }
}

/** Checks that an Image handed to the library is self-consistent ('INVALID_ARGUMENT' if not). */
export function checkImage(image: Image): void {
  checkLayout(image.width, image.height, image.channels, image.data.length, 'bytes');
}

function checkLayout(width: number, height: number, channels: number, length: number, unit: string): void {
  checkDimensions(width, height, 'image', 'INVALID_ARGUMENT');
  if (channels !== 1 && channels !== 2 && channels !== 3 && channels !== 4) {
    throw new VdmzipError('INVALID_ARGUMENT', `image has ${String(channels)} channels; expected 1 to 4`);
  }
  const expected = width * height * channels;
  if (length !== expected) {
    throw new VdmzipError('INVALID_ARGUMENT', `image data has ${length} ${unit}; ${width}×${height}×${channels} needs ${expected}`);
  }
}

/** Checks an Image16 as checkImage checks an Image, and that every sample is at most maxValue. */
export function checkImage16(image: Image16): void {
  const { width, height, channels, data, maxValue } = image;
  if (!(data instanceof Uint16Array)) throw new VdmzipError('INVALID_ARGUMENT', 'image data must be a Uint16Array');
  if (!Number.isInteger(maxValue) || maxValue < 1 || maxValue > 65535 || maxValue === SAMPLE_MAX) {
    throw new VdmzipError('INVALID_ARGUMENT', `maxValue ${String(maxValue)} is not an integer in 1 … 65535 other than 255 (8-bit images are Images)`);
  }
  checkLayout(width, height, channels, data.length, 'samples');
  for (let i = 0; i < data.length; i++) {
    if (data[i] > maxValue) throw new VdmzipError('INVALID_ARGUMENT', `sample ${data[i]} exceeds maxValue ${maxValue}`);
  }
}

/** Checks a MetadataChunk list: four-letter ancillary types (lower-case first letter), Uint8Array data. */
export function checkMetadata(metadata: MetadataChunk[]): void {
  for (const chunk of metadata) {
    if (!/^[a-z][A-Za-z]{3}$/.test(chunk.type)) throw new VdmzipError('INVALID_ARGUMENT', `metadata chunk type ${JSON.stringify(chunk.type)} is not an ancillary PNG chunk type`);
    if (!(chunk.data instanceof Uint8Array)) throw new VdmzipError('INVALID_ARGUMENT', `metadata chunk ${chunk.type} has no Uint8Array data`);
    if (chunk.data.length > 0x7fffffff) throw new VdmzipError('INVALID_ARGUMENT', `metadata chunk ${chunk.type} is longer than a PNG chunk can be`);
  }
}

/**
 * A colour as one number: the `count` bytes from `at` as base-256 digits, the first the lowest
 * (a pixel's samples, a palette entry; docs/format.md §7.13 reads pixels so).
 */
export function colourAt(bytes: Uint8Array, at: number, count: number): number {
  let colour = 0;
  for (let c = count - 1; c >= 0; c--) colour = colour * 256 + bytes[at + c];
  return colour;
}

/** Writes `colour`'s `count` base-256 digits to `bytes` from `at`, the lowest first: colourAt's inverse. */
export function writeColourAt(bytes: Uint8Array, at: number, count: number, colour: number): void {
  for (let c = 0; c < count; c++) {
    bytes[at + c] = colour % 256;
    colour = Math.floor(colour / 256);
  }
}

/** Each entry of `palette` (entries of `channels` bytes) by its colour, or undefined where two entries are alike. */
function entryIndex(palette: Uint8Array, channels: number): Map<number, number> | undefined {
  const index = new Map<number, number>();
  for (let e = 0; e * channels < palette.length; e++) {
    const colour = colourAt(palette, e * channels, channels);
    if (index.has(colour)) return undefined;
    index.set(colour, e);
  }
  return index;
}

/** Whether two entries of `palette` (of `channels` bytes each) are alike: its indices could not be told apart. */
export function repeatsAnEntry(palette: Uint8Array, channels: number): boolean {
  return entryIndex(palette, channels) === undefined;
}

/**
 * Checks PNG layout `layout` for an image of `channels` channels, before any pixel: grey of 1, 2
 * or 4 bits with one channel, or a palette of 1 … 2^depth whole entries of 3 or 4 channels, no
 * two alike, with 1, 2, 4 or 8-bit indices. Throws VdmzipError with `code`.
 */
export function checkPngLayoutFits(layout: PngLayout, channels: number, code: VdmzipErrorCode): void {
  const fail = (message: string): never => {
    throw new VdmzipError(code, message);
  };
  if (layout.kind === 'grey') {
    if (![1, 2, 4].includes(layout.depth)) fail(`grey of ${layout.depth} bits is not 1, 2 or 4`);
    if (channels !== 1) fail('grey of fewer bits has one channel');
    return;
  }
  const { depth, palette } = layout;
  if (![1, 2, 4, 8].includes(depth)) fail(`palette indices of ${depth} bits are not 1, 2, 4 or 8`);
  if (channels !== 3 && channels !== 4) fail('a palette holds RGB or RGBA colours');
  const entries = palette.length / channels;
  if (!(Number.isInteger(entries) && entries >= 1 && entries <= 2 ** depth)) fail(`a palette of ${palette.length} bytes is not 1 … ${2 ** depth} colours of ${channels} channels`);
  if (repeatsAnEntry(palette, channels)) fail('the palette repeats a colour');
}

/**
 * The samples a PNG of layout `layout` stores for `image`: each pixel's palette index, or each
 * grey sample divided by 255 / (2^depth − 1). Throws VdmzipError with `code` where the layout
 * cannot write the image: checkPngLayoutFits, a pixel's colour not in the palette, a grey
 * sample that is no multiple.
 */
export function pngLayoutSamples(image: Image | Image16, layout: PngLayout, code: VdmzipErrorCode): Uint8Array {
  if (is16(image)) throw new VdmzipError(code, 'a palette or grey of fewer bits holds 8-bit samples only');
  checkPngLayoutFits(layout, image.channels, code);
  if (layout.kind === 'grey') {
    const step = 255 / (2 ** layout.depth - 1);
    if (image.data.some((v) => v % step !== 0)) throw new VdmzipError(code, `a sample is not a ${layout.depth}-bit grey level`);
    return image.data.map((v) => v / step);
  }
  const indices = paletteIndices(image, layout.palette);
  if (indices === undefined) throw new VdmzipError(code, 'the palette lacks a colour of the image');
  return indices;
}

/** Checks that PNG layout `layout` can write `image` (pngLayoutSamples, whose samples it leaves). */
export function checkPngLayout(image: Image | Image16, layout: PngLayout, code: VdmzipErrorCode): void {
  pngLayoutSamples(image, layout, code);
}

/** Each pixel's index into `palette` (entries of the image's channels), or undefined where two entries are alike or a pixel's colour is missing. */
function paletteIndices(image: Image, palette: Uint8Array): Uint8Array | undefined {
  const { channels } = image;
  const index = entryIndex(palette, channels);
  if (index === undefined) return undefined;
  const indices = new Uint8Array(image.width * image.height);
  for (let p = 0; p < indices.length; p++) {
    const e = index.get(colourAt(image.data, p * channels, channels));
    if (e === undefined) return undefined;
    indices[p] = e;
  }
  return indices;
}

/** The w × h rectangle of `image` whose top-left pixel is (x0, y0), which must lie inside it. */
export function cropImage(image: Image, x0: number, y0: number, w: number, h: number): Image {
  if (!(x0 >= 0 && y0 >= 0 && w >= 1 && h >= 1 && x0 + w <= image.width && y0 + h <= image.height)) {
    throw new RangeError(`crop ${w}×${h} at (${x0}, ${y0}) is not inside ${image.width}×${image.height}`);
  }
  const { channels } = image;
  const data = new Uint8Array(w * h * channels);
  for (let y = 0; y < h; y++) {
    const from = ((y0 + y) * image.width + x0) * channels;
    data.set(image.data.subarray(from, from + w * channels), y * w * channels);
  }
  return { width: w, height: h, channels, data };
}
