/**
 * Isolation of the watch between parties, over real WebSocket consoles and HTTP on a listening
 * hub (SQLite, the demo loaded, a manual clock): a bilateral scenario between coalition and
 * city-police produces every event type of the stream — declarations changed (the scenario's are
 * visible to the two parties only), conflicts detected, accepted and
 * resolved, alerts raised, acknowledged, escalated, overdue and closed, acknowledgements, a
 * hotline channel with messages both ways (one flash, acknowledged), delivery and read receipts,
 * roster changes — while relief-agency and northern-forces consoles are open. It shows that:
 *
 * (a) the third parties' consoles receive nothing but their hello (and, at the end, one event
 *     they caused themselves, which proves the consoles were alive);
 * (b) their streams over HTTP hold nothing new;
 * (c) no id, name or text of the bilateral activity appears in any frame or answer they get, and
 *     asking for those ids directly answers exactly as for ids that do not exist;
 * (d) the two parties involved did receive every event type (so the checks above are not vacuous).
 *
 * A second scenario, on a three-party hotline channel: a message referencing a declaration or a
 * conflict that one receiving party may not see carries `{type, hidden: true}` for that party,
 * and the full reference for the others.
 *
 * Before the scenario, the third parties acknowledge their open demo alerts, so that moving the
 * clock (to escalate) gives them nothing legitimate either.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ConflictView } from '../src/api/declarations.ts';
import type { AlertView, EventView, MessageView } from '../src/api/watch.ts';
import { type Sessions, sessions, startHub, T0, type TestHub } from './support/hub.ts';
import type { AnySide } from './support/ids.ts';
import { own } from './support/ids.ts';
import { type Frame, type HttpAnswer, http, StreamConsole, streamUrl } from './support/stream.ts';
import { DAY, iso, MIN } from './support/time.ts';

const HOSPITAL = own('city-police', 'site-south-hospital');
const THIRD = ['relief-agency', 'northern-forces'] as const;
const INVOLVED = ['coalition', 'city-police'] as const;
const EVENT_TYPES = [
  'declaration.changed',
  'conflict.detected',
  'conflict.resolved',
  'conflict.risk_accepted',
  'alert.created',
  'alert.escalated',
  'alert.overdue',
  'alert.acknowledged',
  'alert.closed',
  'acknowledgement',
  'channel.updated',
  'message.posted',
  'message.receipt',
  'roster.changed',
] as const;

interface ReceiptNotice {
  message: string;
  receipts: { party: string; delivered_at: string | null; read_at: string | null; acked_at: string | null }[];
}
const data = <T>(f: Frame) => f.data as T;

/** A small world over one listening hub: tokens per account, HTTP calls, consoles. */
class World {
  private readonly sessions: Sessions;
  readonly consoles: StreamConsole[] = [];
  base = '';
  private shifts = 0;

  constructor(readonly h: TestHub) {
    this.sessions = sessions(() => h);
  }

  static async start(): Promise<World> {
    // Base deadlines whatever the strikes' lead time (max step 1 ms: never stretched, nothing
    // relaxed): the scenario walks escalation in 5-minute steps; what it checks is who sees what.
    const w = new World(
      await startHub({ hub: { leadTimes: { imminent_ms: 30 * DAY, soon_ms: 30 * DAY, max_step_ms: 1 } } }),
    );
    w.base = await w.h.app.listen({ host: '127.0.0.1', port: 0 });
    return w;
  }

  async token(user: string): Promise<string> {
    return this.sessions.as(user);
  }

  async call<T = Record<string, unknown>>(user: string, method: string, path: string, body?: unknown) {
    return http<T>(this.base, await this.token(user), method, path, body);
  }

  async ok<T = Record<string, unknown>>(
    user: string,
    method: string,
    path: string,
    body?: unknown,
    status = 200,
  ): Promise<T> {
    const r = await this.call<T>(user, method, path, body);
    assert.equal(r.status, status, `${user} ${method} ${path}: ${r.text}`);
    return r.body;
  }

  async head(user: string): Promise<number> {
    return (await this.ok<{ head: number }>(user, 'GET', '/api/v1/events?after=0&limit=1')).head;
  }

  /** A console of `user` opened at its party's head (bearer header, or first frame), after hello. */
  async console(user: string, style: 'bearer' | 'frame' = 'bearer'): Promise<StreamConsole> {
    const token = await this.token(user);
    const since = await this.head(user);
    const c =
      style === 'bearer'
        ? await StreamConsole.connect(streamUrl(this.base, since), { bearer: token })
        : await StreamConsole.connect(streamUrl(this.base), { frame: { type: 'auth', token, since } });
    this.consoles.push(c);
    await c.waitFor((f) => f.type === 'hello', `${user}: hello`);
    return c;
  }

  /** Wait until a console has every event of its party's stream written so far. */
  async settle(c: StreamConsole, user: string): Promise<void> {
    await c.waitForSeq(await this.head(user));
  }

  /**
   * A coalition strike on the hospital, seen only by city-police; returns the conflict with it.
   * `id` is the strike's local id or its full one (`coalition:…`).
   */
  async strike(id: string, label: string, start: number): Promise<ConflictView> {
    const r = await this.ok<{ conflicts: ConflictView[] }>(
      'coalition.operator',
      'POST',
      '/api/v1/declarations',
      {
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [21.304, 46.1535] },
        properties: {
          id,
          kind: 'strike',
          start: iso(start),
          end: iso(start + 30 * MIN),
          buffer_m: 100,
          label,
          visibility: ['city-police'],
        },
      },
      201,
    );
    const c = r.conflicts.find((x) => [x.a, x.b].some((s: AnySide) => s.id === HOSPITAL));
    assert.ok(c, `${id} conflicts with the hospital`);
    return c;
  }

  /** A watch-officer shift for `<party>.watch`, far in the future; returns its id. */
  async addShift(party: string): Promise<string> {
    const start = T0 + 20 * DAY + this.shifts++ * 60 * MIN;
    const s = await this.ok<{ id: string }>(
      `${party}.admin`,
      'POST',
      '/api/v1/roster',
      { role: 'watch_officer', username: `${party}.watch`, start: iso(start), end: iso(start + 30 * MIN) },
      201,
    );
    return s.id;
  }

  async close(): Promise<void> {
    await Promise.all(this.consoles.map((c) => c.close()));
    await this.h.close();
  }
}

