import { deflateSync, inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VdmzipError } from '../src/errors.ts';
import { crc32 } from '../src/image/crc32.ts';
import { MAX_PIXELS, decodePng as decodePicture, encodePng, is16, readImage, readPicture, writeImage, writePicture, type Channels, type Image, type Image16, type MetadataChunk } from '../src/image/index.ts';

/** The 8-bit image of a PNG (most files here are 8-bit; decodePicture reads the others). */
function decodePng(bytes: Uint8Array): Image {
  const { image } = decodePicture(bytes);
  if (is16(image)) throw new Error('expected an 8-bit PNG');
  return image;
}

// ---------------------------------------------------------------------------------------
// A small PNG writer written from the spec, independent of src/image/png.ts, so decode
// is checked against files whose every byte the test chose (filters, bit packing,
// Adam7 order, chunk split).

type PngSpec = {
  width: number;
  height: number;
  bitDepth: number;
  colourType: number;
  /** Stored samples, row-major, samplesPerPixel per pixel (palette indices for type 3). */
  samples: number[];
  interlace?: boolean;
  /** Filter type for the n-th stored row (counting across Adam7 passes). */
  filterFor?: (row: number) => number;
  /** Chunks [type, data] placed between IHDR and IDAT. */
  chunksBeforeData?: Array<[string, Uint8Array]>;
  /** Number of IDAT chunks the zlib stream is split into. */
  dataChunks?: number;
};

const SAMPLES_PER_PIXEL: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(Buffer.from(type, 'latin1'), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out, 4, 8 + data.length));
  return out;
}

function ihdrData(width: number, height: number, bitDepth: number, colourType: number, interlace = 0): Uint8Array {
  const data = new Uint8Array(13);
  const view = new DataView(data.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  data.set([bitDepth, colourType, 0, 0, interlace], 8);
  return data;
}

function ihdr(width: number, height: number, bitDepth: number, colourType: number, interlace = 0): Uint8Array {
  return chunk('IHDR', ihdrData(width, height, bitDepth, colourType, interlace));
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function png(...chunks: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat([Uint8Array.from(SIGNATURE), ...chunks]));
}

function referencePaeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** The raw (filtered, uncompressed) scanlines of spec, pass by pass. */
function scanlines(spec: PngSpec): Uint8Array {
  const spp = SAMPLES_PER_PIXEL[spec.colourType];
  const bpp = Math.max(1, (spec.bitDepth * spp) / 8);
  const passes = spec.interlace
    ? [
        [0, 0, 8, 8],
        [4, 0, 8, 8],
        [0, 4, 4, 8],
        [2, 0, 4, 4],
        [0, 2, 2, 4],
        [1, 0, 2, 2],
        [0, 1, 1, 2],
      ]
    : [[0, 0, 1, 1]];
  const out: number[] = [];
  let rowCount = 0;
  for (const [x0, y0, dx, dy] of passes) {
    let prior: number[] | undefined;
    for (let y = y0; y < spec.height; y += dy) {
      const bits: number[] = [];
      for (let x = x0; x < spec.width; x += dx) {
        for (let s = 0; s < spp; s++) {
          const v = spec.samples[(y * spec.width + x) * spp + s];
          for (let b = spec.bitDepth - 1; b >= 0; b--) bits.push((v >> b) & 1);
        }
      }
      if (bits.length === 0) break; // empty pass: no scanlines at all
      while (bits.length % 8 !== 0) bits.push(0);
      const row: number[] = [];
      for (let i = 0; i < bits.length; i += 8) row.push(bits.slice(i, i + 8).reduce((acc, bit) => (acc << 1) | bit, 0));
      const filter = spec.filterFor?.(rowCount++) ?? 0;
      const up = prior ?? row.map(() => 0);
      const filtered = row.map((x, i) => {
        const a = i >= bpp ? row[i - bpp] : 0;
        const b = up[i];
        const c = i >= bpp ? up[i - bpp] : 0;
        const predictor = [0, a, b, (a + b) >> 1, referencePaeth(a, b, c)][filter];
        return (x - predictor) & 0xff;
      });
      out.push(filter, ...filtered);
      prior = row;
    }
  }
  return Uint8Array.from(out);
}

function buildPng(spec: PngSpec): Uint8Array {
  const compressed = deflateSync(scanlines(spec));
  const pieces = spec.dataChunks ?? 1;
  const idat: Uint8Array[] = [];
  for (let i = 0; i < pieces; i++) {
    const from = Math.floor((i * compressed.length) / pieces);
    const to = Math.floor(((i + 1) * compressed.length) / pieces);
    idat.push(chunk('IDAT', compressed.subarray(from, to)));
  }
  return png(
    ihdr(spec.width, spec.height, spec.bitDepth, spec.colourType, spec.interlace ? 1 : 0),
    ...(spec.chunksBeforeData ?? []).map(([type, data]) => chunk(type, data)),
    ...idat,
    chunk('IEND', new Uint8Array()),
  );
}

function expectVdmzipError(action: () => unknown, code: string, message?: string | RegExp): void {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(VdmzipError);
  expect((thrown as VdmzipError).code).toBe(code);
  if (message !== undefined) expect((thrown as VdmzipError).message).toMatch(message);
}

/** Deterministic pseudo-random samples in [0, 2^bits). */
function samplesFor(count: number, bits: number, seed = 1): number[] {
  let state = seed;
  return Array.from({ length: count }, () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 16) & ((1 << bits) - 1);
  });
}

