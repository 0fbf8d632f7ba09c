/**
 * The Feature the Declare form describes, from a snapshot of its values, or the problems that
 * keep it from being sent (each with the hub's path of the field it concerns). No DOM.
 */
import type { Kind } from '../../../../src/engine/types.ts';
import { dtg, parseTime } from '../../format.ts';
import type { AnyGeometry } from '../../geo/path.ts';
import { messageOf } from './geometry.ts';
import { ALTITUDE_KINDS } from './kinds.ts';

/** The form's values, as typed. */
export interface FormValues {
  kind: Kind;
  geometry: AnyGeometry | null;
  buffer: string;
  start: string;
  end: string;
  /** The altitude band's floor and ceiling (NaN when empty). */
  lower: number;
  upper: number;
  reference: string;
  category: string;
  /** An area of responsibility held on the ground only (air operations over it are no incursion). */
  groundOnly: boolean;
  /** Visible to every party; else to `visibleTo` (and the declaring party). */
  visibleToAll: boolean;
  visibleTo: string[];
  appliesTo: string[];
  label: string;
  notes: string;
}

/** A declaration being amended. */
export interface Amending {
  id: string;
  version: number;
  /** Properties the form does not edit, carried over to the new version. */
  keep: Record<string, unknown>;
  /** The geometry as it was: a schedule stays valid only while the route does not change. */
  geometryJson: string;
}

/** A problem with the form, at the hub's path of its field. */
export interface Problem {
  path: string;
  message: string;
}

/** A typed time: ms, null when empty, or the reason it cannot be read. */
export function readTime(typed: string): { t: number | null; error?: string } {
  const text = typed.trim();
  if (text === '') return { t: null };
  try {
    return { t: parseTime(text) };
  } catch (e) {
    return { t: null, error: messageOf(e) };
  }
}

/** The Feature to submit for `party` (amending: carrying over what the form does not edit), or the problems. */
export function featureOf(
  v: FormValues,
  party: string,
  amending: Amending | null,
): { feature: unknown } | { problems: Problem[] } {
  const problems: Problem[] = [];
  const props: Record<string, unknown> = { kind: v.kind };
  if (v.geometry === null)
    problems.push({
      path: 'geometry',
      message: 'Choose a geometry: draw it on the map, or type a position and press Use.',
    });
  readBuffer(v.buffer, props, problems);
  readWindow(v.start, v.end, props, problems);
  readAltitude(v, props, problems);
  if (v.kind === 'protected_site' && v.category !== '') props.category = v.category;
  if (v.kind === 'restricted_zone' && v.appliesTo.length > 0) props.applies_to = [...v.appliesTo];
  if (v.kind === 'area_of_responsibility' && v.groundOnly) props.ground_only = true;
  // Nobody ticked: only our own party sees it (the hub wants a non-empty list).
  if (!v.visibleToAll) props.visibility = v.visibleTo.length > 0 ? [...v.visibleTo] : [party];
  if (v.label.trim() !== '') props.label = v.label.trim();
  if (v.notes.trim() !== '') props.notes = v.notes;
  if (amending) carryOver(props, amending, v);
  if (problems.length > 0) return { problems };
  return { feature: { type: 'Feature', geometry: v.geometry, properties: props } };
}

/** The buffer: metres, 0 or more (empty: the hub's default). */
function readBuffer(typed: string, props: Record<string, unknown>, problems: Problem[]): void {
  const b = typed.trim();
  if (b === '') return;
  const n = Number(b);
  if (!Number.isFinite(n) || n < 0)
    problems.push({ path: 'properties.buffer_m', message: 'The buffer is metres, 0 or more.' });
  else props.buffer_m = n;
}

/** The window: a start (required) and an end after it (empty: open-ended). */
function readWindow(start: string, end: string, props: Record<string, unknown>, problems: Problem[]): void {
  const s = readTime(start);
  if (s.error !== undefined) problems.push({ path: 'properties.start', message: s.error });
  else if (s.t === null)
    problems.push({
      path: 'properties.start',
      message: 'start is required (DTG like 231000ZNOV26, or ISO UTC).',
    });
  else props.start = new Date(s.t).toISOString();
  const e = readTime(end);
  if (e.error !== undefined) problems.push({ path: 'properties.end', message: e.error });
  else if (e.t !== null) {
    if (s.t !== null && e.t <= s.t)
      problems.push({ path: 'properties.end', message: `end ${dtg(e.t)} is not after start ${dtg(s.t)}` });
    props.end = new Date(e.t).toISOString();
  }
}

/** The altitude band, for the kinds that have one, when either bound is given. */
function readAltitude(v: FormValues, props: Record<string, unknown>, problems: Problem[]): void {
  if (!ALTITUDE_KINDS.has(v.kind) || (Number.isNaN(v.lower) && Number.isNaN(v.upper))) return;
  if (!Number.isFinite(v.lower) || !Number.isFinite(v.upper))
    problems.push({
      path: 'properties.altitude',
      message: 'Give both the floor and the ceiling, in metres.',
    });
  else props.altitude = { lower_m: v.lower, upper_m: v.upper, reference: v.reference };
}

/** What the form does not edit, carried over; a schedule only while the route is unchanged. */
function carryOver(props: Record<string, unknown>, amending: Amending, v: FormValues): void {
  const keep = { ...amending.keep };
  if (
    keep.schedule !== undefined &&
    (v.kind !== 'movement' || JSON.stringify(v.geometry) !== amending.geometryJson)
  )
    delete keep.schedule;
  Object.assign(props, { ...keep, ...props });
}
