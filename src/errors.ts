/**
 * The one error class of the vdmzip library.
 *
 * Every failure a user can cause (a bad file, an unsupported image, a wrong model, a
 * misused API) is a VdmzipError whose `code` says what kind of failure it is and whose
 * `message` is one line a CLI can print as is. Anything else that escapes the library is
 * a bug.
 */
export type VdmzipErrorCode =
  /** The bytes are not in a format vdmzip reads (bad magic, unknown PNG critical chunk). */
  | 'UNSUPPORTED_FORMAT'
  /** An image format vdmzip reads, at a bit depth it does not (16-bit PNG, PNM maxval ≠ 255). */
  | 'UNSUPPORTED_BIT_DEPTH'
  /** The bytes contradict their own format: bad CRC, impossible field value, trailing data. */
  | 'CORRUPT'
  /** The bytes end before the format says they should. */
  | 'TRUNCATED'
  /** A .vdmz file (or a field in it) written by a newer format version. */
  | 'UNSUPPORTED_VERSION'
  /** A .vdmz file compressed with a different model bundle than the one given. */
  | 'MODEL_MISMATCH'
  /** An image larger than the documented pixel limit (see MAX_PIXELS). */
  | 'TOO_LARGE'
  /** The output path exists and overwriting was not asked for. */
  | 'OUTPUT_EXISTS'
  /** The device asked for is not there (a GPU without a Vulkan loader or WebGPU adapter). */
  | 'DEVICE_UNAVAILABLE'
  /** A file system operation failed (missing file, permission denied). */
  | 'IO'
  /** A command line that does not parse. */
  | 'USAGE'
  /** A library function called with arguments outside its contract. */
  | 'INVALID_ARGUMENT'
  /** The trainer (an external process) failed; it printed why. */
  | 'TRAINING_FAILED';

export class VdmzipError extends Error {
  override readonly name = 'VdmzipError';
  readonly code: VdmzipErrorCode;
  /** The file the failure concerns, when the code that failed knows it. */
  readonly file: string | undefined;

  constructor(code: VdmzipErrorCode, message: string, options: { file?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.file = options.file;
  }

  /** The same error, naming the file it concerns (an existing file name is kept). */
  withFile(file: string): VdmzipError {
    if (this.file !== undefined) return this;
    return new VdmzipError(this.code, this.message, { file, cause: this.cause });
  }
}
