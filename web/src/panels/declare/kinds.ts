/** What each kind of declaration takes in the Declare panel, and the form's fields by name. */
import type { Kind } from '../../../../src/engine/types.ts';
import type { Geometry } from '../../map/api.ts';

/** What the console can draw or type for each kind (the parser also takes MultiPolygons). */
export const GEOMETRIES: Record<Kind, readonly Geometry['type'][]> = {
  area_of_responsibility: ['Polygon'],
  protected_site: ['Point', 'Polygon'],
  movement: ['LineString'],
  air_operation: ['Polygon', 'LineString'],
  strike: ['Point', 'Polygon'],
  // A zone may also be a corridor along a road (a line) or a circle (a point), with a buffer.
  restricted_zone: ['Polygon', 'LineString', 'Point'],
};

/** Kinds with an altitude band (required for an air operation). */
export const ALTITUDE_KINDS = new Set<Kind>(['air_operation', 'strike', 'restricted_zone']);

/** The draw buttons: a geometry type, the button's action name and label. */
export const DRAW: { mode: Geometry['type']; action: string; label: string }[] = [
  { mode: 'Point', action: 'draw-point', label: 'Point' },
  { mode: 'LineString', action: 'draw-line', label: 'Line' },
  { mode: 'Polygon', action: 'draw-polygon', label: 'Polygon' },
];

/** How to type the positions of a kind's geometry. */
export function positionHint(allowed: readonly Geometry['type'][]): string {
  if (allowed.includes('Point') && allowed.includes('LineString'))
    return 'Separated by ";": one position for a point, two for a line, three or more for a polygon (draw a longer line). Give a point or a line a buffer.';
  if (allowed.includes('Point')) return 'One position for a point; several separated by ";" for a polygon.';
  if (allowed.includes('LineString') && !allowed.includes('Polygon'))
    return 'Positions separated by ";" for the route.';
  if (allowed.includes('LineString'))
    return 'Positions separated by ";": two for a line, three or more for a polygon.';
  return 'Three or more positions separated by ";" for the polygon (closed for you).';
}

/** The fields a hub error path can name (`properties.end` → end; `geometry…` → geometry). */
export type Field =
  | 'kind'
  | 'geometry'
  | 'position'
  | 'buffer_m'
  | 'start'
  | 'end'
  | 'altitude'
  | 'category'
  | 'visibility'
  | 'applies_to'
  | 'ground_only'
  | 'label'
  | 'notes';

const PROPERTY_FIELDS = new Set<string>([
  'kind',
  'buffer_m',
  'start',
  'end',
  'altitude',
  'category',
  'visibility',
  'applies_to',
  'ground_only',
  'label',
  'notes',
]);

/** The field an error's path names, or null for one the form has no field for. */
export function fieldOf(path: string): Field | null {
  if (path.startsWith('geometry')) return 'geometry';
  const m = /^properties\.([a-z_]+)/.exec(path);
  if (m && PROPERTY_FIELDS.has(m[1] as string)) return m[1] as Field;
  return null;
}
