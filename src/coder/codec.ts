// Image ⇄ .vdmz bytes with a model bundle and an integer engine.
//
// The payload is one rANS message. Bottom to top, as the encoder pushes:
//   seed words (pseudo-random, fund the first chunk's pops; checked when decoding)
//   chunk 1 … chunk K (each: the colour plane's bits-back chain, then the alpha plane's)
//   opening grids (uniform over OPENING_GRIDS.length; coder parameters version 5 on)
//   alpha mode (uniform over 2) [+ its constant value (uniform over 256)]
// Later chunks pop what earlier chunks pushed, so the initial bits are paid once per file.

import { Message, popUniform, pushUniform } from '../ans/index.ts';
import { VdmzipError } from '../errors.ts';
import type { Image } from '../image/index.ts';
import { checkImage } from '../image/image.ts';
import type { ModelBundle } from '../model/bundle.ts';
import { Denoiser, type IntegerEngine } from '../model/denoiser.ts';
import { decodeChunk, encodeChunk } from './chain.ts';
import { CODER_PARAMS_VERSION, parseContainer, pixelsMatch, pixelSha256Prefix, sameModel, writeContainer, type CoderParamsVersion, type ContainerHeader } from './container.ts';
import { chainSchedule, type ChainSchedule } from './schedule.ts';
import { chunkLayout, gatherPixels, MODEL_CHANNELS, scatterPixels, tiling, type Plane, type Tiling } from './tiling.ts';

/**
 * From coder parameters version 4 a file's first chunk (one patch, funded by seed words, which
 * are pure overhead) has its own settings: κ = OPENING_GRID_FACTOR whatever the header's κ
 * (each pop costs ≈ log2(4.13/κ) bits per dimension before any push repays it), and its
 * pixels coded under p(x | z_0) alone, because p(x | z_0, z_1) needs all of z_1 popped before
 * the first pixel is pushed. Measured on the shipped model: the seed of one 32×32 patch 0.32
 * bpd against 1.0 with z_1 popped first; on 256×256 crops at κ = 1.5 the seed was 0.032 bpd
 * (0.9% of the file) while the opening chunk shared the header's κ, 0.005 with κ = 3.
 */
export const OPENING_GRID_FACTOR = 3;

/**
 * From version 5 the opening chunk's grids are one of these, chosen per file by the encoder
 * (the cheapest opening chunk, seed included) and pushed as a symbol: κ = `first` for z_0 and
 * z_1, the latents popped before the pushes have repaid much, and κ = `rest` for z_2 … z_T.
 * Finer grids after the first two latents lose less to discretisation but deepen the hole
 * the chunk digs where its pushes are cheap (smooth pictures), so no single choice wins:
 * measured on the shipped model, single 32×32 files (40 each of `fixtures/crops32` and the
 * smooth validation crops `runs/val32`), file bpd: κ = 3 throughout 5.707 / 4.754; 3.5 / 2
 * alone 5.247 / –; 4 / 2 alone 5.328 / 4.970; the encoder's choice among the first three
 * 5.211 / 4.565, among all five 5.204 / 4.519.
 */
export const OPENING_GRIDS = [
  { first: OPENING_GRID_FACTOR, rest: OPENING_GRID_FACTOR },
  { first: 3.5, rest: 2 },
  { first: 4, rest: 2 },
  { first: 3, rest: 2.5 },
  { first: 4.5, rest: 1.75 },
] as const;
const OPENING_COARSE_LATENTS = 2;

/**
 * Default κ (grid width as a fraction of the smaller std at each step, DESIGN §3) by the
 * number of patches coded. Chunks after the opening one are funded by earlier ones and gain
 * from finer grids. Measured on the shipped model with coder parameters version 4 (file over
 * −ELBO, κ = 1.25 / 1.5 / 2): 256×256 crops of coffee and astronaut +0.6 / +1.0 / – and +0.2 /
 * +0.5 / –; 128×128 coffee +0.6 / +1.1 / +3.1%; 64×64 crops (4 patches) about +7.6 / +8.0 /
 * +8.9% (there the seed and the opening patch dominate). One patch is all opening chunk.
 */
