/**
 * Parse, don't validate: raw GeoJSON becomes typed, valid {@link Declaration}s here, once, or a
 * {@link DeconflictError} listing every problem found — each naming the feature (index and id),
 * the property path and what is wrong. A collection with one bad feature is rejected whole.
 * Nothing is repaired: an unclosed ring, a crossing ring, a local time are errors, not guesses.
 */
import Flatbush from 'flatbush';
import { DeconflictError, type EngineErrorCode as ErrorCode, type ErrorDetail } from './errors.ts';
import { DISTANCE_TOLERANCE_M, edgeEdge, pointEdge } from './geodesy/distance.ts';
import { type Edge, lineEdges } from './geodesy/shape.ts';
import { B, lowerBoundDistance } from './geodesy/wgs84.ts';
import { DECLARATION_ID_PATTERN, MAX_LOCAL_ID_LENGTH, type TextKind, textProblem } from './text.ts';
import { parseIsoUtc } from './time.ts';
import {
  type AltitudeBand,
  type Declaration,
  type Geometry,
  KINDS,
  type Kind,
  type Position,
  SITE_CATEGORIES,
  type SiteCategory,
  type Visibility,
} from './types.ts';

/** Limits on input; a hub may lower them. */
export interface ParseLimits {
  readonly maxFeatures: number;
  readonly maxVerticesPerGeometry: number;
  readonly maxBuffer_m: number;
  readonly maxTextLength: number;
}

export const DEFAULT_LIMITS: ParseLimits = {
  maxFeatures: 100_000,
  maxVerticesPerGeometry: 10_000,
  maxBuffer_m: 1_000_000,
  maxTextLength: 4_000,
};

/** The longest edge accepted: a quarter meridian, so the distance along an edge stays unimodal. */
export const MAX_EDGE_M = 10_000_000;

export interface ParseOptions {
  /** The caller's party: set on features without one; a different `party` is refused. */
  readonly party?: string;
  /** Id for a feature that has none (the hub assigns its own; the CLI uses `#index`). */
  readonly assignId?: (index: number) => string;
  /**
   * Declaration ids are per party (the hub sets this, with `party`): a local id `x` becomes
   * `<party>:x`, and an id that already has a party prefix must have the caller's. So no party
   * can choose an id that another party holds, and `id_exists` can only ever answer about the
   * caller's own declarations: an error reveals nothing of what the caller may not see.
   */
  readonly partyIds?: boolean;
  readonly limits?: Partial<ParseLimits>;
  /**
   * The owner's own side reading its sealed declarations (`deconflict agent seal`; the hub never
   * sets it): `visibility: "sealed"` is accepted, and such a declaration must end (its tokens
   * cover a finite window; docs/blind-matching.md).
   */
  readonly sealed?: boolean;
}

/** The geometry types each kind may take. */
export const GEOMETRIES_BY_KIND: Record<Kind, readonly Geometry['type'][]> = {
  area_of_responsibility: ['Polygon', 'MultiPolygon'],
  protected_site: ['Point', 'Polygon', 'MultiPolygon'],
  movement: ['LineString'],
  air_operation: ['Polygon', 'LineString'],
  strike: ['Point', 'Polygon'],
  // A zone along a road (LineString) or around a point (Point) is that geometry widened by its
  // buffer, which must then be positive (checked below).
  restricted_zone: ['Polygon', 'MultiPolygon', 'LineString', 'Point'],
};

const DECLARATION_PROPERTIES = new Set([
  'id',
  'kind',
  'party',
  'start',
  'end',
  'buffer_m',
  'altitude',
  'category',
  'schedule',
  'applies_to',
  'ground_only',
  'visibility',
  'notify',
  'label',
  'notes',
]);

/** simplestyle-spec keys that map tools write; accepted and ignored (they only colour a map). */
export const STYLE_PROPERTIES = new Set([
  'title',
  'description',
  'marker-size',
  'marker-symbol',
  'marker-color',
  'stroke',
  'stroke-opacity',
  'stroke-width',
  'fill',
  'fill-opacity',
]);

const ALTITUDE_KINDS = new Set<Kind>(['air_operation', 'strike', 'restricted_zone']);
const PARTY_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const DECLARATION_ID = new RegExp(DECLARATION_ID_PATTERN);
/** Properties of prose that may hold a line feed or a tab (text.ts); every other string is one line. */
const MULTILINE_PROPERTIES = new Set(['notes', 'description']);

type Json = unknown;

function isObject(x: Json): x is Record<string, Json> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Collects the problems of one feature. */
class Problems {
  readonly list: ErrorDetail[] = [];
  constructor(
    private readonly index: number,
    private id: string | undefined,
  ) {}
  setId(id: string): void {
    this.id = id;
  }
  add(code: ErrorCode, path: string, message: string): void {
    const feature = this.id === undefined ? { index: this.index } : { index: this.index, id: this.id };
    this.list.push({ code, feature, path, message });
  }
}

/**
 * A value as a message quotes it: JSON (which escapes control characters and lone surrogates),
 * cut at 60 characters without splitting a surrogate pair, so a message never carries text that
 * is not well-formed. A value nested too deep to serialize is described by its type.
 */
