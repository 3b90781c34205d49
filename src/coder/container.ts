/**
 * The .vdmz container (DESIGN §5): everything a decoder needs besides the model bundle,
 * and enough checks that a damaged or mismatched file fails with a one-line reason
 * instead of decoding to a wrong image.
 *
 * Every version starts with the magic "VDMZ" and a format version byte, which keep their
 * places in every future version, so that a reader can tell a newer file
 * ('UNSUPPORTED_VERSION') from something else. Versions 1 to 3 go on with the same preamble
 * and end their header with the same CRC:
 *
 *   offset  size  field
 *   0       4     magic "VDMZ"
 *   4       1     format version
 *   5       4     H: length of the header body that follows (u32)
 *   9       H     header body (per version, below)
 *   9+H     4     header CRC-32 over bytes [0, 9+H)
 *   13+H          payload: the rANS message
 *
 * (vdmzip builds before format version 4 check that CRC before the version, so they call a
 * version 4 file damaged rather than newer.)
 * Integers are little-endian; "varint" is unsigned LEB128 of at most 5 bytes, value
 * < 2^32, in its shortest form.
 *
 * Format version 2 (written for images the chain codes, in whole or in part). The payload
 * is the rest of the file: a file cut inside its payload, or with bytes appended, fails the
 * payload CRC.
 *
 *   size  field
 *    8    model id prefix: the first 8 bytes of the SHA-256 of the model bundle
 *    v    width (varint, ≥ 1)
 *    v    height (varint, ≥ 1; width·height ≤ MAX_PIXELS)
 *    1    channels (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA)
 *    1    bit depth (8)
 *    v    T, diffusion steps (varint, 1…65535)
 *    v    patch size in pixels (varint, 1…65535)
 *    1    coder parameters version (1 to 9: the grid rule, step order, pixel model, context,
 *           classic rows and their predictor, see schedule.ts, codec.ts and predictive.ts), then:
 *    4      grid factor κ (float32, finite, > 0); the encoder codes with κ rounded to
 *           float32, so that the decoder builds the same grids from these 4 bytes
 *    v      chunk count n (varint, ≥ 1; 0 from version 6 when every row is classic), then n
 *           varints: patches per chunk (each ≥ 1)
 *    v      seed words (varint): 16-bit words that funded the first chunk's pops
 *    v      classic rows r (varint, 0…height; version 6 on): the bottom r rows are coded by
 *           the predictive coder (predictive.ts), the chain codes the rows above them
 *    8    pixel SHA-256, first 8 bytes
 *    4    payload CRC-32
 *
 * A 32×32 RGB image coded in one chunk with fewer than 128 seed words, as the shipped model
 * (T = 64, patch 32) codes one, has a 48-byte header: preamble, 35 bytes of body, CRC
 * (version 1 took 92).
 *
 * Format version 3 (written for images whose every row the predictive coder codes, coder
 * parameters version 8 on). Such a file needs no model, so it records none of the chain's
 * fields; the payload is the rest of the file, and has no CRC of its own: no model runs
 * before the pixels are checked, and a damaged payload fails the decoder's checks (the
 * message running dry, data left over) or the pixel checksum.
 *
 *   size  field
 *    v    width (varint, ≥ 1)
 *    v    height (varint, ≥ 1; width·height ≤ MAX_PIXELS)
 *    1    channels
 *    1    bit depth (8)
 *    1    coder parameters version (8 on)
 *    8    pixel SHA-256, first 8 bytes
 *
 * A 32×32 RGB image: 26 bytes (preamble, 13 bytes of body, CRC).
 *
 * Format version 4 (written for predictor-only files from coder parameters version 9): a
 * 32×32 picture costs a few thousand bits, so its header is cut to what decoding needs.
 *
 *   offset  size  field
 *   0       4     magic "VDMZ"
 *   4       1     format version (4)
 *   5       v     width (varint, ≥ 1)
 *           v     height (varint, ≥ 1; width·height ≤ MAX_PIXELS)
 *           1     channels
 *           1     bit depth (8)
 *           1     coder parameters version (9 on)
 *                 payload: the rANS message without its borrowed-word count (always 0),
 *                 so its 7-byte head and then its tail words, to the end of the file
 *
 * No length, no CRC and no pixel checksum in the header: the encoder starts the rANS message
 * at a head made from the pixels' SHA-256 (`pixelCheckHead`, 48 bits), which the head stores
 * whole anyway, so the decoder must end exactly there. A damaged header or payload decodes to
 * pixels that miss that check (or runs the message dry, or leaves data over), never to a wrong
 * image. A 32×32 RGB image: 10 bytes before the message.
 *
 * Format version 1 (still read, no longer written). The file ends exactly after the
 * payload.
 *
 *   size  field
 *   32    model id: SHA-256 of the model bundle
 *    4    width (u32, ≥ 1)
 *    4    height (u32, ≥ 1; width·height ≤ MAX_PIXELS)
 *    1    channels
 *    1    bit depth (8)
 *    2    T (u16, ≥ 1)
 *    2    patch size (u16, ≥ 1)
 *    1    coder parameters version, then:
 *    8      grid factor κ (float64, finite, > 0)
 *    v      chunk count n (varint, ≥ 1), then n varints: patches per chunk (each ≥ 1)
 *    v      seed words (varint)
 *    4    pixel CRC-32
 *    8    pixel SHA-256, first 8 bytes
 *    4    payload length L (u32)
 *    4    payload CRC-32
 *
 * Pixel checksums cover the decoded image's interleaved samples (Image.data), and the
 * decoder checks every one the file carries. The 64-bit SHA-256 prefix makes a wrong
 * image that still matches (a decoder bug, a wrong model that slipped through) a 2^-64
 * event; version 1 also stored a CRC-32 of the pixels, which adds little to that, so
 * version 2 drops it. Likewise 8 bytes of model id leave a file made with another model a
 * 2^-64 chance of passing the model check, and such a file must still pass the decoder's
 * own checks (seed, nothing left over, pixels). The payload CRC lets decompress refuse a
 * damaged file before running the model, and the header CRC covers every field, so a
 * parse that succeeds returns exactly what was written.
 */
