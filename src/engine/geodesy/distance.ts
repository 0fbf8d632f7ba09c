/**
 * Geodesic distances between shapes on the WGS 84 ellipsoid, with the closest points.
 *
 * Edges are geodesics (as in PostGIS `geography` and S2). The primitives:
 * - point → edge: the foot of the perpendicular geodesic, found by a safeguarded root search on
 *   the derivative of the distance along the edge (d′(s) = −cos(angle between the edge and the
 *   geodesic to the point)); the distance is unimodal along an edge no longer than a quarter
 *   meridian, which the parser enforces.
 * - edge × edge: 0 at a crossing (found by the sign change of the side of one edge relative to
 *   the other, then verified on both), else the least of the four endpoint → edge distances (the
 *   minimum of two non-crossing geodesic segments lies at an endpoint of one of them).
 * - point in polygon: a ray along the point's meridian (a geodesic) to the north pole, counting
 *   the edges that cross it north of the point; rings that wind around the north pole flip it.
 *
 * Error: every distance returned is the distance between two actual points of the shapes, found
 * to within {@link ROOT_TOLERANCE_M} of the true closest points, so it exceeds the true minimum by
 * at most that much (0.1 mm). Callers compare with {@link DISTANCE_TOLERANCE_M} of allowance, so
 * the engine may over-report by 1 mm and never under-reports.
 */
import type { Position } from '../types.ts';
import type { Edge, PolygonShape, Ring, Shape } from './shape.ts';
import {
  direct,
  distance,
  geocentricUnit,
  inverse,
  lineLonUnrolled,
  linePoint,
  lowerBoundDistance,
  normLon,
} from './wgs84.ts';

/** Bracket width (m along an edge) at which root searches stop. */
export const ROOT_TOLERANCE_M = 1e-4;
/** Allowance added to every distance threshold: the engine may over-report by this much. */
export const DISTANCE_TOLERANCE_M = 1e-3;

const DEG = Math.PI / 180;
const MAX_ITER = 200;

export interface Closest {
  /** Distance (m). */
  readonly d: number;
  /** Closest point on the first shape. */
  readonly pa: Position;
  /** Closest point on the second shape. */
  readonly pb: Position;
}

/**
 * Find a root of `f` on [lo, hi] where f(lo) and f(hi) have opposite signs (Illinois variant of
 * regula falsi: superlinear on smooth functions, bisection-like on jumps). Returns the bracket.
 */
function bracketRoot(
  f: (s: number) => number,
  lo: number,
  flo: number,
  hi: number,
  fhi: number,
): [number, number] {
  let side = 0;
  for (let i = 0; i < MAX_ITER && hi - lo > ROOT_TOLERANCE_M; i++) {
    let s = hi - (fhi * (hi - lo)) / (fhi - flo);
    if (!(s > lo && s < hi) || i % 8 === 7) s = (lo + hi) / 2;
    const fs = f(s);
    if (fs === 0) return [s, s];
    if (Math.sign(fs) === Math.sign(flo)) {
      lo = s;
      flo = fs;
      if (side === -1) fhi /= 2;
      side = -1;
    } else {
      hi = s;
      fhi = fs;
      if (side === 1) flo /= 2;
      side = 1;
    }
  }
  return [lo, hi];
}

/** Distance from a point to a geodesic edge, with the foot on the edge. */
export function pointEdge(p: Position, e: Edge): { d: number; foot: Position } {
  const i0 = inverse(e.a, p);
  if (e.len === 0 || i0.s12 === 0) return { d: i0.s12, foot: e.a };
  const i1 = inverse(e.b, p);
  if (i1.s12 === 0) return { d: 0, foot: e.b };
  // h(s) = cos(azimuth to p − azimuth of the edge) = −d′(s).
  const h0 = Math.cos((i0.azi1 - e.azi1) * DEG);
  const h1 = Math.cos((i1.azi1 - e.azi2) * DEG);
  let bestD = i0.s12;
  let bestFoot: Position = e.a;
  if (i1.s12 < bestD) {
    bestD = i1.s12;
    bestFoot = e.b;
  }
  if (!(h0 > 0 && h1 < 0)) return { d: bestD, foot: bestFoot };
  const h = (s: number): number => {
    const x = linePoint(e.line, s);
    const r = inverse(x.pos, p);
    if (r.s12 < bestD) {
      bestD = r.s12;
      bestFoot = x.pos;
    }
    return r.s12 === 0 ? 0 : Math.cos((r.azi1 - x.azi) * DEG);
  };
  const [lo, hi] = bracketRoot(h, 0, h0, e.len, h1);
  h(lo);
  if (hi !== lo) h(hi);
  return { d: bestD, foot: bestFoot };
}

