/**
 * Small dependency-free SVG charts: a line chart (several series, axes, labels, legend)
 * and a grouped bar chart. Each chart is a Panel (a fragment of known size); svgDocument
 * stacks panels into one standalone SVG file. Used by `vdmzip bench` and the training
 * report (src/training/report.ts).
 *
 * The output is deterministic (same input, same bytes) and plain SVG 1.1 that browsers,
 * rsvg-convert and GitHub all render.
 */

/** Okabe–Ito colours: distinguishable with the common colour-vision deficiencies. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];

const FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"';
const AXIS_COLOUR = '#333333';
const GRID_COLOUR = '#e3e3e3';

/** A chart fragment: its size, and SVG elements drawn with (0, 0) at its top-left. */
export interface Panel {
  width: number;
  height: number;
  body: string;
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A number for SVG coordinates: two decimals, no trailing zeros. */
function n(x: number): string {
  return String(Math.round(x * 100) / 100);
}

function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${n(x)}" y="${n(y)}" ${FONT} ${attrs}>${escapeXml(content)}</text>`;
}

/**
 * About `target` round tick values (1, 2, 2.5 or 5 × 10^k apart) over [min, max].
 * Returns the ticks and the step between them.
 */
export function niceTicks(min: number, max: number, target = 5, cover = false): { ticks: number[]; step: number } {
  if (!(Number.isFinite(min) && Number.isFinite(max))) return { ticks: [0, 1], step: 1 };
  if (max < min) [min, max] = [max, min];
  if (max === min) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const raw = (max - min) / Math.max(1, target);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const ticks: number[] = [];
  // With `cover`, the ticks reach out to enclose [min, max]; else they stay inside it.
  const first = cover ? Math.floor(min / step + 1e-9) : Math.ceil(min / step - 1e-9);
  const last = cover ? Math.ceil(max / step - 1e-9) : Math.floor(max / step + 1e-9);
  for (let k = first; k <= last; k++) ticks.push(roundTo(k * step, step));
  return { ticks, step };
}

function roundTo(x: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 2);
  return Number(x.toFixed(Math.min(20, decimals)));
}

/** Tick label with just enough decimals to show the step exactly. */
export function formatTick(x: number, step: number): string {
  let decimals = 0;
  while (decimals < 10 && Math.abs(Math.round(step * 10 ** decimals) - step * 10 ** decimals) > 1e-6) decimals++;
  const fixed = x.toFixed(decimals);
  return /^-0(\.0*)?$/.test(fixed) ? fixed.slice(1) : fixed;
}

/** A value for a label: 3 significant digits, at most 3 decimals. */
export function formatValue(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const abs = Math.abs(x);
  if (abs >= 100) return x.toFixed(0);
  if (abs >= 10) return x.toFixed(1);
  if (abs >= 1) return x.toFixed(2);
  if (abs >= 0.001 || abs === 0) return x.toFixed(3);
  return x.toExponential(1);
}

export interface Series {
  name: string;
  /** [x, y] points; a non-finite y breaks the line. */
  points: ReadonlyArray<readonly [number, number]>;
  color?: string;
  dashed?: boolean;
  /** Line width in px (default 2). */
  strokeWidth?: number;
  opacity?: number;
  /** Mark each point with a dot (default: when the series has at most 30 points). */
  markers?: boolean;
}

export interface Frame {
  title: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
  /** A line of small print under the title. */
  note?: string;
  /** Unique within the document (used for the clip path); default: from the title. */
  id?: string;
}

export interface LineChartOptions extends Frame {
  series: Series[];
  xRange?: [number, number];
  yRange?: [number, number];
  /** Show each series' last finite y in the legend (default true). */
  legendValues?: boolean;
  /** Horizontal reference lines. */
  references?: { y: number; label: string }[];
}

interface Layout {
  width: number;
  height: number;
  left: number;
  top: number;
  plotWidth: number;
  plotHeight: number;
  legendX: number;
}

function layout(frame: Frame, legendWidth: number): Layout {
  const width = frame.width ?? 760;
  const height = frame.height ?? 360;
  const left = 70;
  const top = frame.note ? 50 : 36;
  const right = legendWidth > 0 ? legendWidth + 24 : 20;
  const bottom = frame.xLabel ? 52 : 34;
  return { width, height, left, top, plotWidth: width - left - right, plotHeight: height - top - bottom, legendX: width - legendWidth - 8 };
}

function slug(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'chart';
}

