/**
 * Screenshots go to test-output/screenshots (git-ignored); SCREENSHOTS=docs/screenshots (or any
 * folder, relative to the repository) writes them there instead, to refresh the README's.
 *
 * The web console end to end, in a real browser (Debian's chromium through playwright-core)
 * against a real hub process started with the demo (`deconflict serve --demo`, a temporary data
 * directory, port 0). Every browser context lets the page reach the hub and nothing else: any
 * other request is aborted and recorded, and each test fails if one was attempted.
 *
 * - A coalition operator draws a strike next to city-police's hospital on the map, sees the
 *   critical strike_protected conflict in the dry run (and that dry runs check only what the
 *   party can see) and submits; city-police's watch officer (already logged in, Watch tab) sees
 *   the alert arrive without reloading, replies and acknowledges; coalition's watch
 *   officer sees the acknowledgement and the reply.
 * - The keyboard on the Watch tab: `n` selects the next alert, `a` acknowledges it.
 * - The hotline: coalition's admin opens a channel with city-police, whose admin accepts;
 *   messages both ways, one flash acknowledged; the senders see delivered/read/acknowledged receipts.
 * - A declaration hidden from a party appears nowhere in that party's browser: not in any
 *   response body, WebSocket frame or the final DOM — while the striker's console shows the
 *   conflict, with its other side hidden and its window "(to the hour)".
 * - A session revoked under a half-filled Declare form: the next action asks for the password
 *   again, the form keeps its values, and the action completes.
 * - A declaration amended and withdrawn from the Detail panel: the Declare form filled from it,
 *   v2 submitted, then withdrawn once confirmed.
 * - Screenshots of the main screens at 1366×768 (into SCREENSHOTS, above), and no horizontal
 *   scrollbar on any of them.
 *
 * Run: node --import tsx --test test/console.e2e.test.ts (needs Debian's chromium: scripts/test.sh installs it).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  APPEAR,
  assertClean,
  closeDemoConsole,
  jumpTo,
  layersDrawn,
  loaded,
  logIn,
  mapIdle,
  mapPixel,
  openDemoConsole,
  type Person,
  person,
  record,
  screenshot,
  sessionToken,
} from './support/browser.ts';
import { demoPassword } from './support/hub.ts';
import { api, demoTokens, type Served } from './support/serve.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
// The demo's hospital, as the hub names it: declaration ids are per party (`<party>:<id>`).
const HOSPITAL = 'city-police:site-south-hospital';
const STRIKE_AT: [number, number] = [21.3035, 46.1532];

/** The hidden declaration's distinctive values: none may reach another party's browser. */
const HIDDEN = {
  id: 'ra-orchid-vault',
  label: 'Orchid Vault shelter',
  notes: 'Forty-two children sleep in the east wing',
  lon: 21.28731,
  lat: 46.13377,
};

interface Side {
  id?: string;
  party: string;
  hidden?: true;
}
interface Conflict {
  id: string;
  rule: string;
  severity: string;
  a: Side;
  b: Side;
}
interface Alert {
  id: string;
  subject: string;
  precedence: string;
  status: string;
}

/** E2E_TRACE=1 prints each step with the time since the test started (to find slow steps). */
const t0 = performance.now();
const step = (what: string): void => {
  if (process.env.E2E_TRACE) console.log(`${((performance.now() - t0) / 1000).toFixed(1)} s  ${what}`);
};

const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');

