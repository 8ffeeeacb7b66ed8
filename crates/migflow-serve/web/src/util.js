// Small helpers shared by the page's modules.

/** Okabe–Ito colours, exactly as crates/migflow-report/src/charts/mod.rs. */
export const PALETTE = [
  '#E69F00', // orange
  '#56B4E9', // sky blue
  '#009E73', // bluish green
  '#F0E442', // yellow
  '#0072B2', // blue
  '#D55E00', // vermillion
  '#CC79A7', // reddish purple
  '#000000', // black
];

/** The report's colour per livelihood (livelihood_colour in the report). */
export function livelihoodColour(name, index) {
  switch (String(name).trim().toLowerCase()) {
    case 'outbound': return PALETTE[0];
    case 'local': return PALETTE[1];
    case 'farm': return PALETTE[2];
    case 'mixed': return PALETTE[6];
    case 'none': return PALETTE[5];
    case 'all': return PALETTE[7];
    default: return PALETTE[index % PALETTE.length];
  }
}

/** '#RRGGBB' and an alpha → 'rgba(r,g,b,a)'. */
export function alpha(hex, a) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${a})`;
}

/** Creates an element: el('div', {class: 'x', onclick: f}, child, 'text', …). */
export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
      else if (k === 'class') e.className = v;
      else if (k === 'dataset') Object.assign(e.dataset, v);
      else if (k in e && typeof v !== 'string') e[k] = v;
      else e.setAttribute(k, v === true ? '' : String(v));
    }
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

/** Deep equality of JSON values (objects compared key by key, any order). */
export function jsonEqual(a, b) {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  const ka = Object.keys(a), kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && jsonEqual(a[k], b[k]));
}

export const clone = (v) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));

/** A number as people read it: 1234567 → "1,234,567"; digits after the point. */
export function fmt(x, digits = 0) {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  return x.toLocaleString('en-GB', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Yuan with a short scale: 2100000 → "2.1 M". */
export function fmtYuan(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a >= 1e9) return `${(x / 1e9).toFixed(a >= 1e10 ? 0 : 1)} bn`;
  if (a >= 1e6) return `${(x / 1e6).toFixed(a >= 1e7 ? 0 : 1)} M`;
  if (a >= 1e4) return `${(x / 1e3).toFixed(0)} k`;
  return fmt(x, a < 10 && a !== 0 ? 2 : 0);
}

/** A random id for this page load (the API's `client`). */
export function randomId() {
  const b = new Uint8Array(8);
  (globalThis.crypto || window.crypto).getRandomValues(b);
  return 'page-' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