export function describe(x: Json): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(x);
  } catch {
    return Array.isArray(x) ? 'a deeply nested list' : 'a deeply nested object';
  }
  if (s === undefined) return String(x);
  if (s.length <= 60) return s;
  const cut = /[\uD800-\uDBFF]/.test(s.charAt(56)) ? 56 : 57;
  return `${s.slice(0, cut)}...`;
}

/**
 * Every string of a feature that the parser reads or quotes — its id, its geometry's type, the
 * names and values of its properties at any depth — obeys the text rules of text.ts. Checked
 * first: a feature with ill-formed text is reported for its text alone (its other problems are
 * named once the text is fixed), so that nothing later quotes that text back. Iterative, so a
 * deeply nested value cannot exhaust the stack.
 */
function checkText(f: Record<string, Json>, props: Record<string, Json>, problems: Problems): boolean {
  const before = problems.list.length;
  const check = (s: string, path: string, kind: TextKind): void => {
    const p = textProblem(s, kind);
    if (p !== null) problems.add('invalid_text', path, `${path} ${p}`);
  };
  const name = (key: string, path: string): boolean => {
    const p = textProblem(key);
    if (p !== null) problems.add('invalid_text', path, `a member name of ${path} ${p}`);
    return p === null;
  };
  if (typeof f.id === 'string') check(f.id, 'id', 'line');
  if (isObject(f.geometry) && typeof f.geometry.type === 'string')
    check(f.geometry.type, 'geometry.type', 'line');
  const queue: [Json, string, TextKind][] = [];
  for (const [k, v] of Object.entries(props)) {
    if (name(k, 'properties'))
      queue.push([v, `properties.${k}`, MULTILINE_PROPERTIES.has(k) ? 'multiline' : 'line']);
  }
  for (let i = 0; i < queue.length; i++) {
    const [v, path, kind] = queue[i] as [Json, string, TextKind];
    if (typeof v === 'string') check(v, path, kind);
    else if (Array.isArray(v)) {
      for (let j = 0; j < v.length; j++) queue.push([v[j], `${path}[${j}]`, kind]);
    } else if (isObject(v)) {
      for (const [k, x] of Object.entries(v)) if (name(k, path)) queue.push([x, `${path}.${k}`, kind]);
    }
  }
  return problems.list.length === before;
}

/** Parse a FeatureCollection (or one Feature) into declarations, or throw every problem found. */
export function parseDeclarations(input: Json, options: ParseOptions = {}): Declaration[] {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  let features: Json[];
  if (isObject(input) && input.type === 'FeatureCollection' && Array.isArray(input.features)) {
    features = input.features;
  } else if (isObject(input) && input.type === 'Feature') {
    features = [input];
  } else {
    throw new DeconflictError([
      {
        code: 'not_feature_collection',
        feature: null,
        path: '',
        message: 'expected a GeoJSON FeatureCollection with a "features" array, or one Feature',
      },
    ]);
  }
  if (features.length > limits.maxFeatures) {
    throw new DeconflictError([
      {
        code: 'too_many_features',
        feature: null,
        path: 'features',
        message: `${features.length} features; at most ${limits.maxFeatures} per submission`,
      },
    ]);
  }
  const out: Declaration[] = [];
  const errors: ErrorDetail[] = [];
  const seen = new Map<string, number>();
  features.forEach((f, index) => {
    const problems = new Problems(index, undefined);
    const d = parseFeature(f, index, options, limits, problems);
    if (d !== null) {
      const earlier = seen.get(d.id);
      if (earlier !== undefined) {
        problems.add('duplicate_id', 'properties.id', `id "${d.id}" is also used by feature ${earlier}`);
      } else {
        seen.set(d.id, index);
      }
    }
    if (problems.list.length > 0) errors.push(...problems.list);
    else if (d !== null) out.push(d);
  });
  if (errors.length > 0) throw new DeconflictError(errors);
  return out;
}