export function defaultGridFactor(patches: number): number {
  return patches <= 1 ? OPENING_GRID_FACTOR : 1.25;
}
/** Most patches the network sees in one batch. */
export const MAX_CHUNK_PATCHES = 64;
/** κ range: bin·δ stays far from overflow (|bin| < 2^31, δ ≤ 2^10·std) and δ stays meaningful. */
export const MIN_GRID_FACTOR = 2 ** -20;
export const MAX_GRID_FACTOR = 2 ** 10;
const SEED = 0x5eed_b175;
const WORD = 1 << 16;
/** √(2πe): the entropy of N(μ, σ²) on a grid δ is log2(√(2πe)·σ/δ) bits. */
const GAUSSIAN_ENTROPY_FACTOR = 4.1327;

export interface CodingProgress {
  stepsDone: number;
  stepsTotal: number;
}

export interface CoderOptions {
  /** κ (default: `defaultGridFactor` of the image's patch count), rounded to float32 as the header stores it. */
  gridFactor?: number;
  onProgress?: (p: CodingProgress) => void;
}

function planes(channels: number): { colour: Plane; alpha?: Extract<Plane, { kind: 'grey' }> } {
  switch (channels) {
    case 1:
      return { colour: { kind: 'grey', channel: 0 } };
    case 2:
      return { colour: { kind: 'grey', channel: 0 }, alpha: { kind: 'grey', channel: 1 } };
    case 3:
      return { colour: { kind: 'rgb' } };
    default:
      return { colour: { kind: 'rgb' }, alpha: { kind: 'grey', channel: 3 } };
  }
}

/** The alpha channel's value if it is the same everywhere (then it costs 9 bits in all). */
function constantChannel(image: Image, channel: number): number | undefined {
  const { data, channels } = image;
  const first = data[channel];
  for (let k = channel; k < data.length; k += channels) if (data[k] !== first) return undefined;
  return first;
}

/** The planes the bits-back chain codes for this image: colour, and alpha unless constant. */
export function codedPlanes(image: Image): Plane[] {
  const { colour, alpha } = planes(image.channels);
  return alpha && constantChannel(image, alpha.channel) === undefined ? [colour, alpha] : [colour];
}

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
 * grid (q(z_1 | x) where the chain starts there, version 4), plus a margin. A chunk runs about
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
  /** The opening chunk's possible schedules (see OPENING_GRIDS); one before version 5. */
  openings: ChainSchedule[];
  /** The schedule of the chunk that starts at patch `first`, given the file's opening schedule. */
  scheduleAt: (first: number, opening: number) => ChainSchedule;
  tiles: Tiling;
  /** The planes coded per chunk, in encoding order: colour, then alpha if it is not constant. */
  planes: Plane[];
  progress: (steps: number) => void;
  /** Adds the steps of a discarded attempt to the total, so stepsDone never passes it. */
  discard: (steps: number) => void;
}

function codingSetup(bundle: ModelBundle, engine: IntegerEngine, width: number, height: number, planes: Plane[], gridFactor: number, version: CoderParamsVersion, options: CoderOptions): Coding {
  if (bundle.meta.config.channels !== MODEL_CHANNELS) throw new VdmzipError('INVALID_ARGUMENT', `the coder needs a ${MODEL_CHANNELS}-channel model; this model has ${bundle.meta.config.channels}`);
  const tiles = tiling(width, height, bundle.meta.config.patch);
  const schedule = chainSchedule(bundle, gridFactor, version);
  let stepsTotal = tiles.count * schedule.T * planes.length;
  let stepsDone = 0;
  const progress = (steps: number) => {
    stepsDone += steps;
    options.onProgress?.({ stepsDone, stepsTotal });
  };
  const discard = (steps: number) => {
    stepsTotal += steps;
  };
  const openings = version >= 5 ? OPENING_GRIDS.map((grids) => openingSchedule(bundle, version, grids)) : version === 4 ? [openingSchedule(bundle, version, OPENING_GRIDS[0])] : [schedule];
  return { denoiser: new Denoiser(bundle, engine), schedule, openings, scheduleAt: (first, opening) => (first === 0 ? openings[opening] : schedule), tiles, planes, progress, discard };
}

