/** What a click on the map selects, and whether the pointer is over something selectable. */
import type { MapGeoJSONFeature, Map as MapLibre, MapMouseEvent } from 'maplibre-gl';
import { areaOf, type Target } from './features.ts';
import { CONFLICT_LAYERS, FILL_LAYERS, LINE_LAYERS, PICKABLE, POINT_LAYERS } from './style.ts';

/**
 * The declaration or conflict under a click: a declaration's symbol first (a conflict's closest
 * point often sits on it), then a conflict's link, then lines, then the smallest area.
 */
export function pick(map: MapLibre, e: MapMouseEvent): Target | null {
  const found = around(map, e, 5, PICKABLE);
  const byLayer = (ids: string[]) => found.filter((f) => ids.includes(f.layer.id));
  const icon = byLayer(['decl-icon'])[0];
  if (icon && typeof icon.properties.id === 'string') return { type: 'declaration', id: icon.properties.id };
  const cf = byLayer(CONFLICT_LAYERS)[0];
  if (cf && typeof cf.properties.cid === 'string') return { type: 'conflict', id: cf.properties.cid };
  const direct = [...byLayer(POINT_LAYERS), ...byLayer(LINE_LAYERS)][0];
  if (direct && typeof direct.properties.id === 'string')
    return { type: 'declaration', id: direct.properties.id };
  let best: { id: string; area: number } | null = null;
  for (const f of byLayer(FILL_LAYERS)) {
    const id = f.properties.id;
    if (typeof id !== 'string') continue;
    const area = areaOf(id);
    if (!best || area < best.area) best = { id, area };
  }
  return best ? { type: 'declaration', id: best.id } : null;
}

/** Whether something a click would select (other than an area) is under the pointer. */
export function hovering(map: MapLibre, e: MapMouseEvent): boolean {
  return around(map, e, 3, [...CONFLICT_LAYERS, ...POINT_LAYERS, ...LINE_LAYERS]).length > 0;
}

/** The features of these layers (those the style has) within `r` pixels of the event. */
function around(map: MapLibre, e: MapMouseEvent, r: number, layers: string[]): MapGeoJSONFeature[] {
  return map.queryRenderedFeatures(
    [
      [e.point.x - r, e.point.y - r],
      [e.point.x + r, e.point.y + r],
    ],
    { layers: layers.filter((l) => map.getLayer(l)) },
  );
}
