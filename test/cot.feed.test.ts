/**
 * The live Cursor-on-Target feed (src/server/cot-feed.ts) over real sockets, as a TAK client
 * meets it: the demo theatre around Arad, a TAK-style `<auth>` with an API token, the snapshot
 * of the party's view, live changes, and the refusals (bad token, silence, revocation, TLS
 * without a client certificate, plain TCP off loopback). Every event received is parsed by
 * @tak-ps/node-cot, the library TAK tooling uses; the stream is split on `</event>`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { CoTParser } from '@tak-ps/node-cot';
import type { ConflictView, DeclarationFeature, SubmissionResult } from '../src/api/declarations.ts';
import type { AlertView } from '../src/api/watch.ts';
import { type CotFeed, startCotFeed } from '../src/server/cot-feed.ts';
import { runCli } from './support/cli.ts';
import { ok, request, startHub, type TestHub } from './support/hub.ts';
import { serve } from './support/serve.ts';
import { makeCertificates } from './support/service.ts';

const TIMEOUT = { timeout: 60_000 };

/** A TAK client on one socket: what it received, split into events, and how it ended. */
class TakClient {
  raw = '';
  readonly closed: Promise<void>;
  private readonly waiters = new Set<() => void>();
  private ended = false;

  constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (s: string) => {
      this.raw += s;
      this.wake();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.ended = true;
        this.wake();
        resolve();
      }),
    );
  }

  static plain(port: number): Promise<TakClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(new TakClient(s)));
      s.once('error', reject);
    });
  }

  /** The events received so far, each a whole `<event>` document. */
  get events(): string[] {
    return this.raw
      .split('</event>')
      .slice(0, -1)
      .map((e) => `${e}</event>`);
  }

  uids(type?: string): string[] {
    return this.events
      .map((e) => CoTParser.from_xml(e))
      .filter((c) => type === undefined || c.raw.event._attributes.type === type)
      .map((c) => c.raw.event._attributes.uid);
  }

  auth(token: string): void {
    this.socket.write(`<auth><cot username="atak-1" password="${token}" uid="ANDROID-test"/></auth>`);
  }

  /** Resolves once `done(this)` holds; rejects if the socket closes first or after `ms`. */
  until(done: (c: TakClient) => boolean, what: string, ms = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (done(this)) return finish(resolve);
        if (this.ended)
          finish(() => reject(new Error(`closed before ${what}; got ${this.events.length} events`)));
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`no ${what} within ${ms} ms; got ${this.events.length} events`))),
        ms,
      );
      const finish = (f: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        f();
      };
      this.waiters.add(check);
      check();
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

/** What a party reads over the API: the picture its feed must show. */
async function viewOf(h: TestHub, token: string) {
  const decls = ok<{ features: DeclarationFeature[] }>(
    await request(h.app, token, 'GET', '/api/v1/declarations?status=active&limit=5000'),
  ).features;
  const { conflicts } = ok<{ conflicts: ConflictView[] }>(
    await request(h.app, token, 'GET', '/api/v1/conflicts?status=open&limit=5000'),
  );
  const { alerts } = ok<{ alerts: AlertView[] }>(
    await request(h.app, token, 'GET', '/api/v1/alerts?status=open&limit=5000'),
  );
  return {
    uids: [
      ...decls.map((f) => `deconflict.${f.properties.id}`),
      ...conflicts.map((c) => `deconflict.conflict.${c.id}`),
      ...alerts.map((a) => `deconflict.alert.${a.id}`),
    ],
    decls,
  };
}

/** An API token of a party's system, made by its admin over the API. */
async function apiToken(h: TestHub, party: string): Promise<{ id: string; token: string }> {
  const admin = await h.login(`${party}.admin`);
  return ok(
    await request(h.app, admin, 'POST', '/api/v1/tokens', { name: 'atak', roles: ['watch_officer'] }),
    201,
  );
}

const point = (lon: number, lat: number) => ({ type: 'Point', coordinates: [lon, lat] });

