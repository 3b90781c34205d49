/**
 * Samples other than 8-bit (docs/format.md §12): the split of each sample into an 8-bit inner
 * sample, which the predictor and the chain code like any 8-bit image, and low bits, which
 * this coder codes with the inner image known whole.
 *
 * A 16-bit photo's low byte is mostly sensor noise, so the low bits get a small model: a
 * discretised Gaussian truncated to the sample's bin (the values its inner sample allows),
 * centred on a guess from the neighbours' full values, with a spread learned per channel and
 * per level of local activity. Smooth images (renders, gradients, scans) get their low bits
 * almost free; noise costs its entropy.
 */
import { Message, popTruncatedGaussian, pushTruncatedGaussian } from '../ans/index.ts';
import { MAX_LOW_BITS, type SampleSplit } from '../format/extended.ts';

/** Activity levels the spread is learned for: bitlen of the activity, 0 … 17. */
const ACTIVITY_LEVELS = 18;
/** The least standard deviation (in sample units) a sample is coded with, so no exact guess costs much when it misses. */
const MIN_STD = 0.25;
/** A level's squared errors and count are halved when the count reaches this, so the spread follows the picture. */
const HALVE_AT = 256;
/** How much of the channel-error choice's past each sample keeps. */
const CHOICE_DECAY = 0.98;

/** Image geometry for the coder. */
export type Layout = { width: number; height: number; channels: number };

/**
 * The split that leaves the fewest low bits for `samples` (§12.1): replicated where every
 * sample is 257 times a byte; else a table of the distinct values where its indices take
 * fewer bits than the shifted values and the table costs at most half of what it saves;
 * else shifted, by the trailing zero bits every sample has.
 */
export function chooseSplit(samples: Uint16Array, maxValue: number): SampleSplit {
  let replicated = maxValue === 0xffff;
  let common = 0;
  let largest = 0;
  const seen = new Uint8Array(0x10000);
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i];
    if (v % 257 !== 0) replicated = false;
    common |= v;
    if (v > largest) largest = v;
    seen[v] = 1;
  }
  if (replicated) return { kind: 'replicated' };
  // The shift: the trailing zero bits every sample has (none for an all-zero image).
  const shift = common === 0 ? 0 : 31 - Math.clz32(common & -common);
  const shiftedBits = bitLength(largest >> shift);
  const table = new Uint16Array(seen.reduce((n, s) => n + s, 0));
  for (let v = 0, n = 0; v <= largest; v++) if (seen[v]) table[n++] = v;
  const tableBits = bitLength(table.length - 1);
  // A table entry takes at most 3 bytes.
  if (tableBits < shiftedBits && 2 * 8 * 3 * table.length <= (shiftedBits - tableBits) * samples.length) {
    return { kind: 'table', table, lowBits: Math.max(0, tableBits - 8) };
  }
  return { kind: 'shifted', shift, lowBits: Math.max(0, shiftedBits - 8) };
}

/** The number of binary digits of n (0 for 0): `bitlen` of docs/format.md §1.5. */
function bitLength(n: number): number {
  return 32 - Math.clz32(n);
}

/** The inner 8-bit samples and the values u the low bits complete (v / 2^shift, or table indices) (§12.1). */
export function splitSamples(samples: Uint16Array, split: SampleSplit): { inner: Uint8Array; values: Uint16Array } {
  const inner = new Uint8Array(samples.length);
  const values = new Uint16Array(samples.length);
  if (split.kind === 'replicated') {
    for (let i = 0; i < samples.length; i++) inner[i] = samples[i] / 257;
    return { inner, values };
  }
  const { lowBits } = split;
  if (split.kind === 'table') {
    const index = new Uint16Array(0x10000);
    split.table.forEach((v, i) => (index[v] = i));
    for (let i = 0; i < samples.length; i++) values[i] = index[samples[i]];
  } else {
    for (let i = 0; i < samples.length; i++) values[i] = samples[i] >> split.shift;
  }
  for (let i = 0; i < samples.length; i++) inner[i] = values[i] >> lowBits;
  return { inner, values };
}

