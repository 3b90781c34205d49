// Specified in docs/format.md §4.
/**
 * rANS message with stack semantics: `push` encodes a symbol interval, `pop`
 * decodes one. The state is a head (an integer kept in [HEAD_MIN, HEAD_LIMIT))
 * plus a tail stack of 16-bit words.
 *
 * Why 16-bit words and not 32: rANS needs the head's lower bound L to be a
 * multiple of the probability total 2^P, and the head to range over [L, L·2^w)
 * for word size w. With P = 24 and w = 32 the head would need 56 bits, above
 * the 2^53 that a JS number holds exactly (BigInt is far slower). With w = 16,
 * L = 2^36 the head stays below 2^52, so every product and quotient in push
 * and pop is an exact double operation, and the ratio L / 2^P = 2^12 keeps the
 * rANS rounding loss negligible (about 1e-8 relative, measured by the
 * efficiency test in test/ans-gaussian.test.ts and by bench:ans).
 *
 * Pop is total: below the bottom of the tail the message behaves as an
 * infinite stream of zero words. Each zero read from there increments
 * `borrowed`; pushing a zero word onto an empty tail while `borrowed > 0`
 * decrements it instead of storing it. The tail therefore never starts with
 * a zero word while borrowed > 0 (that zero would cancel a borrowed one), and
 * on every state with this invariant, the empty message included, push and
 * pop are exact inverses. `fromBytes` rejects states that break it.
 */
import { powerOfTwo } from './powers-of-two.ts';
import { varintLength } from '../format/leb128.ts';

/** Bits per tail word. */
export const WORD_BITS = 16;
/** Largest probability precision (log2 of the frequency total) push/pop accept. */
export const MAX_PRECISION_BITS = 24;
/** The head never drops below 2^HEAD_MIN_BITS (rANS lower bound L). */
export const HEAD_MIN_BITS = 36;
/** The head always stays below 2^HEAD_LIMIT_BITS = L·2^WORD_BITS. */
export const HEAD_LIMIT_BITS = HEAD_MIN_BITS + WORD_BITS;

/** 2^k and 2^−k for k ∈ [0, 64], indexed by k: the hot path reads arrays, not a function. */
const POW2 = new Float64Array(65);
const INV_POW2 = new Float64Array(65);
for (let k = 0; k <= 64; k++) {
  POW2[k] = powerOfTwo(k);
  INV_POW2[k] = powerOfTwo(-k);
}

const WORD_BASE = POW2[WORD_BITS];
const INV_WORD_BASE = INV_POW2[WORD_BITS];
const HEAD_MIN = POW2[HEAD_MIN_BITS];
const HEAD_LIMIT = POW2[HEAD_LIMIT_BITS];
/** Bytes the head takes in the serialised form (52 bits → 7 bytes). */
const HEAD_BYTES = 7;
const INITIAL_TAIL_CAPACITY = 64;

export class Message {
  /** rANS state, an integer in [2^36, 2^52). */
  private head: number;
  /** Tail stack; words [0, tailLength) are live, the top is at tailLength − 1. */
  private tail: Uint16Array;
  private tailLength: number;
  /** Zero words read from below the bottom of the tail and not yet given back. */
  private borrowed: number;

  /**
   * The empty message: head at its lower bound, empty tail, nothing borrowed; or, given
   * `initialHead` (an integer in [2^36, 2^52)), an empty message whose head starts there.
   * The head is always stored whole, so its starting value rides along almost free (a head
   * that starts at 2^k costs k − 36 bits more): a decoder that pops everything ends at it
   * again, which makes it a check (the coder keeps a pixel checksum there).
   */
  constructor(initialHead = HEAD_MIN) {
    if (!(Number.isInteger(initialHead) && initialHead >= HEAD_MIN && initialHead < HEAD_LIMIT)) {
      throw new RangeError(`initial head ${initialHead} is not an integer in [2^${HEAD_MIN_BITS}, 2^${HEAD_LIMIT_BITS})`);
    }
    this.head = initialHead;
    this.tail = new Uint16Array(INITIAL_TAIL_CAPACITY);
    this.tailLength = 0;
    this.borrowed = 0;
  }

