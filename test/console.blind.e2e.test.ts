/**
 * Sealed declarations and blind matching in the web console, end to end (docs/blind-matching.md),
 * in a real browser (Debian's chromium through playwright-core) against a hub started in this
 * process (so that its clock can be moved) with the seeds' case: relief-agency's field hospital
 * and northern-forces' patrols in clear, the coalition's strike beside them sealed by its agent.
 * The three parties' agents (`Agent`, the code of `deconflict agent`) talk to the hub over HTTP
 * until every blind check is answered. Then:
 * - relief-agency's watch officer: the inbox holds the critical conflict; its card and its detail
 *   say the other side is "coalition: sealed", with the matched slot as a DTG and no distance or
 *   closest points;
 * - the coalition's operator: its card names "your sealed strike sd-…"; the Probing panel (key 5)
 *   lists the sealed strike (kind, coarse window as DTGs, tokens, active, Withdraw) and the four
 *   blind checks of its strike (asked by relief-agency and northern-forces; 2 matched);
 * - unknown results: relief-agency declares two sites next to the strike through the API; its
 *   agent answers the first check's blinding step only, nobody answers the second, and the hub's
 *   clock passes their deadline (`runDue`). The agency's console shows two blind-check alerts —
 *   "result unknown — their agent has not answered since …" (the coalition's agent did not
 *   evaluate) and "… your agent has not answered since …" (its own did not blind) — "Treat as a
 *   conflict until it is answered."; the detail says the same; the watch officer acknowledges one
 *   from its card. The coalition's console shows its side ("Your agent has not answered
 *   relief-agency’s blind check since …") and the checks' unknown count;
 * - the coalition's operator withdraws the sealed strike from the Probing panel (after the
 *   confirm): it reads withdrawn, the hub agrees, the agency's conflict is resolved.
 * Nothing leaves the hub from any page, nothing is thrown in a page, no page is wider than
 * 1366 px. Screenshots go to a temporary directory (removed), or to SCREENSHOTS when set.
 *
 * Run: node --import tsx --test test/console.blind.e2e.test.ts (needs Debian's chromium).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { loadOprf, type Oprf } from '../src/blind/oprf.ts';
import { AGENT_KEY_FORMAT, Agent } from '../src/cli/agent.ts';
import { loadDemo } from '../src/hub/demo.ts';
import {
  assertClean,
  buildConsole,
  CHROMIUM,
  chromiumAvailable,
  launch,
  logIn,
  type Person,
  person,
  ROOT,
  textOf,
} from './support/browser.ts';
import { demoPassword, ok, request, startHub, type TestHub } from './support/hub.ts';

const SEEDS = 'test/fixtures/blind/seeds-case.geojson';
const STRIKE = 'test/fixtures/blind/sealed-strike.geojson';
const PARTIES = ['relief-agency', 'northern-forces', 'coalition'] as const;
/** The strike's one slot, as the console writes it. */
const SLOT = '231000Z–231100ZNOV26';
/** When every check of the test was asked: the hub's clock does not move before the deadline. */
const ASKED = '220000ZNOV26';
const MIN = 60_000;

interface Side {
  id?: string;
  party: string;
  hidden?: true;
  sealed?: true;
}
interface Conflict {
  id: string;
  rule: string;
  severity: string;
  status: string;
  resolution: string | null;
  a: Side;
  b: Side;
}
interface Alert {
  id: string;
  subject_type: string;
  subject: string;
  status: string;
  summary: { blind_check?: { role: string; status: string; unknown: boolean; declaration?: string } };
}

/** The text of a locator, white space squeezed (as the page's text, whatever its CSS case). */
const text = async (l: ReturnType<Page['locator']>): Promise<string> =>
  ((await l.textContent()) ?? '').replace(/\s+/g, ' ').trim();

