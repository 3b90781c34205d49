/**
 * Format version 5, extended files (docs/format.md §2.7): a CRC-guarded header around one
 * file of format version 2 or 4, for what those cannot hold alone: samples other than 8-bit
 * (16-bit PNG, PNM with any maxval), PNG metadata, and the input PNG's palette or grey bit depth.
 *
 *   offset        size  field
 *   0             4     magic "VDMZ"
 *   4             1     format version (5)
 *   5             4     L: length of the header body (u32)
 *   9             L     header body:
 *                         v  width, v height, 1 channels (as the inner file's)
 *                         v  maxValue M (1 … 65535): the samples' range, 0 … M
 *                         1  sample split: 0 shifted, 1 replicated (v = 257·b, M = 65535),
 *                              2 table
 *                         1  shift z (0 … 15)   } shifted: v = ((b · 2^k) + low) · 2^z, b the
 *                         1  low bits k (0 … 8) } inner file's 8-bit sample, low from §12;
 *                                                 table: v = table[(b · 2^k) + low], z = 0
 *                         1  inner kind: 0 a file of format 2 or 4 holding the samples b;
 *                              1 a PNG file holding the picture itself (samples and metadata;
 *                              then the split is shifted by 0 with no low bits, and no
 *                              metadata is listed here): what the encoder stores where coding
 *                              would make a larger file
 *                         (table only) v  n, the table's length (1 … 65536), then n varints:
 *                              its first value, then each next value's gap − 1 (ascending)
 *                         8  SHA-256 prefix of the samples (one byte each when M ≤ 255, else
 *                              two, little-endian)
 *                         v  inner file length I
 *                         v  low-bits payload length P (0 exactly when k = 0)
 *                         4  CRC-32 of the I + P bytes after the header
 *                         1  metadata coding: 0 stored, 1 zlib; v U, the list's length; v S,
 *                              the bytes that follow; S bytes: the metadata list (stored, S = U)
 *                              or a zlib stream of it. The list: v chunk count n, then n chunks:
 *                              4 type letters, 1 placement (0 before the image data, 1 after),
 *                              v length, the data
 *                         (only where the input PNG had one) the PNG layout to write back:
 *                              1 byte 1, 1 bit depth d (1, 2, 4, 8), v n entries (1 … 2^d),
 *                              n · C bytes: a palette in the PNG's order; or 1 byte 2, 1 bit
 *                              depth d (1, 2, 4): grey of d bits
 *   9 + L         4     header CRC-32 over bytes [0, 9 + L)
 *   13 + L        I     inner file: format version 2 or 4 (the 8-bit samples b), or PNG
 *   13 + L + I    P     low-bits payload: a serialised rANS message (§12)
 *
 * The file ends exactly there: shorter is 'TRUNCATED', longer or a CRC mismatch 'CORRUPT'.
 */
import { createHash } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';
import { VdmzipError, type VdmzipErrorCode } from '../errors.ts';
import { crc32 } from '../image/crc32.ts';
import { checkDimensions, checkMetadata, checkPngLayoutFits, type Channels, type MetadataChunk, type PngLayout } from '../image/image.ts';
import { ByteReader, ByteWriter } from './byte-io.ts';
import { CONTAINER_MAGIC, formatVersionOf } from './container.ts';
import { varintLength } from './leb128.ts';

export const EXTENDED_FORMAT = 5;
/** Magic, version and body length. */
const PREAMBLE_BYTES = 9;
const CRC_BYTES = 4;
const SAMPLES_SHA256_PREFIX_BYTES = 8;
const MAX_SAMPLE = 0xffff;
/** Most low bits a sample keeps outside the inner file: 8 inner bits + 8 = 16. */
export const MAX_LOW_BITS = 8;

