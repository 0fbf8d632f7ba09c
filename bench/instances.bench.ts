/**
 * Instances benchmark: one hub as 1, 2 and 3 `deconflict serve` processes on one PostgreSQL
 * database, beside one process on the embedded store (SQLite) and PostGIS alone.
 *
 * 1. Submissions: the hub benchmark's theatre (bench/theatre.ts) preloaded with N declarations
 *    (default 10,000) in-process through Hub.submit, once into a template database and once into
 *    a data directory; then for each run a copy of it (`CREATE DATABASE ... TEMPLATE`, so every
 *    run starts from the same rows), the real CLI started 1, 2 or 3 times on it (`serve --database
 *    URL --port 0 --detect-workers 1`, a rate limit out of the way), and the hub benchmark's 16
 *    keep-alive clients (bench/load.ts, a worker thread) spread round-robin over the instances,
 *    each submitting one declaration per request for D seconds after a warm-up. The same run on
 *    one `serve --data` process gives the SQLite figure, and pgbench the PostGIS anchor
 *    (bench/postgis.ts); each is printed as a ratio.
 * 2. Push across instances: a party's console (WebSocket /api/v1/stream) on instance A, another
 *    party's strikes 0–150 m from the first party's medical site submitted through instance C,
 *    one at a time (each its own hour, so that each raises exactly one conflict); the time from
 *    the request sent to the console's `conflict.detected` frame. The same measured with console
 *    and submissions on one instance.
 *
 * No target is set for these figures; they are printed as measured, with the machine's cores and
 * the server's version. The benchmark installs and starts nothing: without a reachable PostgreSQL
 * (`DECONFLICT_TEST_PG`, else the role scripts/test.sh creates) it says so and stops. Every
 * database it creates is dropped, every directory removed.
 *
 * Run: `npm run bench:instances`. Environment: INSTANCES_BENCH_PRELOAD (default 10,000),
 * INSTANCES_BENCH_SECONDS (default 15), INSTANCES_BENCH_PUSH (submissions per push run, default
 * 200).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { systemClock } from '../src/hub/clock.ts';
import { Hub } from '../src/hub/hub.ts';
import type { Store } from '../src/store/ports.ts';
import { openPostgresStore } from '../src/store/postgres.ts';
import { openSqliteStore } from '../src/store/sqlite.ts';
import {
  freshPgDatabase,
  type PgDatabase,
  pgBaseUrl,
  pgUnavailable,
  withClient,
} from '../test/support/postgres.ts';
import { type LoadResult, loadInWorker } from './load.ts';
import { postgisAnchor } from './postgis.ts';
import { type Server, startServe } from './serve.ts';
import {
  count,
  HOUR,
  msFmt,
  msSince,
  mulberry32,
  now,
  offset,
  quantile,
  roundForJson,
  roundMinute,
  secs,
  section,
  sleep,
  table,
  uniform,
} from './support.ts';
import { benchAccounts, CLIENTS, clientSpecs, preload } from './theatre.ts';

const PRELOAD = Number(process.env.INSTANCES_BENCH_PRELOAD ?? 10_000);
const SECONDS = Number(process.env.INSTANCES_BENCH_SECONDS ?? 15);
const PUSHES = Number(process.env.INSTANCES_BENCH_PUSH ?? 200);
const WARMUP_MS = 2000;
const INSTANCES = [1, 2, 3] as const;
/** Flags every instance runs with: one detection worker each (2 cores here), no rate limit in the way. */
const SERVE_FLAGS = [
  '--port',
  '0',
  '--detect-workers',
  '1',
  '--rate-limit',
  '100000/s',
  '--rate-burst',
  '100000',
  '--log-level',
  'warn',
];
/** How long a console may wait for a frame before the submission counts as missed. */
const FRAME_TIMEOUT_MS = 10_000;

// --- Preload --------------------------------------------------------------------------------------

interface Prepared {
  /** The API token of each party (valid in every copy). */
  readonly tokens: Map<string, string>;
  readonly ms: number;
}

