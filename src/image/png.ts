/**
 * PNG decode and encode (ISO/IEC 15948, W3C PNG 2nd edition).
 *
 * Decode reads every PNG: colour types 0, 2, 3, 4, 6; bit depths 1, 2, 4 expanded to 8
 * (grey scaled to 0–255, palette indices looked up); 16-bit samples kept (an Image16 with
 * maxValue 65535); palette images become RGB, or RGBA when a tRNS chunk is present; a tRNS
 * colour key on grey or RGB images becomes an alpha channel, so the decoded image looks as
 * the file does; Adam7 interlace. Every chunk CRC is checked. A palette (with entries no two
 * alike) and grey of fewer than 8 bits without tRNS are kept as the picture's layout, so
 * that the file can be written back as it was. Ancillary chunks come back as metadata, byte
 * for byte, except those that describe a layout the picture has lost (see
 * `keptWhenLayoutChanges`). Animated PNG is refused: only its first frame would survive.
 *
 * Encode writes non-interlaced PNG: with a layout, palette indices or grey at its bit depth
 * (filter 0 on every row, as the PNG spec advises for them); else bit depth 8 or 16 with the
 * colour type that matches the channel count, a per-row filter chosen by the
 * minimum-sum-of-absolute-differences heuristic (the one libpng and the PNG spec recommend).
 * zlib level 9, and the metadata chunks before or after the image data as they stood.
 */
import { deflateSync, inflateSync } from 'node:zlib';
import { VdmzipError } from '../errors.ts';
import { crc32 } from './crc32.ts';
import { checkDimensions, checkImage, checkImage16, checkMetadata, is16, pngLayoutSamples, repeatsAnEntry, type Channels, type Image, type Image16, type MetadataChunk, type Picture, type PngLayout } from './image.ts';

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

const GREY = 0;
const RGB = 2;
const PALETTE = 3;
const GREY_ALPHA = 4;
const RGBA = 6;

/** Bit depths the PNG spec allows for each colour type. */
const ALLOWED_BIT_DEPTHS: Record<number, readonly number[]> = {
  [GREY]: [1, 2, 4, 8, 16],
  [RGB]: [8, 16],
  [PALETTE]: [1, 2, 4, 8],
  [GREY_ALPHA]: [8, 16],
  [RGBA]: [8, 16],
};

/** Samples stored per pixel for each colour type. */
const SAMPLES_PER_PIXEL: Record<number, number> = { [GREY]: 1, [RGB]: 3, [PALETTE]: 1, [GREY_ALPHA]: 2, [RGBA]: 4 };

type PngHeader = {
  width: number;
  height: number;
  bitDepth: number;
  colourType: number;
  interlaced: boolean;
};

/** One sub-image of the stored pixel stream: the whole image, or one of Adam7's 7 passes. */
type Pass = { x0: number; y0: number; dx: number; dy: number; width: number; height: number };

/** Adam7 passes as [x0, y0, dx, dy]. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= SIGNATURE.length && SIGNATURE.every((b, i) => bytes[i] === b);
}

/**
 * Ancillary chunks that stay true when the decoded image's layout differs from the file's
 * (palette expanded, bit depth raised, a tRNS key turned into alpha): colour space and time.
 * Other chunks kept then are only those the PNG spec marks safe to copy (lower-case fourth
 * letter); bKGD, hIST, sBIT and the like describe the old layout and are left out.
 */
const LAYOUT_FREE_CHUNKS: ReadonlySet<string> = new Set(['gAMA', 'cHRM', 'sRGB', 'iCCP', 'cICP', 'mDCV', 'cLLI', 'tIME']);

function keptWhenLayoutChanges(chunk: MetadataChunk): boolean {
  return LAYOUT_FREE_CHUNKS.has(chunk.type) || (chunk.type.charCodeAt(3) & 0x20) !== 0;
}

/** Chunks of animated PNG (APNG): a still-image decoder shows only the first frame. */
const ANIMATION_CHUNKS: ReadonlySet<string> = new Set(['acTL', 'fcTL', 'fdAT']);

