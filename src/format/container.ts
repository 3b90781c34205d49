/**
 * The .vdmz container: everything a decoder needs besides the model bundle, and enough checks
 * that a damaged or mismatched file fails with a one-line reason instead of decoding to a wrong
 * image. docs/format.md §2 specifies it field by field; in short, every file starts with the
 * magic "VDMZ" and a format version byte. This module writes and reads three formats (format 5,
 * which wraps one of them, is extended.ts's):
 *
 * Format version 4, predictor-only files (format.md §2.3): the predictor codes every row and
 * no model is needed.
 *
 *   offset  size  field
 *   0       4     magic "VDMZ"
 *   4       1     format version (4)
 *   5       v     width (varint, ≥ 1)
 *           v     height (varint, ≥ 1; width·height ≤ MAX_PIXELS)
 *           1     channels (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA)
 *           1     bit depth (8)
 *           1     coder parameters version (9 to 12)
 *                 payload: the rANS message without its borrowed-word count (always 0),
 *                 so its 7-byte head and then its tail words, to the end of the file
 *
 * No length, no CRC and no pixel checksum in the header: the encoder starts the rANS message
 * at a head made from the pixels' SHA-256 (`pixelCheckHead`, 48 bits), which the head stores
 * whole anyway, so the decoder must end exactly there. A damaged header or payload decodes to
 * pixels that miss that check (or runs the message dry, or leaves data over), never to a wrong
 * image. A 32×32 RGB image: 10 bytes before the message.
 *
 * Format version 2, chain files (format.md §2.4): the bits-back chain codes the top rows (all
 * of them, or all but the bottom `predictorRows`, which the predictor codes).
 *
 *   offset  size  field
 *   0       4     magic "VDMZ"
 *   4       1     format version (2)
 *   5       4     L: length of the header body that follows (u32)
 *   9       L     header body:
 *                   8  model id prefix: the first 8 bytes of the SHA-256 of the model bundle
 *                   v  width (varint, ≥ 1)
 *                   v  height (varint, ≥ 1; width·height ≤ MAX_PIXELS)
 *                   1  channels
 *                   1  bit depth (8)
 *                   v  T, diffusion steps (varint, 1…65535)
 *                   v  patch size in pixels (varint, 1…65535)
 *                   1  coder parameters version (9)
 *                   4  grid factor κ (float32, finite, > 0); the encoder codes with κ rounded
 *                        to float32, so that the decoder builds the same grids
 *                   v  chunk count n (varint; 0 when the predictor codes every row), then n varints:
 *                        patches per chunk (each ≥ 1)
 *                   v  seed words (varint): 16-bit words that funded the first chunk's pops
 *                   v  predictor rows r (varint, 0…height): the bottom r rows are coded by the
 *                        predictor (predictive.ts), the chain codes the rows above them
 *                   8  pixel SHA-256, first 8 bytes
 *                   4  payload CRC-32
 *   9+L     4     header CRC-32 over bytes [0, 9+L)
 *   13+L          payload: the rANS message, to the end of the file
 *
 * Integers are little-endian; "varint" is unsigned LEB128 of at most 5 bytes, value < 2^32, in
 * its shortest form. A 32×32 RGB image coded in one chunk with fewer than 128 seed words has a
 * 48-byte header. The decoder checks the header CRC before the version, so a damaged file is
 * 'CORRUPT' rather than of another version. A file cut inside its payload, or with bytes
 * appended, fails the payload CRC, which lets decompress refuse it before running the model;
 * the header CRC covers every field, so a parse that succeeds returns exactly what was
 * written. The 64-bit pixel SHA-256 prefix makes a wrong image that still matches (a decoder
 * bug, a wrong model that slipped through) a 2^-64 event, and 8 bytes of model id leave a file
 * made with another model a 2^-64 chance of passing the model check, after which it must still
 * pass the decoder's own checks (seed, nothing left over, pixels).
 *
 * Format version 6, banded files (format.md §2.8): a large image's rows in bands, each band a
 * format 4 file of its own, so that the bands decode side by side.
 *
 *   offset  size  field
 *   0       4     magic "VDMZ"
 *   4       1     format version (6)
 *   5       v     width, height (varints), then channels and bit depth (1 byte each)
 *           8     pixel SHA-256, first 8 bytes (of the whole image: the bands' order is checked too)
 *           v     band count B (2…height), then B − 1 varints: the lengths of all bands but the last
 *                 the bands, top first, the last to the end of the file
 *
 * Files that vdmzip builds before 1.0 wrote (container formats 1 and 3, coder parameters
 * versions 1 to 8) are refused as 'UNSUPPORTED_VERSION', naming them as such.
 */