function frameElements(frame: Frame, l: Layout): string[] {
  const out: string[] = [];
  out.push(`<rect x="0" y="0" width="${l.width}" height="${l.height}" fill="#ffffff"/>`);
  out.push(text(l.left, 22, frame.title, 'font-size="15" font-weight="bold" fill="#111111"'));
  if (frame.note) out.push(text(l.left, 39, frame.note, 'font-size="11" fill="#555555"'));
  if (frame.xLabel) out.push(text(l.left + l.plotWidth / 2, l.height - 10, frame.xLabel, 'font-size="12" text-anchor="middle" fill="#222222"'));
  if (frame.yLabel) {
    const cx = 16;
    const cy = l.top + l.plotHeight / 2;
    out.push(text(cx, cy, frame.yLabel, `font-size="12" text-anchor="middle" fill="#222222" transform="rotate(-90 ${n(cx)} ${n(cy)})"`));
  }
  return out;
}

function yAxis(l: Layout, ticks: number[], step: number, scale: (y: number) => number): string[] {
  const out: string[] = [];
  for (const t of ticks) {
    const y = scale(t);
    out.push(`<line x1="${n(l.left)}" y1="${n(y)}" x2="${n(l.left + l.plotWidth)}" y2="${n(y)}" stroke="${GRID_COLOUR}" stroke-width="1"/>`);
    out.push(text(l.left - 6, y + 4, formatTick(t, step), 'font-size="11" text-anchor="end" fill="#333333"'));
  }
  out.push(`<line x1="${n(l.left)}" y1="${n(l.top)}" x2="${n(l.left)}" y2="${n(l.top + l.plotHeight)}" stroke="${AXIS_COLOUR}" stroke-width="1"/>`);
  return out;
}

function legend(l: Layout, entries: { name: string; color: string; dashed?: boolean; bar?: boolean; opacity?: number }[]): string[] {
  const out: string[] = [];
  entries.forEach((e, k) => {
    const y = l.top + 8 + k * 18;
    const x = l.legendX;
    if (e.bar) out.push(`<rect x="${n(x)}" y="${n(y - 6)}" width="14" height="11" fill="${e.color}"/>`);
    else out.push(`<line x1="${n(x)}" y1="${n(y)}" x2="${n(x + 22)}" y2="${n(y)}" stroke="${e.color}" stroke-width="2.5"${e.dashed ? ' stroke-dasharray="6 4"' : ''}${e.opacity !== undefined ? ` stroke-opacity="${e.opacity}"` : ''}/>`);
    out.push(text(x + 28, y + 4, e.name, 'font-size="12" fill="#222222"'));
  });
  return out;
}

/** Width a legend needs for these labels (approximate, 7 px per character at 12 px). */
function legendWidth(labels: string[]): number {
  return labels.length === 0 ? 0 : Math.min(260, 34 + 7 * Math.max(...labels.map((s) => s.length)));
}

