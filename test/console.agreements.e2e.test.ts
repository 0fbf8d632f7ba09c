/**
 * Agreements in the console (issue #15, docs/agreements.md), in a real browser (Debian's chromium
 * through playwright-core) against a real hub process started with the demo (`deconflict serve
 * --demo`, a temporary data directory, port 0).
 *
 * Two signatories, each in its own browser: coalition's and northern-forces' party admins.
 * - coalition drafts an agreement in the Agreements panel: its name, northern-forces ticked as a
 *   signatory, its window (from now), a corridor drawn on the map as a line and given a width, and
 *   a pause drawn as an area, a pull-back uploaded as GeoJSON; saves it (a draft, only coalition
 *   sees it) and proposes it: the card shows the version and its content hash, each signatory
 *   "awaiting";
 * - signing without a key is refused in the console: a key is needed, nothing is sent;
 * - each party admin makes and registers a key in the Keys & record panel and signs with the
 *   card's Sign button: "signed by <member> key <id> at <DTG>" with its receipt; northern-forces
 *   counters coalition's v1 (a label changed): v2, every signatory awaiting again, both sign it; the
 *   receipts hold both signed statements over v2's content hash, verified with the keys;
 * - every signatory having signed and its start having come, the hub brings it into force: both
 *   consoles list it under "In force", and the map draws the corridor's band and the hatched pause;
 * - a strike submitted through the API inside the corridor is an agreement_breach: it arrives in
 *   coalition's inbox (coalition did not strike: it is alerted as a signatory) naming the agreement
 *   and the corridor, and the Detail panel shows the term instead of a second declaration;
 * - northern-forces withdraws from its card, signed, with effect from the next minute.
 * Nothing leaves the hub, nothing is thrown in the page, the page is no wider than 1366 px.
 *
 * Run: node --import tsx --test test/console.agreements.e2e.test.ts (needs Debian's chromium).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type Signed, verifyStatement } from '../src/ledger/statement.ts';
import {
  assertClean,
  closeDemoConsole,
  generateKeyInConsole,
  jumpTo,
  LOAD,
  layersDrawn,
  logIn,
  mapPixel,
  openDemoConsole,
  type Person,
  person,
  screenshot,
  textOf,
} from './support/browser.ts';
import { demoPassword } from './support/hub.ts';
import { demoApi, type Served } from './support/serve.ts';

const NAME = 'Mures west road humanitarian corridor';
const PASSPHRASE = 'Castello road, never again 2016';
/** West of Arad, clear of the demo scenario: the road the corridor follows, and the paused area. */
const ROAD: [number, number][] = [
  [21.1, 46.2],
  [21.13, 46.212],
  [21.16, 46.222],
];
const PAUSE: [number, number][] = [
  [21.1, 46.238],
  [21.14, 46.238],
  [21.14, 46.258],
  [21.1, 46.258],
];
/** A term uploaded as GeoJSON: forces pull back from the ridge west of the road. */
const PULL_BACK = {
  type: 'FeatureCollection',
  features: [
    {
      type: 'Feature',
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [21.05, 46.2],
            [21.08, 46.2],
            [21.08, 46.22],
            [21.05, 46.22],
            [21.05, 46.2],
          ],
        ],
      },
      properties: { id: 'ridge', term: 'pull_back', label: 'Ridge line' },
    },
  ],
};
/** On the road: a strike here reaches the corridor. */
const STRIKE_AT: [number, number] = [21.13, 46.212];
const MINUTE = 60_000;
const DTG = /\d{6}Z[A-Z]{3}\d{2}/;
const iso = (t: number): string => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');

interface Signature {
  party: string;
  username: string;
  key: string;
  version: number;
  content_sha256: string;
  entry: number;
}

