/**
 * The boxes a declaration takes in the spatio-temporal index: its geometry widened by its reach,
 * as one box per point and per polygon, but one box per edge (or per short run of edges) of a
 * line.
 *
 * Why per edge: one box around a whole route or air corridor (legs of 10–80 km) covers thousands
 * of km² the route never comes near, and every declaration in that square became a candidate of
 * every query crossing it. A box per edge follows the line. A polygon keeps one box: its interior
 * is part of it, and an edge's box would not cover the interior.
 *
 * Exactness: every point within `reach` of the line is within `reach` of one of its edges, and
 * each run's box holds every point within `reach` of that run (bbox.ts), so the union of the
 * boxes holds what the one box held near the line. A line of many edges is cut into at most
 * {@link MAX_RUNS} runs of consecutive edges, so that a route of 10,000 vertices costs 64 boxes,
 * not 10,000 (a run shares its end vertex with the next one).
 */
import { type Box, pointReachBoxes, reachBoxes } from './geodesy/bbox.ts';
import type { Geometry, Position } from './types.ts';

/** Runs per line at most (a line of fewer edges gets one box per edge). */
export const MAX_RUNS = 64;

/** The boxes that hold every point within `reach` metres of `g`. */
export function entryBoxes(g: Geometry, reach: number): Box[] {
  if (g.type === 'Point') return pointReachBoxes(g.coordinates as Position, reach);
  if (g.type !== 'LineString') return reachBoxes(g, reach);
  const coords = g.coordinates;
  const edges = coords.length - 1;
  if (edges <= 1) return reachBoxes(g, reach);
  const run = Math.ceil(edges / MAX_RUNS);
  const out: Box[] = [];
  for (let i = 0; i < edges; i += run) {
    const part = coords.slice(i, Math.min(i + run, edges) + 1);
    out.push(...reachBoxes({ type: 'LineString', coordinates: part }, reach));
  }
  return out;
}
