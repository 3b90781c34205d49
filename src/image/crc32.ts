// Specified in docs/format.md §2.
import { crc32 as zlibCrc32 } from 'node:zlib';

/**
 * CRC-32 (ISO-HDLC, the polynomial of PNG, zlib and gzip) of `bytes[start, end)`, used by PNG
 * chunks and the .vdmz container: node:zlib's, over a range. Pass a previous result as `crc`
 * to continue a running checksum over several pieces.
 */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
  // An empty range leaves a running checksum as it is: node:zlib (Node 20) can answer 0 for an
  // empty view instead of the value it was given.
  if (end <= start) return crc;
  return zlibCrc32(bytes.subarray(start, end), crc);
}
