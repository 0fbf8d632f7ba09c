/**
 * Hub benchmark: the whole hub (HTTP, authentication, validation, live detection, SQLite with
 * `synchronous = FULL`, the ledger), not the engine alone.
 *
 * 1. Sustained submissions per second over real HTTP against 100k active declarations: a hub in
 *    a temporary data directory (openSqliteStore + Hub.open + buildApp, system clock, a rate
 *    limit high enough not to interfere) listening on 127.0.0.1; 100k declarations preloaded
 *    through Hub.submit in FeatureCollections of 1,000; then N concurrent keep-alive clients
 *    (node:http or fetch, in a worker thread so that they do not share the server's event loop)
 *    each submit one new declaration per request for a fixed duration.
 *    Then, in the same run: the group commits it took (writes per commit), the disk's fsync time
 *    (4 KiB written and fsynced 200 times in the data directory), and the PostGIS anchor
 *    (bench/postgis.ts: the database part of the same work by PostgreSQL + PostGIS alone, with
 *    pgbench and the same 16 clients, when a server with PostGIS is reachable; nothing is
 *    installed or started here) printed as hub ÷ PostGIS.
 * 1b. The hot spot (bench/hotspot.ts): a hub of its own holding 5,000 declarations in one
 *    2 km × 2 km square, 16 clients submitting into it for 10 s; then every conflict recorded is
 *    compared with a brute-force check of every pair of the active declarations.
 * 2. Restart with 1M active declarations: a data directory holding 1M active declarations, then
 *    the time of openSqliteStore + Hub.open in this process, and the time until the real CLI
 *    (`node bin/deconflict.js serve`) answers /healthz.
 *
 * Run: `node --import tsx --max-old-space-size=8192 bench/hub.bench.ts`. Every random choice
 * comes from a seeded PRNG (mulberry32); times are relative to Date.now() at start, because the
 * hub expires declarations whose window has ended. Environment:
 * - HUB_BENCH_QUICK=1: a tenth of the sizes and shorter runs (to try changes out);
 * - HUB_BENCH_PART=1 or 2: run that part only;
 * - HUB_BENCH_CLIENT=fetch: load with the global fetch instead of node:http (both keep-alive);
 * - HUB_BENCH_PROFILE=DIR: also write a V8 CPU profile of each phase (the server's thread) to
 *   DIR, print its hottest functions, time the calls a submission makes, and re-time the phases
 *   of Hub.open one by one (about a minute more at 1M).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { DeclarationRecord } from '../src/domain/records.ts';
import { parseDeclarations } from '../src/engine/index.ts';
import { ConflictIndex } from '../src/engine/stindex.ts';
import { systemClock } from '../src/hub/clock.ts';
import { assignedId } from '../src/hub/declarations.ts';
import { Hub } from '../src/hub/hub.ts';
import { SNAPSHOT_FILE } from '../src/hub/snapshot.ts';
import { buildApp } from '../src/server/app.ts';
import type { Store, Tx } from '../src/store/ports.ts';
import { openSqliteStore } from '../src/store/sqlite.ts';
import { bruteForceCompare } from '../test/support/brute-force.ts';
import { HOTSPOT_PRELOAD, hotspotPreload } from './hotspot.ts';
import { loadInWorker } from './load.ts';
import { postgisAnchor } from './postgis.ts';
import {
  type CpuProfile,
  count,
  gc,
  MB,
  msFmt,
  msSince,
  mulberry32,
  now,
  printHottest,
  quantile,
  secs,
  section,
  sleep,
  table,
  verdict,
} from './support.ts';
import {
  BATCH,
  batch,
  benchAccounts,
  CLIENTS,
  clientSpecs,
  FORCES,
  LAT0,
  LON0,
  MIX,
  operator,
  PARTIES,
  preload,
  SPAN,
} from './theatre.ts';

// --- Profiling (opt-in) -----------------------------------------------------------------------------

const PROFILE_DIR = process.env.HUB_BENCH_PROFILE;
let session: Session | null = null;

async function profileStart(): Promise<void> {
  if (!PROFILE_DIR) return;
  if (session === null) {
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
  }
  await session.post('Profiler.start');
}

/** Stop the profile, write it and print the hottest functions by self and by total time. */
async function profileStop(name: string): Promise<void> {
  if (!PROFILE_DIR || session === null) return;
  const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
  mkdirSync(PROFILE_DIR, { recursive: true });
  const file = join(PROFILE_DIR, `hub-${name}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  printHottest(
    profile,
    (n, idle) =>
      `\nCPU profile of "${name}" (server thread; ${count(n)} samples, ${idle} % idle): ${file}` +
      ' (functions by name and file; tsx output has no useful line numbers)',
  );
}

/**
 * Per-request probes for the profiling run: wrap, on this hub's instances only, the calls a
 * submission makes (the private index is reached by name: diagnostics, not API), and time the
 * writer's COMMIT (WAL append + fsync, and the automatic checkpoints) through better-sqlite3's
 * prototype. Returns a function that removes the wrappers and gives the samples (ms).
 */
function probe(hub: Hub): () => Map<string, number[]> {
  const samples = new Map<string, number[]>();
  const record = (k: string, ms: number): void => {
    const list = samples.get(k) ?? [];
    list.push(ms);
    samples.set(k, list);
  };
  type Fn = (...args: unknown[]) => unknown;
  const undo: (() => void)[] = [];
  const wrap = (target: Record<string, unknown>, method: string, label: string): void => {
    const orig = target[method];
    if (typeof orig !== 'function') return;
    target[method] = function (this: unknown, ...args: unknown[]) {
      const t = performance.now();
      const r = (orig as Fn).apply(this, args);
      if (r instanceof Promise) return r.finally(() => record(label, performance.now() - t));
      record(label, performance.now() - t);
      return r;
    };
    undo.push(() => delete target[method]);
  };
  const index = (hub as unknown as { index?: Record<string, unknown> }).index;
  if (index) {
    wrap(index, 'check', 'index.check (detection against the live set)');
    wrap(index, 'add', 'index.add (incl. the rebuilds)');
    wrap(index, 'rebuild', 'index rebuild (delta full: max(2048, n/64) boxes)');
  }
  const h = hub as unknown as Record<string, unknown>;
  wrap(h, 'authenticate', 'hub.authenticate (2 reads)');
  wrap(h, 'submit', 'hub.submit (parse, wait for the lock, transaction)');
  const proto = Database.prototype as unknown as { exec(this: Database.Database, sql: string): unknown };
  const exec = proto.exec;
  proto.exec = function (this: Database.Database, sql: string) {
    const t = performance.now();
    const r = exec.call(this, sql);
    if (!this.readonly && sql === 'COMMIT')
      record('COMMIT of a write (WAL + fsync, checkpoints)', performance.now() - t);
    return r;
  };
  undo.push(() => {
    proto.exec = exec;
  });
  return () => {
    for (const u of undo) u();
    return samples;
  };
}

function probeTable(samples: Map<string, number[]>, requests: number, windowMs: number): string {
  return table(
    ['per request (server thread)', 'calls', 'mean', 'p50', 'p99', 'max', 'share of wall time'],
    [...samples.entries()].map(([k, xs]) => {
      const sorted = Float64Array.from(xs).sort();
      const sum = xs.reduce((a, b) => a + b, 0);
      return [
        k,
        `${count(xs.length)} (${(xs.length / Math.max(1, requests)).toFixed(2)}/req)`,
        msFmt(sum / xs.length),
        msFmt(quantile(sorted, 0.5)),
        msFmt(quantile(sorted, 0.99)),
        msFmt(quantile(sorted, 1)),
        `${((100 * sum) / windowMs).toFixed(1)} %`,
      ];
    }),
  );
}

const loadavg = (): string =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ');

// --- 1. Sustained submissions over HTTP ---------------------------------------------------------------

const QUICK = process.env.HUB_BENCH_QUICK === '1';
/** HUB_BENCH_PART=1 or 2: run that part only. */
const PART = process.env.HUB_BENCH_PART;
/** HUB_BENCH_CLIENT=fetch: the load generator uses fetch instead of node:http. */
const CLIENT = process.env.HUB_BENCH_CLIENT === 'fetch' ? 'fetch' : 'http';
const PRELOAD = QUICK ? 10_000 : 100_000;
const WARMUP_MS = QUICK ? 1000 : 2000;
const DURATION_MS = QUICK ? 5000 : 15_000;
const BIG = QUICK ? 100_000 : 1_000_000;
/** Above this estimate, the 1M directory is written through the store's ports instead of Hub.submit. */
const SUBMIT_BUDGET_MS = 180_000;
/** How long to wait for the CLI's first /healthz. */
const CLI_TIMEOUT_MS = 180_000;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

async function partOne(): Promise<{ preloadMsPer1000: number }> {
  section(
    `1. Sustained submissions over HTTP with ${count(PRELOAD)} active declarations ` +
      `(${CLIENTS} keep-alive clients, ${DURATION_MS / 1000} s)`,
  );
  return withBenchHub('deconflict-hub-bench-', async ({ dir, store, hub, tokens }) => {
    const t0 = Date.now();
    console.log(
      `theatre: 5°×5° box ${LON0}°E–${LON0 + SPAN}°E × ${LAT0}°N–${LAT0 + SPAN}°N; windows from 30 days ago to` +
        ` 8 weeks ahead of ${new Date(t0).toISOString()} (no window ends during the run)`,
    );
    console.log('preload mix (parties: forces blue/red/green declare everything, agencies sites only):');
    for (const [name, w] of MIX) console.log(`  ${(w * 100).toFixed(0).padStart(3)} %  ${name}`);

    await profileStart();
    const pre = await preload(hub, PRELOAD, 0x40b0001, t0);
    await profileStop('preload');
    const sorted = Float64Array.from(pre.batchMs).sort();
    const perSec = (PRELOAD / pre.ms) * 1000;
    console.log(
      `\npreload: ${count(PRELOAD)} declarations through Hub.submit in ${count(pre.batchMs.length)} FeatureCollections` +
        ` of ${count(BATCH)}: ${secs(pre.ms)} (${count(Math.round(perSec))} declarations/s);` +
        ` ${count(pre.conflicts)} conflicts recorded`,
    );
    const tenth = Math.max(1, Math.floor(pre.batchMs.length / 10));
    const mean = (xs: Float64Array): number => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
    console.log(
      `  per batch of ${count(BATCH)}: median ${msFmt(quantile(sorted, 0.5))}, max ${msFmt(quantile(sorted, 1))};` +
        ` first tenth mean ${msFmt(mean(pre.batchMs.subarray(0, tenth)))},` +
        ` last tenth mean ${msFmt(mean(pre.batchMs.subarray(pre.batchMs.length - tenth)))}`,
    );
    if (hub.declarations.activeCount !== PRELOAD)
      throw new Error(`expected ${PRELOAD} active, have ${hub.declarations.activeCount}`);

    const app = await buildApp({ hub, rate: { perSecond: 1_000_000, burst: 1_000_000 } });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const clients = clientSpecs(tokens);
    const byParty = new Map<string, number>();
    for (const c of clients) byParty.set(c.party, (byParty.get(c.party) ?? 0) + 1);
    console.log(
      `\nserver: buildApp on ${address} (rate limit 1,000,000/s per token); clients in a worker thread,` +
        ` ${CLIENT === 'http' ? 'node:http keep-alive agent' : 'global fetch (undici, keep-alive)'},` +
        ' one API token per party: ' +
        [...byParty.entries()].map(([p, n]) => `${n}× ${p}`).join(', '),
    );
    console.log(
      '  each request: POST /api/v1/declarations, one Feature — forces: 80 % strike Point (buffer 100–1,000 m,' +
        ' 0.5–6 h within 4 weeks), 20 % site Point; agencies: site Point (buffer 0–300 m)',
    );
    console.log(
      `  ${WARMUP_MS / 1000} s warm-up (not counted), then ${DURATION_MS / 1000} s measured; latency = request` +
        ' sent → response body parsed, seen by the client',
    );

    console.log(`  load average before (1 / 5 / 15 min): ${loadavg()}`);
    const elu0 = performance.eventLoopUtilization();
    const cpu0 = process.cpuUsage();
    const stopProbes = PROFILE_DIR ? probe(hub) : null;
    const stopCounting = countCommits(store);
    const w0 = performance.now();
    await profileStart();
    const load = await loadInWorker({
      urls: [`${address}/api/v1/declarations`],
      clients,
      warmupMs: WARMUP_MS,
      durationMs: DURATION_MS,
      seed: 0x40b0100,
      client: CLIENT,
    });
    const probes = stopProbes?.();
    const commits = stopCounting();
    const loadWallMs = performance.now() - w0;
    await profileStop('http');
    const elu = performance.eventLoopUtilization(elu0);
    const cpu = process.cpuUsage(cpu0);
    const lat = Float64Array.from(load.latencies).sort();
    const rps = (load.latencies.length / load.windowMs) * 1000;
    const okRps = (load.ok / load.windowMs) * 1000;
    const p50 = quantile(lat, 0.5);
    const p95 = quantile(lat, 0.95);
    const p99 = quantile(lat, 0.99);
    console.log('');
    console.log(
      table(
        ['measure', 'value', 'target', ''],
        [
          ['requests completed in the window', count(load.latencies.length), '', ''],
          [
            'submissions/s sustained (201 Created)',
            count(Math.round(okRps)),
            '≥ 2,000/s',
            verdict(okRps >= 2000),
          ],
          ['requests/s (any status)', count(Math.round(rps)), '', ''],
          ['latency p50', msFmt(p50), '', ''],
          ['latency p95', msFmt(p95), '', ''],
          ['latency p99', msFmt(p99), '≤ 50 ms', verdict(p99 <= 50)],
          ['latency max', msFmt(quantile(lat, 1)), '', ''],
          [
            'responses listing conflicts',
            `${count(load.withConflicts)} (${((100 * load.withConflicts) / Math.max(1, load.ok)).toFixed(1)} %)`,
            '',
            '',
          ],
          ['conflicts listed in all', count(load.conflicts), '', ''],
          ['errors (non-201 or network)', count(load.errors), '', ''],
        ],
      ),
    );
    console.log(
      `statuses: ${Object.entries(load.statuses)
        .map(([s, n]) => `${s}: ${count(n)}`)
        .join(', ')}; warm-up requests: ${count(load.warmupRequests)}`,
    );
    if (load.firstError !== null) console.log(`first error: ${load.firstError}`);
    console.log(
      `server thread: event loop ${(100 * elu.utilization).toFixed(0)} % busy during the run; process CPU` +
        ` (server + client worker) ${((cpu.user + cpu.system) / 1000 / (WARMUP_MS + DURATION_MS)).toFixed(2)} cores` +
        ` of ${os.cpus().length}; client worker event loop ${(100 * load.clientElu).toFixed(0)} % busy;` +
        ` active declarations after: ${count(hub.declarations.activeCount)};` +
        ` load average after: ${loadavg()}`,
    );
    if (probes) {
      console.log(
        `\nwhere the server thread's time goes (HUB_BENCH_PROFILE probes, over the whole run incl. warm-up:` +
          ` ${count(load.latencies.length + load.warmupRequests)} requests in ${secs(loadWallMs)}):`,
      );
      console.log(probeTable(probes, load.latencies.length + load.warmupRequests, loadWallMs));
    }
    await app.close();
    const fsyncs = fsyncTimes(dir);
    console.log(
      `group commit: ${count(commits.groups)} commits for ${count(commits.units)} writes during the run` +
        ` (${(commits.units / Math.max(1, commits.groups)).toFixed(1)} per commit, at most ${count(commits.largest)});` +
        ` an fsync of 4 KiB on this disk, measured right after: median ${msFmt(quantile(fsyncs, 0.5))},` +
        ` p99 ${msFmt(quantile(fsyncs, 0.99))} (${count(fsyncs.length)} tries)`,
    );
    anchorComparison(okRps);
    return { preloadMsPer1000: pre.ms / (PRELOAD / BATCH) };
  });
}

