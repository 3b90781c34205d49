/**
 * PGM/PPM (Netpbm) read and write, any maxval 1 … 65535.
 *
 * Reads binary P5 (grey) and P6 (RGB), and their plain-text forms P2 and P3, with
 * comments anywhere whitespace may stand. Writes binary P5 or P6. Maxval 255 gives an
 * Image; any other an Image16 with that maxValue (binary samples then take two bytes,
 * most significant first, when maxval > 255), so the file comes back with its own maxval.
 * A file must hold exactly one image; a second image (Netpbm allows several) or other
 * trailing data is refused rather than dropped.
 */
import { VdmzipError } from '../errors.ts';
import { checkDimensions, checkImage, checkImage16, is16, SAMPLE_MAX, type Image, type Image16 } from './image.ts';

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

export function decodePnm(bytes: Uint8Array): Image | Image16 {
  if (!isPnm(bytes)) throw new VdmzipError('UNSUPPORTED_FORMAT', 'not a PGM/PPM file (P2, P3, P5 or P6)');
  const { channels, binary } = FORMATS[String.fromCharCode(bytes[0], bytes[1])];
  const reader = new TokenReader(bytes, 2);
  const width = reader.number('width');
  const height = reader.number('height');
  const maxval = reader.number('maxval');
  checkDimensions(width, height, 'PNM image');
  if (maxval < 1 || maxval > 0xffff) throw new VdmzipError('CORRUPT', `PNM maxval ${maxval} is not in 1 … 65535`);

  const size = width * height * channels;
  const wide = maxval > SAMPLE_MAX;
  const data = maxval === SAMPLE_MAX ? new Uint8Array(size) : new Uint16Array(size);
  if (binary) {
    // Exactly one whitespace byte separates maxval from the raster.
    if (reader.pos < bytes.length && !isWhitespace(bytes[reader.pos])) {
      throw new VdmzipError('CORRUPT', 'PNM maxval must be followed by one whitespace byte');
    }
    const start = reader.pos + 1;
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
  if (!reader.atEnd()) {
    throw new VdmzipError('UNSUPPORTED_FORMAT', 'PNM file has data after its image (multi-image files are not supported)');
  }
  return data instanceof Uint16Array ? { width, height, channels, maxValue: maxval, data } : { width, height, channels, data };
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

/**
 * Writes P5 (1 channel) or P6 (3 channels) with the image's maxval; PNM has no alpha
 * channel, so 2 and 4 are refused.
 */
export function encodePnm(image: Image | Image16): Uint8Array {
  if (is16(image)) checkImage16(image);
  else checkImage(image);
  const { width, height, channels, data } = image;
  if (channels !== 1 && channels !== 3) {
    throw new VdmzipError('UNSUPPORTED_FORMAT', 'PGM/PPM cannot store an alpha channel; write PNG instead');
  }
  const maxval = is16(image) ? image.maxValue : SAMPLE_MAX;
  const header = new TextEncoder().encode(`${channels === 1 ? 'P5' : 'P6'}\n${width} ${height}\n${maxval}\n`);
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
