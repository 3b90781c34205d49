/**
 * How many bytes an image file can hold, known from its first bytes: lets a reader check
 * the signature and the header before it reads the rest, and stop reading a pipe or a
 * special file (/dev/zero) once it has more than the header's image can need.
 *
 * The bound is generous, since ancillary data (PNG text, colour profiles, PNM comments)
 * has no size of its own in the header: twice the raw size of the image the header
 * describes, plus INPUT_SLACK_BYTES. A header that describes more than MAX_PIXELS pixels
 * is refused ('TOO_LARGE') before anything more is read.
 */
import { VdmzipError } from '../errors.ts';
import { checkDimensions } from './image.ts';

/** Bytes an input may have beyond twice its image's raw size (headers, metadata, comments). */
export const INPUT_SLACK_BYTES = 64 * 2 ** 20;

/** The most bytes a reader looks at to find a header before it gives up on the input. */
export const HEADER_SEARCH_BYTES = 2 ** 20;

/** What a header promises: the most bytes the input can have, and the image it describes, in words. */
export type InputBound = { maxBytes: number; image: string };

/**
 * The bound an input's first bytes set, or undefined when `prefix` is too short to tell and
 * more may follow (`complete` false). With `complete` true, or from HEADER_SEARCH_BYTES bytes
 * on, it always answers or throws.
 */
export type InputBoundOf = (prefix: Uint8Array, complete: boolean) => InputBound | undefined;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Signature, IHDR's length and type, its 13 bytes of data. */
const PNG_HEADER_BYTES = 8 + 8 + 13;
/** Samples per pixel of PNG colour types 0, 2, 3, 4, 6. */
const PNG_SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const PNM_CHANNELS: Record<string, number> = { P1: 1, P2: 1, P3: 3, P4: 1, P5: 1, P6: 3 };
const PNM_NAMES: Record<string, string> = { P1: 'PBM image', P2: 'PGM image', P3: 'PPM image', P4: 'PBM image', P5: 'PGM image', P6: 'PPM image' };

export const NOT_AN_IMAGE = 'not a PNG or Netpbm (PBM, PGM, PPM, PAM) image';

function bound(width: number, height: number, rawBytes: number, what: string): InputBound {
  return { maxBytes: 2 * rawBytes + INPUT_SLACK_BYTES, image: `${width}×${height} ${what}` };
}

/** Whether `prefix` starts as `signature` does, as far as it goes. */
function startsLike(prefix: Uint8Array, signature: readonly number[]): boolean {
  for (let i = 0; i < Math.min(prefix.length, signature.length); i++) if (prefix[i] !== signature[i]) return false;
  return true;
}

/** The bound of a PNG or Netpbm file (see InputBoundOf); 'UNSUPPORTED_FORMAT' for anything else. */
export const imageInputBound: InputBoundOf = (prefix, complete) => {
  if (prefix.length >= 1 && prefix[0] === PNG_SIGNATURE[0]) return pngBound(prefix, complete);
  if (prefix.length >= 1 && prefix[0] === 0x50) return pnmBound(prefix, complete);
  if (prefix.length === 0 && !complete) return undefined;
  throw new VdmzipError('UNSUPPORTED_FORMAT', NOT_AN_IMAGE);
};

function pngBound(prefix: Uint8Array, complete: boolean): InputBound | undefined {
  if (!startsLike(prefix, PNG_SIGNATURE)) throw new VdmzipError('UNSUPPORTED_FORMAT', NOT_AN_IMAGE);
  if (prefix.length < PNG_HEADER_BYTES) {
    if (complete) throw new VdmzipError('TRUNCATED', 'PNG file ends inside its header');
    return undefined;
  }
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  const type = String.fromCharCode(...prefix.subarray(12, 16));
  if (view.getUint32(8) !== 13 || type !== 'IHDR') throw new VdmzipError('CORRUPT', 'PNG does not start with an IHDR chunk');
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const bitDepth = prefix[24];
  const samples = PNG_SAMPLES[prefix[25]];
  if (samples === undefined || ![1, 2, 4, 8, 16].includes(bitDepth)) {
    throw new VdmzipError('CORRUPT', `PNG has invalid colour type ${prefix[25]} or bit depth ${bitDepth}`);
  }
  checkDimensions(width, height, 'PNG image');
  // Filtered rows, each with its filter byte (Adam7's passes add at most 7 rows' worth).
  const rowBytes = Math.ceil((width * samples * bitDepth) / 8) + 1;
  return bound(width, height, (height + 7) * rowBytes, 'PNG image');
}