export function decodePng(bytes: Uint8Array): Picture {
  if (!isPng(bytes)) throw new VdmzipError('UNSUPPORTED_FORMAT', 'not a PNG file');
  let header: PngHeader | undefined;
  let palette: Uint8Array | undefined;
  let transparency: Uint8Array | undefined;
  const imageData: Uint8Array[] = [];
  const metadata: MetadataChunk[] = [];
  let imageDataEnded = false;

  let pos = SIGNATURE.length;
  for (;;) {
    if (pos + 8 > bytes.length) throw new VdmzipError('TRUNCATED', 'PNG file ends before its IEND chunk');
    const length = readU32(bytes, pos);
    const typeStart = pos + 4;
    const dataStart = pos + 8;
    const dataEnd = dataStart + length;
    if (length > 0x7fffffff) throw new VdmzipError('CORRUPT', 'PNG chunk length exceeds 2^31 - 1');
    const type = chunkType(bytes, typeStart);
    if (dataEnd + 4 > bytes.length) throw new VdmzipError('TRUNCATED', `PNG file ends inside its ${type} chunk`);
    if (crc32(bytes, typeStart, dataEnd) !== readU32(bytes, dataEnd)) {
      throw new VdmzipError('CORRUPT', `PNG ${type} chunk fails its CRC check`);
    }
    const data = bytes.subarray(dataStart, dataEnd);
    pos = dataEnd + 4;

    if (header === undefined && type !== 'IHDR') throw new VdmzipError('CORRUPT', 'PNG does not start with an IHDR chunk');
    if (imageData.length > 0 && type !== 'IDAT') imageDataEnded = true;
    switch (type) {
      case 'IHDR':
        if (header !== undefined) throw new VdmzipError('CORRUPT', 'PNG has two IHDR chunks');
        header = parseHeader(data);
        break;
      case 'PLTE':
        if (palette !== undefined) throw new VdmzipError('CORRUPT', 'PNG has two PLTE chunks');
        if (data.length === 0 || data.length % 3 !== 0 || data.length > 256 * 3) {
          throw new VdmzipError('CORRUPT', `PNG PLTE chunk has invalid length ${data.length}`);
        }
        palette = data;
        break;
      case 'tRNS':
        transparency = data;
        break;
      case 'IDAT':
        if (imageDataEnded) throw new VdmzipError('CORRUPT', 'PNG IDAT chunks are not consecutive');
        imageData.push(data);
        break;
      case 'IEND': {
        // header is set: any first chunk other than IHDR was refused above.
        const image = buildImage(header!, palette, transparency, imageData);
        const layout = layoutOf(header!, palette, transparency, image);
        const { bitDepth, colourType } = header!;
        const layoutKept = layout !== undefined || (colourType !== PALETTE && bitDepth >= 8 && image.channels === SAMPLES_PER_PIXEL[colourType]);
        return { image, metadata: layoutKept ? metadata : metadata.filter(keptWhenLayoutChanges), ...(layout && { layout }) };
      }
      default:
        // Bit 5 of the first type byte clear marks a critical chunk, one a decoder must understand.
        if ((bytes[typeStart] & 0x20) === 0) {
          throw new VdmzipError('UNSUPPORTED_FORMAT', `PNG uses unknown critical chunk ${type}`);
        }
        if (ANIMATION_CHUNKS.has(type)) throw new VdmzipError('UNSUPPORTED_FORMAT', 'animated PNG (APNG) is not supported: vdmzip codes still images');
        metadata.push({ type, data: new Uint8Array(data), afterImageData: imageData.length > 0 });
    }
  }
}

/**
 * The layout to write `image` back as its PNG was: its palette (as decoded: RGB, or RGBA with
 * tRNS) where no two entries are alike, or grey of 1, 2 or 4 bits without a tRNS key.
 */
function layoutOf(header: PngHeader, palette: Uint8Array | undefined, transparency: Uint8Array | undefined, image: Image | Image16): PngLayout | undefined {
  const { bitDepth, colourType } = header;
  if (colourType === GREY && bitDepth < 8 && image.channels === 1) return { kind: 'grey', depth: bitDepth as 1 | 2 | 4 };
  if (colourType !== PALETTE || is16(image)) return undefined;
  // The image decoded, so the palette is there and tRNS fits it.
  const entries = paletteEntries(palette!, transparency);
  return repeatsAnEntry(entries, image.channels) ? undefined : { kind: 'palette', depth: bitDepth as 1 | 2 | 4 | 8, palette: entries };
}

