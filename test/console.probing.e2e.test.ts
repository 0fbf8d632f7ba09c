/**
 * Probing budgets in the web console, end to end (issue #12, docs/design.md §8), in a real
 * browser (Debian's chromium through playwright-core) against a real hub process started with
 * the demo (`deconflict serve --demo`, a temporary data directory, port 0).
 *
 * relief-agency declares a protected site hidden from northern-forces (shown to coalition only)
 * and gives northern-forces a budget of 2 hidden conflicts a day; northern-forces then submits
 * three real strikes next to it. Over the API: the first two answers carry the conflict with a
 * hidden side, the third none (withheld), and a dry run says it did not check hidden declarations.
 * In relief-agency's browsers:
 * - the watch officer's inbox shows the probing alert live (northern-forces, 2 / 2), and the card
 *   of the withheld conflict says "withheld from northern-forces (budget exhausted)";
 * - the Probing tab shows northern-forces: 3 / 2, 0 left, exhausted, 1 withheld, its last probe;
 *   and the three recent probes (two answered, one withheld), no budget field for a watch officer;
 * - the party admin sets the budget to 5 in the Probing tab: the row says 3 / 5, 2 left, no longer
 *   exhausted, and the hub agrees;
 * - the watch officer opens the withheld probe's conflict (Detail: "Window", the withheld line)
 *   and releases it: northern-forces can read it at once (404 before), and is alerted; the probe
 *   reads "released".
 * Screenshot `probing.png` (into SCREENSHOTS: see test/support/browser.ts). Nothing leaves the
 * hub, nothing is thrown in a page, no page is wider than 1366 px.
 *
 * Run: node --import tsx --test test/console.probing.e2e.test.ts (needs Debian's chromium).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  assertClean,
  closeDemoConsole,
  logIn,
  openDemoConsole,
  type Person,
  person,
  screenshot,
  textOf,
} from './support/browser.ts';
import { demoPassword } from './support/hub.ts';
import { demoApi, type Served } from './support/serve.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const SITE: [number, number] = [21.4, 46.24];
const OWNER = 'relief-agency';
const PROBER = 'northern-forces';

interface Side {
  id?: string;
  party: string;
  hidden?: true;
}
interface Conflict {
  id: string;
  rule: string;
  a: Side;
  b: Side;
  window: { start: string; end: string | null };
  withheld_from?: string[];
}
interface BudgetEntry {
  party: string;
  per_day: number;
  used_today: number;
  remaining: number;
  last_at: string | null;
  exhausted_at: string | null;
}
interface Probe {
  id: string;
  party: string;
  conflict: string;
  withheld: boolean;
}

const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');
/** The conflicts of an answer that have a hidden side. */
const hiddenOf = (cs: Conflict[]) => cs.filter((c) => c.a.hidden || c.b.hidden);

