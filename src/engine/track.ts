/**
 * Scheduled movements in time (the fourth dimension): where a movement is at a given time, the
 * part of its route it covers during a window, and the least distance between two scheduled
 * movements over a window.
 *
 * A movement is at vertex i at `schedule[i]`, moves at constant speed along each geodesic leg,
 * waits at its first vertex before the first ETA and at its last vertex after the last ETA.
 */
import { type Closest, DISTANCE_TOLERANCE_M, shapeDistanceWithin } from './geodesy/distance.ts';
import { type Edge, lineEdges, type Shape, toShape } from './geodesy/shape.ts';
import { distance, linePoint } from './geodesy/wgs84.ts';
import type { Position } from './types.ts';

export interface Track {
  readonly vertices: readonly Position[];
  readonly edges: readonly Edge[];
  readonly schedule: readonly number[];
  /** Greatest leg speed (m/ms): no two positions at times t, t′ are farther apart than this × |t − t′|. */
  readonly maxSpeed: number;
}

export function makeTrack(vertices: readonly Position[], schedule: readonly number[]): Track {
  const edges = lineEdges(vertices);
  let maxSpeed = 0;
  for (let i = 0; i < edges.length; i++) {
    const dt = (schedule[i + 1] as number) - (schedule[i] as number);
    maxSpeed = Math.max(maxSpeed, (edges[i] as Edge).len / dt);
  }
  return { vertices, edges, schedule, maxSpeed };
}