describe('the web console in a browser', () => {
  let hub: Served;
  let url: string;
  let dir: string;
  let browser: Browser;
  /** Tomorrow 00:00Z, where the demo's story starts. */
  let day: number;
  const people: Person[] = [];

  /** A bearer token of the test's own (not a browser's), one login per account. */
  const tokenOf = demoTokens(() => url, demoPassword);

  /** A browser context logged in as `username`, showing `tab`. */
  const open = async (username: string, tab = 'watch'): Promise<Person> => {
    const p = await person(browser, url);
    people.push(p);
    await logIn(p, url, username, demoPassword(username));
    step(`${username} logged in`);
    await p.page.locator(`button[data-tab=${tab}]`).click();
    return p;
  };

  /** The alert of `username`'s party about a subject (over the API). */
  const alertAbout = async (username: string, subject: string): Promise<Alert> => {
    const r = await api(url, await tokenOf(username), 'GET', '/api/v1/alerts?limit=1000');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const found = (r.body.alerts as Alert[]).find((a) => a.subject === subject);
    assert.ok(found, `${username} has no alert about ${subject}`);
    return found;
  };

  before(async () => {
    ({ dir, hub, url, browser } = await openDemoConsole('e2e'));
    day = Math.floor(Date.now() / DAY) * DAY + DAY;
  });

  after(() => closeDemoConsole({ dir, hub, browser }));

  let operator: Person | undefined;
  let strikeConflict: Conflict;
  /** Coalition's watch officer, from the strike on: its inbox serves the keyboard test too. */
  let coalitionWatch: Person | undefined;

  it('shows the login screen and lets an operator in', { timeout: 120_000 }, async () => {
    operator = await person(browser, url);
    people.push(operator);
    await operator.page.goto(`${url}/`);
    await operator.page.locator('input[name=username]').waitFor();
    await screenshot(operator.page, 'login.png');
    await assertClean(operator);
    await logIn(operator, url, 'coalition.operator', demoPassword('coalition.operator'));
    // The offline basemap, all from the hub: the Mureș through the demo's town, and at a
    // regional scale the coastlines, borders and cities around it.
    await layersDrawn(operator.page, ['land', 'rivers']);
    await jumpTo(operator.page, 21.31, 46.18, 5);
    await layersDrawn(operator.page, ['land', 'rivers', 'coast', 'borders', 'city-dot']);
    await assertClean(operator);
  });

  it('a strike drawn next to the other party’s hospital: dry run, submit, alert acknowledged live, seen by the striker', {
    timeout: 120_000,
  }, async () => {
    // The other party's watch officer and the striker's own, logged in and watching first.
    const [police, coalition] = await Promise.all([open('city-police.watch'), open('coalition.watch')]);
    await police.page.locator('[data-testid=inbox]').waitFor();
    await coalition.page.locator('[data-testid=inbox]').waitFor();
    await police.page.evaluate(() => {
      (window as Window & { e2eNotReloaded?: boolean }).e2eNotReloaded = true;
    });
    let navigations = 0;
    police.page.on('framenavigated', (f) => {
      if (f === police.page.mainFrame()) navigations++;
    });

    // The operator draws a point next to the hospital and fills the form.
    operator ??= await open('coalition.operator');
    const op = operator;
    const page = op.page;
    await page.locator('button[data-tab=declare]').click();
    await page.locator('select[name=kind]').selectOption('strike');
    await jumpTo(page, STRIKE_AT[0], STRIKE_AT[1], 14);
    step('map at the hospital');
    await page.locator('button[data-action=draw-point]').click();
    const at = await mapPixel(page, STRIKE_AT[0], STRIKE_AT[1]);
    await page.mouse.click(at.x, at.y);
    await page.locator('input[name=buffer_m]').fill('100');
    await page.locator('input[name=start]').fill(iso(day + 10 * HOUR));
    await page.locator('input[name=end]').fill(iso(day + 11 * HOUR));
    await page.locator('input[name=label]').fill('Strike on militia mortar position, south bank');
    step('form filled');

    await page.locator('button[data-action=dry-run]').click();
    const shown = page.locator(
      '[data-testid=dry-run-result] .conflict[data-conflict-rule=strike_protected][data-severity=critical]',
    );
    await shown.first().waitFor();
    // Dry runs never check declarations hidden from the party, and the panel says so.
    await page
      .locator('[data-testid=hidden-not-checked]', { hasText: 'Dry runs check only what your party can see' })
      .waitFor();
    step('dry run shown');
    await mapIdle(page);
    await screenshot(page, 'declare.png');
    step('declare.png');
    await assertClean(op);

    const answer = page.waitForResponse(
      (r) =>
        r.request().method() === 'POST' &&
        new URL(r.url()).pathname === '/api/v1/declarations' &&
        !r.url().includes('dry_run'),
    );
    await page.locator('button[data-action=submit]').click();
    const res = await answer;
    assert.equal(res.status(), 201, await res.text());
    const sub = (await res.json()) as { declarations: { id: string }[]; conflicts: Conflict[] };
    await page.locator('[data-testid=submit-result]').waitFor();
    const strikeId = sub.declarations[0]?.id as string;
    const c = sub.conflicts.find(
      (x) =>
        x.rule === 'strike_protected' &&
        [x.a.id, x.b.id].includes(HOSPITAL) &&
        [x.a.id, x.b.id].includes(strikeId),
    );
    assert.ok(c, `no strike_protected conflict with ${HOSPITAL}: ${JSON.stringify(sub.conflicts)}`);
    assert.equal(c.severity, 'critical');
    strikeConflict = c;
    step('submitted');

    // City-police's watch officer sees the alert arrive, replies and acknowledges. Its precedence
    // is the hub's to choose (severity and how soon the strike is): the card shows the one given.
    const policeAlert = await alertAbout('city-police.watch', c.id);
    const item = police.page.locator(`.alert[data-alert-id="${policeAlert.id}"]`);
    await police.page
      .locator(`.alert[data-alert-id="${policeAlert.id}"][data-precedence=${policeAlert.precedence}]`)
      .waitFor();
    assert.equal(
      await police.page.evaluate(
        () => (window as Window & { e2eNotReloaded?: boolean }).e2eNotReloaded === true,
      ),
      true,
      'the page was reloaded',
    );
    assert.equal(navigations, 0, 'the page navigated');
    const reply = 'Seen. Hospital staff warned; hold until 1030Z, call on the hotline.';
    await item.locator('input[name=reply]').fill(reply);
    await item.locator('button[data-action=ack]').click();
    await police.page
      .locator(`.alert[data-alert-id="${policeAlert.id}"][data-status=acknowledged]`)
      .waitFor();
    step('acknowledged');
    await screenshot(police.page, 'watch.png');

    // The striker's watch sees the acknowledgement and the reply on its own alert.
    const ownAlert = await alertAbout('coalition.watch', c.id);
    await coalition.page
      .locator(`.alert[data-alert-id="${ownAlert.id}"]`, { hasText: reply })
      .waitFor({ timeout: APPEAR });
    await assertClean(police, coalition, op);
    await police.context.close();
    coalitionWatch = coalition;
  });

  it('shows the overview map with declarations and conflicts', { timeout: 120_000 }, async () => {
    assert.ok(strikeConflict, 'needs the strike of the test before');
    operator ??= await open('coalition.operator');
    const op = operator;
    const page = op.page;
    await page.locator('button[data-tab=watch]').click();
    // The time bar to tomorrow 10:30Z, when the strikes are on.
    const offset = Math.round(((day + 10.5 * HOUR - Date.now()) / HOUR) * 4) / 4;
    await page.locator('input[name=time]').evaluate((el, v) => {
      const input = el as HTMLInputElement;
      input.value = String(v);
      input.dispatchEvent(new Event('input', { bubbles: true }));
    }, offset);
    await jumpTo(page, 21.31, 46.165, 12);
    await screenshot(page, 'map.png');
    await assertClean(op);
  });

  it('keyboard on the Watch tab: n selects the next alert, a acknowledges it', {
    timeout: 120_000,
  }, async () => {
    // Coalition's watch officer has several open alerts (the demo's and the strike's).
    const watch = coalitionWatch ?? (await open('coalition.watch'));
    const page = watch.page;
    await page.locator('button[data-tab=watch]').click();
    const open_ = page.locator('[data-testid=inbox] .alert[data-status=open]');
    await open_.nth(1).waitFor();
    const before = await open_.count();
    const ids = await open_.evaluateAll((els) => els.map((e) => e.getAttribute('data-alert-id') as string));
    const selected = page.locator('[data-testid=inbox] .alert.selected');
    await page.keyboard.press('n');
    await selected.waitFor();
    const one = (await selected.getAttribute('data-alert-id')) as string;
    await page.keyboard.press('n');
    await page.locator(`[data-testid=inbox] .alert.selected:not([data-alert-id="${one}"])`).waitFor();
    const chosen = (await selected.getAttribute('data-alert-id')) as string;
    assert.equal(await selected.count(), 1, 'one alert selected');
    assert.equal(ids.indexOf(chosen), (ids.indexOf(one) + 1) % ids.length, `n moves down the inbox: ${ids}`);
    await page.keyboard.press('a');
    await page.locator(`.alert[data-alert-id="${chosen}"][data-status=acknowledged]`).waitFor();
    assert.equal(await open_.count(), before - 1, 'one alert acknowledged');
    const r = await api(url, await tokenOf('coalition.watch'), 'GET', `/api/v1/alerts/${chosen}`);
    assert.equal(r.body.status, 'acknowledged', JSON.stringify(r.body));
    await assertClean(watch);
    await watch.context.close();
  });

  it('a hotline between two parties: messages both ways, a flash acknowledged, receipts', {
    timeout: 120_000,
  }, async () => {
    const [coa, pol] = await Promise.all([
      open('coalition.admin', 'hotline'),
      open('city-police.admin', 'hotline'),
    ]);
    const name = 'Arad south bank';

    // Coalition's admin opens the channel; city-police's admin accepts it.
    const form = coa.page.locator('[data-testid=new-channel]');
    await form.locator('input[name=channel-name]').fill(name);
    await form.locator('input[name=channel-party][value=city-police]').check();
    await form.locator('button[data-action=create-channel]').click();
    const coaItem = coa.page.locator('[data-testid=channels] [data-channel-id]', { hasText: name });
    await coaItem.waitFor();
    const channel = (await coaItem.getAttribute('data-channel-id')) as string;
    const polItem = pol.page.locator(`[data-testid=channels] [data-channel-id="${channel}"]`);
    await polItem.waitFor();
    await polItem.click();
    await pol.page.locator('button[data-action=accept]').click();

    // Coalition → city-police, routine.
    const first = 'Strike south of the river moved to 1030Z; confirm the hospital is warned.';
    await coa.page.locator(`[data-testid=channels] [data-channel-id="${channel}"]`).click();
    await coa.page.locator('textarea[name=text]').fill(first);
    await coa.page.locator('select[name=precedence]').selectOption('routine');
    await coa.page.locator('button[data-action=send]').click();
    await pol.page.locator('.message', { hasText: first }).waitFor();

    // City-police → coalition, flash: needs an acknowledgement.
    const flash = 'FLASH: ambulances on the south bridge until 1100Z. Hold fires.';
    await pol.page.locator('textarea[name=text]').fill(flash);
    await pol.page.locator('select[name=precedence]').selectOption('flash');
    await pol.page.locator('button[data-action=send]').click();
    const got = coa.page.locator('.message', { hasText: flash });
    await got.waitFor();
    await got.locator('button[data-action=ack-message]').click();

    // The senders see the receipts: delivered, read, acknowledged.
    const polSent = pol.page.locator('.message', { hasText: flash }).locator('.receipts');
    await polSent.filter({ hasText: /coalition:.*delivered.*read.*acknowledged/s }).waitFor();
    const coaSent = coa.page.locator('.message', { hasText: first }).locator('.receipts');
    await coaSent.filter({ hasText: /city-police:.*delivered.*read/s }).waitFor();
    await screenshot(pol.page, 'hotline-receipts.png');
    await assertClean(coa, pol);
    await coa.context.close();
    await pol.context.close();
  });

  it('a declaration hidden from a party reaches none of its browsers, not even through a conflict', {
    timeout: 120_000,
  }, async () => {
    const site = {
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [HIDDEN.lon, HIDDEN.lat] },
      properties: {
        id: HIDDEN.id,
        kind: 'protected_site',
        category: 'humanitarian',
        start: iso(day - DAY),
        buffer_m: 200,
        visibility: ['relief-agency'],
        label: HIDDEN.label,
        notes: HIDDEN.notes,
      },
    };
    const put = await api(url, await tokenOf('relief-agency.operator'), 'POST', '/api/v1/declarations', site);
    assert.equal(put.status, 201, JSON.stringify(put.body));

    // Both parties' consoles open, recorded from the first request.
    const watchers = await Promise.all(
      ['northern-forces.watch', 'coalition.senior'].map(async (username) => {
        const p = await person(browser, url);
        people.push(p);
        const traffic = record(p.page);
        await logIn(p, url, username, demoPassword(username));
        step(`${username} live`);
        return { p, traffic };
      }),
    );
    const [nf, coa] = watchers as [(typeof watchers)[0], (typeof watchers)[0]];

    // The counterpart that shows the consoles are listening: a site relief-agency shows to all
    // reaches both while they are open, no reload — the stream's declaration.changed, then the
    // console reading the declaration as its party sees it.
    const open = {
      ...site,
      geometry: { type: 'Point', coordinates: [21.3342, 46.2012] },
      properties: {
        ...site.properties,
        id: 'ra-open-tent',
        visibility: 'all',
        label: 'Open clinic tent, Micălaca',
        notes: 'Day clinic, 0800Z–1800Z',
      },
    };
    const shown = await api(
      url,
      await tokenOf('relief-agency.operator'),
      'POST',
      '/api/v1/declarations',
      open,
    );
    assert.equal(shown.status, 201, JSON.stringify(shown.body));
    const openId = 'relief-agency:ra-open-tent';
    for (const w of watchers) {
      const until = Date.now() + APPEAR;
      const read = () =>
        w.traffic.bodies.some(
          (b) =>
            decodeURIComponent(b.url).endsWith(`/api/v1/declarations/${openId}`) &&
            b.text.includes(open.properties.label),
        );
      while (!read() && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      assert.ok(read(), `${w.p.page.url()}: the open site was not read live`);
      assert.ok(
        w.traffic.frames.some((f) => f.text.includes('"declaration.changed"') && f.text.includes(openId)),
        'announced on the stream',
      );
    }
    step('an open site reached both consoles live');

    // Northern forces strike next to it: the conflict reaches its console over the stream.
    const strike = {
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [21.2878, 46.1341] },
      properties: {
        id: 'nf-strike-orchid',
        kind: 'strike',
        buffer_m: 200,
        start: iso(day + 14 * HOUR),
        end: iso(day + 15 * HOUR),
        label: 'Artillery strike on militia observation post',
      },
    };
    const sub = await api(
      url,
      await tokenOf('northern-forces.operator'),
      'POST',
      '/api/v1/declarations',
      strike,
    );
    assert.equal(sub.status, 201, JSON.stringify(sub.body));
    const hiddenConflict = (sub.body.conflicts as Conflict[]).find((x) => x.a.hidden || x.b.hidden);
    assert.ok(hiddenConflict, `no conflict with the hidden site: ${JSON.stringify(sub.body.conflicts)}`);
    const alert = await alertAbout('northern-forces.watch', hiddenConflict.id);
    const item = (page: Page) => page.locator(`.alert[data-alert-id="${alert.id}"]`);
    await item(nf.p.page)
      .filter({ hasText: /hidden/i })
      .waitFor();

    // And over the first load: reload both (the session stays in the tab), wait for the picture.
    await Promise.all(
      [nf, coa].map(async (w) => {
        await w.p.page.reload();
        await loaded(w.p.page);
      }),
    );
    step('reloaded, live again');
    await item(nf.p.page)
      .filter({ hasText: /hidden/i })
      .waitFor();
    assert.match(((await item(nf.p.page).textContent()) ?? '').toLowerCase(), /relief-agency|relief agency/);
    // The other side is hidden: the hub gives the window to the hour, and the card says so.
    assert.match((await item(nf.p.page).textContent()) ?? '', /\(to the hour\)/);

    // The coordinates as sent and rounded to 4 decimals (about 10 m), as a map or a label might.
    const secrets = [HIDDEN.id, HIDDEN.label, HIDDEN.notes, '21.28731', '46.13377', '21.2873', '46.1338'];
    for (const w of watchers) {
      await w.traffic.settled();
      const dom = await w.p.page.content();
      const seen = [...w.traffic.all(), `DOM: ${dom}`];
      assert.ok(w.traffic.bodies.length > 5 && w.traffic.frames.length > 0, 'the traffic was recorded');
      for (const s of secrets) {
        const leak = seen.find((x) => x.includes(s));
        assert.equal(leak, undefined, `"${s}" reached ${w.p.page.url()}: ${leak?.slice(0, 300)}`);
      }
    }
    await assertClean(nf.p, coa.p);
    await nf.p.context.close();
    await coa.p.context.close();
  });

  it('a session revoked under a half-filled form: asked at once, the form kept, nothing missed, the action completes', {
    timeout: 120_000,
  }, async () => {
    // The operator of the first tests, whose page has been open all along (or a new one).
    const p = operator ?? (await open('coalition.operator', 'declare'));
    const page = p.page;
    // A channel with city-police, so that something reaches the party while the session is gone.
    const coaAdmin = await tokenOf('coalition.admin');
    const polAdmin = await tokenOf('city-police.admin');
    const ch = await api(url, coaAdmin, 'POST', '/api/v1/channels', {
      name: 'Ferry landing',
      parties: ['city-police'],
    });
    assert.equal(ch.status, 201, JSON.stringify(ch.body));
    assert.equal((await api(url, polAdmin, 'POST', `/api/v1/channels/${ch.body.id}/accept`)).status, 200);

    await page.locator('button[data-tab=declare]').click();
    const values = {
      label: 'Half-filled strike on the ferry landing',
      buffer_m: '150',
      start: iso(day + 16 * HOUR),
      end: iso(day + 17 * HOUR),
    };
    await page.locator('select[name=kind]').selectOption('strike');
    await page.locator('input[name=position]').fill('46.2050, 21.2550');
    await page.locator('button[data-action=use-position]').click();
    await page.locator('input[name=buffer_m]').fill(values.buffer_m);
    await page.locator('input[name=start]').fill(values.start);
    await page.locator('input[name=end]').fill(values.end);
    await page.locator('input[name=label]').fill(values.label);
    await page.locator('.conn.live').waitFor();

    const old = await sessionToken(page);
    const out = await api(url, old, 'DELETE', '/api/v1/session');
    assert.equal(out.status, 204, JSON.stringify(out.body));

    // The push channel is closed at once and the console asks, with no click: a watch console
    // must not sit there without alerts.
    const dialog = page.getByRole('dialog', { name: 'Session expired' });
    await dialog.waitFor();
    await page.locator('.conn.offline').waitFor();
    // Meanwhile city-police writes on the channel: it must arrive once the session is back.
    const missed = 'Ferry landing: two police boats at the pier until 1700Z.';
    const sent = await api(url, polAdmin, 'POST', `/api/v1/channels/${ch.body.id}/messages`, {
      text: missed,
      precedence: 'routine',
    });
    assert.equal(sent.status, 201, JSON.stringify(sent.body));

    await dialog.locator('input[name=password]').fill(demoPassword('coalition.operator'));
    await dialog.locator('button[type=submit]').click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('.conn.live').waitFor();
    assert.notEqual(await sessionToken(page), old, 'a new session');
    for (const [field, v] of Object.entries(values)) {
      assert.equal(await page.locator(`input[name=${field}]`).inputValue(), v, `${field} kept`);
    }
    assert.equal(await page.locator('select[name=kind]').inputValue(), 'strike');

    // The action completes on the new session, with the form as it was.
    await page.locator('button[data-action=dry-run]').click();
    await page.locator('[data-testid=dry-run-result]', { hasText: /conflict/i }).waitFor();

    // The message written while the session was gone arrived through the resumed stream.
    await page.locator('button[data-tab=hotline]').click();
    await page.locator(`[data-testid=channels] [data-channel-id="${ch.body.id}"]`).click();
    await page.locator('.message', { hasText: missed }).waitFor();
    await assertClean(p);
    await p.context.close();
  });

  it('amend and withdraw from the Detail panel: the form filled, v2 submitted, then withdrawn', {
    timeout: 120_000,
  }, async () => {
    // Far from the demo's theatre, so that nothing else conflicts with it.
    const p = await open('coalition.operator', 'declare');
    const page = p.page;
    await page.locator('select[name=kind]').selectOption('strike');
    await page.locator('input[name=position]').fill('44.0000, 26.5000');
    await page.locator('button[data-action=use-position]').click();
    await page.locator('input[name=buffer_m]').fill('50');
    await page.locator('input[name=start]').fill(iso(day + 20 * HOUR));
    await page.locator('input[name=end]').fill(iso(day + 21 * HOUR));
    await page.locator('input[name=label]').fill('Amend probe');
    await page.locator('button[data-action=submit]').click();
    const v1 = page.locator('[data-testid=submit-result] a[data-declaration-id][data-version="1"]');
    await v1.waitFor();
    const id = (await v1.getAttribute('data-declaration-id')) as string;

    // The result's link selects it: the Detail panel shows it with Amend and Withdraw.
    await v1.click();
    const detail = page.locator(`[data-testid=detail][data-id="${id}"] article.dt-decl`);
    await detail.locator('button[data-action=amend]:not([disabled])').click();
    await page.locator('[data-testid=amending]', { hasText: `Amending ${id} v1` }).waitFor();
    assert.equal(await page.locator('input[name=label]').inputValue(), 'Amend probe');
    assert.equal(await page.locator('input[name=buffer_m]').inputValue(), '50');
    assert.equal(await page.locator('button[data-action=submit]').textContent(), 'Submit v2');
    await page.locator('input[name=label]').fill('Amend probe, moved');
    await page.locator('button[data-action=submit]').click();
    const v2 = page.locator(`[data-testid=submit-result] a[data-declaration-id="${id}"][data-version="2"]`);
    await page.locator('[data-testid=submit-result]', { hasText: 'Amended' }).waitFor();
    await page.locator('[data-testid=amending]').waitFor({ state: 'hidden' });

    // Withdrawn from the Detail panel, once confirmed.
    await v2.click();
    await detail.locator('h3', { hasText: 'Amend probe, moved' }).waitFor();
    page.once('dialog', (d) => void d.accept());
    await detail.locator('button[data-action=withdraw]').click();
    await page.locator('.dt-status', { hasText: 'Withdrawn: Amend probe, moved.' }).waitFor();
    const r = await api(
      url,
      await tokenOf('coalition.operator'),
      'GET',
      `/api/v1/declarations/${encodeURIComponent(id)}`,
    );
    assert.equal(r.body.properties.status, 'withdrawn', JSON.stringify(r.body));
    assert.equal(r.body.properties.version, 2);
    await assertClean(p);
    await p.context.close();
  });

  it('declares a restricted corridor (a line with a buffer) and a ground-only area from the form', {
    timeout: 120_000,
  }, async () => {
    // Far from the demo's theatre, so that nothing else conflicts with them.
    const p = await open('coalition.operator', 'declare');
    const page = p.page;
    // The result of this submission: the newest link, once it names another declaration than the
    // previous submission's (whose result stays on screen until the new one replaces it).
    let previous: string | null = null;
    const submitted = async (): Promise<string> => {
      await page.locator('button[data-action=submit]').click();
      const handle = await page.waitForFunction((prev) => {
        const links = document.querySelectorAll(
          '[data-testid=submit-result] a[data-declaration-id][data-version="1"]',
        );
        const id = links[links.length - 1]?.getAttribute('data-declaration-id') ?? null;
        return id !== null && id !== prev ? id : null;
      }, previous);
      previous = (await handle.jsonValue()) as string;
      return previous;
    };
    const declaration = async (id: string) =>
      api(url, await tokenOf('coalition.operator'), 'GET', `/api/v1/declarations/${encodeURIComponent(id)}`);

    // Two positions for a restricted zone: a corridor along the road between them.
    await page.locator('select[name=kind]').selectOption('restricted_zone');
    assert.equal(
      await page.locator('[data-action=draw-line]').isVisible(),
      true,
      'a zone may be drawn as a line',
    );
    assert.equal(await page.locator('[data-action=draw-point]').isVisible(), true, 'or as a point');
    await page.locator('input[name=position]').fill('43.1000, 28.1000; 43.1500, 28.2000');
    await page.locator('button[data-action=use-position]').click();
    await page.locator('[data-testid=geometry] b', { hasText: 'line' }).waitFor();
    await page.locator('input[name=buffer_m]').fill('500');
    await page.locator('input[name=start]').fill(iso(day + 30 * HOUR));
    await page.locator('input[name=end]').fill(iso(day + 31 * HOUR));
    await page.locator('input[name=label]').fill('Corridor along the coast road');
    const corridor = (await declaration(await submitted())).body;
    assert.equal(corridor.geometry.type, 'LineString', JSON.stringify(corridor));
    assert.equal(corridor.properties.kind, 'restricted_zone');
    assert.equal(corridor.properties.buffer_m, 500);

    // An area of responsibility held on the ground only: the box shows for areas alone.
    assert.equal(await page.locator('input[name=ground_only]').isVisible(), false);
    await page.locator('select[name=kind]').selectOption('area_of_responsibility');
    await page.locator('input[name=ground_only]').check();
    await page.locator('input[name=position]').fill('43.3000, 28.3000; 43.3000, 28.4000; 43.4000, 28.4000');
    await page.locator('button[data-action=use-position]').click();
    await page.locator('[data-testid=geometry] b', { hasText: 'polygon' }).waitFor();
    await page.locator('input[name=buffer_m]').fill('0');
    await page.locator('input[name=start]').fill(iso(day + 30 * HOUR));
    await page.locator('input[name=end]').fill(iso(day + 40 * HOUR));
    await page.locator('input[name=label]').fill('Coastal sector, ground only');
    const area = (await declaration(await submitted())).body;
    assert.equal(area.properties.kind, 'area_of_responsibility', JSON.stringify(area));
    assert.equal(area.properties.ground_only, true);
    await assertClean(p);
    await p.context.close();
  });

  it('the guard notices a request outside the hub (so that its silence above means something)', {
    timeout: 60_000,
  }, async () => {
    const p = await person(browser, url);
    const probe = async (target: string) =>
      p.page.evaluate(async (u) => {
        await fetch(u, { mode: 'no-cors' }).catch(() => undefined);
      }, target);
    // On the console, the CSP refuses it (and says so on the console).
    await p.page.goto(`${url}/`);
    await p.page.locator('input[name=username]').waitFor();
    await probe('http://192.0.2.1/console-probe');
    // On an answer without the CSP, the route aborts it.
    await p.page.goto(`${url}/healthz`);
    await probe('http://192.0.2.1/route-probe');
    const seen = p.foreign.join('\n');
    assert.match(seen, /console: .*console-probe/, seen);
    assert.match(seen, /routed: http:\/\/192\.0\.2\.1\/route-probe/, seen);
    await p.context.close();
  });

  it('made no request outside the hub from any page', () => {
    for (const p of people) assert.deepEqual(p.foreign, []);
  });
});