/** How a sample v is made of the inner file's 8-bit sample b and its low bits (§12.1). */
export type SampleSplit =
  /** v = ((b · 2^lowBits) + low) · 2^shift. */
  | { kind: 'shifted'; shift: number; lowBits: number }
  /** v = 257 · b: 8-bit samples widened to 16 bits, as converters write them. */
  | { kind: 'replicated' }
  /** v = table[(b · 2^lowBits) + low]: the image's distinct values, ascending (samples scaled from fewer bits). */
  | { kind: 'table'; table: Uint16Array; lowBits: number };

/** What the inner file is: a .vdmz file of the 8-bit samples, or a PNG file of the whole picture. */
export type InnerKind = 'vdmz' | 'png';

export type ExtendedHeader = {
  inner: InnerKind;
  width: number;
  height: number;
  channels: Channels;
  maxValue: number;
  split: SampleSplit;
  /** First 8 bytes of the SHA-256 of the samples (`samplesSha256Prefix`), 16 hex digits. */
  samplesSha256Prefix: string;
  metadata: MetadataChunk[];
  /** How the input PNG held the pixels, to write them back so: a palette, or grey of fewer bits. */
  layout?: PngLayout;
};

export type ExtendedFile = { header: ExtendedHeader; inner: Uint8Array; lowBits: Uint8Array };

/** Whether `bytes` is a file of format version 5 (as far as its first five bytes tell). */
export function isExtended(bytes: Uint8Array): boolean {
  return formatVersionOf(bytes) === EXTENDED_FORMAT;
}

/** The check an extended header stores for `samples`: bytes as they are when M ≤ 255, else each sample as 2 bytes, little-endian. */
export function samplesSha256Prefix(samples: Uint8Array | Uint16Array): string {
  const hash = createHash('sha256');
  if (samples instanceof Uint8Array) hash.update(samples);
  else {
    const bytes = new Uint8Array(samples.length * 2);
    for (let i = 0; i < samples.length; i++) {
      bytes[2 * i] = samples[i] & 0xff;
      bytes[2 * i + 1] = samples[i] >> 8;
    }
    hash.update(bytes);
  }
  return hash.digest().subarray(0, SAMPLES_SHA256_PREFIX_BYTES).toString('hex');
}

export function writeExtended(header: ExtendedHeader, inner: Uint8Array, lowBits: Uint8Array): Uint8Array {
  checkExtendedHeader(header, 'INVALID_ARGUMENT');
  checkMetadata(header.metadata);
  const { split } = header;
  if (lowBitsOf(split) > 0 !== lowBits.length > 0) throw new VdmzipError('INVALID_ARGUMENT', 'a low-bits payload goes with low bits, and only with them');
  const table = split.kind === 'table' ? split.table : new Uint16Array(0);
  const tableVarints = table.length === 0 ? [] : [table.length, table[0], ...Array.from(table.subarray(1), (v, i) => v - table[i] - 1)];
  const list = metadataList(header.metadata);
  // Text and EXIF shrink under zlib; an ICC profile in iCCP is zlib already: keep the smaller.
  const packed = deflateSync(list, { level: 9 });
  const coding = packed.length < list.length ? 1 : 0;
  const metadataBytes = coding === 1 ? packed : list;
  const varints = [header.width, header.height, header.maxValue, inner.length, lowBits.length, list.length, metadataBytes.length, ...tableVarints];
  const layout = layoutField(header.layout, header.channels);
  const bodyLength = 1 + 4 + SAMPLES_SHA256_PREFIX_BYTES + CRC_BYTES + 1 + varints.reduce((n, v) => n + varintLength(v), 0) + metadataBytes.length + layout.length;
  const headerEnd = PREAMBLE_BYTES + bodyLength;
  const out = new Uint8Array(headerEnd + CRC_BYTES + inner.length + lowBits.length);
  const writer = new ByteWriter(out);
  writer.bytes(Buffer.from(CONTAINER_MAGIC, 'latin1'));
  writer.u8(EXTENDED_FORMAT);
  writer.u32(bodyLength);
  writer.varint(header.width);
  writer.varint(header.height);
  writer.u8(header.channels);
  writer.varint(header.maxValue);
  writer.u8(SPLIT_CODES[split.kind]);
  writer.u8(split.kind === 'shifted' ? split.shift : 0);
  writer.u8(lowBitsOf(split));
  writer.u8(header.inner === 'png' ? 1 : 0);
  for (const v of tableVarints) writer.varint(v);
  writer.bytes(Buffer.from(header.samplesSha256Prefix, 'hex'));
  writer.varint(inner.length);
  writer.varint(lowBits.length);
  writer.u32(crc32(lowBits, 0, lowBits.length, crc32(inner)));
  writer.u8(coding);
  writer.varint(list.length);
  writer.varint(metadataBytes.length);
  writer.bytes(metadataBytes);
  writer.bytes(layout);
  writer.u32(crc32(out, 0, headerEnd));
  writer.bytes(inner);
  writer.bytes(lowBits);
  return out;
}

