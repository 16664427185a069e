// Per-minute bar charts of the last hour, drawn as a small SVG. A charting
// library would be the larger download (tens of kB for one chart type), and
// these are 60 bars with an axis: see docs/portal.md.

import { svg, h } from './dom.js';

/**
 * Bars for `series` (the usage endpoints' 60 minutes): `keys` are the
 * fields stacked in each bar, each drawn in its own colour class and named
 * in the legend by `labels[key]` (else the key, underscores as spaces).
 * `small`: a sparkline for a table cell (no axis, no legend).
 */
export function usageChart(series, keys = ['messages'], { small = false, title = '', labels = {} } = {}) {
  const label = (k) => labels[k] ?? k.replaceAll('_', ' ');
  const W = small ? 120 : 640;
  const H = small ? 24 : 160;
  const padL = small ? 0 : 36;
  const padB = small ? 0 : 18;
  const padT = small ? 1 : 8;
  const n = series.length || 60;
  const max = Math.max(1, ...series.map((m) => keys.reduce((s, k) => s + (m[k] || 0), 0)));
  const bw = (W - padL) / n;
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: small ? 'spark' : 'chart', role: 'img' });
  const total = series.reduce((s, m) => s + keys.reduce((a, k) => a + (m[k] || 0), 0), 0);
  root.append(svg('title', {}, `${title ? title + ': ' : ''}${total} in the last hour (peak ${total === 0 ? 0 : max}/min)`));
  if (!small) {
    // Whole numbers on the axis: 0, the peak, and half of it when that is one.
    const ticks = [0, max];
    if (max % 2 === 0) ticks.push(max / 2);
    for (const v of ticks) {
      const y = padT + (H - padB - padT) * (1 - v / max);
      root.append(svg('line', { x1: padL, x2: W, y1: y, y2: y, class: 'grid' }));
      root.append(svg('text', { x: padL - 4, y: y + 4, class: 'axis', 'text-anchor': 'end' }, String(v)));
    }
    root.append(svg('text', { x: padL, y: H - 3, class: 'axis' }, '−60 min'));
    root.append(svg('text', { x: W, y: H - 3, class: 'axis', 'text-anchor': 'end' }, 'now'));
  }
  series.forEach((m, i) => {
    let y = H - padB;
    for (const k of keys) {
      const v = m[k] || 0;
      if (!v) continue;
      const bh = ((H - padB - padT) * v) / max;
      y -= bh;
      const r = svg('rect', { x: padL + i * bw + 0.5, y, width: Math.max(1, bw - 1), height: bh, class: `bar k-${k}` });
      r.append(svg('title', {}, `${m.minute?.slice(11, 16) ?? ''} UTC: ${v} ${label(k)}`));
      root.append(r);
    }
  });
  if (small) return root;
  return h('figure.chart',
    root,
    h('figcaption', title ? h('strong', title + ' ') : null,
      keys.map((k) => h('span.legend', { 'data-key': k }, h(`i.k-${k}`), label(k)))));
}
