// The compress and decompress commands through the real binary, as a user runs them:
// gzip/xz/zstd habits (several inputs, -, -c, -o, -f, -k, -q, -v), exit codes, one-line
// errors, atomic outputs. The model is the tiny random-weight one, saved in a temp folder.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { modelDir } from '../cli/options.ts';
import { clock, ProgressBar, progressLine } from '../cli/progress.ts';
import { DEFAULT_MODEL_DIR } from '../src/codec-api.ts';
import { compressImage } from '../src/codec.ts';
import { parseContainer } from '../src/format/container.ts';
import { loadBundle } from '../src/model/bundle.ts';
import { createEngine } from '../src/model/engines.ts';
import { VdmzipError } from '../src/errors.ts';
import { crc32 } from '../src/image/crc32.ts';
import { readImage, readPicture, writeImage, writePicture, type Channels, type Image, type Picture } from '../src/image/index.ts';
import { pngChunk, pngFile } from './helpers/png-bytes.ts';
import { saveTinyModel } from './helpers/tiny-model.ts';

const BIN = fileURLToPath(new URL('../cli/vdmzip.js', import.meta.url));

type Run = { code: number | null; signal: NodeJS.Signals | null; stdout: Buffer; stderr: string };

let dir: string;
let model: string;

/** Runs the bin through node in `dir`, with `input` on stdin. */
function vdmzip(args: string[], options: { input?: Uint8Array; onStderr?: (text: string, child: ReturnType<typeof spawn>) => void; closeStdoutEarly?: boolean } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout.push(chunk);
      // Like `| head -c 1`: read a little, then close the pipe.
      if (options.closeStdoutEarly) child.stdout.destroy();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      options.onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(stdout), stderr }));
    child.stdin.on('error', () => {}); // the child may exit before reading it all
    child.stdin.end(options.input);
  });
}

/** vdmzip COMMAND with the tiny model (a later --model wins). */
const withModel = (command: string, ...args: string[]) => vdmzip([command, '--model', model, ...args]);

function testImage(width: number, height: number, channels: Channels, seed: number): Image {
  const data = new Uint8Array(width * height * channels);
  // Smooth-ish content with some noise: nothing the coder could special-case.
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + seed * 31 + ((i * i * 2654435761) >>> 28)) & 255;
  return { width, height, channels, data };
}

const IMAGES = {
  'rgb.png': { image: testImage(13, 11, 3, 1), format: 'png' },
  'grey.pgm': { image: testImage(9, 7, 1, 2), format: 'pnm' },
  'colour.ppm': { image: testImage(10, 6, 3, 3), format: 'pnm' },
  'rgba.png': { image: testImage(7, 9, 4, 4), format: 'png' },
  'ga.png': { image: testImage(6, 5, 2, 5), format: 'png' },
  'grey.png': { image: testImage(8, 8, 1, 6), format: 'png' },
} as const;
type Name = keyof typeof IMAGES;
const NAMES = Object.keys(IMAGES) as Name[];

