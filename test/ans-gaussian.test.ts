import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Codec } from '../src/ans/index.ts';
import {
  boundedGaussian,
  boundedGaussianBits,
  discretisedGaussian,
  discretisedGaussianBits,
  MAX_BIN,
  MAX_BOUNDED_ALPHABET,
  Message,
  MIN_BIN,
  PHI_ONE,
  pushUniform,
  uniformBits,
  phiFixed,
  popBoundedGaussians,
  popGaussians,
  pushBoundedGaussians,
  pushGaussians,
} from '../src/ans/index.ts';
import {
  blendedGaussianMixture,
  blendedGaussianMixtureInterval,
  boundedGaussianMixture,
  boundedGaussianMixtureBits,
  boundedGaussianMixtureInterval,
  type CountWindow,
  pushBoundedGaussianMixtures,
} from './helpers/mixture-codecs.ts';
import { PHI_INVERSE_BUCKET_WIDTH, PHI_STEPS_PER_UNIT, PHI_TABLE_CENTRE, PHI_TABLE_LAST, phiTables } from '../src/ans/phi-table.ts';
import { mulberry32 } from '../src/random.ts';
import { checkLaws, sameState, someMessage } from './ans-arbitraries.ts';

const { phi: PHI_TABLE, inverse: PHI_INVERSE } = phiTables();

/**
 * Approximately standard normal (Irwin–Hall: twelve uniforms minus 6). Basic
 * operations only, so golden checksums over these samples hold on any machine.
 */
function standardNormal(random: () => number): number {
  let sum = -6;
  for (let k = 0; k < 12; k++) sum += random();
  return sum;
}

/** 32-bit FNV-1a, to pin byte streams in golden tests. */
function fnv1a(bytes: Uint8Array | Int32Array): number {
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let hash = 0x811c9dc5;
  for (const byte of view) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}

/**
 * Checksums recorded from this implementation. If one changes, files coded
 * before the change no longer decode: that is a format break, not a test to
 * update casually.
 */
const GOLDEN_PHI_TABLE_HASH = 3963685868;
const GOLDEN_GAUSSIAN_HASHES = [3930958961, 200724288];
const GOLDEN_BLEND_HASH = 4084917467;
const GOLDEN_MIXTURE_HASH = 1568655887;

const anyMean = fc.oneof(
  fc.double({ noNaN: true }),
  fc.double({ min: -1e3, max: 1e3, noNaN: true }),
  fc.double({ min: -1e10, max: 1e10, noNaN: true }),
);
/** σ/δ from 1e-9 to 1e9, log-uniform, plus the extremes. */
const anyStdInBins = fc.oneof(
  fc.double({ min: -9, max: 9, noNaN: true }).map((e) => 10 ** e),
  fc.constantFrom(1e-300, 1e300, Infinity, 0.5, 1, 2 ** 14 / 8),
);
const anyDelta = fc.oneof(fc.constant(1), fc.double({ min: -6, max: 6, noNaN: true }).map((e) => 10 ** e));
const gaussianParameters = fc.record({ mu: anyMean, stdInBins: anyStdInBins, delta: anyDelta });
const int32 = fc.integer({ min: MIN_BIN, max: MAX_BIN });

/** A bin near the mean (window and escape edges) or anywhere in int32. */
function binFor(mu: number, stdInBins: number, delta: number): fc.Arbitrary<number> {
  const centre = Math.min(Math.max(Math.round(mu / delta), MIN_BIN), MAX_BIN);
  const reach = Math.min(Math.ceil(10 * stdInBins) + 3, 2 ** 20);
  return fc.oneof(
    int32,
    fc.integer({ min: -reach, max: reach }).map((offset) => Math.min(Math.max(centre + offset, MIN_BIN), MAX_BIN)),
    fc.constantFrom(MIN_BIN, MAX_BIN, 0),
  );
}