describe('the CoT feed on 127.0.0.1', () => {
  let h: TestHub;
  let feed: CotFeed;
  before(async () => {
    h = await startHub();
    feed = await startCotFeed(h.hub, { host: '127.0.0.1', port: 0, authTimeoutMs: 300 });
  });
  after(async () => {
    await feed.close();
    await h.close();
  });

  it('sends the party its view, then conflicts and withdrawals as they commit', TIMEOUT, async () => {
    const { token } = await apiToken(h, 'northern-forces');
    const expected = await viewOf(h, token);
    assert.ok(
      expected.decls.length > 10 && expected.uids.length > expected.decls.length,
      'the demo has a picture',
    );
    const tak = await TakClient.plain(feed.port);
    tak.auth(token);
    await tak.until((c) => expected.uids.every((u) => c.uids().includes(u)), 'the snapshot');
    // Each event is one CoT message TAK reads, and the snapshot is the view, nothing else.
    assert.deepEqual(new Set(tak.uids()), new Set(expected.uids));
    for (const e of tak.events)
      assert.equal(typeof CoTParser.from_xml(e).raw.event._attributes.stale, 'string');
    // The school of the northern forces is a point on the map where the API puts it.
    const school = tak.events.find((e) => e.includes('uid="deconflict.northern-forces:site-north-school"'));
    const geo = await CoTParser.to_geojson(CoTParser.from_xml(school as string));
    assert.equal(geo.geometry.type, 'Point');
    assert.deepEqual((geo.geometry.coordinates as number[]).slice(0, 2), [21.33, 46.193]);

    // A ping is answered.
    const before = tak.events.length;
    const t = new Date(h.clock.now()).toISOString();
    tak.socket.write(
      `<event version="2.0" uid="ANDROID-test-ping" type="t-x-c-t" how="m-g" time="${t}" start="${t}" stale="${t}"><point lat="0" lon="0" hae="0" ce="9999999" le="9999999"/><detail/></event>`,
    );
    await tak.until((c) => c.uids('t-x-c-t-r').length === 1, 'the pong');
    assert.equal(tak.events.length, before + 1);

    // The coalition plans a strike 100 m from the northern forces' school: both arrive live.
    const coalition = await h.login('coalition.operator');
    const strike = {
      type: 'Feature',
      geometry: point(21.3312, 46.1938),
      properties: {
        id: 'strike-feed-test',
        kind: 'strike',
        start: '2026-11-23T12:00:00Z',
        end: '2026-11-23T13:00:00Z',
        buffer_m: 300,
        label: 'Strike on a bridgehead north of the school',
      },
    };
    const submitted = ok<SubmissionResult>(
      await request(h.app, coalition, 'POST', '/api/v1/declarations', {
        type: 'FeatureCollection',
        features: [strike],
      }),
      201,
    );
    const conflict = submitted.conflicts.find((c) => JSON.stringify(c).includes('site-north-school'));
    assert.ok(conflict, JSON.stringify(submitted.conflicts));
    const conflictUid = `deconflict.conflict.${conflict.id}`;
    await tak.until(
      (c) => c.uids().includes('deconflict.coalition:strike-feed-test') && c.uids().includes(conflictUid),
      'the new strike and its conflict',
    );
    const line = tak.events.find((e) => e.includes(`uid="${conflictUid}"`)) as string;
    const lineGeo = await CoTParser.to_geojson(CoTParser.from_xml(line));
    assert.equal(lineGeo.geometry.type, 'LineString', line);

    // Withdrawn: TAK is told to delete the strike and the conflict it caused.
    ok(
      await request(h.app, coalition, 'POST', '/api/v1/declarations/coalition:strike-feed-test/withdraw', {
        reason: 'called off',
      }),
    );
    const deleted = (c: TakClient) =>
      c.events
        .filter((e) => CoTParser.from_xml(e).raw.event._attributes.type === 't-x-d-d')
        .map((e) => /<link uid="([^"]+)"/.exec(e)?.[1]);
    await tak.until(
      (c) => deleted(c).includes('deconflict.coalition:strike-feed-test') && deleted(c).includes(conflictUid),
      'the deletes',
    );
    tak.close();
  });

  it("never carries another party's hidden declaration", TIMEOUT, async () => {
    const { token } = await apiToken(h, 'northern-forces');
    const tak = await TakClient.plain(feed.port);
    tak.auth(token);
    const expected = await viewOf(h, token);
    await tak.until((c) => expected.uids.every((u) => c.uids().includes(u)), 'the snapshot');
    // The relief agency's clinic is shown to the agency and the coalition only.
    const clinic = readScenario().find((f) => f.properties.id === 'site-relief-clinic') as ScenarioFeature;
    // The agency now declares a field kitchen it shows nobody, 20 m from a northern-forces strike.
    const relief = await h.login('relief-agency.operator');
    const kitchen = {
      type: 'Feature',
      geometry: point(21.31957, 46.18163),
      properties: {
        id: 'hidden-field-kitchen',
        kind: 'protected_site',
        category: 'humanitarian',
        start: '2026-11-22T00:00:00Z',
        buffer_m: 100,
        visibility: ['relief-agency'],
        label: 'Field kitchen behind the tram depot',
      },
    };
    const submitted = ok<SubmissionResult>(
      await request(h.app, relief, 'POST', '/api/v1/declarations', {
        type: 'FeatureCollection',
        features: [kitchen],
      }),
      201,
    );
    const { conflicts: seen } = ok<{ conflicts: ConflictView[] }>(
      await request(h.app, token, 'GET', '/api/v1/conflicts?status=open&limit=5000'),
    );
    const hidden = seen.filter((c) => submitted.conflicts.some((s) => s.id === c.id));
    assert.ok(hidden.length > 0, 'the northern forces see a conflict with a hidden side');
    await tak.until(
      (c) => hidden.every((x) => c.uids().includes(`deconflict.conflict.${x.id}`)),
      'the conflict with a hidden side',
    );
    for (const secret of [
      'relief-agency:site-relief-clinic',
      'site-relief-clinic',
      clinic.properties.label,
      '21.32,46.1975',
      'lat="46.1975"',
      'relief-agency:hidden-field-kitchen',
      'hidden-field-kitchen',
      kitchen.properties.label,
      '21.31957',
      '46.18163',
    ])
      assert.ok(!tak.raw.includes(secret), `the feed carries ${secret}`);
    tak.close();
  });

  it(
    'closes on a bad token, on silence and on too much before authenticating, sending nothing',
    TIMEOUT,
    async () => {
      const bad = await TakClient.plain(feed.port);
      bad.auth('not-a-token-of-this-hub');
      await bad.closed;
      assert.equal(bad.raw, '');

      const silent = await TakClient.plain(feed.port);
      await silent.closed;
      assert.equal(silent.raw, '');

      const flood = await TakClient.plain(feed.port);
      flood.socket.write(`<auth>${'x'.repeat(9000)}`);
      await flood.closed;
      assert.equal(flood.raw, '');

      const dtd = await TakClient.plain(feed.port);
      const { token } = await apiToken(h, 'city-police');
      dtd.socket.write(
        `<!DOCTYPE auth [<!ENTITY t "${token}">]><auth><cot username="u" password="&t;"/></auth>`,
      );
      await dtd.closed;
      assert.equal(dtd.raw, '');

      // Authenticated, a client's own position report is read and dropped; 64 KiB of one is too much.
      const chatty = await TakClient.plain(feed.port);
      chatty.auth(token);
      await chatty.until((c) => c.events.length > 0, 'the snapshot');
      const t = new Date(h.clock.now()).toISOString();
      const own = `<event version="2.0" uid="ANDROID-test" type="a-f-G-U-C" how="h-e" time="${t}" start="${t}" stale="${t}"><point lat="46.17" lon="21.3" hae="110" ce="10" le="10"/><detail><contact callsign="PATROL-1"/></detail></event>`;
      chatty.socket.write(own);
      chatty.socket.write(
        `<event version="2.0" uid="ANDROID-test" type="a-f-G-U-C"><detail><remarks>${'x'.repeat(70_000)}`,
      );
      await chatty.closed;
      assert.ok(!chatty.raw.includes('ANDROID-test'), 'nothing of the client is echoed');
    },
  );

  it('closes the feed when its token is revoked', TIMEOUT, async () => {
    const { id, token } = await apiToken(h, 'city-police');
    const tak = await TakClient.plain(feed.port);
    tak.auth(token);
    await tak.until((c) => c.events.length > 0, 'the snapshot');
    const admin = await h.login('city-police.admin');
    assert.equal((await request(h.app, admin, 'DELETE', `/api/v1/tokens/${id}`)).statusCode, 204);
    await tak.closed;
    // And the token opens no feed any more.
    const again = await TakClient.plain(feed.port);
    again.auth(token);
    await again.closed;
    assert.equal(again.raw, '');
  });
});