import { createHash } from 'node:crypto';
import { VdmzipError, type VdmzipErrorCode } from '../errors.ts';
import { crc32 } from '../image/crc32.ts';
import { checkDimensions, type Channels } from '../image/image.ts';
import { varintLength } from '../leb128.ts';

export const CONTAINER_MAGIC = 'VDMZ';
/** The format versions this build writes: for files with a chain, and for predictor-only files (coder parameters version 8, and 9 on). */
const CHAIN_FORMAT = 2;
const PREDICTOR_FORMAT = 3;
const COMPACT_FORMAT = 4;
/** Format versions this build reads. */
export const CONTAINER_VERSIONS = [1, 2, 3, 4] as const;

/**
 * How the bits-back coder was configured; versioned on its own so it can evolve. The
 * version selects the rule that turns κ into per-latent grids (src/coder/schedule.ts).
 */
export type CoderParams = {
  version: CoderParamsVersion;
  /** κ: latent grid width δ_i as a multiple of the smaller std at step i (DESIGN §3); absent without a chain (format 3). */
  gridFactor?: number;
  /** Patches coded in each sequential chunk, in coding order. */
  chunkSizes: number[];
  /** Pseudo-random 16-bit words pushed before the first chunk to fund its pops. */
  seedWords: number;
  /** Bottom rows coded by the predictive coder, below the chain (version 6 on; absent before). */
  classicRows?: number;
};

