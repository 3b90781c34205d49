/**
 * The .vdmz container (DESIGN §5): everything a decoder needs besides the model bundle,
 * and enough checks that a damaged or mismatched file fails with a one-line reason
 * instead of decoding to a wrong image.
 *
 * Byte layout, format version 1. Integers are little-endian; "varint" is unsigned
 * LEB128 of at most 5 bytes, value < 2^32, in its shortest form.
 *
 *   offset  size  field
 *   0       4     magic "VDMZ"
 *   4       1     format version (1)
 *   5       4     H: length of the header body that follows (u32)
 *   9       H     header body:
 *                   32  model id: SHA-256 of the model bundle
 *                    4  width (u32, ≥ 1)
 *                    4  height (u32, ≥ 1; width·height ≤ MAX_PIXELS)
 *                    1  channels (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA)
 *                    1  bit depth (8)
 *                    2  T, diffusion steps (u16, ≥ 1)
 *                    2  patch size in pixels (u16, ≥ 1)
 *                    1  coder parameters version (1 or 2: the grid rule, see schedule.ts), then:
 *                    8    grid factor κ (float64, finite, > 0)
 *                    v    chunk count n (varint, ≥ 1), then n varints: patches per chunk (each ≥ 1)
 *                    v    seed words (varint): 16-bit words that funded the first chunk's pops
 *                    4  pixel CRC-32
 *                    8  pixel SHA-256, first 8 bytes
 *                    4  payload length L (u32)
 *                    4  payload CRC-32
 *   9+H     4     header CRC-32 over bytes [0, 9+H)
 *   13+H    L     payload: the rANS message
 *
 * The file ends exactly after the payload. Magic, version, H and the header CRC keep
 * their places in every future version, so a reader can tell a damaged header
 * ('CORRUPT') from a newer one ('UNSUPPORTED_VERSION').
 *
 * Pixel checksums cover the decoded image's interleaved samples (Image.data). The
 * CRC-32 catches every burst error cheaply; the 64-bit SHA-256 prefix makes a wrong
 * image that still matches (a decoder bug, a wrong model that slipped through) a 2^-64
 * event rather than a 2^-32 one. The payload CRC lets decompress refuse a damaged file
 * before running the model, and the header CRC covers every field, so a parse that
 * succeeds returns exactly what was written.
 */
import { createHash } from 'node:crypto';
import { VdmzipError, type VdmzipErrorCode } from '../errors.ts';
import { crc32 } from '../image/crc32.ts';
import { checkDimensions, type Channels } from '../image/image.ts';
import { varintLength } from '../leb128.ts';

export const CONTAINER_MAGIC = 'VDMZ';
export const CONTAINER_VERSION = 1;

/**
 * How the bits-back coder was configured; versioned on its own so it can evolve. The
 * version selects the rule that turns κ into per-latent grids (src/coder/schedule.ts).
 */
export type CoderParams = {
  version: CoderParamsVersion;
  /** κ: latent grid width δ_i as a multiple of the smaller std at step i (DESIGN §3). */
  gridFactor: number;
  /** Patches coded in each sequential chunk, in coding order. */
  chunkSizes: number[];
  /** Pseudo-random 16-bit words pushed before the first chunk to fund its pops. */
  seedWords: number;
};

export type ContainerHeader = {
  /** SHA-256 of the model bundle, 64 lower-case hex digits. */
  modelId: string;
  width: number;
  height: number;
  channels: Channels;
  bitDepth: 8;
  /** T, the number of diffusion steps the file was coded with. */
  steps: number;
  patchSize: number;
  coder: CoderParams;
  /** CRC-32 of the image samples (see pixelChecksums). */
  pixelCrc32: number;
  /** First 8 bytes of the SHA-256 of the image samples, 16 lower-case hex digits. */
  pixelSha256Prefix: string;
};

export type Container = { header: ContainerHeader; payload: Uint8Array };

const MODEL_ID_BYTES = 32;
const PIXEL_SHA256_PREFIX_BYTES = 8;
/** Coder parameter versions this build reads; it writes the newest. */
export const CODER_PARAMS_VERSIONS = [1, 2] as const;
export type CoderParamsVersion = (typeof CODER_PARAMS_VERSIONS)[number];
export const CODER_PARAMS_VERSION: CoderParamsVersion = 2;
const isCoderParamsVersion = (v: number): v is CoderParamsVersion => (CODER_PARAMS_VERSIONS as readonly number[]).includes(v);
/** Magic, version and body length. */
const PREAMBLE_BYTES = 9;
const CRC_BYTES = 4;
const MAX_U16 = 0xffff;
const MAX_U32 = 0xffffffff;

