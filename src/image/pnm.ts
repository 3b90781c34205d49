/**
 * Netpbm read and write: PBM, PGM, PPM and PAM, any maxval 1 … 65535.
 *
 * Reads binary P4 (bitmap), P5 (grey) and P6 (RGB), their plain-text forms P1, P2 and P3, with
 * comments anywhere whitespace may stand, and P7 (PAM: grey, RGB, and either with alpha).
 * Writes P4, P5, P6 or P7 (NetpbmKind: by default the one the image needs). A bitmap's 1 (black) reads as grey 0
 * and its 0 as 255, with a 1-bit grey layout, so it comes back as it was. Maxval 255 gives an
 * Image; any other an Image16 with that maxValue (binary samples then take two bytes, most
 * significant first, when maxval > 255), so the file comes back with its own maxval. A file
 * must hold exactly one image; a second image (Netpbm allows several) or other trailing data
 * is refused rather than dropped.
 */
import { VdmzipError } from '../errors.ts';
import { checkDimensions, checkImage, checkImage16, is16, SAMPLE_MAX, type Channels, type Image, type Image16, type PngLayout } from './image.ts';

type Kind = { channels: 1 | 3; binary: boolean; bitmap: boolean };
const FORMATS: Record<string, Kind> = {
  P1: { channels: 1, binary: false, bitmap: true },
  P2: { channels: 1, binary: false, bitmap: false },
  P3: { channels: 3, binary: false, bitmap: false },
  P4: { channels: 1, binary: true, bitmap: true },
  P5: { channels: 1, binary: true, bitmap: false },
  P6: { channels: 3, binary: true, bitmap: false },
};
const PAM = 'P7';

/** PAM tuple types this reader takes, by their channel counts (a PAM without one is read by its depth). */
const TUPLE_TYPES: Record<string, Channels> = { BLACKANDWHITE: 1, GRAYSCALE: 1, RGB: 3, BLACKANDWHITE_ALPHA: 2, GRAYSCALE_ALPHA: 2, RGB_ALPHA: 4 };
const TUPLE_TYPE_OF: Record<Channels, string> = { 1: 'GRAYSCALE', 2: 'GRAYSCALE_ALPHA', 3: 'RGB', 4: 'RGB_ALPHA' };

/** The layout a bitmap's pixels keep: grey of 1 bit (docs/format.md §2.7). */
const BITMAP_LAYOUT: PngLayout = { kind: 'grey', depth: 1 };

const LATIN1 = new TextDecoder('latin1');
const HASH = 0x23;
const LINE_FEED = 0x0a;
const CARRIAGE_RETURN = 0x0d;

export function isPnm(bytes: Uint8Array): boolean {
  if (bytes.length < 2) return false;
  const magic = String.fromCharCode(bytes[0], bytes[1]);
  return Object.hasOwn(FORMATS, magic) || magic === PAM;
}

/** A Netpbm file's image, and for a bitmap its 1-bit layout. */
export function decodePnmPicture(bytes: Uint8Array): { image: Image | Image16; layout?: PngLayout } {
  if (!isPnm(bytes)) throw new VdmzipError('UNSUPPORTED_FORMAT', 'not a Netpbm file (P1 to P7)');
  const magic = String.fromCharCode(bytes[0], bytes[1]);
  const reader = new TokenReader(bytes, 2);
  if (magic === PAM) return { image: decodePam(bytes, reader) };
  const { channels, binary, bitmap } = FORMATS[magic];
  const width = reader.number('width');
  const height = reader.number('height');
  const maxval = bitmap ? 1 : reader.number('maxval');
  checkDimensions(width, height, 'PNM image');
  if (maxval < 1 || maxval > 0xffff) throw new VdmzipError('CORRUPT', `PNM maxval ${maxval} is not in 1 … 65535`);
  if (binary) {
    // Exactly one whitespace byte separates the header from the raster.
    if (reader.pos < bytes.length && !isWhitespace(bytes[reader.pos])) throw new VdmzipError('CORRUPT', 'PNM header must end with one whitespace byte');
    reader.pos++;
  }
  const image = bitmap ? readBitmap(reader, width, height, binary) : readSamples(reader, width, height, channels, maxval, binary);
  if (!reader.atEnd()) throw new VdmzipError('UNSUPPORTED_FORMAT', 'PNM file has data after its image (multi-image files are not supported)');
  return bitmap ? { image, layout: BITMAP_LAYOUT } : { image };
}

