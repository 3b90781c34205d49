import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Codec } from '../src/ans/index.ts';
import { boundedGaussian, discretisedGaussian, MAX_UNIFORM_SIZE, Message, popUniform, pushUniform, uniformBits } from '../src/ans/index.ts';
import { checkLaws, sameState, someMessage } from './ans-arbitraries.ts';

/** pushUniform / popUniform over [0, n) as a codec, for the laws. */
const uniform = (n: number): Codec<number> => ({ push: (m, x) => pushUniform(m, x, n), pop: (m) => popUniform(m, n) });

/** A codec paired with a value it accepts. */
type Case = { codec: Codec<unknown>; value: unknown };

const sizes = fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: MAX_UNIFORM_SIZE }), fc.constantFrom(1, MAX_UNIFORM_SIZE, 2 ** 16));
const uniformCase: fc.Arbitrary<Case> = sizes.chain((n) => fc.integer({ min: 0, max: n - 1 }).map((value) => ({ codec: uniform(n) as Codec<unknown>, value })));

/** The coder's Gaussians, to interleave with uniform symbols as the payload does. */
const gaussianCase: fc.Arbitrary<Case> = fc
  .record({ mu: fc.double({ min: -50, max: 50, noNaN: true }), sigma: fc.double({ min: 0.3, max: 20, noNaN: true }), bin: fc.integer({ min: -60, max: 60 }) })
  .map(({ mu, sigma, bin }) => ({ codec: discretisedGaussian(mu, sigma, 1) as Codec<unknown>, value: bin }));
const pixelCase: fc.Arbitrary<Case> = fc
  .record({ mu: fc.double({ min: 0, max: 255, noNaN: true }), sigma: fc.double({ min: 0.5, max: 40, noNaN: true }), x: fc.integer({ min: 0, max: 255 }) })
  .map(({ mu, sigma, x }) => ({ codec: boundedGaussian(0, 255, mu, sigma, 1) as Codec<unknown>, value: x }));

describe('the uniform code', () => {
  it('obeys both laws on any message, for every alphabet size up to 2^24', () => {
    fc.assert(fc.property(someMessage, uniformCase, (m, { codec, value }) => checkLaws(codec, m, value)));
  });

  it('interleaved with the Gaussian codecs, pops a run of pushes back in reverse', () => {
    fc.assert(
      fc.property(someMessage, fc.array(fc.oneof(uniformCase, gaussianCase, pixelCase), { maxLength: 60 }), (m, cases) => {
        const before = m.clone();
        for (const { codec, value } of cases) codec.push(m, value);
        for (let k = cases.length - 1; k >= 0; k--) expect(cases[k].codec.pop(m)).toEqual(cases[k].value);
        expect(sameState(m, before)).toBe(true);
        expect(sameState(Message.fromBytes(m.toBytes()), before)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('costs what uniformBits says: log2 n bits, exactly for powers of two', () => {
    const m = new Message();
    const start = m.bitLength();
    let ideal = 0;
    for (let k = 0; k < 20_000; k++) {
      pushUniform(m, k % 1000, 1000);
      ideal += uniformBits(k % 1000, 1000);
      pushUniform(m, k % 256, 256);
      ideal += 8;
    }
    expect(uniformBits(5, 256)).toBe(8);
    expect(Math.abs(m.bitLength() - start - ideal)).toBeLessThan(ideal * 1e-5 + 64);
  });
});
