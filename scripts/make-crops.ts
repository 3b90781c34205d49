/**
 * Makes fixtures/crops32/: 100 photo crops scaled to 32×32 (the third image set of docs/bench.md),
 * for `vdmzip bench` on CIFAR-sized images.
 *
 *   npx tsx scripts/make-crops.ts            # (re)write fixtures/crops32/
 *   npx tsx scripts/make-crops.ts --check    # regenerate in memory, compare with the files
 *   npx tsx scripts/make-crops.ts --centre256 DIR   # 256×256 centre crops of the four
 *                                                    # scikit-image photos (the second image set of docs/bench.md), not committed
 *
 * Procedure (also in fixtures/README.md): 20 crops from each of the five fixture photos, in
 * the order of SOURCES. For each crop, a mulberry32 stream seeded with SEED draws, in this
 * order, k uniform in {2, …, 8} (side s = 32·k px, 64 to 256), then the left edge x uniform
 * in {0, …, W − s} and the top edge y uniform in {0, …, H − s}. The s×s square is
 * box-downscaled by k: each output sample is the mean of its k×k block of input samples,
 * rounded half up (⌊(sum + k²/2) / k²⌋), per channel. Each crop is written as an 8-bit RGB
 * PNG by vdmzip's own encoder; crops.tsv lists source, x, y, side and the SHA-256 of the
 * raw pixels (robust to zlib versions, unlike the PNG bytes).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { mulberry32 } from '../src/random.ts';
import { readImage, writeImage, type Image } from '../src/image/index.ts';

export const SEED = 20240932;
export const CROPS_PER_SOURCE = 20;
export const OUTPUT_SIDE = 32;
export const FACTORS = [2, 3, 4, 5, 6, 7, 8];
export const SOURCES = ['astronaut.png', 'chelsea.png', 'coffee.png', 'motorcycle_left.png', 'face.ppm'];

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const OUT = join(FIXTURES, 'crops32');
const MANIFEST = 'crops.tsv';

/** A uniform integer in {0, …, n − 1} from src/random.ts's mulberry32 stream. */
function uniformIntegers(seed: number): (n: number) => number {
  const uniform = mulberry32(seed);
  return (n) => Math.floor(uniform() * n);
}

/** Box-downscales the s×s square at (x0, y0) of `image` by the integer factor k. */
export function boxDownscale(image: Image, x0: number, y0: number, side: number, k: number): Image {
  const c = image.channels;
  const out = side / k;
  const data = new Uint8Array(out * out * c);
  const area = k * k;
  for (let oy = 0; oy < out; oy++) {
    for (let ox = 0; ox < out; ox++) {
      for (let ch = 0; ch < c; ch++) {
        let sum = 0;
        for (let dy = 0; dy < k; dy++) {
          const row = (y0 + oy * k + dy) * image.width;
          for (let dx = 0; dx < k; dx++) sum += image.data[(row + x0 + ox * k + dx) * c + ch];
        }
        data[(oy * out + ox) * c + ch] = Math.floor((sum + area / 2) / area);
      }
    }
  }
  return { width: out, height: out, channels: image.channels, data };
}

export interface Crop {
  file: string;
  source: string;
  x: number;
  y: number;
  side: number;
  image: Image;
  sha256: string;
}

export function makeCrops(fixtures = FIXTURES): Crop[] {
  const random = uniformIntegers(SEED);
  const crops: Crop[] = [];
  for (const source of SOURCES) {
    const photo = readImage(readFileSync(join(fixtures, source)));
    if (photo.channels !== 3) throw new Error(`${source}: expected RGB, got ${photo.channels} channels`);
    for (let i = 0; i < CROPS_PER_SOURCE; i++) {
      const k = FACTORS[random(FACTORS.length)];
      const side = OUTPUT_SIDE * k;
      if (side > photo.width || side > photo.height) throw new Error(`${source} is smaller than ${side}×${side}`);
      const x = random(photo.width - side + 1);
      const y = random(photo.height - side + 1);
      const image = boxDownscale(photo, x, y, side, k);
      const stem = source.replace(/\.[a-z]+$/, '');
      crops.push({ file: `${stem}-${String(i).padStart(2, '0')}.png`, source, x, y, side, image, sha256: createHash('sha256').update(image.data).digest('hex') });
    }
  }
  return crops;
}

function manifest(crops: Crop[]): string {
  const lines = ['file\tsource\tx\ty\tside\tpixels_sha256'];
  for (const c of crops) lines.push([c.file, c.source, c.x, c.y, c.side, c.sha256].join('\t'));
  return `${lines.join('\n')}\n`;
}

/** The 256×256 centre crop (left ⌊(W − 256)/2⌋, top ⌊(H − 256)/2⌋) of each scikit-image photo. */
export function centreCrops(fixtures = FIXTURES, side = 256): { file: string; image: Image }[] {
  return SOURCES.filter((s) => s.endsWith('.png')).map((source) => {
    const photo = readImage(readFileSync(join(fixtures, source)));
    const x = Math.floor((photo.width - side) / 2);
    const y = Math.floor((photo.height - side) / 2);
    return { file: source, image: boxDownscale(photo, x, y, side, 1) };
  });
}

function main(): void {
  const centre = process.argv.indexOf('--centre256');
  if (centre !== -1) {
    const dir = process.argv[centre + 1];
    if (!dir) throw new Error('--centre256 needs an output folder');
    mkdirSync(dir, { recursive: true });
    for (const c of centreCrops()) writeFileSync(join(dir, c.file), writeImage(c.image, 'png'));
    console.log(`4 centre crops written to ${dir}`);
    return;
  }
  const crops = makeCrops();
  if (process.argv.includes('--check')) {
    let bad = 0;
    for (const c of crops) {
      let ok = false;
      try {
        const onDisk = readImage(readFileSync(join(OUT, c.file)));
        ok = onDisk.width === OUTPUT_SIDE && onDisk.height === OUTPUT_SIDE && onDisk.channels === 3 && Buffer.from(onDisk.data).equals(c.image.data);
      } catch {
        ok = false;
      }
      if (!ok) {
        console.error(`${c.file}: differs from the regenerated crop`);
        bad++;
      }
    }
    if (readFileSync(join(OUT, MANIFEST), 'utf8') !== manifest(crops)) {
      console.error(`${MANIFEST}: differs`);
      bad++;
    }
    console.log(bad === 0 ? `${crops.length} crops match` : `${bad} mismatches`);
    process.exitCode = bad === 0 ? 0 : 1;
    return;
  }
  mkdirSync(OUT, { recursive: true });
  for (const name of readdirSync(OUT)) if (name.endsWith('.png')) rmSync(join(OUT, name));
  for (const c of crops) writeFileSync(join(OUT, c.file), writeImage(c.image, 'png'));
  writeFileSync(join(OUT, MANIFEST), manifest(crops));
  const sides = crops.map((c) => c.side);
  console.log(`${crops.length} crops written to ${OUT} (sides ${Math.min(...sides)}–${Math.max(...sides)} px)`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