/** A PGM/PPM/PAM file's image (decodePnmPicture without the layout). */
export function decodePnm(bytes: Uint8Array): Image | Image16 {
  return decodePnmPicture(bytes).image;
}

/** A PAM header (`TOKEN value` lines up to ENDHDR) and its raster. */
function decodePam(bytes: Uint8Array, reader: TokenReader): Image | Image16 {
  const fields = new Map<string, string>();
  for (;;) {
    const word = reader.word('PAM header line');
    if (word === 'ENDHDR') break;
    const value = reader.restOfLine();
    fields.set(word, word === 'TUPLTYPE' && fields.has(word) ? `${fields.get(word)} ${value}` : value);
  }
  // ENDHDR ends its line: the raster starts after that newline.
  if (bytes[reader.pos] === CARRIAGE_RETURN) reader.pos++;
  if (bytes[reader.pos] !== LINE_FEED) throw new VdmzipError(reader.pos >= bytes.length ? 'TRUNCATED' : 'CORRUPT', 'PAM ENDHDR must end its line');
  reader.pos++;
  const number = (name: string) => {
    const text = fields.get(name);
    if (text === undefined) throw new VdmzipError('CORRUPT', `PAM header has no ${name}`);
    if (!/^\d{1,10}$/.test(text)) throw new VdmzipError('CORRUPT', `PAM ${name} is not a decimal number`);
    return Number(text);
  };
  const [width, height, depth, maxval] = [number('WIDTH'), number('HEIGHT'), number('DEPTH'), number('MAXVAL')];
  checkDimensions(width, height, 'PAM image');
  if (maxval < 1 || maxval > 0xffff) throw new VdmzipError('CORRUPT', `PAM maxval ${maxval} is not in 1 … 65535`);
  const tupleType = fields.get('TUPLTYPE');
  if (tupleType !== undefined && !Object.hasOwn(TUPLE_TYPES, tupleType)) throw new VdmzipError('UNSUPPORTED_FORMAT', `PAM tuple type ${tupleType} is not supported (grey or RGB, with or without alpha)`);
  if (depth < 1 || depth > 4 || (tupleType !== undefined && TUPLE_TYPES[tupleType] !== depth)) {
    throw new VdmzipError(tupleType === undefined ? 'UNSUPPORTED_FORMAT' : 'CORRUPT', `PAM depth ${depth} is not that of ${tupleType ?? 'grey or RGB, with or without alpha (1 to 4)'}`);
  }
  return readSamples(reader, width, height, depth as Channels, maxval, true);
}

/** The raster of a PGM, PPM or PAM: binary (one or two bytes a sample) or plain decimal numbers. */
function readSamples(reader: TokenReader, width: number, height: number, channels: Channels, maxval: number, binary: boolean): Image | Image16 {
  const bytes = reader.bytes;
  const size = width * height * channels;
  const wide = maxval > SAMPLE_MAX;
  const data = maxval === SAMPLE_MAX ? new Uint8Array(size) : new Uint16Array(size);
  if (binary) {
    const start = reader.pos;
    const end = start + (wide ? 2 * size : size);
    if (end > bytes.length) throw new VdmzipError('TRUNCATED', 'PNM file ends inside its pixel data');
    for (let i = 0; i < size; i++) {
      const value = wide ? (bytes[start + 2 * i] << 8) | bytes[start + 2 * i + 1] : bytes[start + i];
      if (value > maxval) throw new VdmzipError('CORRUPT', `PNM sample ${value} exceeds maxval ${maxval}`);
      data[i] = value;
    }
    reader.pos = end;
  } else {
    for (let i = 0; i < size; i++) {
      const value = reader.number('sample');
      if (value > maxval) throw new VdmzipError('CORRUPT', `PNM sample ${value} exceeds maxval ${maxval}`);
      data[i] = value;
    }
  }
  return data instanceof Uint16Array ? { width, height, channels, maxValue: maxval, data } : { width, height, channels, data };
}

