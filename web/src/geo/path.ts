/**
 * Paths as the map draws them, on the engine's own WGS 84 geodesy (src/engine/geodesy/wgs84.ts):
 * longitudes kept continuous across the antimeridian (MapLibre draws a segment from 179.9° to
 * -179.9° across the whole world, but one to 180.1° as the short step it is), and long edges
 * given extra vertices on the geodesic they stand for, since the map draws straight segments.
 * Pure: no DOM, no map.
 */
import { direct, inverseLine, lineLonUnrolled, normLon } from '../../../src/engine/geodesy/wgs84.ts';

/** A position as GeoJSON writes it: [longitude, latitude] in degrees. */
export type Pos = [number, number];

/** A GeoJSON geometry of any type, as the hub sends it. */
export interface AnyGeometry {
  readonly type: string;
  readonly coordinates: unknown;
}

/** Longest drawn segment along a geodesic edge (m): past it, the edge gets extra vertices. */
export const DENSIFY_STEP_M = 20_000;

/** The same place as `p`, its longitude moved by whole turns to within 180° of `lon`. */
export function beside(p: readonly [number, number], lon: number): Pos {
  return [lon + normLon(p[0] - lon), p[1]];
}

/** The position `s` metres from `p` along azimuth `azi`, its longitude continuous with p's. */
export function destination(p: Pos, azi: number, s: number): Pos {
  return beside(direct(p, azi, s), p[0]);
}

/** The path with each longitude moved to within 180° of the one before it. */
export function unroll(pts: readonly Pos[]): Pos[] {
  const out: Pos[] = [];
  for (const p of pts) {
    const prev = out[out.length - 1];
    out.push(prev ? beside(p, prev[0]) : p);
  }
  return out;
}

/**
 * The path unrolled, with extra vertices along every edge longer than `step` metres, evenly
 * spaced on its geodesic: the straight segments drawn between them follow the edge.
 */
export function densify(pts: readonly Pos[], step = DENSIFY_STEP_M): Pos[] {
  const path = unroll(pts);
  const out: Pos[] = [];
  for (const [i, a] of path.entries()) {
    out.push(a);
    const b = path[i + 1];
    if (b) out.push(...between(a, b, step));
  }
  return out;
}

/** The vertices strictly between a and b on their geodesic, at most `step` metres apart. */
function between(a: Pos, b: Pos, step: number): Pos[] {
  const line = inverseLine(a, b);
  const s = line.s13;
  if (s <= step) return [];
  const n = Math.ceil(s / step);
  const out: Pos[] = [];
  for (let k = 1; k < n; k++) {
    const q = lineLonUnrolled(line, (s * k) / n);
    out.push([q.lon, q.lat]);
  }
  return out;
}

/** The path without consecutive repeated positions. */
export function dedupe(pts: readonly Pos[]): Pos[] {
  const out: Pos[] = [];
  for (const p of pts) {
    const q = out[out.length - 1];
    if (!q || q[0] !== p[0] || q[1] !== p[1]) out.push(p);
  }
  return out;
}
