import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bitsPerDim,
  CODER_PARAMS_VERSION,
  messageBytes,
  parseContainer,
  pixelsMatch,
  pixelSha256Prefix,
  sameModel,
  writeContainer,
  type ContainerHeader,
} from '../src/coder/container.ts';
import { VdmzipError } from '../src/errors.ts';
import { crc32 } from '../src/image/crc32.ts';
import { MAX_PIXELS } from '../src/image/index.ts';
import { type ChainHeader, containerV2, containerV3, containerV4, le, writeContainerV1 } from './helpers/container-bytes.ts';

const PARSE_ERROR_CODES = ['UNSUPPORTED_FORMAT', 'TRUNCATED', 'CORRUPT', 'UNSUPPORTED_VERSION', 'TOO_LARGE'];

const hexArbitrary = (bytes: number) =>
  fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString('hex'));

/**
 * Valid headers for format `version`: version 2 takes a full model id or its prefix, no
 * pixel CRC and a float32 κ; version 1 a full id, a pixel CRC and any positive float64 κ.
 */
function headerArbitrary(version: 1 | 2): fc.Arbitrary<ChainHeader> {
  return fc
    .record({
      width: fc.integer({ min: 1, max: 1 << 14 }),
      height: fc.integer({ min: 1, max: 1 << 14 }),
    })
    .chain(({ width, height }) =>
      fc.record({
        modelId: version === 1 ? hexArbitrary(32) : fc.oneof(hexArbitrary(8), hexArbitrary(32)),
        width: fc.constant(width),
        height: fc.constant(height),
        channels: fc.constantFrom(1 as const, 2 as const, 3 as const, 4 as const),
        bitDepth: fc.constant(8 as const),
        steps: fc.integer({ min: 1, max: 0xffff }),
        patchSize: fc.integer({ min: 1, max: 0xffff }),
        coder: fc.record({
          version: fc.constantFrom(1 as const, 2 as const),
          gridFactor:
            version === 1
              ? fc.double({ min: Number.MIN_VALUE, max: 1e6, noNaN: true })
              : fc.float({ min: 2 ** -149, noNaN: true, noDefaultInfinity: true }),
          chunkSizes: fc.array(fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 0xffffffff })), {
            minLength: 1,
            maxLength: 12,
          }),
          seedWords: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 0xffffffff })),
        }),
        ...(version === 1 ? { pixelCrc32: fc.integer({ min: 0, max: 0xffffffff }) } : {}),
        pixelSha256Prefix: hexArbitrary(8),
      }),
    );
}

/** Writes `header` as format `version`, and says what parsing the file must give back. */
const FORMATS = {
  1: {
    write: (header: ChainHeader, payload: Uint8Array) => writeContainerV1(header as ChainHeader & { pixelCrc32: number }, payload),
    parsed: (header: ChainHeader) => header,
  },
  2: {
    write: writeContainer,
    parsed: (header: ChainHeader) => ({ ...header, modelId: header.modelId.slice(0, 16) }),
  },
} as const;

function sampleHeader(overrides: Partial<ChainHeader> = {}): ChainHeader {
  return {
    modelId: 'ab'.repeat(32),
    width: 3,
    height: 2,
    channels: 3,
    bitDepth: 8,
    steps: 64,
    patchSize: 32,
    coder: { version: 1, gridFactor: 0.5, chunkSizes: [1, 2, 300], seedWords: 200 },
    pixelSha256Prefix: '0123456789abcdef',
    ...overrides,
  };
}

/** The sample as a version 1 header: a pixel CRC, and a κ that float32 cannot hold. */
function sampleHeaderV1(overrides: Partial<ChainHeader> = {}): ChainHeader & { pixelCrc32: number } {
  const header = sampleHeader(overrides);
  return { ...header, coder: { ...header.coder, gridFactor: 0.1 }, pixelCrc32: 0xdeadbeef, ...overrides };
}

/** Parses, and returns either the result or the VdmzipError code; any other throw fails the test. */
function parseOutcome(bytes: Uint8Array): { ok: ReturnType<typeof parseContainer> } | { code: string } {
  try {
    return { ok: parseContainer(bytes) };
  } catch (error) {
    if (!(error instanceof VdmzipError)) throw error;
    expect(PARSE_ERROR_CODES).toContain(error.code);
    expect(error.message).not.toMatch(/\n/);
    return { code: error.code };
  }
}

