/**
 * The watch's escalation (docs/design.md §5, issue #4), through the HTTP API where a person acts and
 * `hub.runDue()` where the scheduler would, on a real hub (SQLite in a temporary directory) with
 * a manual clock:
 *
 * - an unacknowledged alert escalates at exactly its deadline, never a millisecond early, to
 *   whoever holds the next level at the deadline itself (a roster hand-over decides it), then to
 *   the party admin, then becomes overdue — in the alert, in the ledger and in the party's stream;
 * - an acknowledgement stops the chain and is told to the other party;
 * - a restart loses, repeats and advances nothing (durable deadlines);
 * - a resolved conflict closes its open alerts;
 * - each precedence has its own deadline, and the hub's `deadlines` option changes them;
 * - the roster API validates, is the party admin's to edit and is the party's own;
 * - with nobody rostered, an alert goes to every member holding the role, flagged uncovered.
 *
 * Every hub here loads the demo's parties, accounts and roster (the `.watch` and `.senior` of each
 * party on call from T0 for 14 days) but an empty scenario: no demo conflict raises alerts, so
 * `runDue()`'s counts are exact. Declarations sit far east of the demo (longitudes 23–25).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AlertView, EventView, RosterView as Roster, ShiftView as Shift } from '../src/api/watch.ts';
import type { LedgerEntry } from '../src/domain/records.ts';
import { loadDemo } from '../src/hub/demo.ts';
import type { HubOptions } from '../src/hub/hub.ts';
import {
  assertError,
  demoPassword,
  ok,
  type Sessions,
  sessions,
  startHub,
  T0,
  type TestHub,
} from './support/hub.ts';
import { own } from './support/ids.ts';
import { DAY, HOUR, iso, MIN } from './support/time.ts';

/** A stream event as tests read it: the wire's, its data a JSON object. */
type StreamEvent = Omit<EventView, 'data'> & { data: Json };

type Json = Record<string, unknown>;

interface Step {
  level: string;
  due_at: string;
  at: string;
  to: string[];
  uncovered?: true;
}
// --- A hub with the demo's parties, accounts and roster, and no declarations -------------------

