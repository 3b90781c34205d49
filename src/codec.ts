// Image ⇄ .vdmz bytes with a model bundle and an integer engine.
//
// The payload is one rANS message. Bottom to top, as the encoder pushes:
//   seed words (pseudo-random, fund what the predictor rows do not of the first chunk's pops;
//     checked when decoding)
//   predictor rows: the bottom rows of the image under the predictor (predictive.ts), decoded
//     last, given the rows above them
//   chunk 1 … chunk K of the rows above (each: the colour plane's bits-back chain, then the
//     alpha plane's)
//   opening grids (uniform over OPENING_GRIDS.length)
//   alpha mode (uniform over 2) [+ its constant value (uniform over 256)]
// Later chunks pop what earlier chunks pushed, so the initial bits are paid once per file,
// and mostly with predictor rows, which carry pixels, instead of seed words.
// A file may have no chunks at all (every row by the predictor) where that is smaller.
//
// Specified in docs/format.md §6 (payload order), §8.7, §8.9, §10, §11.

import { Message, popUniform, pushUniform } from './ans/index.ts';
import { VdmzipError, type VdmzipErrorCode } from './errors.ts';
import type { Image } from './image/index.ts';
import { checkImage, checkImage16, checkMetadata, checkPngLayout, cropImage, is16, maxValueOf, SAMPLE_MAX, type Picture } from './image/image.ts';
import { isExtended, lowBitsOf, parseExtended, readExtendedHeader, samplesSha256Prefix, writeExtended, type ExtendedHeader, type SampleSplit } from './format/extended.ts';
import { decodePng } from './image/png.ts';
import { chooseSplit, joinSamples, popLowBits, pushLowBits, splitSamples } from './predictor/low-bits.ts';
import type { ModelBundle } from './model/bundle.ts';
import { Denoiser, type IntegerEngine } from './model/denoiser.ts';
import { decodeChunk, encodeChunk } from './chain/chain.ts';
import {
  CODER_PARAMS_VERSION,
  hasFirstChannelContexts,
  hasPixelMatches,
  type CoderParamsVersion,
  type ContainerHeader,
  isCompact,
  messageBytes,
  parseContainer,
  predictorParamsVersion,
  pixelCheckHead,
  pixelsMatch,
  pixelSha256Prefix,
  sameModel,
  writeContainer,
  writeBandedFile,
  isCoderFile,
  type Band,
} from './format/container.ts';
import { elboTotal, imagesElbo, type StepSampling } from './chain/elbo.ts';
import { fewestMatchBits } from './predictor/matches.ts';
import { bandIntervalsInWorker } from './predictor/parallel-walk.ts';
import { defaultWorkers, mapLimited, workerTask, type WorkerResult } from './workers.ts';
import { bandSamples, popRows, PREDICTOR, PREDICTOR_FIRST_CHANNEL_CONTEXTS, PREDICTOR_VERSION_9, type Predictor, pushRows, rowBits, type BandIntervals, type RowBand } from './predictor/predictive.ts';
import { chainSchedule, type ChainSchedule } from './chain/schedule.ts';
import { chunkLayout, codedPlanes, constantChannel, gatherPixels, MAX_CHUNK_PATCHES, MODEL_CHANNELS, planes, scatterPixels, tiling, type Plane, type Tiling } from './chain/tiling.ts';

/**
 * A file's first chunk (one patch, funded by seed words, which are pure overhead) has its own
 * settings: its own grids (OPENING_GRIDS, chosen per file), and its pixels coded under
 * p(x | z_0) alone, because p(x | z_0, z_1) needs all of z_1 popped before the first pixel is
 * pushed. Measured on the shipped model: the seed of one 32×32 patch 0.32 bpd against 1.0 with
 * z_1 popped first. OPENING_GRID_FACTOR is the default κ of an image of one patch, which is all
 * opening chunk.
 */
export const OPENING_GRID_FACTOR = 3;

/**
 * The opening chunk's grids are one of these, chosen per file by the encoder (the cheapest
 * opening chunk, seed included) and pushed as a symbol: κ = `first` for z_0 and z_1, the
 * latents popped before the pushes have repaid much, and κ = `rest` for z_2 … z_T. Finer grids
 * after the first two latents lose less to discretisation but deepen the hole the chunk digs
 * where its pushes are cheap (smooth pictures), so no single choice wins. The hole is mostly
 * funded by predictor rows, which carry pixels, so fine grids pay: on 40 single 32×32 files of
 * `fixtures/crops32` these three gave 4.974 file bpd, and 3.676 on the validation crops (five
 * coarser choices: 5.076 and 3.694; finer still, 1.25 / 1.25, 2 / 1.25, 1 / 1: 4.976).
 */
export const OPENING_GRIDS: readonly { first: number; rest: number }[] = [
  { first: 3.5, rest: 2 },
  { first: 2, rest: 1.5 },
  { first: 1.5, rest: 1.25 },
];
const OPENING_COARSE_LATENTS = 2;

/**
 * Default κ (grid width as a fraction of the smaller std at each step, docs/format.md §8.1) by the
 * number of patches coded. Chunks after the opening one are funded by earlier ones and gain
 * from finer grids. Measured on the shipped model (file over
 * −ELBO, κ = 1.25 / 1.5 / 2): 256×256 crops of coffee and astronaut +0.6 / +1.0 / – and +0.2 /
 * +0.5 / –; 128×128 coffee +0.6 / +1.1 / +3.1%; 64×64 crops (4 patches) about +7.6 / +8.0 /
 * +8.9% (there the seed and the opening patch dominate). One patch is all opening chunk.
 */
export function defaultGridFactor(patches: number): number {
  return patches <= 1 ? OPENING_GRID_FACTOR : 1.25;
}
/** κ range: bin·δ stays far from overflow (|bin| < 2^31, δ ≤ 2^10·std) and δ stays meaningful. */
export const MIN_GRID_FACTOR = 2 ** -20;
export const MAX_GRID_FACTOR = 2 ** 10;
const SEED = 0x5eed_b175;
const WORD = 1 << 16;
/** √(2πe): the entropy of N(μ, σ²) on a grid δ is log2(√(2πe)·σ/δ) bits. */
const GAUSSIAN_ENTROPY_FACTOR = 4.1327;

/** Work done and to do: the chain's network steps, or samples where the predictor codes every row. */
export interface CodingProgress {
  stepsDone: number;
  stepsTotal: number;
}

/**
 * How hard the encoder tries (`-e`), like cjxl's effort. Every level writes a valid file that
 * every decoder reads; higher levels cost more time for smaller files on pictures the
 * network models better than the predictor does.
 *   1: the predictor codes every row; the network is not run.
 *   2: the network's −ELBO on a few sample crops decides whether the chain is worth running;
 *      where it is, the chain and the predictor both code the image and the smaller file is kept.
 *      An image that fills under MIN_PATCH_FILL of its patches gets the predictor alone.
 *   3: the chain and the predictor both code the image, whatever the estimate says.
 * What each costs and gains is measured in the README.
 */
export const EFFORTS = [1, 2, 3] as const;
export type Effort = (typeof EFFORTS)[number];
export const DEFAULT_EFFORT: Effort = 2;