describe('agreements in the console: drafted on the map, signed by every signatory, a breach in the inbox', () => {
  let hub: Served;
  let url: string;
  let dir: string;
  let browser: Browser;
  /** API calls as demo accounts, with the test's own tokens (one login each). */
  const { as } = demoApi(() => url, demoPassword);

  before(async () => {
    ({ dir, hub, url, browser } = await openDemoConsole('agreements-e2e'));
  });

  after(() => closeDemoConsole({ dir, hub, browser }));

  /** A party admin's console, confirmations accepted (signing asks first). */
  const open = async (username: string): Promise<Person> => {
    const p = await person(browser, url);
    p.page.setDefaultTimeout(LOAD);
    p.page.on('dialog', (d) => void d.accept());
    await logIn(p, url, username, demoPassword(username));
    return p;
  };

  /** A key made under a passphrase in the Keys & record panel and registered; returns its id. */
  const makeKey = (page: Page): Promise<string> =>
    generateKeyInConsole(page, 'agreements desk, e2e', PASSPHRASE);

  /** Click positions on the map, then Enter: a line or an area drawn. */
  const drawOnMap = async (page: Page, action: string, pts: [number, number][]): Promise<void> => {
    await page.locator(`[data-testid=agreement-editor] button[data-action=${action}]`).click();
    await page.locator('.map-hint').waitFor();
    for (const [lon, lat] of pts) {
      const at = await mapPixel(page, lon, lat);
      await page.mouse.click(at.x, at.y);
      await page.waitForTimeout(150);
    }
    await page.keyboard.press('Enter');
    await page.locator('.map-hint').waitFor({ state: 'hidden' });
  };

  /** coalition drafts the agreement on the map, saves and proposes it; returns its id. */
  const draftAndPropose = async (page: Page): Promise<string> => {
    await page.locator('button[data-tab=agreements]').click();
    await page.locator('button[data-action=new-agreement]').click();
    const ed = page.locator('[data-testid=agreement-editor]');
    await ed.locator('input[name=agreement-name]').fill(NAME);
    await ed.locator('input[name=agreement-party][value=northern-forces]').check();
    // In force as soon as both have signed: its start is now.
    await ed.locator('input[name=agreement-start]').fill(iso(Date.now()));
    await ed.locator('input[name=agreement-end]').fill(iso(Date.now() + 24 * 60 * MINUTE));
    await jumpTo(page, 21.16, 46.23, 12);
    await drawOnMap(page, 'draw-term-line', ROAD);
    const corridor = ed.locator('fieldset.ag-term[data-term=corridor]');
    await corridor.waitFor();
    await corridor.locator('input[name=term-buffer]').fill('1000');
    await corridor.locator('input[name=term-label]').fill('West road');
    await drawOnMap(page, 'draw-term-area', PAUSE);
    const pause = ed.locator('fieldset.ag-term[data-term=pause]');
    await pause.waitFor();
    await pause.locator('input[name=term-label]').fill('Orchards');
    // A third term uploaded as GeoJSON: a pull-back west of the road.
    await ed.locator('input[name=terms-file]').setInputFiles({
      name: 'pull-back.geojson',
      mimeType: 'application/geo+json',
      buffer: Buffer.from(JSON.stringify(PULL_BACK)),
    });
    await ed
      .locator('fieldset.ag-term[data-term=pull_back] input[name=term-label][value="Ridge line"]')
      .waitFor();
    // The draft's terms are drawn on the map as they are written.
    await layersDrawn(page, ['agr-band', 'agr-hatch', 'agr-line-dash']);
    await picture(page, 'agreement-draft.png');
    await ed.locator('button[data-action=agreement-save]').click();
    const card = page.locator('.ag-card[data-status=draft]', { hasText: NAME });
    await card.waitFor();
    const id = (await card.getAttribute('data-agreement-id')) as string;
    // A draft is the drafting party's alone.
    const other = await as('northern-forces.admin', 'GET', '/api/v1/agreements');
    assert.equal(other.status, 200, JSON.stringify(other.body));
    assert.ok(
      !other.body.agreements.some((a: { id: string }) => a.id === id),
      'northern-forces sees a draft',
    );
    await card.locator('button[data-action=agreement-propose]').click();
    const proposed = page.locator(`.ag-card[data-agreement-id="${id}"][data-status=proposed]`);
    await proposed.waitFor();
    const hash = (await proposed.locator('.ag-hash').getAttribute('data-hash')) as string;
    assert.match(hash, /^[0-9a-f]{64}$/);
    assert.equal(await proposed.locator('li[data-signed=false]').count(), 2, 'both signatories awaiting');
    return id;
  };

  /** Sign the proposal from its card; the card says who signed, with which key, when. */
  const signFromCard = async (page: Page, id: string, party: string, username: string, key: string) => {
    await page.locator('button[data-tab=agreements]').click();
    const card = page.locator(`.ag-card[data-agreement-id="${id}"]`);
    await card.locator('button[data-action=agreement-sign]').click();
    const line = card.locator(`li[data-party="${party}"][data-signed=true]`);
    await line.waitFor();
    const said = (await line.textContent()) ?? '';
    assert.match(said, new RegExp(`signed by ${username} key ${key} at ${DTG.source}`), said);
    await line.locator('a.receipt-link').waitFor();
  };

  /** northern-forces counters: the pause's label changed, a new version; nobody has signed it yet. */
  const counter = async (page: Page, id: string): Promise<void> => {
    const card = page.locator(`.ag-card[data-agreement-id="${id}"]`);
    await card.locator('button[data-action=agreement-counter]').click();
    const ed = page.locator('[data-testid=agreement-editor]');
    await ed
      .locator('fieldset.ag-term[data-term=pause] input[name=term-label]')
      .fill('Orchards and the mill');
    await ed.locator('button[data-action=agreement-save]').click();
    const v2 = page.locator(`.ag-card[data-agreement-id="${id}"][data-status=proposed][data-version="2"]`);
    await v2.waitFor();
    assert.equal(
      await v2.locator('li[data-signed=false]').count(),
      2,
      'a counter-proposal resets the signatures',
    );
    assert.ok(((await v2.textContent()) ?? '').includes('Orchards and the mill'));
  };

  it('one party drafts on the map and proposes, both sign with their keys, it comes into force, a strike in the corridor is a breach in the inbox', {
    timeout: 480_000,
  }, async () => {
    const coalition = await open('coalition.admin');
    const page = coalition.page;
    const id = await draftAndPropose(page);

    // No key: the console says one is needed and sends nothing.
    const card = page.locator(`.ag-card[data-agreement-id="${id}"]`);
    await card.locator('button[data-action=agreement-sign]').click();
    await card.locator('.ag-error', { hasText: 'signing key is needed' }).waitFor();
    const unsigned = await as('coalition.admin', 'GET', `/api/v1/agreements/${id}`);
    assert.equal(unsigned.body.signatures.length, 0, 'signed without a key');

    const coalitionKey = await makeKey(page);
    await signFromCard(page, id, 'coalition', 'coalition.admin', coalitionKey);

    const northern = await open('northern-forces.admin');
    const northernKey = await makeKey(northern.page);
    await northern.page.locator('button[data-tab=agreements]').click();
    await northern.page.locator(`.ag-card[data-agreement-id="${id}"][data-status=proposed]`).waitFor();
    await counter(northern.page, id);
    // coalition's signature of v1 no longer counts: it signs v2 as well.
    await page.locator('button[data-tab=agreements]').click();
    await page
      .locator(
        `.ag-card[data-agreement-id="${id}"][data-version="2"] li[data-party=coalition][data-signed=false]`,
      )
      .waitFor({ timeout: LOAD });
    await signFromCard(northern.page, id, 'northern-forces', 'northern-forces.admin', northernKey);
    await signFromCard(page, id, 'coalition', 'coalition.admin', coalitionKey);

    // Every signatory signed, its start has come: the hub brings it into force.
    await northern.page
      .locator(`.ag-card[data-agreement-id="${id}"][data-status=in_force]`)
      .waitFor({ timeout: LOAD });
    await page.locator('button[data-tab=agreements]').click();
    await page
      .locator(`.ag-card[data-agreement-id="${id}"][data-status=in_force]`)
      .waitFor({ timeout: LOAD });
    const held = await as('coalition.admin', 'GET', `/api/v1/agreements/${id}`);
    assert.equal(held.body.status, 'in_force', JSON.stringify(held.body));
    // Every signature of every version is kept; v2's are the ones that count.
    const sigs = (held.body.signatures as Signature[]).filter((x) => x.version === 2);
    assert.equal(held.body.version, 2);
    assert.deepEqual(sigs.map((s) => s.party).sort(), ['coalition', 'northern-forces']);
    for (const s of sigs) assert.equal(s.version, held.body.version);
    await verifySignatures(id, { coalition: coalitionKey, 'northern-forces': northernKey });
    await card.locator('button[data-action=agreement-show]').click();
    await layersDrawn(page, ['agr-band', 'agr-hatch', 'agr-line', 'agr-label']);
    await picture(page, 'agreement-in-force.png');

    // northern-forces strikes on the road, inside the corridor, during its window.
    const strike = {
      type: 'Feature',
      geometry: { type: 'Point', coordinates: STRIKE_AT },
      properties: {
        kind: 'strike',
        start: iso(Date.now() + 30 * MINUTE),
        end: iso(Date.now() + 90 * MINUTE),
        buffer_m: 100,
        label: 'Strike on the west road',
      },
    };
    const sent = await as('northern-forces.operator', 'POST', '/api/v1/declarations', strike);
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    const breach = (sent.body.conflicts as { id: string; rule: string; severity: string }[]).find(
      (c) => c.rule === 'agreement_breach',
    );
    assert.ok(breach, `no breach: ${JSON.stringify(sent.body.conflicts)}`);
    assert.equal(breach.severity, 'critical');

    // coalition, a signatory, is alerted: the card names the agreement and the corridor.
    await page.locator('button[data-tab=watch]').click();
    const alert = page.locator('.alert', { has: page.locator('.breach-term') }).first();
    await alert.waitFor({ timeout: LOAD });
    const term = await textOf(page, '.alert .breach-term');
    assert.ok(term.includes(NAME) && term.includes('Corridor') && term.includes('West road'), term);
    await picture(page, 'agreement-breach-inbox.png');
    await alert.locator('.alert-head').click();
    const detail = page.locator('[data-testid=detail]');
    await detail.locator('.dt-term', { hasText: NAME }).waitFor();
    await picture(page, 'agreement-breach-detail.png');
    assert.match(await textOf(page, '[data-testid=detail] .dt-conflict h3'), /Breach of an agreement/);

    // northern-forces withdraws from the next minute, signed: it binds until then, and no longer.
    const ncard = northern.page.locator(`.ag-card[data-agreement-id="${id}"]`);
    await northern.page.locator('button[data-tab=agreements]').click();
    await ncard.locator('button[data-action=agreement-withdraw]').click();
    await ncard
      .locator('input[name=withdraw-reason]')
      .fill('The convoy has passed; the road reopens to traffic.');
    await ncard.locator('button[data-action=agreement-withdraw-confirm]').click();
    await ncard.locator('.ag-withdrawal', { hasText: 'Withdrawn by northern-forces' }).waitFor();
    const withdrawn = await as('coalition.admin', 'GET', `/api/v1/agreements/${id}`);
    const w = withdrawn.body.withdrawal;
    assert.equal(w?.party, 'northern-forces', JSON.stringify(withdrawn.body));
    assert.equal(w.key, northernKey);
    assert.ok(Date.parse(w.effective) >= Date.parse(w.at), 'a withdrawal is never retroactive');
    await assertClean(coalition, northern);
  });

  /** The signed statements the hub keeps verify with the keys registered, over the content hash. */
  const verifySignatures = async (id: string, keys: Record<string, string>): Promise<void> => {
    const held = await as('coalition.admin', 'GET', `/api/v1/agreements/${id}`);
    const registered = new Map<string, string>();
    for (const who of ['coalition.admin', 'northern-forces.admin']) {
      const r = await as(who, 'GET', '/api/v1/keys');
      for (const k of r.body.keys as { id: string; public_key: string }[]) registered.set(k.id, k.public_key);
    }
    for (const s of (held.body.signatures as Signature[]).filter((x) => x.version === held.body.version)) {
      assert.equal(s.key, keys[s.party]);
      const r = await as('coalition.admin', 'GET', `/api/v1/receipts/${s.entry}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const signed = r.body.signed as Signed;
      assert.equal(signed.statement.act, 'agreement.sign');
      assert.equal(signed.statement.subject, id);
      assert.equal(signed.statement.content_sha256, held.body.content_sha256);
      assert.ok(
        verifyStatement(signed, registered.get(s.key) as string),
        `${s.party}'s signature does not verify`,
      );
    }
  };
});

/** A screenshot, only when asked for (SCREENSHOTS). */
async function picture(page: Page, name: string): Promise<void> {
  if (process.env.SCREENSHOTS) await screenshot(page, name);
}
