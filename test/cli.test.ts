import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CODER_PARAMS_VERSION, parseContainer, writeContainer } from '../src/format/container.ts';
import type { ModelBundle } from '../src/model/bundle.ts';
import { framed } from './helpers/container-bytes.ts';
import { saveTinyModel } from './helpers/tiny-model.ts';

const BIN = fileURLToPath(new URL('../cli/vdmzip.js', import.meta.url));

type Run = { code: number; stdout: string; stderr: string };

/** Runs the installed bin exactly as a user would, through its node shim. */
function vdmzip(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

let dir: string;
let modelDir: string;
let bundle: ModelBundle;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vdmzip-cli-'));
  modelDir = join(dir, 'model');
  bundle = saveTinyModel(modelDir, 1);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('vdmzip CLI', () => {
  it('--help lists the six commands', async () => {
    const { code, stdout } = await vdmzip('--help');
    expect(code).toBe(0);
    for (const command of ['compress', 'decompress', 'train', 'eval', 'bench', 'info']) {
      expect(stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
  });

  /** The sample file info reads: 40×30 RGB, 1000 payload bytes, model `modelId` (64 hex digits). */
  function sampleFile(modelId: string): Uint8Array {
    const header = {
      modelId,
      width: 40,
      height: 30,
      channels: 3 as const,
      bitDepth: 8 as const,
      steps: 100,
      patchSize: 32,
      coder: { version: CODER_PARAMS_VERSION, gridFactor: 0.25, chunkSizes: [1, 1], seedWords: 4, predictorRows: 0 },
      pixelSha256Prefix: 'fedcba9876543210',
    };
    const payload = new Uint8Array(1000);
    return writeContainer(header, payload);
  }

  it('info prints the geometry, model, coding parameters and bits per dimension', async () => {
    const path = join(dir, 'sample.vdmz');
    const modelId = '0f'.repeat(32);
    const file = sampleFile(modelId);
    await writeFile(path, file);

    const { code, stdout, stderr } = await vdmzip('info', path);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^image\s+40×30, 3 channels \(RGB\), 8-bit$/m);
    expect(stdout).toMatch(new RegExp(`^model\\s+${modelId.slice(0, 16)}…$`, 'm'));
    expect(stdout).toMatch(/^steps \(T\)\s+100$/m);
    expect(stdout).toMatch(/^patch size\s+32$/m);
    expect(stdout).toMatch(/^coder\s+parameters version 11, the bits-back chain alone$/m);
    expect(stdout).toMatch(/^pixel sha256\s+fedcba9876543210…$/m);
    expect(stdout).not.toMatch(/^pixel crc32/m);
    expect(stdout).toMatch(/^payload\s+1000 bytes$/m);
    expect(stdout).toMatch(new RegExp(`^file size\\s+${file.length} bytes$`, 'm'));
    expect(stdout).toMatch(new RegExp(`^bits/dim\\s+${((8 * file.length) / (40 * 30 * 3)).toFixed(4)}$`, 'm'));
  });

  it('info on a file written before 1.0 fails with one line that says so, exit 1', async () => {
    const path = join(dir, 'sample-v1.vdmz');
    await writeFile(path, framed(1, [...new Uint8Array(30)], new Uint8Array(10)));
    const { code, stdout, stderr } = await vdmzip('info', path);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(`vdmzip: ${path}: file format version 1: written by a vdmzip before 1.0, which this version does not read\n`);
  });

  it('info says which coder made a file: the predictive coder, the chain, or both', async () => {
    const path = join(dir, 'sample-classic.vdmz');
    const base = parseContainer(sampleFile(bundle.id)).header;
    for (const [predictorRows, chunkSizes, says] of [
      [30, [], 'the predictive coder alone \\(all 30 rows\\)'],
      [6, [1, 1], 'the chain over the top 24 rows, the predictive coder below \\(6 rows\\)'],
    ] as const) {
      await writeFile(path, writeContainer({ ...base, coder: { version: CODER_PARAMS_VERSION, gridFactor: 0.25, chunkSizes: [...chunkSizes], seedWords: 0, predictorRows } }, new Uint8Array(10)));
      const { code, stdout } = await vdmzip('info', path);
      expect(code).toBe(0);
      expect(stdout).toMatch(new RegExp(`^coder\\s+parameters version 11, ${says}$`, 'm'));
    }
  });

  it('compress --bands cuts an image into bands that info lists and decompress puts back together', async () => {
    const input = join(dir, 'banded.pgm');
    const pixels = Buffer.from(Array.from({ length: 20 * 9 }, (_, i) => (i * 37) % 256));
    await writeFile(input, Buffer.concat([Buffer.from('P5\n20 9\n255\n'), pixels]));
    expect((await vdmzip('compress', '-q', '-e', '1', '--bands', '3', '--workers', '2', input)).code).toBe(0);
    const info = await vdmzip('info', `${input}.vdmz`);
    expect(info.stdout).toMatch(/^bands\s+3, each coded as an image of its own: 3 \+ 3 \+ 3 rows$/m);
    expect(info.stdout).toMatch(/^model\s+none needed \(format 6: the predictive coder codes every row\)$/m);
    const output = join(dir, 'banded-back.pgm');
    expect((await vdmzip('decompress', '-q', '-o', output, `${input}.vdmz`)).code).toBe(0);
    expect((await readFile(output)).subarray(-pixels.length).equals(pixels)).toBe(true);
    const zero = await vdmzip('compress', '--workers', '0', input);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/^vdmzip: .*workers.*\n$/);
  });

  it('PBM and PAM files come back byte for byte under their own names, and .pgm refuses alpha', async () => {
    const pbm = join(dir, 'ink.pbm');
    const pam = join(dir, 'sprite.pam');
    await writeFile(pbm, Buffer.concat([Buffer.from('P4\n12 3\n'), Buffer.from([0xf0, 0x30, 0x0f, 0x00, 0xaa, 0x50])]));
    await writeFile(pam, Buffer.concat([Buffer.from('P7\nWIDTH 3\nHEIGHT 2\nDEPTH 2\nMAXVAL 255\nTUPLTYPE GRAYSCALE_ALPHA\nENDHDR\n'), Buffer.from([0, 0, 9, 255, 30, 128, 31, 128, 200, 0, 201, 255])]));
    for (const file of [pbm, pam]) {
      const original = await readFile(file);
      expect((await vdmzip('compress', '-q', '-e', '1', file)).code).toBe(0);
      await rm(file);
      expect((await vdmzip('decompress', '-q', `${file}.vdmz`)).code).toBe(0);
      expect((await readFile(file)).equals(original)).toBe(true);
    }
    const grey = await vdmzip('decompress', '-q', '-o', join(dir, 'sprite.pgm'), `${pam}.vdmz`);
    expect(grey.code).toBe(1);
    expect(grey.stderr).toMatch(/alpha channel, which PGM\/PPM cannot hold; write PAM or PNG instead\n$/);
  });

  it("info matches a format version 2 file's model id prefix against the model", async () => {
    const path = join(dir, 'sample-ours.vdmz');
    await writeFile(path, sampleFile(bundle.id));
    const { code, stdout } = await vdmzip('info', '--model', modelDir, path);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^model matches\s+yes: made with --model /m);
  });

  it('info on a file that is not a .vdmz fails with one line naming the file, exit 1', async () => {
    const path = join(dir, 'garbage.vdmz');
    await writeFile(path, 'this is not a vdmz file');
    const { code, stdout, stderr } = await vdmzip('info', path);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(`vdmzip: ${path}: not a .vdmz file\n`);
  });

  it('info on a missing file says so on one line, exit 1', async () => {
    const path = join(dir, 'missing.vdmz');
    const { code, stderr } = await vdmzip('info', path);
    expect(code).toBe(1);
    expect(stderr).toBe(`vdmzip: ${path}: no such file or directory\n`);
  });

  it('info says whether the file matches the model, and how big it is against the raw samples', async () => {
    const path = join(dir, 'sample.vdmz');
    const { stdout } = await vdmzip('info', '--model', modelDir, path);
    expect(stdout).toMatch(new RegExp(`^model matches\\s+no: --model ${modelDir.replace(/[.\\/]/g, '\\$&')} is ${bundle.id.slice(0, 16)}…; decompress needs 0f0f0f0f0f0f0f0f…$`, 'm'));
    expect(stdout).toMatch(/^raw size\s+3600 bytes \(40·30·3 samples\)$/m);
    expect(stdout).toMatch(/^header\s+\d+ bytes$/m);
  });

  it('usage errors exit 2 with a one-line message', async () => {
    const unknown = await vdmzip('squash');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^vdmzip: unknown command 'squash'\n$/);
    const missing = await vdmzip('info');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^vdmzip: missing required argument 'file'\n$/);
  });
});
