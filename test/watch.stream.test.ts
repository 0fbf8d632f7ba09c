/**
 * The push channel (`GET /api/v1/stream`, src/server/stream.ts) with real WebSocket consoles on a
 * real listening hub (SQLite, the demo loaded, a manual clock at T0), every action over HTTP:
 *
 * - a coalition strike on city-police's hospital reaches both parties' consoles (the conflict
 *   and the alert) within 1 s of the submission's response — the bound the issue sets; measured
 *   from the response's arrival to the frame's arrival, on one machine, so generous;
 * - a console that reconnects with the last sequence number it saw receives exactly what it
 *   missed, in order, once, equal to the HTTP twin (`GET /api/v1/events?after=`); `since=0`
 *   replays the whole stream, no `since` starts at the head, a bad `since` closes with 4400;
 * - first-frame authentication (browsers), bad tokens (4401), a hub admin (4403), a revoked
 *   token or a disabled member (4401 at once: the hub tells the stream of the revocation, where
 *   the backstop recheck would take up to a minute);
 * - consoles opened while submissions pour in see every event once: seqs exactly 1..head;
 * - a hotline message received by a console is recorded as delivered, once.
 *
 * The strikes sit on the demo's site-south-hospital (city-police) on T0's day, each in its own
 * ten-minute slot, where nothing else of the demo is: each makes one conflict with the hospital.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import type { ConflictView } from '../src/api/declarations.ts';
import type { AlertView, EventView, MessageView } from '../src/api/watch.ts';
import { sessions, startHub, T0, type TestHub } from './support/hub.ts';
import type { AnySide } from './support/ids.ts';
import { own } from './support/ids.ts';
import { type Frame, http, StreamConsole, streamUrl } from './support/stream.ts';
import { DAY, iso, MIN } from './support/time.ts';

const HOSPITAL = own('city-police', 'site-south-hospital');

interface ReceiptNotice {
  message: string;
  receipts: { party: string; delivered_at: string | null }[];
}

const data = <T>(f: Frame) => f.data as T;

describe('the event stream over WebSocket', () => {
  let h: TestHub;
  let base: string;
  const consoles: StreamConsole[] = [];
  let slot = 0;

  const { as } = sessions(() => h);
  const call = async <T = Record<string, unknown>>(
    user: string,
    method: string,
    path: string,
    body?: unknown,
  ) => http<T>(base, await as(user), method, path, body);
  const ok = async <T = Record<string, unknown>>(
    user: string,
    method: string,
    path: string,
    body?: unknown,
    status = 200,
  ): Promise<T> => {
    const r = await call<T>(user, method, path, body);
    assert.equal(r.status, status, `${method} ${path}: ${r.text}`);
    return r.body;
  };

  /** Open a console (tracked, closed after the suite). */
  const connect = async (
    since: number | string | undefined,
    auth: Parameters<typeof StreamConsole.connect>[1],
  ) => {
    const c = await StreamConsole.connect(streamUrl(base, since), auth);
    consoles.push(c);
    return c;
  };
  /** A console of `user` by bearer header, once its hello arrived. */
  const consoleOf = async (user: string, since?: number) => {
    const c = await connect(since, { bearer: await as(user) });
    await c.waitFor((f) => f.type === 'hello', 'hello');
    return c;
  };
  const hello = (c: StreamConsole) => c.frames.find((f) => f.type === 'hello') as Frame;

  /** A party's stream over HTTP: head and events after `after`. */
  const events = async (user: string, after: number) => {
    const page = (from: number) =>
      ok<{ head: number; events: EventView[] }>(user, 'GET', `/api/v1/events?after=${from}&limit=1000`);
    const first = await page(after);
    const all = [...first.events];
    while (all.length > 0 && (all[all.length - 1] as EventView).seq < first.head)
      all.push(...(await page((all[all.length - 1] as EventView).seq)).events);
    return { head: first.head, events: all };
  };

  /** A coalition strike on the hospital, in the next free ten-minute slot of T0's day. */
  const strikeBody = (id: string) => {
    const start = T0 + 60 * MIN + slot++ * 10 * MIN;
    return {
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [21.304, 46.1535] },
      properties: { id, kind: 'strike', start: iso(start), end: iso(start + 5 * MIN), buffer_m: 100 },
    };
  };
  /** Submit a strike on the hospital; returns the conflict with the hospital. */
  const strike = async (id: string): Promise<ConflictView> => {
    const r = await ok<{ conflicts: ConflictView[] }>(
      'coalition.operator',
      'POST',
      '/api/v1/declarations',
      strikeBody(id),
      201,
    );
    const c = r.conflicts.find((x) => [x.a, x.b].some((s: AnySide) => s.id === HOSPITAL));
    assert.ok(c, `strike ${id} conflicts with the hospital`);
    return c;
  };
  /** Withdraw a coalition strike, by its local id. */
  const withdraw = (id: string) =>
    ok('coalition.operator', 'POST', `/api/v1/declarations/${own('coalition', id)}/withdraw`, {
      reason: 'called off',
    });
  let shifts = 0;
  /** A roster change at city-police (one event on its stream); returns the shift id. */
  const addShift = async (): Promise<string> => {
    const start = T0 + 20 * DAY + shifts++ * 60 * MIN;
    const s = await ok<{ id: string }>(
      'city-police.admin',
      'POST',
      '/api/v1/roster',
      { role: 'watch_officer', username: 'city-police.watch', start: iso(start), end: iso(start + 30 * MIN) },
      201,
    );
    return s.id;
  };

  before(async () => {
    h = await startHub();
    base = await h.app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await Promise.all(consoles.map((c) => c.close()));
    await h.close();
  });

  it('a strike on the hospital reaches the city-police and coalition consoles within 1 s of the response', async () => {
    const police = await consoleOf('city-police.watch');
    const coalition = await consoleOf('coalition.watch');

    const sent = performance.now();
    const conflict = await strike('s-latency');
    const answered = performance.now();
    assert.equal(conflict.rule, 'strike_protected');
    assert.equal(conflict.severity, 'critical');

    const arrivals: Record<string, number> = {};
    const alerts: Record<string, AlertView> = {};
    for (const [party, c] of [
      ['city-police', police],
      ['coalition', coalition],
    ] as const) {
      const detected = await c.waitFor(
        (f) => f.type === 'conflict.detected' && data<ConflictView>(f).id === conflict.id,
        `${party}: conflict.detected`,
      );
      const raised = await c.waitFor(
        (f) =>
          f.type === 'alert.created' &&
          data<AlertView>(f).subject_type === 'conflict' &&
          data<AlertView>(f).subject === conflict.id,
        `${party}: alert.created`,
      );
      const alert = data<AlertView>(raised.frame);
      assert.equal(alert.precedence, 'flash');
      assert.equal(alert.status, 'open');
      assert.deepEqual(alert.to, [`${party}.watch`]);
      alerts[party] = alert;
      // Frames may even precede the response: the events go out as the write commits.
      arrivals[`${party} conflict.detected`] = detected.t - answered;
      arrivals[`${party} alert.created`] = raised.t - answered;
    }
    for (const [what, ms] of Object.entries(arrivals))
      assert.ok(
        ms < 1000,
        `${what} arrived ${Math.round(ms)} ms after the response (submitted in ${Math.round(answered - sent)} ms)`,
      );
    // Each console got its own party's alert, not the other's.
    assert.notEqual(alerts['city-police']?.id, alerts.coalition?.id);
    assert.ok(!police.text.includes(alerts.coalition?.id as string));
    assert.ok(!coalition.text.includes(alerts['city-police']?.id as string));
    await withdraw('s-latency');
  });

  it('a console that reconnects with the last seq it saw receives exactly what it missed, equal to GET /events', async () => {
    const first = await consoleOf('city-police.watch');
    const conflict = await strike('s-reconnect-1');
    const raised = await first.waitFor(
      (f) => f.type === 'alert.created' && data<AlertView>(f).subject === conflict.id,
      'alert.created',
    );
    const last = Math.max(...first.events.map((f) => f.seq as number));
    await first.close();

    // While the console is closed: acknowledge, roster changes, a new conflict, withdrawals.
    const alertId = data<AlertView>(raised.frame).id;
    await ok('city-police.watch', 'POST', `/api/v1/alerts/${alertId}/ack`, { reply: 'holding the strike' });
    const shift = await addShift();
    const second = await strike('s-reconnect-2');
    await withdraw('s-reconnect-1');
    await withdraw('s-reconnect-2');
    await ok('city-police.admin', 'DELETE', `/api/v1/roster/${shift}`, undefined, 204);

    const missed = await events('city-police.watch', last);
    const types = missed.events.map((e) => e.type);
    for (const t of [
      'alert.acknowledged',
      'roster.changed',
      'conflict.detected',
      'alert.created',
      'conflict.resolved',
      'alert.closed',
    ])
      assert.ok(types.includes(t), `the missed events include ${t}: ${types.join(', ')}`);
    assert.ok(missed.events.some((e) => (e.data as ConflictView).id === second.id));
    assert.equal(missed.head, last + missed.events.length);

    const again = await consoleOf('city-police.watch', last);
    assert.equal(hello(again).since, last);
    assert.equal(hello(again).head, missed.head);
    await again.waitForSeq(missed.head);
    assert.deepEqual(again.events, missed.events, 'the replay equals the HTTP twin, frame for frame');

    // Then live: the next event follows at head + 1, and nothing came twice in between.
    await addShift();
    await again.waitForSeq(missed.head + 1);
    const seqs = again.events.map((f) => f.seq);
    assert.deepEqual(
      seqs,
      Array.from({ length: missed.events.length + 1 }, (_, i) => last + 1 + i),
    );
  });

  it('since=0 replays the whole stream of the party, equal to GET /events?after=0', async () => {
    const all = await events('coalition.watch', 0);
    assert.ok(all.head > 10, `the demo and the tests gave coalition events (head ${all.head})`);
    const c = await consoleOf('coalition.watch', 0);
    assert.equal(hello(c).party, 'coalition');
    assert.equal(hello(c).since, 0);
    await c.waitForSeq(all.head);
    assert.deepEqual(c.events, all.events);
  });

  it('without since the console starts live at the head: no backlog, then the next event', async () => {
    const { head } = await events('city-police.watch', 0);
    const c = await consoleOf('city-police.watch');
    assert.equal(hello(c).head, head);
    assert.equal(hello(c).since, head);
    await addShift();
    await c.waitForSeq(head + 1);
    assert.deepEqual(
      c.events.map((f) => [f.seq, f.type]),
      [[head + 1, 'roster.changed']],
    );
  });

  it('a since beyond the head, negative or not a number is refused: error invalid_request, close 4400', async () => {
    const { head } = await events('city-police.watch', 0);
    for (const since of [head + 1, -1, 'x', '1.5']) {
      const c = await connect(since, { bearer: await as('city-police.watch') });
      const closed = await c.waitForClose();
      assert.equal(closed.code, 4400, `since=${since}`);
      assert.deepEqual(
        c.frames.map((f) => [f.type, f.code]),
        [['error', 'invalid_request']],
        `since=${since}`,
      );
    }
    // The same in a first frame.
    const c = await connect(undefined, {
      frame: { type: 'auth', token: await as('city-police.watch'), since: -1 },
    });
    assert.equal((await c.waitForClose()).code, 4400);
    assert.equal(c.frames[0]?.code, 'invalid_request');
  });

  it('a browser authenticates in its first frame, with since in it', async () => {
    const { head } = await events('city-police.watch', 0);
    const c = await connect(undefined, {
      frame: { type: 'auth', token: await as('city-police.watch'), since: head - 1 },
    });
    const hi = (await c.waitFor((f) => f.type === 'hello', 'hello')).frame;
    assert.equal(hi.party, 'city-police');
    assert.equal(hi.username, 'city-police.watch');
    assert.equal(hi.since, head - 1);
    await c.waitForSeq(head);
    await addShift();
    await c.waitForSeq(head + 1);
    assert.deepEqual(
      c.events.map((f) => f.seq),
      [head, head + 1],
    );
    // A ping is answered.
    c.send({ type: 'ping' });
    await c.waitFor((f) => f.type === 'pong', 'pong');
  });

  it('an unknown or malformed token in the first frame: error unauthorized, close 4401', async () => {
    const cases: [string, unknown, number, string][] = [
      ['unknown token', { type: 'auth', token: 'A'.repeat(43) }, 4401, 'unauthorized'],
      ['malformed token', { type: 'auth', token: 'not a token!' }, 4401, 'unauthorized'],
      ['no token', { type: 'auth' }, 4401, 'unauthorized'],
      ['not an auth frame', { type: 'ping' }, 4401, 'unauthorized'],
    ];
    for (const [what, frame, code, error] of cases) {
      const c = await connect(undefined, null);
      c.send(frame);
      const closed = await c.waitForClose();
      assert.equal(closed.code, code, what);
      assert.deepEqual(
        c.frames.map((f) => [f.type, f.code]),
        [['error', error]],
        what,
      );
    }
    const c = await connect(undefined, null);
    c.ws.send('{not json');
    assert.equal((await c.waitForClose()).code, 4400);
    assert.equal(c.frames[0]?.code, 'invalid_json');
    // (No auth frame at all closes after 10 s: not waited for here.)
  });

  it('a hub admin has no party stream: error forbidden, close 4403 (header or first frame)', async () => {
    const token = await as('hub.admin');
    for (const auth of [{ bearer: token }, { frame: { type: 'auth', token } }]) {
      const c = await connect(undefined, auth);
      assert.equal((await c.waitForClose()).code, 4403);
      assert.deepEqual(
        c.frames.map((f) => [f.type, f.code]),
        [['error', 'forbidden']],
      );
    }
  });

  it('consoles opened with since=0 during a burst of submissions see seqs exactly 1..head', async () => {
    const opened: StreamConsole[] = [];
    let stop = false;
    let made = 0;
    const submitter = async (name: string) => {
      for (let i = 0; !stop; i++) {
        await strike(`s-burst-${name}-${i}`);
        made++;
      }
    };
    const roster = async () => {
      while (!stop) {
        await ok('city-police.admin', 'DELETE', `/api/v1/roster/${await addShift()}`, undefined, 204);
        made++;
      }
    };
    const burst = Promise.all([submitter('a'), submitter('b'), roster()]);
    try {
      // Open consoles one after another while the burst runs; keep it running until each has
      // said hello and a few more writes followed, so each saw a backlog and live events.
      for (let i = 0; i < 4; i++) {
        const c = await connect(
          0,
          i % 2 === 0
            ? { bearer: await as('city-police.watch') }
            : { frame: { type: 'auth', token: await as('city-police.senior') } },
        );
        opened.push(c);
        await c.waitFor((f) => f.type === 'hello', 'hello');
        const target = made + 3;
        while (made < target) await new Promise((r) => setTimeout(r, 5));
      }
    } finally {
      stop = true;
      await burst;
    }
    const { head, events: stream } = await events('city-police.watch', 0);
    const expected = Array.from({ length: head }, (_, i) => i + 1);
    assert.deepEqual(
      stream.map((e) => e.seq),
      expected,
    );
    for (const [i, c] of opened.entries()) {
      await c.waitForSeq(head, 10_000);
      const h0 = hello(c).head as number;
      assert.ok(h0 > 0 && h0 < head, `console ${i} opened mid-burst (hello head ${h0}, final ${head})`);
      assert.deepEqual(
        c.events.map((f) => f.seq),
        expected,
        `console ${i}: every event once, in order`,
      );
      assert.deepEqual(c.events, stream, `console ${i}: the same events as GET /events`);
    }
  });

  it('a hotline message received over the stream is recorded as delivered to the receiving party, once', async () => {
    const channel = await ok<{ id: string }>(
      'coalition.admin',
      'POST',
      '/api/v1/channels',
      { name: 'delivery check', parties: ['city-police'] },
      201,
    );
    await ok('city-police.admin', 'POST', `/api/v1/channels/${channel.id}/accept`);
    // Two consoles of the receiving party, one of the sender.
    const police = [await consoleOf('city-police.watch'), await consoleOf('city-police.senior')];
    const coalition = await consoleOf('coalition.watch');

    const at = h.clock.now();
    const sent = await ok<MessageView>(
      'coalition.operator',
      'POST',
      `/api/v1/channels/${channel.id}/messages`,
      { text: 'Strike package moved to 14:00Z' },
      201,
    );
    assert.deepEqual(
      sent.receipts.map((r) => [r.party, r.delivered_at]),
      [['city-police', null]],
    );
    const delivered = (f: Frame) =>
      f.type === 'message.receipt' &&
      data<ReceiptNotice>(f).message === sent.id &&
      data<ReceiptNotice>(f).receipts.some((r) => r.party === 'city-police' && r.delivered_at !== null);
    for (const c of [...police, coalition]) {
      await c.waitFor(
        (f) => f.type === 'message.posted' && data<MessageView>(f).id === sent.id,
        'message.posted',
      );
      const r = await c.waitFor(delivered, 'the delivery receipt');
      assert.equal(
        data<ReceiptNotice>(r.frame).receipts.find((x) => x.party === 'city-police')?.delivered_at,
        iso(at),
      );
    }
    // Listing the channel (which also delivers) adds nothing: it was delivered already.
    const listed = await ok<{ messages: MessageView[] }>(
      'city-police.operator',
      'GET',
      `/api/v1/channels/${channel.id}/messages`,
    );
    assert.equal(listed.messages.find((m) => m.id === sent.id)?.receipts[0]?.delivered_at, iso(at));
    // A later event, written after any duplicate delivery would have been: then count.
    const { head } = await events('city-police.watch', 0);
    await addShift();
    for (const c of police) await c.waitForSeq(head + 1);
    for (const c of [...police, coalition])
      assert.equal(c.frames.filter(delivered).length, 1, 'one delivery receipt per console');
    const receipts = (await events('city-police.watch', 0)).events.filter(
      (e) => e.type === 'message.receipt' && (e.data as ReceiptNotice).message === sent.id,
    );
    assert.equal(receipts.length, 1, 'one receipt event in the stream');
    const ledger = await h.store.read((tx) => tx.ledger.range(1, 1_000_000));
    assert.deepEqual(
      ledger.filter((e) => e.type === 'message.delivered' && e.subject === sent.id).map((e) => e.party),
      ['city-police'],
      'one delivery in the ledger',
    );
    // The sender's own console does not deliver to its own party (it has no receipt).
    assert.ok(!sent.receipts.some((r) => r.party === 'coalition'));
  });

  /** Close at once means: long before the stream's backstop recheck (a minute) could have run. */
  const AT_ONCE_MS = 5_000;

  it('revoking the token closes its stream with 4401 at once; other tokens stay', async () => {
    const token = await h.login('city-police.operator');
    const c = await connect(undefined, { bearer: token });
    await c.waitFor((f) => f.type === 'hello', 'hello');
    const other = await consoleOf('city-police.watch');
    const r = await http(base, token, 'DELETE', '/api/v1/session');
    assert.equal(r.status, 204, r.text);
    const revoked = performance.now();
    const closed = await c.waitForClose(AT_ONCE_MS);
    assert.equal(closed.code, 4401);
    assert.deepEqual(
      c.frames.map((f) => [f.type, f.code]),
      [
        ['hello', undefined],
        ['error', 'unauthorized'],
      ],
    );
    assert.ok(
      closed.t - revoked < AT_ONCE_MS,
      `closed ${Math.round(closed.t - revoked)} ms after the revocation`,
    );
    // The revoked token is refused for a new stream; another member's console is still open.
    const late = await connect(undefined, { frame: { type: 'auth', token } });
    assert.equal((await late.waitForClose()).code, 4401);
    assert.equal(late.frames[0]?.code, 'unauthorized');
    assert.ok(other.isOpen);
    other.send({ type: 'ping' });
    await other.waitFor((f) => f.type === 'pong', 'pong');
  });

  it('disabling a member closes every stream of its tokens at once; the party’s other consoles stay', async () => {
    const admin = await as('northern-forces.admin');
    const created = await http(base, admin, 'POST', '/api/v1/parties/northern-forces/members', {
      username: 'northern-forces.relief-watch',
      password: 'a long enough password',
      roles: ['watch_officer'],
    });
    assert.equal(created.status, 201, created.text);
    const login = async () => {
      const r = await http(base, null, 'POST', '/api/v1/session', {
        username: 'northern-forces.relief-watch',
        password: 'a long enough password',
      });
      assert.equal(r.status, 201, r.text);
      return (JSON.parse(r.text) as { token: string }).token;
    };
    // Two sessions of the member (two consoles), one by header and one by first frame.
    const one = await connect(undefined, { bearer: await login() });
    const two = await connect(undefined, { frame: { type: 'auth', token: await login() } });
    await one.waitFor((f) => f.type === 'hello', 'hello');
    await two.waitFor((f) => f.type === 'hello', 'hello');
    const colleague = await consoleOf('northern-forces.watch');

    const r = await http(
      base,
      admin,
      'PATCH',
      '/api/v1/parties/northern-forces/members/northern-forces.relief-watch',
      {
        disabled: true,
      },
    );
    assert.equal(r.status, 200, r.text);
    for (const c of [one, two]) {
      const closed = await c.waitForClose(AT_ONCE_MS);
      assert.equal(closed.code, 4401);
      assert.equal(c.frames.at(-1)?.code, 'unauthorized');
    }
    assert.ok(colleague.isOpen);
    colleague.send({ type: 'ping' });
    await colleague.waitFor((f) => f.type === 'pong', 'pong');
  });
});