export function checkEffort(effort: number): Effort {
  if (!(EFFORTS as readonly number[]).includes(effort)) throw new VdmzipError('INVALID_ARGUMENT', `effort ${String(effort)} is not one of ${EFFORTS.join(', ')}`);
  return effort as Effort;
}

export interface CoderOptions {
  /** How hard the encoder tries (default DEFAULT_EFFORT); `predictorRows`, where given, overrides it. */
  effort?: Effort;
  /** κ (default: `defaultGridFactor` of the image's patch count), rounded to float32 as the header stores it. */
  gridFactor?: number;
  /**
   * Bottom rows coded by the predictive coder (0 … height: 0 is the chain alone, height the
   * predictor alone). Default: the encoder's choice, the smallest file it measures.
   */
  predictorRows?: number;
  /**
   * Bands of rows the predictor's file is cut into, each coded apart so that as many threads
   * code and decode it (default: `defaultBandCount`, 1 below 4 megapixels).
   */
  bands?: number;
  /** Threads that code (and decode) the bands side by side (default: every core, `defaultWorkers`). */
  workers?: number;
  onProgress?: (p: CodingProgress) => void;
}

export function checkWorkers(workers: number): number {
  if (!Number.isInteger(workers) || workers < 1) throw new VdmzipError('INVALID_ARGUMENT', `workers must be a positive integer, got ${String(workers)}`);
  return workers;
}

/**
 * What a file that needs no network is coded with: the predictor never calls it, so a call
 * means a bug, not a missing device.
 */
export const NO_NETWORK: IntegerEngine = {
  name: 'none',
  batch: 1,
  run: () => Promise.reject(new Error('the predictor runs no network')),
  dispose: () => Promise.resolve(),
};

/**
 * Pseudo-random seed words in push order. They are generated from the top of the stack
 * down, so the words the first pops read are the same whatever the count.
 */
function seedWords(count: number): number[] {
  let state = SEED;
  const fromTop = Array.from({ length: count }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state >>> 16;
  });
  return fromTop.reverse();
}

/**
 * Bits per coded dimension that a chunk's first pop takes: the entropy of q(z_0 | x) on its
 * grid (q(z_1 | x) where the chain starts there), plus a margin. A chunk runs about
 * two layers below its starting point (the next latent is popped before the previous one is
 * pushed back), so chunks are sized to twice this.
 */
function bitsNeededPerDim(s: ChainSchedule): number {
  const first = s.pixelsSeeStepOne ? 1 : 0;
  return Math.log2((GAUSSIAN_ENTROPY_FACTOR * s.sigma[first]) / s.delta[first]) + 0.5;
}

interface Coding {
  denoiser: Denoiser;
  schedule: ChainSchedule;
  /** The opening chunk's possible schedules (see OPENING_GRIDS). */
  openings: ChainSchedule[];
  /** The schedule of the chunk that starts at patch `first`, given the file's opening schedule. */
  scheduleAt: (first: number, opening: number) => ChainSchedule;
  tiles: Tiling;
  /** The planes coded per chunk, in encoding order: colour, then alpha if it is not constant. */
  planes: Plane[];
  /** Coded dimensions per pixel over those planes. */
  dimsPerPixel: number;
  progress: (steps: number) => void;
  /** Adds the steps of a discarded attempt to the total, so stepsDone never passes it. */
  discard: (steps: number) => void;
}

/** Refuses a model the coder cannot drive (before any network work, the encoder's estimate included). */
function checkCodableModel(bundle: ModelBundle): void {
  if (bundle.meta.config.channels !== MODEL_CHANNELS) throw new VdmzipError('INVALID_ARGUMENT', `the coder needs a ${MODEL_CHANNELS}-channel model; this model has ${bundle.meta.config.channels}`);
}

function codingSetup(bundle: ModelBundle, engine: IntegerEngine, width: number, height: number, planes: Plane[], gridFactor: number, options: CoderOptions): Coding {
  checkCodableModel(bundle);
  const tiles = tiling(width, height, bundle.meta.config.patch);
  const schedule = chainSchedule(bundle, gridFactor);
  let stepsTotal = tiles.count * schedule.T * planes.length;
  let stepsDone = 0;
  const progress = (steps: number) => {
    stepsDone += steps;
    options.onProgress?.({ stepsDone, stepsTotal });
  };
  const discard = (steps: number) => {
    stepsTotal += steps;
  };
  const openings = OPENING_GRIDS.map((grids) => openingSchedule(bundle, grids));
  const dimsPerPixel = planes.reduce((sum, plane) => sum + (plane.kind === 'rgb' ? 3 : 1), 0);
  return { denoiser: new Denoiser(bundle, engine), schedule, openings, scheduleAt: (first, opening) => (first === 0 ? openings[opening] : schedule), tiles, planes, dimsPerPixel, progress, discard };
}

/** The opening chunk's schedule: pixels under p(x | z_0) alone (see OPENING_GRID_FACTOR), its own grids. */
function openingSchedule(bundle: ModelBundle, grids: { first: number; rest: number }): ChainSchedule {
  const rest = chainSchedule(bundle, grids.rest);
  const first = chainSchedule(bundle, grids.first);
  const delta = Float64Array.from(rest.delta, (d, i) => (i < OPENING_COARSE_LATENTS ? first.delta[i] : d));
  return { ...rest, delta, pixelsSeeStepOne: false };
}

/**
 * κ as the coder uses it: rounded to float32, the precision the header stores, so that the
 * decoder builds the same grids. Throws INVALID_ARGUMENT when that is outside
 * [MIN_GRID_FACTOR, MAX_GRID_FACTOR].
 */
export function codedGridFactor(gridFactor: number): number {
  const coded = Math.fround(gridFactor);
  if (!(coded >= MIN_GRID_FACTOR && coded <= MAX_GRID_FACTOR)) throw new VdmzipError('INVALID_ARGUMENT', `grid factor ${String(gridFactor)} is not in [2^-20, 2^10]`);
  return coded;
}

/**
 * Codes `image` into .vdmz bytes. `bundle` may be undefined where no model is needed: at
 * effort 1, or with every row by the predictor (`predictorRows` = height).
 */
