// Tiling an image into the model's P×P patches. Patches are taken in raster order; a chunk
// is a run of consecutive patches. Dimensions outside the image are padding: never coded.
//
// Planes: the model codes 3 channels. An RGB plane codes all three; a grey plane (the grey
// channel of a grey image, or the alpha channel) codes R and ties G and B to it, so the
// model sees a grey picture and only one value per pixel is coded.
//
// Specified in docs/format.md §3, §8.2–§8.3.

import type { Image } from '../image/index.ts';

export interface ChunkLayout {
  /** Patches in the chunk. */
  patches: number;
  /** Values per patch: P·P·C of the model. */
  patchSize: number;
  /** Indices (into patches·patchSize) of the coded dimensions, ascending. */
  active: Int32Array;
  /** Pairs [target, source]: target copies source after every update. */
  tied: Int32Array;
  /** The rectangles of the image the network runs over: each of the chunk's patches lies in the own part of exactly one. */
  canvases: BlockCanvas[];
  /** Pixels of later chunks that canvases show as context. */
  context: ChunkContext;
}

/**
 * A rectangle the network runs over at once: the block's own patches fill its top-left
 * ownWidth × ownHeight pixels; the rest (the context margin) shows pixels to their right and
 * below. `sources` says, per canvas pixel in raster order, where its latent comes from: the
 * chunk's own patch pixel (its patch-order slot, ≥ 0), padding (−1: z = 0), or context pixel
 * k (−2 − k), see tiling.ts.
 */
export interface BlockCanvas {
  width: number;
  height: number;
  ownWidth: number;
  ownHeight: number;
  sources: Int32Array;
}

/**
 * Context pixels: known to both sides before the chunk is coded (they belong to chunks the
 * decoder has already decoded). At step i the network sees them as z = α_i·v + σ_i·ε with ε
 * from `contextNoise`, a sample of what q(z_i | x) gives them.
 */
export interface ChunkContext {
  /** Image pixel index (y·width + x) of each context pixel: with the step, it seeds ε. */
  positions: Int32Array;
  /** The pixel value of each context pixel, three model channels each. */
  pixels: Int32Array;
  /** A grey plane's context uses one ε for all three channels, as its tied dimensions do. */
  grey: boolean;
}

export const MODEL_CHANNELS = 3;

export type Plane = { kind: 'rgb' } | { kind: 'grey'; channel: number };

/** Most patches the network sees in one batch. */
export const MAX_CHUNK_PATCHES = 64;

/** An image's colour plane, and its alpha plane if it has one. */
export function planes(channels: number): { colour: Plane; alpha?: Extract<Plane, { kind: 'grey' }> } {
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
export function constantChannel(image: Image, channel: number): number | undefined {
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

export interface Tiling {
  width: number;
  height: number;
  patch: number;
  across: number;
  down: number;
  count: number;
}

export function tiling(width: number, height: number, patch: number): Tiling {
  const across = Math.ceil(width / patch);
  const down = Math.ceil(height / patch);
  return { width, height, patch, across, down, count: across * down };
}

/** Visits each pixel of patches [first, first + n) that lies inside the image. */
function forEachPixel(t: Tiling, first: number, n: number, visit: (slot: number, x: number, y: number) => void): void {
  const { patch } = t;
  for (let j = 0; j < n; j++) {
    const index = first + j;
    const x0 = (index % t.across) * patch;
    const y0 = Math.floor(index / t.across) * patch;
    const rows = Math.min(patch, t.height - y0);
    const cols = Math.min(patch, t.width - x0);
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < cols; x++) visit((j * patch + y) * patch + x, x0 + x, y0 + y);
    }
  }
}

/**
 * The layout of patches [first, first + n) for one plane. With `margin` > 0 (the coder's
 * CONTEXT_MARGIN, schedule.ts) each rectangle of the chunk's patches is widened by `margin` pixels to the right
 * and below wherever the patch grid continues there: those pixels belong to the chunk itself
 * or to later chunks, which the decoder has already decoded (it runs the chunks in reverse),
 * so `image` (whose later chunks must be filled in) supplies them as context.
 */
export function chunkLayout(t: Tiling, first: number, n: number, plane: Plane, margin = 0, image?: Image): ChunkLayout {
  const active: number[] = [];
  const tied: number[] = [];
  forEachPixel(t, first, n, (slot) => {
    const base = slot * MODEL_CHANNELS;
    if (plane.kind === 'rgb') {
      active.push(base, base + 1, base + 2);
    } else {
      active.push(base);
      tied.push(base + 1, base, base + 2, base);
    }
  });
  const context = { positions: [] as number[], pixels: [] as number[] };
  const canvases = chunkBlocks(t, first, n).map((block) => blockCanvas(t, first, n, block, margin, image, plane, context));
  return {
    patches: n,
    patchSize: t.patch * t.patch * MODEL_CHANNELS,
    active: Int32Array.from(active),
    tied: Int32Array.from(tied),
    canvases,
    context: { positions: Int32Array.from(context.positions), pixels: Int32Array.from(context.pixels), grey: plane.kind === 'grey' } satisfies ChunkContext,
  };
}

