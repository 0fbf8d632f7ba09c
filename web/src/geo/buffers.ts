/**
 * Buffers drawn to scale: everything within `r` metres of a point (a geodesic circle), of a route
 * (a corridor with round caps) or of an area (the polygon grown outward), as closed rings of
 * [lon, lat] with continuous longitudes. Every vertex is a geodesic destination on WGS 84 from a
 * vertex of the geometry (the engine's geodesy, through path.ts), so the outline's vertices lie
 * at `r` from the geometry, up to the chord of a rounded corner (test/console.geo.test.ts).
 * Pure: no DOM, no map.
 */
import { type InverseResult, inverse, normLon } from '../../../src/engine/geodesy/wgs84.ts';
import { type AnyGeometry, dedupe, densify, destination, type Pos } from './path.ts';

/** Turns smaller than this (degrees) pass straight on: one vertex on the bisector. */
const STRAIGHT_DEG = 1;
/** Largest step (degrees) between the vertices of a rounded outer corner. */
const ARC_STEP_DEG = 8;
/** Inner corners sharper than twice this (degrees) have no usable miter point. */
const MITER_LIMIT_DEG = 80;
/** A turn past this (degrees) is the end of a line walked out and back: a round cap. */
const REVERSAL_DEG = 179;
/** Rings with more vertices than this are not checked for crossing themselves. */
const CROSSING_CHECK_MAX = 4000;

/** A geodesic circle: `n` vertices, each `r` metres from the centre, then the first again. */
export function circle(c: Pos, r: number, n = 72): Pos[] {
  const ring: Pos[] = [];
  for (let i = 0; i < n; i++) ring.push(destination(c, (i * 360) / n, r));
  ring.push(ring[0] as Pos);
  return ring;
}

/**
 * The buffer of a geometry, to scale: a circle, a corridor, or a polygon grown outward. When one
 * clean outline cannot be drawn, the corridor is the union-free set of per-edge stadiums (plus
 * the polygon itself): the same area, drawn in overlapping pieces. No buffer when `r` is not > 0.
 */
export function bufferOf(g: AnyGeometry, r: number): Pos[][] {
  if (!(r > 0)) return [];
  switch (g.type) {
    case 'Point':
      return [circle(g.coordinates as Pos, r)];
    case 'LineString':
      return corridor(g.coordinates as Pos[], r);
    case 'Polygon':
      return grown(g.coordinates as Pos[][], r);
    case 'MultiPolygon':
      return (g.coordinates as Pos[][][]).flatMap((poly) => grown(poly, r));
    default:
      return [];
  }
}

/** Everything within `r` of a route: walked out and back, so its ends become round caps. */
function corridor(route: readonly Pos[], r: number): Pos[][] {
  const v = dedupe(densify(route));
  if (v.length === 1) return [circle(v[0] as Pos, r)];
  const ring = offsetRing([...v, ...v.slice(1, -1).reverse()], r);
  return ring ? [ring] : stadiums(v, r);
}

/** A polygon grown outward by `r` (its exterior ring; holes are inside the buffer anyway). */
function grown(poly: readonly Pos[][], r: number): Pos[][] {
  const outer = poly[0];
  if (!outer || outer.length === 0) return [];
  const closed = samePlace(outer[0] as Pos, outer[outer.length - 1] as Pos);
  const v = dedupe(densify(closed ? outer : [...outer, outer[0] as Pos])).slice(0, -1);
  if (v.length < 3) return [];
  // Walked clockwise, the left of every edge is outside.
  if (turning(v) < 0) v.reverse();
  const ring = offsetRing(v, r);
  const walked = [...v, v[0] as Pos];
  return ring ? [ring] : [walked, ...stadiums(walked, r)];
}

/** One stadium per edge of a path: the same area as its corridor, in overlapping pieces. */
function stadiums(v: readonly Pos[], r: number): Pos[][] {
  return v.slice(1).map((b, i) => offsetRing([v[i] as Pos, b], r) ?? circle(v[i] as Pos, r));
}

/**
 * The outline `r` metres to the left of a closed ring of vertices (without its closing vertex),
 * or null when the simple outline does not hold — an inner corner whose neighbouring edges are
 * shorter than its miter, or an outline that crosses itself (a route that comes back near
 * itself) — so that the caller falls back to stadiums.
 */