describe('an upgrade refused for a bad bearer header', () => {
  it('is answered HTTP 401 before any WebSocket exists, and the hub still closes', async () => {
    const h = await startHub();
    const base = await h.app.listen({ host: '127.0.0.1', port: 0 });
    try {
      await assert.rejects(StreamConsole.connect(streamUrl(base), { bearer: 'A'.repeat(43) }), /HTTP 401/);
      // The refused upgrade must not leave a connection behind that keeps the server from closing
      // (a `serve` that stops would never reach closing its store).
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        h.app.close().then(() => 'closed'),
        new Promise((resolve) => {
          timer = setTimeout(() => resolve('still closing after 5 s'), 5000);
        }),
      ]);
      clearTimeout(timer);
      assert.equal(outcome, 'closed');
    } finally {
      await h.store.close();
      rmSync(h.dir, { recursive: true, force: true });
    }
  });
});

/**
 * The stream's limits (issue #11): a first frame takes from its token's request bucket like an
 * HTTP request, and a token and a party hold at most so many open streams. The hub's clock is
 * manual, so a bucket never refills during the test: the counts are exact, not timed.
 */
describe('the limits of the stream', () => {
  const BURST = 5;
  let h: TestHub;
  let base: string;
  const consoles: StreamConsole[] = [];
  const { as } = sessions(() => h);
  const open = async (auth: Parameters<typeof StreamConsole.connect>[1]) => {
    const c = await StreamConsole.connect(streamUrl(base), auth);
    consoles.push(c);
    return c;
  };
  const opened = async (user: string) => {
    const c = await open({ bearer: await as(user) });
    await c.waitFor((f) => f.type === 'hello', 'hello');
    return c;
  };
  const refused = async (c: StreamConsole, code: string) => {
    const closed = await c.waitForClose();
    assert.equal(closed.code, 4429);
    assert.equal(closed.reason, code);
    assert.deepEqual(
      c.frames.map((f) => [f.type, f.code]),
      [['error', code]],
      'no hello, no event: only the coded error',
    );
  };
  const stillOpen = async (c: StreamConsole) => {
    const from = c.received.length;
    c.send({ type: 'ping' });
    await c.waitFor((f) => f.type === 'pong', 'pong', 5000, from);
  };

  before(async () => {
    h = await startHub({
      app: { rate: { perSecond: 1, burst: BURST }, streams: { perToken: 2, perParty: 3 } },
    });
    base = await h.app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await Promise.all(consoles.map((c) => c.close()));
    await h.close();
  });

  it('a plain GET of the stream is 426 upgrade_required in the error shape, with Upgrade: websocket', async () => {
    for (const token of [await as('relief-agency.watch'), null]) {
      const r = await fetch(`${base}/api/v1/stream`, {
        headers: token === null ? {} : { authorization: `Bearer ${token}` },
      });
      assert.equal(r.status, 426);
      assert.equal(r.headers.get('upgrade'), 'websocket');
      const body = (await r.json()) as { errors: { code: string; path: string }[] };
      assert.deepEqual(
        body.errors.map((e) => [e.code, e.path]),
        [['upgrade_required', '']],
      );
    }
  });

  it('a first frame takes from the token’s request bucket: past it, close 4429 rate_limited', async () => {
    const token = await as('coalition.watch');
    for (let i = 0; i < BURST; i++)
      assert.equal((await http(base, token, 'GET', '/api/v1/alerts')).status, 200);
    assert.equal((await http(base, token, 'GET', '/api/v1/alerts')).status, 429, 'the bucket is empty');
    await refused(await open({ frame: { type: 'auth', token } }), 'rate_limited');
    // The bearer header on the upgrade was already limited (the request hook): refused with 429.
    await assert.rejects(open({ bearer: token }), /HTTP 429/);
  });

  it('a token holds at most 2 open streams: the third is closed 4429 too_many_streams, the others stay', async () => {
    const one = await opened('city-police.watch');
    const two = await opened('city-police.watch');
    await refused(await open({ bearer: await as('city-police.watch') }), 'too_many_streams');
    await stillOpen(one);
    await stillOpen(two);
    // A stream that closes gives its place back.
    await two.close();
    const again = await opened('city-police.watch');
    await stillOpen(again);
  });

  it('a party holds at most 3 open streams, whatever its tokens', async () => {
    // city-police holds 2 (the test above); one more of another member fills the party's share.
    const senior = await opened('city-police.senior');
    await refused(await open({ bearer: await as('city-police.admin') }), 'too_many_streams');
    await refused(await open({ bearer: await as('city-police.senior') }), 'too_many_streams');
    // Another party is not affected.
    await stillOpen(await opened('northern-forces.watch'));
    await stillOpen(senior);
  });
});
