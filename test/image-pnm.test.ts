import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VdmzipError } from '../src/errors.ts';
import { MAX_PIXELS, decodePnm, encodePnm, readImage, readPicture, writeImage, type Image } from '../src/image/index.ts';

const readImage16 = (file: Uint8Array) => readPicture(file).image;

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(VdmzipError);
    return (error as VdmzipError).code;
  }
  return undefined;
}

const bytes = (text: string, ...raster: number[]) => Uint8Array.from([...Buffer.from(text, 'latin1'), ...raster]);

describe('PGM/PPM', () => {
  it('round-trips grey (P5) and RGB (P6) images of any size', () => {
    const imageArbitrary = fc
      .record({
        width: fc.integer({ min: 1, max: 30 }),
        height: fc.integer({ min: 1, max: 30 }),
        channels: fc.constantFrom<1 | 3>(1, 3),
      })
      .chain(({ width, height, channels }) =>
        fc
          .uint8Array({ minLength: width * height * channels, maxLength: width * height * channels })
          .map((data): Image => ({ width, height, channels, data })),
      );
    fc.assert(
      fc.property(imageArbitrary, (image) => {
        const encoded = writeImage(image, 'pnm');
        expect(Buffer.from(encoded.subarray(0, 2)).toString()).toBe(image.channels === 1 ? 'P5' : 'P6');
        expect(readImage(encoded)).toEqual(image);
      }),
      { numRuns: 200 },
    );
  });

  it('reads comments wherever whitespace may stand, and raster bytes that look like whitespace or #', () => {
    const image = decodePnm(bytes('P6 # made by hand\n#another\n2 # width\n1\n# maxval next\n255\n', 10, 35, 32, 9, 0, 255));
    expect(image).toEqual({ width: 2, height: 1, channels: 3, data: Uint8Array.of(10, 35, 32, 9, 0, 255) });
  });

  it('reads plain-text P2 and P3, comments included', () => {
    expect(decodePnm(bytes('P2\n3 1\n255\n0 128 # middle\n255\n'))).toEqual({
      width: 3,
      height: 1,
      channels: 1,
      data: Uint8Array.of(0, 128, 255),
    });
    expect(decodePnm(bytes('P3 1 2 255\n1 2 3\r\n4 5 6'))).toEqual({
      width: 1,
      height: 2,
      channels: 3,
      data: Uint8Array.of(1, 2, 3, 4, 5, 6),
    });
  });

  it('reads and writes every maxval 1 … 65535, binary samples wider than a byte big-endian', () => {
    expect(decodePnm(bytes('P5 2 1 65535\n', 0x12, 0x34, 0xff, 0xfe))).toEqual({ width: 2, height: 1, channels: 1, maxValue: 65535, data: Uint16Array.of(0x1234, 0xfffe) });
    expect(decodePnm(bytes('P2 2 1 15 3 15'))).toEqual({ width: 2, height: 1, channels: 1, maxValue: 15, data: Uint16Array.of(3, 15) });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 65535 }).filter((m) => m !== 255), fc.constantFrom<1 | 3>(1, 3), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.integer(), (maxValue, channels, width, height, seed) => {
        const data = Uint16Array.from({ length: width * height * channels }, (_, i) => (Math.imul(seed + i, 2654435761) >>> 0) % (maxValue + 1));
        const image = { width, height, channels, maxValue, data };
        expect(readImage16(writeImage(image, 'pnm'))).toEqual(image);
      }),
      { numRuns: 100 },
    );
    expect(codeOf(() => decodePnm(bytes('P5 1 1 1000\n', 0x03, 0xe9)))).toBe('CORRUPT'); // 1001 > maxval
    expect(codeOf(() => decodePnm(bytes('P5 1 1 65536\n', 0, 0)))).toBe('CORRUPT');
    expect(codeOf(() => decodePnm(bytes('P5 1 1 0\n', 0)))).toBe('CORRUPT');
    expect(codeOf(() => decodePnm(bytes('P5 2 1 1000\n', 0, 0, 0)))).toBe('TRUNCATED');
  });

  it('refuses truncated, malformed, oversized and multi-image files with typed errors', () => {
    expect(codeOf(() => decodePnm(bytes('P6 2 2 255\n', 1, 2, 3)))).toBe('TRUNCATED');
    expect(codeOf(() => decodePnm(bytes('P5 2')))).toBe('TRUNCATED');
    expect(codeOf(() => decodePnm(bytes('P2 2 1 255 7')))).toBe('TRUNCATED');
    expect(codeOf(() => decodePnm(bytes('P5 2x 1 255\n', 0, 0)))).toBe('CORRUPT');
    expect(codeOf(() => decodePnm(bytes('P5 0 1 255\n')))).toBe('CORRUPT');
    expect(codeOf(() => decodePnm(bytes('P2 1 1 255 256')))).toBe('CORRUPT');
    expect(codeOf(() => decodePnm(bytes(`P5 ${MAX_PIXELS} 2 255\n`)))).toBe('TOO_LARGE');
    expect(codeOf(() => decodePnm(bytes('P5 99999999999999999999 1 255\n')))).toBe('CORRUPT');
    expect(codeOf(() => decodePnm(bytes('P5 1 1 255\n', 7, ...Buffer.from('P5 1 1 255\n'), 8)))).toBe('UNSUPPORTED_FORMAT');
    expect(codeOf(() => decodePnm(bytes('P4 1 1\n', 0)))).toBe('UNSUPPORTED_FORMAT');
  });

  it('refuses to write an alpha channel it cannot store', () => {
    const image: Image = { width: 1, height: 1, channels: 4, data: Uint8Array.of(1, 2, 3, 4) };
    expect(codeOf(() => encodePnm(image))).toBe('UNSUPPORTED_FORMAT');
  });

  it('never throws anything but a VdmzipError on arbitrary bytes after a PNM magic', () => {
    fc.assert(
      fc.property(fc.constantFrom('P2', 'P3', 'P5', 'P6'), fc.uint8Array({ maxLength: 40 }), (magic, rest) => {
        const file = Uint8Array.from([...Buffer.from(magic), ...rest]);
        try {
          const image = decodePnm(file);
          expect(image.data.length).toBe(image.width * image.height * image.channels);
        } catch (error) {
          expect(error).toBeInstanceOf(VdmzipError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
