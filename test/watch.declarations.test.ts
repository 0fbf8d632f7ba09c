/**
 * `declaration.changed` events: a declaration created, amended, withdrawn or expired is told to
 * every party that may see it (so consoles keep their map current), and to no other — except a
 * party that could see the previous version and can no longer, which is told only
 * `{id, status: 'hidden'}` so that it drops what it already had. Read through each party's
 * stream over HTTP (`GET /api/v1/events`, the WebSocket's twin); one WebSocket console shows
 * the event is pushed live.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ok, sessions, startHub, T0, type TestHub } from './support/hub.ts';
import { StreamConsole, streamUrl } from './support/stream.ts';
import { HOUR, iso } from './support/time.ts';

const PARTIES = ['coalition', 'northern-forces', 'relief-agency', 'city-police'] as const;
type Party = (typeof PARTIES)[number];
interface Event {
  seq: number;
  type: string;
  data: Record<string, unknown>;
}

/** A protected site south of Arad, in a place the demo leaves empty. */
function site(id: string, visibility: 'all' | string[], lon = 21.36, end?: number) {
  return {
    type: 'Feature',
    geometry: { type: 'Point', coordinates: [lon, 46.1] },
    properties: {
      id,
      kind: 'protected_site',
      category: 'humanitarian',
      start: iso(T0 - HOUR),
      ...(end !== undefined && { end: iso(end) }),
      buffer_m: 100,
      visibility,
      label: `Site ${id}`,
    },
  };
}

describe('declaration events', () => {
  let h: TestHub;
  const heads = new Map<Party, number>();
  const { as, req: call } = sessions(() => h);

  /** The declaration events each party's stream received since the last call. */
  const news = async (): Promise<Record<Party, Event[]>> => {
    const out = {} as Record<Party, Event[]>;
    for (const party of PARTIES) {
      const r = ok<{ head: number; events: Event[] }>(
        await call(`${party}.watch`, 'GET', `/api/v1/events?after=${heads.get(party) ?? 0}&limit=1000`),
      );
      heads.set(party, r.head);
      out[party] = r.events.filter((e) => e.type === 'declaration.changed');
    }
    return out;
  };
  const changes = (events: Event[]) => events.map((e) => e.data);

  before(async () => {
    h = await startHub();
    await news();
  });
  after(async () => {
    await h.close();
  });

  it('a site for everyone: every party is told, with the id, party, kind, version and status', async () => {
    ok(await call('relief-agency.operator', 'POST', '/api/v1/declarations', site('de-all', 'all')), 201);
    const got = await news();
    for (const party of PARTIES) {
      assert.deepEqual(
        changes(got[party]),
        [
          {
            id: 'relief-agency:de-all',
            party: 'relief-agency',
            kind: 'protected_site',
            version: 1,
            status: 'active',
          },
        ],
        party,
      );
    }
  });

  it('a site for some: the owner and the parties listed, no one else; its own party only: the owner only', async () => {
    ok(
      await call(
        'relief-agency.operator',
        'POST',
        '/api/v1/declarations',
        site('de-some', ['coalition'], 21.37),
      ),
      201,
    );
    ok(
      await call(
        'relief-agency.operator',
        'POST',
        '/api/v1/declarations',
        site('de-own', ['relief-agency'], 21.38),
      ),
      201,
    );
    const got = await news();
    const ids = (p: Party) => changes(got[p]).map((d) => d.id);
    assert.deepEqual(ids('relief-agency'), ['relief-agency:de-some', 'relief-agency:de-own']);
    assert.deepEqual(ids('coalition'), ['relief-agency:de-some']);
    assert.deepEqual(ids('northern-forces'), []);
    assert.deepEqual(ids('city-police'), []);
  });

  it('amended to fewer parties: those left out are told only that it is hidden from them now', async () => {
    const v2 = site('de-all', ['city-police'], 21.361);
    ok(await call('relief-agency.operator', 'PUT', '/api/v1/declarations/relief-agency:de-all', v2));
    const got = await news();
    const active = {
      id: 'relief-agency:de-all',
      party: 'relief-agency',
      kind: 'protected_site',
      version: 2,
      status: 'active',
    };
    assert.deepEqual(changes(got['relief-agency']), [active]);
    assert.deepEqual(changes(got['city-police']), [active]);
    for (const p of ['coalition', 'northern-forces'] as const) {
      assert.deepEqual(changes(got[p]), [{ id: 'relief-agency:de-all', status: 'hidden' }], p);
    }
    // And what they read of it now is what a party that never saw it reads: nothing.
    const r = await call('coalition.watch', 'GET', '/api/v1/declarations/relief-agency:de-all');
    assert.equal(r.statusCode, 404, r.body);
  });

  it('withdrawn and expired: told to the parties that may see it, with the new status', async () => {
    ok(
      await call('relief-agency.operator', 'POST', '/api/v1/declarations/relief-agency:de-some/withdraw', {}),
    );
    let got = await news();
    for (const p of ['relief-agency', 'coalition'] as const) {
      assert.deepEqual(
        changes(got[p]).map((d) => [d.id, d.status]),
        [['relief-agency:de-some', 'withdrawn']],
        p,
      );
    }
    assert.deepEqual([...changes(got['northern-forces']), ...changes(got['city-police'])], []);

    ok(
      await call(
        'coalition.operator',
        'POST',
        '/api/v1/declarations',
        site('de-short', 'all', 21.39, T0 + HOUR),
      ),
      201,
    );
    await news();
    h.clock.advance(2 * HOUR);
    assert.equal(await h.hub.declarations.expire(), 1);
    got = await news();
    for (const party of PARTIES) {
      assert.deepEqual(
        changes(got[party]).map((d) => [d.id, d.status, d.version]),
        [['coalition:de-short', 'expired', 1]],
        party,
      );
    }
  });

  it('reaches an open console at once over the WebSocket', async () => {
    const base = await h.app.listen({ host: '127.0.0.1', port: 0 });
    const c = await StreamConsole.connect(streamUrl(base), { bearer: await as('northern-forces.watch') });
    try {
      await c.waitFor((f) => f.type === 'hello', 'hello');
      ok(
        await call('city-police.operator', 'POST', '/api/v1/declarations', site('de-live', 'all', 21.4)),
        201,
      );
      const got = await c.waitFor(
        (f) => f.type === 'declaration.changed' && (f.data as { id: string }).id === 'city-police:de-live',
        'declaration.changed',
      );
      assert.equal((got.frame.data as { status: string }).status, 'active');
    } finally {
      await c.close();
    }
  });
});
