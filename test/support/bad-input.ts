/**
 * The bad-input table (test/fixtures/bad-inputs/cases.json): what a case is, the hub it runs
 * against, how it is sent and what of the answer is compared. Shared by the generator (which runs
 * the cases against one version of the code and records its answers) and the replay test (which
 * asserts that the code in the working tree answers the same, and changes nothing).
 *
 * The hub is the demo's (startHub), plus a few things some cases need to exist — a withdrawn
 * declaration, a conflict the caller's party has already accepted, an acknowledged alert, channels,
 * a message, a webhook, an API token, a disabled member — made through the API by `badInputHub`.
 * Ids the hub draws at random are named in a case as placeholders (`{conflict}`), replaced when
 * the case is sent.
 */
import assert from 'node:assert/strict';
import type { InjectOptions } from 'fastify';
import { errorsOf, ok, type Res, request, sessions, startHub, type TestHub } from './hub.ts';

/** A string or a list built when the case is sent, so that a long input stays short in the JSON. */
export type Repeat = { $repeat: string; times: number } | { $array: unknown; times: number };

export interface BadInputCase extends BadInput {
  readonly expect: Answer;
}

/** A case without its answer: what is sent. */
export interface BadInput {
  /** Unique, `<group>.<what>`. */
  readonly id: string;
  /** The route as the server declares it, e.g. `POST /api/v1/declarations/:id/withdraw`. */
  readonly route: string;
  /** What the case sends that is wrong. */
  readonly about: string;
  /** The demo account that sends it (logged in once), or null for no token. */
  readonly as: string | null;
  readonly method: NonNullable<InjectOptions['method']>;
  /** The path, placeholders allowed (`/api/v1/conflicts/{conflict}/resolve`). */
  readonly path: string;
  /** The query string as sent, without `?` (kept raw: repeated and empty parameters are cases too). */
  readonly query?: string;
  /** A JSON body (sent as application/json); placeholders and {@link Repeat}s allowed. */
  readonly body?: unknown;
  /** A body sent as it is, with its content type (malformed JSON, other media types). */
  readonly raw?: { readonly body: string | Repeat; readonly contentType?: string };
  /** Headers sent as they are (e.g. a malformed Authorization); they win over the token's. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** What is compared of an answer: the status, and the code and path of every error, in order. */
export interface Answer {
  readonly status: number;
  readonly errors: readonly { readonly code: string; readonly path: string }[];
}

export interface CaseFile {
  readonly about: string;
  readonly generated_at_commit: string;
  readonly cases: readonly BadInputCase[];
}

/** A demo hub with what the cases refer to, and a token per demo account. */
export interface BadInputHub {
  readonly t: TestHub;
  /** Placeholder name → id, for the ids the hub draws at random. */
  readonly ids: Readonly<Record<string, string>>;
  token(username: string): Promise<string>;
  close(): Promise<void>;
}

/** The declaration of coalition the setup withdraws (an id no case may amend or withdraw again). */
export const WITHDRAWN = 'coalition:bad-input-withdrawn';
/** A coalition member the setup creates as a watch officer and disables. */
export const DISABLED_MEMBER = 'coalition.retired';

interface Listed {
  id: string;
}

export async function badInputHub(): Promise<BadInputHub> {
  const t = await startHub({ app: { console: false } });
  const { as: token, req: call } = sessions(() => t);
  /** The first of a list by id: the demo's ids are drawn at random, the choice is not. */
  const first = <T extends Listed>(list: readonly T[], what: string): T => {
    const x = [...list].sort((a, b) => (a.id < b.id ? -1 : 1))[0];
    assert.ok(x, `the setup found no ${what}`);
    return x;
  };

  // A declaration of coalition, withdrawn: amending or withdrawing it again is declaration_closed.
  ok(
    await call('coalition.operator', 'POST', '/api/v1/declarations', {
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [31.5, -31.5] },
      properties: {
        id: 'bad-input-withdrawn',
        kind: 'strike',
        start: '2026-11-25T10:00:00Z',
        end: '2026-11-25T12:00:00Z',
      },
    }),
    201,
  );
  ok(await call('coalition.operator', 'POST', `/api/v1/declarations/${WITHDRAWN}/withdraw`, {}));

