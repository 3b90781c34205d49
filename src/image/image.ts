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
  const { width, height, channels, data } = image;
  checkDimensions(width, height, 'image', 'INVALID_ARGUMENT');
  if (channels !== 1 && channels !== 2 && channels !== 3 && channels !== 4) {
    throw new VdmzipError('INVALID_ARGUMENT', `image has ${String(channels)} channels; expected 1 to 4`);
  }
  const expected = width * height * channels;
  if (data.length !== expected) {
    throw new VdmzipError(
      'INVALID_ARGUMENT',
      `image data has ${data.length} bytes; ${width}×${height}×${channels} needs ${expected}`,
    );
  }
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
