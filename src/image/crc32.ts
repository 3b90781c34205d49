/**
 * CRC-32 (ISO-HDLC, the polynomial of PNG, zlib and gzip), used by PNG chunks and the
 * .vdmz container. Own implementation because node:zlib's crc32 needs Node ≥ 20.15.
 */
const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/**
 * CRC-32 of `bytes[start, end)`. Pass a previous result as `crc` to continue a running
 * checksum over several pieces.
 */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
  let c = ~crc;
  for (let i = start; i < end; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
