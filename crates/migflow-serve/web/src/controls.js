// One input per schema Key: parsing, validation against min/max, display of
// unit, range and doc. Nothing here knows any key by name.

import { el } from './util.js';

// Bounds that depend on another key ("a year not after
// `levers.workshops.end_year` (2025)"): the schema's min/max hold them at the
// scenario's values; when the other key changes, the bound follows it here
// (the server validates again in any case).
let resolve = () => undefined; // path → current value of a key, or undefined
let isDefault = () => true; // path → is the key at the scenario's value?

/** Tells this module how to read the current values of other keys. */
export function setResolver(value, atDefault) {
  resolve = value;
  isDefault = atDefault;
}

const REL = /(at least|not before|at most|not after)\s+(?:(-?\d+(?:\.\d+)?)\s*[−-]\s*)?`([\w.]+)`/g;

function relations(key) {
  if (key._rel) return key._rel;
  const rel = { min: [], max: [] };
  for (const m of String(key.expected || '').matchAll(REL)) {
    const side = m[1] === 'at least' || m[1] === 'not before' ? 'min' : 'max';
    rel[side].push({ path: m[3], from: m[2] === undefined ? null : Number(m[2]) });
  }
  Object.defineProperty(key, '_rel', { value: rel, enumerable: false });
  return rel;
}

/** The bounds of a key now: {min, max, minExclusive}. */
export function bounds(key, valueOf = resolve, atDefault = isDefault) {
  const rel = relations(key);
  const side = (name, pick) => {
    const rs = rel[name];
    if (!rs.length || rs.every((r) => atDefault(r.path))) return key[name] ?? null;
    const vals = rs.map((r) => {
      const v = valueOf(r.path);
      return typeof v === 'number' ? (r.from === null ? v : r.from - v) : null;
    }).filter((v) => v !== null);
    return vals.length ? pick(...vals) : key[name] ?? null;
  };
  return { min: side('min', Math.max), max: side('max', Math.min), minExclusive: !!key.min_exclusive };
}

const num = (v) => (Math.abs(v) >= 1e6 ? v.toExponential().replace('e+', 'e') : String(v));
const has = (v) => v !== null && v !== undefined;

/**
 * Orders assignments so that each passes the bounds that name other keys
 * when applied one by one from the scenario's values (the server checks
 * `set` in the order written: a window moved later needs its end first).
 * keyOf(path) → Key; entries: [[path, value], …] in the page's order.
 */
export function orderAssignments(entries, keyOf) {
  const applied = new Map();
  const valueOf = (p) => (applied.has(p) ? applied.get(p) : keyOf(p)?.value);
  const atDefault = (p) => !applied.has(p);
  const fits = ([path, v]) => {
    const key = keyOf(path);
    if (!key || typeof v !== 'number') return true;
    const b = bounds(key, valueOf, atDefault);
    if (!relations(key).min.length && !relations(key).max.length) return true;
    const has2 = (x) => x !== null && x !== undefined;
    return !(has2(b.min) && (b.minExclusive ? v <= b.min : v < b.min)) && !(has2(b.max) && v > b.max);
  };
  const left = [...entries];
  const out = [];
  while (left.length) {
    let i = left.findIndex(fits);
    if (i < 0) i = 0; // no order passes: the server will say why
    const [e] = left.splice(i, 1);
    applied.set(e[0], e[1]);
    out.push(e);
  }
  return out;
}

