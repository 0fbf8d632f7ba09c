/**
 * The operator's base map in the console, in a real browser (Debian's chromium through
 * playwright-core) against a real hub process: `deconflict serve --demo --basemap FILE
 * --hillshade FILE` with archives made in the test (test/support/pmtiles.ts, from the GeoJSON of
 * Arad in test/fixtures/arad-osm.geojson).
 *
 * - The console adds the archive's layers (roads, buildings, water, parks, places, hillshade)
 *   above the built-in land and below the coastline and every declaration, and MapLibre draws
 *   the roads, buildings and water of Arad from the served tiles (queryRenderedFeatures).
 * - The archives are read by Range requests to the hub carrying the session's token (206), and
 *   every request the page made stayed on the hub (no tile, font or style from anywhere else).
 * - The same from MBTiles files (the vector one made by GDAL, `ogr2ogr -f MBTILES`; the hillshade
 *   in mbutil's layout: test/support/mbtiles.ts): the console reads them tile by tile from the
 *   hub's z/x/y route, every request with the session's token, answered 200, 204 (no tile
 *   there) or 304, never an error.
 * - A hub started without --basemap: the console has no operator layer, the built-in map as
 *   before.
 *
 * A screenshot, operator-basemap.png, goes to SCREENSHOTS (test/support/browser.ts).
 *
 * Run: node --import tsx --test test/console.basemap.e2e.test.ts (needs Debian's chromium).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  assertClean,
  buildConsole,
  CHROMIUM,
  chromiumAvailable,
  jumpTo,
  LOAD,
  launch,
  layersDrawn,
  logIn,
  mapReady,
  type Person,
  person,
  screenshot,
} from './support/browser.ts';
import { demoPassword } from './support/hub.ts';
import { gdalVectorMbtiles, hillshadeMbtiles } from './support/mbtiles.ts';
import { aradHillshadeArchive, aradVectorArchive } from './support/pmtiles.ts';
import { killAll, type Served, serve } from './support/serve.ts';

/** The part of MapLibre the page functions use (the console exposes it as window.deconflict.map). */
interface MapLike {
  getSource(id: string): unknown;
  getStyle(): { layers: { id: string; type: string }[] };
  isSourceLoaded(id: string): boolean;
  queryRenderedFeatures(options: { layers: string[] }): { properties: Record<string, unknown> }[];
}
type Win = Window & { deconflict: { map: MapLike } };

const OPERATOR_LAYERS = ['op-landuse', 'op-water', 'op-building', 'op-path', 'op-road', 'op-place'];
const USER = 'coalition.watch';

/** The ids of the map's layers, bottom to top. */
const layerIds = (page: Page): Promise<string[]> =>
  page.evaluate(() => (window as unknown as Win).deconflict.map.getStyle().layers.map((l) => l.id));

/** The operator layers are added in their place, and MapLibre draws Arad's features from them. */
async function drawsArad(page: Page): Promise<void> {
  await page.waitForFunction(
    (ids) => {
      const m = (window as unknown as Win).deconflict.map;
      const have = new Set(m.getStyle().layers.map((l) => l.id));
      return ids.every((id) => have.has(id));
    },
    [...OPERATOR_LAYERS, 'op-hillshade'],
    { timeout: LOAD, polling: 100 },
  );
  // Above the built-in land (the hillshade first), below the coastline and every declaration.
  const ids = await layerIds(page);
  const at = (id: string) => ids.indexOf(id);
  assert.ok(at('land') < at('op-hillshade'), 'the hillshade is above the built-in land');
  for (const id of OPERATOR_LAYERS) {
    assert.ok(at('op-hillshade') < at(id), `${id} is above the hillshade`);
    assert.ok(at(id) < at('coast'), `${id} is below the coastline`);
    assert.ok(at(id) < at('decl-fill'), `${id} is below the declarations`);
  }

  // Arad's centre, closer than the theatre view: the tiles' features are drawn.
  await jumpTo(page, 21.312, 46.1705, 15);
  await layersDrawn(page, ['op-water', 'op-landuse', 'op-path']);
  await jumpTo(page, 21.3125, 46.1845, 15);
  await layersDrawn(page, ['op-road', 'op-building', 'op-place']);
  const drawn = await page.evaluate(() => {
    const m = (window as unknown as Win).deconflict.map;
    return {
      roads: m.queryRenderedFeatures({ layers: ['op-road'] }).map((f) => String(f.properties.name)),
      buildings: m.queryRenderedFeatures({ layers: ['op-building'] }).map((f) => String(f.properties.name)),
      hillshade: m.isSourceLoaded('operator-hillshade'),
    };
  });
  assert.ok(drawn.roads.includes('Bulevardul Revoluției'), `roads drawn: ${drawn.roads.join(', ')}`);
  assert.ok(drawn.buildings.includes('Palatul Administrativ'), `buildings: ${drawn.buildings.join(', ')}`);
  assert.equal(drawn.hillshade, true, 'the hillshade tiles are loaded');
}

