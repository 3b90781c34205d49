// Fuzzing decompress: random bytes, truncations and byte flips of valid .vdmz files (chain
// files of format version 2, predictor-only files of version 4, with and without pixel
// matches, and banded files of version 6), and flips that are
// re-signed (header and payload CRCs recomputed) so they get past the container checks into the decoder itself.
// Every case must end in a VdmzipError with a one-line message, quickly, and decompress must
// never return an image other than the one the file was made from. A smaller part runs the
// real CLI over corrupted files and checks that it leaves no output or temporary file behind.

import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compressImage } from '../src/codec.ts';
import { createEngine } from '../src/model/engines.ts';
import { VdmzipCodec, VdmzipError, type Channels, type Image, type VdmzipErrorCode } from '../src/index.ts';
import { crc32 } from '../src/image/crc32.ts';
import { MATCHES_PARAMS_VERSION, parseContainer } from '../src/format/container.ts';
import { saveTinyModel, tinyBundle } from './helpers/tiny-model.ts';
import { mulberry32 } from '../src/random.ts';

const BIN = fileURLToPath(new URL('../cli/vdmzip.js', import.meta.url));
const SEED = 0x5eedf022;
/** Cases per kind; 12 000 in all, 5 000 of them re-signed so that they reach the decoder. */
const COUNTS = { randomBytes: 1500, vdmzPrefixed: 1000, truncated: 1500, flipped: 3000, resignedHeader: 1500, resignedPayload: 3000, resignedLength: 500 };
/** The slowest case may take this long (the largest valid file decodes in ~10 ms). */
const MAX_CASE_MS = 2000;
/** Codes a damaged file may fail with. */
const DECODE_CODES: VdmzipErrorCode[] = ['UNSUPPORTED_FORMAT', 'CORRUPT', 'TRUNCATED', 'UNSUPPORTED_VERSION', 'MODEL_MISMATCH', 'TOO_LARGE'];

const random = mulberry32(SEED);
const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => int(0, 255));

function testImage(width: number, height: number, channels: Channels): Image {
  return { width, height, channels, data: randomBytes(width * height * channels) };
}

type Valid = { image: Image; file: Uint8Array };
type Case = { kind: keyof typeof COUNTS; bytes: Uint8Array; source?: Valid };

// Container layout (src/format/container.ts): 9-byte preamble (magic, version, body
// length H), the body, the header CRC over [0, 9 + H), then the payload. The body ends
// with the payload CRC. Format
// version 4 (predictor-only files) has none of these: magic, version, two varints and three
// bytes, then the payload, so its flips reach the decoder without re-signing; nor has
// version 6 (bands): two varints, two bytes, 8 bytes of pixel SHA-256, the band count and all
// but one band length, then the bands, each a file of version 4.
const compact = (file: Uint8Array) => file[4] === 4 || file[4] === 6;
const varintEnd = (file: Uint8Array, at: number) => {
  while (file[at] & 0x80) at++;
  return at + 1;
};
function bandedHeaderEnd(file: Uint8Array): number {
  let at = varintEnd(file, varintEnd(file, 5)) + 2 + 8;
  const count = file[at];
  at = varintEnd(file, at);
  for (let k = 1; k < count; k++) at = varintEnd(file, at);
  return at;
}
const headerStart = (file: Uint8Array) => (compact(file) ? 5 : 9);
const headerEnd = (file: Uint8Array) => (file[4] === 6 ? bandedHeaderEnd(file) : compact(file) ? varintEnd(file, varintEnd(file, 5)) + 3 : 9 + new DataView(file.buffer, file.byteOffset).getUint32(5, true));
const payloadStart = (file: Uint8Array) => headerEnd(file) + (compact(file) ? 0 : 4);
/** Bytes at the end of the body that resign rewrites: the payload CRC. */
const signedTail = (file: Uint8Array) => (compact(file) ? 0 : 4);

/** Recomputes the payload CRC and header CRC, so the container checks pass (format 4 has none). */
function resign(file: Uint8Array): Uint8Array {
  if (compact(file)) return file;
  const end = headerEnd(file);
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const payloadStart = end + 4;
  view.setUint32(end - 4, crc32(file, payloadStart), true);
  view.setUint32(end, crc32(file, 0, end), true);
  return file;
}

function flipBytes(file: Uint8Array, from: number, to: number, count: number): Uint8Array {
  const out = file.slice();
  for (let k = 0; k < count; k++) out[int(from, to - 1)] ^= int(1, 255);
  return out;
}

