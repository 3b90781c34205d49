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
    expect(codeOf(() => decodePnm(bytes('P8 1 1\n', 0)))).toBe('UNSUPPORTED_FORMAT');
  });

  it('refuses to write an alpha channel to PGM/PPM, and writes it to PAM instead', () => {
    const image: Image = { width: 1, height: 1, channels: 4, data: Uint8Array.of(1, 2, 3, 4) };
    expect(codeOf(() => encodePnm(image, undefined, 'ppm'))).toBe('UNSUPPORTED_FORMAT');
    expect(codeOf(() => encodePnm(image, undefined, 'pgm'))).toBe('UNSUPPORTED_FORMAT');
    expect(Buffer.from(encodePnm(image)).toString('latin1')).toBe('P7\nWIDTH 1\nHEIGHT 1\nDEPTH 4\nMAXVAL 255\nTUPLTYPE RGB_ALPHA\nENDHDR\n\x01\x02\x03\x04');
  });

  it('never throws anything but a VdmzipError on arbitrary bytes after a PNM magic', () => {
    fc.assert(
      fc.property(fc.constantFrom('P1', 'P2', 'P3', 'P4', 'P5', 'P6', 'P7'), fc.uint8Array({ maxLength: 40 }), (magic, rest) => {
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

describe('PBM', () => {
  it('reads P4 (rows padded to bytes, most significant bit first) and P1 (digits, separators optional) as grey, 1 black → 0', () => {
    // 10 pixels a row: 2 bytes, the last 6 bits padding (set here, and ignored).
    const p4 = readPicture(bytes('P4\n# a comment\n10 2\n', 0b10110000, 0b01111111, 0b00000000, 0b11000000));
    expect(p4.layout).toEqual({ kind: 'grey', depth: 1 });
    expect(Array.from(p4.image.data)).toEqual([0, 255, 0, 0, 255, 255, 255, 255, 255, 0, 255, 255, 255, 255, 255, 255, 255, 255, 0, 0]);
    const p1 = readPicture(bytes('P1 3 2\n101\n0 1\n# end of row\n1\n'));
    expect(Array.from(p1.image.data)).toEqual([0, 255, 0, 255, 0, 0]);
  });

  it('writes what it reads back bit for bit, and refuses anything but black and white', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 5 }), fc.integer(), (width, height, seed) => {
        const data = new Uint8Array(width * height).map((_, i) => (((i + seed) * 2654435761) >>> 31 ? 255 : 0));
        const file = encodePnm({ width, height, channels: 1, data }, undefined, 'pbm');
        expect(Buffer.from(file.subarray(0, 2)).toString()).toBe('P4');
        expect(file.length).toBe(`P4\n${width} ${height}\n`.length + Math.ceil(width / 8) * height);
        const back = readPicture(file);
        expect(Buffer.from(back.image.data).equals(Buffer.from(data))).toBe(true);
        expect(Buffer.from(writeImage(back.image, 'pnm')).subarray(0, 2).toString()).toBe('P5');
        expect(Buffer.from(encodePnm(back.image, back.layout)).equals(Buffer.from(file))).toBe(true);
      }),
    );
    expect(codeOf(() => encodePnm({ width: 1, height: 1, channels: 1, data: Uint8Array.of(7) }, undefined, 'pbm'))).toBe('UNSUPPORTED_FORMAT');
    expect(codeOf(() => encodePnm({ width: 1, height: 1, channels: 3, data: Uint8Array.of(0, 0, 0) }, undefined, 'pbm'))).toBe('UNSUPPORTED_FORMAT');
  });

  it('refuses truncated and malformed bitmaps', () => {
    expect(codeOf(() => decodePnm(bytes('P4 9 2\n', 0, 0, 0)))).toBe('TRUNCATED');
    expect(codeOf(() => decodePnm(bytes('P1 2 2 0 1 1')))).toBe('TRUNCATED');
    expect(codeOf(() => decodePnm(bytes('P1 2 1 0 2')))).toBe('CORRUPT');
    expect(codeOf(() => decodePnm(bytes('P4 1 1\n', 0, 0)))).toBe('UNSUPPORTED_FORMAT');
  });
});

