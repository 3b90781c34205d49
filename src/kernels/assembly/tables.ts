// The walk's tables keyed by a hash's low bits (the exact contexts' rows, §7.10; the pixel
// matches' followers and neighbourhoods, §7.13): what a slot holds is the specification's; how
// the slots lie in memory is free.
import { zeroed } from './memory';

/**
 * `slots` entries of `entryBytes` bytes each (zeros until written), keyed by slot, of which a
 * walk writes at most `keys`. Laid out directly (entry s at s·entryBytes) unless that is far
 * more memory than `keys` entries need, as in a small image's walk: then hashed, by open
 * addressing over at least twice as many places as keys, each entry beside its slot. A walk
 * touches its tables at random, and the first touch of a page of fresh memory is costly (see
 * docs/experiments.md, "Decoding faster, same files"): a small walk should touch few pages.
 */
export class SlotTable {
  base: usize;
  direct: bool;
  /** Hashed: places − 1, and bytes per place (the slot + 1 as int32, then the entry at +8). */
  mask: i32 = 0;
  stride: usize = 0;
  entryBytes: usize;
  /** What `at` gives for a slot never written: zeros, which no one writes. */
  zeros: usize;
  /** Hashed: the entries made, and the most the caller said it would make. */
  made: i32 = 0;
  keys: i32;

  constructor(slots: i32, keys: i32, entryBytes: i32) {
    this.entryBytes = <usize>entryBytes;
    this.keys = keys;
    this.zeros = zeroed(<usize>entryBytes);
    const stride: usize = (<usize>entryBytes + 15) & ~(<usize>7);
    let places: u64 = 1;
    while (places < 2 * <u64>keys && places < <u64>slots) places <<= 1;
    this.direct = places * <u64>stride * 4 >= <u64>slots * <u64>entryBytes;
    if (this.direct) {
      this.base = zeroed(<usize>slots * <usize>entryBytes);
    } else {
      this.mask = <i32>places - 1;
      this.stride = stride;
      this.base = zeroed(<usize>places * stride);
    }
  }

  /** Where slot `slot`'s entry lies, to read (a block of zeros for a slot never written). */
  @inline at(slot: i32): usize {
    if (this.direct) return this.base + <usize>slot * this.entryBytes;
    const at = this.place(slot);
    return load<i32>(at) === 0 ? this.zeros : at + 8;
  }

  /** Where slot `slot`'s entry lies, to write (made, as zeros, where it was never written). */
  @inline add(slot: i32): usize {
    if (this.direct) return this.base + <usize>slot * this.entryBytes;
    const at = this.place(slot);
    if (load<i32>(at) === 0) {
      // More entries than the caller promised could fill every place and make a search
      // endless: a bug in the caller, which stops the walk here instead.
      if (++this.made > this.keys) unreachable();
      store<i32>(at, slot + 1);
    }
    return at + 8;
  }

  /** Hashed: the place holding `slot`, or the empty place where it would go (linear probing from its low bits). */
  private place(slot: i32): usize {
    let place = slot & this.mask;
    let at = this.base + <usize>place * this.stride;
    for (let key = load<i32>(at); key !== 0 && key !== slot + 1; key = load<i32>(at)) {
      place = (place + 1) & this.mask;
      at = this.base + <usize>place * this.stride;
    }
    return at;
  }
}