describe('the operator base map in the console', () => {
  let dir: string;
  let hub: Served;
  let plain: Served;
  let mbtiles: Served;
  let browser: Browser;
  const people: Person[] = [];

  before(async () => {
    assert.ok(chromiumAvailable(), `the browser tests need Debian's chromium at ${CHROMIUM}`);
    buildConsole();
    dir = mkdtempSync(join(tmpdir(), 'deconflict-basemap-e2e-'));
    const vector = join(dir, 'arad.pmtiles');
    const hillshade = join(dir, 'hillshade.pmtiles');
    writeFileSync(vector, aradVectorArchive());
    writeFileSync(hillshade, aradHillshadeArchive());
    const vectorMb = join(dir, 'arad.mbtiles');
    const hillshadeMb = join(dir, 'hillshade.mbtiles');
    gdalVectorMbtiles(dir, vectorMb);
    hillshadeMbtiles(hillshadeMb);
    [hub, plain, mbtiles] = await Promise.all([
      serve(['--demo', '--data', join(dir, 'data'), '--basemap', vector, '--hillshade', hillshade]),
      serve(['--demo', '--data', join(dir, 'plain')]),
      serve(['--demo', '--data', join(dir, 'mb'), '--basemap', vectorMb, '--hillshade', hillshadeMb]),
    ]);
    browser = await launch();
  });
  after(async () => {
    for (const p of people) await p.context.close().catch(() => {});
    await browser?.close();
    await Promise.all([hub?.stop(), plain?.stop(), mbtiles?.stop()]);
    await killAll();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("draws the archive's roads, buildings and water under the declarations, from the hub alone", async () => {
    const p = await person(browser, hub.url);
    people.push(p);
    const archive: { url: string; status: number; range: string; auth: string }[] = [];
    p.page.on('response', (r) => {
      if (!r.url().includes('/api/v1/basemap/')) return;
      const h = r.request().headers();
      archive.push({ url: r.url(), status: r.status(), range: h.range ?? '', auth: h.authorization ?? '' });
    });
    await logIn(p, hub.url, USER, demoPassword(USER));
    await mapReady(p.page);
    await drawsArad(p.page);
    await screenshot(p.page, 'operator-basemap.png');

    // Both archives were read in ranges, each request with the session's token, each answered 206.
    for (const name of ['vector.pmtiles', 'hillshade.pmtiles']) {
      const mine = archive.filter((a) => a.url === `${hub.url}/api/v1/basemap/${name}`);
      assert.ok(mine.length >= 2, `${name}: ${mine.length} requests`);
      for (const a of mine) {
        assert.match(a.range, /^bytes=\d+-\d+$/, `${name} asked for a range`);
        assert.match(a.auth, /^Bearer [A-Za-z0-9_-]+$/, `${name} with the token`);
        assert.equal(a.status, 206, `${name} ${a.range}`);
      }
    }
    assert.deepEqual(
      archive.filter((a) => !a.url.startsWith(`${hub.url}/api/v1/basemap/`)),
      [],
      'no archive request left the hub',
    );
    await assertClean(p);
  });

  it('draws an MBTiles base map the same, read tile by tile with the token, never an error', async () => {
    const p = await person(browser, mbtiles.url);
    people.push(p);
    const tiles: { url: string; status: number; auth: string }[] = [];
    p.page.on('response', (r) => {
      if (!r.url().includes('/api/v1/basemap/')) return;
      tiles.push({ url: r.url(), status: r.status(), auth: r.request().headers().authorization ?? '' });
    });
    await logIn(p, mbtiles.url, USER, demoPassword(USER));
    await mapReady(p.page);
    await drawsArad(p.page);
    for (const role of ['vector', 'hillshade']) {
      const mine = tiles.filter((t) => t.url.startsWith(`${mbtiles.url}/api/v1/basemap/${role}/`));
      assert.ok(mine.length >= 2, `${role}: ${mine.length} tile requests`);
      for (const t of mine) {
        assert.match(t.url, /\/\d+\/\d+\/\d+$/, 'a z/x/y request');
        assert.match(t.auth, /^Bearer [A-Za-z0-9_-]+$/, `${t.url} with the token`);
        assert.ok([200, 204, 304].includes(t.status), `${t.url}: ${t.status}`);
      }
    }
    assert.deepEqual(
      tiles.filter((t) => !t.url.startsWith(`${mbtiles.url}/api/v1/basemap/`) || t.url.endsWith('.pmtiles')),
      [],
      'only tile requests, all to the hub',
    );
    await assertClean(p);
  });

  it('without --basemap, the console draws the built-in map as before', async () => {
    const p = await person(browser, plain.url);
    people.push(p);
    // The console asks the hub which archives it has; once answered "none", nothing is added.
    const answered = p.page.waitForResponse((r) => r.url() === `${plain.url}/api/v1/basemap`, {
      timeout: LOAD,
    });
    await logIn(p, plain.url, USER, demoPassword(USER));
    const answer = await answered;
    assert.deepEqual(await answer.json(), { vector: null, hillshade: null });
    await mapReady(p.page);
    await layersDrawn(p.page, ['land']);
    const ids = await layerIds(p.page);
    assert.deepEqual(
      ids.filter((id) => id.startsWith('op-')),
      [],
    );
    assert.equal(
      await p.page.evaluate(() => !!(window as unknown as Win).deconflict.map.getSource('operator')),
      false,
    );
    await assertClean(p);
  });
});
