// The page of `migflow serve`. Every control comes from GET /api/schema;
// every change posts the controls' state to POST /api/run, and only the
// answer to the latest state is ever drawn (docs/serve.md, API and Page).

import './style.css';
import { keyControl, orderAssignments, setResolver } from './controls.js';
import { heatTable, legend, lineChart, overlayLegend, pruneCharts } from './charts.js';
import { PALETTE, clone, el, fmt, fmtYuan, jsonEqual, livelihoodColour, randomId } from './util.js';

const CLIENT = randomId();
const $ = (sel) => document.querySelector(sel);

/** The schema, and the page's state. */
let schema = null;
const keys = new Map(); // dotted path → Key (levers and other)
const controls = new Map(); // data-key → control
const values = new Map(); // dotted path → current value (levers and other)
let events = []; // the edited list of events
let run = { replicates: 8, households: 8000, seed: null, window: '', flows_year: '' };
let runDefaults = null;
let eventControls = [];

// The request the page waits for or shows: {seq, body, state, t0, error}.
// state: 'waiting' (debounce), 'running', 'drawn', 'invalid' (client or
// server), 'error'.
let seq = 0;
let target = null;
let timer = null;
let inflight = null; // {t, ctrl}
let lastResponse = null; // the drawn response, for redraws on resize
window.__drawn = []; // every drawn {seq, run_id, ms}: the browser test reads it
window.__lastRequest = null; // the body of the last POST /api/run

// --- status and results visibility ------------------------------------------------

function setStatus(s, note) {
  const st = $('#status');
  st.textContent = s;
  st.className = `status status-${s}`;
  $('#running').hidden = s !== 'running';
  const r = $('#results');
  r.classList.toggle('pending', s === 'running');
  const hide = s === 'invalid' || s === 'error';
  r.classList.toggle('hidden-results', hide);
  $('#results-note').hidden = !hide;
  if (hide) {
    const box = $('#results-note');
    if (s === 'invalid') {
      const bad = [...document.querySelectorAll('.ctl.invalid [data-key]')];
      box.replaceChildren('results hidden: fix the value marked in the settings',
        ...(bad.length ? [' (', ...bad.flatMap((input, i) => [i ? ', ' : '', el('a', {
          href: '#', onclick: (e) => { e.preventDefault(); input.closest('details')?.setAttribute('open', ''); input.focus(); input.scrollIntoView({ block: 'center' }); },
        }, input.dataset.key)]), ')'] : []));
    } else {
      box.textContent = `results hidden: ${note || 'the run failed'}`;
    }
  }
}

function topError(msg) {
  const e = $('#top-error');
  e.textContent = msg || '';
  e.hidden = !msg;
}

// --- building the request -----------------------------------------------------------

function eventsChanged() {
  return !jsonEqual(events, schema.events.current || []);
}

function changedSet() {
  const entries = [];
  for (const [path, key] of keys) {
    const v = values.get(path);
    if (!jsonEqual(v, key.value)) entries.push([path, v]);
  }
  return Object.fromEntries(orderAssignments(entries, (p) => keys.get(p)));
}

function buildBody() {
  const body = {
    client: CLIENT,
    set: changedSet(),
    events: eventsChanged() ? clone(events) : null,
    replicates: run.replicates,
  };
  // Households only when changed: a scenario that reads them from a file refuses the field.
  if (run.households !== null && run.households !== runDefaults.households) body.households = run.households;
  if (run.seed !== null && run.seed !== runDefaults.seed) body.seed = run.seed;
  if (run.window) body.window = run.window;
  if (run.flows_year !== '' && run.flows_year !== null) body.flows_year = Number(run.flows_year);
  return body;
}

/** The state kept in the URL: only what differs from the defaults. */
function pageState() {
  const s = {};
  const set = changedSet();
  if (Object.keys(set).length) s.set = set;
  if (eventsChanged()) s.events = clone(events);
  if (run.replicates !== runDefaults.replicates) s.replicates = run.replicates;
  if (run.households !== runDefaults.households) s.households = run.households;
  if (run.seed !== null && run.seed !== runDefaults.seed) s.seed = run.seed;
  if (run.window) s.window = run.window;
  if (run.flows_year !== '' && run.flows_year !== null) s.flows_year = Number(run.flows_year);
  return s;
}