function parseFeature(
  f: Json,
  index: number,
  options: ParseOptions,
  limits: ParseLimits,
  problems: Problems,
): Declaration | null {
  if (!isObject(f) || f.type !== 'Feature') {
    problems.add('not_feature', '', `feature ${index} is not a GeoJSON Feature (type "Feature")`);
    return null;
  }
  const props = f.properties;
  if (!isObject(props)) {
    problems.add('missing_property', 'properties', 'a declaration needs a "properties" object');
    return null;
  }
  // 0. Text: no string the parser reads or quotes may be ill-formed (text.ts).
  if (!checkText(f, props, problems)) return null;
  // 1. Identity: id first, so every later problem names it.
  let id: string | undefined;
  const rawId = props.id ?? f.id;
  if (rawId !== undefined) {
    if (typeof rawId !== 'string' || !DECLARATION_ID.test(rawId)) {
      problems.add(
        'invalid_property',
        'properties.id',
        `id must be 1–${MAX_LOCAL_ID_LENGTH} of the characters A–Z a–z 0–9 . _ ~ - (optionally after "<party>:"), got ${describe(rawId)}`,
      );
    } else if (options.partyIds && options.party !== undefined) {
      id = partyId(options.party, rawId, problems);
      problems.setId(id);
    } else {
      id = rawId;
      problems.setId(id);
    }
  } else if (options.assignId) {
    id = options.assignId(index);
  } else {
    problems.add('missing_property', 'properties.id', 'id is required');
  }
  if (props.id !== undefined && f.id !== undefined && props.id !== f.id) {
    problems.add(
      'invalid_property',
      'id',
      `feature id ${describe(f.id)} differs from properties.id ${describe(props.id)}`,
    );
  }
  for (const key of Object.keys(props)) {
    if (!DECLARATION_PROPERTIES.has(key) && !STYLE_PROPERTIES.has(key)) {
      problems.add(
        'unknown_property',
        `properties.${key}`,
        `"${key}" is not a declaration property (a misspelt "buffer_m" would otherwise be ignored)`,
      );
    }
  }

  // 2. Kind and party.
  let kind: Kind | undefined;
  if (props.kind === undefined) problems.add('missing_property', 'properties.kind', 'kind is required');
  else if (typeof props.kind !== 'string' || !KINDS.includes(props.kind as Kind)) {
    problems.add(
      'unknown_kind',
      'properties.kind',
      `kind ${describe(props.kind)} is not one of ${KINDS.join(', ')}`,
    );
  } else kind = props.kind as Kind;

  let party: string | undefined;
  if (props.party === undefined) {
    if (options.party !== undefined) party = options.party;
    else problems.add('missing_property', 'properties.party', 'party is required');
  } else if (typeof props.party !== 'string' || !PARTY_ID.test(props.party)) {
    problems.add(
      'invalid_property',
      'properties.party',
      `party must be a party id (letters, digits, "-", "_", "."), got ${describe(props.party)}`,
    );
  } else if (options.party !== undefined && props.party !== options.party) {
    problems.add(
      'party_mismatch',
      'properties.party',
      `declared for party "${props.party}" but submitted by party "${options.party}"`,
    );
  } else party = props.party;

  // 3. Time window.
  const start = parseTime(props.start, 'properties.start', problems, true);
  const end = parseTime(props.end, 'properties.end', problems, false);
  if (start !== null && end !== null && end <= start) {
    problems.add(
      'window_empty',
      'properties.end',
      `end ${String(props.end)} is not after start ${String(props.start)}`,
    );
  }

  // 4. Buffer and altitude.
  let buffer_m = 0;
  if (props.buffer_m !== undefined) {
    const b = props.buffer_m;
    if (typeof b !== 'number' || !Number.isFinite(b) || b < 0 || b > limits.maxBuffer_m) {
      problems.add(
        'invalid_property',
        'properties.buffer_m',
        `buffer_m must be a number of metres from 0 to ${limits.maxBuffer_m}, got ${describe(b)}`,
      );
    } else buffer_m = b;
  }
  let altitude: AltitudeBand | undefined;
  if (props.altitude !== undefined) {
    if (kind !== undefined && !ALTITUDE_KINDS.has(kind)) {
      problems.add(
        'invalid_property',
        'properties.altitude',
        `altitude applies to air_operation, strike and restricted_zone, not ${kind}`,
      );
    } else altitude = parseAltitude(props.altitude, problems);
  } else if (kind === 'air_operation') {
    problems.add(
      'missing_altitude',
      'properties.altitude',
      'an air operation needs altitude {lower_m, upper_m, reference}',
    );
  }

  // 5. Kind-specific properties.
  let category: SiteCategory | undefined;
  if (props.category !== undefined) {
    if (kind !== undefined && kind !== 'protected_site') {
      problems.add(
        'invalid_property',
        'properties.category',
        `category applies to protected_site, not ${kind}`,
      );
    } else if (
      typeof props.category !== 'string' ||
      !SITE_CATEGORIES.includes(props.category as SiteCategory)
    ) {
      problems.add(
        'invalid_property',
        'properties.category',
        `category ${describe(props.category)} is not one of ${SITE_CATEGORIES.join(', ')}`,
      );
    } else category = props.category as SiteCategory;
  } else if (kind === 'protected_site') {
    problems.add(
      'missing_property',
      'properties.category',
      'a protected site needs a category (its severity depends on it)',
    );
  }
  let applies_to: string[] | undefined;
  if (props.applies_to !== undefined) {
    if (kind !== undefined && kind !== 'restricted_zone') {
      problems.add(
        'invalid_property',
        'properties.applies_to',
        `applies_to applies to restricted_zone, not ${kind}`,
      );
    } else applies_to = parsePartyList(props.applies_to, 'properties.applies_to', problems);
  }
  let ground_only: boolean | undefined;
  if (props.ground_only !== undefined) {
    if (kind !== undefined && kind !== 'area_of_responsibility') {
      problems.add(
        'invalid_property',
        'properties.ground_only',
        `ground_only applies to area_of_responsibility, not ${kind}`,
      );
    } else if (typeof props.ground_only !== 'boolean') {
      problems.add(
        'invalid_property',
        'properties.ground_only',
        `ground_only must be true or false, got ${describe(props.ground_only)}`,
      );
    } else ground_only = props.ground_only;
  }
  let notify: string[] | undefined;
  if (props.notify !== undefined) notify = parsePartyList(props.notify, 'properties.notify', problems);
  let visibility: Visibility = 'all';
  if (props.visibility !== undefined) {
    const v = props.visibility;
    if (v === 'all') visibility = 'all';
    else if (v === 'sealed' && options.sealed === true) {
      visibility = 'sealed';
      if (props.end === undefined || props.end === null)
        problems.add(
          'invalid_property',
          'properties.end',
          'a sealed declaration must end: its tokens cover a finite window (seal it again before it ends)',
        );
    } else if (v === 'sealed') {
      problems.add(
        'invalid_property',
        'properties.visibility',
        'sealed declarations take part only in blind matching and cannot carry a geometry in clear: seal it with `deconflict agent seal` (docs/blind-matching.md)',
      );
    } else {
      const list = parsePartyList(v, 'properties.visibility', problems);
      if (list !== undefined) visibility = list;
    }
  }
  const label = parseText(props.label, 'properties.label', 200, problems);
  const notes = parseText(props.notes, 'properties.notes', limits.maxTextLength, problems);

  // 6. Geometry.
  const geometry = parseGeometry(f.geometry, kind, limits, problems);
  if (
    kind === 'restricted_zone' &&
    (geometry?.type === 'Point' || geometry?.type === 'LineString') &&
    (props.buffer_m === undefined || props.buffer_m === 0)
  ) {
    // A line or a point without a width has no inside: nothing could enter it but by grazing
    // it, so a zone drawn that way is a mistake. Refuse it rather than guess a width. (A buffer
    // that is not a valid number is reported above already.)
    problems.add(
      props.buffer_m === undefined ? 'missing_property' : 'invalid_property',
      'properties.buffer_m',
      `a restricted zone drawn as a ${geometry.type} needs buffer_m > 0: ${geometry.type === 'Point' ? 'the radius of the circle' : 'the half-width of the corridor'} it stands for`,
    );
  }
  let schedule: number[] | undefined;
  if (props.schedule !== undefined) {
    if (kind !== undefined && kind !== 'movement') {
      problems.add('invalid_property', 'properties.schedule', `schedule applies to movement, not ${kind}`);
    } else schedule = parseSchedule(props.schedule, geometry, start, end, problems);
  }

  if (problems.list.length > 0 || id === undefined || kind === undefined || party === undefined) return null;
  if (start === null || geometry === null) return null;
  const d: Declaration = {
    id,
    kind,
    party,
    geometry,
    start,
    end,
    buffer_m,
    visibility,
    ...(altitude && { altitude }),
    ...(category && { category }),
    ...(schedule && { schedule }),
    ...(applies_to && { applies_to }),
    ...(ground_only !== undefined && { ground_only }),
    ...(notify && { notify }),
    ...(label !== undefined && { label }),
    ...(notes !== undefined && { notes }),
  };
  return d;
}