/** The alert of a console's party about a subject, from its `alert.created` frame. */
async function alertAbout(c: StreamConsole, subject: string): Promise<AlertView> {
  const r = await c.waitFor(
    (f) => f.type === 'alert.created' && data<AlertView>(f).subject === subject,
    `alert.created about ${subject}`,
  );
  return data<AlertView>(r.frame);
}

/** The answer's text with one id replaced, to compare a real id's answer with a made-up one's. */
const masked = (r: HttpAnswer, id: string) => ({ status: r.status, text: r.text.split(id).join('<id>') });

describe('a third party receives nothing of a bilateral watch scenario', () => {
  let w: World;
  /** Every string that identifies the bilateral activity. */
  const secrets = new Map<string, string>();
  const third: Record<string, StreamConsole[]> = {};
  const involved: Record<string, StreamConsole> = {};
  const headsBefore: Record<string, number> = {};
  const sentinels: Record<string, string> = {};
  const ids = {
    conflicts: [] as string[],
    alerts: [] as string[],
    messages: [] as string[],
    channel: '',
    /** The strikes' local ids (their ids at the hub are `coalition:<local>`). */
    strikes: ['iso-strike-lantern', 'iso-strike-amber'],
  };

  before(async () => {
    w = await World.start();
    // The third parties acknowledge their open demo alerts: escalations would be theirs to see.
    for (const party of THIRD) {
      const open = await w.ok<{ alerts: AlertView[] }>(`${party}.watch`, 'GET', '/api/v1/alerts?status=open');
      for (const a of open.alerts) await w.ok(`${party}.watch`, 'POST', `/api/v1/alerts/${a.id}/ack`, {});
    }
    for (const party of THIRD) {
      headsBefore[party] = await w.head(`${party}.watch`);
      third[party] = [await w.console(`${party}.watch`), await w.console(`${party}.senior`, 'frame')];
    }
    for (const party of INVOLVED) involved[party] = await w.console(`${party}.watch`);
    const co = involved.coalition as StreamConsole;
    const cp = involved['city-police'] as StreamConsole;

    // Two strikes on the hospital: two conflicts, an alert at each party for each.
    const lantern = await w.strike('iso-strike-lantern', 'Operation Quiet Lantern', T0 + 60 * MIN);
    const amber = await w.strike('iso-strike-amber', 'Operation Amber Gate', T0 + 180 * MIN);
    ids.conflicts.push(lantern.id, amber.id);
    const alert = {
      coLantern: await alertAbout(co, lantern.id),
      cpLantern: await alertAbout(cp, lantern.id),
      coAmber: await alertAbout(co, amber.id),
      cpAmber: await alertAbout(cp, amber.id),
    };
    ids.alerts.push(...Object.values(alert).map((a) => a.id));

    // Acknowledgements, with replies the other side reads.
    await w.ok('city-police.watch', 'POST', `/api/v1/alerts/${alert.cpLantern.id}/ack`, {
      reply: 'Generators running; hold fire until 0200Z',
    });
    await w.ok('coalition.watch', 'POST', `/api/v1/alerts/${alert.coAmber.id}/ack`, {
      reply: 'Re-planning amber with the engineers',
    });

    // The other two alerts escalate: senior officer, party admin, overdue.
    for (let i = 0; i < 3; i++) {
      w.h.clock.advance(5 * MIN);
      await w.h.hub.runDue();
    }

    // Lantern: both accept the risk (risk_accepted, then resolved). Amber: withdrawn.
    await w.ok('coalition.senior', 'POST', `/api/v1/conflicts/${lantern.id}/resolve`, {
      resolution: 'risk_accepted',
      reason: 'Forty metre offset with a precision round',
    });
    await w.ok('city-police.senior', 'POST', `/api/v1/conflicts/${lantern.id}/resolve`, {
      resolution: 'risk_accepted',
      reason: 'Patients moved to the east wing overnight',
    });
    await w.ok(
      'coalition.operator',
      'POST',
      `/api/v1/declarations/${own('coalition', 'iso-strike-amber')}/withdraw`,
      {
        reason: 'called off',
      },
    );

    // A bilateral hotline: created by coalition, accepted by city-police; messages both ways.
    const channel = await w.ok<{ id: string }>(
      'coalition.admin',
      'POST',
      '/api/v1/channels',
      { name: 'Lantern coordination line', parties: ['city-police'] },
      201,
    );
    ids.channel = channel.id;
    await w.ok('city-police.admin', 'POST', `/api/v1/channels/${channel.id}/accept`);
    const post = (user: string, body: Record<string, unknown>) =>
      w.ok<MessageView>(user, 'POST', `/api/v1/channels/${channel.id}/messages`, body, 201);
    const m1 = await post('coalition.operator', { text: 'Lantern: confirm the hospital grid reference' });
    const m2 = await post('city-police.operator', {
      text: 'Grid confirmed; east wing occupied',
      precedence: 'priority',
      ref: { type: 'conflict', id: lantern.id },
    });
    const m3 = await post('coalition.watch', {
      text: 'FLASH: Lantern window moves to 0130Z',
      precedence: 'flash',
    });
    ids.messages.push(m1.id, m2.id, m3.id);
    const flashAlert = await alertAbout(cp, m3.id);
    ids.alerts.push(flashAlert.id);
    await w.ok('city-police.watch', 'POST', `/api/v1/messages/${m3.id}/ack`, { reply: 'Copied, 0130Z' });
    await w.ok('city-police.operator', 'POST', `/api/v1/channels/${channel.id}/read`, { seq: 3 });
    await w.ok('coalition.operator', 'POST', `/api/v1/channels/${channel.id}/read`, { seq: 2 });

    // Roster changes on both sides.
    const coShift = await w.addShift('coalition');
    const cpShift = await w.addShift('city-police');
    await w.ok('city-police.admin', 'DELETE', `/api/v1/roster/${cpShift}`, undefined, 204);

    // Let the consoles' delivery receipts land, then every event reach the involved consoles.
    for (const [c, m] of [
      [cp, m1],
      [co, m2],
      [cp, m3],
    ] as const)
      await c.waitFor(
        (f) =>
          f.type === 'message.receipt' &&
          data<ReceiptNotice>(f).message === m.id &&
          data<ReceiptNotice>(f).receipts.every((r) => r.delivered_at !== null),
        `delivery of ${m.id}`,
      );
    await w.settle(co, 'coalition.watch');
    await w.settle(cp, 'city-police.watch');

    // Finally each third party changes its own roster: its consoles were alive all along.
    for (const party of THIRD) {
      sentinels[party] = await w.addShift(party);
      for (const c of third[party] ?? []) await w.settle(c, `${party}.watch`);
    }

    const named: [string, string][] = [
      ...ids.strikes.map((s) => [s, 'strike id'] as [string, string]),
      ['Operation Quiet Lantern', 'strike label'],
      ['Operation Amber Gate', 'strike label'],
      ...ids.conflicts.map((s) => [s, 'conflict id'] as [string, string]),
      ...ids.alerts.map((s) => [s, 'alert id'] as [string, string]),
      [channel.id, 'channel id'],
      ['Lantern coordination line', 'channel name'],
      ...ids.messages.map((s) => [s, 'message id'] as [string, string]),
      [m1.text, 'message text'],
      [m2.text, 'message text'],
      [m3.text, 'message text'],
      ['Generators running; hold fire until 0200Z', 'acknowledgement reply'],
      ['Re-planning amber with the engineers', 'acknowledgement reply'],
      ['Copied, 0130Z', 'acknowledgement reply'],
      ['Forty metre offset with a precision round', 'risk reason'],
      ['Patients moved to the east wing overnight', 'risk reason'],
      [coShift, 'shift id'],
      [cpShift, 'shift id'],
    ];
    for (const [s, what] of named) secrets.set(s, what);
  });
  after(() => w.close());

  it('(d) the two parties involved received every event type of the scenario', () => {
    const co = involved.coalition as StreamConsole;
    const cp = involved['city-police'] as StreamConsole;
    const [lantern, amber] = ids.conflicts as [string, string];
    const [m1, m2, m3] = ids.messages as [string, string, string];
    const about = (f: Frame, id: string) => {
      const d = f.data as Record<string, unknown>;
      return d.id === id || d.subject === id || d.message === id;
    };
    const has = (c: StreamConsole, type: string, match: (f: Frame) => boolean) =>
      c.frames.some((f) => f.type === type && match(f));
    const expectations: [string, StreamConsole, string, (f: Frame) => boolean][] = [
      ['conflict.detected', co, 'coalition', (f) => about(f, lantern)],
      ['conflict.detected', cp, 'city-police', (f) => about(f, amber)],
      ['conflict.risk_accepted', cp, 'city-police', (f) => about(f, lantern)],
      [
        'conflict.resolved',
        co,
        'coalition',
        (f) => about(f, lantern) && data<ConflictView>(f).resolution === 'risk_accepted',
      ],
      [
        'conflict.resolved',
        cp,
        'city-police',
        (f) => about(f, amber) && data<ConflictView>(f).resolution === 'withdrawn',
      ],
      ['alert.created', co, 'coalition', (f) => about(f, lantern)],
      ['alert.created', cp, 'city-police', (f) => about(f, m3)],
      [
        'alert.escalated',
        co,
        'coalition',
        (f) => about(f, lantern) && data<AlertView>(f).level === 'senior_officer',
      ],
      [
        'alert.escalated',
        cp,
        'city-police',
        (f) => about(f, amber) && data<AlertView>(f).level === 'party_admin',
      ],
      ['alert.overdue', co, 'coalition', (f) => about(f, lantern)],
      ['alert.overdue', cp, 'city-police', (f) => about(f, amber)],
      ['alert.acknowledged', cp, 'city-police', (f) => about(f, lantern)],
      ['alert.acknowledged', cp, 'city-police', (f) => about(f, m3)],
      ['alert.closed', co, 'coalition', (f) => about(f, lantern)],
      ['alert.closed', cp, 'city-police', (f) => about(f, amber)],
      ['acknowledgement', co, 'coalition', (f) => about(f, lantern)],
      ['acknowledgement', cp, 'city-police', (f) => about(f, amber)],
      ['channel.updated', co, 'coalition', (f) => about(f, ids.channel)],
      ['channel.updated', cp, 'city-police', (f) => about(f, ids.channel)],
      ['message.posted', cp, 'city-police', (f) => about(f, m1)],
      ['message.posted', co, 'coalition', (f) => about(f, m2)],
      ['message.receipt', co, 'coalition', (f) => about(f, m1)],
      [
        'message.receipt',
        cp,
        'city-police',
        (f) => about(f, m3) && data<ReceiptNotice>(f).receipts.some((r) => r.acked_at !== null),
      ],
      [
        'message.receipt',
        co,
        'coalition',
        (f) => about(f, m2) && data<ReceiptNotice>(f).receipts.some((r) => r.read_at !== null),
      ],
      ['roster.changed', co, 'coalition', () => true],
      ['roster.changed', cp, 'city-police', () => true],
    ];
    for (const [type, c, party, match] of expectations)
      assert.ok(has(c, type, match), `${party} received ${type} of the scenario`);
    const seen = new Set([...co.events, ...cp.events].map((f) => f.type));
    assert.deepEqual(
      EVENT_TYPES.filter((t) => !seen.has(t)),
      [],
      'every event type occurred',
    );
    // And every identifying string is one the involved parties did read (the search below is real).
    const text = `${co.text}\n${cp.text}`;
    for (const [s, what] of secrets) assert.ok(text.includes(s), `the involved parties saw the ${what} ${s}`);
  });

  it('(a) the third parties’ consoles got no frame but their hello (and their own last event)', () => {
    for (const party of THIRD) {
      for (const c of third[party] ?? []) {
        assert.deepEqual(
          c.frames.map((f) => f.type),
          ['hello', 'roster.changed'],
          `${party}: ${c.text}`,
        );
        const last = c.events[0] as Frame;
        assert.equal(last.seq, (headsBefore[party] as number) + 1);
        assert.equal((last.data as { added: { id: string } }).added.id, sentinels[party]);
        assert.ok(c.isOpen);
      }
    }
  });

  it('(b) the third parties’ streams over HTTP hold nothing new but their own event', async () => {
    for (const party of THIRD) {
      for (const user of [`${party}.watch`, `${party}.admin`]) {
        const r = await w.ok<{ head: number; events: EventView[] }>(
          user,
          'GET',
          `/api/v1/events?after=${headsBefore[party]}`,
        );
        assert.equal(r.head, (headsBefore[party] as number) + 1, user);
        assert.deepEqual(
          r.events.map((e) => e.type),
          ['roster.changed'],
          user,
        );
        const all = await w.ok<{ events: EventView[] }>(user, 'GET', '/api/v1/events?after=0&limit=1000');
        const types = new Set(all.events.map((e) => e.type));
        for (const t of ['channel.updated', 'message.posted', 'message.receipt'])
          assert.ok(!types.has(t), `${user}: no ${t} ever`);
      }
    }
  });

  it('(c) no identifying string appears in any frame or answer of the third parties', async () => {
    const reads = [
      '/api/v1/alerts',
      '/api/v1/alerts?status=open',
      '/api/v1/alerts?status=acknowledged',
      '/api/v1/alerts?status=closed',
      '/api/v1/channels',
      '/api/v1/events?after=0&limit=1000',
      '/api/v1/conflicts',
      '/api/v1/conflicts?status=resolved',
      '/api/v1/declarations',
      '/api/v1/roster',
    ];
    for (const party of THIRD) {
      const texts: [string, string][] = (third[party] ?? []).map((c, i) => [`${party} console ${i}`, c.text]);
      for (const user of [`${party}.watch`, `${party}.admin`]) {
        for (const path of reads) {
          const r = await w.call(user, 'GET', path);
          assert.equal(r.status, 200, `${user} GET ${path}: ${r.text}`);
          texts.push([`${user} GET ${path}`, r.text]);
        }
      }
      for (const [where, text] of texts)
        for (const [s, what] of secrets) assert.ok(!text.includes(s), `${where} shows the ${what} ${s}`);
    }
  });

  it('(c) the third parties asking for those ids are answered exactly as for ids that do not exist', async () => {
    type Probe = [kind: string, id: string, path: (id: string) => string, method: string, body?: unknown];
    const probes: Probe[] = [
      ['channel', ids.channel, (id) => `/api/v1/channels/${id}`, 'GET'],
      ['channel', ids.channel, (id) => `/api/v1/channels/${id}/messages`, 'GET'],
      ['channel', ids.channel, (id) => `/api/v1/channels/${id}/messages`, 'POST', { text: 'hello?' }],
      ['channel', ids.channel, (id) => `/api/v1/channels/${id}/read`, 'POST', { seq: 1 }],
      ['channel', ids.channel, (id) => `/api/v1/channels/${id}/accept`, 'POST'],
      ['channel', ids.channel, (id) => `/api/v1/channels/${id}/decline`, 'POST'],
      ...ids.alerts.flatMap((a): Probe[] => [
        ['alert', a, (id) => `/api/v1/alerts/${id}`, 'GET'],
        ['alert', a, (id) => `/api/v1/alerts/${id}/ack`, 'POST', {}],
      ]),
      ...ids.messages.map((m): Probe => ['message', m, (id) => `/api/v1/messages/${id}/ack`, 'POST', {}]),
      ...ids.conflicts.flatMap((c): Probe[] => [
        ['conflict', c, (id) => `/api/v1/conflicts/${id}`, 'GET'],
        [
          'conflict',
          c,
          (id) => `/api/v1/conflicts/${id}/resolve`,
          'POST',
          { resolution: 'risk_accepted', reason: 'x' },
        ],
      ]),
      ...ids.strikes.flatMap((d): Probe[] => [
        ['declaration', own('coalition', d), (id) => `/api/v1/declarations/${id}`, 'GET'],
        ['declaration', own('coalition', d), (id) => `/api/v1/declarations/${id}/versions`, 'GET'],
        ['local declaration', d, (id) => `/api/v1/declarations/${id}`, 'GET'],
      ]),
    ];
    const fakes: Record<string, string> = {
      channel: ids.channel.replace(/.$/, (ch) => (ch === 'A' ? 'B' : 'A')),
      alert: (ids.alerts[0] as string).replace(/.$/, (ch) => (ch === 'A' ? 'B' : 'A')),
      message: (ids.messages[0] as string).replace(/.$/, (ch) => (ch === 'A' ? 'B' : 'A')),
      conflict: 'no-such-conflict',
      declaration: own('coalition', 'no-such-declaration'),
      'local declaration': 'no-such-declaration',
    };
    for (const party of THIRD) {
      for (const user of [`${party}.admin`, `${party}.watch`]) {
        for (const [kind, id, path, method, body] of probes) {
          const fake = fakes[kind] as string;
          const real = await w.call(user, method, path(id), body);
          const none = await w.call(user, method, path(fake), body);
          // Answering a channel invitation is a party admin's: others are refused before any lookup.
          const refused = /\/(accept|decline)$/.test(path(id)) && !user.endsWith('.admin');
          const code = refused ? 'forbidden' : 'not_found';
          assert.equal(real.status, refused ? 403 : 404, `${user} ${method} ${path(id)}: ${real.text}`);
          assert.deepEqual(masked(real, id), masked(none, fake), `${user} ${method} ${path('<id>')}`);
          assert.equal((real.body as { errors: { code: string }[] }).errors[0]?.code, code);
        }
      }
    }
    // The probes changed nothing at the involved parties: the channel still has three messages.
    const msgs = await w.ok<{ messages: MessageView[] }>(
      'coalition.operator',
      'GET',
      `/api/v1/channels/${ids.channel}/messages`,
    );
    assert.deepEqual(
      msgs.messages.map((m) => m.id),
      ids.messages,
    );
  });
});