function updateUrl() {
  const s = pageState();
  const hash = Object.keys(s).length ? `#state=${encodeURIComponent(JSON.stringify(s))}` : '';
  const url = location.pathname + location.search + hash;
  if (url !== location.pathname + location.search + location.hash) history.replaceState(null, '', url);
  $('#view-link').href = location.href;
}

function readUrlState() {
  const m = /(?:^#|&)state=([^&]*)/.exec(location.hash);
  if (!m) return {};
  try {
    const s = JSON.parse(decodeURIComponent(m[1]));
    return s && typeof s === 'object' ? s : {};
  } catch {
    topError('The link holds a state this page cannot read; the defaults are shown.');
    return {};
  }
}

/** Puts the defaults, then a page state (from a link), into the controls. */
function applyState(s) {
  for (const [path, key] of keys) values.set(path, clone(key.value));
  events = clone(schema.events.current || []);
  run = { ...runDefaults, window: '', flows_year: '' };
  const unknown = [];
  for (const [path, v] of Object.entries(s.set || {})) {
    if (keys.has(path)) values.set(path, v);
    else unknown.push(path);
  }
  if (Array.isArray(s.events)) events = clone(s.events);
  for (const f of ['replicates', 'households', 'seed']) if (Number.isFinite(s[f])) run[f] = s[f];
  if (typeof s.window === 'string') run.window = s.window;
  if (Number.isFinite(s.flows_year)) run.flows_year = String(s.flows_year);
  for (const [path, ctl] of controls) {
    if (keys.has(path)) ctl.write(values.get(path));
    else if (path in run) ctl.write(run[path]);
  }
  $('[data-key="flows_year"]').value = run.flows_year;
  renderEvents();
  if (unknown.length) topError(`The link sets keys this scenario does not have, ignored: ${unknown.join(', ')}`);
}

// --- validation ------------------------------------------------------------------------

/** Reads every control into the state; shows the messages; true when all are valid. */
function readControls() {
  let ok = true;
  const limits = schema.limits;
  // First the values (bounds may depend on other keys), then the checks.
  for (const [dataKey, ctl] of controls) {
    if (!keys.has(dataKey)) continue;
    const r = ctl.read(true);
    if (r.ok) values.set(dataKey, r.value);
  }
  for (const [dataKey, ctl] of controls) {
    ctl.refreshRange();
    const r = ctl.read();
    ctl.setError(r.ok ? '' : r.message);
    if (!r.ok) { ok = false; continue; }
    if (keys.has(dataKey)) {
      values.set(dataKey, r.value);
      ctl.setChanged(!jsonEqual(r.value, keys.get(dataKey).value));
    } else if (dataKey in run) {
      run[dataKey] = r.value === undefined ? (dataKey === 'window' ? '' : null) : r.value;
    }
  }
  // Run size: households × replicates × years within the limit.
  const years = schema.end_year - schema.start_year + 1;
  if (ok && limits.max_household_years && run.households && run.households * run.replicates * years > limits.max_household_years) {
    ok = false;
    controls.get('households').setError(
      `${fmt(run.households)} households × ${run.replicates} replicates × ${years} years is over the limit of ${fmt(limits.max_household_years)} household-years`);
  }
  // Window: "YYYY" or "YYYY-YYYY" within the run.
  if (run.window) {
    const m = /^\s*(\d{4})\s*(?:[-–]\s*(\d{4}))?\s*$/.exec(run.window);
    const a = m && Number(m[1]), b = m && Number(m[2] || m[1]);
    const msg = !m ? 'write the years as 2026-2030 (or one year)'
      : a > b ? 'the first year comes after the last'
        : a < schema.start_year || b > schema.end_year ? `the years must lie in ${schema.start_year}–${schema.end_year}` : '';
    controls.get('window').setError(msg);
    if (msg) ok = false;
    else run.window = a === b ? String(a) : `${a}-${b}`;
  }
  // Events.
  const out = [];
  for (const ec of eventControls) {
    const ev = { kind: ec.kind };
    for (const ctl of ec.controls) {
      ctl.refreshRange();
      const r = ctl.read();
      ctl.setError(r.ok ? '' : r.message);
      if (!r.ok) ok = false;
      else if (r.value !== undefined) ev[ctl.key.path] = r.value;
    }
    for (const [k, v] of Object.entries(ec.extra)) ev[k] = v;
    out.push(ev);
  }
  if (ok) events = out;
  for (const fs of document.querySelectorAll('fieldset.lever')) {
    fs.classList.toggle('changed', !!fs.querySelector('.ctl.changed'));
    const on = fs.querySelector('legend input[type=checkbox]');
    if (on) fs.classList.toggle('off', !on.checked);
  }
  $('#events').classList.toggle('changed', ok && eventsChanged());
  return ok;
}

function showServerError(key, message) {
  const k = key ? String(key).replace(/\[(\d+)\]/g, '.$1') : '';
  const target = k && (document.querySelector(`[data-error-for="${CSS.escape(k)}"]`) ||
    document.querySelector(`[data-error-for="${CSS.escape(String(key))}"]`));
  if (target) {
    target.textContent = message;
    target.closest('.ctl')?.classList.add('invalid');
    topError('');
    return true;
  }
  topError(message);
  return false;
}

// --- the run loop ------------------------------------------------------------------------

function cancel() {
  clearTimeout(timer);
  timer = null;
  if (inflight) {
    inflight.ctrl.abort();
    inflight = null;
  }
}

/** Every change of a control lands here. commit: a toggle, Enter or leaving the field. */
function changed(commit) {
  const ok = readControls();
  updateUrl();
  if (!ok) {
    if (!(target && target.state === 'invalid' && target.body === null)) {
      cancel();
      target = { seq: ++seq, body: null, state: 'invalid' };
    }
    topError('');
    setStatus('invalid');
    return;
  }
  const body = buildBody();
  if (target && target.body && jsonEqual(target.body, body)) {
    // The same state as the request already waited for, running or drawn.
    if (target.state === 'waiting' && commit) {
      clearTimeout(timer);
      send(target);
    } else if (target.state === 'invalid' && target.error) {
      showServerError(target.error.key, target.error.message);
    } else if (target.state === 'error' && commit) {
      start(body, 0);
    }
    return;
  }
  topError('');
  start(body, commit ? 0 : 150);
}

function start(body, delay) {
  cancel();
  target = { seq: ++seq, body, state: 'waiting', tries: 0 };
  setStatus('running');
  const t = target;
  if (delay > 0) timer = setTimeout(() => send(t), delay);
  else send(t);
}

async function send(t) {
  timer = null;
  if (target !== t) return;
  t.state = 'running';
  const ctrl = new AbortController();
  inflight = { t, ctrl };
  t.t0 = performance.now();
  window.__lastRequest = clone(t.body);
  let res, json;
  try {
    res = await fetch('api/run', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(t.body),
      signal: ctrl.signal,
    });
    json = await res.json().catch(() => null);
  } catch (e) {
    if (target !== t) return; // aborted for a newer state
    if (inflight && inflight.t === t) inflight = null;
    t.state = 'error';
    topError(`The server did not answer (${e.message}). Is \`migflow serve\` still running?`);
    setStatus('error', 'the server did not answer');
    return;
  }
  if (inflight && inflight.t === t) inflight = null;
  if (target !== t) return; // superseded: never drawn
  if (res.status === 409 || res.status === 503) {
    // 409: superseded at the server by a request of ours that it saw later;
    // 503: busy with another client's run. Retry this state a few times.
    if (t.tries++ < 3) { setTimeout(() => { if (target === t) send(t); }, res.status === 409 ? 150 : 1000); return; }
  }
  if (!res.ok) {
    const message = (json && json.error) || `HTTP ${res.status}`;
    const key = json && json.key;
    const isValue = res.status === 400 || (res.status === 413 && key);
    if (isValue) {
      t.state = 'invalid';
      t.error = { key, message };
      showServerError(key, message);
      setStatus('invalid');
    } else {
      t.state = 'error';
      topError(`${message} (HTTP ${res.status})`);
      setStatus('error', message);
    }
    return;
  }
  try {
    draw(json, t);
  } catch (e) {
    t.state = 'error';
    topError(`Cannot draw the results: ${e.message}`);
    setStatus('error', 'cannot draw the results');
    throw e;
  }
  t.state = 'drawn';
  await new Promise((r) => requestAnimationFrame(() => r()));
  if (target !== t) return;
  const ms = Math.round(performance.now() - t.t0);
  $('#draw-ms').textContent = String(ms);
  window.__drawn.push({ seq: t.seq, run_id: json.run_id, ms });
  setStatus('ready');
}

