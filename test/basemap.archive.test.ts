/**
 * The operator's base maps, served by the hub (src/server/basemap.ts): the archive route answers
 * HTTP Range requests byte for byte (206, Content-Range, 416 with `bytes *\/SIZE`, If-Range), the
 * metadata route says what the archives hold, both need a token, a hub without archives says so
 * (null, 404), and `serve` refuses a file that is not the right kind of archive.
 *
 * The archives are made in the test (test/support/pmtiles.ts) from a real GeoJSON of Arad; the
 * client is the one the console uses — the `pmtiles` package's FetchSource over HTTP against the
 * listening hub — and the tile it returns is read back by an independent decoder, GDAL's MVT
 * driver, whose features must lie within 1 m (geodesic) of the GeoJSON they were made from.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import type { Feature, FeatureCollection, LineString } from 'geojson';
import { FetchSource, PMTiles, TileType } from 'pmtiles';
import type { BasemapAnswer } from '../src/api/basemap.ts';
import { pointEdge } from '../src/engine/geodesy/distance.ts';
import { makeEdge } from '../src/engine/geodesy/shape.ts';
import { distance } from '../src/engine/geodesy/wgs84.ts';
import type { Position } from '../src/engine/types.ts';
import { byteRange, openBasemaps } from '../src/server/basemap.ts';
import { runCli } from './support/cli.ts';
import { assertError, ok, startHub, type TestHub } from './support/hub.ts';
import { gdalVectorMbtiles, hillshadeMbtiles, writeMbtiles } from './support/mbtiles.ts';
import { project } from './support/mvt.ts';
import {
  ARAD,
  aradHillshadeArchive,
  aradVectorArchive,
  greyPng,
  HILLSHADE_BOUNDS,
} from './support/pmtiles.ts';

const dir = mkdtempSync(join(tmpdir(), 'deconflict-basemap-'));
const VECTOR = join(dir, 'arad.pmtiles');
const HILLSHADE = join(dir, 'hillshade.pmtiles');
writeFileSync(VECTOR, aradVectorArchive());
writeFileSync(HILLSHADE, aradHillshadeArchive());
const bytes = readFileSync(VECTOR);
const size = bytes.length;
const URL_V = '/api/v1/basemap/vector.pmtiles';

after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * GDAL's MVT driver reads the tile z/x/y (gzipped or not), and finds Arad's boulevard within 1 m
 * of the fixture's line and the city hall among the buildings.
 */
function assertGdalReadsArad(tile: Uint8Array, z: number, x: number, y: number): void {
  // GDAL reads a tile as z/x/y.pbf, georeferenced by its path.
  const at = join(dir, 'tiles', String(z), String(x));
  mkdirSync(at, { recursive: true });
  writeFileSync(join(at, `${y}.pbf`), tile);
  const read = (layer: string) =>
    JSON.parse(
      execFileSync(
        'ogr2ogr',
        ['-f', 'GeoJSON', '/vsistdout/', join(at, `${y}.pbf`), layer, '-t_srs', 'EPSG:4326'],
        {
          encoding: 'utf8',
        },
      ),
    ) as FeatureCollection;
  const roads = read('roads');
  const boulevard = roads.features.find(
    (f) => f.properties?.name === 'Bulevardul Revoluției',
  ) as Feature<LineString>;
  assert.ok(boulevard, 'the boulevard is in the tile');
  assert.equal(boulevard.properties?.kind, 'major_road');
  const source = ARAD.features.find(
    (f) => f.properties?.name === 'Bulevardul Revoluției',
  ) as Feature<LineString>;
  // Every vertex GDAL read lies on the source line within 1 m (those it made where it cut the
  // line at the tile's edge too), and the source's vertices inside the tile are among them.
  const line = source.geometry.coordinates as unknown as Position[];
  const edges = line.slice(1).map((b, i) => makeEdge(line[i] as Position, b));
  const readBack = boulevard.geometry.coordinates as unknown as Position[];
  for (const v of readBack) {
    const d = Math.min(...edges.map((e) => pointEdge(v, e).d));
    assert.ok(d < 1, `vertex ${v} is ${d} m from the source line`);
  }
  const inside = line.filter((s) => readBack.some((v) => distance(v, s) < 1));
  assert.ok(inside.length >= 3, `only ${inside.length} source vertices read back within 1 m`);
  const buildings = read('buildings');
  assert.ok(buildings.features.some((f) => f.properties?.name === 'Palatul Administrativ'));
}

