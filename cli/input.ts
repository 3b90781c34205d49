/**
 * Bounded reading of a command's input: the first bytes are checked (signature, header)
 * before more is read, and reading stops once the input holds more than its header's
 * image can need, so a huge or endless input (`/dev/zero`, a pipe from the wrong program)
 * fails at once, in little memory, instead of being read whole first.
 */
import { open } from 'node:fs/promises';
import { BANDED_FORMAT, bandedImageOf, CONTAINER_MAGIC, parseContainer } from '../src/format/container.ts';
import { EXTENDED_FORMAT, readExtendedHeader } from '../src/format/extended.ts';
import { VdmzipError } from '../src/errors.ts';
import { MAX_PIXELS } from '../src/image/image.ts';
import { BoundedInput, HEADER_SEARCH_BYTES, imageInputBound, INPUT_SLACK_BYTES, type InputBound, type InputBoundOf } from '../src/image/limits.ts';
import { ioError, STDIN_NAME } from './files.ts';

export { imageInputBound, type InputBoundOf };

/** Bytes read at a time: small until the header is known, then larger. */
const FIRST_READ_BYTES = 64 * 1024;
const LATER_READ_BYTES = 1024 * 1024;

/** The bound of a .vdmz file whose header does not give its image away before the payload (formats 1 and 2). */
const ANY_VDMZ: InputBound = { maxBytes: 2 * MAX_PIXELS * 4 + INPUT_SLACK_BYTES, image: 'image of at most MAX_PIXELS pixels' };

/** The preamble of .vdmz format versions 1 to 3 and 5: magic, version, body length (u32, little-endian); a CRC follows the body. */
const PREAMBLE_BYTES = 9;
const CRC_BYTES = 4;

/**
 * The bound of a .vdmz file (see InputBoundOf): 'UNSUPPORTED_FORMAT' unless it starts with
 * the magic, and the header's own errors (damage, an unknown version, more than MAX_PIXELS
 * pixels) as soon as the header has been read.
 */
export const vdmzInputBound: InputBoundOf = (prefix, complete) => {
  const magic = Buffer.from(CONTAINER_MAGIC, 'latin1');
  if (!magic.subarray(0, prefix.length).equals(prefix.subarray(0, magic.length))) {
    throw new VdmzipError('UNSUPPORTED_FORMAT', 'not a .vdmz file');
  }
  // A whole file is left to the decoder, which says what is wrong with it.
  if (complete) return ANY_VDMZ;
  if (prefix.length < PREAMBLE_BYTES) return undefined;
  const version = prefix[magic.length];
  // Versions 1 to 3 and 5 say where their header ends; version 4's ends where its fields do.
  const framed = (version >= 1 && version <= 3) || version === EXTENDED_FORMAT;
  const headerEnd = framed ? PREAMBLE_BYTES + Buffer.from(prefix).readUInt32LE(magic.length + 1) + CRC_BYTES : prefix.length;
  if (headerEnd > HEADER_SEARCH_BYTES) return ANY_VDMZ;
  if (headerEnd > prefix.length) return undefined;
  if (version === BANDED_FORMAT) {
    // Bands of a predictor-only file: its image bounds it as format 4's does, the bands unread.
    try {
      const { width, height, channels } = bandedImageOf(prefix);
      return { maxBytes: 2 * width * height * channels + INPUT_SLACK_BYTES, image: `${width}×${height} image` };
    } catch (error) {
      if (!(error instanceof VdmzipError) || error.code !== 'TRUNCATED') throw error;
      return prefix.length < HEADER_SEARCH_BYTES ? undefined : ANY_VDMZ;
    }
  }
  if (version === EXTENDED_FORMAT) {
    // The header gives the file's length exactly.
    const { header, payloadStart, innerLength, lowBitsLength } = readExtendedHeader(prefix.subarray(0, headerEnd));
    return { maxBytes: payloadStart + innerLength + lowBitsLength, image: `${header.width}×${header.height} image` };
  }
  try {
    const { header } = parseContainer(prefix.subarray(0, headerEnd));
    const raw = header.width * header.height * header.channels;
    return { maxBytes: 2 * raw + INPUT_SLACK_BYTES, image: `${header.width}×${header.height} image` };
  } catch (error) {
    if (!(error instanceof VdmzipError) || error.code !== 'TRUNCATED') throw error;
    // The header checked out and the payload is still to come (versions 1 and 2 check it
    // whole), or a version 4 header goes on past what has been read.
    if (version >= 1 && version <= 3) return ANY_VDMZ;
    return prefix.length < HEADER_SEARCH_BYTES ? undefined : ANY_VDMZ;
  }
};

/** Chunks of the file at `path`, read with plain reads: works for pipes and devices too. */
async function* fileChunks(path: string): AsyncGenerator<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    for (let size = FIRST_READ_BYTES; ; size = LATER_READ_BYTES) {
      const buffer = Buffer.allocUnsafe(size);
      const { bytesRead } = await handle.read(buffer, 0, size, null);
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

/** Chunks of standard input; stopping early (return) lets go of the stream. Refuses a terminal. */
async function* stdinChunks(): AsyncGenerator<Uint8Array> {
  if (process.stdin.isTTY) throw new VdmzipError('USAGE', 'refusing to read binary data from a terminal; redirect standard input', { file: STDIN_NAME });
  for await (const chunk of process.stdin) yield chunk as Buffer;
}

/**
 * Reads `path` ('-' for standard input) while `boundOf` approves of what has been read:
 * it sees the first bytes before anything more is read, and once it has given a bound,
 * reading stops as soon as the input is longer. Failures are VdmzipErrors naming the input.
 */
export async function readBoundedInput(path: string, boundOf: InputBoundOf): Promise<Uint8Array> {
  const label = path === '-' ? STDIN_NAME : path;
  try {
    const input = new BoundedInput(boundOf);
    for await (const chunk of path === '-' ? stdinChunks() : fileChunks(path)) input.add(chunk);
    return input.bytes();
  } catch (error) {
    if (error instanceof VdmzipError) throw error.withFile(label);
    throw ioError(error, label);
  }
}