export async function compressImage(image: Image, bundle: ModelBundle | undefined, engine: IntegerEngine, options: CoderOptions = {}): Promise<Uint8Array> {
  checkImage(image);
  if (bundle) checkCodableModel(bundle);
  const forcedRows = options.predictorRows;
  if (forcedRows !== undefined && !(Number.isInteger(forcedRows) && forcedRows >= 0 && forcedRows <= image.height)) {
    throw new VdmzipError('INVALID_ARGUMENT', `predictor rows ${String(forcedRows)} is not an integer in 0…${image.height}`);
  }
  const effort = checkEffort(options.effort ?? DEFAULT_EFFORT);
  const workers = checkWorkers(options.workers ?? defaultWorkers());
  if (options.gridFactor !== undefined) codedGridFactor(options.gridFactor);
  const codedChannels = predictorChannels(image);
  // A large image's predictor file is made of bands coded apart (format version 6).
  const bandCount = options.bands ?? (forcedRows === undefined || forcedRows === image.height ? defaultBandCount(image.width, image.height) : 1);
  if (!(Number.isInteger(bandCount) && bandCount >= 1 && bandCount <= image.height)) throw new VdmzipError('INVALID_ARGUMENT', `band count ${String(bandCount)} is not an integer in 1…${image.height}`);
  if (bandCount > 1 && forcedRows !== undefined && forcedRows < image.height) throw new VdmzipError('INVALID_ARGUMENT', 'only a file whose every row the predictor codes has bands');
  const bands = bandCount > 1 ? bandImages(image, bandHeights(image.height, bandCount)) : undefined;
  const predictorSamples = bands ? bands.reduce((sum, band) => sum + predictorSamplesOf(band), 0) : predictorSamplesOf(image);
  // Progress after the estimate (if one ran) counts on from what the estimate reported.
  let estimated = 0;
  const { onProgress } = options;
  const report = onProgress && ((p: CodingProgress) => onProgress({ stepsDone: estimated + p.stepsDone, stepsTotal: estimated + p.stepsTotal }));
  const coding: CoderOptions = { ...options, onProgress: report };
  // The predictor's walk over every row (or its bands' files), where workers did it beside the estimate.
  let intervals: BandIntervals | undefined;
  let [estimateDone, walkDone, chainStarted] = [0, 0, false];
  const reportBoth = () => chainStarted || onProgress?.({ stepsDone: estimateDone + walkDone, stepsTotal: estimated + predictorSamples });
  const stopBands = new AbortController();
  const bandsFile = bands && encodeBands(image, bands, workers, (done) => ((walkDone = done), reportBoth()), stopBands.signal);
  // Settled here as well, so that a failure elsewhere first leaves no rejection unhandled.
  bandsFile?.catch(() => undefined);
  // Which predictor a picture too large to code both ways gets (the bands choose their own; a
  // file whose chain codes rows by request has no predictor-only file to choose for).
  const chosen = bands || (forcedRows !== undefined && forcedRows < image.height) ? Promise.resolve(undefined) : sampledPredictor(image);
  chosen.catch(() => undefined);
  const estimate = async (bundle: ModelBundle) => {
    // The network runs on this thread while a worker walks the predictor's rows on another core
    // (its intervals are needed whatever the estimate says). Where no worker runs (and for a
    // small picture, MIN_WORKER_WALK_PIXELS), this thread walks them afterwards. The bands of a
    // large image are already being coded.
    const stop = new AbortController();
    // The walk is that of the predictor the picture will be coded with (PREDICTOR where it is coded both ways).
    const predictor = (await chosen) ?? PREDICTOR;
    const walk = bands || workers < 2 || image.width * image.height < MIN_WORKER_WALK_PIXELS ? undefined : bandIntervalsInWorker(image.data, predictorBand(image, 0, codedChannels, predictor), (done) => ((walkDone = Math.min(done, predictorSamples)), reportBoth()), stop.signal).catch(() => undefined);
    try {
      const predictorWins = await predictorClearlyWins(image, bundle, engine, codedChannels, (calls, total) => {
        // Counted as if the rest were the predictor's samples: a chain, if it runs, reports its own total.
        estimated = total * ESTIMATE_CALL_SAMPLES;
        estimateDone = calls * ESTIMATE_CALL_SAMPLES;
        reportBoth();
      });
      intervals = await walk;
      return predictorWins;
    } finally {
      stop.abort();
    }
  };
  const predictorFile = async (reportRows: boolean): Promise<Uint8Array> => {
    if (bandsFile) return bandsFile;
    const onRows = reportRows ? (stepsDone: number) => report?.({ stepsDone, stepsTotal: predictorSamples }) : undefined;
    return smallestPredictorFile(image, { chosen: await chosen, intervals, onProgress: onRows });
  };
  const model = () => {
    if (!bundle) throw new VdmzipError('INVALID_ARGUMENT', 'the network needs a model (effort 1, or every row by the predictor, codes without one)');
    return bundle;
  };
  try {
    const predictorOnly =
      forcedRows === undefined
        ? effort === 1 || (effort === 2 && (patchFill(image, model()) < MIN_PATCH_FILL || (await estimate(model()))))
        : forcedRows === image.height;
    if (predictorOnly) {
      const file = await predictorFile(true);
      report?.({ stepsDone: predictorSamples, stepsTotal: predictorSamples });
      return file;
    }
    chainStarted = true;
    const chainFile = await chainCodedFile(image, model(), engine, coding, forcedRows);
    // Every row by the predictor instead, where that is smaller still: tiny images, and pictures the
    // network models worse than the predictor does.
    const otherFile = forcedRows === undefined ? await predictorFile(false) : undefined;
    return otherFile && otherFile.length < chainFile.length ? otherFile : chainFile;
  } finally {
    stopBands.abort();
  }
}

/** A chain file (format version 2): the chain codes the top rows, the predictor the `forcedRows` (or a number it chooses) below them. */
async function chainCodedFile(image: Image, bundle: ModelBundle, engine: IntegerEngine, options: CoderOptions, forcedRows: number | undefined): Promise<Uint8Array> {
  const codedChannels = predictorChannels(image);
  const patches = tiling(image.width, image.height, bundle.meta.config.patch).count * codedPlanes(image).length;
  const gridFactor = codedGridFactor(options.gridFactor ?? defaultGridFactor(patches));
  const plan = await planChain(image, bundle, engine, gridFactor, codedChannels, options, forcedRows);
  let seedCount = Math.max(0, Math.ceil((plan.reach + SEED_MARGIN_BITS - plan.predictorBits) / 16));
  const band = predictorBand(image, plan.top.height, codedChannels);
  let coded: { m: Message; chunkSizes: number[] } | undefined;
  while (!(coded = await encodeAll(plan.c, image, plan.top, band, seedCount, plan.opening))) seedCount = Math.ceil(seedCount * 1.1) + 2;
  const { m, chunkSizes } = coded;
  if (plan.c.openings.length > 1) pushUniform(m, plan.opening, plan.c.openings.length);
  pushAlphaMode(m, image);
  const header: ContainerHeader = {
    width: image.width,
    height: image.height,
    channels: image.channels,
    bitDepth: 8,
    pixelSha256Prefix: pixelSha256Prefix(image.data),
    modelId: bundle.id,
    steps: bundle.meta.config.T,
    patchSize: bundle.meta.config.patch,
    coder: { version: CODER_PARAMS_VERSION, gridFactor, chunkSizes, seedWords: seedCount, predictorRows: plan.rows },
  };
  return writeContainer(header, m.toBytes());
}

/**
 * A predictor-only file (format version 4) under `predictor` (PREDICTOR or
 * PREDICTOR_FIRST_CHANNEL_CONTEXTS): the predictor codes every row, and the message starts at
 * the pixels' check. `intervals`, where given, are that predictor's walk over the image
 * (bandIntervals); `onProgress` counts coded samples.
 */
async function predictorOnlyFile(image: Image, predictor: Predictor, options: { intervals?: BandIntervals; onProgress?: (samplesDone: number) => void } = {}): Promise<Uint8Array> {
  const m = new Message(pixelCheckHead(image.data));
  const matches = await pushRows(m, image.data, predictorBand(image, 0, predictorChannels(image), predictor), { ...options, tryMatches: true });
  pushAlphaMode(m, image);
  const coder = { version: predictorParamsVersion(matches, predictor === PREDICTOR_FIRST_CHANNEL_CONTEXTS), chunkSizes: [], seedWords: 0, predictorRows: image.height };
  return writeContainer({ width: image.width, height: image.height, channels: image.channels, bitDepth: 8, coder }, m.toBytes());
}