describe('probing budgets in the console', () => {
  let hub: Served;
  let url: string;
  let dir: string;
  let browser: Browser;
  /** Tomorrow 00:00Z. */
  let day: number;
  const people: Person[] = [];

  /** API calls as demo accounts, with the test's own tokens (one login each). */
  const { as } = demoApi(() => url, demoPassword);

  /** A browser context logged in as `username`. */
  const open = async (username: string): Promise<Person> => {
    const p = await person(browser, url);
    people.push(p);
    await logIn(p, url, username, demoPassword(username));
    return p;
  };

  before(async () => {
    ({ dir, hub, url, browser } = await openDemoConsole('probing-e2e'));
    day = Math.floor(Date.now() / DAY) * DAY + DAY;
  });

  after(() => closeDemoConsole({ dir, hub, browser }));

  it('the owner sees who probed, is alerted, sets the budget and releases a withheld conflict', {
    timeout: 240_000,
  }, async () => {
    // relief-agency: a site hidden from northern-forces, and a budget of 2 a day for it.
    const site = {
      type: 'Feature',
      geometry: { type: 'Point', coordinates: SITE },
      properties: {
        id: 'ra-hidden-depot',
        kind: 'protected_site',
        category: 'humanitarian',
        start: iso(day - DAY),
        buffer_m: 200,
        visibility: ['coalition'],
        label: 'Hidden medical depot',
      },
    };
    const put = await as(`${OWNER}.operator`, 'POST', '/api/v1/declarations', site);
    assert.equal(put.status, 201, JSON.stringify(put.body));
    const budget = await as(`${OWNER}.admin`, 'PUT', `/api/v1/probing/budgets/${PROBER}`, { per_day: 2 });
    assert.equal(budget.status, 200, JSON.stringify(budget.body));
    assert.equal((budget.body as BudgetEntry).per_day, 2);
    assert.equal((budget.body as BudgetEntry).used_today, 0, 'no probe before the test’s');

    // The owner's watch officer is logged in first: the alerts arrive live.
    const watch = await open(`${OWNER}.watch`);
    await watch.page.locator('[data-testid=inbox]').waitFor();

    // A dry run checks nothing hidden, and says so.
    const strike = (n: number) => ({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [SITE[0] + 0.0005 * n, SITE[1]] },
      properties: {
        id: `nf-probe-${n}`,
        kind: 'strike',
        buffer_m: 150,
        start: iso(day + 10 * HOUR + n * 60_000),
        end: iso(day + 11 * HOUR + n * 60_000),
        label: `Probe strike ${n}`,
      },
    });
    const dry = await as(`${PROBER}.operator`, 'POST', '/api/v1/declarations?dry_run=true', strike(1));
    assert.equal(dry.status, 200, JSON.stringify(dry.body));
    assert.equal(dry.body.hidden, 'not_checked');
    assert.deepEqual(hiddenOf(dry.body.conflicts), [], 'a dry run answers nothing hidden');

    // Three real strikes next to it: two answered, the third withheld.
    const answers: Conflict[][] = [];
    for (const n of [1, 2, 3]) {
      const r = await as(`${PROBER}.operator`, 'POST', '/api/v1/declarations', strike(n));
      assert.equal(r.status, 201, JSON.stringify(r.body));
      answers.push(hiddenOf(r.body.conflicts));
    }
    assert.deepEqual(
      answers.map((a) => a.length),
      [1, 1, 0],
      `hidden conflicts answered: ${JSON.stringify(answers)}`,
    );
    const hourly = (answers[0] as Conflict[])[0] as Conflict;
    assert.match(hourly.window.start, /T\d\d:00:00(\.000)?Z$/, 'a hidden side’s window is given to the hour');

    const seen = await as(`${OWNER}.watch`, 'GET', '/api/v1/probing');
    assert.equal(seen.status, 200, JSON.stringify(seen.body));
    const recent = seen.body.recent as Probe[];
    const withheld = recent.filter((p) => p.withheld);
    assert.equal(recent.length, 3, JSON.stringify(recent));
    assert.equal(withheld.length, 1, JSON.stringify(recent));
    const held = (withheld[0] as Probe).conflict;
    const before = await as(`${PROBER}.watch`, 'GET', `/api/v1/conflicts/${held}`);
    assert.equal(before.status, 404, 'the withheld conflict is not northern-forces’ to read');

    // The inbox: the probing alert, live; the withheld conflict's card with its Release.
    const probingCard = watch.page.locator('.alert', { hasText: 'used its whole probing budget' });
    await probingCard.waitFor();
    const cardText = ((await probingCard.textContent()) ?? '').replace(/\s+/g, ' ');
    assert.match(cardText, /northern-forces/);
    assert.match(cardText, /2 \/ 2/);
    assert.match(cardText, /immediate/i);
    const heldCard = watch.page.locator('.alert', {
      has: watch.page.locator(`.withheld[data-conflict-id="${held}"]`),
    });
    await heldCard.waitFor();
    assert.match(
      ((await heldCard.locator('.withheld').textContent()) ?? '').replace(/\s+/g, ' '),
      /withheld from northern-forces \(budget exhausted\)/,
    );
    assert.equal(await heldCard.locator('button[data-action=release]').isEnabled(), true);

    // The Probing tab: who, how often, what is left, and the recent probes.
    await watch.page.locator('button[data-tab=probing]').click();
    const row = (page: Page) => page.locator(`.pb-row[data-party="${PROBER}"]`);
    await row(watch.page).locator('.pb-used', { hasText: '3 / 2' }).waitFor();
    const rowText = await textOf(watch.page, `.pb-row[data-party="${PROBER}"]`);
    for (const part of ['0 left', 'exhausted', '1 withheld', 'last', 'out at'])
      assert.ok(rowText.includes(part), `"${part}" not in the row: ${rowText}`);
    assert.equal(
      await row(watch.page).locator('input[name=per-day]').count(),
      0,
      'a watch officer sets no budget',
    );
    const probes = watch.page.locator('[data-testid=probing-recent] .pb-probe');
    assert.equal(await probes.count(), 3);
    assert.equal(await watch.page.locator('.pb-probe[data-status=withheld]').count(), 1);
    assert.equal(await watch.page.locator('.pb-probe[data-status=answered]').count(), 2);
    assert.equal(await watch.page.locator('.tab[data-tab=probing] .badge').textContent(), '1');
    await assertClean(watch);

    // The party admin sets the budget to 5 in place.
    const admin = await open(`${OWNER}.admin`);
    await admin.page.locator('button[data-tab=probing]').click();
    await row(admin.page).locator('.pb-used', { hasText: '3 / 2' }).waitFor();
    await screenshot(admin.page, 'probing.png');
    await row(admin.page).locator('input[name=per-day]').fill('5');
    await row(admin.page).locator('button[data-action=set-budget]').click();
    await row(admin.page).locator('.pb-used', { hasText: '3 / 5' }).waitFor();
    const after = await textOf(admin.page, `.pb-row[data-party="${PROBER}"]`);
    assert.ok(after.includes('2 left'), after);
    assert.ok(!after.includes('exhausted'), after);
    const now = await as(`${OWNER}.watch`, 'GET', '/api/v1/probing');
    const entry = (now.body.parties as BudgetEntry[]).find((p) => p.party === PROBER);
    assert.deepEqual(
      entry && { per_day: entry.per_day, used_today: entry.used_today, remaining: entry.remaining },
      { per_day: 5, used_today: 3, remaining: 2 },
    );
    await assertClean(admin);
    await admin.context.close();

    // The watch officer opens the withheld probe's conflict and releases it.
    await watch.page.locator('.pb-probe[data-status=withheld] a[data-action=open-conflict]').click();
    const detail = watch.page.locator(`[data-testid=detail][data-type=conflict][data-id="${held}"]`);
    await detail
      .locator('.withheld', { hasText: 'withheld from northern-forces (budget exhausted)' })
      .waitFor();
    const released = watch.page.waitForResponse(
      (r) => r.request().method() === 'POST' && r.url().endsWith(`/conflicts/${held}/release`),
    );
    await detail.locator('button[data-action=release]').click();
    assert.equal((await released).status(), 200);
    await detail.locator('.withheld').waitFor({ state: 'detached' });
    const readable = await as(`${PROBER}.watch`, 'GET', `/api/v1/conflicts/${held}`);
    assert.equal(readable.status, 200, 'released: northern-forces reads it');
    assert.ok(readable.body.a.hidden || readable.body.b.hidden, 'still with its hidden side');
    const alerts = await as(`${PROBER}.watch`, 'GET', '/api/v1/alerts?limit=1000');
    assert.ok(
      (alerts.body.alerts as { subject: string }[]).some((a) => a.subject === held),
      'northern-forces is alerted',
    );
    await watch.page.locator('button[data-tab=probing]').click();
    await watch.page.locator(`.pb-probe[data-conflict-id="${held}"][data-status=released]`).waitFor();
    await assertClean(watch);
    await watch.context.close();
  });

  it('made no request outside the hub from any page', () => {
    for (const p of people) assert.deepEqual(p.foreign, []);
  });
});
