// The one definition of the denoiser network. The ONNX exporter (the coder's engine) and the
// PyTorch trainer (training/, through network.json) interpret the node list built here;
// neither has a hand-written copy of the architecture.
//
// Integer-exact arithmetic (docs/format.md §1): every activation is an integer in
// [-ACT_MAX, ACT_MAX] that stands for the real value int / 2^ACT_FRACTION_BITS; every weight
// is an integer in [-WEIGHT_MAX, WEIGHT_MAX] standing for int / 2^e (a per-layer exponent);
// accumulators stay below 2^24 in magnitude so float32 conv/matmul is exact in any order.
//
// Specified in docs/format.md §8.5, §9.3.

/** 8-bit samples x ∈ {0..255} are the model's data v = (x + 0.5)/HALF_LEVELS − 1 ∈ (−1, 1). */
export const PIXEL_LEVELS = 256;
export const HALF_LEVELS = PIXEL_LEVELS / 2;

/** Activations are integers in [-ACT_MAX, ACT_MAX]; ReLU layers use [0, ACT_MAX]. */
export const ACT_MAX = 127;
/** An activation integer a stands for the real value a / 2^ACT_FRACTION_BITS. */
export const ACT_FRACTION_BITS = 5;
export const WEIGHT_MAX = 127;
/** Largest |bias| integer, in units of the accumulator. */
export const BIAS_MAX = 1 << 20;
/** float32 represents every integer below this exactly. */
export const EXACT_LIMIT = 1 << 24;
/** Weight exponents are clamped to this range (weights of magnitude below 2^-20 are zero). */
export const WEIGHT_EXPONENT_MAX = 20;

export type Activation = 'relu' | 'signed' | 'none';

/** 'integer': the fake-quantised network that equals the coder's; 'float': an unquantised twin, only to measure what the integer constraint costs. */
export type Precision = 'integer' | 'float';

export type Node =
  | { op: 'input'; channels: number }
  | {
      op: 'conv';
      name: string;
      src: number;
      kernel: 1 | 3;
      cin: number;
      cout: number;
      /** Adds a per-coding-step bias vector (the time conditioning). */
      timeBias: boolean;
      /** 'none' leaves the raw accumulator: only the output layer does this. */
      act: Activation;
    }
  | { op: 'add'; a: number; b: number }
  | { op: 'down'; src: number }
  | { op: 'up'; src: number };

export interface ModelConfig {
  /** Image channels modelled jointly (3 for RGB). */
  channels: number;
  /** Side of the square training/coding patch; a multiple of 2^(levels-1). */
  patch: number;
  /** Number of diffusion steps; training and coding use the same T. */
  T: number;
  /** Feature width at each U-net level, full resolution first. */
  widths: number[];
  /** Residual blocks per level on the way down (the way up has one per level). */
  blocks: number;
  /**
   * 'pixel': the network also outputs, per dimension, log2 of a factor on p(z_{i−1} | z_i)'s
   * variance (on top of the per-step k_i), so textured and flat regions get their own
   * uncertainty. Absent (models before it) or 'step': the per-step k_i alone.
   */
  variance?: 'step' | 'pixel';
}

/**
 * The per-dimension log2 variance factor is used rounded to 1/VARIANCE_LOG2_SCALE and clamped
 * to [VARIANCE_LOG2_MIN, VARIANCE_LOG2_MAX], in training and coding alike, so the coder can
 * take its square root from a table built with basic operations only.
 */
export const VARIANCE_LOG2_SCALE = 8;
export const VARIANCE_LOG2_MIN = -4;
export const VARIANCE_LOG2_MAX = 6;

/**
 * Floor, in pixel units, on the std of p(x | z_0, z_1) (its variance var_u·(1 − 1/K) reaches
 * zero where the per-pixel factor makes K ≤ 1): training and coding both clamp to it, so the
 * distribution stays one the coder represents and the loss keeps a gradient.
 */
export const PIXEL_STD_MIN = 1 / 16;