/**
 * Pictures of at most this many pixels are coded under both predictors and keep the smaller
 * file; a larger one is coded under the predictor that codes a sample of its rows (this many
 * pixels) smaller (`sampledPredictor`). The two sample walks cost a photo's encoding about
 * 0.45 s; samples of 2^16 pixels made the same choices on the fixtures for 1.2 s.
 */
const FIRST_CHANNEL_SAMPLE_PIXELS = 2 ** 14;
/**
 * On a sample, the first channel's exact contexts must save at least this share of its bits:
 * they cost the walk a fifth more time, and on photographs a sample's small gain (0.0–0.3%)
 * may not hold over the picture.
 */
const FIRST_CHANNEL_SAMPLE_GAIN = 0.01;

/**
 * The predictor a picture of more than FIRST_CHANNEL_SAMPLE_PIXELS pixels is coded with: its
 * central rows (that many pixels) coded as a picture of their own under each, pixel matches
 * tried as in the file; PREDICTOR_FIRST_CHANNEL_CONTEXTS where it writes FIRST_CHANNEL_SAMPLE_GAIN
 * fewer bits. Undefined for a smaller picture, which is coded both ways.
 */
async function sampledPredictor(image: Image): Promise<Predictor | undefined> {
  if (image.width * image.height <= FIRST_CHANNEL_SAMPLE_PIXELS) return undefined;
  const rows = Math.max(1, Math.floor(FIRST_CHANNEL_SAMPLE_PIXELS / image.width));
  const sample = cropImage(image, 0, Math.floor((image.height - rows) / 2), image.width, rows);
  const bits = async (predictor: Predictor) => {
    const m = new Message();
    await pushRows(m, sample.data, predictorBand(sample, 0, predictorChannels(sample), predictor), { tryMatches: true });
    return m.bitLength();
  };
  return (await bits(PREDICTOR_FIRST_CHANNEL_CONTEXTS)) < (1 - FIRST_CHANNEL_SAMPLE_GAIN) * (await bits(PREDICTOR)) ? PREDICTOR_FIRST_CHANNEL_CONTEXTS : PREDICTOR;
}

/**
 * The predictor-only file of `image` under the predictor that suits it (docs/format.md §11):
 * `chosen` where the caller already took it from sampledPredictor, which `intervals` (if
 * given) then belong to; a small picture is coded both ways and keeps the smaller file
 * (`intervals`, if given, are PREDICTOR's).
 */
async function smallestPredictorFile(image: Image, options: { chosen?: Predictor; intervals?: BandIntervals; onProgress?: (samplesDone: number) => void } = {}): Promise<Uint8Array> {
  const { intervals, onProgress } = options;
  const chosen = options.chosen ?? (await sampledPredictor(image));
  if (chosen) return predictorOnlyFile(image, chosen, { intervals, onProgress });
  const withContexts = await predictorOnlyFile(image, PREDICTOR_FIRST_CHANNEL_CONTEXTS);
  const plain = await predictorOnlyFile(image, PREDICTOR, { intervals, onProgress });
  return withContexts.length < plain.length ? withContexts : plain;
}

/**
 * Pixels per band of a large image's predictor file (format version 6, docs/format.md §2.8):
 * an image of at least twice this many is cut into ⌊pixels / BAND_PIXELS⌋ bands of rows,
 * each coded as an image of its own, so that as many threads code and decode it. A band's
 * predictor starts learning afresh: cut into two, the 5.1-megapixel training photo kleiber
 * (x2) costs 0.01% more, the 3.3-megapixel dragonfly 0.08%; into five, 0.11% and 0.41%
 * (docs/experiments.md, "Bands").
 */
const BAND_PIXELS = 2 ** 21;

/** How many bands the encoder cuts an image into by default (1: the image whole). */
export function defaultBandCount(width: number, height: number): number {
  return Math.max(1, Math.min(height, Math.floor((width * height) / BAND_PIXELS)));
}

/** The heights of `count` bands of rows, as even as rows allow, top first. */
function bandHeights(height: number, count: number): number[] {
  return Array.from({ length: count }, (_, k) => Math.floor(((k + 1) * height) / count) - Math.floor((k * height) / count));
}

/** The bands of `image` with these heights, each an image with its own copy of the samples. */
function bandImages(image: Image, heights: readonly number[]): Image[] {
  const row = image.width * image.channels;
  let top = 0;
  return heights.map((height) => {
    const data = image.data.slice(top * row, (top += height) * row);
    return { width: image.width, height, channels: image.channels, data };
  });
}

/** Worker tasks of this module (src/worker.ts): a band's predictor file, and a band file's samples. */
const ENCODE_BAND = 'vdmzip:encode-band';
const DECODE_BAND = 'vdmzip:decode-band';
export const BAND_TASKS: readonly string[] = [ENCODE_BAND, DECODE_BAND];
export type BandTask = { task: typeof ENCODE_BAND; band: Image } | { task: typeof DECODE_BAND; file: Uint8Array };

/** What a band task's worker posts as its result: the band's bytes, or why a band file does not decode. */
type BandResult = Uint8Array | { code: VdmzipErrorCode; message: string };

/**
 * A band task's work, wherever it runs: the band's predictor file (progress in coded samples),
 * or the band file's samples (progress in pixels).
 */
async function bandWork(task: BandTask, onProgress: (done: number) => void): Promise<Uint8Array> {
  if (task.task === ENCODE_BAND) return smallestPredictorFile(task.band, { onProgress });
  const { width, height } = parseContainer(task.file).header;
  return (await decompressImage(task.file, undefined, NO_NETWORK, { onProgress: (p) => onProgress((p.stepsDone / p.stepsTotal) * width * height) })).data;
}

/**
 * `task` in a worker thread, or on this thread (bandWork) where `workers` is 1 or no worker
 * could run it. `onProgress` gets the task's own count of work done. A file the worker found
 * damaged fails as it would have here, without a second try.
 */
async function inWorker(task: BandTask, workers: number, onProgress: (done: number) => void, signal?: AbortSignal): Promise<Uint8Array> {
  if (workers > 1) {
    let result: BandResult | undefined;
    try {
      result = await workerTask<BandResult>(task, { onProgress, signal });
    } catch (error) {
      if (signal?.aborted) throw error;
    }
    if (result instanceof Uint8Array) return result;
    if (result) throw new VdmzipError(result.code, result.message);
  }
  return bandWork(task, onProgress);
}

/** The banded file (format version 6) of these bands, coded by up to `workers` threads; `onProgress` counts coded samples. */
async function encodeBands(image: Image, bands: Image[], workers: number, onProgress?: (samplesDone: number) => void, signal?: AbortSignal): Promise<Uint8Array> {
  const done = new Float64Array(bands.length);
  const files = await mapLimited(bands, workers, (band, k) => {
    const report = (samples: number) => {
      done[k] = samples;
      onProgress?.(done.reduce((a, b) => a + b, 0));
    };
    return inWorker({ task: ENCODE_BAND, band }, workers, report, signal);
  });
  return writeBandedFile(files, image.data);
}

