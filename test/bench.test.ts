import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CLASSIC_CODECS, imageSets, renderChart, renderMarkdown, runBench, samePixels, type BenchResult } from '../src/bench/index.ts';
import { missingTools, type ClassicCodec } from '../src/bench/codecs.ts';
import { measureClassic } from '../src/bench/run.ts';
import { percentOf } from '../src/bench/render.ts';
import { compress } from '../src/codec-api.ts';
import { encodePng, readPicture, stripPng, type Image } from '../src/image/index.ts';
import { runCli } from '../cli/main.ts';
import { saveTinyModel } from './helpers/tiny-model.ts';

function testImage(width: number, height: number, seed: number): Image {
  const data = new Uint8Array(width * height * 3);
  let s = seed;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        s = (s * 1103515245 + 12345) >>> 0;
        data[(y * width + x) * 3 + c] = (x * 9 + y * 5 + c * 60 + ((s >>> 16) % 12)) & 255;
      }
    }
  }
  return { width, height, channels: 3, data };
}

let dir: string;
let modelDir: string;
let imageDir: string;
let images: Image[];
let result: BenchResult;
const installed = CLASSIC_CODECS.filter((c) => missingTools(c).length === 0).map((c) => c.id);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vdmzip-bench-test-'));
  modelDir = join(dir, 'model');
  saveTinyModel(modelDir);
  imageDir = join(dir, 'set');
  images = [testImage(16, 16, 1), testImage(24, 16, 2)];
  mkdirSync(imageDir);
  images.forEach((image, k) => writeFileSync(join(imageDir, `img${k}.png`), encodePng(image)));
  result = await runBench([imageDir], { model: modelDir });
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runBench', () => {
  it('round-trips vdmzip and counts the same bytes as compress() of the picture without metadata', async () => {
    expect(result.images.map((r) => r.file)).toEqual([join(imageDir, 'img0.png'), join(imageDir, 'img1.png')]);
    for (const [k, r] of result.images.entries()) {
      const m = r.codecs.vdmzip;
      expect(m?.ok, m && !m.ok ? m.error : '').toBe(true);
      if (!m?.ok) continue;
      const png = readPicture(readFileSync(r.file)).png!;
      const bytes = await compress({ image: images[k], metadata: [], png: stripPng(png) }, { model: modelDir });
      expect(m.bytes).toBe(bytes.length);
      expect(m.bpd).toBe((8 * bytes.length) / (images[k].width * images[k].height * 3));
      expect(m.encodeSeconds).toBeGreaterThan(0);
      expect(m.decodeSeconds).toBeGreaterThan(0);
      expect(r.elbo?.bpd).toBeGreaterThan(0);
      expect(r.elbo!.bpd).toBeCloseTo(r.elbo!.prior + r.elbo!.diffusion + r.elbo!.reconstruction, 9);
    }
    expect(result.model?.steps).toBe(4);
    expect(result.totals.elbo?.bpd).toBeGreaterThan(0);
    expect(result.totals.overheadBpd).toBe(result.totals.codecs.vdmzip!.bpd! - result.totals.elbo!.bpd);
  });

  it('gives bpd = 8 · bytes / dims for every codec that ran, per image and in total', () => {
    const dims = images.map((im) => im.width * im.height * 3);
    expect(result.images.map((r) => r.dims)).toEqual(dims);
    expect(result.totals.dims).toBe(dims[0] + dims[1]);
    for (const id of ['vdmzip', ...installed] as const) {
      for (const r of result.images) {
        const m = r.codecs[id];
        expect(m?.ok, `${id} on ${r.file}: ${m && !m.ok ? m.error : ''}`).toBe(true);
        if (m?.ok) expect(m.bpd).toBe((8 * m.bytes) / r.dims);
      }
      const t = result.totals.codecs[id]!;
      const bytes = result.images.reduce((a, r) => a + (r.codecs[id]?.ok ? (r.codecs[id] as { bytes: number }).bytes : 0), 0);
      expect(t.bytes).toBe(bytes);
      expect(t.bpd).toBe((8 * bytes) / result.totals.dims);
      expect(t.failures).toBe(0);
    }
    expect(result.sets).toHaveLength(1);
    expect(result.sets[0].totals.codecs).toEqual(result.totals.codecs);
  });

  it('reads its images with bounds: an endless input fails at once, not after filling memory', async () => {
    await expect(runBench(['/dev/zero'], { codecs: ['png'] })).rejects.toMatchObject({ code: 'UNSUPPORTED_FORMAT', file: '/dev/zero' });
    // A PNG header for a 1×1 image, then far more data than such an image can hold.
    const tiny = encodePng({ width: 1, height: 1, channels: 3, data: Uint8Array.of(1, 2, 3) });
    const padded = join(dir, 'padded.png');
    writeFileSync(padded, Buffer.concat([tiny, Buffer.alloc(65 * 2 ** 20)]));
    await expect(runBench([padded], { codecs: ['png'] })).rejects.toMatchObject({ code: 'TOO_LARGE', file: padded });
  });

  it('lists codecs whose tools are missing as not run', () => {
    for (const c of CLASSIC_CODECS) {
      const info = result.codecs.find((i) => i.id === c.id)!;
      expect(info.available).toBe(installed.includes(c.id));
      if (!info.available) expect(info.reason).toContain(c.debianPackage);
    }
  });

  it('skips every classic codec when no tool is on PATH', async () => {
    const path = process.env.PATH;
    process.env.PATH = join(dir, 'empty');
    try {
      const r = await runBench([join(imageDir, 'img0.png')], { codecs: ['png', 'webp', 'jxl-e9', 'avif'] });
      expect(r.codecs.every((c) => !c.available)).toBe(true);
      expect(r.images[0].codecs).toEqual({});
      expect(renderMarkdown(r)).toContain('not run');
    } finally {
      process.env.PATH = path;
    }
  });

  it('writes a share of pixels to one decimal, never as 0% or 100% when it is neither', () => {
    expect([percentOf(0, 10), percentOf(1, 3), percentOf(1, 10_000), percentOf(9_999, 10_000), percentOf(10, 10)]).toEqual(['0.0%', '33.3%', '<0.1%', '>99.9%', '100.0%']);
  });

  it('renders every codec and image in the Markdown and the chart', () => {
    const md = renderMarkdown(result);
    const svg = renderChart(result);
    for (const c of result.codecs.filter((x) => x.available)) {
      expect(md).toContain(c.label);
      expect(svg).toContain(c.label);
    }
    for (const name of ['img0', 'img1']) {
      expect(md).toContain(`${name}.png`);
      expect(svg).toContain(`>${name}<`);
    }
    expect(md).toMatch(/\| \*\*total\*\* \(2\)/);
    expect(md).toContain('| overhead |');
    // Which coder made each file, from its header: per image and counted in the total.
    for (const r of result.images) expect(r.predictorRows === 0 || r.predictorRows === r.height || (r.predictorRows! > 0 && r.predictorRows! < r.height)).toBe(true);
    expect(md).toContain('| coded by |');
    // The total also says what share of the pixels lies in rows the chain codes.
    const pixels = result.images.reduce((n, r) => n + r.width * r.height, 0);
    const chainPixels = result.images.reduce((n, r) => n + r.width * (r.height - r.predictorRows!), 0);
    const share = `chain ${percentOf(chainPixels, pixels)} of pixels`;
    expect(md).toMatch(new RegExp(`\\| \\*\\*total\\*\\* \\(2\\) \\|.*\\| (2 (chain|predictor|split)|1 \\w+, 1 \\w+); ${share} \\|`));
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });
});

