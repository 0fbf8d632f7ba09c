/**
 * Exports against a real hub with the demo theatre (scenarios/river-line.geojson, Arad): every
 * format answers with its media type and file name; each is the caller's own view (a declaration
 * hidden from the caller is in no byte of any format, while a party allowed to see it finds it);
 * GDAL opens every export and counts what we wrote; KML converted by GDAL keeps our coordinates;
 * content negotiation on the declaration list; spreadsheet cells never start a formula; exports
 * page through more declarations than one read holds.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import yauzl from 'yauzl';
import type { DeclarationCollection } from '../src/api/declarations.ts';
import { EXPORT_FORMATS } from '../src/api/formats.ts';
import { STRICT_NUMBER } from '../src/formats/export/cells.ts';
import { EXPORTERS } from '../src/formats/export/registry.ts';
import { DECLARATION_COLUMNS, NUMERIC_COLUMNS } from '../src/formats/export/row.ts';
import { PAGE } from '../src/hub/exports.ts';
import { runCli } from './support/cli.ts';
import { assertError, ok, type Res, request, startHub, type TestHub } from './support/hub.ts';

const run = promisify(execFile);

/** Every entry of a zip, as text, one after another. */
function unzipText(bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(bytes, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      let text = '';
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e);
          const parts: Buffer[] = [];
          stream.on('data', (c: Buffer) => parts.push(c));
          stream.on('end', () => {
            text += `${Buffer.concat(parts).toString('utf8')}\n`;
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(text));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

const ZIPPED = new Set(['kmz', 'xlsx', 'takpkg']);

/** What a file says, whatever its packaging. */
const textOf = async (format: string, r: Res): Promise<string> =>
  ZIPPED.has(format) ? unzipText(r.rawPayload) : r.rawPayload.toString('utf8');

/** Layer name → feature count, as `ogrinfo -ro -al -so` reports them. */
async function ogrCounts(path: string): Promise<Map<string, number>> {
  const { stdout } = await run('ogrinfo', ['-ro', '-al', '-so', path]);
  const counts = new Map<string, number>();
  for (const m of stdout.matchAll(/Layer name: (.+)\n[\s\S]*?Feature Count: (\d+)/g))
    counts.set(m[1] as string, Number(m[2]));
  return counts;
}

/**
 * The relief agency's clinic, shown to the coalition only. Its coordinates are no secret (the
 * aid convoy's public route ends there), so its id, label and notes are what must not appear.
 */
const HIDDEN = {
  id: 'relief-agency:site-relief-clinic',
  label: 'North-bank distribution point and clinic',
  notes: 'has not yet agreed to show this address',
};

describe('exports of the demo theatre', () => {
  let t: TestHub;
  let north: string;
  let coalition: string;
  let dir: string;
  /** What the declaration list shows northern-forces (active ones: the export's default). */
  let visible: DeclarationCollection;
  const files = new Map<string, Res>();

  const get = (token: string, url: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}`, ...headers } });

  before(async () => {
    t = await startHub();
    north = await t.login('northern-forces.watch');
    coalition = await t.login('coalition.watch');
    dir = mkdtempSync(join(tmpdir(), 'deconflict-export-'));
    visible = ok<DeclarationCollection>(await get(north, '/api/v1/declarations?status=active&limit=5000'));
    for (const format of EXPORTERS.keys()) {
      const r = await get(north, `/api/v1/export?format=${format}`);
      files.set(format, r);
      writeFileSync(join(dir, `north.${format}`), r.rawPayload);
    }
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the query schema offers exactly the registered formats', () => {
    assert.deepEqual([...EXPORT_FORMATS].sort(), [...EXPORTERS.keys()].sort());
  });

  test('each format has its media type and an attachment named deconflict-<party>-<DTG>.<ext>', () => {
    for (const [format, e] of EXPORTERS) {
      const r = files.get(format) as Res;
      assert.equal(r.statusCode, 200, `${format}: ${r.body.slice(0, 300)}`);
      assert.equal(r.headers['content-type'], e.mediaType, format);
      assert.equal(
        r.headers['content-disposition'],
        `attachment; filename="deconflict-northern-forces-220000ZNOV26.${e.extension}"`,
        format,
      );
      assert.ok(r.rawPayload.length > 0, format);
    }
    assert.equal(files.get('geojson')?.headers['content-type'], 'application/geo+json');
    assert.equal(files.get('csv')?.headers['content-type'], 'text/csv; charset=utf-8; header=present');
  });

  test('a declaration hidden from the caller is in no format; the party allowed to see it finds it', async () => {
    assert.ok(!visible.features.some((f) => f.id === HIDDEN.id), 'the list hides it from northern-forces');
    for (const format of EXPORTERS.keys()) {
      const text = await textOf(format, files.get(format) as Res);
      for (const secret of [HIDDEN.id, 'site-relief-clinic', HIDDEN.label, HIDDEN.notes])
        assert.ok(!text.includes(secret), `${format} leaks ${secret}`);
      const seen = await get(coalition, `/api/v1/export?format=${format}`);
      assert.equal(seen.statusCode, 200);
      assert.ok(
        (await textOf(format, seen)).includes('site-relief-clinic'),
        `${format} shows coalition its clinic`,
      );
    }
  });

  test('GDAL opens every export and counts the declarations (and the conflicts in KML)', async () => {
    const n = visible.features.length;
    assert.ok(n > 10);
    const conflicts = ok<{ conflicts: unknown[] }>(
      await get(north, '/api/v1/conflicts?status=open'),
    ).conflicts;
    assert.ok(conflicts.length > 0);
    assert.deepEqual([...(await ogrCounts(join(dir, 'north.geojson')))], [['north', n]]);
    assert.deepEqual([...(await ogrCounts(join(dir, 'north.csv')))], [['north', n]]);
    const kml = await ogrCounts(join(dir, 'north.kml'));
    assert.equal(kml.get('Declarations'), n);
    assert.equal(kml.get('Conflicts'), conflicts.length);
    const kmz = await ogrCounts(`/vsizip/${join(dir, 'north.kmz')}/doc.kml`);
    assert.deepEqual([...kmz], [...kml]);
    const xlsx = await ogrCounts(join(dir, 'north.xlsx'));
    assert.equal(xlsx.get('declarations'), n);
    assert.equal(xlsx.get('conflicts'), conflicts.length);
    assert.ok(xlsx.has('alerts'));
  });

  test('ogr2ogr -f GeoJSON of our KML keeps every coordinate within 1e-7° and every id', async () => {
    const out = join(dir, 'from-kml.geojson');
    await run('ogr2ogr', ['-f', 'GeoJSON', out, join(dir, 'north.kml'), 'Declarations']);
    const converted = JSON.parse(readFileSync(out, 'utf8')) as {
      features: { properties: { id: string }; geometry: { coordinates: unknown } }[];
    };
    assert.equal(converted.features.length, visible.features.length);
    const flat = (c: unknown): number[] =>
      Array.isArray(c) && typeof c[0] === 'number'
        ? (c as number[]).slice(0, 2)
        : (c as unknown[]).flatMap(flat);
    for (const f of visible.features) {
      const g = converted.features.find((x) => x.properties.id === f.id);
      assert.ok(g, `${f.id} in GDAL's conversion`);
      const ours = flat(f.geometry.coordinates);
      const theirs = flat(g.geometry.coordinates);
      assert.equal(theirs.length, ours.length, f.id);
      for (const [i, v] of ours.entries())
        assert.ok(Math.abs(v - (theirs[i] as number)) <= 1e-7, `${f.id}: ${v} ≠ ${theirs[i]}`);
    }
  });

  test('GeoJSON: the declarations as the list answers them, visibility always an array', () => {
    const exported = JSON.parse(files.get('geojson')?.body ?? '') as DeclarationCollection;
    assert.equal(exported.type, 'FeatureCollection');
    assert.equal(exported.features.length, visible.features.length);
    let all = 0;
    for (const [i, f] of exported.features.entries()) {
      const listed = visible.features[i];
      assert.ok(Array.isArray(f.properties.visibility), `${f.id} visibility is an array`);
      if (listed?.properties.visibility === 'all') {
        all++;
        assert.deepEqual(f.properties.visibility, ['all']);
      }
      assert.deepEqual(f.geometry, listed?.geometry, 'coordinates as stored');
      assert.deepEqual({ ...f.properties, visibility: listed?.properties.visibility }, listed?.properties);
    }
    assert.ok(all > 0);
  });

  test('KML: a TimeSpan per placemark, typed schema, altitude bands extruded, conflicts named with distance', () => {
    const kml = files.get('kml')?.body ?? '';
    const placemarks = kml.match(/<Placemark>/g)?.length ?? 0;
    assert.equal(kml.match(/<TimeSpan><begin>/g)?.length, placemarks);
    assert.match(kml, /<SimpleField name="buffer_m" type="double"\/>/);
    const air = visible.features.find((f) => f.properties.altitude !== undefined);
    assert.ok(air, 'the theatre has an altitude band');
    assert.match(kml, /<extrude>1<\/extrude><altitudeMode>(absolute|relativeToGround)<\/altitudeMode>/);
    assert.match(kml, /<name>[a-z_]+ [\d.,]+ k?m<\/name>/, 'a conflict named by rule and distance');
  });

  test('the declaration list answers ?format= and Accept by the same exporters, geo+json by default', async () => {
    const kml = await get(north, '/api/v1/declarations?format=kml&limit=3');
    assert.equal(kml.statusCode, 200);
    assert.equal(kml.headers['content-type'], 'application/vnd.google-earth.kml+xml');
    assert.equal(
      (kml.body.split('<Folder><name>Conflicts')[0]?.match(/<Placemark>/g) ?? []).length,
      3,
      'the list’s limit holds',
    );
    const csv = await get(north, '/api/v1/declarations?kind=strike', { accept: 'text/csv' });
    assert.equal(csv.headers['content-type'], 'text/csv; charset=utf-8; header=present');
    const strikes = visible.features.filter((f) => f.properties.kind === 'strike').length;
    assert.equal((parse(csv.body, { bom: true, columns: true }) as unknown[]).length, strikes);
    const best = await get(north, '/api/v1/declarations', {
      accept: 'text/html;q=0.9, application/vnd.google-earth.kml+xml;q=0.5, application/json;q=0.1',
    });
    assert.equal(best.headers['content-type'], 'application/vnd.google-earth.kml+xml');
    for (const accept of ['*/*', 'application/json', 'application/geo+json', '']) {
      const r = await get(north, '/api/v1/declarations', accept === '' ? {} : { accept });
      assert.equal(r.statusCode, 200);
      assert.match(String(r.headers['content-type']), /^application\/geo\+json/, accept);
      assert.equal((r.json() as DeclarationCollection).type, 'FeatureCollection');
    }
    // One declaration, and its versions, are GeoJSON too (RFC 7946 §12).
    const id = visible.features[0]?.id as string;
    for (const url of [
      `/api/v1/declarations/${encodeURIComponent(id)}`,
      `/api/v1/declarations/${encodeURIComponent(id)}/versions`,
    ]) {
      const r = await get(north, url);
      assert.equal(r.statusCode, 200, url);
      assert.match(String(r.headers['content-type']), /^application\/geo\+json/, url);
      assert.match((r.json() as { type: string }).type, /^Feature(Collection)?$/);
    }
  });

  test('an Accept nothing here can write is 406 not_acceptable naming the formats, on both routes', async () => {
    for (const url of ['/api/v1/declarations', '/api/v1/export']) {
      const r = await get(north, url, { accept: 'image/png' });
      assertError(r, 406, 'not_acceptable');
      assert.match(r.body, /text\/csv/);
      assert.match(r.body, /format=geojson\|kml/);
    }
    assertError(await get(north, '/api/v1/export?format=shapefile'), 400, 'invalid_request');
  });

  test('deconflict export writes the same file over HTTP, named as the hub names it', async () => {
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const out = join(dir, 'cli.kml');
    const r = await runCli(['export', address, '--token', north, '--format', 'kml', '--out', out]);
    assert.equal(r.status, 0, r.err);
    assert.match(r.out, /^wrote .*cli\.kml \([\d,]+ bytes, application\/vnd\.google-earth\.kml\+xml\)/);
    assert.deepEqual(readFileSync(out), files.get('kml')?.rawPayload);
    const refused = await runCli(['export', address, '--token', 'not-a-token', '--out', join(dir, 'x')]);
    assert.equal(refused.status, 2);
    assert.match(refused.err, /401 .*unauthorized/);
    const bad = await runCli(['export', address, '--token', north, '--format', 'shp']);
    assert.equal(bad.status, 2);
    assert.match(bad.err, /--format must be one of geojson, kml/);
  });

  test('a hub administrator has no picture: forbidden, before any byte', async () => {
    const admin = await t.login('hub.admin');
    assertError(await get(admin, '/api/v1/export?format=kml'), 403, 'forbidden');
  });
});