/** The opening chunk's schedule: pixels under p(x | z_0) alone (see OPENING_GRID_FACTOR), its own grids. */
function openingSchedule(bundle: ModelBundle, version: CoderParamsVersion, grids: { first: number; rest: number }): ChainSchedule {
  const rest = chainSchedule(bundle, grids.rest, version);
  const first = chainSchedule(bundle, grids.first, version);
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

export async function compressImage(image: Image, bundle: ModelBundle, engine: IntegerEngine, options: CoderOptions = {}): Promise<Uint8Array> {
  checkImage(image);
  const patches = tiling(image.width, image.height, bundle.meta.config.patch).count * codedPlanes(image).length;
  const gridFactor = codedGridFactor(options.gridFactor ?? defaultGridFactor(patches));
  const alphaChannel = planes(image.channels).alpha;
  const alphaValue = alphaChannel ? constantChannel(image, alphaChannel.channel) : undefined;
  const c = codingSetup(bundle, engine, image.width, image.height, codedPlanes(image), gridFactor, CODER_PARAMS_VERSION, options);
  const dimsPerPixel = c.planes.reduce((sum, plane) => sum + (plane.kind === 'rgb' ? 3 : 1), 0);
  const patchPixels = bundle.meta.config.patch ** 2;
  const needPerPatch = 2 * bitsNeededPerDim(c.schedule) * dimsPerPixel * patchPixels;

  // The first chunk is one patch funded by seed words; each later chunk takes as many
  // patches as the bits already on the message can fund. No chunk may pop past the bottom
  // of the message (it would read zeros: valid, but poor samples), so the decoder can treat
  // a borrowing chunk as damage. A chunk that borrows is coded again with half the patches;
  // a single patch that still borrows restarts the file with more seed words.
  const stepsPerPatch = c.schedule.T * c.planes.length;
  const codeChunk = async (message: Message, first: number, n: number, opening: number, report = true): Promise<number> => {
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
  };
  const seeded = (count: number) => {
    const message = new Message();
    for (const word of seedWords(count)) pushUniform(message, word, WORD);
    return message;
  };
  const encodeAll = async (seedCount: number, opening: number): Promise<{ m: Message; chunkSizes: number[] } | undefined> => {
    let m = seeded(seedCount);
    const chunkSizes: number[] = [];
    let stepsCoded = 0;
    for (let first = 0; first < c.tiles.count; ) {
      const affordable = first === 0 ? 1 : Math.floor((m.bitLength() - 64) / needPerPatch);
      let n = Math.max(1, Math.min(c.tiles.count - first, MAX_CHUNK_PATCHES, affordable));
      for (;;) {
        const attempt = m.clone();
        await codeChunk(attempt, first, n, opening);
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
  };
  // A dry run of the opening chunk on a generous seed, per opening schedule, measures how deep
  // it reaches and what it costs with that seed; the cheapest is used, and the real seed
  // covers its depth, plus a margin that grows while a run still borrows.
  const firstPatchDims = Math.min(patchPixels, image.width * image.height) * dimsPerPixel;
  let opening = 0;
  let depth = Infinity;
  let cheapest = Infinity;
  for (let k = 0; k < c.openings.length; k++) {
    const dry = seeded(Math.ceil((3 * bitsNeededPerDim(c.openings[k]) * firstPatchDims) / 16));
    const start = dry.bitLength();
    const reach = -(await codeChunk(dry, 0, 1, k, false));
    const cost = reach + dry.bitLength() - start;
    if (cost < cheapest) [opening, depth, cheapest] = [k, reach, cost];
  }
  let seedCount = Math.ceil((depth + 32) / 16);
  let coded: { m: Message; chunkSizes: number[] } | undefined;
  while (!(coded = await encodeAll(seedCount, opening))) seedCount = Math.ceil(seedCount * 1.1) + 2;
  const { m, chunkSizes } = coded;
  if (c.openings.length > 1) pushUniform(m, opening, c.openings.length);
  if (alphaChannel) {
    if (alphaValue !== undefined) pushUniform(m, alphaValue, 256);
    pushUniform(m, alphaValue === undefined ? 0 : 1, 2);
  }

  const header: ContainerHeader = {
    modelId: bundle.id,
    width: image.width,
    height: image.height,
    channels: image.channels,
    bitDepth: 8,
    steps: bundle.meta.config.T,
    patchSize: bundle.meta.config.patch,
    coder: { version: CODER_PARAMS_VERSION, gridFactor, chunkSizes, seedWords: seedCount },
    pixelSha256Prefix: pixelSha256Prefix(image.data),
  };
  return writeContainer(header, m.toBytes());
}

/** Checks that a parsed file belongs to this model before any decoding work. */
export function checkModel(header: ContainerHeader, bundle: ModelBundle): void {
  if (!sameModel(header.modelId, bundle.id)) {
    throw new VdmzipError('MODEL_MISMATCH', `made with model ${header.modelId.slice(0, 16)}…, but the model given is ${bundle.id.slice(0, 16)}…`);
  }
  const { T, patch } = bundle.meta.config;
  if (header.steps !== T || header.patchSize !== patch) throw new VdmzipError('CORRUPT', `T=${header.steps}, patch ${header.patchSize} do not match the model's T=${T}, patch ${patch}`);
}

export async function decompressImage(bytes: Uint8Array, bundle: ModelBundle, engine: IntegerEngine, options: CoderOptions = {}): Promise<Image> {
  const { header, payload } = parseContainer(bytes);
  checkModel(header, bundle);
  const { width, height, channels, coder } = header;
  const corrupt = (why: string) => new VdmzipError('CORRUPT', why);
  if (!(coder.gridFactor >= MIN_GRID_FACTOR && coder.gridFactor <= MAX_GRID_FACTOR)) throw corrupt(`grid factor ${coder.gridFactor} is out of range`);
  const total = coder.chunkSizes.reduce((a, b) => a + b, 0);
  if (total !== tiling(width, height, header.patchSize).count) throw corrupt('the chunk schedule does not cover the image');
  if (coder.chunkSizes.some((n) => n > MAX_CHUNK_PATCHES)) throw corrupt(`a chunk exceeds ${MAX_CHUNK_PATCHES} patches`);

  let m: Message;
  try {
    m = Message.fromBytes(payload);
  } catch (error) {
    throw corrupt(`payload is not a valid rANS message (${(error as Error).message})`);
  }
  const image: Image = { width, height, channels, data: new Uint8Array(width * height * channels) };
  const { colour, alpha: alphaChannel } = planes(channels);
  let alphaValue: number | undefined;
  if (alphaChannel && popUniform(m, 2) === 1) alphaValue = popUniform(m, 256);
  const coded = alphaChannel && alphaValue === undefined ? [colour, alphaChannel] : [colour];
  const c = codingSetup(bundle, engine, width, height, coded, coder.gridFactor, coder.version, options);
  if (alphaChannel && alphaValue !== undefined) {
    for (let k = alphaChannel.channel; k < image.data.length; k += channels) image.data[k] = alphaValue;
  }
  const opening = c.openings.length > 1 ? popUniform(m, c.openings.length) : 0;
  let end = total;
  for (let k = coder.chunkSizes.length - 1; k >= 0; k--) {
    const n = coder.chunkSizes[k];
    const first = end - n;
    const s = c.scheduleAt(first, opening);
    for (const plane of [...c.planes].reverse()) {
      const layout = chunkLayout(c.tiles, first, n, plane, s.contextMargin, image);
      scatterPixels(image, c.tiles, first, n, plane, await decodeChunk(m, layout, s, c.denoiser, () => c.progress(n)));
    }
    // The encoder never lets a chunk borrow, so borrowing here means damage: stop after one
    // chunk instead of decoding a forged image of any claimed size.
    if (m.borrowedWords !== 0) throw corrupt('the payload ran out: damaged file, or another model or engine');
    end = first;
  }
  // n seed words pushed on an empty message leave exactly n tail words (each 16-bit uniform
  // push emits one word), so check the size before materialising the expected words.
  if (m.borrowedWords !== 0 || m.byteLength() !== 8 + 2 * coder.seedWords) throw corrupt('decoding did not end at the seed: wrong model, engine or damaged file');
  const expected = seedWords(coder.seedWords);
  for (let k = expected.length - 1; k >= 0; k--) {
    if (popUniform(m, WORD) !== expected[k]) throw corrupt('decoding did not end at the seed: wrong model, engine or damaged file');
  }
  if (!m.equals(new Message())) throw corrupt('data left over after decoding');
  if (!pixelsMatch(header, image.data)) throw corrupt('decoded pixels fail their checksum');
  return image;
}
