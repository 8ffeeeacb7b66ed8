// Builds the page into ../assets/{index.html, app.js, app.css}, which the
// Rust binary embeds (no Node, network or CDN when `migflow serve` runs).
//
//   npm run build    write the three files
//   npm run check    build into memory and fail if ../assets differ
//                    (the committed bundle must match the sources)
//
// The output is deterministic: same sources and lock file, same bytes.
import * as esbuild from 'esbuild';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'assets');
const check = process.argv.includes('--check');

const pkg = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));
const uplotPkg = JSON.parse(readFileSync(join(here, 'node_modules/uplot/package.json'), 'utf8'));
const uplotLicence = readFileSync(join(here, 'node_modules/uplot/LICENSE'), 'utf8').trim();
const banner = [
  `/*! migflow serve page ${pkg.version}: built from crates/migflow-serve/web (npm run build); do not edit.`,
  ` * Bundles uPlot ${uplotPkg.version} (https://github.com/leeoniya/uPlot), under this licence:`,
  ...uplotLicence.split('\n').map((l) => ` * ${l}`.trimEnd()),
  ' */',
].join('\n');

const result = await esbuild.build({
  entryPoints: { app: join(here, 'src/main.js') },
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  legalComments: 'inline',
  banner: { js: banner, css: banner },
  charset: 'utf8',
  outdir: out,
  write: false,
  logLevel: 'warning',
});

const files = new Map();
for (const f of result.outputFiles) files.set(f.path.split(/[\\/]/).pop(), f.text);
const html = readFileSync(join(here, 'src/index.html'), 'utf8')
  .replace(/>\s+</g, '><')
  .replace(/\n\s*/g, ' ')
  .trim();
files.set('index.html', `<!-- migflow serve page: built from crates/migflow-serve/web (npm run build); do not edit. -->\n${html}\n`);

const names = ['index.html', 'app.js', 'app.css'];
for (const n of files.keys()) if (!names.includes(n)) throw new Error(`unexpected output ${n}`);
let stale = [];
for (const n of names) {
  const text = files.get(n);
  if (text === undefined) throw new Error(`no output ${n}`);
  const path = join(out, n);
  if (check) {
    let old = null;
    try { old = readFileSync(path, 'utf8'); } catch { /* missing */ }
    if (old !== text) stale.push(n);
  } else {
    mkdirSync(out, { recursive: true });
    writeFileSync(path, text);
    console.log(`${path.replace(here + '/', '')}  ${Buffer.byteLength(text)} bytes`);
  }
}
if (check) {
  if (stale.length) {
    console.error(`crates/migflow-serve/assets is out of date (${stale.join(', ')}): run npm run build in crates/migflow-serve/web`);
    process.exit(1);
  }
  console.log('crates/migflow-serve/assets matches the sources');
}