// --- drawing -----------------------------------------------------------------------------

const pct = (a) => a.map((row) => row.map((v) => (v === null || v === undefined ? null : v * 100)));
const groupTitle = (g) => (g === 'all' ? 'all households' : g);

function gridWidth(container, cols) {
  const w = container.clientWidth || 900;
  return Math.max(240, Math.floor((w - (cols - 1) * 12) / cols));
}

/** Small multiples of base vs modified, one per group. */
function multiples(container, idPrefix, groups, xs, base, modified, yLabel, overlay) {
  const cols = groups.length > 4 ? 3 : groups.length;
  const width = gridWidth(container, cols);
  let grid = container.querySelector(':scope > .grid');
  if (!grid || grid.childElementCount !== groups.length) {
    container.replaceChildren();
    grid = el('div', { class: 'grid', style: `grid-template-columns:repeat(${cols}, 1fr)` },
      groups.map(() => el('div', { class: 'cell' })));
    container.append(grid);
  }
  groups.forEach((g, i) => {
    const c = livelihoodColour(g, i);
    lineChart(grid.children[i], {
      id: `${idPrefix}-${i}`, title: groupTitle(g), xs, yLabel, width, height: 220, overlay,
      series: [
        { label: 'base', values: base.mean[i], lo: base.lo[i], hi: base.hi[i], colour: c, dash: true },
        { label: 'modified', values: modified.mean[i], lo: modified.lo[i], hi: modified.hi[i], colour: c },
      ],
    });
  });
  return groups.map((_, i) => `${idPrefix}-${i}`);
}