export function lineChart(options: LineChartOptions): Panel {
  const finite = options.series.flatMap((s) => s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
  const xs = finite.map(([x]) => x);
  const ys = finite.map(([, y]) => y);
  const [x0, x1] = options.xRange ?? [xs.length ? Math.min(...xs) : 0, xs.length ? Math.max(...xs) : 1];
  const [y0, y1] = options.yRange ?? [ys.length ? Math.min(...ys) : 0, ys.length ? Math.max(...ys) : 1];
  const xt = niceTicks(x0, x1, 6, !options.xRange);
  const yt = niceTicks(y0, y1, 5, !options.yRange);
  const xMin = options.xRange ? x0 : Math.min(x0, xt.ticks[0]);
  const xMax = options.xRange ? x1 : Math.max(x1, xt.ticks.at(-1)!);
  const yMin = options.yRange ? y0 : Math.min(y0, yt.ticks[0]);
  const yMax = options.yRange ? y1 : Math.max(y1, yt.ticks.at(-1)!);
  const xTicks = xt.ticks.filter((t) => t >= xMin - 1e-12 && t <= xMax + 1e-12);
  const yTicks = yt.ticks.filter((t) => t >= yMin - 1e-12 && t <= yMax + 1e-12);

  const showValues = options.legendValues ?? true;
  const labels = options.series.map((s) => {
    const last = [...s.points].reverse().find(([, y]) => Number.isFinite(y));
    return showValues && last ? `${s.name}: ${formatValue(last[1])}` : s.name;
  });
  const l = layout(options, legendWidth(labels));
  const sx = (x: number) => l.left + ((x - xMin) / (xMax - xMin || 1)) * l.plotWidth;
  const sy = (y: number) => l.top + l.plotHeight - ((y - yMin) / (yMax - yMin || 1)) * l.plotHeight;
  const clip = `clip-${options.id ?? slug(options.title)}`;

  const out = frameElements(options, l);
  out.push(...yAxis(l, yTicks, yt.step, sy));
  const base = l.top + l.plotHeight;
  out.push(`<line x1="${n(l.left)}" y1="${n(base)}" x2="${n(l.left + l.plotWidth)}" y2="${n(base)}" stroke="${AXIS_COLOUR}" stroke-width="1"/>`);
  for (const t of xTicks) {
    const x = sx(t);
    out.push(`<line x1="${n(x)}" y1="${n(base)}" x2="${n(x)}" y2="${n(base + 5)}" stroke="${AXIS_COLOUR}" stroke-width="1"/>`);
    out.push(text(x, base + 18, formatTick(t, xt.step), 'font-size="11" text-anchor="middle" fill="#333333"'));
  }
  out.push(`<defs><clipPath id="${clip}"><rect x="${n(l.left)}" y="${n(l.top - 4)}" width="${n(l.plotWidth + 4)}" height="${n(l.plotHeight + 8)}"/></clipPath></defs>`);
  out.push(`<g clip-path="url(#${clip})">`);
  for (const r of options.references ?? []) {
    if (r.y < yMin || r.y > yMax) continue;
    out.push(`<line x1="${n(l.left)}" y1="${n(sy(r.y))}" x2="${n(l.left + l.plotWidth)}" y2="${n(sy(r.y))}" stroke="#777777" stroke-width="1" stroke-dasharray="2 3"/>`);
    out.push(text(l.left + l.plotWidth - 4, sy(r.y) - 4, r.label, 'font-size="10" text-anchor="end" fill="#555555"'));
  }
  options.series.forEach((s, k) => {
    const color = s.color ?? PALETTE[k % PALETTE.length];
    let d = '';
    let pen = false;
    for (const [x, y] of s.points) {
      if (!(Number.isFinite(x) && Number.isFinite(y))) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${n(sx(x))} ${n(sy(y))}`;
      pen = true;
    }
    const opacity = s.opacity !== undefined ? ` stroke-opacity="${s.opacity}"` : '';
    if (d) out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="${s.strokeWidth ?? 2}" stroke-linejoin="round"${s.dashed ? ' stroke-dasharray="6 4"' : ''}${opacity}><title>${escapeXml(s.name)}</title></path>`);
    const finitePoints = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (s.markers ?? finitePoints.length <= 30) {
      for (const [x, y] of finitePoints) out.push(`<circle cx="${n(sx(x))}" cy="${n(sy(y))}" r="2.5" fill="${color}"${s.opacity !== undefined ? ` fill-opacity="${s.opacity}"` : ''}/>`);
    }
  });
  out.push('</g>');
  out.push(...legend(l, options.series.map((s, k) => ({ name: labels[k], color: s.color ?? PALETTE[k % PALETTE.length], dashed: s.dashed, opacity: s.opacity }))));
  return { width: l.width, height: l.height, body: out.join('\n') };
}

export interface BarSeries {
  name: string;
  /** One value per group; null draws "n/a" (a failed or missing measurement). */
  values: (number | null)[];
  color?: string;
}

export interface BarChartOptions extends Frame {
  groups: string[];
  series: BarSeries[];
  /** Print each bar's value above it (default: when the bars are wide enough). */
  valueLabels?: boolean;
  /** Label only every k-th group on the x axis (default 1). */
  labelEvery?: number;
  /** Horizontal reference lines. */
  references?: { y: number; label: string }[];
  /** Lower end of the y axis (default 0). */
  yMin?: number;
  /** Hide the legend (for a single series). */
  legend?: boolean;
}

export function barChart(options: BarChartOptions): Panel {
  const values = options.series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const refs = (options.references ?? []).map((r) => r.y);
  const yMinWanted = options.yMin ?? 0;
  const yt = niceTicks(yMinWanted, Math.max(yMinWanted + 1e-9, ...values, ...refs) * 1.06, 5, true);
  const yMin = yMinWanted;
  const yMax = yt.ticks.at(-1)!;
  const yTicks = yt.ticks.filter((t) => t >= yMin - 1e-12);
  const showLegend = options.legend ?? true;
  const l = layout(options, showLegend ? legendWidth(options.series.map((s) => s.name)) : 0);
  const sy = (y: number) => l.top + l.plotHeight - ((Math.max(yMin, Math.min(yMax, y)) - yMin) / (yMax - yMin || 1)) * l.plotHeight;

  const groups = options.groups.length;
  const perGroup = Math.max(1, options.series.length);
  const groupWidth = l.plotWidth / Math.max(1, groups);
  const gap = perGroup > 1 ? Math.min(24, groupWidth * 0.2) : groupWidth * 0.15;
  const barWidth = (groupWidth - gap) / perGroup;
  const showValues = options.valueLabels ?? barWidth >= 26;

  const out = frameElements(options, l);
  out.push(...yAxis(l, yTicks, yt.step, sy));
  const base = l.top + l.plotHeight;
  out.push(`<line x1="${n(l.left)}" y1="${n(base)}" x2="${n(l.left + l.plotWidth)}" y2="${n(base)}" stroke="${AXIS_COLOUR}" stroke-width="1"/>`);
  const every = Math.max(1, options.labelEvery ?? 1);
  options.groups.forEach((g, gi) => {
    const gx = l.left + gi * groupWidth + gap / 2;
    if (gi % every === 0 || (every > 1 && gi === groups - 1)) {
      out.push(text(gx + (groupWidth - gap) / 2, base + 17, g, 'font-size="11" text-anchor="middle" fill="#333333"'));
    }
    options.series.forEach((s, si) => {
      const color = s.color ?? PALETTE[si % PALETTE.length];
      const x = gx + si * barWidth;
      const v = s.values[gi];
      if (v === null || v === undefined || !Number.isFinite(v)) {
        out.push(text(x + barWidth / 2, base - 4, 'n/a', 'font-size="9" text-anchor="middle" fill="#aa0000"'));
        return;
      }
      const top = sy(v);
      const inner = Math.max(1, barWidth - (perGroup > 1 ? 2 : 1));
      out.push(`<rect x="${n(x)}" y="${n(top)}" width="${n(inner)}" height="${n(Math.max(0, base - top))}" fill="${color}"><title>${escapeXml(`${s.name}, ${g}: ${formatValue(v)}`)}</title></rect>`);
      if (showValues) out.push(text(x + inner / 2, top - 4, formatValue(v), 'font-size="10" text-anchor="middle" fill="#222222"'));
    });
  });
  for (const r of options.references ?? []) {
    if (r.y < yMin || r.y > yMax) continue;
    out.push(`<line x1="${n(l.left)}" y1="${n(sy(r.y))}" x2="${n(l.left + l.plotWidth)}" y2="${n(sy(r.y))}" stroke="#555555" stroke-width="1" stroke-dasharray="5 4"/>`);
    out.push(text(l.left + l.plotWidth - 4, sy(r.y) - 4, r.label, 'font-size="10" text-anchor="end" fill="#444444"'));
  }
  if (showLegend) out.push(...legend(l, options.series.map((s, k) => ({ name: s.name, color: s.color ?? PALETTE[k % PALETTE.length], bar: true }))));
  return { width: l.width, height: l.height, body: out.join('\n') };
}

/** A panel that only says something (e.g. "no data yet"), in the frame of a chart. */
export function messagePanel(frame: Frame, message: string): Panel {
  const l = layout(frame, 0);
  const out = frameElements(frame, l);
  out.push(`<rect x="${n(l.left)}" y="${n(l.top)}" width="${n(l.plotWidth)}" height="${n(l.plotHeight)}" fill="#fafafa" stroke="${GRID_COLOUR}"/>`);
  out.push(text(l.left + l.plotWidth / 2, l.top + l.plotHeight / 2, message, 'font-size="13" text-anchor="middle" fill="#666666"'));
  return { width: l.width, height: l.height, body: out.join('\n') };
}

/** One standalone SVG with the panels stacked top to bottom. */
export function svgDocument(panels: Panel[], title?: string): string {
  const width = Math.max(1, ...panels.map((p) => p.width));
  const height = panels.reduce((h, p) => h + p.height, 0);
  const parts = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
  ];
  if (title) parts.push(`<title>${escapeXml(title)}</title>`);
  parts.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  let y = 0;
  for (const p of panels) {
    parts.push(`<g transform="translate(0 ${y})">`, p.body, '</g>');
    y += p.height;
  }
  parts.push('</svg>', '');
  return parts.join('\n');
}
