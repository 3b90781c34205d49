// The classic predictive coder (src/predictor/predictive.ts) on its own: bands of rows round-trip under any rows above them, cost what rowBits says, never
// less than the predictor's minSampleBits a sample, and a damaged message stops the decoder
// instead of running on.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Message } from '../src/ans/index.ts';
import { cropImage, readImage, type Image } from '../src/image/index.ts';
import { colourAt } from '../src/image/image.ts';
import { instantiateKernels } from '../src/kernels/index.ts';
import { ESCAPE, fewestMatchBits, MATCH_PRECISION_BITS, MATCHES, MATCHES_VERSION_10, type MatchModel, PixelMatches } from '../src/predictor/matches.ts';

/** The pixel matches' hashes (§7.13), as the kernel computes them. */
const { neighbourhoodKey, followerKey } = instantiateKernels().kernels;
import { bandIntervalsInWorker } from '../src/predictor/parallel-walk.ts';
import { bandDistributions, bandIntervals, bandSamples, popRows, PREDICTOR, pushRows, rowBits, type RowBand } from '../src/predictor/predictive.ts';

/** An image (any channel count) and a band of its rows, coding all channels or all but the last. */
const arbitraryBand = fc
  .record({ width: fc.integer({ min: 1, max: 12 }), height: fc.integer({ min: 1, max: 9 }), channels: fc.integer({ min: 1, max: 4 }), dropLast: fc.boolean(), smooth: fc.boolean() })
  .chain(({ width, height, channels, dropLast, smooth }) =>
    fc.record({
      samples: smooth
        ? fc.array(fc.integer({ min: -3, max: 3 }), { minLength: width * height * channels, maxLength: width * height * channels }).map((steps) => {
            let v = 128;
            return Uint8Array.from(steps, (d) => (v = Math.min(255, Math.max(0, v + d))));
          })
        : fc.uint8Array({ minLength: width * height * channels, maxLength: width * height * channels }),
      top: fc.integer({ min: 0, max: height - 1 }),
      band: fc.constant({ width, channels, coded: dropLast && channels > 1 ? channels - 1 : channels, bottom: height, predictor: PREDICTOR }),
      extremes: fc.boolean(),
    }),
  )
  .map(({ samples, top, band, extremes }) => ({ samples: extremes ? samples.map((v) => (v < 128 ? 0 : 255)) : samples, band: { ...band, top } as RowBand }));

