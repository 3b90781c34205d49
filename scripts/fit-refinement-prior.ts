// Fits the predictive coder's regression priors (`RefinementPrior` in src/predictor/refinement.ts)
// and writes src/predictor/refinement-prior.ts:
//
//   npx tsx scripts/fit-refinement-prior.ts [DIR]      (default data/photos/train, docs/data.md)
//
// Each photo is walked whole by the predictor without its prior (regressions from zero) and,
// as when the tables were fitted, without exact contexts and with the spread regression
// warming up over 256 samples; a regression's prior is the average of the weights it ends with, over the
// photos where it learned from more than MIN_SAMPLES samples. Training photos only: neither
// the benchmarks nor the validation photos may shape it.
//
// The tables are part of coder parameters version 9: its files decode only with the same
// numbers. Rerunning this is for a new coder version, never for an existing one.

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { learnedWeights, type LearnedWeights, PREDICTOR, type Predictor } from '../src/predictor/predictive.ts';
import { NEIGHBOURHOOD_FEATURES, SPREAD_FEATURES } from '../src/predictor/refinement.ts';
import { readImage } from '../src/image/index.ts';

const MIN_SAMPLES = 500;
/** Decimals kept: a prior is a starting point, 1e-4 is finer than it needs. */
const DECIMALS = 4;
const CHANNELS = 3;

/** Running sums of one kind of regression's final weights, and the photos that count. */
class Average {
  private readonly sums: Float64Array;
  private readonly photos: Float64Array;
  constructor(
    readonly regressions: number,
    readonly size: number,
  ) {
    this.sums = new Float64Array(regressions * size);
    this.photos = new Float64Array(regressions);
  }
  add(learned: LearnedWeights[]): void {
    learned.forEach(({ weights, count }, k) => {
      if (count <= MIN_SAMPLES) return;
      for (let j = 0; j < this.size; j++) this.sums[k * this.size + j] += weights[j];
      this.photos[k]++;
    });
  }
  /** The table's source lines, one per regression with a comment saying what it is. */
  rows(name: (k: number) => string): string {
    const lines: string[] = [];
    for (let k = 0; k < this.regressions; k++) {
      const n = this.photos[k];
      const weights = Array.from(this.sums.subarray(k * this.size, (k + 1) * this.size), (s) => Number((n ? s / n : 0).toFixed(DECIMALS)) || 0);
      lines.push(`  // ${name(k)}: ${n} photos\n  ${weights.join(', ')},`);
    }
    return lines.join('\n');
  }
}

const root = join(fileURLToPath(import.meta.url), '..', '..');
const dir = process.argv[2] ?? join(root, 'data', 'photos', 'train');
const { refinement } = PREDICTOR;
const predictor: Predictor = { ...PREDICTOR, refinement: { ...refinement, spreadWarmup: 256, prior: undefined, histograms: { ...refinement.histograms, exact: undefined } } };
const classes = refinement.activityClasses;
const means = new Average(CHANNELS * classes, NEIGHBOURHOOD_FEATURES);
const spreads = new Average(CHANNELS, SPREAD_FEATURES);
const files = readdirSync(dir).filter((f) => /\.(png|ppm)$/.test(f)).sort();
for (const file of files) {
  const image = readImage(new Uint8Array(readFileSync(join(dir, file))));
  if (image.channels !== CHANNELS) throw new Error(`${file}: ${image.channels} channels, the priors are fitted on RGB photos`);
  const learned = learnedWeights(image.data, { width: image.width, channels: CHANNELS, coded: CHANNELS, top: 0, bottom: image.height, predictor });
  means.add(learned.means);
  spreads.add(learned.spreads);
  process.stderr.write(`${file} `);
}

const source = `// Written by scripts/fit-refinement-prior.ts from ${files.length} training photos; part of coder
// parameters version 9 (RefinementPrior in refinement.ts): never edit, never rewrite for an
// existing version.
export const REFINEMENT_PRIOR_CHANNELS = ${CHANNELS};
/** Per channel and activity class, the mean regression's ${NEIGHBOURHOOD_FEATURES} weights (the neighbourhood features of §7.7). */
export const MEAN_PRIOR_WEIGHTS = new Float64Array([
${means.rows((k) => `channel ${Math.floor(k / classes)}, activity class ${k % classes}`)}
]);
/** Per channel, the spread regression's ${SPREAD_FEATURES} weights (a constant, then the spread's nine measures, §7.8). */
export const SPREAD_PRIOR_WEIGHTS = new Float64Array([
${spreads.rows((k) => `channel ${k}`)}
]);
`;
writeFileSync(join(root, 'src', 'coder', 'refinement-prior.ts'), source);
process.stderr.write(`\nwrote src/predictor/refinement-prior.ts (${files.length} photos)\n`);
