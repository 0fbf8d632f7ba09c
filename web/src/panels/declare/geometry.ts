/** Geometries typed in the Declare panel's position field, and the vertices the panel lists. */
import type { Kind } from '../../../../src/engine/types.ts';
import { readPlace } from '../../format.ts';
import type { AnyGeometry } from '../../geo/path.ts';
import { KIND_LABEL } from '../../labels.ts';
import { GEOMETRIES } from './kinds.ts';

type Position = [number, number];

/**
 * The geometry typed in the position field: one position is a point; several, separated by ";",
 * a line or a polygon as the kind allows (a polygon is closed for the user). Or why not.
 */
export function typedGeometry(typed: string, k: Kind): AnyGeometry | string {
  const text = typed.trim();
  if (text === '') return 'Type a position: lat, lon (46.1535, 21.304) or MGRS (34TER 45678 12345).';
  const parts = text.split(/\s*[;\n]\s*/).filter((s) => s !== '');
  const pts: Position[] = [];
  for (const [i, p] of parts.entries()) {
    try {
      pts.push(readPlace(p));
    } catch (e) {
      return `${parts.length > 1 ? `Position ${i + 1}: ` : ''}cannot read "${p}": ${messageOf(e)}`;
    }
  }
  const allowed = GEOMETRIES[k];
  const what = `a ${KIND_LABEL[k].toLowerCase()} is a ${allowed.join(' or ')}`;
  if (pts.length === 1) {
    if (allowed.includes('Point')) return { type: 'Point', coordinates: pts[0] };
    return `${what}: type several positions separated by ";", or draw it`;
  }
  if (allowed.includes('LineString') && (pts.length === 2 || !allowed.includes('Polygon'))) {
    return { type: 'LineString', coordinates: pts };
  }
  if (!allowed.includes('Polygon')) return what;
  const first = pts[0] as Position;
  const last = pts[pts.length - 1] as Position;
  const ring = first[0] === last[0] && first[1] === last[1] ? pts : [...pts, first];
  if (ring.length < 4) return 'a polygon needs at least three distinct corners';
  return { type: 'Polygon', coordinates: [ring] };
}

/** Why a geometry does not fit the kind ('' when it does). */
export function geometryWarning(g: AnyGeometry | null, k: Kind): string {
  const allowed = GEOMETRIES[k] as readonly string[];
  if (g === null || allowed.includes(g.type) || (g.type === 'MultiPolygon' && allowed.includes('Polygon')))
    return '';
  return `A ${KIND_LABEL[k].toLowerCase()} is a ${allowed.join(' or ')}, not a ${g.type}: draw or type it again.`;
}

/** A geometry's vertices (a ring's closing position is not a vertex of its own). */
export function verticesOf(g: AnyGeometry): Position[] {
  const c = g.coordinates;
  switch (g.type) {
    case 'Point':
      return [c as Position];
    case 'LineString':
      return c as Position[];
    case 'Polygon':
      return ((c as Position[][])[0] ?? []).slice(0, -1);
    case 'MultiPolygon':
      return (c as Position[][][]).flatMap((p) => (p[0] ?? []).slice(0, -1));
    default:
      return [];
  }
}

/** An error's message for the user (a parse error's first detail when it has details). */
export function messageOf(e: unknown): string {
  if (e instanceof Error) {
    const details = (e as { details?: { message: string }[] }).details;
    if (Array.isArray(details) && details[0]) return details[0].message;
    return e.message;
  }
  return String(e);
}
