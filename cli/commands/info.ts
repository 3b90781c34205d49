import type { Command } from 'commander';
import { DEFAULT_MODEL_DIR, openModel } from '../../src/codec-api.ts';
import { bitsPerDim, codedBy, hasFirstChannelContexts, hasPixelMatches, parseContainer, sameModel, type CoderParamsVersion } from '../../src/format/container.ts';
import { isExtended, lowBitsOf, parseExtended, type ExtendedFile } from '../../src/format/extended.ts';
import { VdmzipError } from '../../src/errors.ts';
import { aboutFile } from '../files.ts';
import { readBoundedInput, vdmzInputBound } from '../input.ts';
import { modelDir } from '../options.ts';

const CHANNEL_NAMES = ['', 'grey', 'grey+alpha', 'RGB', 'RGBA'];
/** Chunk sizes shown before the list is cut short. */
const CHUNKS_SHOWN = 8;
/** Hex digits of a model id shown where the full id is not needed. */
const SHORT_ID = 16;

/**
 * Whether the file's model is the one decompress would use: --model when given (a model
 * that cannot be loaded is then an error), else the shipped model (whose absence is
 * reported in the line, not as a failure: info needs no model).
 */
function modelCheck(fileModelId: string, model: string | undefined): string {
  let dir: string;
  try {
    dir = modelDir({ model });
  } catch (error) {
    if (error instanceof VdmzipError) return `unknown: no model at ${DEFAULT_MODEL_DIR} (the shipped model is missing)`;
    throw error;
  }
  const which = model === undefined ? 'the default model' : `--model ${model}`;
  const { id } = openModel(dir);
  return sameModel(fileModelId, id) ? `yes: made with ${which}` : `no: ${which} is ${id.slice(0, SHORT_ID)}…; decompress needs ${fileModelId.slice(0, SHORT_ID)}…`;
}

/** Which coder made the file, in words. */
function coderText(height: number, predictorRows = 0): string {
  const texts = {
    chain: 'the bits-back chain alone',
    predictor: `the predictive coder alone (all ${height} rows)`,
    both: `the chain over the top ${height - predictorRows} rows, the predictive coder below (${predictorRows} rows)`,
  };
  return texts[codedBy(height, predictorRows)];
}

/** The rows an extended file (format 5) adds: its samples, their split and its metadata. */
function extendedRows({ header, lowBits }: ExtendedFile): Array<[string, string]> {
  const { split, metadata } = header;
  let splitText: string;
  if (split.kind === 'replicated') splitText = '257 × an 8-bit sample (8-bit samples widened to 16 bits)';
  else if (split.kind === 'shifted') splitText = `8 inner bits + ${split.lowBits} low bits${split.shift > 0 ? `, shifted left by ${split.shift}` : ''}`;
  else splitText = `a table of ${split.table.length} values, indexed by 8 inner bits + ${split.lowBits} low bits`;
  const chunks = metadata.map((m) => `${m.type} (${m.data.length} bytes)`).join(', ');
  const { layout } = header;
  const layoutText =
    layout === undefined
      ? []
      : [['PNG layout', layout.kind === 'grey' ? `grey of ${layout.depth} bits` : `a palette of ${layout.palette.length / header.channels} colours, ${layout.depth}-bit indices`] as [string, string]];
  return [
    ['samples', splitText],
    ...layoutText,
    ['metadata', metadata.length === 0 ? 'none' : `${metadata.length} PNG chunk${metadata.length > 1 ? 's' : ''}: ${chunks}`],
    ...(lowBitsOf(split) > 0 ? [['low bits', `${lowBits.length} bytes`] as [string, string]] : []),
    ['sample sha256', `${header.samplesSha256Prefix}…`],
  ];
}

function printRows(rows: Array<[string, string]>): void {
  const labelWidth = Math.max(...rows.map(([label]) => label.length)) + 2;
  for (const [label, value] of rows) console.log(`${label.padEnd(labelWidth)}${value}`);
}

/** The image row: geometry, channels and the samples' range in words. */
function imageText(width: number, height: number, channels: number, maxValue: number): string {
  const depth = maxValue === 255 ? '8-bit' : maxValue === 0xffff ? '16-bit' : `samples 0…${maxValue}`;
  return `${width}×${height}, ${channels} channel${channels > 1 ? 's' : ''} (${CHANNEL_NAMES[channels]}), ${depth}`;
}