/** A PLTE's entries as decoded pixels: RGB, or RGBA with tRNS's alphas (255 beyond its end). */
function paletteEntries(palette: Uint8Array, transparency: Uint8Array | undefined): Uint8Array {
  const entries = palette.length / 3;
  const channels = transparency === undefined ? 3 : 4;
  const table = new Uint8Array(entries * channels);
  for (let s = 0; s < entries; s++) {
    table.set(palette.subarray(s * 3, s * 3 + 3), s * channels);
    if (transparency !== undefined) table[s * channels + 3] = s < transparency.length ? transparency[s] : 255;
  }
  return table;
}

function readU32(bytes: Uint8Array, pos: number): number {
  return ((bytes[pos] << 24) | (bytes[pos + 1] << 16) | (bytes[pos + 2] << 8) | bytes[pos + 3]) >>> 0;
}

function chunkType(bytes: Uint8Array, pos: number): string {
  let type = '';
  for (let i = pos; i < pos + 4; i++) {
    const c = bytes[i] | 0x20; // lower-cased; chunk types are ASCII letters
    if (c < 0x61 || c > 0x7a) throw new VdmzipError('CORRUPT', 'PNG has a chunk whose type is not four letters');
    type += String.fromCharCode(bytes[i]);
  }
  return type;
}

function parseHeader(data: Uint8Array): PngHeader {
  if (data.length !== 13) throw new VdmzipError('CORRUPT', `PNG IHDR chunk has length ${data.length}, not 13`);
  const width = readU32(data, 0);
  const height = readU32(data, 4);
  const [bitDepth, colourType, compression, filterMethod, interlace] = data.subarray(8);
  const allowed = ALLOWED_BIT_DEPTHS[colourType];
  if (allowed === undefined) throw new VdmzipError('CORRUPT', `PNG has invalid colour type ${colourType}`);
  if (!allowed.includes(bitDepth)) {
    throw new VdmzipError('CORRUPT', `PNG has invalid bit depth ${bitDepth} for colour type ${colourType}`);
  }
  if (compression !== 0) throw new VdmzipError('CORRUPT', `PNG has unknown compression method ${compression}`);
  if (filterMethod !== 0) throw new VdmzipError('CORRUPT', `PNG has unknown filter method ${filterMethod}`);
  if (interlace > 1) throw new VdmzipError('CORRUPT', `PNG has unknown interlace method ${interlace}`);
  checkDimensions(width, height, 'PNG image');
  return { width, height, bitDepth, colourType, interlaced: interlace === 1 };
}

function passesOf(header: PngHeader): Pass[] {
  const { width, height } = header;
  if (!header.interlaced) return [{ x0: 0, y0: 0, dx: 1, dy: 1, width, height }];
  return ADAM7.map(([x0, y0, dx, dy]) => ({
    x0,
    y0,
    dx,
    dy,
    width: width > x0 ? Math.ceil((width - x0) / dx) : 0,
    height: height > y0 ? Math.ceil((height - y0) / dy) : 0,
  }));
}