/**
 * The samples from the inner samples and the values u (`values` ignored for a replicated
 * split), or undefined where a value indexes past the table (a damaged file).
 */
export function joinSamples(inner: Uint8Array, values: Uint16Array, split: SampleSplit): Uint16Array | undefined {
  const samples = new Uint16Array(inner.length);
  if (split.kind === 'replicated') for (let i = 0; i < inner.length; i++) samples[i] = 257 * inner[i];
  else if (split.kind === 'shifted') for (let i = 0; i < inner.length; i++) samples[i] = values[i] << split.shift;
  else {
    const { table } = split;
    for (let i = 0; i < inner.length; i++) {
      if (values[i] >= table.length) return undefined;
      samples[i] = table[values[i]];
    }
  }
  return samples;
}

/** Guesses the model chooses between, from the left (L), upper (U) and upper-left (UL) values. */
const GUESSES = 3;

/**
 * The model of §12.2, walked in coding order (pixels in raster order, channels within a
 * pixel): `predict(i)` sets `mean` and `std` for sample i from the values coded before it,
 * `learn(i, value)` records sample i's value.
 *
 * The mean is one of three guesses from the neighbours' values: the plane L + U − UL, LOCO-I's
 * median edge detector, and (L + U) / 2, whichever has erred least lately in this channel; for
 * a channel after the first it adds the previous channel's error at the same pixel where that
 * has helped lately (channels that move together, grey stored as RGB). The spread is learned
 * per channel and level of local activity.
 */
class LowBitsModel {
  mean = 0;
  std = 1;
  private readonly guesses = new Float64Array(GUESSES);
  private guess = 0;
  private level = 0;
  /**
   * Everything learned, as one array (a snapshot is a copy): per channel and activity level,
   * squared errors and their count; per channel, the decayed squared errors of each guess, of
   * the chosen guess alone and with the previous channel's error added.
   */
  readonly state: Float64Array;
  private readonly counts: number;
  private readonly guessErrors: number;
  private readonly alone: number;
  private readonly withPrevious: number;
  /** The previous channel's error at this pixel (value − guess). */
  private previousError = 0;
  private readonly binCentre: number;

  constructor(
    private readonly layout: Layout,
    private readonly inner: Uint8Array,
    readonly values: Uint16Array,
    private readonly lowBits: number,
  ) {
    const levels = layout.channels * ACTIVITY_LEVELS;
    this.counts = levels;
    this.guessErrors = 2 * levels;
    this.alone = this.guessErrors + GUESSES * layout.channels;
    this.withPrevious = this.alone + layout.channels;
    this.state = new Float64Array(this.withPrevious + layout.channels);
    // Each level starts from one pseudo-observation, the variance of a value uniform over its
    // bin, which the halving then wears away.
    this.state.fill(2 ** (2 * lowBits) / 12, 0, levels);
    this.state.fill(1, levels, 2 * levels);
    this.binCentre = (2 ** lowBits - 1) / 2;
  }

  predict(i: number): void {
    const { width, channels } = this.layout;
    const pixel = Math.floor(i / channels);
    const x = pixel % width;
    const y = (pixel - x) / width;
    const c = i - pixel * channels;
    const row = width * channels;
    const v = this.values;
    const state = this.state;
    let activity = 0;
    if (x > 0 && y > 0) {
      const left = v[i - channels];
      const up = v[i - row];
      const upLeft = v[i - row - channels];
      const low = Math.min(left, up);
      const high = Math.max(left, up);
      this.guesses[0] = left + up - upLeft;
      this.guesses[1] = upLeft >= high ? low : upLeft <= low ? high : left + up - upLeft;
      this.guesses[2] = (left + up) / 2;
      activity = Math.abs(left - upLeft) + Math.abs(up - upLeft);
      if (x < width - 1) activity += Math.abs(up - v[i - row + channels]);
    } else {
      this.guesses.fill(x > 0 ? v[i - channels] : y > 0 ? v[i - row] : this.inner[i] * 2 ** this.lowBits + this.binCentre);
    }
    let best = 0;
    const errors = this.guessErrors + GUESSES * c;
    for (let g = 1; g < GUESSES; g++) if (state[errors + g] < state[errors + best]) best = g;
    this.guess = this.guesses[best];
    this.mean = c > 0 && state[this.withPrevious + c] < state[this.alone + c] ? this.guess + this.previousError : this.guess;
    this.level = c * ACTIVITY_LEVELS + Math.min(ACTIVITY_LEVELS - 1, bitLength(activity));
    this.std = Math.max(MIN_STD, Math.sqrt(state[this.level] / state[this.counts + this.level]));
  }

