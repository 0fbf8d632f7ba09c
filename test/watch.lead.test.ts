/**
 * Deadlines that fit the time to the activity, and the notifying party's view of its
 * notification (docs/watch.md), on the injected clock:
 * - an imminent critical conflict is a flash with the base deadlines; the same conflict a day and
 *   a half ahead is two steps less urgent and its steps are stretched, capped, and the chain ends
 *   before the start; each step is recomputed when it begins (tightening as the start approaches);
 * - the hub option `leadTimes` changes the policy;
 * - a relief agency notifying two forces sees, per party, awaiting / acknowledged (when, reply) /
 *   overdue (since when, how far), is told on its stream, and is alerted when a party is late;
 *   nobody else can read that state.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { NotificationsView } from '../src/api/declarations.ts';
import type { AlertView, EventView } from '../src/api/watch.ts';
import { DEFAULT_LEAD_TIMES, DEFAULT_STEPS, deadlines, precedenceAt, stepAt } from '../src/hub/deadlines.ts';
import { loadDemo } from '../src/hub/demo.ts';
import type { HubOptions } from '../src/hub/hub.ts';
import { assertError, demoPassword, ok, sessions, startHub, T0, type TestHub } from './support/hub.ts';
import { own } from './support/ids.ts';
import { HOUR, iso, MIN } from './support/time.ts';

const scratch = mkdtempSync(join(tmpdir(), 'deconflict-watch-lead-'));
const EMPTY = join(scratch, 'empty.geojson');
writeFileSync(EMPTY, JSON.stringify({ type: 'FeatureCollection', features: [] }));
after(() => rmSync(scratch, { recursive: true, force: true }));

type Hub = TestHub & { req: ReturnType<typeof sessions>['req'] };

async function hub(options: HubOptions = {}): Promise<Hub> {
  const t = await startHub({ demo: false, hub: options });
  assert.equal(await loadDemo(t.hub, EMPTY), true);
  const { req } = sessions(() => t, { renewAfter_ms: 6 * HOUR, password: demoPassword });
  return Object.assign(t, { req });
}

const point = (lon: number, lat: number) => ({ type: 'Point', coordinates: [lon, lat] });

function site(id: string, lon: number, lat: number) {
  return {
    type: 'Feature',
    geometry: point(lon, lat),
    properties: {
      id,
      kind: 'protected_site',
      category: 'medical',
      start: '2026-11-01T00:00:00Z',
      end: '2027-01-01T00:00:00Z',
    },
  };
}

function strike(id: string, lon: number, lat: number, start: number, extra: Record<string, unknown> = {}) {
  return {
    type: 'Feature',
    geometry: point(lon, lat),
    properties: {
      id,
      kind: 'strike',
      start: iso(start),
      end: iso(start + 2 * HOUR),
      buffer_m: 100,
      ...extra,
    },
  };
}

/** A critical conflict (a strike next to a hospital) whose window starts at `start`. */
async function criticalAt(t: Hub, tag: string, lon: number, start: number): Promise<AlertView> {
  ok(
    await t.req('city-police.operator', 'POST', '/api/v1/declarations', site(`${tag}-site`, lon, 46.5)),
    201,
  );
  const { conflicts } = ok<{ conflicts: { id: string; severity: string }[] }>(
    await t.req(
      'coalition.operator',
      'POST',
      '/api/v1/declarations',
      strike(`${tag}-strike`, lon + 0.001, 46.5005, start),
    ),
    201,
  );
  assert.deepEqual(
    conflicts.map((c) => c.severity),
    ['critical'],
  );
  const { alerts } = ok<{ alerts: AlertView[] }>(await t.req('city-police.watch', 'GET', '/api/v1/alerts'));
  const mine = alerts.filter((a) => a.subject === conflicts[0]?.id);
  assert.equal(mine.length, 1);
  return mine[0] as AlertView;
}

const alert = async (t: Hub, user: string, id: string) =>
  ok<AlertView>(await t.req(user, 'GET', `/api/v1/alerts/${id}`));

async function runAt(t: Hub, at: number): Promise<void> {
  t.clock.set(at);
  await t.hub.runDue();
}