function buildImage(
  header: PngHeader,
  palette: Uint8Array | undefined,
  transparency: Uint8Array | undefined,
  imageData: Uint8Array[],
): Image | Image16 {
  const { width, height, bitDepth, colourType } = header;
  if (imageData.length === 0) throw new VdmzipError('CORRUPT', 'PNG has no IDAT chunk');

  const bitsPerPixel = bitDepth * SAMPLES_PER_PIXEL[colourType];
  // Filters work on whole bytes: sub-byte pixels use the previous byte.
  const bytesPerPixel = Math.max(1, bitsPerPixel >> 3);
  const passes = passesOf(header).filter((p) => p.width > 0 && p.height > 0);
  const rowBytesOf = (pass: Pass) => Math.ceil((pass.width * bitsPerPixel) / 8);
  const rawSize = passes.reduce((sum, p) => sum + p.height * (rowBytesOf(p) + 1), 0);
  // Before inflating: a malformed PLTE or tRNS is cheaper to find than a bad stream.
  const emitter = rowEmitter(header, palette, transparency);
  const raw = inflateImageData(imageData, rawSize);
  const channels = emitter.channels;
  const pixels = bitDepth === 16 ? new Uint16Array(width * height * channels) : new Uint8Array(width * height * channels);
  let offset = 0;
  for (const pass of passes) {
    const rowBytes = rowBytesOf(pass);
    unfilter(raw, offset, rowBytes, pass.height, bytesPerPixel);
    for (let r = 0; r < pass.height; r++) {
      const y = pass.y0 + r * pass.dy;
      const rowStart = offset + r * (rowBytes + 1) + 1;
      emitter.emit(raw, rowStart, pass.width, pixels, (y * width + pass.x0) * channels, pass.dx * channels);
    }
    offset += pass.height * (rowBytes + 1);
  }
  return pixels instanceof Uint16Array ? { width, height, channels, maxValue: 0xffff, data: pixels } : { width, height, channels, data: pixels };
}

/** Inflates the concatenated IDAT data, which must hold exactly `rawSize` bytes. */
function inflateImageData(imageData: Uint8Array[], rawSize: number): Uint8Array {
  let raw: Uint8Array;
  try {
    // The bound stops a small, hostile zlib stream from inflating to gigabytes.
    raw = inflateSync(Buffer.concat(imageData), { maxOutputLength: rawSize });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') throw new VdmzipError('CORRUPT', 'PNG image data is longer than the image');
    if (code === 'Z_BUF_ERROR') throw new VdmzipError('TRUNCATED', 'PNG image data ends early', { cause: error });
    throw new VdmzipError('CORRUPT', `PNG image data is not a valid zlib stream`, { cause: error });
  }
  if (raw.length !== rawSize) throw new VdmzipError('CORRUPT', 'PNG image data is shorter than the image');
  return raw;
}

/**
 * Reverses the per-row filters of one pass in place. `start` is the filter-type byte of
 * its first row; rows are `rowBytes` bytes after their filter byte. The row above the
 * first is all zeros.
 */
function unfilter(raw: Uint8Array, start: number, rowBytes: number, rows: number, bpp: number): void {
  const zeroRow = new Uint8Array(rowBytes);
  for (let r = 0; r < rows; r++) {
    const cur = start + r * (rowBytes + 1) + 1;
    const filter = raw[cur - 1];
    const up = r === 0 ? zeroRow : raw;
    const upStart = r === 0 ? 0 : cur - rowBytes - 1;
    switch (filter) {
      case 0:
        break;
      case 1: // Sub
        for (let i = bpp; i < rowBytes; i++) raw[cur + i] += raw[cur + i - bpp];
        break;
      case 2: // Up
        for (let i = 0; i < rowBytes; i++) raw[cur + i] += up[upStart + i];
        break;
      case 3: // Average
        for (let i = 0; i < bpp && i < rowBytes; i++) raw[cur + i] += up[upStart + i] >> 1;
        for (let i = bpp; i < rowBytes; i++) raw[cur + i] += (raw[cur + i - bpp] + up[upStart + i]) >> 1;
        break;
      case 4: // Paeth
        for (let i = 0; i < bpp && i < rowBytes; i++) raw[cur + i] += up[upStart + i];
        for (let i = bpp; i < rowBytes; i++) {
          raw[cur + i] += paeth(raw[cur + i - bpp], up[upStart + i], up[upStart + i - bpp]);
        }
        break;
      default:
        throw new VdmzipError('CORRUPT', `PNG row has unknown filter type ${filter}`);
    }
  }
}

/** The Paeth predictor: whichever of left, up, up-left is closest to left + up − up-left. */
function paeth(left: number, up: number, upLeft: number): number {
  const p = left + up - upLeft;
  const pLeft = Math.abs(p - left);
  const pUp = Math.abs(p - up);
  const pUpLeft = Math.abs(p - upLeft);
  if (pLeft <= pUp && pLeft <= pUpLeft) return left;
  return pUp <= pUpLeft ? up : upLeft;
}

