// Importance sampling of diffusion steps in the trainer (training/train.py): probabilities
// that follow the loss, systematic draws that hit each step as often as its probability says,
// and weights that keep the batch's estimate of Σ_i L_i unbiased.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { describeTorch, runCheck } from './trainer-harness.ts';

interface Case {
  loss: number[];
  share: number;
  count: number;
  offsets: number[];
}
interface Result {
  probabilities: number[];
  draws: { steps: number[]; weights: number[] }[];
}

/** Runs the cases through the trainer's own functions in one Python process. */
function sample(cases: Case[]): Result[] {
  const folder = runCheck({ channels: 3, patch: 8, T: 4, widths: [8], blocks: 1 }, new Float32Array(0), { kind: 'sampling', cases }, {});
  return JSON.parse(readFileSync(join(folder, 'sampling.json'), 'utf8')) as Result[];
}

const losses = fc.array(fc.double({ min: 0, max: 10, noNaN: true }), { minLength: 1, maxLength: 70 });

describeTorch('step sampling', () => {
  it('mixes a uniform share with the loss shares, and falls back to uniform when no loss is known', () => {
    const cases: Case[] = fc.sample(fc.record({ loss: losses, share: fc.double({ min: 0.01, max: 1, noNaN: true }), count: fc.constant(1), offsets: fc.constant([]) }), { numRuns: 100, seed: 1 });
    cases.push({ loss: [0, -1, 0, 0], share: 0.25, count: 1, offsets: [] });
    sample(cases).forEach(({ probabilities: p }, k) => {
      const { loss, share } = cases[k];
      const total = loss.reduce((a, b) => a + Math.max(0, b), 0);
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
      p.forEach((pi, i) => expect(pi).toBeCloseTo(total > 0 ? share / loss.length + (1 - share) * (Math.max(0, loss[i]) / total) : 1 / loss.length, 9));
    });
  });

  it('draws each step ⌊count·p⌋ or ⌈count·p⌉ times, weighted 1/p; a uniform batch of T holds every step once', () => {
    const cases: Case[] = fc.sample(fc.record({ loss: losses, share: fc.constant(0.25), count: fc.integer({ min: 1, max: 64 }), offsets: fc.array(fc.double({ min: 0, max: 0.999999, noNaN: true }), { minLength: 1, maxLength: 3 }) }), { numRuns: 100, seed: 2 });
    const uniform: Case = { loss: new Array(64).fill(1), share: 1, count: 64, offsets: [0.37] };
    const results = sample([...cases, uniform]);
    cases.forEach(({ count }, k) => {
      const p = results[k].probabilities;
      for (const { steps, weights } of results[k].draws) {
        expect(steps.length).toBe(count);
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
      }
    });
    const { steps, weights } = results[cases.length].draws[0];
    expect([...steps].sort((a, b) => a - b)).toEqual(Array.from({ length: 64 }, (_, i) => i + 1));
    expect(weights.every((w) => w === 64)).toBe(true);
  });

  it('keeps the batch mean of weight·loss an unbiased estimate of the summed loss', () => {
    const loss = [5, 2, 1, 0.3, 0.1, 0, 0.01, 0.02];
    const total = loss.reduce((a, b) => a + b, 0);
    // Averaging over the random offset: sweep it evenly instead of drawing it.
    const sweeps = 4000;
    const [{ draws }] = sample([{ loss, share: 0.2, count: 3, offsets: Array.from({ length: sweeps }, (_, k) => (k + 0.5) / sweeps) }]);
    const mean = draws.reduce((sum, { steps, weights }) => sum + steps.reduce((s, step, b) => s + weights[b] * loss[step - 1], 0) / 3, 0) / sweeps;
    expect(mean).toBeCloseTo(total, 3);
  });
});
