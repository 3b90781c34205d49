import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bitsPerDim,
  parseContainer,
  pixelChecksums,
  writeContainer,
  type ContainerHeader,
} from '../src/coder/container.ts';
import { VdmzipError } from '../src/errors.ts';
import { crc32 } from '../src/image/crc32.ts';
import { MAX_PIXELS } from '../src/image/index.ts';

const PARSE_ERROR_CODES = ['UNSUPPORTED_FORMAT', 'TRUNCATED', 'CORRUPT', 'UNSUPPORTED_VERSION', 'TOO_LARGE'];

const hexArbitrary = (bytes: number) =>
  fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString('hex'));

const headerArbitrary: fc.Arbitrary<ContainerHeader> = fc
  .record({
    width: fc.integer({ min: 1, max: 1 << 14 }),
    height: fc.integer({ min: 1, max: 1 << 14 }),
  })
  .chain(({ width, height }) =>
    fc.record({
      modelId: hexArbitrary(32),
      width: fc.constant(width),
      height: fc.constant(height),
      channels: fc.constantFrom(1 as const, 2 as const, 3 as const, 4 as const),
      bitDepth: fc.constant(8 as const),
      steps: fc.integer({ min: 1, max: 0xffff }),
      patchSize: fc.integer({ min: 1, max: 0xffff }),
      coder: fc.record({
        version: fc.constantFrom(1 as const, 2 as const),
        gridFactor: fc.double({ min: Number.MIN_VALUE, max: 1e6, noNaN: true }),
        chunkSizes: fc.array(fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 0xffffffff })), {
          minLength: 1,
          maxLength: 12,
        }),
        seedWords: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 0xffffffff })),
      }),
      pixelCrc32: fc.integer({ min: 0, max: 0xffffffff }),
      pixelSha256Prefix: hexArbitrary(8),
    }),
  );

const containerArbitrary = fc.tuple(headerArbitrary, fc.uint8Array({ maxLength: 200 }));

