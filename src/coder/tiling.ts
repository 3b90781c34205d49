// Tiling an image into the model's P×P patches. Patches are taken in raster order; a chunk
// is a run of consecutive patches. Dimensions outside the image are padding: never coded.
//
// Planes: the model codes 3 channels. An RGB plane codes all three; a grey plane (the grey
// channel of a grey image, or the alpha channel) codes R and ties G and B to it, so the
// model sees a grey picture and only one value per pixel is coded.

import type { Image } from '../image/index.ts';
import type { PatchBlock } from '../model/denoiser.ts';
import type { ChunkLayout } from './chain.ts';

export const MODEL_CHANNELS = 3;

export type Plane = { kind: 'rgb' } | { kind: 'grey'; channel: number };

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

export function chunkLayout(t: Tiling, first: number, n: number, plane: Plane): ChunkLayout {
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
  return { patches: n, patchSize: t.patch * t.patch * MODEL_CHANNELS, active: Int32Array.from(active), tied: Int32Array.from(tied), blocks: chunkBlocks(t, first, n) };
}

/**
 * The chunk's patches as up to three rectangles (see PatchBlock): the rest of its first row
 * of patches, the full rows, and the start of its last row.
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