/** Accounts and the theatre's preload through Hub.submit, in this process, then the store closed. */
async function prepare(store: Store, seed: number): Promise<Prepared> {
  try {
    const hub = await Hub.open(store, systemClock);
    const tokens = await benchAccounts(hub);
    const t = now();
    await preload(hub, PRELOAD, seed, Date.now());
    const ms = msSince(t);
    await hub.close();
    return { tokens, ms };
  } finally {
    await store.close();
  }
}

// --- 1. Submissions -------------------------------------------------------------------------------

interface Throughput {
  readonly label: string;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  readonly firstError: string | null;
}

async function startAll(n: number, store: readonly string[]): Promise<Server[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < n; i++) servers.push(await startServe([...store, ...SERVE_FLAGS]));
    return servers;
  } catch (err) {
    await Promise.all(servers.map((s) => s.stop()));
    throw err;
  }
}

async function measure(
  label: string,
  servers: readonly Server[],
  tokens: Map<string, string>,
): Promise<Throughput> {
  const load: LoadResult = await loadInWorker({
    urls: servers.map((s) => `${s.address}/api/v1/declarations`),
    clients: clientSpecs(tokens),
    warmupMs: WARMUP_MS,
    durationMs: SECONDS * 1000,
    seed: 0x1a5_0100,
    client: 'http',
  });
  const lat = Float64Array.from(load.latencies).sort();
  return {
    label,
    perSecond: (load.ok / load.windowMs) * 1000,
    p50: quantile(lat, 0.5),
    p99: quantile(lat, 0.99),
    errors: load.errors,
    firstError: load.firstError,
  };
}

async function submissions(
  template: PgDatabase,
  pgTokens: Map<string, string>,
  sqliteDir: string,
  sqliteTokens: Map<string, string>,
): Promise<Throughput[]> {
  section(
    `1. Submissions/s: ${CLIENTS} keep-alive clients round-robin over the instances, ${SECONDS} s each` +
      ` (${WARMUP_MS / 1000} s warm-up), ${count(PRELOAD)} declarations preloaded`,
  );
  const results: Throughput[] = [];
  const sqlite = await startAll(1, ['--data', sqliteDir]);
  try {
    results.push(await measure('SQLite, 1 instance (serve --data)', sqlite, sqliteTokens));
  } finally {
    await Promise.all(sqlite.map((s) => s.stop()));
  }
  for (const n of INSTANCES) {
    const db = await freshPgDatabase(pgBaseUrl(), template.name);
    try {
      const servers = await startAll(n, ['--database', db.url]);
      try {
        results.push(await measure(`PostgreSQL, ${n} instance${n > 1 ? 's' : ''}`, servers, pgTokens));
      } finally {
        await Promise.all(servers.map((s) => s.stop()));
      }
    } finally {
      await db.drop();
    }
  }
  const base = results[0] as Throughput;
  console.log(
    table(
      ['hub', 'submissions/s', 'p50', 'p99', 'errors', '÷ SQLite'],
      results.map((r) => [
        r.label,
        count(Math.round(r.perSecond)),
        msFmt(r.p50),
        msFmt(r.p99),
        count(r.errors),
        (r.perSecond / base.perSecond).toFixed(2),
      ]),
    ),
  );
  for (const r of results)
    if (r.firstError !== null) console.log(`first error (${r.label}): ${r.firstError}`);
  return results;
}

function anchor(results: readonly Throughput[]): void {
  console.log(
    `\nanchor: PostGIS alone doing the database part of a submission (pgbench, ${CLIENTS} clients, ${SECONDS} s)`,
  );
  const a = postgisAnchor(CLIENTS, SECONDS);
  if (!a.ran) {
    console.log(`  not run: ${a.why}`);
    return;
  }
  console.log(
    table(
      ['hub', 'submissions/s', 'hub ÷ PostGIS'],
      [
        ['PostGIS alone (pgbench transactions/s)', count(Math.round(a.tps)), '1.00'],
        ...results.map((r) => [r.label, count(Math.round(r.perSecond)), (r.perSecond / a.tps).toFixed(2)]),
      ],
    ),
  );
}

