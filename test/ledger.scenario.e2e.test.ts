/**
 * The notification scenario of issue #14 end to end (docs/transparency.md §4, §6): a hub started
 * in this process with the demo (so that its clock can be moved), the console in a real browser
 * (Debian's chromium through playwright-core), and the real `deconflict verify` command.
 *
 * - relief-agency's operator declares a field hospital (a protected site, category medical) and
 *   notifies it to coalition and northern-forces;
 * - coalition's watch officer, in the console, generates and registers a key in the Keys & record
 *   panel and acknowledges the notification with a reply: the card reads "signed by
 *   coalition.watch key <id>";
 * - northern-forces never acknowledges: as the hub's clock passes its deadlines its alert climbs
 *   senior officer → party admin → overdue, and the agency reads it overdue (the coalition
 *   acknowledged, signed by that key);
 * - the agency's receipts of the signed acknowledgement and of its own alert that northern-forces
 *   let the deadline pass (`unacknowledged_by`) each verify offline with
 *   `node bin/deconflict.js verify --receipt FILE` (exit 0, pinned to the hub's key); the
 *   acknowledgement's receipt with its reply changed fails (exit 1, the payload named);
 * - a later strike by the coalition beside the hospital is a conflict, and the hub records the
 *   agency's own `conflict.notice_acknowledged` entry (in its list of entries): the conflict, the
 *   hospital, that the coalition acknowledged, when, the acknowledgement's entry and the key that
 *   signed it — nothing of the strike's declaration; the striker's `conflict.detected` entry is
 *   not the agency's to read (404). That receipt verifies offline too.
 * Nothing leaves the hub from the page, nothing is thrown in it. Receipts are written to a
 * temporary directory, never into the repository.
 *
 * Run: node --import tsx --test test/ledger.scenario.e2e.test.ts (needs Debian's chromium).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { NotificationsView, SubmissionResult } from '../src/api/declarations.ts';
import type { EntryView, LogView, ReceiptView } from '../src/api/ledger.ts';
import type { AlertView } from '../src/api/watch.ts';
import { loadDemo } from '../src/hub/demo.ts';
import {
  assertClean,
  buildConsole,
  CHROMIUM,
  chromiumAvailable,
  generateKeyInConsole,
  LOAD,
  launch,
  logIn,
  person,
  ROOT,
  textOf,
} from './support/browser.ts';
import { assertError, demoPassword, ok, sessions, startHub, type TestHub } from './support/hub.ts';
import { DAY, HOUR, iso, MIN } from './support/time.ts';

const AGENCY = 'relief-agency';
const WATCH = 'coalition.watch';
const SILENT = 'northern-forces';
const PASSPHRASE = 'Field hospital watch desk 2026';
const REPLY = 'Hospital entered on our no-strike list; strike cells briefed.';
/** West of the demo's river line, clear of its areas, sites and air routes. */
const HOSPITAL: [number, number] = [21.12, 46.1];
/** About 45 m from the hospital: inside a 100 m buffer. */
const STRIKE: [number, number] = [21.1205, 46.1002];
const BIN = join(ROOT, 'bin', 'deconflict.js');

type Submission = {
  declarations: SubmissionResult['declarations'];
  conflicts: { id: string; a: { id?: string; party: string }; b: { id?: string; party: string } }[];
};

/** `node bin/deconflict.js ARGS` as a child process (never blocking the hub served in this one). */
function cli(args: string[]): Promise<{ status: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b) => {
      out += b;
    });
    child.stderr.on('data', (b) => {
      err += b;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, out, err });
    });
  });
}