/** Reads the header numbers of a Netpbm file (two for a bitmap, three for the others) as far as `prefix` holds them. */
function pnmBound(prefix: Uint8Array, complete: boolean): InputBound | undefined {
  if (prefix.length < 2) {
    if (complete) throw new VdmzipError('UNSUPPORTED_FORMAT', NOT_AN_IMAGE);
    return undefined;
  }
  const magic = String.fromCharCode(prefix[0], prefix[1]);
  if (magic === 'P7') return pamBound(prefix, complete);
  const channels = PNM_CHANNELS[magic];
  if (channels === undefined) throw new VdmzipError('UNSUPPORTED_FORMAT', NOT_AN_IMAGE);
  const bitmap = magic === 'P1' || magic === 'P4';
  const numbers: number[] = [];
  let pos = 2;
  while (numbers.length < (bitmap ? 2 : 3)) {
    // Whitespace, and comments from # to the end of the line.
    while (pos < prefix.length && (isPnmSpace(prefix[pos]) || prefix[pos] === 0x23)) {
      if (prefix[pos] === 0x23) while (pos < prefix.length && prefix[pos] !== 0x0a && prefix[pos] !== 0x0d) pos++;
      else pos++;
    }
    let value = 0;
    const start = pos;
    for (; pos < prefix.length && prefix[pos] >= 0x30 && prefix[pos] <= 0x39 && value <= 0xffffffff; pos++) value = value * 10 + prefix[pos] - 0x30;
    if (pos === prefix.length) {
      // The number (or the separator before it) may go on in bytes not read yet.
      if (!complete && prefix.length < HEADER_SEARCH_BYTES) return undefined;
      throw new VdmzipError('TRUNCATED', 'PNM file ends inside its header');
    }
    if (pos === start || !(isPnmSpace(prefix[pos]) || prefix[pos] === 0x23)) throw new VdmzipError('CORRUPT', 'PNM header is not decimal numbers');
    numbers.push(value);
  }
  const [width, height, maxval] = numbers;
  checkDimensions(width, height, 'PNM image');
  // A binary bitmap packs 8 pixels a byte; a plain (P1, P2, P3) sample takes up to 5 digits and a separator.
  const rawBytes = magic === 'P4' ? Math.ceil(width / 8) * height : width * height * channels * (magic === 'P5' || magic === 'P6' ? (maxval > 255 ? 2 : 1) : 6);
  return bound(width, height, rawBytes, PNM_NAMES[magic]);
}

/** A PAM header's WIDTH, HEIGHT, DEPTH and MAXVAL, read up to its ENDHDR line as far as `prefix` holds it. */
function pamBound(prefix: Uint8Array, complete: boolean): InputBound | undefined {
  const text = new TextDecoder('latin1').decode(prefix.subarray(0, HEADER_SEARCH_BYTES));
  const end = /^ENDHDR\r?$/m.exec(text);
  if (end === null) {
    if (!complete && prefix.length < HEADER_SEARCH_BYTES) return undefined;
    throw new VdmzipError('TRUNCATED', 'PAM file ends inside its header');
  }
  const field = (name: string) => {
    const match = new RegExp(`^${name}[ \\t]+(\\d{1,10})[ \\t\\r]*$`, 'm').exec(text.slice(0, end.index));
    if (match === null) throw new VdmzipError('CORRUPT', `PAM header has no ${name}`);
    return Number(match[1]);
  };
  const [width, height, depth, maxval] = [field('WIDTH'), field('HEIGHT'), field('DEPTH'), field('MAXVAL')];
  checkDimensions(width, height, 'PAM image');
  return bound(width, height, width * height * Math.min(depth, 4) * (maxval > 255 ? 2 : 1), 'PAM image');
}

/** Netpbm whitespace: space, tab, LF, VT, FF, CR. */
function isPnmSpace(b: number): boolean {
  return b === 0x20 || (b >= 0x09 && b <= 0x0d);
}

/**
 * An input read chunk by chunk under the bound its first bytes set (`boundOf`): `add` throws
 * 'TOO_LARGE' as soon as the input is longer than that bound (and the bound's own errors as
 * soon as the first bytes give them away); `bytes` checks a short input whole and returns it.
 */
export class BoundedInput {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;
  private bound: InputBound | undefined;

  constructor(private readonly boundOf: InputBoundOf) {}

  add(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
    this.bound ??= this.boundOf(Buffer.concat(this.chunks), false);
    if (this.bound !== undefined && this.length > this.bound.maxBytes) {
      throw new VdmzipError('TOO_LARGE', `input goes on past ${this.bound.maxBytes} bytes, more than its header's ${this.bound.image} can take`);
    }
  }

  bytes(): Uint8Array {
    const bytes = Buffer.concat(this.chunks);
    if (this.bound === undefined) this.boundOf(bytes, true);
    return bytes;
  }
}