describe('the CoT feed over time', () => {
  let h: TestHub;
  let feed: CotFeed;
  before(async () => {
    h = await startHub();
    feed = await startCotFeed(h.hub, { host: '127.0.0.1', port: 0, refreshMs: 50 });
  });
  after(async () => {
    await feed.close();
    await h.close();
  });

  it(
    'sends an open-ended declaration again before it goes stale, and one with an end never',
    TIMEOUT,
    async () => {
      const { token } = await apiToken(h, 'northern-forces');
      const tak = await TakClient.plain(feed.port);
      tak.auth(token);
      const school = 'deconflict.northern-forces:site-north-school';
      const airfield = 'deconflict.northern-forces:rz-airfield';
      const staleOf = (uid: string) =>
        tak.events
          .map((e) => CoTParser.from_xml(e).raw.event._attributes)
          .filter((a) => a.uid === uid)
          .map((a) => Date.parse(a.stale));
      await tak.until((c) => c.uids().includes(school) && c.uids().includes(airfield), 'the snapshot');
      const t0 = h.clock.now();
      // The school has no end: shown for a day. The airfield's restricted zone ends on 1 December.
      assert.deepEqual(staleOf(school), [t0 + 24 * 3_600_000]);
      assert.deepEqual(staleOf(airfield), [Date.parse('2026-12-01T00:00:00Z')]);
      // Eleven hours on, more than half its day is gone: nothing is sent yet.
      h.clock.advance(11 * 3_600_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(staleOf(school).length, 1);
      // Thirteen hours on, less than half is left: sent again for a day from now.
      h.clock.advance(2 * 3_600_000);
      await tak.until((c) => c.uids().filter((u) => u === school).length === 2, 'the refresh');
      assert.deepEqual(staleOf(school), [t0 + 24 * 3_600_000, h.clock.now() + 24 * 3_600_000]);
      assert.equal(staleOf(airfield).length, 1);
      tak.close();
    },
  );
});

type ScenarioFeature = { properties: { id: string; label: string } };
function readScenario(): ScenarioFeature[] {
  const text = readFileSync(new URL('../scenarios/river-line.geojson', import.meta.url), 'utf8');
  return (JSON.parse(text) as { features: ScenarioFeature[] }).features;
}

describe('the CoT feed over TLS', () => {
  let h: TestHub;
  let feed: CotFeed;
  let dir: string;
  const file = (name: string) => readFileSync(join(dir, name));
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'deconflict-cot-tls-'));
    makeCertificates(dir);
    h = await startHub();
    feed = await startCotFeed(h.hub, {
      host: '127.0.0.1',
      port: 0,
      tls: { cert: file('server.pem'), key: file('server.key'), ca: file('ca.pem') },
    });
  });
  after(async () => {
    await feed.close();
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const connect = (client?: { cert: Buffer; key: Buffer }): Promise<TakClient> =>
    new Promise((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: feed.port, ca: file('ca.pem'), ...client }, () =>
        resolve(new TakClient(s)),
      );
      s.once('error', reject);
    });

  it('serves a client whose certificate the CA signed', TIMEOUT, async () => {
    assert.match(feed.url, /^ssl:\/\/127\.0\.0\.1:\d+$/);
    const { token } = await apiToken(h, 'coalition');
    const expected = await viewOf(h, token);
    const tak = await connect({ cert: file('client.pem'), key: file('client.key') });
    assert.equal((tak.socket as tls.TLSSocket).getProtocol()?.startsWith('TLSv1.'), true);
    tak.auth(token);
    await tak.until((c) => expected.uids.every((u) => c.uids().includes(u)), 'the snapshot');
    assert.deepEqual(new Set(tak.uids()), new Set(expected.uids));
    tak.close();
  });

  it('refuses a client without a certificate', TIMEOUT, async () => {
    const { token } = await apiToken(h, 'coalition');
    // TLS 1.3 completes the client's side before the server checks its certificate: the refusal
    // then arrives as an alert, and the socket closes without a single event.
    const refused = await connect().then(
      async (tak) => {
        tak.auth(token);
        await tak.closed;
        return tak.raw;
      },
      () => '',
    );
    assert.equal(refused, '');
  });
});

