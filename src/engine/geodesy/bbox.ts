/**
 * Conservative longitude/latitude boxes around shapes widened by a distance ("reach"), for the
 * spatial index. Conservative means: every point within `reach` metres (geodesic) of the shape
 * lies in one of the boxes. Boxes never cross the antimeridian (a box that would is split in
 * two) and reach to a pole with the whole longitude range when the widened shape may touch it.
 *
 * Why the widening is rigorous: a path that changes latitude by Δφ is at least `M_MIN · Δφ` long
 * (M_MIN the least meridional radius of curvature), and one that changes longitude by Δλ while
 * staying poleward of latitude φ* is at least `a · cos φ* · Δλ` long.
 */
import type { Geometry, Position } from '../types.ts';
import { A, edgeSummary, M_MIN } from './wgs84.ts';

/** [minLon, minLat, maxLon, maxLat] in degrees, minLon ≤ maxLon, within [-180, 180]. */
export type Box = [number, number, number, number];

const DEG = Math.PI / 180;
/** Slack in degrees for the rounding of the arithmetic below (about 0.1 mm). */
const EPS_DEG = 1e-9;

interface Extent {
  /** Longitude range, unrolled (may leave [-180, 180]); null = the whole circle. */
  lon: [number, number] | null;
  lat: [number, number];
}

/** The extent of a path, and its total unrolled longitude change (±360 for a ring around a pole). */
function pathExtent(coords: readonly Position[]): Extent & { turn: number; latSum: number } {
  const first = coords[0] as Position;
  let lon = first[0];
  let lonLo = lon;
  let lonHi = lon;
  let latLo = first[1];
  let latHi = first[1];
  let latSum = 0;
  for (let i = 0; i + 1 < coords.length; i++) {
    const e = edgeSummary(coords[i] as Position, coords[i + 1] as Position);
    latSum += (coords[i] as Position)[1];
    lon += e.dlon;
    if (lon < lonLo) lonLo = lon;
    if (lon > lonHi) lonHi = lon;
    if (e.latLo < latLo) latLo = e.latLo;
    if (e.latHi > latHi) latHi = e.latHi;
  }
  // A geodesic's longitude is monotonic along it, so an edge's span is its endpoints' span.
  return { lon: [lonLo, lonHi], lat: [latLo, latHi], turn: lon - first[0], latSum };
}

function geometryExtents(g: Geometry): Extent[] {
  switch (g.type) {
    case 'Point':
      return [{ lon: [g.coordinates[0], g.coordinates[0]], lat: [g.coordinates[1], g.coordinates[1]] }];
    case 'LineString':
      return [pathExtent(g.coordinates)];
    case 'Polygon':
    case 'MultiPolygon': {
      const polys = g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
      return polys.map((rings) => {
        const ext = pathExtent(rings[0] as readonly Position[]);
        // A ring that winds around a pole encloses it (the same convention as shape.ts).
        if (Math.abs(ext.turn) > 180) {
          ext.lon = null;
          if (ext.latSum > 0) ext.lat[1] = 90;
          else ext.lat[0] = -90;
        }
        return ext;
      });
    }
  }
}

function widen(ext: Extent, reach: number): Box[] {
  const dLat = reach / M_MIN / DEG + EPS_DEG;
  const latLo = Math.max(-90, ext.lat[0] - dLat);
  const latHi = Math.min(90, ext.lat[1] + dLat);
  const phiMax = Math.max(Math.abs(latLo), Math.abs(latHi));
  if (ext.lon === null || phiMax >= 90 - 1e-6) return [[-180, latLo, 180, latHi]];
  const dLon = reach / (A * Math.cos(phiMax * DEG)) / DEG + EPS_DEG;
  let lo = ext.lon[0] - dLon;
  let hi = ext.lon[1] + dLon;
  if (hi - lo >= 360) return [[-180, latLo, 180, latHi]];
  // Bring lo into [-180, 180) and split at the antimeridian.
  const shift = Math.floor((lo + 180) / 360) * 360;
  lo -= shift;
  hi -= shift;
  if (hi <= 180) return [[lo, latLo, hi, latHi]];
  return [
    [lo, latLo, 180, latHi],
    [-180, latLo, hi - 360, latHi],
  ];
}

/**
 * Boxes that hold every point within `reach` metres of the geometry. Costs one inverse solution
 * per edge and keeps nothing: the index computes boxes for the whole active set with it.
 */
export function reachBoxes(g: Geometry, reach: number): Box[] {
  const out: Box[] = [];
  for (const ext of geometryExtents(g)) out.push(...widen(ext, reach));
  return out;
}

/** The boxes of a single point widened by `reach` (fast path: no shape needed). */
export function pointReachBoxes(p: Position, reach: number): Box[] {
  return widen({ lon: [p[0], p[0]], lat: [p[1], p[1]] }, reach);
}

export function boxesIntersect(a: Box, b: Box): boolean {
  return a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];
}