function sampleHeader(overrides: Partial<ContainerHeader> = {}): ContainerHeader {
  return {
    modelId: 'ab'.repeat(32),
    width: 3,
    height: 2,
    channels: 3,
    bitDepth: 8,
    steps: 64,
    patchSize: 32,
    coder: { version: 1, gridFactor: 0.5, chunkSizes: [1, 2, 300], seedWords: 200 },
    pixelCrc32: 0xdeadbeef,
    pixelSha256Prefix: '0123456789abcdef',
    ...overrides,
  };
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

/** Rewrites the header CRC after a test edits header bytes, so the edit reaches the field checks. */
function resign(file: Uint8Array): Uint8Array {
  const view = new DataView(file.buffer, file.byteOffset);
  const headerEnd = 9 + view.getUint32(5, true);
  view.setUint32(headerEnd, crc32(file, 0, headerEnd), true);
  return file;
}

describe('container layout', () => {
  it('puts every field where the documented layout says', () => {
    const header = sampleHeader();
    const payload = Uint8Array.of(9, 8, 7);
    const file = writeContainer(header, payload);

    // Built field by field from the table in src/coder/container.ts.
    const le = (value: number, bytes: number) => Array.from({ length: bytes }, (_, i) => Math.floor(value / 256 ** i) & 0xff);
    const kappa = new DataView(new ArrayBuffer(8));
    kappa.setFloat64(0, 0.5, true);
    const body = [
      ...Buffer.from(header.modelId, 'hex'),
      ...le(3, 4), // width
      ...le(2, 4), // height
      3, // channels
      8, // bit depth
      ...le(64, 2), // T
      ...le(32, 2), // patch size
      1, // coder parameters version
      ...new Uint8Array(kappa.buffer), // κ
      3, 0x01, 0x02, 0xac, 0x02, // 3 chunks: 1, 2, 300 as LEB128
      0xc8, 0x01, // 200 seed words as LEB128
      ...le(0xdeadbeef, 4), // pixel CRC-32
      ...Buffer.from('0123456789abcdef', 'hex'), // pixel SHA-256 prefix
      ...le(3, 4), // payload length
      ...le(crc32(payload), 4),
    ];
    const headerBytes = [...Buffer.from('VDMZ'), 1, ...le(body.length, 4), ...body];
    const expected = [...headerBytes, ...le(crc32(Uint8Array.from(headerBytes)), 4), 9, 8, 7];

    expect(Array.from(file)).toEqual(expected);
  });

  it('computes pixel checksums as CRC-32 and the SHA-256 prefix', () => {
    expect(pixelChecksums(Buffer.from('abc'))).toEqual({ pixelCrc32: 0x352441c2, pixelSha256Prefix: 'ba7816bf8f01cfea' });
  });

  it('computes bits per dimension from the file size', () => {
    expect(bitsPerDim(3 * 32 * 32, { width: 32, height: 32, channels: 3 })).toBe(8);
    expect(bitsPerDim(100, { width: 10, height: 10, channels: 1 })).toBe(8);
  });
});

describe('container round trip', () => {
  it('parses back exactly the header and payload that were written', () => {
    fc.assert(
      fc.property(containerArbitrary, ([header, payload]) => {
        const parsed = parseContainer(writeContainer(header, payload));
        expect(parsed.header).toEqual(header);
        expect(parsed.payload).toEqual(payload);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses to write headers outside the documented ranges', () => {
    const invalid: Array<[Partial<ContainerHeader>, string]> = [
      [{ modelId: 'AB'.repeat(32) }, 'INVALID_ARGUMENT'],
      [{ modelId: 'ab' }, 'INVALID_ARGUMENT'],
      [{ width: 0 }, 'INVALID_ARGUMENT'],
      [{ width: MAX_PIXELS, height: 2 }, 'TOO_LARGE'],
      [{ channels: 5 as never }, 'INVALID_ARGUMENT'],
      [{ bitDepth: 16 as never }, 'INVALID_ARGUMENT'],
      [{ steps: 0 }, 'INVALID_ARGUMENT'],
      [{ steps: 65536 }, 'INVALID_ARGUMENT'],
      [{ patchSize: 1.5 }, 'INVALID_ARGUMENT'],
      [{ coder: { version: 1, gridFactor: Number.NaN, chunkSizes: [1], seedWords: 0 } }, 'INVALID_ARGUMENT'],
      [{ coder: { version: 1, gridFactor: 0, chunkSizes: [1], seedWords: 0 } }, 'INVALID_ARGUMENT'],
      [{ coder: { version: 1, gridFactor: 1, chunkSizes: [], seedWords: 0 } }, 'INVALID_ARGUMENT'],
      [{ coder: { version: 1, gridFactor: 1, chunkSizes: [0], seedWords: 0 } }, 'INVALID_ARGUMENT'],
      [{ coder: { version: 1, gridFactor: 1, chunkSizes: [2 ** 32], seedWords: 0 } }, 'INVALID_ARGUMENT'],
      [{ pixelCrc32: -1 }, 'INVALID_ARGUMENT'],
      [{ pixelSha256Prefix: 'xyz' }, 'INVALID_ARGUMENT'],
    ];
    for (const [override, code] of invalid) {
      expect(() => writeContainer(sampleHeader(override), new Uint8Array())).toThrow(
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
      ['a payload cut short', file.subarray(0, file.length - 1), 'TRUNCATED', /payload/],
      ['trailing bytes', Uint8Array.from([...file, 0]), 'CORRUPT', /after its payload/],
    ];
    for (const [what, bytes, code, message] of cases) {
      const outcome = parseOutcome(bytes);
      expect(outcome, what).toEqual({ code });
      expect(() => parseContainer(bytes), what).toThrow(message);
    }
  });

  it('tells a damaged header from a damaged payload', () => {
    const header = file.slice();
    header[20] ^= 4;
    expect(() => parseContainer(header)).toThrow(/^header fails its CRC check$/);
    const payload = file.slice();
    payload[payload.length - 2] ^= 4;
    expect(() => parseContainer(payload)).toThrow(/^payload fails its CRC check$/);
  });

  it('reports a newer format version, and newer coder parameters, as unsupported', () => {
    const newer = file.slice();
    newer[4] = 2;
    expect(() => parseContainer(resign(newer))).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_VERSION', message: expect.stringMatching(/version 2/) }) as unknown as Error,
    );
    const newerCoder = file.slice();
    newerCoder[9 + 32 + 4 + 4 + 1 + 1 + 2 + 2] = 3;
    expect(() => parseContainer(resign(newerCoder))).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_VERSION', message: expect.stringMatching(/coder parameters version 3/) }) as unknown as Error,
    );
  });

  it('refuses CRC-valid headers whose fields are out of range', () => {
    const widthOffset = 9 + 32;
    const channelsOffset = widthOffset + 8;
    const chunkListOffset = channelsOffset + 2 + 4 + 1 + 8;
    const edits: Array<[string, (f: Uint8Array) => void, string]> = [
      ['zero width', (f) => f.fill(0, widthOffset, widthOffset + 4), 'CORRUPT'],
      ['2^32 − 1 wide', (f) => f.fill(0xff, widthOffset, widthOffset + 4), 'TOO_LARGE'],
      ['7 channels', (f) => (f[channelsOffset] = 7), 'CORRUPT'],
      ['16-bit', (f) => (f[channelsOffset + 1] = 16), 'CORRUPT'],
      // chunks [1, 2, 300] → [1 spelt 0x81 0x00, 300]: same length, only the spelling is wrong
      ['an overlong varint', (f) => f.set([2, 0x81, 0x00], chunkListOffset), 'CORRUPT'],
      ['a chunk list running off the header', (f) => (f[chunkListOffset] = 100), 'CORRUPT'],
      ['a length field longer than the fields', (f) => (f[5] += 1), 'CORRUPT'],
    ];
    for (const [what, edit, code] of edits) {
      const damaged = file.slice();
      edit(damaged);
      expect(parseOutcome(resign(damaged)), what).toEqual({ code });
    }
  });
});

describe('container parse fuzz', () => {
  const options = { numRuns: 2500 };

  function expectEqualOrTypedError(bytes: Uint8Array, header: ContainerHeader, payload: Uint8Array): void {
    const outcome = parseOutcome(bytes);
    if ('ok' in outcome) {
      expect(outcome.ok.header).toEqual(header);
      expect(outcome.ok.payload).toEqual(payload);
    }
  }

  it('random bytes, with and without the magic, give only typed errors', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.uint8Array({ maxLength: 120 }), (withMagic, tail) => {
        const bytes = withMagic ? Uint8Array.from([...Buffer.from('VDMZ'), 1, tail.length & 0xff, 0, 0, 0, ...tail]) : tail;
        expect('ok' in parseOutcome(bytes)).toBe(false);
      }),
      options,
    );
  });

  it('every truncation of a valid file is TRUNCATED', () => {
    fc.assert(
      fc.property(containerArbitrary, fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), ([header, payload], cut) => {
        const file = writeContainer(header, payload);
        expect(parseOutcome(file.subarray(0, Math.floor(cut * file.length)))).toEqual({ code: 'TRUNCATED' });
      }),
      options,
    );
  });

  it('every single bit flip of a valid file is caught', () => {
    fc.assert(
      fc.property(containerArbitrary, fc.nat(), fc.integer({ min: 0, max: 7 }), ([header, payload], at, bit) => {
        const file = writeContainer(header, payload);
        file[at % file.length] ^= 1 << bit;
        expect('ok' in parseOutcome(file)).toBe(false);
      }),
      options,
    );
  });

  it('random multi-byte damage gives the original back or a typed error', () => {
    fc.assert(
      fc.property(
        containerArbitrary,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        ([header, payload], edits) => {
          const file = writeContainer(header, payload);
          for (const [at, value] of edits) file[at % file.length] = value;
          expectEqualOrTypedError(file, header, payload);
        },
      ),
      options,
    );
  });
});
