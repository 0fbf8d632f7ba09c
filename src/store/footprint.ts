/**
 * What the store indexes about one declaration version so that the declaration list is filtered
 * in SQL: who may see it in clear (docs/design.md §8, the rule of `canSee` in `hub/views.ts`) and where
 * it is (its boxes). Pure: the SQLite adapter writes these rows on insert, and migration 0002
 * writes them for the versions stored before it.
 */
import { type Box, pointReachBoxes, reachBoxes } from '../engine/geodesy/bbox.ts';
import type { Declaration } from '../engine/types.ts';

/** How a version is shown besides to its owner: to every party, to none, or to `readers`. */
export type Shown = 'all' | 'sealed' | 'list';

export interface Footprint {
  readonly shown: Shown;
  /** The parties a `list` version is shown to (its owner sees it regardless). */
  readonly readers: readonly string[];
  /**
   * The declaration's own boxes (reach 0): conservative lon/lat boxes, west ≤ east, split at
   * the antimeridian — the same boxes the hub's list filtered on before the store did.
   */
  readonly boxes: readonly Box[];
}

/** The visibility and the boxes of a declaration, as the store indexes them. */
export function declarationFootprint(d: Declaration): Footprint {
  const boxes =
    d.geometry.type === 'Point' ? pointReachBoxes(d.geometry.coordinates, 0) : reachBoxes(d.geometry, 0);
  if (d.visibility === 'all' || d.visibility === 'sealed') return { shown: d.visibility, readers: [], boxes };
  return { shown: 'list', readers: [...new Set(d.visibility)], boxes };
}
