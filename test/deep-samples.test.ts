// Pictures beyond 8-bit images (docs/format.md §2.7, §5.11, §12): samples up to 16 bits split
// into an inner 8-bit file and low bits, PNG metadata carried along, and the extended file's
// checks. Everything runs with the predictor (effort 1), which needs no model; the inner file is
// an ordinary one, which test/coder.test.ts covers with the chain too.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Message, popTruncatedGaussian, pushTruncatedGaussian } from '../src/ans/index.ts';
import { compressImage, compressPicture, compressPictureOrStore, decompressPicture, imageOfFile, needsModel } from '../src/codec.ts';
import { VdmzipError } from '../src/errors.ts';
import { crc32 } from '../src/image/crc32.ts';
import { EXTENDED_FORMAT, parseExtended, writeExtended } from '../src/format/extended.ts';
import { encodePng, readPicture, stripPng, writePicture, type Channels, type Image, type Image16, type MetadataChunk, type Picture } from '../src/image/index.ts';
import type { IntegerEngine } from '../src/model/denoiser.ts';
import { chooseSplit, pushLowBits, splitSamples } from '../src/predictor/low-bits.ts';
import { mulberry32 } from '../src/random.ts';
import { pngChunk, pngFile } from './helpers/png-bytes.ts';

const NO_NETWORK: IntegerEngine = { name: 'none', batch: 1, run: () => Promise.reject(new Error('no network here')), dispose: () => Promise.resolve() };
const code = (picture: Picture) => compressPicture(picture, undefined, NO_NETWORK, { effort: 1 });
const decode = (bytes: Uint8Array) => decompressPicture(bytes, undefined, NO_NETWORK);

type Kind = 'noise' | 'smooth' | 'replicated' | 'shifted' | 'few';

/** A w×h image of samples 0 … maxValue with the structure `kind` names. */
function image16(kind: Kind, width: number, height: number, channels: Channels, maxValue: number, seed: number): Image16 {
  const random = mulberry32(seed);
  const data = new Uint16Array(width * height * channels);
  const few = Array.from({ length: 5 }, () => Math.floor(random() * (maxValue + 1)));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        const smooth = (0.5 + 0.24 * Math.sin(x / 200 + c) + 0.24 * Math.cos(y / 150 - c)) * maxValue;
        const value = {
          noise: () => random() * (maxValue + 1),
          smooth: () => smooth + (random() - 0.5) * 3,
          replicated: () => 257 * Math.floor(random() * 256),
          shifted: () => Math.floor(random() * (maxValue + 1)) & ~15,
          few: () => few[Math.floor(random() * few.length)],
        }[kind]();
        data[(y * width + x) * channels + c] = Math.max(0, Math.min(maxValue, Math.floor(value)));
      }
    }
  }
  return { width, height, channels, maxValue, data };
}

async function expectVdmzipError(promise: Promise<unknown>, codeExpected: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(VdmzipError);
  expect((error as VdmzipError).code).toBe(codeExpected);
}

describe('the truncated Gaussian (§5.11)', () => {
  it('pops what was pushed, for any parameters, means far outside the range included', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ lo: fc.integer({ min: -300, max: 300 }), width: fc.integer({ min: 0, max: 255 }), at: fc.double({ min: 0, max: 1, noNaN: true }), mean: fc.double({ min: -1e6, max: 1e6, noNaN: true }), std: fc.double({ min: 1e-3, max: 1e5, noNaN: true }) }), { minLength: 1, maxLength: 40 }),
        (symbols) => {
          const m = new Message();
          const bins = symbols.map((s) => s.lo + Math.min(s.width, Math.floor(s.at * (s.width + 1))));
          for (let i = symbols.length - 1; i >= 0; i--) pushTruncatedGaussian(m, bins[i], symbols[i].lo, symbols[i].lo + symbols[i].width, symbols[i].mean, symbols[i].std);
          const popped = symbols.map((s) => popTruncatedGaussian(m, s.lo, s.lo + s.width, s.mean, s.std));
          expect(popped).toEqual(bins);
          expect(m.equals(new Message())).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('renormalises inside the range: a mean far below it costs about log2(count) bits on the far side, not the tails', () => {
    // A bounded Gaussian would give bin 0 nearly all the mass; truncated, a wide Gaussian stays nearly flat.
    const m = new Message();
    const before = m.bitLength();
    for (let i = 0; i < 1000; i++) pushTruncatedGaussian(m, 255, 0, 255, -50, 1000);
    const bitsEach = (m.bitLength() - before) / 1000;
    expect(bitsEach).toBeGreaterThan(7.9);
    expect(bitsEach).toBeLessThan(8.5);
  });
});

