// `npx tsx scripts/predictor-tradeoff.ts [IMAGE...]`: what cheaper predictors would cost. For
// the shipped predictor and variants of it that do less per sample, the bytes of the samples'
// intervals (the payload, to a few bytes) and the time of the walk that coding and decoding
// share (bandIntervals), over the images in one process, alternating, median of 3. The bytes
// are exact; the times are as steady as the machine. Default images: the five fixture photos.
// docs/experiments.md ("What cheaper predictors would cost") has a run.
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readImage } from '../src/image/index.ts';
import { bandIntervals, PREDICTOR, type Predictor } from '../src/predictor/predictive.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEFAULT_IMAGES = ['astronaut.png', 'chelsea.png', 'coffee.png', 'motorcycle_left.png', 'face.ppm'].map((f) => join(ROOT, 'fixtures', f));

const r = PREDICTOR.refinement;
const solvingEvery = (settledEvery: number): Predictor => ({ ...PREDICTOR, refinement: { ...r, solves: { ...r.solves, settledEvery } } });
const noExact: Predictor = { ...PREDICTOR, refinement: { ...r, histograms: { ...r.histograms, exact: undefined } } };
const VARIANTS: [string, Predictor][] = [
  ['shipped', PREDICTOR],
  ['no exact contexts (§7.10)', noExact],
  ['solves every 64 once settled', solvingEvery(64)],
  ['solves every 256 once settled', solvingEvery(256)],
  ['solves every 1024 once settled', solvingEvery(1024)],
  ['no exact contexts, solves every 64', { ...noExact, refinement: { ...noExact.refinement, solves: { ...r.solves, settledEvery: 64 } } }],
];

const paths = process.argv.slice(2);
const images = (paths.length > 0 ? paths : DEFAULT_IMAGES).map((path) => readImage(new Uint8Array(readFileSync(path))));
const bytes = VARIANTS.map(() => 0);
const seconds = VARIANTS.map((): number[] => []);
for (let round = 0; round < 3; round++) {
  for (const [v, [, predictor]] of VARIANTS.entries()) {
    let bits = 0;
    const start = performance.now();
    for (const image of images) {
      const band = { width: image.width, channels: image.channels, coded: image.channels, top: 0, bottom: image.height, predictor };
      const { frequencies } = await bandIntervals(image.data, band);
      for (const f of frequencies) bits += 24 - Math.log2(f);
    }
    seconds[v].push((performance.now() - start) / 1000);
    bytes[v] = bits / 8;
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`${images.length} images: ${(paths.length > 0 ? paths : DEFAULT_IMAGES).map((p) => basename(p)).join(', ')}\n`);
console.log('| predictor | payload bytes | vs shipped | walk s | vs shipped |');
console.log('|---|---:|---:|---:|---:|');
for (const [v, [name]] of VARIANTS.entries()) {
  console.log(`| ${name} | ${Math.round(bytes[v])} | ${((bytes[v] / bytes[0] - 1) * 100).toFixed(2)}% | ${median(seconds[v]).toFixed(2)} | ${((median(seconds[v]) / median(seconds[0])) * 100).toFixed(0)}% |`);
}
