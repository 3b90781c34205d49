// The walk's tables keyed by a hash's low bits (the exact contexts' rows, §7.10; the pixel
// matches' followers and neighbourhoods, §7.13): what a slot holds is the specification's; how
// the slots lie in memory is free.
import { zeroed } from './memory';

/**
 * `slots` entries of `entryBytes` bytes each (zeros until written), keyed by slot, of which a
 * walk writes at most `keys`. Laid out directly (entry s at s·entryBytes) unless that is far
 * more memory than `keys` entries need, as in a small image's walk: then hashed, by open
 * addressing over at least twice as many places as keys, each entry beside its slot. A walk
 * touches its tables at random, and a page's first touch is costly (11 µs on the virtual
 * machine this project measures on): laid out directly, the tables of a 32×32 image's walk
 * (2^17 to 2^18 slots each) cost its decode some 800 first touches.
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

  constructor(slots: i32, keys: i32, entryBytes: i32) {
    this.entryBytes = <usize>entryBytes;
    this.zeros = zeroed(<usize>entryBytes);
    let places = 1;
    while (places < 2 * keys) places <<= 1;
    const stride: usize = (<usize>entryBytes + 15) & ~(<usize>7);
    this.direct = <u64>places * <u64>stride * 4 >= <u64>slots * <u64>entryBytes;
    if (this.direct) {
      this.base = zeroed(<usize>slots * <usize>entryBytes);
    } else {
      this.mask = places - 1;
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
    store<i32>(at, slot + 1);
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
