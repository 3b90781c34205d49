/** fast-check arbitraries shared by the rANS tests. */
import fc from 'fast-check';
import { expect } from 'vitest';
import { HEAD_LIMIT_BITS, HEAD_MIN_BITS, Message, type Codec } from '../src/ans/index.ts';

/** Serialises message parts in the documented layout (independently of Message.toBytes). */
export function messageBytes(head: bigint, tail: Uint16Array, borrowed: number): Uint8Array {
  const bytes: number[] = [];
  let rest = borrowed;
  while (rest >= 128) {
    bytes.push((rest % 128) | 128);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  for (let k = 0n; k < 7n; k++) bytes.push(Number((head >> (8n * k)) & 0xffn));
  for (const word of tail) bytes.push(word & 0xff, word >>> 8);
  return Uint8Array.from(bytes);
}

/** Any valid message state: head anywhere in range, a random tail, sometimes borrowed words. */
export const arbitraryMessage: fc.Arbitrary<Message> = fc
  .record({
    head: fc.bigInt({ min: 1n << BigInt(HEAD_MIN_BITS), max: (1n << BigInt(HEAD_LIMIT_BITS)) - 1n }),
    tail: fc.uint16Array({ maxLength: 24 }),
    borrowed: fc.oneof(fc.constant(0), fc.nat(3), fc.nat(1000)),
  })
  .map(({ head, tail, borrowed }) => {
    // A zero bottom word would cancel a borrowed one; such states do not exist.
    if (borrowed > 0 && tail.length > 0 && tail[0] === 0) tail[0] = 1;
    return Message.fromBytes(messageBytes(head, tail, borrowed));
  });

/** The empty message, or any message. */
export const someMessage: fc.Arbitrary<Message> = fc.oneof(fc.constant(null).map(() => new Message()), arbitraryMessage);

export function sameState(a: Message, b: Message): boolean {
  const x = a.toBytes();
  const y = b.toBytes();
  return x.length === y.length && x.every((byte, k) => byte === y[k]);
}

/** Checks both codec laws on one message and one value. */
export function checkLaws<T>(codec: Codec<T>, m: Message, x: T): void {
  const before = m.clone();
  codec.push(m, x);
  expect(codec.pop(m)).toEqual(x);
  expect(sameState(m, before)).toBe(true);
  const popped = codec.pop(m);
  codec.push(m, popped);
  expect(sameState(m, before)).toBe(true);
}