describe('the sample split (§12.1)', () => {
  it('picks the split with the fewest low bits', () => {
    expect(chooseSplit(image16('replicated', 8, 8, 3, 65535, 1).data, 65535)).toEqual({ kind: 'replicated' });
    expect(chooseSplit(image16('shifted', 8, 8, 1, 65535, 2).data, 65535)).toMatchObject({ kind: 'shifted', shift: 4, lowBits: 4 });
    expect(chooseSplit(image16('few', 64, 64, 1, 65535, 3).data, 65535)).toMatchObject({ kind: 'table', lowBits: 0 });
    expect(chooseSplit(image16('noise', 16, 16, 1, 1023, 4).data, 1023)).toEqual({ kind: 'shifted', shift: 0, lowBits: 2 });
    expect(chooseSplit(new Uint16Array(4), 65535)).toEqual({ kind: 'replicated' });
    expect(chooseSplit(Uint16Array.of(0, 1, 0), 15)).toEqual({ kind: 'shifted', shift: 0, lowBits: 0 });
  });

  it('codes the low bits of a smooth image far below their width, and noise at about their width', () => {
    const lowBitsPerSample = (image: Image16) => {
      const split = chooseSplit(image.data, image.maxValue);
      if (split.kind !== 'shifted') throw new Error(`expected a shifted split, got ${split.kind}`);
      const { inner, values } = splitSamples(image.data, split);
      const m = new Message();
      const start = m.bitLength();
      pushLowBits(m, image, inner, values, split.lowBits);
      return { bits: (m.bitLength() - start) / image.data.length, lowBits: split.lowBits };
    };
    const smooth = lowBitsPerSample(image16('smooth', 64, 64, 3, 65535, 5));
    expect(smooth.lowBits).toBe(8);
    expect(smooth.bits).toBeLessThan(3.5);
    const noise = lowBitsPerSample(image16('noise', 64, 64, 3, 65535, 6));
    expect(noise.bits).toBeGreaterThan(7.9);
    expect(noise.bits).toBeLessThan(8.1);
  });
});

