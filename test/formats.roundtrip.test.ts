/**
 * Round trips of every export format through a fresh hub. The demo theatre (Arad,
 * scenarios/river-line.geojson) plus declarations written to full double precision, with a hole,
 * a MultiPolygon, an AGL band, a list visibility that hides a side of a conflict, and hostile
 * text; each party exports its OWN declarations (`party=<own>`), imports the file into one fresh
 * hub with the same parties and accounts, and the fresh hub must hold the same declarations —
 * every property exactly, each vertex within the format's precision as a geodesic distance
 * (GeographicLib) — and find the same conflicts (rule, severity, status, sides, window, distance
 * within a metre) in every party's view. Also: a TAK data package through the command line
 * (`deconflict import FILE.zip`), hostile data packages refused whole, and GDAL's conversions
 * of our files imported back the same way.
 *
 * Precision of the coordinates (docs/formats/import.md "Round trips", and each format's page):
 *
 * | file                                 | coordinates written                       | back within |
 * | ------------------------------------ | ----------------------------------------- | ----------- |
 * | geojson                              | every digit (shortest round-trip decimal) | exact       |
 * | kml, kmz                             | 9 decimals (1e-9° ≤ 0.11 mm)              | 0.1 mm      |
 * | csv                                  | every digit (WKT, latitude/longitude)     | exact       |
 * | xlsx                                 | numeric cells (doubles), WKT every digit  | exact       |
 * | cot, takpkg                          | every digit (`<__deconflict>`, rings)     | exact       |
 * | ogr2ogr GeoJSON of our csv, xlsx     | GDAL's 15 significant digits              | 1 µm        |
 * | ogr2ogr GeoJSON or CSV of our kml(z) | our 9 decimals, then 15 significant       | 0.1 mm      |
 *
 * Everything else a declaration says (times, numbers, lists, text) comes back exactly, in every
 * file. Conflicts are never read from a file: the fresh hub's engine finds them again.
 * (`ogr2ogr -f CSV … ours.geojson` and `-f GeoJSON … ours.kml Declarations` for one party are in
 * formats.import.test.ts; here are the conversions it does not make, for every party.)
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import yazl from 'yazl';
import type { ConflictView, DeclarationCollection, DeclarationFeature } from '../src/api/declarations.ts';
import { EXPORT_FORMATS } from '../src/api/formats.ts';
import type { ImportResult } from '../src/api/imports.ts';
import { direct, distance } from '../src/engine/geodesy/wgs84.ts';
import type { Position } from '../src/engine/types.ts';
import { MANIFEST } from '../src/formats/cot/datapackage.ts';
import { IMPORT_MEDIA_TYPES } from '../src/formats/import/read.ts';
import { readZip } from '../src/formats/safe/zip.ts';
import { DEMO_PARTIES, loadDemo } from '../src/hub/demo.ts';
import { runCli } from './support/cli.ts';
import { hasGdal } from './support/gdal.ts';
import { assertError, ok, type Res, request, startHub, type TestHub } from './support/hub.ts';

const run = promisify(execFile);

type Format = (typeof EXPORT_FORMATS)[number];

/** How far a vertex may come back from where it was, in metres (the table above). */
const TOLERANCE_M: Readonly<Record<Format, number>> = {
  geojson: 0,
  kml: 1e-4,
  kmz: 1e-4,
  csv: 0,
  xlsx: 0,
  cot: 0,
  takpkg: 0,
};
const GDAL_15_DIGITS_M = 1e-6;

const PARTIES = DEMO_PARTIES.map((p) => p.id);

/** A full-precision position `s` metres from `from` on azimuth `azi` (every bit of a double used). */
const at = (from: Position, azi: number, s: number): Position => direct(from, azi, s);
/** A ring of `n` vertices `r` metres around `c`, closed. */
const ring = (c: Position, r: number, n: number, turn = 0): Position[] => {
  const vs = Array.from({ length: n }, (_, i) => at(c, turn + (360 * i) / n, r));
  return [...vs, vs[0] as Position];
};

const CONVOY_END: Position = [21.3123, 46.1866]; // the north-bank clinic, where the aid convoy ends
const MICALACA: Position = [21.3447, 46.1812];
const GAI: Position = [21.2818, 46.1867];