describe('deadlines that fit the time to the activity', () => {
  it('the policy: imminent keeps precedence and base steps; later relaxes, stretches, caps, ends before the start', () => {
    const d = deadlines();
    const now = T0;
    assert.equal(precedenceAt(d, 'flash', now, now + 30 * MIN), 'flash');
    assert.equal(precedenceAt(d, 'flash', now, now + 3 * HOUR), 'immediate');
    assert.equal(precedenceAt(d, 'flash', now, now + 33 * HOUR), 'priority');
    assert.equal(precedenceAt(d, 'routine', now, now + 33 * HOUR), 'routine', 'never below routine');
    assert.equal(precedenceAt(d, 'flash', now, null), 'flash', 'no activity: as asked');
    assert.equal(precedenceAt(d, 'flash', now, now - HOUR), 'flash', 'already started');
    // Stretched to share the room before the start (less the margin) between the levels left.
    assert.equal(stepAt(d, 'immediate', 0, now, now + 3 * HOUR), (2 * HOUR) / 3);
    assert.equal(stepAt(d, 'immediate', 2, now, now + 3 * HOUR), 2 * HOUR);
    assert.equal(stepAt(d, 'priority', 0, now, now + 33 * HOUR), DEFAULT_LEAD_TIMES.max_step_ms);
    assert.equal(stepAt(d, 'flash', 0, now, now + 30 * MIN), DEFAULT_STEPS.flash[0], 'never below base');
    // Whenever there is room, the chain ends at least the margin before the start.
    for (const lead of [2, 5, 9, 20].map((h) => h * HOUR)) {
      const start = now + lead;
      const p = precedenceAt(d, 'flash', now, start);
      let t = now;
      for (const level of [0, 1, 2] as const) t += stepAt(d, p, level, t, start);
      assert.ok(t <= start - DEFAULT_LEAD_TIMES.margin_ms, `lead ${lead / HOUR} h: chain ends ${iso(t)}`);
    }
    assert.throws(() => deadlines(undefined, { imminent_ms: 2 * HOUR, soon_ms: HOUR }), RangeError);
  });

  it('a critical conflict 33 hours ahead: priority, 6-hour steps; imminent: flash, 5 minutes', async () => {
    const t = await hub();
    try {
      const later = await criticalAt(t, 'later', 24.5, T0 + 33 * HOUR);
      assert.equal(later.precedence, 'priority');
      assert.equal(later.starts_at, iso(T0 + 33 * HOUR));
      assert.equal(later.due_at, iso(T0 + 6 * HOUR));
      const now = await criticalAt(t, 'now', 24.7, T0 + 30 * MIN);
      assert.equal(now.precedence, 'flash');
      assert.equal(now.due_at, iso(T0 + 5 * MIN));

      // Nobody pages the senior officer 5 minutes later for the conflict of tomorrow.
      await runAt(t, T0 + 6 * HOUR - 1);
      assert.equal((await alert(t, 'city-police.watch', later.id)).level, 'watch_officer');
      assert.equal((await alert(t, 'city-police.watch', now.id)).level, 'overdue');
      // Each later step recomputed with the time then left: (33 − 6 − 1) / 2 = 13 h → capped at 6;
      // the chain ends at 18 h, 15 hours before the strike.
      await runAt(t, T0 + 6 * HOUR);
      const senior = await alert(t, 'city-police.watch', later.id);
      assert.equal(senior.level, 'senior_officer');
      assert.equal(senior.due_at, iso(T0 + 12 * HOUR));
      await runAt(t, T0 + 12 * HOUR);
      await runAt(t, T0 + 18 * HOUR);
      const done = await alert(t, 'city-police.watch', later.id);
      assert.equal(done.level, 'overdue');
      assert.deepEqual(
        done.escalations.map((e) => e.due_at),
        [6, 12, 18].map((h) => iso(T0 + h * HOUR)),
      );
    } finally {
      await t.close();
    }
  });

  it('tightens as the start approaches: 3 hours ahead, steps of 40 minutes ending an hour before', async () => {
    const t = await hub();
    try {
      const a = await criticalAt(t, 'soon', 24.5, T0 + 3 * HOUR);
      assert.equal(a.precedence, 'immediate');
      assert.equal(a.due_at, iso(T0 + 40 * MIN));
      await runAt(t, T0 + 40 * MIN);
      await runAt(t, T0 + 80 * MIN);
      await runAt(t, T0 + 120 * MIN);
      const done = await alert(t, 'city-police.watch', a.id);
      assert.equal(done.level, 'overdue');
      assert.deepEqual(
        done.escalations.map((e) => e.due_at),
        [40, 80, 120].map((m) => iso(T0 + m * MIN)),
      );
    } finally {
      await t.close();
    }
  });

  it('the hub option `leadTimes` changes the policy', async () => {
    const t = await hub({ leadTimes: { imminent_ms: 48 * HOUR, soon_ms: 48 * HOUR, max_step_ms: HOUR } });
    try {
      const a = await criticalAt(t, 'opt', 24.5, T0 + 33 * HOUR);
      assert.equal(a.precedence, 'flash');
      assert.equal(a.due_at, iso(T0 + HOUR));
    } finally {
      await t.close();
    }
  });
});