/** A rectangle of `across` × `rows` patches, filled in raster order from the chunk's patch `first` onwards. */
interface PatchBlock {
  first: number;
  across: number;
  rows: number;
}

/**
 * The chunk's patches as up to three rectangles: the rest of its first row of patches, the
 * full rows, and the start of its last row.
 */
function chunkBlocks(t: Tiling, first: number, n: number): PatchBlock[] {
  const blocks: PatchBlock[] = [];
  const end = first + n;
  let at = first;
  const add = (across: number, rows: number) => {
    if (across > 0 && rows > 0) blocks.push({ first: at - first, across, rows });
    at += across * rows;
  };
  const column = at % t.across;
  if (column !== 0) add(Math.min(t.across - column, end - at), 1);
  add(t.across, Math.floor((end - at) / t.across));
  add(end - at, 1);
  return blocks;
}

/** Canvas source of a pixel outside the image: it stays at z = 0, like padding in a patch. */
export const PADDING_SOURCE = -1;
/** Canvas source of context pixel k, and back. */
const contextSource = (k: number) => -2 - k;
export const contextIndex = (source: number) => -2 - source;

/**
 * The canvas the network runs over for one block: the block's patches in place, then the
 * margin. Context pixels are collected in `context` (pixel values, three per pixel; a grey
 * plane repeats its channel, like its tied dimensions).
 */
function blockCanvas(t: Tiling, first: number, n: number, block: PatchBlock, margin: number, image: Image | undefined, plane: Plane, context: { positions: number[]; pixels: number[] }): BlockCanvas {
  const { patch } = t;
  const start = first + block.first;
  const x0 = (start % t.across) * patch;
  const y0 = Math.floor(start / t.across) * patch;
  const ownWidth = block.across * patch;
  const ownHeight = block.rows * patch;
  // The margin stops at the patch grid's edge (both are multiples of the network's stride).
  const width = ownWidth + Math.min(margin, t.across * patch - x0 - ownWidth);
  const height = ownHeight + Math.min(margin, t.down * patch - y0 - ownHeight);
  const sources = new Int32Array(width * height);
  const slotOf = (index: number, x: number, y: number) => ((index - first) * patch + (y % patch)) * patch + (x % patch);
  for (let cy = 0; cy < height; cy++) {
    for (let cx = 0; cx < width; cx++) {
      const x = x0 + cx;
      const y = y0 + cy;
      const index = Math.floor(y / patch) * t.across + Math.floor(x / patch);
      let source: number;
      if (index >= first && index < first + n) source = slotOf(index, x, y);
      else if (x >= t.width || y >= t.height) source = PADDING_SOURCE;
      else {
        if (index < first || !image) throw new Error(`context pixel (${x}, ${y}) is not in a later chunk`);
        source = contextSource(context.positions.length);
        context.positions.push(y * t.width + x);
        const base = (y * t.width + x) * image.channels;
        for (let c = 0; c < MODEL_CHANNELS; c++) context.pixels.push(image.data[base + (plane.kind === 'rgb' ? c : plane.channel)]);
      }
      sources[cy * width + cx] = source;
    }
  }
  return { width, height, ownWidth, ownHeight, sources };
}

/** The plane's pixel values for the chunk, in the layout's active order. */
export function gatherPixels(image: Image, t: Tiling, first: number, n: number, plane: Plane): Int32Array {
  const out: number[] = [];
  const c = image.channels;
  forEachPixel(t, first, n, (_slot, x, y) => {
    const base = (y * image.width + x) * c;
    if (plane.kind === 'rgb') out.push(image.data[base], image.data[base + 1], image.data[base + 2]);
    else out.push(image.data[base + plane.channel]);
  });
  return Int32Array.from(out);
}

/** Writes decoded plane values (in active order) back into the image. */
export function scatterPixels(image: Image, t: Tiling, first: number, n: number, plane: Plane, values: Int32Array): void {
  const c = image.channels;
  let k = 0;
  forEachPixel(t, first, n, (_slot, x, y) => {
    const base = (y * image.width + x) * c;
    if (plane.kind === 'rgb') {
      image.data[base] = values[k++];
      image.data[base + 1] = values[k++];
      image.data[base + 2] = values[k++];
    } else {
      image.data[base + plane.channel] = values[k++];
    }
  });
}
