/**
 * Imports: files from the field's tools into a real hub through `POST /api/v1/imports` — the
 * notification-desk CSV and its template (CSV and XLSX), KML/KMZ, GPX, GeoJSON from GDAL, our own
 * exports read back — each record named in every refusal (row, column, code), all or none (the
 * store is counted before and after), and hostile files (XXE, billion laughs, zip bombs, formulas)
 * refused or neutralised as docs/formats/import.md states.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import ExcelJS from 'exceljs';
import yazl from 'yazl';
import type { ConflictView, DeclarationCollection, DeclarationFeature } from '../src/api/declarations.ts';
import type { ImportResult } from '../src/api/imports.ts';
import { parseXml } from '../src/formats/safe/xml.ts';
import { readZip } from '../src/formats/safe/zip.ts';
import { DEMO_HUB_ADMIN, DEMO_PARTIES, demoAccounts } from '../src/hub/demo.ts';
import type { Principal } from '../src/hub/hub.ts';
import { runCli } from './support/cli.ts';
import { hasGdal } from './support/gdal.ts';
import { assertError, errorsOf, ok, type Res, startHub, type TestHub } from './support/hub.ts';

const FIXTURES = new URL('./fixtures/imports/', import.meta.url);
const fixture = (name: string): Buffer => readFileSync(new URL(name, FIXTURES));

const PARTY = 'relief-agency';
const OPERATOR = `${PARTY}.operator`;

/** POST a file to /api/v1/imports. */
function post(
  t: TestHub,
  token: string,
  body: Buffer | string,
  query: string,
  type = 'application/octet-stream',
): Promise<Res> {
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/imports?${query}`,
    headers: { authorization: `Bearer ${token}`, 'content-type': type },
    payload: body,
  });
}

/** The caller's own declarations, by id. */
async function own(t: TestHub, token: string): Promise<Map<string, DeclarationFeature>> {
  const r = await t.app.inject({
    method: 'GET',
    url: `/api/v1/declarations?party=${PARTY}`,
    headers: { authorization: `Bearer ${token}` },
  });
  const fc = ok<DeclarationCollection>(r);
  return new Map(fc.features.map((f) => [f.properties.id, f]));
}

/** A zip of `entries`, made with yazl (deflated). */
async function zip(entries: [string, Buffer][]): Promise<Buffer> {
  const z = new yazl.ZipFile();
  for (const [n, b] of entries) z.addBuffer(b, n);
  z.end();
  const chunks: Buffer[] = [];
  for await (const c of z.outputStream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Whether two declarations say the same: properties equal, coordinates within `eps` degrees (the
 * format's precision: KML writes 9 decimals, about 0.1 mm; the others every digit).
 */
function assertSame(
  actual: DeclarationFeature | undefined,
  expected: DeclarationFeature,
  eps: number,
  what: string,
): void {
  assert.ok(actual, `${what}: missing`);
  assert.deepEqual(
    (essence(actual) as { properties: unknown }).properties,
    (essence(expected) as { properties: unknown }).properties,
    what,
  );
  assert.equal(actual.geometry.type, expected.geometry.type, what);
  const a = actual.geometry.coordinates.flat(3) as number[];
  const e = expected.geometry.coordinates.flat(3) as number[];
  assert.equal(a.length, e.length, what);
  for (const [i, x] of e.entries())
    assert.ok(Math.abs((a[i] as number) - x) <= eps, `${what}: coordinate ${i} ${a[i]} vs ${x}`);
}

/** What a declaration says, without what the hub adds (version, status, times of record). */
function essence(f: DeclarationFeature): unknown {
  const { version: _v, status: _s, ...p } = f.properties as unknown as Record<string, unknown>;
  const keep = Object.fromEntries(
    Object.entries(p).filter(([k]) => !['created_at', 'created_by', 'updated_at', 'signed'].includes(k)),
  );
  return { geometry: f.geometry, properties: keep };
}

/** A hub with the demo's parties and accounts but none of their declarations. */
async function emptyHub(): Promise<{ t: TestHub; token: string }> {
  const h = await startHub({ demo: false });
  await h.hub.accounts.createHubAdmin(DEMO_HUB_ADMIN.username, DEMO_HUB_ADMIN.password);
  const admin: Principal = {
    username: DEMO_HUB_ADMIN.username,
    party: null,
    roles: ['hub_admin'],
    tokenId: 'test',
  };
  for (const party of DEMO_PARTIES) {
    const accounts = demoAccounts(party.id);
    const partyAdmin = accounts[accounts.length - 1] as { username: string; password: string };
    await h.hub.accounts.createParty(admin, { id: party.id, name: party.name, admin: partyAdmin });
    if (party.id === PARTY) {
      const principal: Principal = {
        username: partyAdmin.username,
        party: PARTY,
        roles: ['party_admin'],
        tokenId: 'test',
      };
      await h.hub.accounts.createMember(principal, PARTY, accounts[0] as never);
    }
  }
  return { t: h, token: await h.login(OPERATOR) };
}

/** The caller's export in `format`, as bytes. */
async function exportOf(h: TestHub, token: string, format: string): Promise<Buffer> {
  const r = await h.app.inject({
    method: 'GET',
    url: `/api/v1/export?format=${format}&party=${PARTY}`,
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(r.statusCode, 200, r.body.slice(0, 300));
  return r.rawPayload;
}

/** The conflicts between the party's own declarations: sides and rule. */
async function internalConflicts(h: TestHub, token: string): Promise<string[]> {
  const r = await h.app.inject({
    method: 'GET',
    url: '/api/v1/conflicts',
    headers: { authorization: `Bearer ${token}` },
  });
  const list = ok<{ conflicts: ConflictView[] }>(r);
  return list.conflicts
    .filter((c) => c.internal && c.status === 'open')
    .map((c) => `${'id' in c.a ? c.a.id : '?'} ${'id' in c.b ? c.b.id : '?'} ${c.rule}`)
    .sort();
}

describe('imports into a real hub', () => {
  let t: TestHub;
  let token: string;
  const dir = mkdtempSync(join(tmpdir(), 'deconflict-import-'));
  before(async () => {
    t = await startHub();
    token = await t.login(OPERATOR);
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a notification-desk CSV: every row a protected site, positions from lat/lon or MGRS, dates as whole days', async () => {
    const before = t.hub.declarations.activeCount;
    const dry = ok<ImportResult>(
      await post(t, token, fixture('arad-notifications.csv'), 'format=csv&dry_run=true'),
    );
    assert.equal(dry.dry_run, true);
    assert.equal(t.hub.declarations.activeCount, before, 'a dry run stores nothing');
    const r = ok<ImportResult>(await post(t, token, fixture('arad-notifications.csv'), '', 'text/csv'), 201);
    assert.deepEqual(
      r.declarations.map((d) => d.source),
      ['row 2', 'row 3', 'row 4'],
    );
    assert.equal(t.hub.declarations.activeCount, before + 3);
    const mine = await own(t, token);
    const hospital = mine.get(r.declarations[0]?.id ?? '');
    assert.equal(hospital?.properties.label, 'Arad County Emergency Hospital');
    assert.equal(hospital?.properties.category, 'medical');
    assert.equal(hospital?.properties.start, '2026-11-20T00:00:00Z');
    assert.equal(hospital?.properties.end, '2027-01-01T00:00:00Z', 'an end date includes that whole day');
    assert.deepEqual(hospital?.properties.notify, ['coalition', 'northern-forces']);
    assert.equal(hospital?.properties.notes, 'Contact: Duty desk +40 257 000 000');
    assert.deepEqual(hospital?.geometry.coordinates, [21.3167, 46.1756]);
    const school = mine.get(r.declarations[1]?.id ?? '');
    const [lon, lat] = (school?.geometry.coordinates ?? [Number.NaN, Number.NaN]) as [number, number];
    assert.ok(Math.abs(lon - 21.2645) < 1e-4 && Math.abs(lat - 46.1855) < 1e-4, `MGRS read as ${lon},${lat}`);
    assert.equal(mine.get(r.declarations[2]?.id ?? '')?.properties.start, '2026-11-20T00:00:00Z', 'a DTG');
    assert.deepEqual(
      r.ignored,
      ['mgrs'].filter(() => false),
      'every column of the layout is read',
    );
  });

  it('refuses a file with bad rows whole, naming each row, column and code, and stores nothing', async () => {
    const before = t.hub.declarations.activeCount;
    const csv = [
      'kind,category,name,latitude,longitude,start,end,party',
      'protected_site,medical,Good clinic,46.17,21.30,2026-11-20,,',
      'protected_site,medical,Bad latitude,46.17N,21.30,2026-11-20,,',
      'protected_site,medical,Bad date,46.17,21.31,20/11/2026,,',
      'protected_site,medical,Another party,46.18,21.32,2026-11-20,,coalition',
      'protected_site,medical,Ends before it starts,46.18,21.33,2026-11-20,2026-11-01,',
    ].join('\n');
    const r = await post(t, token, csv, 'format=csv');
    const first = assertError(r, 422, 'import_bad_value', 'row 3, column "latitude"');
    assert.match(
      first.message,
      /row 3, column "latitude": a latitude in decimal degrees expected, found "46.17N"/,
    );
    assert.deepEqual(
      errorsOf(r).map((e) => [e.code, e.path]),
      [
        ['import_bad_value', 'row 3, column "latitude"'],
        ['import_bad_value', 'row 4, column "start"'],
      ],
      'the mapping reports every unreadable cell at once',
    );
    assert.equal(t.hub.declarations.activeCount, before);
    // Once the cells read, the engine's refusals name the row and column too.
    const engine = await post(
      t,
      token,
      csv
        .split('\n')
        .filter((_, i) => i !== 2 && i !== 3)
        .join('\n'),
      'format=csv',
    );
    assert.equal(engine.statusCode, 422, engine.body);
    assert.deepEqual(
      errorsOf(engine)
        .map((e) => [e.code, e.path])
        .sort(),
      [
        ['party_mismatch', 'row 3, column "party"'],
        ['window_empty', 'row 4, column "end"'],
      ],
    );
    assert.equal(t.hub.declarations.activeCount, before);
  });

  it('a mapping names foreign columns; a column it names but the file lacks is refused', async () => {
    const csv = 'Site name;Lat;Long;From\nPecica dispensary;46.1702;21.0665;2026-11-21T06:00:00Z\n';
    const mapping = JSON.stringify({
      label: 'Site name',
      latitude: 'Lat',
      longitude: 'Long',
      start: 'From',
      kind: '=protected_site',
      category: '=medical',
    });
    const r = ok<ImportResult>(
      await post(t, token, csv, `format=csv&mapping=${encodeURIComponent(mapping)}`),
      201,
    );
    const f = (await own(t, token)).get(r.declarations[0]?.id ?? '');
    assert.equal(f?.properties.label, 'Pecica dispensary');
    assert.equal(f?.properties.kind, 'protected_site');
    assert.deepEqual(f?.geometry.coordinates, [21.0665, 46.1702]);
    const missing = await post(t, token, csv, `format=csv&mapping=${encodeURIComponent('{"label":"Name"}')}`);
    assertError(missing, 422, 'import_missing_column', 'row 1, column "Name"');
    // Without a mapping, Lat and Long are read (aliases), but nothing says the kind or the start.
    const none = await post(t, token, csv, 'format=csv');
    assert.deepEqual(
      errorsOf(none).map((e) => [e.code, e.path]),
      [
        ['missing_property', 'row 2'],
        ['missing_property', 'row 2'],
      ],
      none.body,
    );
    const noPosition = await post(
      t,
      token,
      'kind,category,start\nprotected_site,medical,2026-11-20\n',
      'format=csv',
    );
    assertError(noPosition, 422, 'import_bad_value', 'row 2');
  });

  it('the template, downloaded as CSV and as XLSX, filled and imported', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const csv = await t.app.inject({ method: 'GET', url: '/api/v1/imports/template.csv', headers: auth });
    assert.equal(csv.statusCode, 200);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    const header = csv.body.split('\n')[0];
    assert.equal(header, 'kind,name,category,latitude,longitude,mgrs,start,end,notify,contact');
    const filled = `${header}\nprotected_site,Zimandu Nou water plant,civilian_infrastructure,46.2230,21.3970,,2026-11-22,2026-11-30,,Plant manager\n`;
    const a = ok<ImportResult>(await post(t, token, filled, 'format=csv'), 201);
    assert.equal(a.declarations.length, 1);
    // The template's own example rows import as they are.
    ok<ImportResult>(await post(t, token, csv.rawPayload, 'format=csv&dry_run=true'));

    const xlsx = await t.app.inject({ method: 'GET', url: '/api/v1/imports/template.xlsx', headers: auth });
    assert.equal(xlsx.statusCode, 200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.rawPayload as unknown as ExcelJS.Buffer);
    assert.deepEqual(
      wb.worksheets.map((w) => w.name),
      ['declarations', 'help'],
    );
    const sheet = wb.getWorksheet('declarations') as ExcelJS.Worksheet;
    sheet.spliceRows(2, sheet.rowCount - 1);
    sheet.addRow([
      'protected_site',
      'Vladimirescu clinic',
      'medical',
      46.1646,
      21.4036,
      '',
      '2026-11-21',
      '',
      'coalition',
      'Dr. Popescu',
    ]);
    const bytes = Buffer.from(await wb.xlsx.writeBuffer());
    const r = ok<ImportResult>(
      await post(t, token, bytes, '', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'),
      201,
    );
    const f = (await own(t, token)).get(r.declarations.at(-1)?.id ?? '');
    assert.equal(f?.properties.label, 'Vladimirescu clinic');
    assert.equal(f?.properties.start, '2026-11-21T00:00:00Z');
    assert.deepEqual(f?.geometry.coordinates, [21.4036, 46.1646]);
  });

  it('XLSX formula cells are refused; CSV formulas are literal text and round-trip as text', async () => {
    const wb = new ExcelJS.Workbook();
    const s = wb.addWorksheet('declarations');
    s.addRow(['kind', 'name', 'latitude', 'longitude', 'start']);
    s.addRow([
      'protected_site',
      { formula: 'HYPERLINK("http://evil.example","x")', result: 'x' },
      46.17,
      21.3,
      '2026-11-20',
    ]);
    const before = t.hub.declarations.activeCount;
    const r = await post(t, token, Buffer.from(await wb.xlsx.writeBuffer()), 'format=xlsx');
    const e = assertError(r, 422, 'import_bad_value', 'row 2, column "name"');
    assert.match(e.message, /formula cells are not imported/);
    assert.equal(t.hub.declarations.activeCount, before);

    const label = '=HYPERLINK("http://evil.example","x")';
    const csv = `kind,category,label,latitude,longitude,start\nprotected_site,medical,"${label.replaceAll('"', '""')}",46.1712,21.2901,2026-11-20\n`;
    const imported = ok<ImportResult>(await post(t, token, csv, 'format=csv'), 201);
    const id = imported.declarations[0]?.id ?? '';
    assert.equal((await own(t, token)).get(id)?.properties.label, label, 'imported as the text it is');
    // Our CSV export neutralises it ('=...), and importing that export gives the same text back.
    const exported = await t.app.inject({
      method: 'GET',
      url: `/api/v1/export?format=csv&party=${PARTY}`,
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(exported.statusCode, 200, exported.body);
    assert.ok(exported.body.includes(`'=HYPERLINK(`), 'the export neutralises the formula');
    const fresh = await emptyHub();
    try {
      const back = ok<ImportResult>(await post(fresh.t, fresh.token, exported.rawPayload, 'format=csv'), 201);
      assert.ok(back.declarations.some((d) => d.id === id));
      assert.equal((await own(fresh.t, fresh.token)).get(id)?.properties.label, label);
    } finally {
      await fresh.t.close();
    }
  });

  it('KML: placemarks with name, description, TimeSpan and ExtendedData; presentation ignored', async () => {
    const r = ok<ImportResult>(
      await post(t, token, fixture('arad-notifications.kml'), '', 'application/vnd.google-earth.kml+xml'),
      201,
    );
    assert.deepEqual(
      r.declarations.map((d) => d.source),
      ['placemark 1', 'placemark 2'],
    );
    assert.ok(r.ignored.includes('styleUrl') && r.ignored.includes('icon-scale'), JSON.stringify(r.ignored));
    const mine = await own(t, token);
    const h = mine.get(r.declarations[0]?.id ?? '');
    assert.equal(h?.properties.label, 'Arad County Emergency Hospital');
    assert.equal(h?.properties.notes, 'Main hospital; 24 h emergency department.');
    assert.equal(h?.properties.buffer_m, 150);
    assert.equal(h?.properties.end, '2026-12-31T00:00:00Z');
    const school = mine.get(r.declarations[1]?.id ?? '');
    assert.equal(school?.geometry.type, 'Polygon');
    assert.equal(
      school?.properties.visibility,
      'all',
      'KML <visibility>1</visibility> is not the declaration’s',
    );
    // The same KML in a KMZ.
    const kmz = await zip([['doc.kml', fixture('arad-notifications.kml')]]);
    ok<ImportResult>(await post(t, token, kmz, 'format=kmz&dry_run=true'));
  });

  it('GPX: a track with times becomes a movement with its schedule; waypoints are skipped', async () => {
    const r = ok<ImportResult>(
      await post(t, token, fixture('relief-convoy.gpx'), '', 'application/gpx+xml'),
      201,
    );
    assert.deepEqual(r.skipped, ['waypoint 1: a waypoint, not a movement']);
    const m = (await own(t, token)).get(r.declarations[0]?.id ?? '');
    assert.equal(m?.properties.kind, 'movement');
    assert.equal(m?.properties.label, 'Relief convoy Arad to Pecica');
    assert.equal(m?.properties.start, '2026-11-23T07:00:00Z');
    assert.equal(m?.properties.end, '2026-11-23T08:15:00Z');
    assert.deepEqual(m?.properties.schedule, [
      '2026-11-23T07:00:00Z',
      '2026-11-23T07:20:00Z',
      '2026-11-23T07:50:00Z',
      '2026-11-23T08:15:00Z',
    ]);
    assert.deepEqual(
      (m?.geometry.coordinates as number[][] | undefined)?.[0],
      [21.3123, 46.1866],
      'elevation dropped',
    );
  });

  it('round trips: our CSV, XLSX, KML, KMZ, GeoJSON and CoT exports import into a fresh hub as the same declarations and conflicts', async () => {
    // An ordnance disposal next to the party's own hospital: a conflict between its own declarations.
    const eod =
      'kind,label,latitude,longitude,start,end,buffer_m\nstrike,UXO disposal,46.1757,21.3168,2026-11-23T10:00:00Z,2026-11-23T11:00:00Z,200\n';
    ok<ImportResult>(await post(t, token, eod, 'format=csv'), 201);
    const mine = await own(t, token);
    const expected = await internalConflicts(t, token);
    assert.ok(
      mine.size >= 4 && expected.length > 0,
      'the party has declarations and internal conflicts to carry',
    );
    for (const format of ['csv', 'xlsx', 'kml', 'kmz', 'geojson', 'cot'] as const) {
      const file = await exportOf(t, token, format);
      const fresh = await emptyHub();
      try {
        const r = ok<ImportResult>(await post(fresh.t, fresh.token, file, `format=${format}`), 201);
        assert.equal(r.declarations.length, mine.size, format);
        // KML carries the conflicts as placemarks: skipped, and listed; the other files list none.
        if (format === 'kml' || format === 'kmz')
          assert.ok(
            r.skipped.length > 0 && r.skipped.every((x) => x.endsWith('a conflict, not a declaration')),
          );
        else assert.deepEqual(r.skipped, []);
        const back = await own(fresh.t, fresh.token);
        const eps = format === 'kml' || format === 'kmz' ? 1e-9 : 0;
        for (const [id, f] of mine) assertSame(back.get(id), f, eps, `${format}: ${id}`);
        assert.deepEqual(
          await internalConflicts(fresh.t, fresh.token),
          expected,
          `${format}: the same conflicts`,
        );
      } finally {
        await fresh.t.close();
      }
    }
  });

  it('the CLI: `deconflict import FILE` prints each row’s declaration, or every problem with exit 2', async () => {
    const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const gpx = join(dir, 'convoy.gpx');
    writeFileSync(gpx, fixture('relief-convoy.gpx'));
    const dry = await runCli(['import', gpx, '--hub', url, '--token', token, '--dry-run']);
    assert.equal(dry.status, 0, dry.err);
    assert.match(dry.out, /would import 1 declarations\n {2}track 1 → relief-agency:/);
    assert.match(dry.out, /skipped waypoint 1/);
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'Site;Lat;Long\nClinic;46.17;21.30E\n');
    const mapping = join(dir, 'mapping.json');
    writeFileSync(mapping, JSON.stringify({ label: 'Site', kind: '=protected_site', start: '=2026-11-20' }));
    const before = t.hub.declarations.activeCount;
    const r = await runCli(['import', bad, '--hub', url, '--token', token, '--mapping', mapping]);
    assert.equal(r.status, 2);
    assert.match(
      r.err,
      /refused, nothing imported \(422\)\n {2}import_bad_value: row 2, column "Long": a longitude/,
    );
    assert.equal(t.hub.declarations.activeCount, before);
  });

  describe('hostile files', () => {
    const refusedAndNothingStored = async (body: Buffer | string, query: string, code = 'unsafe_file') => {
      const before = t.hub.declarations.activeCount;
      const r = await post(t, token, body, query);
      const e = assertError(r, 422, code);
      assert.equal(t.hub.declarations.activeCount, before);
      return e;
    };

    it('a KML with an external entity (XXE) is refused before parsing', async () => {
      const xxe = `<?xml version="1.0"?>\n<!DOCTYPE kml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>&xxe;</name><Point><coordinates>21.3,46.1</coordinates></Point></Placemark></kml>`;
      const e = await refusedAndNothingStored(xxe, 'format=kml');
      assert.match(e.message, /DOCTYPE declaration is refused.*line 2, column 1/);
      assert.doesNotMatch(JSON.stringify(e), /root:/, 'nothing of /etc/passwd');
    });

    it('a billion laughs is refused before any expansion', async () => {
      let entities = '<!ENTITY lol0 "lol">';
      for (let i = 1; i < 10; i++) entities += `<!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">`;
      const bomb = `<?xml version="1.0"?><!DOCTYPE gpx [${entities}]><gpx><trk><name>&lol9;</name></trk></gpx>`;
      await refusedAndNothingStored(bomb, 'format=gpx');
      // A lone ENTITY without a DOCTYPE line (never well-formed, still refused as hostile).
      assert.throws(() => parseXml('<a><!ENTITY x "y"></a>', 'x'), { code: 'unsafe_file' } as object);
    });

    it('zip bombs (KMZ and XLSX) are refused while inflating, not by trusting the headers', async () => {
      const zeros = Buffer.alloc(200 * 1024 * 1024);
      const kmz = await zip([['doc.kml', zeros]]);
      assert.ok(kmz.length < 1024 * 1024, `the bomb is ${kmz.length} bytes`);
      const e = await refusedAndNothingStored(kmz, 'format=kmz');
      assert.match(e.message, /inflates more than 100 times/);
      const xlsx = await zip([
        ['[Content_Types].xml', Buffer.from('<Types/>')],
        ['xl/workbook.xml', Buffer.from('<workbook/>')],
        ['xl/worksheets/sheet1.xml', zeros],
      ]);
      await refusedAndNothingStored(xlsx, 'format=xlsx');
      // Limits hold without the ratio too: a smaller per-entry bound, on random (incompressible) bytes.
      const random = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 2654435761) >>> 24));
      await assert.rejects(readZip(await zip([['a', random]]), { entryBytes: 100_000 }), {
        code: 'unsafe_file',
      } as object);
      await assert.rejects(
        readZip(
          await zip(Array.from({ length: 20 }, (_, i) => [`f${i}`, Buffer.from('x')] as [string, Buffer])),
          { entries: 10 },
        ),
        { code: 'unsafe_file' } as object,
      );
    });

    it('malformed files are invalid_file with the place named; unknown media types say how to send', async () => {
      const e = await refusedAndNothingStored('<kml><Placemark></kml>', 'format=kml', 'invalid_file');
      assert.match(e.message, /malformed XML at line 1/);
      await refusedAndNothingStored(Buffer.from('PK\u0003\u0004 broken'), 'format=kmz', 'invalid_file');
      const r = await post(t, token, 'a,b\n', '', 'text/plain');
      assertError(r, 415, 'unsupported_media_type');
    });
  });

  /** Our export in `format`, converted by ogr2ogr, imported into an empty hub: the same declarations. */
  async function viaGdal(
    format: 'geojson' | 'kml',
    driver: string,
    out: string,
    extra: string[],
    eps: number,
  ): Promise<void> {
    const mine = await own(t, token);
    const input = join(dir, `ours.${format}`);
    writeFileSync(input, await exportOf(t, token, format));
    const output = join(dir, out);
    execFileSync('ogr2ogr', ['-f', driver, output, input, ...extra], { stdio: 'ignore' });
    const fresh = await emptyHub();
    try {
      const as = output.endsWith('.csv') ? 'csv' : 'geojson';
      const r = ok<ImportResult>(await post(fresh.t, fresh.token, readFileSync(output), `format=${as}`), 201);
      assert.equal(r.declarations.length, mine.size);
      const back = await own(fresh.t, fresh.token);
      for (const [id, f] of mine) assertSame(back.get(id), f, eps, `${out}: ${id}`);
    } finally {
      await fresh.t.close();
    }
  }

  it('GDAL: `ogr2ogr -f CSV out.csv ours.geojson -lco GEOMETRY=AS_WKT` (every field text) imports back unchanged', {
    skip: !hasGdal() && 'ogr2ogr not installed',
  }, async () => {
    // GDAL's CSV keeps 15 significant digits: 1e-12 degree, micrometres.
    await viaGdal('geojson', 'CSV', 'gdal.csv', ['-lco', 'GEOMETRY=AS_WKT'], 1e-12);
  });

  it('GDAL: `ogr2ogr -f GeoJSON out.geojson ours.kml Declarations` imports back unchanged', {
    skip: !hasGdal() && 'ogr2ogr not installed',
  }, async () => {
    // KML carries 9 decimals: 1e-9 degree, 0.1 mm.
    await viaGdal('kml', 'GeoJSON', 'gdal.geojson', ['Declarations'], 1e-9);
  });
});
