// `npm run bench:speed [-- [-e N] [--threads N] IMAGE...]`: vdmzip's command line against
// `cjxl -d 0 -e 9` and `djxl` on the same images, each tool a fresh process, one at a time,
// each with N threads (default 1: vdmzip `--workers N`, JPEG-XL `--num_threads=N`): wall
// seconds and peak memory of each, and the ratios the speed targets are set in (vdmzip compress
// time over cjxl's, vdmzip decompress time over djxl's). Also the start-up figures: `vdmzip
// --help` and decompressing a 32×32 file, median of 5. Every vdmzip file is decoded and
// compared with its image pixel for pixel. Peak memory needs GNU time (/usr/bin/time). The npm
// script builds first, so that the CLI runs compiled JavaScript (not the sources through tsx).
//
// Default images: the five fixture photos.

import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readImage } from '../image/index.ts';
import { CLASSIC_CODECS, missingTools, runTool } from './codecs.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'cli', 'vdmzip.js');
const GNU_TIME = '/usr/bin/time';
const DEFAULT_IMAGES = ['astronaut.png', 'chelsea.png', 'coffee.png', 'motorcycle_left.png', 'face.ppm'].map((f) => join(ROOT, 'fixtures', f));

interface Run {
  seconds: number;
  /** Peak resident memory in MiB, where GNU time is there to measure it. */
  peakMiB?: number;
}

/** Runs argv to completion (runTool: a failure throws its last line), timing it and, with GNU time, its peak memory. */
async function run(argv: string[], work: string): Promise<Run> {
  const withTime = existsSync(GNU_TIME);
  const rssFile = join(work, 'rss');
  const { seconds } = await runTool(withTime ? [GNU_TIME, '-f', '%M', '-o', rssFile, ...argv] : argv);
  const peakMiB = withTime ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1)) / 1024 : undefined;
  return { seconds, peakMiB };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const fixed = (x: number | undefined, digits: number) => (x === undefined ? '–' : x.toFixed(digits));

function samePixels(a: Uint8Array, b: Uint8Array): boolean {
  const x = readImage(a);
  const y = readImage(b);
  return x.width === y.width && x.height === y.height && x.channels === y.channels && Buffer.from(x.data).equals(Buffer.from(y.data));
}

