/**
 * `GET /api/v1/stream` — the push channel (WebSocket). An authenticated console receives every
 * event of its party's stream: alerts, escalations, acknowledgements, conflict changes, hotline
 * messages and receipts, roster changes.
 *
 * Protocol (JSON text frames):
 * - Authenticate with `Authorization: Bearer <token>` on the upgrade request, or — browsers cannot
 *   set that header — with a first frame `{"type":"auth","token":"…","since":N}` within 10 s.
 * - `since` (query parameter or in the auth frame) is the last sequence number the console saw.
 *   The hub first sends `{"type":"hello","party":…,"head":H,"since":N}`, then every event with a
 *   sequence number above N, in order, then live events as they commit. Without `since`, only
 *   events after the hello. So a console that reconnects with the last number it saw receives
 *   exactly what it missed: nothing lost while it was closed, nothing twice.
 * - Events: `{"seq":n,"type":"alert.created","at":"…Z","data":{…}}`; `seq` is per party and
 *   contiguous. Other frames have no `seq`: `hello`, `pong` (answer to `{"type":"ping"}`) and
 *   `error` (`{"type":"error","code":…,"message":…}`, followed by a close).
 * - Close codes: 4400 bad request, 4401 unauthenticated (or the token was revoked or expired),
 *   4403 no party, 4408 the console reads too slowly (reconnect with `since`), 4429 too many:
 *   `rate_limited` (the first frame's token is past its request rate, like an HTTP request with
 *   it would be) or `too_many_streams` (the token or its party holds as many open streams as
 *   {@link StreamLimits} allow; the streams already open are kept, the new one is refused).
 * - A plain `GET` (no WebSocket upgrade) is answered `426 upgrade_required`, in the API's error
 *   shape, with `Upgrade: websocket`.
 * - A revoked token (logout, revocation by the party admin, its member disabled) closes its
 *   streams at once (the hub tells them after the revocation commits); an expiring one at its
 *   expiry. A recheck every minute backs both up: it catches a revocation made by another hub
 *   instance on the same database, which this process is never told of.
 *
 * Isolation: a connection subscribes to its own party's events only, and events are rendered
 * per party when written (see hub/views.ts); nothing of another party passes through here.
 */
import type { WebSocket } from '@fastify/websocket';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { EventRecord } from '../domain/records.ts';
import type { Hub, Principal } from '../hub/hub.ts';
import { coded } from './errors.ts';
import type { RateLimiter } from './rate.ts';
import { type App, ERRORS } from './routes/support.ts';

const AUTH_TIMEOUT_MS = 10_000;
/** The backstop recheck of the token (revocations arrive at once; see the header). */
const RECHECK_MS = 60_000;
/** How soon a stream looks again for an event another instance committed but it cannot read yet. */
const FILL_RETRY_MS = 100;
/** setTimeout's longest delay; a later expiry is left to the recheck. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const PING_MS = 30_000;
const PAGE = 500;
/** Unsent bytes a connection may hold before it is closed as too slow. */
const MAX_BUFFERED = 8 * 1024 * 1024;

const TOKEN = /^[A-Za-z0-9_-]{1,200}$/;

/**
 * How many streams may be open at once per token and per party. A console holds one; a member
 * with a few windows, or a system that reconnects before its old socket timed out, a few more.
 * Each stream holds a subscription, timers and up to 8 MiB of unsent frames, so without a bound a
 * single token could hold thousands open and starve every party's push (docs/security.md).
 */
export interface StreamLimits {
  readonly perToken: number;
  readonly perParty: number;
}
export const DEFAULT_STREAM_LIMITS: StreamLimits = { perToken: 10, perParty: 200 };

/** The open streams (and CoT feeds: src/server/cot-feed.ts), counted per token and per party. */
export class OpenStreams {
  private readonly byToken = new Map<string, number>();
  private readonly byParty = new Map<string, number>();
  constructor(private readonly limits: StreamLimits) {}