function parseTime(x: Json, path: string, problems: Problems, required: boolean): number | null {
  if (x === undefined) {
    if (required)
      problems.add('missing_property', path, `${path.split('.').pop()} is required (ISO 8601 UTC)`);
    return null;
  }
  if (typeof x !== 'string') {
    problems.add(
      'invalid_time',
      path,
      `expected an ISO 8601 UTC time like "2026-11-23T06:00:00Z", got ${describe(x)}`,
    );
    return null;
  }
  const t = parseIsoUtc(x);
  if (t === null) {
    problems.add(
      'invalid_time',
      path,
      `"${x}" is not an ISO 8601 UTC time like "2026-11-23T06:00:00Z" (Z or +00:00 required)`,
    );
  }
  return t;
}

function parseText(x: Json, path: string, max: number, problems: Problems): string | undefined {
  if (x === undefined) return undefined;
  if (typeof x !== 'string' || x.length > max) {
    problems.add('invalid_property', path, `expected text of at most ${max} characters`);
    return undefined;
  }
  return x;
}

function parsePartyList(x: Json, path: string, problems: Problems): string[] | undefined {
  if (
    !Array.isArray(x) ||
    x.length === 0 ||
    x.length > 1000 ||
    !x.every((p) => typeof p === 'string' && PARTY_ID.test(p))
  ) {
    problems.add('invalid_property', path, `expected a non-empty list of party ids, got ${describe(x)}`);
    return undefined;
  }
  return [...new Set(x as string[])];
}

