/**
 * Several hub instances on one PostgreSQL database behave as one hub: three real `deconflict
 * serve` processes, clients spread over them.
 *
 * - A console on instance A sees the events written through B and C, in order, with no gap, and
 *   exactly the events the store holds for its party.
 * - Concurrent, mutually conflicting submissions to all three: every conflict found, exactly
 *   once, compared with every pair evaluated by the engine's pair rule (no index).
 * - One instance killed (SIGKILL) in the middle of a stream of submissions: the others carry on,
 *   and nothing answered 2xx is lost; the ledger's chain verifies.
 * - Alerts escalate exactly once across instances, also when the instance whose submission
 *   raised them is killed at once.
 * - A token revoked through one instance closes its stream on another at once.
 * - Password guesses spread over instances meet one back-off per name (the login gate's counts
 *   are told to every instance).
 *
 * The declarations are real GeoJSON in a 2 km square east of Deva, Romania (22.9°E 45.87°N),
 * away from the demo theatre around Arad, within the next hours so that they overlap in time.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { LedgerEntry } from '../src/domain/records.ts';
import { DEMO_HUB_ADMIN, DEMO_PARTIES, demoAccounts } from '../src/hub/demo.ts';
import { verifyChain } from '../src/ledger/chain.ts';
import { openPostgresStore, type PostgresStore } from '../src/store/postgres.ts';
import { bruteForceCompare } from './support/brute-force.ts';
import { own } from './support/ids.ts';
import { freshPgDatabase, type PgDatabase, pgSkip } from './support/postgres.ts';
import { seeded } from './support/random.ts';
import { api, killAll, login, type Served, serve } from './support/serve.ts';
import { type Frame, StreamConsole, streamUrl } from './support/stream.ts';
import { iso, MIN } from './support/time.ts';

const SKIP = await pgSkip();

/** The squares' south-west corner and side (2 km); each test has its own square, 4 km east of the last. */
const LON0 = 22.9;
const LAT0 = 45.87;
const DLAT = 2000 / 111_132;
const DLON = 2000 / (111_320 * Math.cos((LAT0 * Math.PI) / 180));

const password = (username: string): string =>
  username === DEMO_HUB_ADMIN.username
    ? DEMO_HUB_ADMIN.password
    : (demoAccounts(username.split('.')[0] as string)[0] as { password: string }).password;

/** Alerts escalate every 3 s, so that a test sees a whole escalation (flash..routine alike). */
const SERVE_ARGS = [
  '--detect-workers',
  '1',
  '--rate-limit',
  '5000/s',
  '--rate-burst',
  '5000',
  '--ack-deadlines',
  '0.05,0.05,0.05,0.05',
  '--log-level',
  'warn',
  // The webhook receiver of the last tests listens on loopback.
  '--webhook-allow',
  '127.0.0.0/8',
];

type Kind = 'strike' | 'movement' | 'protected_site';

/** A declaration in square `sq`: a point strike, a route, or a protected site, within the next 2 h. */
function feature(rng: () => number, id: string, kind: Kind, now: number, sq: number) {
  const at = (): [number, number] => [
    Math.round((LON0 + (2 * sq + rng()) * DLON) * 1e6) / 1e6,
    Math.round((LAT0 + rng() * DLAT) * 1e6) / 1e6,
  ];
  const start = now + (10 + Math.floor(rng() * 90)) * MIN;
  const geometry =
    kind === 'movement'
      ? { type: 'LineString', coordinates: [at(), at(), at()] }
      : { type: 'Point', coordinates: at() };
  return {
    type: 'Feature',
    geometry,
    properties: {
      id,
      kind,
      start: iso(start),
      end: iso(start + (kind === 'protected_site' ? 240 : 30) * MIN),
      buffer_m: kind === 'strike' ? 150 : kind === 'movement' ? 25 : 100,
      ...(kind === 'protected_site' && { category: 'medical' }),
      visibility: 'all',
    },
  };
}

/** Who submits what: each party its own kind, so that their declarations meet across parties. */
const SUBMITTERS: readonly { party: string; kind: Kind }[] = [
  { party: 'coalition', kind: 'strike' },
  { party: 'northern-forces', kind: 'movement' },
  { party: 'relief-agency', kind: 'protected_site' },
];

