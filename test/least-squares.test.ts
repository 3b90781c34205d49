// The online ridge regression behind the predictor from version 8 (src/kernels/assembly/ridge.ts): it
// solves the forgetting-weighted normal equations, re-solves on schedule, and is a pure
// function of what it was taught.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RegressionPrior } from '../src/predictor/refinement.ts';
import { RidgeRegression } from './helpers/ridge-regression.ts';

/**
 * The weights solving (Σ λ^(n−t) f fᵀ + (ridge + π)·I) w = Σ λ^(n−t) f y + π·w₀ for two
 * features, by Cramer's rule, where π = pull·fadeⁿ (0 without a prior).
 */
function closedForm(rows: [number, number, number][], ridge: number, forgetting: number, prior?: RegressionPrior): [number, number] {
  let [a, b, d, u, v] = [0, 0, 0, 0, 0];
  for (const [f0, f1, y] of rows) {
    [a, b, d] = [a * forgetting + f0 * f0, b * forgetting + f0 * f1, d * forgetting + f1 * f1];
    [u, v] = [u * forgetting + f0 * y, v * forgetting + f1 * y];
  }
  const pull = prior ? prior.pull * prior.fade ** rows.length : 0;
  a += ridge + pull;
  d += ridge + pull;
  u += pull * (prior?.weights[0] ?? 0);
  v += pull * (prior?.weights[1] ?? 0);
  const det = a * d - b * b;
  return [(u * d - b * v) / det, (a * v - b * u) / det];
}

/**
 * docs/format.md §7.6's arithmetic written out one operation at a time, as a reference for the
 * WebAssembly kernels (src/kernels/assembly/ridge.ts), which must give the same weights to
 * the last bit: the gram update's pairs, the Cholesky factorisation and both substitutions.
 */
function referenceWeights(rows: Float64Array[], targets: number[], ridge: number, forgetting: number, every: number, prior?: RegressionPrior): Float64Array {
  const size = rows[0].length;
  const [gram, factor] = [new Float64Array(size * size), new Float64Array(size * size)];
  const moments = new Float64Array(size);
  const weights = prior ? Float64Array.from(prior.weights) : new Float64Array(size);
  let pull = prior ? prior.pull : 0;
  rows.forEach((f, t) => {
    for (let i = 0; i < size; i++) {
      moments[i] = moments[i] * forgetting + f[i] * targets[t];
      for (let j = 0; j <= i; j++) gram[i * size + j] = gram[i * size + j] * forgetting + f[i] * f[j];
    }
    if (prior) pull *= prior.fade;
    if ((t + 1) % every !== 0) return;
    for (let i = 0; i < size; i++) {
      for (let j = 0; j < i; j++) {
        let sum = gram[i * size + j];
        for (let k = 0; k < j; k++) sum -= factor[i * size + k] * factor[j * size + k];
        factor[i * size + j] = sum / factor[j * size + j];
      }
      let pivot = gram[i * size + i] + (ridge + pull);
      for (let k = 0; k < i; k++) pivot -= factor[i * size + k] * factor[i * size + k];
      factor[i * size + i] = Math.sqrt(Math.max(pivot, 1e-12));
    }
    for (let i = 0; i < size; i++) {
      let sum = prior ? moments[i] + pull * prior.weights[i] : moments[i];
      for (let k = 0; k < i; k++) sum -= factor[i * size + k] * weights[k];
      weights[i] = sum / factor[i * size + i];
    }
    for (let i = size - 1; i >= 0; i--) {
      let sum = weights[i];
      for (let k = i + 1; k < size; k++) sum -= factor[k * size + i] * weights[k];
      weights[i] = sum / factor[i * size + i];
    }
  });
  return weights;
}

/** Solves after every update. */
const EVERY_UPDATE = { every: 1, settledAfter: 0, settledEvery: 1 };
/** One forgetting factor for every update. */
const steady = (factor: number) => ({ first: factor, after: 0, later: factor });