describe('predictive coder', () => {
  it('pushRows then popRows restores the band, given the rows above, and leaves the message as it was', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryBand, fc.integer({ min: 0, max: 40 }), async ({ samples, band }, below) => {
        const m = new Message();
        for (let k = 0; k < below; k++) await pushRows(m, Uint8Array.of(k & 255), { width: 1, channels: 1, coded: 1, top: 0, bottom: 1, predictor: band.predictor });
        const before = m.clone();
        await pushRows(m, samples, band);
        const decoded = samples.slice();
        const row = band.width * band.channels;
        // Wipe the band's coded samples; uncoded channels and the rows above keep their values.
        for (let i = band.top * row; i < band.bottom * row; i++) if (i % band.channels < band.coded) decoded[i] = 77;
        expect(await popRows(m, decoded, band)).toBe(true);
        expect(Array.from(decoded)).toEqual(Array.from(samples));
        expect(m.equals(before)).toBe(true);
      }),
      { numRuns: 300, seed: 20261129 },
    );
  });

  it("costs what rowBits says (within the rANS flush), and at least the predictor's minSampleBits a sample", async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryBand, async ({ samples, band }) => {
        const bits = rowBits(samples, band);
        expect(bits.length).toBe(band.bottom - band.top);
        const total = bits.reduce((a, b) => a + b, 0);
        expect(total).toBeGreaterThanOrEqual(band.predictor.minSampleBits * bandSamples(band));
        const m = new Message();
        const start = m.bitLength();
        await pushRows(m, samples, band);
        expect(Math.abs(m.bitLength() - start - total)).toBeLessThan(16 + 0.01 * total);
      }),
      { numRuns: 200, seed: 11292026 },
    );
  });

  it('every mean lies in [0, 255] and every σ is at least the floor, so no sample costs less than minSampleBits', () => {
    // Pixel 1's first channel lies 100 below its prediction; carried over, that residual would
    // put the second channel's mean at 10 − 60 < 0, where a 0 would cost almost nothing.
    const { means } = bandDistributions(Uint8Array.of(200, 10, 10, 100, 0, 0), { width: 2, channels: 3, coded: 3, top: 0, bottom: 1, predictor: PREDICTOR });
    expect(means[4]).toBe(0);
    fc.assert(
      fc.property(arbitraryBand, ({ samples, band }) => {
        const { means, stds } = bandDistributions(samples, band);
        for (let k = 0; k < means.length; k++) {
          expect(means[k]).toBeGreaterThanOrEqual(0);
          expect(means[k]).toBeLessThanOrEqual(255);
          expect(stds[k]).toBeGreaterThanOrEqual(band.predictor.stdFloor);
        }
      }),
      { numRuns: 200, seed: 29112026 },
    );
  });

  it('the least a sample costs is minSampleBits: flat black and white images come close', () => {
    for (const value of [0, 255]) {
      const band: RowBand = { width: 16, channels: 3, coded: 3, top: 0, bottom: 16, predictor: PREDICTOR };
      const perSample = rowBits(new Uint8Array(16 * 16 * 3).fill(value), band).reduce((a, b) => a + b, 0) / bandSamples(band);
      expect(perSample).toBeGreaterThanOrEqual(PREDICTOR.minSampleBits);
      expect(perSample).toBeLessThan(PREDICTOR.minSampleBits + 0.1);
    }
  });

  it("a band's distributions depend only on the samples before each one, wherever the band starts", () => {
    // The walker keeps the row above's predictions and learns from every sample: a band that
    // starts lower must walk the rows above it first.
    fc.assert(
      fc.property(arbitraryBand, ({ samples, band }) => {
        const whole = bandDistributions(samples, { ...band, top: 0 });
        const part = bandDistributions(samples, band);
        const skip = whole.means.length - part.means.length;
        expect(Array.from(part.means)).toEqual(Array.from(whole.means.subarray(skip)));
        expect(Array.from(part.stds)).toEqual(Array.from(whole.stds.subarray(skip)));
      }),
      { numRuns: 200, seed: 1129 },
    );
  });

  /** Bits of a whole image under `predictor`. */
  const imageBits = (image: Image, predictor: RowBand['predictor']) =>
    rowBits(image.data, { width: image.width, channels: image.channels, coded: image.channels, top: 0, bottom: image.height, predictor }).reduce((a, b) => a + b, 0);
  const fixture = (name: string) => readImage(new Uint8Array(readFileSync(fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url)))));

  it("the regressions' priors pay on small pictures, each of them", () => {
    // Measured on all 100 fixture 32×32 crops without exact contexts: no priors 4.466 bpd, with
    // the mean prior alone 4.388, the spread prior alone 4.374, both 4.291; 128 validation
    // crops 2.963 → 2.898; the five fixture photos 2.8087 → 2.8086. Here the first 20 crops,
    // with exact contexts: no priors 4.586, both 4.385.
    const dir = fileURLToPath(new URL('../fixtures/crops32/', import.meta.url));
    const { refinement } = PREDICTOR;
    const prior = refinement.prior!;
    const variants = [
      // No priors: the regressions from zero, the spread's after a warm-up of 256 samples.
      { ...PREDICTOR, refinement: { ...refinement, spreadWarmup: 256, prior: undefined } },
      // The spread regression from zero, after the warm-up.
      { ...PREDICTOR, refinement: { ...refinement, spreadWarmup: 256, prior: { ...prior, spreads: new Float64Array(prior.spreads.length), spreadPull: 0 } } },
      // The mean regressions from zero.
      { ...PREDICTOR, refinement: { ...refinement, prior: { ...prior, means: new Float64Array(prior.means.length), meanPull: 0 } } },
      PREDICTOR,
    ];
    const bits = variants.map(() => 0);
    for (const name of readdirSync(dir).filter((f) => f.endsWith('.png')).sort().slice(0, 20)) {
      const image = readImage(new Uint8Array(readFileSync(join(dir, name))));
      variants.forEach((predictor, k) => (bits[k] += imageBits(image, predictor)));
    }
    expect(bits[3]).toBeLessThan(0.97 * bits[0]);
    expect(bits[3]).toBeLessThan(0.985 * bits[1]);
    expect(bits[3]).toBeLessThan(0.985 * bits[2]);
  });

  it('the exact contexts pay on once-JPEG pictures and cost nothing on others', () => {
    // Measured on the five fixture photos at full size: 2.809 → 2.653 bpd (face 2.186 → 1.916,
    // chelsea 2.878 → 2.475, the other three 0.3–0.6% lower too); 128 validation crops 2.898
    // → 2.789. Here 96×96 crops: face 2.316 → 2.015, chelsea 3.629 → 3.385, astronaut 3.470
    // → 3.465, coffee 3.143 → 3.134.
    const { refinement } = PREDICTOR;
    const without = { ...PREDICTOR, refinement: { ...refinement, histograms: { ...refinement.histograms, exact: undefined } } };
    const bits = (name: string, x: number, y: number) => {
      const crop = cropImage(fixture(name), x, y, 96, 96);
      return [without, PREDICTOR].map((predictor) => imageBits(crop, predictor));
    };
    const [face, chelsea, astronaut, coffee] = [bits('face.ppm', 400, 300), bits('chelsea.png', 200, 100), bits('astronaut.png', 200, 200), bits('coffee.png', 200, 150)];
    expect(face[1]).toBeLessThan(0.9 * face[0]);
    expect(chelsea[1]).toBeLessThan(0.95 * chelsea[0]);
    expect(astronaut[1]).toBeLessThan(1.001 * astronaut[0]);
    expect(coffee[1]).toBeLessThan(1.001 * coffee[0]);
  });

  it('popRows on a message that runs dry returns false instead of decoding on', async () => {
    const band: RowBand = { width: 64, channels: 3, coded: 3, top: 0, bottom: 64, predictor: PREDICTOR };
    const m = new Message();
    await pushRows(m, new Uint8Array(64 * 3).fill(200), { ...band, bottom: 1 });
    expect(await popRows(m, new Uint8Array(64 * 64 * 3), band)).toBe(false);
    expect(m.borrowedWords).toBeGreaterThan(0);
  });

  it('popRows pauses (and reports) every 2^16 samples, inside a row longer than that too', async () => {
    // Two rows of 40,000 pixels: 120,000 samples a row.
    const width = 40_000;
    const image = Uint8Array.from({ length: width * 2 * 3 }, (_, i) => (i * 7 + (i >> 9)) & 255);
    const band: RowBand = { width, channels: 3, coded: 3, top: 0, bottom: 2, predictor: PREDICTOR };
    const m = new Message();
    await pushRows(m, image, band);
    const decoded = new Uint8Array(image.length);
    const reports: number[] = [];
    expect(await popRows(m, decoded, band, (done) => reports.push(done))).toBe(true);
    expect(reports).toEqual([65536, 131072, 196608]);
    expect(Buffer.from(decoded).equals(Buffer.from(image))).toBe(true);
    expect(m.equals(new Message())).toBe(true);
  });
});

