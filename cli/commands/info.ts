import type { Command } from 'commander';
import { bitsPerDim, parseContainer } from '../../src/coder/container.ts';
import { aboutFile, readInputFile } from '../files.ts';

const CHANNEL_NAMES = ['', 'grey', 'grey+alpha', 'RGB', 'RGBA'];
/** Chunk sizes shown before the list is cut short. */
const CHUNKS_SHOWN = 8;

export function register(program: Command): void {
  program
    .command('info')
    .description('show what a .vdmz file holds, and its bits per dimension')
    .argument('<file>', '.vdmz file')
    .action(async (path: string) => {
      const bytes = await readInputFile(path);
      const { header, payload } = await aboutFile(path, () => parseContainer(bytes));
      const { width, height, channels, coder } = header;
      const chunks = coder.chunkSizes;
      const rows: Array<[string, string]> = [
        ['file', path],
        ['image', `${width}×${height}, ${channels} channel${channels > 1 ? 's' : ''} (${CHANNEL_NAMES[channels]}), ${header.bitDepth}-bit`],
        ['model', header.modelId],
        ['steps (T)', String(header.steps)],
        ['patch size', String(header.patchSize)],
        ['grid factor', String(coder.gridFactor)],
        ['chunks', `${chunks.length}: ${chunks.slice(0, CHUNKS_SHOWN).join(' ')}${chunks.length > CHUNKS_SHOWN ? ' …' : ''}`],
        ['seed words', String(coder.seedWords)],
        ['pixel crc32', header.pixelCrc32.toString(16).padStart(8, '0')],
        ['pixel sha256', `${header.pixelSha256Prefix}…`],
        ['payload', `${payload.length} bytes`],
        ['file size', `${bytes.length} bytes`],
        ['bits/dim', bitsPerDim(bytes.length, header).toFixed(4)],
      ];
      const labelWidth = Math.max(...rows.map(([label]) => label.length)) + 2;
      for (const [label, value] of rows) console.log(`${label.padEnd(labelWidth)}${value}`);
    });
}