function pctBlock(b) {
  return b && { mean: pct(b.mean), lo: pct(b.lo), hi: pct(b.hi) };
}

function draw(r, t) {
  lastResponse = r;
  const results = $('#results');
  results.dataset.runId = r.run_id;
  results.dataset.seq = String(t.seq);
  $('#headline').textContent = r.headline || '';
  const eff = r.effect;
  const effEl = $('#effect');
  if (eff && Number.isFinite(eff.mean)) {
    effEl.dataset.mean = String(eff.mean);
    effEl.dataset.lo = String(eff.lo);
    effEl.dataset.hi = String(eff.hi);
    effEl.dataset.metric = eff.metric || '';
    const p = (x) => (x * 100 >= 0 ? '+' : '−') + Math.abs(x * 100).toFixed(2);
    const w = r.window ? (r.window.start === r.window.end ? `${r.window.start}` : `${r.window.start}–${r.window.end}`) : 'all years';
    effEl.textContent = `Effect on the ${(eff.metric || 'poor_share').replace(/_/g, ' ')}, ${w}: ${p(eff.mean)} percentage points (95 % CI ${p(eff.lo)} to ${p(eff.hi)}), modified − base`;
  } else {
    for (const k of ['mean', 'lo', 'hi', 'metric']) delete effEl.dataset[k];
    effEl.textContent = 'No effect number for this run.';
  }
  $('#run-meta').textContent = `run ${r.run_id} · ${r.replicates} replicates · ${fmt(r.households)} households · seed ${r.seed} · computed in ${fmt(r.elapsed_ms)} ms`;
  drawCharts(r);
  // Scenario TOML, files.
  $('#scenario-toml').textContent = r.scenario_toml || '';
  const dl = $('#download-toml');
  if (dl.dataset.url) URL.revokeObjectURL(dl.dataset.url);
  dl.dataset.url = URL.createObjectURL(new Blob([r.scenario_toml || ''], { type: 'application/toml' }));
  dl.href = dl.dataset.url;
  $('#files').replaceChildren(...(r.files || []).map((name) => el('li', null,
    el('a', { href: `api/files/${encodeURIComponent(r.run_id)}/${encodeURIComponent(name)}`, download: name }, name))));
}