const headerEnd = (file: Uint8Array) => 9 + new DataView(file.buffer, file.byteOffset).getUint32(5, true);

/** Rewrites the header CRC after a test edits header bytes, so the edit reaches the field checks. */
function resign(file: Uint8Array): Uint8Array {
  const end = headerEnd(file);
  new DataView(file.buffer, file.byteOffset).setUint32(end, crc32(file, 0, end), true);
  return file;
}

describe('container layout', () => {
  it('writes format version 2: every field where the documented layout says', () => {
    const header = sampleHeader();
    const payload = Uint8Array.of(9, 8, 7);

    // Built field by field from the table in src/coder/container.ts.
    const body = [
      ...Buffer.from('ab'.repeat(8), 'hex'), // model id prefix
      3, // width (varint)
      2, // height (varint)
      3, // channels
      8, // bit depth
      64, // T (varint)
      32, // patch size (varint)
      1, // coder parameters version
      0x00, 0x00, 0x00, 0x3f, // κ = 0.5 as float32
      3, 0x01, 0x02, 0xac, 0x02, // 3 chunks: 1, 2, 300 as LEB128
      0xc8, 0x01, // 200 seed words as LEB128
      ...Buffer.from('0123456789abcdef', 'hex'), // pixel SHA-256 prefix
      ...le(crc32(payload), 4),
    ];
    const headerBytes = [...Buffer.from('VDMZ'), 2, ...le(body.length, 4), ...body];
    const expected = [...headerBytes, ...le(crc32(Uint8Array.from(headerBytes)), 4), 9, 8, 7];

    expect(Array.from(writeContainer(header, payload))).toEqual(expected);
    expect(Array.from(containerV2(header, payload))).toEqual(expected);
  });

  it('reads format version 1: every field where its documented layout says', () => {
    const payload = Uint8Array.of(9, 8, 7);
    const kappa = new DataView(new ArrayBuffer(8));
    kappa.setFloat64(0, 0.1, true);
    const body = [
      ...Buffer.from('ab'.repeat(32), 'hex'), // model id
      ...le(3, 4), // width
      ...le(2, 4), // height
      3, // channels
      8, // bit depth
      ...le(64, 2), // T
      ...le(32, 2), // patch size
      1, // coder parameters version
      ...new Uint8Array(kappa.buffer), // κ as float64
      3, 0x01, 0x02, 0xac, 0x02, // 3 chunks: 1, 2, 300 as LEB128
      0xc8, 0x01, // 200 seed words as LEB128
      ...le(0xdeadbeef, 4), // pixel CRC-32
      ...Buffer.from('0123456789abcdef', 'hex'), // pixel SHA-256 prefix
      ...le(3, 4), // payload length
      ...le(crc32(payload), 4),
    ];
    const headerBytes = [...Buffer.from('VDMZ'), 1, ...le(body.length, 4), ...body];
    const file = Uint8Array.from([...headerBytes, ...le(crc32(Uint8Array.from(headerBytes)), 4), 9, 8, 7]);

    expect(Array.from(writeContainerV1(sampleHeaderV1(), payload))).toEqual(Array.from(file));
    const parsed = parseContainer(file);
    expect(parsed.header).toEqual(sampleHeaderV1());
    expect(Array.from(parsed.payload)).toEqual([9, 8, 7]);
  });

  it('a 32×32 RGB header coded in one chunk takes 48 bytes (92 in format version 1)', () => {
    const header = sampleHeader({ width: 32, height: 32, coder: { version: 2, gridFactor: 2, chunkSizes: [1], seedWords: 355 } });
    const payload = new Uint8Array(2000);
    expect(writeContainer(header, payload).length - payload.length).toBe(48);
    expect(writeContainerV1({ ...header, pixelCrc32: 0 }, payload).length - payload.length).toBe(92);
  });

  it('writes format version 3 for a header without a model: every field where the documented layout says, 26 bytes for 32×32', () => {
    const header: ContainerHeader = { width: 300, height: 32, channels: 4, bitDepth: 8, coder: { version: 8, chunkSizes: [], seedWords: 0, classicRows: 32 }, pixelSha256Prefix: '0123456789abcdef' };
    const payload = Uint8Array.of(9, 8, 7);
    const body = [
      0xac, 0x02, // width 300 (varint)
      32, // height (varint)
      4, // channels
      8, // bit depth
      8, // coder parameters version
      ...Buffer.from('0123456789abcdef', 'hex'), // pixel SHA-256 prefix
    ];
    const headerBytes = [...Buffer.from('VDMZ'), 3, ...le(body.length, 4), ...body];
    const expected = [...headerBytes, ...le(crc32(Uint8Array.from(headerBytes)), 4), 9, 8, 7];
    expect(Array.from(writeContainer(header, payload))).toEqual(expected);
    expect(Array.from(containerV3(header, payload))).toEqual(expected);
    const parsed = parseContainer(Uint8Array.from(expected));
    expect(parsed.header).toEqual(header);
    expect(Array.from(parsed.payload)).toEqual([9, 8, 7]);
    const small = { ...header, width: 32, channels: 3 as const };
    expect(writeContainer(small, payload).length - payload.length).toBe(26);
  });

  it('computes the pixel SHA-256 prefix, and checks pixels against every checksum a header carries', () => {
    const abc = Buffer.from('abc');
    expect(pixelSha256Prefix(abc)).toBe('ba7816bf8f01cfea');
    const v2 = sampleHeader({ pixelSha256Prefix: 'ba7816bf8f01cfea' });
    expect(pixelsMatch(v2, abc)).toBe(true);
    expect(pixelsMatch(v2, Buffer.from('abd'))).toBe(false);
    expect(pixelsMatch({ ...v2, pixelCrc32: 0x352441c2 }, abc)).toBe(true);
    expect(pixelsMatch({ ...v2, pixelCrc32: 0x352441c3 }, abc)).toBe(false);
  });

  it('matches a model id against a full id or its 16-digit prefix', () => {
    const id = '0123456789abcdef'.repeat(4);
    expect(sameModel(id, id)).toBe(true);
    expect(sameModel(id.slice(0, 16), id)).toBe(true);
    expect(sameModel('1123456789abcdef', id)).toBe(false);
    expect(sameModel(`${id.slice(0, 63)}0`, id)).toBe(false);
  });

  it('computes bits per dimension from the file size', () => {
    expect(bitsPerDim(3 * 32 * 32, { width: 32, height: 32, channels: 3 })).toBe(8);
    expect(bitsPerDim(100, { width: 10, height: 10, channels: 1 })).toBe(8);
  });
});

