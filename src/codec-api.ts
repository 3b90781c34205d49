// The library API: compress and decompress images with a model bundle.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkEffort, checkWorkers, codedGridFactor, NO_NETWORK, compressPictureOrStore, decompressPicture as decodePicture, needsModel, type CodingProgress, type Effort } from './codec.ts';
import { VdmzipError } from './errors.ts';
import { PACKAGE_ROOT } from './package-root.ts';
import { is16, type Image, type Picture } from './image/index.ts';
import { BUNDLE_JSON, loadBundle, type ModelBundle } from './model/bundle.ts';
import type { IntegerEngine } from './model/denoiser.ts';
import { DEVICE_CHOICES, GpuUnavailableError, openEngine, type ComputeDevice, type DeviceChoice } from './model/engines.ts';

/** The model shipped inside the package. */
export const DEFAULT_MODEL_DIR = join(PACKAGE_ROOT, 'models', 'default');

export interface CodecOptions {
  /** A model folder (default: the shipped `models/default`) or a loaded bundle. */
  model?: string | ModelBundle;
  /** Threads for ONNX Runtime (default 1). */
  threads?: number;
  /** Threads that code and decode the bands of a large image side by side (default: every core). */
  workers?: number;
  /** Bands of rows a predictor file is cut into, each coded apart (default: 1 per 2 megapixels; compression only). */
  bands?: number;
  /**
   * Where the network runs (default 'cpu'): 'gpu' is ONNX Runtime's WebGPU provider and fails
   * (VdmzipError 'DEVICE_UNAVAILABLE') where no GPU answers; 'auto' takes the GPU where one
   * answers and the CPU otherwise. Files are identical either way.
   */
  device?: DeviceChoice;
  /** How hard the encoder tries: 1, 2 (default) or 3 (`Effort` in codec.ts; compression only). */
  effort?: Effort;
  /** κ: latent grid width as a fraction of each step's std (compression only; rounded to float32, as files store it). */
  gridFactor?: number;
  /** Decode after encoding and compare every pixel (compression only). */
  verify?: boolean;
  /** Called once, when the network's engine opens (the first file that needs it): where it runs. */
  onDevice?: (info: DeviceInfo) => void;
  onProgress?: (p: CodingProgress) => void;
}

export type { CodingProgress };

/**
 * Loads the model folder `dir` (default: the shipped model). Failures are VdmzipError
 * 'IO' naming the folder; a missing shipped model says so, since that is an install
 * problem rather than a wrong argument.
 */
export function openModel(dir?: string): ModelBundle {
  const path = dir ?? DEFAULT_MODEL_DIR;
  if (dir === undefined && !existsSync(join(path, BUNDLE_JSON))) {
    throw new VdmzipError('IO', `no model at ${path}: the shipped model is missing; pass another model folder (--model DIR, or the model option)`);
  }
  try {
    return loadBundle(path);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    // loadBundle's messages start with the folder or file they concern: keep the reason.
    const prefix = [join(path, BUNDLE_JSON), path].find((p) => message.startsWith(`${p}: `));
    const reason = code === 'ENOENT' ? `not a vdmzip model folder (${/model\.bin/.test(message) ? 'no model.bin' : 'missing files'})` : prefix ? message.slice(prefix.length + 2) : message;
    throw new VdmzipError('IO', `cannot load the model: ${reason}`, { file: path, cause: error });
  }
}

/**
 * Progress over `passes` passes (compress with verify: encoding, then decoding), each shown
 * as long as the first: a file whose rows are all classic has no chain steps to decode, and
 * the encoder adds the steps of chunks it codes again to its total. What the caller sees
 * never goes back, never passes its total, and ends there once `finish` is called.
 */
function passProgress(onProgress: ((p: CodingProgress) => void) | undefined, passes: number) {
  let total = 0;
  let done = 0;
  const emit = (stepsDone: number) => {
    done = Math.min(passes * total, Math.max(done, stepsDone));
    onProgress?.({ stepsDone: done, stepsTotal: passes * total });
  };
  return {
    /** The coder's callback for pass `pass` (0-based). */
    pass(pass: number): ((p: CodingProgress) => void) | undefined {
      if (onProgress === undefined) return undefined;
      return (p) => {
        // A coder may change its total (the estimate's, then the chain's): progress is shown as
        // the share done, on a scale that never shrinks, so it never goes back.
        if (pass === 0) total = Math.max(total, p.stepsTotal);
        emit(pass * total + (p.stepsTotal > 0 ? Math.round((total * p.stepsDone) / p.stepsTotal) : total));
      };
    },
    /** Pass `pass` (0-based) has ended: progress stands at its end, whatever its coder reported (a small image's predictor reports nothing). */
    endPass(pass: number): void {
      if (onProgress === undefined) return;
      // A pass that reported nothing still counts as one step, so no report says 0 of 0.
      if (total === 0) total = 1;
      emit((pass + 1) * total);
    },
    finish(): void {
      this.endPass(passes - 1);
    },
  };
}