export function register(program: Command): void {
  program
    .command('info')
    .description('show what a .vdmz file holds, and its bits per dimension')
    .argument('<file>', '.vdmz file')
    .option('--model <dir>', 'model folder to check the file against (default: the shipped model)')
    .action(async (path: string, o: { model?: string }) => {
      const bytes = await readBoundedInput(path, vdmzInputBound);
      const extended = isExtended(bytes) ? await aboutFile(path, () => parseExtended(bytes)) : undefined;
      if (extended?.header.inner === 'png') {
        const { width, height, channels, maxValue } = extended.header;
        const stored: Array<[string, string]> = [
          ['file', path],
          ['image', imageText(width, height, channels, maxValue)],
          ['format', `5 (extended) around the input PNG, stored whole (${extended.inner.length} bytes): coding the pixels made a larger file`],
          ['model', 'none needed'],
          ['sample sha256', `${extended.header.samplesSha256Prefix}…`],
          ['header check', 'CRC-32, checked'],
          ['file size', `${bytes.length} bytes`],
          ['bits/dim', bitsPerDim(bytes.length, extended.header).toFixed(4)],
        ];
        printRows(stored);
        return;
      }
      const { header, payload, bands } = await aboutFile(path, () => parseContainer(extended?.inner ?? bytes));
      const { width, height, channels, coder } = header;
      const maxValue = extended?.header.maxValue ?? 255;
      const chunks = coder.chunkSizes;
      const rawBytes = width * height * channels * (maxValue > 255 ? 2 : 1);
      const format = extended === undefined ? bytes[4] : extended.inner[4];
      const { modelId } = header;
      const chain: Array<[string, string]> =
        modelId === undefined
          ? [['model', `none needed (format ${format}: the predictive coder codes every row)`]]
          : [
              // Format version 2 records the first 16 hex digits of the id.
              ['model', modelId.length < 64 ? `${modelId}…` : modelId],
              ['model matches', modelCheck(modelId, o.model)],
              ['steps (T)', String(header.steps)],
              ['patch size', String(header.patchSize)],
            ];
      const chainCoding: Array<[string, string]> =
        modelId === undefined
          ? []
          : [
              ['grid factor', String(coder.gridFactor)],
              ['chunks', `${chunks.length}: ${chunks.slice(0, CHUNKS_SHOWN).join(' ')}${chunks.length > CHUNKS_SHOWN ? ' …' : ''}`],
              ['seed words', String(coder.seedWords)],
            ];
      const rows: Array<[string, string]> = [
        ['file', path],
        ['image', imageText(width, height, channels, maxValue)],
        ...(extended === undefined ? [] : [['format', `5 (extended) around a file of format ${format}`] as [string, string], ...extendedRows(extended)]),
        ...chain,
        bands === undefined
          ? ['coder', `parameters version ${coder.version}, ${coderText(height, coder.predictorRows)}${hasPixelMatches(coder.version) ? ', with pixel matches' : ''}${hasFirstChannelContexts(coder.version) ? ', with exact contexts for the first channel' : ''}`]
          : ['coder', `the predictive coder alone, band by band (parameters ${bandVersions(bands.map((band) => band.header.coder.version))})`],
        ...(bands === undefined ? [] : [['bands', `${bands.length}, each coded as an image of its own: ${bandRows(bands.map((band) => band.header.height))} rows`] as [string, string]]),
        ...chainCoding,
        header.pixelSha256Prefix === undefined ? ['pixel check', "SHA-256's first 48 bits, as the payload's initial rANS head"] : ['pixel sha256', `${header.pixelSha256Prefix}…${bands === undefined ? '' : " (and each band's first 48 bits as its payload's initial rANS head)"}`],
        ['header check', extended === undefined && modelId === undefined ? `none in format ${format} (no CRC): \`vdmzip decompress -t\` decodes the file and checks its pixels` : 'CRC-32, checked'],
        ['raw size', `${rawBytes} bytes (${width}·${height}·${channels} samples)`],
        ['header', `${bytes.length - payload.length - (extended?.lowBits.length ?? 0)} bytes`],
        ['payload', `${payload.length} bytes${extended === undefined ? '' : ' (inner file)'}`],
        ['file size', `${bytes.length} bytes`],
        ['ratio', `${((100 * bytes.length) / rawBytes).toFixed(2)}% of raw`],
        ['bits/dim', bitsPerDim(bytes.length, header).toFixed(4)],
      ];
      printRows(rows);
    });
}

/** "version 11 in 3 bands, 12 in 1": each coder parameters version with how many bands use it. */
function bandVersions(versions: number[]): string {
  const counts = new Map<number, number>();
  for (const v of versions) counts.set(v, (counts.get(v) ?? 0) + 1);
  const parts = [...counts].sort(([a], [b]) => a - b).map(([v, n], i) => `${i === 0 ? 'version ' : ''}${v}${hasPixelMatches(v as CoderParamsVersion) ? ' (pixel matches)' : ''} in ${n} band${n === 1 ? '' : 's'}`);
  return parts.join(', ');
}

/** Band heights, "100 + 100 + 101", shortened where there are many. */
function bandRows(heights: number[]): string {
  const shown = heights.slice(0, CHUNKS_SHOWN).join(' + ');
  return heights.length > CHUNKS_SHOWN ? `${shown} + …` : shown;
}