export type ContainerHeader = {
  /**
   * The model bundle's id (its SHA-256) as far as the file records it, in lower-case hex:
   * all 64 digits in format version 1, the first 16 in version 2. Compare with sameModel.
   * writeContainer takes either and writes the first 16. Absent, with steps, patchSize and
   * the coder's gridFactor, where the predictive coder codes every row: such a file needs no
   * model (format version 3).
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
  /** CRC-32 of the image samples: format version 1 files only. */
  pixelCrc32?: number;
  /**
   * First 8 bytes of the SHA-256 of the image samples, 16 lower-case hex digits. Absent in a
   * file of format version 4, whose check is the payload's initial head (`pixelCheckHead`).
   */
  pixelSha256Prefix?: string;
};

export type Container = { header: ContainerHeader; payload: Uint8Array };

const MODEL_ID_BYTES = 32;
const MODEL_ID_PREFIX_BYTES = 8;
const PIXEL_SHA256_PREFIX_BYTES = 8;
const PIXEL_CHECK_BITS = 48;
/** Coder parameter versions this build reads; it writes the newest. */
export const CODER_PARAMS_VERSIONS = [1, 2, 3, 4, 5, 6, 7, 8, 9] as const;
export type CoderParamsVersion = (typeof CODER_PARAMS_VERSIONS)[number];
export const CODER_PARAMS_VERSION: CoderParamsVersion = 9;
/** The first coder parameters version with classic rows (and possibly no chunks at all). */
export const CLASSIC_ROWS_VERSION = 6;
/** The first coder parameters version whose predictor-only files need no model (format version 3). */
export const MODEL_FREE_VERSION = 8;
/** The first coder parameters version whose predictor-only files keep their pixel check in the payload (format version 4). */
export const COMPACT_VERSION = 9;
const isCoderParamsVersion = (v: number): v is CoderParamsVersion => (CODER_PARAMS_VERSIONS as readonly number[]).includes(v);
/** Magic, version and body length. */
const PREAMBLE_BYTES = 9;
/** Magic and version (format version 4). */
const COMPACT_PREAMBLE_BYTES = 5;
/** The serialised Message's head (message.ts), which a format version 4 payload starts with. */
const MESSAGE_HEAD_BYTES = 7;
const CRC_BYTES = 4;
const MAX_U16 = 0xffff;
const MAX_U32 = 0xffffffff;

/** The pixel checksum a header stores for the image samples `pixels` (Image.data). */
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

/** Whether the image samples `pixels` match every pixel checksum `header` carries (formats 1 to 3). */
export function pixelsMatch(header: ContainerHeader, pixels: Uint8Array): boolean {
  if (header.pixelSha256Prefix === undefined) throw new RangeError('this header carries no pixel checksum: the payload does (pixelCheckHead)');
  return pixelSha256Prefix(pixels) === header.pixelSha256Prefix && (header.pixelCrc32 === undefined || crc32(pixels) === header.pixelCrc32);
}

/**
 * Which coder made the rows of an image `height` rows tall whose header records `classicRows`
 * (absent before version 6): the bits-back chain alone, the predictive coder alone, or the chain
 * over classic rows.
 */
export function codedBy(height: number, classicRows = 0): 'chain' | 'predictor' | 'both' {
  if (classicRows === 0) return 'chain';
  return classicRows === height ? 'predictor' : 'both';
}

/** Whether a file's model id (a prefix in format version 2) is that of the model whose id is `modelId`. */
export function sameModel(fileModelId: string, modelId: string): boolean {
  return modelId.startsWith(fileModelId);
}

/** Bits per dimension (sub-pixel) of a file of `byteCount` bytes holding this image. */
export function bitsPerDim(byteCount: number, image: { width: number; height: number; channels: number }): number {
  return (8 * byteCount) / (image.width * image.height * image.channels);
}

/**
 * Writes format version 2 for a header with a model; without one (every row classic),
 * version 3 under coder parameters version 8 and version 4 from 9, whose `payload` (a
 * serialised Message) must start at pixelCheckHead and borrow nothing. The header must have
 * no pixelCrc32 and, with a model, a κ that is a float32 value.
 */