/** GET through the hub's app, with the token's bearer header when one is given. */
function getAs(t: TestHub, token: string | null, url: string, headers: Record<string, string> = {}) {
  return t.app.inject({
    method: 'GET',
    url,
    headers: { ...(token !== null && { authorization: `Bearer ${token}` }), ...headers },
  });
}

describe('a hub serving base map archives', () => {
  let t: TestHub;
  let token: string;
  let base: string;
  before(async () => {
    t = await startHub({ app: { basemaps: await openBasemaps({ vector: VECTOR, hillshade: HILLSHADE }) } });
    token = await t.login('coalition.watch');
    base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(() => t.close());

  const get = (url: string, headers: Record<string, string> = {}, auth = true) =>
    getAs(t, auth ? token : null, url, headers);

  test('GET /api/v1/basemap lists both archives with what their headers and metadata say', async () => {
    const a = ok<BasemapAnswer>(await get('/api/v1/basemap'));
    assert.ok(a.vector && a.hillshade);
    assert.equal(a.vector.url, URL_V);
    assert.equal(a.vector.tile_type, 'mvt');
    assert.deepEqual([a.vector.min_zoom, a.vector.max_zoom], [10, 14]);
    assert.deepEqual(a.vector.layers, ['buildings', 'landuse', 'places', 'roads', 'water']);
    assert.equal(a.vector.size, size);
    assert.equal(a.vector.attribution, '© OpenStreetMap contributors');
    // The box of the fixture's coordinates, to the header's 1e-7°.
    const all = ARAD.features.flatMap((f) => (f.geometry as LineString).coordinates.flat(2));
    const lons = all.filter((_, i) => i % 2 === 0);
    const lats = all.filter((_, i) => i % 2 === 1);
    const box = [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)];
    for (const [i, v] of a.vector.bounds.entries())
      assert.ok(Math.abs(v - (box[i] as number)) < 1e-7, `bound ${i}`);
    assert.equal(a.hillshade.url, '/api/v1/basemap/hillshade.pmtiles');
    assert.equal(a.hillshade.tile_type, 'png');
    assert.deepEqual([a.hillshade.min_zoom, a.hillshade.max_zoom], [8, 12]);
    assert.deepEqual(a.hillshade.layers, []);
  });

  test('a Range request is 206 with exactly those bytes, Content-Range, Accept-Ranges and validators', async () => {
    const r = await get(URL_V, { range: 'bytes=0-126' });
    assert.equal(r.statusCode, 206);
    assert.deepEqual(r.rawPayload, bytes.subarray(0, 127));
    assert.equal(r.headers['content-range'], `bytes 0-126/${size}`);
    assert.equal(r.headers['content-length'], '127');
    assert.equal(r.headers['accept-ranges'], 'bytes');
    assert.match(String(r.headers.etag), /^"[0-9a-f]+-[0-9a-f]+"$/);
    assert.ok(!Number.isNaN(Date.parse(String(r.headers['last-modified']))));
    assert.equal(r.headers['content-type'], 'application/octet-stream');
    for (const [range, from, to] of [
      [`bytes=100-`, 100, size - 1],
      ['bytes=-10', size - 10, size - 1],
      // Past the end is the end (the PMTiles client asks for the first 16 KiB of any archive).
      ['bytes=0-16383', 0, size - 1],
      [`bytes=${size - 1}-${size - 1}`, size - 1, size - 1],
    ] as const) {
      const p = await get(URL_V, { range });
      assert.equal(p.statusCode, 206, range);
      assert.deepEqual(p.rawPayload, bytes.subarray(from, to + 1), range);
      assert.equal(p.headers['content-range'], `bytes ${from}-${to}/${size}`, range);
    }
  });

  test('no Range is 200 and the whole archive; an If-Range that does not match too', async () => {
    const whole = await get(URL_V);
    assert.equal(whole.statusCode, 200);
    assert.deepEqual(whole.rawPayload, bytes);
    const stale = await get(URL_V, { range: 'bytes=0-9', 'if-range': '"0-0"' });
    assert.equal(stale.statusCode, 200);
    assert.deepEqual(stale.rawPayload, bytes);
    const fresh = await get(URL_V, { range: 'bytes=0-9', 'if-range': String(whole.headers.etag) });
    assert.equal(fresh.statusCode, 206);
    assert.deepEqual(fresh.rawPayload, bytes.subarray(0, 10));
  });

  test('a range past the end, several ranges, or a malformed one is 416 with bytes */SIZE', async () => {
    for (const range of [
      `bytes=${size}-`,
      `bytes=${size + 5}-${size + 9}`,
      'bytes=0-9,20-29',
      'bytes=9-0',
      'items=0-9',
      'bytes=-0',
    ]) {
      const r = await get(URL_V, { range });
      assertError(r, 416, 'range_not_satisfiable');
      assert.equal(r.headers['content-range'], `bytes */${size}`, range);
    }
  });

  test('both routes need a token; an unknown archive is 404', async () => {
    assertError(await get('/api/v1/basemap', {}, false), 401, 'unauthorized');
    assertError(await get(URL_V, { range: 'bytes=0-126' }, false), 401, 'unauthorized');
    assertError(await get('/api/v1/basemap/planet.pmtiles'), 404, 'not_found');
  });

  test("the console's client (pmtiles FetchSource over HTTP) reads the served archive; GDAL decodes its tile within 1 m", async () => {
    const p = new PMTiles(
      new FetchSource(`${base}${URL_V}`, new Headers({ authorization: `Bearer ${token}` })),
    );
    const h = await p.getHeader();
    assert.equal(h.tileType, TileType.Mvt);
    const [x, y] = project([21.3123, 46.1866], 14).map(Math.floor) as [number, number];
    const tile = await p.getZxy(14, x, y);
    assert.ok(tile, 'the tile of Arad city hall at zoom 14');
    assertGdalReadsArad(new Uint8Array(tile.data), 14, x, y);
  });

  test('a PMTiles tile by z/x/y is the tile the pmtiles reader finds (inflated by it)', async () => {
    const a = ok<BasemapAnswer>(await get('/api/v1/basemap'));
    assert.equal(a.vector?.kind, 'pmtiles');
    assert.equal(a.vector?.tiles, '/api/v1/basemap/vector/{z}/{x}/{y}');
    const [x, y] = project([21.3123, 46.1866], 14).map(Math.floor) as [number, number];
    const r = await get(`/api/v1/basemap/vector/14/${x}/${y}`);
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['content-type'], 'application/vnd.mapbox-vector-tile');
    assert.equal(r.headers['content-encoding'], undefined);
    const p = new PMTiles(
      new FetchSource(`${base}${URL_V}`, new Headers({ authorization: `Bearer ${token}` })),
    );
    const tile = await p.getZxy(14, x, y);
    assert.ok(tile);
    assert.deepEqual(r.rawPayload, Buffer.from(tile.data));
    assert.equal((await get(`/api/v1/basemap/vector/14/${x}/${y - 40}`)).statusCode, 204);
  });

  test('the hillshade archive serves the PNG tiles it was made of', async () => {
    const p = new PMTiles(
      new FetchSource(
        `${base}/api/v1/basemap/hillshade.pmtiles`,
        new Headers({ authorization: `Bearer ${token}` }),
      ),
    );
    assert.equal((await p.getHeader()).tileType, TileType.Png);
    const [x, y] = project([21.3, 46.175], 12).map(Math.floor) as [number, number];
    const tile = await p.getZxy(12, x, y);
    assert.ok(tile);
    assert.deepEqual(new Uint8Array(tile.data), new Uint8Array(greyPng(40 + 12 * 4, 200)));
  });
});

