/**
 * Replies that reach the sender, and the notifying party following its notification (issue #10
 * items 1 and 3), in a real browser (Debian's chromium through playwright-core) against a real
 * hub process started with the demo (`deconflict serve --demo`, a temporary data directory, port
 * 0).
 *
 * The served hub runs on the real clock, so lateness is made short through the hub's own options:
 * `--ack-deadlines 5,0.1,0.1,240` gives `immediate` and `priority` alerts 6-second steps (flash
 * keeps 5 minutes, so the pre-strike call is answered in time on a loaded machine). The demo's
 * own alerts are about activities that start tomorrow, whose steps are stretched to hours
 * (src/hub/deadlines.ts), so they stay quiet.
 *
 * - The pre-strike call: coalition's watch officer sends a flash message on a channel with
 *   northern-forces; northern-forces' watch officer acknowledges it in the Hotline panel with a
 *   reply typed in the field beside Acknowledge; the reply appears under the message in the
 *   sender's console (within 5 s; the delay measured is printed), and the hub holds it. An
 *   `immediate` message left unanswered shows "late since … — escalated …" at the sender, whose
 *   inbox says "northern-forces has not acknowledged your immediate message"; acknowledged late
 *   from the receiver's console, the sender sees the reply and that it came after the deadline,
 *   and its alert closes.
 * - The notifying party: relief-agency notifies a convoy (starting in 20 minutes) to coalition
 *   and northern-forces; both let the first deadline pass; relief-agency's watch officer is
 *   alerted ("… has not acknowledged your notification"), opens the alert and sees in the Detail
 *   panel's "Notified" section both parties overdue; coalition acknowledges with a reply and the
 *   section turns to "acknowledged" with the reply while northern-forces stays overdue — as the
 *   hub's `GET /declarations/{id}/notifications` says.
 * Nothing leaves the hub, nothing is thrown in a page, no page is wider than 1366 px.
 * Screenshots (hotline.png, hotline-ack.png, detail-notified.png) only when SCREENSHOTS is set
 * (`SCREENSHOTS=docs/screenshots` refreshes the README's; see test/support/browser.ts).
 *
 * Run: node --import tsx --test test/console.hotline.e2e.test.ts (needs Debian's chromium).
 */
import assert from 'node:assert/strict';
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
  screenshot,
  textOf,
} from './support/browser.ts';
import { demoPassword } from './support/hub.ts';
import { demoApi, type Served } from './support/serve.ts';
import { HOUR, iso, MIN } from './support/time.ts';

const SENDER = 'coalition';
const RECEIVER = 'northern-forces';
const AGENCY = 'relief-agency';
/** Long enough for a step to pass on a loaded machine (steps here are 6 s). */
const LATE = 60_000;

const CALL =
  'FLASH: strike on the Deir ez-Zor bridge depot at 0300Z. Confirm none of your people are within 2 km.';
const REPLY = 'Received. Our patrol leaves the depot by 0230Z; no personnel within 2 km after that.';
const FOLLOW_UP = 'IMMEDIATE: confirm your air defence holds fire on the corridor 0250–0320Z.';
const LATE_REPLY = 'Confirmed late: air defence holds fire 0250–0320Z.';
const AGENCY_REPLY = 'Convoy cleared through our checkpoints; escort waits at the bridge.';

interface Receipt {
  party: string;
  acked_at: string | null;
  reply: string | null;
  escalated_at: string | null;
}
interface Message {
  id: string;
  text: string;
  receipts: Receipt[];
}
interface Alert {
  id: string;
  subject_type: string;
  subject: string;
  status: string;
  closed_reason: string | null;
  summary: { unacknowledged_by?: string };
}