  /**
   * Encodes the interval [start, start + freq) of a total 2^precisionBits.
   * Preconditions (checked by the codecs, not here, to keep this hot path
   * lean): integers with 0 ≤ start, 1 ≤ freq, start + freq ≤ 2^precisionBits,
   * 0 ≤ precisionBits ≤ MAX_PRECISION_BITS.
   */
  push(start: number, freq: number, precisionBits: number): void {
    let head = this.head;
    // Renormalise so the encoded head stays below HEAD_LIMIT: the largest head
    // that may take the symbol is freq·2^(52−P) − 1.
    const headBound = freq * POW2[HEAD_LIMIT_BITS - precisionBits];
    while (head >= headBound) {
      const upper = Math.floor(head * INV_WORD_BASE);
      this.pushWord(head - upper * WORD_BASE);
      head = upper;
    }
    // Both operands are below 2^53, so the rounded quotient floors exactly.
    const quotient = Math.floor(head / freq);
    this.head = quotient * POW2[precisionBits] + (head - quotient * freq) + start;
  }

  /**
   * The cumulative-frequency slot the next pop at this precision reads, in
   * [0, 2^precisionBits). A decoder finds the symbol whose interval contains
   * it and then calls `pop` with that interval.
   */
  peek(precisionBits: number): number {
    const head = this.head;
    return head - Math.floor(head * INV_POW2[precisionBits]) * POW2[precisionBits];
  }

  /**
   * Decodes the interval [start, start + freq) that contains `peek(precisionBits)`.
   * Same preconditions as `push`, plus start ≤ peek(precisionBits) < start + freq.
   */
  pop(start: number, freq: number, precisionBits: number): void {
    const head = this.head;
    const quotient = Math.floor(head * INV_POW2[precisionBits]);
    let next = freq * quotient + (head - quotient * POW2[precisionBits]) - start;
    while (next < HEAD_MIN) next = next * WORD_BASE + this.popWord();
    this.head = next;
  }

  /**
   * Lends the message to a decoder that pops outside this class (the predictor's WebAssembly
   * walk, src/kernels/assembly/rans.ts: the same §4 pops): its head, its live tail words (a
   * view, bottom first) and its borrowed count. Pops there only shorten the tail; `resume`
   * takes the state back, and nothing else may touch the message in between.
   */
  lend(): { head: number; tail: Uint16Array; borrowed: number } {
    return { head: this.head, tail: this.tail.subarray(0, this.tailLength), borrowed: this.borrowed };
  }

  /** Words in the tail: what a decoder that is lent the message (`lend`) makes room for. */
  get tailWords(): number {
    return this.tailLength;
  }

  /** Takes back the state of a lent message after pops outside this class: the tail cut to `tailLength` words, the head and borrowed count as they left them. */
  resume(head: number, tailLength: number, borrowed: number): void {
    if (!(Number.isInteger(head) && head >= HEAD_MIN && head < HEAD_LIMIT)) throw new RangeError(`resumed head ${head} is out of range`);
    if (!(Number.isInteger(tailLength) && tailLength >= 0 && tailLength <= this.tailLength)) throw new RangeError('a lent message can only lose tail words');
    if (!(Number.isInteger(borrowed) && borrowed >= this.borrowed)) throw new RangeError('a lent message can only borrow more');
    this.head = head;
    this.tailLength = tailLength;
    this.borrowed = borrowed;
  }

  /**
   * Information held, in bits: 16 per tail word, minus 16 per borrowed word,
   * plus log2(head). The difference between two measurements is the
   * information pushed in between (up to rANS rounding), and it is negative
   * when more was popped than pushed. Accounting only; not used to code.
   */
  bitLength(): number {
    return WORD_BITS * (this.tailLength - this.borrowed) + Math.log2(this.head);
  }

  /**
   * Zero words read from below the bottom of the tail and not yet given back: a pop that
   * needed more information than the message held. A bits-back coder checks it to see
   * whether its pops were funded by real bits.
   */
  get borrowedWords(): number {
    return this.borrowed;
  }