describe('a hub serving MBTiles base maps (vector made by GDAL, hillshade by hand)', () => {
  const VECTOR_MB = join(dir, 'arad.mbtiles');
  const HILLSHADE_MB = join(dir, 'hillshade.mbtiles');
  let t: TestHub;
  let token: string;
  const [x, y] = project([21.3123, 46.1866], 14).map(Math.floor) as [number, number];
  before(async () => {
    gdalVectorMbtiles(dir, VECTOR_MB);
    hillshadeMbtiles(HILLSHADE_MB);
    t = await startHub({
      app: { basemaps: await openBasemaps({ vector: VECTOR_MB, hillshade: HILLSHADE_MB }) },
    });
    token = await t.login('coalition.watch');
  });
  after(() => t.close());

  const get = (url: string, headers: Record<string, string> = {}, auth = true) =>
    getAs(t, auth ? token : null, url, headers);
  /** The row GDAL stored at zoom, column and TMS row, read with SQLite directly. */
  const stored = (z: number, col: number, row: number): Buffer | undefined => {
    const db = new Database(VECTOR_MB, { readonly: true });
    try {
      return (
        db
          .prepare('SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?')
          .get(z, col, row) as { tile_data: Buffer } | undefined
      )?.tile_data;
    } finally {
      db.close();
    }
  };

  test('GET /api/v1/basemap says MBTiles, with the tile URL, zooms, bounds and layers of its metadata', async () => {
    const a = ok<BasemapAnswer>(await get('/api/v1/basemap'));
    assert.ok(a.vector && a.hillshade);
    assert.equal(a.vector.kind, 'mbtiles');
    assert.equal(a.vector.url, null);
    assert.equal(a.vector.tiles, '/api/v1/basemap/vector/{z}/{x}/{y}');
    assert.equal(a.vector.tile_type, 'mvt');
    assert.deepEqual([a.vector.min_zoom, a.vector.max_zoom], [10, 14]);
    assert.deepEqual(a.vector.layers, ['buildings', 'landuse', 'places', 'roads', 'water']);
    assert.equal(a.vector.size, statSync(VECTOR_MB).size);
    const all = ARAD.features.flatMap((f) => (f.geometry as LineString).coordinates.flat(2));
    const lons = all.filter((_, i) => i % 2 === 0);
    const lats = all.filter((_, i) => i % 2 === 1);
    const box = [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)];
    for (const [i, v] of a.vector.bounds.entries())
      assert.ok(Math.abs(v - (box[i] as number)) < 1e-6, `bound ${i}: ${v}`);
    assert.equal(a.hillshade.kind, 'mbtiles');
    assert.equal(a.hillshade.tiles, '/api/v1/basemap/hillshade/{z}/{x}/{y}');
    assert.equal(a.hillshade.tile_type, 'png');
    assert.deepEqual([a.hillshade.min_zoom, a.hillshade.max_zoom], [8, 12]);
    assert.deepEqual(a.hillshade.bounds, [...HILLSHADE_BOUNDS]);
  });

  test('a tile is the row at the flipped TMS row, as stored, gzipped; GDAL reads it within 1 m', async () => {
    const r = await get(`/api/v1/basemap/vector/14/${x}/${y}`);
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['content-type'], 'application/vnd.mapbox-vector-tile');
    assert.equal(r.headers['content-encoding'], 'gzip');
    assert.equal(r.headers['content-length'], String(r.rawPayload.length));
    const row = 2 ** 14 - 1 - y;
    assert.notEqual(row, y);
    assert.deepEqual(r.rawPayload, stored(14, x, row), 'the stored row 2^z - 1 - y');
    assert.equal(stored(14, x, y), undefined, 'no row at the unflipped y');
    assertGdalReadsArad(gunzipSync(r.rawPayload), 14, x, y);
  });

  test('a tile the file lacks is 204 No Content; an address off the zoom level is 400', async () => {
    const none = await get(`/api/v1/basemap/vector/14/${x}/${y + 50}`);
    assert.equal(none.statusCode, 204);
    assert.equal(none.rawPayload.length, 0);
    assert.equal((await get(`/api/v1/basemap/vector/3/0/0`)).statusCode, 204);
    assertError(await get('/api/v1/basemap/vector/2/4/0'), 400, 'invalid_request');
    assertError(await get('/api/v1/basemap/vector/2/0/4'), 400, 'invalid_request');
    for (const bad of ['25/0/0', '-1/0/0', '1.5/0/0', 'a/0/0'])
      assertError(await get(`/api/v1/basemap/vector/${bad}`), 400, 'invalid_request');
    assertError(await get('/api/v1/basemap/terrain/1/0/0'), 400, 'invalid_request');
  });

  test('a tile has an ETag; If-None-Match with it is 304', async () => {
    const r = await get(`/api/v1/basemap/vector/14/${x}/${y}`);
    const etag = String(r.headers.etag);
    assert.match(etag, new RegExp(`^"[0-9a-f]+-[0-9a-f]+-14-${x}-${y}"$`));
    const again = await get(`/api/v1/basemap/vector/14/${x}/${y}`, { 'if-none-match': etag });
    assert.equal(again.statusCode, 304);
    assert.equal(again.rawPayload.length, 0);
    assert.equal(
      (await get(`/api/v1/basemap/vector/14/${x}/${y}`, { 'if-none-match': '"0-0"' })).statusCode,
      200,
    );
  });

  test('the hillshade serves its PNG tiles as they are, from the map and images tables', async () => {
    const [hx, hy] = project([21.3, 46.175], 12).map(Math.floor) as [number, number];
    const r = await get(`/api/v1/basemap/hillshade/12/${hx}/${hy}`);
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['content-type'], 'image/png');
    assert.equal(r.headers['content-encoding'], undefined);
    assert.deepEqual(new Uint8Array(r.rawPayload), new Uint8Array(greyPng(40 + 12 * 4, 200)));
  });

  test('tiles need a token; the .pmtiles path of an MBTiles archive is 404 naming the tile URL', async () => {
    assertError(await get(`/api/v1/basemap/vector/14/${x}/${y}`, {}, false), 401, 'unauthorized');
    assertError(await get('/api/v1/basemap/hillshade/12/0/0', {}, false), 401, 'unauthorized');
    const r = await get('/api/v1/basemap/vector.pmtiles', { range: 'bytes=0-99' });
    assertError(r, 404, 'not_found');
    assert.match(r.body, /vector\/\{z\}\/\{x\}\/\{y\}/);
  });
});