/** The device a codec runs its network on. */
export interface DeviceInfo {
  device: ComputeDevice;
  /** The engine and its settings, e.g. "onnx-webgpu(batch=256)". */
  engine: string;
  /** Where 'auto' chose the CPU: what the GPU lacked. */
  gpuUnavailable?: string;
}

/** openEngine, with a missing GPU as a VdmzipError that says what is missing. */
export async function openEngineOrExplain(bundle: ModelBundle, threads: number, device: DeviceChoice) {
  try {
    return await openEngine(bundle, { threads, device });
  } catch (error) {
    if (error instanceof GpuUnavailableError) throw new VdmzipError('DEVICE_UNAVAILABLE', `cannot run on the GPU: ${error.reason}`, { cause: error });
    throw error;
  }
}

/** A model and engine, opened once and used for many images. */
export class VdmzipCodec {
  private opened: Promise<{ engine: IntegerEngine; info: DeviceInfo }> | undefined;
  private loaded: ModelBundle | undefined;

  private constructor(private readonly options: CodecOptions) {
    if (typeof options.model === 'object') this.loaded = options.model;
  }

  /** The model (loaded from its folder when first needed: predictor-only coding needs none). */
  get bundle(): ModelBundle {
    this.loaded ??= openModel(typeof this.options.model === 'string' ? this.options.model : undefined);
    return this.loaded;
  }