  /** Count a stream in; returns its release (call once when it closes), or why it is refused. */
  take(tokenId: string, party: string): (() => void) | string {
    const t = this.byToken.get(tokenId) ?? 0;
    const p = this.byParty.get(party) ?? 0;
    if (t >= this.limits.perToken)
      return `this token already has ${t} open streams (at most ${this.limits.perToken}): close one`;
    if (p >= this.limits.perParty)
      return `your party already has ${p} open streams (at most ${this.limits.perParty})`;
    this.byToken.set(tokenId, t + 1);
    this.byParty.set(party, p + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.decrement(this.byToken, tokenId);
      this.decrement(this.byParty, party);
    };
  }

  private decrement(m: Map<string, number>, key: string): void {
    const n = (m.get(key) ?? 1) - 1;
    if (n <= 0) m.delete(key);
    else m.set(key, n);
  }
}

/**
 * Hold a connection's writes until the end of this tick: the events of a group commit reach a
 * console in one write of its TCP socket, not one each (a burst of five submissions fans out a
 * few thousand frames over a thousand consoles; one system call per frame set its p99). The
 * socket is `ws`'s underlying one; without it (another transport) frames go out one by one.
 */
function corkForThisTick(socket: WebSocket): void {
  const raw = (socket as unknown as { _socket?: { cork(): void; uncork(): void; writableCorked: number } })
    ._socket;
  if (raw === undefined || raw.writableCorked > 0) return;
  raw.cork();
  process.nextTick(() => raw.uncork());
}

/** Frames by event: the consoles of a party all receive the same event, serialized once. */
const frames = new WeakMap<EventRecord, string>();

function frame(e: EventRecord): string {
  let f = frames.get(e);
  if (f === undefined) {
    f = JSON.stringify({ seq: e.seq, type: e.type, at: new Date(e.at).toISOString(), data: e.data });
    frames.set(e, f);
  }
  return f;
}

function parseSince(v: unknown): number | undefined | null {
  if (v === undefined) return undefined;
  const n = typeof v === 'string' ? Number(v) : v;
  return Number.isSafeInteger(n) && (n as number) >= 0 ? (n as number) : null;
}

/**
 * `since` is read by the stream itself (not by the schema), so that a bad value closes the
 * socket with the protocol's 4400 like a bad value in the auth frame, rather than refusing the
 * upgrade.
 */
const StreamQuery = Type.Object(
  {
    since: Type.Optional(
      Type.String({ maxLength: 20, description: 'the last sequence number seen: a whole number from 0' }),
    ),
  },
  { additionalProperties: false },
);

const STREAM_SUMMARY =
  "WebSocket: the party's events, pushed as they commit. Authenticate with the bearer header or a first frame {type:'auth', token, since}; ?since=N replays every event after N first (protocol: src/server/stream.ts)";

/**
 * Hears each live event as it goes out to a console, with the milliseconds since it was
 * committed (by the hub clock of the instance that wrote it): the push lag, for metrics. Replayed
 * backlog (`since`) is not live and is not heard.
 */
export type PushListener = (delayMs: number) => void;

/** Where a listener of the pushes is added (the stream does not know who listens). */
export interface PushTap {
  listen(l: PushListener): void;
}

/**
 * The stream's route. It is declared with `wsHandler` (the upgrade) and `handler` (a plain GET,
 * which gets `426 upgrade_required`) rather than `websocket: true`, which would answer a plain GET
 * with an empty 404 and hide the route from the OpenAPI document; so the document describes it
 * from this schema, like every other route.
 */