/**
 * Turns unfiltered rows into output pixels: `emit` writes the `count` pixels of the row
 * that starts at `src[srcPos]` to `dst[dstPos]`, `dst[dstPos + dstStep]`, …
 */
type RowEmitter = {
  channels: Channels;
  emit(src: Uint8Array, srcPos: number, count: number, dst: Uint8Array | Uint16Array, dstPos: number, dstStep: number): void;
};

function rowEmitter(header: PngHeader, palette: Uint8Array | undefined, transparency: Uint8Array | undefined): RowEmitter {
  const { bitDepth, colourType } = header;
  if (bitDepth === 16) return wideEmitter(colourType, transparency);
  // tRNS has no meaning for colour types with alpha; like libpng, ignore it there.
  if (colourType === GREY || colourType === PALETTE) return lookupEmitter(colourType, bitDepth, palette, transparency);
  if (colourType === RGB && transparency !== undefined) return rgbKeyEmitter(transparency);
  return copyEmitter(SAMPLES_PER_PIXEL[colourType] as Channels);
}

/**
 * 16-bit pixels (grey, grey+alpha, RGB, RGBA), big-endian in the file; a tRNS colour key on
 * grey or RGB adds an alpha channel: 0 where a pixel equals the key, 65535 elsewhere.
 */
function wideEmitter(colourType: number, transparency: Uint8Array | undefined): RowEmitter {
  const stored = SAMPLES_PER_PIXEL[colourType];
  const keyed = (colourType === GREY || colourType === RGB) && transparency !== undefined;
  if (keyed && transparency.length !== 2 * stored) {
    throw new VdmzipError('CORRUPT', `PNG tRNS chunk for ${colourType === GREY ? 'grey' : 'RGB'} has length ${transparency.length}, not ${2 * stored}`);
  }
  const key = keyed ? Array.from({ length: stored }, (_, c) => (transparency[2 * c] << 8) | transparency[2 * c + 1]) : [];
  const channels = (keyed ? stored + 1 : stored) as Channels;
  return {
    channels,
    emit(src, srcPos, count, dst, dstPos, dstStep) {
      for (let i = 0; i < count; i++, dstPos += dstStep) {
        let matches = true;
        for (let c = 0; c < stored; c++, srcPos += 2) {
          const sample = (src[srcPos] << 8) | src[srcPos + 1];
          dst[dstPos + c] = sample;
          if (keyed && sample !== key[c]) matches = false;
        }
        if (keyed) dst[dstPos + stored] = matches ? 0 : 0xffff;
      }
    },
  };
}

/** 8-bit pixels stored as they are (grey, grey+alpha, RGB, RGBA). */
function copyEmitter(channels: Channels): RowEmitter {
  return {
    channels,
    emit(src, srcPos, count, dst, dstPos, dstStep) {
      if (dstStep === channels) {
        dst.set(src.subarray(srcPos, srcPos + count * channels), dstPos);
        return;
      }
      for (let i = 0; i < count; i++, srcPos += channels, dstPos += dstStep) {
        for (let c = 0; c < channels; c++) dst[dstPos + c] = src[srcPos + c];
      }
    },
  };
}

/** RGB with a tRNS colour key: pixels equal to the key get alpha 0, the rest alpha 255. */
function rgbKeyEmitter(transparency: Uint8Array): RowEmitter {
  if (transparency.length !== 6) throw new VdmzipError('CORRUPT', `PNG tRNS chunk for RGB has length ${transparency.length}, not 6`);
  // Key samples are 16-bit fields; at bit depth 8 a value above 255 matches no pixel.
  const keyR = (transparency[0] << 8) | transparency[1];
  const keyG = (transparency[2] << 8) | transparency[3];
  const keyB = (transparency[4] << 8) | transparency[5];
  return {
    channels: 4,
    emit(src, srcPos, count, dst, dstPos, dstStep) {
      for (let i = 0; i < count; i++, srcPos += 3, dstPos += dstStep) {
        const r = src[srcPos];
        const g = src[srcPos + 1];
        const b = src[srcPos + 2];
        dst[dstPos] = r;
        dst[dstPos + 1] = g;
        dst[dstPos + 2] = b;
        dst[dstPos + 3] = r === keyR && g === keyG && b === keyB ? 0 : 255;
      }
    },
  };
}