describe('round-trip check', () => {
  it('reports a codec whose output decodes to other pixels as a failure', async () => {
    const work = mkdtempSync(join(dir, 'fake-'));
    const image = images[0];
    const input = join(work, 'in.png');
    writeFileSync(input, encodePng(image));
    const other = join(work, 'other.png');
    const changed = Uint8Array.from(image.data);
    changed[5] ^= 1;
    writeFileSync(other, encodePng({ ...image, data: changed }));
    const fake: ClassicCodec = {
      id: 'png',
      label: 'fake',
      debianPackage: 'coreutils',
      tools: ['cp'],
      extension: 'bin',
      encode: (i, o) => ['cp', i, o],
      version: ['cp', '--version'],
    };
    const honest = await measureClassic(fake, image, input, work, 1);
    expect(honest.ok).toBe(true);
    const lying = await measureClassic({ ...fake, decode: (_i, o) => ['cp', other, o] }, image, input, work, 1);
    expect(lying).toEqual({ ok: false, error: expect.stringContaining('differs') });
    const crashing = await measureClassic({ ...fake, encode: () => ['false'] }, image, input, work, 1);
    expect(crashing.ok).toBe(false);
  });

  it('compares grey and alpha images with their RGB(A) decodings', () => {
    const grey: Image = { width: 2, height: 1, channels: 1, data: Uint8Array.of(7, 200) };
    expect(samePixels(grey, { width: 2, height: 1, channels: 3, data: Uint8Array.of(7, 7, 7, 200, 200, 200) })).toBe(true);
    expect(samePixels(grey, { width: 2, height: 1, channels: 3, data: Uint8Array.of(7, 7, 8, 200, 200, 200) })).toBe(false);
    expect(samePixels(grey, { width: 2, height: 1, channels: 4, data: Uint8Array.of(7, 7, 7, 254, 200, 200, 200, 255) })).toBe(false);
    expect(samePixels(grey, { width: 1, height: 2, channels: 1, data: Uint8Array.of(7, 200) })).toBe(false);
  });

  it('groups folders and loose files into image sets', () => {
    const sets = imageSets([imageDir, join(imageDir, 'img1.png')]);
    expect(sets.map((s) => s.name)).toEqual(['set', 'set/img1.png']);
    expect(sets[0].files).toHaveLength(2);
  });
});

describe('vdmzip bench (CLI)', () => {
  it('writes the JSON, Markdown and SVG it is asked for, without a model under --no-vdmzip', async () => {
    const out = mkdtempSync(join(dir, 'cli-'));
    const json = join(out, 'b.json');
    const report = join(out, 'b.md');
    const chart = join(out, 'b.svg');
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    let code: number;
    try {
      code = await runCli(['node', 'vdmzip', 'bench', '--no-vdmzip', '-q', '--codecs', 'vdmzip,png', '--json', json, '--report', report, '--chart', chart, imageDir]);
    } finally {
      write.mockRestore();
    }
    expect(code).toBe(0);
    const parsed = JSON.parse(readFileSync(json, 'utf8')) as BenchResult;
    expect(parsed.codecs.map((c) => c.id)).toEqual(['png']);
    expect(parsed.model).toBeUndefined();
    expect(parsed.images).toHaveLength(2);
    expect(readFileSync(report, 'utf8')).toContain('optipng -o7');
    expect(readFileSync(chart, 'utf8')).toContain('</svg>');
    expect(existsSync(`${json}.tmp`)).toBe(false);
  });

  it('refuses unknown codecs as a usage error', async () => {
    const error = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await runCli(['node', 'vdmzip', 'bench', '--codecs', 'gif', imageDir])).toBe(2);
    } finally {
      error.mockRestore();
    }
  });
});