import { createHash } from 'node:crypto';
import { VdmzipError, type VdmzipErrorCode } from '../errors.ts';
import { crc32 } from '../image/crc32.ts';
import { checkDimensions, type Channels } from '../image/image.ts';
import { ByteReader, ByteWriter } from './byte-io.ts';
import { varintLength } from './leb128.ts';

export const CONTAINER_MAGIC = 'VDMZ';
/** The format versions this build writes and reads: files with a chain, and predictor-only files. */
const CHAIN_FORMAT = 2;
const PREDICTOR_FORMAT = 4;
export const BANDED_FORMAT = 6;
/** Format versions that vdmzip builds before 1.0 wrote. */
const PRE_1_0_FORMATS: readonly number[] = [1, 3];
/** The first coder parameters version of 1.0 (docs/format.md §7, §8); earlier ones were written before it. */
const FIRST_CODER_PARAMS_VERSION = 9;
/** The coder parameters version this build writes: the chain, and the predictor's constants of version 11 (§7.1). */
export const CODER_PARAMS_VERSION = 11 as const;
/** CODER_PARAMS_VERSION with pixel matches (§7.13): predictor-only files (format 4) only. */
export const MATCHES_PARAMS_VERSION = 12 as const;
/** Versions 11 and 12 with exact contexts for the first channel too (§7.10): predictor-only files only. */
export const FIRST_CHANNEL_PARAMS_VERSION = 13 as const;
export const FIRST_CHANNEL_MATCHES_PARAMS_VERSION = 14 as const;
/**
 * The versions this build reads: 9 (the predictor's first constants) and 10 (9 with pixel
 * matches), 11 and 12 likewise, and 13 and 14 (11 and 12 with the first channel's exact contexts).
 */
export type CoderParamsVersion = 9 | 10 | typeof CODER_PARAMS_VERSION | typeof MATCHES_PARAMS_VERSION | typeof FIRST_CHANNEL_PARAMS_VERSION | typeof FIRST_CHANNEL_MATCHES_PARAMS_VERSION;
/** The versions each file format holds: chain files have no pixel matches. */
const CHAIN_VERSIONS: readonly CoderParamsVersion[] = [9, CODER_PARAMS_VERSION];
const PREDICTOR_VERSIONS: readonly CoderParamsVersion[] = [9, 10, CODER_PARAMS_VERSION, MATCHES_PARAMS_VERSION, FIRST_CHANNEL_PARAMS_VERSION, FIRST_CHANNEL_MATCHES_PARAMS_VERSION];

/** Whether a file of this version codes pixel matches (§7.13). */
export function hasPixelMatches(version: CoderParamsVersion): boolean {
  return version === 10 || version === MATCHES_PARAMS_VERSION || version === FIRST_CHANNEL_MATCHES_PARAMS_VERSION;
}

/** Whether a file of this version has exact contexts for its first channel (§7.10). */
export function hasFirstChannelContexts(version: CoderParamsVersion): boolean {
  return version === FIRST_CHANNEL_PARAMS_VERSION || version === FIRST_CHANNEL_MATCHES_PARAMS_VERSION;
}

/** The version this build writes for a predictor-only file with or without pixel matches and the first channel's exact contexts (the inverse of the two above). */
export function predictorParamsVersion(matches: boolean, firstChannelContexts: boolean): CoderParamsVersion {
  if (firstChannelContexts) return matches ? FIRST_CHANNEL_MATCHES_PARAMS_VERSION : FIRST_CHANNEL_PARAMS_VERSION;
  return matches ? MATCHES_PARAMS_VERSION : CODER_PARAMS_VERSION;
}

/** Why a file written before 1.0 does not decode. */
const PRE_1_0 = 'written by a vdmzip before 1.0, which this version does not read';

