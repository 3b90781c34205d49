import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bitsPerDim,
  CODER_PARAMS_VERSION,
  FIRST_CHANNEL_MATCHES_PARAMS_VERSION,
  FIRST_CHANNEL_PARAMS_VERSION,
  MATCHES_PARAMS_VERSION,
  messageBytes,
  parseContainer,
  pixelsMatch,
  pixelSha256Prefix,
  sameModel,
  writeContainer,
  type ContainerHeader,
} from '../src/format/container.ts';
import { VdmzipError } from '../src/errors.ts';
import { crc32 } from '../src/image/crc32.ts';
import { MAX_PIXELS } from '../src/image/index.ts';
import { type ChainHeader, containerV2, containerV4, framed, le } from './helpers/container-bytes.ts';

const PARSE_ERROR_CODES = ['UNSUPPORTED_FORMAT', 'TRUNCATED', 'CORRUPT', 'UNSUPPORTED_VERSION', 'TOO_LARGE'];

const hexArbitrary = (bytes: number) =>
  fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString('hex'));

/** Valid headers for format version 2: a full model id or its prefix, a float32 κ, chunks exactly when the chain codes rows. */
function headerArbitrary(): fc.Arbitrary<ChainHeader> {
  return fc
    .record({
      width: fc.integer({ min: 1, max: 1 << 14 }),
      height: fc.integer({ min: 1, max: 1 << 14 }),
      allPredictor: fc.boolean(),
    })
    .chain(({ width, height, allPredictor }) =>
      fc.record({
        modelId: fc.oneof(hexArbitrary(8), hexArbitrary(32)),
        width: fc.constant(width),
        height: fc.constant(height),
        channels: fc.constantFrom(1 as const, 2 as const, 3 as const, 4 as const),
        bitDepth: fc.constant(8 as const),
        steps: fc.integer({ min: 1, max: 0xffff }),
        patchSize: fc.integer({ min: 1, max: 0xffff }),
        coder: fc.record({
          version: fc.constant(CODER_PARAMS_VERSION),
          gridFactor: fc.float({ min: 2 ** -149, noNaN: true, noDefaultInfinity: true }),
          chunkSizes: allPredictor
            ? fc.constant([])
            : fc.array(fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 0xffffffff })), { minLength: 1, maxLength: 12 }),
          seedWords: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 0xffffffff })),
          predictorRows: allPredictor ? fc.constant(height) : fc.integer({ min: 0, max: height - 1 }),
        }),
        pixelSha256Prefix: hexArbitrary(8),
      }),
    );
}

/** What parsing a format version 2 file written from `header` must give back. */
const parsed = (header: ChainHeader) => ({ ...header, modelId: header.modelId.slice(0, 16) });

function sampleHeader(overrides: Partial<ChainHeader> = {}): ChainHeader {
  return {
    modelId: 'ab'.repeat(32),
    width: 3,
    height: 2,
    channels: 3,
    bitDepth: 8,
    steps: 64,
    patchSize: 32,
    coder: { version: CODER_PARAMS_VERSION, gridFactor: 0.5, chunkSizes: [1, 2, 300], seedWords: 200, predictorRows: 1 },
    pixelSha256Prefix: '0123456789abcdef',
    ...overrides,
  };
}

