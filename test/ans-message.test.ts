import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HEAD_MIN_BITS, MAX_PRECISION_BITS, Message, WORD_BITS } from '../src/ans/index.ts';
import { arbitraryMessage, messageBytes, sameState, someMessage } from './ans-arbitraries.ts';

/** A precision and an interval [start, start + freq) inside 2^precision. */
const arbitraryInterval = fc
  .integer({ min: 0, max: MAX_PRECISION_BITS })
  .chain((precision) =>
    fc
      .integer({ min: 1, max: 2 ** precision })
      .chain((freq) =>
        fc.record({
          precision: fc.constant(precision),
          freq: fc.constant(freq),
          start: fc.integer({ min: 0, max: 2 ** precision - freq }),
        }),
      ),
  );

describe('Message', () => {
  it('serialises the empty message as borrowed = 0 and head = 2^36', () => {
    const bytes = new Message().toBytes();
    expect(Array.from(bytes)).toEqual([0, 0, 0, 0, 0, 0x10, 0, 0]);
    expect(new Message().bitLength()).toBe(HEAD_MIN_BITS);
  });

  it('starts at any initial head in [2^36, 2^52), and popping everything pushed ends there again', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 16 - 2 }), fc.integer({ min: 0, max: 2 ** 36 - 1 }), fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 60 }), (high, low, symbols) => {
        const start = (1 + high) * 2 ** 36 + low;
        const m = new Message(start);
        for (const s of symbols) m.push(s, 1, 8);
        const back = Message.fromBytes(m.toBytes());
        for (const s of [...symbols].reverse()) {
          expect(back.peek(8)).toBe(s);
          back.pop(s, 1, 8);
        }
        expect(back.equals(new Message(start))).toBe(true);
        expect(back.equals(new Message())).toBe(start === 2 ** 36);
      }),
    );
    for (const bad of [2 ** 36 - 1, 2 ** 52, 2 ** 40 + 0.5, Number.NaN]) expect(() => new Message(bad)).toThrow(RangeError);
  });

  it('round-trips through bytes', () => {
    fc.assert(
      fc.property(someMessage, (m) => {
        const bytes = m.toBytes();
        expect(bytes.length).toBe(m.byteLength());
        expect(Message.fromBytes(bytes).equals(m)).toBe(true);
        expect(Array.from(Message.fromBytes(bytes).toBytes())).toEqual(Array.from(bytes));
      }),
    );
  });

  it('pop after push restores the interval and the message', () => {
    fc.assert(
      fc.property(someMessage, arbitraryInterval, (m, { precision, start, freq }) => {
        const before = m.clone();
        m.push(start, freq, precision);
        const slot = m.peek(precision);
        expect(slot).toBeGreaterThanOrEqual(start);
        expect(slot).toBeLessThan(start + freq);
        m.pop(start, freq, precision);
        expect(sameState(m, before)).toBe(true);
      }),
    );
  });

  it('push after pop restores any message, the empty one included', () => {
    fc.assert(
      fc.property(someMessage, arbitraryInterval, fc.double({ min: 0, max: 1, noNaN: true }), (m, interval, where) => {
        const { precision, freq } = interval;
        const before = m.clone();
        const slot = m.peek(precision);
        // Any interval of width freq that holds the slot.
        const lowest = Math.max(0, slot - freq + 1);
        const highest = Math.min(slot, 2 ** precision - freq);
        const start = lowest + Math.floor(where * (highest - lowest));
        m.pop(start, freq, precision);
        m.push(start, freq, precision);
        expect(sameState(m, before)).toBe(true);
      }),
    );
  });

  it('pops interleaved pushes back in reverse order', () => {
    fc.assert(
      fc.property(someMessage, fc.array(arbitraryInterval, { maxLength: 200 }), (m, intervals) => {
        const before = m.clone();
        for (const { precision, start, freq } of intervals) m.push(start, freq, precision);
        for (let k = intervals.length - 1; k >= 0; k--) {
          const { precision, start, freq } = intervals[k];
          const slot = m.peek(precision);
          expect(slot >= start && slot < start + freq).toBe(true);
          m.pop(start, freq, precision);
        }
        expect(sameState(m, before)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('borrows zero words below an empty tail and gives them back', () => {
    const m = new Message();
    const slots: number[] = [];
    for (let k = 0; k < 100; k++) {
      const slot = m.peek(20);
      slots.push(slot);
      m.pop(slot, 1, 20);
    }
    // 100 pops of 20 bits each: the message owes ≈ 2000 bits.
    expect(m.bitLength() - HEAD_MIN_BITS).toBeCloseTo(-2000, 0);
    expect(m.toBytes()[0]).toBeGreaterThan(0);
    for (let k = slots.length - 1; k >= 0; k--) m.push(slots[k], 1, 20);
    expect(sameState(m, new Message())).toBe(true);
  });

  it('keeps real zero words distinct from borrowed ones', () => {
    const m = Message.fromBytes(messageBytes(1n << 40n, Uint16Array.of(0, 0), 0));
    const copy = m.clone();
    for (let k = 0; k < 10; k++) m.pop(m.peek(24), 1, 24);
    expect(sameState(m, copy)).toBe(false);
    // Going back must not collapse the two real zeros into the borrowed count.
    const undo: number[] = [];
    const replay = copy.clone();
    for (let k = 0; k < 10; k++) {
      undo.push(replay.peek(24));
      replay.pop(replay.peek(24), 1, 24);
    }
    for (let k = undo.length - 1; k >= 0; k--) m.push(undo[k], 1, 24);
    expect(sameState(m, copy)).toBe(true);
  });

  it('measures information: a push of frequency f at precision P adds ≈ P − log2 f bits', () => {
    fc.assert(
      fc.property(arbitraryMessage, arbitraryInterval, (m, { precision, start, freq }) => {
        const before = m.bitLength();
        m.push(start, freq, precision);
        // The rANS head moves by the ideal amount up to log2(1 + 2^(P−36)) ≈ 2^(P−36)·1.44 bits.
        expect(Math.abs(m.bitLength() - before - (precision - Math.log2(freq)))).toBeLessThan(1e-3);
      }),
    );
  });

  it('clones independently', () => {
    const m = new Message();
    m.push(5, 3, 10);
    const copy = m.clone();
    for (let k = 0; k < 1000; k++) m.push(k % 1024, 1, 10);
    expect(copy.bitLength()).toBeLessThan(m.bitLength());
    expect(copy.byteLength()).toBe(8);
  });

  it('rejects bytes no message produces', () => {
    const valid = messageBytes(1n << 40n, Uint16Array.of(7), 0);
    expect(() => Message.fromBytes(valid.subarray(0, 5))).toThrow(RangeError);
    expect(() => Message.fromBytes(Uint8Array.of(...valid, 1))).toThrow(RangeError);
    expect(() => Message.fromBytes(messageBytes(1n << 35n, new Uint16Array(0), 0))).toThrow(RangeError);
    expect(() => Message.fromBytes(messageBytes(1n << 52n, new Uint16Array(0), 0))).toThrow(RangeError);
    expect(() => Message.fromBytes(Uint8Array.of(0x80, 0x00, ...valid.subarray(1)))).toThrow(RangeError);
    expect(() => Message.fromBytes(new Uint8Array(0))).toThrow(RangeError);
    expect(() => Message.fromBytes(Uint8Array.of(...new Array(8).fill(0xff), 1, ...valid.subarray(1)))).toThrow(RangeError);
    const manyBorrowed = Message.fromBytes(messageBytes(1n << 40n, new Uint16Array(0), 2 ** 49 - 1));
    expect(Array.from(manyBorrowed.toBytes())).toEqual(Array.from(messageBytes(1n << 40n, new Uint16Array(0), 2 ** 49 - 1)));
    expect(() => Message.fromBytes(messageBytes(1n << 40n, Uint16Array.of(0, 5), 1))).toThrow(RangeError);
    expect(Message.fromBytes(messageBytes(1n << 40n, Uint16Array.of(5, 0), 1)).byteLength()).toBe(12);
  });

  it("lends its state to a decoder elsewhere and takes back what that decoder's pops left", () => {
    const m = Message.fromBytes(messageBytes(3n << 40n, Uint16Array.of(7, 8, 9, 10), 2));
    const { head, tail, borrowed } = m.lend();
    expect([head, Array.from(tail), borrowed]).toEqual([3 * 2 ** 40, [7, 8, 9, 10], 2]);
    // Two words popped off the top, the head moved, one more word borrowed.
    m.resume(2 ** 45 + 17, 2, 3);
    expect(Array.from(m.toBytes())).toEqual(Array.from(messageBytes((1n << 45n) + 17n, Uint16Array.of(7, 8), 3)));
    expect(() => m.resume(2 ** 40, 3, 3)).toThrow('can only lose tail words');
    expect(() => m.resume(2 ** 40, 2, 2)).toThrow('can only borrow more');
    for (const bad of [2 ** 36 - 1, 2 ** 52, 2 ** 40 + 0.5]) expect(() => m.resume(bad, 2, 3)).toThrow('out of range');
  });

  it('moves exactly one word to the tail per 16 raw bits', () => {
    const m = new Message();
    for (let k = 0; k < 10_000; k++) m.push(k & 0xffff, 1, WORD_BITS);
    expect(m.byteLength()).toBe(1 + 7 + 2 * 10_000);
    for (let k = 10_000 - 1; k >= 0; k--) {
      expect(m.peek(WORD_BITS)).toBe(k & 0xffff);
      m.pop(k & 0xffff, 1, WORD_BITS);
    }
    expect(sameState(m, new Message())).toBe(true);
  });
});