/** An image of a few colours (any channel count, the last channel left out or not): noise, repeated blocks or flat, as screenshots and palette images have. */
const fewColours = fc
  .record({
    width: fc.integer({ min: 1, max: 24 }),
    height: fc.integer({ min: 1, max: 16 }),
    channels: fc.integer({ min: 1, max: 4 }),
    dropLast: fc.boolean(),
    colours: fc.integer({ min: 1, max: 12 }),
    content: fc.constantFrom('noise', 'blocks', 'flat', 'stripes'),
    seed: fc.integer(),
  })
  .map(({ width, height, channels, dropLast, colours, content, seed }) => {
    let state = seed;
    const random = () => ((state = (Math.imul(state, 1103515245) + 12345) | 0) >>> 16) / 65536;
    const palette = Array.from({ length: colours }, () => Array.from({ length: channels }, () => Math.floor(random() * 256)));
    const block = Array.from({ length: 9 }, () => Math.floor(random() * colours));
    const samples = new Uint8Array(width * height * channels);
    for (let p = 0; p < width * height; p++) {
      const [x, y] = [p % width, Math.floor(p / width)];
      const colour = content === 'flat' ? 0 : content === 'blocks' ? block[(x % 3) + 3 * (y % 3)] : content === 'stripes' ? Math.floor(x / 5) % colours : Math.floor(random() * colours);
      for (let c = 0; c < channels; c++) samples[p * channels + c] = palette[colour][c];
    }
    const band: RowBand = { width, channels, coded: dropLast && channels > 1 ? channels - 1 : channels, top: 0, bottom: height, predictor: PREDICTOR };
    return { samples, band };
  });