/** A hub of its own in a temporary data directory, with the benchmark's accounts; removed after. */
async function withBenchHub<T>(
  prefix: string,
  run: (h: { dir: string; store: Store; hub: Hub; tokens: Map<string, string> }) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(os.tmpdir(), prefix));
  const store = openSqliteStore({ dir });
  try {
    const hub = await Hub.open(store, systemClock);
    return await run({ dir, store, hub, tokens: await benchAccounts(hub) });
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * 1b. The hot spot (bench/hotspot.ts): a hub of its own holding 5,000 declarations in one
 * 2 km × 2 km square, 16 clients submitting into it; then every recorded conflict compared with a
 * brute-force check of every pair.
 */
async function hotSpot(): Promise<void> {
  const seconds = QUICK ? 5 : 10;
  section(
    `1b. Hot spot: ${CLIENTS} clients submitting into one 2 km × 2 km square holding ${count(HOTSPOT_PRELOAD)}` +
      ` declarations (${seconds} s)`,
  );
  await withBenchHub('deconflict-hub-hotspot-', async ({ store, hub, tokens }) => {
    const t0 = Date.now();
    const rng = mulberry32(0x40b0200);
    const parts = hotspotPreload(rng, t0);
    const p0 = now();
    for (const [i, features] of parts.entries()) {
      const party = FORCES[i % FORCES.length] as string;
      await hub.declarations.submit(operator(party), { type: 'FeatureCollection', features });
    }
    console.log(
      `preload: ${count(HOTSPOT_PRELOAD)} declarations (10 protected sites, the rest movements of 15–90 min within` +
        ` 12 weeks) in ${secs(msSince(p0))}; each request: a strike Point (50–300 m, 15–60 min) or, one in five,` +
        ' a movement, anywhere in the square',
    );
    const app = await buildApp({ hub, rate: { perSecond: 1_000_000, burst: 1_000_000 } });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const stopCounting = countCommits(store);
    const load = await loadInWorker({
      urls: [`${address}/api/v1/declarations`],
      clients: clientSpecs(tokens),
      warmupMs: WARMUP_MS,
      durationMs: seconds * 1000,
      seed: 0x40b0300,
      client: CLIENT,
      scenario: 'hotspot',
      t0,
    });
    const commits = stopCounting();
    await app.close();
    const lat = Float64Array.from(load.latencies).sort();
    const okRps = (load.ok / load.windowMs) * 1000;
    const p95 = quantile(lat, 0.95);
    const check = await bruteForceCompare(store, PARTIES);
    const exact = check.missed.length === 0 && check.extra.length === 0 && check.repeated.length === 0;
    console.log(
      table(
        ['measure', 'value', 'target', ''],
        [
          [
            'submissions/s sustained (201 Created)',
            count(Math.round(okRps)),
            '≥ 500/s',
            verdict(okRps >= 500),
          ],
          ['latency p50', msFmt(quantile(lat, 0.5)), '', ''],
          ['latency p95', msFmt(p95), '≤ 50 ms', verdict(p95 <= 50)],
          ['latency p99', msFmt(quantile(lat, 0.99)), '', ''],
          ['conflicts listed in answers', count(load.conflicts), '', ''],
          ['errors (non-201 or network)', count(load.errors), '', ''],
          [
            'open conflicts recorded / found by brute force',
            `${count(check.recorded)} / ${count(check.expected)}`,
            'equal',
            verdict(exact),
          ],
        ],
      ),
    );
    if (load.firstError !== null) console.log(`first error: ${load.firstError}`);
    console.log(
      `brute force: ${count(check.pairs)} pairs of ${count(check.declarations)} active declarations, each` +
        ` evaluated by the engine's pair rule (no index), in ${secs(check.ms)}` +
        (exact
          ? ''
          : `; MISSED ${check.missed.join(', ') || '-'}; EXTRA ${check.extra.join(', ') || '-'}; TWICE ${check.repeated.join(', ') || '-'}`),
    );
    console.log(
      `group commit: ${count(commits.groups)} commits for ${count(commits.units)} writes` +
        ` (${(commits.units / Math.max(1, commits.groups)).toFixed(1)} per commit)`,
    );
  });
}

/** Count the store's group commits and the writes they held until the returned function is called. */
function countCommits(store: Store): () => { groups: number; units: number; largest: number } {
  const group = store.transactGroup;
  let groups = 0;
  let units = 0;
  let largest = 0;
  store.transactGroup = <T>(works: readonly ((tx: Tx) => Promise<T>)[]) => {
    groups++;
    units += works.length;
    largest = Math.max(largest, works.length);
    return group.call(store, works) as Promise<PromiseSettledResult<T>[]>;
  };
  return () => {
    store.transactGroup = group;
    return { groups, units, largest };
  };
}

/** Times (ms, sorted) of writing 4 KiB and fsync-ing it, in the data directory's file system. */
function fsyncTimes(dir: string, n = 200): Float64Array {
  const file = join(dir, 'fsync-probe');
  const fd = openSync(file, 'w');
  const page = Buffer.alloc(4096, 7);
  const out = new Float64Array(n);
  try {
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      writeSync(fd, page, 0, page.length, (i % 64) * 4096);
      fsyncSync(fd);
      out[i] = performance.now() - t;
    }
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  return out.sort();
}

/** The PostGIS anchor in the same run, and hub ÷ PostGIS (bench/postgis.ts). */
function anchorComparison(hubPerSecond: number): void {
  const seconds = DURATION_MS / 1000;
  console.log(
    `\nanchor: PostGIS alone doing the database part of a submission (pgbench, ${CLIENTS} clients, ${seconds} s)`,
  );
  const anchor = postgisAnchor(CLIENTS, seconds);
  if (!anchor.ran) {
    console.log(`  not run: ${anchor.why}`);
    return;
  }
  const ratio = hubPerSecond / anchor.tps;
  console.log(
    table(
      ['measure', 'value', 'target', ''],
      [
        ['PostGIS transactions/s', count(Math.round(anchor.tps)), '', ''],
        ['PostGIS latency mean', msFmt(anchor.meanMs), '', ''],
        ['hub submissions/s (above)', count(Math.round(hubPerSecond)), '', ''],
        ['hub ÷ PostGIS', ratio.toFixed(2), '≥ 1.0', verdict(ratio >= 1)],
      ],
    ),
  );
}

// --- 2. Restart with 1M active declarations -----------------------------------------------------------

/**
 * Write `n` active declarations through the store's ports, the rows a submission writes for a
 * declaration (its version 1 and its `declaration.created` ledger entry), parsed by
 * parseDeclarations exactly as Hub.submit parses them. No detection: no conflict rows.
 */
async function writeThroughPorts(store: Store, n: number, seed: number, t0: number): Promise<void> {
  const rng = mulberry32(seed);
  const PER_TX = 100_000;
  for (let done = 0; done < n; ) {
    const end = Math.min(n, done + PER_TX);
    await store.transact(async (tx) => {
      for (let i = done; i < end; i += BATCH) {
        const { party, features } = batch(rng, t0, Math.min(BATCH, end - i));
        const decls = parseDeclarations(
          { type: 'FeatureCollection', features },
          { party, partyIds: true, assignId: () => assignedId(party), limits: { maxFeatures: BATCH } },
        );
        const at = Date.now();
        const by = `${party}.operator`;
        for (const d of decls) {
          const r: DeclarationRecord = {
            id: d.id,
            version: 1,
            party,
            kind: d.kind,
            decl: d,
            status: 'active',
            created_at: at,
            created_by: by,
          };
          await tx.declarations.insert(r);
          await tx.ledger.append({
            at,
            actor: by,
            party,
            type: 'declaration.created',
            subject: d.id,
            payload: { version: 1, declaration: d },
          });
        }
      }
    });
    done = end;
  }
}

function dbSize(dir: string): number {
  let total = 0;
  for (const f of ['deconflict.db', 'deconflict.db-wal']) {
    try {
      total += statSync(join(dir, f)).size;
    } catch {
      // Not there (the WAL is checkpointed and removed on close).
    }
  }
  return total;
}

/** Spawn `node bin/deconflict.js serve` and poll /healthz until it answers. */
/** Peak resident memory of a process (Linux), or null. */
function peakRss(pid: number | undefined): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

async function timeCli(
  dir: string,
): Promise<{ ms: number; active: number; stdout: string; rss: number | null; error?: string }> {
  const port = await freePort();
  const repo = fileURLToPath(new URL('..', import.meta.url));
  const t0 = now();
  const child: ChildProcess = spawn(
    process.execPath,
    ['bin/deconflict.js', 'serve', '--data', dir, '--port', String(port)],
    { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (b: Buffer) => {
    stdout += b.toString();
  });
  child.stderr?.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  let exited: number | null = null;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = code ?? (signal ? -1 : 0);
      resolve();
    }),
  );
  try {
    for (;;) {
      if (exited !== null) {
        return {
          ms: msSince(t0),
          active: 0,
          stdout,
          rss: null,
          error: `exited (${exited}): ${stderr.slice(-800)}`,
        };
      }
      if (msSince(t0) > CLI_TIMEOUT_MS) {
        return {
          ms: msSince(t0),
          active: 0,
          stdout,
          rss: null,
          error: `no answer in ${secs(CLI_TIMEOUT_MS)}`,
        };
      }
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (res.status === 200) {
          const ms = msSince(t0);
          // /healthz says nothing of the declarations; the hub's first line does.
          const active = Number(/(\d+) active declarations/.exec(stdout)?.[1] ?? 0);
          return { ms, active, stdout, rss: peakRss(child.pid) };
        }
      } catch {
        // Not listening yet.
      }
      await sleep(20);
    }
  } finally {
    if (exited === null) child.kill('SIGTERM');
    // It stops once Hub.open returns, and writes the index's snapshot as it stops (seconds at 1M).
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    await exit;
    clearTimeout(killer);
  }
}

