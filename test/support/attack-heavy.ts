/**
 * The heavy-request scenario of the attack suite (issue #11, finding 4): one party sends dry runs
 * as heavy as the documented limits allow — by default four at once, each twelve polygons of
 * 9,999 vertices (geodesic circles, valid GeoJSON, about 4.7 MB) — and while they are in flight
 * another party's watch keeps using the hub: `GET /healthz`, its `GET /api/v1/alerts`, and a
 * hotline message from the submitting party pushed to its open WebSocket console.
 *
 * The hub must keep answering those at once (the acceptance bound is 200 ms, and push within
 * its 100 ms target) and must still answer every heavy request. This module runs the scenario
 * against a listening hub and reports what it measured; the callers decide what to assert:
 * test/attack.heavy.test.ts checks the order of events (probes answered while the heavy
 * requests are still running, every answer correct) without timing bounds that could flake on a
 * loaded machine, and the standing attack suite (`npm run attack`) checks the bounds and prints
 * the figures.
 */
import { performance } from 'node:perf_hooks';
import { direct } from '../../src/engine/geodesy/wgs84.ts';
import { login } from './serve.ts';
import { http, StreamConsole, streamUrl } from './stream.ts';

export interface Account {
  readonly username: string;
  readonly password: string;
}

export interface HeavyScenarioOptions {
  /** A listening hub, `http://host:port`, with the demo parties. */
  readonly url: string;
  /** Heavy dry runs sent at once (default 4). */
  readonly requests?: number;
  /** Polygons per request (default 12). */
  readonly polygons?: number;
  /** Positions per polygon ring, the closing one included (default 9,999). */
  readonly vertices?: number;
  /** Pause between probe rounds (default 250 ms). */
  readonly interval_ms?: number;
  /** Probe rounds at most (default 200); rounds stop when the first heavy request is answered. */
  readonly maxRounds?: number;
  /** How long to wait for the heavy answers (default 10 minutes). */
  readonly heavyTimeout_ms?: number;
  /** Who sends the heavy requests, and a hotline message each round (an operator; default the demo's). */
  readonly submitter?: Account;
  /** Its party's admin, who opens the hotline channel (default the demo's). */
  readonly submitterAdmin?: Account;
  /** Another party's watch officer: reads its alerts, holds the console (default the demo's). */
  readonly reader?: Account;
  /** That party's admin, who accepts the channel (default the demo's). */
  readonly readerAdmin?: Account;
}

/** One round of probes, each timed from just before its request to its answer (ms). */
export interface ProbeRound {
  readonly healthz_ms: number;
  readonly alerts_ms: number;
  /** The hotline message's POST. */
  readonly message_ms: number;
  /** From the POST being sent to the message's frame arriving at the reader's console. */
  readonly push_ms: number;
  /** Statuses: /healthz, /alerts, the message's POST (200, 200, 201 when all is well). */
  readonly statuses: readonly [number, number, number];
  /** When the round ended (performance.now()). */
  readonly endedAt: number;
}

export interface HeavyAnswer {
  readonly status: number;
  /** From sending the request to its whole answer (ms). */
  readonly ms: number;
  readonly endedAt: number;
  /** Conflicts in the answer (dry runs answer 200 with a list). */
  readonly conflicts: number | null;
  /** The first error code, when it was refused. */
  readonly code: string | null;
}

export interface HeavyReport {
  /** The heavy body as sent. */
  readonly bytes: number;
  readonly verticesPerRequest: number;
  readonly startedAt: number;
  readonly rounds: readonly ProbeRound[];
  /** Rounds ended before the first heavy request was answered. */
  readonly roundsBeforeFirstHeavy: number;
  readonly heavy: readonly HeavyAnswer[];
}

const DEMO = (username: string): Account => ({
  username,
  password: `demo-${username.slice(0, username.lastIndexOf('.'))}`,
});

