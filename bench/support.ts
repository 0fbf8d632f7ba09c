/**
 * What the benchmarks share: a seeded PRNG, timers and formats, plain-text tables, the synthetic
 * geometry and site categories of their theatres, and the summary of a V8 CPU profile.
 */
import type { AltitudeBand, Position, SiteCategory } from '../src/engine/types.ts';

export type Rng = () => number;

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1) (the tests' own, one definition). */
export { seeded as mulberry32 } from '../test/support/random.ts';

export const uniform = (rng: Rng, lo: number, hi: number): number => lo + (hi - lo) * rng();

export const intIn = (rng: Rng, lo: number, hi: number): number => lo + Math.floor((hi - lo + 1) * rng());

export function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[Math.floor(rng() * xs.length)] as T;
}

export const now = (): bigint => process.hrtime.bigint();

/** Milliseconds since `t0` (a {@link now}). */
export const msSince = (t0: bigint): number => Number(now() - t0) / 1e6;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** Milliseconds, two decimals below 10 ms (either sign), one above; `-` for no figure. */
export const msFmt = (x: number): string =>
  Number.isFinite(x) ? `${x.toFixed(Math.abs(x) < 10 ? 2 : 1)} ms` : '-';

export const MB = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

export const count = (n: number): string => n.toLocaleString('en-US');

export const verdict = (ok: boolean): string => (ok ? 'PASS' : 'MISS');

export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] as number;
}

/** A plain-text table: first column left-aligned, the others right-aligned. */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(head), rule, ...rows.map(line)].join('\n');
}

export function section(title: string): void {
  console.log(`\n${title}\n${'='.repeat(title.length)}`);
}

export function gc(): void {
  if (global.gc) {
    global.gc();
    global.gc();
  }
}

// --- Synthetic theatres -------------------------------------------------------------------------

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const WEEK = 7 * DAY;

export const roundMinute = (t: number): number => Math.round(t / MINUTE) * MINUTE;

/** Rounded to 6 decimals (about 0.1 m in degrees). */
export const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

const M_PER_DEG = 111_320;

/**
 * How a generator finishes each position it computes. The engine benchmark builds declarations
 * in memory: it keeps every digit and clamps latitudes off the poles. The hub and push
 * benchmarks send JSON: they round to 6 decimals (short bodies that read back as the same
 * numbers); their theatres lie far from the poles.
 */
export type Finish = (lon: number, lat: number) => [number, number];
export const clampLatitude: Finish = (lon, lat) => [lon, Math.max(-89.9, Math.min(89.9, lat))];
export const roundForJson: Finish = (lon, lat) => [round6(lon), round6(lat)];

/** Offset a position by (east, north) metres (local tangent plane; fine at these scales). */
export function offset(p: Position, east: number, north: number, finish: Finish): [number, number] {
  const lat = p[1] + north / M_PER_DEG;
  const lon = p[0] + east / (M_PER_DEG * Math.cos((p[1] * Math.PI) / 180));
  return finish(lon, lat);
}

/** A theatre: the box [lon0, lon0 + span] × [lat0, lat0 + span], and how its positions end. */
export interface Theatre {
  readonly lon0: number;
  readonly lat0: number;
  readonly span: number;
  readonly finish: Finish;
}

/** Random shapes in a theatre: every position goes through the theatre's `finish`. */
export function shapesIn(theatre: Theatre) {
  const { lon0, lat0, span, finish } = theatre;
  const move = (p: Position, east: number, north: number) => offset(p, east, north, finish);
  return {
    offset: move,

    randomPoint(rng: Rng): [number, number] {
      return finish(lon0 + span * rng(), lat0 + span * rng());
    },

    /** A simple (star-shaped, counter-clockwise) polygon ring of n vertices around c. */
    starRing(rng: Rng, c: Position, radius: number, n: number): Position[] {
      const ring: Position[] = [];
      for (let i = 0; i < n; i++) {
        const a = ((i + 0.8 * rng()) / n) * 2 * Math.PI;
        const r = radius * uniform(rng, 0.6, 1);
        ring.push(move(c, r * Math.cos(a), r * Math.sin(a)));
      }
      ring.push(ring[0] as Position);
      return ring;
    },

    /** A route of n vertices: legs of legMin..legMax metres, turning at most ±50° at each vertex. */
    route(rng: Rng, start: Position, n: number, legMin: number, legMax: number): Position[] {
      const pts: Position[] = [start];
      let heading = uniform(rng, 0, 2 * Math.PI);
      let p = start;
      for (let i = 1; i < n; i++) {
        const len = uniform(rng, legMin, legMax);
        p = move(p, len * Math.sin(heading), len * Math.cos(heading));
        pts.push(p);
        heading += uniform(rng, -0.87, 0.87);
      }
      return pts;
    },
  };
}