/** How the bits-back coder was configured (docs/format.md §2.4). */
export type CoderParams = {
  version: CoderParamsVersion;
  /** κ: latent grid width δ_i as a multiple of the smaller std at step i (format.md §8); absent without a chain (format 4). */
  gridFactor?: number;
  /** Patches coded in each sequential chunk, in coding order. */
  chunkSizes: number[];
  /** Pseudo-random 16-bit words pushed before the first chunk to fund its pops. */
  seedWords: number;
  /** Bottom rows coded by the predictor, below the chain. */
  predictorRows: number;
};

export type ContainerHeader = {
  /**
   * The model bundle's id (its SHA-256) as far as the file records it, in lower-case hex: the
   * first 16 digits. Compare with sameModel. writeContainer takes the full id or a prefix and
   * writes the first 16 digits. Absent, with steps, patchSize and the coder's gridFactor, where
   * the predictor codes every row: such a file needs no model (format version 4).
   */
  modelId?: string;
  width: number;
  height: number;
  channels: Channels;
  bitDepth: 8;
  /** T, the number of diffusion steps the file was coded with. */
  steps?: number;
  patchSize?: number;
  coder: CoderParams;
  /**
   * First 8 bytes of the SHA-256 of the image samples, 16 lower-case hex digits. Absent in a
   * file of format version 4, whose check is the payload's initial head (`pixelCheckHead`).
   */
  pixelSha256Prefix?: string;
  /**
   * Format version 6: how many bands of rows the file holds, each a format 4 file of its own
   * (`Container.bands`). The coder version is then the highest of the bands'.
   */
  bands?: number;
};

/** A parsed file: its header and payload, and for format version 6 its bands (`payload` is then all of them). */
export type Container = { header: ContainerHeader; payload: Uint8Array; bands?: Band[] };

/** One band of a format 6 file: a format 4 file of the rows from `top` on. */
export type Band = Container & { top: number; file: Uint8Array };

const MODEL_ID_PREFIX_BYTES = 8;
const PIXEL_SHA256_PREFIX_BYTES = 8;
const PIXEL_CHECK_BITS = 48;
/** Magic, version and body length (format version 2). */
const PREAMBLE_BYTES = 9;
/** Magic and version (format version 4). */
const COMPACT_PREAMBLE_BYTES = 5;
/** The serialised Message's head (message.ts), which a format version 4 payload starts with. */
const MESSAGE_HEAD_BYTES = 7;
const CRC_BYTES = 4;
const MAX_U16 = 0xffff;
const MAX_U32 = 0xffffffff;

/** The pixel checksum a chain file's header stores for the image samples `pixels` (Image.data). */
export function pixelSha256Prefix(pixels: Uint8Array): string {
  return createHash('sha256').update(pixels).digest().subarray(0, PIXEL_SHA256_PREFIX_BYTES).toString('hex');
}

/**
 * The head a format version 4 payload starts and ends at for the image samples `pixels`:
 * 2^48 plus the first 6 bytes of their SHA-256, a 48-bit check for 12 bits more than the
 * head's least value.
 */
export function pixelCheckHead(pixels: Uint8Array): number {
  const digest = createHash('sha256').update(pixels).digest();
  return 2 ** PIXEL_CHECK_BITS + digest.readUIntLE(0, PIXEL_CHECK_BITS / 8);
}

/** Whether the image samples `pixels` match the pixel checksum a chain file's `header` carries. */
export function pixelsMatch(header: ContainerHeader, pixels: Uint8Array): boolean {
  if (header.pixelSha256Prefix === undefined) throw new RangeError('this header carries no pixel checksum: the payload does (pixelCheckHead)');
  return pixelSha256Prefix(pixels) === header.pixelSha256Prefix;
}

/**
 * Which coder made the rows of an image `height` rows tall whose header records `predictorRows`:
 * the bits-back chain alone, the predictor alone, or the chain over predictor rows.
 */
export function codedBy(height: number, predictorRows = 0): 'chain' | 'predictor' | 'both' {
  if (predictorRows === 0) return 'chain';
  return predictorRows === height ? 'predictor' : 'both';
}

