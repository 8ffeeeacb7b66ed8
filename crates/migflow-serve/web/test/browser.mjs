// The page of `migflow serve` in headless Chromium, against a running server.
//
//   node test/browser.mjs http://127.0.0.1:PORT/
//
// Environment: CHROMIUM (default /usr/bin/chromium), SCREENSHOT (default
// docs/serve.png of the repository; empty: none). Exits non-zero on any
// failed check. scripts/test-serve-chromium.sh builds and starts the server
// and runs this.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const BASE = process.argv[2] || process.env.SERVE_URL;
if (!BASE) {
  console.error('usage: node test/browser.mjs http://127.0.0.1:PORT/');
  process.exit(2);
}
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SCREENSHOT = process.env.SCREENSHOT ?? resolve(here, '../../../../docs/serve.png');
const RUN_TIMEOUT = Number(process.env.RUN_TIMEOUT_MS || 180000);

const log = (...a) => console.log('[browser]', ...a);
let failures = 0;
function check(ok, what, detail) {
  if (ok) log(`ok: ${what}`);
  else {
    failures++;
    console.error(`[browser] FAIL: ${what}${detail !== undefined ? `: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}` : ''}`);
  }
  return ok;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** POST /api/run from the test itself (another client id, so that it supersedes nothing of the page's). */
async function apiRun(body) {
  const res = await fetch(new URL('api/run', BASE), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ ...body, client: 'browser-test-direct' }),
  });
  const json = await res.json().catch(() => null);
  if (!res.ok) throw new Error(`direct POST /api/run: HTTP ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

const profile = mkdtempSync(join(tmpdir(), 'migflow-serve-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  viewport: { width: 1400, height: 1000 },
});
context.setDefaultTimeout(RUN_TIMEOUT);

const consoleErrors = [];
let expect400 = false; // while the test itself answers 400
function watch(page, name) {
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // Chromium logs every answer >= 400; a 409 is a run superseded by a newer
    // one of the page (the contract's), a 400 the one the test makes.
    const status = /status of (\d+)/.exec(m.text())?.[1];
    const onRun = String(m.location()?.url || '').includes('/api/run');
    if (onRun && (status === '409' || (status === '400' && expect400))) return;
    consoleErrors.push(`${name}: console: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`${name}: page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    // Aborted runs are the page's own doing (a newer state superseded them).
    if (r.url().includes('/api/run') && /ERR_ABORTED|cancel/i.test(r.failure()?.errorText || '')) return;
    consoleErrors.push(`${name}: request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
}

/** The page's observable state. */
const snapshot = (page) => page.evaluate(() => {
  const r = document.querySelector('#results');
  const e = document.querySelector('#effect');
  return {
    status: document.querySelector('#status').textContent,
    seq: r.dataset.seq,
    runId: r.dataset.runId,
    headline: document.querySelector('#headline').textContent,
    mean: e.dataset.mean, lo: e.dataset.lo, hi: e.dataset.hi,
    drawMs: Number(document.querySelector('#draw-ms').textContent),
    drawn: window.__drawn.slice(),
    lastRequest: window.__lastRequest,
    hidden: r.classList.contains('hidden-results'),
  };
});

/** Waits for #status "ready" with a data-seq other than `oldSeq`. */
async function waitReady(page, oldSeq) {
  await page.waitForFunction((old) => {
    const s = document.querySelector('#status')?.textContent;
    const seq = document.querySelector('#results')?.dataset.seq;
    if (s === 'error') return true;
    return s === 'ready' && seq && seq !== old;
  }, oldSeq ?? null, { timeout: RUN_TIMEOUT, polling: 50 });
  const s = await snapshot(page);
  if (s.status !== 'ready') {
    const err = await page.textContent('#top-error');
    throw new Error(`the page shows an error: ${err}`);
  }
  return s;
}

/** Sets a control (by data-key) and commits it (Tab: the change event). */
async function setControl(page, key, value) {
  const input = page.locator(`[data-key="${key}"]`);
  if (await input.getAttribute('type') === 'checkbox') await input.setChecked(!!value);
  else {
    await input.fill(String(value));
    await input.press('Tab');
  }
}