const scratch = mkdtempSync(join(tmpdir(), 'deconflict-watch-escalation-'));
const EMPTY_SCENARIO = join(scratch, 'empty.geojson');
writeFileSync(EMPTY_SCENARIO, JSON.stringify({ type: 'FeatureCollection', features: [] }));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** The password of the members the tests add (the demo's accounts have their own). */
const MEMBER_PASSWORD = 'a-long-enough-password';
const isDemo = (username: string): boolean => /\.(operator|watch|senior|admin)$/.test(username);

/** A hub, and requests as its accounts (logged in again once a session may have expired). */
interface WatchHub extends TestHub {
  req: Sessions['req'];
}

function withLogins(t: TestHub): WatchHub {
  const { req } = sessions(() => t, {
    renewAfter_ms: 6 * HOUR,
    password: (username) => (isDemo(username) ? demoPassword(username) : MEMBER_PASSWORD),
  });
  return Object.assign(t, { req });
}

async function watchHub(options: { dir?: string; hub?: HubOptions } = {}): Promise<WatchHub> {
  const t = await startHub({ demo: false, ...options });
  assert.equal(await loadDemo(t.hub, EMPTY_SCENARIO), true);
  return withLogins(t);
}

/** The same directory opened by a new hub (a restart); its clock starts at T0 until set. */
async function reopen(dir: string, at: number): Promise<WatchHub> {
  const t = await startHub({ dir, demo: false });
  t.clock.set(at);
  return withLogins(t);
}

// --- Declarations ------------------------------------------------------------------------------

function feature(geometry: Json, properties: Json) {
  return { type: 'Feature', geometry, properties };
}

function strike(id: string, lon: number, lat: number, extra: Json = {}) {
  return feature(
    { type: 'Point', coordinates: [lon, lat] },
    {
      id,
      kind: 'strike',
      // From the clock's start (T0): imminent, so the base deadlines apply (no lead time).
      start: '2026-11-22T00:00:00Z',
      end: '2026-11-24T00:00:00Z',
      buffer_m: 100,
      ...extra,
    },
  );
}

function site(id: string, lon: number, lat: number, category: string) {
  return feature(
    { type: 'Point', coordinates: [lon, lat] },
    {
      id,
      kind: 'protected_site',
      category,
      start: '2026-11-01T00:00:00Z',
      end: '2027-01-01T00:00:00Z',
      buffer_m: 200,
    },
  );
}

/** A square area of responsibility of side `d` degrees from its south-west corner. */
function aor(id: string, lon: number, lat: number, d: number) {
  return feature(
    {
      type: 'Polygon',
      coordinates: [
        [
          [lon, lat],
          [lon + d, lat],
          [lon + d, lat + d],
          [lon, lat + d],
          [lon, lat],
        ],
      ],
    },
    { id, kind: 'area_of_responsibility', start: '2026-11-22T00:00:00Z', end: '2026-11-28T00:00:00Z' },
  );
}

/** Declare as `username`; returns the ids of the conflicts found. */
async function declare(t: WatchHub, username: string, f: unknown): Promise<string[]> {
  const body = ok<{ conflicts: { id: string; severity: string }[] }>(
    await t.req(username, 'POST', '/api/v1/declarations', f),
    201,
  );
  return body.conflicts.map((c) => c.id);
}

/**
 * A city-police medical site and a coalition strike next to it (rule strike_protected,
 * critical): one `flash` alert at each party. Declared at the clock's now.
 */
async function flashConflict(t: WatchHub, tag: string, lon: number, lat: number) {
  assert.deepEqual(await declare(t, 'city-police.operator', site(`${tag}-site`, lon, lat, 'medical')), []);
  const [conflict, ...more] = await declare(
    t,
    'coalition.operator',
    strike(`${tag}-strike`, lon + 0.001, lat + 0.0005),
  );
  assert.ok(conflict);
  assert.deepEqual(more, []);
  return {
    conflict,
    strike: own('coalition', `${tag}-strike`),
    police: await alertAbout(t, 'city-police.watch', conflict),
    coalition: await alertAbout(t, 'coalition.watch', conflict),
  };
}

/** The alert of the caller's party about a subject (there is exactly one). */
async function alertAbout(t: WatchHub, username: string, subject: string): Promise<AlertView> {
  const { alerts } = ok<{ alerts: AlertView[] }>(await t.req(username, 'GET', '/api/v1/alerts'));
  const mine = alerts.filter((a) => a.subject === subject);
  assert.equal(mine.length, 1, `${username}: alerts about ${subject}: ${JSON.stringify(alerts)}`);
  return mine[0] as AlertView;
}

async function alert(t: WatchHub, username: string, id: string): Promise<AlertView> {
  return ok<AlertView>(await t.req(username, 'GET', `/api/v1/alerts/${id}`));
}

async function events(t: WatchHub, username: string): Promise<StreamEvent[]> {
  return ok<{ events: StreamEvent[] }>(await t.req(username, 'GET', '/api/v1/events?after=0&limit=1000'))
    .events;
}

/** The ledger entries about one subject, as (type, at, payload). */
async function ledgerOf(t: WatchHub, subject: string) {
  const all: LedgerEntry[] = await t.hub.store.read((tx) => tx.ledger.range(1, 100000));
  return all
    .filter((e) => e.subject === subject)
    .map((e) => ({ type: e.type, at: e.at, payload: e.payload }));
}

// --- Roster ------------------------------------------------------------------------------------

async function roster(t: WatchHub, username: string, query = ''): Promise<Roster> {
  return ok<Roster>(await t.req(username, 'GET', `/api/v1/roster${query}`));
}

async function addShift(
  t: WatchHub,
  admin: string,
  role: string,
  username: string,
  start: number,
  end: number,
) {
  return ok<Shift>(
    await t.req(admin, 'POST', '/api/v1/roster', { role, username, start: iso(start), end: iso(end) }),
    201,
  );
}

/** Remove a party's shifts for a role (the demo's), through the API. */
async function clearShifts(t: WatchHub, party: string, role: string): Promise<void> {
  const admin = `${party}.admin`;
  for (const s of (await roster(t, admin)).shifts.filter((x) => x.role === role)) {
    assert.equal((await t.req(admin, 'DELETE', `/api/v1/roster/${s.id}`)).statusCode, 204);
  }
}

async function addMember(t: WatchHub, party: string, username: string, roles: string[]): Promise<void> {
  ok(
    await t.req(`${party}.admin`, 'POST', `/api/v1/parties/${party}/members`, {
      username,
      password: MEMBER_PASSWORD,
      roles,
    }),
    201,
  );
}

/** Move the clock to `at` and do what is due; returns the number of escalations. */
async function runAt(t: WatchHub, at: number): Promise<number> {
  t.clock.set(at);
  return (await t.hub.runDue()).escalated;
}

// --- 1. Deadlines and the roster at the deadline ------------------------------------------------

describe('an unacknowledged flash alert escalates at exactly each deadline', () => {
  let t: WatchHub;
  before(async () => {
    t = await watchHub();
  });
  after(() => t.close());

  it('goes to the senior on call at the deadline (after a hand-over), then the party admin, then overdue', async () => {
    // Senior A (the demo's) on call until T0+3 min, senior B from then on.
    await addMember(t, 'city-police', 'city-police.senior-b', ['senior_officer']);
    await clearShifts(t, 'city-police', 'senior_officer');
    await addShift(t, 'city-police.admin', 'senior_officer', 'city-police.senior', T0, T0 + 3 * MIN);
    await addShift(
      t,
      'city-police.admin',
      'senior_officer',
      'city-police.senior-b',
      T0 + 3 * MIN,
      T0 + 7 * DAY,
    );
    assert.deepEqual((await roster(t, 'city-police.watch')).on_call_now.senior_officer, [
      'city-police.senior',
    ]);

    const { police, coalition } = await flashConflict(t, 'esc', 23.1, 44.1);
    assert.equal(police.precedence, 'flash');
    assert.equal(police.status, 'open');
    assert.equal(police.level, 'watch_officer');
    assert.equal(police.escalated, false);
    assert.deepEqual(police.to, ['city-police.watch']);
    assert.equal(police.created_at, iso(T0));
    assert.equal(police.due_at, iso(T0 + 5 * MIN));
    assert.deepEqual(police.escalations, []);
    assert.equal(coalition.due_at, iso(T0 + 5 * MIN));

    // One millisecond before the deadline: nothing.
    assert.equal(await runAt(t, T0 + 5 * MIN - 1), 0);
    assert.equal((await alert(t, 'city-police.watch', police.id)).level, 'watch_officer');

    // At the deadline: senior B, who is on call then (A handed over at T0+3 min).
    assert.equal(await runAt(t, T0 + 5 * MIN), 2);
    const one = await alert(t, 'city-police.watch', police.id);
    assert.equal(one.level, 'senior_officer');
    assert.equal(one.escalated, true);
    assert.equal(one.status, 'open');
    assert.deepEqual(one.to, ['city-police.senior-b']);
    assert.equal(one.due_at, iso(T0 + 10 * MIN));
    const toSenior: Step = {
      level: 'senior_officer',
      due_at: iso(T0 + 5 * MIN),
      at: iso(T0 + 5 * MIN),
      to: ['city-police.senior-b'],
    };
    assert.deepEqual(one.escalations, [toSenior]);
    // The other party escalates on its own roster.
    assert.deepEqual((await alert(t, 'coalition.watch', coalition.id)).to, ['coalition.senior']);

    // The next deadline: the party admin.
    assert.equal(await runAt(t, T0 + 10 * MIN - 1), 0);
    assert.equal(await runAt(t, T0 + 10 * MIN), 2);
    const two = await alert(t, 'city-police.watch', police.id);
    assert.equal(two.level, 'party_admin');
    assert.deepEqual(two.to, ['city-police.admin']);
    assert.equal(two.due_at, iso(T0 + 15 * MIN));
    const toAdmin: Step = {
      level: 'party_admin',
      due_at: iso(T0 + 10 * MIN),
      at: iso(T0 + 10 * MIN),
      to: ['city-police.admin'],
    };
    assert.deepEqual(two.escalations, [toSenior, toAdmin]);

    // The last: overdue. It stays open, with no further deadline.
    assert.equal(await runAt(t, T0 + 15 * MIN - 1), 0);
    assert.equal(await runAt(t, T0 + 15 * MIN), 2);
    const three = await alert(t, 'city-police.watch', police.id);
    assert.equal(three.level, 'overdue');
    assert.equal(three.status, 'open');
    assert.equal(three.due_at, null);
    assert.deepEqual(three.escalations, [
      toSenior,
      toAdmin,
      { level: 'overdue', due_at: iso(T0 + 15 * MIN), at: iso(T0 + 15 * MIN), to: [] },
    ]);
    assert.equal(await runAt(t, T0 + 2 * DAY), 0);
    assert.equal(await t.hub.nextDue(), null);

    // The ledger: raised, escalated twice, overdue — each at its deadline, to whom it went.
    assert.deepEqual(
      (await ledgerOf(t, police.id)).map(({ type, at, payload }) => ({ type, at, payload })),
      [
        {
          type: 'alert.raised',
          at: T0,
          payload: {
            subject_type: 'conflict',
            subject: police.subject,
            precedence: 'flash',
            due_at: T0 + 5 * MIN,
            to: ['city-police.watch'],
          },
        },
        {
          type: 'alert.escalated',
          at: T0 + 5 * MIN,
          payload: { level: 'senior_officer', due_at: T0 + 5 * MIN, to: ['city-police.senior-b'] },
        },
        {
          type: 'alert.escalated',
          at: T0 + 10 * MIN,
          payload: { level: 'party_admin', due_at: T0 + 10 * MIN, to: ['city-police.admin'] },
        },
        {
          type: 'alert.overdue',
          at: T0 + 15 * MIN,
          payload: { level: 'overdue', due_at: T0 + 15 * MIN, to: [] },
        },
      ],
    );

    // The party's stream tells its consoles each step.
    const steps = (await events(t, 'city-police.senior-b'))
      .filter((e) => e.data.id === police.id)
      .map((e) => [e.type, e.at, e.data.level]);
    assert.deepEqual(steps, [
      ['alert.created', iso(T0), 'watch_officer'],
      ['alert.escalated', iso(T0 + 5 * MIN), 'senior_officer'],
      ['alert.escalated', iso(T0 + 10 * MIN), 'party_admin'],
      ['alert.overdue', iso(T0 + 15 * MIN), 'overdue'],
    ]);
  });

  it('a late pass still sends the escalation to whoever was on call at the deadline, not at the pass', async () => {
    const start = T0 + 3 * DAY;
    t.clock.set(start);
    await addMember(t, 'coalition', 'coalition.senior-b', ['senior_officer']);
    await clearShifts(t, 'coalition', 'senior_officer');
    // B holds the senior watch over [start+3, start+7) min only; A before and after.
    await addShift(t, 'coalition.admin', 'senior_officer', 'coalition.senior', start, start + 3 * MIN);
    await addShift(
      t,
      'coalition.admin',
      'senior_officer',
      'coalition.senior-b',
      start + 3 * MIN,
      start + 7 * MIN,
    );
    await addShift(
      t,
      'coalition.admin',
      'senior_officer',
      'coalition.senior',
      start + 7 * MIN,
      start + 7 * DAY,
    );
    const { coalition } = await flashConflict(t, 'late', 23.2, 44.2);

    // The hub gets round to it at start+8 min, when A is back on call: it still goes to B.
    t.clock.set(start + 8 * MIN);
    assert.deepEqual((await roster(t, 'coalition.admin')).on_call_now.senior_officer, ['coalition.senior']);
    assert.equal((await t.hub.runDue()).escalated, 2);
    const a = await alert(t, 'coalition.watch', coalition.id);
    assert.deepEqual(a.to, ['coalition.senior-b']);
    assert.deepEqual(a.escalations, [
      {
        level: 'senior_officer',
        due_at: iso(start + 5 * MIN),
        at: iso(start + 8 * MIN),
        to: ['coalition.senior-b'],
      },
    ]);
    // The next deadline counts from the deadline, not from the late pass.
    assert.equal(a.due_at, iso(start + 10 * MIN));
  });
});

// --- 2. Acknowledgement ------------------------------------------------------------------------

describe('acknowledging an alert', () => {
  let t: WatchHub;
  before(async () => {
    t = await watchHub();
  });
  after(() => t.close());

  it('stops the chain for good, and the other party sees the acknowledgement (not who made it)', async () => {
    const { conflict, police, coalition } = await flashConflict(t, 'ack', 23.3, 44.3);
    assert.equal(await runAt(t, T0 + 5 * MIN), 2);
    assert.equal((await alert(t, 'city-police.senior', police.id)).level, 'senior_officer');

    t.clock.set(T0 + 7 * MIN);
    const reply = 'Strike cell informed; checking the hospital perimeter.';
    const acked = ok<AlertView>(
      await t.req('city-police.senior', 'POST', `/api/v1/alerts/${police.id}/ack`, { reply }),
    );
    assert.equal(acked.status, 'acknowledged');
    assert.equal(acked.level, 'senior_officer');
    assert.equal(acked.due_at, null);
    assert.deepEqual(acked.ack, {
      username: 'city-police.senior',
      at: iso(T0 + 7 * MIN),
      reply,
      entry: acked.ack?.entry,
      signed_by: null,
    });
    assert.ok(Number.isInteger(acked.ack?.entry), 'its ledger entry, for its receipt');
    assert.deepEqual(await alert(t, 'city-police.watch', police.id), acked);

    // The coalition reads it on its own alert about the conflict, and in its stream: the party,
    // the reply, the time.
    assert.deepEqual((await alert(t, 'coalition.watch', coalition.id)).peers, [
      { party: 'city-police', acknowledged: true, acknowledged_at: iso(T0 + 7 * MIN), reply },
    ]);
    // The coalition's stream carries the acknowledgement: the party, the reply, the time.
    const notices = (await events(t, 'coalition.watch')).filter((e) => e.type === 'acknowledgement');
    assert.equal(notices.length, 1);
    assert.equal(notices[0]?.at, iso(T0 + 7 * MIN));
    assert.deepEqual(notices[0]?.data, {
      subject_type: 'conflict',
      subject: conflict,
      party: 'city-police',
      at: iso(T0 + 7 * MIN),
      reply,
    });
    // The acknowledging party's own stream has the alert's new state.
    const ownEvents = (await events(t, 'city-police.watch')).filter(
      (e) => e.type === 'alert.acknowledged' && e.data.id === police.id,
    );
    assert.equal(ownEvents.length, 1);

    // However far the clock moves, this alert escalates no more; the coalition's still does.
    assert.equal(await runAt(t, T0 + 10 * MIN), 1);
    assert.equal((await alert(t, 'coalition.watch', coalition.id)).level, 'party_admin');
    await runAt(t, T0 + 2 * DAY);
    assert.deepEqual(await alert(t, 'city-police.watch', police.id), acked);
    const types = (await ledgerOf(t, police.id)).map((e) => e.type);
    assert.deepEqual(types, ['alert.raised', 'alert.escalated', 'alert.acknowledged']);
    const [ackEntry] = (await ledgerOf(t, police.id)).filter((e) => e.type === 'alert.acknowledged');
    // What it was about, and who was told (the coalition may fetch its receipt); unsigned.
    assert.deepEqual(ackEntry?.payload, {
      reply,
      level: 'senior_officer',
      subject_type: 'conflict',
      subject: conflict,
      audience: ['coalition'],
    });
  });

  it('is refused to an operator (403), for another party’s alert (404), a second time (409), with an overlong reply (400)', async () => {
    const { police } = await flashConflict(t, 'ack2', 23.4, 44.4);
    const url = `/api/v1/alerts/${police.id}/ack`;
    assertError(await t.req('city-police.operator', 'POST', url, { reply: 'seen' }), 403, 'forbidden');
    assertError(await t.req('coalition.watch', 'POST', url, { reply: 'seen' }), 404, 'not_found');
    assertError(await t.req('coalition.watch', 'GET', `/api/v1/alerts/${police.id}`), 404, 'not_found');
    assertError(
      await t.req('city-police.watch', 'POST', url, { reply: 'x'.repeat(2001) }),
      400,
      'invalid_request',
      'reply',
    );
    assert.equal((await alert(t, 'city-police.watch', police.id)).status, 'open');

    const first = ok<AlertView>(await t.req('city-police.watch', 'POST', url, { reply: 'on it' }));
    assert.equal(first.ack?.username, 'city-police.watch');
    assertError(
      await t.req('city-police.senior', 'POST', url, { reply: 'me too' }),
      409,
      'already_acknowledged',
    );
    // The refused second acknowledgement changed nothing.
    assert.deepEqual(await alert(t, 'city-police.watch', police.id), first);
    const acks = (await ledgerOf(t, police.id)).filter((e) => e.type === 'alert.acknowledged');
    assert.equal(acks.length, 1);

    // Acknowledged by the watch officer before the first deadline: it never escalates at all.
    await runAt(t, t.clock.now() + DAY);
    const later = await alert(t, 'city-police.watch', police.id);
    assert.equal(later.level, 'watch_officer');
    assert.equal(later.escalated, false);
    assert.deepEqual(later.escalations, []);
  });
});

// --- 3. Restarts -------------------------------------------------------------------------------

describe('a restart neither loses, repeats nor advances an escalation', () => {
  it('stopped after the first escalation and restarted past two more deadlines: one step per deadline, late', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'deconflict-watch-restart-'));
    let t = await watchHub({ dir });
    let closed = false;
    try {
      const { police, coalition } = await flashConflict(t, 'rs-a', 23.5, 44.5);
      assert.equal(await runAt(t, T0 + 5 * MIN), 2);
      const before = await alert(t, 'city-police.watch', police.id);
      assert.equal(before.level, 'senior_officer');
      await t.close(true);
      closed = true;

      // Down across T0+10 and T0+15 min; back at T0+17 min.
      t = await reopen(dir, T0 + 17 * MIN);
      closed = false;
      assert.equal(await t.hub.nextDue(), T0 + 10 * MIN);
      assert.equal((await t.hub.runDue()).escalated, 4);
      for (const [user, a, party] of [
        ['city-police.watch', police, 'city-police'],
        ['coalition.watch', coalition, 'coalition'],
      ] as const) {
        const now = await alert(t, user, a.id);
        assert.equal(now.level, 'overdue');
        assert.equal(now.due_at, null);
        assert.deepEqual(now.escalations, [
          {
            level: 'senior_officer',
            due_at: iso(T0 + 5 * MIN),
            at: iso(T0 + 5 * MIN),
            to: [`${party}.senior`],
          },
          {
            level: 'party_admin',
            due_at: iso(T0 + 10 * MIN),
            at: iso(T0 + 17 * MIN),
            to: [`${party}.admin`],
          },
          { level: 'overdue', due_at: iso(T0 + 15 * MIN), at: iso(T0 + 17 * MIN), to: [] },
        ]);
      }
      // Nothing more, now or later, and nothing repeated in the ledger.
      assert.equal((await t.hub.runDue()).escalated, 0);
      assert.equal(await runAt(t, T0 + 2 * DAY), 0);
      assert.deepEqual(
        (await ledgerOf(t, police.id)).map((e) => [e.type, e.at, (e.payload as { due_at: number }).due_at]),
        [
          ['alert.raised', T0, T0 + 5 * MIN],
          ['alert.escalated', T0 + 5 * MIN, T0 + 5 * MIN],
          ['alert.escalated', T0 + 17 * MIN, T0 + 10 * MIN],
          ['alert.overdue', T0 + 17 * MIN, T0 + 15 * MIN],
        ],
      );
    } finally {
      if (!closed) await t.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('restarted before a deadline: nothing moves early, and it moves at the deadline', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'deconflict-watch-restart-'));
    let t = await watchHub({ dir });
    let closed = false;
    try {
      const { police } = await flashConflict(t, 'rs-b', 23.6, 44.6);
      assert.equal(await runAt(t, T0 + 2 * MIN), 0);
      await t.close(true);
      closed = true;

      t = await reopen(dir, T0 + 5 * MIN - 1);
      closed = false;
      assert.equal((await t.hub.runDue()).escalated, 0);
      const waiting = await alert(t, 'city-police.watch', police.id);
      assert.equal(waiting.level, 'watch_officer');
      assert.equal(waiting.due_at, iso(T0 + 5 * MIN));
      assert.equal(await runAt(t, T0 + 5 * MIN), 2);
      const moved = await alert(t, 'city-police.watch', police.id);
      assert.deepEqual(moved.escalations, [
        {
          level: 'senior_officer',
          due_at: iso(T0 + 5 * MIN),
          at: iso(T0 + 5 * MIN),
          to: ['city-police.senior'],
        },
      ]);
    } finally {
      if (!closed) await t.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('two passes at the same instant (together or one after the other) escalate once', async () => {
    const t = await watchHub();
    try {
      const { police } = await flashConflict(t, 'twice', 23.7, 44.7);
      t.clock.set(T0 + 5 * MIN);
      const together = await Promise.all([t.hub.runDue(), t.hub.runDue()]);
      assert.equal(together[0].escalated + together[1].escalated, 2);
      assert.equal((await t.hub.runDue()).escalated, 0);
      const a = await alert(t, 'city-police.watch', police.id);
      assert.equal(a.escalations.length, 1);
      const escalated = (await ledgerOf(t, police.id)).filter((e) => e.type === 'alert.escalated');
      assert.equal(escalated.length, 1);
    } finally {
      await t.close();
    }
  });
});

// --- 4. Resolution closes alerts ---------------------------------------------------------------

describe('a resolved conflict closes its open alerts', () => {
  let t: WatchHub;
  before(async () => {
    t = await watchHub();
  });
  after(() => t.close());

  it('withdrawing the strike closes both parties’ alerts as withdrawn; they never escalate again', async () => {
    const start = t.clock.now();
    const { strike: strikeId, police, coalition } = await flashConflict(t, 'wd', 24.1, 45.1);
    assert.equal(await runAt(t, start + 5 * MIN), 2);
    t.clock.set(start + 6 * MIN);
    ok(await t.req('coalition.operator', 'POST', `/api/v1/declarations/${strikeId}/withdraw`, {}));
    for (const [user, a] of [
      ['city-police.watch', police],
      ['coalition.watch', coalition],
    ] as const) {
      const closed = await alert(t, user, a.id);
      assert.equal(closed.status, 'closed');
      assert.equal(closed.closed_reason, 'withdrawn');
      assert.equal(closed.closed_at, iso(start + 6 * MIN));
      assert.equal(closed.due_at, null);
      assert.equal(closed.escalations.length, 1);
    }
    assert.equal(await runAt(t, start + 3 * DAY), 0);
    for (const [user, a] of [
      ['city-police.watch', police],
      ['coalition.watch', coalition],
    ] as const) {
      const later = await alert(t, user, a.id);
      assert.equal(later.escalations.length, 1);
      assert.equal(later.level, 'senior_officer');
      assertError(await t.req(user, 'POST', `/api/v1/alerts/${a.id}/ack`, {}), 409, 'already_acknowledged');
    }
    const types = (await ledgerOf(t, police.id)).map((e) => e.type);
    assert.deepEqual(types, ['alert.raised', 'alert.escalated', 'alert.closed']);
  });

  it('amending the strike away closes both alerts as amended', async () => {
    const start = t.clock.now();
    const { strike: strikeId, police, coalition } = await flashConflict(t, 'am', 24.3, 45.3);
    const moved = strike(strikeId, 24.35, 45.35);
    const r = ok<{ conflicts: unknown[] }>(
      await t.req('coalition.operator', 'PUT', `/api/v1/declarations/${strikeId}`, moved),
    );
    assert.deepEqual(r.conflicts, []);
    for (const [user, a] of [
      ['city-police.watch', police],
      ['coalition.watch', coalition],
    ] as const) {
      const closed = await alert(t, user, a.id);
      assert.equal(closed.status, 'closed');
      assert.equal(closed.closed_reason, 'amended');
      assert.equal(closed.due_at, null);
    }
    assert.equal(await runAt(t, start + DAY), 0);
    assert.equal((await alert(t, 'city-police.watch', police.id)).escalations.length, 0);
  });

  it('risk accepted by both parties closes both alerts as risk_accepted', async () => {
    const start = t.clock.now();
    const { conflict, police, coalition } = await flashConflict(t, 'risk', 24.2, 45.2);
    const resolve = (user: string) =>
      t.req(user, 'POST', `/api/v1/conflicts/${conflict}/resolve`, {
        resolution: 'risk_accepted',
        reason: 'Strike cancelled at the last minute if the hospital is occupied.',
      });
    ok(await resolve('city-police.senior'));
    t.clock.set(start + 2 * MIN);
    const resolved = ok<{ status: string; resolution: string }>(await resolve('coalition.senior'));
    assert.equal(resolved.status, 'resolved');
    assert.equal(resolved.resolution, 'risk_accepted');
    for (const [user, a] of [
      ['city-police.watch', police],
      ['coalition.watch', coalition],
    ] as const) {
      const closed = await alert(t, user, a.id);
      assert.equal(closed.status, 'closed');
      assert.equal(closed.closed_reason, 'risk_accepted');
      assert.equal(closed.closed_at, iso(start + 2 * MIN));
    }
    assert.equal(await runAt(t, start + 3 * DAY), 0);
    assert.equal((await alert(t, 'city-police.watch', police.id)).escalations.length, 0);
  });
});

// --- 5. Precedence and deadlines ---------------------------------------------------------------

describe('each precedence has its own deadline', () => {
  it('flash 5 min, immediate 15, priority 60 (a medium conflict and a notification), each escalating at its own', async () => {
    const t = await watchHub();
    try {
      // Critical: a strike on a hospital.
      const { police: flash } = await flashConflict(t, 'p-flash', 24.5, 46.5);
      // High: a strike on a school.
      assert.deepEqual(await declare(t, 'city-police.operator', site('p-school', 24.6, 46.5, 'school')), []);
      const [high] = await declare(t, 'coalition.operator', strike('p-high', 24.601, 46.5005));
      assert.ok(high);
      const immediate = await alertAbout(t, 'city-police.watch', high);
      // Medium: two parties' areas of responsibility overlap.
      assert.deepEqual(await declare(t, 'coalition.operator', aor('p-aor-a', 24.0, 46.0, 0.1)), []);
      const [medium] = await declare(t, 'northern-forces.operator', aor('p-aor-b', 24.05, 46.05, 0.1));
      assert.ok(medium);
      const priority = await alertAbout(t, 'northern-forces.watch', medium);
      // A notification: relief-agency is asked to acknowledge a coalition strike.
      assert.deepEqual(
        await declare(t, 'coalition.operator', strike('p-notify', 24.9, 46.9, { notify: ['relief-agency'] })),
        [],
      );
      const notice = await alertAbout(t, 'relief-agency.watch', own('coalition', 'p-notify'));
      assert.equal(notice.subject_type, 'notification');

      const expected: [AlertView, string, string, number][] = [
        [flash, 'city-police.watch', 'flash', 5],
        [immediate, 'city-police.watch', 'immediate', 15],
        [priority, 'northern-forces.watch', 'priority', 60],
        [notice, 'relief-agency.watch', 'priority', 60],
      ];
      for (const [a, , precedence, minutes] of expected) {
        assert.equal(a.precedence, precedence, a.subject);
        assert.equal(a.due_at, iso(T0 + minutes * MIN), a.subject);
      }
      // Each moves at its own deadline, not a millisecond before. (Counts would mix in the
      // later steps of the shorter deadlines: the alerts' own levels are what is checked.)
      for (const minutes of [5, 15, 60]) {
        const mine = expected.filter((x) => x[3] === minutes);
        await runAt(t, T0 + minutes * MIN - 1);
        for (const [a, user] of mine) assert.equal((await alert(t, user, a.id)).level, 'watch_officer');
        await runAt(t, T0 + minutes * MIN);
        for (const [a, user] of mine) {
          const moved = await alert(t, user, a.id);
          assert.equal(moved.level, 'senior_officer', a.subject);
          assert.equal(moved.due_at, iso(T0 + 2 * minutes * MIN), a.subject);
          assert.equal(moved.escalations[0]?.due_at, iso(T0 + minutes * MIN), a.subject);
        }
      }

      // The notification's acknowledgement reaches the declaring party.
      const reply = 'Convoy held north of the river until 13:00.';
      ok(await t.req('relief-agency.senior', 'POST', `/api/v1/alerts/${notice.id}/ack`, { reply }));
      const told = (await events(t, 'coalition.watch')).filter(
        (e) => e.type === 'acknowledgement' && e.data.subject === own('coalition', 'p-notify'),
      );
      assert.deepEqual(
        told.map((e) => e.data),
        [
          {
            subject_type: 'notification',
            subject: own('coalition', 'p-notify'),
            party: 'relief-agency',
            at: iso(T0 + 60 * MIN),
            reply,
          },
        ],
      );
    } finally {
      await t.close();
    }
  });

  it('the hub option `deadlines` changes a precedence’s deadlines and leaves the others', async () => {
    const t = await watchHub({ hub: { deadlines: { flash: [60_000, 120_000, 180_000] } } });
    try {
      const { police } = await flashConflict(t, 'opt', 24.5, 46.5);
      assert.equal(police.due_at, iso(T0 + 1 * MIN));
      assert.deepEqual(
        await declare(t, 'city-police.operator', site('opt-school', 24.6, 46.5, 'school')),
        [],
      );
      const [high] = await declare(t, 'coalition.operator', strike('opt-high', 24.601, 46.5005));
      assert.ok(high);
      assert.equal((await alertAbout(t, 'city-police.watch', high)).due_at, iso(T0 + 15 * MIN));

      assert.equal(await runAt(t, T0 + 1 * MIN - 1), 0);
      assert.equal(await runAt(t, T0 + 1 * MIN), 2);
      assert.equal((await alert(t, 'city-police.watch', police.id)).due_at, iso(T0 + 3 * MIN));
      assert.equal(await runAt(t, T0 + 3 * MIN - 1), 0);
      assert.equal(await runAt(t, T0 + 3 * MIN), 2);
      assert.equal((await alert(t, 'city-police.watch', police.id)).due_at, iso(T0 + 6 * MIN));
      assert.equal(await runAt(t, T0 + 6 * MIN - 1), 0);
      assert.equal(await runAt(t, T0 + 6 * MIN), 2);
      const done = await alert(t, 'city-police.watch', police.id);
      assert.equal(done.level, 'overdue');
      assert.deepEqual(
        done.escalations.map((s) => [s.level, s.due_at]),
        [
          ['senior_officer', iso(T0 + 1 * MIN)],
          ['party_admin', iso(T0 + 3 * MIN)],
          ['overdue', iso(T0 + 6 * MIN)],
        ],
      );
      // The immediate alerts keep the default 15 minutes.
      assert.equal(await runAt(t, T0 + 15 * MIN - 1), 0);
      assert.equal(await runAt(t, T0 + 15 * MIN), 2);
    } finally {
      await t.close();
    }
  });
});

// --- 6. The roster API -------------------------------------------------------------------------

describe('the roster', () => {
  let t: WatchHub;
  before(async () => {
    t = await watchHub();
  });
  after(() => t.close());

  it('shows who is on call now, the shifts, and a warning for every gap', async () => {
    const r = await roster(t, 'northern-forces.watch');
    assert.equal(r.from, iso(T0));
    assert.equal(r.to, iso(T0 + 7 * DAY));
    assert.deepEqual(r.on_call_now, {
      watch_officer: ['northern-forces.watch'],
      senior_officer: ['northern-forces.senior'],
    });
    assert.deepEqual(r.shifts.map((s) => [s.role, s.username, s.start, s.end]).sort(), [
      ['senior_officer', 'northern-forces.senior', iso(T0), iso(T0 + 14 * DAY)],
      ['watch_officer', 'northern-forces.watch', iso(T0), iso(T0 + 14 * DAY)],
    ]);
    assert.deepEqual(r.warnings, []);

    // Past the demo's two weeks, both roles are uncovered.
    const late = await roster(
      t,
      'northern-forces.watch',
      `?from=${iso(T0 + 13 * DAY)}&to=${iso(T0 + 15 * DAY)}`,
    );
    assert.deepEqual(late.warnings, [
      { code: 'no_one_on_call', role: 'watch_officer', start: iso(T0 + 14 * DAY), end: iso(T0 + 15 * DAY) },
      { code: 'no_one_on_call', role: 'senior_officer', start: iso(T0 + 14 * DAY), end: iso(T0 + 15 * DAY) },
    ]);

    // A gap in the middle of the week: the watch shift cut to its first day, a new one from day 3.
    await clearShifts(t, 'northern-forces', 'watch_officer');
    await addShift(t, 'northern-forces.admin', 'watch_officer', 'northern-forces.watch', T0, T0 + DAY);
    await addShift(
      t,
      'northern-forces.admin',
      'watch_officer',
      'northern-forces.watch',
      T0 + 3 * DAY,
      T0 + 9 * DAY,
    );
    const gap = await roster(t, 'northern-forces.watch');
    assert.deepEqual(gap.warnings, [
      { code: 'no_one_on_call', role: 'watch_officer', start: iso(T0 + DAY), end: iso(T0 + 3 * DAY) },
    ]);
    t.clock.set(T0 + 2 * DAY);
    assert.deepEqual((await roster(t, 'northern-forces.watch')).on_call_now.watch_officer, []);
  });

  it('refuses a reading window that is empty, too long or not a time', async () => {
    const q = (from: number, to: number) => `/api/v1/roster?from=${iso(from)}&to=${iso(to)}`;
    const user = 'coalition.watch';
    assertError(await t.req(user, 'GET', q(T0 + DAY, T0)), 400, 'invalid_request', 'to');
    assertError(await t.req(user, 'GET', q(T0, T0)), 400, 'invalid_request', 'to');
    assertError(await t.req(user, 'GET', q(T0, T0 + 62 * DAY + 1)), 400, 'invalid_request', 'to');
    assertError(await t.req(user, 'GET', '/api/v1/roster?from=soon'), 400, 'invalid_request', 'from');
    assert.equal(ok<Roster>(await t.req(user, 'GET', q(T0, T0 + 62 * DAY))).to, iso(T0 + 62 * DAY));
  });

  it('ends the default week at the last instant ISO 8601 can write (found by the fuzzer)', async () => {
    // from + 7 days would be year 10000, written "+010000-…": no reader takes that for a date-time.
    const user = 'coalition.watch';
    const late = ok<Roster>(await t.req(user, 'GET', '/api/v1/roster?from=9999-12-31T23:59:59Z'));
    assert.equal(late.from, '9999-12-31T23:59:59.000Z');
    assert.equal(late.to, '9999-12-31T23:59:59.999Z');
    // From the last instant itself there is no window left: refused, coded, not a 500.
    assertError(
      await t.req(user, 'GET', '/api/v1/roster?from=9999-12-31T23:59:59.999Z'),
      400,
      'invalid_request',
      'to',
    );
  });

  it('refuses bad shifts with coded errors naming the field, and changes nothing', async () => {
    const admin = 'city-police.admin';
    const before = await roster(t, admin);
    const ledgerBefore = (await t.hub.store.read((tx) => tx.ledger.head()))?.seq;
    const now = t.clock.now();
    const good = {
      role: 'watch_officer',
      username: 'city-police.watch',
      start: iso(now),
      end: iso(now + DAY),
    };
    const cases: [Json, number, string, string][] = [
      [{ ...good, role: 'operator' }, 400, 'invalid_request', 'role'],
      [{ ...good, start: 'yesterday' }, 400, 'invalid_request', 'start'],
      [{ ...good, end: iso(now - MIN) }, 400, 'invalid_request', 'end'],
      [{ ...good, end: iso(now) }, 400, 'invalid_request', 'end'],
      [{ ...good, end: iso(now + 31 * DAY + 1) }, 400, 'invalid_request', 'end'],
      [{ ...good, username: 'city-police.operator' }, 400, 'invalid_request', 'role'],
      [{ ...good, role: 'senior_officer' }, 400, 'invalid_request', 'role'],
      [{ ...good, username: 42 }, 400, 'invalid_request', 'username'],
      [{ ...good, username: 'coalition.watch' }, 404, 'not_found', 'username'],
      [{ ...good, username: 'nobody.at-all' }, 404, 'not_found', 'username'],
    ];
    for (const [body, status, code, path] of cases) {
      assertError(await t.req(admin, 'POST', '/api/v1/roster', body), status, code, path);
    }
    assert.deepEqual(await roster(t, admin), before);
    assert.equal((await t.hub.store.read((tx) => tx.ledger.head()))?.seq, ledgerBefore);
    // A shift of exactly 31 days is allowed.
    const longest = ok<Shift>(
      await t.req(admin, 'POST', '/api/v1/roster', { ...good, end: iso(now + 31 * DAY) }),
      201,
    );
    assert.equal(longest.end, iso(now + 31 * DAY));
  });

  it('is edited by the party admin only, and is invisible to other parties', async () => {
    const now = t.clock.now();
    const body = {
      role: 'senior_officer',
      username: 'relief-agency.senior',
      start: iso(now),
      end: iso(now + DAY),
    };
    for (const user of ['relief-agency.watch', 'relief-agency.senior', 'relief-agency.operator']) {
      assertError(await t.req(user, 'POST', '/api/v1/roster', body), 403, 'forbidden');
    }
    const shift = ok<Shift>(await t.req('relief-agency.admin', 'POST', '/api/v1/roster', body), 201);
    assertError(await t.req('relief-agency.watch', 'DELETE', `/api/v1/roster/${shift.id}`), 403, 'forbidden');

    // Another party neither sees nor removes it.
    const theirs = await roster(t, 'coalition.admin');
    assert.ok(theirs.shifts.every((s) => s.id !== shift.id && s.username.startsWith('coalition.')));
    assertError(await t.req('coalition.admin', 'DELETE', `/api/v1/roster/${shift.id}`), 404, 'not_found');
    assert.ok((await roster(t, 'relief-agency.watch')).shifts.some((s) => s.id === shift.id));

    // Its own admin removes it; a second removal finds nothing.
    assert.equal(
      (await t.req('relief-agency.admin', 'DELETE', `/api/v1/roster/${shift.id}`)).statusCode,
      204,
    );
    assert.ok((await roster(t, 'relief-agency.watch')).shifts.every((s) => s.id !== shift.id));
    assertError(await t.req('relief-agency.admin', 'DELETE', `/api/v1/roster/${shift.id}`), 404, 'not_found');
    const logged = (await ledgerOf(t, shift.id)).map((e) => e.type);
    assert.deepEqual(logged, ['roster.shift_added', 'roster.shift_removed']);
  });
});

// --- 7. Nobody on call -------------------------------------------------------------------------

describe('with nobody rostered', () => {
  it('an alert goes to every active member holding the role, and each uncovered step is flagged', async () => {
    const t = await watchHub();
    try {
      await addMember(t, 'city-police', 'city-police.watch-2', ['watch_officer', 'operator']);
      await addMember(t, 'city-police', 'city-police.watch-3', ['watch_officer']);
      ok(
        await t.req('city-police.admin', 'PATCH', '/api/v1/parties/city-police/members/city-police.watch-3', {
          disabled: true,
        }),
      );
      await clearShifts(t, 'city-police', 'watch_officer');
      await clearShifts(t, 'city-police', 'senior_officer');
      const r = await roster(t, 'city-police.watch');
      assert.deepEqual(r.on_call_now, { watch_officer: [], senior_officer: [] });
      assert.deepEqual(r.shifts, []);
      assert.deepEqual(
        r.warnings.map((w) => [w.code, w.role, w.start, w.end]),
        [
          ['no_one_on_call', 'watch_officer', iso(T0), iso(T0 + 7 * DAY)],
          ['no_one_on_call', 'senior_officer', iso(T0), iso(T0 + 7 * DAY)],
        ],
      );

      const { police, coalition } = await flashConflict(t, 'gap', 24.7, 44.7);
      const everyWatch = ['city-police.watch', 'city-police.watch-2'];
      assert.deepEqual(police.to, everyWatch);
      assert.equal(police.level, 'watch_officer');
      assert.deepEqual(police.escalations, [
        { level: 'watch_officer', due_at: iso(T0), at: iso(T0), to: everyWatch, uncovered: true },
      ]);
      // The coalition, rostered as usual, has no such flag.
      assert.deepEqual(coalition.to, ['coalition.watch']);
      assert.deepEqual(coalition.escalations, []);
      const raised = (await ledgerOf(t, police.id)).find((e) => e.type === 'alert.raised');
      assert.ok(raised);
      assert.deepEqual((raised.payload as { to: string[] }).to, everyWatch);

      // The senior step is uncovered too: every senior officer of the party.
      assert.equal(await runAt(t, T0 + 5 * MIN), 2);
      const up = await alert(t, 'city-police.watch-2', police.id);
      assert.deepEqual(up.to, ['city-police.senior']);
      assert.deepEqual(up.escalations[1], {
        level: 'senior_officer',
        due_at: iso(T0 + 5 * MIN),
        at: iso(T0 + 5 * MIN),
        to: ['city-police.senior'],
        uncovered: true,
      });
      // The admin step is never "uncovered": it goes to the party's admins by role.
      assert.equal(await runAt(t, T0 + 10 * MIN), 2);
      const top = await alert(t, 'city-police.watch', police.id);
      assert.deepEqual(top.escalations[2], {
        level: 'party_admin',
        due_at: iso(T0 + 10 * MIN),
        at: iso(T0 + 10 * MIN),
        to: ['city-police.admin'],
      });
    } finally {
      await t.close();
    }
  });
});