function makeCases(valid: Valid[]): Case[] {
  const cases: Case[] = [];
  const pick = () => valid[int(0, valid.length - 1)];
  for (let i = 0; i < COUNTS.randomBytes; i++) cases.push({ kind: 'randomBytes', bytes: randomBytes(int(0, 300)) });
  for (let i = 0; i < COUNTS.vdmzPrefixed; i++) {
    // Past the magic and version, with a plausible or random header length.
    const bytes = randomBytes(int(9, 400));
    bytes.set([0x56, 0x44, 0x4d, 0x5a, 1 + (i % 4)]);
    if (i % 2 === 0) new DataView(bytes.buffer).setUint32(5, int(0, bytes.length), true);
    cases.push({ kind: 'vdmzPrefixed', bytes });
  }
  for (let i = 0; i < COUNTS.truncated; i++) {
    const source = pick();
    cases.push({ kind: 'truncated', bytes: source.file.slice(0, int(0, source.file.length - 1)), source });
  }
  for (let i = 0; i < COUNTS.flipped; i++) {
    const source = pick();
    cases.push({ kind: 'flipped', bytes: flipBytes(source.file, 0, source.file.length, int(1, 4)), source });
  }
  for (let i = 0; i < COUNTS.resignedHeader; i++) {
    // Any header field but the length and CRCs, which resign rewrites.
    const source = pick();
    cases.push({ kind: 'resignedHeader', bytes: resign(flipBytes(source.file, headerStart(source.file), headerEnd(source.file) - signedTail(source.file), int(1, 2))), source });
  }
  for (let i = 0; i < COUNTS.resignedPayload; i++) {
    const source = pick();
    const start = payloadStart(source.file);
    cases.push({ kind: 'resignedPayload', bytes: resign(flipBytes(source.file, start, source.file.length, int(1, 3))), source });
  }
  for (let i = 0; i < COUNTS.resignedLength; i++) {
    // The payload cut short or extended, with a consistent CRC.
    const source = pick();
    const start = payloadStart(source.file);
    const bytes = i % 2 === 0 ? source.file.slice(0, int(start, source.file.length - 1)) : Uint8Array.from([...source.file, ...randomBytes(int(1, 8))]);
    cases.push({ kind: 'resignedLength', bytes: resign(bytes), source });
  }
  return cases;
}

let codec: VdmzipCodec;
let valid: Valid[];
let dir: string;
let modelDir: string;

beforeAll(async () => {
  const bundle = tinyBundle(1);
  // One thread: banded files decode band by band here (the worker threads are bands.test.ts's).
  codec = await VdmzipCodec.open({ model: bundle, workers: 1 });
  const engine = await createEngine(bundle, { threads: 1 });
  valid = [];
  for (const [width, height, channels] of [[1, 1, 3], [3, 5, 1], [8, 8, 4], [9, 10, 2], [17, 9, 3]] as const) {
    const image = testImage(width, height, channels);
    // The chain alone, predictor rows under it, and the encoder's choice (on noise and this
    // model: every row classic).
    for (const predictorRows of new Set([0, Math.floor(height / 2), undefined])) {
      const file = await compressImage(image, bundle, engine, { predictorRows });
      valid.push({ image, file });
    }
  }
  // Few colours in blocks: the predictor with pixel matches (coder parameters version 10).
  for (const [width, height, channels] of [[12, 9, 3], [16, 6, 4], [7, 7, 1]] as const) {
    const palette = [randomBytes(channels), randomBytes(channels), randomBytes(channels)];
    const data = new Uint8Array(width * height * channels);
    for (let p = 0; p < width * height; p++) data.set(palette[(((p % width) >> 1) + (Math.floor(p / width) >> 1)) % 3], p * channels);
    const image = { width, height, channels, data };
    const file = await compressImage(image, undefined, engine, { effort: 1 });
    if (parseContainer(file).header.coder.version !== MATCHES_PARAMS_VERSION) throw new Error('expected a file with pixel matches');
    valid.push({ image, file });
  }
  // Bands of rows coded apart (format version 6).
  for (const [width, height, channels, bands] of [[12, 9, 3, 3], [6, 5, 4, 2]] as const) {
    const image = testImage(width, height, channels);
    valid.push({ image, file: await compressImage(image, undefined, engine, { effort: 1, bands, workers: 1 }) });
  }
  await engine.dispose();
  dir = await mkdtemp(join(tmpdir(), 'vdmzip-fuzz-'));
  modelDir = join(dir, 'model');
  saveTinyModel(modelDir, 1);
});

afterAll(async () => {
  await codec?.dispose();
  await rm(dir, { recursive: true, force: true });
});

const sameImage = (a: Image, b: Image) => a.width === b.width && a.height === b.height && a.channels === b.channels && Buffer.from(a.data).equals(Buffer.from(b.data));