/** The checksums a header stores for the image samples `pixels` (Image.data). */
export function pixelChecksums(pixels: Uint8Array): Pick<ContainerHeader, 'pixelCrc32' | 'pixelSha256Prefix'> {
  const sha256 = createHash('sha256').update(pixels).digest();
  return { pixelCrc32: crc32(pixels), pixelSha256Prefix: sha256.subarray(0, PIXEL_SHA256_PREFIX_BYTES).toString('hex') };
}

/** Bits per dimension (sub-pixel) of a file of `byteCount` bytes holding this image. */
export function bitsPerDim(byteCount: number, image: { width: number; height: number; channels: number }): number {
  return (8 * byteCount) / (image.width * image.height * image.channels);
}

export function writeContainer(header: ContainerHeader, payload: Uint8Array): Uint8Array {
  checkHeader(header, 'INVALID_ARGUMENT');
  if (payload.length > MAX_U32) throw new VdmzipError('INVALID_ARGUMENT', 'payload exceeds 4 GiB');
  const { chunkSizes } = header.coder;
  const bodyLength =
    MODEL_ID_BYTES + 4 + 4 + 1 + 1 + 2 + 2 +
    1 + 8 + varintLength(chunkSizes.length) + chunkSizes.reduce((n, size) => n + varintLength(size), 0) +
    varintLength(header.coder.seedWords) +
    4 + PIXEL_SHA256_PREFIX_BYTES + 4 + 4;
  const headerEnd = PREAMBLE_BYTES + bodyLength;
  const out = new Uint8Array(headerEnd + CRC_BYTES + payload.length);
  const writer = new ByteWriter(out);

  writer.bytes(Buffer.from(CONTAINER_MAGIC, 'latin1'));
  writer.u8(CONTAINER_VERSION);
  writer.u32(bodyLength);
  writer.bytes(Buffer.from(header.modelId, 'hex'));
  writer.u32(header.width);
  writer.u32(header.height);
  writer.u8(header.channels);
  writer.u8(header.bitDepth);
  writer.u16(header.steps);
  writer.u16(header.patchSize);
  writer.u8(header.coder.version);
  writer.f64(header.coder.gridFactor);
  writer.varint(chunkSizes.length);
  for (const size of chunkSizes) writer.varint(size);
  writer.varint(header.coder.seedWords);
  writer.u32(header.pixelCrc32);
  writer.bytes(Buffer.from(header.pixelSha256Prefix, 'hex'));
  writer.u32(payload.length);
  writer.u32(crc32(payload));
  writer.u32(crc32(out, 0, headerEnd));
  writer.bytes(payload);
  return out;
}

/**
 * Parses and verifies a .vdmz file. The payload is a view into `bytes`, not a copy.
 * Throws only VdmzipError: 'UNSUPPORTED_FORMAT' (not a .vdmz file), 'TRUNCATED',
 * 'CORRUPT', 'UNSUPPORTED_VERSION', 'TOO_LARGE' (more pixels than MAX_PIXELS).
 */