/** The image of a banded file's bands, decoded by up to `workers` threads; progress counts pixels. */
async function decodeBands(header: ContainerHeader, bands: Band[], workers: number, onProgress?: (p: CodingProgress) => void): Promise<Image> {
  const { width, height, channels } = header;
  const image: Image = { width, height, channels, data: new Uint8Array(width * height * channels) };
  const done = new Float64Array(bands.length);
  await mapLimited(bands, workers, async (band, k) => {
    const report = (pixelsDone: number) => {
      done[k] = pixelsDone;
      onProgress?.({ stepsDone: Math.round(done.reduce((a, b) => a + b, 0)), stepsTotal: width * height });
    };
    // The band's own bytes: a view of the whole file would copy all of it to the worker.
    image.data.set(await inWorker({ task: DECODE_BAND, file: band.file.slice() }, workers, report), band.top * width * channels);
  });
  // Each band checked its own pixels; this checks that they are the image's, in its order.
  if (!pixelsMatch(header, image.data)) throw new VdmzipError('CORRUPT', 'decoded pixels fail their checksum: damaged file');
  return image;
}

/** A band task's work in a worker thread (src/worker.ts): the band's bytes, handed over, or why its file does not decode. */
export async function bandTaskResult(task: BandTask, onProgress: (done: number) => void): Promise<WorkerResult<BandResult>> {
  try {
    const result = await bandWork(task, onProgress);
    return { result, transfer: [result.buffer as ArrayBuffer] };
  } catch (error) {
    if (!(error instanceof VdmzipError)) throw error;
    return { result: { code: error.code, message: error.message }, transfer: [] };
  }
}

/** The alpha mode, decoded first (docs/format.md §6): whether an alpha channel is constant, and then its value. */
function pushAlphaMode(m: Message, image: Image): void {
  const alpha = planes(image.channels).alpha;
  if (!alpha) return;
  const value = constantChannel(image, alpha.channel);
  if (value !== undefined) pushUniform(m, value, 256);
  pushUniform(m, value === undefined ? 0 : 1, 2);
}

interface ChainPlan {
  /** Predictor rows below the chain. */
  rows: number;
  c: Coding;
  /** The rows the chain codes. */
  top: Image;
  opening: number;
  /** How far below its start the opening chunk pops (bits): what the predictor rows and seed words must cover. */
  reach: number;
  /** What the predictor rows cost (bits). */
  predictorBits: number;
}

/**
 * The chain's setup and the number of predictor rows under it (`forcedRows`, or chosen here).
 * A dry run of the opening chunk on a generous seed, per opening schedule, measures how deep
 * it reaches and its net bits; the opening with the least funding (predictor rows, topped up by
 * seed words to its reach) plus net bits is used.
 *
 * Predictor rows in place of seed words pay where the opening chunk is the whole chain (one
 * patch): there the seed is most of the overhead, and the dry runs give the cost of every
 * choice exactly. The row count is estimated from the dry runs without predictor rows (reach
 * and net scaled by the share of the chain that stays), then the openings are measured again
 * with those rows. In a longer chain the seed is a few hundred bits, less than one predictor
 * row costs beyond what the network would spend on it (measured on 256×256 crops: chelsea
 * 4.033 bpd without predictor rows, 4.052 with the three an estimate chose), so it has none.
 */
async function planChain(image: Image, bundle: ModelBundle, engine: IntegerEngine, gridFactor: number, codedChannels: number, options: CoderOptions, forcedRows?: number): Promise<ChainPlan> {
  // Each row's cost as a predictor row: it does not depend on where the band starts. Computed
  // only when the predictor codes some rows (multi-patch chains have none).
  let rowCost: Float64Array | undefined;
  const predictorCost = (rows: number) => {
    if (rows === 0) return 0;
    rowCost ??= rowBits(image.data, predictorBand(image, 0, codedChannels));
    return rowCost.subarray(image.height - rows).reduce((sum, bits) => sum + bits, 0);
  };
  const funding = (reach: number, rows: number) => Math.max(reach + SEED_MARGIN_BITS, predictorCost(rows));

  const measure = async (rows: number) => {
    const top = topRows(image, image.height - rows);
    const c = codingSetup(bundle, engine, top.width, top.height, codedPlanes(image), gridFactor, options);
    const openingDims = Math.min(bundle.meta.config.patch, top.width) * Math.min(bundle.meta.config.patch, top.height) * c.dimsPerPixel;
    const runs: { reach: number; net: number }[] = [];
    for (let k = 0; k < c.openings.length; k++) {
      const dry = seeded(Math.ceil((3 * bitsNeededPerDim(c.openings[k]) * openingDims) / 16));
      const start = dry.bitLength();
      const reach = -(await codeChunk(c, top, dry, 0, 1, k, false));
      runs.push({ reach, net: dry.bitLength() - start });
    }
    const costs = runs.map(({ reach, net }) => funding(reach, rows) + net);
    const opening = costs.indexOf(Math.min(...costs));
    const plan: ChainPlan & { cost: number } = { rows, c, top, opening, reach: runs[opening].reach, predictorBits: predictorCost(rows), cost: costs[opening] };
    return { plan, runs };
  };
  if (forcedRows !== undefined) return (await measure(forcedRows)).plan;
  const none = await measure(0);
  if (none.plan.c.tiles.count > 1) return none.plan;

  // Each opening's reach and net bits shrink with the rows the chain keeps.
  let estimate = { rows: 0, cost: none.plan.cost };
  for (let rows = 1; rows < image.height; rows++) {
    const stays = (image.height - rows) / image.height;
    for (const { reach, net } of none.runs) {
      const cost = funding(reach * stays, rows) + net * stays;
      if (cost < estimate.cost) estimate = { rows, cost };
    }
  }
  if (estimate.rows === 0) return none.plan;
  const banded = (await measure(estimate.rows)).plan;
  return banded.cost < none.plan.cost ? banded : none.plan;
}

/** Channels the predictor rows code: all but a constant alpha channel (the last), which costs 9 bits in all. */
function codedChannelsOf(channels: number, constantAlpha: boolean): number {
  return constantAlpha ? channels - 1 : channels;
}

/** The channels the predictor codes of `image` (codedChannelsOf). */
function predictorChannels(image: Image): number {
  const alpha = planes(image.channels).alpha;
  return codedChannelsOf(image.channels, alpha !== undefined && constantChannel(image, alpha.channel) !== undefined);
}

/** The samples the predictor codes where it codes every row of `image`. */
function predictorSamplesOf(image: Image): number {
  return image.width * image.height * predictorChannels(image);
}

/**
 * Where the predictor's bits over the network's −ELBO are below this (`predictorClearlyWins`),
 * the encoder codes every row by the predictor without running the chain. On large images the estimate comes from sampled
 * crops: on the five fixture photos it was 0.925–0.975 where the files' own ratios were
 * 0.927–0.965 (measured with an earlier model and predictor), mostly above, as the crops hold back the predictor's learning
 * more than the network's context. On smaller images it uses the whole image's −ELBO, which
 * the chain's file exceeds by its overhead (initial bits above all), so it errs towards the
 * chain too. A wrong call costs the file at most the difference.
 */
const CLEAR_PREDICTOR_RATIO = 0.98;

