/**
 * Shapes: validated geometries prepared once for repeated geodesic queries. Each edge carries
 * its geodesic line, length, unrolled longitude span and a bounding ball (centre, radius) for
 * cheap rigorous lower bounds; each polygon carries its rings for point-in-polygon tests.
 */
import type { Geometry, Position } from '../types.ts';
import {
  edgeLatRange,
  type GeodesicLine,
  geocentricUnit,
  inverseLine,
  lineLonUnrolled,
  linePoint,
} from './wgs84.ts';

export interface Edge {
  readonly a: Position;
  readonly b: Position;
  /** Geodesic length (m). */
  readonly len: number;
  readonly azi1: number;
  readonly azi2: number;
  /** Unrolled longitude change from `a` to `b` along the geodesic, in (-180, 180). */
  readonly dlon: number;
  readonly line: GeodesicLine;
  /** Geocentric unit vector of the edge's midpoint; every point of the edge is within len/2. */
  readonly mid: readonly number[];
  readonly latLo: number;
  readonly latHi: number;
}

export interface Ring {
  readonly edges: readonly Edge[];
  /** True when the ring winds once around the north pole and so contains it (DESIGN note in ARCHITECTURE). */
  readonly enclosesNorthPole: boolean;
  /** True when the ring winds around a pole at all (its longitude span is the whole circle). */
  readonly encirclesPole: boolean;
}

export interface PolygonShape {
  readonly exterior: Ring;
  readonly holes: readonly Ring[];
}

export interface Shape {
  readonly type: Geometry['type'];
  /** Isolated points (Point) — lines and polygons keep their vertices in their edges. */
  readonly points: readonly Position[];
  readonly pointUnits: readonly (readonly number[])[];
  /** Every edge of every line and ring. */
  readonly edges: readonly Edge[];
  readonly polygons: readonly PolygonShape[];
  /** One position per connected part (a point, a line's first vertex, an exterior's first vertex). */
  readonly representatives: readonly Position[];
}

export function makeEdge(a: Position, b: Position): Edge {
  // One inverse solution (the line); the rest are cheap positions along it.
  const line = inverseLine(a, b);
  const len = line.s13;
  const end = lineLonUnrolled(line, len);
  const azi2 = linePoint(line, len).azi;
  const midPos = len > 0 ? linePoint(line, len / 2).pos : a;
  const [latLo, latHi] = edgeLatRange(a, b, line.azi1, azi2);
  return {
    a,
    b,
    len,
    azi1: line.azi1,
    azi2,
    dlon: end.lon - line.lon1,
    line,
    mid: geocentricUnit(midPos),
    latLo,
    latHi,
  };
}

export function lineEdges(coords: readonly Position[]): Edge[] {
  const edges: Edge[] = [];
  for (let i = 0; i + 1 < coords.length; i++) {
    edges.push(makeEdge(coords[i] as Position, coords[i + 1] as Position));
  }
  return edges;
}

export function makeRing(coords: readonly Position[]): Ring {
  const edges = lineEdges(coords);
  let sum = 0;
  let latSum = 0;
  for (const e of edges) {
    sum += e.dlon;
    latSum += e.a[1];
  }
  const encirclesPole = Math.abs(sum) > 180;
  // A ring that winds around a pole bounds the cap on its own side of the equator: the smaller
  // of the two regions it separates, the convention of S2 and of GeoJSON's "smaller region".
  const enclosesNorthPole = encirclesPole && latSum > 0;
  return { edges, enclosesNorthPole, encirclesPole };
}

/** Prepare a validated geometry for geodesic queries. */
export function toShape(g: Geometry): Shape {
  switch (g.type) {
    case 'Point':
      return {
        type: g.type,
        points: [g.coordinates],
        pointUnits: [geocentricUnit(g.coordinates)],
        edges: [],
        polygons: [],
        representatives: [g.coordinates],
      };
    case 'LineString':
      return {
        type: g.type,
        points: [],
        pointUnits: [],
        edges: lineEdges(g.coordinates),
        polygons: [],
        representatives: [g.coordinates[0] as Position],
      };
    case 'Polygon':
    case 'MultiPolygon': {
      const polys = g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
      const polygons: PolygonShape[] = polys.map((rings) => ({
        exterior: makeRing(rings[0] as readonly Position[]),
        holes: rings.slice(1).map((r) => makeRing(r)),
      }));
      const edges: Edge[] = [];
      for (const p of polygons) {
        edges.push(...p.exterior.edges);
        for (const h of p.holes) edges.push(...h.edges);
      }
      return {
        type: g.type,
        points: [],
        pointUnits: [],
        edges,
        polygons,
        representatives: polys.map((rings) => (rings[0] as readonly Position[])[0] as Position),
      };
    }
  }
}
