/**
 * Geometries as the map draws them: densified along their geodesics with continuous longitudes
 * (path.ts), their outlines for a highlight, the box they cover, and where a declaration's symbol
 * goes. Pure: no DOM, no map.
 */
import type { Geometry, GeometryCollection } from 'geojson';
import { inverse } from '../../../src/engine/geodesy/wgs84.ts';
import { type AnyGeometry, densify, destination, type Pos, unroll } from './path.ts';

/** A lon/lat box: west, south, east, north. */
export type Box = [number, number, number, number];

/** A GeoJSON geometry with coordinates (not a collection). */
export type Drawn = Exclude<Geometry, GeometryCollection>;

/** The geometry with its edges densified along their geodesics, ready to draw. */
export function drawnGeometry(g: AnyGeometry): Drawn {
  switch (g.type) {
    case 'LineString':
      return { type: 'LineString', coordinates: densify(g.coordinates as Pos[]) };
    case 'Polygon':
      return { type: 'Polygon', coordinates: (g.coordinates as Pos[][]).map((r) => densify(r)) };
    case 'MultiPolygon':
      return {
        type: 'MultiPolygon',
        coordinates: (g.coordinates as Pos[][][]).map((p) => p.map((r) => densify(r))),
      };
    default:
      return g as Drawn;
  }
}

/** Lines to highlight a geometry: its edges, or the point itself. */
export function outlineOf(g: AnyGeometry): Drawn {
  switch (g.type) {
    case 'Polygon':
      return { type: 'MultiLineString', coordinates: (g.coordinates as Pos[][]).map((r) => densify(r)) };
    case 'MultiPolygon':
      return {
        type: 'MultiLineString',
        coordinates: (g.coordinates as Pos[][][]).flat().map((r) => densify(r)),
      };
    case 'LineString':
      return { type: 'LineString', coordinates: densify(g.coordinates as Pos[]) };
    default:
      return g as Drawn;
  }
}

/** Every position of a Point, LineString, Polygon or MultiPolygon. */
export function positionsOf(g: AnyGeometry): Pos[] {
  switch (g.type) {
    case 'Point':
      return [g.coordinates as Pos];
    case 'LineString':
      return g.coordinates as Pos[];
    case 'Polygon':
      return (g.coordinates as Pos[][]).flat();
    case 'MultiPolygon':
      return (g.coordinates as Pos[][][]).flat(2);
    default:
      return [];
  }
}

/** The smallest box holding the positions, or null for none. */
export function bboxOf(pts: readonly Pos[]): Box | null {
  if (pts.length === 0) return null;
  let [w, s, e, n] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of pts) {
    w = Math.min(w, x);
    e = Math.max(e, x);
    s = Math.min(s, y);
    n = Math.max(n, y);
  }
  return [w, s, e, n];
}

/** Where a declaration's symbol and label go: the point, a line's middle, an area's centre. */
export function anchorOf(g: AnyGeometry): Pos | null {
  if (g.type === 'Point') return g.coordinates as Pos;
  if (g.type === 'LineString') return midway(g.coordinates as Pos[]);
  const outer =
    g.type === 'Polygon'
      ? (g.coordinates as Pos[][])[0]
      : g.type === 'MultiPolygon'
        ? (g.coordinates as Pos[][][])[0]?.[0]
        : undefined;
  return outer && outer.length > 0 ? inside(unroll(outer).slice(0, -1)) : null;
}

/** The point halfway along a line, measured along its geodesic edges. */
function midway(pts: readonly Pos[]): Pos | null {
  const lens = pts.slice(1).map((p, i) => inverse(pts[i] as Pos, p).s12);
  const half = lens.reduce((a, b) => a + b, 0) / 2;
  let acc = 0;
  for (const [i, l] of lens.entries()) {
    if (acc + l >= half && l > 0) {
      const a = pts[i] as Pos;
      return destination(a, inverse(a, pts[i + 1] as Pos).azi1, half - acc);
    }
    acc += l;
  }
  return pts[0] ?? null;
}

/** A point inside a ring, for its label: its box's centre, else its vertices' mean, else a vertex. */
function inside(ring: readonly Pos[]): Pos {
  const b = bboxOf(ring) as Box;
  const centre: Pos = [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2];
  if (pointInRing(centre, ring)) return centre;
  const mean: Pos = [
    ring.reduce((a, p) => a + p[0], 0) / ring.length,
    ring.reduce((a, p) => a + p[1], 0) / ring.length,
  ];
  return pointInRing(mean, ring) ? mean : (ring[0] as Pos);
}

/** Whether p is inside the ring, in the plane of lon/lat (even-odd rule). */
function pointInRing(p: Pos, ring: readonly Pos[]): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const a = ring[i] as Pos;
    const b = ring[j] as Pos;
    if (a[1] > p[1] !== b[1] > p[1] && p[0] < ((b[0] - a[0]) * (p[1] - a[1])) / (b[1] - a[1]) + a[0])
      inside = !inside;
  }
  return inside;
}
