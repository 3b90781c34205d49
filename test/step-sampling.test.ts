// Importance sampling of diffusion steps: probabilities that follow the loss, systematic
// draws that hit each step as often as its probability says, and weights that keep the
// batch's estimate of Σ_i L_i unbiased.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { importanceProbabilities, systematicSteps, uniformProbabilities } from '../src/model/step-sampling.ts';
import { mulberry32 } from '../src/random.ts';

const losses = fc.array(fc.double({ min: 0, max: 10, noNaN: true }), { minLength: 1, maxLength: 70 });

describe('step sampling', () => {
  it('mixes a uniform share with the loss shares, and falls back to uniform when no loss is known', () => {
    fc.assert(fc.property(losses, fc.double({ min: 0.01, max: 1, noNaN: true }), (loss, share) => {
      const p = importanceProbabilities(loss, share);
      const total = loss.reduce((a, b) => a + b, 0);
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
      p.forEach((pi, i) => expect(pi).toBeCloseTo(total > 0 ? share / loss.length + (1 - share) * (loss[i] / total) : 1 / loss.length, 9));
    }));
    expect(Array.from(importanceProbabilities([0, Number.NaN, -1, 0], 0.25))).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it('draws each step ⌊count·p⌋ or ⌈count·p⌉ times, weighted 1/p', () => {
    fc.assert(fc.property(losses, fc.integer({ min: 1, max: 64 }), fc.integer(), (loss, count, seed) => {
      const p = importanceProbabilities(loss, 0.25);
      const { steps, weights } = systematicSteps(p, count, mulberry32(seed));
      const seen = new Array(p.length).fill(0);
      steps.forEach((s, b) => {
        expect(s).toBeGreaterThanOrEqual(1);
        expect(s).toBeLessThanOrEqual(p.length);
        expect(weights[b]).toBeCloseTo(1 / p[s - 1], 3);
        seen[s - 1]++;
      });
      seen.forEach((n, i) => {
        expect(n).toBeGreaterThanOrEqual(Math.floor(count * p[i] - 1e-9));
        expect(n).toBeLessThanOrEqual(Math.ceil(count * p[i] + 1e-9));
      });
    }));
  });

  it('spreads uniform steps evenly: a batch of T holds every step once', () => {
    const { steps, weights } = systematicSteps(uniformProbabilities(64), 64, mulberry32(5));
    expect([...steps].sort((a, b) => a - b)).toEqual(Array.from({ length: 64 }, (_, i) => i + 1));
    expect(weights.every((w) => w === 64)).toBe(true);
  });

  it('keeps the batch mean of weight·loss an unbiased estimate of the summed loss', () => {
    const loss = [5, 2, 1, 0.3, 0.1, 0, 0.01, 0.02];
    const p = importanceProbabilities(loss, 0.2);
    const total = loss.reduce((a, b) => a + b, 0);
    // Averaging over the random offset: sweep it evenly instead of drawing it.
    const sweeps = 4000;
    let mean = 0;
    for (let k = 0; k < sweeps; k++) {
      const { steps, weights } = systematicSteps(p, 3, () => (k + 0.5) / sweeps);
      mean += steps.reduce((sum, s, b) => sum + weights[b] * loss[s - 1], 0) / 3 / sweeps;
    }
    expect(mean).toBeCloseTo(total, 3);
  });
});
