/**
 * The hot spot of the hub benchmark (part 1, second phase): every client submits into one
 * 2 km × 2 km square that already holds 5,000 declarations, as when many operations overlap in
 * one place (drone traffic over a town, a front line's crossing point). Each submission's
 * candidates are then the whole square in space; only time tells them apart.
 *
 * The square: 2 km × 2 km at 31.5°E 46.5°N (inside the main theatre's box, on a hub of its own).
 * Preloaded: 5,000 declarations — 4,990 movements (a route of 2–4 points across the square, a
 * window of 15–90 min within 12 weeks) and 10 protected sites (points, buffer 0–100 m, the whole
 * 12 weeks). Each request: a strike Point (buffer 50–300 m, a window of 15–60 min within the 12
 * weeks) or, one in five, a movement like the preloaded ones. So a submission meets a handful of
 * conflicts, not thousands: many overlap in space, few in time.
 *
 * Afterwards every conflict the hub recorded is compared with a brute-force check
 * (test/support/brute-force.ts: every pair of the square's active declarations evaluated by the
 * engine's pair rule, no index): the same set, or the benchmark says MISSED / EXTRA.
 */

import { formatIsoUtc } from '../src/engine/index.ts';
import { intIn, type Rng, roundForJson, uniform } from './support.ts';

/** The square's south-west corner and its side in degrees (2 km: 0.018° of latitude, 0.026° of longitude at 46.5°N). */
const LON0 = 31.5;
const LAT0 = 46.5;
const DLAT = 2000 / 111_132;
const DLON = 2000 / (111_320 * Math.cos((LAT0 * Math.PI) / 180));
/** Twelve weeks, from the run's start. */
const SPAN_MS = 12 * 7 * 24 * 3_600_000;
export const HOTSPOT_PRELOAD = 5000;
export const HOTSPOT_SITES = 10;

type Feature = {
  type: 'Feature';
  geometry: { type: string; coordinates: unknown };
  properties: Record<string, unknown>;
};

const point = (rng: Rng): [number, number] => roundForJson(LON0 + rng() * DLON, LAT0 + rng() * DLAT);

/** A window of `min`–`max` minutes starting within the span, on the minute. */
function window(rng: Rng, t0: number, min: number, max: number): { start: string; end: string } {
  const start = t0 + 3_600_000 + Math.floor((rng() * SPAN_MS) / 60_000) * 60_000;
  return { start: formatIsoUtc(start), end: formatIsoUtc(start + intIn(rng, min, max) * 60_000) };
}

export function hotspotMovement(rng: Rng, t0: number): Feature {
  const n = intIn(rng, 2, 4);
  return {
    type: 'Feature',
    geometry: { type: 'LineString', coordinates: Array.from({ length: n }, () => point(rng)) },
    properties: { kind: 'movement', ...window(rng, t0, 15, 90), buffer_m: intIn(rng, 0, 50) },
  };
}

export function hotspotSite(rng: Rng, t0: number): Feature {
  return {
    type: 'Feature',
    geometry: { type: 'Point', coordinates: point(rng) },
    properties: {
      kind: 'protected_site',
      category: 'medical',
      start: formatIsoUtc(t0),
      end: formatIsoUtc(t0 + SPAN_MS + 2 * 3_600_000),
      buffer_m: intIn(rng, 0, 100),
    },
  };
}

/** One request of the hot-spot phase: a strike, or one in five a movement. */
export function hotspotRequest(rng: Rng, t0: number): Feature {
  if (rng() < 0.2) return hotspotMovement(rng, t0);
  return {
    type: 'Feature',
    geometry: { type: 'Point', coordinates: point(rng) },
    properties: { kind: 'strike', ...window(rng, t0, 15, 60), buffer_m: Math.round(uniform(rng, 50, 300)) },
  };
}

/** The preload: `HOTSPOT_SITES` sites, then movements, in FeatureCollections of 1,000. */
export function hotspotPreload(rng: Rng, t0: number): Feature[][] {
  const all: Feature[] = [];
  for (let i = 0; i < HOTSPOT_SITES; i++) all.push(hotspotSite(rng, t0));
  while (all.length < HOTSPOT_PRELOAD) all.push(hotspotMovement(rng, t0));
  const out: Feature[][] = [];
  for (let i = 0; i < all.length; i += 1000) out.push(all.slice(i, i + 1000));
  return out;
}
