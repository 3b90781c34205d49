// Little-endian field writing and reading for the .vdmz headers (docs/format.md §1.1, §2.2).
import { VdmzipError } from '../errors.ts';

const MAX_U32 = 0xffffffff;

export class ByteWriter {
  private readonly view: DataView;
  private pos = 0;

  constructor(private readonly out: Uint8Array) {
    this.view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  }

  bytes(bytes: Uint8Array): void {
    this.out.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  u8(value: number): void {
    this.out[this.pos++] = value;
  }

  u32(value: number): void {
    this.view.setUint32(this.pos, value, true);
    this.pos += 4;
  }

  f32(value: number): void {
    this.view.setFloat32(this.pos, value, true);
    this.pos += 4;
  }

  varint(value: number): void {
    while (value >= 0x80) {
      this.out[this.pos++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.out[this.pos++] = value;
  }
}

/**
 * Reads the header body `bytes[pos, end)`. Where its CRC has matched, a field that runs past
 * `end` or breaks the varint rules was written that way: 'CORRUPT'; where a header has no CRC
 * (format version 4), one that runs past the end is a file cut short (`pastEnd` 'TRUNCATED').
 */
export class ByteReader {
  private readonly view: DataView;

  constructor(
    private readonly source: Uint8Array,
    public pos: number,
    private readonly end: number,
    private readonly pastEnd: 'CORRUPT' | 'TRUNCATED' = 'CORRUPT',
  ) {
    this.view = new DataView(source.buffer, source.byteOffset, source.byteLength);
  }

  private take(count: number): number {
    const at = this.pos;
    if (at + count > this.end) throw new VdmzipError(this.pastEnd, this.pastEnd === 'TRUNCATED' ? 'file ends inside its header' : 'header is shorter than its fields');
    this.pos += count;
    return at;
  }

  u8(): number {
    return this.source[this.take(1)];
  }

  u32(): number {
    return this.view.getUint32(this.take(4), true);
  }

  f32(): number {
    return this.view.getFloat32(this.take(4), true);
  }

  /** The next `count` bytes, as a view. */
  bytes(count: number): Uint8Array {
    const at = this.take(count);
    return this.source.subarray(at, at + count);
  }

  hex(count: number): string {
    const at = this.take(count);
    return Buffer.from(this.source.buffer, this.source.byteOffset + at, count).toString('hex');
  }

  varint(): number {
    let value = 0;
    for (let shift = 0; shift < 5; shift++) {
      const byte = this.u8();
      value += (byte & 0x7f) * 2 ** (7 * shift);
      if ((byte & 0x80) === 0) {
        // A zero final byte after the first would be a longer spelling of a shorter varint.
        if ((byte === 0 && shift > 0) || value > MAX_U32) throw new VdmzipError('CORRUPT', 'header has a malformed varint');
        return value;
      }
    }
    throw new VdmzipError('CORRUPT', 'header has a varint longer than 5 bytes');
  }
}