describe('pixel matches (§7.13)', () => {
  for (const [version, model] of [
    [10, MATCHES_VERSION_10],
    [12, MATCHES],
  ] as const) {
    it(`each pixel's symbols tile [0, 2^16) over the colours it may repeat and the escape; the decoder finds every slot's symbol (version ${version})`, () => {
      fc.assert(
        fc.property(fewColours, ({ samples, band }) => {
          const matches = new PixelMatches(band.width, band.width * band.bottom, model);
          for (let pixel = 0; pixel < band.width * band.bottom; pixel++) {
            matches.prepare(pixel);
            const { starts, frequencies } = matches;
            let next = 0;
            for (let s = 0; s <= ESCAPE; s++) {
              if (frequencies[s] === 0) continue;
              expect(starts[s]).toBe(next);
              next += frequencies[s];
              for (const slot of [starts[s], starts[s] + frequencies[s] - 1]) expect(matches.find(slot)).toBe(s);
            }
            expect(next).toBe(2 ** MATCH_PRECISION_BITS);
            expect(frequencies[ESCAPE]).toBeGreaterThan(0);
            // A symbol other than the escape costs at least the version's least.
            for (let s = 0; s < ESCAPE; s++) expect(MATCH_PRECISION_BITS - Math.log2(Math.max(1, frequencies[s]))).toBeGreaterThanOrEqual(fewestMatchBits(model));
            const colour = colourAt(samples, pixel * band.channels, band.coded);
            const symbol = matches.symbolOf(colour);
            if (symbol !== ESCAPE) expect(matches.colourOf(symbol)).toBe(colour);
            matches.learn(pixel, symbol, colour);
          }
        }),
        { numRuns: 100, seed: 20261204 },
      );
    });
  }

  it("in version 12, the neighbourhood counts and the follower's third state make a screenshot's match symbols cheaper", () => {
    // screenshot-tool.png: widgets and text, where the same four neighbours' colours go on the same way again.
    const image = readImage(new Uint8Array(readFileSync(fileURLToPath(new URL('../fixtures/synthetic/screenshot-tool.png', import.meta.url)))));
    const symbolBits = (model: MatchModel) => {
      const matches = new PixelMatches(image.width, image.width * image.height, model);
      let bits = 0;
      for (let pixel = 0; pixel < image.width * image.height; pixel++) {
        const colour = colourAt(image.data, pixel * image.channels, image.channels);
        matches.prepare(pixel);
        const symbol = matches.symbolOf(colour);
        bits += MATCH_PRECISION_BITS - Math.log2(matches.frequencies[symbol]);
        matches.learn(pixel, symbol, colour);
      }
      return bits;
    };
    expect(symbolBits(MATCHES)).toBeLessThan(0.98 * symbolBits(MATCHES_VERSION_10));
  });

  it("the neighbourhood counts' row keys are docs/format.md Appendix B's", () => {
    const row = (key: number) => key & (2 ** 16 - 1);
    const keys = [neighbourhoodKey(0, -1, -1, -1, -1), neighbourhoodKey(4, 1971210, 1971210, 3302600, -1), neighbourhoodKey(14, 2 ** 32 - 1, 0, 255, 65535)];
    expect(keys.map((key) => [key, row(key)])).toEqual([
      [-729076403, 11597],
      [-449301634, 13182],
      [915525557, 53173],
    ]);
  });

  it('round-trip, are used only where they make the band smaller, and make few-colour images much smaller', async () => {
    let used = 0;
    await fc.assert(
      fc.asyncProperty(fewColours, async ({ samples, band }) => {
        const [plain, tried] = [new Message(), new Message()];
        expect(await pushRows(plain, samples, band)).toBe(false);
        const withMatches = await pushRows(tried, samples, band, { tryMatches: true });
        used += Number(withMatches);
        expect(tried.bitLength()).toBeLessThanOrEqual(plain.bitLength() + 32);
        if (!withMatches) expect(tried.equals(plain)).toBe(true);
        const decoded = samples.map((v, i) => (i % band.channels < band.coded ? 77 : v));
        expect(await popRows(tried, decoded, band, undefined, withMatches)).toBe(true);
        expect(Array.from(decoded)).toEqual(Array.from(samples));
        expect(tried.equals(new Message())).toBe(true);
      }),
      { numRuns: 200, seed: 4122026 },
    );
    expect(used).toBeGreaterThan(100);
    // A 64×64 RGB image of 8×8 blocks of four colours: matches cost a fraction of what the samples do.
    const blocks = new Uint8Array(64 * 64 * 3).map((_, i) => [[200, 30, 30], [20, 20, 20], [250, 250, 250], [40, 90, 200]][(Math.floor(i / 3 / 64 / 8) * 3 + Math.floor(((i / 3) % 64) / 8)) % 4][i % 3]);
    const band: RowBand = { width: 64, channels: 3, coded: 3, top: 0, bottom: 64, predictor: PREDICTOR };
    const [plain, tried] = [new Message(), new Message()];
    await pushRows(plain, blocks, band);
    expect(await pushRows(tried, blocks, band, { tryMatches: true })).toBe(true);
    expect(tried.bitLength()).toBeLessThan(0.5 * plain.bitLength());
  });

  it("the followers' keys are docs/format.md Appendix B's", () => {
    const place = (key: number) => key & (2 ** 18 - 1);
    const keys = [followerKey(-1, -1, -1, -1, -1), followerKey(1971210, 1971210, 3302600, -1, 1971210), followerKey(2 ** 32 - 1, 0, 255, 65535, 2 ** 24 - 1)];
    expect(keys.map((key) => [key, place(key)])).toEqual([
      [2044072051, 135283],
      [-1448901615, 230417],
      [2125771087, 45391],
    ]);
  });

  it('are not used on photos', async () => {
    const crop = cropImage(readImage(new Uint8Array(readFileSync(fileURLToPath(new URL('../fixtures/chelsea.png', import.meta.url))))), 100, 60, 64, 48);
    const m = new Message();
    expect(await pushRows(m, crop.data, { width: 64, channels: 3, coded: 3, top: 0, bottom: 48, predictor: PREDICTOR }, { tryMatches: true })).toBe(false);
  });

  it('popRows with matches on a message that runs dry returns false instead of decoding on', async () => {
    const band: RowBand = { width: 64, channels: 3, coded: 3, top: 0, bottom: 64, predictor: PREDICTOR };
    const m = new Message();
    await pushRows(m, new Uint8Array(64 * 3).fill(200), { ...band, bottom: 1 }, { tryMatches: true });
    expect(await popRows(m, new Uint8Array(64 * 64 * 3), band, undefined, true)).toBe(false);
  });
});

