/**
 * Webhooks cannot reach inside (issue #11, item 5; docs/security.md, "Webhook addresses"): a party
 * admin points a webhook at the hub's own host, its cloud's metadata service or the internal
 * network, and reads the delivery log to learn what answers. Attacked here through the real API
 * of a real hub (SQLite in a temporary directory), with real receivers on loopback:
 *
 * - every address form of test/support/attack-webhooks.ts is refused at registration (422
 *   `address_not_allowed` on `url`), and public addresses in the same forms are accepted;
 * - a name is refused when any address it resolves to is, at registration and again at each
 *   delivery: a name that resolves outside when registered and to loopback later (DNS rebinding)
 *   reaches nothing;
 * - the connection goes to the address that was checked (the socket is pinned to it);
 * - a network the hub's operator allows is reached, and only while it is allowed;
 * - the delivery log says what failed in a few fixed words, never a socket error, address or port.
 *
 * DNS answers are the one thing a test cannot set for the system resolver without changing the
 * machine: those tests give the hub a resolver of their own (`configure({ resolve })`), which
 * answers as an attacker's DNS server would.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Resolve } from '../src/hub/egress.ts';
import type { HubOptions } from '../src/hub/hub.ts';
import { retryDelay } from '../src/hub/webhooks.ts';
import { PUBLIC_WEBHOOK_URLS, refusedWebhookUrls } from './support/attack-webhooks.ts';
import { assertError, ok, sessions, startHub, type TestHub } from './support/hub.ts';
import { DAY, HOUR, iso } from './support/time.ts';

const LONG: readonly [number, number, number] = [30 * DAY, 30 * DAY, 30 * DAY];
const QUIET: HubOptions = { deadlines: { flash: LONG, immediate: LONG, priority: LONG, routine: LONG } };

/** Every word a delivery's `last_error` may be: nothing of the network behind it. */
const VOCABULARY =
  /^(address not allowed|name not resolved|connection failed|timeout|HTTP \d{3}|webhook disabled)$/;

interface Hook {
  id: string;
  url: string;
  secret: string;
}
interface Delivery {
  id: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_status: number | null;
  last_error: string | null;
}

// --- Receivers on loopback -----------------------------------------------------------------------

interface Receiver {
  readonly port: number;
  readonly got: { headers: IncomingHttpHeaders; body: string }[];
  close(): Promise<void>;
}
const servers: Server[] = [];