describe('container round trip', () => {
  for (const version of [1, 2] as const) {
    it(`parses back exactly the header and payload that were written (format version ${version})`, () => {
      fc.assert(
        fc.property(headerArbitrary(version), fc.uint8Array({ maxLength: 200 }), (header, payload) => {
          const file = FORMATS[version].write(header, payload);
          if (version === 2) expect(Array.from(file)).toEqual(Array.from(containerV2(header, payload)));
          const parsed = parseContainer(file);
          expect(parsed.header).toEqual(FORMATS[version].parsed(header));
          expect(parsed.payload).toEqual(payload);
        }),
        { numRuns: 1000 },
      );
    });
  }

  it('parses back exactly the header and payload that were written (format version 3)', () => {
    const modelFree = fc.record({
      width: fc.integer({ min: 1, max: 1 << 14 }),
      height: fc.integer({ min: 1, max: 1 << 14 }),
      channels: fc.constantFrom(1 as const, 2 as const, 3 as const, 4 as const),
      pixelSha256Prefix: hexArbitrary(8),
    });
    fc.assert(
      fc.property(modelFree, fc.uint8Array({ maxLength: 200 }), ({ width, height, channels, pixelSha256Prefix }, payload) => {
        const header: ContainerHeader = { width, height, channels, bitDepth: 8, coder: { version: 8, chunkSizes: [], seedWords: 0, classicRows: height }, pixelSha256Prefix };
        const file = writeContainer(header, payload);
        expect(Array.from(file)).toEqual(Array.from(containerV3(header, payload)));
        const parsed = parseContainer(file);
        expect(parsed.header).toEqual(header);
        expect(parsed.payload).toEqual(payload);
      }),
      { numRuns: 300 },
    );
  });

  it('writes format version 4 for a header without a model from coder parameters version 9: the documented layout, 10 bytes before the message for 32×32', () => {
    const header: ContainerHeader = { width: 300, height: 32, channels: 4, bitDepth: 8, coder: { version: 9, chunkSizes: [], seedWords: 0, classicRows: 32 } };
    // A serialised Message: borrowed count 0, 7 head bytes, one tail word.
    const message = Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 1, 9, 8);
    const expected = [
      ...Buffer.from('VDMZ'),
      4, // format version
      0xac, 0x02, // width 300 (varint)
      32, // height (varint)
      4, // channels
      8, // bit depth
      9, // coder parameters version
      1, 2, 3, 4, 5, 6, 1, 9, 8, // the message without its borrowed count
    ];
    expect(Array.from(writeContainer(header, message))).toEqual(expected);
    expect(Array.from(containerV4(header, message))).toEqual(expected);
    const parsed = parseContainer(Uint8Array.from(expected));
    expect(parsed.header).toEqual(header);
    expect(Array.from(parsed.payload)).toEqual(expected.slice(11));
    expect(Array.from(messageBytes(parsed.header, parsed.payload))).toEqual(Array.from(message));
    const small = { ...header, width: 32, channels: 3 as const };
    expect(writeContainer(small, message).length - (message.length - 1)).toBe(10);
    // What writeContainer refuses: a message that borrowed, a pixel checksum the format has no place for.
    expect(() => writeContainer(header, Uint8Array.of(1, ...message.subarray(1)))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as unknown as Error);
    expect(() => writeContainer({ ...header, pixelSha256Prefix: '0123456789abcdef' }, message)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as unknown as Error);
  });

  it('parses back exactly the header and message that were written (format version 4), and calls a file cut in its header or head truncated', () => {
    const modelFree = fc.record({
      width: fc.integer({ min: 1, max: 1 << 14 }),
      height: fc.integer({ min: 1, max: 1 << 14 }),
      channels: fc.constantFrom(1 as const, 2 as const, 3 as const, 4 as const),
    });
    fc.assert(
      fc.property(modelFree, fc.uint8Array({ minLength: 7, maxLength: 200 }), ({ width, height, channels }, rest) => {
        const header: ContainerHeader = { width, height, channels, bitDepth: 8, coder: { version: 9, chunkSizes: [], seedWords: 0, classicRows: height } };
        const message = Uint8Array.of(0, ...rest);
        const file = writeContainer(header, message);
        expect(Array.from(file)).toEqual(Array.from(containerV4(header, message)));
        const parsed = parseContainer(file);
        expect(parsed.header).toEqual(header);
        expect(messageBytes(parsed.header, parsed.payload)).toEqual(message);
        const payloadStart = file.length - rest.length;
        for (const cut of [5, payloadStart - 1, payloadStart + 6]) expect(parseOutcome(file.subarray(0, cut)), `cut at ${cut}`).toEqual({ code: 'TRUNCATED' });
      }),
      { numRuns: 300 },
    );
    // Coder parameters before version 9 have no format version 4.
    const v8 = containerV4({ width: 5, height: 4, channels: 3, bitDepth: 8, coder: { version: 8, chunkSizes: [], seedWords: 0, classicRows: 4 } }, new Uint8Array(9));
    expect(parseOutcome(v8)).toEqual({ code: 'CORRUPT' });
  });

  it('refuses a header without a model unless it is all classic rows under coder parameters version 8 or later', () => {
    const modelFree: ContainerHeader = { width: 5, height: 4, channels: 3, bitDepth: 8, coder: { version: 8, chunkSizes: [], seedWords: 0, classicRows: 4 }, pixelSha256Prefix: '0123456789abcdef' };
    const invalid: ContainerHeader[] = [
      { ...modelFree, coder: { ...modelFree.coder, version: 7 } },
      { ...modelFree, coder: { ...modelFree.coder, classicRows: 3 } },
      { ...modelFree, coder: { ...modelFree.coder, chunkSizes: [1] } },
      { ...modelFree, coder: { ...modelFree.coder, seedWords: 1 } },
      { ...modelFree, coder: { ...modelFree.coder, gridFactor: 1 } },
      { ...modelFree, steps: 64 },
      { ...modelFree, patchSize: 32 },
    ];
    for (const header of invalid) {
      expect(() => writeContainer(header, new Uint8Array()), JSON.stringify(header)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as unknown as Error);
    }
    // The same, forged into a file with a valid CRC: refused as corrupt.
    const forged = containerV3({ ...modelFree, coder: { ...modelFree.coder, version: 7 } }, new Uint8Array(4));
    expect(parseOutcome(forged)).toEqual({ code: 'CORRUPT' });
  });

  it('takes a full model id or its prefix, and writes the prefix', () => {
    for (const modelId of ['ab'.repeat(32), 'ab'.repeat(8)]) {
      expect(parseContainer(writeContainer(sampleHeader({ modelId }), new Uint8Array())).header.modelId).toBe('ab'.repeat(8));
    }
  });

  it('refuses to write headers outside the documented ranges, or that version 2 cannot hold', () => {
    const invalid: Array<[Partial<ChainHeader>, string]> = [
      [{ modelId: 'AB'.repeat(32) }, 'INVALID_ARGUMENT'],
      [{ modelId: 'ab' }, 'INVALID_ARGUMENT'],
      [{ modelId: 'ab'.repeat(12) }, 'INVALID_ARGUMENT'],
      [{ width: 0 }, 'INVALID_ARGUMENT'],
      [{ width: MAX_PIXELS, height: 2 }, 'TOO_LARGE'],
      [{ channels: 5 as never }, 'INVALID_ARGUMENT'],
      [{ bitDepth: 16 as never }, 'INVALID_ARGUMENT'],
      [{ steps: 0 }, 'INVALID_ARGUMENT'],
      [{ steps: 65536 }, 'INVALID_ARGUMENT'],
      [{ patchSize: 1.5 }, 'INVALID_ARGUMENT'],
      [{ coder: { version: 1, gridFactor: Number.NaN, chunkSizes: [1], seedWords: 0 } }, 'INVALID_ARGUMENT'],
      [{ coder: { version: 1, gridFactor: 0, chunkSizes: [1], seedWords: 0 } }, 'INVALID_ARGUMENT'],
      [{ coder: { version: 1, gridFactor: 0.1, chunkSizes: [1], seedWords: 0 } }, 'INVALID_ARGUMENT'], // not a float32
      [{ coder: { version: 1, gridFactor: Number.MAX_VALUE, chunkSizes: [1], seedWords: 0 } }, 'INVALID_ARGUMENT'], // not a float32
      [{ coder: { version: 1, gridFactor: 1, chunkSizes: [], seedWords: 0 } }, 'INVALID_ARGUMENT'],
      [{ coder: { version: 1, gridFactor: 1, chunkSizes: [0], seedWords: 0 } }, 'INVALID_ARGUMENT'],
      [{ coder: { version: 1, gridFactor: 1, chunkSizes: [2 ** 32], seedWords: 0 } }, 'INVALID_ARGUMENT'],
      [{ pixelCrc32: 0 }, 'INVALID_ARGUMENT'], // version 2 has no pixel CRC
      [{ pixelCrc32: -1 }, 'INVALID_ARGUMENT'],
      [{ pixelSha256Prefix: 'xyz' }, 'INVALID_ARGUMENT'],
    ];
    for (const [override, code] of invalid) {
      expect(() => writeContainer(sampleHeader(override), new Uint8Array()), JSON.stringify(override)).toThrow(
        expect.objectContaining({ code }) as unknown as Error,
      );
    }
  });
});