/** Index of the leg in progress at time t (schedule[i] ≤ t < schedule[i+1]), by bisection. */
function legAt(track: Track, t: number): number {
  let lo = 0;
  let hi = track.schedule.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((track.schedule[mid] as number) <= t) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Where the movement is at time t (epoch ms). */
export function positionAt(track: Track, t: number): Position {
  const s = track.schedule;
  const n = s.length;
  if (t <= (s[0] as number)) return track.vertices[0] as Position;
  if (t >= (s[n - 1] as number)) return track.vertices[n - 1] as Position;
  const i = legAt(track, t);
  const e = track.edges[i] as Edge;
  const f = (t - (s[i] as number)) / ((s[i + 1] as number) - (s[i] as number));
  return linePoint(e.line, f * e.len).pos;
}

/**
 * The part of the route covered during [t0, t1] (t1 = null: to the end), as a shape: a point when
 * the movement waits throughout, else a line through the vertices passed. The distance from any
 * fixed geometry to this shape is exactly the least distance to the movement during the window.
 */
export function coveredShape(track: Track, t0: number, t1: number | null): Shape {
  const s = track.schedule;
  const end = t1 === null ? Number.POSITIVE_INFINITY : t1;
  const pts: Position[] = [positionAt(track, t0)];
  for (let i = 0; i < s.length; i++) {
    const ti = s[i] as number;
    if (ti > t0 && ti < end) pts.push(track.vertices[i] as Position);
  }
  if (t1 !== null) pts.push(positionAt(track, t1));
  else pts.push(track.vertices[track.vertices.length - 1] as Position);
  const dedup: Position[] = [];
  for (const p of pts) {
    const last = dedup[dedup.length - 1];
    if (last === undefined || last[0] !== p[0] || last[1] !== p[1]) dedup.push(p);
  }
  if (dedup.length === 1) return toShape({ type: 'Point', coordinates: dedup[0] as Position });
  return toShape({ type: 'LineString', coordinates: dedup });
}

/**
 * When the movement is within `limit` metres of the fixed `shape` during [t0, t1) (t1 = null:
 * open-ended): the hull of those instants, from the first to the last, to the millisecond; null
 * when there is none.
 *
 * "The sub-route covered during [a, b] reaches the shape" is monotone in both ends: the route
 * covered during [t0, t] only grows with t, the one covered during [t, tEnd] only shrinks. So
 * the first instant is found by bisecting t on the first test and the last by bisecting it on
 * the second, each test being the exact distance from a sub-route to the shape (the test the
 * rules make for the whole overlap). About 2 log₂(window in ms) tests: 48 for a day.
 *
 * It errs outward, as every bound of the engine does: `start` is t0 or the last millisecond at
 * which the movement is proven not to have reached the shape yet, `end` (exclusive) the first
 * millisecond from which it is proven never to reach it again, or t1 when it is there at t1, or
 * null when it waits inside after its last ETA in an open-ended window. Every instant at which
 * the movement is within `limit` lies in [start, end). Between the first and the last instant
 * it may leave and come back: the hull keeps one window per conflict.
 */
export function presenceWindow(
  track: Track,
  shape: Shape,
  t0: number,
  t1: number | null,
  limit: number,
): { start: number; end: number | null } | null {
  const lastEta = track.schedule[track.schedule.length - 1] as number;
  // After its last ETA the movement waits at its last vertex: there an open window may end.
  const tEnd = t1 ?? Math.max(t0, Math.ceil(lastEta));
  const reaches = (a: number, b: number): boolean =>
    shapeDistanceWithin(coveredShape(track, a, b), shape, limit) !== null;
  if (!reaches(t0, tEnd)) return null;
  // Bisect (lo, hi) down to one millisecond; the step is at least 1 ms, so it ends.
  const split = (lo: number, hi: number): number => lo + Math.max(1, Math.floor((hi - lo) / 2));
  let start = t0;
  if (!reaches(t0, t0)) {
    // Invariant: not reached during [t0, lo]; reached during [t0, hi].
    let lo = t0;
    let hi = tEnd;
    while (hi - lo > 1) {
      const mid = split(lo, hi);
      // Not reached during [t0, lo], so reached during [t0, mid] iff during [lo, mid]: only the
      // short piece is measured, which keeps each step cheap as the bracket closes.
      if (reaches(lo, mid)) hi = mid;
      else lo = mid;
    }
    start = lo;
  }
  if (reaches(tEnd, tEnd)) return { start, end: t1 };
  // Invariant: reached during [lo, tEnd]; not during [hi, tEnd].
  let lo = start;
  let hi = tEnd;
  while (hi - lo > 1) {
    const mid = split(lo, hi);
    // Not reached during [hi, tEnd], so reached during [mid, tEnd] iff during [mid, hi].
    if (reaches(mid, hi)) lo = mid;
    else hi = mid;
  }
  return { start, end: hi };
}

/** Evaluations after which the search stops and answers conservatively. */
const MAX_EVALUATIONS = 50_000;

/**
 * The least distance between two scheduled movements during [t0, t1], when it is at most
 * `limit`; null when it is provably greater.
 *
 * Branch and bound on time: d(t) is Lipschitz with constant L = vA + vB (the two greatest leg
 * speeds), so on [ta, tb] it is never below (d(ta) + d(tb) − L (tb − ta)) / 2. Intervals whose
 * bound exceeds `limit` are dropped (this is what makes a "no conflict" answer rigorous);
 * others are split. If the evaluation budget runs out before deciding, the answer is a conflict
 * at the smallest remaining bound: over-reporting, never missing.
 */
export function closestApproach(
  a: Track,
  b: Track,
  t0: number,
  t1: number | null,
  limit: number,
): (Closest & { t: number }) | null {
  const lastA = a.schedule[a.schedule.length - 1] as number;
  const lastB = b.schedule[b.schedule.length - 1] as number;
  const firstA = a.schedule[0] as number;
  const firstB = b.schedule[0] as number;
  // After both last ETAs (and before both first ETAs) nothing moves: the ends of the range stand
  // for all of that time.
  const lo = Math.max(t0, Math.min(firstA, firstB));
  const hiRaw = t1 === null ? Math.max(lastA, lastB) : Math.min(t1, Math.max(lastA, lastB));
  const start = Math.min(lo, hiRaw);
  const end = Math.max(start, hiRaw);
  const L = a.maxSpeed + b.maxSpeed;
  const at = (t: number): Closest & { t: number } => {
    const pa = positionAt(a, t);
    const pb = positionAt(b, t);
    return { d: distance(pa, pb), pa, pb, t };
  };
  const times = new Set<number>([start, end]);
  for (const t of [...a.schedule, ...b.schedule]) if (t > start && t < end) times.add(t);
  const sorted = [...times].sort((x, y) => x - y);
  const samples = sorted.map(at);
  let best = samples.reduce((m, s) => (s.d < m.d ? s : m));
  type Interval = [Closest & { t: number }, Closest & { t: number }];
  const stack: Interval[] = [];
  for (let i = 0; i + 1 < samples.length; i++) stack.push([samples[i], samples[i + 1]] as Interval);
  let evaluations = samples.length;
  let smallestBound = Number.POSITIVE_INFINITY;
  while (stack.length > 0) {
    const [x, y] = stack.pop() as Interval;
    const bound = (x.d + y.d - L * (y.t - x.t)) / 2;
    if (bound > limit) continue;
    if (best.d <= limit && bound > best.d - DISTANCE_TOLERANCE_M) continue;
    if (evaluations >= MAX_EVALUATIONS || y.t - x.t <= 1) {
      smallestBound = Math.min(smallestBound, Math.max(0, bound));
      continue;
    }
    const m = at((x.t + y.t) / 2);
    evaluations++;
    if (m.d < best.d) best = m;
    stack.push([x, m], [m, y]);
  }
  if (best.d <= limit) return best;
  if (smallestBound <= limit) return { ...best, d: smallestBound };
  return null;
}