function drawCharts(r) {
  const keep = new Set();
  const xs = r.years;
  const overlay = { windows: r.lever_windows || [], events: r.events || [], range: [xs[0], xs[xs.length - 1]] };
  const groups = r.groups;
  const S = r.series;
  if (!$('#legend-main').firstChild) {
    $('#legend-main').append(legend([
      { label: 'modified scenario', colour: '#333' }, { label: 'base scenario', colour: '#333', dash: true },
      { label: '95 % CI over the replicates', colour: 'rgba(0,0,0,0.2)', band: true },
      ...r.livelihoods.map((l, i) => ({ label: l, colour: livelihoodColour(l, i) })),
      { label: 'all households', colour: livelihoodColour('all', 0) },
    ]), overlayLegend());
  }

  for (const id of multiples($('#chart-poor'), 'poor', groups, xs, pctBlock(S.base.poor_share), pctBlock(S.modified.poor_share),
    'share of households, %', overlay)) keep.add(id);
  if (S.base.return_rate && S.modified.return_rate) {
    for (const id of multiples($('#chart-return'), 'ret', groups, xs, pctBlock(S.base.return_rate), pctBlock(S.modified.return_rate),
      'returns to poverty, % of non-poor', overlay)) keep.add(id);
  }

  // Paired difference of the poor share.
  {
    const d = pctBlock(r.difference.poor_share);
    const box = $('#chart-diff');
    const cols = groups.length > 4 ? 3 : groups.length;
    const width = gridWidth(box, cols);
    let grid = box.querySelector(':scope > .grid');
    if (!grid || grid.childElementCount !== groups.length) {
      box.replaceChildren();
      grid = el('div', { class: 'grid', style: `grid-template-columns:repeat(${cols}, 1fr)` }, groups.map(() => el('div', { class: 'cell' })));
      box.append(grid);
    }
    groups.forEach((g, i) => {
      const c = livelihoodColour(g, i);
      keep.add(`diff-${i}`);
      lineChart(grid.children[i], {
        id: `diff-${i}`, title: groupTitle(g), xs, width, height: 200, includeZero: true,
        yLabel: 'difference, % points', overlay: { ...overlay, zero: true },
        series: [{ label: 'modified − base', values: d.mean[i], lo: d.lo[i], hi: d.hi[i], colour: c }],
        yFormat: (v) => fmt(v, 2),
      });
    });
  }

  // Composition.
  {
    const box = $('#chart-comp');
    if (!box.firstChild) box.append(el('div', { class: 'cell' }));
    const comp = { base: pct(r.composition.base), modified: pct(r.composition.modified) };
    const series = [];
    r.livelihoods.forEach((l, i) => {
      const c = livelihoodColour(l, i);
      series.push({ label: `${l} base`, values: comp.base[i], colour: c, dash: true });
      series.push({ label: `${l} modified`, values: comp.modified[i], colour: c });
    });
    keep.add('comp');
    lineChart(box.firstChild, { id: 'comp', title: 'Livelihood of the households', xs, yLabel: 'share of households, %', width: gridWidth(box, 1), height: 300, overlay, series });
    $('#legend-comp').replaceChildren(legend([
      ...r.livelihoods.map((l, i) => ({ label: l, colour: livelihoodColour(l, i) })),
      { label: 'base (dashed)', colour: '#333', dash: true }, { label: 'modified (solid)', colour: '#333' },
    ]));
  }

  // Flows of a year.
  {
    const f = r.flows;
    const box = $('#chart-flows');
    if (f && f.base && f.modified) {
      const diff = f.base.map((row, i) => row.map((v, j) => f.modified[i][j] - v));
      box.replaceChildren(
        heatTable(`base, ${f.year}`, f.states, f.base, 'seq', 'households'),
        heatTable(`modified, ${f.year}`, f.states, f.modified, 'seq', 'households'),
        heatTable(`modified − base, ${f.year}`, f.states, diff, 'div', 'households'),
      );
      $('#flows-title').textContent = `Flows between livelihoods in ${f.year} (households, mean over replicates; rows: from, columns: to)`;
    } else {
      box.replaceChildren(el('p', { class: 'muted' }, 'No flows in this run.'));
    }
  }

  // Cohorts.
  {
    const c = r.cohorts;
    const sec = $('#sec-cohorts');
    sec.hidden = !c;
    if (c) {
      $('#cohorts-title').textContent = `Poverty of the cohorts of ${c.cohort_year} (the last year of the changed levers), by their livelihood in ${c.cohort_year}`;
      for (const id of multiples($('#chart-cohorts'), 'coh', c.groups, c.years, pctBlock(c.base.poor_share), pctBlock(c.modified.poor_share),
        'share of the cohort, %', overlay)) keep.add(id);
    }
  }

  // Costs.
  {
    const c = r.costs;
    const sec = $('#sec-costs');
    sec.hidden = !c;
    if (c) {
      const box = $('#chart-costs');
      if (!box.firstChild) box.append(el('div', { class: 'cell' }));
      const series = [
        { label: 'total base', values: c.base, colour: '#000000', dash: true, width: 2.5 },
        { label: 'total modified', values: c.modified, colour: '#000000', width: 2.5 },
      ];
      const items = [{ label: 'all levers', colour: '#000000' }];
      const leverColours = [PALETTE[4], PALETTE[5], PALETTE[6], PALETTE[0], PALETTE[2], PALETTE[1], PALETTE[3]];
      (c.by_lever || []).forEach((l, i) => {
        const any = [...(l.base || []), ...(l.modified || [])].some((v) => v);
        if (!any) return;
        const col = leverColours[i % leverColours.length];
        series.push({ label: `${l.lever} base`, values: l.base, colour: col, dash: true });
        series.push({ label: `${l.lever} modified`, values: l.modified, colour: col });
        items.push({ label: l.lever.replace(/_/g, ' '), colour: col });
      });
      keep.add('costs');
      lineChart(box.firstChild, { id: 'costs', title: 'Public cost of the levers', xs: c.years, yLabel: 'yuan a year', width: gridWidth(box, 1), height: 300, overlay, series, yFormat: fmtYuan });
      $('#legend-costs').replaceChildren(legend([...items, { label: 'base (dashed)', colour: '#333', dash: true }, { label: 'modified (solid)', colour: '#333' }]));
      const ce = c.cost_effectiveness || [];
      $('#cost-eff').replaceChildren(...(ce.length ? [el('table', { class: 'ce' },
        el('thead', null, el('tr', null, el('th', null, 'averted'), el('th', null, 'averted over the window'), el('th', null, 'extra cost over the window, yuan'),
          el('th', null, 'yuan per unit averted'), el('th', null, '95 % CI'), el('th', null, 'note'))),
        el('tbody', null, ce.map((x) => el('tr', null,
          el('td', null, String(x.averted).replace(/_/g, ' ')),
          el('td', { class: 'num' }, Number.isFinite(x.averted_mean) ? fmt(x.averted_mean, Math.abs(x.averted_mean) < 100 ? 1 : 0) : '–'),
          el('td', { class: 'num' }, Number.isFinite(x.extra_cost) ? fmt(x.extra_cost, 0) : '–'),
          el('td', { class: 'num' }, x.ratio === null || x.ratio === undefined ? '–' : fmt(x.ratio, 0)),
          el('td', { class: 'num' }, Number.isFinite(x.lo) && Number.isFinite(x.hi) ? `${fmt(x.lo, 0)} to ${fmt(x.hi, 0)}` : '–'),
          el('td', null, x.note || '')))))] : [el('p', { class: 'muted' }, 'No cost-effectiveness figure for this run.')]));
    }
  }
  pruneCharts(keep);
}