describe('container parse failures', () => {
  const file = writeContainer(sampleHeader(), Uint8Array.of(1, 2, 3, 4));
  const fileV1 = writeContainerV1(sampleHeaderV1(), Uint8Array.of(1, 2, 3, 4));

  it('names each failure with its code and a one-line reason', () => {
    const cases: Array<[string, Uint8Array, string, RegExp]> = [
      ['a PNG', Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), 'UNSUPPORTED_FORMAT', /^not a \.vdmz file$/],
      ['an empty file', new Uint8Array(), 'TRUNCATED', /empty/],
      ['the magic alone', file.subarray(0, 4), 'TRUNCATED', /header/],
      ['a header cut short', file.subarray(0, 40), 'TRUNCATED', /header/],
      ['a header cut short (v1)', fileV1.subarray(0, 40), 'TRUNCATED', /header/],
      // Version 2 does not record the payload length: a cut payload fails its CRC.
      ['no payload', file.subarray(0, headerEnd(file) + 4), 'TRUNCATED', /^file ends before its payload$/],
      ['a payload cut short', file.subarray(0, file.length - 1), 'CORRUPT', /^payload fails its CRC check \(damaged or cut short\)$/],
      ['a payload cut short (v1)', fileV1.subarray(0, fileV1.length - 1), 'TRUNCATED', /payload/],
      ['trailing bytes', Uint8Array.from([...file, 0]), 'CORRUPT', /^payload fails its CRC check \(damaged or cut short\)$/],
      ['trailing bytes (v1)', Uint8Array.from([...fileV1, 0]), 'CORRUPT', /after its payload/],
    ];
    for (const [what, bytes, code, message] of cases) {
      const outcome = parseOutcome(bytes);
      expect(outcome, what).toEqual({ code });
      expect(() => parseContainer(bytes), what).toThrow(message);
    }
  });

  it('tells a damaged header from a damaged payload', () => {
    for (const valid of [file, fileV1]) {
      const header = valid.slice();
      header[20] ^= 4;
      expect(() => parseContainer(header)).toThrow(/^header fails its CRC check$/);
      const payload = valid.slice();
      payload[payload.length - 2] ^= 4;
      expect(() => parseContainer(payload)).toThrow(/^payload fails its CRC check/);
    }
  });

  it('reports a newer format version, and newer coder parameters, as unsupported', () => {
    const newer = file.slice();
    newer[4] = 5;
    expect(() => parseContainer(resign(newer))).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_VERSION', message: 'file format version 5 is not supported (this vdmzip reads versions 1, 2, 3, 4)' }) as unknown as Error,
    );
    // Preamble, then model id, width … patch size: 8 + 6 one-byte fields in v2, 32 + 14 bytes
    // in v1; width, height, channels and bit depth in v3.
    const fileV3 = writeContainer({ width: 5, height: 4, channels: 3, bitDepth: 8, coder: { version: 8, chunkSizes: [], seedWords: 0, classicRows: 4 }, pixelSha256Prefix: '0123456789abcdef' }, new Uint8Array(3));
    for (const [valid, coderVersionAt, version] of [[file, 9 + 8 + 6, 1], [fileV1, 9 + 32 + 4 + 4 + 1 + 1 + 2 + 2, 1], [fileV3, 9 + 4, 8]] as const) {
      expect(valid[coderVersionAt]).toBe(version);
      const newerCoder = valid.slice();
      newerCoder[coderVersionAt] = CODER_PARAMS_VERSION + 1;
      expect(() => parseContainer(resign(newerCoder))).toThrow(
        expect.objectContaining({ code: 'UNSUPPORTED_VERSION', message: expect.stringMatching(`coder parameters version ${CODER_PARAMS_VERSION + 1}`) }) as unknown as Error,
      );
    }
  });

  type Edit = [string, (f: Uint8Array) => void, string];
  const checkEdits = (valid: Uint8Array, edits: Edit[]) => {
    for (const [what, edit, code] of edits) {
      const damaged = valid.slice();
      edit(damaged);
      expect(parseOutcome(resign(damaged)), what).toEqual({ code });
    }
  };

  it('refuses CRC-valid headers whose fields are out of range (format version 2)', () => {
    // Width, height, channels, depth, T, patch, coder version: one byte each here.
    const widthAt = 9 + 8;
    const kappaAt = widthAt + 7;
    const chunkListAt = kappaAt + 4;
    const kappa = (bytes: number[]) => (f: Uint8Array) => f.set(bytes, kappaAt);
    checkEdits(file, [
      ['zero width', (f) => (f[widthAt] = 0), 'CORRUPT'],
      ['zero height', (f) => (f[widthAt + 1] = 0), 'CORRUPT'],
      ['7 channels', (f) => (f[widthAt + 2] = 7), 'CORRUPT'],
      ['16-bit', (f) => (f[widthAt + 3] = 16), 'CORRUPT'],
      ['T = 0', (f) => (f[widthAt + 4] = 0), 'CORRUPT'],
      ['patch size 0', (f) => (f[widthAt + 5] = 0), 'CORRUPT'],
      ['κ = 0', kappa([0, 0, 0, 0]), 'CORRUPT'],
      ['κ = −0.5', kappa([0, 0, 0, 0xbf]), 'CORRUPT'],
      ['κ = NaN', kappa([0, 0, 0xc0, 0x7f]), 'CORRUPT'],
      ['κ = +∞', kappa([0, 0, 0x80, 0x7f]), 'CORRUPT'],
      // chunks [1, 2, 300] → [1 spelt 0x81 0x00, 300]: same length, only the spelling is wrong
      ['an overlong varint', (f) => f.set([2, 0x81, 0x00], chunkListAt), 'CORRUPT'],
      ['a chunk list running off the header', (f) => (f[chunkListAt] = 100), 'CORRUPT'],
      ['a length field longer than the fields', (f) => (f[5] += 1), 'CORRUPT'],
      ['a length field shorter than the fields', (f) => (f[5] -= 1), 'CORRUPT'],
    ]);
    // 2^21 wide (a 4-byte varint) and 2 high, made 2^28 − 1 wide.
    const wide = writeContainer(sampleHeader({ width: 2 ** 21, height: 2 }), new Uint8Array());
    checkEdits(wide, [['2^28 − 1 wide', (f) => f.set([0xff, 0xff, 0xff, 0x7f], widthAt), 'TOO_LARGE']]);
  });

  it('refuses CRC-valid headers whose fields are out of range (format version 1)', () => {
    const widthAt = 9 + 32;
    const channelsAt = widthAt + 8;
    const chunkListAt = channelsAt + 2 + 4 + 1 + 8;
    checkEdits(fileV1, [
      ['zero width', (f) => f.fill(0, widthAt, widthAt + 4), 'CORRUPT'],
      ['2^32 − 1 wide', (f) => f.fill(0xff, widthAt, widthAt + 4), 'TOO_LARGE'],
      ['7 channels', (f) => (f[channelsAt] = 7), 'CORRUPT'],
      ['16-bit', (f) => (f[channelsAt + 1] = 16), 'CORRUPT'],
      ['an overlong varint', (f) => f.set([2, 0x81, 0x00], chunkListAt), 'CORRUPT'],
      ['a chunk list running off the header', (f) => (f[chunkListAt] = 100), 'CORRUPT'],
      ['a length field longer than the fields', (f) => (f[5] += 1), 'CORRUPT'],
    ]);
  });
});

