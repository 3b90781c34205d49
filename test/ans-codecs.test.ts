import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Codec } from '../src/ans/index.ts';
import { categorical, Message, rawBits, repeat, sequence, uniform, uniformBits } from '../src/ans/index.ts';
import { checkLaws, sameState, someMessage } from './ans-arbitraries.ts';

/** A codec paired with a value it accepts. */
type Case = { codec: Codec<unknown>; value: unknown };

const uniformCase: fc.Arbitrary<Case> = fc
  .oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 2 ** 24 }), fc.constantFrom(1, 2 ** 24, 2 ** 16))
  .chain((n) => fc.integer({ min: 0, max: n - 1 }).map((value) => ({ codec: uniform(n) as Codec<unknown>, value })));

const rawBitsCase: fc.Arbitrary<Case> = fc
  .integer({ min: 0, max: 53 })
  .chain((nbits) =>
    fc
      .oneof(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.constant(0), fc.constant(1 - 2 ** -53))
      .map((where) => ({ codec: rawBits(nbits) as Codec<unknown>, value: Math.floor(where * 2 ** nbits) })),
  );

/** Frequencies summing to 2^precision, some of them zero. */
const arbitraryFrequencies = fc
  .record({ precision: fc.integer({ min: 0, max: 24 }), weights: fc.array(fc.nat(1000), { minLength: 1, maxLength: 40 }) })
  .map(({ precision, weights }) => {
    const total = 2 ** precision;
    const freqs = new Uint32Array(weights.length);
    const weightSum = weights.reduce((a, b) => a + b, 0) || 1;
    let assigned = 0;
    for (let i = 0; i < weights.length; i++) {
      freqs[i] = Math.floor((weights[i] * total) / weightSum);
      assigned += freqs[i];
    }
    freqs[weights.length - 1] += total - assigned;
    return { precision, freqs };
  });

const categoricalCase: fc.Arbitrary<Case> = arbitraryFrequencies.chain(({ precision, freqs }) => {
  const allowed = Array.from(freqs.keys()).filter((i) => freqs[i] > 0);
  return fc.constantFrom(...allowed).map((value) => ({ codec: categorical(freqs, precision) as Codec<unknown>, value }));
});

const anyCase = fc.oneof(uniformCase, rawBitsCase, categoricalCase);

describe('codecs', () => {
  it('uniform obeys both laws on any message', () => {
    fc.assert(fc.property(someMessage, uniformCase, (m, { codec, value }) => checkLaws(codec, m, value)));
  });

  it('rawBits obeys both laws on any message', () => {
    fc.assert(fc.property(someMessage, rawBitsCase, (m, { codec, value }) => checkLaws(codec, m, value)));
  });

  it('categorical obeys both laws and never pops a zero-frequency symbol', () => {
    fc.assert(
      fc.property(someMessage, categoricalCase, (m, { codec, value }) => {
        checkLaws(codec, m, value);
      }),
    );
    fc.assert(
      fc.property(someMessage, arbitraryFrequencies, (m, { precision, freqs }) => {
        expect(freqs[categorical(freqs, precision).pop(m)]).toBeGreaterThan(0);
      }),
    );
  });

  it('pops an interleaved run of pushes back in reverse', () => {
    fc.assert(
      fc.property(someMessage, fc.array(anyCase, { maxLength: 60 }), (m, cases) => {
        const before = m.clone();
        for (const { codec, value } of cases) codec.push(m, value);
        for (let k = cases.length - 1; k >= 0; k--) expect(cases[k].codec.pop(m)).toEqual(cases[k].value);
        expect(sameState(m, before)).toBe(true);
        expect(sameState(Message.fromBytes(m.toBytes()), before)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('sequence and repeat pop in the order the values were written', () => {
    const header: Codec<readonly [number, number, number]> = sequence([
      uniform(3),
      rawBits(40),
      categorical(Uint32Array.of(1, 0, 3), 2),
    ]);
    const value = [2, 2 ** 39 + 12345, 2] as const;
    fc.assert(fc.property(someMessage, (m) => checkLaws(header, m, value)));

    // A sequence pushes its last element first: the first element is on top.
    const m = new Message();
    header.push(m, value);
    expect(uniform(3).pop(m)).toBe(2);

    const bytes = repeat(rawBits(8), 5);
    fc.assert(
      fc.property(someMessage, fc.array(fc.nat(255), { minLength: 5, maxLength: 5 }), (m2, values) =>
        checkLaws(bytes, m2, values),
      ),
    );
    const m3 = new Message();
    bytes.push(m3, [1, 2, 3, 4, 5]);
    expect(rawBits(8).pop(m3)).toBe(1);
  });

  it('costs what the frequencies say', () => {
    const m = new Message();
    const start = m.bitLength();
    const freqs = Uint32Array.of(1, 2, 5, 8);
    const codec = categorical(freqs, 4);
    let ideal = 0;
    for (let k = 0; k < 20_000; k++) {
      const symbol = k % 4;
      codec.push(m, symbol);
      ideal += 4 - Math.log2(freqs[symbol]);
      uniform(1000).push(m, k % 1000);
      ideal += uniformBits(k % 1000, 1000);
      rawBits(53).push(m, k * 12345);
      ideal += 53;
    }
    expect(Math.abs(m.bitLength() - start - ideal)).toBeLessThan(ideal * 1e-5 + 64);
  });

  it('rejects values outside the alphabet without touching the message', () => {
    const m = new Message();
    m.push(3, 4, 10);
    const before = m.clone();
    expect(() => uniform(10).push(m, 10)).toThrow(RangeError);
    expect(() => uniform(10).push(m, 1.5)).toThrow(RangeError);
    expect(() => rawBits(8).push(m, 256)).toThrow(RangeError);
    expect(() => categorical(Uint32Array.of(2, 0, 2), 2).push(m, 1)).toThrow(RangeError);
    expect(() => sequence([uniform(2)]).push(m, [0, 1] as unknown as [number])).toThrow(RangeError);
    expect(() => repeat(uniform(2), 3).push(m, [0])).toThrow(RangeError);
    expect(sameState(m, before)).toBe(true);
    expect(() => uniform(0)).toThrow(RangeError);
    expect(() => uniform(2 ** 24 + 1)).toThrow(RangeError);
    expect(() => rawBits(54)).toThrow(RangeError);
    expect(() => categorical(Uint32Array.of(1, 2), 2)).toThrow(RangeError);
    expect(() => categorical(Uint32Array.of(1, 2 ** 25 - 1), 25)).toThrow(RangeError);
  });
});