const cycleFilters = (row: number) => row % 5;

// ---------------------------------------------------------------------------------------

describe('crc32', () => {
  it('matches the standard check value', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array())).toBe(0);
  });

  it('continues a running checksum across pieces', () => {
    const bytes = Buffer.from('The quick brown fox jumps over the lazy dog');
    expect(crc32(bytes, 10, bytes.length, crc32(bytes, 0, 10))).toBe(crc32(bytes));
    // An empty piece (a new zero-length array too) leaves the running checksum as it is.
    expect(crc32(new Uint8Array(0), 0, 0, crc32(bytes))).toBe(crc32(bytes));
    expect(crc32(bytes, 5, 5, crc32(bytes))).toBe(crc32(bytes));
  });
});

describe('PNG encode → decode', () => {
  const imageArbitrary = fc
    .record({
      width: fc.integer({ min: 1, max: 40 }),
      height: fc.integer({ min: 1, max: 40 }),
      channels: fc.constantFrom<Channels>(1, 2, 3, 4),
    })
    .chain(({ width, height, channels }) =>
      fc
        .uint8Array({ minLength: width * height * channels, maxLength: width * height * channels })
        .map((data): Image => ({ width, height, channels, data })),
    );

  it('returns every pixel unchanged, for all channel counts and sizes down to 1×1', () => {
    fc.assert(
      fc.property(imageArbitrary, (image) => {
        const decoded = decodePng(encodePng(image));
        expect(decoded.width).toBe(image.width);
        expect(decoded.height).toBe(image.height);
        expect(decoded.channels).toBe(image.channels);
        expect(decoded.data).toEqual(image.data);
      }),
      { numRuns: 300, examples: [[{ width: 1, height: 1, channels: 1, data: Uint8Array.of(7) }]] },
    );
  });

  it('picks prediction filters on smooth images, and they round-trip', () => {
    const width = 64;
    const height = 48;
    const data = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * 3;
        data[i] = x * 4;
        data[i + 1] = y * 5;
        data[i + 2] = (x * y) & 0xff;
      }
    }
    const image: Image = { width, height, channels: 3, data };
    const encoded = encodePng(image);
    expect(decodePng(encoded).data).toEqual(data);

    // Pull the filter byte of each row out of the IDAT stream.
    const idatLength = new DataView(encoded.buffer, encoded.byteOffset).getUint32(33);
    const raw = inflateSync(encoded.subarray(41, 41 + idatLength));
    const filters = new Set(Array.from({ length: height }, (_, y) => raw[y * (width * 3 + 1)]));
    expect(filters.size).toBeGreaterThan(1);
    expect([...filters].some((f) => f !== 0)).toBe(true);
  });

  it('is reached through readImage / writeImage', () => {
    const image: Image = { width: 2, height: 1, channels: 4, data: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) };
    expect(readImage(writeImage(image, 'png'))).toEqual({ ...image, data: image.data });
  });

  it('refuses an image whose data length does not match its geometry', () => {
    expectVdmzipError(() => encodePng({ width: 2, height: 2, channels: 3, data: new Uint8Array(11) }), 'INVALID_ARGUMENT');
  });
});