/**
 * Grey and palette pixels, at any bit depth up to 8: each stored sample indexes a table
 * of output pixels. Grey samples are scaled to 0–255 (exact: 255 is a multiple of
 * 2^d − 1 for d = 1, 2, 4, 8); a grey tRNS key adds alpha; palette entries are RGB, or
 * RGBA with the tRNS alphas (255 beyond the end of tRNS).
 */
function lookupEmitter(
  colourType: number,
  bitDepth: number,
  palette: Uint8Array | undefined,
  transparency: Uint8Array | undefined,
): RowEmitter {
  const maxSample = (1 << bitDepth) - 1;
  let channels: Channels;
  let entries: number;
  let table: Uint8Array;
  if (colourType === GREY) {
    if (transparency !== undefined && transparency.length !== 2) {
      throw new VdmzipError('CORRUPT', `PNG tRNS chunk for grey has length ${transparency.length}, not 2`);
    }
    const key = transparency === undefined ? -1 : (transparency[0] << 8) | transparency[1];
    channels = key < 0 ? 1 : 2;
    entries = maxSample + 1;
    table = new Uint8Array(entries * channels);
    for (let s = 0; s < entries; s++) {
      table[s * channels] = (s * 255) / maxSample;
      if (channels === 2) table[s * channels + 1] = s === key ? 0 : 255;
    }
  } else {
    if (palette === undefined) throw new VdmzipError('CORRUPT', 'PNG palette image has no PLTE chunk');
    entries = palette.length / 3;
    if (transparency !== undefined && transparency.length > entries) {
      throw new VdmzipError('CORRUPT', 'PNG tRNS chunk has more entries than the palette');
    }
    channels = transparency === undefined ? 3 : 4;
    table = paletteEntries(palette, transparency);
  }
  const samplesPerByte = 8 / bitDepth;
  return {
    channels,
    emit(src, srcPos, count, dst, dstPos, dstStep) {
      for (let i = 0; i < count; i++, dstPos += dstStep) {
        // Sub-byte samples are packed most significant bits first.
        const byte = src[srcPos + Math.floor(i / samplesPerByte)];
        const shift = 8 - bitDepth * ((i % samplesPerByte) + 1);
        const sample = (byte >> shift) & maxSample;
        if (sample >= entries) throw new VdmzipError('CORRUPT', `PNG pixel uses palette index ${sample}, beyond the palette`);
        const t = sample * channels;
        for (let c = 0; c < channels; c++) dst[dstPos + c] = table[t + c];
      }
    },
  };
}

/**
 * The PNG file `bytes` without its metadata: every critical chunk and tRNS (which says which
 * pixels are transparent), in order, byte for byte; the other ancillary chunks left out. The
 * file must have decoded (decodePng), so its chunks are known to be well formed.
 */
export function stripPng(bytes: Uint8Array): Uint8Array {
  const kept: Uint8Array[] = [bytes.subarray(0, SIGNATURE.length)];
  for (let pos = SIGNATURE.length; pos + 8 <= bytes.length; ) {
    const end = pos + 12 + readU32(bytes, pos);
    const critical = (bytes[pos + 4] & 0x20) === 0;
    if (critical || chunkType(bytes, pos + 4) === 'tRNS') kept.push(bytes.subarray(pos, end));
    if (chunkType(bytes, pos + 4) === 'IEND') break;
    pos = end;
  }
  return concat(kept);
}

/**
 * Writes `image` as PNG: with `layout`, as palette indices or grey of its bit depth (the image
 * must fit it: checkLayout); else at bit depth 16 for an Image16 (whose maxValue must then be
 * 65535: PNG has no other sample range) or 8. `metadata` goes before or after the image data
 * as each chunk says.
 */