export function writeContainer(header: ContainerHeader, payload: Uint8Array): Uint8Array {
  checkHeader(header, 'INVALID_ARGUMENT');
  if (header.pixelCrc32 !== undefined) throw new VdmzipError('INVALID_ARGUMENT', 'format versions 2 to 4 store no pixel CRC-32');
  if (header.modelId !== undefined) return writeChainFile(header, header.modelId, payload);
  return isCompact(header) ? writeCompactFile(header, payload) : writePredictorFile(header, payload);
}

/** Whether a file with this header is of format version 4: predictor-only, coder parameters version 9 on. */
export function isCompact(header: ContainerHeader): boolean {
  return header.modelId === undefined && header.coder.version >= COMPACT_VERSION;
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
  const classicRows = coder.classicRows === undefined ? [] : [coder.classicRows];
  const varints = [header.width, header.height, header.steps!, header.patchSize!, coder.chunkSizes.length, ...coder.chunkSizes, coder.seedWords, ...classicRows];
  const bodyLength = MODEL_ID_PREFIX_BYTES + 1 + 1 + 1 + 4 + PIXEL_SHA256_PREFIX_BYTES + CRC_BYTES + varints.reduce((n, v) => n + varintLength(v), 0);
  return framed(CHAIN_FORMAT, bodyLength, payload, (writer) => {
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
    for (const rows of classicRows) writer.varint(rows);
    writer.bytes(Buffer.from(header.pixelSha256Prefix!, 'hex'));
    writer.u32(crc32(payload));
  });
}

function writePredictorFile(header: ContainerHeader, payload: Uint8Array): Uint8Array {
  const bodyLength = varintLength(header.width) + varintLength(header.height) + 1 + 1 + 1 + PIXEL_SHA256_PREFIX_BYTES;
  return framed(PREDICTOR_FORMAT, bodyLength, payload, (writer) => {
    writer.varint(header.width);
    writer.varint(header.height);
    writer.u8(header.channels);
    writer.u8(header.bitDepth);
    writer.u8(header.coder.version);
    writer.bytes(Buffer.from(header.pixelSha256Prefix!, 'hex'));
  });
}

function writeCompactFile(header: ContainerHeader, payload: Uint8Array): Uint8Array {
  // A Message serialises its borrowed-word count first; a predictor-only message borrows none.
  if (payload[0] !== 0) throw new VdmzipError('INVALID_ARGUMENT', 'a format version 4 payload must be a message that borrowed nothing');
  const message = payload.subarray(1);
  const headerLength = COMPACT_PREAMBLE_BYTES + varintLength(header.width) + varintLength(header.height) + 3;
  const out = new Uint8Array(headerLength + message.length);
  const writer = new ByteWriter(out);
  writer.bytes(Buffer.from(CONTAINER_MAGIC, 'latin1'));
  writer.u8(COMPACT_FORMAT);
  writer.varint(header.width);
  writer.varint(header.height);
  writer.u8(header.channels);
  writer.u8(header.bitDepth);
  writer.u8(header.coder.version);
  writer.bytes(message);
  return out;
}

/** Preamble, the body `writeBody` writes (exactly bodyLength bytes), header CRC, payload. */
function framed(version: number, bodyLength: number, payload: Uint8Array, writeBody: (writer: ByteWriter) => void): Uint8Array {
  const headerEnd = PREAMBLE_BYTES + bodyLength;
  const out = new Uint8Array(headerEnd + CRC_BYTES + payload.length);
  const writer = new ByteWriter(out);
  writer.bytes(Buffer.from(CONTAINER_MAGIC, 'latin1'));
  writer.u8(version);
  writer.u32(bodyLength);
  writeBody(writer);
  writer.u32(crc32(out, 0, headerEnd));
  writer.bytes(payload);
  return out;
}