  learn(i: number, value: number): void {
    const state = this.state;
    this.values[i] = value;
    const error = value - this.mean;
    const s = this.level;
    state[s] += error * error;
    state[this.counts + s] += 1;
    if (state[this.counts + s] >= HALVE_AT) {
      state[s] /= 2;
      state[this.counts + s] /= 2;
    }
    const c = i % this.layout.channels;
    const errors = this.guessErrors + GUESSES * c;
    for (let g = 0; g < GUESSES; g++) {
      const e = value - this.guesses[g];
      state[errors + g] = state[errors + g] * CHOICE_DECAY + e * e;
    }
    const own = value - this.guess;
    if (c > 0) {
      const withPrevious = own - this.previousError;
      state[this.alone + c] = state[this.alone + c] * CHOICE_DECAY + own * own;
      state[this.withPrevious + c] = state[this.withPrevious + c] * CHOICE_DECAY + withPrevious * withPrevious;
    }
    this.previousError = own;
  }
}

/**
 * Pushes the low bits of `values` (unshifted samples; `inner` their top 8 bits) so that
 * popLowBits, given `inner`, pops them in coding order. Rows are pushed last row first, each
 * from the model's state at its start, so memory stays a row's parameters and a state per row.
 */
export function pushLowBits(m: Message, layout: Layout, inner: Uint8Array, values: Uint16Array, lowBits: number): void {
  const { width, height, channels } = layout;
  const row = width * channels;
  const model = new LowBitsModel(layout, inner, new Uint16Array(values.length), lowBits);
  const stateSize = model.state.length;
  const states = new Float64Array(stateSize * height);
  for (let y = 0; y < height; y++) {
    states.set(model.state, stateSize * y);
    for (let i = y * row; i < (y + 1) * row; i++) {
      model.predict(i);
      model.learn(i, values[i]);
    }
  }
  const lows = new Int32Array(row);
  const means = new Float64Array(row);
  const stds = new Float64Array(row);
  const top = 2 ** lowBits - 1;
  for (let y = height - 1; y >= 0; y--) {
    model.state.set(states.subarray(stateSize * y, stateSize * (y + 1)));
    for (let j = 0, i = y * row; j < row; j++, i++) {
      model.predict(i);
      const base = inner[i] * 2 ** lowBits;
      lows[j] = values[i] - base;
      means[j] = model.mean - base;
      stds[j] = model.std;
      model.learn(i, values[i]);
    }
    for (let j = row - 1; j >= 0; j--) pushTruncatedGaussian(m, lows[j], 0, top, means[j], stds[j]);
  }
}

/** Pops the low bits pushLowBits pushed; returns the unshifted values. */
export function popLowBits(m: Message, layout: Layout, inner: Uint8Array, lowBits: number): Uint16Array {
  const model = new LowBitsModel(layout, inner, new Uint16Array(inner.length), lowBits);
  const top = 2 ** lowBits - 1;
  for (let i = 0; i < inner.length; i++) {
    model.predict(i);
    const base = inner[i] * 2 ** lowBits;
    model.learn(i, base + popTruncatedGaussian(m, 0, top, model.mean - base, model.std));
  }
  return model.values;
}
