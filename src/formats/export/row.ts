/**
 * A declaration as one flat row, shared by the CSV and XLSX exports (one column per property,
 * the geometry as WKT, and latitude/longitude/MGRS for points), and the conflicts' and alerts'
 * rows of the XLSX sheets.
 *
 * - Lists (visibility, notify, applies_to, schedule) are joined with `;` (no party id, id or
 *   ISO time contains one). `visibility` is `all`, or the parties' ids; an empty cell means the
 *   owner alone (sealed declarations are never exported).
 * - Times are ISO 8601 UTC as the API writes them, beside a Zulu date-time group (src/field/dtg.ts)
 *   for people; the DTG is truncated to the minute, the ISO time is exact.
 * - Coordinates are written as the hub stores them, not rounded (cells.ts writes them without
 *   exponent); the WKT is @terraformer/wkt's, also unrounded. MGRS (src/field/mgrs.ts) is to the
 *   metre, points only, and empty beyond 84° N / 80° S.
 */
import { geojsonToWKT } from '@terraformer/wkt';
import type { ConflictView, DeclarationFeature, SideView } from '../../api/declarations.ts';
import type { AlertView } from '../../api/watch.ts';
import { parseIsoUtc } from '../../engine/time.ts';
import { formatDtg } from '../../field/dtg.ts';
import { toMgrs } from '../../field/mgrs.ts';
import type { Cell } from './cells.ts';

export const DECLARATION_COLUMNS = [
  'id',
  'party',
  'kind',
  'label',
  'category',
  'start',
  'end',
  'start_dtg',
  'end_dtg',
  'buffer_m',
  'altitude_lower_m',
  'altitude_upper_m',
  'altitude_reference',
  'ground_only',
  'visibility',
  'notify',
  'applies_to',
  'schedule',
  'notes',
  'version',
  'status',
  'latitude',
  'longitude',
  'mgrs',
  'wkt',
] as const;

/** The numeric columns: written as numbers (cells.ts), never as text. */
export const NUMERIC_COLUMNS: ReadonlySet<string> = new Set([
  'buffer_m',
  'altitude_lower_m',
  'altitude_upper_m',
  'version',
  'latitude',
  'longitude',
]);

const list = (xs: readonly string[] | undefined): Cell => (xs === undefined ? null : xs.join(';'));

/** A Zulu DTG of an ISO time from the API (always well-formed there). */
function dtg(iso: string | null): Cell {
  if (iso === null) return null;
  const ms = parseIsoUtc(iso);
  return ms === null ? null : formatDtg(ms);
}

/** `visibility` as one text: `all`, or the parties joined with `;`. */
export function visibilityText(v: DeclarationFeature['properties']['visibility']): string {
  return typeof v === 'string' ? v : v.join(';');
}

/** A declaration's row, in the order of DECLARATION_COLUMNS. */
export function declarationRow(f: DeclarationFeature): Cell[] {
  const p = f.properties;
  const point = f.geometry.type === 'Point' ? (f.geometry.coordinates as [number, number]) : null;
  const cells: Record<(typeof DECLARATION_COLUMNS)[number], Cell> = {
    id: p.id,
    party: p.party,
    kind: p.kind,
    label: p.label ?? null,
    category: p.category ?? null,
    start: p.start,
    end: p.end,
    start_dtg: dtg(p.start),
    end_dtg: dtg(p.end),
    buffer_m: p.buffer_m,
    altitude_lower_m: p.altitude?.lower_m ?? null,
    altitude_upper_m: p.altitude?.upper_m ?? null,
    altitude_reference: p.altitude?.reference ?? null,
    ground_only: p.ground_only === undefined ? null : String(p.ground_only),
    visibility: visibilityText(p.visibility),
    notify: list(p.notify),
    applies_to: list(p.applies_to),
    schedule: list(p.schedule),
    notes: p.notes ?? null,
    version: p.version,
    status: p.status,
    latitude: point ? point[1] : null,
    longitude: point ? point[0] : null,
    mgrs: point ? toMgrs(point[0], point[1], 5) || null : null,
    wkt: geojsonToWKT(f.geometry),
  };
  return DECLARATION_COLUMNS.map((c) => cells[c]);
}

export const CONFLICT_COLUMNS = [
  'id',
  'rule',
  'severity',
  'status',
  'internal',
  'a',
  'a_party',
  'b',
  'b_party',
  'start',
  'end',
  'distance_m',
  'detected_at',
] as const;

/** A side by its id, or `hidden` when the viewer may not see it. */
const sideId = (s: SideView): string => ('id' in s ? s.id : 'hidden');

export function conflictRow(c: ConflictView): Cell[] {
  return [
    c.id,
    c.rule,
    c.severity,
    c.status,
    String(c.internal),
    sideId(c.a),
    c.a.party,
    sideId(c.b),
    c.b.party,
    c.window.start,
    c.window.end,
    c.distance_m ?? null,
    c.detected_at,
  ];
}

export const ALERT_COLUMNS = [
  'id',
  'subject_type',
  'subject',
  'precedence',
  'status',
  'level',
  'due_at',
  'starts_at',
  'created_at',
] as const;

export function alertRow(a: AlertView): Cell[] {
  return [
    a.id,
    a.subject_type,
    a.subject,
    a.precedence,
    a.status,
    a.level,
    a.due_at,
    a.starts_at,
    a.created_at,
  ];
}

/** Numeric columns of the conflicts sheet. */
export const CONFLICT_NUMERIC: ReadonlySet<string> = new Set(['distance_m']);