  // Two open conflicts of coalition, chosen by what they are between (their ids are keyed with
  // the hub's random secret): one left alone, one whose risk coalition has accepted.
  type Side = { id?: string; party: string };
  const conflicts = ok<{ conflicts: (Listed & { rule: string; a: Side; b: Side })[] }>(
    await call('coalition.watch', 'GET', '/api/v1/conflicts?status=open'),
  ).conflicts;
  const key = new Map(
    conflicts.map((c) => [c.id, `${c.rule} ${c.a.id ?? c.a.party} ${c.b.id ?? c.b.party}`]),
  );
  const byKey = <T>(list: readonly T[], of: (x: T) => string) =>
    [...list].sort((x, y) => ((key.get(of(x)) ?? '') < (key.get(of(y)) ?? '') ? -1 : 1));
  const [conflict, accepted] = byKey(conflicts, (c) => c.id);
  assert.ok(conflict && accepted, 'the setup needs two open conflicts of coalition');
  ok(
    await call('coalition.watch', 'POST', `/api/v1/conflicts/${accepted.id}/resolve`, {
      resolution: 'risk_accepted',
      reason: 'the setup of the bad-input cases',
    }),
  );

  // Open alerts of coalition about conflicts: the one about `conflict` left open, another acknowledged.
  const alerts = ok<{ alerts: (Listed & { subject: string })[] }>(
    await call('coalition.watch', 'GET', '/api/v1/alerts?status=open'),
  ).alerts.filter((a) => key.has(a.subject));
  const alert = alerts.find((a) => a.subject === conflict.id);
  const acked = byKey(
    alerts.filter((a) => a.subject !== conflict.id && a.subject !== accepted.id),
    (a) => a.subject,
  )[0];
  assert.ok(alert && acked, 'the setup needs two open alerts of coalition');
  ok(await call('coalition.watch', 'POST', `/api/v1/alerts/${acked.id}/ack`, { reply: 'seen' }));

  // A channel coalition–northern-forces both accepted, and one coalition is only invited to.
  const channel = ok<Listed>(
    await call('coalition.admin', 'POST', '/api/v1/channels', {
      name: 'bad-input ops',
      parties: ['northern-forces'],
    }),
    201,
  );
  ok(await call('northern-forces.admin', 'POST', `/api/v1/channels/${channel.id}/accept`));
  const invited = ok<Listed>(
    await call('northern-forces.admin', 'POST', '/api/v1/channels', {
      name: 'bad-input invitation',
      parties: ['coalition'],
    }),
    201,
  );
  // A routine message from coalition (asks no acknowledgement), a flash one to coalition (asks one).
  const message = ok<Listed>(
    await call('coalition.operator', 'POST', `/api/v1/channels/${channel.id}/messages`, {
      text: 'routine traffic',
    }),
    201,
  );
  const flash = ok<Listed>(
    await call('northern-forces.operator', 'POST', `/api/v1/channels/${channel.id}/messages`, {
      text: 'flash traffic',
      precedence: 'flash',
    }),
    201,
  );

  // An API token, a shift and a disabled watch officer of coalition.
  const apiToken = ok<Listed>(
    await call('coalition.admin', 'POST', '/api/v1/tokens', { name: 'bad-input system' }),
    201,
  );
  const shift = first(
    ok<{ shifts: Listed[] }>(await call('coalition.admin', 'GET', '/api/v1/roster')).shifts,
    'shift',
  );
  ok(
    await call('coalition.admin', 'POST', '/api/v1/parties/coalition/members', {
      username: DISABLED_MEMBER,
      password: 'a-long-enough-password',
      roles: ['watch_officer'],
    }),
    201,
  );
  ok(
    await call('coalition.admin', 'PATCH', `/api/v1/parties/coalition/members/${DISABLED_MEMBER}`, {
      disabled: true,
    }),
  );

  // Last: a webhook (deliveries are written for later events only, and sent only by runDue).
  const webhook = ok<Listed>(
    await call('coalition.admin', 'POST', '/api/v1/webhooks', { url: 'https://hooks.example.invalid/in' }),
    201,
  );