/** An extended file's verified header, and where its parts lie. */
export type ExtendedLayout = { header: ExtendedHeader; payloadStart: number; innerLength: number; lowBitsLength: number; payloadCrc32: number };

/**
 * Reads and verifies the header of a file of format version 5 (the caller has seen the version
 * byte); `bytes` may end after the header. Throws only VdmzipError: 'TRUNCATED', 'CORRUPT',
 * 'TOO_LARGE'.
 */
export function readExtendedHeader(bytes: Uint8Array): ExtendedLayout {
  if (bytes.length < PREAMBLE_BYTES) throw new VdmzipError('TRUNCATED', 'file ends inside its header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerEnd = PREAMBLE_BYTES + view.getUint32(5, true);
  if (headerEnd + CRC_BYTES > bytes.length) throw new VdmzipError('TRUNCATED', 'file ends inside its header');
  if (crc32(bytes, 0, headerEnd) !== view.getUint32(headerEnd, true)) throw new VdmzipError('CORRUPT', 'header fails its CRC check');
  const body = new ByteReader(bytes, PREAMBLE_BYTES, headerEnd);
  const width = body.varint();
  const height = body.varint();
  const channels = body.u8() as Channels;
  const maxValue = body.varint();
  const splitKind = body.u8();
  const shift = body.u8();
  const lowBits = body.u8();
  const innerKind = body.u8();
  if (innerKind > 1) throw new VdmzipError('CORRUPT', `inner kind ${innerKind} is not 0 or 1`);
  if (splitKind > 2) throw new VdmzipError('CORRUPT', `sample split ${splitKind} is not 0, 1 or 2`);
  if (splitKind !== 0 && shift !== 0) throw new VdmzipError('CORRUPT', 'only a shifted split has a shift');
  if (splitKind === 1 && lowBits !== 0) throw new VdmzipError('CORRUPT', 'a replicated split has no low bits');
  let split: SampleSplit = splitKind === 1 ? { kind: 'replicated' } : { kind: 'shifted', shift, lowBits };
  if (splitKind === 2) {
    const length = body.varint();
    if (length < 1 || length > MAX_SAMPLE + 1) throw new VdmzipError('CORRUPT', `sample table length ${length} is not in 1 … 65536`);
    const table = new Uint16Array(length);
    for (let i = 0, value = -1; i < length; i++) {
      value = i === 0 ? body.varint() : value + body.varint() + 1;
      if (value > MAX_SAMPLE) throw new VdmzipError('CORRUPT', 'sample table runs past 65535');
      table[i] = value;
    }
    split = { kind: 'table', table, lowBits };
  }
  const samplesSha256Prefix = body.hex(SAMPLES_SHA256_PREFIX_BYTES);
  const innerLength = body.varint();
  const lowBitsLength = body.varint();
  const payloadCrc32 = body.u32();
  const coding = body.u8();
  if (coding > 1) throw new VdmzipError('CORRUPT', `metadata coding ${coding} is not 0 or 1`);
  const listLength = body.varint();
  const stored = body.bytes(body.varint());
  const layout = body.pos < headerEnd ? readLayout(body, channels) : undefined;
  if (body.pos !== headerEnd) throw new VdmzipError('CORRUPT', 'header is longer than its fields');
  const metadata = readMetadataList(coding === 0 ? stored : inflateList(stored, listLength), listLength);
  const header: ExtendedHeader = { inner: innerKind === 1 ? 'png' : 'vdmz', width, height, channels, maxValue, split, samplesSha256Prefix, metadata, ...(layout && { layout }) };
  checkExtendedHeader(header, 'CORRUPT');
  try {
    checkMetadata(metadata);
  } catch (error) {
    throw new VdmzipError('CORRUPT', (error as Error).message);
  }
  if (lowBitsOf(split) > 0 !== lowBitsLength > 0) throw new VdmzipError('CORRUPT', 'the low-bits payload does not match the low bits');
  return { header, payloadStart: headerEnd + CRC_BYTES, innerLength, lowBitsLength, payloadCrc32 };
}

/**
 * Parses and verifies a whole file of format version 5. The inner file and low-bits payload
 * are views into `bytes`. Throws only VdmzipError: 'TRUNCATED', 'CORRUPT', 'TOO_LARGE'.
 */
export function parseExtended(bytes: Uint8Array): ExtendedFile {
  const { header, payloadStart: start, innerLength, lowBitsLength, payloadCrc32 } = readExtendedHeader(bytes);
  const end = start + innerLength + lowBitsLength;
  if (end > bytes.length) throw new VdmzipError('TRUNCATED', 'file is truncated: it ends before its payload does');
  if (end < bytes.length) throw new VdmzipError('CORRUPT', 'file has data after its end');
  if (crc32(bytes, start, end) !== payloadCrc32) throw new VdmzipError('CORRUPT', 'payload fails its CRC check: the file is damaged');
  return { header, inner: bytes.subarray(start, start + innerLength), lowBits: bytes.subarray(start + innerLength, end) };
}

const SPLIT_CODES = { shifted: 0, replicated: 1, table: 2 } as const;

/** The low bits per sample a split leaves to the low-bits payload. */
export function lowBitsOf(split: SampleSplit): number {
  return split.kind === 'replicated' ? 0 : split.lowBits;
}

const LAYOUT_CODES = { palette: 1, grey: 2 } as const;

/** The PNG layout field of an image of `channels` channels: nothing without a layout; else its code, bit depth, and a palette's entry count and entries. */
function layoutField(layout: PngLayout | undefined, channels: number): Uint8Array {
  if (layout === undefined) return new Uint8Array(0);
  if (layout.kind === 'grey') return Uint8Array.of(LAYOUT_CODES.grey, layout.depth);
  const entries = layout.palette.length / channels;
  const out = new Uint8Array(2 + varintLength(entries) + layout.palette.length);
  const writer = new ByteWriter(out);
  writer.u8(LAYOUT_CODES.palette);
  writer.u8(layout.depth);
  writer.varint(entries);
  writer.bytes(layout.palette);
  return out;
}

/** Reads the PNG layout field of an image of `channels` channels (its entry count, not its byte count, is stored); checkExtendedHeader checks what it holds. */
function readLayout(body: ByteReader, channels: number): PngLayout {
  const code = body.u8();
  const depth = body.u8();
  if (code === LAYOUT_CODES.grey) return { kind: 'grey', depth: depth as 1 | 2 | 4 };
  if (code !== LAYOUT_CODES.palette) throw new VdmzipError('CORRUPT', `PNG layout ${code} is not 1 (palette) or 2 (grey)`);
  // The header's own length bounds the read.
  return { kind: 'palette', depth: depth as 1 | 2 | 4 | 8, palette: new Uint8Array(body.bytes(body.varint() * channels)) };
}

/** The metadata list: a varint count, then each chunk's type, placement, varint length and data. */
function metadataList(metadata: MetadataChunk[]): Uint8Array {
  const size = varintLength(metadata.length) + metadata.reduce((n, m) => n + 4 + 1 + varintLength(m.data.length) + m.data.length, 0);
  const out = new Uint8Array(size);
  const writer = new ByteWriter(out);
  writer.varint(metadata.length);
  for (const chunk of metadata) {
    writer.bytes(Buffer.from(chunk.type, 'latin1'));
    writer.u8(chunk.afterImageData ? 1 : 0);
    writer.varint(chunk.data.length);
    writer.bytes(chunk.data);
  }
  return out;
}

/** The zlib stream `packed` inflated, which must give exactly `length` bytes. */
function inflateList(packed: Uint8Array, length: number): Uint8Array {
  let list: Uint8Array;
  try {
    list = inflateSync(packed, { maxOutputLength: Math.max(1, length) });
  } catch (error) {
    throw new VdmzipError('CORRUPT', 'the metadata does not inflate', { cause: error });
  }
  if (list.length !== length) throw new VdmzipError('CORRUPT', 'the metadata inflates to another length than its header says');
  return list;
}

function readMetadataList(list: Uint8Array, length: number): MetadataChunk[] {
  if (list.length !== length) throw new VdmzipError('CORRUPT', 'the stored metadata has another length than its header says');
  const reader = new ByteReader(list, 0, list.length);
  const count = reader.varint();
  const metadata: MetadataChunk[] = [];
  for (let i = 0; i < count; i++) {
    const type = Buffer.from(reader.bytes(4)).toString('latin1');
    const placement = reader.u8();
    if (placement > 1) throw new VdmzipError('CORRUPT', `metadata placement ${placement} is not 0 or 1`);
    metadata.push({ type, data: new Uint8Array(reader.bytes(reader.varint())), afterImageData: placement === 1 });
  }
  if (reader.pos !== list.length) throw new VdmzipError('CORRUPT', 'the metadata list is longer than its chunks');
  return metadata;
}

function checkExtendedHeader(header: ExtendedHeader, invalidCode: VdmzipErrorCode): void {
  const fail = (message: string): never => {
    throw new VdmzipError(invalidCode, message);
  };
  const { width, height, channels, maxValue, split } = header;
  checkDimensions(width, height, 'image', invalidCode);
  if (![1, 2, 3, 4].includes(channels)) fail(`channel count ${channels} is not 1 to 4`);
  if (!(Number.isInteger(maxValue) && maxValue >= 1 && maxValue <= MAX_SAMPLE)) fail(`sample maximum ${maxValue} is not in 1 … ${MAX_SAMPLE}`);
  if (split.kind === 'replicated') {
    if (maxValue !== MAX_SAMPLE) fail('a replicated split needs samples up to 65535');
  } else if (split.kind === 'table') {
    const { table, lowBits } = split;
    if (!(Number.isInteger(lowBits) && lowBits >= 0 && lowBits <= MAX_LOW_BITS && table.length <= 2 ** (8 + lowBits))) fail(`a table of ${table.length} values does not fit ${8 + lowBits} bits`);
    if (table.length === 0 || table[table.length - 1] > maxValue || table.some((v, i) => i > 0 && v <= table[i - 1])) fail('the sample table must be ascending values up to the maximum');
  } else {
    const { shift, lowBits } = split;
    if (!(Number.isInteger(shift) && Number.isInteger(lowBits) && shift >= 0 && lowBits >= 0 && lowBits <= MAX_LOW_BITS && shift + 8 + lowBits <= 16)) {
      fail(`shift ${shift} and low bits ${lowBits} do not fit 16 bits`);
    }
  }
  if (!/^[0-9a-f]{16}$/.test(header.samplesSha256Prefix)) fail('samples SHA-256 prefix must be 16 lower-case hex digits');
  if (header.inner === 'png' && (split.kind !== 'shifted' || split.shift !== 0 || split.lowBits !== 0 || header.metadata.length > 0)) {
    fail('a PNG inner file holds the picture whole: no split, low bits or metadata beside it');
  }
  const { layout } = header;
  if (layout) {
    if (header.inner === 'png' || maxValue !== 255) fail('a palette or grey of fewer bits goes with coded 8-bit samples only');
    // The decoded pixels are checked against it after decoding.
    checkPngLayoutFits(layout, channels, invalidCode);
  }
}