describe('spreadsheet exports never start a formula', () => {
  let t: TestHub;
  let token: string;
  const LABELS = ['=HYPERLINK("http://x","y")', '+1', '-1', '@SUM(A1)', '-73.9'];

  before(async () => {
    t = await startHub();
    token = await t.login('coalition.operator');
    // Real places: first-aid posts in Bordeaux (a western longitude) and in Arad.
    const features = LABELS.map((label, i) => ({
      type: 'Feature',
      geometry: {
        type: 'Point',
        coordinates: i % 2 === 0 ? [-0.5792 - i / 1000, 44.8378] : [21.31 + i / 1000, 46.17],
      },
      properties: {
        id: `formula-${i}`,
        kind: 'protected_site',
        category: 'medical',
        start: '2026-11-22T00:00:00Z',
        label,
        notes: i === 0 ? '\tstarts with a tab' : `=cmd|' /C calc'!A0 ${i}`,
      },
    }));
    ok(
      await request(t.app, token, 'POST', '/api/v1/declarations', { type: 'FeatureCollection', features }),
      201,
    );
  });
  after(() => t.close());

  const exported = (format: string) =>
    t.app.inject({
      method: 'GET',
      url: `/api/v1/export?format=${format}&party=coalition&kind=protected_site`,
      headers: { authorization: `Bearer ${token}` },
    });

  /** A cell is safe: text never starts a formula; `-` starts only a strict number in a numeric column. */
  function assertSafe(column: string, cell: string | number, numeric: ReadonlySet<string>): void {
    if (typeof cell === 'number') {
      assert.ok(numeric.has(column), `${column} holds a number`);
      return;
    }
    if (cell.startsWith('-')) {
      assert.ok(numeric.has(column) && STRICT_NUMBER.test(cell), `${column}: ${JSON.stringify(cell)}`);
      return;
    }
    assert.doesNotMatch(cell, /^[=+@\t\r]/, `${column}: ${JSON.stringify(cell)}`);
  }

  test('CSV: every text cell neutralised, western longitudes plain negative numbers', async () => {
    const r = await exported('csv');
    assert.equal(r.statusCode, 200);
    const rows = parse(r.rawPayload.toString('utf8'), { bom: true, relax_quotes: false }) as string[][];
    assert.deepEqual(rows[0], [...DECLARATION_COLUMNS]);
    const data = rows.slice(1);
    assert.ok(data.length >= LABELS.length);
    for (const row of data)
      for (const [i, cell] of row.entries())
        assertSafe(DECLARATION_COLUMNS[i] as string, cell, NUMERIC_COLUMNS);
    const labels = data.map((row) => row[DECLARATION_COLUMNS.indexOf('label')]);
    for (const label of LABELS) assert.ok(labels.includes(`'${label}`), `${label} kept, neutralised`);
    const lon = DECLARATION_COLUMNS.indexOf('longitude');
    assert.ok(
      data.some((row) => row[lon]?.startsWith('-0.57')),
      'a western longitude is a plain number',
    );
  });

  test('XLSX: every string cell of every sheet neutralised; numbers are numeric cells', async () => {
    const r = await exported('xlsx');
    assert.equal(r.statusCode, 200);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(r.rawPayload as unknown as ArrayBuffer);
    const sheet = book.getWorksheet('declarations');
    assert.ok(sheet);
    assert.deepEqual(
      book.worksheets.map((s) => s.name),
      ['declarations', 'conflicts', 'alerts'],
    );
    let strings = 0;
    let negatives = 0;
    for (const ws of book.worksheets) {
      const header = (ws.getRow(1).values as unknown[]).slice(1).map(String);
      const numeric = ws.name === 'declarations' ? NUMERIC_COLUMNS : new Set(['distance_m']);
      ws.eachRow((row, n) => {
        if (n === 1) return;
        row.eachCell((cell, col) => {
          const v = cell.value;
          assert.ok(
            typeof v === 'string' || typeof v === 'number',
            `${ws.name} ${cell.address}: ${JSON.stringify(v)}`,
          );
          if (typeof v === 'string') strings++;
          if (typeof v === 'number' && v < 0) negatives++;
          assertSafe(header[col - 1] as string, v, numeric);
        });
      });
    }
    assert.ok(strings > 0 && negatives > 0);
    const labels: unknown[] = [];
    sheet.eachRow((row) => labels.push(row.getCell(DECLARATION_COLUMNS.indexOf('label') + 1).value));
    for (const label of LABELS) assert.ok(labels.includes(`'${label}`), `${label} kept, neutralised`);
  });
});