/** A predictor-only header (format version 4). */
const modelFreeHeader = (width: number, height: number, channels: 1 | 2 | 3 | 4): ContainerHeader => ({
  width,
  height,
  channels,
  bitDepth: 8,
  coder: { version: CODER_PARAMS_VERSION, chunkSizes: [], seedWords: 0, predictorRows: height },
});

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

    // Built field by field from the table in src/format/container.ts.
    const body = [
      ...Buffer.from('ab'.repeat(8), 'hex'), // model id prefix
      3, // width (varint)
      2, // height (varint)
      3, // channels
      8, // bit depth
      64, // T (varint)
      32, // patch size (varint)
      11, // coder parameters version
      0x00, 0x00, 0x00, 0x3f, // κ = 0.5 as float32
      3, 0x01, 0x02, 0xac, 0x02, // 3 chunks: 1, 2, 300 as LEB128
      0xc8, 0x01, // 200 seed words as LEB128
      1, // predictor rows (varint)
      ...Buffer.from('0123456789abcdef', 'hex'), // pixel SHA-256 prefix
      ...le(crc32(payload), 4),
    ];
    const headerBytes = [...Buffer.from('VDMZ'), 2, ...le(body.length, 4), ...body];
    const expected = [...headerBytes, ...le(crc32(Uint8Array.from(headerBytes)), 4), 9, 8, 7];

    expect(Array.from(writeContainer(header, payload))).toEqual(expected);
    expect(Array.from(containerV2(header, payload))).toEqual(expected);
  });

  it('a 32×32 RGB header coded in one chunk takes 48 bytes', () => {
    const header = sampleHeader({ width: 32, height: 32, coder: { version: CODER_PARAMS_VERSION, gridFactor: 2, chunkSizes: [1], seedWords: 127, predictorRows: 0 } });
    const payload = new Uint8Array(2000);
    expect(writeContainer(header, payload).length - payload.length).toBe(48);
  });

  it("computes the pixel SHA-256 prefix, and checks pixels against a chain file's", () => {
    const abc = Buffer.from('abc');
    expect(pixelSha256Prefix(abc)).toBe('ba7816bf8f01cfea');
    const v2 = sampleHeader({ pixelSha256Prefix: 'ba7816bf8f01cfea' });
    expect(pixelsMatch(v2, abc)).toBe(true);
    expect(pixelsMatch(v2, Buffer.from('abd'))).toBe(false);
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
  it('parses back exactly the header and payload that were written (format version 2)', () => {
    fc.assert(
      fc.property(headerArbitrary(), fc.uint8Array({ maxLength: 200 }), (header, payload) => {
        const file = writeContainer(header, payload);
        expect(Array.from(file)).toEqual(Array.from(containerV2(header, payload)));
        const back = parseContainer(file);
        expect(back.header).toEqual(parsed(header));
        expect(back.payload).toEqual(payload);
      }),
      { numRuns: 1000 },
    );
  });

  it('writes format version 4 for a header without a model: the documented layout, 10 bytes before the message for 32×32', () => {
    const header = modelFreeHeader(300, 32, 4);
    // A serialised Message: borrowed count 0, 7 head bytes, one tail word.
    const message = Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 1, 9, 8);
    const expected = [
      ...Buffer.from('VDMZ'),
      4, // format version
      0xac, 0x02, // width 300 (varint)
      32, // height (varint)
      4, // channels
      8, // bit depth
      11, // coder parameters version
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
        const header = modelFreeHeader(width, height, channels);
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
    // No vdmzip wrote format version 4 with coder parameters before version 9: such a file is damaged.
    const v8 = containerV4(modelFreeHeader(5, 4, 3), new Uint8Array(9));
    v8[9] = 8;
    expect(parseOutcome(v8)).toEqual({ code: 'CORRUPT' });
  });

  it('refuses a header without a model unless it is all predictor rows, with no pixel checksum', () => {
    const modelFree = modelFreeHeader(5, 4, 3);
    const invalid: ContainerHeader[] = [
      { ...modelFree, coder: { ...modelFree.coder, version: 8 as never } },
      { ...modelFree, coder: { ...modelFree.coder, predictorRows: 3 } },
      { ...modelFree, coder: { ...modelFree.coder, chunkSizes: [1] } },
      { ...modelFree, coder: { ...modelFree.coder, seedWords: 1 } },
      { ...modelFree, coder: { ...modelFree.coder, gridFactor: 1 } },
      { ...modelFree, steps: 64 },
      { ...modelFree, patchSize: 32 },
      { ...modelFree, pixelSha256Prefix: '0123456789abcdef' },
    ];
    for (const header of invalid) {
      expect(() => writeContainer(header, Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 7)), JSON.stringify(header)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as unknown as Error);
    }
  });

  it('takes a full model id or its prefix, and writes the prefix', () => {
    for (const modelId of ['ab'.repeat(32), 'ab'.repeat(8)]) {
      expect(parseContainer(writeContainer(sampleHeader({ modelId }), new Uint8Array())).header.modelId).toBe('ab'.repeat(8));
    }
  });

  it('refuses to write headers outside the documented ranges, or that format version 2 cannot hold', () => {
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
      [{ coder: { ...sampleHeader().coder, version: 8 as never } }, 'INVALID_ARGUMENT'],
      [{ coder: { ...sampleHeader().coder, gridFactor: Number.NaN } }, 'INVALID_ARGUMENT'],
      [{ coder: { ...sampleHeader().coder, gridFactor: 0 } }, 'INVALID_ARGUMENT'],
      [{ coder: { ...sampleHeader().coder, gridFactor: 0.1 } }, 'INVALID_ARGUMENT'], // not a float32
      [{ coder: { ...sampleHeader().coder, gridFactor: Number.MAX_VALUE } }, 'INVALID_ARGUMENT'], // not a float32
      [{ coder: { ...sampleHeader().coder, chunkSizes: [] } }, 'INVALID_ARGUMENT'], // rows for the chain, no chunk
      [{ coder: { ...sampleHeader().coder, predictorRows: 2 } }, 'INVALID_ARGUMENT'], // chunks, no rows for the chain
      [{ coder: { ...sampleHeader().coder, predictorRows: 3 } }, 'INVALID_ARGUMENT'],
      [{ coder: { ...sampleHeader().coder, chunkSizes: [0] } }, 'INVALID_ARGUMENT'],
      [{ coder: { ...sampleHeader().coder, chunkSizes: [2 ** 32] } }, 'INVALID_ARGUMENT'],
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

  it('names each failure with its code and a one-line reason', () => {
    const cases: Array<[string, Uint8Array, string, RegExp]> = [
      ['a PNG', Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), 'UNSUPPORTED_FORMAT', /^not a \.vdmz file$/],
      ['an empty file', new Uint8Array(), 'TRUNCATED', /empty/],
      ['the magic alone', file.subarray(0, 4), 'TRUNCATED', /header/],
      ['a header cut short', file.subarray(0, 40), 'TRUNCATED', /header/],
      // Format version 2 does not record the payload length: a cut payload fails its CRC.
      ['no payload', file.subarray(0, headerEnd(file) + 4), 'TRUNCATED', /^file ends before its payload$/],
      ['a payload cut short', file.subarray(0, file.length - 1), 'CORRUPT', /^payload fails its CRC check \(damaged or cut short\)$/],
      ['trailing bytes', Uint8Array.from([...file, 0]), 'CORRUPT', /^payload fails its CRC check \(damaged or cut short\)$/],
    ];
    for (const [what, bytes, code, message] of cases) {
      const outcome = parseOutcome(bytes);
      expect(outcome, what).toEqual({ code });
      expect(() => parseContainer(bytes), what).toThrow(message);
    }
  });

  it('tells a damaged header from a damaged payload', () => {
    for (const valid of [file]) {
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
      expect.objectContaining({ code: 'UNSUPPORTED_VERSION', message: 'file format version 5 is not supported (this vdmzip reads versions 2, 4 and 6)' }) as unknown as Error,
    );
    // Preamble, then model id, width … patch size: 8 + 6 one-byte fields in format 2; width,
    // height, channels and bit depth in format 4.
    const file4 = writeContainer(modelFreeHeader(5, 4, 3), new Uint8Array(8));
    // Pixel matches (versions 10 and 12) exist in format 4 only: in a chain file they read as newer versions.
    const cases = [
      [file, 9 + 8 + 6, resign, [10, MATCHES_PARAMS_VERSION, FIRST_CHANNEL_PARAMS_VERSION, FIRST_CHANNEL_MATCHES_PARAMS_VERSION + 1], 'versions 9 and 11'],
      [file4, 5 + 4, (f: Uint8Array) => f, [FIRST_CHANNEL_MATCHES_PARAMS_VERSION + 1, 255], 'versions 9, 10, 11, 12, 13 and 14'],
    ] as const;
    for (const [valid, coderVersionAt, sign, newerVersions, reads] of cases) {
      expect(valid[coderVersionAt]).toBe(CODER_PARAMS_VERSION);
      for (const newer of newerVersions) {
        const newerCoder = valid.slice();
        newerCoder[coderVersionAt] = newer;
        expect(() => parseContainer(sign(newerCoder))).toThrow(
          expect.objectContaining({ code: 'UNSUPPORTED_VERSION', message: `coder parameters version ${newer} is not supported (this vdmzip reads ${reads} in this file format)` }) as unknown as Error,
        );
      }
    }
    // Every version 1.0 has had reads back as itself, in the formats that hold it.
    for (const version of [9, 10, CODER_PARAMS_VERSION, MATCHES_PARAMS_VERSION, FIRST_CHANNEL_PARAMS_VERSION, FIRST_CHANNEL_MATCHES_PARAMS_VERSION]) {
      const older = file4.slice();
      older[5 + 4] = version;
      expect(parseContainer(older).header.coder.version).toBe(version);
    }
    for (const version of [9, CODER_PARAMS_VERSION]) {
      const older = file.slice();
      older[9 + 8 + 6] = version;
      expect(parseContainer(resign(older)).header.coder.version).toBe(version);
    }
  });

  it('refuses files written before 1.0 (format versions 1 and 3, coder parameters versions 1 to 8) in one line that says so', () => {
    const pre10 = (what: string) => expect.objectContaining({ code: 'UNSUPPORTED_VERSION', message: `${what}: written by a vdmzip before 1.0, which this version does not read` }) as unknown as Error;
    // Formats 1 and 3 share format 2's framing (preamble, body, header CRC); what their bodies
    // hold does not matter, the version is refused first.
    for (const version of [1, 3]) {
      expect(() => parseContainer(framed(version, [...new Uint8Array(30)], Uint8Array.of(1, 2, 3)))).toThrow(pre10(`file format version ${version}`));
    }
    // Format 2 under an older coder.
    for (let version = 1; version < 9; version++) {
      const older = file.slice();
      older[9 + 8 + 6] = version;
      expect(() => parseContainer(resign(older))).toThrow(pre10(`coder parameters version ${version}`));
    }
    // The header CRC is checked first: a damaged file is corrupt, whatever its version byte says.
    const damaged = framed(1, [...new Uint8Array(30)], new Uint8Array());
    damaged[12] ^= 1;
    expect(parseOutcome(damaged)).toEqual({ code: 'CORRUPT' });
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
      ['predictor rows above the height', (f) => (f[chunkListAt + 7] = 3), 'CORRUPT'],
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

  {
    const write = writeContainer;
    const containerArbitrary = fc.tuple(headerArbitrary(), fc.uint8Array({ maxLength: 200 }));

    it('every truncation of a valid file fails: TRUNCATED, or CORRUPT inside its payload (format version 2)', () => {
      fc.assert(
        fc.property(containerArbitrary, fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), ([header, payload], cut) => {
          const file = write(header, payload);
          const length = Math.floor(cut * file.length);
          const insidePayload = length > headerEnd(file) + 4;
          expect(parseOutcome(file.subarray(0, length))).toEqual({ code: insidePayload ? 'CORRUPT' : 'TRUNCATED' });
        }),
        options,
      );
    });

    it('every single bit flip of a valid file is caught (format version 2)', () => {
      fc.assert(
        fc.property(containerArbitrary, fc.nat(), fc.integer({ min: 0, max: 7 }), ([header, payload], at, bit) => {
          const file = write(header, payload);
          file[at % file.length] ^= 1 << bit;
          expect('ok' in parseOutcome(file)).toBe(false);
        }),
        options,
      );
    });

    it('random multi-byte damage gives the original back or a typed error (format version 2)', () => {
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