/** Network outputs per pixel: ε̂ for each channel, then (per-pixel variance) a log2 factor for each. */
export function outputChannels(config: ModelConfig): number {
  return config.variance === 'pixel' ? 2 * config.channels : config.channels;
}

/** Input features per image channel: coarse z, nearest-grid ε and nearest pixel value. */
export const FEATURES_PER_CHANNEL = 3;

export function inputChannels(config: ModelConfig): number {
  return config.channels * FEATURES_PER_CHANNEL;
}

/**
 * Builds the node list of the U-net. Node i may only read nodes < i; the last node is the
 * output: the raw accumulator of a conv with `outputChannels` outputs, i.e. ε̂ (and the
 * variance factors) in units of the output layer's accumulator scale.
 */
export function buildArchitecture(config: ModelConfig): Node[] {
  const nodes: Node[] = [{ op: 'input', channels: inputChannels(config) }];
  const push = (node: Node): number => nodes.push(node) - 1;
  const conv = (name: string, src: number, cin: number, cout: number, act: Activation, timeBias = true, kernel: 1 | 3 = 3) =>
    push({ op: 'conv', name, src, kernel, cin, cout, timeBias, act });
  const resBlock = (name: string, x: number, width: number): number => {
    const h = conv(`${name}.conv1`, x, width, width, 'relu');
    const r = conv(`${name}.conv2`, h, width, width, 'signed', false);
    return push({ op: 'add', a: x, b: r });
  };

  const { widths, blocks } = config;
  let x = conv('stem', 0, inputChannels(config), widths[0], 'signed');
  const skips: number[] = [];
  for (let level = 0; level < widths.length; level++) {
    if (level > 0) {
      x = push({ op: 'down', src: x });
      x = conv(`down${level}.proj`, x, widths[level - 1], widths[level], 'signed', false);
    }
    for (let b = 0; b < blocks; b++) x = resBlock(`down${level}.block${b}`, x, widths[level]);
    skips.push(x);
  }
  for (let level = widths.length - 2; level >= 0; level--) {
    x = push({ op: 'up', src: x });
    x = conv(`up${level}.proj`, x, widths[level + 1], widths[level], 'signed', false);
    x = push({ op: 'add', a: x, b: skips[level] });
    x = resBlock(`up${level}.block`, x, widths[level]);
  }
  conv('out', x, widths[0], outputChannels(config), 'none', false);
  checkAccumulatorBound(nodes);
  return nodes;
}

export type ConvNode = Extract<Node, { op: 'conv' }>;

export function convNodes(nodes: Node[]): ConvNode[] {
  return nodes.filter((n): n is ConvNode => n.op === 'conv');
}

/**
 * Refuses an architecture in which some accumulator could reach 2^24: fan-in × max|w| ×
 * max|a| + max|bias| must stay below EXACT_LIMIT, or float32 sums would round.
 */
export function checkAccumulatorBound(nodes: Node[]): void {
  for (const node of convNodes(nodes)) {
    const fanIn = node.kernel * node.kernel * node.cin;
    const worst = fanIn * WEIGHT_MAX * ACT_MAX + BIAS_MAX;
    if (worst >= EXACT_LIMIT) {
      throw new RangeError(
        `layer ${node.name}: fan-in ${fanIn} × ${WEIGHT_MAX} × ${ACT_MAX} + ${BIAS_MAX} = ${worst} ≥ 2^24; ` +
          `its accumulator would not be exact in float32 (at most ${Math.floor((EXACT_LIMIT - 1 - BIAS_MAX) / (WEIGHT_MAX * ACT_MAX * node.kernel * node.kernel))} input channels for a ${node.kernel}×${node.kernel} conv)`,
      );
    }
  }
}

/** Integer range of a conv's output activation. */
export function activationRange(act: Activation): [number, number] {
  return act === 'relu' ? [0, ACT_MAX] : [-ACT_MAX, ACT_MAX];
}