describe('decompress under damaged input', () => {
  it('decodes the valid files it fuzzes', async () => {
    for (const { image, file } of valid) expect(sameImage(await codec.decompress(file), image)).toBe(true);
  });

  it(`ends every case in a one-line VdmzipError within ${MAX_CASE_MS} ms, never a wrong image`, async () => {
    const cases = makeCases(valid);
    const byCode = new Map<string, number>();
    const slowest = { ms: 0, kind: '' };
    const problems: string[] = [];
    let correct = 0;
    const started = performance.now();
    for (const [index, c] of cases.entries()) {
      const t0 = performance.now();
      let outcome: Image | unknown;
      try {
        outcome = await codec.decompress(c.bytes);
      } catch (error) {
        outcome = error;
      }
      const ms = performance.now() - t0;
      if (ms > slowest.ms) Object.assign(slowest, { ms, kind: c.kind });
      if (outcome instanceof VdmzipError) {
        byCode.set(outcome.code, (byCode.get(outcome.code) ?? 0) + 1);
        if (!DECODE_CODES.includes(outcome.code) || outcome.message.includes('\n') || outcome.message.length === 0) {
          problems.push(`case ${index} (${c.kind}): ${outcome.code}: ${JSON.stringify(outcome.message)}`);
        }
      } else if (outcome instanceof Error) {
        problems.push(`case ${index} (${c.kind}): not a VdmzipError: ${outcome.stack}`);
      } else if (c.source !== undefined && sameImage(outcome as Image, c.source.image)) {
        // A change that does not alter decoding gives the right image: e.g. the lowest
        // mantissa bits of the grid factor κ, which do not move any grid point.
        correct++;
      } else {
        problems.push(`case ${index} (${c.kind}): returned a wrong image`);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `fuzz: ${cases.length} cases in ${seconds.toFixed(1)} s; slowest ${slowest.ms.toFixed(1)} ms (${slowest.kind}); ` +
        `${correct} decoded correctly; errors by code: ${[...byCode].map(([code, n]) => `${code} ${n}`).join(', ')}`,
    );
    expect(cases.length).toBeGreaterThanOrEqual(10_000);
    expect(problems.slice(0, 10)).toEqual([]);
    expect(slowest.ms).toBeLessThan(MAX_CASE_MS);
    // Most re-signed payload flips must have reached the decoder and failed there.
    expect(byCode.get('CORRUPT') ?? 0).toBeGreaterThan(COUNTS.resignedPayload);
  });
});

describe('vdmzip decompress (CLI) under damaged input', () => {
  const CLI_CASES = 50;

  function vdmzip(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, [BIN, ...args], { cwd: dir }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }));
    });
  }

  it(`fails on each of ${CLI_CASES} damaged files with one line and leaves no output behind`, async () => {
    const cases = makeCases(valid);
    // Take an even spread over the kinds, re-signed ones included, each a case that fails: a
    // change that does not alter decoding (κ's lowest mantissa bits) is passed over for the next.
    const fails = async (c: Case) => codec.decompress(c.bytes).then(() => false, () => true);
    const chosen: Case[] = [];
    for (let k = 0; k < CLI_CASES; k++) {
      let at = Math.floor((k * cases.length) / CLI_CASES);
      while (!(await fails(cases[at]))) at++;
      chosen.push(cases[at]);
    }
    const work = join(dir, 'cli');
    await rm(work, { recursive: true, force: true });
    await mkdir(work);
    const names = chosen.map((_, k) => join(work, `case-${k}.vdmz`));
    await Promise.all(chosen.map((c, k) => writeFile(names[k], c.bytes)));

    // One run over all of them: each failure is one line, and the run goes on past it.
    const all = await vdmzip('decompress', '--model', modelDir, ...names);
    expect(all.code).toBe(1);
    expect(all.stdout).toBe('');
    const lines = all.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(CLI_CASES + 1);
    names.forEach((name, k) => expect(lines[k]).toMatch(new RegExp(`^vdmzip: ${name.replace(/[.\\/]/g, '\\$&')}: \\S.*$`)));
    expect(lines[CLI_CASES]).toBe(`vdmzip: ${CLI_CASES} of ${CLI_CASES} inputs failed`);

    // A few one at a time, to an explicit output and to stdout.
    for (const k of [0, 20, 40, 49]) {
      const one = await vdmzip('decompress', '--model', modelDir, '-o', join(work, `out-${k}.png`), names[k]);
      expect(one.code).toBe(1);
      expect(one.stderr).toMatch(/^vdmzip: [^\n]+\n$/);
    }
    const piped = await vdmzip('decompress', '--model', modelDir, '-c', names[45]);
    expect(piped.code).toBe(1);
    expect(piped.stdout).toBe('');

    expect((await readdir(work)).sort()).toEqual(names.map((name) => name.slice(work.length + 1)).sort());
  });
});
