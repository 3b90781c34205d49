// The training loop: data-parallel over worker threads (one tfjs-wasm instance per core),
// Adam and an EMA of the weights on flat Float32Arrays in the main thread, checkpoints that
// a later session resumes, and a JSONL log with the −ELBO split into its three terms.

import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, appendFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { VdmzipError } from '../errors.ts';
import type { Image } from '../image/index.ts';
import type { ModelConfig } from './architecture.ts';
import type { BackendName } from './backend.ts';
import { loadImageFolder, samplePatches } from './data.ts';
import { mulberry32 } from '../random.ts';
import type { TermSums } from './elbo-tfjs.ts';
import { addPixelVariance, initParams, paramLayout, REVERSE_LOG_VARIANCE, weightExponents } from './params.ts';
import { writeTrainingReport } from './report.ts';
import { gammaValues } from './schedule.ts';
import { bundleFromParams, saveBundle, type ModelBundle } from './bundle.ts';
import type { WorkerRequest } from './train-worker.ts';
import type { Precision } from './vdm.ts';
import { importanceProbabilities, systematicSteps, uniformProbabilities } from './step-sampling.ts';

export type StepSampling = 'uniform' | 'importance';
/** Share of each batch spread evenly over all T steps under importance sampling. */
const UNIFORM_SHARE = 0.25;

export interface TrainOptions {
  trainDir: string;
  valDir: string;
  out: string;
  /** Used for a fresh run; a resumed run keeps the checkpoint's config and precision. */
  config: ModelConfig;
  /**
   * 'pixel' on a resumed per-step-variance checkpoint adds the per-pixel variance output
   * (starting at factor 1, so nothing is lost); a fresh run takes it from `config`.
   */
  variance?: 'step' | 'pixel';
  /** 'float' trains an unquantised twin, only to measure what the integer constraint costs. */
  precision?: Precision;
  resume: boolean;
  batch: number;
  lr: number;
  warmupSteps: number;
  emaDecay: number;
  workers: number;
  backend?: BackendName;
  /** Stop after this many optimiser steps in total (including resumed ones). */
  maxSteps?: number;
  /** Stop after this many hours of this run. */
  hours?: number;
  valEvery: number;
  valPatches: number;
  checkpointMinutes: number;
  seed: number;
  /**
   * Parameter tensors (layout names, e.g. 'gamma.ends') held at their EMA values: their
   * gradient is dropped before clipping and Adam never moves them.
   */
  freeze?: string[];
  /**
   * Side of the training and validation crops (default: the model's patch). The network is
   * fully convolutional and the coder runs it over several patches at once, so crops larger
   * than a patch teach it to use context across patch borders; the weights do not change shape.
   */
  crop?: number;
  /**
   * 'importance' (default) draws each example's diffusion step with probability that follows
   * the steps' share of the −ELBO on the last validation (see step-sampling.ts); 'uniform'
   * draws them evenly.
   */
  stepSampling?: StepSampling;
  onProgress?: (p: Progress) => void;
}

export interface Progress {
  step: number;
  maxSteps?: number;
  examplesPerSecond: number;
  runningBpd: number;
  etaSeconds?: number;
  val?: TermsBpd;
}


export interface TermsBpd {
  bpd: number;
  prior: number;
  diffusion: number;
  reconstruction: number;
}

interface CheckpointMeta {
  format: 1;
  config: ModelConfig;
  /** Absent in checkpoints written before float training existed: 'integer'. */
  precision?: Precision;
  step: number;
  examples: number;
  trainSeconds: number;
  paramCount: number;
}

const CHECKPOINT_JSON = 'checkpoint.json';
const CHECKPOINT_BIN = 'checkpoint.bin';
export const TRAIN_LOG = 'train-log.jsonl';

export interface TrainState {
  meta: CheckpointMeta;
  params: Float32Array;
  ema: Float32Array;
  optimizer: AdamState;
}

interface AdamState {
  /** Updates made since m and v were last zeroed: drives bias correction and warm-up. */
  updates: number;
  m: Float32Array;
  v: Float32Array;
}

const OPTIMIZER_BIN = 'optimizer.bin';