export function encodePng(image: Image | Image16, metadata: MetadataChunk[] = [], layout?: PngLayout): Uint8Array {
  checkMetadata(metadata);
  if (layout) return encodeLayout(image, metadata, layout);
  let data: Uint8Array;
  if (is16(image)) {
    checkImage16(image);
    if (image.maxValue !== 0xffff) {
      throw new VdmzipError('UNSUPPORTED_BIT_DEPTH', `PNG cannot hold samples 0 … ${image.maxValue} without rescaling them; write PGM/PPM/PAM instead`);
    }
    data = new Uint8Array(image.data.length * 2);
    for (let i = 0; i < image.data.length; i++) {
      data[2 * i] = image.data[i] >> 8;
      data[2 * i + 1] = image.data[i] & 0xff;
    }
  } else {
    checkImage(image);
    data = image.data;
  }
  const bytesPerSample = is16(image) ? 2 : 1;
  const { width, height, channels } = image;
  const colourType = [GREY, GREY, GREY_ALPHA, RGB, RGBA][channels];
  const bytesPerPixel = channels * bytesPerSample;
  const rowBytes = width * bytesPerPixel;

  const filtered = new Uint8Array(height * (rowBytes + 1));
  let trial = new Uint8Array(rowBytes);
  let best = new Uint8Array(rowBytes);
  // The first row's filters see a row of zeros above it, as PNG defines.
  let up: Uint8Array = new Uint8Array(rowBytes);
  for (let y = 0; y < height; y++) {
    const row = data.subarray(y * rowBytes, (y + 1) * rowBytes);
    let bestFilter = 0;
    let bestScore = Infinity;
    for (let filter = 0; filter <= 4; filter++) {
      const score = filterRow(filter, row, up, bytesPerPixel, trial);
      if (score < bestScore) {
        bestScore = score;
        bestFilter = filter;
        [best, trial] = [trial, best];
      }
    }
    const out = y * (rowBytes + 1);
    filtered[out] = bestFilter;
    filtered.set(best, out + 1);
    up = row;
  }

  return pngFile(width, height, 8 * bytesPerSample, colourType, [], filtered, metadata);
}

/** Palette indices or grey of fewer bits, packed most significant bits first, every row under filter 0. */
function encodeLayout(image: Image | Image16, metadata: MetadataChunk[], layout: PngLayout): Uint8Array {
  const samples = pngLayoutSamples(image, layout, 'INVALID_ARGUMENT');
  const { width, height, channels } = image;
  const { depth } = layout;
  const rowBytes = Math.ceil((width * depth) / 8);
  const filtered = new Uint8Array(height * (rowBytes + 1));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      filtered[y * (rowBytes + 1) + 1 + (bit >> 3)] |= samples[y * width + x] << (8 - depth - (bit & 7));
    }
  }
  if (layout.kind === 'grey') return pngFile(width, height, depth, GREY, [], filtered, metadata);
  const entries = layout.palette.length / channels;
  const rgb = new Uint8Array(entries * 3);
  for (let e = 0; e < entries; e++) rgb.set(layout.palette.subarray(e * channels, e * channels + 3), e * 3);
  const critical = [chunk('PLTE', rgb)];
  if (channels === 4) {
    // tRNS up to the last entry that is not opaque (those after it read as 255).
    let last = entries;
    while (last > 0 && layout.palette[(last - 1) * 4 + 3] === 255) last--;
    critical.push(chunk('tRNS', Uint8Array.from({ length: last }, (_, e) => layout.palette[e * 4 + 3])));
  }
  return pngFile(width, height, depth, PALETTE, critical, filtered, metadata);
}

