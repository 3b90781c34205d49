// The network as the PyTorch trainer (training/) reads it: the config, the node list that
// `buildArchitecture` makes, the flat parameter layout and every constant of the integer
// arithmetic. The trainer interprets this file and retypes none of it, so the architecture
// and its constants keep one definition (architecture.ts, params.ts) on both sides.

import { join } from 'node:path';
import {
  ACT_FRACTION_BITS,
  ACT_MAX,
  BIAS_MAX,
  buildArchitecture,
  FEATURES_PER_CHANNEL,
  HALF_LEVELS,
  PIXEL_LEVELS,
  PIXEL_STD_MIN,
  VARIANCE_LOG2_MAX,
  VARIANCE_LOG2_MIN,
  VARIANCE_LOG2_SCALE,
  WEIGHT_EXPONENT_MAX,
  WEIGHT_MAX,
  type ModelConfig,
  type Node,
} from '../model/architecture.ts';
import { paramLayout, REVERSE_LOG_VARIANCE } from '../model/params.ts';
import { writeAtomically } from '../write-atomically.ts';

export const NETWORK_JSON = 'network.json';
export const NETWORK_FORMAT = 'vdmzip-network';
export const NETWORK_VERSION = 1;

export interface NetworkDescription {
  format: typeof NETWORK_FORMAT;
  version: number;
  config: ModelConfig;
  constants: Record<string, number>;
  /** Names of parameter tensors with a meaning beyond a conv layer's .w/.b/.t. */
  names: { reverseLogVariance: string };
  nodes: Node[];
  /** Flat float32 parameter vector: each tensor's name, shape (conv weights HWIO) and offset. */
  params: { name: string; shape: number[]; offset: number; size: number }[];
  paramCount: number;
}

export function networkDescription(config: ModelConfig): NetworkDescription {
  const layout = paramLayout(config);
  return {
    format: NETWORK_FORMAT,
    version: NETWORK_VERSION,
    config,
    constants: {
      ACT_MAX,
      ACT_FRACTION_BITS,
      WEIGHT_MAX,
      BIAS_MAX,
      WEIGHT_EXPONENT_MAX,
      FEATURES_PER_CHANNEL,
      VARIANCE_LOG2_SCALE,
      VARIANCE_LOG2_MIN,
      VARIANCE_LOG2_MAX,
      PIXEL_STD_MIN,
      PIXEL_LEVELS,
      HALF_LEVELS,
    },
    names: { reverseLogVariance: REVERSE_LOG_VARIANCE },
    nodes: buildArchitecture(config),
    params: layout.specs.map(({ name, shape, offset, size }) => ({ name, shape, offset, size })),
    paramCount: layout.total,
  };
}

/** Writes `network.json` into a training folder (atomically: the trainer may be reading it). */
export function writeNetworkDescription(dir: string, config: ModelConfig): string {
  const path = join(dir, NETWORK_JSON);
  writeAtomically(path, JSON.stringify(networkDescription(config)) + '\n');
  return path;
}