describe('PNG decode of hand-built files', () => {
  it('expands 1-, 2- and 4-bit grey to 8 bits, rows not filling their last byte', () => {
    for (const bitDepth of [1, 2, 4]) {
      const width = 13;
      const height = 5;
      const samples = samplesFor(width * height, bitDepth, bitDepth);
      const image = decodePng(buildPng({ width, height, bitDepth, colourType: 0, samples, filterFor: cycleFilters }));
      expect(image.channels).toBe(1);
      expect(Array.from(image.data)).toEqual(samples.map((s) => (s * 255) / ((1 << bitDepth) - 1)));
    }
  });

  it('applies all five filter types for every bytes-per-pixel', () => {
    for (const [colourType, channels] of [
      [0, 1],
      [4, 2],
      [2, 3],
      [6, 4],
    ] as const) {
      const width = 9;
      const height = 11;
      const samples = samplesFor(width * height * channels, 8, colourType + 3);
      for (const filter of [0, 1, 2, 3, 4]) {
        const file = buildPng({ width, height, bitDepth: 8, colourType, samples, filterFor: () => filter });
        const image = decodePng(file);
        expect(image.channels).toBe(channels);
        expect(Array.from(image.data)).toEqual(samples);
      }
    }
  });

  it('looks up palette indices at 1, 2, 4 and 8 bits', () => {
    const palette = Uint8Array.from({ length: 16 * 3 }, (_, i) => (i * 37) & 0xff);
    for (const bitDepth of [1, 2, 4, 8]) {
      const entries = Math.min(16, 1 << bitDepth);
      const width = 7;
      const height = 6;
      const samples = samplesFor(width * height, bitDepth, bitDepth + 10).map((s) => s % entries);
      const file = buildPng({
        width,
        height,
        bitDepth,
        colourType: 3,
        samples,
        filterFor: cycleFilters,
        chunksBeforeData: [['PLTE', palette.subarray(0, entries * 3)]],
      });
      const image = decodePng(file);
      expect(image.channels).toBe(3);
      expect(Array.from(image.data)).toEqual(samples.flatMap((s) => Array.from(palette.subarray(s * 3, s * 3 + 3))));
    }
  });

  it('turns a palette with tRNS into RGBA, opaque beyond the end of tRNS', () => {
    const palette = Uint8Array.of(255, 0, 0, 0, 255, 0, 0, 0, 255);
    const alphas = Uint8Array.of(0, 128); // entry 2 has no alpha: opaque
    const file = buildPng({
      width: 3,
      height: 1,
      bitDepth: 2,
      colourType: 3,
      samples: [2, 1, 0],
      chunksBeforeData: [
        ['PLTE', palette],
        ['tRNS', alphas],
      ],
    });
    const image = decodePng(file);
    expect(image.channels).toBe(4);
    expect(Array.from(image.data)).toEqual([0, 0, 255, 255, 0, 255, 0, 128, 255, 0, 0, 0]);
  });

  it('turns a grey or RGB colour key (tRNS) into an alpha channel', () => {
    const grey = decodePng(
      buildPng({
        width: 4,
        height: 1,
        bitDepth: 2,
        colourType: 0,
        samples: [0, 1, 2, 3],
        chunksBeforeData: [['tRNS', Uint8Array.of(0, 2)]],
      }),
    );
    expect(grey.channels).toBe(2);
    expect(Array.from(grey.data)).toEqual([0, 255, 85, 255, 170, 0, 255, 255]);

    const rgb = decodePng(
      buildPng({
        width: 2,
        height: 1,
        bitDepth: 8,
        colourType: 2,
        samples: [10, 20, 30, 10, 20, 31],
        chunksBeforeData: [['tRNS', Uint8Array.of(0, 10, 0, 20, 0, 30)]],
      }),
    );
    expect(rgb.channels).toBe(4);
    expect(Array.from(rgb.data)).toEqual([10, 20, 30, 0, 10, 20, 31, 255]);
  });

  it('de-interlaces Adam7, including images too small to fill every pass', () => {
    const cases = [
      { width: 1, height: 1, bitDepth: 8, colourType: 2 },
      { width: 2, height: 3, bitDepth: 8, colourType: 6 },
      { width: 5, height: 2, bitDepth: 8, colourType: 4 },
      { width: 9, height: 10, bitDepth: 8, colourType: 2 },
      { width: 17, height: 13, bitDepth: 1, colourType: 0 },
      { width: 11, height: 7, bitDepth: 4, colourType: 0 },
    ];
    for (const { width, height, bitDepth, colourType } of cases) {
      const spp = SAMPLES_PER_PIXEL[colourType];
      const samples = samplesFor(width * height * spp, bitDepth, width * height);
      const file = buildPng({ width, height, bitDepth, colourType, samples, interlace: true, filterFor: cycleFilters });
      const image = decodePng(file);
      const scale = 255 / ((1 << bitDepth) - 1);
      expect(Array.from(image.data)).toEqual(samples.map((s) => s * scale));
    }
  });

  it('decodes an interlaced palette image with transparency', () => {
    const palette = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
    const samples = samplesFor(10 * 9, 2, 99);
    const image = decodePng(
      buildPng({
        width: 10,
        height: 9,
        bitDepth: 2,
        colourType: 3,
        samples,
        interlace: true,
        filterFor: cycleFilters,
        chunksBeforeData: [
          ['PLTE', palette],
          ['tRNS', Uint8Array.of(50, 60, 70, 80)],
        ],
      }),
    );
    expect(Array.from(image.data)).toEqual(samples.flatMap((s) => [...palette.subarray(s * 3, s * 3 + 3), 50 + 10 * s]));
  });

  it('joins image data split over several IDAT chunks and skips ancillary chunks', () => {
    const samples = samplesFor(6 * 6 * 3, 8, 5);
    const file = buildPng({
      width: 6,
      height: 6,
      bitDepth: 8,
      colourType: 2,
      samples,
      dataChunks: 4,
      chunksBeforeData: [
        ['gAMA', Uint8Array.of(0, 0, 0xb1, 0x8f)],
        ['tEXt', Buffer.from('Comment\0hello')],
        ['vdMz', Uint8Array.of(1, 2, 3)],
      ],
    });
    expect(Array.from(decodePng(file).data)).toEqual(samples);
  });
});