// --- building the controls -------------------------------------------------------------------

function addControl(key, parent, opts = {}) {
  const ctl = keyControl(key, { value: key.value, onChange: (_c, commit) => changed(commit), ...opts });
  controls.set(ctl.dataKey, ctl);
  parent.append(ctl.row);
  return ctl;
}

function buildLevers() {
  const box = $('#levers');
  for (const lever of schema.levers) {
    const fs = el('fieldset', { class: 'lever', 'data-lever': lever.name });
    const lg = el('legend');
    fs.append(lg);
    const body = el('div', { class: 'ctls' });
    for (const key of lever.keys) {
      keys.set(key.path, key);
      if (key.kind === 'bool' && key.path.endsWith('.enabled')) {
        const ctl = keyControl(key, { value: key.value, onChange: (_c, commit) => changed(commit), label: 'on' });
        controls.set(ctl.dataKey, ctl);
        ctl.row.classList.add('toggle');
        lg.append(el('span', { class: 'title', title: lever.doc || key.doc || '' }, lever.title || lever.name), ctl.row);
      } else {
        addControl(key, body);
      }
    }
    if (!lg.childElementCount) lg.append(el('span', { class: 'title' }, lever.title || lever.name));
    fs.append(body);
    box.append(fs);
  }
}

function buildOther() {
  const box = $('#other-list');
  const groups = new Map();
  for (const key of schema.other || []) {
    keys.set(key.path, key);
    const g = key.path.split('.')[0];
    if (!groups.has(g)) {
      const sec = el('div', { class: 'other-group', 'data-group': g }, el('h4', null, g));
      groups.set(g, sec);
      box.append(sec);
    }
    addControl(key, groups.get(g), { label: key.path.split('.').slice(1).join('.') || key.path });
  }
  const filter = $('#other-filter');
  const onlyChanged = $('#other-changed');
  const apply = () => {
    const q = filter.value.trim().toLowerCase();
    let shown = 0;
    for (const key of schema.other || []) {
      const ctl = controls.get(key.path);
      const hit = (!q || key.path.toLowerCase().includes(q) || (key.doc || '').toLowerCase().includes(q) || (key.unit || '').toLowerCase().includes(q)) &&
        (!onlyChanged.checked || ctl.row.classList.contains('changed') || ctl.row.classList.contains('invalid'));
      ctl.row.hidden = !hit;
      if (hit) shown++;
    }
    for (const sec of groups.values()) sec.hidden = !sec.querySelector('.ctl:not([hidden])');
    $('#other-count').textContent = `${shown} of ${(schema.other || []).length} keys`;
  };
  filter.addEventListener('input', apply);
  onlyChanged.addEventListener('change', apply);
  apply();
}

