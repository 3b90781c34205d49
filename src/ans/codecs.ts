// Specified in docs/format.md §5.1.
/**
 * Codec algebra in the style of craystack: a codec is a push/pop pair on a
 * Message. Codecs mutate the message they are given (no copies, so coding
 * millions of symbols allocates nothing per symbol); `Message.clone` keeps a
 * state that must survive.
 *
 * Laws every codec here satisfies, for every message m and every value x the
 * codec accepts:
 *   pop(m) after push(m, x) returns x and leaves m as it was;
 *   push(m, pop(m)) leaves m as it was (pop is total: any state decodes).
 *
 * Order convention (the stack discipline): composite codecs push their parts
 * last-to-first, so pops return them first-to-last, in the order the caller
 * wrote them down.
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
/** Largest alphabet `uniform` accepts: every symbol needs a frequency of at least 1. */
export const MAX_UNIFORM_SIZE = UNIFORM_TOTAL;

/**
 * Pushes i ∈ [0, n), n ≤ 2^24, with frequency ⌊(i+1)·2^24/n⌋ − ⌊i·2^24/n⌋:
 * exactly uniform when n is a power of two, otherwise within n/2^24 of it.
 * Unchecked: the public codec and internal callers validate.
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

/** Uniform code over the integers [0, n), 1 ≤ n ≤ 2^24. */
export function uniform(n: number): Codec<number> {
  if (!Number.isInteger(n) || n < 1 || n > MAX_UNIFORM_SIZE) {
    throw new RangeError(`uniform: alphabet size ${n} is not an integer in [1, 2^24]`);
  }
  return {
    push(m, x) {
      if (!Number.isInteger(x) || x < 0 || x >= n) throw new RangeError(`uniform(${n}): ${x} is out of range`);
      pushUniform(m, x, n);
    },
    pop: (m) => popUniform(m, n),
  };
}

/** Largest width `rawBits` codes: the integers a JS number holds exactly. */
export const MAX_RAW_BITS = 53;
/** Raw bits are moved in chunks of this many bits, each one exact uniform push. */
const RAW_CHUNK_BITS = MAX_PRECISION_BITS;
const RAW_CHUNK_BASE = powerOfTwo(RAW_CHUNK_BITS);

/**
 * Uniform code over the integers [0, 2^nbits), 0 ≤ nbits ≤ 53, values as
 * plain numbers. Wider payloads are sequences of these (e.g.
 * `repeat(rawBits(32), words)`). Chunks of 24 bits are pushed least
 * significant first, so pops read the most significant first.
 */
export function rawBits(nbits: number): Codec<number> {
  if (!Number.isInteger(nbits) || nbits < 0 || nbits > MAX_RAW_BITS) {
    throw new RangeError(`rawBits: width ${nbits} is not an integer in [0, ${MAX_RAW_BITS}]`);
  }
  const limit = powerOfTwo(nbits);
  const chunkCount = Math.ceil(nbits / RAW_CHUNK_BITS);
  // Only the most significant chunk can be narrower than RAW_CHUNK_BITS.
  const topChunkBits = nbits - (chunkCount - 1) * RAW_CHUNK_BITS;
  return {
    push(m, x) {
      if (!Number.isInteger(x) || x < 0 || x >= limit) throw new RangeError(`rawBits(${nbits}): ${x} is out of range`);
      let rest = x;
      for (let chunk = 0; chunk < chunkCount; chunk++) {
        const bits = chunk === chunkCount - 1 ? topChunkBits : RAW_CHUNK_BITS;
        const upper = Math.floor(rest / RAW_CHUNK_BASE);
        m.push(rest - upper * RAW_CHUNK_BASE, 1, bits);
        rest = upper;
      }
    },
    pop(m) {
      let value = 0;
      for (let chunk = chunkCount - 1; chunk >= 0; chunk--) {
        const bits = chunk === chunkCount - 1 ? topChunkBits : RAW_CHUNK_BITS;
        const slot = m.peek(bits);
        m.pop(slot, 1, bits);
        value = value * RAW_CHUNK_BASE + slot;
      }
      return value;
    },
  };
}

/**
 * Categorical code over [0, freqs.length) with P(i) = freqs[i] / 2^precisionBits.
 * The frequencies must sum to exactly 2^precisionBits; a symbol with
 * frequency 0 can never be pushed (RangeError) and is never popped.
 * Pop finds the symbol by binary search in the cumulative table.
 */
export function categorical(freqs: Uint32Array, precisionBits: number): Codec<number> {
  if (!Number.isInteger(precisionBits) || precisionBits < 0 || precisionBits > MAX_PRECISION_BITS) {
    throw new RangeError(`categorical: precision ${precisionBits} is not an integer in [0, ${MAX_PRECISION_BITS}]`);
  }
  const symbolCount = freqs.length;
  const cumulative = new Float64Array(symbolCount + 1);
  for (let i = 0; i < symbolCount; i++) cumulative[i + 1] = cumulative[i] + freqs[i];
  if (cumulative[symbolCount] !== powerOfTwo(precisionBits)) {
    throw new RangeError(`categorical: frequencies sum to ${cumulative[symbolCount]}, not 2^${precisionBits}`);
  }
  return {
    push(m, x) {
      if (!Number.isInteger(x) || x < 0 || x >= symbolCount || freqs[x] === 0) {
        throw new RangeError(`categorical: symbol ${x} is out of range or has frequency 0`);
      }
      m.push(cumulative[x], freqs[x], precisionBits);
    },
    pop(m) {
      const slot = m.peek(precisionBits);
      // Largest i with cumulative[i] ≤ slot; zero-frequency symbols share their
      // start with the next symbol, so the search never stops on one.
      let low = 0;
      let high = symbolCount;
      while (high - low > 1) {
        const middle = (low + high) >>> 1;
        if (cumulative[middle] <= slot) low = middle;
        else high = middle;
      }
      m.pop(cumulative[low], freqs[low], precisionBits);
      return low;
    },
  };
}

type CodecsOf<T extends readonly unknown[]> = { readonly [K in keyof T]: Codec<T[K]> };

/**
 * Codes a fixed-length tuple, element k with codecs[k]. Pushes the last
 * element first so that pop returns the elements in order.
 */
export function sequence<const T extends readonly unknown[]>(codecs: CodecsOf<T>): Codec<T> {
  const parts = codecs as readonly Codec<unknown>[];
  return {
    push(m, values) {
      if (values.length !== parts.length) {
        throw new RangeError(`sequence: expected ${parts.length} values, got ${values.length}`);
      }
      for (let k = parts.length - 1; k >= 0; k--) parts[k].push(m, values[k]);
    },
    pop(m) {
      const values = new Array<unknown>(parts.length);
      for (let k = 0; k < parts.length; k++) values[k] = parts[k].pop(m);
      return values as unknown as T;
    },
  };
}

/** Codes an array of exactly `count` values, each with `codec`, in the order of `sequence`. */
export function repeat<T>(codec: Codec<T>, count: number): Codec<T[]> {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`repeat: count ${count} is not a natural number`);
  return {
    push(m, values) {
      if (values.length !== count) throw new RangeError(`repeat: expected ${count} values, got ${values.length}`);
      for (let k = count - 1; k >= 0; k--) codec.push(m, values[k]);
    },
    pop(m) {
      const values = new Array<T>(count);
      for (let k = 0; k < count; k++) values[k] = codec.pop(m);
      return values;
    },
  };
}