function readFloats(path: string): Float32Array {
  const bytes = readFileSync(path);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/**
 * Loads weights and EMA (committed with the model, so any session can resume) and, when this
 * machine still has it, the optimiser state (a few times larger, so never committed; without
 * it Adam restarts with a fresh warm-up).
 */
export function loadCheckpoint(dir: string): TrainState & { lacksReverseVariance: boolean } {
  const meta = JSON.parse(readFileSync(join(dir, CHECKPOINT_JSON), 'utf8')) as CheckpointMeta;
  const weights = readFloats(join(dir, CHECKPOINT_BIN));
  const layout = paramLayout(meta.config);
  const n = layout.total;
  // Checkpoints written before the reverse variance was learned hold a prefix of the layout.
  const stored = meta.paramCount;
  const lacksReverseVariance = stored === n - layout.byName.get(REVERSE_LOG_VARIANCE)!.size;
  if (weights.length !== 2 * stored || (stored !== n && !lacksReverseVariance)) throw new VdmzipError('CORRUPT', 'checkpoint does not match its config', { file: dir });
  const extend = (part: Float32Array) => {
    const full = new Float32Array(n);
    full.set(part);
    return full;
  };
  let optimizer: AdamState = { updates: 0, m: new Float32Array(n), v: new Float32Array(n) };
  if (existsSync(join(dir, OPTIMIZER_BIN))) {
    const saved = readFloats(join(dir, OPTIMIZER_BIN));
    if (saved.length === 2 * stored + 1) optimizer = { updates: saved[2 * stored], m: extend(saved.subarray(0, stored)), v: extend(saved.subarray(stored, 2 * stored)) };
  }
  meta.paramCount = n;
  return { meta, params: extend(weights.subarray(0, stored)), ema: extend(weights.subarray(stored)), optimizer, lacksReverseVariance };
}

function writeAtomically(path: string, data: Uint8Array | string): void {
  writeFileSync(path + '.tmp', data);
  renameSync(path + '.tmp', path);
}

function saveCheckpoint(dir: string, state: TrainState): void {
  const n = state.meta.paramCount;
  const weights = new Float32Array(2 * n);
  weights.set(state.params, 0);
  weights.set(state.ema, n);
  const optimizer = new Float32Array(2 * n + 1);
  optimizer.set(state.optimizer.m, 0);
  optimizer.set(state.optimizer.v, n);
  optimizer[2 * n] = state.optimizer.updates;
  // Binaries first, then the JSON that describes them, each through a temporary file and a
  // rename, so an interrupted save leaves the previous checkpoint whole.
  writeAtomically(join(dir, CHECKPOINT_BIN), new Uint8Array(weights.buffer));
  writeAtomically(join(dir, OPTIMIZER_BIN), new Uint8Array(optimizer.buffer));
  writeAtomically(join(dir, CHECKPOINT_JSON), JSON.stringify(state.meta, null, 2) + '\n');
}

class WorkerPool {
  private readonly workers: Worker[];
  private readonly queues: Promise<void>[];
  private constructor(workers: Worker[]) {
    this.workers = workers;
    this.queues = workers.map(() => Promise.resolve());
  }

  static async start(count: number, config: ModelConfig, precision: Precision, backend?: BackendName): Promise<WorkerPool> {
    // Worker threads do not inherit tsx's loader, so each registers it before importing the
    // TypeScript worker module (absolute URLs: an eval'd worker resolves from the cwd).
    const bootstrap = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then(({ register }) => { register(); return import(${JSON.stringify(new URL('./train-worker.ts', import.meta.url).href)}); });`;
    const workers = Array.from({ length: count }, () => new Worker(bootstrap, { eval: true, workerData: { config, backend, precision } }));
    await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
      w.once('message', () => resolve());
      w.once('error', reject);
    })));
    return new WorkerPool(workers);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Runs a request on worker `index` after the requests already queued on it. */
  run<T>(index: number, request: WorkerRequest): Promise<T> {
    const worker = this.workers[index];
    const result = this.queues[index].then(() => new Promise<T>((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      worker.once('error', onError);
      worker.once('message', (m: T) => {
        worker.off('error', onError);
        resolve(m);
      });
      worker.postMessage(request);
    }));
    this.queues[index] = result.then(() => undefined, () => undefined);
    return result;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

function addSums(a: TermSums, b: TermSums): TermSums {
  return { prior: a.prior + b.prior, diffusion: a.diffusion + b.diffusion, reconstruction: a.reconstruction + b.reconstruction };
}

function toBpd(sums: TermSums, count: number, dims: number): TermsBpd {
  const k = 1 / (count * dims * Math.LN2);
  const prior = sums.prior * k;
  const diffusion = sums.diffusion * k;
  const reconstruction = sums.reconstruction * k;
  return { bpd: prior + diffusion + reconstruction, prior, diffusion, reconstruction };
}

/** Splits rows [0, n) into `parts` nearly equal contiguous ranges. */
function shares(n: number, parts: number): [number, number][] {
  return Array.from({ length: parts }, (_, i) => [Math.floor((i * n) / parts), Math.floor(((i + 1) * n) / parts)] as [number, number]);
}

/** 1 for every parameter inside one of the named tensors; unknown names are an error. */
export function frozenMask(config: ModelConfig, names: string[]): Uint8Array {
  const layout = paramLayout(config);
  const mask = new Uint8Array(layout.total);
  for (const name of names) {
    const spec = layout.byName.get(name);
    if (!spec) throw new VdmzipError('USAGE', `--freeze: no parameter tensor named '${name}' (known: ${[...layout.byName.keys()].filter((k) => !k.endsWith('.w') && !k.endsWith('.b')).join(', ')}, or any layer's .w/.b)`);
    mask.fill(1, spec.offset, spec.offset + spec.size);
  }
  return mask;
}

export async function train(options: TrainOptions): Promise<TrainState> {
  mkdirSync(options.out, { recursive: true });
  let state: TrainState;
  let calibrate = false;
  let upgraded = false;
  if (options.resume && existsSync(join(options.out, CHECKPOINT_JSON))) {
    const loaded = loadCheckpoint(options.out);
    state = loaded;
    calibrate = loaded.lacksReverseVariance;
    if (options.variance === 'pixel' && state.meta.config.variance !== 'pixel') {
      const { config } = state.meta;
      const widen = (values: Float32Array) => addPixelVariance(config, values);
      const { m, v } = state.optimizer;
      state = { ...state, params: widen(state.params), ema: widen(state.ema), optimizer: { ...state.optimizer, m: widen(m), v: widen(v) } };
      state.meta = { ...state.meta, config: { ...config, variance: 'pixel' }, paramCount: state.params.length };
      upgraded = true;
    }
  } else {
    if (existsSync(join(options.out, CHECKPOINT_JSON))) throw new VdmzipError('OUTPUT_EXISTS', 'already holds a training checkpoint: pass --resume to continue it', { file: options.out });
    const params = initParams(options.config, options.seed);
    const n = params.length;
    state = {
      meta: { format: 1, config: options.config, precision: options.precision ?? 'integer', step: 0, examples: 0, trainSeconds: 0, paramCount: n },
      params,
      ema: params.slice(),
      optimizer: { updates: 0, m: new Float32Array(n), v: new Float32Array(n) },
    };
  }
  const { config } = state.meta;
  // The shapes the graph runs on: the checkpoint's config with the crop as its patch side.
  const cropped = { ...config, patch: options.crop ?? config.patch };
  if (cropped.patch % 2 ** (config.widths.length - 1) !== 0) throw new VdmzipError('USAGE', `--crop ${cropped.patch} is not a multiple of ${2 ** (config.widths.length - 1)}, which the network's ${config.widths.length} levels need`);
  const dims = cropped.patch * cropped.patch * config.channels;
  const frozen = frozenMask(config, options.freeze ?? []);
  const trainImages = loadImageFolder(options.trainDir, config.channels);
  const valImages = loadImageFolder(options.valDir, config.channels);
  const valSet = fixedValidationSet(valImages, cropped, options.valPatches);
  const pool = await WorkerPool.start(Math.max(1, Math.min(options.workers, availableParallelism())), cropped, state.meta.precision ?? 'integer', options.backend);
  const logPath = join(options.out, TRAIN_LOG);
  const log = (record: object) => appendFileSync(logPath, JSON.stringify(record) + '\n');

  let stopRequested = false;
  const requestStop = () => {
    stopRequested = true;
  };
  process.once('SIGINT', requestStop);
  process.once('SIGTERM', requestStop);

  const started = Date.now();
  let lastCheckpoint = started;
  let runningBpd = NaN;
  let windowStart = Date.now();
  let windowExamples = 0;
  let windowSums: TermSums = { prior: 0, diffusion: 0, reconstruction: 0 };
  let windowNorm = 0;
  let windowSteps = 0;
  const logEvery = 20;
  const beta1 = 0.9;
  const beta2 = 0.99;
  // Only a guard against rare spikes: typical norms early in training are 20–60 (bpd units).
  const clipNorm = 100;

  const sampling = options.stepSampling ?? 'importance';
  let stepProbabilities = uniformProbabilities(config.T);

  /**
   * Validation −ELBO of the EMA weights and each step's share of the diffusion term; under
   * importance sampling, the next batches' step probabilities follow each step's share of
   * diffusion and reconstruction together.
   */
  const validate = async (): Promise<TermsBpd & { stepShare: number[] }> => {
    const exponents = [...weightExponents(config, state.ema)];
    const chunk = 32;
    let sums: TermSums = { prior: 0, diffusion: 0, reconstruction: 0 };
    const perStep = new Float64Array(config.T);
    const stepLoss = new Float64Array(config.T);
    const requests: Promise<{ sums: TermSums; diffusion: Float32Array; reconstruction: Float32Array }>[] = [];
    for (let start = 0, k = 0; start < valSet.steps.length; start += chunk, k++) {
      const end = Math.min(start + chunk, valSet.steps.length);
      const batch = { pixels: valSet.pixels.slice(start * dims, end * dims), steps: valSet.steps.slice(start, end), seed: 1000 + k };
      requests.push(pool.run(k % pool.size, { kind: 'evaluate', params: state.ema, exponents, batch }));
    }
    const results = await Promise.all(requests);
    results.forEach((r, k) => {
      sums = addSums(sums, r.sums);
      r.diffusion.forEach((d, j) => {
        const row = valSet.steps[k * chunk + j] - 1;
        perStep[row] += d;
        stepLoss[row] += d + r.reconstruction[j];
      });
    });
    if (sampling === 'importance') {
      stepProbabilities = importanceProbabilities(stepLoss, UNIFORM_SHARE);
      log({ kind: 'sampling', step: state.meta.step, probabilities: Array.from(stepProbabilities) });
    }
    const total = perStep.reduce((a, b) => a + b, 0);
    return { ...toBpd(sums, valSet.steps.length, dims), stepShare: Array.from(perStep, (d) => d / total) };
  };

  /**
   * Sets every ln k_i to its optimum for the current network, ln(1 + mean r_i), measured on
   * training crops: a checkpoint trained with k = 1 starts at the right variances instead of
   * waiting thousands of Adam steps for them.
   */
  const calibrateReverseVariance = async () => {
    const perStep = 16;
    const count = perStep * config.T;
    const random = mulberry32(options.seed ^ 0xca1b);
    const pixels = samplePatches(trainImages, cropped.patch, count, random);
    const steps = Int32Array.from({ length: count }, (_, j) => 1 + (j % config.T));
    const exponents = [...weightExponents(config, state.ema)];
    const spec = paramLayout(config).byName.get(REVERSE_LOG_VARIANCE)!;
    const logK = state.ema.subarray(spec.offset, spec.offset + spec.size);
    const distortion = new Float64Array(config.T);
    const chunk = 32;
    const requests: Promise<{ diffusion: Float32Array }>[] = [];
    for (let start = 0, c = 0; start < count; start += chunk, c++) {
      const batch = { pixels: pixels.slice(start * dims, (start + chunk) * dims), steps: steps.slice(start, start + chunk), seed: 2000 + c };
      requests.push(pool.run(c % pool.size, { kind: 'evaluate', params: state.ema, exponents, batch }));
    }
    (await Promise.all(requests)).forEach((r, c) => r.diffusion.forEach((d, j) => {
      // Invert d = ½·T·[Σr/k + D·(1/k − 1 + ln k)] for Σr, the distortion summed over dims.
      const row = steps[c * chunk + j] - 1;
      const k = Math.exp(logK[row]);
      distortion[row] += k * ((2 * d) / config.T - dims * (1 / k - 1 + Math.log(k)));
    }));
    for (let i = 0; i < config.T; i++) {
      const value = Math.log1p(Math.max(0, distortion[i]) / (perStep * dims));
      state.params[spec.offset + i] = value;
      state.ema[spec.offset + i] = value;
    }
    log({ kind: 'calibrate', step: state.meta.step, reverseVariance: Array.from(logK, Math.exp) });
  };

  try {
    if (upgraded) log({ kind: 'upgrade', step: state.meta.step, config });
    if (cropped.patch !== config.patch) log({ kind: 'crop', step: state.meta.step, crop: cropped.patch });
    if (options.freeze?.length) {
      // Hold them at the EMA's values: those are the ones validated and exported.
      for (let i = 0; i < frozen.length; i++) if (frozen[i]) state.params[i] = state.ema[i];
      log({ kind: 'freeze', step: state.meta.step, names: options.freeze });
    }
    if (calibrate) await calibrateReverseVariance();
    if (state.meta.step === 0 || calibrate || upgraded) {
      const val = await validate();
      const { step, examples, trainSeconds } = state.meta;
      log({ kind: 'val', step, examples, hours: trainSeconds / 3600, ...val, gamma: Array.from(gammaValues(config, state.ema)) });
      writeTrainingReport(options.out);
    } else if (sampling === 'importance') {
      await validate(); // only for the step probabilities: this step's record is already in the log
    }
    while (!stopRequested) {
      const step = state.meta.step;
      if (options.maxSteps !== undefined && step >= options.maxSteps) break;
      if (options.hours !== undefined && Date.now() - started >= options.hours * 3600e3) break;
      const random = mulberry32((options.seed * 1_000_003 + step) >>> 0);
      const pixels = samplePatches(trainImages, cropped.patch, options.batch, random);
      const { steps, weights } = systematicSteps(stepProbabilities, options.batch, random);
      const exponents = [...weightExponents(config, state.params)];
      const parts = shares(options.batch, pool.size).filter(([a, b]) => b > a);
      const results = await Promise.all(parts.map(([a, b], w) =>
        pool.run<{ grads: Float32Array; sums: TermSums }>(w, {
          kind: 'gradients',
          params: state.params,
          exponents,
          batch: { pixels: pixels.subarray(a * dims, b * dims), steps: steps.subarray(a, b), weights: weights.subarray(a, b), seed: (random() * 2 ** 31) >>> 0 },
        })));

      // Each worker returns the gradient of its own mean; weight by share to get the batch mean.
      const grads = new Float32Array(state.params.length);
      let sums: TermSums = { prior: 0, diffusion: 0, reconstruction: 0 };
      results.forEach((r, w) => {
        const weight = (parts[w][1] - parts[w][0]) / options.batch;
        for (let i = 0; i < grads.length; i++) grads[i] += weight * r.grads[i];
        sums = addSums(sums, r.sums);
      });
      for (let i = 0; i < grads.length; i++) if (frozen[i]) grads[i] = 0;
      let norm = 0;
      for (let i = 0; i < grads.length; i++) norm += grads[i] * grads[i];
      norm = Math.sqrt(norm);
      if (!Number.isFinite(norm)) throw new Error(`non-finite gradient at step ${step}; resume from the last checkpoint with a lower --lr`);
      const clip = norm > clipNorm ? clipNorm / norm : 1;

      const t = step + 1;
      const updates = ++state.optimizer.updates;
      const lr = options.lr * Math.min(1, updates / options.warmupSteps);
      const correction1 = 1 - beta1 ** updates;
      const correction2 = 1 - beta2 ** updates;
      const decay = Math.min(options.emaDecay, (1 + t) / (10 + t));
      const { params, ema } = state;
      const { m, v } = state.optimizer;
      for (let i = 0; i < params.length; i++) {
        if (frozen[i]) continue;
        const g = grads[i] * clip;
        m[i] = beta1 * m[i] + (1 - beta1) * g;
        v[i] = beta2 * v[i] + (1 - beta2) * g * g;
        params[i] -= (lr * (m[i] / correction1)) / (Math.sqrt(v[i] / correction2) + 1e-8);
        ema[i] = decay * ema[i] + (1 - decay) * params[i];
      }

      state.meta.step = t;
      state.meta.examples += options.batch;
      windowExamples += options.batch;
      windowSums = addSums(windowSums, sums);
      windowNorm += norm;
      windowSteps++;
      const batchBpd = toBpd(sums, options.batch, dims).bpd;
      runningBpd = Number.isNaN(runningBpd) ? batchBpd : 0.98 * runningBpd + 0.02 * batchBpd;

      const now = Date.now();
      const examplesPerSecond = (windowExamples * 1000) / Math.max(1, now - windowStart);
      let val: TermsBpd | undefined;
      if (t % logEvery === 0) {
        state.meta.trainSeconds += (now - windowStart) / 1000;
        log({ kind: 'train', step: t, examples: state.meta.examples, hours: state.meta.trainSeconds / 3600, lr, examplesPerSecond, gradNorm: windowNorm / windowSteps, ...toBpd(windowSums, windowExamples, dims) });
        windowStart = now;
        windowExamples = 0;
        windowSums = { prior: 0, diffusion: 0, reconstruction: 0 };
        windowNorm = 0;
        windowSteps = 0;
      }
      if (t % options.valEvery === 0) {
        val = await validate();
        log({ kind: 'val', step: t, examples: state.meta.examples, hours: state.meta.trainSeconds / 3600, ...val, gamma: Array.from(gammaValues(config, state.ema)) });
        writeTrainingReport(options.out);
        windowStart = Date.now();
      }
      if (Date.now() - lastCheckpoint >= options.checkpointMinutes * 60e3) {
        saveCheckpoint(options.out, state);
        lastCheckpoint = Date.now();
      }
      const eta = options.maxSteps !== undefined ? ((options.maxSteps - t) * options.batch) / examplesPerSecond : undefined;
      options.onProgress?.({ step: t, maxSteps: options.maxSteps, examplesPerSecond, runningBpd, etaSeconds: eta, val });
    }
  } finally {
    process.off('SIGINT', requestStop);
    process.off('SIGTERM', requestStop);
    saveCheckpoint(options.out, state);
    await pool.close();
  }
  return state;
}

/** A fixed validation set: the same crops, steps and noise seeds at every evaluation. */
function fixedValidationSet(images: Image[], config: ModelConfig, count: number): { pixels: Float32Array; steps: Int32Array } {
  const random = mulberry32(0x5eed);
  const pixels = samplePatches(images, config.patch, count, random, false);
  const steps = Int32Array.from({ length: count }, (_, k) => 1 + (k % config.T));
  return { pixels, steps };
}

/** Exports a checkpoint's EMA weights as the integer model bundle that the coder uses. */
export function exportCheckpoint(trainingDir: string, bundleDir: string, valBpd?: number): ModelBundle {
  const { meta, ema } = loadCheckpoint(trainingDir);
  if (meta.precision === 'float') throw new VdmzipError('INVALID_ARGUMENT', 'was trained in float32 (for comparison) and cannot be exported for coding', { file: trainingDir });
  const bundle = bundleFromParams(meta.config, ema, { step: meta.step, examples: meta.examples, hours: meta.trainSeconds / 3600, valBpd });
  saveBundle(bundleDir, bundle);
  return bundle;
}

/** The last validation record of a training log, if any. */
export function lastValidation(trainingDir: string): (TermsBpd & { step: number }) | undefined {
  const path = join(trainingDir, TRAIN_LOG);
  if (!existsSync(path)) return undefined;
  const records = readFileSync(path, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { kind: string } & TermsBpd & { step: number });
  return records.filter((r) => r.kind === 'val').at(-1);
}