function buildRunSettings() {
  const L = schema.limits, D = schema.defaults;
  runDefaults = {
    replicates: D.replicates ?? 8,
    households: D.households === null || D.households === undefined ? null : Math.min(D.households, L.max_households),
    seed: D.seed ?? null,
  };
  const box = $('#run-ctls');
  const rk = (path, kind, value, min, max, unit, doc, expected) => ({ path, kind, value, min, max, unit, doc, expected });
  addControl(rk('replicates', 'integer', runDefaults.replicates, L.min_replicates, L.max_replicates, 'runs',
    'Replicates of each arm, paired by seed: more give narrower confidence intervals and take longer.'), box);
  addControl(rk('households', 'integer', runDefaults.households, 1, L.max_households, 'households',
    `Households simulated. Capped at ${fmt(L.max_households)} here: ${L.why || ''}`), box, { optional: runDefaults.households === null });
  addControl(rk('seed', 'integer', runDefaults.seed, 0, null, '', 'The seed of the first replicate; the same seed gives the same results.'), box,
    { optional: true });
  addControl(rk('window', 'string', '', null, null, 'years',
    'The years of the headline effect, as 2026-2030; empty: the years of the changed levers, else every year.',
    `${schema.start_year}–${schema.end_year}, empty for the default`), box, { optional: true });
  $('#households-cap').textContent = `At most ${fmt(L.max_households)} households here: ${L.why || ''}`;
  // The year of the flows heat map.
  const sel = el('select', { 'data-key': 'flows_year', id: 'flows-year', 'aria-label': 'flows_year' },
    el('option', { value: '' }, 'first year of the window'),
    Array.from({ length: schema.end_year - schema.start_year + 1 }, (_, i) => el('option', { value: String(schema.start_year + i) }, String(schema.start_year + i))));
  sel.addEventListener('change', () => { run.flows_year = sel.value; changed(true); });
  $('#flows-year-box').append(el('label', { for: 'flows-year' }, 'year: '), sel, el('span', { class: 'err', 'data-error-for': 'flows_year' }));
}

function fieldKeys(kind) {
  const k = (schema.events.kinds || []).find((x) => x.kind === kind);
  return k ? k.fields : null;
}