/** Runs `work` over `items`, `limit` at a time (each run is mostly process start-up). */
async function mapLimit<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const k = next++;
      results[k] = await work(items[k]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

const at = (name: string) => join(dir, name);
const read = (name: string) => readFile(at(name));
const samePixels = (bytes: Uint8Array, image: Image) => {
  const decoded = readImage(bytes);
  return decoded.width === image.width && decoded.height === image.height && decoded.channels === image.channels && Buffer.from(decoded.data).equals(Buffer.from(image.data));
};

/** A minimal 16-bit greyscale PNG. */
function png16(width: number, height: number): Uint8Array {
  return pngFile(width, height, 16, 0, new Uint8Array(height * (1 + 2 * width)));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vdmzip-conventions-'));
  model = join(dir, 'model');
  saveTinyModel(model, 1);
  for (const name of NAMES) await writeFile(at(name), writeImage(IMAGES[name].image, IMAGES[name].format));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('compress and decompress round trips', () => {
  it('compresses several inputs at once, silently, keeping the inputs, and decompresses them bit-exactly', async () => {
    const before = await Promise.all(NAMES.map(read));
    const run = await withModel('compress', ...NAMES);
    expect(run.stderr).toBe('');
    expect(run.stdout.length).toBe(0);
    expect(run.code).toBe(0);
    // -k is the default: inputs are still there, unchanged.
    for (const [k, name] of NAMES.entries()) expect((await read(name)).equals(before[k])).toBe(true);

    // Decompress copies in a subfolder (beside the originals the outputs would exist).
    await mkdir(at('out'));
    for (const name of NAMES) await copyFile(at(`${name}.vdmz`), at(`out/${name}.vdmz`));
    const back = await withModel('decompress', ...NAMES.map((name) => `out/${name}.vdmz`));
    expect(back.stderr).toBe('');
    expect(back.code).toBe(0);
    for (const name of NAMES) {
      const bytes = await read(`out/${name}`);
      expect(samePixels(bytes, IMAGES[name].image), name).toBe(true);
      // The format follows the output extension: PGM (P5) and PPM (P6) stay PNM, PNGs stay PNG.
      const magic = bytes.subarray(0, 2).toString('latin1');
      expect(magic, name).toBe(name.endsWith('.pgm') ? 'P5' : name.endsWith('.ppm') ? 'P6' : '\x89P');
      expect(existsSync(at(`out/${name}.vdmz`))).toBe(true);
    }
    // PNM files written by vdmzip are canonical, so they come back byte for byte.
    expect((await read('out/grey.pgm')).equals(await read('grey.pgm'))).toBe(true);
  });

  it('names outputs: X.vdmz → X for image names, else X.png; a name without .vdmz gets .png', async () => {
    await copyFile(at('rgb.png.vdmz'), at('photo.vdmz'));
    await copyFile(at('rgb.png.vdmz'), at('blob.bin'));
    const run = await withModel('decompress', 'photo.vdmz', 'blob.bin');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(samePixels(await read('photo.png'), IMAGES['rgb.png'].image)).toBe(true);
    expect(samePixels(await read('blob.bin.png'), IMAGES['rgb.png'].image)).toBe(true);
  });

  it('reads standard input and writes standard output for -', async () => {
    const listing = await readdir(dir);
    const compressed = await vdmzip(['compress', '-', '--model', model], { input: await read('rgba.png') });
    expect(compressed.stderr).toBe('');
    expect(compressed.code).toBe(0);
    // The coder is deterministic: the same file as compressing by name.
    expect(compressed.stdout.equals(await read('rgba.png.vdmz'))).toBe(true);
    const decompressed = await vdmzip(['decompress', '-', '--model', model], { input: compressed.stdout });
    expect(decompressed.code).toBe(0);
    expect(samePixels(decompressed.stdout, IMAGES['rgba.png'].image)).toBe(true);
    expect(decompressed.stdout.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(await readdir(dir)).toEqual(listing);
  });

  it('-c writes to standard output; --format pnm picks PGM/PPM there', async () => {
    const compressed = await withModel('compress', '-c', 'grey.png');
    expect(compressed.code).toBe(0);
    expect(compressed.stdout.equals(await read('grey.png.vdmz'))).toBe(true);
    const decompressed = await withModel('decompress', '-c', '--format', 'pnm', 'colour.ppm.vdmz');
    expect(decompressed.code).toBe(0);
    expect(decompressed.stdout.equals(await read('colour.ppm'))).toBe(true);
  });

  it('-o names the output; with --verify, --grid and -v it reports the device, sizes, bpd and time', async () => {
    const run = await withModel('compress', '-o', 'custom.vdmz', '--verify', '--grid', '0.25', '-v', 'rgb.png');
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^device: (cpu|gpu), onnx-\S+\)(; GPU not used: [^\n]+)?\nrgb\.png → custom\.vdmz: 13×11 RGB, \d+ → \d+ bytes, \d+\.\d{3} bpd, verified, \d+\.\d\d s\n$/);
    // The predictor codes an image this small alone, and such a file records no κ (nor model):
    // the library tests check that κ reaches the files the chain codes.
    const info = await withModel('info', 'custom.vdmz');
    expect(info.stdout.toString()).toMatch(/^model\s+none needed \(format 4:/m);
    expect(info.stdout.toString()).toMatch(/^pixel check\s+SHA-256's first 48 bits/m);
    // Decoding a predictor-only file runs no network, so -v names no device.
    const back = await withModel('decompress', '-o', 'custom.ppm', '-v', 'custom.vdmz');
    expect(back.code).toBe(0);
    expect(back.stderr).toMatch(/^custom\.vdmz → custom\.ppm: 13×11 RGB, \d+ → 442 bytes, \d+\.\d{3} bpd, \d+\.\d\d s\n$/);
    expect(samePixels(await read('custom.ppm'), IMAGES['rgb.png'].image)).toBe(true);
  });

  it('-e 1, 2 and 3 each write a file that decodes to the input; 2 is the default', async () => {
    const plain = await withModel('compress', '-c', 'rgb.png');
    for (const effort of ['1', '2', '3']) {
      const run = await withModel('compress', '-c', '-e', effort, 'rgb.png');
      expect(run.code, effort).toBe(0);
      if (effort === '2') expect(run.stdout.equals(plain.stdout)).toBe(true);
      await writeFile(join(dir, `effort-${effort}.vdmz`), run.stdout);
      const back = await withModel('decompress', '-c', '--format', 'pnm', `effort-${effort}.vdmz`);
      expect(back.stderr, effort).toBe('');
      expect(samePixels(back.stdout, IMAGES['rgb.png'].image), effort).toBe(true);
    }
  });

  it('gives a palette PNG back as a palette PNG: the same palette in the same order, the same index depth', async () => {
    // 48×32 of four colours in blocks, 2-bit indices, a palette listed out of any order: coded, not stored.
    const palette = Uint8Array.of(250, 250, 250, 20, 20, 20, 200, 30, 30, 40, 90, 200);
    const data = new Uint8Array(48 * 32 * 3);
    for (let p = 0; p < 48 * 32; p++) data.set(palette.subarray(3 * ((((p % 48) >> 3) + ((p / 48) >> 2)) % 4), 3 * ((((p % 48) >> 3) + ((p / 48) >> 2)) % 4) + 3), 3 * p);
    const picture: Picture = { image: { width: 48, height: 32, channels: 3, data }, metadata: [], layout: { kind: 'palette', depth: 2, palette } };
    const png = writePicture(picture, 'png');
    await writeFile(at('palette-2bit.png'), png);
    expect((await withModel('compress', '-e', '1', 'palette-2bit.png')).code).toBe(0);
    const info = (await withModel('info', 'palette-2bit.png.vdmz')).stdout.toString();
    expect(info).toMatch(/^PNG layout\s+a palette of 4 colours, 2-bit indices$/m);
    expect(info).toMatch(/^format\s+5 \(extended\) around a file of format 4$/m);
    const back = await withModel('decompress', '-c', 'palette-2bit.png.vdmz');
    expect(back.stderr).toBe('');
    expect(Buffer.from(back.stdout).equals(Buffer.from(png))).toBe(true);
    // --strip drops metadata, not the layout.
    await writeFile(at('stripped-palette.vdmz'), (await withModel('compress', '-c', '-e', '1', '--strip', 'palette-2bit.png')).stdout);
    expect(Buffer.from((await withModel('decompress', '-c', 'stripped-palette.vdmz')).stdout).equals(Buffer.from(png))).toBe(true);
  });

  it('keeps 16-bit samples and PNG metadata (--strip drops it), and a PNM maxval, through PNG and PGM/PPM', async () => {
    const data = Uint16Array.from({ length: 9 * 6 * 4 }, (_, i) => (i * 40503 + ((i * i) >>> 3)) & 0xffff);
    const picture: Picture = {
      image: { width: 9, height: 6, channels: 4, maxValue: 65535, data },
      metadata: [
        { type: 'iCCP', data: Uint8Array.of(112, 0, 0, 120, 156, 3, 0, 0, 0, 0, 1), afterImageData: false },
        { type: 'tEXt', data: new TextEncoder().encode('Comment\0kept'), afterImageData: true },
      ],
    };
    await writeFile(at('deep.png'), writePicture(picture, 'png'));
    const run = await withModel('compress', '-v', '-e', '1', 'deep.png');
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^deep\.png → deep\.png\.vdmz: 9×6 RGBA 16-bit, \d+ → \d+ bytes/);
    const info = await withModel('info', 'deep.png.vdmz');
    expect(info.stdout.toString()).toMatch(/^image\s+9×6, 4 channels \(RGBA\), 16-bit$/m);
    expect(info.stdout.toString()).toMatch(/^metadata\s+2 PNG chunks: iCCP \(11 bytes\), tEXt \(12 bytes\)$/m);
    const back = await withModel('decompress', '-c', 'deep.png.vdmz');
    expect(back.stderr).toBe('');
    const pictureOf = (bytes: Uint8Array) => {
      const { image, metadata } = readPicture(bytes);
      return { image, metadata };
    };
    expect(pictureOf(back.stdout)).toEqual(picture);
    const stripped = await withModel('compress', '-c', '-e', '1', '--strip', 'deep.png');
    await writeFile(at('stripped.vdmz'), stripped.stdout);
    expect(pictureOf((await withModel('decompress', '-c', 'stripped.vdmz')).stdout)).toEqual({ image: picture.image, metadata: [] });

    // A PGM of maxval 1023 comes back as one; PNG cannot hold that range, and says so before decoding.
    const grey = { width: 5, height: 4, channels: 1 as const, maxValue: 1023, data: Uint16Array.from({ length: 20 }, (_, i) => (i * 97) % 1024) };
    await writeFile(at('ten-bit.pgm'), writeImage(grey, 'pnm'));
    expect((await withModel('compress', '-e', '1', 'ten-bit.pgm')).code).toBe(0);
    const asPng = await withModel('decompress', 'ten-bit.pgm.vdmz', '-o', 'ten-bit.png');
    expect(asPng.code).toBe(1);
    expect(asPng.stderr).toBe("vdmzip: ten-bit.png: the image's samples run to 1023, which PNG cannot hold without rescaling; write PGM/PPM/PAM instead\n");
    expect(existsSync(at('ten-bit.png'))).toBe(false);
    const asPgm = await withModel('decompress', '-c', '--format', 'pnm', 'ten-bit.pgm.vdmz');
    expect(Buffer.from(asPgm.stdout).equals(Buffer.from(writeImage(grey, 'pnm')))).toBe(true);
  });

  it('stores a PNG that codes no smaller whole, and gives it back byte for byte (a palette image)', async () => {
    // 4-bit palette stripes: the PNG's palette and deflate copies beat coding the pixels.
    const width = 200;
    const height = 40;
    const rows = Buffer.concat(Array.from({ length: height }, (_, y) => Buffer.from([0, ...Array.from({ length: width / 2 }, (_, x) => (((x + y) % 5) << 4) | ((x * 3) % 5))])));
    const palette = Buffer.from([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]);
    const png = pngFile(width, height, 4, 3, rows, [pngChunk('PLTE', palette)]);
    await writeFile(at('palette.png'), png);
    const run = await withModel('compress', '-v', 'palette.png');
    expect(run.code).toBe(0);
    const file = await read('palette.png.vdmz');
    expect(file.length).toBeLessThanOrEqual(png.length + 48);
    expect((await withModel('info', 'palette.png.vdmz')).stdout.toString()).toMatch(/^format\s+5 \(extended\) around the input PNG, stored whole/m);
    const back = await withModel('decompress', '-c', 'palette.png.vdmz');
    expect(Buffer.from(back.stdout).equals(png)).toBe(true);
  });

  it('gives the same file with several ONNX threads', async () => {
    const threads = await withModel('compress', '-c', '--threads', '2', 'ga.png');
    expect(threads.stdout.equals(await read('ga.png.vdmz'))).toBe(true);
  });
});

describe('outputs are never clobbered or left half-written', () => {
  it('refuses an existing output without -f, leaving it untouched; -f replaces it', async () => {
    await copyFile(at('rgb.png'), at('keep.png'));
    await writeFile(at('keep.png.vdmz'), 'precious');
    const refused = await withModel('compress', 'keep.png');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('vdmzip: keep.png.vdmz: output file already exists; use -f/--force to overwrite it\n');
    expect((await read('keep.png.vdmz')).toString()).toBe('precious');

    const forced = await withModel('compress', '-f', 'keep.png');
    expect(forced.code).toBe(0);
    expect((await read('keep.png.vdmz')).equals(await read('rgb.png.vdmz'))).toBe(true);

    // Decompress too: keep.png exists beside keep.png.vdmz.
    await writeFile(at('keep.png'), 'precious too');
    const refusedBack = await withModel('decompress', 'keep.png.vdmz');
    expect(refusedBack.code).toBe(1);
    expect(refusedBack.stderr).toBe('vdmzip: keep.png: output file already exists; use -f/--force to overwrite it\n');
    expect((await read('keep.png')).toString()).toBe('precious too');
    const forcedBack = await withModel('decompress', '--force', 'keep.png.vdmz');
    expect(forcedBack.code).toBe(0);
    expect(samePixels(await read('keep.png'), IMAGES['rgb.png'].image)).toBe(true);
  });

  it('refuses to write the output over its own input, even with -f', async () => {
    const run = await withModel('compress', '-f', '-o', 'grey.pgm', 'grey.pgm');
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('vdmzip: grey.pgm: the output grey.pgm is the input file itself\n');
    expect(samePixels(await read('grey.pgm'), IMAGES['grey.pgm'].image)).toBe(true);
  });

  it('removes its temporary file when the final rename fails', async () => {
    await mkdir(at('taken'));
    await mkdir(at('taken/sub'));
    const run = await withModel('compress', '-f', '-o', 'taken/sub', 'rgb.png');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^vdmzip: taken\/sub: cannot write: [^\n]+\n$/);
    expect(await readdir(at('taken'))).toEqual(['sub']);
  });

  it('leaves no output and no temporary file when interrupted (SIGINT)', async () => {
    await mkdir(at('interrupt'));
    await writeFile(at('interrupt/big.ppm'), writeImage(testImage(384, 384, 3, 9), 'pnm'));
    let sent = false;
    const run = await new Promise<Run>((resolve, reject) => {
      // The progress bar's first line says coding has begun.
      vdmzip(['compress', '--progress', '--model', model, 'interrupt/big.ppm'], {
        onStderr: (text, child) => {
          if (!sent && /\d+%/.test(text)) {
            sent = true;
            child.kill('SIGINT');
          }
        },
      }).then(resolve, reject);
    });
    expect(sent).toBe(true);
    expect(run.signal).toBe('SIGINT');
    expect(await readdir(at('interrupt'))).toEqual(['big.ppm']);
  });
});

describe('messages and exit codes', () => {
  it('a standard output closed by its reader ends the command quietly, with status 0', async () => {
    // Noise, ~8 bits a sample: a file of ~400 KB, several times what a pipe holds, so the write
    // meets the closed end. (Hashed: the bare Weyl sequence i·φ is a pattern the predictor learns.)
    const noise = Uint8Array.from({ length: 512 * 256 * 3 }, (_, i) => {
      const h = Math.imul(i + 1, 2654435761);
      const mixed = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
      return (mixed ^ (mixed >>> 12)) >>> 24;
    });
    await writeFile(at('wide.ppm'), writeImage({ width: 512, height: 256, channels: 3, data: noise }, 'pnm'));
    const run = await vdmzip(['compress', '--model', model, '-c', 'wide.ppm'], { closeStdoutEarly: true });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });

  it('-q prints nothing, even with --progress; --progress alone shows percentages', async () => {
    const quiet = await withModel('compress', '-q', '-v', '--progress', '-c', 'rgb.png');
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
    const progress = await withModel('compress', '--progress', '-c', 'rgb.png');
    expect(progress.stderr).toMatch(/^rgb\.png 100% \[#+\] done$/m);
  });

  it('goes on past a failed input, one line per failure, then exits 1', async () => {
    await mkdir(at('mixed'));
    await copyFile(at('rgb.png'), at('mixed/a.png'));
    await copyFile(at('grey.pgm'), at('mixed/b.pgm'));
    await writeFile(at('mixed/notes.txt'), 'not an image\n');
    const run = await withModel('compress', 'mixed/a.png', 'mixed/missing.png', 'mixed/notes.txt', 'mixed/b.pgm');
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'vdmzip: mixed/missing.png: no such file or directory\n' +
        'vdmzip: mixed/notes.txt: not a PNG or Netpbm (PBM, PGM, PPM, PAM) image\n' +
        'vdmzip: 2 of 4 inputs failed\n',
    );
    expect((await readdir(at('mixed'))).sort()).toEqual(['a.png', 'a.png.vdmz', 'b.pgm', 'b.pgm.vdmz', 'notes.txt']);
  });

  it('names the file and the reason on one line, exit 1', async () => {
    const good = await read('rgb.png.vdmz');
    const corrupt = Buffer.from(good);
    corrupt[corrupt.length - 3] ^= 0x40;
    await writeFile(at('corrupt.vdmz'), corrupt);
    await writeFile(at('truncated.vdmz'), good.subarray(0, good.length - 10));
    await writeFile(at('header-cut.vdmz'), good.subarray(0, 8));
    await writeFile(at('text.png'), 'hello');
    // A PNG header that claims 20000 × 20000 pixels.
    const huge = Buffer.from(png16(1, 1));
    huge.writeUInt32BE(20000, 16);
    huge.writeUInt32BE(20000, 20);
    huge.set([8, 2], 24);
    huge.writeUInt32BE(crc32(huge, 12, 29), 29);
    await writeFile(at('huge.png'), huge);

    const cases: Array<[string[], string]> = [
      // A predictor-only file (format 4) records neither its payload's length nor its CRC: the
      // decoder finds the damage, and a damaged payload and a cut one read alike.
      [['decompress', 'corrupt.vdmz'], 'vdmzip: corrupt.vdmz: the payload does not end with the image: damaged or cut short\n'],
      [['decompress', 'truncated.vdmz'], 'vdmzip: truncated.vdmz: the payload does not end with the image: damaged or cut short\n'],
      [['decompress', 'header-cut.vdmz'], 'vdmzip: header-cut.vdmz: file ends inside its header\n'],
      [['decompress', 'rgb.png'], 'vdmzip: rgb.png: not a .vdmz file\n'],
      [['compress', 'text.png'], 'vdmzip: text.png: not a PNG or Netpbm (PBM, PGM, PPM, PAM) image\n'],
      [['compress', 'huge.png'], 'vdmzip: huge.png: PNG image is 20000×20000 pixels; vdmzip handles at most 268435456\n'],
      [['decompress', '-o', 'rgba.ppm', 'rgba.png.vdmz'], 'vdmzip: rgba.ppm: the image has an alpha channel, which PGM/PPM cannot hold; write PAM or PNG instead\n'],
      [['compress', '-c', 'rgb.png', '--model', join(dir, 'nowhere')], `vdmzip: ${join(dir, 'nowhere')}: cannot load the model: no model.json (not a vdmzip model folder)\n`],
    ];
    const runs = await mapLimit(cases, 3, ([args]) => withModel(...(args as [string, ...string[]])));
    for (const [k, [args, message]] of cases.entries()) {
      const run = runs[k];
      expect(run.stderr, args.join(' ')).toBe(message);
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stdout.length).toBe(0);
    }
    for (const output of ['corrupt.png', 'truncated.png', 'header-cut.png', 'rgb.png.png', 'text.png.vdmz', 'huge.png.vdmz', 'rgba.ppm']) {
      expect(existsSync(at(output)), output).toBe(false);
    }
  });

  it('decompress -t decodes and checks, writes nothing, and names the files that fail', async () => {
    const good = await read('rgb.png.vdmz');
    await writeFile(at('test-cut.vdmz'), good.subarray(0, good.length - 5));
    const before = (await readdir(dir)).sort();
    const run = await withModel('decompress', '-t', '-v', 'rgb.png.vdmz', 'test-cut.vdmz');
    expect(run.code).toBe(1);
    expect(run.stdout.length).toBe(0);
    expect(run.stderr).toMatch(/^rgb\.png\.vdmz: ok, 13×11 RGB, \d+\.\d\d s\nvdmzip: test-cut\.vdmz: [^\n]+\nvdmzip: 1 of 2 inputs failed\n$/);
    expect((await readdir(dir)).sort()).toEqual(before);
    expect((await withModel('decompress', '-t', 'rgb.png.vdmz')).code).toBe(0);
    const usage = await withModel('decompress', '-t', '-c', 'rgb.png.vdmz');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe('vdmzip: -t/--test writes nothing: it takes no -o or -c\n');
  });

  it('usage errors exit 2 with one line', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['compress'], /^vdmzip: no input files \(use - to read standard input\)\n$/],
      [['compress', '-o', 'x.vdmz', 'rgb.png', 'grey.png'], /^vdmzip: -o\/--output takes one input, not 2\n$/],
      [['decompress', '-c', 'rgb.png.vdmz', 'grey.png.vdmz'], /^vdmzip: -c\/--stdout takes one input, not 2\n$/],
      [['compress', '-c', '-o', 'x.vdmz', 'rgb.png'], /^vdmzip: -o\/--output and -c\/--stdout cannot be used together\n$/],
      [['compress', '-', '-'], /^vdmzip: standard input \(-\) can be given only once\n$/],
      [['compress', '--threads', '0', 'rgb.png'], /^vdmzip: option '--threads <n>' argument '0' is invalid\. expected a positive integer\n$/],
      [['compress', '--device', 'tpu', 'rgb.png'], /^vdmzip: option '--device <device>' argument 'tpu' is invalid\. Allowed choices are auto, cpu, gpu\.\n$/],
      [['compress', '-e', '4', 'rgb.png'], /^vdmzip: option '-e, --effort <level>' argument '4' is invalid\. expected one of 1, 2, 3\n$/],
      [['compress', '--grid', '-1', 'rgb.png'], /^vdmzip: option '--grid <kappa>' argument '-1' is invalid\. expected a positive number\n$/],
      [['decompress', '--bogus', 'x.vdmz'], /^vdmzip: unknown option '--bogus'\n$/],
    ];
    const runs = await mapLimit(cases, 3, ([args]) => withModel(...(args as [string, ...string[]])));
    for (const [k, [args, message]] of cases.entries()) {
      const run = runs[k];
      expect(run.stderr, args.join(' ')).toMatch(message);
      expect(run.code, args.join(' ')).toBe(2);
    }
  });

  it('--help says inputs are kept and existing outputs need -f', async () => {
    for (const command of ['compress', 'decompress']) {
      const help = (await vdmzip([command, '--help'])).stdout.toString();
      expect(help).toMatch(/-k, --keep\s+keep the input files: the default and only behaviour/);
      expect(help).toContain('Inputs are never deleted or changed');
      expect(help).toContain('never overwritten without -f');
    }
  });
});