export async function main(argv: string[]): Promise<number> {
  let effort = '2';
  let threads = 1;
  const images: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '-e') effort = argv[++i] ?? effort;
    else if (argv[i] === '--threads') threads = Number(argv[++i]);
    else images.push(argv[i]);
  }
  if (!(Number.isInteger(threads) && threads >= 1)) throw new Error('--threads takes a positive integer');
  if (images.length === 0) images.push(...DEFAULT_IMAGES);
  const jxl = CLASSIC_CODECS.find((c) => c.id === 'jxl-e9')!;
  const jxlMissing = missingTools(jxl);
  const work = mkdtempSync(join(tmpdir(), 'vdmzip-speed-'));
  const node = process.execPath;
  const rows: string[] = [];
  const totals = { megapixels: 0, vdmzipEncode: 0, vdmzipDecode: 0, cjxl: 0, djxl: 0 };
  try {
    for (const image of images) {
      const pixels = readImage(readFileSync(image));
      const megapixels = (pixels.width * pixels.height) / 1e6;
      const file = join(work, 'image.vdmz');
      const back = join(work, 'back.png');
      const workers = ['--workers', String(threads)];
      const encode = await run([node, CLI, 'compress', '-q', '-f', '-e', effort, ...workers, '-o', file, image], work);
      const decode = await run([node, CLI, 'decompress', '-q', '-f', ...workers, '-o', back, file], work);
      if (!samePixels(readFileSync(image), readFileSync(back))) throw new Error(`${image}: the vdmzip file did not decode to the image`);
      let cjxl: Run | undefined;
      let djxl: Run | undefined;
      if (jxlMissing.length === 0) {
        cjxl = await run(jxl.encode(image, join(work, 'image.jxl'), threads), work);
        djxl = await run(jxl.decode!(join(work, 'image.jxl'), join(work, 'jxl.png'), threads), work);
      }
      totals.megapixels += megapixels;
      totals.vdmzipEncode += encode.seconds;
      totals.vdmzipDecode += decode.seconds;
      totals.cjxl += cjxl?.seconds ?? Number.NaN;
      totals.djxl += djxl?.seconds ?? Number.NaN;
      rows.push(
        `| ${basename(image)} | ${megapixels.toFixed(2)} | ${statSync(file).size} | ${fixed(encode.seconds, 2)} | ${fixed(cjxl?.seconds, 2)} | ${fixed(cjxl && encode.seconds / cjxl.seconds, 2)} | ${fixed(decode.seconds, 2)} | ${fixed(djxl?.seconds, 2)} | ${fixed(djxl && decode.seconds / djxl.seconds, 1)} | ${fixed(encode.peakMiB, 0)} / ${fixed(decode.peakMiB, 0)} | ${fixed(cjxl?.peakMiB, 0)} / ${fixed(djxl?.peakMiB, 0)} |`,
      );
      process.stderr.write(`${basename(image)} done\n`);
    }
    const small = join(work, 'small.vdmz');
    await run([node, CLI, 'compress', '-q', '-f', '-o', small, join(ROOT, 'fixtures', 'crops32', 'astronaut-00.png')], work);
    const medianOf5 = async (argv: string[]) => {
      const seconds: number[] = [];
      for (let k = 0; k < 5; k++) seconds.push((await run(argv, work)).seconds);
      return median(seconds);
    };
    const help = await medianOf5([node, CLI, '--help']);
    const smallDecode = await medianOf5([node, CLI, 'decompress', '-q', '-f', '-o', join(work, 'small.png'), small]);

    console.log(`# vdmzip speed: ${images.length} image${images.length === 1 ? '' : 's'}, effort ${effort}, one process at a time, ${threads === 1 ? 'one thread' : `${threads} threads`} each\n`);
    console.log('| image | MP | vdmzip bytes | vdmzip compress s | cjxl -e 9 s | ratio | vdmzip decompress s | djxl s | ratio | vdmzip peak MiB (enc / dec) | JPEG-XL peak MiB (enc / dec) |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const row of rows) console.log(row);
    const ratio = (a: number, b: number, digits: number) => (Number.isFinite(b) ? (a / b).toFixed(digits) : '–');
    console.log(
      `| **total** | ${totals.megapixels.toFixed(2)} | | ${totals.vdmzipEncode.toFixed(2)} | ${fixed(Number.isFinite(totals.cjxl) ? totals.cjxl : undefined, 2)} | **${ratio(totals.vdmzipEncode, totals.cjxl, 2)}** | ${totals.vdmzipDecode.toFixed(2)} | ${fixed(Number.isFinite(totals.djxl) ? totals.djxl : undefined, 2)} | **${ratio(totals.vdmzipDecode, totals.djxl, 1)}** | | |`,
    );
    console.log(`\nPer megapixel: vdmzip compress ${(totals.vdmzipEncode / totals.megapixels).toFixed(1)} s, decompress ${(totals.vdmzipDecode / totals.megapixels).toFixed(1)} s.`);
    console.log(`Start-up (median of 5): \`vdmzip --help\` ${help.toFixed(2)} s; decompressing a 32×32 file ${smallDecode.toFixed(2)} s.`);
    if (jxlMissing.length > 0) console.log(`\nJPEG-XL not measured: ${jxlMissing.join(', ')} not on PATH (Debian package ${jxl.debianPackage}).`);
    if (!existsSync(GNU_TIME)) console.log('\nPeak memory not measured: GNU time (/usr/bin/time, Debian package time) is not installed.');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await main(process.argv.slice(2));