describe('a hotline reference a receiving party may not see', () => {
  let w: World;
  let channel: string;
  let conflict: string;
  const consoles: Record<string, StreamConsole> = {};
  const sent: MessageView[] = [];
  const STRIKE_LOCAL = 'ref-strike-charlie';
  const STRIKE = own('coalition', STRIKE_LOCAL);

  before(async () => {
    w = await World.start();
    // Seen by city-police only (and its owner); relief-agency may not see it, nor the conflict.
    conflict = (await w.strike(STRIKE, 'Operation Hidden Charlie', T0 + 60 * MIN)).id;
    const c = await w.ok<{ id: string }>(
      'coalition.admin',
      'POST',
      '/api/v1/channels',
      { name: 'Three-way line', parties: ['city-police', 'relief-agency'] },
      201,
    );
    channel = c.id;
    await w.ok('city-police.admin', 'POST', `/api/v1/channels/${channel}/accept`);
    await w.ok('relief-agency.admin', 'POST', `/api/v1/channels/${channel}/accept`);
    for (const party of ['coalition', 'city-police', 'relief-agency'])
      consoles[party] = await w.console(`${party}.watch`);
    for (const body of [
      { text: 'About the strike', precedence: 'flash', ref: { type: 'declaration', id: STRIKE } },
      { text: 'About the conflict', ref: { type: 'conflict', id: conflict } },
      { text: 'About the hospital', ref: { type: 'declaration', id: HOSPITAL } },
    ])
      sent.push(
        await w.ok<MessageView>(
          'coalition.operator',
          'POST',
          `/api/v1/channels/${channel}/messages`,
          body,
          201,
        ),
      );
  });
  after(() => w.close());

  const full = () => [
    { type: 'declaration', id: STRIKE },
    { type: 'conflict', id: conflict },
    { type: 'declaration', id: HOSPITAL },
  ];

  it('carries {type, hidden: true} for the party that may not see it, the full reference for the others', async () => {
    const expected: Record<string, unknown[]> = {
      coalition: full(),
      'city-police': full(),
      'relief-agency': [
        { type: 'declaration', hidden: true },
        { type: 'conflict', hidden: true },
        { type: 'declaration', id: HOSPITAL },
      ],
    };
    assert.deepEqual(
      sent.map((m) => m.ref),
      full(),
      'the sender reads its own references',
    );
    for (const [party, refs] of Object.entries(expected)) {
      const c = consoles[party] as StreamConsole;
      const frames = [];
      for (const m of sent)
        frames.push(
          await c.waitFor(
            (f) => f.type === 'message.posted' && data<MessageView>(f).id === m.id,
            `${party}: ${m.id}`,
          ),
        );
      assert.deepEqual(
        frames.map((r) => data<MessageView>(r.frame).ref),
        refs,
        `${party} over the stream`,
      );
      const listed = await w.ok<{ messages: MessageView[] }>(
        `${party}.operator`,
        'GET',
        `/api/v1/channels/${channel}/messages`,
      );
      assert.deepEqual(
        listed.messages.map((m) => m.ref),
        refs,
        `${party} over HTTP`,
      );
    }
    // The flash message's alerts carry the message as each party may read it.
    for (const [party, ref] of [
      ['city-police', { type: 'declaration', id: STRIKE }],
      ['relief-agency', { type: 'declaration', hidden: true }],
    ] as const) {
      const a = await alertAbout(consoles[party] as StreamConsole, (sent[0] as MessageView).id);
      assert.deepEqual(a.summary.message?.ref, ref, `${party}: the alert's message`);
    }
  });

  it('relief-agency meets neither the strike nor the conflict anywhere, and cannot reference them', async () => {
    const relief = consoles['relief-agency'] as StreamConsole;
    await w.settle(relief, 'relief-agency.watch');
    const texts: [string, string][] = [['console', relief.text]];
    for (const path of [
      '/api/v1/alerts',
      '/api/v1/events?after=0&limit=1000',
      `/api/v1/channels/${channel}/messages`,
      '/api/v1/conflicts',
      '/api/v1/declarations',
    ])
      texts.push([path, (await w.call('relief-agency.watch', 'GET', path)).text]);
    for (const [where, text] of texts) {
      assert.ok(!text.includes(STRIKE_LOCAL), `${where} shows the strike's id`);
      assert.ok(!text.includes('Operation Hidden Charlie'), `${where} shows the strike's label`);
      assert.ok(!text.includes(conflict), `${where} shows the conflict's id`);
    }
    // A reference it may not see answers as one that does not exist.
    for (const [type, id, fake] of [
      ['declaration', STRIKE, own('coalition', 'no-such-declaration')],
      ['conflict', conflict, 'no-such-conflict'],
    ] as const) {
      const post = (ref: string) =>
        w.call('relief-agency.operator', 'POST', `/api/v1/channels/${channel}/messages`, {
          text: 'what is this?',
          ref: { type, id: ref },
        });
      const real = await post(id);
      assert.equal(real.status, 404, real.text);
      assert.deepEqual(masked(real, id), masked(await post(fake), fake));
    }
    // The city-police console did see them (the check above is not vacuous).
    const police = consoles['city-police'] as StreamConsole;
    assert.ok(police.text.includes(STRIKE) && police.text.includes(conflict));
  });
});