function parseAltitude(x: Json, problems: Problems): AltitudeBand | undefined {
  const path = 'properties.altitude';
  if (!isObject(x)) {
    problems.add('invalid_property', path, 'altitude must be {lower_m, upper_m, reference}');
    return undefined;
  }
  const { lower_m, upper_m, reference } = x;
  let ok = true;
  for (const [k, v] of [
    ['lower_m', lower_m],
    ['upper_m', upper_m],
  ] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > 100_000) {
      problems.add(
        'invalid_property',
        `${path}.${k}`,
        `${k} must be metres between -100000 and 100000, got ${describe(v)}`,
      );
      ok = false;
    }
  }
  if (reference !== 'AMSL' && reference !== 'AGL') {
    problems.add(
      'invalid_property',
      `${path}.reference`,
      `reference must be "AMSL" or "AGL", got ${describe(reference)}`,
    );
    ok = false;
  }
  for (const k of Object.keys(x)) {
    if (k !== 'lower_m' && k !== 'upper_m' && k !== 'reference') {
      problems.add('unknown_property', `${path}.${k}`, `"${k}" is not part of an altitude band`);
      ok = false;
    }
  }
  if (!ok) return undefined;
  if ((lower_m as number) > (upper_m as number)) {
    problems.add('altitude_inverted', path, `lower_m ${String(lower_m)} is above upper_m ${String(upper_m)}`);
    return undefined;
  }
  return { lower_m: lower_m as number, upper_m: upper_m as number, reference: reference as 'AMSL' | 'AGL' };
}

function parseSchedule(
  x: Json,
  geometry: Geometry | null,
  start: number | null,
  end: number | null,
  problems: Problems,
): number[] | undefined {
  const path = 'properties.schedule';
  if (!Array.isArray(x)) {
    problems.add(
      'invalid_property',
      path,
      'schedule must be a list of ISO 8601 UTC times, one per route vertex',
    );
    return undefined;
  }
  const times: number[] = [];
  let ok = true;
  x.forEach((t, i) => {
    const v = parseTime(t, `${path}[${i}]`, problems, true);
    if (v === null) ok = false;
    else times.push(v);
  });
  if (!ok) return undefined;
  if (geometry !== null && geometry.type === 'LineString' && times.length !== geometry.coordinates.length) {
    problems.add(
      'schedule_mismatch',
      path,
      `${times.length} times for a route of ${geometry.coordinates.length} vertices`,
    );
    return undefined;
  }
  for (let i = 1; i < times.length; i++) {
    if ((times[i] as number) <= (times[i - 1] as number)) {
      problems.add('schedule_order', `${path}[${i}]`, `time ${i} is not after time ${i - 1}`);
      return undefined;
    }
  }
  const first = times[0];
  const last = times[times.length - 1];
  if (start !== null && first !== undefined && first < start) {
    problems.add('schedule_outside_window', `${path}[0]`, 'the first time is before start');
    return undefined;
  }
  if (end !== null && last !== undefined && last > end) {
    problems.add('schedule_outside_window', `${path}[${times.length - 1}]`, 'the last time is after end');
    return undefined;
  }
  return times;
}

// --- Geometry -------------------------------------------------------------------------------

function parsePosition(x: Json, path: string, problems: Problems): Position | null {
  if (
    !Array.isArray(x) ||
    x.length !== 2 ||
    typeof x[0] !== 'number' ||
    typeof x[1] !== 'number' ||
    !Number.isFinite(x[0]) ||
    !Number.isFinite(x[1])
  ) {
    problems.add(
      'invalid_geometry',
      path,
      `a position is [longitude, latitude] in degrees (heights go in "altitude"), got ${describe(x)}`,
    );
    return null;
  }
  const [lon, lat] = x as [number, number];
  if (lon < -180 || lon > 180 || lat < -90 || lat > 90) {
    problems.add(
      'coordinate_out_of_range',
      path,
      `[${lon}, ${lat}] is outside longitude [-180, 180] / latitude [-90, 90]`,
    );
    return null;
  }
  return [lon, lat];
}

function parsePositions(x: Json, path: string, problems: Problems): Position[] | null {
  if (!Array.isArray(x)) {
    problems.add('invalid_geometry', path, 'expected a list of positions');
    return null;
  }
  const out: Position[] = [];
  let ok = true;
  x.forEach((p, i) => {
    const pos = parsePosition(p, `${path}[${i}]`, problems);
    if (pos === null) ok = false;
    else out.push(pos);
  });
  return ok ? out : null;
}

/** Checks shared by lines and rings: distinct consecutive vertices, no poles, edge lengths. */
function checkPath(coords: readonly Position[], path: string, problems: Problems): Edge[] | null {
  for (let i = 0; i < coords.length; i++) {
    const p = coords[i] as Position;
    if (Math.abs(p[1]) === 90) {
      problems.add(
        'pole_vertex',
        `${path}[${i}]`,
        'a vertex at a pole has no longitude; place it off the pole',
      );
      return null;
    }
    const q = coords[i + 1];
    if (q !== undefined && q[0] === p[0] && q[1] === p[1]) {
      problems.add('degenerate_edge', `${path}[${i + 1}]`, `position ${i + 1} repeats position ${i}`);
      return null;
    }
  }
  const edges = lineEdges(coords);
  for (let i = 0; i < edges.length; i++) {
    const e = edges[i] as Edge;
    if (e.len > MAX_EDGE_M) {
      problems.add(
        'edge_too_long',
        `${path}[${i + 1}]`,
        `the edge from position ${i} is ${Math.round(e.len / 1000)} km long; split it (at most ${MAX_EDGE_M / 1000} km)`,
      );
      return null;
    }
    if (Math.abs(e.dlon) >= 179.999999) {
      problems.add(
        'pole_vertex',
        `${path}[${i + 1}]`,
        `the edge from position ${i} passes over a pole; split it`,
      );
      return null;
    }
  }
  return edges;
}

