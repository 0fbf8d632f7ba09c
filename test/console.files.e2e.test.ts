/**
 * The Files panel of the web console, end to end, in a real browser (Debian's chromium through
 * playwright-core) against a real hub process started with the demo (`deconflict serve --demo`,
 * a temporary data directory, port 0):
 * - northern-forces' watch officer exports KML through the panel: the download (saved into a
 *   temporary directory) is KML named as the hub names it, holding exactly the declarations the
 *   hub lists for northern-forces — so not relief-agency's clinic, hidden from it — and the panel
 *   offers a watch officer no import;
 * - relief-agency's operator imports a notification-desk CSV written here (two hospitals near
 *   Arad, one 60 m from coalition's depot strike): "Check" shows both rows and the conflicts the
 *   hub's own dry run of that file foresees, the strike among them, and stores nothing; "Import"
 *   stores both, and the map's declaration source holds them;
 * - a CSV whose row 3 has a bad latitude is refused with "row 3" and the column named, and
 *   Import stays disabled.
 * Screenshots go to a temporary directory (or to SCREENSHOTS when set). Nothing leaves the hub, nothing is thrown in a page,
 * no page is wider than 1366 px.
 *
 * Run: node --import tsx --test test/console.files.e2e.test.ts (needs Debian's chromium).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  assertClean,
  closeDemoConsole,
  LOAD,
  logIn,
  openDemoConsole,
  type Person,
  person,
  SCREENSHOTS,
  textOf,
} from './support/browser.ts';
import { demoPassword } from './support/hub.ts';
import { demoApi, type Served } from './support/serve.ts';

interface Feature {
  id: string;
  geometry: { type: string; coordinates: [number, number] };
  properties: { id: string; party: string; kind: string; label?: string; start: string; end: string | null };
}
interface Side {
  id?: string;
  party: string;
  hidden?: true;
}
interface Conflict {
  rule: string;
  severity: string;
  a: Side;
  b: Side;
}
interface ImportAnswer {
  declarations: { source: string; id: string }[];
  conflicts: Conflict[];
}

/** coalition's strike on the depot in Aradul Nou (scenarios/river-line.geojson). */
const DEPOT_STRIKE = 'Strike on militia vehicle depot, Aradul Nou';
/** relief-agency's clinic, shown to relief-agency and coalition only. */
const HIDDEN_CLINIC = 'North-bank distribution point and clinic';

/** The declaration ids of a KML export (its declaration placemarks' ExtendedData `id`). */
function kmlDeclarationIds(kml: string): string[] {
  const blocks = kml.match(/<SchemaData schemaUrl="#declaration">[\s\S]*?<\/SchemaData>/g) ?? [];
  return blocks.map((b) => {
    const m = /<SimpleData name="id">([^<]+)<\/SimpleData>/.exec(b);
    assert.ok(m, `a declaration placemark without its id: ${b.slice(0, 200)}`);
    return m[1] as string;
  });
}

/** The notification desk's sheet: the template's columns, one row per site. */
function sheet(rows: readonly (readonly [string, number | string, number | string, string])[]): string {
  const lines = rows.map(
    ([name, lat, lon, start]) =>
      `protected_site,"${name}",medical,${lat},${lon},${start},,,Duty desk +40 257 000 000`,
  );
  return `kind,name,category,latitude,longitude,start,end,notify,contact\n${lines.join('\n')}\n`;
}