describe('RidgeRegression', () => {
  it('solves the weighted, regularised normal equations', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -50, max: 50 }), fc.integer({ min: -50, max: 50 }), fc.integer({ min: -255, max: 255 })), { minLength: 1, maxLength: 40 }),
        fc.constantFrom(0.5, 1, 100),
        fc.constantFrom(0.9, 0.999, 1),
        (rows, ridge, forgetting) => {
          const regression = new RidgeRegression(2, ridge, steady(forgetting), EVERY_UPDATE);
          for (const [f0, f1, y] of rows) regression.learn(Float64Array.of(f0, f1), y);
          const [w0, w1] = closedForm(rows, ridge, forgetting);
          expect(regression.weights[0]).toBeCloseTo(w0, 6);
          expect(regression.weights[1]).toBeCloseTo(w1, 6);
        },
      ),
      { numRuns: 300, seed: 1129 },
    );
  });

  it('with a prior, starts from its weights and solves the equations with its fading pull added', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -50, max: 50 }), fc.integer({ min: -50, max: 50 }), fc.integer({ min: -255, max: 255 })), { minLength: 1, maxLength: 40 }),
        fc.tuple(fc.double({ min: -2, max: 2, noNaN: true }), fc.double({ min: -2, max: 2, noNaN: true })),
        fc.constantFrom(10, 3000, 1e5),
        fc.constantFrom(0.5, 0.9, 0.999),
        (rows, start, pull, fade) => {
          const prior = { weights: Float64Array.from(start), pull, fade };
          const regression = new RidgeRegression(2, 1, steady(0.999), EVERY_UPDATE, prior);
          expect(Array.from(regression.weights)).toEqual(start);
          for (const [f0, f1, y] of rows) regression.learn(Float64Array.of(f0, f1), y);
          const [w0, w1] = closedForm(rows, 1, 0.999, prior);
          expect(regression.weights[0]).toBeCloseTo(w0, 6);
          expect(regression.weights[1]).toBeCloseTo(w1, 6);
        },
      ),
      { numRuns: 300, seed: 1130 },
    );
    expect(() => new RidgeRegression(3, 1, steady(1), EVERY_UPDATE, { weights: [1, 2], pull: 1, fade: 1 })).toThrow(RangeError);
  });

  it('fits a linear law (with a little noise, so that every solve moves the weights), and re-solves only on its schedule (every 3 updates up to 30, then every 7)', () => {
    const law = [0.5, -1.25, 2, 0.75];
    const regression = new RidgeRegression(4, 1e-6, steady(1), { every: 3, settledAfter: 30, settledEvery: 7 });
    const features = new Float64Array(4);
    let state = 7;
    let solves = 0;
    for (let n = 1; n <= 80; n++) {
      for (let j = 0; j < 4; j++) features[j] = ((state = (state * 1103515245 + 12345) % 2 ** 31) % 41) - 20;
      const before = Float64Array.from(regression.weights);
      regression.learn(features, law.reduce((sum, w, j) => sum + w * features[j], 0) + (n % 5) - 2);
      const solved = n <= 30 ? n % 3 === 0 : n % 7 === 0;
      if (!solved) expect(regression.weights, `update ${n}`).toEqual(before);
      else expect(regression.weights, `update ${n}`).not.toEqual(before);
      if (solved) solves++;
    }
    expect(solves).toBe(10 + 7);
    law.forEach((w, j) => expect(regression.weights[j]).toBeCloseTo(w, 1));
    expect(regression.count).toBe(80);
  });

  it('forgets by `first` up to `after` updates, then by `later`', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -50, max: 50 }), fc.integer({ min: -50, max: 50 }), fc.integer({ min: -255, max: 255 })), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 40 }),
        (rows, after) => {
          const regression = new RidgeRegression(2, 1, { first: 0.9, after, later: 0.99 }, EVERY_UPDATE);
          for (const [f0, f1, y] of rows) regression.learn(Float64Array.of(f0, f1), y);
          // The weights solve the equations of the first `after` rows at 0.9, then the rest at 0.99.
          let [a, b, d, u, v] = [0, 0, 0, 0, 0];
          rows.forEach(([f0, f1, y], k) => {
            const forgetting = k < after ? 0.9 : 0.99;
            [a, b, d] = [a * forgetting + f0 * f0, b * forgetting + f0 * f1, d * forgetting + f1 * f1];
            [u, v] = [u * forgetting + f0 * y, v * forgetting + f1 * y];
          });
          [a, d] = [a + 1, d + 1];
          const det = a * d - b * b;
          expect(regression.weights[0]).toBeCloseTo((u * d - b * v) / det, 6);
          expect(regression.weights[1]).toBeCloseTo((a * v - b * u) / det, 6);
        },
      ),
      { numRuns: 300, seed: 1131 },
    );
  });

  it('computes the weights of the specification arithmetic to the last bit, for every size the predictor uses and more (odd and even rows)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 21 }).chain((size) =>
          fc.record({
            rows: fc.array(fc.array(fc.double({ min: -300, max: 300, noNaN: true }), { minLength: size, maxLength: size }), { minLength: 1, maxLength: 30 }),
            targets: fc.array(fc.double({ min: -255, max: 255, noNaN: true }), { minLength: 30, maxLength: 30 }),
            start: fc.option(fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: size, maxLength: size }), { nil: undefined }),
            every: fc.integer({ min: 1, max: 4 }),
          }),
        ),
        ({ rows, targets, start, every }) => {
          const features = rows.map((row) => Float64Array.from(row));
          const prior = start && { weights: Float64Array.from(start), pull: 3000, fade: 0.999 };
          const regression = new RidgeRegression(features[0].length, 200, steady(0.999), { every, settledAfter: 0, settledEvery: every }, prior);
          features.forEach((f, t) => regression.learn(f, targets[t]));
          expect(Array.from(regression.weights)).toEqual(Array.from(referenceWeights(features, targets, 200, 0.999, every, prior)));
        },
      ),
      { numRuns: 300, seed: 1132 },
    );
  });

  it('keeps finite weights on features that never vary or are all zero (the ridge keeps it solvable)', () => {
    const regression = new RidgeRegression(3, 1, steady(0.999), EVERY_UPDATE);
    for (let n = 0; n < 5000; n++) regression.learn(Float64Array.of(0, 5, 5), n % 2 ? 3 : -3);
    for (const w of regression.weights) expect(Number.isFinite(w)).toBe(true);
    expect(regression.weights[0]).toBe(0);
    expect(Math.abs(regression.predict(Float64Array.of(0, 5, 5)))).toBeLessThan(0.5);
  });
});