/** Sets a control and waits for the run of the new state (none when the value is already there). */
async function change(page, key, value) {
  const before = await snapshot(page);
  const input = page.locator(`[data-key="${key}"]`);
  const cur = await input.getAttribute('type') === 'checkbox' ? await input.isChecked() : await input.inputValue();
  if (String(cur) === String(value)) return before;
  await setControl(page, key, value);
  return waitReady(page, before.seq);
}

const controlValues = (page) => page.evaluate(() => Object.fromEntries(
  [...document.querySelectorAll('[data-key]')].map((e) => [e.dataset.key, e.type === 'checkbox' ? e.checked : e.value])));

let runRequests = 0;
try {
  const page = await context.newPage();
  watch(page, 'page');
  page.on('request', (r) => { if (r.url().includes('/api/run') && r.method() === 'POST') runRequests++; });

  // 1. Load: no console errors, the first results drawn.
  const schema = await (await fetch(new URL('api/schema', BASE))).json();
  const leverKeys = schema.levers.flatMap((l) => l.keys);
  const keyOf = (path) => [...leverKeys, ...schema.other].find((k) => k.path === path);
  await page.goto(BASE);
  const s0 = await waitReady(page, null);
  check(s0.headline.length > 0, 'the page loads and draws its first results', s0);
  const ctlCount = await page.locator('[data-key]').count();
  const schemaCount = leverKeys.length + schema.other.length;
  check(ctlCount >= schemaCount, `a control for every key of the schema (${ctlCount} controls, ${schemaCount} keys)`);
  check(await page.locator('.u-wrap canvas').count() >= 10, 'the charts are drawn (uPlot canvases)');
  check(s0.lastRequest && Object.keys(s0.lastRequest.set).length === 0 && s0.lastRequest.events === null,
    'the first request sets nothing and keeps the events', s0.lastRequest);

  // 2. A lever changed: a new run drawn, its effect the API's for the same body.
  const endKey = 'levers.workshops.end_year';
  check(!!keyOf(endKey), `the schema has ${endKey}`);
  const endYear = Math.min(2030, schema.end_year);
  await setControl(page, endKey, endYear);
  const s1 = await waitReady(page, s0.seq);
  check(s1.headline !== s0.headline, 'the headline changes with the lever', [s0.headline, s1.headline]);
  check(JSON.stringify(s1.lastRequest.set) === JSON.stringify({ [endKey]: endYear }) && s1.lastRequest.events === null,
    'the request holds only the changed key', s1.lastRequest);
  const direct1 = await apiRun(s1.lastRequest);
  check(Number(s1.mean) === direct1.effect.mean, '#effect data-mean equals effect.mean of a direct POST /api/run', [s1.mean, direct1.effect.mean]);
  check(s1.headline === direct1.headline, 'the headline equals the direct POST\'s', [s1.headline, direct1.headline]);
  check(Number(s1.lo) === direct1.effect.lo && Number(s1.hi) === direct1.effect.hi, '#effect data-lo/data-hi equal the API\'s');
  check(/#state=/.test(page.url()), 'the state is in the address', page.url());

  // 3. Invalid values: the message beside the control, "invalid", no run sent, results hidden.
  const shareKey = leverKeys.find((k) => k.kind === 'float' && k.max === 1 && k.min === 0)?.path;
  check(!!shareKey, 'the schema has a lever share in [0, 1]');
  for (const [key, bad] of [[shareKey, 1.5], [endKey, 1500]]) {
    const before = runRequests;
    await setControl(page, key, bad);
    await sleep(600);
    const msg = (await page.textContent(`[data-error-for="${key}"]`)).trim();
    const s = await snapshot(page);
    check(msg.length > 0, `${key} = ${bad}: a message beside the control`, msg);
    check(s.status === 'invalid', `${key} = ${bad}: #status is "invalid"`, s.status);
    check(runRequests === before, `${key} = ${bad}: no run is sent`, runRequests - before);
    check(s.hidden && !(await page.isVisible('#headline')) && await page.isVisible('#results-note'),
      `${key} = ${bad}: the results are hidden, with a note`);
    await setControl(page, key, key === endKey ? endYear : keyOf(key).value);
    const back = await waitReady(page, s.seq);
    check((await page.textContent(`[data-error-for="${key}"]`)).trim() === '' && back.headline === s1.headline,
      `${key}: back to a valid value, the message goes and the same results return`);
  }

  // 3b. A value the server refuses (a 400 naming the key): its message
  //     beside that control, "invalid", the results hidden; then back.
  {
    const before = await snapshot(page);
    const key = leverKeys.find((k) => k.kind === 'float' && k.path.startsWith('levers.workshops.') && k.max !== 1)?.path || shareKey;
    const message = `\`${key}\` = 123: refused by the server (a 400 the test makes)`;
    expect400 = true;
    await page.route('**/api/run', (route) => route.fulfill({ status: 400, contentType: 'application/json', body: JSON.stringify({ error: message, key }) }));
    await setControl(page, key, 123);
    await page.waitForFunction(() => document.querySelector('#status').textContent === 'invalid', null, { polling: 50 });
    const shown = (await page.textContent(`[data-error-for="${key}"]`)).trim();
    const s = await snapshot(page);
    check(shown === message, 'a 400 of the server shows its message beside the control it names', shown);
    check(s.hidden && s.runId === before.runId, 'a 400 of the server: the results are hidden, nothing drawn');
    await page.unroute('**/api/run');
    expect400 = false;
    const back = await change(page, key, keyOf(key).value);
    check(back.headline === before.headline && (await page.textContent(`[data-error-for="${key}"]`)).trim() === '',
      'a 400 of the server: back to the value, the message goes and the results return');
  }

  // 4. Stale responses: the first of two quick changes is held back until
  //    the second is drawn; it must never be drawn.
  {
    const before = await snapshot(page);
    let n = 0;
    let releaseFirst;
    const firstHeld = new Promise((r) => { releaseFirst = r; });
    const routed = [];
    let firstDone;
    const firstFinished = new Promise((r) => { firstDone = r; });
    await page.route('**/api/run', async (route) => {
      const i = n++;
      const body = JSON.parse(route.request().postData());
      try {
        const resp = await route.fetch();
        const text = await resp.text();
        let json = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        routed.push({ i, status: resp.status(), run_id: json && json.run_id, body });
        if (i === 0) await firstHeld;
        await route.fulfill({ response: resp, body: text });
      } catch (e) {
        routed.push({ i, error: String(e.message || e) });
      } finally {
        if (i === 0) firstDone();
      }
    });
    const a = endYear - 1, b = endYear - 2;
    await setControl(page, endKey, a);
    await page.waitForFunction(() => window.__lastRequest && window.__lastRequest.set, null, { polling: 20 });
    await page.waitForFunction((y) => window.__lastRequest.set['levers.workshops.end_year'] === y, a, { polling: 20 });
    await setControl(page, endKey, b);
    const s = await waitReady(page, before.seq);
    releaseFirst();
    await firstFinished;
    await sleep(800);
    await page.unroute('**/api/run');
    const after = await snapshot(page);
    const second = routed.find((r) => r.i === 1);
    const first = routed.find((r) => r.i === 0);
    check(n === 2, 'two quick changes: two requests', n);
    check(after.status === 'ready' && after.lastRequest.set[endKey] === b, 'the page ends on the second change', after.lastRequest);
    check(second && after.runId === second.run_id, 'data-run-id is the second response\'s', [after.runId, second]);
    const direct = await apiRun({ ...after.lastRequest });
    check(after.headline === direct.headline && Number(after.mean) === direct.effect.mean,
      'the headline and effect are the API\'s for the second state', [after.headline, direct.headline]);
    const newly = after.drawn.slice(before.drawn.length);
    check(newly.length === 1 && newly[0].run_id === second.run_id, 'only the second response was drawn', newly);
    check(!first || !first.run_id || !after.drawn.some((d) => d.run_id === first.run_id),
      `the first response (${first && (first.run_id || first.status || first.error)}) was never drawn`);
    check(s.seq === after.seq, 'nothing was drawn after the second response');
  }

  // 5. Events: add one, then remove it.
  {
    const before = await snapshot(page);
    const kinds = schema.events.kinds.map((k) => k.kind);
    check(kinds.length > 0, 'the schema has kinds of events', kinds);
    await page.selectOption('#event-kind', kinds[kinds.length - 1]);
    await page.click('#add-event');
    const s = await waitReady(page, before.seq);
    check(Array.isArray(s.lastRequest.events) && s.lastRequest.events.length === schema.events.current.length + 1,
      'an added event is sent as the whole list', s.lastRequest.events);
    const i = schema.events.current.length;
    await page.click(`[data-remove-event="${i}"]`);
    const s2 = await waitReady(page, s.seq);
    check(s2.lastRequest.events === null,
      'removing it sends the scenario\'s events again (events: null)', s2.lastRequest.events);
  }

  // 6. Response times over changes of the lever.
  const times = [];
  {
    let prev = await snapshot(page);
    const years = [];
    for (let y = schema.start_year + 3; years.length < 6 && y <= schema.end_year; y++) if (y !== Number(prev.lastRequest.set[endKey])) years.push(y);
    for (const y of years) {
      await setControl(page, endKey, y);
      const s = await waitReady(page, prev.seq);
      times.push(s.drawMs);
      prev = s;
    }
    check(times.length >= 5 && times.every((t) => Number.isFinite(t) && t > 0), `#draw-ms over ${times.length} changes`, times);
    log(`draw-ms: median ${median(times)} ms, range ${Math.min(...times)}–${Math.max(...times)} ms over ${times.length} changes (${times.join(', ')})`);
  }

  // 7. The link restores the view.
  {
    await change(page, endKey, endYear);
    const s2 = await change(page, 'replicates', Math.max(schema.limits.min_replicates, 4));
    const url = page.url();
    const linkHref = await page.getAttribute('#view-link', 'href');
    check(linkHref === url, '"Link to this view" is the page\'s address');
    const page2 = await context.newPage();
    watch(page2, 'page 2');
    await page2.goto(url);
    const t = await waitReady(page2, null);
    const [v1, v2] = [await controlValues(page), await controlValues(page2)];
    const diff = Object.keys(v1).filter((k) => v1[k] !== v2[k]);
    check(diff.length === 0, 'the link restores every control', diff.map((k) => [k, v1[k], v2[k]]));
    check(t.headline === s2.headline && t.mean === s2.mean, 'the link restores the headline and effect', [t.headline, s2.headline]);
    check(JSON.stringify({ ...t.lastRequest, client: 0 }) === JSON.stringify({ ...s2.lastRequest, client: 0 }), 'the link gives the same request');
    await page2.close();
  }

  // 8. Reset: back to the scenario's values and the first results.
  {
    const before = await snapshot(page);
    await page.click('#reset');
    const s = await waitReady(page, before.seq);
    check(Object.keys(s.lastRequest.set).length === 0 && s.headline === s0.headline && s.mean === s0.mean, 'Reset returns to the first results');
    check(!/#state=/.test(page.url()), 'Reset clears the state from the address', page.url());
  }

  // 9. Downloads of the results and the scenario.
  {
    const s = await change(page, endKey, endYear);
    const hrefs = await page.$$eval('#files a', (as) => as.map((a) => a.href));
    check(hrefs.length > 0, 'links to the files of the run', hrefs.length);
    const r = hrefs.length ? await fetch(hrefs[0]) : null;
    check(r && r.ok, `the first file downloads (${hrefs[0]})`, r && r.status);
    const toml = await page.textContent('#scenario-toml');
    check(toml.length > 0 && await page.getAttribute('#download-toml', 'download') === 'scenario.toml', 'the scenario as TOML, with a download named scenario.toml');
    check(s.runId && hrefs.every((h) => h.includes(`/api/files/${s.runId}/`)), 'the file links name the drawn run');
  }

  // 10. Screenshot of the page with a changed lever.
  if (SCREENSHOT) {
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.setViewportSize({ width: 1400, height: 1000 });
    const s = await snapshot(page);
    await page.evaluate(() => {
      document.activeElement?.blur();
      window.scrollTo(0, 0);
      window.dispatchEvent(new Event('resize'));
    });
    await sleep(400);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    log(`screenshot: ${SCREENSHOT} (run ${s.runId})`);
  }

  check(consoleErrors.length === 0, 'no console errors', consoleErrors);
  log(`summary: draw-ms median ${median(times)} ms, range ${Math.min(...times)}–${Math.max(...times)} ms`);
} catch (e) {
  failures++;
  console.error(`[browser] FAIL: ${e.stack || e}`);
  if (consoleErrors.length) console.error('[browser] console errors:', consoleErrors);
} finally {
  await context.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}
if (failures) {
  console.error(`[browser] ${failures} check(s) failed`);
  process.exit(1);
}
log('all checks passed');
