// Unsigned LEB128 ("varint"): 7 bits per byte, low first, high bit set on all but the last.
// The rANS message and the container each read and write it with their own limits.
//
// Specified in docs/format.md §2.

/** Bytes the unsigned LEB128 form of a non-negative integer takes. */
export function varintLength(value: number): number {
  let length = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    length++;
  }
  return length;
}