/** A local HTTP server: records each request and answers `answer(res)` (200 unless told). */
async function receiver(
  answer: (res: import('node:http').ServerResponse) => void = (res) => res.end(),
): Promise<Receiver> {
  const got: Receiver['got'] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      answer(res);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return {
    port: (server.address() as AddressInfo).port,
    got,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port on loopback where nothing listens (it was free a moment ago). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

after(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

/** A resolver answering from a table, as an attacker's DNS server would; counts its questions. */
function resolver(answers: Record<string, (call: number) => string[]>) {
  const calls = new Map<string, number>();
  const resolve: Resolve = async (host) => {
    const n = (calls.get(host) ?? 0) + 1;
    calls.set(host, n);
    const answer = answers[host];
    if (answer === undefined)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return answer(n).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { resolve, calls: (host: string) => calls.get(host) ?? 0 };
}

// --- The hub -------------------------------------------------------------------------------------

describe('webhook addresses', () => {
  let t: TestHub;
  let req: ReturnType<typeof sessions>['req'];
  let shifts = 0;

  before(async () => {
    t = await startHub({ hub: QUIET });
    ({ req } = sessions(() => t, { renewAfter_ms: 6 * HOUR }));
  });
  after(async () => {
    await t.close();
  });

  const register = (url: string) => req('coalition.admin', 'POST', '/api/v1/webhooks', { url });
  const hook = async (url: string): Promise<Hook> => ok<Hook>(await register(url), 201);
  const drop = async (id: string) => {
    assert.equal((await req('coalition.admin', 'DELETE', `/api/v1/webhooks/${id}`)).statusCode, 204);
  };
  const enabled = async (): Promise<{ id: string; url: string }[]> =>
    ok<{ webhooks: { id: string; url: string; disabled_at: string | null }[] }>(
      await req('coalition.admin', 'GET', '/api/v1/webhooks'),
    ).webhooks.filter((w) => w.disabled_at === null);
  const deliveries = async (id: string): Promise<Delivery[]> =>
    ok<{ deliveries: Delivery[] }>(await req('coalition.admin', 'GET', `/api/v1/webhooks/${id}/deliveries`))
      .deliveries;
  /** One event on the coalition's stream (a roster shift), hence one delivery per webhook. */
  const event = async () => {
    const start = t.clock.now() + DAY + shifts++ * HOUR;
    ok(
      await req('coalition.admin', 'POST', '/api/v1/roster', {
        role: 'watch_officer',
        username: 'coalition.watch',
        start: iso(start),
        end: iso(start + HOUR),
      }),
      201,
    );
  };

  it('refuses every address form of the attack list at registration: 422 address_not_allowed on url', async () => {
    t.hub.webhooks.configure({});
    const cases = refusedWebhookUrls(8080);
    assert.ok(cases.length >= 50);
    for (const c of cases) {
      const e = assertError(await register(c.url), 422, 'address_not_allowed', 'url');
      assert.match(e.message, /--webhook-allow/, `${c.what}: the message says who may allow it`);
    }
    assert.deepEqual(await enabled(), [], 'nothing refused was registered');
  });

  it('accepts public addresses, in the same forms (a literal address needs no DNS)', async () => {
    const never = resolver({});
    t.hub.webhooks.configure({ resolve: never.resolve });
    for (const c of PUBLIC_WEBHOOK_URLS) {
      const w = await hook(c.url);
      await drop(w.id);
    }
    assert.equal(never.calls('anything'), 0);
  });

  it('refuses a name when any address it resolves to is refused, without saying which address', async () => {
    const dns = resolver({
      'mixed.example.org': () => ['93.184.216.34', '10.0.0.7'],
      'inside.example.org': () => ['192.168.0.10'],
      'metadata.example.org': () => ['169.254.169.254'],
      'mapped.example.org': () => ['::ffff:127.0.0.1'],
      'public.example.org': () => ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
    });
    t.hub.webhooks.configure({ resolve: dns.resolve });
    for (const host of ['mixed', 'inside', 'metadata', 'mapped']) {
      const e = assertError(
        await register(`https://${host}.example.org/hook`),
        422,
        'address_not_allowed',
        'url',
      );
      assert.match(e.message, new RegExp(`${host}\\.example\\.org resolves to an address`));
      assert.doesNotMatch(e.message, /10\.0\.0\.7|192\.168|169\.254|127\.0\.0\.1/, e.message);
    }
    // All public: registered. A name that does not resolve (yet) is accepted: each delivery checks it.
    await drop((await hook('https://public.example.org/hook')).id);
    await drop((await hook('https://not-yet.example.org/hook')).id);
    assert.deepEqual(await enabled(), []);
  });

  it('refuses at delivery what the name resolves to by then: DNS rebinding reaches nothing', async () => {
    const inside = await receiver();
    const dns = resolver({
      // Outside when the hub checks at registration, loopback from then on.
      'rebind.example.org': (n) => (n === 1 ? ['93.184.216.34'] : ['127.0.0.1']),
    });
    t.hub.webhooks.configure({ resolve: dns.resolve });
    const w = await hook(`http://rebind.example.org:${inside.port}/hook`);
    await event();
    await t.hub.runDue();
    t.clock.advance(retryDelay(1));
    await t.hub.runDue();
    const [d] = await deliveries(w.id);
    assert.equal(d?.status, 'pending');
    assert.equal(d?.attempts, 2);
    assert.equal(d?.last_status, null);
    assert.equal(d?.last_error, 'address not allowed');
    assert.equal(inside.got.length, 0, 'nothing reached the receiver on loopback');
    assert.equal(dns.calls('rebind.example.org'), 3, 'resolved at registration and at each delivery');
    await drop(w.id);
    await inside.close();
  });

  it('connects to the address it checked: resolved once per delivery, the socket pinned to it', async () => {
    const rcv = await receiver();
    // A name only this resolver knows: were the socket to resolve it again (the system's
    // resolver), it would not connect at all.
    const dns = resolver({ 'pinned.example.org': () => ['127.0.0.1'] });
    t.hub.webhooks.configure({ allow: ['127.0.0.0/8'], resolve: dns.resolve });
    const w = await hook(`http://pinned.example.org:${rcv.port}/hook`);
    await event();
    await event();
    await t.hub.runDue();
    assert.equal(rcv.got.length, 2);
    for (const r of rcv.got) assert.equal(r.headers.host, `pinned.example.org:${rcv.port}`);
    assert.ok((await deliveries(w.id)).every((d) => d.status === 'delivered' && d.last_error === null));
    assert.equal(dns.calls('pinned.example.org'), 3, 'one resolution at registration, one per delivery');
    await drop(w.id);
    await rcv.close();
  });

  it('reaches a network the operator allows, and only while it is allowed', async () => {
    const rcv = await receiver();
    t.hub.webhooks.configure({ allow: ['127.0.0.0/8'] });
    // An IPv4 network allows its IPv4-mapped form too; loopback by name is 127.0.0.1.
    for (const host of ['127.0.0.1', '[::ffff:127.0.0.1]', 'localhost']) {
      await drop((await hook(`http://${host}:${rcv.port}/hook`)).id);
    }
    // Only that network: IPv6 loopback, private networks and metadata stay refused.
    for (const url of ['http://[::1]/', 'http://10.0.0.5/', 'http://169.254.169.254/']) {
      assertError(await register(url), 422, 'address_not_allowed', 'url');
    }
    const w = await hook(`http://127.0.0.1:${rcv.port}/hook`);
    // The operator restarts the hub without the allowance: the webhook is refused at delivery.
    t.hub.webhooks.configure({});
    await event();
    await t.hub.runDue();
    let [d] = await deliveries(w.id);
    assert.equal(d?.last_error, 'address not allowed');
    assert.equal(rcv.got.length, 0);
    // Allowed again: the retry that is due delivers it.
    t.hub.webhooks.configure({ allow: ['127.0.0.0/8'] });
    t.clock.advance(retryDelay(1));
    await t.hub.runDue();
    [d] = await deliveries(w.id);
    assert.equal(d?.status, 'delivered');
    assert.equal(rcv.got.length, 1);
    await drop(w.id);
    await rcv.close();
  });

  it('tells the party admin what failed in a few fixed words, never a socket error, address or port', async () => {
    const target = await receiver();
    const redirect = await receiver((res) => {
      res.statusCode = 302;
      res.setHeader('location', `http://127.0.0.1:${target.port}/elsewhere`);
      res.end();
    });
    const failing = await receiver((res) => {
      res.statusCode = 500;
      res.end('stack trace of the receiver');
    });
    const silent = await receiver(() => {
      // Never answers: the hub gives up at its timeout.
    });
    const dead = await deadPort();
    const dns = resolver({});
    t.hub.webhooks.configure({ allow: ['127.0.0.0/8'], resolve: dns.resolve, timeout_ms: 500 });
    const cases: [string, string, number | null][] = [
      [`http://127.0.0.1:${dead}/hook`, 'connection failed', null],
      [`http://127.0.0.1:${silent.port}/hook`, 'timeout', null],
      [`http://127.0.0.1:${failing.port}/hook`, 'HTTP 500', 500],
      [`http://127.0.0.1:${redirect.port}/hook`, 'HTTP 302', 302],
      ['http://nowhere.example.org/hook', 'name not resolved', null],
      [`https://127.0.0.1:${target.port}/hook`, 'connection failed', null],
    ];
    const hooks: Hook[] = [];
    for (const [url] of cases) hooks.push(await hook(url));
    // Then the operator narrows the allowance: one more, refused at delivery.
    const narrowed = await hook(`http://127.0.0.2:${target.port}/hook`);
    t.hub.webhooks.configure({ allow: ['127.0.0.1/32'], resolve: dns.resolve, timeout_ms: 500 });
    await event();
    await t.hub.runDue();

    for (const [i, [url, error, status]] of cases.entries()) {
      const [d] = await deliveries((hooks[i] as Hook).id);
      assert.equal(d?.last_error, error, url);
      assert.equal(d?.last_status, status, url);
      assert.equal(d?.status, 'pending', `${url}: retried later`);
    }
    assert.equal((await deliveries(narrowed.id))[0]?.last_error, 'address not allowed');
    assert.equal(target.got.length, 0, 'a redirect is not followed, and https is not downgraded');
    assert.equal(redirect.got.length, 1);
    // Nothing the admin can read carries more than those words.
    const listed = ok<{ webhooks: { last_error?: string | null }[] }>(
      await req('coalition.admin', 'GET', '/api/v1/webhooks'),
    ).webhooks;
    for (const w of [...hooks, narrowed]) {
      for (const d of await deliveries(w.id)) {
        assert.match(String(d.last_error), VOCABULARY);
        assert.doesNotMatch(JSON.stringify(d), /ECONN|EHOST|ENOTFOUND|socket|127\.0\.0|:\d{4,5}/);
      }
    }
    for (const w of listed) if (w.last_error != null) assert.match(w.last_error, VOCABULARY);
    for (const w of [...hooks, narrowed]) await drop(w.id);
    for (const r of [target, redirect, failing, silent]) await r.close();
  });
});