describe('Φ table', () => {
  it('matches known values of Φ at grid points to 1e-9', () => {
    const known: [number, number][] = [
      [0, 0.5],
      [0.5, 0.6914624612740131],
      [1, 0.8413447460685429],
      [1.5, 0.9331927987311419],
      [2, 0.9772498680518208],
      [2.5, 0.9937903346742238],
      [3, 0.9986501019683699],
      [-3, 0.0013498980316301],
      [4, 0.9999683287581669],
    ];
    for (const [t, phi] of known) expect(Math.abs(phiFixed(t) / PHI_ONE - phi)).toBeLessThan(1e-9);
  });

  it('interpolates between grid points to ~1e-7', () => {
    expect(Math.abs(phiFixed(1.96) / PHI_ONE - 0.9750021048517795)).toBeLessThan(1.2e-7);
    expect(Math.abs(phiFixed(-1.96) / PHI_ONE - 0.0249978951482205)).toBeLessThan(1.2e-7);
  });

  it('is monotone, symmetric and saturates', () => {
    for (let j = 0; j < PHI_TABLE_LAST; j++) expect(PHI_TABLE[j + 1] >= PHI_TABLE[j]).toBe(true);
    for (let j = 0; j <= PHI_TABLE_CENTRE; j++) {
      expect(PHI_TABLE[PHI_TABLE_CENTRE + j] + PHI_TABLE[PHI_TABLE_CENTRE - j]).toBe(PHI_ONE);
    }
    expect(PHI_TABLE[0]).toBe(0);
    expect(phiFixed(-1e300)).toBe(0);
    expect(phiFixed(1e300)).toBe(PHI_ONE);
    expect(PHI_STEPS_PER_UNIT).toBe(512);
  });

  it('is the same table on every machine (golden checksum)', () => {
    expect(fnv1a(PHI_TABLE)).toBe(GOLDEN_PHI_TABLE_HASH);
  });

  it('has an inverse whose every bucket starts at the last cell at or below it (§5.10)', () => {
    for (let bucket = 0; bucket < PHI_INVERSE.length; bucket++) {
      const j = PHI_INVERSE[bucket];
      const threshold = bucket * PHI_INVERSE_BUCKET_WIDTH;
      expect(j).toBeLessThan(PHI_TABLE_LAST);
      if (j > 0) expect(PHI_TABLE[j]).toBeLessThanOrEqual(threshold);
      if (j < PHI_TABLE_LAST - 1) expect(PHI_TABLE[j + 1]).toBeGreaterThan(threshold);
    }
  });
});