/** Which side of edge `e` (extended) the point `p` lies: sin of the azimuth difference at `e.a`. */
function side(p: Position, e: Edge): number {
  const r = inverse(e.a, p);
  if (r.s12 === 0) return 0;
  return Math.sin((r.azi1 - e.azi1) * DEG);
}

/** A crossing point of two geodesic edges, or null when they do not cross. */
export function edgeCrossing(e: Edge, f: Edge): Position | null {
  if (e.len === 0 || f.len === 0) return null;
  const s0 = side(f.a, e);
  const s1 = side(f.b, e);
  if (!(s0 * s1 < 0)) return null;
  const g = (t: number): number => side(linePoint(f.line, t).pos, e);
  const [lo, hi] = bracketRoot(g, 0, s0, f.len, s1);
  const x = linePoint(f.line, (lo + hi) / 2).pos;
  // Verify the crossing of the extended geodesic lies on the edge itself.
  return pointEdge(x, e).d <= DISTANCE_TOLERANCE_M ? x : null;
}

/** Distance between two geodesic edges, with the closest points (first on `e`, then on `f`). */
export function edgeEdge(e: Edge, f: Edge): Closest {
  const x = edgeCrossing(e, f);
  if (x !== null) return { d: 0, pa: x, pb: x };
  let best: Closest = { d: Number.POSITIVE_INFINITY, pa: e.a, pb: f.a };
  for (const p of [e.a, e.b]) {
    const r = pointEdge(p, f);
    if (r.d < best.d) best = { d: r.d, pa: p, pb: r.foot };
  }
  for (const p of [f.a, f.b]) {
    const r = pointEdge(p, e);
    if (r.d < best.d) best = { d: r.d, pa: r.foot, pb: p };
  }
  return best;
}

/** Number of edges of `ring` that cross the meridian of `p` strictly north of `p`. */
function crossingsNorth(p: Position, ring: Ring): number {
  let n = 0;
  for (const e of ring.edges) {
    // Longitudes relative to p's meridian, each vertex normalized the same way wherever it
    // appears, so that the half-open rule (a vertex on the meridian counts as east of it) is
    // applied consistently by the two edges that share it.
    const ra = normLon(e.a[0] - p[0]);
    const rb = normLon(e.b[0] - p[0]);
    if (ra >= 0 === rb >= 0) continue;
    // An edge is shorter than 180° of longitude: a larger jump means it crosses the opposite
    // meridian (p's antimeridian), not p's.
    if (Math.abs(rb - ra) > 180) continue;
    if (e.latHi < p[1]) continue;
    if (e.latLo > p[1]) {
      n++;
      continue;
    }
    let lat: number;
    if (ra === 0) lat = e.a[1];
    else if (rb === 0) lat = e.b[1];
    else {
      const f = (s: number): number => ra + (lineLonUnrolled(e.line, s).lon - e.a[0]);
      const [lo, hi] = bracketRoot(f, 0, ra, e.len, rb);
      lat = lineLonUnrolled(e.line, (lo + hi) / 2).lat;
    }
    if (lat > p[1]) n++;
  }
  return n;
}

function insideRing(p: Position, ring: Ring): boolean {
  return (crossingsNorth(p, ring) % 2 === 1) !== ring.enclosesNorthPole;
}

/**
 * True when `p` lies inside the polygon (on the boundary may answer either way; callers that
 * need the boundary measure the distance to the edges, which is then 0).
 */
export function pointInPolygon(p: Position, poly: PolygonShape): boolean {
  if (!insideRing(p, poly.exterior)) return false;
  for (const h of poly.holes) if (insideRing(p, h)) return false;
  return true;
}

export function pointInShape(p: Position, s: Shape): boolean {
  for (const poly of s.polygons) if (pointInPolygon(p, poly)) return true;
  return false;
}

/**
 * The distance between two shapes and their closest points, when it is at most `limit` metres;
 * null when it is greater. Pairs of parts whose rigorous lower bound exceeds the best distance
 * found so far (initially `limit`) are skipped, so a far pair costs a few dot products.
 */