describe('pictures round-trip through extended files (§2.7)', () => {
  const metadataArbitrary: fc.Arbitrary<MetadataChunk[]> = fc.array(
    fc.record({ type: fc.constantFrom('iCCP', 'eXIf', 'tEXt', 'zTXt', 'iTXt', 'pHYs', 'tIME', 'gAMA', 'prVt'), data: fc.uint8Array({ maxLength: 300 }), afterImageData: fc.boolean() }),
    { maxLength: 4 },
  );

  it('gives back every sample, the sample range and the metadata, byte for byte', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Kind>('noise', 'smooth', 'replicated', 'shifted', 'few'),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom<Channels>(1, 2, 3, 4),
        fc.oneof(fc.constant(65535), fc.integer({ min: 1, max: 65535 }).filter((m) => m !== 255)),
        fc.integer(),
        metadataArbitrary,
        async (kind, width, height, channels, maxValue, seed, metadata) => {
          const image = image16(kind === 'replicated' && maxValue !== 65535 ? 'noise' : kind, width, height, channels, maxValue, seed);
          const bytes = await code({ image, metadata });
          expect(bytes[4]).toBe(EXTENDED_FORMAT);
          expect(await decode(bytes)).toEqual({ image, metadata });
          expect(imageOfFile(bytes)).toMatchObject({ width, height, channels, maxValue });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('keeps an 8-bit image without metadata in its own format, byte for byte, and wraps one with metadata', async () => {
    const data = Uint8Array.from({ length: 10 * 7 * 3 }, (_, i) => (i * 37) % 256);
    const image: Image = { width: 10, height: 7, channels: 3, data };
    const plain = await compressImage(image, undefined, NO_NETWORK, { effort: 1 });
    expect(await code({ image, metadata: [] })).toEqual(plain);
    const metadata = [{ type: 'tEXt', data: Uint8Array.of(65, 0, 66), afterImageData: true }];
    const wrapped = await code({ image, metadata });
    expect(parseExtended(wrapped).inner).toEqual(plain);
    expect(await decode(wrapped)).toEqual({ image, metadata });
  });

  it('compresses metadata that compresses (text, XMP) and stores what does not', async () => {
    const image: Image = { width: 8, height: 8, channels: 1, data: Uint8Array.from({ length: 64 }, (_, i) => i * 3) };
    const xmp = { type: 'iTXt', data: new TextEncoder().encode('XML:com.adobe.xmp\0\0\0\0\0' + '<rdf:Description rdf:about=""/>'.repeat(300)), afterImageData: false };
    const plain = await compressImage(image, undefined, NO_NETWORK, { effort: 1 });
    const withXmp = await code({ image, metadata: [xmp] });
    expect(xmp.data.length).toBeGreaterThan(9000);
    expect(withXmp.length - plain.length).toBeLessThan(400);
    expect(await decode(withXmp)).toEqual({ image, metadata: [xmp] });
    const noise = { type: 'prVt', data: Uint8Array.from({ length: 2000 }, (_, i) => (Math.imul(i, 2654435761) >>> 24) & 255), afterImageData: true };
    const withNoise = await code({ image, metadata: [noise] });
    expect(withNoise.length - plain.length).toBeLessThan(2000 + 64);
    expect(await decode(withNoise)).toEqual({ image, metadata: [noise] });
  });

  it('codes 8-bit data widened by 257 in the bytes of the 8-bit file, plus the wrapper', async () => {
    const wide = image16('replicated', 24, 16, 3, 65535, 7);
    const narrow: Image = { width: 24, height: 16, channels: 3, data: Uint8Array.from(wide.data, (v) => v / 257) };
    const bytes = await code({ image: wide, metadata: [] });
    expect(parseExtended(bytes).inner).toEqual(await compressImage(narrow, undefined, NO_NETWORK, { effort: 1 }));
  });
});

describe('damaged extended files', () => {
  it('say truncated when cut, corrupt when changed or extended, and never decode to a wrong picture', async () => {
    const image = image16('smooth', 20, 12, 3, 65535, 8);
    const bytes = await code({ image, metadata: [{ type: 'tEXt', data: Uint8Array.of(1, 2, 3), afterImageData: false }] });
    for (const cut of [5, 12, 40, bytes.length - 100, bytes.length - 1]) await expectVdmzipError(decode(bytes.subarray(0, cut)), 'TRUNCATED');
    await expectVdmzipError(decode(Uint8Array.from([...bytes, 0])), 'CORRUPT');
    const random = mulberry32(9);
    for (let trial = 0; trial < 40; trial++) {
      const damaged = bytes.slice();
      damaged[5 + Math.floor(random() * (damaged.length - 5))] ^= 1 << Math.floor(random() * 8);
      const outcome = await decode(damaged).then(
        (picture) => picture,
        (error: unknown) => error,
      );
      expect(outcome).toBeInstanceOf(VdmzipError);
    }
  });

  it('re-signed damage to the low bits or the inner file (CRCs made to match) still never decodes to a wrong picture', async () => {
    for (const [kind, seed] of [['smooth', 10], ['noise', 11], ['few', 12]] as const) {
      const picture = { image: image16(kind, 17, 9, 3, 65535, seed), metadata: [] };
      const { header, inner, lowBits } = parseExtended(await code(picture));
      const random = mulberry32(seed);
      for (let trial = 0; trial < 60; trial++) {
        const damagedInner = inner.slice();
        const damagedLow = lowBits.slice();
        const target = lowBits.length > 0 && trial % 2 === 0 ? damagedLow : damagedInner;
        target[Math.floor(random() * target.length)] ^= 1 << Math.floor(random() * 8);
        const outcome = await decode(writeExtended(header, damagedInner, damagedLow)).then(
          (p) => p,
          (error: unknown) => error,
        );
        // A flipped coder parameters version reads as a newer file, as it would in a file of its own.
        if (outcome instanceof VdmzipError) expect(['CORRUPT', 'TRUNCATED', 'UNSUPPORTED_VERSION']).toContain(outcome.code);
        else expect(outcome).toEqual(picture);
      }
    }
  });
});

describe('the input PNG stored whole where coding makes a larger file (§2.7, inner kind 1)', () => {
  // A repeating pattern: deflate's copies make it tiny, a predictor pays for every period.
  // Eight rows of noise, repeated in turn, each time shifted by a random number of pixels:
  // deflate copies every row from eight rows up, which neither prediction nor pixel matches
  // (§7.13: the shifts differ, so no neighbourhood recurs) can follow.
  const random = mulberry32(21);
  const noiseRows = Uint8Array.from({ length: 8 * 768 }, () => Math.floor(random() * 256));
  const shifts = Array.from({ length: 64 }, () => 3 * Math.floor(random() * 256));
  const stripes: Image = {
    width: 256,
    height: 64,
    channels: 3,
    data: Uint8Array.from({ length: 256 * 64 * 3 }, (_, i) => {
      const y = Math.floor(i / 768);
      return noiseRows[(y % 8) * 768 + (((i % 768) + shifts[y]) % 768)];
    }),
  };
  const text = { type: 'tEXt', data: Uint8Array.of(65, 0, 66), afterImageData: false };

  it('is never larger than the input PNG and a header, and decodes to its picture', async () => {
    const png = encodePng(stripes, [text]);
    const picture = readPicture(png);
    const store = (p: Picture) => compressPictureOrStore(p, undefined, NO_NETWORK, { effort: 1 });
    const coded = await code(picture);
    const bytes = await store(picture);
    expect(coded.length).toBeGreaterThan(png.length);
    expect(bytes.length).toBeLessThanOrEqual(png.length + 48);
    const { header, inner } = parseExtended(bytes);
    expect(header.inner).toBe('png');
    expect(inner).toEqual(png);
    expect(needsModel(bytes)).toBe(false);
    expect(await decode(bytes)).toEqual({ image: stripes, metadata: [text], png });
    // Stripped of its metadata, the stored PNG goes without it.
    const stripped = await store({ image: stripes, metadata: [], png: stripPng(png) });
    expect(await decode(stripped)).toEqual({ image: stripes, metadata: [], png: stripPng(png) });
    expect(stripped.length).toBeLessThan(bytes.length);
    // Where coding wins, the PNG is not stored.
    const photo = readPicture(readFileSync(fileURLToPath(new URL('../fixtures/crops32/astronaut-00.png', import.meta.url))));
    expect(parseExtended(await store({ ...photo, metadata: [text] })).header.inner).toBe('vdmz');
  });

  it('refuses a stored PNG that does not match its header or does not decode', async () => {
    const png = encodePng(stripes);
    const bytes = await compressPictureOrStore(readPicture(png), undefined, NO_NETWORK, { effort: 1 });
    const { header } = parseExtended(bytes);
    const other = encodePng({ ...stripes, data: stripes.data.map((v) => v ^ 1) });
    await expectVdmzipError(decode(writeExtended(header, other, new Uint8Array(0))), 'CORRUPT');
    const cut = png.slice(0, png.length - 20);
    await expectVdmzipError(decode(writeExtended(header, cut, new Uint8Array(0))), 'CORRUPT');
    const grey = encodePng({ width: 256, height: 64, channels: 1, data: new Uint8Array(256 * 64) });
    await expectVdmzipError(decode(writeExtended(header, grey, new Uint8Array(0))), 'CORRUPT');
  });
});

describe('palette and low-bit PNGs (§2.7): the same kind of PNG back, never more than the PNG and a header', () => {
  /** A palette PNG (colour type 3) of `depth` bits with its indices, written from the spec here. */
  function palettePng(width: number, height: number, depth: 1 | 2 | 4 | 8, palette: Uint8Array, indices: Uint8Array): Uint8Array {
    const rowBytes = Math.ceil((width * depth) / 8);
    const raw = Buffer.alloc(height * (rowBytes + 1));
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const bit = x * depth;
        raw[y * (rowBytes + 1) + 1 + (bit >> 3)] |= indices[y * width + x] << (8 - depth - (bit & 7));
      }
    }
    return pngFile(width, height, depth, 3, raw, [pngChunk('PLTE', palette)]);
  }

  it('round-trips random palettes of 1–256 colours at 1, 2, 4 and 8 bits: noise, repeated blocks and flat images', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<1 | 2 | 4 | 8>(1, 2, 4, 8),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 24 }),
        fc.constantFrom('noise', 'blocks', 'flat'),
        fc.integer(),
        async (depth, width, height, content, seed) => {
          const random = mulberry32(seed);
          const colours = 1 + Math.floor(random() * 2 ** depth);
          const palette = Uint8Array.from({ length: 3 * colours }, () => Math.floor(random() * 256));
          const block = Uint8Array.from({ length: 16 }, () => Math.floor(random() * colours));
          const indices = Uint8Array.from({ length: width * height }, (_, i) => {
            if (content === 'flat') return 0;
            if (content === 'blocks') return block[((i % width) % 4) + 4 * (Math.floor(i / width) % 4)];
            return Math.floor(random() * colours);
          });
          const png = palettePng(width, height, depth, palette, indices);
          const picture = readPicture(png);
          const bytes = await compressPictureOrStore(picture, undefined, NO_NETWORK, { effort: 1 });
          expect(bytes.length).toBeLessThanOrEqual(png.length + 48);
          const back = await decode(bytes);
          expect(back.image).toEqual(picture.image);
          // Where the PNG was stored it comes back whole, palette and bit depth kept.
          if (back.png !== undefined) expect([back.png.length, Buffer.from(back.png).equals(Buffer.from(png))]).toEqual([png.length, true]);
          else {
            // Coded: written back with the same palette, in the same order, at the same bit depth
            // (a palette that repeats a colour has no layout: its indices could not be told apart).
            const repeats = new Set(Array.from({ length: colours }, (_, e) => palette.subarray(3 * e, 3 * e + 3).join())).size < colours;
            expect(picture.layout).toEqual(repeats ? undefined : { kind: 'palette', depth, palette });
            expect(back.layout).toEqual(picture.layout);
            const written = writePicture(back, 'png');
            if (!repeats) expect([written[24], written[25], readPicture(written).layout]).toEqual([depth, 3, picture.layout]);
          }
        },
      ),
      { numRuns: 80 },
    );
  });

  it('round-trips grey of 1, 2 and 4 bits as grey of that depth', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom<1 | 2 | 4>(1, 2, 4), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 24 }), fc.integer(), async (depth, width, height, seed) => {
        const random = mulberry32(seed);
        const levels = Uint8Array.from({ length: width * height }, () => Math.floor(random() * 2 ** depth));
        const rowBytes = Math.ceil((width * depth) / 8);
        const raw = Buffer.alloc(height * (rowBytes + 1));
        levels.forEach((level, i) => {
          const [x, y] = [i % width, Math.floor(i / width)];
          raw[y * (rowBytes + 1) + 1 + ((x * depth) >> 3)] |= level << (8 - depth - ((x * depth) & 7));
        });
        const png = pngFile(width, height, depth, 0, raw, []);
        const picture = readPicture(png);
        expect(picture.layout).toEqual({ kind: 'grey', depth });
        expect(Array.from(picture.image.data)).toEqual(Array.from(levels, (level) => (level * 255) / (2 ** depth - 1)));
        const written = writePicture((await decode(await code(picture))), 'png');
        expect([written[24], written[25]]).toEqual([depth, 0]);
        expect(readPicture(written).image).toEqual(picture.image);
      }),
      { numRuns: 40 },
    );
  });

  it('refuses a layout the decoded pixels do not fit, and one that cannot be', async () => {
    const image: Image = { width: 4, height: 2, channels: 3, data: Uint8Array.from({ length: 24 }, (_, i) => (i % 6 < 3 ? 10 : 200)) };
    const palette = Uint8Array.of(10, 10, 10, 200, 200, 200);
    const bytes = await code({ image, metadata: [], layout: { kind: 'palette', depth: 1, palette } });
    expect((await decode(bytes)).layout).toEqual({ kind: 'palette', depth: 1, palette });
    const { header, inner, lowBits } = parseExtended(bytes);
    await expectVdmzipError(decode(writeExtended({ ...header, layout: { kind: 'palette', depth: 1, palette: Uint8Array.of(10, 10, 10, 201, 200, 200) } }, inner, lowBits)), 'CORRUPT');
    // The layout field ends the header body: 1, depth, entry count 2, six bytes; a depth of 3, re-signed, is damage.
    const headerEnd = 9 + new DataView(bytes.buffer, bytes.byteOffset).getUint32(5, true);
    const damaged = bytes.slice();
    expect([damaged[headerEnd - 9], damaged[headerEnd - 8], damaged[headerEnd - 7]]).toEqual([1, 1, 2]);
    damaged[headerEnd - 8] = 3;
    new DataView(damaged.buffer).setUint32(headerEnd, crc32(damaged, 0, headerEnd), true);
    await expectVdmzipError(decode(damaged), 'CORRUPT');
    await expect(decode(damaged)).rejects.toThrow('palette indices of 3 bits are not 1, 2, 4 or 8');
    expect(() => writeExtended({ ...header, layout: { kind: 'grey', depth: 1 } }, inner, lowBits)).toThrow('grey of fewer bits has one channel');
    expect(() => writeExtended({ ...header, layout: { kind: 'palette', depth: 1, palette: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9) } }, inner, lowBits)).toThrow('is not 1 … 2 colours');
    await expectVdmzipError(code({ image, metadata: [], layout: { kind: 'palette', depth: 1, palette: Uint8Array.of(10, 10, 10, 10, 10, 10) } }), 'INVALID_ARGUMENT');
  });
});