function renderEvents() {
  const list = $('#events-list');
  list.replaceChildren();
  eventControls = [];
  events.forEach((ev, i) => {
    const kindInfo = (schema.events.kinds || []).find((x) => x.kind === ev.kind);
    let fields = fieldKeys(ev.kind);
    if (!fields) {
      // A kind the schema does not describe: its fields as they are.
      fields = Object.entries(ev).filter(([k]) => k !== 'kind').map(([k, v]) => ({
        path: k, kind: typeof v === 'boolean' ? 'bool' : typeof v === 'number' ? 'float' : 'string', value: v, unit: '', min: null, max: null, doc: '',
      }));
    }
    if (!fields.some((f) => f.path === 'year')) {
      fields = [{ path: 'year', kind: 'integer', value: schema.start_year, unit: 'year', min: schema.start_year, max: schema.end_year, doc: 'The year of the event.' }, ...fields];
    }
    const fs = el('fieldset', { class: 'event', 'data-event': String(i) });
    fs.append(el('legend', null, el('span', { class: 'title' }, kindInfo?.title || ev.kind),
      el('button', { type: 'button', class: 'remove', 'data-remove-event': String(i), title: 'Remove this event',
        onclick: () => { events.splice(i, 1); renderEvents(); changed(true); } }, 'remove')));
    const body = el('div', { class: 'ctls' });
    const ctls = [];
    for (const f of fields) {
      const ctl = keyControl(f, {
        dataKey: `events.${i}.${f.path}`, label: f.path, value: ev[f.path],
        optional: f.value === null || f.value === undefined || Array.isArray(f.value) || !(f.path in ev),
        onChange: (_c, commit) => changed(commit),
      });
      body.append(ctl.row);
      ctls.push(ctl);
    }
    fs.append(body);
    list.append(fs);
    const known = new Set(['kind', ...fields.map((f) => f.path)]);
    const extra = Object.fromEntries(Object.entries(ev).filter(([k]) => !known.has(k)));
    eventControls.push({ kind: ev.kind, controls: ctls, extra });
  });
  if (!events.length) list.append(el('p', { class: 'muted' }, 'No events.'));
}

function buildEvents() {
  const sel = $('#event-kind');
  for (const k of schema.events.kinds || []) sel.append(el('option', { value: k.kind }, k.title || k.kind));
  $('#add-event').addEventListener('click', () => {
    if (!readControls()) return changed(true);
    const fields = fieldKeys(sel.value) || [];
    const ev = { kind: sel.value };
    for (const f of fields) if (f.value !== null && f.value !== undefined) ev[f.path] = clone(f.value);
    if (!('year' in ev)) ev.year = schema.start_year;
    events.push(ev);
    renderEvents();
    changed(true);
  });
}

// --- the panel of the scenario as TOML -----------------------------------------------------

async function copyToml() {
  const text = $('#scenario-toml').textContent;
  const note = $('#copy-note');
  try {
    await navigator.clipboard.writeText(text);
    note.textContent = 'copied';
  } catch {
    // Fallback: select the text and copy it the old way.
    const ta = el('textarea', { style: 'position:fixed;left:-9999px;top:0' });
    ta.value = text;
    document.body.append(ta);
    ta.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch { ok = false; }
    ta.remove();
    if (!ok) {
      const range = document.createRange();
      range.selectNodeContents($('#scenario-toml'));
      getSelection().removeAllRanges();
      getSelection().addRange(range);
    }
    note.textContent = ok ? 'copied' : 'selected: press Ctrl-C';
  }
  setTimeout(() => { note.textContent = ''; }, 2500);
}

// --- start ----------------------------------------------------------------------------------------

async function main() {
  setStatus('running');
  let res;
  try {
    res = await fetch('api/schema');
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    schema = await res.json();
  } catch (e) {
    topError(`Cannot load the schema of the scenario (${e.message}).`);
    setStatus('error', 'no schema');
    return;
  }
  document.title = `migflow explorer: ${schema.scenario_name}`;
  setResolver((path) => values.get(path), (path) => !keys.has(path) || jsonEqual(values.get(path), keys.get(path).value));
  $('#scenario-name').textContent = `${schema.scenario_name} · ${schema.start_year}–${schema.end_year} · migflow ${schema.migflow_version}`;
  buildRunSettings();
  buildLevers();
  buildEvents();
  buildOther();
  applyState(readUrlState());
  $('#reset').addEventListener('click', () => {
    topError('');
    applyState({});
    changed(true);
  });
  $('#copy-toml').addEventListener('click', copyToml);
  window.addEventListener('hashchange', () => {
    if (jsonEqual(readUrlState(), pageState())) return;
    applyState(readUrlState());
    changed(true);
  });
  let resizeTimer = null;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => { if (lastResponse && target && target.state === 'drawn') drawCharts(lastResponse); }, 200);
  });
  changed(true);
}

main();
