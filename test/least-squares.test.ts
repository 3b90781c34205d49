// The online ridge regression behind version 8's predictor (src/coder/least-squares.ts): it
// solves the forgetting-weighted normal equations, re-solves on schedule, and is a pure
// function of what it was taught.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RidgeRegression } from '../src/coder/least-squares.ts';

/** The weights solving (Σ λ^(n−t) f fᵀ + ridge·I) w = Σ λ^(n−t) f y for two features, by Cramer's rule. */
function closedForm(rows: [number, number, number][], ridge: number, forgetting: number): [number, number] {
  let [a, b, d, u, v] = [0, 0, 0, 0, 0];
  for (const [f0, f1, y] of rows) {
    [a, b, d] = [a * forgetting + f0 * f0, b * forgetting + f0 * f1, d * forgetting + f1 * f1];
    [u, v] = [u * forgetting + f0 * y, v * forgetting + f1 * y];
  }
  a += ridge;
  d += ridge;
  const det = a * d - b * b;
  return [(u * d - b * v) / det, (a * v - b * u) / det];
}

describe('RidgeRegression', () => {
  it('solves the weighted, regularised normal equations', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -50, max: 50 }), fc.integer({ min: -50, max: 50 }), fc.integer({ min: -255, max: 255 })), { minLength: 1, maxLength: 40 }),
        fc.constantFrom(0.5, 1, 100),
        fc.constantFrom(0.9, 0.999, 1),
        (rows, ridge, forgetting) => {
          const regression = new RidgeRegression(2, ridge, forgetting, 1);
          for (const [f0, f1, y] of rows) regression.learn(Float64Array.of(f0, f1), y);
          const [w0, w1] = closedForm(rows, ridge, forgetting);
          expect(regression.weights[0]).toBeCloseTo(w0, 6);
          expect(regression.weights[1]).toBeCloseTo(w1, 6);
        },
      ),
      { numRuns: 300, seed: 1129 },
    );
  });

  it('recovers an exact linear law, and re-solves only every solveEvery updates', () => {
    const law = [0.5, -1.25, 2, 0.75];
    const regression = new RidgeRegression(4, 1e-6, 1, 3);
    const features = new Float64Array(4);
    let state = 7;
    for (let n = 1; n <= 60; n++) {
      for (let j = 0; j < 4; j++) features[j] = ((state = (state * 1103515245 + 12345) % 2 ** 31) % 41) - 20;
      const before = Float64Array.from(regression.weights);
      regression.learn(features, law.reduce((sum, w, j) => sum + w * features[j], 0));
      if (n % 3 !== 0) expect(regression.weights).toEqual(before);
    }
    law.forEach((w, j) => expect(regression.weights[j]).toBeCloseTo(w, 6));
    expect(regression.predict(Float64Array.of(1, 1, 1, 1))).toBeCloseTo(2, 6);
    expect(regression.count).toBe(60);
  });

  it('keeps finite weights on features that never vary or are all zero (the ridge keeps it solvable)', () => {
    const regression = new RidgeRegression(3, 1, 0.999, 1);
    for (let n = 0; n < 5000; n++) regression.learn(Float64Array.of(0, 5, 5), n % 2 ? 3 : -3);
    for (const w of regression.weights) expect(Number.isFinite(w)).toBe(true);
    expect(regression.weights[0]).toBe(0);
    expect(Math.abs(regression.predict(Float64Array.of(0, 5, 5)))).toBeLessThan(0.5);
  });
});
