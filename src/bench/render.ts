/**
 * Renders a BenchResult: a Markdown report (bpd per image and in total, times, what ran)
 * and an SVG grouped bar chart of total bpd per codec per image set.
 */
import { basename } from 'node:path';
import { codedBy } from '../format/container.ts';
import type { BenchCodecId, BenchResult, CodecInfo, ImageResult, Measurement, Totals } from './run.ts';
import { barChart, PALETTE, svgDocument, type BarSeries } from './svg.ts';

/** Fixed colours, so a codec looks the same in every chart. */
const COLOURS: Record<BenchCodecId, string> = {
  vdmzip: PALETTE[1],
  elbo: '#F4A582',
  png: PALETTE[6],
  webp: PALETTE[2],
  'jxl-e7': PALETTE[5],
  'jxl-e9': PALETTE[0],
  avif: PALETTE[3],
};

function bpdCell(m: Measurement | undefined): string {
  if (!m) return '–';
  return m.ok ? m.bpd.toFixed(3) : 'FAIL';
}

function totalCell(t: Totals, id: BenchCodecId): string {
  if (id === 'elbo') return t.elbo ? `${t.elbo.bpd.toFixed(3)}` : '–';
  const c = t.codecs[id];
  if (!c) return '–';
  if (c.bpd === null) return c.failures > 0 ? `FAIL (${c.failures})` : '–';
  return `**${c.bpd.toFixed(3)}**`;
}

function overheadCell(t: Totals): string {
  return t.overheadBpd === undefined ? '–' : t.overheadBpd.toFixed(3);
}

function imageCell(r: ImageResult, id: BenchCodecId): string {
  if (id === 'elbo') return r.elbo ? r.elbo.bpd.toFixed(3) : '–';
  return bpdCell(r.codecs[id]);
}

/** The report's word for each kind of vdmzip file. */
const CODED_BY_WORDS = { chain: 'chain', predictor: 'predictor', both: 'split' } as const;

/** Which coder made an image's vdmzip file: the chain, the predictor, or both (rows under the chain). */
function codedByCell(r: ImageResult): string {
  if (r.predictorRows === undefined) return '–';
  const kind = codedBy(r.height, r.predictorRows);
  return kind === 'both' ? `chain + ${r.predictorRows} rows` : CODED_BY_WORDS[kind];
}

/** The same for a set of images: how many files each way, and the share of their pixels in rows the chain codes. */
function codedByCounts(images: ImageResult[]): string {
  const counts = new Map<string, number>();
  let [pixels, chainPixels] = [0, 0];
  for (const r of images) {
    if (r.predictorRows === undefined) continue;
    const word = CODED_BY_WORDS[codedBy(r.height, r.predictorRows)];
    counts.set(word, (counts.get(word) ?? 0) + 1);
    pixels += r.width * r.height;
    chainPixels += r.width * (r.height - r.predictorRows);
  }
  if (pixels === 0) return '–';
  return `${[...counts].map(([word, n]) => `${n} ${word}`).join(', ')}; chain ${percentOf(chainPixels, pixels)} of pixels`;
}

/** part/whole as a percentage to one decimal, never rounded to 0% or 100% unless it is. */
export function percentOf(part: number, whole: number): string {
  const percent = (100 * part) / whole;
  if (part > 0 && percent < 0.05) return '<0.1%';
  if (part < whole && percent >= 99.95) return '>99.9%';
  return `${percent.toFixed(1)}%`;
}

/** Shortest distinct display names: the base name, or the path when base names repeat. */
function displayNames(images: ImageResult[]): Map<ImageResult, string> {
  const counts = new Map<string, number>();
  for (const r of images) counts.set(basename(r.file), (counts.get(basename(r.file)) ?? 0) + 1);
  return new Map(images.map((r) => [r, counts.get(basename(r.file))! > 1 ? r.file : basename(r.file)]));
}

function seconds(s: number): string {
  if (s >= 100) return s.toFixed(0);
  if (s >= 10) return s.toFixed(1);
  if (s >= 0.1) return s.toFixed(2);
  return s.toFixed(3);
}

export interface MarkdownOptions {
  /** Per-image rows (default true). */
  perImage?: boolean;
  /** Heading level of the title (default 2). */
  headingLevel?: number;
}

