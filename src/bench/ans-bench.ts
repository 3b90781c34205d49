/**
 * rANS throughput and coding-efficiency bench (`npm run bench:ans`).
 *
 * For each σ/δ it pushes N discretised Gaussians with one vectorised call,
 * pops them back with another, checks the round trip, and prints a Markdown
 * table with symbols/s each way (best of several runs, after a warm-up) and
 * the bits spent against two ideals:
 *   - the codec's own integer frequencies (the rANS coder's overhead), and
 *   - the exact discretised Gaussian, integrated here in float64 (the cost of
 *     quantising the distribution: Φ table, 2^24 precision, ≥ 1 frequencies).
 */
import {
  boundedGaussianBits,
  discretisedGaussianBits,
  Message,
  popBoundedGaussians,
  popGaussians,
  pushBoundedGaussians,
  pushGaussians,
} from '../ans/index.ts';
import { mulberry32 } from '../random.ts';

const SYMBOLS = 1 << 20;
const RUNS = 5;
const STD_IN_BINS = [0.5, 2, 8, 64, 1024];

function standardNormal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/**
 * Exact probability of the bin [a, b] (in standard deviations) under N(0, 1),
 * by composite Simpson integration of the density: accurate to ~1e-10
 * relative for the bin widths benched, and independent of the codec's table.
 */
function gaussianMass(a: number, b: number): number {
  const steps = 64 * Math.ceil(b - a);
  const h = (b - a) / steps;
  const density = (t: number): number => Math.exp(-0.5 * t * t);
  let sum = density(a) + density(b);
  for (let k = 1; k < steps; k++) sum += (k % 2 === 1 ? 4 : 2) * density(a + k * h);
  return ((sum * h) / 3) * (1 / Math.sqrt(2 * Math.PI));
}

function bestRate(run: () => void): number {
  let best = Infinity;
  for (let k = 0; k < RUNS; k++) {
    const start = performance.now();
    run();
    best = Math.min(best, performance.now() - start);
  }
  return SYMBOLS / (best / 1000);
}

type Row = { label: string; push: number; pop: number; bitsPerSymbol: number; vsCodec: number; vsExact: number };

function benchUnbounded(stdInBins: number | 'mixed'): Row {
  const random = mulberry32(1);
  const delta = 1;
  const mu = new Float64Array(SYMBOLS);
  const sigma = new Float64Array(SYMBOLS);
  const bins = new Int32Array(SYMBOLS);
  for (let i = 0; i < SYMBOLS; i++) {
    mu[i] = (random() - 0.5) * 2000;
    sigma[i] = stdInBins === 'mixed' ? 0.5 + random() * 63.5 : stdInBins;
    bins[i] = Math.round(mu[i] + sigma[i] * standardNormal(random));
  }
  const sigmaArgument = stdInBins === 'mixed' ? sigma : stdInBins;
  const out = new Int32Array(SYMBOLS);
  let coded = new Message();
  const push = bestRate(() => {
    coded = new Message();
    pushGaussians(coded, bins, mu, sigmaArgument, delta);
  });
  const spent = coded.bitLength() - new Message().bitLength();
  const pop = bestRate(() => popGaussians(coded.clone(), mu, sigmaArgument, delta, out));
  popGaussians(coded, mu, sigmaArgument, delta, out);
  for (let i = 0; i < SYMBOLS; i++) if (out[i] !== bins[i]) throw new Error(`σ/δ ${stdInBins}: symbol ${i} decoded wrongly`);

  let codecIdeal = 0;
  let exactIdeal = 0;
  for (let i = 0; i < SYMBOLS; i++) {
    codecIdeal += discretisedGaussianBits(bins[i], mu[i], sigma[i], delta);
    const offset = bins[i] - mu[i];
    exactIdeal -= Math.log2(gaussianMass((offset - 0.5) / sigma[i], (offset + 0.5) / sigma[i]));
  }
  return {
    label: stdInBins === 'mixed' ? 'U(0.5, 64) per symbol' : String(stdInBins),
    push,
    pop,
    bitsPerSymbol: spent / SYMBOLS,
    vsCodec: (spent - codecIdeal) / codecIdeal,
    vsExact: (spent - exactIdeal) / exactIdeal,
  };
}

function benchPixels(): Row {
  const random = mulberry32(2);
  const stdInBins = 1.5;
  const mu = new Float64Array(SYMBOLS);
  const bins = new Int32Array(SYMBOLS);
  for (let i = 0; i < SYMBOLS; i++) {
    mu[i] = random() * 255;
    bins[i] = Math.min(255, Math.max(0, Math.round(mu[i] + stdInBins * standardNormal(random))));
  }
  const out = new Int32Array(SYMBOLS);
  let coded = new Message();
  const push = bestRate(() => {
    coded = new Message();
    pushBoundedGaussians(coded, 0, 255, bins, mu, stdInBins, 1);
  });
  const spent = coded.bitLength() - new Message().bitLength();
  const pop = bestRate(() => popBoundedGaussians(coded.clone(), 0, 255, mu, stdInBins, 1, out));
  popBoundedGaussians(coded, 0, 255, mu, stdInBins, 1, out);
  for (let i = 0; i < SYMBOLS; i++) if (out[i] !== bins[i]) throw new Error(`pixels: symbol ${i} decoded wrongly`);

  let codecIdeal = 0;
  let exactIdeal = 0;
  // The outer bins absorb the tails; 12σ beyond the edge the mass is below 1e-32.
  const tail = 12;
  for (let i = 0; i < SYMBOLS; i++) {
    codecIdeal += boundedGaussianBits(bins[i], 0, 255, mu[i], stdInBins, 1);
    const lower = (bins[i] - 0.5 - mu[i]) / stdInBins;
    const upper = (bins[i] + 0.5 - mu[i]) / stdInBins;
    exactIdeal -= Math.log2(
      gaussianMass(bins[i] === 0 ? Math.min(lower, upper - tail) : lower, bins[i] === 255 ? Math.max(upper, lower + tail) : upper),
    );
  }
  return {
    label: `bounded 0…255, ${stdInBins}`,
    push,
    pop,
    bitsPerSymbol: spent / SYMBOLS,
    vsCodec: (spent - codecIdeal) / codecIdeal,
    vsExact: (spent - exactIdeal) / exactIdeal,
  };
}

function formatRate(symbolsPerSecond: number): string {
  return (symbolsPerSecond / 1e6).toFixed(2);
}

function formatRelative(value: number): string {
  return `${(value * 100).toFixed(5)} %`;
}

function main(): void {
  // Warm up the JIT on every code path before timing anything.
  benchUnbounded(2);
  const rows = [...STD_IN_BINS.map((s) => benchUnbounded(s)), benchUnbounded('mixed'), benchPixels()];
  console.log(`rANS discretised Gaussians, ${SYMBOLS} symbols per call, best of ${RUNS}, one core, Node ${process.version}\n`);
  console.log('| σ/δ | push (M symbols/s) | pop (M symbols/s) | bits/symbol | vs codec frequencies | vs exact Gaussian |');
  console.log('|---|---|---|---|---|---|');
  for (const row of rows) {
    console.log(
      `| ${row.label} | ${formatRate(row.push)} | ${formatRate(row.pop)} | ${row.bitsPerSymbol.toFixed(4)} | ` +
        `${formatRelative(row.vsCodec)} | ${formatRelative(row.vsExact)} |`,
    );
  }
}

main();
