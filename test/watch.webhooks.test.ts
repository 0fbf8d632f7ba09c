/**
 * Outbound hooks (docs/design.md §5) against real receivers: local HTTP servers (node:http on 127.0.0.1,
 * port 0) that record what the hub POSTs and answer what a test tells them to. The hub is real
 * (SQLite in a temporary directory, the demo parties and accounts, a manual clock); a test causes
 * events through the API and calls `hub.runDue()`, which sends what is due at the clock's now.
 *
 * It proves: registration (admins only, http(s) URLs without credentials, the secret shown once);
 * every event of the party's stream and no other party's reaches the receiver, with the body of
 * the stream's event and a signature the test recomputes with node:crypto; retries with growing
 * delays and, after MAX_ATTEMPTS, a failed delivery shown to the party's admin (and to no other);
 * disabling; and the outbox surviving a restart.
 *
 * Alert deadlines are set to 30 days so that moving the clock (hours, for the retries) escalates
 * no demo alert: the streams carry only what the tests cause, and counts are exact.
 *
 * The receivers listen on loopback, where webhooks may not go unless the hub's operator allows it:
 * every hub here is started as `deconflict serve --webhook-allow 127.0.0.0/8` starts it. What is
 * refused without that allowance is test/attack.webhooks.test.ts's.
 */
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { HubOptions } from '../src/hub/hub.ts';
import { MAX_ATTEMPTS, retryDelay } from '../src/hub/webhooks.ts';
import { assertError, ok, type Res, sessions, startHub, type TestHub } from './support/hub.ts';
import { DAY, HOUR, iso } from './support/time.ts';

interface WebhookView {
  id: string;
  url: string;
  created_at: string;
  disabled_at: string | null;
  recent_failures: number;
  last_error?: string | null;
  secret?: string;
}
interface DeliveryView {
  id: string;
  event_seq: number;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_at: string | null;
  last_status: number | null;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
}
interface EventView {
  seq: number;
  type: string;
  at: string;
  data: unknown;
}

const LONG: readonly [number, number, number] = [30 * DAY, 30 * DAY, 30 * DAY];
const QUIET: HubOptions = { deadlines: { flash: LONG, immediate: LONG, priority: LONG, routine: LONG } };

/** A test hub whose operator allows webhooks to loopback, where the receivers listen. */
async function hubAllowingLoopback(dir?: string): Promise<TestHub> {
  const t = await startHub({ ...(dir !== undefined && { dir }), hub: QUIET });
  t.hub.webhooks.configure({ allow: ['127.0.0.0/8'] });
  return t;
}

// --- Receivers ---------------------------------------------------------------------------------

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly method: string;
  readonly raw: string;
  readonly body: { party: string; seq: number; type: string; at: string; data: unknown };
}

interface Receiver {
  readonly url: string;
  readonly got: Received[];
  /** The status the next requests are answered with. */
  status: number;
  close(): Promise<void>;
}

const receivers: Receiver[] = [];