/** Whether a file's model id (a prefix) is that of the model whose id is `modelId`. */
export function sameModel(fileModelId: string, modelId: string): boolean {
  return modelId.startsWith(fileModelId);
}

/** Bits per dimension (sub-pixel) of a file of `byteCount` bytes holding this image. */
export function bitsPerDim(byteCount: number, image: { width: number; height: number; channels: number }): number {
  return (8 * byteCount) / (image.width * image.height * image.channels);
}

/**
 * Writes format version 2 for a header with a model; without one (every row by the predictor), format
 * version 4, whose `payload` (a serialised Message) must start at pixelCheckHead and borrow
 * nothing. With a model, κ must be a float32 value.
 */
export function writeContainer(header: ContainerHeader, payload: Uint8Array): Uint8Array {
  checkHeader(header, 'INVALID_ARGUMENT');
  if (header.modelId !== undefined) return writeChainFile(header, header.modelId, payload);
  return writePredictorFile(header, payload);
}

/** Whether a file with this header is of format version 4 (predictor-only). */
export function isCompact(header: ContainerHeader): boolean {
  return header.modelId === undefined;
}

/**
 * The serialised Message (`Message.fromBytes`) that a file's payload holds: format version 4
 * leaves out the message's borrowed-word count, which is always 0 there, and this puts it back.
 */
export function messageBytes(header: ContainerHeader, payload: Uint8Array): Uint8Array {
  if (!isCompact(header)) return payload;
  const bytes = new Uint8Array(1 + payload.length);
  bytes.set(payload, 1);
  return bytes;
}

function writeChainFile(header: ContainerHeader, modelId: string, payload: Uint8Array): Uint8Array {
  const { coder } = header;
  const gridFactor = coder.gridFactor!;
  if (Math.fround(gridFactor) !== gridFactor) throw new VdmzipError('INVALID_ARGUMENT', `grid factor ${gridFactor} is not a float32 value (round it with Math.fround)`);
  const varints = [header.width, header.height, header.steps!, header.patchSize!, coder.chunkSizes.length, ...coder.chunkSizes, coder.seedWords, coder.predictorRows];
  const bodyLength = MODEL_ID_PREFIX_BYTES + 1 + 1 + 1 + 4 + PIXEL_SHA256_PREFIX_BYTES + CRC_BYTES + varints.reduce((n, v) => n + varintLength(v), 0);
  const headerEnd = PREAMBLE_BYTES + bodyLength;
  const out = new Uint8Array(headerEnd + CRC_BYTES + payload.length);
  const writer = new ByteWriter(out);
  writer.bytes(Buffer.from(CONTAINER_MAGIC, 'latin1'));
  writer.u8(CHAIN_FORMAT);
  writer.u32(bodyLength);
  writer.bytes(Buffer.from(modelId.slice(0, 2 * MODEL_ID_PREFIX_BYTES), 'hex'));
  writer.varint(header.width);
  writer.varint(header.height);
  writer.u8(header.channels);
  writer.u8(header.bitDepth);
  writer.varint(header.steps!);
  writer.varint(header.patchSize!);
  writer.u8(coder.version);
  writer.f32(gridFactor);
  writer.varint(coder.chunkSizes.length);
  for (const size of coder.chunkSizes) writer.varint(size);
  writer.varint(coder.seedWords);
  writer.varint(coder.predictorRows);
  writer.bytes(Buffer.from(header.pixelSha256Prefix!, 'hex'));
  writer.u32(crc32(payload));
  writer.u32(crc32(out, 0, headerEnd));
  writer.bytes(payload);
  return out;
}

function writePredictorFile(header: ContainerHeader, payload: Uint8Array): Uint8Array {
  // A Message serialises its borrowed-word count first; a predictor-only message borrows none.
  if (payload[0] !== 0) throw new VdmzipError('INVALID_ARGUMENT', 'a format version 4 payload must be a message that borrowed nothing');
  const message = payload.subarray(1);
  const headerLength = COMPACT_PREAMBLE_BYTES + varintLength(header.width) + varintLength(header.height) + 3;
  const out = new Uint8Array(headerLength + message.length);
  const writer = new ByteWriter(out);
  writer.bytes(Buffer.from(CONTAINER_MAGIC, 'latin1'));
  writer.u8(PREDICTOR_FORMAT);
  writer.varint(header.width);
  writer.varint(header.height);
  writer.u8(header.channels);
  writer.u8(header.bitDepth);
  writer.u8(header.coder.version);
  writer.bytes(message);
  return out;
}

