/**
 * PGM/PPM (Netpbm) read and write, maxval 255 only.
 *
 * Reads binary P5 (grey) and P6 (RGB), and their plain-text forms P2 and P3, with
 * comments anywhere whitespace may stand. Writes binary P5 or P6. Other maxvals are
 * refused with 'UNSUPPORTED_BIT_DEPTH': rescaling them to 8 bits would not be lossless.
 * A file must hold exactly one image; a second image (Netpbm allows several) or other
 * trailing data is refused rather than dropped.
 */
import { VdmzipError } from '../errors.ts';
import { checkDimensions, checkImage, type Image } from './image.ts';

const FORMATS: Record<string, { channels: 1 | 3; binary: boolean }> = {
  P2: { channels: 1, binary: false },
  P3: { channels: 3, binary: false },
  P5: { channels: 1, binary: true },
  P6: { channels: 3, binary: true },
};

const HASH = 0x23;
const LINE_FEED = 0x0a;
const CARRIAGE_RETURN = 0x0d;

export function isPnm(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && Object.hasOwn(FORMATS, String.fromCharCode(bytes[0], bytes[1]));
}

export function decodePnm(bytes: Uint8Array): Image {
  if (!isPnm(bytes)) throw new VdmzipError('UNSUPPORTED_FORMAT', 'not a PGM/PPM file (P2, P3, P5 or P6)');
  const { channels, binary } = FORMATS[String.fromCharCode(bytes[0], bytes[1])];
  const reader = new TokenReader(bytes, 2);
  const width = reader.number('width');
  const height = reader.number('height');
  const maxval = reader.number('maxval');
  checkDimensions(width, height, 'PNM image');
  if (maxval !== 255) {
    throw new VdmzipError('UNSUPPORTED_BIT_DEPTH', `PNM maxval ${maxval} is not supported; only 255 (8-bit)`);
  }

  const size = width * height * channels;
  let data: Uint8Array;
  if (binary) {
    // Exactly one whitespace byte separates maxval from the raster.
    if (reader.pos < bytes.length && !isWhitespace(bytes[reader.pos])) {
      throw new VdmzipError('CORRUPT', 'PNM maxval must be followed by one whitespace byte');
    }
    const start = reader.pos + 1;
    if (start + size > bytes.length) throw new VdmzipError('TRUNCATED', 'PNM file ends inside its pixel data');
    data = bytes.slice(start, start + size);
    reader.pos = start + size;
  } else {
    data = new Uint8Array(size);
    for (let i = 0; i < size; i++) {
      const value = reader.number('sample');
      if (value > maxval) throw new VdmzipError('CORRUPT', `PNM sample ${value} exceeds maxval ${maxval}`);
      data[i] = value;
    }
  }
  if (!reader.atEnd()) {
    throw new VdmzipError('UNSUPPORTED_FORMAT', 'PNM file has data after its image (multi-image files are not supported)');
  }
  return { width, height, channels, data };
}

/** Reads the whitespace- and comment-separated decimal numbers of a PNM header or plain raster. */
class TokenReader {
  constructor(
    private readonly bytes: Uint8Array,
    public pos: number,
  ) {}

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

/** Writes P5 (1 channel) or P6 (3 channels); PNM has no alpha channel, so 2 and 4 are refused. */
export function encodePnm(image: Image): Uint8Array {
  checkImage(image);
  const { width, height, channels, data } = image;
  if (channels !== 1 && channels !== 3) {
    throw new VdmzipError('UNSUPPORTED_FORMAT', 'PGM/PPM cannot store an alpha channel; write PNG instead');
  }
  const header = new TextEncoder().encode(`${channels === 1 ? 'P5' : 'P6'}\n${width} ${height}\n255\n`);
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}