/**
 * A hidden declaration's life seen from outside (issue #12; docs/visibility.md). Coalition adds,
 * amends and withdraws declarations hidden from relief-agency and northern-forces. Every GET route
 * is read as every role of those two parties (the ids each finds in its own lists read one by one
 * too, the hidden declaration's id, a dry run on the hidden declaration, the stream's head), and
 * the public routes without a token, before and after each change.
 *
 * (e) A hidden declaration that meets nothing of theirs: no answer changes, no console hears a thing.
 * (f) One that meets northern-forces' declarations: only its conflicts, alerts and stream change,
 *     and every field of every new answer and event is one the design lets a conflict reveal —
 *     the party, rule, severity, status and the window on whole hours; no id, label, geometry,
 *     distance or closest point of the hidden side. Relief-agency and the public still see nothing.
 */
describe('a hidden declaration added, amended and withdrawn: what the other parties and the public read', () => {
  let w: World;
  const ROLES = ['operator', 'watch', 'senior', 'admin'] as const;
  const consoles: Record<string, StreamConsole[]> = {};
  /** Coalition's hidden declarations (visible to city-police only): full ids. */
  const WALK = own('coalition', 'hid-walk-lantern');
  const MEETS = own('coalition', 'hid-walk-kestrel');
  /** Where the second one lies: west of Arad, away from every demo declaration. */
  const P: [number, number] = [21.0837, 46.1581];
  /** Northern-forces' site near it (320 m east), open-ended: the strike's window is the overlap. */
  const NF_SITE: [number, number] = [21.0878, 46.1581];
  type Snapshot = Map<string, string>;

  /** A dry run every party may send, right on the hidden declarations (it must say nothing of them). */
  const dryProbe = {
    type: 'FeatureCollection',
    features: [
      {
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [21.304, 46.1535] },
        properties: {
          id: 'walk-dry-1',
          kind: 'protected_site',
          category: 'other',
          start: '2026-11-22T00:00:00Z',
        },
      },
      {
        type: 'Feature',
        geometry: { type: 'Point', coordinates: P },
        properties: {
          id: 'walk-dry-2',
          kind: 'protected_site',
          category: 'other',
          start: '2026-11-22T00:00:00Z',
        },
      },
    ],
  };

  /** Ids a party reads in its own lists: each is read by id as well. */
  const idsIn = (text: string, key: string) => {
    const body = JSON.parse(text) as Record<string, { id: string }[]>;
    return (body[key] ?? []).map((x) => x.id);
  };

  async function snapshotOf(user: string | null): Promise<Snapshot> {
    const out: Snapshot = new Map();
    const read = async (method: string, path: string, body?: unknown) => {
      const r =
        user === null ? await http(w.base, null, method, path, body) : await w.call(user, method, path, body);
      out.set(`${user ?? 'anonymous'} ${method} ${path}`, `${r.status} ${r.text}`);
      return r;
    };
    if (user === null) {
      for (const path of [
        '/healthz',
        '/api/v1/openapi.json',
        '/api/v1/declarations',
        `/api/v1/declarations/${WALK}`,
        `/api/v1/declarations/${MEETS}`,
        '/api/v1/conflicts',
        '/api/v1/events?after=0',
        '/api/v1/probing',
        '/api/v1/status',
        '/api/v1/parties',
      ])
        await read('GET', path);
      await read('POST', '/api/v1/declarations?dry_run=true', dryProbe);
      return out;
    }
    const party = user.slice(0, user.lastIndexOf('.'));
    for (const path of [
      '/api/v1/parties',
      '/api/v1/tokens',
      `/api/v1/parties/${party}/members`,
      '/api/v1/parties/coalition/members',
      '/api/v1/roster',
      '/api/v1/webhooks',
      '/api/v1/probing',
      '/api/v1/status',
      '/api/v1/events?after=0&limit=1',
      '/api/v1/events?after=0&limit=1000',
      '/api/v1/alerts?status=open',
      '/api/v1/alerts?status=closed',
      '/api/v1/conflicts?status=open',
      '/api/v1/conflicts?status=resolved',
      '/api/v1/declarations?status=withdrawn',
      '/api/v1/declarations?party=coalition',
      '/api/v1/declarations?kind=strike&limit=5000',
      '/api/v1/declarations?bbox=21.29,46.14,21.32,46.16',
      '/api/v1/declarations?bbox=21.07,46.15,21.1,46.17&status=withdrawn',
      `/api/v1/declarations/${WALK}`,
      `/api/v1/declarations/${WALK}/versions`,
      `/api/v1/declarations/${MEETS}`,
      `/api/v1/conflicts?declaration=${WALK}`,
      `/api/v1/conflicts?declaration=${MEETS}`,
    ])
      await read('GET', path);
    const declarations = await read('GET', '/api/v1/declarations?limit=5000');
    for (const f of (JSON.parse(declarations.text) as { features: { id: string }[] }).features ?? [])
      await read('GET', `/api/v1/declarations/${f.id}`);
    const conflicts = await read('GET', '/api/v1/conflicts?limit=5000');
    for (const id of idsIn(conflicts.text, 'conflicts')) await read('GET', `/api/v1/conflicts/${id}`);
    const alerts = await read('GET', '/api/v1/alerts?limit=5000');
    for (const id of idsIn(alerts.text, 'alerts')) await read('GET', `/api/v1/alerts/${id}`);
    const channels = await read('GET', '/api/v1/channels');
    for (const id of idsIn(channels.text, 'channels')) {
      await read('GET', `/api/v1/channels/${id}`);
      await read('GET', `/api/v1/channels/${id}/messages`);
    }
    const hooks = await read('GET', '/api/v1/webhooks');
    if (hooks.status === 200)
      for (const id of idsIn(hooks.text, 'webhooks')) await read('GET', `/api/v1/webhooks/${id}/deliveries`);
    await read('POST', '/api/v1/declarations?dry_run=true', dryProbe);
    return out;
  }

  const viewers = () => [null, ...THIRD.flatMap((p) => ROLES.map((r) => `${p}.${r}`))];
  async function snapshot(): Promise<Snapshot> {
    const all: Snapshot = new Map();
    for (const user of viewers()) for (const [k, v] of await snapshotOf(user)) all.set(k, v);
    return all;
  }
  /** The keys whose answers differ (or exist on one side only). */
  function changed(a: Snapshot, b: Snapshot): string[] {
    const keys = new Set([...a.keys(), ...b.keys()]);
    return [...keys].filter((k) => a.get(k) !== b.get(k)).sort();
  }

  before(async () => {
    w = await World.start();
    // A channel between the two outside parties, with a message read: their lists are not empty.
    const ch = await w.ok<{ id: string }>(
      'northern-forces.admin',
      'POST',
      '/api/v1/channels',
      { name: 'Outside line', parties: ['relief-agency'] },
      201,
    );
    await w.ok('relief-agency.admin', 'POST', `/api/v1/channels/${ch.id}/accept`);
    await w.ok(
      'northern-forces.operator',
      'POST',
      `/api/v1/channels/${ch.id}/messages`,
      { text: 'radio check' },
      201,
    );
    // Reading the lists once settles what reading does (delivery receipts), before any snapshot.
    await snapshot();
    for (const party of THIRD)
      consoles[party] = [await w.console(`${party}.watch`), await w.console(`${party}.senior`, 'frame')];
  });
  after(() => w.close());

  it('(e) a hidden declaration that meets nothing of theirs: no answer changes when it is added, amended, withdrawn', async () => {
    const base = await snapshot();
    assert.deepEqual(changed(base, await snapshot()), [], 'the snapshot is stable by itself');
    const consoleFrames = () => Object.values(consoles).flatMap((cs) => cs.map((c) => c.frames.length));
    const framesBefore = consoleFrames();
    const policeBefore = await w.ok<{ head: number }>(
      'city-police.watch',
      'GET',
      '/api/v1/events?after=0&limit=1',
    );

    // Added: on the hospital, seen by city-police only (so it does meet city-police's site).
    const c1 = await w.strike('hid-walk-lantern', 'Operation Silent Lantern', T0 + 3 * DAY + 17 * MIN);
    assert.deepEqual(changed(base, await snapshot()), [], 'after it was added');
    // Amended: moved, relabelled, another window.
    await w.ok('coalition.operator', 'PUT', `/api/v1/declarations/${WALK}`, {
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [21.3041, 46.1536] },
      properties: {
        kind: 'strike',
        start: iso(T0 + 3 * DAY + 47 * MIN),
        end: iso(T0 + 3 * DAY + 107 * MIN),
        buffer_m: 150,
        label: 'Operation Silent Lantern II',
        visibility: ['city-police'],
      },
    });
    assert.deepEqual(changed(base, await snapshot()), [], 'after it was amended');
    await w.ok('coalition.operator', 'POST', `/api/v1/declarations/${WALK}/withdraw`, {
      reason: 'called off',
    });
    assert.deepEqual(changed(base, await snapshot()), [], 'after it was withdrawn');

    // Not vacuous: city-police, which may see it, heard of each step.
    const police = await w.ok<{ events: EventView[] }>(
      'city-police.watch',
      'GET',
      `/api/v1/events?after=${policeBefore.head}&limit=1000`,
    );
    const types = police.events.map((e) => e.type);
    for (const t of [
      'declaration.changed',
      'conflict.detected',
      'conflict.resolved',
      'alert.created',
      'alert.closed',
    ])
      assert.ok(types.includes(t), `city-police received ${t}: ${types.join(', ')}`);
    assert.ok(JSON.stringify(police.events).includes(c1.id));
    // The outside consoles heard nothing at all.
    assert.deepEqual(consoleFrames(), framesBefore);
    for (const cs of Object.values(consoles))
      for (const c of cs)
        assert.deepEqual(
          c.frames.map((f) => f.type),
          ['hello'],
        );
  });

  it('(f) one that meets northern-forces’ declarations reveals to it exactly what the design says, and nothing else', async () => {
    // Northern-forces' site near P, first (its own answers change with it, as they should).
    await w.ok(
      'northern-forces.operator',
      'POST',
      '/api/v1/declarations',
      {
        type: 'Feature',
        geometry: { type: 'Point', coordinates: NF_SITE },
        properties: {
          id: 'walk-nf-site',
          kind: 'protected_site',
          category: 'school',
          start: '2026-11-22T00:00:00Z',
          buffer_m: 100,
        },
      },
      201,
    );
    const secrets = [
      'hid-walk-kestrel',
      'Operation Quiet Kestrel',
      'Quiet Kestrel II',
      'bridge approach',
      '21.0837',
      '46.1581',
      '21.0839',
      '10:17',
      '12:17',
      '10:47',
      '12:47',
    ];
    const ALLOWED_NF = /^northern-forces\.\w+ GET \/api\/v1\/(conflicts|alerts|events)\b/;
    const nfHead = async () =>
      (await w.ok<{ head: number }>('northern-forces.watch', 'GET', '/api/v1/events?after=0&limit=1')).head;

    /**
     * Every field of a conflict as northern-forces reads it when a side is hidden from it: that
     * side is `{party, hidden}`, the window on whole hours, no distance or closest point, no
     * `withheld_from`. About the coalition's hidden strike: exactly the rule and severity it has.
     */
    const assertConflict = (c: Record<string, unknown>, where: string) => {
      const a = c.a as Record<string, unknown>;
      const b = c.b as Record<string, unknown>;
      const hiddenSide = [a, b].find((x) => x.hidden === true);
      if (hiddenSide === undefined) return; // both sides in clear: nothing hidden to reveal
      assert.deepEqual(
        Object.keys(c).sort(),
        [
          'a',
          'acceptances',
          'b',
          'detected_at',
          'id',
          'internal',
          'resolution',
          'resolved_at',
          'rule',
          'severity',
          'status',
          'window',
        ],
        where,
      );
      assert.deepEqual(Object.keys(hiddenSide).sort(), ['hidden', 'party'], where);
      const mine = hiddenSide === a ? b : a;
      assert.equal(mine.party, 'northern-forces', where);
      const win = c.window as { start: string; end: string | null };
      assert.deepEqual(Object.keys(win).sort(), ['end', 'start'], where);
      for (const t of [win.start, win.end])
        if (t !== null) assert.equal(Date.parse(t) % (60 * MIN), 0, `${where}: ${t} on a whole hour`);
      if (hiddenSide.party !== 'coalition') return;
      assert.match(String(mine.id), /^northern-forces:walk-nf-/, where);
      assert.equal(c.rule, 'strike_protected', where);
      assert.ok(['high', 'critical'].includes(c.severity as string), where);
      assert.equal(c.internal, false, where);
      assert.ok(c.status === 'open' || c.status === 'resolved', where);
      assert.ok([null, 'amended', 'withdrawn'].includes(c.resolution as string | null), where);
      assert.deepEqual(c.acceptances, [], where);
    };
    /** Walk an answer or event: every conflict in it, every peer, no secret anywhere. */
    const walk = (x: unknown, where: string) => {
      const text = JSON.stringify(x);
      for (const s of secrets) assert.ok(!text.includes(s), `${where}: ${JSON.stringify(s)} in ${text}`);
      const visit = (v: unknown, path: string): void => {
        if (Array.isArray(v)) {
          for (const [i, e] of v.entries()) visit(e, `${path}[${i}]`);
          return;
        }
        if (v === null || typeof v !== 'object') return;
        const o = v as Record<string, unknown>;
        if ('rule' in o && 'a' in o && 'b' in o) assertConflict(o, `${where} ${path}`);
        if ('hidden' in o && 'party' in o)
          assert.deepEqual(Object.keys(o).sort(), ['hidden', 'party'], `${where} ${path}`);
        const peers = o.peers;
        if (Array.isArray(peers))
          for (const p of peers as Record<string, unknown>[])
            assert.deepEqual(
              Object.keys(p).sort(),
              ['acknowledged', 'acknowledged_at', 'party', 'reply'],
              where,
            );
        for (const [k, e] of Object.entries(o)) visit(e, `${path}.${k}`);
      };
      visit(x, '');
    };
    /** After a change by the owner: what changed for whom, and every new event of northern-forces, walked. */
    const step = async (what: string, before: Snapshot, headBefore: number, expectTypes: string[]) => {
      const now = await snapshot();
      const diff = changed(before, now);
      const outside = diff.filter((k) => !ALLOWED_NF.test(k));
      assert.deepEqual(outside, [], `${what}: only northern-forces' conflicts, alerts and events change`);
      for (const k of diff) {
        const v = now.get(k);
        if (v === undefined) continue;
        const [status, ...rest] = v.split(' ');
        if (status === '200') walk(JSON.parse(rest.join(' ')), `${what}: ${k}`);
      }
      const events = (
        await w.ok<{ events: EventView[] }>(
          'northern-forces.watch',
          'GET',
          `/api/v1/events?after=${headBefore}&limit=1000`,
        )
      ).events;
      assert.deepEqual(
        [...new Set(events.map((e) => e.type))].sort(),
        [...expectTypes].sort(),
        `${what}: events`,
      );
      for (const e of events) walk(e, `${what}: event ${e.seq} ${e.type}`);
      for (const c of consoles['northern-forces'] ?? []) {
        await w.settle(c, 'northern-forces.watch');
        for (const f of c.events.filter((f) => (f.seq as number) > headBefore))
          walk(f, `${what}: frame ${f.seq}`);
      }
      assert.ok(diff.length > 0, `${what}: northern-forces did hear of it`);
      return now;
    };

    // Added: the coalition strike, hidden from northern-forces, meets its site.
    let before = await snapshot();
    let head = await nfHead();
    await w.ok(
      'coalition.operator',
      'POST',
      '/api/v1/declarations',
      {
        type: 'Feature',
        geometry: { type: 'Point', coordinates: P },
        properties: {
          id: 'hid-walk-kestrel',
          kind: 'strike',
          start: '2026-11-25T10:17:00Z',
          end: '2026-11-25T12:17:00Z',
          buffer_m: 800,
          label: 'Operation Quiet Kestrel',
          notes: 'bridge approach',
          visibility: ['city-police'],
        },
      },
      201,
    );
    before = await step('added', before, head, ['conflict.detected', 'alert.created']);
    const detected = await w.ok<{ conflicts: Record<string, unknown>[] }>(
      'northern-forces.watch',
      'GET',
      `/api/v1/conflicts?declaration=${own('northern-forces', 'walk-nf-site')}`,
    );
    assert.equal(detected.conflicts.length, 1);
    assert.deepEqual(detected.conflicts[0]?.window, {
      start: '2026-11-25T10:00:00Z',
      end: '2026-11-25T13:00:00Z',
    });

    // Northern-forces' own real submission meeting it: the answer, walked field by field.
    head = await nfHead();
    const sub = await w.ok<{ conflicts: Record<string, unknown>[] }>(
      'northern-forces.operator',
      'POST',
      '/api/v1/declarations',
      {
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [21.0817, 46.1571] },
        properties: {
          id: 'walk-nf-post',
          kind: 'protected_site',
          category: 'other',
          start: '2026-11-22T00:00:00Z',
        },
      },
      201,
    );
    assert.equal(sub.conflicts.length, 1);
    walk(sub, 'its submission');
    const own_ = await w.ok<{ events: EventView[] }>(
      'northern-forces.watch',
      'GET',
      `/api/v1/events?after=${head}`,
    );
    for (const e of own_.events) walk(e, `its submission: event ${e.type}`);
    before = await snapshot();

    // Amended: moved 15 m, relabelled, a new window; the old conflicts close, new ones open.
    head = await nfHead();
    await w.ok('coalition.operator', 'PUT', `/api/v1/declarations/${MEETS}`, {
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [21.0839, 46.1581] },
      properties: {
        kind: 'strike',
        start: '2026-11-25T10:47:00Z',
        end: '2026-11-25T12:47:00Z',
        buffer_m: 800,
        label: 'Operation Quiet Kestrel II',
        notes: 'bridge approach, second pass',
        visibility: ['city-police'],
      },
    });
    before = await step('amended', before, head, [
      'conflict.resolved',
      'alert.closed',
      'conflict.detected',
      'alert.created',
    ]);

    // Withdrawn: the conflicts close.
    head = await nfHead();
    await w.ok('coalition.operator', 'POST', `/api/v1/declarations/${MEETS}/withdraw`, { reason: 'done' });
    await step('withdrawn', before, head, ['conflict.resolved', 'alert.closed']);
    const resolved = await w.ok<{ conflicts: Record<string, unknown>[] }>(
      'northern-forces.watch',
      'GET',
      `/api/v1/conflicts?declaration=${own('northern-forces', 'walk-nf-site')}&status=resolved`,
    );
    assert.deepEqual(resolved.conflicts.map((c) => c.resolution).sort(), ['amended', 'withdrawn']);
    // Relief-agency's consoles heard nothing of it: only northern-forces' own sites, visible to all.
    for (const c of consoles['relief-agency'] ?? []) {
      await w.settle(c, 'relief-agency.watch');
      assert.deepEqual(
        c.events.map((f) => [f.type, (f.data as { id: string }).id]),
        [
          ['declaration.changed', own('northern-forces', 'walk-nf-site')],
          ['declaration.changed', own('northern-forces', 'walk-nf-post')],
        ],
      );
    }
  });
});