describe('the walk in a worker thread', () => {
  it('gives the intervals the walk on this thread gives, and reports its progress', async () => {
    const crop = cropImage(readImage(new Uint8Array(readFileSync(fileURLToPath(new URL('../fixtures/chelsea.png', import.meta.url))))), 0, 0, 300, 240);
    const band: RowBand = { width: 300, channels: 3, coded: 3, top: 0, bottom: 240, predictor: PREDICTOR };
    const reports: number[] = [];
    const inWorker = await bandIntervalsInWorker(crop.data, band, (done) => reports.push(done));
    const here = await bandIntervals(crop.data, band);
    expect(Buffer.from(inWorker.starts.buffer).equals(Buffer.from(here.starts.buffer))).toBe(true);
    expect(Buffer.from(inWorker.frequencies.buffer).equals(Buffer.from(here.frequencies.buffer))).toBe(true);
    expect(reports).toEqual([65536, 131072, 196608]);
    await expect(bandIntervalsInWorker(crop.data, { ...band, predictor: { ...PREDICTOR } })).rejects.toThrow('shipped predictor');
    // Stopped, it rejects at once and its thread ends.
    const stop = new AbortController();
    const stopped = bandIntervalsInWorker(crop.data, band, undefined, stop.signal);
    stop.abort();
    await expect(stopped).rejects.toThrow('stopped');
  });
});