describe('hotline replies and notification state in the console', () => {
  let hub: Served;
  let url: string;
  let dir: string;
  let browser: Browser;
  const people: Person[] = [];

  /** API calls as demo accounts, with the test's own tokens (one login each). */
  const { as } = demoApi(() => url, demoPassword);

  /** A browser context logged in as `username`, showing `tab`. */
  const open = async (username: string, tab: string): Promise<Person> => {
    const p = await person(browser, url);
    // The first seconds of a console (WebGL in SwiftShader) can hold its main thread for long on a
    // loaded machine: every step may take as long as a first load.
    p.page.setDefaultTimeout(LOAD);
    people.push(p);
    await logIn(p, url, username, demoPassword(username));
    await p.page.locator(`button[data-tab=${tab}]`).click();
    return p;
  };

  /** A screenshot, only when asked for (SCREENSHOTS): these pictures are the README's. */
  const picture = async (page: Page, name: string): Promise<void> => {
    if (process.env.SCREENSHOTS) await screenshot(page, name);
  };

  /** A message of the channel as `username` reads it over the API. */
  const messageAs = async (username: string, channel: string, body: string): Promise<Message> => {
    const r = await as(username, 'GET', `/api/v1/channels/${channel}/messages`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const m = (r.body.messages as Message[]).find((x) => x.text === body);
    assert.ok(m, `no message "${body}" for ${username}`);
    return m;
  };

  before(async () => {
    ({ dir, hub, url, browser } = await openDemoConsole('hotline-e2e', ['--ack-deadlines', '5,0.1,0.1,240']));
  });

  after(() => closeDemoConsole({ dir, hub, browser }));

  it('a flash call acknowledged with a reply reaches the sender; an unanswered one shows late', {
    timeout: 300_000,
  }, async () => {
    // The channel: opened by coalition's admin, accepted by northern-forces' admin.
    const made = await as(`${SENDER}.admin`, 'POST', '/api/v1/channels', {
      name: 'Deconfliction line',
      parties: [RECEIVER],
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const channel = made.body.id as string;
    const accepted = await as(`${RECEIVER}.admin`, 'POST', `/api/v1/channels/${channel}/accept`);
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));

    // One after the other: two first loads at once on two loaded cores can take minutes.
    const coa = await open(`${SENDER}.watch`, 'hotline');
    const nf = await open(`${RECEIVER}.watch`, 'hotline');
    for (const p of [coa, nf])
      await p.page.locator(`[data-testid=channels] [data-channel-id="${channel}"]`).click();

    // The call, from coalition's console.
    await coa.page.locator('textarea[name=text]').fill(CALL);
    await coa.page.locator('select[name=precedence]').selectOption('flash');
    await coa.page.locator('button[data-action=send]').click();

    // northern-forces answers in the Hotline panel: the reply field beside Acknowledge.
    const got = nf.page.locator('.message', { hasText: CALL });
    await got.locator('input[name=reply]').fill(REPLY);
    await picture(nf.page, 'hotline-ack.png');
    const sent = coa.page.locator('.message', { hasText: CALL });
    const answer = sent.locator(`.receipt[data-party="${RECEIVER}"][data-stage=acknowledged] .rc-reply`, {
      hasText: REPLY,
    });
    const t0 = performance.now();
    await got.locator('button[data-action=ack-message]').click();
    await answer.waitFor({ timeout: 10_000 });
    const delay = performance.now() - t0;
    console.log(`reply shown at the sender ${delay.toFixed(0)} ms after Acknowledge was clicked`);

    // The sender's line for northern-forces: delivered, read, acknowledged; the reply under it.
    const line = await textOf(coa.page, `.message:has-text("${CALL}") .receipt[data-party="${RECEIVER}"]`);
    assert.match(line, new RegExp(`^${RECEIVER}: delivered \\S+ · read \\S+ · acknowledged \\S+`), line);
    assert.doesNotMatch(line, /late/, 'answered within its deadline');
    // The receiver's console no longer asks, and shows its own answer.
    await got.locator('.ack-row').waitFor({ state: 'detached' });
    await got.locator(`.receipt[data-party="${RECEIVER}"] .rc-reply`, { hasText: REPLY }).waitFor();
    // The hub holds the reply, for the sender too.
    const held = await messageAs(`${SENDER}.watch`, channel, CALL);
    assert.equal(held.receipts.find((r) => r.party === RECEIVER)?.reply, REPLY);

    // An immediate message nobody answers: late at the sender, and an alert in its inbox.
    await coa.page.locator('textarea[name=text]').fill(FOLLOW_UP);
    await coa.page.locator('select[name=precedence]').selectOption('immediate');
    await coa.page.locator('button[data-action=send]').click();
    const follow = coa.page.locator('.message', { hasText: FOLLOW_UP });
    const late = follow.locator(`.receipt[data-party="${RECEIVER}"][data-stage=late]`);
    await late.waitFor({ timeout: LATE });
    assert.match(
      (await late.textContent()) ?? '',
      /late since \d{6}Z[A-Z]{3}\d{2} — (escalated to their (senior officer|party admin)|unanswered after every escalation)/,
    );
    await picture(coa.page, 'hotline.png');

    await coa.page.locator('button[data-tab=watch]').click();
    const card = coa.page.locator(
      `[data-testid=inbox] .alert:has(.late-by[data-unacknowledged-by="${RECEIVER}"])`,
    );
    await card.first().waitFor();
    assert.match(
      (await card.first().textContent()) ?? '',
      new RegExp(`${RECEIVER} has not acknowledged your immediate message: .*${FOLLOW_UP.slice(0, 30)}`),
    );

    // Acknowledged late, from the receiver's console: the sender sees the reply and the lateness,
    // and its alert about the silence closes.
    const overdue = nf.page.locator('.message', { hasText: FOLLOW_UP });
    await overdue.locator('input[name=reply]').fill(LATE_REPLY);
    await overdue.locator('input[name=reply]').press('Enter');
    await coa.page.locator('button[data-tab=hotline]').click();
    const lateAnswer = follow.locator(`.receipt[data-party="${RECEIVER}"][data-stage=acknowledged]`);
    await lateAnswer.locator('.rc-reply', { hasText: LATE_REPLY }).waitFor({ timeout: 10_000 });
    assert.match((await lateAnswer.textContent()) ?? '', /acknowledged \S+ \(late: deadline missed \S+\)/);
    const alerts = await as(`${SENDER}.watch`, 'GET', '/api/v1/alerts?limit=1000');
    const silence = (alerts.body.alerts as Alert[]).filter(
      (a) => a.subject_type === 'message' && a.summary.unacknowledged_by === RECEIVER,
    );
    assert.equal(silence.length, 1, JSON.stringify(silence));
    assert.equal(silence[0]?.status, 'closed');
    assert.equal(silence[0]?.closed_reason, 'acknowledged');

    await assertClean(coa, nf);
    await coa.context.close();
    await nf.context.close();
  });

  it('the notifying party sees who acknowledged its convoy, with the reply, and who is overdue', {
    timeout: 300_000,
  }, async () => {
    // A convoy starting in 20 minutes: imminent, so its notification keeps the 6-second steps.
    const start = Date.now() + 20 * MIN;
    const convoy = {
      type: 'Feature',
      geometry: {
        type: 'LineString',
        coordinates: [
          [40.13, 35.33],
          [40.15, 35.34],
          [40.17, 35.36],
        ],
      },
      properties: {
        id: 'convoy-deir-ez-zor-7',
        kind: 'movement',
        start: iso(start),
        end: iso(start + 3 * HOUR),
        buffer_m: 100,
        notify: [SENDER, RECEIVER],
        label: 'Aid convoy 7: 9 trucks to the Deir ez-Zor bridge',
      },
    };
    const put = await as(`${AGENCY}.operator`, 'POST', '/api/v1/declarations', convoy);
    assert.equal(put.status, 201, JSON.stringify(put.body));
    const id = `${AGENCY}:${convoy.properties.id}`;

    // The agency's watch officer is alerted that the forces let the deadline pass.
    const ra = await open(`${AGENCY}.watch`, 'watch');
    const card = ra.page.locator(
      `[data-testid=inbox] .alert:has(.late-by[data-unacknowledged-by="${SENDER}"])`,
    );
    await card.first().waitFor({ timeout: LATE });
    assert.match(
      (await card.first().textContent()) ?? '',
      new RegExp(`${SENDER} has not acknowledged your notification of ${convoy.properties.label}`),
    );

    // Its Detail panel: the convoy, and each notified party overdue.
    await card.first().locator('.alert-head').click();
    const section = ra.page.locator(`[data-testid=detail] [data-testid=notified][data-declaration="${id}"]`);
    const item = (party: string, status: string) =>
      section.locator(`li.nt-item[data-party="${party}"][data-status=${status}]`);
    await item(SENDER, 'overdue').waitFor();
    await item(RECEIVER, 'overdue').waitFor();
    assert.match(
      (await item(RECEIVER, 'overdue').textContent()) ?? '',
      /overdue since \d{6}Z[A-Z]{3}\d{2} — /,
    );

    // coalition acknowledges, with a reply: the section follows, without reloading.
    const theirs = await as(`${SENDER}.watch`, 'GET', '/api/v1/alerts?limit=1000');
    const alert = (theirs.body.alerts as Alert[]).find(
      (a) => a.subject_type === 'notification' && a.subject === id && a.status === 'open',
    );
    assert.ok(alert, `coalition has no open notification alert about ${id}`);
    const ack = await as(`${SENDER}.watch`, 'POST', `/api/v1/alerts/${alert.id}/ack`, {
      reply: AGENCY_REPLY,
    });
    assert.equal(ack.status, 200, JSON.stringify(ack.body));
    const acked = item(SENDER, 'acknowledged');
    await acked.locator('.nt-reply', { hasText: AGENCY_REPLY }).waitFor({ timeout: 10_000 });
    assert.match(
      (await acked.textContent()) ?? '',
      /acknowledged \d{6}Z[A-Z]{3}\d{2} \(late: deadline missed /,
    );
    await item(RECEIVER, 'overdue').waitFor();
    assert.match(
      await textOf(ra.page, '[data-testid=notified] h4'),
      /Notified \(2\) · 1 acknowledged, 1 overdue/,
    );
    await picture(ra.page, 'detail-notified.png');

    // The hub says the same.
    const state = await as(
      `${AGENCY}.watch`,
      'GET',
      `/api/v1/declarations/${encodeURIComponent(id)}/notifications`,
    );
    assert.equal(state.status, 200, JSON.stringify(state.body));
    const byParty = new Map(
      (state.body.notifications as { party: string; status: string; reply: string | null }[]).map((n) => [
        n.party,
        n,
      ]),
    );
    assert.equal(byParty.get(SENDER)?.status, 'acknowledged');
    assert.equal(byParty.get(SENDER)?.reply, AGENCY_REPLY);
    assert.equal(byParty.get(RECEIVER)?.status, 'overdue');

    await assertClean(ra);
    await ra.context.close();
  });
});