describe('PNG decode refuses what it cannot read exactly', () => {
  const valid = () => buildPng({ width: 3, height: 2, bitDepth: 8, colourType: 2, samples: samplesFor(18, 8) });

  it('animated PNG, whose later frames would be lost', () => {
    const actl = chunk('acTL', new Uint8Array(8));
    const file = png(ihdr(1, 1, 8, 0), actl, chunk('IDAT', deflateSync(new Uint8Array(2))), chunk('IEND', new Uint8Array()));
    expectVdmzipError(() => decodePicture(file), 'UNSUPPORTED_FORMAT', /animated PNG/);
  });

  it('a chunk whose CRC does not match', () => {
    const file = valid();
    file[45] ^= 1; // inside the IDAT data (signature 8 + IHDR 25 + IDAT length and type 8)
    expectVdmzipError(() => decodePng(file), 'CORRUPT', /IDAT chunk fails its CRC check/);
  });

  it('a file cut short, at every length', () => {
    const file = valid();
    for (let length = 8; length < file.length; length++) {
      expectVdmzipError(() => decodePng(file.subarray(0, length)), 'TRUNCATED');
    }
  });

  it('images over MAX_PIXELS, before allocating them', () => {
    const side = Math.sqrt(MAX_PIXELS) + 1;
    const file = png(ihdr(side, side, 8, 6), chunk('IDAT', deflateSync(new Uint8Array(1))), chunk('IEND', new Uint8Array()));
    expectVdmzipError(() => decodePng(file), 'TOO_LARGE');
  });

  it('image data that inflates to more than the image (a zlib bomb)', () => {
    const file = png(ihdr(2, 2, 8, 0), chunk('IDAT', deflateSync(new Uint8Array(1 << 20))), chunk('IEND', new Uint8Array()));
    expectVdmzipError(() => decodePng(file), 'CORRUPT', /longer than the image/);
  });

  it('a palette index beyond the palette', () => {
    const file = buildPng({
      width: 2,
      height: 1,
      bitDepth: 8,
      colourType: 3,
      samples: [0, 2],
      chunksBeforeData: [['PLTE', Uint8Array.of(0, 0, 0, 9, 9, 9)]],
    });
    expectVdmzipError(() => decodePng(file), 'CORRUPT', /palette index 2/);
  });

  it('an unknown filter type', () => {
    const raw = Uint8Array.of(0, 1, 2, 5, 3, 4); // rows: filter 0 [1, 2], filter 5 [3, 4]
    const bad = png(ihdr(2, 2, 8, 0), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array()));
    expectVdmzipError(() => decodePng(bad), 'CORRUPT', /unknown filter type 5/);
  });

  it('an unknown critical chunk, a missing palette, a non-PNG', () => {
    const samples = [1, 2, 3, 4];
    const withCritical = buildPng({ width: 2, height: 2, bitDepth: 8, colourType: 0, samples, chunksBeforeData: [['VDMZ', new Uint8Array()]] });
    expectVdmzipError(() => decodePng(withCritical), 'UNSUPPORTED_FORMAT', /unknown critical chunk VDMZ/);
    const noPalette = buildPng({ width: 2, height: 2, bitDepth: 8, colourType: 3, samples: [0, 0, 0, 0] });
    expectVdmzipError(() => decodePng(noPalette), 'CORRUPT', /no PLTE/);
    expectVdmzipError(() => decodePng(Buffer.from('GIF89a')), 'UNSUPPORTED_FORMAT');
    expectVdmzipError(() => readImage(Buffer.from('GIF89a')), 'UNSUPPORTED_FORMAT');
  });

  it('never throws anything but a VdmzipError on damaged chunk contents', () => {
    // Damage that keeps every CRC valid, so the decoder's own checks are what is tested.
    const specs: PngSpec[] = [
      { width: 5, height: 4, bitDepth: 8, colourType: 6, samples: samplesFor(80, 8), filterFor: cycleFilters },
      { width: 9, height: 7, bitDepth: 2, colourType: 3, samples: samplesFor(63, 2), interlace: true, chunksBeforeData: [['PLTE', new Uint8Array(12)], ['tRNS', Uint8Array.of(1, 2)]] },
    ];
    const parts = specs.map((spec) => ({
      header: ihdrData(spec.width, spec.height, spec.bitDepth, spec.colourType, spec.interlace ? 1 : 0),
      data: scanlines(spec),
      before: spec.chunksBeforeData ?? [],
    }));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: parts.length - 1 }),
        fc.constantFrom('header', 'data'),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 3 }),
        (which, target, flips) => {
          const header = parts[which].header.slice();
          const data = parts[which].data.slice();
          const damaged = target === 'header' ? header : data;
          for (const [pos, bit] of flips) damaged[pos % damaged.length] ^= 1 << bit;
          const file = png(
            chunk('IHDR', header),
            ...parts[which].before.map(([type, bytes]) => chunk(type, bytes)),
            chunk('IDAT', deflateSync(data)),
            chunk('IEND', new Uint8Array()),
          );
          try {
            const image = decodePng(file);
            expect(image.data.length).toBe(image.width * image.height * image.channels);
          } catch (error) {
            expect(error).toBeInstanceOf(VdmzipError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('16-bit PNG', () => {
  const channelsOf: Record<number, Channels> = { 0: 1, 4: 2, 2: 3, 6: 4 };

  it('decodes every 16-bit colour type, filtered and interlaced, to the stored samples', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0, 2, 4, 6),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (colourType, width, height, interlace, seed) => {
          const channels = channelsOf[colourType];
          const samples = Array.from({ length: width * height * channels }, (_, i) => (Math.imul(seed ^ i, 2654435761) >>> 8) & 0xffff);
          const file = buildPng({ width, height, bitDepth: 16, colourType, samples, interlace, filterFor: (row) => row % 5 });
          const { image } = decodePicture(file);
          expect(is16(image)).toBe(true);
          expect(image).toEqual({ width, height, channels, maxValue: 65535, data: Uint16Array.from(samples) });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('turns a 16-bit tRNS key into a 16-bit alpha channel', () => {
    const key = Uint8Array.of(0x12, 0x34, 0xab, 0xcd, 0x00, 0x01);
    const samples = [0x1234, 0xabcd, 0x0001, 0x1234, 0xabcd, 0x0002];
    const file = buildPng({ width: 2, height: 1, bitDepth: 16, colourType: 2, samples, chunksBeforeData: [['tRNS', key]] });
    expect(decodePicture(file).image).toEqual({ width: 2, height: 1, channels: 4, maxValue: 65535, data: Uint16Array.of(0x1234, 0xabcd, 0x0001, 0, 0x1234, 0xabcd, 0x0002, 0xffff) });
  });

  it('encodes and decodes back every sample, each channel count', () => {
    fc.assert(
      fc.property(fc.constantFrom<Channels>(1, 2, 3, 4), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 2 ** 31 }), (channels, width, height, seed) => {
        const data = Uint16Array.from({ length: width * height * channels }, (_, i) => (Math.imul(seed + i, 2246822519) >>> 11) & 0xffff);
        const image: Image16 = { width, height, channels, maxValue: 65535, data };
        expect(decodePicture(encodePng(image)).image).toEqual(image);
      }),
      { numRuns: 60 },
    );
  });

  it('refuses to write a sample range PNG cannot hold, and readImage refuses 16-bit files', () => {
    const image: Image16 = { width: 1, height: 1, channels: 1, maxValue: 1023, data: Uint16Array.of(1000) };
    expectVdmzipError(() => encodePng(image), 'UNSUPPORTED_BIT_DEPTH', /write PGM\/PPM/);
    const wide = encodePng({ ...image, maxValue: 65535 });
    expectVdmzipError(() => readImage(wide), 'UNSUPPORTED_BIT_DEPTH', /not 8-bit/);
  });
});

describe('PNG metadata', () => {
  const text = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
  const gama = text('\x00\x00\xb1\x8f');
  const exif = text('MM\x00*\x00\x00\x00\x08\x00\x00');
  const comment = text('Comment\x00made by a test');

  it('comes back byte for byte, before and after the image data as it stood', () => {
    const file = png(
      ihdr(2, 1, 8, 2),
      chunk('gAMA', gama),
      chunk('eXIf', exif),
      chunk('IDAT', deflateSync(Uint8Array.of(0, 1, 2, 3, 4, 5, 6))),
      chunk('tEXt', comment),
      chunk('IEND', new Uint8Array()),
    );
    const picture = decodePicture(file);
    const expected: MetadataChunk[] = [
      { type: 'gAMA', data: gama, afterImageData: false },
      { type: 'eXIf', data: exif, afterImageData: false },
      { type: 'tEXt', data: comment, afterImageData: true },
    ];
    expect(picture.metadata).toEqual(expected);
    const again = writePicture(picture, 'png');
    expect(decodePicture(again)).toEqual(picture);
    // The chunks stand where they stood: the rewritten file is the same sequence of chunks.
    const types = (bytes: Uint8Array) => {
      const found: string[] = [];
      for (let pos = 8; pos < bytes.length; ) {
        const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(pos);
        found.push(Buffer.from(bytes.subarray(pos + 4, pos + 8)).toString('latin1'));
        pos += 12 + length;
      }
      return found;
    };
    expect(types(again)).toEqual(['IHDR', 'gAMA', 'eXIf', 'IDAT', 'tEXt', 'IEND']);
  });

  it('keeps only layout-free and safe-to-copy chunks when the layout is lost (a palette that repeats a colour), and every chunk with the palette', () => {
    const file = (palette: Uint8Array) =>
      png(
        ihdr(1, 1, 8, 3),
        chunk('gAMA', gama),
        chunk('PLTE', palette),
        chunk('bKGD', Uint8Array.of(0)),
        chunk('tEXt', comment),
        chunk('IDAT', deflateSync(Uint8Array.of(0, 0))),
        chunk('IEND', new Uint8Array()),
      );
    const repeated = decodePicture(file(Uint8Array.of(1, 2, 3, 1, 2, 3)));
    expect(repeated.image).toEqual({ width: 1, height: 1, channels: 3, data: Uint8Array.of(1, 2, 3) });
    expect([repeated.layout, repeated.metadata.map((m) => m.type)]).toEqual([undefined, ['gAMA', 'tEXt']]);
    const kept = decodePicture(file(Uint8Array.of(1, 2, 3, 4, 5, 6)));
    expect([kept.layout, kept.metadata.map((m) => m.type)]).toEqual([{ kind: 'palette', depth: 8, palette: Uint8Array.of(1, 2, 3, 4, 5, 6) }, ['gAMA', 'bKGD', 'tEXt']]);
    // Written back as a palette image, bKGD's index meaning what it did.
    const again = encodePng(kept.image, kept.metadata, kept.layout);
    expect(decodePicture(again)).toEqual(kept);
    expect(again[25]).toBe(3);
  });

  it('PNM has none: writing a picture as PPM keeps the pixels', () => {
    const picture = { image: { width: 1, height: 1, channels: 3 as const, data: Uint8Array.of(7, 8, 9) }, metadata: [{ type: 'tEXt', data: comment, afterImageData: false }] };
    expect(readPicture(writePicture(picture, 'pnm'))).toEqual({ image: picture.image, metadata: [] });
  });

  it('refuses a chunk type that is not ancillary', () => {
    expectVdmzipError(() => encodePng({ width: 1, height: 1, channels: 1, data: Uint8Array.of(0) }, [{ type: 'IDAT', data: new Uint8Array(), afterImageData: false }]), 'INVALID_ARGUMENT', /not an ancillary/);
  });
});