describe('the progress bar', () => {
  /** A stand-in for process.stderr that records what is written. */
  const fakeStream = (isTTY: boolean) => {
    const writes: string[] = [];
    return { writes, stream: { isTTY, write: (text: string) => writes.push(text) } as unknown as NodeJS.WriteStream };
  };

  it('shows percentage, bar and ETA', () => {
    expect(progressLine('photo.png', { stepsDone: 25, stepsTotal: 100 }, 30)).toBe('photo.png  25% [######..................] ETA 0:30');
    expect(progressLine('photo.png', { stepsDone: 25, stepsTotal: 100 }, undefined)).toBe('photo.png  25% [######..................] ETA ?');
    expect(progressLine('photo.png', { stepsDone: 100, stepsTotal: 100 }, 10)).toBe('photo.png 100% [########################] done');
    expect(clock(3725)).toBe('1:02:05');
  });

  it('on a terminal, appears only once an image takes more than a moment, redraws in place, and clears itself', async () => {
    const { writes, stream } = fakeStream(true);
    const bar = new ProgressBar('x.png', 'auto', stream);
    bar.update({ stepsDone: 1, stepsTotal: 10 });
    expect(writes).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 600));
    bar.update({ stepsDone: 5, stepsTotal: 10 });
    bar.update({ stepsDone: 10, stepsTotal: 10 });
    bar.finish();
    expect(writes[0]).toMatch(/^\r\x1b\[Kx\.png  50% \[#{12}\.{12}\] ETA 0:0\d$/);
    expect(writes[1]).toMatch(/^\r\x1b\[Kx\.png 100% .* done$/);
    expect(writes[2]).toBe('\r\x1b[K');
  });

  it("estimates the time left from the pace since the first report, not from the start (loading is paid once)", () => {
    vi.useFakeTimers({ now: 0, toFake: ['Date'] });
    try {
      const { writes, stream } = fakeStream(false);
      const bar = new ProgressBar('x.png', 'always', stream);
      // Loading takes 15 s before the first report; then 10 steps take 1 s, and 980 are left.
      vi.setSystemTime(15_000);
      bar.update({ stepsDone: 10, stepsTotal: 1000 });
      vi.setSystemTime(16_000);
      bar.update({ stepsDone: 20, stepsTotal: 1000 });
      expect(writes[0]).toMatch(/ETA \?\n$/);
      // 98 s at that pace (from the start it would say 16 s · 980/20 = 13:04).
      expect(writes[1]).toMatch(/ETA 1:38\n$/);
    } finally {
      vi.useRealTimers();
    }
  });

  it('stays off a pipe unless forced, and -q silences it', () => {
    for (const [mode, tty, shown] of [['auto', false, false], ['always', false, true], ['never', true, false]] as const) {
      const { writes, stream } = fakeStream(tty);
      const bar = new ProgressBar('x.png', mode, stream);
      bar.update({ stepsDone: 10, stepsTotal: 10 });
      bar.finish();
      expect(writes.length > 0, mode).toBe(shown);
    }
  });
});

describe('the shipped model', () => {
  it('when missing, gives one line that says so and how to pass one', () => {
    const missing = join(dir, 'no-shipped-model');
    expect(() => modelDir({}, missing)).toThrow(new VdmzipError('IO', `no model at ${missing}: the shipped model is missing; pass --model DIR`));
    expect(modelDir({ model: 'x' }, missing)).toBe('x');
  });

  it('the CLI without --model codes with the shipped model, and decodes the chain files it made', async () => {
    const packed = await vdmzip(['compress', '-c', 'rgb.png']);
    expect(packed.stderr).toBe('');
    expect(packed.code).toBe(0);
    const unpacked = await vdmzip(['decompress', '-c', '-'], { input: new Uint8Array(packed.stdout) });
    expect(unpacked.code).toBe(0);
    expect(readImage(new Uint8Array(unpacked.stdout))).toEqual(IMAGES['rgb.png'].image);
    // The encoder gives an image this small to the predictor, whose files need no model; a
    // file the chain codes records the shipped model and decodes only with it.
    const shipped = loadBundle(DEFAULT_MODEL_DIR);
    const engine = await createEngine(shipped);
    const chain = await compressImage(IMAGES['rgb.png'].image, shipped, engine, { predictorRows: 0 }).finally(() => engine.dispose());
    expect(parseContainer(chain).header.modelId).toBe(shipped.id.slice(0, 16));
    const fromChain = await vdmzip(['decompress', '-c', '-'], { input: chain });
    expect(fromChain.code).toBe(0);
    expect(readImage(new Uint8Array(fromChain.stdout))).toEqual(IMAGES['rgb.png'].image);
  });
});
