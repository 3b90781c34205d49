// The library API: compress and decompress images with a model bundle.

import { fileURLToPath } from 'node:url';
import { compressImage, decompressImage, type CodingProgress } from './coder/codec.ts';
import { VdmzipError } from './errors.ts';
import type { Image } from './image/index.ts';
import { loadBundle, type ModelBundle } from './model/bundle.ts';
import type { IntegerEngine } from './model/denoiser.ts';
import { createEngine, type EngineKind } from './model/engines.ts';

/** The model shipped inside the package. */
export const DEFAULT_MODEL_DIR = fileURLToPath(new URL('../models/default', import.meta.url));

export interface CodecOptions {
  /** A model folder (default: the shipped `models/default`) or a loaded bundle. */
  model?: string | ModelBundle;
  /** 'onnx' (ONNX Runtime, default) or 'tfjs' (the reference engine). Files are identical either way. */
  engine?: EngineKind;
  /** Threads for ONNX Runtime (default 1). */
  threads?: number;
  /** κ: latent grid width as a fraction of each step's std (compression only). */
  gridFactor?: number;
  /** Decode after encoding and compare every pixel (compression only). */
  verify?: boolean;
  onProgress?: (p: CodingProgress) => void;
}

export type { CodingProgress };

/** A model and engine, opened once and used for many images. */
export class VdmzipCodec {
  private constructor(readonly bundle: ModelBundle, private readonly engine: IntegerEngine, private readonly options: CodecOptions) {}

  static async open(options: CodecOptions = {}): Promise<VdmzipCodec> {
    const model = options.model ?? DEFAULT_MODEL_DIR;
    let bundle: ModelBundle;
    if (typeof model === 'string') {
      try {
        bundle = loadBundle(model);
      } catch (error) {
        throw new VdmzipError('IO', `cannot load the model: ${(error as Error).message}`, { file: model, cause: error });
      }
    } else {
      bundle = model;
    }
    return new VdmzipCodec(bundle, await createEngine(bundle, options.engine ?? 'onnx', { threads: options.threads }), options);
  }

  get modelId(): string {
    return this.bundle.id;
  }

  async compress(image: Image, onProgress = this.options.onProgress): Promise<Uint8Array> {
    const bytes = await compressImage(image, this.bundle, this.engine, { gridFactor: this.options.gridFactor, onProgress });
    if (this.options.verify) {
      const decoded = await this.decompress(bytes);
      if (!decoded.data.every((v, i) => v === image.data[i])) throw new VdmzipError('CORRUPT', 'verification failed: the file does not decode to the input (please report this)');
    }
    return bytes;
  }

  decompress(bytes: Uint8Array, onProgress = this.options.onProgress): Promise<Image> {
    return decompressImage(bytes, this.bundle, this.engine, { onProgress });
  }

  dispose(): Promise<void> {
    return this.engine.dispose();
  }
}

/** Compresses one image to .vdmz bytes. */
export async function compress(image: Image, options: CodecOptions = {}): Promise<Uint8Array> {
  const codec = await VdmzipCodec.open(options);
  try {
    return await codec.compress(image);
  } finally {
    await codec.dispose();
  }
}

/** Decompresses .vdmz bytes; throws VdmzipError (never returns a wrong image). */
export async function decompress(bytes: Uint8Array, options: CodecOptions = {}): Promise<Image> {
  const codec = await VdmzipCodec.open(options);
  try {
    return await codec.decompress(bytes);
  } finally {
    await codec.dispose();
  }
}