  return {
    t,
    ids: {
      conflict: conflict.id,
      accepted_conflict: accepted.id,
      alert: alert.id,
      acked_alert: acked.id,
      channel: channel.id,
      invited_channel: invited.id,
      message: message.id,
      flash_message: flash.id,
      token: apiToken.id,
      shift: shift.id,
      webhook: webhook.id,
    },
    token,
    close: () => t.close(),
  };
}

/** Replace `{name}` placeholders in every string, and build every {@link Repeat}. */
export function resolve(x: unknown, ids: Readonly<Record<string, string>>): unknown {
  if (typeof x === 'string') {
    return x.replace(/\{([a-z_]+)\}/g, (m, name: string) => {
      const id = ids[name];
      if (id === undefined) throw new Error(`no placeholder ${m}`);
      return id;
    });
  }
  if (Array.isArray(x)) return x.map((y) => resolve(y, ids));
  if (typeof x === 'object' && x !== null) {
    const o = x as Record<string, unknown>;
    if (typeof o.times === 'number' && ('$repeat' in o || '$array' in o)) {
      if (typeof o.$repeat === 'string') return o.$repeat.repeat(o.times);
      const item = resolve(o.$array, ids);
      return Array.from({ length: o.times }, () => item);
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolve(v, ids)]));
  }
  return x;
}

/** Send a case as a client would, with the token of its account. */
export async function send(h: BadInputHub, c: BadInput): Promise<Res> {
  const headers: Record<string, string> = {};
  if (c.as !== null) headers.authorization = `Bearer ${await h.token(c.as)}`;
  let payload: string | undefined;
  if (c.raw !== undefined) {
    payload = resolve(c.raw.body, h.ids) as string;
    if (c.raw.contentType !== undefined) headers['content-type'] = c.raw.contentType;
  } else if (c.body !== undefined) {
    payload = JSON.stringify(resolve(c.body, h.ids));
    headers['content-type'] = 'application/json';
  }
  Object.assign(headers, c.headers);
  const path = resolve(c.path, h.ids) as string;
  const query = c.query === undefined ? '' : `?${resolve(c.query, h.ids) as string}`;
  return h.t.app.inject({
    method: c.method,
    url: `${path}${query}`,
    headers,
    ...(payload !== undefined && { payload }),
  });
}

/** The status, and the code and path of each error (an answer that is not an error body has none). */
export function answerOf(r: Res): Answer {
  return { status: r.statusCode, errors: errorsOf(r).map((e) => ({ code: e.code, path: e.path })) };
}

/**
 * What no rejected request may change: the ledger's head (every change appends to it), each
 * demo party's event head, and the declarations, conflicts and alerts coalition sees. Each part
 * as JSON, so that a difference names the part.
 */
export type Snapshot = Record<string, string>;

export async function snapshot(h: BadInputHub): Promise<Snapshot> {
  const { t } = h;
  const ledger = await t.store.read((tx) => tx.ledger.head());
  const heads: Record<string, number> = {};
  for (const party of ['coalition', 'northern-forces', 'relief-agency', 'city-police'])
    heads[party] = await t.store.read((tx) => tx.events.head(party));
  const token = await h.token('coalition.admin');
  const read = async (url: string) => JSON.stringify(ok<unknown>(await request(t.app, token, 'GET', url)));
  return {
    ledger: JSON.stringify(ledger === null ? null : { seq: ledger.seq, hash: ledger.hash }),
    events: JSON.stringify(heads),
    declarations: await read('/api/v1/declarations?limit=5000'),
    conflicts: await read('/api/v1/conflicts?limit=5000'),
    alerts: await read('/api/v1/alerts?limit=5000'),
  };
}

/** The parts of a snapshot that differ from another (none when nothing changed). */
export function changed(before: Snapshot, after: Snapshot): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => before[k] !== after[k]);
}

/** Log in, once, every account the cases send as (a login is a change of its own). */
export async function logInAll(h: BadInputHub, cases: readonly BadInput[]): Promise<void> {
  for (const as of new Set(cases.map((c) => c.as))) if (as !== null) await h.token(as);
}
