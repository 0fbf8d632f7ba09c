/**
 * Properties written by map tools rather than by us, made ready for mapping.ts: the ones shared
 * by KML (as @tmcw/togeojson reads it) and by GeoJSON converted from KML by GDAL or QGIS.
 *
 * - KML's own `<visibility>` (shown or hidden in the tree: `true`/`false`, GDAL's 0, 1 or -1) is
 *   dropped: it is not the declaration's `visibility` ("all" or parties), which is kept;
 * - `timespan: {begin, end}` (togeojson) is read as `begin`/`end`, and an empty one is absent;
 * - everything else no target names (styleUrl, tessellate, extrude, altitudeMode, drawOrder,
 *   icon, stroke, fill…) is ignored by the mapping and listed in the answer.
 * A feature of ours that is a conflict, not a declaration (it has a `rule` and no `kind`), is
 * skipped and listed as skipped.
 */
import type { Raw } from './mapping.ts';

const KML_VISIBILITY = new Set(['0', '1', '-1', 'true', 'false']);

/** The values of a foreign feature's properties, or null when it is one of our conflicts. */
export function foreignValues(props: Record<string, unknown> | null | undefined): Map<string, Raw> | null {
  const values = new Map<string, Raw>();
  for (const [k, v] of Object.entries(props ?? {})) {
    if (k.toLowerCase() === 'visibility' && (typeof v !== 'string' || KML_VISIBILITY.has(v.trim()))) {
      if (typeof v !== 'object' || v === null) continue;
    }
    if (k === 'timespan' && typeof v === 'object' && v !== null) {
      const span = v as { begin?: unknown; end?: unknown };
      if (typeof span.begin === 'string' && span.begin !== '') values.set('begin', span.begin);
      if (typeof span.end === 'string' && span.end !== '') values.set('end', span.end);
      continue;
    }
    values.set(k, v as Raw);
  }
  const has = (name: string): boolean => [...values.keys()].some((k) => k.toLowerCase() === name);
  if (has('rule') && !has('kind')) return null;
  return values;
}