describe('exports page through the store', () => {
  let t: TestHub;
  let token: string;
  const N = PAGE + 234;

  before(async () => {
    t = await startHub();
    token = await t.login('relief-agency.operator');
    // Water points on a grid over Arad (about 100 m apart).
    const features = Array.from({ length: N }, (_, i) => ({
      type: 'Feature',
      geometry: {
        type: 'Point',
        coordinates: [21.25 + (i % 40) * 0.0013, 46.15 + Math.floor(i / 40) * 0.0009],
      },
      properties: {
        id: `wp-${String(i).padStart(5, '0')}`,
        kind: 'protected_site',
        category: 'humanitarian',
        start: '2026-11-22T00:00:00Z',
      },
    }));
    // At most 1000 features per submission: two.
    for (const part of [features.slice(0, 1000), features.slice(1000)])
      ok(
        await request(t.app, token, 'POST', '/api/v1/declarations', {
          type: 'FeatureCollection',
          features: part,
        }),
        201,
      );
  });
  after(() => t.close());

  test(`more than one page (${PAGE}) of declarations: each exactly once, in id order`, async () => {
    const r = await t.app.inject({
      method: 'GET',
      url: '/api/v1/export?format=csv&party=relief-agency',
      headers: { authorization: `Bearer ${token}` },
    });
    const rows = parse(r.rawPayload.toString('utf8'), { bom: true, columns: true }) as { id: string }[];
    const ids = rows.map((row) => row.id);
    assert.equal(new Set(ids).size, ids.length, 'no declaration twice');
    assert.equal(ids.filter((id) => id.startsWith('relief-agency:wp-')).length, N, 'none missed');
    assert.deepEqual(ids, [...ids].sort());
  });
});
