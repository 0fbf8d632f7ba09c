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
import { type Sessions, sessions, startHub, T0, type TestHub } from './support/hub.ts';
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

interface Side {
  id?: string;
  party: string;
  hidden?: true;
}
interface ConflictView {
  id: string;
  status: string;
  resolution: string | null;
  a: Side;
  b: Side;
}
interface AlertView {
  id: string;
  subject_type: string;
  subject: string;
  status: string;
  level: string;
  summary: { message?: MessageView };
}
interface MessageView {
  id: string;
  seq: number;
  text: string;
  ref: { type: string; id?: string; hidden?: true } | null;
}
interface ReceiptNotice {
  message: string;
  receipts: { party: string; delivered_at: string | null; read_at: string | null; acked_at: string | null }[];
}
interface EventView {
  seq: number;
  type: string;
  data: unknown;
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
    const w = new World(await startHub());
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
    const c = r.conflicts.find((x) => x.a.id === HOSPITAL || x.b.id === HOSPITAL);
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
