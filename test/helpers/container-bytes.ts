/**
 * .vdmz files spelt out field by field from docs/format.md §2 (and the tables at the top of
 * src/format/container.ts), independently of writeContainer: the container tests compare its
 * output with containerV2 and containerV4, and build files of the formats before 1.0 with
 * `framed`, which the decoder must refuse.
 */
import type { ContainerHeader } from '../../src/format/container.ts';
import { crc32 } from '../../src/image/crc32.ts';

/** `value` as `bytes` little-endian bytes. */
export const le = (value: number, bytes: number): number[] => Array.from({ length: bytes }, (_, i) => Math.floor(value / 256 ** i) & 0xff);

/** Unsigned LEB128. */
export function leb128(value: number): number[] {
  const out: number[] = [];
  for (; value >= 0x80; value = Math.floor(value / 0x80)) out.push((value % 0x80) | 0x80);
  return [...out, value];
}

const float32 = (value: number): number[] => {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, value, true);
  return [...new Uint8Array(view.buffer)];
};

const hex = (digits: string): number[] => [...Buffer.from(digits, 'hex')];

/** A header with a model: what format 2 holds. */
export type ChainHeader = ContainerHeader & { modelId: string; steps: number; patchSize: number; coder: { gridFactor: number } };

/** Chunk schedule, seed words and predictor rows. */
const schedule = ({ chunkSizes, seedWords, predictorRows }: ContainerHeader['coder']): number[] => [
  ...leb128(chunkSizes.length),
  ...chunkSizes.flatMap(leb128),
  ...leb128(seedWords),
  ...leb128(predictorRows),
];

/** Preamble, body, header CRC, payload: the framing of format version 2, which the formats before 1.0 other than 4 shared. */
export function framed(version: number, body: number[], payload: Uint8Array): Uint8Array {
  const header = [...Buffer.from('VDMZ'), version, ...le(body.length, 4), ...body];
  return Uint8Array.from([...header, ...le(crc32(Uint8Array.from(header)), 4), ...payload]);
}

/** Format version 2, as writeContainer should write it (the model id may be 16 or 64 hex digits). */
export function containerV2(header: ChainHeader, payload: Uint8Array): Uint8Array {
  const { coder } = header;
  const body = [
    ...hex(header.modelId.slice(0, 16)),
    ...leb128(header.width),
    ...leb128(header.height),
    header.channels,
    header.bitDepth,
    ...leb128(header.steps),
    ...leb128(header.patchSize),
    coder.version,
    ...float32(coder.gridFactor),
    ...schedule(coder),
    ...hex(header.pixelSha256Prefix!),
    ...le(crc32(payload), 4),
  ];
  return framed(2, body, payload);
}

/** Format version 4, as writeContainer should write a header without a model: `message` is a serialised Message, whose first byte (its borrowed-word count, 0) the file leaves out. */
export function containerV4(header: ContainerHeader, message: Uint8Array): Uint8Array {
  return Uint8Array.from([...Buffer.from('VDMZ'), 4, ...leb128(header.width), ...leb128(header.height), header.channels, header.bitDepth, header.coder.version, ...message.subarray(1)]);
}
