/**
 * The record in the console (issue #14, docs/transparency.md), in a real browser (Debian's
 * chromium through playwright-core) against a real hub process started with the demo
 * (`deconflict serve --demo`, a temporary data directory, port 0).
 *
 * One member, coalition's watch officer, in one browser:
 * - the console witnesses the hub's record on load: "Record verified up to entry N at <DTG>";
 * - an alert acknowledged without a key reads "unsigned" (and the hub says signed_by null);
 * - a key is generated under a passphrase in the Keys & record panel and registered: the hub lists
 *   it, the browser keeps it sealed (PBKDF2 ≥ 600,000 iterations, AES-GCM), and the console
 *   cosigns the checkpoint it verified (the hub's published checkpoint names the key);
 * - an alert acknowledged with a reply reads "signed by coalition.watch key <id>"; the hub's alert
 *   names that key; the receipt downloaded from the card holds the signed statement, whose reply
 *   is the one typed and whose signature verifies with the registered key;
 * - a risk accepted in the Detail panel, a hotline channel read and a flash call acknowledged are
 *   signed too: the ledger entries hold the statements (reason, read mark), and the sender reads
 *   who signed the answer;
 * - the kept checkpoint replaced in localStorage by one of the same size and another root, the
 *   page served again shows the red banner naming the sizes, and — the key exported, forgotten,
 *   imported back and unlocked — cosigns nothing; trusted anew, it verifies and cosigns again;
 * - the key revoked from the list of registered keys: the hub says so, and so does the panel.
 * Nothing leaves the hub, nothing is thrown in the page, the page is no wider than 1366 px.
 *
 * Run: node --import tsx --test test/console.ledger.e2e.test.ts (needs Debian's chromium).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type Signed, verifyStatement } from '../src/ledger/statement.ts';
import {
  assertClean,
  closeDemoConsole,
  generateKeyInConsole,
  LOAD,
  loaded,
  logIn,
  openDemoConsole,
  person,
  screenshot,
  textOf,
} from './support/browser.ts';
import { demoPassword } from './support/hub.ts';
import { demoApi, type Served } from './support/serve.ts';

const WATCH = 'coalition.watch';
const PASSPHRASE = 'Mures line night watch 2026';
const REPLY = 'Received. Strike package holds until the convoy clears grid 38S MB 4512.';
const OTHER = 'northern-forces';
const CALL = 'FLASH: confirm your patrol is clear of the Deir ez-Zor bridge depot by 0230Z.';
const HOTLINE_REPLY = 'Patrol clear of the depot by 0215Z.';
const RISK_REASON = 'Patrol withdrawn south of the river before the window opens.';
/** Two well-formed roots (32 bytes of base64, canonical): forged roots for the kept checkpoint. */
const ZEROS = `${'A'.repeat(43)}=`;
const ONES = `${'B'.repeat(42)}A=`;
const DTG = /\d{6}Z[A-Z]{3}\d{2}/;

interface Alert {
  id: string;
  subject_type: string;
  subject: string;
  status: string;
  ack: {
    reply: string | null;
    entry: number | null;
    signed_by: { username: string; key: string; entry: number } | null;
  } | null;
}

interface RegisteredKey {
  id: string;
  username: string;
  public_key: string;
  revoked_at: string | null;
}

interface MessageReceipt {
  party: string;
  reply: string | null;
  signed_by: { username: string; key: string; entry: number } | null;
}