function edgesTouch(e: Edge, f: Edge): boolean {
  if (lowerBoundDistance(e.mid, f.mid) - e.len / 2 - f.len / 2 > DISTANCE_TOLERANCE_M) return false;
  return edgeEdge(e, f).d <= DISTANCE_TOLERANCE_M;
}

const DEG = Math.PI / 180;
/** Relative slack on an edge's reach, for the rounding of lowerBoundDistance (see edgeReachBoxes). */
const REACH_REL = 1e-9;
/** Absolute slack on an edge's reach in radians (0.06 mm), for the rounding of the box arithmetic. */
const REACH_ABS = 1e-11;

/**
 * Pushes onto `out` boxes [minLon, minLat, maxLon, maxLat] (degrees) that together hold every
 * point a pair of edges could share when {@link edgesTouch} gets past its first test, so that
 * two edges whose boxes do not meet need no test at all. The boxes are in geocentric longitude
 * and latitude of directions (the coordinates of `Edge.mid`, a point of the unit sphere): the
 * index is private to the ring checks, so only the consistency of these coordinates matters.
 *
 * Why no pair is missed. The first test of edgesTouch passes only when the computed
 * `B · θ · (1 − 1e-12)` (θ the angle between e.mid and f.mid) is at most
 * `e.len/2 + f.len/2 + DISTANCE_TOLERANCE_M`. Its rounding is a few ulps relative, plus about
 * 1e-15 rad absolute (the unit vectors' norms are 1 to within 2 ulps); REACH_REL (1e-9, 10 µm
 * on the longest edge) and REACH_ABS (1e-11 rad, 0.06 mm) are orders of magnitude above both,
 * so then θ ≤ ρ_e + ρ_f with the reach
 * `ρ = (len/2 + DISTANCE_TOLERANCE_M/2) · (1 + REACH_REL) / B + REACH_ABS` of each edge.
 * Two caps of the unit sphere whose centres are θ ≤ ρ_e + ρ_f apart share a point P (on the arc
 * between the centres, min(ρ_e, θ) from e's), and each edge's boxes hold its whole cap:
 * - latitude: no point within angle ρ of the centre differs from it in latitude by more than ρ
 *   (latitude changes no faster than arc length on the unit sphere);
 * - longitude: the shortest arc from the centre to such a point stays within ρ of the centre,
 *   so its |latitude| is at most `reach = |ψ| + ρ`, and an arc that stays poleward of no more
 *   than `reach` is at least `cos(reach) · |Δλ|` long: the unrolled longitude changes by at most
 *   `ρ / cos(reach)`. A cap that reaches a pole (`reach` within 1e-6° of 90°) takes every
 *   longitude;
 * - antimeridian: the unrolled interval [λ − dLon, λ + dLon] is cut into its shifts by −360°, 0
 *   and 360° clipped to [−180°, 180°], so every representative in [−180°, 180°] of every longitude
 *   in it is in a box; P's longitude then has the same representative in a box of each edge,
 *   even at ±180°, and those two boxes meet (flatbush counts boxes that only touch as meeting).
 * The rounding of the centre's atan2s (1e-16 rad, over cos ψ for the longitude) and of the
 * conversions to degrees is far below REACH_ABS, which the longitude radius scales by
 * 1/cos(reach) ≥ 1/cos ψ as well.
 */
function edgeReachBoxes(e: Edge, out: number[]): void {
  const [x, y, z] = e.mid as [number, number, number];
  const rho = ((e.len / 2 + DISTANCE_TOLERANCE_M / 2) * (1 + REACH_REL)) / B + REACH_ABS;
  const psi = Math.atan2(z, Math.hypot(x, y)) / DEG;
  const lambda = Math.atan2(y, x) / DEG;
  const dLat = rho / DEG;
  const latLo = Math.max(-90, psi - dLat);
  const latHi = Math.min(90, psi + dLat);
  const reach = Math.abs(psi) + dLat;
  const dLon = reach >= 90 - 1e-6 ? 180 : rho / Math.cos(reach * DEG) / DEG;
  if (dLon >= 180) {
    out.push(-180, latLo, 180, latHi);
    return;
  }
  for (const shift of [-360, 0, 360]) {
    const lo = Math.max(-180, lambda - dLon + shift);
    const hi = Math.min(180, lambda + dLon + shift);
    if (lo <= hi) out.push(lo, latLo, hi, latHi);
  }
}

/**
 * A packed R-tree (flatbush, as in stindex.ts) over the reach boxes of edges, so that the ring
 * checks test only the pairs whose boxes meet instead of every pair: O(n log n) for rings whose
 * edges are short beside the ring, as drawn rings are. Long edges close together (a comb of
 * long teeth) still give many pairs: as many as edgesTouch's first test would let through.
 */