/** Run `jobs` with at most `width` in flight. */
async function pool<T>(jobs: readonly (() => Promise<T>)[], width: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await (jobs[i] as () => Promise<T>)();
      }
    }),
  );
  return out;
}

/** An instance's logged errors (pino level 50 and up), to tell why it answered 5xx. */
const errorsOf = (n: Served): string =>
  n
    .stdout()
    .split('\n')
    .filter((l) => /"level":(5|6)0/.test(l))
    .join('\n');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A party's webhook receiver on loopback: every request it answered, by delivery id; while
 * `hold` is set it reads requests and never answers them (a receiver that hangs, or a sender that
 * dies before it hears back).
 */
class Receiver {
  readonly answered = new Map<string, number>();
  /** Requests read and never answered, with their delivery ids. */
  readonly held: { readonly id: string; readonly res: ServerResponse }[] = [];
  hold = false;
  private readonly server: Server;
  private constructor(server: Server) {
    this.server = server;
  }
  static async start(): Promise<Receiver> {
    const server = createServer();
    const r = new Receiver(server);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      req.on('end', () => {
        const id = String(req.headers['x-deconflict-delivery']);
        if (r.hold) {
          r.held.push({ id, res });
          return;
        }
        r.answered.set(id, (r.answered.get(id) ?? 0) + 1);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return r;
  }
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }
  close(): void {
    for (const h of this.held) h.res.destroy();
    this.server.closeAllConnections();
    this.server.close();
  }
}

/** Every ledger entry, in order. */
async function ledger(store: PostgresStore): Promise<LedgerEntry[]> {
  const out: LedgerEntry[] = [];
  for (;;) {
    const page = await store.read((tx) => tx.ledger.range(out.length + 1, 5000));
    out.push(...page);
    if (page.length < 5000) return out;
  }
}

describe('several instances on one PostgreSQL database', { skip: SKIP }, () => {
  let db: PgDatabase;
  let store: PostgresStore;
  /** A, B, C; an instance killed is replaced at its place. */
  const nodes: Served[] = [];
  // One login per account, through A: a token is the hub's, valid on every instance.
  const tokens = new Map<string, Promise<string>>();
  const tokenOf = (username: string): Promise<string> => {
    let t = tokens.get(username);
    if (t === undefined) {
      t = login((nodes[0] as Served).url, username, password(username));
      tokens.set(username, t);
    }
    return t;
  };
  const submit = async (via: Served, party: string, body: unknown) =>
    api(via.url, await tokenOf(`${party}.operator`), 'POST', '/api/v1/declarations', body);

  before(async () => {
    if (SKIP) return;
    db = await freshPgDatabase();
    // The first loads the demo (accounts and the river-line scenario); the others join it.
    nodes.push(await serve(['--database', db.url, '--demo', ...SERVE_ARGS]));
    nodes.push(...(await Promise.all([1, 2].map(() => serve(['--database', db.url, ...SERVE_ARGS])))));
    store = await openPostgresStore({ url: db.url });
  });

  after(async () => {
    await killAll();
    await store?.close();
    await db?.drop();
  });

  it('shows a console on A the events written through B and C, in order and with no gap', async () => {
    const [a, b, c] = nodes as [Served, Served, Served];
    const party = 'northern-forces';
    const console_ = await StreamConsole.connect(streamUrl(a.url), {
      bearer: await tokenOf(`${party}.watch`),
    });
    try {
      const hello = await console_.waitFor((f) => f.type === 'hello', 'hello');
      const since = hello.frame.since as number;
      const rng = seeded(11);
      const now = Date.now();
      // Shared changes (every party's stream) through C, the party's own through B, interleaved.
      const ids: string[] = [];
      const jobs = Array.from({ length: 30 }, (_, i) => async () => {
        const [via, who, kind] =
          i % 2 === 0 ? [c, 'coalition', 'strike' as const] : [b, party, 'movement' as const];
        const id = `feed-${i}`;
        const r = await submit(via, who, feature(rng, id, kind, now, 0));
        assert.equal(r.status, 201, `${JSON.stringify(r.body)}\n${errorsOf(via)}`);
        ids.push(own(who, id));
      });
      await pool(jobs, 6);
      const seen = (f: Frame) =>
        f.type === 'declaration.changed' && ids.includes((f.data as { id: string }).id);
      for (;;) {
        const got = new Set(console_.events.filter(seen).map((f) => (f.data as { id: string }).id));
        if (got.size === ids.length) break;
        await console_.waitFor(
          (f) => seen(f) && !got.has((f.data as { id: string }).id),
          'the next declaration',
          10_000,
        );
      }
      const seqs = console_.events.map((f) => f.seq as number);
      assert.deepEqual(
        seqs,
        seqs.map((_, i) => since + 1 + i),
        'one order, no gap, nothing twice',
      );
      // Exactly what the store holds for the party, event for event.
      const stored = await store.read((tx) => tx.events.since(party, since, seqs.length));
      assert.deepEqual(
        console_.events.map((f) => [f.seq, f.type]),
        stored.map((e) => [e.seq, e.type]),
      );
    } finally {
      await console_.close();
    }
  });

  it('finds every conflict exactly once when conflicting submissions reach all three at once', async () => {
    const rng = seeded(29);
    const now = Date.now();
    const jobs = Array.from({ length: 90 }, (_, i) => async () => {
      const s = SUBMITTERS[i % 3] as { party: string; kind: Kind };
      const via = nodes[Math.floor(i / 3) % 3] as Served;
      const r = await submit(via, s.party, feature(rng, `race-${i}`, s.kind, now, 1));
      assert.equal(r.status, 201, `${JSON.stringify(r.body)}\n${errorsOf(via)}`);
      return (r.body.conflicts as unknown[]).length;
    });
    const answered = await pool(jobs, 12);
    const check = await bruteForceCompare(
      store,
      DEMO_PARTIES.map((p) => p.id),
      (id) => id.includes(':race-'),
    );
    assert.equal(check.declarations, 90);
    assert.ok(check.expected >= 30, `a real race needs conflicts: ${check.expected}`);
    assert.deepEqual(check.missed, [], 'missed');
    assert.deepEqual(check.extra, [], 'recorded without a pair rule');
    assert.deepEqual(check.repeated, [], 'recorded twice');
    assert.equal(check.recorded, check.expected);
    // Each conflict was told to the submission that made it (the later one), once in all.
    assert.equal(
      answered.reduce((s, n) => s + n, 0),
      check.expected,
    );
  });

  it('carries on when one instance is killed mid-stream, losing nothing it answered', async () => {
    const rng = seeded(47);
    const now = Date.now();
    const answered: string[] = [];
    const afterKill = { ok: 0, failedElsewhere: 0 };
    let killed = false;
    const victim = nodes[1] as Served;
    const jobs = Array.from({ length: 150 }, (_, i) => async () => {
      const s = SUBMITTERS[i % 3] as { party: string; kind: Kind };
      const via = nodes[i % 3] as Served;
      const id = `kill-${i}`;
      if (answered.length >= 45 && !killed) {
        killed = true;
        await victim.kill();
      }
      try {
        const r = await submit(via, s.party, feature(rng, id, s.kind, now, 2));
        if (r.status === 201) {
          answered.push(own(s.party, id));
          if (killed && via !== victim) afterKill.ok++;
        } else if (killed && via !== victim) afterKill.failedElsewhere++;
      } catch (err) {
        // Only the killed instance may drop a connection.
        if (via !== victim) throw err;
      }
    });
    await pool(jobs, 8);
    assert.ok(killed);
    assert.equal(afterKill.failedElsewhere, 0, 'the other instances answered every request');
    assert.ok(afterKill.ok >= 40, `the others carried on: ${afterKill.ok}`);
    for (const id of answered) {
      const cur = await store.read((tx) => tx.declarations.current(id));
      assert.equal(cur?.status, 'active', `answered 201, then lost: ${id}`);
    }
    const entries = await ledger(store);
    const created = new Set(entries.filter((e) => e.type === 'declaration.created').map((e) => e.subject));
    for (const id of answered) assert.ok(created.has(id), `no ledger entry for ${id}`);
    assert.equal(verifyChain(entries).ok, true);
    // A new instance takes the dead one's place.
    nodes[1] = await serve(['--database', db.url, ...SERVE_ARGS]);
  });

  it('escalates each alert exactly once, also when the instance that raised it is killed', async () => {
    const rng = seeded(83);
    const now = Date.now();
    const c = nodes[2] as Served;
    // A protected site, then a strike on it through C; C dies at once.
    // Both soon (within the lead time that would relax them): 3 s per level, not stretched.
    const soon = (f: ReturnType<typeof feature>, from: number, minutes: number) => ({
      ...f,
      properties: { ...f.properties, start: iso(now + from * MIN), end: iso(now + (from + minutes) * MIN) },
    });
    const site = soon(feature(rng, 'esc-site', 'protected_site', now, 3), 2, 240);
    const r1 = await submit(nodes[0] as Served, 'relief-agency', site);
    assert.equal(r1.status, 201, JSON.stringify(r1.body));
    const strike = { ...soon(feature(rng, 'esc-strike', 'strike', now, 3), 5, 30), geometry: site.geometry };
    const r2 = await submit(c, 'coalition', strike);
    assert.equal(r2.status, 201, JSON.stringify(r2.body));
    await c.kill();
    const conflictId = (r2.body.conflicts as { id: string }[])[0]?.id as string;
    assert.ok(conflictId, 'the strike meets the site');
    // Every alert of that conflict reaches its last level (3 s per level), fired by A or B.
    const alertsOf = () => store.read((tx) => tx.alerts.forSubject('conflict', conflictId));
    const deadline = Date.now() + 60_000;
    for (;;) {
      const alerts = await alertsOf();
      if (alerts.length > 0 && alerts.every((a) => a.level === 3)) break;
      assert.ok(Date.now() < deadline, `not escalated: ${JSON.stringify(alerts.map((a) => a.level))}`);
      await sleep(500);
    }
    // Let A and B pass over them a few more times: nothing fires twice.
    await sleep(3000);
    const alerts = await alertsOf();
    const entries = await ledger(store);
    for (const a of alerts) {
      const steps = entries.filter(
        (e) => e.subject === a.id && (e.type === 'alert.escalated' || e.type === 'alert.overdue'),
      );
      assert.deepEqual(
        steps.map((e) => `${e.type} ${(e.payload as { level: string }).level}`),
        ['alert.escalated senior_officer', 'alert.escalated party_admin', 'alert.overdue overdue'].slice(
          0,
          steps.length,
        ),
      );
      assert.equal(steps.length, a.escalations.length, `${a.id}: one ledger entry per escalation`);
    }
    // And across the whole hub, no alert moved a level twice.
    const moves = entries
      .filter((e) => e.type === 'alert.escalated' || e.type === 'alert.overdue')
      .map((e) => `${e.subject} ${(e.payload as { level: string }).level}`);
    assert.equal(new Set(moves).size, moves.length);
    nodes[2] = await serve(['--database', db.url, ...SERVE_ARGS]);
  });

  let receiver: Receiver | undefined;
  let hookId = '';
  after(() => receiver?.close());

  it('sends each webhook delivery once, whichever instances wrote the events', async () => {
    receiver = await Receiver.start();
    {
      const admin = await tokenOf('relief-agency.admin');
      const hook = await api((nodes[1] as Served).url, admin, 'POST', '/api/v1/webhooks', {
        url: receiver.url,
      });
      assert.equal(hook.status, 201, JSON.stringify(hook.body));
      hookId = hook.body.id as string;
      // Changes every party sees (one delivery each for relief-agency), through all three.
      const rng = seeded(97);
      const now = Date.now();
      await pool(
        Array.from({ length: 24 }, (_, i) => async () => {
          const r = await submit(
            nodes[i % 3] as Served,
            'coalition',
            feature(rng, `hook-${i}`, 'strike', now, 4),
          );
          assert.equal(r.status, 201, JSON.stringify(r.body));
        }),
        6,
      );
      const deliveries = () => store.read((tx) => tx.deliveries.listByWebhook(hook.body.id, undefined, 1000));
      const deadline = Date.now() + 30_000;
      while ((await deliveries()).some((d) => d.status === 'pending')) {
        assert.ok(Date.now() < deadline, 'deliveries still pending');
        await sleep(200);
      }
      const all = await deliveries();
      assert.ok(all.length >= 24, `a delivery per event: ${all.length}`);
      assert.deepEqual(
        all.filter((d) => d.status !== 'delivered').map((d) => d.id),
        [],
      );
      // Each answered once: three schedulers looked, one sent.
      assert.deepEqual(
        all.map((d) => receiver?.answered.get(d.id) ?? 0),
        all.map(() => 1),
      );
      assert.equal(receiver.answered.size, all.length);
    }
  });

  it('closes a stream on one instance when its token is revoked through another', async () => {
    const [a, b] = nodes as [Served, Served];
    const admin = await tokenOf('city-police.admin');
    const created = await api(a.url, admin, 'POST', '/api/v1/tokens', {
      name: 'gateway',
      roles: ['operator'],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const console_ = await StreamConsole.connect(streamUrl(a.url), { bearer: created.body.token as string });
    await console_.waitFor((f) => f.type === 'hello', 'hello');
    const revoked = await api(
      b.url,
      await tokenOf('city-police.admin'),
      'DELETE',
      `/api/v1/tokens/${created.body.id}`,
    );
    assert.equal(revoked.status, 204);
    const closed = await console_.waitForClose(5000);
    assert.equal(closed.code, 4401);
  });
  it('backs a guessed name off on every instance, whichever instances the guesses went to', async () => {
    const [a, b, c] = nodes as [Served, Served, Served];
    const username = 'city-police.senior';
    const guess = (via: Served, n: number) =>
      api(via.url, null, 'POST', '/api/v1/session', { username, password: `not-the-password-${n}` });
    // Five failures (the free ones), spread over A and B; the fifth starts a 1 s back-off.
    for (const [n, via] of [a, b, a, b, a].entries()) {
      const r = await guess(via, n);
      assert.equal(r.status, 401, `guess ${n}: ${JSON.stringify(r.body)}`);
    }
    // C checked none of them: it backs the name off all the same, as soon as it has heard.
    await sleep(100);
    const held = await guess(c, 5);
    assert.equal(held.status, 429, JSON.stringify(held.body));
    assert.match(JSON.stringify(held.body), /too many failed logins for this name/);
    // The back-off ends; the person's right password is let in on C, and ends it for all.
    await sleep(1100);
    const right = await api(c.url, null, 'POST', '/api/v1/session', {
      username,
      password: password(username),
    });
    assert.equal(right.status, 201, JSON.stringify(right.body));
  });

  it('sends a delivery again through another instance once the lease of one that died runs out', async () => {
    assert.ok(receiver && hookId, 'the webhook of the test before');
    const r = receiver;
    r.hold = true;
    const rng = seeded(101);
    const sent = await submit(
      nodes[0] as Served,
      'coalition',
      feature(rng, 'lease-0', 'strike', Date.now(), 5),
    );
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    // One instance claims the delivery and sends it; the receiver reads it and never answers.
    const deadline = Date.now() + 20_000;
    while (r.held.length === 0) {
      assert.ok(Date.now() < deadline, 'no instance sent the delivery');
      await sleep(50);
    }
    const id = (r.held[0] as { id: string }).id;
    // Whichever it was dies with the others, before it hears back; two fresh instances follow.
    await killAll();
    r.hold = false;
    nodes.splice(
      0,
      nodes.length,
      ...(await Promise.all([1, 2].map(() => serve(['--database', db.url, ...SERVE_ARGS])))),
    );
    const delivery = () => store.read((tx) => tx.deliveries.get(id));
    // Not before the lease (twice the 10 s send timeout and 5 s): then sent once more, and answered.
    const leased = (await delivery())?.next_at as number;
    assert.ok(leased > Date.now(), 'still leased when the new instances start');
    for (;;) {
      const d = await delivery();
      if (d?.status === 'delivered') break;
      assert.ok(Date.now() < leased + 30_000, `not delivered after its lease: ${JSON.stringify(d)}`);
      await sleep(250);
    }
    assert.equal(r.answered.get(id), 1);
    assert.equal(r.held.filter((h) => h.id === id).length, 1, 'the dead instance sent it once');
    assert.ok(
      ((await delivery())?.delivered_at as number) >= leased,
      'not sent again before its lease ran out',
    );
  });
});
