// The charts of a run: uPlot line charts with 95 % CI ribbons, lever windows
// shaded and events marked; heat maps of flows as HTML tables.

import uPlot from 'uplot';
import { PALETTE, alpha, el, fmt, fmtYuan, livelihoodColour } from './util.js';

const AXIS_FONT = '11px system-ui, sans-serif';
const LABEL_FONT = '600 11px system-ui, sans-serif';

/** uPlot instances by chart id, reused (setData) while their shape holds. */
const charts = new Map();

/** Destroys every chart whose id is not in `keep`. */
export function pruneCharts(keep) {
  for (const [id, c] of charts) {
    if (!keep.has(id)) {
      c.u.destroy();
      charts.delete(id);
    }
  }
}

/**
 * The overlay of every chart: shaded lever windows and event lines.
 * windows: [{lever, start, end, arm}], events: [{kind, year, arm}],
 * range: [first year, last year] of the run.
 */
function overlayPlugin(entry) {
  // Per lever, its window in each arm: the same in both (grey), or
  // different (the modified one blue, the base one a dashed outline).
  const intervals = () => {
    const o = entry.overlay || {};
    const [y0, y1] = o.range || [-Infinity, Infinity];
    const byLever = new Map();
    for (const w of o.windows || []) {
      const l = byLever.get(w.lever) || { base: null, modified: null };
      if (w.arm === 'base' || w.arm === 'both') l.base = w;
      if (w.arm === 'modified' || w.arm === 'both') l.modified = w;
      byLever.set(w.lever, l);
    }
    const out = new Map();
    const add = (w, kind) => {
      if (!w || (w.start <= y0 && w.end >= y1)) return; // acting every year: nothing to mark
      const k = `${kind}:${w.start}-${w.end}`;
      if (!out.has(k)) out.set(k, { kind, start: w.start, end: w.end });
    };
    for (const l of byLever.values()) {
      if (l.base && l.modified && l.base.start === l.modified.start && l.base.end === l.modified.end) add(l.base, 'both');
      else { add(l.base, 'base'); add(l.modified, 'modified'); }
    }
    const order = { both: 0, modified: 1, base: 2 };
    return [...out.values()].sort((a, b) => order[a.kind] - order[b.kind]);
  };
  return {
    hooks: {
      drawClear: [(u) => {
        const { ctx } = u;
        const top = u.bbox.top, h = u.bbox.height;
        ctx.save();
        const dpr = devicePixelRatio;
        for (const w of intervals()) {
          const x0 = u.valToPos(w.start - 0.5, 'x', true);
          const x1 = u.valToPos(w.end + 0.5, 'x', true);
          const left = Math.max(x0, u.bbox.left), right = Math.min(x1, u.bbox.left + u.bbox.width);
          if (right <= left) continue;
          if (w.kind === 'base') {
            ctx.strokeStyle = 'rgba(0,0,0,0.45)';
            ctx.setLineDash([4 * dpr, 3 * dpr]);
            ctx.lineWidth = dpr;
            ctx.strokeRect(left + dpr / 2, top + dpr / 2, right - left - dpr, h - dpr);
          } else {
            ctx.fillStyle = w.kind === 'both' ? 'rgba(0,0,0,0.05)' : alpha(PALETTE[4], 0.12);
            ctx.fillRect(left, top, right - left, h);
          }
        }
        ctx.restore();
      }],
      draw: [(u) => {
        const o = entry.overlay || {};
        const { ctx } = u;
        const top = u.bbox.top, h = u.bbox.height;
        const dpr = devicePixelRatio;
        ctx.save();
        if (o.zero) {
          const y = u.valToPos(0, 'y', true);
          if (y >= top && y <= top + h) {
            ctx.strokeStyle = '#333';
            ctx.lineWidth = dpr;
            ctx.beginPath();
            ctx.moveTo(u.bbox.left, y);
            ctx.lineTo(u.bbox.left + u.bbox.width, y);
            ctx.stroke();
          }
        }
        ctx.font = `${10 * dpr}px system-ui, sans-serif`;
        ctx.textBaseline = 'top';
        ctx.textAlign = 'left';
        const seen = new Map();
        for (const ev of o.events || []) {
          const x = u.valToPos(ev.year, 'x', true);
          if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
          ctx.strokeStyle = ev.arm === 'base' ? '#777' : ev.arm === 'modified' ? PALETTE[5] : '#333';
          ctx.setLineDash([4 * dpr, 3 * dpr]);
          ctx.lineWidth = 1.5 * dpr;
          ctx.beginPath();
          ctx.moveTo(x, top);
          ctx.lineTo(x, top + h);
          ctx.stroke();
          const n = seen.get(ev.year) || 0;
          seen.set(ev.year, n + 1);
          ctx.fillStyle = ctx.strokeStyle;
          const arm = ev.arm === 'both' ? '' : ` (${ev.arm})`;
          ctx.fillText(`${ev.kind.replace(/_/g, ' ')}${arm}`, x + 3 * dpr, top + 2 * dpr + n * 11 * dpr);
        }
        ctx.restore();
      }],
    },
  };
}