/** One ETA per vertex (whole seconds), proportional to the planar leg lengths, inside [start, end]. */
export function scheduleFor(coords: readonly Position[], start: number, end: number): number[] {
  const cum = [0];
  let total = 0;
  for (let i = 1; i < coords.length; i++) {
    const a = coords[i - 1] as Position;
    const b = coords[i] as Position;
    total += Math.hypot((b[0] - a[0]) * Math.cos((a[1] * Math.PI) / 180), b[1] - a[1]);
    cum.push(total);
  }
  // Whole seconds, strictly increasing (legs are long enough for that at these durations).
  return cum.map((c) => Math.floor((start + (c / total) * (end - start)) / 1000) * 1000);
}

/** An altitude band: lower 0–6,000 m, 300–3,000 m thick (50 m steps), 80 % AMSL. */
export function altitudeBand(rng: Rng): AltitudeBand {
  const lower = Math.round(uniform(rng, 0, 6000) / 50) * 50;
  const upper = lower + Math.round(uniform(rng, 300, 3000) / 50) * 50;
  return { lower_m: lower, upper_m: upper, reference: rng() < 0.8 ? 'AMSL' : 'AGL' };
}

export const CATEGORY_WEIGHTS: readonly (readonly [SiteCategory, number])[] = [
  ['medical', 0.12],
  ['humanitarian', 0.08],
  ['school', 0.25],
  ['religious', 0.15],
  ['cultural', 0.06],
  ['civilian_infrastructure', 0.2],
  ['diplomatic', 0.01],
  ['detention', 0.01],
  ['own_forces', 0.04],
  ['other', 0.08],
];

export function category(rng: Rng): SiteCategory {
  let x = rng();
  for (const [c, w] of CATEGORY_WEIGHTS) {
    x -= w;
    if (x < 0) return c;
  }
  return 'other';
}

// --- CPU profiles (the benches' opt-in profiling) ---------------------------------------------

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/**
 * Print the hottest functions of a V8 CPU profile, by self and by total time, over the samples
 * whose timestamp `keep` accepts (all by default). `title(samples, idlePercent)` heads them.
 */
export function printHottest(
  profile: CpuProfile,
  title: (samples: number, idle: string) => string,
  keep: (t: number) => boolean = () => true,
): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const root = new URL('..', import.meta.url).href;
  const keyOf = (n: ProfileNode): string => {
    const f = n.callFrame;
    const where = f.url.startsWith(root) ? f.url.slice(root.length) : f.url.replace(/^.*node_modules\//, '');
    // No line numbers: tsx emits whitespace-minified code, so they are not the source's.
    return `${f.functionName || '(anonymous)'} ${where}`.trim();
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let n = 0;
  let t = profile.startTime;
  const samples = profile.samples ?? [];
  for (let i = 0; i < samples.length; i++) {
    t += profile.timeDeltas?.[i] ?? 0;
    if (!keep(t)) continue;
    n++;
    const leaf = byId.get(samples[i] as number);
    if (!leaf) continue;
    self.set(keyOf(leaf), (self.get(keyOf(leaf)) ?? 0) + 1);
    const seen = new Set<string>();
    for (let id: number | undefined = samples[i]; id !== undefined; id = parent.get(id)) {
      const node = byId.get(id);
      if (node) seen.add(keyOf(node));
    }
    for (const k of seen) total.set(k, (total.get(k) ?? 0) + 1);
  }
  const share = Math.max(1, n);
  const top = (m: Map<string, number>, k: number): string[][] =>
    [...m.entries()]
      .filter(([key]) => !/^\((root|program|idle)\)/.test(key))
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([key, v]) => [
        key.length > 100 ? `${key.slice(0, 97)}...` : key,
        `${((100 * v) / share).toFixed(1)} %`,
      ]);
  console.log(title(n, ((100 * (self.get('(idle)') ?? 0)) / share).toFixed(1)));
  console.log(table(['hottest functions, self time', 'share'], top(self, 15)));
  console.log(table(['hottest functions, total time (incl. callees)', 'share'], top(total, 25)));
}
