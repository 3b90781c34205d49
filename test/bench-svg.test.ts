import { describe, expect, it } from 'vitest';
import { barChart, escapeXml, formatTick, formatValue, lineChart, messagePanel, niceTicks, svgDocument } from '../src/bench/svg.ts';
import { checkWellFormed } from './bench-xml.ts';

describe('svg helpers', () => {
  it('picks round ticks', () => {
    expect(niceTicks(0, 10, 5).ticks).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(0, 0.18, 6).ticks).toEqual([0, 0.05, 0.1, 0.15]);
    expect(niceTicks(0, 0.18, 6, true).ticks).toEqual([0, 0.05, 0.1, 0.15, 0.2]);
    expect(niceTicks(0, 4.6, 5, true).ticks.at(-1)).toBeGreaterThanOrEqual(4.6);
    expect(niceTicks(-13.3, 5, 5, true).ticks[0]).toBeLessThanOrEqual(-13.3);
    expect(niceTicks(3, 3).ticks.length).toBeGreaterThan(1);
    expect(formatTick(0.25, 0.25)).toBe('0.25');
    expect(formatTick(10, 2.5)).toBe('10.0');
    expect(formatTick(-0, 1)).toBe('0');
    expect(formatValue(3.14159)).toBe('3.14');
    expect(formatValue(0.0011)).toBe('0.001');
    expect(escapeXml('a<b & "c"')).toBe('a&lt;b &amp; &quot;c&quot;');
  });

  it('draws a line chart with every series in the legend, breaking lines at gaps', () => {
    const panel = lineChart({
      title: 'Loss <bpd> & more',
      xLabel: 'hours',
      yLabel: 'bpd',
      series: [
        { name: 'val', points: [[0, 5], [1, 4], [2, NaN], [3, 3.5]] },
        { name: 'train', points: [[0, 6], [3, 3.4]], dashed: true },
      ],
    });
    const svg = svgDocument([panel]);
    checkWellFormed(svg);
    expect(svg).toContain('Loss &lt;bpd&gt; &amp; more');
    expect(svg).toContain('>val: 3.50<');
    expect(svg).toContain('>train: 3.40<');
    expect(svg).toContain('stroke-dasharray="6 4"');
    // The gap at x = 2 starts a new subpath.
    expect(svg).toMatch(/<path d="M[^"]*L[^"]*M[^"]*"/);
  });

  it('draws grouped bars, marks missing values, stacks panels', () => {
    const bars = barChart({
      title: 'bpd',
      yLabel: 'bpd',
      groups: ['a', 'b'],
      series: [
        { name: 'png', values: [4.4, 4.9] },
        { name: 'webp', values: [3.5, null] },
      ],
    });
    const note = messagePanel({ title: 'empty' }, 'nothing yet');
    const svg = svgDocument([bars, note], 'two panels');
    checkWellFormed(svg);
    expect(svg.match(/<rect [^>]*><title>/g)).toHaveLength(3);
    expect(svg).toContain('>n/a<');
    expect(svg).toContain('>4.90<');
    expect(svg).toContain(`height="${bars.height + note.height}"`);
    expect(svg).toContain(`translate(0 ${bars.height})`);
  });

  it('the well-formedness check catches broken documents', () => {
    expect(() => checkWellFormed('<svg><g></svg>')).toThrow();
    expect(() => checkWellFormed('<svg>a & b</svg>')).toThrow();
    expect(() => checkWellFormed('<svg x=1></svg>')).toThrow();
    expect(() => checkWellFormed('<a/><b/>')).toThrow();
    expect(() => checkWellFormed('<svg><text>a &amp; b</text></svg>')).not.toThrow();
  });
});