/**
 * A format version 6 file (docs/format.md §2.8) of the format 4 files of an image's bands of
 * rows, top band first: each band is coded as an image of its own, so that each decodes
 * without the others, on its own thread.
 */
export function writeBandedFile(bandFiles: readonly Uint8Array[], pixels: Uint8Array): Uint8Array {
  if (bandFiles.length < 2) throw new VdmzipError('INVALID_ARGUMENT', 'a banded file holds at least 2 bands');
  const headers = bandFiles.map((file) => {
    if (formatVersionOf(file) !== PREDICTOR_FORMAT) throw new VdmzipError('INVALID_ARGUMENT', `a band must be a file of format ${PREDICTOR_FORMAT}`);
    return parsePredictorFile(file).header;
  });
  const { width, channels } = headers[0];
  if (headers.some((h) => h.width !== width || h.channels !== channels)) throw new VdmzipError('INVALID_ARGUMENT', 'the bands differ in width or channels');
  const height = headers.reduce((sum, h) => sum + h.height, 0);
  checkDimensions(width, height, 'image', 'INVALID_ARGUMENT');
  const lengths = bandFiles.slice(0, -1).map((file) => file.length);
  const varints = [width, height, bandFiles.length, ...lengths];
  if (pixels.length !== width * height * channels) throw new VdmzipError('INVALID_ARGUMENT', 'the pixels are not those of the bands');
  const headerLength = COMPACT_PREAMBLE_BYTES + 2 + PIXEL_SHA256_PREFIX_BYTES + varints.reduce((n, v) => n + varintLength(v), 0);
  const out = new Uint8Array(headerLength + bandFiles.reduce((n, file) => n + file.length, 0));
  const writer = new ByteWriter(out);
  writer.bytes(Buffer.from(CONTAINER_MAGIC, 'latin1'));
  writer.u8(BANDED_FORMAT);
  writer.varint(width);
  writer.varint(height);
  writer.u8(channels);
  writer.u8(8);
  writer.bytes(Buffer.from(pixelSha256Prefix(pixels), 'hex'));
  writer.varint(bandFiles.length);
  for (const length of lengths) writer.varint(length);
  for (const file of bandFiles) writer.bytes(file);
  return out;
}

/** The format version byte of `bytes` when they start with the magic and have one, else undefined (docs/format.md §2.1). */
export function formatVersionOf(bytes: Uint8Array): number | undefined {
  const magic = Buffer.from(CONTAINER_MAGIC, 'latin1');
  return bytes.length > magic.length && magic.equals(bytes.subarray(0, magic.length)) ? bytes[magic.length] : undefined;
}

/** Whether `bytes` start as a file of format 2, 4 or 6 does: what parseContainer reads, and the inner file of format 5 must be. */
export function isCoderFile(bytes: Uint8Array): boolean {
  const version = formatVersionOf(bytes);
  return version === CHAIN_FORMAT || version === PREDICTOR_FORMAT || version === BANDED_FORMAT;
}

/**
 * Parses and verifies a .vdmz file of format version 2, 4 or 6. The payload is a view into
 * `bytes`, not a copy. Throws only VdmzipError: 'UNSUPPORTED_FORMAT' (not a .vdmz file),
 * 'TRUNCATED', 'CORRUPT', 'UNSUPPORTED_VERSION' (a newer file, or one written before 1.0),
 * 'TOO_LARGE' (more pixels than MAX_PIXELS).
 */