/**
 * Declarations the demo lacks, to carry what a round trip can lose: coordinates of 15–17
 * significant digits, a polygon with a hole, a MultiPolygon, an AGL band, a list visibility that
 * hides a declaration from a party in conflict with it, and text a spreadsheet or an XML writer
 * could mangle (a formula, quotes, a comma, a line break, markup, non-ASCII).
 */
function extras(): Record<string, unknown[]> {
  const school = at(CONVOY_END, 37.5, 1234.5678);
  return {
    'relief-agency': [
      {
        type: 'Feature',
        geometry: { type: 'Point', coordinates: school },
        properties: {
          id: 'site-shelter-school',
          kind: 'protected_site',
          party: 'relief-agency',
          category: 'school',
          start: '2026-11-22T06:00:00Z',
          end: '2026-12-15T18:30:00Z',
          buffer_m: 75.5,
          visibility: ['coalition'],
          notify: ['coalition'],
          label: '=HYPERLINK("http://example.org","Școala Generală nr. 3")',
          notes:
            'Shelter for 400 people, "north wing"\nContact: Ioana Popescu, +40 257 000 111 <duty desk> & co',
        },
      },
      {
        type: 'Feature',
        geometry: {
          type: 'Polygon',
          coordinates: [ring(GAI, 420, 7, 3.3), ring(GAI, 120, 5, 11.1).reverse()],
        },
        properties: {
          id: 'site-gai-camp',
          kind: 'protected_site',
          party: 'relief-agency',
          category: 'humanitarian',
          start: '2026-11-21T00:00:00Z',
          buffer_m: 100,
          label: 'Gai transit camp (the pond in the middle is not part of it)',
        },
      },
    ],
    'city-police': [
      {
        type: 'Feature',
        geometry: {
          type: 'MultiPolygon',
          coordinates: [[ring(MICALACA, 150, 6, 1.7)], [ring(at(MICALACA, 80, 900), 110, 4, 0.9)]],
        },
        properties: {
          id: 'site-micalaca-wells',
          kind: 'protected_site',
          party: 'city-police',
          category: 'civilian_infrastructure',
          start: '2026-11-01T00:00:00Z',
          buffer_m: 50,
          label: 'Micălaca water wells, fields A and B',
          notes: '+40 257 000 222; -2 m below the street; @pumping station',
        },
      },
    ],
    'northern-forces': [
      {
        type: 'Feature',
        geometry: { type: 'Point', coordinates: at(school, 211.3, 100.25) },
        properties: {
          id: 'nf-strike-school-road',
          kind: 'strike',
          party: 'northern-forces',
          start: '2026-11-23T08:00:00Z',
          end: '2026-11-23T08:45:00Z',
          buffer_m: 60,
          label: 'Mortar strike on the school road',
        },
      },
      {
        type: 'Feature',
        geometry: {
          type: 'LineString',
          coordinates: [at(GAI, 250, 3000), at(GAI, 300, 1000), at(MICALACA, 20, 700)],
        },
        properties: {
          id: 'air-nf-helo',
          kind: 'air_operation',
          party: 'northern-forces',
          start: '2026-11-23T07:00:00Z',
          end: '2026-11-23T09:00:00Z',
          buffer_m: 250,
          altitude: { lower_m: 30, upper_m: 152.4, reference: 'AGL' },
          label: 'Casualty evacuation helicopter, low level',
        },
      },
    ],
  };
}

/** The caller's own declarations, by id. */
async function own(h: TestHub, token: string, party: string): Promise<Map<string, DeclarationFeature>> {
  const fc = ok<DeclarationCollection>(
    await request(h.app, token, 'GET', `/api/v1/declarations?party=${party}&status=active&limit=5000`),
  );
  return new Map(fc.features.map((f) => [f.properties.id, f]));
}

/** A conflict as the party sees it, in words that do not depend on ids or the order of detection. */
function conflictKey(c: ConflictView): { key: string; distance: number | null } {
  const side = (s: ConflictView['a']) => ('id' in s ? s.id : `${s.party} (hidden)`);
  const sides = [side(c.a), side(c.b)].sort().join(' × ');
  const window = `${c.window.start}–${c.window.end}`;
  const key = `${c.rule} ${c.severity} ${c.status} internal=${c.internal} ${sides} ${window}`;
  return { key, distance: c.distance_m ?? null };
}