/**
 * At effort 2 the chain is not tried on an image that fills less than this share of the patches
 * that tile it: the network runs over whole patches, so a thin image costs the estimate and the
 * chain many times what its pixels do (a 1×5000 strip fills 3% of its 157 patches: 20.5 s
 * against 1.0 s at effort 1, and the predictor's file all the same), while the chain's bits
 * cannot gain more than on a full patch. Effort 3 still tries it.
 */
const MIN_PATCH_FILL = 0.5;

/** The share of its tiling's patch area that `image` fills. */
function patchFill(image: Image, bundle: ModelBundle): number {
  const { patch } = bundle.meta.config;
  return (image.width * image.height) / (tiling(image.width, image.height, patch).count * patch * patch);
}
const SAMPLE_CROPS = 4;
/** Each sample crop is this many patches across and down. */
const SAMPLE_ACROSS = 4;
const SAMPLE_DOWN = 2;
/**
 * The estimate's −ELBO evaluates the network at the first 16 steps and one in 16 after them
 * (`StepSampling` in elbo.ts): 19 of the shipped model's 64 steps, 3.4× faster, and within
 * 0.997–1.000 of the full sum on 32×32 and 128×64 fixture crops — far closer than the
 * decision needs.
 */
const ESTIMATE_STEPS: StepSampling = { exactSteps: 16, stride: 16 };
/**
 * What one network call of the estimate counts for in progress, in predictor samples: on two CPU
 * cores a call over the four crops takes about 0.2 s and a sample about 3 µs, so the progress
 * bar moves at an even pace through the estimate and on into the coding.
 */
const ESTIMATE_CALL_SAMPLES = 64_000;

/**
 * Below this many pixels this thread walks the predictor's rows after the estimate instead of
 * a worker beside it: a worker starts a fresh V8 isolate that loads the code (about 0.2 s on
 * two cores) and the estimate of a small picture is over sooner (a 32×32 crop at effort 2:
 * 0.64 s without the worker, 0.75 s with it; 100×100 and 200×200 the same either way; 300×300
 * 3.00 s without, 2.44 s with). Equal to FIRST_CHANNEL_SAMPLE_PIXELS by measurement, not by
 * necessity: a picture of exactly 2^14 pixels is coded both ways and still has a worker walk.
 */
const MIN_WORKER_WALK_PIXELS = 2 ** 14;

/** The estimate's verdict: the predictor's bits are clearly below the chain's (`CLEAR_PREDICTOR_RATIO`). */
const clearlyBelow = (predictorBits: number, chainBits: number): boolean => predictorBits / chainBits < CLEAR_PREDICTOR_RATIO;

/**
 * Whether the predictor clearly codes `image` in fewer bits than the chain would: its bits
 * against the network's −ELBO, at a fraction of the chain's work (which also measures several
 * opening schedules), on SAMPLE_CROPS crops spread along the image's diagonal, each coded on its
 * own, where the image holds at least twice their patches; on the whole image otherwise. The
 * −ELBO's sum stops as soon as the verdict holds of the bits summed so far: its terms are never
 * negative, so it would hold of the whole sum too.
 */
async function predictorClearlyWins(image: Image, bundle: ModelBundle, engine: IntegerEngine, codedChannels: number, onCall?: (calls: number, total: number) => void): Promise<boolean> {
  const { patch } = bundle.meta.config;
  const [w, h] = [SAMPLE_ACROSS * patch, SAMPLE_DOWN * patch];
  const sampled = image.width >= w && image.height >= h && tiling(image.width, image.height, patch).count >= 2 * SAMPLE_CROPS * SAMPLE_ACROSS * SAMPLE_DOWN;
  const crops = sampled
    ? Array.from({ length: SAMPLE_CROPS }, (_, k) => {
        const at = (k + 0.5) / SAMPLE_CROPS;
        return cropImage(image, Math.floor(at * (image.width - w)), Math.floor(at * (image.height - h)), w, h);
      })
    : [image];
  let predictorBits = 0;
  for (const crop of crops) predictorBits += rowBits(crop.data, predictorBand(crop, 0, codedChannels)).reduce((sum, bits) => sum + bits, 0);
  // The crops share their network calls (a GPU's batch), each with its own noise as if alone.
  const bounds = await imagesElbo(crops, bundle, engine, { sampling: ESTIMATE_STEPS, onCall, stopWhen: (chainBits) => clearlyBelow(predictorBits, chainBits) });
  return clearlyBelow(predictorBits, elboTotal(bounds));
}

/** Seed bits beyond a chain's measured reach, so that the real run does not borrow. */
const SEED_MARGIN_BITS = 32;

/** The top `height` rows of `image`, sharing its samples (rows are stored top first). */
function topRows(image: Image, height: number): Image {
  return { width: image.width, height, channels: image.channels, data: image.data.subarray(0, image.width * height * image.channels) };
}

/** The predictor whose constants a coder parameters version names (docs/format.md §7.1). */
function predictorOf(version: CoderParamsVersion): Predictor {
  if (version === 9 || version === 10) return PREDICTOR_VERSION_9;
  return hasFirstChannelContexts(version) ? PREDICTOR_FIRST_CHANNEL_CONTEXTS : PREDICTOR;
}

/** The rows from `top` down as a band of `predictor` (the one this build writes, unless a file says otherwise) over the first `coded` channels. */
function predictorBand(image: Image, top: number, coded: number, predictor = PREDICTOR): RowBand {
  return { width: image.width, channels: image.channels, coded, top, bottom: image.height, predictor };
}

const seeded = (count: number): Message => {
  const message = new Message();
  for (const word of seedWords(count)) pushUniform(message, word, WORD);
  return message;
};

/** Codes patches [first, first + n) of `image` (every plane); returns the lowest point reached, relative to the start. */
async function codeChunk(c: Coding, image: Image, message: Message, first: number, n: number, opening: number, report = true): Promise<number> {
  const chunkStart = message.bitLength();
  const s = c.scheduleAt(first, opening);
  let lowest = 0;
  for (const plane of c.planes) {
    const layout = chunkLayout(c.tiles, first, n, plane, s.contextMargin, image);
    const planeStart = message.bitLength() - chunkStart;
    const onStep = report ? () => c.progress(n) : undefined;
    lowest = Math.min(lowest, planeStart + (await encodeChunk(message, layout, gatherPixels(image, c.tiles, first, n, plane), s, c.denoiser, onStep)));
  }
  return lowest;
}

/**
 * Seed words, the predictor rows of `image`, then the chain over its `top` rows. The first chunk is one patch;
 * each later chunk takes as many patches as the bits already on the message can fund. No
 * chunk may pop past the bottom of the message (it would read zeros: valid, but poor
 * samples), so the decoder can treat a borrowing chunk as damage. A chunk that borrows is
 * coded again with half the patches; a single patch that still borrows returns undefined
 * (the caller retries with more seed words).
 */