interface InProcess {
  readonly restartMs: number;
  readonly active: number;
  readonly heap: number;
  /** Where the index came from (a snapshot or the store), and why. */
  readonly source: string;
  /** Hub.close, which writes the snapshot, and the snapshot's size. */
  readonly closeMs: number;
  readonly snapshotBytes: number;
}

/**
 * The restart, in this process: open the store, load the active set (from the index's snapshot
 * when there is one that matches the store, else from the store), then close the hub, which
 * writes the snapshot for the next start, as `deconflict serve` does.
 */
async function restartInProcess(dir: string, name: string): Promise<InProcess> {
  gc();
  await profileStart();
  const r0 = now();
  const store = openSqliteStore({ dir });
  const hub = await Hub.open(store, systemClock, { snapshot: { path: join(dir, SNAPSHOT_FILE) } });
  const restartMs = msSince(r0);
  await profileStop(name);
  const heap = process.memoryUsage().heapUsed;
  const c0 = now();
  await hub.close();
  const closeMs = msSince(c0);
  await store.close();
  const { from, why } = hub.indexSource;
  return {
    restartMs,
    active: hub.declarations.activeCount,
    heap,
    source: `${from === 'snapshot' ? 'from the snapshot' : 'rebuilt from the store'} (${why})`,
    closeMs,
    snapshotBytes: fileSize(join(dir, SNAPSHOT_FILE)),
  };
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function printInProcess(what: string, r: InProcess): void {
  console.log(
    `\nrestart in this process, ${what} (openSqliteStore + Hub.open, warm page cache): ${secs(r.restartMs)} —` +
      ` ${count(r.active)} active, heap used ${MB(r.heap)} MB after; index ${r.source};` +
      ` Hub.close then wrote the snapshot in ${secs(r.closeMs)} (${MB(r.snapshotBytes)} MB)`,
  );
}

function printCli(what: string, cli: Awaited<ReturnType<typeof timeCli>>): void {
  const ready = /ready in (\d+) ms/.exec(cli.stdout)?.[1];
  const index = /live index [^\n]*/.exec(cli.stdout)?.[0] ?? 'live index: not logged';
  console.log(
    `\nrestart of the real CLI, ${what} (node bin/deconflict.js serve --data DIR --port P, default heap): ` +
      (cli.error
        ? `FAILED after ${secs(cli.ms)}: ${cli.error}`
        : `first answered /healthz after ${secs(cli.ms)} (${count(cli.active)} active declarations;` +
          ` the hub logged "ready in ${ready ?? '?'} ms" for Hub.open … listen, and "${index}";` +
          ` peak RSS ${cli.rss === null ? '?' : `${MB(cli.rss)} MB`})`),
  );
}

/** The phases of Hub.open, re-timed one by one through the same ports (diagnostics). */
async function openPhases(dir: string): Promise<void> {
  gc();
  const store = openSqliteStore({ dir });
  try {
    const p0 = now();
    const decls = await store.read((tx) => tx.declarations.active());
    const activeMs = msSince(p0);
    const p1 = now();
    const index = ConflictIndex.build(decls);
    const buildMs = msSince(p1);
    const p2 = now();
    const current = await store.read((tx) => tx.declarations.activeVersions());
    const queryMs = msSince(p2);
    const p3 = now();
    const ended = [...index.declarations()].filter((d) => d.end !== null && d.end <= Date.now()).length;
    const expireMs = msSince(p3);
    const sum = activeMs + buildMs + queryMs + expireMs;
    const share = (ms: number): string => `${((100 * ms) / sum).toFixed(0)} %`;
    console.log('\nthe phases of Hub.open, re-timed one by one in this process (HUB_BENCH_PROFILE):');
    console.log(
      table(
        ['phase', 'time', 'share'],
        [
          [
            "tx.declarations.active(): SELECT body … WHERE status = 'active' + JSON.parse",
            secs(activeMs),
            share(activeMs),
          ],
          [`ConflictIndex.build of ${count(decls.length)}`, secs(buildMs), share(buildMs)],
          [
            `tx.declarations.activeVersions(): SELECT id, version → ${count(current.length)}` +
              ' (the versions, and what a snapshot is checked against)',
            secs(queryMs),
            share(queryMs),
          ],
          [`expire(): scan the index for ended windows (${ended} ended)`, secs(expireMs), share(expireMs)],
          ['sum', secs(sum), ''],
        ],
      ),
    );
  } finally {
    await store.close();
  }
}

/**
 * HUB_BENCH_DATA=DIR: write the data directory of part 2 there and keep it; a later run that finds
 * one there (of the same size) reuses it instead of writing it again (minutes at 1M). Its
 * declarations were dated at the run that wrote them: after a week they have ended and expire.
 */
const KEEP_DIR = process.env.HUB_BENCH_DATA;

/** The data directory of part 2: kept (HUB_BENCH_DATA) or temporary; whether it must be written. */
function partTwoDir(): { dir: string; reuse: boolean } {
  if (!KEEP_DIR) return { dir: mkdtempSync(join(os.tmpdir(), 'deconflict-hub-bench-')), reuse: false };
  mkdirSync(KEEP_DIR, { recursive: true });
  let rows = 0;
  try {
    const db = new Database(join(KEEP_DIR, 'deconflict.db'), { readonly: true, fileMustExist: true });
    rows = Number(
      (db.prepare("SELECT count(*) AS n FROM declarations WHERE status = 'active'").get() as { n: number }).n,
    );
    db.close();
  } catch {
    // Not there yet: written below.
  }
  if (rows > 0 && rows !== BIG)
    throw new Error(`HUB_BENCH_DATA=${KEEP_DIR} holds ${count(rows)} active declarations, not ${count(BIG)}`);
  return { dir: KEEP_DIR, reuse: rows === BIG };
}

async function partTwo(preloadMsPer1000: number): Promise<void> {
  section(`2. Restart with ${count(BIG)} active declarations`);
  const { dir, reuse } = partTwoDir();
  try {
    const t0 = Date.now();
    const estimate = preloadMsPer1000 * (BIG / BATCH);
    const store = openSqliteStore({ dir });
    const w0 = now();
    let how: string;
    if (reuse) {
      how = `earlier, kept in HUB_BENCH_DATA=${dir} and reused`;
    } else if (estimate <= SUBMIT_BUDGET_MS) {
      const hub = await Hub.open(store, systemClock);
      const pre = await preload(hub, BIG, 0x40b0002, t0);
      how = `through Hub.submit in FeatureCollections of ${count(BATCH)} (${count(pre.conflicts)} conflicts recorded)`;
    } else {
      await writeThroughPorts(store, BIG, 0x40b0002, t0);
      how =
        `through the store's ports (store.transact → tx.declarations.insert + tx.ledger.append` +
        ` "declaration.created", transactions of 100,000; parsed by parseDeclarations as Hub.submit does;` +
        ' no detection, so no conflict rows), because ' +
        (Number.isFinite(estimate)
          ? `Hub.submit at part 1's pace (${msFmt(preloadMsPer1000)} per ${count(BATCH)}, and slower as the` +
            ` set grows) would take ≥ ${secs(estimate)}`
          : 'part 1 did not run to measure the pace of Hub.submit');
    }
    const writeMs = msSince(w0);
    await store.close();
    console.log(
      `data directory: ${count(BIG)} active declarations (same mix and theatre as part 1) written ${how}`,
    );
    console.log(
      `  written in ${secs(writeMs)}; deconflict.db ${MB(dbSize(dir))} MB after close` +
        ` (${Math.round(dbSize(dir) / BIG)} B per declaration, declaration rows + ledger)`,
    );

    // From the store (as after a crash), then from the snapshot the clean close wrote; the CLI
    // likewise, with the snapshot and (removed) without, one after the other.
    rmSync(join(dir, SNAPSHOT_FILE), { force: true });
    const rebuilt = await restartInProcess(dir, 'restart-rebuild');
    printInProcess('no snapshot', rebuilt);
    const snapped = await restartInProcess(dir, 'restart-snapshot');
    printInProcess('with the snapshot', snapped);
    const cli = await timeCli(dir);
    printCli('with the snapshot', cli);
    rmSync(join(dir, SNAPSHOT_FILE), { force: true });
    const cliRebuilt = await timeCli(dir);
    printCli('no snapshot (as after a crash)', cliRebuilt);
    if (PROFILE_DIR) await openPhases(dir);
    const restartMs = snapped.restartMs;
    console.log('');
    console.log(
      table(
        ['measure', 'value', 'target', ''],
        [
          ['restart: openSqliteStore + Hub.open', secs(restartMs), '≤ 10 s', verdict(restartMs <= 10_000)],
          [
            'restart: spawn CLI → first /healthz 200',
            cli.error ? 'failed' : secs(cli.ms),
            '≤ 10 s',
            verdict(!cli.error && cli.ms <= 10_000),
          ],
          [
            'restart: CLI peak resident memory',
            cli.rss === null ? '?' : `${MB(cli.rss)} MB`,
            '≤ 1,536 MB',
            verdict(cli.rss !== null && cli.rss <= 1536 * 2 ** 20),
          ],
          [
            'restart without a snapshot (after a crash): spawn CLI → /healthz',
            cliRebuilt.error ? 'failed' : secs(cliRebuilt.ms),
            '',
            '',
          ],
          ['restart without a snapshot: openSqliteStore + Hub.open', secs(rebuilt.restartMs), '', ''],
          ['database size (deconflict.db)', `${MB(dbSize(dir))} MB`, '', ''],
        ],
      ),
    );
  } finally {
    if (!KEEP_DIR) rmSync(dir, { recursive: true, force: true });
  }
}

// --- Main -------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const start = now();
  const cpus = os.cpus();
  console.log('deconflict hub benchmark');
  console.log(`node ${process.version} (${process.platform}/${process.arch}), V8 ${process.versions.v8}`);
  console.log(
    `CPU: ${cpus[0]?.model ?? 'unknown'} × ${cpus.length} logical cores, ${MB(os.totalmem())} MB RAM;` +
      ` temp dir ${os.tmpdir()}`,
  );
  console.log(
    `load average (1 / 5 / 15 min): ${loadavg()} — the figures below are wall-clock on this machine`,
  );
  if (QUICK) console.log('HUB_BENCH_QUICK=1: a tenth of the sizes, shorter runs');
  const { preloadMsPer1000 } =
    PART === '2' ? { preloadMsPer1000: Number.POSITIVE_INFINITY } : await partOne();
  gc();
  if (PART !== '2') await hotSpot();
  gc();
  if (PART !== '1') await partTwo(preloadMsPer1000);
  console.log(`\ntotal ${secs(msSince(start))}`);
}

await main();