export function streamRoute(
  app: App,
  hub: Hub,
  limiter: RateLimiter,
  limits: Partial<StreamLimits> = {},
): PushTap {
  const streams = new OpenStreams({ ...DEFAULT_STREAM_LIMITS, ...limits });
  const listeners: PushListener[] = [];
  const pushed = (at: number) => {
    if (listeners.length === 0) return;
    const delay = hub.clock.now() - at;
    for (const l of listeners) l(delay);
  };
  app.route({
    method: 'GET',
    url: '/api/v1/stream',
    config: { authInFirstFrame: true },
    schema: {
      tags: ['watch'],
      summary: STREAM_SUMMARY,
      security: [{ bearer: [] }, {}],
      querystring: StreamQuery,
      response: { 101: Type.Null({ description: 'Switching to WebSocket' }), ...ERRORS },
    },
    wsHandler: (socket: WebSocket, req: FastifyRequest) => {
      const fail = (code: number, errorCode: string, message: string) => {
        if (socket.readyState === socket.OPEN) {
          socket.send(JSON.stringify({ type: 'error', code: errorCode, message }));
          socket.close(code, errorCode);
        }
      };
      const since = parseSince((req.query as { since?: string }).since);
      if (since === null) return fail(4400, 'invalid_request', 'since: a whole number from 0');
      if (req.principal) {
        void open(hub, socket, req.principal, since, fail, streams, pushed);
        return;
      }
      const timer = setTimeout(() => fail(4401, 'unauthorized', 'authenticate within 10 s'), AUTH_TIMEOUT_MS);
      timer.unref();
      socket.once('close', () => clearTimeout(timer));
      socket.once('message', async (raw) => {
        clearTimeout(timer);
        let msg: { type?: unknown; token?: unknown; since?: unknown };
        try {
          msg = JSON.parse(String(raw));
        } catch {
          return fail(4400, 'invalid_json', 'the first frame is {"type":"auth","token":"…"}');
        }
        if (msg?.type !== 'auth' || typeof msg.token !== 'string' || !TOKEN.test(msg.token))
          return fail(4401, 'unauthorized', 'the first frame is {"type":"auth","token":"…"}');
        const s = msg.since === undefined ? since : parseSince(msg.since);
        if (s === null) return fail(4400, 'invalid_request', 'since: a whole number from 0');
        let p: Principal;
        try {
          p = await hub.accounts.authenticate(msg.token);
        } catch {
          return fail(4401, 'unauthorized', 'the token is unknown, expired or revoked');
        }
        // The same bucket, at the token's own rate, as its HTTP requests (app.ts): a first frame
        // is a request.
        const wait = limiter.admit(msg.token, p.rate ?? limiter.defaultRate);
        if (wait > 0)
          return fail(4429, 'rate_limited', `too many requests for this token; retry after ${wait} s`);
        void open(hub, socket, p, s, fail, streams, pushed);
      });
    },
    handler: async (_req, reply) => {
      void reply.header('upgrade', 'websocket');
      throw coded(
        'upgrade_required',
        'GET /api/v1/stream is a WebSocket: send "Connection: Upgrade" and "Upgrade: websocket"',
      );
    },
  });
  return { listen: (l) => listeners.push(l) };
}