async function encodeAll(c: Coding, image: Image, top: Image, band: RowBand, seedCount: number, opening: number): Promise<{ m: Message; chunkSizes: number[] } | undefined> {
  let m = seeded(seedCount);
  await pushRows(m, image.data, band);
  const needPerPatch = 2 * bitsNeededPerDim(c.schedule) * c.dimsPerPixel * c.tiles.patch ** 2;
  const stepsPerPatch = c.schedule.T * c.planes.length;
  const chunkSizes: number[] = [];
  let stepsCoded = 0;
  for (let first = 0; first < c.tiles.count; ) {
    const affordable = first === 0 ? 1 : Math.floor((m.bitLength() - 64) / needPerPatch);
    let n = Math.max(1, Math.min(c.tiles.count - first, MAX_CHUNK_PATCHES, affordable));
    for (;;) {
      const attempt = m.clone();
      await codeChunk(c, top, attempt, first, n, opening);
      stepsCoded += n * stepsPerPatch;
      if (attempt.borrowedWords === 0) {
        m = attempt;
        break;
      }
      if (n === 1) {
        c.discard(stepsCoded);
        return undefined;
      }
      c.discard(n * stepsPerPatch);
      stepsCoded -= n * stepsPerPatch;
      n = Math.ceil(n / 2);
    }
    chunkSizes.push(n);
    first += n;
  }
  return { m, chunkSizes };
}

/** Checks that a parsed file belongs to this model before any decoding work (a file that records no model needs none). */
export function checkModel(header: ContainerHeader, bundle: ModelBundle | undefined): void {
  const { modelId } = header;
  if (modelId === undefined) return;
  if (!bundle) throw new VdmzipError('INVALID_ARGUMENT', `the file was made with model ${modelId.slice(0, 16)}…, and no model was given`);
  if (!sameModel(modelId, bundle.id)) {
    throw new VdmzipError('MODEL_MISMATCH', `made with model ${modelId.slice(0, 16)}…, but the model given is ${bundle.id.slice(0, 16)}…`);
  }
  const { T, patch } = bundle.meta.config;
  if (header.steps !== T || header.patchSize !== patch) throw new VdmzipError('CORRUPT', `T=${header.steps}, patch ${header.patchSize} do not match the model's T=${T}, patch ${patch}`);
}

/** Decodes .vdmz bytes; `bundle` may be undefined for a file the predictor coded alone (format 4). */
export async function decompressImage(bytes: Uint8Array, bundle: ModelBundle | undefined, engine: IntegerEngine, options: CoderOptions = {}): Promise<Image> {
  const { header, payload, bands } = parseContainer(bytes);
  if (bands) return decodeBands(header, bands, checkWorkers(options.workers ?? defaultWorkers()), options.onProgress);
  checkModel(header, bundle);
  const { width, height, channels, coder } = header;
  const corrupt = (why: string) => new VdmzipError('CORRUPT', why);
  const chainHeight = height - (coder.predictorRows ?? 0);
  // The container guarantees κ and the patch size wherever a chain codes rows.
  const gridFactor = coder.gridFactor ?? 0;
  if (chainHeight > 0 && !(gridFactor >= MIN_GRID_FACTOR && gridFactor <= MAX_GRID_FACTOR)) throw corrupt(`grid factor ${gridFactor} is out of range`);
  const total = coder.chunkSizes.reduce((a, b) => a + b, 0);
  if (chainHeight > 0 && total !== tiling(width, chainHeight, header.patchSize ?? 0).count) throw corrupt('the chunk schedule does not cover the image');
  if (coder.chunkSizes.some((n) => n > MAX_CHUNK_PATCHES)) throw corrupt(`a chunk exceeds ${MAX_CHUNK_PATCHES} patches`);

  // Every predictor sample costs at least minSampleBits (every pixel fewestMatchBits with pixel
  // matches), so a payload too short for the predictor rows its header claims (alpha constant
  // or not) is damage: refuse it at once.
  const matches = hasPixelMatches(coder.version);
  const predictor = predictorOf(coder.version);
  const fewestPredictorSamples = bandSamples({ width, channels, coded: codedChannelsOf(channels, planes(channels).alpha !== undefined), top: chainHeight, bottom: height });
  const fewestBits = matches ? (height - chainHeight) * width * fewestMatchBits(predictor.matches) : fewestPredictorSamples * predictor.minSampleBits;
  if (fewestBits > 8 * payload.length) throw corrupt('the payload is too short for its predictor rows');
  let m: Message;
  try {
    m = Message.fromBytes(messageBytes(header, payload));
  } catch (error) {
    throw corrupt(`payload is not a valid rANS message (${(error as Error).message})`);
  }
  const image: Image = { width, height, channels, data: new Uint8Array(width * height * channels) };
  const { colour, alpha: alphaChannel } = planes(channels);
  let alphaValue: number | undefined;
  if (alphaChannel && popUniform(m, 2) === 1) alphaValue = popUniform(m, 256);
  const coded = alphaChannel && alphaValue === undefined ? [colour, alphaChannel] : [colour];
  if (alphaChannel && alphaValue !== undefined) {
    for (let k = alphaChannel.channel; k < image.data.length; k += channels) image.data[k] = alphaValue;
  }
  if (chainHeight > 0) {
    // Only a chain file (format 2) has chain rows, and checkModel saw its model.
    if (!bundle) throw corrupt('chain rows in a file that names no model');
    const top = topRows(image, chainHeight);
    const c = codingSetup(bundle, engine, width, chainHeight, coded, gridFactor, options);
    const opening = c.openings.length > 1 ? popUniform(m, c.openings.length) : 0;
    let end = total;
    for (let k = coder.chunkSizes.length - 1; k >= 0; k--) {
      const n = coder.chunkSizes[k];
      const first = end - n;
      const s = c.scheduleAt(first, opening);
      for (const plane of [...c.planes].reverse()) {
        const layout = chunkLayout(c.tiles, first, n, plane, s.contextMargin, top);
        scatterPixels(top, c.tiles, first, n, plane, await decodeChunk(m, layout, s, c.denoiser, () => c.progress(n)));
      }
      // The encoder never lets a chunk borrow, so borrowing here means damage: stop after one
      // chunk instead of decoding a forged image of any claimed size.
      if (m.borrowedWords !== 0) throw corrupt('the payload ran out: damaged file, or another model or engine');
      end = first;
    }
  }
  const band = predictorBand(image, chainHeight, codedChannelsOf(channels, alphaValue !== undefined), predictor);
  // Progress in samples where the predictor decodes the whole image (the chain reports steps).
  const onRows = chainHeight === 0 ? (stepsDone: number) => options.onProgress?.({ stepsDone, stepsTotal: bandSamples(band) }) : undefined;
  if (chainHeight < height && !(await popRows(m, image.data, band, onRows, matches))) {
    throw corrupt('the payload ran out in the predictor rows: damaged file');
  }
  // n seed words pushed on an empty message leave exactly n tail words (each 16-bit uniform
  // push emits one word), so check the size before materialising the expected words.
  // A predictor-only file has no seed and used no model: only damage can make it end wrong.
  const wrongEnd = chainHeight === 0 ? 'the payload does not end with the image: damaged or cut short' : 'decoding did not end at the seed: wrong model, engine or damaged file';
  if (m.borrowedWords !== 0 || m.byteLength() !== 8 + 2 * coder.seedWords) throw corrupt(wrongEnd);
  const expected = seedWords(coder.seedWords);
  for (let k = expected.length - 1; k >= 0; k--) {
    if (popUniform(m, WORD) !== expected[k]) throw corrupt(wrongEnd);
  }
  if (isCompact(header)) {
    // The message started at the pixels' check: any other end is damage.
    if (!m.equals(new Message(pixelCheckHead(image.data)))) throw corrupt('decoded pixels fail their checksum: damaged file');
    return image;
  }
  if (!m.equals(new Message())) throw corrupt('data left over after decoding');
  if (!pixelsMatch(header, image.data)) throw corrupt('decoded pixels fail their checksum');
  return image;
}

