import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compress, decompress, decompressPicture } from '../src/codec-api.ts';
import { defaultBandCount } from '../src/codec.ts';
import { VdmzipError } from '../src/errors.ts';
import { parseContainer, writeBandedFile } from '../src/format/container.ts';
import { cropImage, type Image } from '../src/image/image.ts';
import { readImage } from '../src/image/index.ts';
import { leb128 } from './helpers/container-bytes.ts';

const chelsea = readImage(new Uint8Array(readFileSync(fileURLToPath(new URL('../fixtures/chelsea.png', import.meta.url)))));
const photo = cropImage(chelsea, 100, 60, 48, 40);

/** An RGBA image whose alpha is constant (255) in the top rows and varies below them. */
function partlyTransparent(width: number, height: number, opaqueRows: number): Image {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * 4;
      data.set([(x * 7 + y) & 255, (y * 5) & 255, (x * y) & 255, y < opaqueRows ? 255 : (x * 16) & 255], at);
    }
  }
  return { width, height, channels: 4, data };
}

const sameSamples = (a: Image, b: Image) => a.width === b.width && a.height === b.height && a.channels === b.channels && Buffer.from(a.data).equals(Buffer.from(b.data));

describe('bands (format version 6)', () => {
  it('cuts an image into bands that decode to every pixel, the same bytes with one thread or two', async () => {
    const [one, two] = [await compress(photo, { effort: 1, bands: 3, workers: 1 }), await compress(photo, { effort: 1, bands: 3, workers: 2 })];
    expect(Buffer.from(one).equals(Buffer.from(two))).toBe(true);
    expect(one[4]).toBe(6);
    // Each band is the file of its rows coded alone, and the file is those files behind a small header.
    const heights = [13, 13, 14];
    const bandFiles: Uint8Array[] = [];
    let top = 0;
    for (const height of heights) {
      bandFiles.push(await compress(cropImage(photo, 0, top, 48, height), { effort: 1 }));
      top += height;
    }
    const sha = [...createHash('sha256').update(photo.data).digest().subarray(0, 8)];
    const expected = [...Buffer.from('VDMZ'), 6, ...leb128(48), ...leb128(40), 3, 8, ...sha, ...leb128(3), ...leb128(bandFiles[0].length), ...leb128(bandFiles[1].length)];
    expect(Buffer.from(one).equals(Buffer.concat([Buffer.from(expected), ...bandFiles]))).toBe(true);
    for (const workers of [1, 2]) expect(sameSamples(await decompress(one, { workers }), photo)).toBe(true);
    const { header, bands } = parseContainer(one);
    expect(header.bands).toBe(3);
    expect(bands?.map((band) => [band.top, band.header.height])).toEqual([
      [0, 13],
      [13, 13],
      [26, 14],
    ]);
  });

  it('codes each band as an image of its own: alpha constant in one band and not in another', async () => {
    const image = partlyTransparent(20, 24, 12);
    const bytes = await compress(image, { effort: 1, bands: 2 });
    const { bands } = parseContainer(bytes);
    expect(bands?.map((band) => band.header.channels)).toEqual([4, 4]);
    expect(sameSamples(await decompress(bytes), image)).toBe(true);
  });

  it('keeps 16-bit samples and metadata around a banded inner file', async () => {
    const data = new Uint16Array(16 * 12 * 3).map((_, i) => (i * 2654435761) % 65536);
    const picture = { image: { width: 16, height: 12, channels: 3 as const, maxValue: 65535, data }, metadata: [{ type: 'tEXt', data: new Uint8Array([65, 0, 66]), afterImageData: false }] };
    const bytes = await compress(picture, { effort: 1, bands: 2 });
    const back = await decompressPicture(bytes);
    expect(Buffer.from(back.image.data.buffer).equals(Buffer.from(data.buffer))).toBe(true);
    expect(back.metadata).toHaveLength(1);
  });

  it('round-trips any image in any number of bands (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 2, max: 9 }), fc.constantFrom(1, 3, 4), fc.integer({ min: 2, max: 5 }), fc.integer(), async (width, height, channels, count, seed) => {
        const data = new Uint8Array(width * height * channels).map((_, i) => ((i + seed) * 2246822519) >>> 27);
        const image: Image = { width, height, channels: channels as Image['channels'], data };
        const bands = Math.min(count, height);
        const bytes = await compress(image, { effort: 1, bands, workers: 1 });
        expect(bytes[4]).toBe(bands > 1 ? 6 : 4);
        expect(sameSamples(await decompress(bytes, { workers: 1 }), image)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('cuts only images of 4 megapixels and more by default, one band per 2 megapixels', () => {
    expect(defaultBandCount(2048, 1023)).toBe(1);
    expect(defaultBandCount(2048, 2048)).toBe(2);
    expect(defaultBandCount(3014, 1695)).toBe(2);
    expect(defaultBandCount(4000, 3000)).toBe(5);
    expect(defaultBandCount(2 ** 22, 1)).toBe(1);
    expect(defaultBandCount(3, 2 ** 22)).toBe(6);
  });

  it('refuses band counts that are not 1 to the height, and bands under a chain', async () => {
    for (const bands of [0, 41, 1.5]) await expect(compress(photo, { effort: 1, bands })).rejects.toThrow(/band count/);
    await expect(compress(photo, { effort: 1, workers: 0 })).rejects.toThrow(/workers must be a positive integer/);
  });
});

describe('banded file damage', () => {
  const bandsOf = async () => [await compress(cropImage(photo, 0, 0, 48, 20), { effort: 1 }), await compress(cropImage(photo, 0, 20, 48, 20), { effort: 1 })];
  const code = (bytes: Uint8Array): string => {
    try {
      parseContainer(bytes);
      return 'parsed';
    } catch (error) {
      return (error as VdmzipError).code;
    }
  };
  const sha = (pixels: Uint8Array) => [...createHash('sha256').update(pixels).digest().subarray(0, 8)];
  const photoSha = sha(cropImage(photo, 0, 0, 48, 40).data);
  /** A banded file of these fields; 20 bytes before the bands for two bands of at most 16383 bytes. */
  const banded = (width: number, height: number, count: number, lengths: number[], files: Uint8Array[], check = photoSha) =>
    new Uint8Array(Buffer.concat([Buffer.from([...Buffer.from('VDMZ'), 6, ...leb128(width), ...leb128(height), 3, 8, ...check, ...leb128(count), ...lengths.flatMap(leb128)]), ...files]));

  it('writes what it parses, and refuses fewer than two bands or bands unlike each other', async () => {
    const [a, b] = await bandsOf();
    expect(Buffer.from(writeBandedFile([a, b], photo.data)).equals(Buffer.from(banded(48, 40, 2, [a.length], [a, b])))).toBe(true);
    expect(() => writeBandedFile([a], photo.data)).toThrow(/at least 2 bands/);
    expect(() => writeBandedFile([a, banded(48, 40, 2, [a.length], [a, b])], photo.data)).toThrow(/format 4/);
    expect(() => writeBandedFile([a, b], photo.data.subarray(1))).toThrow(/not those of the bands/);
  });

  it('says truncated for a file cut anywhere before the last band has its head, and corrupt for bands that do not fit', async () => {
    const [a, b] = await bandsOf();
    const whole = banded(48, 40, 2, [a.length], [a, b]);
    expect(code(whole)).toBe('parsed');
    for (const cut of [5, 8, 11, 16, 19, 20 + a.length - 1, 20 + a.length, 20 + a.length + 5]) expect(code(whole.subarray(0, cut))).toBe('TRUNCATED');
    expect(code(banded(48, 40, 1, [], [a]))).toBe('CORRUPT');
    expect(code(banded(48, 40, 41, [], [a]))).toBe('CORRUPT');
    expect(code(banded(48, 41, 2, [a.length], [a, b]))).toBe('CORRUPT');
    expect(code(banded(48, 39, 2, [a.length], [a, b]))).toBe('CORRUPT');
    expect(code(banded(47, 40, 2, [a.length], [a, b]))).toBe('CORRUPT');
    expect(code(banded(48, 40, 2, [0], [a, b]))).toBe('CORRUPT');
    // A band length that ends inside the first band leaves the second starting mid-file: not a band.
    expect(code(banded(48, 40, 2, [a.length - 1], [a, b]))).toBe('CORRUPT');
  });

  it('never decodes a damaged band to a wrong image', async () => {
    const [a, b] = await bandsOf();
    const whole = banded(48, 40, 2, [a.length], [a, b]);
    for (const at of [10, 20 + 12, 20 + a.length - 1, whole.length - 1]) {
      const damaged = whole.slice();
      damaged[at] ^= 0x10;
      await expect(decompress(damaged)).rejects.toBeInstanceOf(VdmzipError);
    }
    await expect(decompress(new Uint8Array([...whole, 0]))).rejects.toBeInstanceOf(VdmzipError);
  });

  it("refuses bands in another order, each sound on its own, by the whole image's checksum", async () => {
    const [a, b] = await bandsOf();
    const swapped = banded(48, 40, 2, [b.length], [b, a]);
    expect(code(swapped)).toBe('parsed');
    for (const workers of [1, 2]) await expect(decompress(swapped, { workers })).rejects.toThrow('decoded pixels fail their checksum');
    expect(sameSamples(await decompress(banded(48, 40, 2, [a.length], [a, b])), photo)).toBe(true);
  });
});