/** A PBM raster as grey: 1 (black) → 0, 0 → 255. Binary rows are padded to whole bytes, most significant bit first. */
function readBitmap(reader: TokenReader, width: number, height: number, binary: boolean): Image {
  const bytes = reader.bytes;
  const data = new Uint8Array(width * height);
  if (binary) {
    const rowBytes = Math.ceil(width / 8);
    const end = reader.pos + rowBytes * height;
    if (end > bytes.length) throw new VdmzipError('TRUNCATED', 'PBM file ends inside its pixel data');
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) data[y * width + x] = (bytes[reader.pos + y * rowBytes + (x >> 3)] >> (7 - (x & 7))) & 1 ? 0 : SAMPLE_MAX;
    }
    reader.pos = end;
  } else {
    for (let i = 0; i < data.length; i++) data[i] = reader.bit() ? 0 : SAMPLE_MAX;
  }
  return { width, height, channels: 1, data };
}

/** Reads the whitespace- and comment-separated decimal numbers of a PNM header or plain raster. */
class TokenReader {
  constructor(
    readonly bytes: Uint8Array,
    public pos: number,
  ) {}

  /** A plain PBM sample: one digit 0 or 1, separators optional. */
  bit(): number {
    this.skipSeparators();
    if (this.pos >= this.bytes.length) throw new VdmzipError('TRUNCATED', 'PBM file ends inside its pixel data');
    const b = this.bytes[this.pos++];
    if (b !== 0x30 && b !== 0x31) throw new VdmzipError('CORRUPT', 'PBM sample is not 0 or 1');
    return b - 0x30;
  }

  /** A run of printable characters other than whitespace and '#' (a PAM header's token). */
  word(what: string): string {
    this.skipSeparators();
    const start = this.pos;
    while (this.pos < this.bytes.length && this.bytes[this.pos] > 0x20 && this.bytes[this.pos] < 0x7f && this.bytes[this.pos] !== HASH) this.pos++;
    if (this.pos === start) throw new VdmzipError(this.pos >= this.bytes.length ? 'TRUNCATED' : 'CORRUPT', `PAM file ends before its ${what}`);
    return LATIN1.decode(this.bytes.subarray(start, this.pos));
  }

  /** The rest of a PAM header line, trimmed. */
  restOfLine(): string {
    const start = this.pos;
    while (this.pos < this.bytes.length && this.bytes[this.pos] !== LINE_FEED) this.pos++;
    if (this.pos >= this.bytes.length) throw new VdmzipError('TRUNCATED', 'PAM file ends inside its header');
    const line = this.bytes.subarray(start, this.pos);
    if (line.some((b) => b >= 0x7f)) throw new VdmzipError('CORRUPT', 'PAM header holds a byte that is not ASCII');
    return LATIN1.decode(line).trim();
  }

  number(what: string): number {
    this.skipSeparators();
    const { bytes } = this;
    if (this.pos >= bytes.length) throw new VdmzipError('TRUNCATED', `PNM file ends before its ${what}`);
    let value = 0;
    const start = this.pos;
    for (; this.pos < bytes.length && isDigit(bytes[this.pos]); this.pos++) {
      value = value * 10 + bytes[this.pos] - 0x30;
      // Far above any valid value, and keeps the arithmetic exact.
      if (value > 0xffffffff) throw new VdmzipError('CORRUPT', `PNM ${what} is out of range`);
    }
    if (this.pos === start || (this.pos < bytes.length && !isWhitespace(bytes[this.pos]) && bytes[this.pos] !== HASH)) {
      throw new VdmzipError('CORRUPT', `PNM ${what} is not a decimal number`);
    }
    return value;
  }

