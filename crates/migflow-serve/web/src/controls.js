// One input per schema Key: parsing, validation against min/max, display of
// unit, range and doc. Nothing here knows any key by name.

import { el } from './util.js';

/** The text of the range validation allows: "0–1", "≥ 0", plus "expected". */
export function rangeText(key) {
  const hasMin = key.min !== null && key.min !== undefined;
  const hasMax = key.max !== null && key.max !== undefined;
  let r = '';
  if (hasMin && hasMax) r = `${key.min}–${key.max}`;
  else if (hasMin) r = `≥ ${key.min}`;
  else if (hasMax) r = `≤ ${key.max}`;
  if (key.expected && key.expected !== r) r = r ? `${r} (${key.expected})` : key.expected;
  return r;
}

/** Is a Key's value a list (e.g. the sites of a drought)? */
const isList = (key) => Array.isArray(key.value) || key.kind === 'list' || key.kind === 'array';

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
export function parseValue(key, raw, { optional = false } = {}) {
  if (key.kind === 'bool') return { ok: true, value: !!raw };
  const text = String(raw ?? '').trim();
  if (text === '') {
    if (optional) return { ok: true, value: undefined };
    return { ok: false, message: 'a value is needed' + (rangeText(key) ? `: ${rangeText(key)}` : '') };
  }
  if (isList(key)) {
    const items = text.replace(/^\[|\]$/g, '').split(/[\s,;]+/).filter(Boolean);
    const values = [];
    for (const it of items) {
      const n = Number(it);
      if (!Number.isFinite(n)) return { ok: false, message: `"${it}" is not a number` };
      const r = checkRange(key, n, true);
      if (r) return { ok: false, message: r };
      values.push(n);
    }
    return { ok: true, value: values };
  }
  if (key.kind === 'string') return { ok: true, value: text };
  const n = Number(text);
  if (!Number.isFinite(n)) return { ok: false, message: `"${text}" is not a number` };
  if (key.kind === 'integer' && !Number.isInteger(n)) return { ok: false, message: `${text} is not a whole number` };
  const r = checkRange(key, n, false);
  return r ? { ok: false, message: r } : { ok: true, value: n };
}

function checkRange(key, n, item) {
  const lo = key.min, hi = key.max;
  const out = (lo !== null && lo !== undefined && n < lo) || (hi !== null && hi !== undefined && n > hi);
  if (!out) return null;
  const what = item ? `each value must be` : `must be`;
  let range;
  if (lo !== null && lo !== undefined && hi !== null && hi !== undefined) range = `from ${lo} to ${hi}`;
  else if (lo !== null && lo !== undefined) range = `at least ${lo}`;
  else range = `at most ${hi}`;
  return `${n} is out of range: ${what} ${range}${key.expected ? ` (${key.expected})` : ''}`;
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
  const tip = [key.path, key.doc, rangeText(key) && `allowed: ${rangeText(key)}`, key.unit && `unit: ${key.unit}`]
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
    el('label', { class: 'name' }, label, key.doc ? el('span', { class: 'info', 'aria-hidden': 'true' }, 'ⓘ') : null),
    el('span', { class: 'field' }, input, key.unit ? el('span', { class: 'unit' }, key.unit) : null),
    range ? el('span', { class: 'range' }, range) : null,
    errorEl,
  );
  row.querySelector('label').htmlFor = input.id = `k-${dataKey.replace(/[^A-Za-z0-9_-]/g, '_')}`;

  const ctl = {
    key, row, input, errorEl, dataKey,
    read() {
      return key.kind === 'bool' ? parseValue(key, input.checked) : parseValue(key, input.value, { optional: !!opts.optional });
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