describe('a hub without base map archives', () => {
  let t: TestHub;
  let token: string;
  before(async () => {
    t = await startHub();
    token = await t.login('coalition.watch');
  });
  after(() => t.close());

  test('says there are none, and the archive paths are 404 not_found', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const a = ok<BasemapAnswer>(await t.app.inject({ method: 'GET', url: '/api/v1/basemap', headers: auth }));
    assert.deepEqual(a, { vector: null, hillshade: null });
    for (const name of ['vector.pmtiles', 'hillshade.pmtiles'])
      assertError(
        await t.app.inject({
          method: 'GET',
          url: `/api/v1/basemap/${name}`,
          headers: { ...auth, range: 'bytes=0-99' },
        }),
        404,
        'not_found',
      );
    assertError(
      await t.app.inject({ method: 'GET', url: '/api/v1/basemap/vector/0/0/0', headers: auth }),
      404,
      'not_found',
    );
  });
});

describe('byteRange', () => {
  test('reads one range of RFC 9110 and refuses what cannot be served', () => {
    assert.deepEqual(byteRange('bytes=0-0', 10), [0, 0]);
    assert.deepEqual(byteRange('bytes=5-', 10), [5, 9]);
    assert.deepEqual(byteRange('bytes=-3', 10), [7, 9]);
    assert.deepEqual(byteRange('bytes=-30', 10), [0, 9]);
    assert.deepEqual(byteRange('bytes=8-99', 10), [8, 9]);
    for (const h of [
      'bytes=10-',
      'bytes=3-2',
      'bytes=-',
      'bytes=-0',
      'bytes=0-1,3-4',
      'bytes=a-b',
      'bytes=1e3-',
      'lines=0-1',
    ])
      assert.equal(byteRange(h, 10), null, h);
    assert.equal(byteRange('bytes=0-', 0), null, 'an empty file has no range');
  });
});