describe('the record in the console: signed acknowledgements, receipts, the witness', () => {
  let hub: Served;
  let url: string;
  let dir: string;
  let browser: Browser;
  const { as: asUser } = demoApi(() => url, demoPassword);
  const as = (method: string, path: string, body?: unknown) => asUser(WATCH, method, path, body);

  before(async () => {
    ({ dir, hub, url, browser } = await openDemoConsole('ledger-e2e'));
  });

  after(() => closeDemoConsole({ dir, hub, browser }));

  /** The member's open alerts, as the hub has them. */
  const openAlerts = async (): Promise<Alert[]> => {
    const r = await as('GET', '/api/v1/alerts?limit=1000');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return (r.body.alerts as Alert[]).filter((a) => a.status === 'open');
  };
  const alertById = async (id: string): Promise<Alert> => {
    const r = await as('GET', `/api/v1/alerts/${id}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body as Alert;
  };

  /** The member's ledger entry of a type about a subject (GET /api/v1/ledger/entries, page by page). */
  const ledgerEntry = async (type: string, subject: string) => {
    for (let from: number | null = 1; from !== null; ) {
      const r = await as('GET', `/api/v1/ledger/entries?from=${from}&limit=1000`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const found = (
        r.body.entries as { type: string; subject: string; payload: { signed?: Signed } }[]
      ).find((e) => e.type === type && e.subject === subject);
      if (found) return found;
      from = r.body.next;
    }
    throw new Error(`no ${type} entry about ${subject}`);
  };

  /** Acknowledge an alert from its card in the Watch panel, with a reply. */
  const acknowledge = async (page: Page, id: string, reply: string): Promise<void> => {
    await page.locator('button[data-tab=watch]').click();
    const card = page.locator(`.alert[data-alert-id="${id}"]`).first();
    await card.locator('input[name=reply]').fill(reply);
    await card.locator('button[data-action=ack]').click();
  };

  /** The JSON a download started by `click` saved. */
  const downloaded = async (
    page: Page,
    click: () => Promise<void>,
  ): Promise<{ name: string; json: unknown }> => {
    const [download] = await Promise.all([page.waitForEvent('download'), click()]);
    const path = await download.path();
    return { name: download.suggestedFilename(), json: JSON.parse(readFileSync(path, 'utf8')) };
  };

  /** The key made in the browser: its id, its public half as registered, its sealed file. */
  interface Key {
    id: string;
    publicKey: string;
    sealed: unknown;
  }

  /** On load: the hub's checkpoint verified and said so; returns the size verified. */
  const witnessedOnLoad = async (page: Page): Promise<number> => {
    await page.locator('button[data-tab=record]').click();
    await page
      .locator('[data-testid=record-line]')
      .filter({ hasText: /Record verified up to entry \d+ at / })
      .waitFor();
    const said = await textOf(page, '[data-testid=record-line]');
    assert.match(said, new RegExp(`^Record verified up to entry (\\d+) at ${DTG.source}$`), said);
    const log = await as('GET', '/api/v1/ledger/checkpoint');
    const size = Number(/entry (\d+)/.exec(said)?.[1]);
    assert.ok(size >= 1 && size <= log.body.latest.size, `${size} vs ${log.body.latest.size}`);
    assert.match(await textOf(page, '[data-testid=record-state]'), /^✓ record \d+$/);
    return size;
  };

  /** Without a key: acknowledged unsigned, and said so (with its receipt all the same). */
  const unsignedAck = async (page: Page, alert: Alert): Promise<void> => {
    await acknowledge(page, alert.id, 'Seen, no key yet.');
    const card = page.locator(`.alert[data-alert-id="${alert.id}"]`).first();
    await card.locator('.attest.unsigned').waitFor();
    assert.equal((await alertById(alert.id)).ack?.signed_by, null);
    await card.locator('.attest a.receipt-link').waitFor();
  };

  /** A key generated under a passphrase, sealed in the browser, registered, cosigning. */
  const generateKey = async (page: Page, cosignPosts: string[]): Promise<Key> => {
    const id = await generateKeyInConsole(page, 'watch desk, e2e', PASSPHRASE);
    const keys = await as('GET', '/api/v1/keys');
    const registered = (keys.body.keys as RegisteredKey[]).find((k) => k.id === id);
    assert.ok(registered, `key ${id} is not registered: ${JSON.stringify(keys.body)}`);
    assert.equal(registered.username, WATCH);
    assert.equal(registered.revoked_at, null);
    const stored = await page.evaluate((k) => localStorage.getItem(k), `deconflict.member-key:${WATCH}`);
    const sealed = JSON.parse(stored ?? 'null');
    assert.equal(sealed.id, id);
    assert.equal(sealed.kdf.name, 'PBKDF2');
    assert.ok(sealed.kdf.iterations >= 600_000);
    assert.equal(sealed.cipher.name, 'AES-GCM');
    assert.equal(sealed.public_key, registered.public_key);
    // The console cosigns what it verified, once its key may sign.
    await page.locator('[data-testid=record-cosigned]', { hasText: `with key ${id}` }).waitFor();
    assert.ok(cosignPosts.length >= 1, 'no cosignature was posted');
    await picture(page, 'record-panel.png');
    const log = await as('GET', '/api/v1/ledger/checkpoint');
    assert.ok(
      log.body.published?.cosigned_by.some((c: { key: string }) => c.key === id),
      `the hub's published checkpoint is not cosigned by ${id}: ${JSON.stringify(log.body.published)}`,
    );
    return { id, publicKey: registered.public_key, sealed };
  };

  /** Signed: the acknowledgement names the key, in the console and at the hub; its receipt holds the reply. */
  const signedAck = async (page: Page, alert: Alert, key: Key): Promise<void> => {
    await acknowledge(page, alert.id, REPLY);
    const card = page.locator(`.alert[data-alert-id="${alert.id}"]`).first();
    await card.locator('.attest.signed').waitFor();
    assert.equal(
      await textOf(page, `.alert[data-alert-id="${alert.id}"] .attest-by`),
      `signed by ${WATCH} key ${key.id}`,
    );
    const acked = await alertById(alert.id);
    assert.equal(acked.ack?.reply, REPLY);
    assert.equal(acked.ack?.signed_by?.username, WATCH);
    assert.equal(acked.ack?.signed_by?.key, key.id);
    const entry = acked.ack?.entry;
    assert.ok(typeof entry === 'number' && entry > 0, JSON.stringify(acked.ack));
    await card.scrollIntoViewIfNeeded();
    await picture(page, 'record-signed.png');
    const receipt = await downloaded(page, () => card.locator('a.receipt-link').click());
    assert.equal(receipt.name, `receipt-${entry}.json`);
    const r = receipt.json as { format: string; entry: { seq: number }; signed: Signed };
    assert.equal(r.format, 'deconflict.receipt/1');
    assert.equal(r.entry.seq, entry);
    assert.equal(r.signed.statement.reply, REPLY);
    assert.equal(r.signed.statement.act, 'alert.acknowledge');
    assert.equal(r.signed.statement.subject, alert.id);
    assert.equal(r.signed.statement.by, WATCH);
    assert.equal(r.signed.key, key.id);
    assert.ok(verifyStatement(r.signed, key.publicKey), 'the receipt’s signature does not verify');
  };

  /** A risk accepted from the Detail panel is signed: the ledger entry holds the statement. */
  const signedRisk = async (page: Page, alert: Alert, key: Key): Promise<void> => {
    await page.locator('button[data-tab=watch]').click();
    await page.locator(`.alert[data-alert-id="${alert.id}"] .alert-head`).first().click();
    const detail = page.locator('[data-testid=detail]');
    await detail.locator('input[name=risk-reason]').fill(RISK_REASON);
    await detail.locator('button[data-action=accept-risk]').click();
    await detail.locator('.dt-acceptance', { hasText: RISK_REASON }).waitFor();
    const accepted = await ledgerEntry('conflict.risk_accepted', alert.subject);
    assert.equal(accepted.payload.signed?.statement.reason, RISK_REASON);
    assert.equal(accepted.payload.signed?.statement.act, 'risk.accept');
    assert.equal(accepted.payload.signed?.key, key.id);
  };

  /** A hotline call read and acknowledged: both signed; the sender reads who signed the answer. */
  const signedHotline = async (page: Page, key: Key): Promise<void> => {
    const made = await asUser('coalition.admin', 'POST', '/api/v1/channels', {
      name: 'Signed line',
      parties: [OTHER],
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const channel = made.body.id as string;
    assert.equal((await asUser(`${OTHER}.admin`, 'POST', `/api/v1/channels/${channel}/accept`)).status, 200);
    const body = { text: CALL, precedence: 'flash' };
    const sent = await asUser(`${OTHER}.watch`, 'POST', `/api/v1/channels/${channel}/messages`, body);
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    await page.locator('button[data-tab=hotline]').click();
    await page.locator(`[data-testid=channels] [data-channel-id="${channel}"]`).click();
    const call = page.locator(`.message[data-message-id="${sent.body.id}"]`);
    await call.locator('input[name=reply]').fill(HOTLINE_REPLY);
    await call.locator('button[data-action=ack-message]').click();
    await call.locator('.receipt[data-party=coalition] .attest.signed').waitFor();
    const atSender = await asUser(`${OTHER}.watch`, 'GET', `/api/v1/channels/${channel}/messages`);
    const answer = (atSender.body.messages as { id: string; receipts: MessageReceipt[] }[])
      .find((m) => m.id === sent.body.id)
      ?.receipts.find((x) => x.party === 'coalition');
    assert.equal(answer?.reply, HOTLINE_REPLY);
    assert.equal(answer?.signed_by?.key, key.id, JSON.stringify(answer));
    const read = await ledgerEntry('message.read', channel);
    assert.equal(read.payload.signed?.statement.up_to, sent.body.seq);
    assert.equal(read.payload.signed?.key, key.id);
  };

  /** The kept checkpoint replaced by one of the same size and another root; the page served again. */
  const rewriteKept = async (page: Page, verifiedSize: number): Promise<number> => {
    const origin = (await as('GET', '/api/v1/ledger/checkpoint')).body.origin as string;
    const store = `deconflict.checkpoint:${origin}`;
    const kept = await page.evaluate((k) => JSON.parse(localStorage.getItem(k) ?? 'null'), store);
    assert.ok(kept && kept.size >= verifiedSize, `nothing kept for ${origin}`);
    const forged = JSON.stringify({ ...kept, root: kept.root === ZEROS ? ONES : ZEROS });
    await page.evaluate(([k, v]) => localStorage.setItem(k as string, v as string), [store, forged]);
    await page.reload();
    await loaded(page);
    return kept.size;
  };

  /** The red banner names the sizes; the top bar says the record failed. */
  const caught = async (page: Page, keptSize: number): Promise<void> => {
    await page
      .locator('[data-testid=history-alarm]')
      .filter({ hasText: 'The hub showed a different history' })
      .waitFor();
    const said = await textOf(page, '[data-testid=history-alarm]');
    assert.match(said, new RegExp(`kept ${keptSize} entries, shown \\d+ entries`), said);
    assert.match(await textOf(page, '[data-testid=record-state]'), /^✗ record$/);
    await picture(page, 'record-split-view.png');
  };

  /** The key exported, forgotten, imported back, refused a wrong passphrase, unlocked. */
  const keyRoundTrip = async (page: Page, key: Key): Promise<void> => {
    await page.locator('button[data-tab=record]').click();
    await page.locator('[data-key-status=locked]').waitFor();
    const exported = await downloaded(page, () =>
      page.locator('button[data-action=export-key-file]').click(),
    );
    assert.deepEqual(exported.json, key.sealed);
    await page.locator('button[data-action=forget]').click();
    await page.locator('form.rk-new').waitFor();
    await page.locator('input[name=key-file]').setInputFiles({
      name: 'key.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(exported.json)),
    });
    await page.locator('[data-key-status=locked]').waitFor();
    await page.locator('input[name=unlock-passphrase]').fill('not the passphrase');
    await page.locator('button[data-action=unlock-key]').click();
    await page.locator('[data-testid=record-key] .error', { hasText: 'wrong passphrase' }).waitFor();
    await page.locator('input[name=unlock-passphrase]').fill(PASSPHRASE);
    await page.locator('button[data-action=unlock-key]').click();
    await page.locator(`[data-key-status=signing][data-key-id="${key.id}"]`).waitFor();
  };

  it('a member signs with a key kept in the browser; the receipt holds the reply; a rewritten history is caught', {
    timeout: 300_000,
  }, async () => {
    const p = await person(browser, url);
    p.page.setDefaultTimeout(LOAD);
    const { page } = p;
    const cosignPosts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/api/v1/ledger/cosignatures')) cosignPosts.push(r.url());
    });
    // Forgetting the key asks for confirmation.
    page.on('dialog', (d) => void d.accept());
    await logIn(p, url, WATCH, demoPassword(WATCH));

    const verifiedSize = await witnessedOnLoad(page);
    const alerts = await openAlerts();
    const [unsigned, signed] = alerts;
    const risky = alerts.find((x) => x.subject_type === 'conflict' && x !== unsigned && x !== signed);
    assert.ok(
      unsigned && signed && risky,
      'the demo gives coalition two open alerts and a third about a conflict',
    );
    await unsignedAck(page, unsigned);
    const key = await generateKey(page, cosignPosts);
    await signedAck(page, signed, key);
    await signedRisk(page, risky, key);
    await signedHotline(page, key);

    // Another history: caught, and — even with the key unlocked again — nothing cosigned.
    const cosignedBefore = cosignPosts.length;
    await caught(page, await rewriteKept(page, verifiedSize));
    await keyRoundTrip(page, key);
    await page.locator('button[data-action=check-record]').click();
    await page
      .locator('[data-testid=record-line]', { hasText: 'The hub showed a different history' })
      .waitFor();
    // Let the check the unlock started finish before counting.
    await page.waitForTimeout(1_000);
    assert.equal(cosignPosts.length, cosignedBefore, 'the console cosigned a history it caught as different');

    // Trusted anew (the difference explained): the banner goes, the record is verified and cosigned again.
    await page.locator('button[data-action=trust-anew]').click();
    await page.locator('[data-testid=history-alarm]').waitFor({ state: 'hidden' });
    await page
      .locator('[data-testid=record-line]', { hasText: /^Record verified up to entry \d+ at / })
      .waitFor();
    await page.locator('[data-testid=record-cosigned]', { hasText: `with key ${key.id}` }).waitFor();
    assert.ok(cosignPosts.length > cosignedBefore, 'no cosignature once the record was trusted anew');

    // Revoked from the list of registered keys: the hub records it, the key signs nothing more.
    await page
      .locator(`[data-testid=record-keys] button[data-action=revoke-key][data-key-id="${key.id}"]`)
      .click();
    await page.locator(`[data-key-status=revoked][data-key-id="${key.id}"]`).waitFor();
    const keys = await as('GET', '/api/v1/keys');
    const revoked = (keys.body.keys as RegisteredKey[]).find((k) => k.id === key.id);
    assert.ok(revoked?.revoked_at, `key ${key.id} is not revoked: ${JSON.stringify(revoked)}`);
    await assertClean(p);
  });
});

/** A screenshot, only when asked for (SCREENSHOTS). */
async function picture(page: Page, name: string): Promise<void> {
  if (process.env.SCREENSHOTS) await screenshot(page, name);
}