/** A whole PNG file: IHDR, the chunks before the image data (PLTE, tRNS, then metadata placed there), IDAT of the filtered rows, later metadata, IEND. */
function pngFile(width: number, height: number, bitDepth: number, colourType: number, before: Uint8Array[], filtered: Uint8Array, metadata: MetadataChunk[]): Uint8Array {
  const ihdr = new Uint8Array(13);
  writeU32(ihdr, 0, width);
  writeU32(ihdr, 4, height);
  ihdr[8] = bitDepth;
  ihdr[9] = colourType;
  // compression, filter method and interlace bytes stay 0: deflate, adaptive, none.
  const kept = (after: boolean) => metadata.filter((m) => m.afterImageData === after).map((m) => chunk(m.type, m.data));
  return concat([
    SIGNATURE,
    chunk('IHDR', ihdr),
    ...before,
    ...kept(false),
    // zlib's default level, as libpng's: level 9 takes twice as long for some 0.3% less on photos.
    chunk('IDAT', deflateSync(filtered, { level: 6 })),
    ...kept(true),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/**
 * Applies PNG filter `filter` to `row` (the row above is `up`: zeros above the first), writing
 * `out`. Returns the sum of the filtered bytes read as signed values: small residuals deflate
 * well. The first pixel (no left neighbour) apart, each filter has a loop of its own, so that
 * no byte pays for a branch on the filter or its position.
 */
function filterRow(filter: number, row: Uint8Array, up: Uint8Array, bpp: number, out: Uint8Array): number {
  const first = Math.min(bpp, row.length);
  let score = 0;
  for (let i = 0; i < first; i++) {
    // No left neighbour: Sub and None agree, Average halves up, Paeth predicts up.
    const r = (row[i] - (filter === 2 || filter === 4 ? up[i] : filter === 3 ? up[i] >> 1 : 0)) & 0xff;
    out[i] = r;
    score += absoluteSigned(r);
  }
  switch (filter) {
    case 0:
      return score + filterNone(row, first, out);
    case 1:
      return score + filterSub(row, bpp, first, out);
    case 2:
      return score + filterUp(row, up, first, out);
    case 3:
      return score + filterAverage(row, up, bpp, first, out);
    default:
      return score + filterPaeth(row, up, bpp, first, out);
  }
}

function filterNone(row: Uint8Array, from: number, out: Uint8Array): number {
  let score = 0;
  for (let i = from; i < row.length; i++) {
    out[i] = row[i];
    score += absoluteSigned(row[i]);
  }
  return score;
}

function filterSub(row: Uint8Array, bpp: number, from: number, out: Uint8Array): number {
  let score = 0;
  for (let i = from; i < row.length; i++) {
    const r = (row[i] - row[i - bpp]) & 0xff;
    out[i] = r;
    score += absoluteSigned(r);
  }
  return score;
}

function filterUp(row: Uint8Array, up: Uint8Array, from: number, out: Uint8Array): number {
  let score = 0;
  for (let i = from; i < row.length; i++) {
    const r = (row[i] - up[i]) & 0xff;
    out[i] = r;
    score += absoluteSigned(r);
  }
  return score;
}

function filterAverage(row: Uint8Array, up: Uint8Array, bpp: number, from: number, out: Uint8Array): number {
  let score = 0;
  for (let i = from; i < row.length; i++) {
    const r = (row[i] - ((row[i - bpp] + up[i]) >> 1)) & 0xff;
    out[i] = r;
    score += absoluteSigned(r);
  }
  return score;
}

function filterPaeth(row: Uint8Array, up: Uint8Array, bpp: number, from: number, out: Uint8Array): number {
  let score = 0;
  for (let i = from; i < row.length; i++) {
    const r = (row[i] - paeth(row[i - bpp], up[i], up[i - bpp])) & 0xff;
    out[i] = r;
    score += absoluteSigned(r);
  }
  return score;
}

/** A filtered byte read as a signed value (−128 … 127), its magnitude; without a branch, which random residuals would mispredict. */
function absoluteSigned(byte: number): number {
  const signed = (byte << 24) >> 24;
  const sign = signed >> 31;
  return (signed ^ sign) - sign;
}

function writeU32(bytes: Uint8Array, pos: number, value: number): void {
  bytes[pos] = value >>> 24;
  bytes[pos + 1] = value >>> 16;
  bytes[pos + 2] = value >>> 8;
  bytes[pos + 3] = value;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length + 12);
  writeU32(out, 0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  writeU32(out, data.length + 8, crc32(out, 4, data.length + 8));
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const part of parts) {
    out.set(part, pos);
    pos += part.length;
  }
  return out;
}