/**
 * Parses and verifies a .vdmz file of format version 1 to 4. The payload is a view into
 * `bytes`, not a copy. Throws only VdmzipError: 'UNSUPPORTED_FORMAT' (not a .vdmz file),
 * 'TRUNCATED', 'CORRUPT', 'UNSUPPORTED_VERSION', 'TOO_LARGE' (more pixels than MAX_PIXELS).
 */
export function parseContainer(bytes: Uint8Array): Container {
  const magic = Buffer.from(CONTAINER_MAGIC, 'latin1');
  const magicSeen = bytes.subarray(0, magic.length);
  if (!magic.subarray(0, magicSeen.length).equals(magicSeen)) {
    throw new VdmzipError('UNSUPPORTED_FORMAT', 'not a .vdmz file');
  }
  if (bytes.length === 0) throw new VdmzipError('TRUNCATED', 'file is empty');
  if (bytes.length > magic.length && bytes[magic.length] === COMPACT_FORMAT) return parseCompactFile(bytes);
  if (bytes.length < PREAMBLE_BYTES) throw new VdmzipError('TRUNCATED', 'file ends inside its header');

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = bytes[magic.length];
  const headerEnd = PREAMBLE_BYTES + view.getUint32(magic.length + 1, true);
  if (headerEnd + CRC_BYTES > bytes.length) throw new VdmzipError('TRUNCATED', 'file ends inside its header');
  if (crc32(bytes, 0, headerEnd) !== view.getUint32(headerEnd, true)) {
    throw new VdmzipError('CORRUPT', 'header fails its CRC check');
  }
  if (!(CONTAINER_VERSIONS as readonly number[]).includes(version)) {
    throw new VdmzipError(
      'UNSUPPORTED_VERSION',
      `file format version ${version} is not supported (this vdmzip reads versions ${CONTAINER_VERSIONS.join(', ')})`,
    );
  }

  const body = new ByteReader(bytes, PREAMBLE_BYTES, headerEnd);
  const { header, payloadLength, payloadCrc32 } = version === 1 ? readBodyV1(body) : version === 2 ? readBodyV2(body) : readBodyV3(body);
  if (body.pos !== headerEnd) throw new VdmzipError('CORRUPT', 'header is longer than its fields');
  checkHeader(header, 'CORRUPT');

  const payloadStart = headerEnd + CRC_BYTES;
  const payloadEnd = payloadLength === undefined ? bytes.length : payloadStart + payloadLength;
  if (payloadEnd > bytes.length) throw new VdmzipError('TRUNCATED', 'file ends inside its payload');
  if (payloadEnd < bytes.length) throw new VdmzipError('CORRUPT', 'file has data after its payload');
  const payload = bytes.subarray(payloadStart, payloadEnd);
  if (payloadCrc32 !== undefined && crc32(payload) !== payloadCrc32) {
    if (payloadLength !== undefined) throw new VdmzipError('CORRUPT', 'payload fails its CRC check');
    // Version 2 does not record the payload's length: only an empty one says "cut short" for sure.
    if (payload.length === 0) throw new VdmzipError('TRUNCATED', 'file ends before its payload');
    throw new VdmzipError('CORRUPT', 'payload fails its CRC check (damaged or cut short)');
  }
  return { header, payload };
}