describe('a relief agency notifies a hospital to two forces, end to end', () => {
  let t: TestHub;
  let url: string;
  let browser: Browser;
  let tmp: string;
  const s = sessions(() => t, { renewAfter_ms: 6 * HOUR });

  before(async () => {
    assert.ok(chromiumAvailable(), `the browser tests need Debian's chromium at ${CHROMIUM}`);
    // Built before the app is: the app serves the console only if web/dist has it when built.
    buildConsole();
    tmp = mkdtempSync(join(tmpdir(), 'deconflict-scenario-e2e-'));
    t = await startHub({ demo: false });
    // The browser signs with the real clock, and the hub refuses statements 10 minutes off its own.
    t.clock.set(Date.now());
    await loadDemo(t.hub);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await t?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** Every entry the user's party may see (GET /api/v1/ledger/entries, page by page). */
  const entriesOf = async (user: string): Promise<EntryView[]> => {
    const all: EntryView[] = [];
    for (let from: number | null = 1; from !== null; ) {
      const page: { entries: EntryView[]; next: number | null } = ok(
        await s.req(user, 'GET', `/api/v1/ledger/entries?from=${from}&limit=1000`),
      );
      all.push(...page.entries);
      from = page.next;
    }
    return all;
  };

  const notifications = async (hospital: string) =>
    new Map(
      ok<NotificationsView>(
        await s.req(`${AGENCY}.operator`, 'GET', `/api/v1/declarations/${hospital}/notifications`),
      ).notifications.map((n) => [n.party, n]),
    );

  /** The agency's receipt of an entry, written to a file, checked by `deconflict verify`. */
  const verified = async (
    seq: number,
    hubKey: string,
  ): Promise<{ receipt: ReceiptView; file: string; out: string }> => {
    const res = await s.req(`${AGENCY}.watch`, 'GET', `/api/v1/receipts/${seq}`);
    const receipt = ok<ReceiptView>(res);
    assert.equal(receipt.format, 'deconflict.receipt/1');
    assert.equal(receipt.entry.seq, seq);
    assert.ok(receipt.entry.payload !== undefined, 'the agency may see the payload');
    const file = join(tmp, `receipt-${seq}.json`);
    writeFileSync(file, res.body);
    const r = await cli(['verify', '--receipt', file, '--hub-key', hubKey]);
    assert.equal(r.status, 0, r.out + r.err);
    assert.match(
      r.out,
      new RegExp(
        `^receipt holds: entry ${seq} \\(${receipt.entry.type.replace('.', '\\.')}\\) in the checkpoint of size \\d+, root \\S+, .*payload verified\\n$`,
      ),
    );
    return { receipt, file, out: r.out };
  };

  it('one force acknowledges signed in the console, the other is overdue; receipts verify offline; a later strike carries the proof', {
    timeout: 600_000,
  }, async () => {
    // 1. The agency declares the hospital and notifies both forces.
    const now = t.clock.now();
    const site = {
      type: 'Feature',
      geometry: { type: 'Point', coordinates: HOSPITAL },
      properties: {
        id: 'scenario-field-hospital',
        kind: 'protected_site',
        category: 'medical',
        label: 'Field hospital',
        start: iso(now),
        end: iso(now + 3 * DAY),
        notify: ['coalition', SILENT],
      },
    };
    const declared = ok<Submission>(
      await s.req(`${AGENCY}.operator`, 'POST', '/api/v1/declarations', site),
      201,
    );
    const hospital = declared.declarations[0]?.id as string;
    assert.ok(hospital, JSON.stringify(declared));
    const { alerts } = ok<{ alerts: AlertView[] }>(await s.req(WATCH, 'GET', '/api/v1/alerts?limit=1000'));
    const notice = alerts.find((a) => a.subject_type === 'notification' && a.subject === hospital);
    assert.ok(notice, `coalition is not notified of ${hospital}`);
    const silentAlerts = ok<{ alerts: AlertView[] }>(
      await s.req(`${SILENT}.watch`, 'GET', '/api/v1/alerts?limit=1000'),
    ).alerts;
    assert.ok(
      silentAlerts.some((a) => a.subject_type === 'notification' && a.subject === hospital),
      `${SILENT} is not notified of ${hospital}`,
    );

    // 2. Coalition's watch officer, in the console: a key generated and registered, then the
    // notification acknowledged with a reply, signed.
    const p = await person(browser, url);
    p.page.setDefaultTimeout(LOAD);
    const { page } = p;
    await logIn(p, url, WATCH, demoPassword(WATCH));
    await page.locator('button[data-tab=record]').click();
    await page
      .locator('[data-testid=record-line]')
      .filter({ hasText: /Record verified up to entry \d+ at / })
      .waitFor();
    const keyId = await generateKeyInConsole(page, 'watch desk, scenario', PASSPHRASE);
    const keys = ok<{ keys: { id: string; username: string; revoked_at: string | null }[] }>(
      await s.req(WATCH, 'GET', '/api/v1/keys'),
    ).keys;
    assert.ok(
      keys.some((k) => k.id === keyId && k.username === WATCH && k.revoked_at === null),
      `key ${keyId} is not registered: ${JSON.stringify(keys)}`,
    );
    await page.locator('[data-testid=record-cosigned]', { hasText: `with key ${keyId}` }).waitFor();

    await page.locator('button[data-tab=watch]').click();
    const card = page.locator(`.alert[data-alert-id="${notice.id}"]`).first();
    await card.locator('input[name=reply]').fill(REPLY);
    await card.locator('button[data-action=ack]').click();
    await card.locator('.attest.signed').waitFor();
    assert.equal(
      await textOf(page, `.alert[data-alert-id="${notice.id}"] .attest-by`),
      `signed by ${WATCH} key ${keyId}`,
    );
    await assertClean(p);
    // The page's part is done: closed before the hub's clock moves hours ahead of the browser's.
    await p.context.close();

    // 3. Northern-forces never acknowledges: its deadlines pass, level after level.
    const levels: string[] = [];
    for (let step = 0; step < 24; step++) {
      t.clock.advance(30 * MIN);
      await t.hub.runDue();
      const level = (await notifications(hospital)).get(SILENT)?.level as string;
      if (levels.at(-1) !== level) levels.push(level);
      if (level === 'overdue') break;
    }
    assert.deepEqual(levels, ['watch_officer', 'senior_officer', 'party_admin', 'overdue']);
    const states = await notifications(hospital);
    const silent = states.get(SILENT);
    assert.equal(silent?.status, 'overdue', JSON.stringify(silent));
    assert.equal(silent?.acknowledged_at, null);
    assert.equal(silent?.signed_by, null);
    assert.ok(silent?.escalated_at, JSON.stringify(silent));
    const acked = states.get('coalition');
    assert.equal(acked?.status, 'acknowledged', JSON.stringify(acked));
    assert.equal(acked?.reply, REPLY);
    const ackEntry = acked?.entry as number;
    assert.ok(Number.isInteger(ackEntry) && ackEntry > 0, JSON.stringify(acked));
    assert.deepEqual(acked?.signed_by, { username: WATCH, key: keyId, entry: ackEntry });

    // 4. The agency's receipts, verified offline by the real command, pinned to the hub's key.
    const log = ok<LogView>(await s.req(`${AGENCY}.watch`, 'GET', '/api/v1/ledger/checkpoint'));
    const hubKey = log.hub_keys.at(-1)?.verifier_key as string;
    assert.ok(hubKey, JSON.stringify(log.hub_keys));

    const ack = await verified(ackEntry, hubKey);
    assert.equal(ack.receipt.entry.type, 'alert.acknowledged');
    assert.equal(ack.receipt.signed?.statement.act, 'alert.acknowledge');
    assert.equal(ack.receipt.signed?.statement.subject, notice.id);
    assert.equal(ack.receipt.signed?.statement.reply, REPLY);
    assert.equal(ack.receipt.signed?.statement.by, WATCH);
    assert.equal(ack.receipt.signed?.key, keyId);
    assert.equal(ack.receipt.signer?.key, keyId);
    assert.match(ack.out, new RegExp(`signed by ${WATCH} with key ${keyId} \\(registered at entry \\d+\\)`));

    const own = await entriesOf(`${AGENCY}.watch`);
    const late = own.find(
      (e) =>
        e.type === 'alert.raised' &&
        e.party === AGENCY &&
        (e.payload as { unacknowledged_by?: string; subject?: string } | undefined)?.unacknowledged_by ===
          SILENT &&
        (e.payload as { subject?: string }).subject === hospital,
    );
    assert.ok(late, `no alert.raised of ${AGENCY} saying ${SILENT} did not acknowledge`);
    const silence = await verified(late.seq, hubKey);
    assert.equal((silence.receipt.entry.payload as { unacknowledged_by: string }).unacknowledged_by, SILENT);
    assert.match(silence.out, /, unsigned, /);
    // Raised when the first deadline passed, after the acknowledgement: it proves none had come.
    assert.ok(late.seq > ackEntry);

    // Tampered: the reply changed in a copy of the acknowledgement's receipt.
    const tampered = structuredClone(ack.receipt);
    (tampered.entry.payload as { reply: string }).reply = 'We were never told.';
    const forged = join(tmp, `receipt-${ackEntry}-tampered.json`);
    writeFileSync(forged, JSON.stringify(tampered));
    const bad = await cli(['verify', '--receipt', forged, '--hub-key', hubKey]);
    assert.equal(bad.status, 1, bad.out + bad.err);
    assert.match(bad.out, new RegExp(`^entry ${ackEntry}: the payload does not match payload_sha256`));

    // 5. A later strike by the coalition beside the hospital: the agency's record carries the proof.
    const later = t.clock.now();
    const strike = {
      type: 'Feature',
      geometry: { type: 'Point', coordinates: STRIKE },
      properties: {
        id: 'scenario-strike',
        kind: 'strike',
        start: iso(later + HOUR),
        end: iso(later + 2 * HOUR),
        buffer_m: 100,
      },
    };
    const struck = ok<Submission>(
      await s.req('coalition.operator', 'POST', '/api/v1/declarations', strike),
      201,
    );
    assert.equal(struck.conflicts.length, 1, JSON.stringify(struck.conflicts));
    const conflict = struck.conflicts[0] as Submission['conflicts'][number];
    assert.ok(
      [conflict.a, conflict.b].some((side) => side.id === hospital && side.party === AGENCY),
      JSON.stringify(conflict),
    );
    // The proof is the agency's own entry (recorded by the hub), among those it may see: who
    // acknowledged its notice, when, the acknowledgement's entry and the key that signed it — and
    // nothing of the strike but the conflict's id.
    const seen = await entriesOf(`${AGENCY}.watch`);
    const told = seen.find((e) => e.type === 'conflict.notice_acknowledged' && e.subject === conflict.id);
    assert.ok(told, `the agency has no conflict.notice_acknowledged entry of ${conflict.id}`);
    assert.equal(told.party, AGENCY);
    assert.equal(told.actor, null, 'recorded by the hub');
    assert.deepEqual(told.payload, {
      rule: 'strike_protected',
      severity: 'critical',
      declaration: hospital,
      acknowledged_by: 'coalition',
      acknowledged_at: Date.parse(acked?.acknowledged_at as string),
      entry: ackEntry,
      key: keyId,
    });
    const strikeId = [conflict.a, conflict.b].find((side) => side.party === 'coalition')?.id as string;
    assert.ok(strikeId, JSON.stringify(conflict));
    assert.equal(JSON.stringify(told.payload).includes(strikeId), false, 'the strike is not named');
    // The striking party's own record of the conflict is not the agency's to read.
    const detected = (await t.store.read((tx) => tx.ledger.range(1, 100_000))).find(
      (e) => e.type === 'conflict.detected' && e.subject === conflict.id,
    );
    assert.ok(detected, `no conflict.detected entry of ${conflict.id}`);
    assert.equal(
      seen.some((e) => e.seq === detected.seq),
      false,
      'the agency lists the striker’s conflict.detected entry',
    );
    assertError(await s.req(`${AGENCY}.watch`, 'GET', `/api/v1/receipts/${detected.seq}`), 404, 'not_found');
    const proof = await verified(told.seq, hubKey);
    assert.equal(proof.receipt.entry.type, 'conflict.notice_acknowledged');
    assert.deepEqual(proof.receipt.entry.payload, told.payload);
    assert.match(proof.out, /, unsigned, /);
  });
});