/**
 * Codes a picture: an 8-bit image without metadata as compressImage does (format 2 or 4), and
 * anything else as an extended file (format 5, docs/format.md §2.7, §12) around the file of its
 * 8-bit inner samples, which the predictor or the chain codes as usual.
 */
export async function compressPicture(picture: Picture, bundle: ModelBundle | undefined, engine: IntegerEngine, options: CoderOptions = {}): Promise<Uint8Array> {
  const { image, metadata, layout } = picture;
  checkMetadata(metadata);
  if (layout) checkPngLayout(image, layout, 'INVALID_ARGUMENT');
  if (!is16(image) && metadata.length === 0 && !layout) return compressImage(image, bundle, engine, options);
  let split: SampleSplit = { kind: 'shifted', shift: 0, lowBits: 0 };
  let inner: Uint8Array = image.data as Uint8Array;
  let values: Uint16Array = new Uint16Array(0);
  if (is16(image)) {
    checkImage16(image);
    split = chooseSplit(image.data, image.maxValue);
    ({ inner, values } = splitSamples(image.data, split));
  } else checkImage(image);
  const { width, height, channels } = image;
  const innerFile = await compressImage({ width, height, channels, data: inner }, bundle, engine, options);
  let lowBits: Uint8Array = new Uint8Array(0);
  if (lowBitsOf(split) > 0) {
    const m = new Message();
    pushLowBits(m, image, inner, values, lowBitsOf(split));
    lowBits = m.toBytes();
  }
  const header = { inner: 'vdmz' as const, width, height, channels, maxValue: maxValueOf(image), split, samplesSha256Prefix: samplesSha256Prefix(image.data), metadata, ...(layout && { layout }) };
  return writeExtended(header, innerFile, lowBits);
}

/**
 * Codes a picture (compressPicture), or stores the PNG it was read from where that makes the
 * smaller file: a file is never larger than its input PNG and a header (docs/format.md §2.7).
 */
export async function compressPictureOrStore(picture: Picture, bundle: ModelBundle | undefined, engine: IntegerEngine, options: CoderOptions = {}): Promise<Uint8Array> {
  const coded = await compressPicture(picture, bundle, engine, options);
  const { png, image } = picture;
  if (png === undefined || png.length >= coded.length) return coded;
  const { width, height, channels } = image;
  const header = { inner: 'png' as const, width, height, channels, maxValue: maxValueOf(image), split: { kind: 'shifted', shift: 0, lowBits: 0 } as const, samplesSha256Prefix: samplesSha256Prefix(image.data), metadata: [] };
  const stored = writeExtended(header, png, new Uint8Array(0));
  return stored.length < coded.length ? stored : coded;
}

/** The image a file holds, as its headers say (checked as the decoder checks them; throws VdmzipError). */
export function imageOfFile(bytes: Uint8Array): { width: number; height: number; channels: number; maxValue: number } {
  if (isExtended(bytes)) return readExtendedHeader(bytes).header;
  const { header } = parseContainer(bytes);
  return { ...header, maxValue: SAMPLE_MAX };
}

/** The picture of an extended file whose inner file is a stored PNG, checked against its header. */
function storedPicture(header: ExtendedHeader, png: Uint8Array): Picture {
  let picture: Picture;
  try {
    picture = decodePng(png);
  } catch (error) {
    throw new VdmzipError('CORRUPT', `the stored PNG does not decode (${(error as Error).message})`);
  }
  const { image } = picture;
  if (image.width !== header.width || image.height !== header.height || image.channels !== header.channels || maxValueOf(image) !== header.maxValue) {
    throw new VdmzipError('CORRUPT', 'the stored PNG holds another image than the header describes');
  }
  if (samplesSha256Prefix(image.data) !== header.samplesSha256Prefix) throw new VdmzipError('CORRUPT', 'decoded samples fail their checksum');
  return { ...picture, png };
}

/**
 * The header of a file's coded pixels (the file's own, or its inner file's), or undefined for a
 * stored PNG. An extended file's payload CRC is left to the decoder, which checks it anyway.
 */
export function codedHeader(bytes: Uint8Array): ContainerHeader | undefined {
  if (!isExtended(bytes)) return parseContainer(bytes).header;
  const { header, payloadStart, innerLength } = readExtendedHeader(bytes);
  return header.inner === 'png' ? undefined : parseContainer(bytes.subarray(payloadStart, payloadStart + innerLength)).header;
}

/** Whether decoding `bytes` needs the model (a chain file, or an extended file around one); false for anything the decoder will refuse. */
export function needsModel(bytes: Uint8Array): boolean {
  try {
    return codedHeader(bytes)?.modelId !== undefined;
  } catch {
    return false;
  }
}

/** Decodes any .vdmz file to its picture (an 8-bit image without metadata, except from format 5). */
export async function decompressPicture(bytes: Uint8Array, bundle: ModelBundle | undefined, engine: IntegerEngine, options: CoderOptions = {}): Promise<Picture> {
  if (!isExtended(bytes)) return { image: await decompressImage(bytes, bundle, engine, options), metadata: [] };
  const { header, inner, lowBits } = parseExtended(bytes);
  const corrupt = (why: string) => new VdmzipError('CORRUPT', why);
  if (header.inner === 'png') return storedPicture(header, inner);
  // The inner file is one of format 2, 4 or 6 (§2.7); anything else in its place is damage.
  if (!isCoderFile(inner)) throw corrupt('the inner file is not a file of format 2, 4 or 6');
  const innerImage = await decompressImage(inner, bundle, engine, options);
  const { width, height, channels, maxValue, split, metadata } = header;
  if (innerImage.width !== width || innerImage.height !== height || innerImage.channels !== channels) throw corrupt('the inner file holds another image than the header describes');
  let values: Uint16Array = Uint16Array.from(innerImage.data);
  if (lowBitsOf(split) > 0) {
    let m: Message;
    try {
      m = Message.fromBytes(lowBits);
    } catch (error) {
      throw corrupt(`the low-bits payload is not a valid rANS message (${(error as Error).message})`);
    }
    values = popLowBits(m, header, innerImage.data, lowBitsOf(split));
    if (m.borrowedWords !== 0 || !m.equals(new Message())) throw corrupt('the low-bits payload does not end with the image: damaged file');
  }
  const samples = joinSamples(innerImage.data, values, split);
  if (samples === undefined) throw corrupt('a sample indexes past the sample table');
  for (let i = 0; i < samples.length; i++) if (samples[i] > maxValue) throw corrupt(`a sample exceeds the maximum ${maxValue}`);
  const image = maxValue === SAMPLE_MAX ? { width, height, channels, data: Uint8Array.from(samples) } : { width, height, channels, maxValue, data: samples };
  if (samplesSha256Prefix(image.data) !== header.samplesSha256Prefix) throw corrupt('decoded samples fail their checksum');
  if (header.layout) checkPngLayout(image, header.layout, 'CORRUPT');
  return { image, metadata, ...(header.layout && { layout: header.layout }) };
}