/** Format version 4: no CRC guards the header, so a field that runs past the file's end is a file cut short. */
function parseCompactFile(bytes: Uint8Array): Container {
  const body = new ByteReader(bytes, COMPACT_PREAMBLE_BYTES, bytes.length, 'TRUNCATED');
  const width = body.varint();
  const height = body.varint();
  const channels = body.u8() as Channels;
  const bitDepth = body.u8() as 8;
  const version = readCoderVersion(body);
  const coder: CoderParams = { version, chunkSizes: [], seedWords: 0, classicRows: height };
  const header: ContainerHeader = { width, height, channels, bitDepth, coder };
  checkHeader(header, 'CORRUPT');
  if (version < COMPACT_VERSION) throw new VdmzipError('CORRUPT', `format version 4 needs coder parameters version ${COMPACT_VERSION} or later`);
  // The payload starts with the message's whole head: fewer bytes than that is a file cut short.
  if (bytes.length - body.pos < MESSAGE_HEAD_BYTES) throw new VdmzipError('TRUNCATED', 'file ends inside its payload');
  return { header, payload: bytes.subarray(body.pos) };
}

/** A header body's fields; `payloadLength` and `payloadCrc32` only where the version records them. */
type Body = { header: ContainerHeader; payloadLength?: number; payloadCrc32?: number };

function readBodyV3(body: ByteReader): Body {
  const width = body.varint();
  const height = body.varint();
  const channels = body.u8() as Channels;
  const bitDepth = body.u8() as 8;
  const version = readCoderVersion(body);
  const pixelSha256Prefix = body.hex(PIXEL_SHA256_PREFIX_BYTES);
  const coder: CoderParams = { version, chunkSizes: [], seedWords: 0, classicRows: height };
  return { header: { width, height, channels, bitDepth, coder, pixelSha256Prefix } };
}

function readBodyV2(body: ByteReader): Body {
  const modelId = body.hex(MODEL_ID_PREFIX_BYTES);
  const width = body.varint();
  const height = body.varint();
  const channels = body.u8() as Channels;
  const bitDepth = body.u8() as 8;
  const steps = body.varint();
  const patchSize = body.varint();
  const coder = readCoderParams(body, () => body.f32());
  const pixelSha256Prefix = body.hex(PIXEL_SHA256_PREFIX_BYTES);
  const payloadCrc32 = body.u32();
  return { header: { modelId, width, height, channels, bitDepth, steps, patchSize, coder, pixelSha256Prefix }, payloadCrc32 };
}

function readBodyV1(body: ByteReader): Body {
  const modelId = body.hex(MODEL_ID_BYTES);
  const width = body.u32();
  const height = body.u32();
  const channels = body.u8() as Channels;
  const bitDepth = body.u8() as 8;
  const steps = body.u16();
  const patchSize = body.u16();
  const coder = readCoderParams(body, () => body.f64());
  const pixelCrc32 = body.u32();
  const pixelSha256Prefix = body.hex(PIXEL_SHA256_PREFIX_BYTES);
  const payloadLength = body.u32();
  const payloadCrc32 = body.u32();
  return { header: { modelId, width, height, channels, bitDepth, steps, patchSize, coder, pixelCrc32, pixelSha256Prefix }, payloadLength, payloadCrc32 };
}

/** The coder parameters version byte: a version this build does not know is 'UNSUPPORTED_VERSION'. */
function readCoderVersion(body: ByteReader): CoderParamsVersion {
  const version = body.u8();
  if (!isCoderParamsVersion(version)) throw new VdmzipError('UNSUPPORTED_VERSION', `coder parameters version ${version} is not supported`);
  return version;
}

