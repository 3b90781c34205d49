// Specified in docs/format.md §7.3, §7.7.
/**
 * The causal neighbourhood of a sample, for the predictive coder: its neighbours in the same
 * channel, in the plane of differences to the channel before, and the classic predictions
 * and activity measures made from them. Missing neighbours (image borders) take stand-ins
 * from the nearest present ones, so every sample but the image's first has a full set.
 */

/** A sample's neighbours above (N), left (W), above-left (NW) and above-right (NE). */
export type Neighbours = { n: number; w: number; nw: number; ne: number };

/**
 * Writes to `out` the same channel's values above (N), left (W), above-left (NW) and
 * above-right (NE) of sample `index` at column x; missing ones repeat the nearest present (the
 * first row takes W for all, the first column N). Not for the first pixel, which has none.
 * (Into an object the caller keeps: this runs for every sample, and a new object each time
 * is garbage each time.)
 */
export function neighboursInto(out: Neighbours, samples: Uint8Array, width: number, channels: number, index: number, x: number, hasN: boolean): Neighbours {
  const row = width * channels;
  const hasW = x > 0;
  const n = hasN ? samples[index - row] : samples[index - channels];
  const w = hasW ? samples[index - channels] : n;
  out.n = n;
  out.w = w;
  out.nw = hasN && hasW ? samples[index - row - channels] : hasN ? n : w;
  out.ne = hasN && x + 1 < width ? samples[index - row + channels] : n;
  return out;
}

/**
 * Writes to `out` the neighbours in the plane of differences to the channel before, from the
 * sample's neighbours (`own`) and those of the sample one channel back (`before`): the
 * stand-ins depend only on the position, so they carry over.
 */
export function differenceNeighboursInto(out: Neighbours, own: Neighbours, before: Neighbours): Neighbours {
  out.n = own.n - before.n;
  out.w = own.w - before.w;
  out.nw = own.nw - before.nw;
  out.ne = own.ne - before.ne;
  return out;
}

/**
 * The mean of two classic predictors: LOCO-I's median edge detector (N or W across an edge,
 * the plane W + N − NW elsewhere) and the smooth (N + W)/2 + (NE − NW)/4. On 220 crops of the
 * training photos the blend codes at 3.70 bpd, MED alone 3.73, the smooth one alone 3.79
 * (under one Gaussian, without the learning that follows).
 */
export function prediction({ n, w, nw, ne }: Neighbours): number {
  const lo = Math.min(n, w);
  const hi = Math.max(n, w);
  const median = nw >= hi ? lo : nw <= lo ? hi : n + w - nw;
  return (median + (n + w) / 2 + (ne - nw) / 4) / 2;
}

/** The mean absolute gradient between neighbours N, W, NW, NE. */
export function activity({ n, w, nw, ne }: Neighbours): number {
  return (Math.abs(n - nw) + Math.abs(w - nw) + Math.abs(ne - n)) / 3;
}

/** How many features `neighbourhoodFeatures` writes. */
export const NEIGHBOURHOOD_FEATURES = 20;

/**
 * The features of the least-squares mean for sample `index` in channel c, whose
 * prediction so far is p, whose earlier channels' residuals are r1, r2 and whose neighbours
 * (and, for c > 0, difference-plane neighbours) the caller has found: the twelve nearest
 * causal neighbours in its channel (N, W, NW, NE, NN, WW, NNE, NEE, NNW, NWW, NNEE, WWW) and
 * the four nearest in the difference plane (added to the channel before; the channel itself
 * for the first), each minus p; r1, r2; and the channel before's vertical and horizontal steps.
 */
export function neighbourhoodFeatures(
  samples: Uint8Array,
  width: number,
  channels: number,
  index: number,
  x: number,
  hasN: boolean,
  c: number,
  p: number,
  r1: number,
  r2: number,
  { n, w, nw, ne }: Neighbours,
  /** The difference-plane neighbours: given exactly when c > 0. */
  differences: Neighbours | undefined,
  out: Float64Array,
): void {
  const row = width * channels;
  const hasNN = hasN && index >= 2 * row;
  const hasW = x > 0;
  const before = c > 0 ? samples[index - 1] : 0;
  out[0] = n - p;
  out[1] = w - p;
  out[2] = nw - p;
  out[3] = ne - p;
  out[4] = (hasNN ? samples[index - 2 * row] : n) - p;
  out[5] = (x > 1 ? samples[index - 2 * channels] : w) - p;
  out[6] = (hasNN && x + 1 < width ? samples[index - 2 * row + channels] : ne) - p;
  out[7] = (hasN && x + 2 < width ? samples[index - row + 2 * channels] : ne) - p;
  out[8] = r1;
  out[9] = r2;
  out[10] = c > 0 && hasN ? before - samples[index - 1 - row] : 0;
  out[11] = c > 0 && hasW ? before - samples[index - 1 - channels] : 0;
  out[12] = (differences ? before + differences.n : n) - p;
  out[13] = (differences ? before + differences.w : w) - p;
  out[14] = (differences ? before + differences.nw : nw) - p;
  out[15] = (differences ? before + differences.ne : ne) - p;
  out[16] = (hasNN && hasW ? samples[index - 2 * row - channels] : nw) - p;
  out[17] = (hasN && x > 1 ? samples[index - row - 2 * channels] : nw) - p;
  out[18] = (hasNN && x + 2 < width ? samples[index - 2 * row + 2 * channels] : ne) - p;
  out[19] = (x > 2 ? samples[index - 3 * channels] : w) - p;
}