describe('discretised Gaussian', () => {
  it('round-trips any int32 bin under absurd μ, σ, δ', () => {
    fc.assert(
      fc.property(
        someMessage,
        gaussianParameters.chain((p) => fc.record({ p: fc.constant(p), bin: binFor(p.mu, p.stdInBins, p.delta) })),
        (m, { p, bin }) => {
          checkLaws(discretisedGaussian(p.mu, p.stdInBins * p.delta, p.delta), m, bin);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('pops a valid int32 bin from any message, and pushing it back restores the message', () => {
    fc.assert(
      fc.property(someMessage, gaussianParameters, (m, p) => {
        const codec = discretisedGaussian(p.mu, p.stdInBins * p.delta, p.delta);
        const before = m.clone();
        const bin = codec.pop(m);
        expect(Number.isInteger(bin) && bin >= MIN_BIN && bin <= MAX_BIN).toBe(true);
        codec.push(m, bin);
        expect(sameState(m, before)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('codes far escapes in a few dozen bits', () => {
    expect(discretisedGaussianBits(MAX_BIN, -1e9, 1, 1)).toBeLessThan(80);
    expect(discretisedGaussianBits(MIN_BIN, 1e9, 1, 1)).toBeLessThan(80);
    expect(discretisedGaussianBits(1e9, 0, 1, 1)).toBeLessThan(80);
  });

  it('vectorised calls equal a sequence of scalar codecs, pushed last first', () => {
    fc.assert(
      fc.property(
        someMessage,
        fc.array(gaussianParameters.chain((p) => fc.record({ p: fc.constant(p), bin: binFor(p.mu, p.stdInBins, 1) })), {
          maxLength: 30,
        }),
        fc.boolean(),
        (m, cases, sharedSigma) => {
          const delta = 0.25;
          const bins = Int32Array.from(cases, (c) => c.bin);
          const mu = Float64Array.from(cases, (c) => c.p.mu * delta);
          const sigma = sharedSigma ? 3 * delta : Float64Array.from(cases, (c) => c.p.stdInBins * delta);
          const scalar = m.clone();
          for (let i = cases.length - 1; i >= 0; i--) {
            const s = typeof sigma === 'number' ? sigma : sigma[i];
            discretisedGaussian(mu[i], s, delta).push(scalar, bins[i]);
          }
          const before = m.clone();
          pushGaussians(m, bins, mu, sigma, delta);
          expect(sameState(m, scalar)).toBe(true);
          expect(Array.from(popGaussians(m, mu, sigma, delta))).toEqual(Array.from(bins));
          expect(sameState(m, before)).toBe(true);
          // And the other law, from the same arbitrary state.
          const popped = popGaussians(m, mu, sigma, delta);
          pushGaussians(m, popped, mu, sigma, delta);
          expect(sameState(m, before)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('produces the same bytes on every machine (golden checksum)', () => {
    const random = mulberry32(7);
    const n = 5000;
    const mu = Float64Array.from({ length: n }, () => (random() - 0.5) * 40);
    const sigma = Float64Array.from({ length: n }, () => 0.01 + random() * 20);
    const bins = Int32Array.from({ length: n }, (_, i) => Math.round((mu[i] + sigma[i] * standardNormal(random)) / 0.5));
    const m = new Message();
    pushGaussians(m, bins, mu, sigma, 0.5);
    const popped = popGaussians(m.clone(), mu, 1.5, 0.5);
    expect([fnv1a(m.toBytes()), fnv1a(popped)]).toEqual(GOLDEN_GAUSSIAN_HASHES);
  });

  it('rejects NaN, non-positive σ and bad δ before touching the message', () => {
    const m = new Message();
    m.push(1, 2, 3);
    const before = m.clone();
    const bins = Int32Array.of(1, 2);
    expect(() => pushGaussians(m, bins, Float64Array.of(0, NaN), 1, 1)).toThrow(RangeError);
    expect(() => pushGaussians(m, bins, Float64Array.of(0, 0), Float64Array.of(1, 0), 1)).toThrow(RangeError);
    expect(() => pushGaussians(m, bins, Float64Array.of(0, 0), -1, 1)).toThrow(RangeError);
    expect(() => pushGaussians(m, bins, Float64Array.of(0, 0), 1, 0)).toThrow(RangeError);
    expect(() => pushGaussians(m, bins, Float64Array.of(0, 0), 1, Infinity)).toThrow(RangeError);
    expect(() => pushGaussians(m, bins, Float64Array.of(0), 1, 1)).toThrow(RangeError);
    expect(() => popGaussians(m, Float64Array.of(0, NaN), 1, 1)).toThrow(RangeError);
    expect(() => discretisedGaussian(0, NaN, 1)).toThrow(RangeError);
    expect(() => discretisedGaussian(0, 1, 1).push(m, 2 ** 31)).toThrow(RangeError);
    expect(sameState(m, before)).toBe(true);
  });
});

describe('bounded Gaussian', () => {
  const alphabet = fc.oneof(
    fc.constant({ lo: 0, hi: 255 }),
    fc.integer({ min: MIN_BIN, max: MAX_BIN }).chain((lo) =>
      fc.integer({ min: 0, max: Math.min(MAX_BOUNDED_ALPHABET - 1, MAX_BIN - lo) }).map((extra) => ({ lo, hi: lo + extra })),
    ),
    fc.integer({ min: -1000, max: 1000 }).chain((lo) => fc.integer({ min: 0, max: 40 }).map((extra) => ({ lo, hi: lo + extra }))),
  );

  it('round-trips every bin of the alphabet under absurd μ, σ, δ', () => {
    fc.assert(
      fc.property(
        someMessage,
        alphabet.chain((a) => fc.record({ a: fc.constant(a), bin: fc.integer({ min: a.lo, max: a.hi }) })),
        gaussianParameters,
        (m, { a, bin }, p) => {
          const mu = p.mu === 0 ? (a.lo + a.hi) * 0.5 * p.delta : p.mu;
          checkLaws(boundedGaussian(a.lo, a.hi, mu, p.stdInBins * p.delta, p.delta), m, bin);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('pops an in-range bin from any message', () => {
    fc.assert(
      fc.property(someMessage, alphabet, gaussianParameters, (m, a, p) => {
        const bin = boundedGaussian(a.lo, a.hi, p.mu, p.stdInBins * p.delta, p.delta).pop(m);
        expect(bin >= a.lo && bin <= a.hi).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('codes pixel values in vectorised calls, in array order', () => {
    const random = mulberry32(3);
    const n = 2000;
    // Pixel bins 0…255 on the grid δ = 1/128 (centre of pixel x at x·δ after the caller's shift).
    const delta = 1 / 128;
    const mu = Float64Array.from({ length: n }, () => (random() * 300 - 22) * delta);
    const sigma = Float64Array.from({ length: n }, () => (0.05 + random() * 10) * delta);
    const bins = Int32Array.from({ length: n }, (_, i) =>
      Math.min(255, Math.max(0, Math.round(mu[i] / delta + (sigma[i] / delta) * standardNormal(random)))),
    );
    const m = new Message();
    pushBoundedGaussians(m, 0, 255, bins, mu, sigma, delta);
    const copy = m.clone();
    expect(boundedGaussian(0, 255, mu[0], sigma[0], delta).pop(copy)).toBe(bins[0]);
    expect(Array.from(popBoundedGaussians(m, 0, 255, mu, sigma, delta))).toEqual(Array.from(bins));
    expect(sameState(m, new Message())).toBe(true);
  });

  it('rejects bins outside the alphabet and oversized alphabets', () => {
    const m = new Message();
    expect(() => pushBoundedGaussians(m, 0, 255, Int32Array.of(3, 256), Float64Array.of(0, 0), 1, 1)).toThrow(RangeError);
    expect(() => boundedGaussian(0, 255, 0, 1, 1).push(m, -1)).toThrow(RangeError);
    expect(() => boundedGaussian(0, MAX_BOUNDED_ALPHABET, 0, 1, 1)).toThrow(RangeError);
    expect(() => boundedGaussian(5, 4, 0, 1, 1)).toThrow(RangeError);
    expect(sameState(m, new Message())).toBe(true);
  });
});

/** Spreads of pixel-sized distributions, with the extremes the codecs clamp. */
const pixelStd = fc.oneof(fc.double({ min: -6, max: 6, noNaN: true }).map((e) => 2 ** e), fc.constantFrom(1e-300, 1e300));

describe('bounded scale mixture of two Gaussians', () => {
  const mixture = fc.record({ wideShare: fc.integer({ min: 0, max: 255 }).map((k) => k / 256), wideScale: fc.oneof(fc.double({ min: 1, max: 1e6, noNaN: true }), fc.constant(1)) });

  it('round-trips every pixel value, and pops an in-range one from any message', () => {
    fc.assert(
      fc.property(someMessage, fc.integer({ min: 0, max: 255 }), fc.double({ min: -1e4, max: 1e4, noNaN: true }), pixelStd, mixture, (m, bin, mu, sigma, tails) => {
        const codec = boundedGaussianMixture(0, 255, mu, sigma, tails);
        checkLaws(codec, m, bin);
        const popped = codec.pop(m.clone());
        expect(popped >= 0 && popped <= 255).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('with no wide share codes exactly as one Gaussian', () => {
    const random = mulberry32(5);
    for (let k = 0; k < 200; k++) {
      const [mu, sigma, bin] = [random() * 300 - 20, 0.1 + random() * 30, Math.floor(random() * 256)];
      const [a, b] = [new Message(), new Message()];
      boundedGaussian(0, 255, mu, sigma, 1).push(a, bin);
      boundedGaussianMixture(0, 255, mu, sigma, { wideShare: 0, wideScale: 3 }).push(b, bin);
      expect(sameState(a, b)).toBe(true);
    }
  });

  it("gives outliers the wide component's tails and costs what it codes", () => {
    const tails = { wideShare: 1 / 8, wideScale: 3 };
    // Five σ out: one Gaussian pays ~15 bits, the mixture about −log2(1/8 · φ(5/3)/3) ≈ 7.9.
    expect(boundedGaussianBits(105, 0, 255, 100, 1, 1)).toBeGreaterThan(14);
    expect(boundedGaussianMixtureBits(105, 0, 255, 100, 1, tails)).toBeLessThan(8);
    const m = new Message();
    const start = m.bitLength();
    const bins = Int32Array.from({ length: 3000 }, (_, i) => (i * 37) % 256);
    const mu = Float64Array.from(bins, (b, i) => b + ((i % 7) - 3) * 2);
    const sigma = Float64Array.from(bins, (_, i) => 0.3 + (i % 11));
    let ideal = 0;
    for (let i = 0; i < bins.length; i++) ideal += boundedGaussianMixtureBits(bins[i], 0, 255, mu[i], sigma[i], tails);
    pushBoundedGaussianMixtures(m, 0, 255, bins, mu, sigma, tails);
    expect(Math.abs(m.bitLength() - start - ideal)).toBeLessThan(64);
    for (let i = 0; i < bins.length; i++) expect(boundedGaussianMixture(0, 255, mu[i], sigma[i], tails).pop(m)).toBe(bins[i]);
    expect(sameState(m, new Message())).toBe(true);
  });

  it('produces the same bytes on every machine (golden checksum)', () => {
    const random = mulberry32(9);
    const n = 5000;
    const mu = Float64Array.from({ length: n }, () => random() * 280 - 12);
    const sigma = Float64Array.from({ length: n }, () => 0.2 + random() * 12);
    const bins = Int32Array.from({ length: n }, (_, i) => Math.min(255, Math.max(0, Math.round(mu[i] + 2 * sigma[i] * standardNormal(random)))));
    const m = new Message();
    pushBoundedGaussianMixtures(m, 0, 255, bins, mu, sigma, { wideShare: 1 / 8, wideScale: 3 });
    expect(fnv1a(m.toBytes())).toBe(GOLDEN_MIXTURE_HASH);
  });

  it('rejects shares off the 1/256 grid, scales below 1 and out-of-range bins', () => {
    const m = new Message();
    expect(() => boundedGaussianMixture(0, 255, 0, 1, { wideShare: 0.1, wideScale: 3 })).toThrow(RangeError);
    expect(() => boundedGaussianMixture(0, 255, 0, 1, { wideShare: 1, wideScale: 3 })).toThrow(RangeError);
    expect(() => boundedGaussianMixture(0, 255, 0, 1, { wideShare: 1 / 8, wideScale: 0.5 })).toThrow(RangeError);
    expect(() => pushBoundedGaussianMixtures(m, 0, 255, Int32Array.of(3, 256), Float64Array.of(0, 0), Float64Array.of(1, 1), { wideShare: 0, wideScale: 1 })).toThrow(RangeError);
    expect(sameState(m, new Message())).toBe(true);
  });
});

describe('blendedGaussianMixture (the mixture blended with observed counts)', () => {
  const tails = { wideShare: 1 / 8, wideScale: 3 };
  /** A window of 25 counts starting anywhere from below the alphabet to above it. */
  const window = fc.record({
    counts: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 5000 }), fc.double({ min: 0, max: 1e6, noNaN: true })), { minLength: 0, maxLength: 25 }).map((c) => Float64Array.from(c)),
    firstBin: fc.integer({ min: -40, max: 280 }),
    prior: fc.constantFrom(1e-3, 1, 64, 1e9),
  });

  it('round-trips every pixel value, and pops an in-range one from any message, whatever the counts', () => {
    fc.assert(
      fc.property(someMessage, fc.integer({ min: 0, max: 255 }), fc.double({ min: -1e4, max: 1e4, noNaN: true }), pixelStd, window, (m, bin, mu, sigma, counts) => {
        const codec = blendedGaussianMixture(0, 255, mu, sigma, tails, counts);
        checkLaws(codec, m, bin);
        const popped = codec.pop(m.clone());
        expect(popped >= 0 && popped <= 255).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('pushes the interval that blendedGaussianMixtureInterval gives', () => {
    const out = new Float64Array(2);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.double({ min: -20, max: 280, noNaN: true }), pixelStd, window, (bin, mu, sigma, counts) => {
        blendedGaussianMixtureInterval(bin, 0, 255, mu, sigma, tails, counts, out);
        const m = new Message();
        const before = m.bitLength();
        blendedGaussianMixture(0, 255, mu, sigma, tails, counts).push(m, bin);
        expect(out[1]).toBeGreaterThanOrEqual(1);
        expect(Math.abs(m.bitLength() - before - (24 - Math.log2(out[1])))).toBeLessThan(33);
        const direct = new Message();
        direct.push(out[0], out[1], 24);
        expect(sameState(m, direct)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('with no counts it is the mixture (each frequency within 1), and counts move the mass to what was seen', () => {
    const [a, b] = [new Float64Array(2), new Float64Array(2)];
    const none: CountWindow = { counts: new Float64Array(25), firstBin: 88, prior: 64 };
    for (let bin = 0; bin < 256; bin++) {
      boundedGaussianMixtureInterval(bin, 0, 255, 100.3, 1.7, tails, a);
      blendedGaussianMixtureInterval(bin, 0, 255, 100.3, 1.7, tails, none, b);
      expect(Math.abs(a[0] - b[0])).toBeLessThanOrEqual(1);
      expect(Math.abs(a[1] - b[1])).toBeLessThanOrEqual(2);
    }
    // 192 of 256 counts on 100 (prior 64): P(100) = (64·p + 192)/320 ≥ 0.6, the rest keep ≥ 1.
    const seen: CountWindow = { counts: new Float64Array(25), firstBin: 88, prior: 64 };
    seen.counts[12] = 192;
    seen.counts[13] = 64;
    blendedGaussianMixtureInterval(100, 0, 255, 100.3, 1.7, tails, seen, b);
    expect(b[1] / 2 ** 24).toBeGreaterThanOrEqual(0.6);
    blendedGaussianMixtureInterval(101, 0, 255, 100.3, 1.7, tails, seen, b);
    expect(b[1] / 2 ** 24).toBeGreaterThan(0.2);
    for (const far of [0, 50, 255]) {
      blendedGaussianMixtureInterval(far, 0, 255, 100.3, 1.7, tails, seen, b);
      expect(b[1]).toBeGreaterThanOrEqual(1);
    }
  });

  it('ignores counts of bins outside the alphabet', () => {
    const [a, b] = [new Float64Array(2), new Float64Array(2)];
    const inside = Float64Array.from({ length: 13 }, (_, j) => j + 1);
    const outside = Float64Array.of(...Array.from({ length: 12 }, () => 1000), ...inside);
    for (const bin of [0, 3, 12, 200]) {
      blendedGaussianMixtureInterval(bin, 0, 255, 2, 3, tails, { counts: inside, firstBin: 0, prior: 8 }, a);
      blendedGaussianMixtureInterval(bin, 0, 255, 2, 3, tails, { counts: outside, firstBin: -12, prior: 8 }, b);
      expect(Array.from(b)).toEqual(Array.from(a));
    }
  });

  it('produces the same bytes on every machine (golden checksum)', () => {
    const random = mulberry32(10);
    const counts = new Float64Array(25);
    const m = new Message();
    const out = new Float64Array(2);
    const intervals: number[] = [];
    for (let k = 0; k < 5000; k++) {
      const mu = random() * 280 - 12;
      const sigma = 0.1 + random() * 3;
      const bin = Math.min(255, Math.max(0, Math.round(mu + sigma * standardNormal(random))));
      const firstBin = Math.floor(mu) - 12;
      blendedGaussianMixtureInterval(bin, 0, 255, mu, sigma, tails, { counts, firstBin, prior: 64 }, out);
      intervals.push(out[0], out[1]);
      if (bin - firstBin >= 0 && bin - firstBin < 25) counts[bin - firstBin] += 1;
    }
    for (let k = intervals.length - 2; k >= 0; k -= 2) m.push(intervals[k], intervals[k + 1], 24);
    expect(fnv1a(m.toBytes())).toBe(GOLDEN_BLEND_HASH);
  });

  it('rejects negative or non-finite counts, a prior that is not positive, and out-of-range bins', () => {
    const m = new Message();
    const bad: CountWindow[] = [
      { counts: Float64Array.of(1, -1), firstBin: 0, prior: 1 },
      { counts: Float64Array.of(Infinity), firstBin: 0, prior: 1 },
      { counts: Float64Array.of(1), firstBin: 0, prior: 0 },
      { counts: Float64Array.of(1), firstBin: 0.5, prior: 1 },
    ];
    // The prior and first bin are refused at once, counts when the codec sums them (push or pop).
    for (const counts of bad) {
      expect(() => {
        const codec = blendedGaussianMixture(0, 255, 0, 1, tails, counts);
        codec.push(m, 0);
        codec.pop(m);
      }).toThrow(RangeError);
    }
    expect(() => blendedGaussianMixture(0, 255, 0, 1, tails, { counts: new Float64Array(3), firstBin: 0, prior: 1 }).push(m, 256)).toThrow(RangeError);
    expect(sameState(m, new Message())).toBe(true);
  });
});

describe('coding efficiency', () => {
  it('spends within 0.1 % + 64 bits of the ideal over 155k mixed symbols, escapes included', () => {
    const random = mulberry32(11);
    const perKind = 25_000;
    const m = new Message();
    const start = m.bitLength();
    let ideal = 0;
    for (const stdInBins of [0.5, 2, 8, 64]) {
      const delta = 0.1;
      const mu = Float64Array.from({ length: perKind }, () => (random() - 0.5) * 1000 * delta);
      const bins = Int32Array.from({ length: perKind }, (_, i) =>
        Math.round(mu[i] / delta + stdInBins * standardNormal(random)),
      );
      pushGaussians(m, bins, mu, stdInBins * delta, delta);
      for (let i = 0; i < perKind; i++) ideal += discretisedGaussianBits(bins[i], mu[i], stdInBins * delta, delta);
    }
    // Mostly escapes: bins anywhere in int32 under a unit Gaussian at 0.
    const escapeCount = 5000;
    const farBins = Int32Array.from({ length: escapeCount }, () => Math.floor(random() * 2 ** 32) - 2 ** 31);
    const zeros = new Float64Array(escapeCount);
    pushGaussians(m, farBins, zeros, 1, 1);
    for (let i = 0; i < escapeCount; i++) ideal += discretisedGaussianBits(farBins[i], 0, 1, 1);

    for (let i = 0; i < perKind; i++) {
      const symbol = Math.floor(random() * 1000);
      pushUniform(m, symbol, 1000);
      ideal += uniformBits(symbol, 1000);
    }
    const mu = Float64Array.from({ length: perKind }, () => random() * 255);
    const bins = Int32Array.from({ length: perKind }, (_, i) =>
      Math.min(255, Math.max(0, Math.round(mu[i] + 1.3 * standardNormal(random)))),
    );
    pushBoundedGaussians(m, 0, 255, bins, mu, 1.3, 1);
    for (let i = 0; i < perKind; i++) ideal += boundedGaussianBits(bins[i], 0, 255, mu[i], 1.3, 1);

    const spent = m.bitLength() - start;
    expect(Math.abs(spent - ideal)).toBeLessThan(ideal * 1e-3 + 64);
  });
});