/**
 * A line chart, created or updated in place.
 *   spec.id, spec.title, spec.xs, spec.yLabel, spec.width, spec.height
 *   spec.series: [{label, values, colour, dash (bool), lo, hi, width}]
 *   spec.overlay: {windows, events, range, zero}
 *   spec.yFormat: value → text (ticks)
 *   spec.includeZero: bool
 */
export function lineChart(container, spec) {
  const data = [spec.xs];
  const series = [{ label: 'year' }];
  const bands = [];
  for (const s of spec.series) {
    const idx = data.length;
    data.push(s.values);
    series.push({
      label: s.label,
      stroke: s.colour,
      width: s.width || (s.dash ? 1.5 : 2),
      dash: s.dash ? [6, 4] : undefined,
      points: { show: spec.xs.length < 3 },
      spanGaps: false,
    });
    if (s.lo && s.hi) {
      data.push(s.hi, s.lo);
      const band = { label: `${s.label} 95 % CI`, stroke: 'transparent', width: 0, points: { show: false } };
      series.push({ ...band, label: `${s.label} hi` }, { ...band, label: `${s.label} lo` });
      bands.push({ series: [idx + 1, idx + 2], fill: alpha(s.colour === '#000000' ? '#555555' : s.colour, s.dash ? 0.12 : 0.22) });
    }
  }
  const sig = JSON.stringify([spec.width, spec.height, spec.yLabel, series.map((s) => [s.label, s.stroke, s.dash]), bands.length]);
  let entry = charts.get(spec.id);
  if (entry && entry.sig === sig && entry.u.root.parentNode === container) {
    entry.overlay = spec.overlay;
    entry.u.setData(data, true);
    return entry.u;
  }
  if (entry) {
    entry.u.destroy();
    charts.delete(spec.id);
  }
  entry = { sig, overlay: spec.overlay, u: null };
  const yFormat = spec.yFormat || ((v) => fmt(v, Math.abs(v) < 10 ? 1 : 0));
  const opts = {
    title: spec.title,
    width: spec.width,
    height: spec.height,
    legend: { show: false },
    cursor: { points: { show: false }, drag: { x: false, y: false } },
    scales: {
      x: { time: false },
      y: {
        range: (u, min, max) => {
          if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
          if (spec.includeZero) { min = Math.min(min, 0); max = Math.max(max, 0); }
          if (min === max) { const d = Math.abs(min) * 0.1 || 1; return [min - d, max + d]; }
          const pad = (max - min) * 0.08;
          return [spec.includeZero && min === 0 ? 0 : min - pad, max + pad];
        },
      },
    },
    axes: [
      { label: 'year', labelSize: 16, size: 30, space: 36, font: AXIS_FONT, labelFont: LABEL_FONT, incrs: [1, 2, 5, 10, 20, 50], values: (u, vals) => vals.map((v) => String(v)) },
      { label: spec.yLabel, labelSize: 16, size: 50, font: AXIS_FONT, labelFont: LABEL_FONT, values: (u, vals) => vals.map(yFormat) },
    ],
    series,
    bands,
    plugins: [overlayPlugin(entry)],
  };
  entry.u = new uPlot(opts, data, container);
  charts.set(spec.id, entry);
  return entry.u;
}