describe('sealed declarations and blind checks in the console', () => {
  let t: TestHub;
  let url: string;
  let oprf: Oprf;
  let browser: Browser;
  let shots: string;
  const temporary = !process.env.SCREENSHOTS;
  const tokens: Record<string, string> = {};
  const agents: Record<string, Agent> = {};
  const states: string[] = [];
  const people: Person[] = [];
  let relief: Person;
  let coalition: Person;

  const agentOf = (party: string): Agent => {
    const dir = mkdtempSync(join(tmpdir(), `deconflict-agent-${party}-`));
    states.push(dir);
    const key = {
      format: AGENT_KEY_FORMAT,
      party,
      key: Buffer.from(oprf.generateKey()).toString('base64'),
    } as const;
    return new Agent(url, tokens[party] as string, key, dir, oprf, 20_000, () => t.clock.now());
  };
  /** Rounds of every agent until none has anything to do. */
  const settle = async () => {
    for (let i = 0; i < 6; i++) {
      let did = 0;
      for (const party of PARTIES) did += (await (agents[party] as Agent).round()).length;
      if (did === 0) return;
    }
    assert.fail('the agents did not settle');
  };
  const get = async <T>(party: string, path: string): Promise<T> =>
    ok<T>(await request(t.app, tokens[party] as string, 'GET', path));
  /** A browser context logged in as `username`. */
  const open = async (username: string): Promise<Person> => {
    const p = await person(browser, url);
    people.push(p);
    await logIn(p, url, username, demoPassword(username));
    return p;
  };
  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(shots, name), animations: 'disabled', caret: 'hide' });

  before(async () => {
    assert.ok(chromiumAvailable(), `the browser tests need Debian's chromium at ${CHROMIUM}`);
    buildConsole();
    shots = temporary
      ? mkdtempSync(join(tmpdir(), 'deconflict-blind-shots-'))
      : resolve(ROOT, process.env.SCREENSHOTS as string);
    mkdirSync(shots, { recursive: true });
    oprf = await loadOprf();
    t = await startHub({ demo: false });
    await loadDemo(t.hub, SEEDS);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    for (const party of PARTIES) {
      tokens[party] = await t.login(`${party}.operator`);
      agents[party] = agentOf(party);
    }
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await t?.close();
    for (const s of states) rmSync(s, { recursive: true, force: true });
    if (temporary && shots) rmSync(shots, { recursive: true, force: true });
  });

  it('the coalition seals its strike and the agents answer every check', { timeout: 60_000 }, async () => {
    const lines = await (agents.coalition as Agent).seal(JSON.parse(readFileSync(STRIKE, 'utf8')));
    assert.match(lines[0] as string, /^sealed strike-depot as sd-/);
    await settle();
    const { conflicts } = await get<{ conflicts: Conflict[] }>('relief-agency', '/api/v1/conflicts');
    assert.equal(conflicts.length, 1);
    assert.deepEqual(conflicts[0]?.b, { party: 'coalition', hidden: true, sealed: true });
  });

  it('relief-agency: the critical conflict reads "coalition: sealed", its matched slot, no distance', {
    timeout: 180_000,
  }, async () => {
    relief = await open('relief-agency.watch');
    const { page } = relief;
    const card = page.locator('[data-testid=inbox] .alert', { hasText: 'strike protected' });
    await card.waitFor();
    const cardText = await text(card);
    for (const part of ['critical', 'coalition: sealed', `Matched slots: ${SLOT}`])
      assert.ok(cardText.includes(part), `"${part}" not on the card: ${cardText}`);
    assert.ok(!/\d+(\.\d+)? (m|km|NM) apart/.test(cardText), `a distance on the card: ${cardText}`);
    assert.ok(!cardText.includes('hidden declaration'), cardText);

    // On its text, not on the reply field (a click there does not open the alert).
    await card.locator('.matched-slots').click();
    const detail = page.locator('[data-testid=detail][data-type=alert] .dt-conflict');
    await detail.waitFor();
    const detailText = await text(detail);
    for (const part of [
      'Strike near a protected site',
      'coalition: sealed',
      'Matched slots',
      SLOT,
      'blind: the two parties’ agents matched tokens',
    ])
      assert.ok(detailText.includes(part), `"${part}" not in the detail: ${detailText}`);
    const labels = await detail.locator('dt').allInnerTexts();
    assert.ok(!labels.includes('Distance'), `a distance row: ${labels.join(', ')}`);
    assert.ok(!labels.includes('Closest points'), `closest points: ${labels.join(', ')}`);
    assert.equal(await detail.locator('[data-sealed=true][data-hidden=true]').count(), 1);
    await shot(page, 'blind-conflict.png');
    await assertClean(relief);
  });

  it('the coalition: its own sealed side, and the Probing panel lists the strike and who asked', {
    timeout: 180_000,
  }, async () => {
    coalition = await open('coalition.operator');
    const { page } = coalition;
    const card = page.locator('[data-testid=inbox] .alert', { hasText: 'strike protected' });
    await card.waitFor();
    const cardText = await text(card);
    assert.match(cardText, /your sealed strike sd-\S+/);
    assert.ok(cardText.includes(`Matched slots: ${SLOT}`), cardText);

    // Key 5, as the shell's tab bar says.
    await page.locator('body').press('5');
    const sealed = page.locator('[data-testid=probing-sealed] .pb-sealed');
    await sealed.first().waitFor();
    assert.equal(await sealed.count(), 1);
    const sealedText = await text(sealed);
    const [mine] = (
      await get<{ sealed: { id: string; token_count: number }[] }>('coalition', '/api/v1/sealed')
    ).sealed;
    assert.ok(mine);
    for (const part of ['Strike', SLOT, `${mine.token_count} tokens`, 'active', 'Withdraw', mine.id])
      assert.ok(sealedText.includes(part), `"${part}" not in the sealed row: ${sealedText}`);

    const checks = page.locator('[data-testid=probing-checks]');
    await checks.locator('h3', { hasText: 'Blind checks (4)' }).waitFor();
    const head = await text(checks.locator('h3'));
    assert.ok(head.includes('2 matched'), head);
    assert.ok(head.includes('0 unknown'), head);
    const rows = checks.locator('.pb-check[data-role=owner]');
    assert.equal(await rows.count(), 4);
    const askers = (await rows.locator('b').allInnerTexts()).sort();
    assert.deepEqual(askers, ['northern-forces', 'northern-forces', 'relief-agency', 'relief-agency']);
    assert.equal(await checks.locator('.pb-check[data-status=done]').count(), 4);
    const matched = await checks
      .locator('.pb-matched', { hasText: 'of your sealed declarations matched' })
      .count();
    assert.equal(matched, 2);
    assert.equal(await checks.locator('.pb-matched', { hasText: 'no match' }).count(), 2);
    await shot(page, 'blind-probing.png');
    await assertClean(coalition);
  });

  it('unknown results: both parties are alerted, the agency to treat them as conflicts; it acknowledges one', {
    timeout: 180_000,
  }, async () => {
    const site = (id: string, lon: number, label: string) => ({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [lon, 46.154] },
      properties: {
        id,
        kind: 'protected_site',
        category: 'humanitarian',
        start: '2026-11-22T00:00:00Z',
        buffer_m: 100,
        label,
      },
    });
    // The first site's check: the agency's agent blinds, the coalition's never evaluates.
    ok(
      await request(t.app, tokens['relief-agency'] as string, 'POST', '/api/v1/declarations', {
        type: 'FeatureCollection',
        features: [site('water-point', 21.3012, 'Aradul Nou water point')],
      }),
      201,
    );
    const blinded = await (agents['relief-agency'] as Agent).round();
    assert.equal(blinded.length, 1, blinded.join('\n'));
    // The second's: nobody answers.
    ok(
      await request(t.app, tokens['relief-agency'] as string, 'POST', '/api/v1/declarations', {
        type: 'FeatureCollection',
        features: [site('school-shelter', 21.2985, 'School used as a shelter')],
      }),
      201,
    );
    t.clock.set(t.clock.now() + 3 * MIN);
    await t.hub.runDue();

    const { alerts } = await get<{ alerts: Alert[] }>('relief-agency', '/api/v1/alerts');
    const blind = alerts.filter((a) => a.subject_type === 'blind_check');
    assert.equal(blind.length, 2, JSON.stringify(alerts));
    assert.ok(blind.every((a) => a.summary.blind_check?.unknown === true));

    const { page } = relief;
    await page.locator('button[data-tab=watch]').click();
    const cards = page.locator('[data-testid=inbox] .alert', { hasText: 'blind check' });
    await page.locator('[data-testid=inbox] .alert', { hasText: 'their agent has not answered' }).waitFor();
    await page.locator('[data-testid=inbox] .alert', { hasText: 'your agent has not answered' }).waitFor();
    assert.equal(await cards.count(), 2);
    const theirs = page.locator('[data-testid=inbox] .alert', { hasText: 'their agent has not answered' });
    const theirsText = await text(theirs);
    for (const part of [
      `Blind check with coalition: result unknown — their agent has not answered since ${ASKED}.`,
      'Treat as a conflict until it is answered.',
      'immediate',
    ])
      assert.ok(theirsText.includes(part), `"${part}" not on the card: ${theirsText}`);
    const ours = await text(
      page.locator('[data-testid=inbox] .alert', { hasText: 'your agent has not answered' }),
    );
    assert.ok(
      ours.includes(
        `Blind check with coalition: result unknown — your agent has not answered since ${ASKED}.`,
      ),
      ours,
    );

    // The detail says the same, and names the declaration that asked.
    await theirs.locator('.blind-text').click();
    const detail = page.locator('[data-testid=detail][data-type=alert] .dt-blind-check');
    // Named once the console holds the new declaration (read after its stream event).
    await detail.locator('a[data-declaration-id="relief-agency:water-point"]').waitFor();
    const detailText = await text(detail);
    for (const part of [
      'Blind check with coalition',
      'result unknown',
      'Treat as a conflict until it is answered.',
    ])
      assert.ok(detailText.includes(part), `"${part}" not in the detail: ${detailText}`);
    assert.ok(detailText.includes('Aradul Nou water point'), detailText);
    await shot(page, 'blind-unknown.png');

    // Acknowledged as any alert: from its card (the key 1 shows the inbox again).
    await page.locator('body').press('1');
    const id = (await theirs.getAttribute('data-alert-id')) as string;
    await theirs.locator('button[data-action=ack]').click();
    await page
      .locator(`.alert[data-alert-id="${id}"][data-status=acknowledged]`)
      .waitFor({ state: 'attached' });
    const after = await get<{ alerts: Alert[] }>('relief-agency', '/api/v1/alerts');
    assert.equal(after.alerts.find((a) => a.id === id)?.status, 'acknowledged');
    await assertClean(relief);

    // The coalition's side: its agent's silence, the other's, and the unknown count.
    const co = coalition.page;
    await co.locator('[data-testid=probing-checks] h3', { hasText: '2 unknown' }).waitFor();
    await co.locator('button[data-tab=watch]').click();
    const own = co.locator('[data-testid=inbox] .alert', {
      hasText: `Your agent has not answered relief-agency’s blind check since ${ASKED}.`,
    });
    await own.waitFor();
    await co
      .locator('[data-testid=inbox] .alert', {
        hasText: `relief-agency’s agent has not answered its blind check of your sealed declarations since ${ASKED}.`,
      })
      .waitFor();
    await assertClean(coalition);
  });

  it('the coalition withdraws the sealed strike from the Probing panel', { timeout: 120_000 }, async () => {
    const { page } = coalition;
    await page.locator('button[data-tab=probing]').click();
    const row = page.locator('[data-testid=probing-sealed] .pb-sealed');
    const asked: string[] = [];
    page.once('dialog', (d) => {
      asked.push(d.message());
      void d.accept();
    });
    const deleted = page.waitForResponse(
      (r) => r.request().method() === 'DELETE' && /\/api\/v1\/sealed\/sd-/.test(r.url()),
    );
    await row.locator('button[data-action=withdraw-sealed]').click();
    assert.equal((await deleted).status(), 200);
    assert.match(asked[0] ?? '', /^Withdraw sealed strike sd-/);
    await page.locator('[data-testid=probing-sealed] .pb-sealed[data-status=withdrawn]').waitFor();
    assert.equal(await row.locator('button[data-action=withdraw-sealed]').count(), 0);
    assert.ok((await textOf(page, '[data-testid=probing-sealed] h3')).includes('0 active'));
    const { sealed } = await get<{ sealed: { status: string }[] }>('coalition', '/api/v1/sealed');
    assert.deepEqual(
      sealed.map((s) => s.status),
      ['withdrawn'],
    );
    const { conflicts } = await get<{ conflicts: Conflict[] }>('relief-agency', '/api/v1/conflicts');
    assert.deepEqual(
      conflicts.map((c) => [c.status, c.resolution]),
      [['resolved', 'withdrawn']],
    );
    await assertClean(coalition);
  });

  it('made no request outside the hub from any page', () => {
    assert.ok(people.length >= 2);
    for (const p of people) assert.deepEqual(p.foreign, []);
  });
});