class EdgeIndex {
  private readonly tree: Flatbush;
  /** The boxes, 4 numbers each; edge k owns boxes first[k] to first[k + 1] − 1. */
  private readonly boxes: Float64Array;
  private readonly first: Int32Array;
  /** The edge of each box (an edge near the antimeridian has two or three). */
  private readonly owner: Int32Array;

  constructor(edges: readonly Edge[]) {
    const boxes: number[] = [];
    const owner: number[] = [];
    this.first = new Int32Array(edges.length + 1);
    for (let k = 0; k < edges.length; k++) {
      this.first[k] = owner.length;
      edgeReachBoxes(edges[k] as Edge, boxes);
      while (owner.length < boxes.length / 4) owner.push(k);
    }
    this.first[edges.length] = owner.length;
    this.boxes = Float64Array.from(boxes);
    this.owner = Int32Array.from(owner);
    this.tree = new Flatbush(owner.length);
    for (let i = 0; i < owner.length; i++) {
      this.tree.add(
        this.boxes[4 * i] as number,
        this.boxes[4 * i + 1] as number,
        this.boxes[4 * i + 2] as number,
        this.boxes[4 * i + 3] as number,
      );
    }
    this.tree.finish();
  }

  /** The edges numbered `from` or more whose boxes meet edge k's, ascending, each once. */
  near(k: number, from: number): number[] {
    const { boxes, owner } = this;
    const keep = (i: number): boolean => (owner[i] as number) >= from;
    const out: number[] = [];
    for (let b = this.first[k] as number; b < (this.first[k + 1] as number); b++) {
      for (const i of this.tree.search(
        boxes[4 * b] as number,
        boxes[4 * b + 1] as number,
        boxes[4 * b + 2] as number,
        boxes[4 * b + 3] as number,
        keep,
      )) {
        out.push(owner[i] as number);
      }
    }
    out.sort((a, b) => a - b);
    return out.filter((j, at) => at === 0 || j !== out[at - 1]);
  }
}

/**
 * A ring's edges must meet only their neighbours, and only at the shared vertex. Returns the
 * first offending pair in the order of a scan of every pair (i ascending, the neighbour check
 * first, then j ascending): the index only leaves out pairs that edgesTouch would refuse.
 */
function ringSelfIntersection(edges: readonly Edge[]): [number, number] | null {
  const n = edges.length;
  const index = new EdgeIndex(edges);
  for (let i = 0; i < n; i++) {
    const e = edges[i] as Edge;
    const next = edges[(i + 1) % n] as Edge;
    // Neighbours fold back onto each other (a spike): an endpoint lies on the other edge.
    if (pointEdge(next.b, e).d <= DISTANCE_TOLERANCE_M || pointEdge(e.a, next).d <= DISTANCE_TOLERANCE_M) {
      return [i, (i + 1) % n];
    }
    for (const j of index.near(i, i + 2)) {
      if (i === 0 && j === n - 1) continue;
      if (edgesTouch(e, edges[j] as Edge)) return [i, j];
    }
  }
  return null;
}

/**
 * The first pair of rings r < s (r ascending, then s) with edges that cross or touch, or null.
 * Every ring's edges go in one index, numbered ring after ring, so the edges of later rings
 * near an edge come in ring order.
 */
function ringsTouch(ringEdges: readonly (readonly Edge[])[]): [number, number] | null {
  if (ringEdges.length < 2) return null;
  const all = ringEdges.flat();
  const ringOf = ringEdges.flatMap((edges, r) => edges.map(() => r));
  const index = new EdgeIndex(all);
  let start = 0;
  for (let r = 0; r < ringEdges.length; r++) {
    const end = start + (ringEdges[r] as readonly Edge[]).length;
    // The least ring s found so far that ring r touches; only rings before it are still looked at.
    let first = ringEdges.length;
    for (let k = start; k < end; k++) {
      for (const j of index.near(k, end)) {
        const s = ringOf[j] as number;
        if (s >= first) break;
        if (edgesTouch(all[k] as Edge, all[j] as Edge)) {
          first = s;
          break;
        }
      }
    }
    if (first < ringEdges.length) return [r, first];
    start = end;
  }
  return null;
}

function parseRings(x: Json, path: string, problems: Problems): Position[][] | null {
  if (!Array.isArray(x) || x.length === 0) {
    problems.add('invalid_geometry', path, 'a polygon is a non-empty list of rings');
    return null;
  }
  const rings: Position[][] = [];
  const ringEdges: Edge[][] = [];
  for (let r = 0; r < x.length; r++) {
    const rp = `${path}[${r}]`;
    const ring = parsePositions(x[r], rp, problems);
    if (ring === null) return null;
    if (ring.length < 4) {
      problems.add(
        'ring_too_short',
        rp,
        `a ring needs at least 4 positions (3 corners and the closing one), got ${ring.length}`,
      );
      return null;
    }
    const first = ring[0] as Position;
    const last = ring[ring.length - 1] as Position;
    if (first[0] !== last[0] || first[1] !== last[1]) {
      problems.add(
        'ring_not_closed',
        rp,
        `the last position [${last.join(', ')}] must repeat the first [${first.join(', ')}]`,
      );
      return null;
    }
    const edges = checkPath(ring, rp, problems);
    if (edges === null) return null;
    const hit = ringSelfIntersection(edges);
    if (hit !== null) {
      problems.add('ring_self_intersection', rp, `edges ${hit[0]} and ${hit[1]} of the ring cross or touch`);
      return null;
    }
    rings.push(ring);
    ringEdges.push(edges);
  }
  const touch = ringsTouch(ringEdges);
  if (touch !== null) {
    const [r, s] = touch;
    problems.add('ring_self_intersection', `${path}[${s}]`, `ring ${s} crosses or touches ring ${r}`);
    return null;
  }
  return rings;
}