function offsetRing(ring: readonly Pos[], r: number): Pos[] | null {
  const legs = legsOf(ring);
  const m = ring.length;
  const out: Pos[] = [];
  for (const [k, p] of ring.entries()) {
    const corner = offsetCorner(p, legs[(k - 1 + m) % m] as InverseResult, legs[k] as InverseResult, r);
    if (!corner) return null;
    out.push(...corner);
  }
  out.push(out[0] as Pos);
  return crossesItself(out) ? null : out;
}

/**
 * Where the outline passes vertex `p`, arriving along `into` and leaving along `from`: an arc
 * around an outer corner, the miter point of an inner one, one point on the bisector when the
 * path runs straight on. Null when the miter would reach past a neighbouring edge.
 */
function offsetCorner(p: Pos, into: InverseResult, from: InverseResult, r: number): Pos[] | null {
  const left = into.azi2 - 90;
  let turn = normLon(from.azi1 - into.azi2);
  if (Math.abs(turn) > REVERSAL_DEG) turn = 180;
  if (turn > STRAIGHT_DEG) return arc(p, left, turn, r);
  if (turn < -STRAIGHT_DEG) {
    const miter = miterPoint(p, left, turn, r, Math.min(into.s12, from.s12));
    return miter ? [miter] : null;
  }
  return [destination(p, left + turn / 2, r)];
}

/** The vertices `r` from `p` on the arc from azimuth `start` through `turn` degrees clockwise. */
function arc(p: Pos, start: number, turn: number, r: number): Pos[] {
  const steps = Math.max(1, Math.ceil(turn / ARC_STEP_DEG));
  const out: Pos[] = [];
  for (let i = 0; i <= steps; i++) out.push(destination(p, start + (turn * i) / steps, r));
  return out;
}

/** The inner corner's miter point (`r / cos` out along the bisector), or null when it is unusable. */
function miterPoint(p: Pos, left: number, turn: number, r: number, shortestLeg: number): Pos | null {
  const half = (Math.abs(turn) / 2) * (Math.PI / 180);
  if (r * Math.tan(half) > shortestLeg || half >= (MITER_LIMIT_DEG * Math.PI) / 180) return null;
  return destination(p, left + turn / 2, r / Math.cos(half));
}

/** The geodesic from each vertex of a closed ring to the next. */
function legsOf(ring: readonly Pos[]): InverseResult[] {
  return ring.map((p, k) => inverse(p, ring[(k + 1) % ring.length] as Pos));
}

/** Sum of the turns around a closed ring (without its closing vertex): +360 clockwise. */
function turning(ring: readonly Pos[]): number {
  const legs = legsOf(ring);
  const m = legs.length;
  let sum = 0;
  for (const [k, leg] of legs.entries())
    sum += normLon(leg.azi1 - (legs[(k - 1 + m) % m] as InverseResult).azi2);
  return sum;
}

/** Whether a closed ring crosses itself, in the plane of lon/lat (not checked past 4,000 vertices). */
function crossesItself(ring: readonly Pos[]): boolean {
  const n = ring.length - 1;
  if (n > CROSSING_CHECK_MAX) return false;
  for (let i = 0; i < n; i++) {
    for (let j = i + 2; j < n; j++) {
      if (i === 0 && j === n - 1) continue;
      if (segmentsCross(ring[i] as Pos, ring[i + 1] as Pos, ring[j] as Pos, ring[j + 1] as Pos)) return true;
    }
  }
  return false;
}

/** Whether segments ab and cd cross at a point inside both (touching does not count). */
function segmentsCross(a: Pos, b: Pos, c: Pos, d: Pos): boolean {
  if (Math.max(c[0], d[0]) < Math.min(a[0], b[0]) || Math.min(c[0], d[0]) > Math.max(a[0], b[0]))
    return false;
  if (Math.max(c[1], d[1]) < Math.min(a[1], b[1]) || Math.min(c[1], d[1]) > Math.max(a[1], b[1]))
    return false;
  return side(a, b, c) * side(a, b, d) < 0 && side(c, d, a) * side(c, d, b) < 0;
}

/** The side of line ab that c is on: 1, -1, or 0 on it. */
function side(a: Pos, b: Pos, c: Pos): number {
  return Math.sign((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]));
}

/** Whether two positions are the same. */
function samePlace(a: Pos, b: Pos): boolean {
  return a[0] === b[0] && a[1] === b[1];
}