  /** Bytes `toBytes` produces. */
  byteLength(): number {
    return varintLength(this.borrowed) + HEAD_BYTES + 2 * this.tailLength;
  }

  /**
   * Layout: borrowed (unsigned LEB128) · head (7 bytes little-endian) · tail
   * words from the bottom up (2 bytes little-endian each).
   */
  toBytes(): Uint8Array {
    const bytes = new Uint8Array(this.byteLength());
    let offset = 0;
    let borrowed = this.borrowed;
    while (borrowed >= 128) {
      bytes[offset++] = (borrowed % 128) | 128;
      borrowed = Math.floor(borrowed / 128);
    }
    bytes[offset++] = borrowed;
    let head = this.head;
    for (let k = 0; k < HEAD_BYTES; k++) {
      const upper = Math.floor(head / 256);
      bytes[offset++] = head - upper * 256;
      head = upper;
    }
    const tail = this.tail;
    for (let k = 0; k < this.tailLength; k++) {
      bytes[offset++] = tail[k] & 0xff;
      bytes[offset++] = tail[k] >>> 8;
    }
    return bytes;
  }

  /** Inverse of `toBytes`; throws a RangeError on bytes no message produces. */
  static fromBytes(bytes: Uint8Array): Message {
    let offset = 0;
    let borrowed = 0;
    let scale = 1;
    for (;;) {
      if (offset >= bytes.length) throw new RangeError('rANS message truncated in its borrowed-word count');
      const byte = bytes[offset++];
      borrowed += (byte & 127) * scale;
      if (byte < 128) {
        if (byte === 0 && scale > 1) throw new RangeError('rANS message has a non-minimal borrowed-word count');
        break;
      }
      scale *= 128;
      // At most 7 bytes (49 bits), so the count stays an exact integer.
      if (scale > POW2[42]) throw new RangeError('rANS message borrowed-word count is too large');
    }
    if (bytes.length - offset < HEAD_BYTES) throw new RangeError('rANS message truncated in its head');
    let head = 0;
    for (let k = HEAD_BYTES - 1; k >= 0; k--) head = head * 256 + bytes[offset + k];
    offset += HEAD_BYTES;
    if (head < HEAD_MIN || head >= HEAD_LIMIT) throw new RangeError('rANS message head is out of range');
    const tailBytes = bytes.length - offset;
    if (tailBytes % 2 !== 0) throw new RangeError('rANS message tail has an odd number of bytes');
    if (borrowed > 0 && tailBytes > 0 && bytes[offset] === 0 && bytes[offset + 1] === 0) {
      throw new RangeError('rANS message has a zero bottom word while owing borrowed words');
    }
    const message = new Message();
    message.head = head;
    message.borrowed = borrowed;
    message.tailLength = tailBytes / 2;
    message.tail = new Uint16Array(Math.max(INITIAL_TAIL_CAPACITY, message.tailLength));
    for (let k = 0; k < message.tailLength; k++) {
      message.tail[k] = bytes[offset + 2 * k] | (bytes[offset + 2 * k + 1] << 8);
    }
    return message;
  }

  clone(): Message {
    const copy = new Message();
    copy.head = this.head;
    copy.borrowed = this.borrowed;
    copy.tailLength = this.tailLength;
    copy.tail = this.tail.slice(0, Math.max(INITIAL_TAIL_CAPACITY, this.tailLength));
    return copy;
  }

  equals(other: Message): boolean {
    if (this.head !== other.head || this.borrowed !== other.borrowed || this.tailLength !== other.tailLength) {
      return false;
    }
    for (let k = 0; k < this.tailLength; k++) if (this.tail[k] !== other.tail[k]) return false;
    return true;
  }

  private pushWord(word: number): void {
    if (word === 0 && this.tailLength === 0 && this.borrowed > 0) {
      this.borrowed--;
      return;
    }
    if (this.tailLength === this.tail.length) {
      const grown = new Uint16Array(this.tail.length * 2);
      grown.set(this.tail);
      this.tail = grown;
    }
    this.tail[this.tailLength++] = word;
  }

  private popWord(): number {
    if (this.tailLength > 0) return this.tail[--this.tailLength];
    this.borrowed++;
    return 0;
  }
}