/** Every party's view of its conflicts, sorted. */
async function conflictsByParty(
  h: TestHub,
  tokens: ReadonlyMap<string, string>,
): Promise<Map<string, { key: string; distance: number | null }[]>> {
  const out = new Map<string, { key: string; distance: number | null }[]>();
  for (const [party, token] of tokens) {
    const list = ok<{ conflicts: ConflictView[] }>(
      await request(h.app, token, 'GET', '/api/v1/conflicts?limit=5000'),
    );
    out.set(
      party,
      list.conflicts.map(conflictKey).sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0)),
    );
  }
  return out;
}

/** What a declaration says, without what the hub adds on record (version, status, times, author). */
function said(f: DeclarationFeature): Record<string, unknown> {
  const p = { ...(f.properties as unknown as Record<string, unknown>) };
  for (const k of ['version', 'status', 'created_at', 'created_by', 'updated_at', 'signed']) delete p[k];
  return p;
}

/** Every vertex of a geometry, in order, with the path of rings it sits on. */
function vertices(g: DeclarationFeature['geometry']): { path: string; p: Position }[] {
  const out: { path: string; p: Position }[] = [];
  const walk = (c: unknown, path: string): void => {
    if (typeof (c as unknown[])[0] === 'number') out.push({ path, p: c as Position });
    else for (const [i, x] of (c as unknown[]).entries()) walk(x, `${path}[${i}]`);
  };
  walk(g.coordinates, '');
  return out;
}

/**
 * The same declaration: every property equal, the same geometry type and rings, each vertex at
 * most `tolerance_m` from where it was (0: the very same numbers).
 */
function assertSameDeclaration(
  back: DeclarationFeature | undefined,
  was: DeclarationFeature,
  tolerance_m: number,
  what: string,
): void {
  assert.ok(back, `${what}: not imported`);
  assert.deepEqual(said(back), said(was), `${what}: properties`);
  assert.equal(back.geometry.type, was.geometry.type, `${what}: geometry type`);
  if (tolerance_m === 0) {
    assert.deepEqual(back.geometry.coordinates, was.geometry.coordinates, `${what}: coordinates`);
    return;
  }
  const b = vertices(back.geometry);
  const w = vertices(was.geometry);
  assert.deepEqual(
    b.map((v) => v.path),
    w.map((v) => v.path),
    `${what}: rings`,
  );
  for (const [i, v] of w.entries()) {
    const d = distance(b[i]?.p as Position, v.p);
    assert.ok(d <= tolerance_m, `${what}: vertex ${v.path} came back ${d} m away (at most ${tolerance_m})`);
  }
}