  /**
   * Checks the options. The model and the network's engine load when a file first needs them
   * (the chain, or the encoder's estimate at effort 2 and 3), so predictor-only files never
   * load either; `device: 'gpu'` opens both here, so that a missing GPU fails at once.
   */
  static async open(options: CodecOptions = {}): Promise<VdmzipCodec> {
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1) throw new VdmzipError('INVALID_ARGUMENT', `threads must be a positive integer, got ${String(threads)}`);
    const device = options.device ?? 'cpu';
    if (!DEVICE_CHOICES.includes(device)) throw new VdmzipError('INVALID_ARGUMENT', `unknown device ${String(device)} (expected ${DEVICE_CHOICES.join(', ')})`);
    if (options.gridFactor !== undefined) codedGridFactor(options.gridFactor);
    if (options.effort !== undefined) checkEffort(options.effort);
    if (options.workers !== undefined) checkWorkers(options.workers);
    const codec = new VdmzipCodec(options);
    if (device === 'gpu') await codec.engine();
    return codec;
  }

  /** Where the network runs (the engine opens if no file has needed it yet). */
  async deviceInfo(): Promise<DeviceInfo> {
    return (await this.open()).info;
  }

  private async engine(): Promise<IntegerEngine> {
    return (await this.open()).engine;
  }

  /** The engine and where it runs, opened (and reported to onDevice) on the first call. */
  private open(): Promise<{ engine: IntegerEngine; info: DeviceInfo }> {
    this.opened ??= openEngineOrExplain(this.bundle, this.options.threads ?? 1, this.options.device ?? 'cpu').then((opened) => {
      const info: DeviceInfo = { device: opened.device, engine: opened.engine.name, gpuUnavailable: opened.gpuUnavailable };
      this.options.onDevice?.(info);
      return { engine: opened.engine, info };
    });
    return this.opened;
  }

  get modelId(): string {
    return this.bundle.id;
  }

  /**
   * Compresses one image, or a picture (an image at any depth up to 16 bits, with PNG
   * metadata to keep, and the PNG it was read from, stored whole where coding makes a larger
   * file). With `verify`, the file is decoded again and compared with the input,
   * samples and metadata; progress then runs over both passes (encoding is the first half).
   * Progress reports never go back and end at stepsDone = stepsTotal.
   */
  async compress(input: Image | Picture, onProgress = this.options.onProgress): Promise<Uint8Array> {
    const picture: Picture = 'image' in input ? input : { image: input, metadata: [] };
    const verify = this.options.verify === true;
    const passes = verify ? 2 : 1;
    const progress = passProgress(onProgress, passes);
    const predictorOnly = this.options.effort === 1;
    const bytes = await compressPictureOrStore(picture, predictorOnly ? undefined : this.bundle, predictorOnly ? NO_NETWORK : await this.engine(), { gridFactor: this.options.gridFactor, effort: this.options.effort, workers: this.options.workers, bands: this.options.bands, onProgress: progress.pass(0) });
    progress.endPass(0);
    if (verify && !samePicture(await this.decode(bytes, progress.pass(1)), picture)) {
      throw new VdmzipError('CORRUPT', 'verification failed: the file does not decode to the input (please report this)');
    }
    progress.finish();
    return bytes;
  }

  /**
   * Decompresses one .vdmz file to its 8-bit image (a file that holds other samples is
   * 'UNSUPPORTED_BIT_DEPTH': decompressPicture returns those); throws VdmzipError, and never
   * returns a wrong image.
   */
  async decompress(bytes: Uint8Array, onProgress = this.options.onProgress): Promise<Image> {
    const { image } = await this.decompressPicture(bytes, onProgress);
    if (is16(image)) throw new VdmzipError('UNSUPPORTED_BIT_DEPTH', `the file holds samples up to ${image.maxValue}, not 8-bit ones: decompressPicture returns them`);
    return image;
  }

  /** Decompresses one .vdmz file to its picture: samples at their depth and the metadata kept with them. */
  decompressPicture(bytes: Uint8Array, onProgress = this.options.onProgress): Promise<Picture> {
    if (!(bytes instanceof Uint8Array)) return Promise.reject(new VdmzipError('INVALID_ARGUMENT', 'decompress takes the file as a Uint8Array'));
    const progress = passProgress(onProgress, 1);
    return this.decode(bytes, progress.pass(0)).then((picture) => {
      progress.finish();
      return picture;
    });
  }

  /** Decodes with the model and engine only where the file needs them: a file the predictor coded alone needs neither. */
  private async decode(bytes: Uint8Array, onProgress: ((p: CodingProgress) => void) | undefined): Promise<Picture> {
    // A file the decoder will refuse needs no model either: decompressPicture says what is wrong with it.
    const { workers } = this.options;
    if (!needsModel(bytes)) return decodePicture(bytes, undefined, NO_NETWORK, { onProgress, workers });
    return decodePicture(bytes, this.bundle, await this.engine(), { onProgress, workers });
  }

  async dispose(): Promise<void> {
    if (this.opened) await (await this.opened).engine.dispose();
  }
}

/** Whether two pictures hold the same samples (and sample range) and the same metadata. */
function samePicture(a: Picture, b: Picture): boolean {
  const bytes = (x: Uint8Array | Uint16Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  const sameImage = is16(a.image) === is16(b.image) && (!is16(a.image) || a.image.maxValue === (b.image as typeof a.image).maxValue) && bytes(a.image.data).equals(bytes(b.image.data));
  const sameMetadata = a.metadata.length === b.metadata.length && a.metadata.every((m, i) => m.type === b.metadata[i].type && m.afterImageData === b.metadata[i].afterImageData && bytes(m.data).equals(bytes(b.metadata[i].data)));
  return sameImage && sameMetadata;
}

/** Runs `work` on a codec opened with `options` for it alone, and closes it whatever happens. */
async function withCodec<T>(options: CodecOptions, work: (codec: VdmzipCodec) => Promise<T>): Promise<T> {
  const codec = await VdmzipCodec.open(options);
  try {
    return await work(codec);
  } finally {
    await codec.dispose();
  }
}

/** Compresses one image, or a picture (samples up to 16 bits, PNG metadata), to .vdmz bytes. */
export function compress(image: Image | Picture, options: CodecOptions = {}): Promise<Uint8Array> {
  return withCodec(options, (codec) => codec.compress(image));
}

/** Decompresses .vdmz bytes; throws VdmzipError (never returns a wrong image). */
export function decompress(bytes: Uint8Array, options: CodecOptions = {}): Promise<Image> {
  return withCodec(options, (codec) => codec.decompress(bytes));
}

/** Decompresses .vdmz bytes to the picture they hold: samples at their depth, with metadata. */
export function decompressPicture(bytes: Uint8Array, options: CodecOptions = {}): Promise<Picture> {
  return withCodec(options, (codec) => codec.decompressPicture(bytes));
}