describe('the notifying party sees its notification', () => {
  it('awaiting, acknowledged with the reply, overdue and escalated; alerted when a party is late', async () => {
    const t = await hub();
    try {
      const start = T0 + 30 * MIN; // a convoy leaving in half an hour: base deadlines (60 min)
      const convoy = {
        type: 'Feature',
        geometry: {
          type: 'LineString',
          coordinates: [
            [24.1, 46.1],
            [24.2, 46.15],
          ],
        },
        properties: {
          id: 'convoy-7',
          kind: 'movement',
          start: iso(start),
          end: iso(start + 6 * HOUR),
          buffer_m: 50,
          visibility: ['coalition', 'northern-forces'],
          notify: ['coalition', 'northern-forces'],
        },
      };
      ok(await t.req('relief-agency.operator', 'POST', '/api/v1/declarations', convoy), 201);
      const id = own('relief-agency', 'convoy-7');
      const state = async () =>
        ok<NotificationsView>(
          await t.req('relief-agency.watch', 'GET', `/api/v1/declarations/${id}/notifications`),
        );

      const first = await state();
      assert.deepEqual(
        first.notifications.map((n) => [n.party, n.status, n.due_at]),
        [
          ['coalition', 'awaiting', iso(T0 + 60 * MIN)],
          ['northern-forces', 'awaiting', iso(T0 + 60 * MIN)],
        ],
      );

      // The coalition acknowledges with a reply; northern-forces lets the deadline pass.
      t.clock.set(T0 + 10 * MIN);
      const { alerts } = ok<{ alerts: AlertView[] }>(await t.req('coalition.watch', 'GET', '/api/v1/alerts'));
      const notice = alerts.find((a) => a.subject === id) as AlertView;
      ok(
        await t.req('coalition.watch', 'POST', `/api/v1/alerts/${notice.id}/ack`, {
          reply: 'Route clear of fires',
        }),
      );
      await runAt(t, T0 + 60 * MIN);

      const later = await state();
      const coalition = later.notifications[0];
      assert.ok(
        Number.isInteger(coalition?.entry),
        'the acknowledgement names its ledger entry (its receipt)',
      );
      assert.deepEqual(coalition, {
        party: 'coalition',
        status: 'acknowledged',
        notified_at: iso(T0),
        due_at: null,
        level: 'watch_officer',
        escalated_at: null,
        acknowledged_at: iso(T0 + 10 * MIN),
        reply: 'Route clear of fires',
        entry: coalition?.entry,
        signed_by: null,
        closed_reason: null,
      });
      const late = later.notifications[1];
      assert.equal(late?.party, 'northern-forces');
      assert.equal(late?.status, 'overdue');
      assert.equal(late?.level, 'senior_officer');
      assert.equal(late?.escalated_at, iso(T0 + 60 * MIN));

      // The agency's watch is alerted that northern-forces is late, and hears it on its stream.
      const own_ = ok<{ alerts: AlertView[] }>(
        await t.req('relief-agency.watch', 'GET', '/api/v1/alerts'),
      ).alerts;
      const lateAlert = own_.find((a) => a.subject === id);
      assert.equal(lateAlert?.summary.unacknowledged_by, 'northern-forces');
      assert.equal(lateAlert?.subject_type, 'notification');
      const { events } = ok<{ events: EventView[] }>(
        await t.req('relief-agency.watch', 'GET', '/api/v1/events?after=0&limit=1000'),
      );
      const updates = events
        .filter((e) => e.type === 'notification.updated')
        .map((e) => {
          const d = e.data as { party: string; status: string };
          return [d.party, d.status];
        });
      assert.deepEqual(updates, [
        ['coalition', 'acknowledged'],
        ['northern-forces', 'overdue'],
      ]);

      // Northern-forces acknowledges late: the agency's alert about it closes.
      const nf = ok<{ alerts: AlertView[] }>(
        await t.req('northern-forces.senior', 'GET', '/api/v1/alerts'),
      ).alerts;
      const nfNotice = nf.find((a) => a.subject === id) as AlertView;
      ok(
        await t.req('northern-forces.senior', 'POST', `/api/v1/alerts/${nfNotice.id}/ack`, { reply: 'Seen' }),
      );
      assert.equal((await state()).notifications[1]?.status, 'acknowledged');
      assert.equal(
        (await alert(t, 'relief-agency.watch', lateAlert?.id as string)).closed_reason,
        'acknowledged',
      );

      // Nobody else reads the state: not the notified parties, not a stranger (same answer as no declaration).
      for (const user of ['coalition.watch', 'northern-forces.watch', 'city-police.admin']) {
        assertError(await t.req(user, 'GET', `/api/v1/declarations/${id}/notifications`), 404, 'not_found');
      }
      assertError(
        await t.req(
          'coalition.watch',
          'GET',
          `/api/v1/declarations/${own('relief-agency', 'nothing')}/notifications`,
        ),
        404,
        'not_found',
      );
    } finally {
      await t.close();
    }
  });
});