/** A geodesic circle as a closed ring of `n` positions (n − 1 distinct), full precision. */
export function circleRing(centre: readonly [number, number], radius_m: number, n: number): number[][] {
  const ring: number[][] = [];
  for (let i = 0; i < n - 1; i++) {
    const p = direct([centre[0], centre[1]], (360 * i) / (n - 1), radius_m);
    ring.push([p[0], p[1]]);
  }
  ring.push(ring[0] as number[]);
  return ring;
}

/**
 * A FeatureCollection of `polygons` restricted zones, each a circle of `vertices` positions
 * (radius 20 km, centres 5 km apart, over the demo's theatre; for ten days from `from`, so that
 * they meet the demo's declarations whenever it was loaded), as one JSON text.
 */
export function heavyBody(polygons: number, vertices: number, from = Date.now()): string {
  const hour = 3_600_000;
  const start = new Date(Math.floor(from / hour) * hour).toISOString().replace('.000Z', 'Z');
  const end = new Date(Math.floor(from / hour) * hour + 240 * hour).toISOString().replace('.000Z', 'Z');
  const features = Array.from({ length: polygons }, (_, i) => ({
    type: 'Feature',
    geometry: { type: 'Polygon', coordinates: [circleRing([21.1 + 0.065 * i, 46.1], 20_000, vertices)] },
    properties: {
      id: `heavy-${i}`,
      kind: 'restricted_zone',
      start,
      end,
      label: `heavy ${i}`,
    },
  }));
  return JSON.stringify({ type: 'FeatureCollection', features });
}

/** Run the scenario; resolves once every heavy request was answered (or timed out). */
export async function heavyRequestScenario(o: HeavyScenarioOptions): Promise<HeavyReport> {
  const requests = o.requests ?? 4;
  const polygons = o.polygons ?? 12;
  const vertices = o.vertices ?? 9_999;
  const interval = o.interval_ms ?? 250;
  const maxRounds = o.maxRounds ?? 200;
  const submitter = o.submitter ?? DEMO('coalition.operator');
  const submitterAdmin = o.submitterAdmin ?? DEMO('coalition.admin');
  const reader = o.reader ?? DEMO('northern-forces.watch');
  const readerAdmin = o.readerAdmin ?? DEMO('northern-forces.admin');
  const party = (a: Account) => a.username.slice(0, a.username.lastIndexOf('.'));

  // Everything the probes need is ready before the first heavy byte is sent.
  const [submit, sAdmin, read, rAdmin] = await Promise.all(
    [submitter, submitterAdmin, reader, readerAdmin].map((a) => login(o.url, a.username, a.password)),
  );
  const channel = await http<{ id: string }>(o.url, sAdmin as string, 'POST', '/api/v1/channels', {
    name: 'heavy-request scenario',
    parties: [party(reader)],
  });
  if (channel.status !== 201) throw new Error(`open a channel: ${channel.status} ${channel.text}`);
  const accepted = await http(o.url, rAdmin as string, 'POST', `/api/v1/channels/${channel.body.id}/accept`);
  if (accepted.status !== 200) throw new Error(`accept the channel: ${accepted.status} ${accepted.text}`);
  const console_ = await StreamConsole.connect(streamUrl(o.url), { bearer: read as string });
  await console_.waitFor((f) => f.type === 'hello', 'hello');
  const body = heavyBody(polygons, vertices);

  try {
    const startedAt = performance.now();
    let firstHeavyAt = Number.POSITIVE_INFINITY;
    const heavy = Array.from({ length: requests }, async (): Promise<HeavyAnswer> => {
      const t = performance.now();
      const r = await fetch(`${o.url}/api/v1/declarations?dry_run=true`, {
        method: 'POST',
        headers: { authorization: `Bearer ${submit}`, 'content-type': 'application/geo+json' },
        body,
        signal: AbortSignal.timeout(o.heavyTimeout_ms ?? 600_000),
      });
      const text = await r.text();
      const endedAt = performance.now();
      firstHeavyAt = Math.min(firstHeavyAt, endedAt);
      const json = JSON.parse(text) as { conflicts?: unknown[]; errors?: { code: string }[] };
      return {
        status: r.status,
        ms: endedAt - t,
        endedAt,
        conflicts: Array.isArray(json.conflicts) ? json.conflicts.length : null,
        code: json.errors?.[0]?.code ?? null,
      };
    });

    const rounds: ProbeRound[] = [];
    for (let i = 0; i < maxRounds && performance.now() < firstHeavyAt; i++) {
      await new Promise((resolve) => setTimeout(resolve, interval));
      rounds.push(await probeRound(o.url, read as string, submit as string, channel.body.id, console_, i));
    }
    const answers = await Promise.all(heavy);
    return {
      bytes: Buffer.byteLength(body),
      verticesPerRequest: polygons * vertices,
      startedAt,
      rounds,
      roundsBeforeFirstHeavy: rounds.filter((r) => r.endedAt < firstHeavyAt).length,
      heavy: answers,
    };
  } finally {
    await console_.close();
  }
}

