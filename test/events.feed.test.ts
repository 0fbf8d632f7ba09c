/**
 * The shared feed (src/store/feed.ts): a change every party may see is written once and read in
 * each party's stream, numbered there, contiguous per party.
 *
 * - The store against a brute-force model: three parties, random groups of writes (own events
 *   and shared ones interleaved, some writes rolled back to their savepoint), then for random
 *   cursors and limits `since`, `head` and `get` equal the model's stream, and the numbers
 *   `append` and `seqOf` give while writing are the model's.
 * - The hub over HTTP and WebSocket (SQLite in a temporary directory, the demo): a declaration
 *   shown to one party only moves no other party's stream and tells it nothing; one shown to all
 *   moves every party's stream by one; a console that reconnects with the last number it saw
 *   receives exactly what it missed, shared and own events interleaved, equal to `GET /events`;
 *   a webhook receives a shared event with its party's number; a console that began listening
 *   while a shared event was being written receives it live, numbered for its party.
 *
 * The declarations are small strikes east of Arad (around 46.4N 21.9E), where nothing
 * of the demo is, so that they raise no conflict and each stream moves only by what is counted.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { EventRecord } from '../src/domain/records.ts';
import type { Store } from '../src/store/ports.ts';
import { openSqliteStore } from '../src/store/sqlite.ts';
import { sessions, startHub, T0, type TestHub } from './support/hub.ts';
import { own } from './support/ids.ts';
import { seeded } from './support/random.ts';
import { http, StreamConsole, streamUrl } from './support/stream.ts';
import { iso, MIN } from './support/time.ts';

type Seen = Pick<EventRecord, 'type' | 'data'>;
const PARTIES = ['alpha', 'bravo', 'charlie'] as const;

describe('the shared feed in the store, against a brute-force model', () => {
  let dir: string;
  let store: Store;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'deconflict-feed-'));
    store = openSqliteStore({ dir });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('numbers, merges and pages every party’s stream as the model does', async () => {
    const rnd = seeded(20261122);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    // The model: each party's whole stream, in order; a shared event is appended to all three.
    let model = new Map<string, Seen[]>(PARTIES.map((p) => [p, []]));
    let n = 0;
    for (let round = 0; round < 60; round++) {
      const units = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => ({
        emits: Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => (rnd() < 0.45 ? null : pick(PARTIES))),
        fails: rnd() < 0.2,
      }));
      const outcomes = await store.transactGroup(
        units.map((u) => async (tx) => {
          const next = new Map([...model].map(([p, s]) => [p, [...s]]));
          for (const party of u.emits) {
            const e = { at: T0 + n, type: party === null ? 'shared.test' : 'own.test', data: { n: n++ } };
            if (party === null) {
              const s = await tx.events.appendShared(e);
              for (const p of PARTIES) {
                (next.get(p) as Seen[]).push({ type: e.type, data: e.data });
                assert.equal(await tx.events.seqOf(p, s.useq), (next.get(p) as Seen[]).length, `seqOf ${p}`);
              }
            } else {
              const r = await tx.events.append({ party, ...e });
              (next.get(party) as Seen[]).push({ type: e.type, data: e.data });
              assert.equal(r.seq, (next.get(party) as Seen[]).length, `append ${party}`);
            }
          }
          if (u.fails) throw new Error('refused');
          model = next;
        }),
      );
      assert.deepEqual(
        outcomes.map((o) => o.status),
        units.map((u) => (u.fails ? 'rejected' : 'fulfilled')),
      );
      for (const party of PARTIES) {
        const stream = model.get(party) as Seen[];
        const expect = (from: number, to: number) =>
          stream
            .slice(from, to)
            .map((e, i) => ({ party, seq: from + i + 1, at: T0 + (e.data as { n: number }).n, ...e }));
        assert.equal(await store.read((tx) => tx.events.head(party)), stream.length);
        for (let k = 0; k < 4; k++) {
          const c = Math.floor(rnd() * (stream.length + 1));
          const limit = 1 + Math.floor(rnd() * 7);
          const got = await store.read((tx) => tx.events.since(party, c, limit));
          assert.deepEqual(got, expect(c, c + limit), `${party} since ${c} limit ${limit}`);
          const s = Math.floor(rnd() * (stream.length + 2));
          const one = await store.read((tx) => tx.events.get(party, s));
          assert.deepEqual(
            one,
            s >= 1 && s <= stream.length ? expect(s - 1, s)[0] : null,
            `${party} get ${s}`,
          );
        }
        const whole = await store.read((tx) => tx.events.since(party, 0, 1_000_000));
        assert.deepEqual(whole, expect(0, stream.length), `${party}: the whole stream`);
      }
    }
    // Shared events were written, and interleaved with own ones in every party's stream.
    for (const party of PARTIES) {
      const types = (model.get(party) as Seen[]).map((e) => e.type).join(' ');
      assert.match(types, /own\.test shared\.test/);
      assert.match(types, /shared\.test own\.test/);
    }
  });
});

describe('the shared feed in the hub', () => {
  let h: TestHub;
  let base: string;
  let slot = 0;
  const consoles: StreamConsole[] = [];
  const { as } = sessions(() => h);
  const call = async <T>(user: string, method: string, path: string, body?: unknown, status = 200) => {
    const r = await http<T>(base, await as(user), method, path, body);
    assert.equal(r.status, status, `${method} ${path}: ${r.text}`);
    return r.body;
  };
  /** A party's whole stream over HTTP (the twin of the WebSocket stream). */
  const stream = async (user: string, after = 0) => {
    const all: EventRecord[] = [];
    for (;;) {
      const page = await call<{ head: number; events: EventRecord[] }>(
        user,
        'GET',
        `/api/v1/events?after=${after + all.length}&limit=1000`,
      );
      all.push(...page.events);
      if (all.length + after >= page.head) return { head: page.head, events: all };
    }
  };
  const headOf = async (party: string) =>
    (await call<{ head: number }>(`${party}.watch`, 'GET', '/api/v1/events?after=0&limit=1')).head;
  /** A coalition strike east of Arad, in a slot of its own, shown to `visibility`. */
  const declare = async (id: string, visibility: 'all' | string[]) => {
    const start = T0 + 2 * 24 * 60 * MIN + slot * 10 * MIN;
    const at = [21.9 + slot++ * 0.01, 46.4];
    await call(
      'coalition.operator',
      'POST',
      '/api/v1/declarations',
      {
        type: 'Feature',
        geometry: { type: 'Point', coordinates: at },
        properties: {
          id,
          kind: 'strike',
          buffer_m: 100,
          start: iso(start),
          end: iso(start + 5 * MIN),
          visibility,
        },
      },
      201,
    );
    return own('coalition', id);
  };

  before(async () => {
    h = await startHub();
    h.hub.webhooks.configure({ allow: ['127.0.0.0/8'] });
    base = await h.app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await Promise.all(consoles.map((c) => c.close()));
    await h.close();
  });

  it('a declaration shown to one party moves no other stream; one shown to all moves each by one', async () => {
    const parties = ['coalition', 'northern-forces', 'relief-agency', 'city-police'];
    const before0 = Object.fromEntries(await Promise.all(parties.map(async (p) => [p, await headOf(p)])));
    const hidden = await declare('feed-for-police', ['city-police']);
    const after1 = Object.fromEntries(await Promise.all(parties.map(async (p) => [p, await headOf(p)])));
    assert.equal(after1['northern-forces'], before0['northern-forces']);
    assert.equal(after1['relief-agency'], before0['relief-agency']);
    assert.equal(after1['city-police'], before0['city-police'] + 1);
    assert.equal(after1.coalition, before0.coalition + 1);
    for (const p of ['northern-forces', 'relief-agency'])
      assert.ok(!JSON.stringify(await stream(`${p}.watch`)).includes(hidden), `${p} told nothing`);
    const police = await stream('city-police.watch', before0['city-police']);
    assert.deepEqual(
      police.events.map((e) => [e.seq, e.type, (e.data as { id: string }).id]),
      [[after1['city-police'], 'declaration.changed', hidden]],
    );

    const shared = await declare('feed-for-all', 'all');
    for (const p of parties) {
      const s = await stream(`${p}.watch`, after1[p]);
      assert.equal(s.head, after1[p] + 1, p);
      assert.deepEqual(
        s.events.map((e) => [e.seq, e.type, e.data]),
        [
          [
            after1[p] + 1,
            'declaration.changed',
            { id: shared, party: 'coalition', kind: 'strike', version: 1, status: 'active' },
          ],
        ],
        p,
      );
    }
  });

  it('a console that reconnects receives exactly what it missed, shared and own events interleaved', async () => {
    const user = 'northern-forces.watch';
    const first = await StreamConsole.connect(streamUrl(base, await headOf('northern-forces')), {
      bearer: await as(user),
    });
    consoles.push(first);
    const seen = await declare('feed-reconnect-1', 'all');
    const got = await first.waitFor(
      (f) => (f.data as { id?: string } | undefined)?.id === seen,
      'the shared event',
    );
    const last = got.frame.seq as number;
    await first.close();
    await declare('feed-reconnect-2', 'all');
    await declare('feed-reconnect-3', ['northern-forces']);
    await declare('feed-reconnect-4', ['relief-agency']);
    await declare('feed-reconnect-5', 'all');
    const missed = await stream(user, last);
    assert.equal(missed.events.length, 3);
    assert.deepEqual(
      missed.events.map((e) => e.seq),
      [last + 1, last + 2, last + 3],
    );
    const again = await StreamConsole.connect(streamUrl(base, last), { bearer: await as(user) });
    consoles.push(again);
    await again.waitForSeq(missed.head);
    await declare('feed-reconnect-6', 'all');
    await again.waitForSeq(missed.head + 1);
    const frames = again.events.map((f) => [f.seq, f.type, (f.data as { id: string }).id]);
    const live = await stream(user, last);
    assert.deepEqual(
      frames,
      live.events.map((e) => [e.seq, e.type, (e.data as { id: string }).id]),
    );
    assert.deepEqual(
      frames.map((f) => f[2]),
      ['feed-reconnect-2', 'feed-reconnect-3', 'feed-reconnect-5', 'feed-reconnect-6'].map((id) =>
        own('coalition', id),
      ),
    );
  });

  it('a webhook receives a shared event numbered in its own party’s stream', async () => {
    const got: { party: string; seq: number; type: string; data: { id: string } }[] = [];
    const server: Server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => {
        raw += c.toString('utf8');
      });
      req.on('end', () => {
        got.push(JSON.parse(raw));
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const hook = await call<{ id: string }>(
        'relief-agency.admin',
        'POST',
        '/api/v1/webhooks',
        { url },
        201,
      );
      // A change relief-agency may not see first: its webhook must not hear of it.
      await declare('feed-hook-hidden', ['city-police']);
      const id = await declare('feed-hook', 'all');
      await h.hub.runDue();
      const head = await headOf('relief-agency');
      assert.deepEqual(
        got.map((b) => [b.party, b.seq, b.type, b.data.id]),
        [['relief-agency', head, 'declaration.changed', id]],
      );
      const { deliveries } = await call<{ deliveries: { event_seq: number; status: string }[] }>(
        'relief-agency.admin',
        'GET',
        `/api/v1/webhooks/${hook.id}/deliveries`,
      );
      assert.deepEqual(
        deliveries.map((d) => [d.event_seq, d.status]),
        [[head, 'delivered']],
      );
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('a console that began listening while a shared event was written receives it live, numbered for it', async () => {
    const head = await headOf('city-police');
    const heard: EventRecord[] = [];
    let stop: (() => void) | undefined;
    await h.hub.kernel.write(async (_tx, ctx) => {
      await ctx.emitShared('declaration.changed', { id: 'coalition:late', status: 'withdrawn' });
      // Subscribed after the event was written, before its commit (a console opening meanwhile).
      stop = h.hub.kernel.bus.subscribe('city-police', (e) => heard.push(e));
      return { result: undefined };
    });
    stop?.();
    assert.deepEqual(heard, [
      {
        party: 'city-police',
        seq: head + 1,
        at: h.clock.now(),
        type: 'declaration.changed',
        data: { id: 'coalition:late', status: 'withdrawn' },
      },
    ]);
    assert.equal(await headOf('city-police'), head + 1);
  });
});
