/**
 * .vdmz files spelt out field by field from the tables at the top of src/coder/container.ts,
 * independently of writeContainer: the container tests compare its output with
 * containerV2, containerV3 and containerV4, and writeContainerV1 makes the format version 1 files that
 * vdmzip still reads but no longer writes (test/golden.test.ts checks that it reproduces
 * fixtures/golden/image-v1.vdmz byte for byte).
 */
import type { ContainerHeader } from '../../src/coder/container.ts';
import { crc32 } from '../../src/image/crc32.ts';

/** `value` as `bytes` little-endian bytes. */
export const le = (value: number, bytes: number): number[] => Array.from({ length: bytes }, (_, i) => Math.floor(value / 256 ** i) & 0xff);

/** Unsigned LEB128. */
export function leb128(value: number): number[] {
  const out: number[] = [];
  for (; value >= 0x80; value = Math.floor(value / 0x80)) out.push((value % 0x80) | 0x80);
  return [...out, value];
}

const float = (value: number, bytes: 4 | 8): number[] => {
  const view = new DataView(new ArrayBuffer(bytes));
  if (bytes === 4) view.setFloat32(0, value, true);
  else view.setFloat64(0, value, true);
  return [...new Uint8Array(view.buffer)];
};

const hex = (digits: string): number[] => [...Buffer.from(digits, 'hex')];

/** A header with a model: what formats 1 and 2 hold. */
export type ChainHeader = ContainerHeader & { modelId: string; steps: number; patchSize: number; coder: { gridFactor: number } };

/** Chunk schedule, seed words and (coder parameters version 6 on) classic rows. */
const schedule = ({ chunkSizes, seedWords, classicRows }: ContainerHeader['coder']): number[] => [
  ...leb128(chunkSizes.length),
  ...chunkSizes.flatMap(leb128),
  ...leb128(seedWords),
  ...(classicRows === undefined ? [] : leb128(classicRows)),
];

/** Preamble, body, header CRC, payload. */
function container(version: number, body: number[], payload: Uint8Array): Uint8Array {
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
    ...float(coder.gridFactor, 4),
    ...schedule(coder),
    ...hex(header.pixelSha256Prefix!),
    ...le(crc32(payload), 4),
  ];
  return container(2, body, payload);
}

/** Format version 1: needs the full model id and the pixel CRC-32. */
export function writeContainerV1(header: ChainHeader & { pixelCrc32: number }, payload: Uint8Array): Uint8Array {
  const { coder } = header;
  const body = [
    ...hex(header.modelId),
    ...le(header.width, 4),
    ...le(header.height, 4),
    header.channels,
    header.bitDepth,
    ...le(header.steps, 2),
    ...le(header.patchSize, 2),
    coder.version,
    ...float(coder.gridFactor, 8),
    ...schedule(coder),
    ...le(header.pixelCrc32, 4),
    ...hex(header.pixelSha256Prefix!),
    ...le(payload.length, 4),
    ...le(crc32(payload), 4),
  ];
  return container(1, body, payload);
}

/** Format version 3, as writeContainer should write a header without a model. */
export function containerV3(header: ContainerHeader, payload: Uint8Array): Uint8Array {
  const body = [...leb128(header.width), ...leb128(header.height), header.channels, header.bitDepth, header.coder.version, ...hex(header.pixelSha256Prefix!)];
  return container(3, body, payload);
}

/** Format version 4, as writeContainer should write a header without a model from coder parameters version 9: `message` is a serialised Message, whose first byte (its borrowed-word count, 0) the file leaves out. */
export function containerV4(header: ContainerHeader, message: Uint8Array): Uint8Array {
  return Uint8Array.from([...Buffer.from('VDMZ'), 4, ...leb128(header.width), ...leb128(header.height), header.channels, header.bitDepth, header.coder.version, ...message.subarray(1)]);
}