async function probeRound(
  url: string,
  reader: string,
  submitter: string,
  channel: string,
  console_: StreamConsole,
  i: number,
): Promise<ProbeRound> {
  const timed = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
    const t = performance.now();
    const v = await f();
    return [v, performance.now() - t];
  };
  const [h, healthz_ms] = await timed(() => fetch(`${url}/healthz`, { signal: AbortSignal.timeout(30_000) }));
  await h.arrayBuffer();
  const [a, alerts_ms] = await timed(() => http(url, reader, 'GET', '/api/v1/alerts'));
  const text = `heavy-request scenario, round ${i}, ${performance.now()}`;
  const from = console_.received.length;
  const sent = performance.now();
  const [m, message_ms] = await timed(() =>
    http(url, submitter, 'POST', `/api/v1/channels/${channel}/messages`, { text, precedence: 'routine' }),
  );
  const frame = await console_.waitFor(
    (f) => f.type === 'message.posted' && (f.data as { text?: string } | undefined)?.text === text,
    `the pushed message of round ${i}`,
    60_000,
    from,
  );
  return {
    healthz_ms,
    alerts_ms,
    message_ms,
    push_ms: frame.t - sent,
    statuses: [h.status, a.status, m.status],
    endedAt: performance.now(),
  };
}

/** The figures of a report, as lines for people. */
export function describeHeavyReport(r: HeavyReport): string {
  const q = (xs: readonly number[], p: number): number => {
    const s = [...xs].sort((x, y) => x - y);
    return s.length === 0 ? Number.NaN : (s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)] as number);
  };
  const row = (name: string, xs: readonly number[]) =>
    `  ${name.padEnd(26)} p50 ${q(xs, 0.5).toFixed(1).padStart(7)} ms   p99 ${q(xs, 0.99).toFixed(1).padStart(7)} ms   max ${q(xs, 1).toFixed(1).padStart(7)} ms`;
  const heavy = r.heavy.map(
    (h) => `${h.status}${h.code ? ` ${h.code}` : ''} in ${(h.ms / 1000).toFixed(1)} s`,
  );
  return [
    `heavy requests: ${r.heavy.length} × ${r.verticesPerRequest.toLocaleString('en-US')} vertices (${(r.bytes / 1e6).toFixed(2)} MB each): ${heavy.join(', ')}`,
    `probe rounds while they ran: ${r.rounds.length} (${r.roundsBeforeFirstHeavy} before the first heavy answer)`,
    row(
      'GET /healthz',
      r.rounds.map((x) => x.healthz_ms),
    ),
    row(
      "another party's GET /alerts",
      r.rounds.map((x) => x.alerts_ms),
    ),
    row(
      'hotline POST',
      r.rounds.map((x) => x.message_ms),
    ),
    row(
      'hotline push (sent → frame)',
      r.rounds.map((x) => x.push_ms),
    ),
  ].join('\n');
}