describe('deconflict serve --basemap / --hillshade', () => {
  test('a file that is not an archive of the right kind is refused before the hub starts (exit 2)', async () => {
    const data = join(dir, 'data');
    const geojson = join(dir, 'arad.geojson');
    writeFileSync(geojson, JSON.stringify(ARAD));
    // MBTiles of the wrong kind, and SQLite files that are not MBTiles.
    const vectorMb = join(dir, 'refused-vector.mbtiles');
    const hillshadeMb = join(dir, 'refused-hillshade.mbtiles');
    gdalVectorMbtiles(dir, vectorMb);
    hillshadeMbtiles(hillshadeMb);
    const notMbtiles = join(dir, 'store.sqlite');
    const other = new Database(notMbtiles);
    other.exec('CREATE TABLE tiles (zoom_level, tile_column, tile_row, tile_data)');
    other.close();
    const noTiles = join(dir, 'no-tiles.mbtiles');
    const bare = new Database(noTiles);
    bare.exec('CREATE TABLE metadata (name text, value text)');
    bare.close();
    const tile = { z: 0, x: 0, y: 0, data: greyPng(0, 255) };
    const tiff = join(dir, 'tiff.mbtiles');
    writeMbtiles(tiff, { tiles: [tile], metadata: { format: 'tiff' } });
    const empty = join(dir, 'empty.mbtiles');
    writeMbtiles(empty, { tiles: [], metadata: { format: 'pbf' } });
    const cases: [string[], RegExp][] = [
      [['--basemap', geojson], /--basemap: .*neither a PMTiles v3 archive nor an MBTiles file/],
      [['--basemap', hillshadeMb], /--basemap: .*png tiles, not vector tiles/],
      [['--hillshade', vectorMb], /--hillshade: .*vector tiles, not images/],
      [['--basemap', notMbtiles], /--basemap: .*has a metadata table; this has none/],
      [['--basemap', noTiles], /--basemap: .*has a tiles table \(or map and images\); this has none/],
      [['--basemap', tiff], /--basemap: .*tiles are "tiff", not pbf, png, jpg or webp/],
      [['--basemap', empty], /--basemap: .*holds no tiles/],
      [['--basemap', HILLSHADE], /--basemap: .*png tiles, not vector tiles/],
      [['--hillshade', VECTOR], /--hillshade: .*vector tiles, not images/],
      [['--basemap', join(dir, 'missing.pmtiles')], /--basemap: no file/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(['serve', '--data', data, '--port', '0', ...args]);
      assert.equal(r.status, 2, r.err);
      assert.match(r.err, message);
    }
  });
});