export function parseContainer(bytes: Uint8Array): Container {
  const magic = Buffer.from(CONTAINER_MAGIC, 'latin1');
  const magicSeen = bytes.subarray(0, magic.length);
  if (!magic.subarray(0, magicSeen.length).equals(magicSeen)) {
    throw new VdmzipError('UNSUPPORTED_FORMAT', 'not a .vdmz file');
  }
  if (bytes.length === 0) throw new VdmzipError('TRUNCATED', 'file is empty');
  if (bytes.length > magic.length && bytes[magic.length] === PREDICTOR_FORMAT) return parsePredictorFile(bytes);
  if (bytes.length > magic.length && bytes[magic.length] === BANDED_FORMAT) return parseBandedFile(bytes);
  if (bytes.length < PREAMBLE_BYTES) throw new VdmzipError('TRUNCATED', 'file ends inside its header');

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = bytes[magic.length];
  const headerEnd = PREAMBLE_BYTES + view.getUint32(magic.length + 1, true);
  if (headerEnd + CRC_BYTES > bytes.length) throw new VdmzipError('TRUNCATED', 'file ends inside its header');
  if (crc32(bytes, 0, headerEnd) !== view.getUint32(headerEnd, true)) {
    throw new VdmzipError('CORRUPT', 'header fails its CRC check');
  }
  if (PRE_1_0_FORMATS.includes(version)) throw new VdmzipError('UNSUPPORTED_VERSION', `file format version ${version}: ${PRE_1_0}`);
  if (version !== CHAIN_FORMAT) {
    throw new VdmzipError('UNSUPPORTED_VERSION', `file format version ${version} is not supported (this vdmzip reads versions ${CHAIN_FORMAT}, ${PREDICTOR_FORMAT} and ${BANDED_FORMAT})`);
  }

  const body = new ByteReader(bytes, PREAMBLE_BYTES, headerEnd);
  const { header, payloadCrc32 } = readChainBody(body);
  if (body.pos !== headerEnd) throw new VdmzipError('CORRUPT', 'header is longer than its fields');
  checkHeader(header, 'CORRUPT');

  const payload = bytes.subarray(headerEnd + CRC_BYTES);
  if (crc32(payload) !== payloadCrc32) {
    // The header does not record the payload's length: only an empty one says "cut short" for sure.
    if (payload.length === 0) throw new VdmzipError('TRUNCATED', 'file ends before its payload');
    throw new VdmzipError('CORRUPT', 'payload fails its CRC check (damaged or cut short)');
  }
  return { header, payload };
}

/**
 * The image a banded file (format version 6) holds, from its first bytes alone: what a reader
 * needs to bound the file's length before the bands are read. 'TRUNCATED' where `prefix` ends
 * first; 'TOO_LARGE' and 'CORRUPT' as parseContainer says them.
 */
export function bandedImageOf(prefix: Uint8Array): { width: number; height: number; channels: Channels } {
  if (formatVersionOf(prefix) !== BANDED_FORMAT) throw new VdmzipError('INVALID_ARGUMENT', `not a file of format ${BANDED_FORMAT}`);
  const { width, height, channels } = readBandedGeometry(new ByteReader(prefix, COMPACT_PREAMBLE_BYTES, prefix.length, 'TRUNCATED'));
  return { width, height, channels };
}

/** A format 6 header's geometry, checked as a predictor-only header's (its coder version: the bands'). */
function readBandedGeometry(body: ByteReader): ContainerHeader {
  const { width, height, channels, bitDepth } = readGeometry(body);
  const geometry = { width, height, channels, bitDepth, coder: { version: CODER_PARAMS_VERSION, chunkSizes: [], seedWords: 0, predictorRows: height } };
  checkHeader(geometry, 'CORRUPT');
  return geometry;
}

/** Width, height, channels and bit depth as formats 4 and 6 store them after the preamble (checked by checkHeader). */
function readGeometry(body: ByteReader): { width: number; height: number; channels: Channels; bitDepth: 8 } {
  const width = body.varint();
  const height = body.varint();
  const channels = body.u8() as Channels;
  const bitDepth = body.u8() as 8;
  return { width, height, channels, bitDepth };
}

/** Format version 4: no CRC guards the header, so a field that runs past the file's end is a file cut short. */
function parsePredictorFile(bytes: Uint8Array): Container {
  const body = new ByteReader(bytes, COMPACT_PREAMBLE_BYTES, bytes.length, 'TRUNCATED');
  const { width, height, channels, bitDepth } = readGeometry(body);
  const version = readCoderVersion(body, false, PREDICTOR_VERSIONS);
  const coder: CoderParams = { version, chunkSizes: [], seedWords: 0, predictorRows: height };
  const header: ContainerHeader = { width, height, channels, bitDepth, coder };
  checkHeader(header, 'CORRUPT');
  // The payload starts with the message's whole head: fewer bytes than that is a file cut short.
  if (bytes.length - body.pos < MESSAGE_HEAD_BYTES) throw new VdmzipError('TRUNCATED', 'file ends inside its payload');
  return { header, payload: bytes.subarray(body.pos) };
}