function countVertices(g: Geometry): number {
  switch (g.type) {
    case 'Point':
      return 1;
    case 'LineString':
      return g.coordinates.length;
    case 'Polygon':
      return g.coordinates.reduce((n, r) => n + r.length, 0);
    case 'MultiPolygon':
      return g.coordinates.reduce((n, p) => n + p.reduce((m, r) => m + r.length, 0), 0);
  }
}

function rawVertexCount(x: Json, depth: number): number {
  if (!Array.isArray(x)) return 0;
  if (depth === 0) return x.length;
  return x.reduce((n: number, y: Json) => n + rawVertexCount(y, depth - 1), 0);
}

function parseGeometry(
  x: Json,
  kind: Kind | undefined,
  limits: ParseLimits,
  problems: Problems,
): Geometry | null {
  const path = 'geometry';
  if (!isObject(x) || typeof x.type !== 'string') {
    problems.add('invalid_geometry', path, 'a declaration needs a GeoJSON geometry');
    return null;
  }
  const type = x.type;
  if (!['Point', 'LineString', 'Polygon', 'MultiPolygon'].includes(type)) {
    problems.add(
      'invalid_geometry',
      `${path}.type`,
      `geometry type "${type}" is not used by declarations (Point, LineString, Polygon, MultiPolygon)`,
    );
    return null;
  }
  if (kind !== undefined && !GEOMETRIES_BY_KIND[kind].includes(type as Geometry['type'])) {
    problems.add(
      'wrong_geometry_for_kind',
      `${path}.type`,
      `a ${kind} is a ${GEOMETRIES_BY_KIND[kind].join(' or ')}, not a ${type}`,
    );
    return null;
  }
  const depth = { Point: -1, LineString: 0, Polygon: 1, MultiPolygon: 2 }[type] as number;
  if (depth >= 0 && rawVertexCount(x.coordinates, depth) > limits.maxVerticesPerGeometry) {
    problems.add(
      'too_many_vertices',
      `${path}.coordinates`,
      `more than ${limits.maxVerticesPerGeometry} vertices in one geometry`,
    );
    return null;
  }
  const cp = `${path}.coordinates`;
  let g: Geometry | null = null;
  switch (type) {
    case 'Point': {
      const p = parsePosition(x.coordinates, cp, problems);
      if (p !== null) g = { type, coordinates: p };
      break;
    }
    case 'LineString': {
      const line = parsePositions(x.coordinates, cp, problems);
      if (line === null) break;
      if (line.length < 2) {
        problems.add('degenerate_edge', cp, 'a line needs at least two positions');
        break;
      }
      if (checkPath(line, cp, problems) !== null) g = { type, coordinates: line };
      break;
    }
    case 'Polygon': {
      const rings = parseRings(x.coordinates, cp, problems);
      if (rings !== null) g = { type, coordinates: rings };
      break;
    }
    case 'MultiPolygon': {
      if (!Array.isArray(x.coordinates) || x.coordinates.length === 0) {
        problems.add('invalid_geometry', cp, 'a MultiPolygon is a non-empty list of polygons');
        break;
      }
      const polys: Position[][][] = [];
      for (let i = 0; i < x.coordinates.length; i++) {
        const rings = parseRings(x.coordinates[i], `${cp}[${i}]`, problems);
        if (rings === null) return null;
        polys.push(rings);
      }
      g = { type, coordinates: polys };
      break;
    }
  }
  if (g !== null && countVertices(g) > limits.maxVerticesPerGeometry) return null;
  return g;
}

/**
 * The id a party's declaration is stored under: `<party>:<local>`. A party id has no colon
 * (PARTY_ID), so the part before the first colon always names the owner.
 */
function partyId(party: string, raw: string, problems: Problems): string {
  const colon = raw.indexOf(':');
  if (colon < 0) return `${party}:${raw}`;
  if (raw.slice(0, colon) !== party) {
    problems.add(
      'party_mismatch',
      'properties.id',
      `id "${raw}" has the prefix "${raw.slice(0, colon)}:", not your party's: give a local id ("x", stored as "${party}:x") or "${party}:x"`,
    );
  } else if (colon === raw.length - 1) {
    problems.add('invalid_property', 'properties.id', `id "${raw}" has nothing after "${party}:"`);
  }
  return raw;
}