// --- 2. Push across instances ---------------------------------------------------------------------

/** The console's party and its medical site (far from the theatre's box), and the striking party. */
const WATCHED = 'icrc';
const STRIKER = 'blue';
const SITE: [number, number] = [23.5, 44.5];
const isoMinute = (t: number): string => new Date(roundMinute(t)).toISOString();

async function post(
  base: string,
  token: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}/api/v1/declarations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A console: the arrival time (performance.now()) of each conflict.detected frame, by conflict id. */
async function openConsole(base: string, token: string) {
  const arrived = new Map<string, number>();
  const waiting = new Map<string, () => void>();
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/api/v1/stream`, {
    headers: { authorization: `Bearer ${token}` },
    perMessageDeflate: false,
  });
  let last = 0;
  let gaps = 0;
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.once('message', (raw) => {
      const hello = JSON.parse(String(raw)) as { type: string; since: number };
      if (hello.type !== 'hello') return reject(new Error(`expected hello, got ${String(raw)}`));
      last = hello.since;
      resolve();
    });
  });
  ws.on('message', (raw) => {
    const t = performance.now();
    const f = JSON.parse(String(raw)) as { seq?: number; type: string; data?: { id?: string } };
    if (f.seq !== undefined) {
      if (f.seq !== last + 1) gaps++;
      last = f.seq;
    }
    if (f.type !== 'conflict.detected' || typeof f.data?.id !== 'string') return;
    arrived.set(f.data.id, t);
    waiting.get(f.data.id)?.();
  });
  return {
    get gaps() {
      return gaps;
    },
    /** When the frame of conflict `id` arrived; NaN past the timeout. */
    frame(id: string): Promise<number> {
      const t = arrived.get(id);
      if (t !== undefined) return Promise.resolve(t);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          resolve(Number.NaN);
        }, FRAME_TIMEOUT_MS);
        waiting.set(id, () => {
          clearTimeout(timer);
          waiting.delete(id);
          resolve(arrived.get(id) as number);
        });
      });
    },
    close: () => ws.terminate(),
  };
}

interface PushResult {
  readonly label: string;
  readonly latencies: Float64Array;
  readonly missed: number;
  readonly gaps: number;
}

/** Console on `servers[0]`, strikes through the last server. */
async function push(
  label: string,
  servers: readonly Server[],
  tokens: Map<string, string>,
): Promise<PushResult> {
  const a = servers[0] as Server;
  const c = servers[servers.length - 1] as Server;
  const watched = tokens.get(WATCHED) as string;
  const striker = tokens.get(STRIKER) as string;
  const site = await post(a.address, watched, {
    type: 'Feature',
    geometry: { type: 'Point', coordinates: SITE },
    properties: {
      kind: 'protected_site',
      category: 'medical',
      start: isoMinute(Date.now() - HOUR),
      buffer_m: 200,
      visibility: 'all',
    },
  });
  if (site.status !== 201) throw new Error(`the site: ${site.status} ${JSON.stringify(site.body)}`);
  const console_ = await openConsole(a.address, watched);
  const rng = mulberry32(0x1a5_0200);
  const slotBase = Math.ceil((Date.now() + 24 * HOUR) / HOUR) * HOUR;
  const latencies: number[] = [];
  let missed = 0;
  try {
    for (let i = 0; i < 20 + PUSHES; i++) {
      const r = 150 * Math.sqrt(rng());
      const angle = uniform(rng, 0, 2 * Math.PI);
      const start = slotBase + i * 2 * HOUR;
      const t0 = performance.now();
      const answer = await post(c.address, striker, {
        type: 'Feature',
        geometry: {
          type: 'Point',
          coordinates: offset(SITE, r * Math.cos(angle), r * Math.sin(angle), roundForJson),
        },
        properties: { kind: 'strike', start: isoMinute(start), end: isoMinute(start + HOUR), buffer_m: 100 },
      });
      const conflicts = (answer.body.conflicts ?? []) as { id: string }[];
      if (answer.status !== 201 || conflicts.length !== 1)
        throw new Error(
          `expected one conflict, got ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`,
        );
      const t1 = await console_.frame((conflicts[0] as { id: string }).id);
      // The first 20 warm up the instances and the socket; not counted.
      if (i < 20) continue;
      if (Number.isNaN(t1)) missed++;
      else latencies.push(t1 - t0);
      await sleep(uniform(rng, 10, 30));
    }
  } finally {
    console_.close();
  }
  return { label, latencies: Float64Array.from(latencies).sort(), missed, gaps: console_.gaps };
}

async function pushAcross(template: PgDatabase, tokens: Map<string, string>): Promise<void> {
  section(
    `2. Push: ${PUSHES} strikes one at a time, from request sent to the conflict.detected frame at` +
      " the site owner's console",
  );
  const results: PushResult[] = [];
  for (const [n, label] of [
    [1, 'console and submissions on one instance'],
    [3, 'console on instance A, submissions through instance C (3 instances)'],
  ] as const) {
    const db = await freshPgDatabase(pgBaseUrl(), template.name);
    try {
      const servers = await startAll(n, ['--database', db.url]);
      try {
        results.push(await push(label, servers, tokens));
      } finally {
        await Promise.all(servers.map((s) => s.stop()));
      }
    } finally {
      await db.drop();
    }
  }
  console.log(
    table(
      ['PostgreSQL', 'frames', 'p50', 'p99', 'max', 'missed', 'seq gaps'],
      results.map((r) => [
        r.label,
        count(r.latencies.length),
        msFmt(quantile(r.latencies, 0.5)),
        msFmt(quantile(r.latencies, 0.99)),
        msFmt(quantile(r.latencies, 1)),
        count(r.missed),
        count(r.gaps),
      ]),
    ),
  );
}

// --- Main -----------------------------------------------------------------------------------------

async function serverVersion(url: string): Promise<string> {
  return withClient(
    url,
    async (c) => (await c.query<{ v: string }>('SELECT version() AS v')).rows[0]?.v ?? '?',
  );
}

async function main(): Promise<void> {
  const start = now();
  const cpus = os.cpus();
  console.log('deconflict instances benchmark');
  console.log(`node ${process.version} (${process.platform}/${process.arch})`);
  console.log(
    `CPU: ${cpus[0]?.model ?? 'unknown'} × ${cpus.length} logical cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GB RAM`,
  );
  const why = await pgUnavailable();
  if (why !== null) {
    console.log(`not run: ${why}`);
    return;
  }
  console.log(
    `${await serverVersion(pgBaseUrl())}, on this machine (the instances, the clients and the server share its cores)`,
  );
  console.log(
    `instances: node bin/deconflict.js serve --database URL ${SERVE_FLAGS.join(' ')}; SQLite: the same with --data DIR`,
  );
  const template = await freshPgDatabase();
  const dir = mkdtempSync(join(os.tmpdir(), 'deconflict-instances-bench-'));
  try {
    section(`Preload: ${count(PRELOAD)} declarations of the hub benchmark's theatre (bench/theatre.ts)`);
    const pgPrep = await prepare(await openPostgresStore({ url: template.url }), 0x1a5_0001);
    const litePrep = await prepare(openSqliteStore({ dir }), 0x1a5_0001);
    console.log(
      `in-process through Hub.submit, FeatureCollections of 1,000: PostgreSQL ${secs(pgPrep.ms)}, SQLite` +
        ` ${secs(litePrep.ms)}; each PostgreSQL run starts from a copy (CREATE DATABASE ... TEMPLATE)`,
    );
    const results = await submissions(template, pgPrep.tokens, dir, litePrep.tokens);
    anchor(results);
    await pushAcross(template, pgPrep.tokens);
  } finally {
    await template.drop();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\ntotal ${secs(msSince(start))}`);
}

await main();