async function open(
  hub: Hub,
  socket: WebSocket,
  p: Principal,
  since: number | undefined,
  fail: (code: number, errorCode: string, message: string) => void,
  streams: OpenStreams,
  pushed: (at: number) => void,
): Promise<void> {
  const party = p.party;
  if (party === null) return fail(4403, 'forbidden', 'hub administrators have no party stream');
  if (socket.readyState !== socket.OPEN) return;
  const release = streams.take(p.tokenId, party);
  if (typeof release === 'string') return fail(4429, 'too_many_streams', release);
  socket.once('close', release);
  let last = 0;
  let live = false;
  const buffered: EventRecord[] = [];
  // Live events that came ahead of one not yet published here: with several instances, an event
  // this instance wrote can overtake one another instance committed before it. Those in between
  // are read from the store, and everything goes out in order, with no gap.
  const ahead: EventRecord[] = [];
  let filling = false;
  const fill = async (): Promise<void> => {
    filling = true;
    try {
      while (ahead.length > 0 && socket.readyState === socket.OPEN) {
        const before = last;
        const page = await hub.store.read((tx) => tx.events.since(party, last, PAGE));
        for (const e of page) emit(e);
        ahead.sort((x, y) => x.seq - y.seq);
        while (ahead.length > 0 && (ahead[0] as EventRecord).seq <= last + 1)
          emit(ahead.shift() as EventRecord);
        // Nothing more in the store yet: look again shortly.
        if (last === before) {
          setTimeout(() => filling || void fill(), FILL_RETRY_MS).unref();
          break;
        }
      }
    } catch (err) {
      fail(1011, 'internal', (err as Error).message);
    } finally {
      filling = false;
    }
  };
  const send = (e: EventRecord) => {
    if (e.seq <= last || socket.readyState !== socket.OPEN) return;
    if (live && (filling || e.seq > last + 1)) {
      ahead.push(e);
      if (!filling) void fill();
      return;
    }
    emit(e);
    // It may have closed a gap that held others back.
    if (ahead.length > 0) void fill();
  };
  const emit = (e: EventRecord) => {
    if (e.seq <= last || socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > MAX_BUFFERED) return fail(4408, 'too_slow', 'reconnect with since');
    corkForThisTick(socket);
    socket.send(frame(e));
    last = e.seq;
    if (live) pushed(e.at);
    // A hotline message from another party reached one of this party's consoles: delivered.
    if (e.type === 'message.posted') {
      const m = e.data as { id: string; from: { party: string } };
      if (m.from.party !== party) hub.hotline.deliveredOnce(party, m.id);
    }
  };
  // Listen first, then read the backlog: an event committed in between is in one or the other
  // (or both, and then sent once, by its sequence number).
  const unsubscribe = hub.kernel.bus.subscribe(party, (e) => (live ? send(e) : buffered.push(e)));
  const revoked = () => fail(4401, 'unauthorized', 'the token was revoked or expired');
  const unrevoke = hub.kernel.revocations.subscribe((r) => {
    if ('tokenId' in r ? r.tokenId === p.tokenId : r.username === p.username) revoked();
  });
  const timers: NodeJS.Timeout[] = [];
  let alive = true;
  socket.on('close', () => {
    unsubscribe();
    unrevoke();
    for (const t of timers) clearTimeout(t);
  });
  socket.on('pong', () => {
    alive = true;
  });
  socket.on('message', (raw) => {
    try {
      if (JSON.parse(String(raw))?.type === 'ping') socket.send(JSON.stringify({ type: 'pong' }));
    } catch {
      // Consoles send nothing else; ignore what is not understood.
    }
  });
  try {
    const head = await hub.store.read((tx) => tx.events.head(party));
    if (since !== undefined && since > head)
      return fail(4400, 'invalid_request', `since: ${since} is beyond the last event (${head})`);
    last = since ?? head;
    if (socket.readyState !== socket.OPEN) return;
    socket.send(
      JSON.stringify({ type: 'hello', party, username: p.username, roles: p.roles, head, since: last }),
    );
    for (;;) {
      const page = await hub.store.read((tx) => tx.events.since(party, last, PAGE));
      for (const e of page) send(e);
      if (page.length < PAGE || socket.readyState !== socket.OPEN) break;
    }
    // Live first: an event held back meanwhile that is ahead of the backlog fills the gap.
    live = true;
    for (const e of buffered.splice(0)) send(e);
    // Events other instances commit for this party are published here from `last` on.
    hub.kernel.listening(party, last);
  } catch (err) {
    return fail(1011, 'internal', (err as Error).message);
  }
  // Revoked between authentication and the subscription above: the recheck's first run now.
  const recheck = () =>
    hub.accounts.tokenStillValid(p.tokenId).then(
      (ok) => ok || revoked(),
      () => undefined,
    );
  void recheck();
  const expiresIn = p.expiresAt == null ? null : p.expiresAt - hub.clock.now();
  if (expiresIn !== null && expiresIn < MAX_TIMER_MS)
    timers.push(setTimeout(revoked, Math.max(0, expiresIn)));
  timers.push(
    setInterval(recheck, RECHECK_MS),
    setInterval(() => {
      if (!alive) return socket.terminate();
      alive = false;
      socket.ping();
    }, PING_MS),
  );
  for (const t of timers) t.unref();
}