/** The text of the range validation allows: "0–1", "≥ 0", "> 0", plus "expected" when it says more. */
export function rangeText(key) {
  const b = bounds(key);
  let r = '';
  if (has(b.min) && has(b.max)) r = `${b.minExclusive ? '> ' : ''}${num(b.min)}${b.minExclusive ? ', ≤ ' : '–'}${num(b.max)}`;
  else if (has(b.min)) r = `${b.minExclusive ? '>' : '≥'} ${num(b.min)}`;
  else if (has(b.max)) r = `≤ ${num(b.max)}`;
  const exp = expectedText(key);
  if (exp && (!r || /`/.test(key.expected))) r = r ? `${r}: ${exp}` : exp;
  return r;
}

/** The "expected" words, with the other keys' values as they are now. */
export function expectedText(key) {
  const parent = key.path.includes('.') ? key.path.slice(0, key.path.lastIndexOf('.') + 1) : '';
  return String(key.expected || '').replace(/`([\w.]+)`(\s*\(([^)]*)\))?/g, (m, path, paren) => {
    const v = resolve(path);
    const name = parent && path.startsWith(parent) && !path.slice(parent.length).includes('.') ? path.slice(parent.length) : path;
    return paren && typeof v === 'number' ? `${name} (${num(v)})` : paren ? `${name}${paren}` : name;
  });
}

/** Is a Key's value a list (e.g. the sites of a drought)? */
const isList = (key) => Array.isArray(key.value) || /(^|_)(list|array)$/.test(String(key.kind));

/** The value as the input shows it. */
function toText(key, v) {
  if (v === undefined || v === null) return '';
  if (isList(key)) return Array.isArray(v) ? v.join(', ') : String(v);
  return String(v);
}

/**
 * Parses and validates the text of an input for a Key.
 * Returns {ok: true, value} (value undefined: left empty, allowed when
 * optional) or {ok: false, message}.
 */
export function parseValue(key, raw, { optional = false, noRange = false } = {}) {
  if (key.kind === 'bool') return { ok: true, value: !!raw };
  const text = String(raw ?? '').trim();
  if (text === '') {
    if (optional) return { ok: true, value: undefined };
    return { ok: false, message: 'a value is needed' + (rangeText(key) ? `: ${rangeText(key)}` : '') };
  }
  if (isList(key)) {
    if (text === '') return { ok: true, value: optional ? undefined : [] };
    const items = text.replace(/^\[|\]$/g, '').split(/[\s,;]+/).filter(Boolean);
    const values = [];
    for (const it of items) {
      const n = Number(it);
      if (!Number.isFinite(n)) return { ok: false, message: `"${it}" is not a number` };
      if (/integer/.test(key.kind) && !Number.isInteger(n)) return { ok: false, message: `${it} is not a whole number` };
      const r = noRange ? null : checkRange(key, n, true);
      if (r) return { ok: false, message: r };
      values.push(n);
    }
    return { ok: true, value: values };
  }
  if (key.kind === 'string') return { ok: true, value: text };
  const n = Number(text);
  if (!Number.isFinite(n)) return { ok: false, message: `"${text}" is not a number` };
  if (key.kind === 'integer' && !Number.isInteger(n)) return { ok: false, message: `${text} is not a whole number` };
  const r = noRange ? null : checkRange(key, n, false);
  return r ? { ok: false, message: r } : { ok: true, value: n };
}

function checkRange(key, n, item) {
  const { min: lo, max: hi, minExclusive } = bounds(key);
  const below = has(lo) && (minExclusive ? n <= lo : n < lo);
  const above = has(hi) && n > hi;
  if (!below && !above) return null;
  const what = item ? 'each value must be' : 'must be';
  let range;
  if (has(lo) && has(hi)) range = minExclusive ? `above ${num(lo)} and at most ${num(hi)}` : `from ${num(lo)} to ${num(hi)}`;
  else if (has(lo)) range = minExclusive ? `above ${num(lo)}` : `at least ${num(lo)}`;
  else range = `at most ${num(hi)}`;
  const exp = expectedText(key);
  return `${n} is out of range: ${what} ${range}${exp ? ` (${exp})` : ''}`;
}

/**
 * A labelled control for a Key.
 *   opts.dataKey   the data-key (default key.path)
 *   opts.label     the visible name (default the last part of the path)
 *   opts.value     the current value
 *   opts.optional  an empty input means "absent"
 *   opts.onChange(ctl, commit)  commit: true on change/toggle, false while typing
 * Returns {row, input, errorEl, read(), write(v), setError(msg), key}.
 */
export function keyControl(key, opts = {}) {
  const dataKey = opts.dataKey || key.path;
  const label = opts.label || key.path.split('.').pop();
  const tip = [key.path, key.doc, rangeText(key) && `allowed: ${rangeText(key)}`, key.expected && `expected: ${expectedText(key)}`, key.unit && `unit: ${key.unit}`]
    .filter(Boolean).join('\n');
  let input;
  if (key.kind === 'bool') {
    input = el('input', { type: 'checkbox', 'data-key': dataKey, 'aria-label': key.path });
  } else if (key.kind === 'integer' || key.kind === 'float') {
    input = el('input', {
      type: 'text', inputmode: key.kind === 'integer' ? 'numeric' : 'decimal',
      'data-key': dataKey, 'aria-label': key.path, autocomplete: 'off', spellcheck: 'false',
    });
  } else {
    input = el('input', { type: 'text', 'data-key': dataKey, 'aria-label': key.path, autocomplete: 'off', spellcheck: 'false' });
  }
  const errorEl = el('span', { class: 'err', 'data-error-for': dataKey, role: 'alert' });
  const range = rangeText(key);
  const row = el('div', { class: `ctl ctl-${key.kind}`, title: tip },
    el('label', { class: key.doc ? 'name has-doc' : 'name' }, label),
    el('span', { class: 'field' }, input, key.unit ? el('span', { class: 'unit' }, key.unit) : null),
    el('span', { class: 'range' }, range),
    errorEl,
  );
  row.querySelector('label').htmlFor = input.id = `k-${dataKey.replace(/[^A-Za-z0-9_-]/g, '_')}`;

  const ctl = {
    key, row, input, errorEl, dataKey,
    read(noRange = false) {
      return key.kind === 'bool' ? parseValue(key, input.checked) : parseValue(key, input.value, { optional: !!opts.optional, noRange });
    },
    write(v) {
      if (key.kind === 'bool') input.checked = !!v;
      else input.value = toText(key, v);
    },
    setError(msg) {
      errorEl.textContent = msg || '';
      row.classList.toggle('invalid', !!msg);
      input.setAttribute('aria-invalid', msg ? 'true' : 'false');
    },
    setChanged(changed) { row.classList.toggle('changed', !!changed); },
    refreshRange() {
      const r = rangeText(key);
      const e = row.querySelector('.range');
      if (e.textContent !== r) e.textContent = r;
    },
  };
  ctl.write(opts.value);
  if (opts.onChange) {
    if (key.kind === 'bool') {
      input.addEventListener('change', () => opts.onChange(ctl, true));
    } else {
      input.addEventListener('input', () => opts.onChange(ctl, false));
      input.addEventListener('change', () => opts.onChange(ctl, true));
      input.addEventListener('keydown', (e) => { if (e.key === 'Enter') opts.onChange(ctl, true); });
    }
  }
  return ctl;
}