export function shapeDistanceWithin(a: Shape, b: Shape, limit: number): Closest | null {
  for (const rep of a.representatives) {
    if (pointInShape(rep, b)) return { d: 0, pa: rep, pb: rep };
  }
  for (const rep of b.representatives) {
    if (pointInShape(rep, a)) return { d: 0, pa: rep, pb: rep };
  }
  let best: Closest | null = null;
  let bound = limit;
  const consider = (c: Closest): void => {
    if (c.d <= bound) {
      best = c;
      bound = c.d;
    }
  };
  for (let i = 0; i < a.points.length; i++) {
    const p = a.points[i] as Position;
    const pu = a.pointUnits[i] as readonly number[];
    for (let j = 0; j < b.points.length; j++) {
      if (lowerBoundDistance(pu, b.pointUnits[j] as readonly number[]) > bound) continue;
      const q = b.points[j] as Position;
      consider({ d: distance(p, q), pa: p, pb: q });
    }
    for (const e of b.edges) {
      if (lowerBoundDistance(pu, e.mid) - e.len / 2 > bound) continue;
      const r = pointEdge(p, e);
      consider({ d: r.d, pa: p, pb: r.foot });
    }
  }
  for (let j = 0; j < b.points.length; j++) {
    const q = b.points[j] as Position;
    const qu = b.pointUnits[j] as readonly number[];
    for (const e of a.edges) {
      if (lowerBoundDistance(qu, e.mid) - e.len / 2 > bound) continue;
      const r = pointEdge(q, e);
      consider({ d: r.d, pa: r.foot, pb: q });
    }
  }
  for (const e of a.edges) {
    for (const f of b.edges) {
      if (lowerBoundDistance(e.mid, f.mid) - e.len / 2 - f.len / 2 > bound) continue;
      consider(edgeEdge(e, f));
      if (bound === 0) return best;
    }
  }
  return best;
}

/** The distance between two shapes (no limit). */
export function shapeDistance(a: Shape, b: Shape): Closest {
  return shapeDistanceWithin(a, b, Number.POSITIVE_INFINITY) as Closest;
}

/** Distance from a point to the nearest of `edges`, when at most `limit`; else null. */
function pointEdgesWithin(p: Position, edges: readonly Edge[], limit: number): number | null {
  const pu = geocentricUnit(p);
  let bound = limit;
  let found: number | null = null;
  for (const e of edges) {
    if (lowerBoundDistance(pu, e.mid) - e.len / 2 > bound) continue;
    const d = pointEdge(p, e).d;
    if (d <= bound) {
      bound = d;
      found = d;
    }
  }
  return found;
}

/** Inside `s` and more than the tolerance away from its boundary. */
function strictlyInside(p: Position, s: Shape): boolean {
  return pointInShape(p, s) && pointEdgesWithin(p, s.edges, DISTANCE_TOLERANCE_M) === null;
}

/**
 * Points that sample every piece of `a`'s boundary between the places where it meets `b`'s
 * boundary: the midpoints of `a`'s edges after splitting them at every crossing and touching
 * point. Each piece lies wholly inside, outside or on the boundary of `b`, so its midpoint tells
 * which.
 */
function boundaryPieceMidpoints(a: Shape, b: Shape): Position[] {
  const out: Position[] = [];
  for (const e of a.edges) {
    const cuts: number[] = [0, e.len];
    for (const f of b.edges) {
      if (lowerBoundDistance(e.mid, f.mid) - e.len / 2 - f.len / 2 > DISTANCE_TOLERANCE_M) continue;
      const x = edgeCrossing(e, f) ?? edgeCrossing(f, e);
      if (x !== null) cuts.push(distance(e.a, x));
      for (const q of [f.a, f.b]) {
        const r = pointEdge(q, e);
        if (r.d <= DISTANCE_TOLERANCE_M) cuts.push(distance(e.a, r.foot));
      }
    }
    cuts.sort((x, y) => x - y);
    for (let i = 0; i + 1 < cuts.length; i++) {
      const s0 = cuts[i] as number;
      const s1 = cuts[i + 1] as number;
      if (s1 - s0 > 2 * DISTANCE_TOLERANCE_M) out.push(linePoint(e.line, (s0 + s1) / 2).pos);
    }
  }
  return out;
}

/** A point strictly inside the polygonal shape `s`, near one of its edges; null if none found. */
function interiorSample(s: Shape): Position | null {
  for (const e of s.edges) {
    if (e.len <= 0) continue;
    const mid = linePoint(e.line, e.len / 2);
    const offset = Math.min(1, e.len / 100);
    for (const turn of [90, -90]) {
      const p = direct(mid.pos, mid.azi + turn, offset);
      if (pointInShape(p, s) && pointEdgesWithin(p, s.edges, offset / 2) === null) return p;
    }
  }
  return null;
}

/**
 * True when the interiors of two polygonal shapes overlap; a shared border or a touching corner
 * is not an overlap. Overlaps thinner than {@link DISTANCE_TOLERANCE_M} are not told apart from a
 * shared border (coordinates typed twice differ by more than that).
 */
export function interiorsOverlap(a: Shape, b: Shape): boolean {
  for (const m of boundaryPieceMidpoints(a, b)) if (strictlyInside(m, b)) return true;
  for (const m of boundaryPieceMidpoints(b, a)) if (strictlyInside(m, a)) return true;
  // Boundaries that only share pieces: the shapes are equal, or one fills the other exactly.
  const pa = interiorSample(a);
  if (pa !== null && strictlyInside(pa, b)) return true;
  const pb = interiorSample(b);
  return pb !== null && strictlyInside(pb, a);
}