describe('container parse fuzz', () => {
  const options = { numRuns: 2500 };

  it('random bytes, with and without the magic, give only typed errors', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.integer({ min: 0, max: 3 }), fc.uint8Array({ maxLength: 120 }), (withMagic, version, tail) => {
        const bytes = withMagic ? Uint8Array.from([...Buffer.from('VDMZ'), version, tail.length & 0xff, 0, 0, 0, ...tail]) : tail;
        expect('ok' in parseOutcome(bytes)).toBe(false);
      }),
      options,
    );
  });

  for (const version of [1, 2] as const) {
    const { write, parsed } = FORMATS[version];
    const containerArbitrary = fc.tuple(headerArbitrary(version), fc.uint8Array({ maxLength: 200 }));

    it(`every truncation of a valid file fails: TRUNCATED, or CORRUPT inside a version 2 payload (format version ${version})`, () => {
      fc.assert(
        fc.property(containerArbitrary, fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), ([header, payload], cut) => {
          const file = write(header, payload);
          const length = Math.floor(cut * file.length);
          const insidePayload = version === 2 && length > headerEnd(file) + 4;
          expect(parseOutcome(file.subarray(0, length))).toEqual({ code: insidePayload ? 'CORRUPT' : 'TRUNCATED' });
        }),
        options,
      );
    });

    it(`every single bit flip of a valid file is caught (format version ${version})`, () => {
      fc.assert(
        fc.property(containerArbitrary, fc.nat(), fc.integer({ min: 0, max: 7 }), ([header, payload], at, bit) => {
          const file = write(header, payload);
          file[at % file.length] ^= 1 << bit;
          expect('ok' in parseOutcome(file)).toBe(false);
        }),
        options,
      );
    });

    it(`random multi-byte damage gives the original back or a typed error (format version ${version})`, () => {
      fc.assert(
        fc.property(
          containerArbitrary,
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
          ([header, payload], edits) => {
            const file = write(header, payload);
            for (const [at, value] of edits) file[at % file.length] = value;
            const outcome = parseOutcome(file);
            if ('ok' in outcome) {
              expect(outcome.ok.header).toEqual(parsed(header));
              expect(outcome.ok.payload).toEqual(payload);
            }
          },
        ),
        options,
      );
    });
  }
});