describe('the Files panel in the console', () => {
  let hub: Served;
  let url: string;
  let dir: string;
  let shots: string;
  let browser: Browser;
  const people: Person[] = [];

  /** API calls as demo accounts, with the test's own tokens (one login each). */
  const { as, tokenOf } = demoApi(() => url, demoPassword);
  /** The active declarations `username`'s party is shown, as the hub lists them. */
  const listed = async (username: string, query = ''): Promise<Feature[]> => {
    const r = await as(username, 'GET', `/api/v1/declarations?limit=5000${query}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.features as Feature[];
  };
  /** A dry run of a CSV through the API, as the test's own client. */
  const dryRun = async (username: string, csv: string): Promise<ImportAnswer> => {
    const r = await fetch(`${url}/api/v1/imports?format=csv&dry_run=true`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await tokenOf(username)}`, 'content-type': 'text/csv' },
      body: csv,
    });
    const body = (await r.json()) as ImportAnswer;
    assert.equal(r.status, 200, JSON.stringify(body));
    return body;
  };

  const open = async (username: string): Promise<Person> => {
    const p = await person(browser, url);
    people.push(p);
    await logIn(p, url, username, demoPassword(username));
    await p.page.locator('button[data-tab=files]').click();
    await p.page.locator('[data-testid=files]').waitFor();
    return p;
  };
  /** A screenshot with the import's answer (or the export's line) scrolled into the panel. */
  const shot = async (page: Page, name: string, what = '[data-testid=import-result]') => {
    await page.locator(what).scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, name), animations: 'disabled', caret: 'hide' });
  };

  before(async () => {
    ({ dir, hub, url, browser } = await openDemoConsole('files-e2e'));
    // A temporary directory, unless SCREENSHOTS names one to keep them in (test/support/browser.ts).
    shots = process.env.SCREENSHOTS ? SCREENSHOTS : mkdtempSync(join(tmpdir(), 'deconflict-files-shots-'));
    mkdirSync(shots, { recursive: true });
  });

  after(async () => {
    await closeDemoConsole({ dir, hub, browser });
    if (shots && !process.env.SCREENSHOTS) rmSync(shots, { recursive: true, force: true });
  });

  it('exports the party’s own view as KML, a download with nothing hidden from it', {
    timeout: 180_000,
  }, async () => {
    const watch = await open('northern-forces.watch');
    const { page } = watch;
    // A watch officer exports, and is told why there is no import.
    assert.match(await textOf(page, '[data-testid=import-forbidden]'), /operator or party_admin/);
    assert.equal(await page.locator('input[name=import-file]').count(), 0);
    assert.match(await textOf(page, '[data-testid=files-export]'), /northern-forces's own view/);

    await page.locator('select[name=export-format]').selectOption('kml');
    const [file] = await Promise.all([
      page.waitForEvent('download', { timeout: LOAD }),
      page.locator('button[data-action=export]').click(),
    ]);
    assert.match(file.suggestedFilename(), /^deconflict-northern-forces-\d{6}Z[A-Z]{3}\d{2}\.kml$/);
    const saved = join(dir, file.suggestedFilename());
    await file.saveAs(saved);
    const kml = readFileSync(saved, 'utf8');
    assert.match(kml, /^<\?xml [^>]*\?>\s*<kml xmlns="http:\/\/www\.opengis\.net\/kml\/2\.2"/);

    const shown = await listed('northern-forces.watch');
    assert.ok(shown.length > 10, `northern-forces is shown ${shown.length} declarations`);
    assert.deepEqual(kmlDeclarationIds(kml).sort(), shown.map((f) => f.id).sort());
    // The clinic exists (relief-agency lists it) and is hidden from northern-forces: not in the file.
    const clinic = (await listed('relief-agency.operator')).find((f) => f.properties.label === HIDDEN_CLINIC);
    assert.ok(clinic, 'relief-agency lists its clinic');
    assert.ok(!shown.some((f) => f.id === clinic.id), 'the clinic is hidden from northern-forces');
    assert.ok(
      !kml.includes(clinic.id) && !kml.includes(HIDDEN_CLINIC),
      'the hidden clinic is not in the KML',
    );
    await page.locator('[data-testid=export-file]').waitFor();
    assert.equal(await textOf(page, '[data-testid=export-file]'), file.suggestedFilename());
    await shot(page, 'files-export.png', '[data-testid=export-status]');

    // Only the party's own, as GeoJSON: what another hub's import takes back.
    await page.locator('select[name=export-format]').selectOption('geojson');
    await page.locator('input[name=export-own]').check();
    const [own] = await Promise.all([
      page.waitForEvent('download', { timeout: LOAD }),
      page.locator('button[data-action=export]').click(),
    ]);
    assert.match(own.suggestedFilename(), /^deconflict-northern-forces-\d{6}Z[A-Z]{3}\d{2}\.geojson$/);
    const ownPath = join(dir, own.suggestedFilename());
    await own.saveAs(ownPath);
    const fc = JSON.parse(readFileSync(ownPath, 'utf8')) as { type: string; features: Feature[] };
    assert.equal(fc.type, 'FeatureCollection');
    const ours = await listed('northern-forces.watch', '&party=northern-forces');
    assert.ok(ours.length > 0 && ours.length < shown.length);
    assert.deepEqual(fc.features.map((f) => f.properties.id).sort(), ours.map((f) => f.id).sort());
    await assertClean(watch);
  });

  it('checks a notification-desk CSV, foresees its conflicts, then imports it', {
    timeout: 240_000,
  }, async () => {
    const operator = 'relief-agency.operator';
    const strike = (await listed(operator, '&party=coalition&kind=strike')).find(
      (f) => f.properties.label === DEPOT_STRIKE,
    );
    assert.ok(strike, 'relief-agency is shown coalition’s depot strike');
    const [lon, lat] = strike.geometry.coordinates;
    const day = strike.properties.start.slice(0, 10);
    // 60 m east of the strike, inside its buffer; the other on the far side of the city's south.
    const csv = sheet([
      ['Aradul Nou field hospital', (lat + 0.0002).toFixed(6), (lon + 0.0007).toFixed(6), day],
      ['Sânnicolau Mic field hospital', 46.105, 21.285, day],
    ]);
    const expected = await dryRun(operator, csv);
    const foreseen = expected.conflicts.filter((c) => c.a.id === strike.id || c.b.id === strike.id);
    assert.equal(foreseen.length, 1, JSON.stringify(expected.conflicts));
    const before = (await listed(operator, '&party=relief-agency')).length;

    const p = await open(operator);
    const { page } = p;
    const commit = page.locator('button[data-action=import-commit]');
    await page
      .locator('input[name=import-file]')
      .setInputFiles({ name: 'hospitals.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    assert.equal(await page.locator('select[name=import-format]').inputValue(), 'csv');
    assert.ok(await commit.isDisabled(), 'Import waits for a check');

    await page.locator('button[data-action=import-check]').click();
    const result = page.locator('[data-testid=import-result] [data-outcome=checked]');
    await result.waitFor({ timeout: LOAD });
    const rows = page.locator('[data-testid=import-result] li.fl-record');
    assert.deepEqual(await rows.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.source)), [
      'row 2',
      'row 3',
    ]);
    // Each conflict the hub's dry run foresees, under its record; the strike's under row 2.
    const drawn = page.locator('[data-testid=import-result] li.fl-conflict');
    assert.equal(await drawn.count(), expected.conflicts.length + internal(expected));
    const row2 = rows.filter({ has: page.locator('b', { hasText: 'row 2' }) });
    const strikeItem = row2.locator('li.fl-conflict', { hasText: DEPOT_STRIKE });
    assert.equal(await strikeItem.count(), 1, await textOf(page, '[data-testid=import-result]'));
    assert.equal(await strikeItem.getAttribute('data-conflict-rule'), foreseen[0]?.rule);
    assert.match((await strikeItem.textContent()) ?? '', /coalition/);
    assert.ok(await commit.isEnabled(), 'Import is enabled by a clean check');
    assert.equal((await listed(operator, '&party=relief-agency')).length, before, 'a check stores nothing');
    await shot(page, 'files-check.png');

    await commit.click();
    await page.locator('[data-testid=import-result] [data-outcome=imported]').waitFor({ timeout: LOAD });
    const mine = await listed(operator, '&party=relief-agency');
    assert.equal(mine.length, before + 2, 'both rows are stored');
    const ids = await page
      .locator('[data-testid=import-result] li.fl-record')
      .evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.declarationId as string));
    assert.equal(ids.length, 2);
    for (const id of ids)
      assert.ok(
        mine.some((f) => f.id === id),
        `${id} is stored`,
      );
    assert.deepEqual(
      mine
        .filter((f) => ids.includes(f.id))
        .map((f) => f.properties.label)
        .sort(),
      ['Aradul Nou field hospital', 'Sânnicolau Mic field hospital'],
    );
    assert.ok(await commit.isDisabled(), 'an import is not sent twice');
    // The map's declarations now hold both sites.
    await page.waitForFunction(
      async (want) => {
        type Src = { getData(): Promise<{ features: { properties: { id: string } }[] }> };
        const m = (window as unknown as { deconflict: { map: { getSource(id: string): Src | undefined } } })
          .deconflict.map;
        const data = await m.getSource('decl')?.getData();
        const held = new Set((data?.features ?? []).map((f) => f.properties.id));
        return want.every((id) => held.has(id));
      },
      ids,
      { timeout: LOAD, polling: 250 },
    );
    await shot(page, 'files-imported.png');
    await assertClean(p);
  });

  it('refuses a CSV with a bad latitude, naming row 3 and the column; Import stays disabled', {
    timeout: 180_000,
  }, async () => {
    const operator = 'relief-agency.operator';
    const before = (await listed(operator, '&party=relief-agency')).length;
    const csv = sheet([
      ['Grădiște first-aid post', 46.16, 21.28, '2026-11-20'],
      ['Bujac first-aid post', '46.17N', 21.29, '2026-11-20'],
    ]);
    const p = await open(operator);
    const { page } = p;
    await page
      .locator('input[name=import-file]')
      .setInputFiles({ name: 'posts.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.locator('button[data-action=import-check]').click();
    const refused = page.locator('[data-testid=import-result] [data-outcome=refused]');
    await refused.waitFor({ timeout: LOAD });
    const text = await textOf(page, '[data-testid=import-result]');
    assert.match(text, /import_bad_value/);
    assert.match(text, /row 3, column "latitude"/);
    assert.match(text, /46\.17N/);
    assert.ok(await page.locator('button[data-action=import-commit]').isDisabled(), 'nothing to import');
    assert.equal((await listed(operator, '&party=relief-agency')).length, before, 'nothing stored');

    // A mapping that is not JSON is said before anything is sent.
    await page.locator('textarea[name=import-mapping]').fill('{"label": Site');
    assert.match(await textOf(page, '#fl-mapping-error'), /^Mapping: not JSON/);
    assert.equal(await page.locator('textarea[name=import-mapping]').getAttribute('aria-invalid'), 'true');
    await shot(page, 'files-refused.png');
    await assertClean(p);
  });
});

/** Conflicts between two records of the file: drawn under each of them. */
function internal(a: ImportAnswer): number {
  const ids = new Set(a.declarations.map((d) => d.id));
  return a.conflicts.filter(
    (c) => c.a.id !== undefined && ids.has(c.a.id) && c.b.id !== undefined && ids.has(c.b.id),
  ).length;
}