/**
 * Format version 6: the image's geometry, the band count and the lengths of all bands but the
 * last, then the bands, each a format 4 file of the same width and channels whose heights add
 * up to the image's. No CRC guards the header: a field or band that runs past the file's end is
 * a file cut short; each band carries its own pixel check, and the header the image's SHA-256 prefix.
 */
function parseBandedFile(bytes: Uint8Array): Container {
  const body = new ByteReader(bytes, COMPACT_PREAMBLE_BYTES, bytes.length, 'TRUNCATED');
  const geometry = readBandedGeometry(body);
  const { width, height, channels } = geometry;
  const pixelSha256Prefix = body.hex(PIXEL_SHA256_PREFIX_BYTES);
  const count = body.varint();
  if (!isIntegerIn(count, 2, height)) throw new VdmzipError('CORRUPT', `band count ${count} is not in 2…${height}`);
  const lengths: number[] = [];
  for (let k = 0; k < count - 1; k++) {
    const length = body.varint();
    if (length === 0) throw new VdmzipError('CORRUPT', `band ${k + 1} is empty`);
    lengths.push(length);
  }
  const payload = bytes.subarray(body.pos);
  const bands: Band[] = [];
  let [start, top] = [body.pos, 0];
  for (let k = 0; k < count; k++) {
    const end = k < count - 1 ? start + lengths[k] : bytes.length;
    if (end > bytes.length || start === bytes.length) throw new VdmzipError('TRUNCATED', `file ends inside band ${k + 1} of ${count}`);
    const file = bytes.subarray(start, end);
    if (formatVersionOf(file) !== PREDICTOR_FORMAT) throw new VdmzipError('CORRUPT', `band ${k + 1} is not a file of format ${PREDICTOR_FORMAT}`);
    const band = parsePredictorFile(file);
    if (band.header.width !== width || band.header.channels !== channels) throw new VdmzipError('CORRUPT', `band ${k + 1} differs from the image in width or channels`);
    if (top + band.header.height > height) throw new VdmzipError('CORRUPT', 'the bands hold more rows than the image');
    bands.push({ ...band, top, file });
    [start, top] = [end, top + band.header.height];
  }
  if (top !== height) throw new VdmzipError('CORRUPT', 'the bands hold fewer rows than the image');
  let version = bands[0].header.coder.version;
  for (const band of bands) if (band.header.coder.version > version) version = band.header.coder.version;
  return { header: { ...geometry, coder: { ...geometry.coder, version }, bands: count, pixelSha256Prefix }, payload, bands };
}

/** Format version 2's header body. */
function readChainBody(body: ByteReader): { header: ContainerHeader; payloadCrc32: number } {
  const modelId = body.hex(MODEL_ID_PREFIX_BYTES);
  const width = body.varint();
  const height = body.varint();
  const channels = body.u8() as Channels;
  const bitDepth = body.u8() as 8;
  const steps = body.varint();
  const patchSize = body.varint();
  const version = readCoderVersion(body, true, CHAIN_VERSIONS);
  const gridFactor = body.f32();
  const chunkCount = body.varint();
  const chunkSizes: number[] = [];
  for (let i = 0; i < chunkCount; i++) chunkSizes.push(body.varint());
  const seedWords = body.varint();
  const predictorRows = body.varint();
  const coder: CoderParams = { version, gridFactor, chunkSizes, seedWords, predictorRows };
  const pixelSha256Prefix = body.hex(PIXEL_SHA256_PREFIX_BYTES);
  const payloadCrc32 = body.u32();
  return { header: { modelId, width, height, channels, bitDepth, steps, patchSize, coder, pixelSha256Prefix }, payloadCrc32 };
}

/**
 * The coder parameters version byte, one of `versions`: a newer version is 'UNSUPPORTED_VERSION',
 * and so is an older one where such files were written (format version 2); format version 4
 * never held one, so there it is damage.
 */