  /** True when only whitespace and comments remain. */
  atEnd(): boolean {
    this.skipSeparators();
    return this.pos >= this.bytes.length;
  }

  private skipSeparators(): void {
    const { bytes } = this;
    while (this.pos < bytes.length) {
      const b = bytes[this.pos];
      if (isWhitespace(b)) {
        this.pos++;
      } else if (b === HASH) {
        while (this.pos < bytes.length && bytes[this.pos] !== LINE_FEED && bytes[this.pos] !== CARRIAGE_RETURN) this.pos++;
      } else {
        return;
      }
    }
  }
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

/** Netpbm whitespace: space, tab, LF, VT, FF, CR. */
function isWhitespace(b: number): boolean {
  return b === 0x20 || (b >= 0x09 && b <= 0x0d);
}

/**
 * Which Netpbm file encodePnm writes: 'pnm' the one the image needs (P4 for grey of a 1-bit
 * layout, P5 or P6 for grey or RGB, P7 for either with alpha); 'pbm' P4 (black and white
 * only); 'pgm' and 'ppm' P5 or P6 by the image's channels (no alpha); 'pam' P7 whatever the
 * image.
 */
export const NETPBM_KINDS = ['pnm', 'pbm', 'pgm', 'ppm', 'pam'] as const;
export type NetpbmKind = (typeof NETPBM_KINDS)[number];

/** Whether every sample is black (0) or white (255): what PBM holds. */
function isBilevel(image: Image | Image16): image is Image {
  return image.channels === 1 && !is16(image) && image.data.every((v) => v === 0 || v === SAMPLE_MAX);
}

/** Writes `image` as Netpbm of `kind`, with the image's maxval. */
export function encodePnm(image: Image | Image16, layout?: PngLayout, kind: NetpbmKind = 'pnm'): Uint8Array {
  if (is16(image)) checkImage16(image);
  else checkImage(image);
  const { width, height, channels, data } = image;
  if (kind === 'pbm' || (kind === 'pnm' && layout?.kind === 'grey' && layout.depth === 1)) {
    if (!isBilevel(image)) throw new VdmzipError('UNSUPPORTED_FORMAT', 'PBM holds black and white only; write PGM, PPM, PAM or PNG instead');
    return encodeBitmap(image);
  }
  const alpha = channels === 2 || channels === 4;
  if (alpha && (kind === 'pgm' || kind === 'ppm')) throw new VdmzipError('UNSUPPORTED_FORMAT', 'PGM/PPM cannot store an alpha channel; write PAM or PNG instead');
  const maxval = is16(image) ? image.maxValue : SAMPLE_MAX;
  const text =
    kind === 'pam' || alpha
      ? `P7\nWIDTH ${width}\nHEIGHT ${height}\nDEPTH ${channels}\nMAXVAL ${maxval}\nTUPLTYPE ${TUPLE_TYPE_OF[channels]}\nENDHDR\n`
      : `${channels === 1 ? 'P5' : 'P6'}\n${width} ${height}\n${maxval}\n`;
  const header = new TextEncoder().encode(text);
  const sampleBytes = maxval > SAMPLE_MAX ? 2 : 1;
  const out = new Uint8Array(header.length + data.length * sampleBytes);
  out.set(header);
  if (sampleBytes === 1) out.set(data, header.length);
  else {
    for (let i = 0, at = header.length; i < data.length; i++, at += 2) {
      out[at] = data[i] >> 8;
      out[at + 1] = data[i] & 0xff;
    }
  }
  return out;
}

/** P4: grey 0 is a set bit (black), 255 a clear one; rows padded to whole bytes. */
function encodeBitmap(image: Image): Uint8Array {
  const { width, height, data } = image;
  const header = new TextEncoder().encode(`P4\n${width} ${height}\n`);
  const rowBytes = Math.ceil(width / 8);
  const out = new Uint8Array(header.length + rowBytes * height);
  out.set(header);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) if (data[y * width + x] === 0) out[header.length + y * rowBytes + (x >> 3)] |= 0x80 >> (x & 7);
  }
  return out;
}