export function parseContainer(bytes: Uint8Array): Container {
  const magic = Buffer.from(CONTAINER_MAGIC, 'latin1');
  const magicSeen = bytes.subarray(0, magic.length);
  if (!magic.subarray(0, magicSeen.length).equals(magicSeen)) {
    throw new VdmzipError('UNSUPPORTED_FORMAT', 'not a .vdmz file');
  }
  if (bytes.length === 0) throw new VdmzipError('TRUNCATED', 'file is empty');
  if (bytes.length < PREAMBLE_BYTES) throw new VdmzipError('TRUNCATED', 'file ends inside its header');

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = bytes[magic.length];
  const headerEnd = PREAMBLE_BYTES + view.getUint32(magic.length + 1, true);
  if (headerEnd + CRC_BYTES > bytes.length) throw new VdmzipError('TRUNCATED', 'file ends inside its header');
  if (crc32(bytes, 0, headerEnd) !== view.getUint32(headerEnd, true)) {
    throw new VdmzipError('CORRUPT', 'header fails its CRC check');
  }
  if (version !== CONTAINER_VERSION) {
    throw new VdmzipError(
      'UNSUPPORTED_VERSION',
      `file format version ${version} is not supported (this vdmzip reads version ${CONTAINER_VERSION})`,
    );
  }

  const body = new ByteReader(bytes, PREAMBLE_BYTES, headerEnd);
  const modelId = body.hex(MODEL_ID_BYTES);
  const width = body.u32();
  const height = body.u32();
  const channels = body.u8() as Channels;
  const bitDepth = body.u8() as 8;
  const steps = body.u16();
  const patchSize = body.u16();
  const coderVersion = body.u8();
  if (!isCoderParamsVersion(coderVersion)) {
    throw new VdmzipError('UNSUPPORTED_VERSION', `coder parameters version ${coderVersion} is not supported`);
  }
  const gridFactor = body.f64();
  const chunkCount = body.varint();
  const chunkSizes: number[] = [];
  for (let i = 0; i < chunkCount; i++) chunkSizes.push(body.varint());
  const seedWords = body.varint();
  const pixelCrc32 = body.u32();
  const pixelSha256Prefix = body.hex(PIXEL_SHA256_PREFIX_BYTES);
  const payloadLength = body.u32();
  const payloadCrc32 = body.u32();
  if (body.pos !== headerEnd) throw new VdmzipError('CORRUPT', 'header is longer than its fields');

  const header: ContainerHeader = {
    modelId,
    width,
    height,
    channels,
    bitDepth,
    steps,
    patchSize,
    coder: { version: coderVersion, gridFactor, chunkSizes, seedWords },
    pixelCrc32,
    pixelSha256Prefix,
  };
  checkHeader(header, 'CORRUPT');

  const payloadStart = headerEnd + CRC_BYTES;
  const payloadEnd = payloadStart + payloadLength;
  if (payloadEnd > bytes.length) throw new VdmzipError('TRUNCATED', 'file ends inside its payload');
  if (payloadEnd < bytes.length) throw new VdmzipError('CORRUPT', 'file has data after its payload');
  const payload = bytes.subarray(payloadStart, payloadEnd);
  if (crc32(payload) !== payloadCrc32) throw new VdmzipError('CORRUPT', 'payload fails its CRC check');
  return { header, payload };
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
  if (!/^[0-9a-f]{64}$/.test(modelId)) fail('model id must be 64 lower-case hex digits (a SHA-256)');
  checkDimensions(width, height, 'image', invalidCode);
  if (![1, 2, 3, 4].includes(channels)) fail(`channel count ${channels} is not 1 to 4`);
  if (bitDepth !== 8) fail(`bit depth ${bitDepth} is not 8`);
  if (!isIntegerIn(steps, 1, MAX_U16)) fail(`step count T = ${steps} is not in 1…${MAX_U16}`);
  if (!isIntegerIn(patchSize, 1, MAX_U16)) fail(`patch size ${patchSize} is not in 1…${MAX_U16}`);
  if (!isCoderParamsVersion(coder.version)) fail(`coder parameters version ${String(coder.version)} is not one of ${CODER_PARAMS_VERSIONS.join(', ')}`);
  if (!Number.isFinite(coder.gridFactor) || coder.gridFactor <= 0) fail(`grid factor ${coder.gridFactor} is not positive`);
  if (coder.chunkSizes.length === 0) fail('chunk schedule is empty');
  if (!coder.chunkSizes.every((size) => isIntegerIn(size, 1, MAX_U32))) fail('chunk sizes must be integers in 1…2^32 − 1');
  if (!isIntegerIn(coder.seedWords, 0, MAX_U32)) fail('seed word count must be an integer in 0…2^32 − 1');
  if (!isIntegerIn(header.pixelCrc32, 0, MAX_U32)) fail('pixel CRC-32 is not a 32-bit unsigned integer');
  if (!/^[0-9a-f]{16}$/.test(header.pixelSha256Prefix)) fail('pixel SHA-256 prefix must be 16 lower-case hex digits');
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

  u16(value: number): void {
    this.view.setUint16(this.pos, value, true);
    this.pos += 2;
  }

  u32(value: number): void {
    this.view.setUint32(this.pos, value, true);
    this.pos += 4;
  }

  f64(value: number): void {
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
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
 * Reads the header body `bytes[pos, end)`. Its CRC has matched, so a field that runs
 * past `end` or breaks the varint rules was written that way: 'CORRUPT'.
 */
class ByteReader {
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    public pos: number,
    private readonly end: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private take(count: number): number {
    const at = this.pos;
    if (at + count > this.end) throw new VdmzipError('CORRUPT', 'header is shorter than its fields');
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