/** A legend in HTML: [{label, colour, dash, band}]. */
export function legend(items) {
  return el('div', { class: 'legend' }, items.map((it) => el('span', { class: 'item' },
    it.band
      ? el('span', { class: 'swatch band', style: `background:${it.colour}` })
      : el('span', { class: `swatch line${it.dash ? ' dash' : ''}`, style: `border-color:${it.colour}` }),
    it.label)));
}

/** The legend of the overlay (lever windows, events). */
export function overlayLegend() {
  return el('div', { class: 'legend overlay' },
    el('span', { class: 'item' }, el('span', { class: 'swatch band', style: 'background:rgba(0,0,0,0.09)' }), 'years a lever acts (same in both arms)'),
    el('span', { class: 'item' }, el('span', { class: 'swatch band', style: `background:${alpha(PALETTE[4], 0.24)}` }), 'years of a changed lever, modified scenario'),
    el('span', { class: 'item' }, el('span', { class: 'swatch band outline' }), 'years of a changed lever, base scenario'),
    el('span', { class: 'item' }, el('span', { class: 'swatch line dash', style: 'border-color:#333' }), 'event (both arms; orange: modified only, grey: base only)'),
  );
}

// --- heat maps ------------------------------------------------------------------

function seqColour(t) {
  // white → Okabe–Ito blue
  const c = [0x00, 0x72, 0xb2];
  const m = (a) => Math.round(255 + (a - 255) * Math.max(0, Math.min(1, t)));
  return `rgb(${m(c[0])},${m(c[1])},${m(c[2])})`;
}

function divColour(t) {
  // blue (−) ← white → vermillion (+)
  const c = t < 0 ? [0x00, 0x72, 0xb2] : [0xd5, 0x5e, 0x00];
  const a = Math.min(1, Math.abs(t));
  const m = (x) => Math.round(255 + (x - 255) * a);
  return `rgb(${m(c[0])},${m(c[1])},${m(c[2])})`;
}

/**
 * A heat map as a table: rows "from", columns "to".
 * matrix[from][to]; kind 'seq' (0..max) or 'div' (−max..max).
 */
export function heatTable(title, states, matrix, kind, unit) {
  let max = 0;
  for (const row of matrix) for (const v of row) if (Number.isFinite(v)) max = Math.max(max, Math.abs(v));
  const head = el('tr', null, el('th', { class: 'corner' }, 'from ↓ to →'), states.map((s) => el('th', { scope: 'col' }, s)));
  const rows = states.map((from, i) => el('tr', null, el('th', { scope: 'row' }, from),
    states.map((to, j) => {
      const v = matrix[i]?.[j];
      const t = max > 0 && Number.isFinite(v) ? v / max : 0;
      const bg = kind === 'div' ? divColour(t) : seqColour(t);
      const dark = Math.abs(t) > 0.55;
      const text = Number.isFinite(v) ? (kind === 'div' && v > 0 ? '+' : '') + fmt(v, Math.abs(v) < 10 && v !== 0 ? 1 : 0) : '–';
      return el('td', { style: `background:${bg};color:${dark ? '#fff' : '#111'}`, title: `${from} → ${to}: ${text} ${unit}` }, text);
    })));
  return el('figure', { class: 'heat' },
    el('figcaption', null, title),
    el('table', null, el('thead', null, head), el('tbody', null, rows)));
}

export { fmtYuan, livelihoodColour };