/** A zip of these entries (deflated), made by yazl as any zip tool would. */
async function zipOf(entries: readonly [string, Uint8Array][]): Promise<Buffer> {
  const z = new yazl.ZipFile();
  for (const [name, bytes] of entries) z.addBuffer(Buffer.from(bytes), name);
  z.end();
  const chunks: Buffer[] = [];
  for await (const c of z.outputStream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('round trips: export → import into a fresh hub', () => {
  let t: TestHub;
  const tokens = new Map<string, string>();
  /** Each party's own active declarations on the original hub. */
  const original = new Map<string, Map<string, DeclarationFeature>>();
  let conflicts: Map<string, { key: string; distance: number | null }[]>;
  const dir = mkdtempSync(join(tmpdir(), 'deconflict-roundtrip-'));
  /** A closed hub's data directory: the demo's parties, accounts and rosters, operators logged in. */
  const empty = join(dir, 'empty-hub');
  const emptyTokens = new Map<string, string>();
  let copies = 0;

  before(async () => {
    const scenario = join(dir, 'empty.geojson');
    writeFileSync(scenario, JSON.stringify({ type: 'FeatureCollection', features: [] }));
    mkdirSync(empty);
    const e = await startHub({ demo: false, dir: empty });
    await loadDemo(e.hub, scenario);
    for (const party of PARTIES) emptyTokens.set(party, await e.login(`${party}.operator`));
    await e.close(true);

    t = await startHub();
    for (const party of PARTIES) tokens.set(party, await t.login(`${party}.operator`));
    for (const [party, features] of Object.entries(extras()))
      ok(
        await request(t.app, tokens.get(party) as string, 'POST', '/api/v1/declarations', {
          type: 'FeatureCollection',
          features,
        }),
        201,
      );
    for (const party of PARTIES) original.set(party, await own(t, tokens.get(party) as string, party));
    conflicts = await conflictsByParty(t, tokens);
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * A hub with the demo's parties, accounts and rosters, and no declaration: a copy of the empty
   * hub's directory (its sessions included, the clock where it was), which saves hashing sixteen
   * passwords per hub.
   */
  async function freshHub(): Promise<{ h: TestHub; tokens: Map<string, string> }> {
    const copy = join(dir, `hub-${++copies}`);
    cpSync(empty, copy, { recursive: true });
    const h = await startHub({ demo: false, dir: copy });
    return { h, tokens: new Map(emptyTokens) };
  }

  /** The party's own export from the original hub. */
  async function exportOf(party: string, format: Format): Promise<Res> {
    const r = await request(
      t.app,
      tokens.get(party) as string,
      'GET',
      `/api/v1/export?format=${format}&party=${party}`,
    );
    assert.equal(r.statusCode, 200, `${party} ${format}: ${r.body.slice(0, 300)}`);
    return r;
  }

  /** POST a file as the party, with its media type (and `?format=` when that does not say it). */
  function importInto(h: TestHub, token: string, body: Buffer, media: string, format: string): Promise<Res> {
    const type = media.split(';')[0]?.trim() ?? '';
    const query = IMPORT_MEDIA_TYPES[type] === format ? '' : `?format=${format}`;
    return h.app.inject({
      method: 'POST',
      url: `/api/v1/imports${query}`,
      headers: { authorization: `Bearer ${token}`, 'content-type': media },
      payload: body,
    });
  }

  /** The fresh hub holds what the original held, and finds the same conflicts in every view. */
  async function assertSameHub(h: TestHub, fresh: Map<string, string>, tolerance_m: number, what: string) {
    for (const party of PARTIES) {
      const was = original.get(party) as Map<string, DeclarationFeature>;
      const back = await own(h, fresh.get(party) as string, party);
      assert.deepEqual([...back.keys()].sort(), [...was.keys()].sort(), `${what}: ${party}'s declarations`);
      for (const [id, f] of was) assertSameDeclaration(back.get(id), f, tolerance_m, `${what}: ${id}`);
    }
    const found = await conflictsByParty(h, fresh);
    for (const party of PARTIES) {
      const expected = conflicts.get(party) ?? [];
      const actual = found.get(party) ?? [];
      assert.deepEqual(
        actual.map((c) => c.key),
        expected.map((c) => c.key),
        `${what}: ${party}'s conflicts`,
      );
      for (const [i, c] of expected.entries()) {
        const d = actual[i]?.distance ?? null;
        if (c.distance === null) assert.equal(d, null, `${what}: ${c.key}: no distance shown`);
        else
          assert.ok(
            d !== null && Math.abs(d - c.distance) <= 1,
            `${what}: ${c.key}: distance ${d} m, was ${c.distance} m`,
          );
      }
    }
  }

  it('the theatre has what a round trip could lose: conflicts of every party, a hidden side, full precision', () => {
    const all = [...original.values()].flatMap((m) => [...m.values()]);
    assert.equal(all.length, 24 + 5, 'the demo’s 24 declarations and the 5 added');
    assert.ok(
      PARTIES.every((p) => (conflicts.get(p) ?? []).length > 0),
      'every party sees conflicts',
    );
    assert.ok(
      (conflicts.get('northern-forces') ?? []).some((c) => c.key.includes('relief-agency (hidden)')),
      'a conflict with a side hidden from the viewer',
    );
    const types = new Set(all.map((f) => f.geometry.type));
    assert.deepEqual([...types].sort(), ['LineString', 'MultiPolygon', 'Point', 'Polygon']);
    const digits = (x: number) => String(x).replace(/^-?0*|\.|e.*$/g, '').length;
    assert.ok(
      all.some((f) => vertices(f.geometry).some((v) => digits(v.p[0]) >= 15 && digits(v.p[1]) >= 15)),
      'coordinates with 15 significant digits or more',
    );
  });

  for (const format of EXPORT_FORMATS) {
    it(`${format}: every party's own export, imported by it into a fresh hub, is the same declarations and conflicts`, async () => {
      const { h, tokens: fresh } = await freshHub();
      try {
        for (const party of PARTIES) {
          const file = await exportOf(party, format);
          const r = ok<ImportResult>(
            await importInto(
              h,
              fresh.get(party) as string,
              file.rawPayload,
              String(file.headers['content-type']),
              format,
            ),
            201,
          );
          assert.equal(r.format, format);
          assert.equal(r.declarations.length, original.get(party)?.size, `${format}: ${party}`);
          // Conflicts travel in KML as placemarks, and in CoT files as events: read, and skipped.
          if (format === 'kml' || format === 'kmz')
            assert.ok(
              r.skipped.every((s) => s.endsWith('a conflict, not a declaration')),
              JSON.stringify(r.skipped),
            );
          else assert.deepEqual(r.skipped, [], format);
        }
        await assertSameHub(h, fresh, TOLERANCE_M[format], format);
      } finally {
        await h.close();
      }
    });
  }

  it('a TAK data package through the command line: `deconflict export --format takpkg`, then `deconflict import FILE.zip`', async () => {
    const party = 'relief-agency';
    const from = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const { h, tokens: fresh } = await freshHub();
    try {
      const to = await h.app.listen({ host: '127.0.0.1', port: 0 });
      const file = join(dir, 'relief-agency.zip');
      const token = tokens.get(party) as string;
      const out = await runCli([
        'export',
        from,
        '--token',
        token,
        '--format',
        'takpkg',
        '--party',
        party,
        '--out',
        file,
      ]);
      assert.equal(out.status, 0, out.err);
      const dry = await runCli([
        'import',
        file,
        '--hub',
        to,
        '--token',
        fresh.get(party) as string,
        '--dry-run',
      ]);
      assert.equal(dry.status, 0, dry.err);
      assert.match(dry.out, new RegExp(`would import ${original.get(party)?.size} declarations\\n`));
      assert.equal((await own(h, fresh.get(party) as string, party)).size, 0, 'a dry run stores nothing');
      const r = await runCli(['import', file, '--hub', to, '--token', fresh.get(party) as string]);
      assert.equal(r.status, 0, r.err);
      const back = await own(h, fresh.get(party) as string, party);
      for (const [id, f] of original.get(party) as Map<string, DeclarationFeature>)
        assertSameDeclaration(back.get(id), f, 0, `takpkg via the CLI: ${id}`);
    } finally {
      await h.close();
    }
  });

  it('hostile TAK data packages are refused whole: XXE in an event or the manifest, a zip bomb, a missing entry', async () => {
    const { h, tokens: fresh } = await freshHub();
    const token = fresh.get('relief-agency') as string;
    const post = (body: Buffer) =>
      h.app.inject({
        method: 'POST',
        url: '/api/v1/imports',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/zip' },
        payload: body,
      });
    try {
      const file = (await exportOf('relief-agency', 'takpkg')).rawPayload;
      const entries = await readZip(file);
      const manifest = entries.get(MANIFEST) as Uint8Array;
      const first = [...entries.keys()].find((n) => n.endsWith('.cot')) as string;
      const xxe = Buffer.from(
        `<?xml version="1.0"?>\n<!DOCTYPE event [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<event version="2.0" uid="&x;"/>`,
      );
      const cases: [string, [string, Uint8Array][], string, RegExp][] = [
        [
          'XXE in an event',
          [...entries].map(([n, b]) => [n, n === first ? xxe : b]),
          'unsafe_file',
          /DOCTYPE/,
        ],
        [
          'XXE in the manifest',
          [...entries].map(([n, b]) => [
            n,
            n === MANIFEST ? Buffer.from(`<!DOCTYPE m [<!ENTITY x "y">]>${Buffer.from(b).toString()}`) : b,
          ]),
          'unsafe_file',
          /DOCTYPE/,
        ],
        [
          'a zip bomb',
          [
            [MANIFEST, manifest],
            [first, Buffer.alloc(200 * 1024 * 1024)],
          ],
          'unsafe_file',
          /inflates more than 100 times/,
        ],
        ['a missing entry', [[MANIFEST, manifest]], 'invalid_file', /which the archive does not hold/],
      ];
      for (const [what, files, code, message] of cases) {
        const r = await post(await zipOf(files));
        const e = assertError(r, 422, code);
        assert.match(e.message, message, what);
        assert.doesNotMatch(r.body, /root:/, `${what}: nothing of /etc/passwd`);
        assert.equal((await own(h, token, 'relief-agency')).size, 0, `${what}: nothing stored`);
      }
      // The untouched package imports, as the media type alone says.
      assert.equal(ok<ImportResult>(await post(file), 201).format, 'takpkg');
    } finally {
      await h.close();
    }
  });

  describe('GDAL’s conversions of our files import back the same', {
    skip: !hasGdal() && 'ogr2ogr not installed',
  }, () => {
    /**
     * For every party: our export in `format`, converted by `ogr2ogr ARGS` (OUT and IN stand for
     * the files), imported as `as` into one fresh hub: the same declarations and conflicts.
     */
    async function viaGdal(
      format: Format,
      args: string[],
      as: 'geojson' | 'kml' | 'csv',
      tolerance_m: number,
      query = '',
    ) {
      const { h, tokens: fresh } = await freshHub();
      try {
        for (const party of PARTIES) {
          const input = join(dir, `${party}.${format}`);
          const output = join(dir, `${party}.${format}.gdal.${as}`);
          rmSync(output, { force: true });
          writeFileSync(input, (await exportOf(party, format)).rawPayload);
          const argv = args.map((a) => a.replace('IN', input).replace('OUT', output));
          await run('ogr2ogr', argv);
          const r = await h.app.inject({
            method: 'POST',
            url: `/api/v1/imports?format=${as}${query}`,
            headers: {
              authorization: `Bearer ${fresh.get(party)}`,
              'content-type': 'application/octet-stream',
            },
            payload: readFileSync(output),
          });
          assert.equal(r.statusCode, 201, `${party}: ${r.body.slice(0, 2000)}`);
        }
        await assertSameHub(h, fresh, tolerance_m, `ogr2ogr ${args.join(' ')}`);
      } finally {
        await h.close();
      }
    }

    it('`ogr2ogr -f GeoJSON out.geojson ours.csv -oo GEOM_POSSIBLE_NAMES=wkt`', async () => {
      await viaGdal(
        'csv',
        ['-f', 'GeoJSON', 'OUT', 'IN', '-oo', 'GEOM_POSSIBLE_NAMES=wkt'],
        'geojson',
        GDAL_15_DIGITS_M,
      );
    });

    it('`ogr2ogr -f GeoJSON out.geojson ours.xlsx declarations` (no geometry: the wkt column read)', async () => {
      await viaGdal('xlsx', ['-f', 'GeoJSON', 'OUT', 'IN', 'declarations'], 'geojson', GDAL_15_DIGITS_M);
    });

    it('`ogr2ogr -f GeoJSON out.geojson /vsizip/ours.kmz/doc.kml Declarations`', async () => {
      await viaGdal(
        'kmz',
        ['-f', 'GeoJSON', 'OUT', '/vsizip/IN/doc.kml', 'Declarations'],
        'geojson',
        TOLERANCE_M.kmz,
      );
    });

    // GDAL's KML reader adds KML's own <visibility> (-1, 0, 1) as a column `visibility`, beside
    // our `visible_to`. A GeoJSON import drops it (foreign.ts); a CSV import reads `visible_to`
    // first when both are there, or what a mapping names.
    const kmlAsCsv = ['-f', 'CSV', 'OUT', 'IN', 'Declarations', '-lco', 'GEOMETRY=AS_WKT'];
    it('`ogr2ogr -f CSV out.csv ours.kml Declarations -lco GEOMETRY=AS_WKT`, with ?mapping={"visibility":"visible_to"}', async () => {
      const mapping = encodeURIComponent(JSON.stringify({ visibility: 'visible_to' }));
      await viaGdal('kml', kmlAsCsv, 'csv', TOLERANCE_M.kml, `&mapping=${mapping}`);
    });

    it('`ogr2ogr -f CSV out.csv ours.kml Declarations -lco GEOMETRY=AS_WKT`, without a mapping', async () => {
      await viaGdal('kml', kmlAsCsv, 'csv', TOLERANCE_M.kml);
    });

    // GDAL's KML writers (KML, LIBKML) write a GeoJSON list as OGR's text `(2:coalition,city-police)`
    // and a boolean as 1/0.
    it('`ogr2ogr -f KML out.kml ours.geojson` (GDAL’s own KML writer)', async () => {
      await viaGdal('geojson', ['-f', 'KML', 'OUT', 'IN'], 'kml', GDAL_15_DIGITS_M);
    });
  });
});
