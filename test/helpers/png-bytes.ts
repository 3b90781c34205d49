// PNG files written byte by byte from the spec, independent of src/image/png.ts, for tests that
// need a file the encoder would not write (palette images, 16-bit headers).
import { deflateSync } from 'node:zlib';
import { crc32 } from '../../src/image/crc32.ts';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** One chunk: length, type, data, CRC. */
export function pngChunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out, 4, 8 + data.length), 8 + data.length);
  return out;
}

/** A PNG of the given IHDR fields and raw (filtered) rows, with `before` chunks between IHDR and IDAT. */
export function pngFile(width: number, height: number, bitDepth: number, colourType: number, rows: Uint8Array, before: Buffer[] = []): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([bitDepth, colourType, 0, 0, 0], 8);
  return Buffer.concat([SIGNATURE, pngChunk('IHDR', ihdr), ...before, pngChunk('IDAT', deflateSync(rows, { level: 9 })), pngChunk('IEND', new Uint8Array())]);
}