export function renderMarkdown(result: BenchResult, options: MarkdownOptions = {}): string {
  const h = '#'.repeat(options.headingLevel ?? 2);
  const columns = result.codecs.filter((c) => c.available);
  const out: string[] = [];
  const setNames = result.sets.map((s) => s.name).join(', ');
  out.push(`${h} vdmzip bench: ${result.totals.images} image${result.totals.images === 1 ? '' : 's'} (${setNames})`);
  out.push('');
  out.push('Bits per dimension, 8 · bytes / (W · H · C); lower is better. Every file was decoded again and');
  out.push('compared with the original pixel for pixel before its size counted (FAIL: it did not round-trip,');
  out.push('and the total is then left out). −ELBO is the model\'s bound, which a vdmzip file approaches; it is not a file;');
  out.push('overhead is vdmzip − (−ELBO), what the coder adds to the bound (initial bits, container, discretisation).');
  out.push('"coded by" says which coder made each vdmzip file: the bits-back chain over the network, the');
  out.push('predictor (src/predictor/predictive.ts; the encoder keeps it where its file is smaller, and then the file');
  out.push('can be below the bound), or both (the predictor codes the bottom rows, which fund the chain).');
  out.push('Totals are 8 · Σ bytes / Σ dims (large images weigh more).');
  out.push('');
  // The coder's overhead (file − bound) beside the −ELBO, when both ran.
  const overhead = columns.some((c) => c.id === 'vdmzip') && columns.some((c) => c.id === 'elbo');
  const extra = (id: BenchCodecId): string[] => (id === 'vdmzip' ? ['coded by'] : id === 'elbo' && overhead ? ['overhead'] : []);
  const headings = columns.flatMap((c) => [c.label, ...extra(c.id)]);
  const cells = (value: (id: BenchCodecId) => string, over: string, coded: string) =>
    columns.flatMap((c) => [value(c.id), ...extra(c.id).map((e) => (e === 'overhead' ? over : coded))]).join(' | ');
  out.push(`| image | W×H×C | ${headings.join(' | ')} |`);
  out.push(`|---|---|${headings.map(() => '---:').join('|')}|`);
  const names = displayNames(result.images);
  if (options.perImage ?? true) {
    for (const r of result.images) {
      const v = r.codecs.vdmzip;
      const over = v?.ok && r.elbo ? (v.bpd - r.elbo.bpd).toFixed(3) : '–';
      out.push(`| ${names.get(r)} | ${r.width}×${r.height}×${r.channels} | ${cells((id) => imageCell(r, id), over, codedByCell(r))} |`);
    }
  }
  if (result.sets.length > 1) {
    for (const s of result.sets) {
      const setImages = result.images.filter((r) => r.set === s.name);
      out.push(`| **${s.name}** (${s.totals.images}) | | ${cells((id) => totalCell(s.totals, id), overheadCell(s.totals), codedByCounts(setImages))} |`);
    }
  }
  out.push(`| **total** (${result.totals.images}) | ${result.totals.dims} dims | ${cells((id) => totalCell(result.totals, id), overheadCell(result.totals), codedByCounts(result.images))} |`);
  out.push('');

  out.push('Seconds, summed over the images (encode / decode; each tool run as a fresh process, one at a time):');
  out.push('');
  out.push('| codec | encode s | decode s | total bytes |');
  out.push('|---|---:|---:|---:|');
  for (const c of columns) {
    if (c.id === 'elbo') {
      if (result.totals.elbo) out.push(`| ${c.label} | ${seconds(result.totals.elbo.seconds)} (evaluation) | – | – |`);
      continue;
    }
    const t = result.totals.codecs[c.id];
    if (!t) continue;
    if (t.images === 0) out.push(`| ${c.label} | – | – | –${t.failures ? ` (${t.failures} failed)` : ''} |`);
    else out.push(`| ${c.label} | ${seconds(t.encodeSeconds)} | ${seconds(t.decodeSeconds)} | ${t.bytes}${t.failures ? ` (${t.failures} failed)` : ''} |`);
  }
  out.push('');

  if (result.totals.elbo) {
    const e = result.totals.elbo;
    out.push(`−ELBO by term (bpd): prior ${e.prior.toFixed(4)}, diffusion ${e.diffusion.toFixed(4)}, reconstruction ${e.reconstruction.toFixed(4)}; total ${e.bpd.toFixed(4)} ± ${e.stderr.toFixed(4)} (standard error over patches).`);
    out.push('');
  }

  const failures = result.images.flatMap((r) => Object.entries(r.codecs).filter(([, m]) => m && !m.ok).map(([id, m]) => `- ${names.get(r)}, ${label(result.codecs, id)}: ${(m as { error: string }).error}`));
  if (failures.length > 0) {
    out.push('Failures:');
    out.push('');
    out.push(...failures);
    out.push('');
  }

  out.push('What ran:');
  out.push('');
  for (const c of result.codecs) {
    if (!c.available) {
      out.push(`- ${c.label}: **not run**, ${c.reason}`);
      continue;
    }
    if (c.id === 'vdmzip' || c.id === 'elbo') {
      out.push(`- ${c.label}: ${c.encoder}; ${c.decoder}`);
      continue;
    }
    const version = c.version ? ` ${c.version}` : '';
    const pkg = c.debianPackage ? ` (Debian package ${c.debianPackage}${version})` : '';
    out.push(`- ${c.label}: \`${c.encoder}\`${pkg}; decoded with ${c.decoder.startsWith('vdmzip') ? c.decoder : `\`${c.decoder}\``}`);
  }
  if (result.model) out.push(`- model ${result.model.id.slice(0, 16)}… (${result.model.source}; T = ${result.model.steps}, patch ${result.model.patch}), engine ${result.model.engineSettings ?? result.model.engine}${result.model.device === undefined ? '' : ` on the ${result.model.device.toUpperCase()}`}`);
  out.push(`- ${result.host.cpu}, ${result.host.cpus} CPUs, threads ${result.threads}, Node ${result.host.node}, ${result.date}`);
  out.push('');
  return out.join('\n');
}

function label(codecs: CodecInfo[], id: string): string {
  return codecs.find((c) => c.id === id)?.label ?? id;
}

/**
 * Grouped bars of total bpd: one group per image set (or, for a single set of at most
 * eight images, one group per image and one for the total), one bar per codec.
 */
export function renderChart(result: BenchResult): string {
  const columns = result.codecs.filter((c) => c.available);
  const names = displayNames(result.images);
  const perImage = result.sets.length === 1 && result.images.length > 1 && result.images.length <= 8;
  const groups: { name: string; value: (id: BenchCodecId) => number | null }[] = [];
  const fromTotals = (t: Totals) => (id: BenchCodecId) => (id === 'elbo' ? (t.elbo?.bpd ?? null) : (t.codecs[id]?.bpd ?? null));
  if (perImage) {
    for (const r of result.images) groups.push({ name: names.get(r)!.replace(/\.(png|ppm|pgm|pnm)$/i, ''), value: (id) => (id === 'elbo' ? (r.elbo?.bpd ?? null) : (r.codecs[id]?.ok ? (r.codecs[id] as { bpd: number }).bpd : null)) });
    groups.push({ name: 'total', value: fromTotals(result.totals) });
  } else {
    for (const s of result.sets) groups.push({ name: `${s.name} (${s.totals.images})`, value: fromTotals(s.totals) });
    if (result.sets.length > 1) groups.push({ name: `all (${result.totals.images})`, value: fromTotals(result.totals) });
  }
  const series: BarSeries[] = columns.map((c) => ({ name: c.label, color: COLOURS[c.id], values: groups.map((g) => g.value(c.id)) }));
  const width = Math.max(640, Math.min(1400, 180 + groups.length * (columns.length * 34 + 30)));
  const panel = barChart({
    title: 'Lossless bits per dimension (lower is better)',
    note: `8 · bytes / (W · H · C), every file round-trip checked; ${result.totals.images} image${result.totals.images === 1 ? '' : 's'}${perImage ? '' : ', totals per set'}`,
    yLabel: 'bits per dimension',
    groups: groups.map((g) => g.name),
    series,
    width,
    height: 400,
    id: 'bench',
  });
  return svgDocument([panel], 'vdmzip bench');
}
