// Training, as the TypeScript side sees it: a checkpoint folder that the PyTorch trainer
// (training/, run as `python3 -m training`) resumes, and the export of its EMA weights as the
// integer bundle the coder uses. A new run starts here (initial weights and network.json from
// the one definition of the architecture); the optimisation itself runs in PyTorch, on a GPU
// where there is one.
//
// Checkpoint folder (training/checkpoint.py reads and writes the same files):
//   network.json      the network as the trainer reads it (network-description.ts)
//   checkpoint.json   { format: 1, config, precision, step, examples, trainSeconds, paramCount }
//   checkpoint.bin    float32: the parameters, then their EMA (committed with the model)
//   optimizer.bin     float32: Adam's m, v and update count (never committed)
//   train-log.jsonl   one JSON record a line: 'train' windows, 'val' results with γ, events

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VdmzipError } from '../errors.ts';
import { writeAtomically } from '../write-atomically.ts';
import type { ModelConfig, Precision } from '../model/architecture.ts';
import { bundleFromParams, saveBundle, type ModelBundle } from '../model/bundle.ts';
import { writeNetworkDescription } from './network-description.ts';
import { initParams, paramLayout } from '../model/params.ts';
import { findTorchPython, TORCH_HINT, TRAINER_ROOT } from './python.ts';
import { TRAIN_LOG, writeTrainingReport } from './report.ts';

export interface CheckpointMeta {
  format: 1;
  config: ModelConfig;
  precision?: Precision;
  step: number;
  examples: number;
  trainSeconds: number;
  paramCount: number;
}

export interface Checkpoint {
  meta: CheckpointMeta;
  params: Float32Array;
  ema: Float32Array;
}

const CHECKPOINT_JSON = 'checkpoint.json';
const CHECKPOINT_BIN = 'checkpoint.bin';

/** Loads a checkpoint's weights and their EMA. */
export function loadCheckpoint(dir: string): Checkpoint {
  const meta = JSON.parse(readFileSync(join(dir, CHECKPOINT_JSON), 'utf8')) as CheckpointMeta;
  const bytes = readFileSync(join(dir, CHECKPOINT_BIN));
  const weights = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const n = paramLayout(meta.config).total;
  if (meta.paramCount !== n || weights.length !== 2 * n) throw new VdmzipError('CORRUPT', 'checkpoint does not match its config', { file: dir });
  return { meta, params: weights.slice(0, n), ema: weights.slice(n) };
}

/** Writes a new run's checkpoint: initial weights (EMA = weights), step 0, and its network.json. */
export function createCheckpoint(dir: string, config: ModelConfig, seed: number, precision: Precision = 'integer'): Checkpoint {
  if (existsSync(join(dir, CHECKPOINT_JSON))) throw new VdmzipError('OUTPUT_EXISTS', 'already holds a training checkpoint: pass --resume to continue it', { file: dir });
  mkdirSync(dir, { recursive: true });
  const params = initParams(config, seed);
  const meta: CheckpointMeta = { format: 1, config, precision, step: 0, examples: 0, trainSeconds: 0, paramCount: params.length };
  const weights = new Float32Array(2 * params.length);
  weights.set(params, 0);
  weights.set(params, params.length);
  writeNetworkDescription(dir, config);
  writeAtomically(join(dir, CHECKPOINT_BIN), new Uint8Array(weights.buffer));
  writeAtomically(join(dir, CHECKPOINT_JSON), JSON.stringify(meta, null, 2) + '\n');
  return { meta, params, ema: params.slice() };
}

export interface TrainOptions {
  /** Folders of training images (PNG/PPM), all used together. */
  trainDirs: string[];
  valDir: string;
  /** Checkpoint folder. */
  out: string;
  /** A new run's network; a resumed run keeps its checkpoint's. */
  config: ModelConfig;
  precision?: Precision;
  resume: boolean;
  seed: number;
  /** Options passed to the PyTorch trainer as they are (`python3 -m training --help`). */
  trainerArgs: string[];
}

/**
 * Creates or resumes the checkpoint, refreshes its network.json, and runs the PyTorch trainer
 * on it with its output on this process's stderr. Resolves to the checkpoint it left.
 */
export async function train(options: TrainOptions): Promise<Checkpoint> {
  const python = findTorchPython();
  if (python === null) throw new VdmzipError('USAGE', TORCH_HINT);
  if (options.resume && existsSync(join(options.out, CHECKPOINT_JSON))) writeNetworkDescription(options.out, loadCheckpoint(options.out).meta.config);
  else createCheckpoint(options.out, options.config, options.seed, options.precision);
  const args = ['-m', 'training', '--out', options.out, ...options.trainDirs.flatMap((d) => ['--train', d]), '--val', options.valDir, '--seed', String(options.seed), ...options.trainerArgs];
  const child = spawn(python, args, { cwd: TRAINER_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  // Ctrl-C reaches the trainer too (same process group); it saves a checkpoint and stops, and so do we after it.
  const ignore = () => {};
  process.on('SIGINT', ignore);
  process.on('SIGTERM', ignore);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (status) => resolve(status));
    });
    if (code !== 0) throw new VdmzipError('TRAINING_FAILED', `the PyTorch trainer stopped with exit status ${code} (its message is above)`);
  } finally {
    process.off('SIGINT', ignore);
    process.off('SIGTERM', ignore);
  }
  writeTrainingReport(options.out);
  return loadCheckpoint(options.out);
}

/** Exports a checkpoint's EMA weights as the integer model bundle that the coder uses. */
export function exportCheckpoint(trainingDir: string, bundleDir: string, valBpd?: number): ModelBundle {
  const { meta, ema } = loadCheckpoint(trainingDir);
  if (meta.precision === 'float') throw new VdmzipError('INVALID_ARGUMENT', 'was trained in float32 (for comparison) and cannot be exported for coding', { file: trainingDir });
  const bundle = bundleFromParams(meta.config, ema, { step: meta.step, examples: meta.examples, hours: meta.trainSeconds / 3600, valBpd });
  saveBundle(bundleDir, bundle);
  return bundle;
}

export interface ValidationRecord {
  step: number;
  bpd: number;
  prior: number;
  diffusion: number;
  reconstruction: number;
}

/** The last validation record of a training log, if any. */
export function lastValidation(trainingDir: string): ValidationRecord | undefined {
  const path = join(trainingDir, TRAIN_LOG);
  if (!existsSync(path)) return undefined;
  const records = readFileSync(path, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { kind: string } & ValidationRecord);
  return records.filter((r) => r.kind === 'val').at(-1);
}