describe('PAM', () => {
  const pam = (header: string, ...raster: number[]) => bytes(`P7\n${header}ENDHDR\n`, ...raster);

  it('reads every tuple type it knows, comments included, and a PAM without one by its depth', () => {
    const rgba = readImage(pam('# made by hand\nWIDTH 2\nHEIGHT 1\nDEPTH 4\nMAXVAL 255\nTUPLTYPE RGB_ALPHA\n', 1, 2, 3, 4, 5, 6, 7, 8));
    expect(rgba).toEqual({ width: 2, height: 1, channels: 4, data: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) });
    expect(readImage(pam('WIDTH 1\nHEIGHT 1\nDEPTH 2\nMAXVAL 255\nTUPLTYPE GRAYSCALE_ALPHA\n', 9, 10)).channels).toBe(2);
    expect(readImage(pam('WIDTH 1\nHEIGHT 1\nDEPTH 3\nMAXVAL 255\n', 1, 2, 3)).channels).toBe(3);
    const bw = readImage16(pam('WIDTH 2\nHEIGHT 1\nDEPTH 1\nMAXVAL 1\nTUPLTYPE BLACKANDWHITE\n', 0, 1));
    expect(bw).toEqual({ width: 2, height: 1, channels: 1, maxValue: 1, data: Uint16Array.of(0, 1) });
    const wide = readImage16(pam('WIDTH 1\nHEIGHT 1\nDEPTH 2\nMAXVAL 65535\nTUPLTYPE GRAYSCALE_ALPHA\n', 1, 2, 3, 4));
    expect(Array.from(wide.data)).toEqual([0x0102, 0x0304]);
  });

  it('round-trips grey and RGB, with or without alpha, at any maxval', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }), fc.constantFrom(1, 2, 3, 4), fc.constantFrom(1, 255, 1023, 65535), fc.integer(), (width, height, channels, maxValue, seed) => {
        const size = width * height * channels;
        const values = Array.from({ length: size }, (_, i) => (((i + seed) * 2654435761) >>> 0) % (maxValue + 1));
        const image = maxValue === 255 ? { width, height, channels: channels as Image['channels'], data: Uint8Array.from(values) } : { width, height, channels: channels as Image['channels'], maxValue, data: Uint16Array.from(values) };
        const file = encodePnm(image, undefined, 'pam');
        expect(Buffer.from(file.subarray(0, 2)).toString()).toBe('P7');
        expect(readImage16(file)).toEqual(image);
      }),
    );
  });

  it('refuses headers without a field, with tuple types it does not know or that disagree with the depth, and truncated rasters', () => {
    expect(codeOf(() => decodePnm(pam('WIDTH 1\nHEIGHT 1\nMAXVAL 255\n', 0)))).toBe('CORRUPT');
    expect(codeOf(() => decodePnm(pam('WIDTH 1\nHEIGHT 1\nDEPTH 4\nMAXVAL 255\nTUPLTYPE CMYK\n', 0, 0, 0, 0)))).toBe('UNSUPPORTED_FORMAT');
    expect(codeOf(() => decodePnm(pam('WIDTH 1\nHEIGHT 1\nDEPTH 5\nMAXVAL 255\n', 0, 0, 0, 0, 0)))).toBe('UNSUPPORTED_FORMAT');
    expect(codeOf(() => decodePnm(pam('WIDTH 1\nHEIGHT 1\nDEPTH 3\nMAXVAL 255\nTUPLTYPE RGB_ALPHA\n', 0, 0, 0)))).toBe('CORRUPT');
    expect(codeOf(() => decodePnm(pam('WIDTH 1x\nHEIGHT 1\nDEPTH 1\nMAXVAL 255\n', 0)))).toBe('CORRUPT');
    expect(codeOf(() => decodePnm(pam('WIDTH 2\nHEIGHT 1\nDEPTH 1\nMAXVAL 255\n', 0)))).toBe('TRUNCATED');
    expect(codeOf(() => decodePnm(bytes('P7\nWIDTH 2\nHEIGHT 1\n')))).toBe('TRUNCATED');
    expect(codeOf(() => decodePnm(pam(`WIDTH ${MAX_PIXELS}\nHEIGHT 2\nDEPTH 1\nMAXVAL 255\n`)))).toBe('TOO_LARGE');
  });
});
