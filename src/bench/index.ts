/** `vdmzip bench` as a library: run the bench, render its Markdown report and SVG chart. */
export { BENCH_CODEC_IDS, bitsPerDim, imageSets, runBench, samePixels } from './run.ts';
export type { BenchCodecId, BenchOptions, BenchResult, CodecInfo, CodecTotal, ElboMeasurement, ImageResult, Measurement, Totals } from './run.ts';
export { renderChart, renderMarkdown, type MarkdownOptions } from './render.ts';
export { CLASSIC_CODECS, CLASSIC_CODEC_IDS, type ClassicCodec, type ClassicCodecId } from './codecs.ts';
