/**
 * The WGS 84 ellipsoid and its geodesics, through GeographicLib (Karney's algorithms, accurate to
 * 15 nm). Every distance the engine reports comes from here; nothing else in the engine measures
 * the Earth.
 */
import geographiclib from 'geographiclib-geodesic';
import type { Position } from '../types.ts';

const { Geodesic } = geographiclib;
export const GEOD = Geodesic.WGS84;

/** Semi-major axis (m). */
export const A = GEOD.a;
/** Flattening. */
export const F = GEOD.f;
/** Semi-minor (polar) axis (m). */
export const B = A * (1 - F);
const E2 = F * (2 - F);
/**
 * The smallest meridional radius of curvature, at the equator: `a (1 − e²)`. Any path that
 * changes latitude by Δφ radians is at least `M_MIN · Δφ` long.
 */
export const M_MIN = A * (1 - E2);

export type GeodesicLine = ReturnType<typeof GEOD.InverseLine>;

const STANDARD = Geodesic.STANDARD;
const LINE_CAPS = Geodesic.LATITUDE | Geodesic.LONGITUDE | Geodesic.AZIMUTH | Geodesic.DISTANCE_IN;
const POS_MASK = Geodesic.LATITUDE | Geodesic.LONGITUDE | Geodesic.AZIMUTH;
const POS_UNROLL = POS_MASK | Geodesic.LONG_UNROLL;

export interface InverseResult {
  /** Geodesic distance (m). */
  readonly s12: number;
  /** Forward azimuth at the first point (degrees clockwise from north). */
  readonly azi1: number;
  /** Forward azimuth at the second point. */
  readonly azi2: number;
}

/** The geodesic between two positions: distance and azimuths. */
export function inverse(p: Position, q: Position): InverseResult {
  const r = GEOD.Inverse(p[1], p[0], q[1], q[0], STANDARD);
  return { s12: r.s12 as number, azi1: r.azi1 as number, azi2: r.azi2 as number };
}

/** Geodesic distance in metres between two positions. */
export function distance(p: Position, q: Position): number {
  return GEOD.Inverse(p[1], p[0], q[1], q[0], Geodesic.DISTANCE).s12 as number;
}

/** The position `s` metres from `p` along azimuth `azi`. */
export function direct(p: Position, azi: number, s: number): Position {
  const r = GEOD.Direct(p[1], p[0], azi, s, Geodesic.LATITUDE | Geodesic.LONGITUDE);
  return [r.lon2 as number, r.lat2 as number];
}

export function inverseLine(p: Position, q: Position): GeodesicLine {
  return GEOD.InverseLine(p[1], p[0], q[1], q[0], LINE_CAPS);
}

export interface LinePoint {
  readonly pos: Position;
  /** Forward azimuth of the line at this point. */
  readonly azi: number;
}

/** The point `s` metres along a geodesic line, longitude normalized to [-180, 180]. */
export function linePoint(line: GeodesicLine, s: number): LinePoint {
  const r = line.Position(s, POS_MASK);
  return { pos: [r.lon2 as number, r.lat2 as number], azi: r.azi2 as number };
}

/** The longitude `s` metres along a line, unrolled (continuous, may leave [-180, 180]). */
export function lineLonUnrolled(line: GeodesicLine, s: number): { lon: number; lat: number } {
  const r = line.Position(s, POS_UNROLL);
  return { lon: r.lon2 as number, lat: r.lat2 as number };
}

/** Normalize an angle to (-180, 180]. */
export function normLon(x: number): number {
  let y = x % 360;
  if (y <= -180) y += 360;
  else if (y > 180) y -= 360;
  return y;
}

const DEG = Math.PI / 180;

/** Unit vector of the geocentric direction of a position (for cheap lower bounds). */
export function geocentricUnit(p: Position): [number, number, number] {
  const lat = p[1] * DEG;
  const lon = p[0] * DEG;
  const sinLat = Math.sin(lat);
  const cosLat = Math.cos(lat);
  const n = A / Math.sqrt(1 - E2 * sinLat * sinLat);
  const x = n * cosLat * Math.cos(lon);
  const y = n * cosLat * Math.sin(lon);
  const z = n * (1 - E2) * sinLat;
  const r = Math.hypot(x, y, z);
  return [x / r, y / r, z / r];
}

/**
 * A lower bound of the geodesic distance between two points given by their geocentric unit
 * vectors: `b · angle`. The nearest-point projection onto the inscribed sphere of radius `b` is
 * 1-Lipschitz and maps every path on the ellipsoid to a path on the sphere no longer than it, so
 * the great-circle distance on that sphere never exceeds the geodesic distance. Short by at most
 * 0.34 % (the flattening), which only makes pruning a little less sharp.
 */
export function lowerBoundDistance(u: readonly number[], v: readonly number[]): number {
  const dx = (u[0] as number) - (v[0] as number);
  const dy = (u[1] as number) - (v[1] as number);
  const dz = (u[2] as number) - (v[2] as number);
  const chord = Math.sqrt(dx * dx + dy * dy + dz * dz);
  // angle = 2 asin(chord / 2); shave a relative 1e-12 for the rounding of the arithmetic.
  return B * 2 * Math.asin(Math.min(1, chord / 2)) * (1 - 1e-12);
}

/**
 * The latitude extremes of the geodesic edge p→q: its endpoints' latitudes, widened to the
 * geodesic's vertex (the point of greatest |latitude|) when the edge passes through it. A long
 * east–west edge bulges poleward, so endpoints alone would under-bound it.
 */
export function edgeLatRange(p: Position, q: Position, azi1: number, azi2: number): [number, number] {
  let lo = Math.min(p[1], q[1]);
  let hi = Math.max(p[1], q[1]);
  const c1 = Math.cos(azi1 * DEG);
  const c2 = Math.cos(azi2 * DEG);
  if (c1 * c2 < 0) {
    // Clairaut: sin(α) cos(β) is constant along a geodesic (β the reduced latitude).
    const beta1 = Math.atan((1 - F) * Math.tan(p[1] * DEG));
    const sinAlpha0 = Math.abs(Math.sin(azi1 * DEG) * Math.cos(beta1));
    const betaMax = Math.acos(Math.min(1, sinAlpha0));
    const phiMax = Math.atan(Math.tan(betaMax) / (1 - F)) / DEG;
    if (c1 > 0) hi = Math.max(hi, phiMax + 1e-9);
    else lo = Math.min(lo, -phiMax - 1e-9);
  }
  return [lo, hi];
}

const SUMMARY_MASK = Geodesic.LATITUDE | Geodesic.LONGITUDE | Geodesic.AZIMUTH | Geodesic.LONG_UNROLL;

/**
 * What the index needs of an edge, from one inverse solution and nothing kept: its unrolled
 * longitude change and its latitude range (including the geodesic's vertex when it passes it).
 */
export function edgeSummary(p: Position, q: Position): { dlon: number; latLo: number; latHi: number } {
  const r = GEOD.Inverse(p[1], p[0], q[1], q[0], SUMMARY_MASK);
  const [latLo, latHi] = edgeLatRange(p, q, r.azi1 as number, r.azi2 as number);
  return { dlon: (r.lon2 as number) - (r.lon1 as number), latLo, latHi };
}