describe('deconflict serve --cot-port', () => {
  it('refuses plain TCP on an address that is not loopback', TIMEOUT, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'deconflict-cot-serve-'));
    try {
      for (const host of ['0.0.0.0', '192.0.2.10', 'localhost']) {
        const r = await runCli(['serve', '--data', dir, '--cot-port', '0', '--cot-host', host]);
        assert.equal(r.status, 2, r.err);
        assert.match(r.err, /^deconflict serve: --cot-host .* is not a loopback address.*--cot-tls-cert/);
        assert.equal(r.err.trim().split('\n').length, 1, r.err);
      }
      const r = await runCli(['serve', '--data', dir, '--cot-tls-ca', join(dir, 'ca.pem')]);
      assert.equal(r.status, 2);
      assert.match(r.err, /--cot-tls-ca needs --cot-port/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('starts the feed beside the API, for a token made over HTTP', TIMEOUT, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'deconflict-cot-serve-'));
    const hub = await serve(['--data', dir, '--demo', '--log-level', 'silent', '--cot-port', '0']);
    try {
      const url = /CoT feed listening on tcp:\/\/127\.0\.0\.1:(\d+)/.exec(hub.stdout());
      assert.ok(url, hub.stdout());
      const login = await fetch(`${hub.url}/api/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'relief-agency.watch', password: 'demo-relief-agency' }),
      });
      const { token } = (await login.json()) as { token: string };
      const tak = await TakClient.plain(Number(url[1]));
      tak.auth(token);
      await tak.until(
        (c) => c.uids().includes('deconflict.relief-agency:site-relief-clinic'),
        'its own clinic',
      );
      tak.close();
    } finally {
      await hub.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
