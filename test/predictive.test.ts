// The classic predictive coder (src/coder/predictive.ts) on its own: bands of rows round-trip
// under any rows above them, cost what rowBits says, never less than MIN_SAMPLE_BITS a sample,
// and a damaged message stops the decoder instead of running on.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Message } from '../src/ans/index.ts';
import { bandSamples, MIN_SAMPLE_BITS, popRows, pushRows, rowBits, sampleDistribution, type RowBand } from '../src/coder/predictive.ts';

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
      band: fc.constant({ width, channels, coded: dropLast && channels > 1 ? channels - 1 : channels, bottom: height }),
      extremes: fc.boolean(),
    }),
  )
  .map(({ samples, top, band, extremes }) => ({ samples: extremes ? samples.map((v) => (v < 128 ? 0 : 255)) : samples, band: { ...band, top } as RowBand }));

describe('predictive coder', () => {
  it('pushRows then popRows restores the band, given the rows above, and leaves the message as it was', () => {
    fc.assert(
      fc.property(arbitraryBand, fc.integer({ min: 0, max: 40 }), ({ samples, band }, below) => {
        const m = new Message();
        for (let k = 0; k < below; k++) pushRows(m, Uint8Array.of(k & 255), { width: 1, channels: 1, coded: 1, top: 0, bottom: 1 });
        const before = m.clone();
        pushRows(m, samples, band);
        const decoded = samples.slice();
        const row = band.width * band.channels;
        // Wipe the band's coded samples; uncoded channels and the rows above keep their values.
        for (let i = band.top * row; i < band.bottom * row; i++) if (i % band.channels < band.coded) decoded[i] = 77;
        expect(popRows(m, decoded, band)).toBe(true);
        expect(Array.from(decoded)).toEqual(Array.from(samples));
        expect(m.equals(before)).toBe(true);
      }),
      { numRuns: 300, seed: 20261129 },
    );
  });

  it('costs what rowBits says (within the rANS flush), and at least MIN_SAMPLE_BITS a sample', () => {
    fc.assert(
      fc.property(arbitraryBand, ({ samples, band }) => {
        const bits = rowBits(samples, band);
        expect(bits.length).toBe(band.bottom - band.top);
        const total = bits.reduce((a, b) => a + b, 0);
        expect(total).toBeGreaterThanOrEqual(MIN_SAMPLE_BITS * bandSamples(band));
        const m = new Message();
        const start = m.bitLength();
        pushRows(m, samples, band);
        expect(Math.abs(m.bitLength() - start - total)).toBeLessThan(16 + 0.01 * total);
      }),
      { numRuns: 200, seed: 11292026 },
    );
  });

  it('every mean lies in [0, 255] and every σ is at least 0.9, so no sample costs less than MIN_SAMPLE_BITS', () => {
    // Pixel 1's first channel lies 100 below its prediction; carried over, that residual would
    // put the second channel's mean at 10 − 60 < 0, where a 0 would cost almost nothing.
    const out = new Float64Array(2);
    sampleDistribution(Uint8Array.of(200, 10, 10, 100, 0, 0), 2, 3, 4, out);
    expect(out[0]).toBe(0);
    fc.assert(
      fc.property(arbitraryBand, ({ samples, band }) => {
        for (let i = 0; i < samples.length; i++) {
          sampleDistribution(samples, band.width, band.channels, i, out);
          expect(out[0]).toBeGreaterThanOrEqual(0);
          expect(out[0]).toBeLessThanOrEqual(255);
          expect(out[1]).toBeGreaterThanOrEqual(0.9);
        }
      }),
      { numRuns: 200, seed: 29112026 },
    );
  });

  it('the least a sample costs is MIN_SAMPLE_BITS: flat black and white images come close', () => {
    for (const value of [0, 255]) {
      const band: RowBand = { width: 16, channels: 3, coded: 3, top: 0, bottom: 16 };
      const perSample = rowBits(new Uint8Array(16 * 16 * 3).fill(value), band).reduce((a, b) => a + b, 0) / bandSamples(band);
      expect(perSample).toBeGreaterThanOrEqual(MIN_SAMPLE_BITS);
      expect(perSample).toBeLessThan(MIN_SAMPLE_BITS + 0.1);
    }
  });

  it('popRows on a message that runs dry returns false instead of decoding on', () => {
    const band: RowBand = { width: 64, channels: 3, coded: 3, top: 0, bottom: 64 };
    const m = new Message();
    pushRows(m, new Uint8Array(64 * 3).fill(200), { width: 64, channels: 3, coded: 3, top: 0, bottom: 1 });
    expect(popRows(m, new Uint8Array(64 * 64 * 3), band)).toBe(false);
    expect(m.borrowedWords).toBeGreaterThan(0);
  });
});
