// Specified in docs/format.md §5.1.
/**
 * Codec algebra in the style of craystack: a codec is a push/pop pair on a
 * Message. Codecs mutate the message they are given (no copies, so coding
 * millions of symbols allocates nothing per symbol); `Message.clone` keeps a
 * state that must survive.
 *
 * Laws every codec satisfies, for every message m and every value x the
 * codec accepts:
 *   pop(m) after push(m, x) returns x and leaves m as it was;
 *   push(m, pop(m)) leaves m as it was (pop is total: any state decodes).
 * The codecs themselves are in gaussian.ts; here is the uniform code the
 * container's small fields and the chain's seed words use.
 */
import { Message, MAX_PRECISION_BITS } from './message.ts';
import { powerOfTwo } from './powers-of-two.ts';

export interface Codec<T> {
  /** Encodes x onto m, in place. Throws a RangeError if x is outside the codec's alphabet. */
  push(m: Message, x: T): void;
  /** Decodes and removes the top value of m, in place. Never fails. */
  pop(m: Message): T;
}

/** Precision every uniform code below uses. */
const UNIFORM_PRECISION_BITS = MAX_PRECISION_BITS;
const UNIFORM_TOTAL = powerOfTwo(UNIFORM_PRECISION_BITS);
/** Largest alphabet `pushUniform` takes: every symbol needs a frequency of at least 1. */
export const MAX_UNIFORM_SIZE = UNIFORM_TOTAL;

/**
 * Pushes i ∈ [0, n), n ≤ 2^24, with frequency ⌊(i+1)·2^24/n⌋ − ⌊i·2^24/n⌋:
 * exactly uniform when n is a power of two, otherwise within n/2^24 of it.
 * Unchecked: callers validate.
 */
export function pushUniform(m: Message, i: number, n: number): void {
  const start = Math.floor((i * UNIFORM_TOTAL) / n);
  const end = Math.floor(((i + 1) * UNIFORM_TOTAL) / n);
  m.push(start, end - start, UNIFORM_PRECISION_BITS);
}

/** Inverse of `pushUniform`. */
export function popUniform(m: Message, n: number): number {
  const slot = m.peek(UNIFORM_PRECISION_BITS);
  // The largest i with ⌊i·2^24/n⌋ ≤ slot; every product here is below 2^49.
  const i = Math.floor(((slot + 1) * n - 1) / UNIFORM_TOTAL);
  const start = Math.floor((i * UNIFORM_TOTAL) / n);
  const end = Math.floor(((i + 1) * UNIFORM_TOTAL) / n);
  m.pop(start, end - start, UNIFORM_PRECISION_BITS);
  return i;
}

/** Bits `pushUniform` spends on i ∈ [0, n): −log2 of its frequency share. Accounting only. */
export function uniformBits(i: number, n: number): number {
  const freq = Math.floor(((i + 1) * UNIFORM_TOTAL) / n) - Math.floor((i * UNIFORM_TOTAL) / n);
  return UNIFORM_PRECISION_BITS - Math.log2(freq);
}