function readCoderVersion(body: ByteReader, olderWritten: boolean, versions: readonly CoderParamsVersion[]): CoderParamsVersion {
  const version = body.u8();
  if ((versions as readonly number[]).includes(version)) return version as CoderParamsVersion;
  if (version < FIRST_CODER_PARAMS_VERSION && olderWritten) throw new VdmzipError('UNSUPPORTED_VERSION', `coder parameters version ${version}: ${PRE_1_0}`);
  if (version < FIRST_CODER_PARAMS_VERSION) throw new VdmzipError('CORRUPT', `format version ${PREDICTOR_FORMAT} needs coder parameters version ${listed(versions, 'or')}`);
  throw new VdmzipError('UNSUPPORTED_VERSION', `coder parameters version ${version} is not supported (this vdmzip reads versions ${listed(versions, 'and')} in this file format)`);
}

/** "9, 10, 11 and 12". */
function listed(versions: readonly number[], last: string): string {
  return `${versions.slice(0, -1).join(', ')} ${last} ${versions[versions.length - 1]}`;
}

/**
 * Checks every header field against its documented range. `invalidCode` is the code
 * for a value out of range: 'INVALID_ARGUMENT' when writing, 'CORRUPT' when parsing.
 */
function checkHeader(header: ContainerHeader, invalidCode: VdmzipErrorCode): void {
  const fail = (message: string): never => {
    throw new VdmzipError(invalidCode, message);
  };
  const { modelId, width, height, channels, bitDepth, steps, patchSize, coder } = header;
  checkDimensions(width, height, 'image', invalidCode);
  if (![1, 2, 3, 4].includes(channels)) fail(`channel count ${channels} is not 1 to 4`);
  if (bitDepth !== 8) fail(`bit depth ${bitDepth} is not 8`);
  const versions = modelId === undefined ? PREDICTOR_VERSIONS : CHAIN_VERSIONS;
  if (!versions.includes(coder.version)) fail(`coder parameters version ${String(coder.version)} is not ${listed(versions, 'or')}${modelId === undefined ? '' : ' in a file with a chain'}`);
  if (modelId === undefined) {
    // A predictor-only file: nothing of the chain, every row by the predictor, the pixel check in the payload.
    if (steps !== undefined || patchSize !== undefined || coder.gridFactor !== undefined) fail('a file without a model has no T, patch size or grid factor');
    if (coder.predictorRows !== height || coder.chunkSizes.length > 0 || coder.seedWords !== 0) fail('a file without a model codes every row by the predictor, with no chunks or seed words');
    if (header.pixelSha256Prefix !== undefined) fail('a file without a model keeps its pixel check in the payload, not a SHA-256 prefix');
    return;
  }
  if (!/^[0-9a-f]{16}([0-9a-f]{48})?$/.test(modelId)) fail('model id must be 64 lower-case hex digits (a SHA-256) or the first 16 of them');
  if (!isIntegerIn(steps ?? Number.NaN, 1, MAX_U16)) fail(`step count T = ${steps} is not in 1…${MAX_U16}`);
  if (!isIntegerIn(patchSize ?? Number.NaN, 1, MAX_U16)) fail(`patch size ${patchSize} is not in 1…${MAX_U16}`);
  if (coder.gridFactor === undefined || !Number.isFinite(coder.gridFactor) || coder.gridFactor <= 0) fail(`grid factor ${coder.gridFactor} is not positive`);
  if (!isIntegerIn(coder.predictorRows, 0, height)) fail(`predictor rows must be an integer in 0…${height}`);
  if ((coder.chunkSizes.length === 0) !== (coder.predictorRows === height)) fail('the chunk schedule must be empty exactly when the predictor codes every row');
  if (!coder.chunkSizes.every((size) => isIntegerIn(size, 1, MAX_U32))) fail('chunk sizes must be integers in 1…2^32 − 1');
  if (!isIntegerIn(coder.seedWords, 0, MAX_U32)) fail('seed word count must be an integer in 0…2^32 − 1');
  if (!/^[0-9a-f]{16}$/.test(header.pixelSha256Prefix ?? '')) fail('pixel SHA-256 prefix must be 16 lower-case hex digits');
}

function isIntegerIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}
