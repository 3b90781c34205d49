/** vdmzip: lossless image compression with a Variational Diffusion Model and bits-back rANS. */
export { compress, decompress, decompressPicture, VdmzipCodec, DEFAULT_MODEL_DIR, type CodecOptions, type CodingProgress, type DeviceInfo } from './codec-api.ts';
export { VdmzipError, type VdmzipErrorCode } from './errors.ts';
export { readImage, writeImage, readPicture, writePicture, withoutMetadata, detectImageFormat, MAX_PIXELS, type Image, type Image16, type Picture, type MetadataChunk, type PngLayout, type ImageFormat, type Channels } from './image/index.ts';
export { parseContainer, bitsPerDim, type ContainerHeader } from './format/container.ts';
export { loadBundle, type ModelBundle } from './model/bundle.ts';
export { DEVICE_CHOICES, type DeviceChoice, type ComputeDevice } from './model/engines.ts';
