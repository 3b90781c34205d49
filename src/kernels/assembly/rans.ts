// Specified in docs/format.md §4.
// The rANS message's pops, for the predictor's decoder: src/ans/message.ts lends its state (the
// head, the tail's words copied into the instance, the borrowed count) to a walk, which pops a
// run of samples here without a call out per sample, then takes the state back. The same
// exact float64 operations as Message.pop and Message.peek.

/** The tail's 16-bit words, bottom first; the top is at tailLength − 1. */
let tail: usize = 0;
let tailLength: i32 = 0;
let borrowed: i32 = 0;
let head: f64 = 0;
/** The head's lower bound L and the word base (2^16). */
let headMin: f64 = 0;
let wordBase: f64 = 0;

/** Where the lent tail's words go (room the caller laid out), and the message's constants. */
export function initMessage(words: usize, lowerBound: f64, base: f64): void {
  tail = words;
  headMin = lowerBound;
  wordBase = base;
}

/** Takes a message's state: its head, its tail's length (the words already at `words`) and its borrowed count. */
export function loadMessage(messageHead: f64, length: i32, owed: i32): void {
  head = messageHead;
  tailLength = length;
  borrowed = owed;
}

export function messageHead(): f64 {
  return head;
}

export function messageTailLength(): i32 {
  return tailLength;
}

export function messageBorrowed(): i32 {
  return borrowed;
}

/** The slot the next pop at precision `one` (a power of two; `inverseOne` = 1/one) reads. */
@inline export function peek(one: f64, inverseOne: f64): f64 {
  return head - Math.floor(head * inverseOne) * one;
}

/** Pops the interval [start, start + frequency) holding the slot `peek` read. */
@inline export function pop(start: f64, frequency: f64, one: f64, inverseOne: f64): void {
  const quotient = Math.floor(head * inverseOne);
  let next = frequency * quotient + (head - quotient * one) - start;
  while (next < headMin) next = next * wordBase + popWord();
  head = next;
}

/** Below the bottom of the tail a message reads zero words, and owes them (borrowed). */
function popWord(): f64 {
  if (tailLength > 0) return <f64>load<u16>(tail + (<usize>--tailLength << 1));
  borrowed++;
  return 0;
}

/** Whether the message owes words: a pop read below the bottom of its tail (here, or before it was lent). */
@inline export function ranOut(): bool {
  return borrowed !== 0;
}