/** Coder parameters: version, κ (read by `gridFactor`), chunk schedule, seed words, classic rows (version 6 on). */
function readCoderParams(body: ByteReader, gridFactor: () => number): CoderParams {
  const version = readCoderVersion(body);
  const factor = gridFactor();
  const chunkCount = body.varint();
  const chunkSizes: number[] = [];
  for (let i = 0; i < chunkCount; i++) chunkSizes.push(body.varint());
  const seedWords = body.varint();
  return version >= CLASSIC_ROWS_VERSION ? { version, gridFactor: factor, chunkSizes, seedWords, classicRows: body.varint() } : { version, gridFactor: factor, chunkSizes, seedWords };
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
  if (!isCoderParamsVersion(coder.version)) fail(`coder parameters version ${String(coder.version)} is not one of ${CODER_PARAMS_VERSIONS.join(', ')}`);
  if (modelId === undefined) {
    // A predictor-only file: nothing of the chain, every row classic.
    if (coder.version < MODEL_FREE_VERSION) fail(`a file without a model needs coder parameters version ${MODEL_FREE_VERSION} or later`);
    if (steps !== undefined || patchSize !== undefined || coder.gridFactor !== undefined) fail('a file without a model has no T, patch size or grid factor');
    if (coder.classicRows !== height || coder.chunkSizes.length > 0 || coder.seedWords !== 0) fail('a file without a model codes every row classically, with no chunks or seed words');
  } else {
    if (!/^[0-9a-f]{16}([0-9a-f]{48})?$/.test(modelId)) fail('model id must be 64 lower-case hex digits (a SHA-256) or the first 16 of them');
    if (!isIntegerIn(steps ?? Number.NaN, 1, MAX_U16)) fail(`step count T = ${steps} is not in 1…${MAX_U16}`);
    if (!isIntegerIn(patchSize ?? Number.NaN, 1, MAX_U16)) fail(`patch size ${patchSize} is not in 1…${MAX_U16}`);
    if (coder.gridFactor === undefined || !Number.isFinite(coder.gridFactor) || coder.gridFactor <= 0) fail(`grid factor ${coder.gridFactor} is not positive`);
  }
  if (coder.version >= CLASSIC_ROWS_VERSION) {
    if (coder.classicRows === undefined || !isIntegerIn(coder.classicRows, 0, height)) fail(`classic rows must be an integer in 0…${height}`);
    if ((coder.chunkSizes.length === 0) !== (coder.classicRows === height)) fail('the chunk schedule must be empty exactly when every row is classic');
  } else {
    if (coder.classicRows !== undefined) fail(`coder parameters version ${coder.version} has no classic rows`);
    if (coder.chunkSizes.length === 0) fail('chunk schedule is empty');
  }
  if (!coder.chunkSizes.every((size) => isIntegerIn(size, 1, MAX_U32))) fail('chunk sizes must be integers in 1…2^32 − 1');
  if (!isIntegerIn(coder.seedWords, 0, MAX_U32)) fail('seed word count must be an integer in 0…2^32 − 1');
  if (header.pixelCrc32 !== undefined && !isIntegerIn(header.pixelCrc32, 0, MAX_U32)) fail('pixel CRC-32 is not a 32-bit unsigned integer');
  if (isCompact(header)) {
    if (header.pixelSha256Prefix !== undefined) fail(`a file without a model under coder parameters version ${COMPACT_VERSION} on keeps its pixel check in the payload, not a SHA-256 prefix`);
  } else if (!/^[0-9a-f]{16}$/.test(header.pixelSha256Prefix ?? '')) fail('pixel SHA-256 prefix must be 16 lower-case hex digits');
}

function isIntegerIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

class ByteWriter {
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
class ByteReader {
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    public pos: number,
    private readonly end: number,
    private readonly pastEnd: 'CORRUPT' | 'TRUNCATED' = 'CORRUPT',
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private take(count: number): number {
    const at = this.pos;
    if (at + count > this.end) throw new VdmzipError(this.pastEnd, this.pastEnd === 'TRUNCATED' ? 'file ends inside its header' : 'header is shorter than its fields');
    this.pos += count;
    return at;
  }

  u8(): number {
    return this.bytes[this.take(1)];
  }

  u16(): number {
    return this.view.getUint16(this.take(2), true);
  }

  u32(): number {
    return this.view.getUint32(this.take(4), true);
  }

  f32(): number {
    return this.view.getFloat32(this.take(4), true);
  }

  f64(): number {
    return this.view.getFloat64(this.take(8), true);
  }

  hex(count: number): string {
    const at = this.take(count);
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset + at, count).toString('hex');
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