/** A local HTTP server that records every request and answers `status` (200 unless changed). */
async function receiver(status = 200): Promise<Receiver> {
  const got: Received[] = [];
  const r: Receiver = {
    url: '',
    got,
    status,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      got.push({ headers: req.headers, method: req.method ?? '', raw, body: JSON.parse(raw) });
      res.statusCode = r.status;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  Object.assign(r, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook` });
  receivers.push(r);
  return r;
}

/** A URL on which nothing listens: a port that was just free (the server is closed again). */
async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/hook`;
}

/** The signature a receiver expects, recomputed here: HMAC-SHA256(secret, "<timestamp>.<body>"). */
function assertSigned(r: Received, secret: string): void {
  const ts = r.headers['x-deconflict-timestamp'];
  const sig = r.headers['x-deconflict-signature'];
  assert.equal(typeof ts, 'string');
  assert.match(ts as string, /^\d+$/);
  assert.equal(typeof sig, 'string');
  const expected = `sha256=${createHmac('sha256', secret).update(`${ts}.${r.raw}`).digest('hex')}`;
  assert.equal((sig as string).length, expected.length, `signature ${sig}`);
  assert.ok(timingSafeEqual(Buffer.from(sig as string), Buffer.from(expected)), `signature ${sig}`);
}

// --- API ---------------------------------------------------------------------------------------

/** A 204 answer (DELETE). */
const noContent = (r: Res): void => assert.equal(r.statusCode, 204, r.body);

/** A client of one hub: tokens of demo accounts (one login each) and the calls the tests make. */
function client(t: TestHub) {
  // Sessions last 12 h and the tests move the clock by hours: log in again after 6.
  const { req } = sessions(() => t, { renewAfter_ms: 6 * HOUR });
  let shifts = 0;
  return {
    req,
    /** Register a webhook as the party's admin; returns it with its secret. */
    async hook(party: string, url: string): Promise<WebhookView & { secret: string }> {
      return ok<WebhookView & { secret: string }>(
        await req(`${party}.admin`, 'POST', '/api/v1/webhooks', { url }),
        201,
      );
    },
    /** Cause one event on the party's stream (and no other): a roster shift, `roster.changed`. */
    async event(party: string): Promise<void> {
      const start = t.clock.now() + DAY + shifts++ * HOUR;
      ok(
        await req(`${party}.admin`, 'POST', '/api/v1/roster', {
          role: 'watch_officer',
          username: `${party}.watch`,
          start: iso(start),
          end: iso(start + HOUR),
        }),
        201,
      );
    },
    async events(party: string, after: number): Promise<{ head: number; events: EventView[] }> {
      return ok(await req(`${party}.watch`, 'GET', `/api/v1/events?after=${after}`));
    },
    async head(party: string): Promise<number> {
      return (await this.events(party, 0)).head;
    },
    async deliveries(party: string, id: string, status?: string): Promise<DeliveryView[]> {
      const q = status === undefined ? '' : `?status=${status}`;
      return ok<{ deliveries: DeliveryView[] }>(
        await req(`${party}.admin`, 'GET', `/api/v1/webhooks/${id}/deliveries${q}`),
      ).deliveries;
    },
    async listed(party: string, id: string): Promise<WebhookView> {
      const all = ok<{ webhooks: WebhookView[] }>(
        await req(`${party}.admin`, 'GET', '/api/v1/webhooks'),
      ).webhooks;
      const w = all.find((x) => x.id === id);
      assert.ok(w, `webhook ${id} listed`);
      return w;
    },
  };
}

after(async () => {
  await Promise.all(receivers.map((r) => r.close()));
});

describe('webhooks', () => {
  let t: TestHub;
  let c: ReturnType<typeof client>;

  before(async () => {
    t = await hubAllowingLoopback();
    c = client(t);
  });
  after(async () => {
    await t.close();
  });

  describe('registration', () => {
    it('is for party admins: 201 with a secret shown once, never in the list', async () => {
      const rcv = await receiver();
      const w = await c.hook('coalition', rcv.url);
      assert.match(w.id, /\S/);
      assert.equal(w.url, rcv.url);
      assert.equal(w.created_at, iso(t.clock.now()));
      assert.equal(w.disabled_at, null);
      assert.equal(typeof w.secret, 'string');
      assert.ok(w.secret.length >= 32, `a long random secret: ${w.secret}`);

      const list = ok<{ webhooks: WebhookView[] }>(await c.req('coalition.admin', 'GET', '/api/v1/webhooks'));
      const listed = list.webhooks.find((x) => x.id === w.id);
      assert.ok(listed);
      assert.equal('secret' in listed, false);
      assert.equal(listed.recent_failures, 0);
      assert.ok(!JSON.stringify(list).includes(w.secret), 'the list does not show the secret');

      const other = await c.hook('coalition', rcv.url);
      assert.notEqual(other.secret, w.secret, 'each webhook its own secret');
      // Another party's admin does not see them.
      const theirs = ok<{ webhooks: WebhookView[] }>(
        await c.req('city-police.admin', 'GET', '/api/v1/webhooks'),
      );
      assert.ok(!theirs.webhooks.some((x) => x.id === w.id || x.id === other.id));
      for (const id of [w.id, other.id])
        noContent(await c.req('coalition.admin', 'DELETE', `/api/v1/webhooks/${id}`));
    });

    it('refuses what is not an http(s) URL, or carries credentials: 400 invalid_request on url', async () => {
      for (const url of [
        'ftp://127.0.0.1/hook',
        'not a url',
        '/relative/hook',
        'http://user:pass@127.0.0.1:9/hook',
        'https://token@example.org/hook',
        'javascript:alert(1)',
        42,
        `http://127.0.0.1/${'x'.repeat(2001)}`,
      ]) {
        assertError(
          await c.req('coalition.admin', 'POST', '/api/v1/webhooks', { url }),
          400,
          'invalid_request',
          'url',
        );
      }
      assertError(
        await c.req('coalition.admin', 'POST', '/api/v1/webhooks', {}),
        400,
        'invalid_request',
        'url',
      );
      const list = ok<{ webhooks: WebhookView[] }>(await c.req('coalition.admin', 'GET', '/api/v1/webhooks'));
      assert.ok(
        list.webhooks.every((w) => w.disabled_at !== null),
        'nothing refused was registered',
      );
    });

    it('is refused to members who are not the party admin (403)', async () => {
      const rcv = await receiver();
      for (const who of ['coalition.operator', 'coalition.watch', 'coalition.senior', 'hub.admin']) {
        assertError(await c.req(who, 'POST', '/api/v1/webhooks', { url: rcv.url }), 403, 'forbidden');
      }
      for (const who of ['coalition.watch', 'coalition.senior']) {
        assertError(await c.req(who, 'GET', '/api/v1/webhooks'), 403, 'forbidden');
      }
    });
  });

  describe('delivery', () => {
    it("POSTs every event of the party's stream, signed, with the stream's body, and no other party's", async () => {
      const mine = await receiver();
      const theirs = await receiver();
      const w = await c.hook('relief-agency', mine.url);
      const v = await c.hook('northern-forces', theirs.url);
      const from = await c.head('relief-agency');
      const theirFrom = await c.head('northern-forces');

      await c.event('relief-agency');
      await c.event('northern-forces');
      await c.event('relief-agency');
      // A channel between the two: events on both streams.
      const ch = ok<{ id: string }>(
        await c.req('relief-agency.admin', 'POST', '/api/v1/channels', {
          name: 'aid corridor',
          parties: ['northern-forces'],
        }),
        201,
      );
      assert.equal(mine.got.length, 0, 'nothing is sent before runDue');

      const sentAt = t.clock.now();
      const ran = await t.hub.runDue();
      assert.ok(ran.delivered >= 4, JSON.stringify(ran));

      const stream = await c.events('relief-agency', from);
      assert.equal(stream.events.length, 3, JSON.stringify(stream.events.map((e) => e.type)));
      const got = [...mine.got].sort((a, b) => a.body.seq - b.body.seq);
      assert.equal(got.length, stream.events.length);
      for (const [i, e] of stream.events.entries()) {
        const r = got[i] as Received;
        assert.equal(r.method, 'POST');
        assert.deepEqual(r.body, {
          party: 'relief-agency',
          seq: e.seq,
          type: e.type,
          at: e.at,
          data: e.data,
        });
        assert.deepEqual(Object.keys(r.body), ['party', 'seq', 'type', 'at', 'data']);
        assert.match(String(r.headers['content-type']), /^application\/json/);
        assert.equal(r.headers['x-deconflict-event'], e.type);
        assert.equal(r.headers['x-deconflict-timestamp'], String(Math.floor(sentAt / 1000)));
        assertSigned(r, w.secret);
        assert.throws(() => assertSigned(r, v.secret), 'not signed with another webhook’s secret');
      }
      assert.deepEqual(
        got.map((r) => r.body.type),
        ['roster.changed', 'roster.changed', 'channel.updated'],
      );
      assert.ok(
        got.some((r) => (r.body.data as { id?: string }).id === ch.id),
        'the channel event carries the channel',
      );

      // Delivery ids are the records the admin sees; each event delivered once.
      const records = await c.deliveries('relief-agency', w.id);
      assert.equal(records.length, 3);
      assert.deepEqual(
        records.map((d) => d.id).sort(),
        got.map((r) => r.headers['x-deconflict-delivery']).sort(),
      );
      for (const d of records) {
        assert.equal(d.status, 'delivered');
        assert.equal(d.attempts, 1);
        assert.equal(d.last_status, 200);
        assert.equal(d.delivered_at, iso(sentAt));
        assert.equal(d.next_at, null);
      }

      // The other party's receiver got its own events only.
      const theirStream = await c.events('northern-forces', theirFrom);
      assert.deepEqual(
        theirs.got.map((r) => r.body.seq).sort((a, b) => a - b),
        theirStream.events.map((e) => e.seq),
      );
      assert.ok(theirs.got.every((r) => r.body.party === 'northern-forces'));
      assert.ok(mine.got.every((r) => r.body.party === 'relief-agency'));
      for (const r of theirs.got) assertSigned(r, v.secret);

      // Done is done: running again sends nothing.
      await t.hub.runDue();
      t.clock.advance(DAY);
      await t.hub.runDue();
      assert.equal(mine.got.length, 3);
      for (const id of [w.id])
        noContent(await c.req('relief-agency.admin', 'DELETE', `/api/v1/webhooks/${id}`));
      noContent(await c.req('northern-forces.admin', 'DELETE', `/api/v1/webhooks/${v.id}`));
    });

    it('sends only the events after the webhook was registered', async () => {
      await c.event('city-police');
      const rcv = await receiver();
      const w = await c.hook('city-police', rcv.url);
      const from = await c.head('city-police');
      await c.event('city-police');
      await t.hub.runDue();
      assert.deepEqual(
        rcv.got.map((r) => r.body.seq),
        [from + 1],
      );
      noContent(await c.req('city-police.admin', 'DELETE', `/api/v1/webhooks/${w.id}`));
    });
  });

  describe('retries', () => {
    it('retries a failing receiver after 10 s, 30 s, 90 s …, then fails it, shown to the admin only', async () => {
      const rcv = await receiver(500);
      const w = await c.hook('coalition', rcv.url);
      await c.event('coalition');
      const count = () => rcv.got.length;

      await t.hub.runDue();
      assert.equal(count(), 1, 'the first attempt is at once');
      let [d] = await c.deliveries('coalition', w.id);
      assert.ok(d);
      assert.equal(d.status, 'pending');
      assert.equal(d.attempts, 1);
      assert.equal(d.last_status, 500);
      assert.equal(d.last_error, 'HTTP 500');
      assert.equal(d.next_at, iso(t.clock.now() + 10_000));
      assert.equal(retryDelay(1), 10_000);
      assert.equal(retryDelay(2), 30_000);
      assert.equal(retryDelay(3), 90_000);

      // Not again at the same instant, nor a millisecond before the delay is over.
      await t.hub.runDue();
      assert.equal(count(), 1);
      for (let n = 1; n < MAX_ATTEMPTS; n++) {
        const delay = retryDelay(n);
        t.clock.advance(delay - 1);
        await t.hub.runDue();
        assert.equal(count(), n, `attempt ${n + 1} not before ${delay} ms`);
        t.clock.advance(1);
        await t.hub.runDue();
        assert.equal(count(), n + 1, `attempt ${n + 1} after ${delay} ms`);
        [d] = await c.deliveries('coalition', w.id);
        assert.equal(d?.attempts, n + 1);
        if (n + 1 < MAX_ATTEMPTS) {
          assert.equal(d?.status, 'pending');
          assert.equal(d?.next_at, iso(t.clock.now() + retryDelay(n + 1)));
        }
      }
      // Every attempt carried the same delivery id, each signed at its own time.
      const ids = new Set(rcv.got.map((r) => r.headers['x-deconflict-delivery']));
      assert.equal(ids.size, 1);
      for (const r of rcv.got) assertSigned(r, w.secret);
      assert.equal(new Set(rcv.got.map((r) => r.headers['x-deconflict-timestamp'])).size, MAX_ATTEMPTS);

      assert.equal(d?.status, 'failed');
      assert.equal(d?.next_at, null);
      assert.equal(d?.last_status, 500);
      assert.equal(d?.last_error, 'HTTP 500');
      assert.equal(d?.delivered_at, null);
      // Given up: no more attempts, however late.
      rcv.status = 200;
      t.clock.advance(DAY);
      await t.hub.runDue();
      assert.equal(count(), MAX_ATTEMPTS);

      const listed = await c.listed('coalition', w.id);
      assert.equal(listed.recent_failures, 1);
      assert.equal(listed.last_error, 'HTTP 500');
      const failed = await c.deliveries('coalition', w.id, 'failed');
      assert.deepEqual(
        failed.map((x) => x.id),
        [d?.id],
      );
      assert.deepEqual(await c.deliveries('coalition', w.id, 'pending'), []);
      assert.deepEqual(await c.deliveries('coalition', w.id, 'delivered'), []);
      const ledger = await t.store.read((tx) => tx.ledger.range(1, 1e6));
      assert.ok(ledger.some((e) => e.type === 'webhook.delivery_failed' && e.subject === d?.id));

      // Another party's admin: no such webhook.
      assertError(
        await c.req('city-police.admin', 'GET', `/api/v1/webhooks/${w.id}/deliveries`),
        404,
        'not_found',
      );
      assertError(
        await c.req('city-police.admin', 'GET', `/api/v1/webhooks/${w.id}/deliveries?status=failed`),
        404,
        'not_found',
      );
      assertError(await c.req('city-police.admin', 'DELETE', `/api/v1/webhooks/${w.id}`), 404, 'not_found');
      assertError(
        await c.req('coalition.watch', 'GET', `/api/v1/webhooks/${w.id}/deliveries`),
        403,
        'forbidden',
      );
      noContent(await c.req('coalition.admin', 'DELETE', `/api/v1/webhooks/${w.id}`));
    });

    it('delivers once a failing receiver recovers, on the retry that is due', async () => {
      const rcv = await receiver(503);
      const w = await c.hook('northern-forces', rcv.url);
      await c.event('northern-forces');
      await t.hub.runDue();
      t.clock.advance(retryDelay(1));
      await t.hub.runDue();
      assert.equal(rcv.got.length, 2);
      let [d] = await c.deliveries('northern-forces', w.id);
      assert.equal(d?.status, 'pending');
      assert.equal(d?.last_error, 'HTTP 503');

      rcv.status = 204;
      t.clock.advance(retryDelay(2));
      await t.hub.runDue();
      assert.equal(rcv.got.length, 3);
      [d] = await c.deliveries('northern-forces', w.id);
      assert.equal(d?.status, 'delivered');
      assert.equal(d?.attempts, 3);
      assert.equal(d?.last_status, 204);
      assert.equal(d?.last_error, null);
      assert.equal(d?.delivered_at, iso(t.clock.now()));
      assert.equal((await c.listed('northern-forces', w.id)).recent_failures, 0);
      noContent(await c.req('northern-forces.admin', 'DELETE', `/api/v1/webhooks/${w.id}`));
    });

    it('records a receiver that is down as a failed attempt, saying only that the connection failed', async () => {
      const url = await deadUrl();
      const w = await c.hook('city-police', url);
      await c.event('city-police');
      await t.hub.runDue();
      const [d] = await c.deliveries('city-police', w.id);
      assert.equal(d?.status, 'pending');
      assert.equal(d?.attempts, 1);
      assert.equal(d?.last_status, null);
      // In words that say nothing of the network (no socket error, address or port).
      assert.equal(d?.last_error, 'connection failed');
      assert.equal(d?.next_at, iso(t.clock.now() + retryDelay(1)));
      noContent(await c.req('city-police.admin', 'DELETE', `/api/v1/webhooks/${w.id}`));
    });
  });

  describe('disabling', () => {
    it('stops deliveries: pending ones are failed, new events get none', async () => {
      const rcv = await receiver(500);
      const w = await c.hook('relief-agency', rcv.url);
      await c.event('relief-agency');
      await t.hub.runDue();
      assert.equal(rcv.got.length, 1);

      t.clock.advance(1_000);
      noContent(await c.req('relief-agency.admin', 'DELETE', `/api/v1/webhooks/${w.id}`));
      const listed = await c.listed('relief-agency', w.id);
      assert.equal(listed.disabled_at, iso(t.clock.now()));
      const [d] = await c.deliveries('relief-agency', w.id);
      assert.equal(d?.status, 'failed');
      assert.equal(d?.last_error, 'webhook disabled');
      assert.equal(d?.next_at, null);

      rcv.status = 200;
      await c.event('relief-agency');
      t.clock.advance(DAY);
      await t.hub.runDue();
      assert.equal(rcv.got.length, 1, 'nothing more was sent');
      assert.equal((await c.deliveries('relief-agency', w.id)).length, 1, 'no delivery for the new event');
      // Disabling twice is harmless.
      noContent(await c.req('relief-agency.admin', 'DELETE', `/api/v1/webhooks/${w.id}`));
      assertError(await c.req('relief-agency.admin', 'DELETE', '/api/v1/webhooks/wh_nope'), 404, 'not_found');
    });
  });
});

describe('webhook outbox across a restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'deconflict-webhooks-'));
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers after a restart the deliveries committed with their events before it', async () => {
    const rcv = await receiver();
    const first = await hubAllowingLoopback(dir);
    let w: WebhookView & { secret: string };
    let from: number;
    try {
      const c = client(first);
      w = await c.hook('coalition', rcv.url);
      from = await c.head('coalition');
      await c.event('coalition');
      await c.event('coalition');
    } finally {
      await first.close(true);
    }
    assert.equal(rcv.got.length, 0);

    const second = await hubAllowingLoopback(dir);
    try {
      const c = client(second);
      assert.deepEqual(
        (await c.deliveries('coalition', w.id, 'pending')).map((d) => d.event_seq).sort((a, b) => a - b),
        [from + 1, from + 2],
      );
      await second.hub.runDue();
      const stream = await c.events('coalition', from);
      assert.deepEqual(
        rcv.got.map((r) => r.body.seq).sort((a, b) => a - b),
        [from + 1, from + 2],
      );
      for (const r of rcv.got) {
        assertSigned(r, w.secret);
        const e = stream.events.find((x) => x.seq === r.body.seq);
        assert.deepEqual(r.body, {
          party: 'coalition',
          seq: e?.seq,
          type: e?.type,
          at: e?.at,
          data: e?.data,
        });
      }
      assert.ok((await c.deliveries('coalition', w.id)).every((d) => d.status === 'delivered'));
    } finally {
      await second.close(true);
    }
  });
});
