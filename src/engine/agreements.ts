/**
 * Agreements (docs/agreements.md): parsing an agreement's terms, the breaches of its terms by a
 * declaration, and the conflicts its permissions lift. Pure, like the rest of the engine.
 *
 * - {@link parseAgreement} validates the format of docs/agreements.md §1. A term's geometry goes
 *   through the declaration parser itself (as the geometry of a synthetic restricted zone), so a
 *   term's geometry is refused exactly when a declaration's would be, with the same codes.
 * - {@link breachesOf}: a term is a restricted zone of its geometry, window and buffer that binds
 *   some parties for some kinds of activity; a breach is the engine's `restricted` conflict with
 *   that zone ({@link evaluatePair}, the same geodesic, conservative arithmetic: never missed),
 *   renamed `agreement_breach`.
 * - {@link permits}: whether a permission lifts an `incursion`, decided conservatively by sampling
 *   the activity (may refuse to lift, never lifts wrongly).
 * - {@link boundUntil}: an agreement withdrawn with effect from a time binds until then.
 */

import { describe, parseDeclarations, STYLE_PROPERTIES } from './declaration.ts';
import { DeconflictError, type EngineErrorCode, type ErrorDetail } from './errors.ts';
import { DISTANCE_TOLERANCE_M, pointEdge, pointInShape, shapeDistanceWithin } from './geodesy/distance.ts';
import { type Shape, toShape } from './geodesy/shape.ts';
import { geocentricUnit, linePoint, lowerBoundDistance } from './geodesy/wgs84.ts';
import { evaluatePair, overlap, type Prepared } from './rules.ts';
import { prepare } from './stindex.ts';
import { textProblem } from './text.ts';
import { parseIsoUtc } from './time.ts';
import { coveredShape, makeTrack } from './track.ts';
import {
  type Conflict,
  DEFAULT_OPTIONS,
  type Declaration,
  type EngineOptions,
  type Geometry,
  type Kind,
  type Position,
  type Severity,
} from './types.ts';

export type TermKind = 'corridor' | 'pause' | 'pull_back' | 'area_of_responsibility' | 'permission';

export const TERM_KINDS: readonly TermKind[] = [
  'corridor',
  'pause',
  'pull_back',
  'area_of_responsibility',
  'permission',
];

/** The rule name of a breach. */
export const BREACH_RULE = 'agreement_breach';

/** A validated term. Times are epoch ms UTC. */
export interface Term {
  readonly id: string;
  readonly term: TermKind;
  /** Null only for a permission `within` a corridor. */
  readonly geometry: Geometry | null;
  readonly start: number;
  readonly end: number;
  /** Whom it binds or names (docs/agreements.md §1); defaults filled in: never empty. */
  readonly parties: readonly string[];
  readonly buffer_m: number;
  readonly label?: string;
  /** Permissions: the rule lifted (only 'incursion'), whose area may be entered, the corridor. */
  readonly rule?: 'incursion';
  readonly of?: string;
  readonly within?: string;
}

/** A validated agreement: its id is the hub's (or the file's index in `deconflict check`). */
export interface Agreement {
  readonly id: string;
  readonly name: string;
  readonly parties: readonly string[];
  readonly start: number;
  readonly end: number;
  readonly terms: readonly Term[];
}

export interface AgreementParseOptions {
  readonly id: string;
  /** Parties that exist (the hub's); absent: any party id is accepted (deconflict check). */
  readonly knownParties?: ReadonlySet<string>;
}

/** The pseudo declaration id of a term in conflicts: `agreement:<agreement id>/<term id>`. */
export function termRef(agreementId: string, termId: string): string {
  return `agreement:${agreementId}/${termId}`;
}

// --- Limits -------------------------------------------------------------------------------------

/** docs/agreements.md §1. */
export const AGREEMENT_LIMITS = {
  maxTerms: 100,
  maxNameLength: 200,
  minParties: 2,
  maxParties: 20,
  maxTermBuffer_m: 50_000,
  maxTermIdLength: 64,
  maxLabelLength: 200,
} as const;

/**
 * The spacing at which an activity is sampled to decide that it lies inside a permission's area
 * (docs/agreements.md §1): a permission may fail to lift a conflict by at most δ/2 of margin.
 */
export const PERMISSION_SAMPLE_SPACING_M = 50;

const AGREEMENT_MEMBERS = new Set(['name', 'parties', 'start', 'end', 'terms']);
const TERM_PROPERTIES = new Set([
  'id',
  'term',
  'start',
  'end',
  'parties',
  'buffer_m',
  'label',
  'rule',
  'of',
  'within',
]);
const PARTY_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const TERM_ID = new RegExp(`^[A-Za-z0-9._~-]{1,${AGREEMENT_LIMITS.maxTermIdLength}}$`);

/** The geometry types each kind of term may have (a permission `within` a corridor has none). */
const TERM_GEOMETRIES: Record<TermKind, readonly Geometry['type'][]> = {
  corridor: ['LineString', 'Polygon', 'MultiPolygon'],
  pause: ['Polygon', 'MultiPolygon'],
  pull_back: ['Polygon', 'MultiPolygon'],
  area_of_responsibility: ['Polygon', 'MultiPolygon'],
  permission: ['Polygon', 'MultiPolygon'],
};

// --- Parsing ------------------------------------------------------------------------------------

type Json = unknown;

function isObject(x: Json): x is Record<string, Json> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

type Feature = ErrorDetail['feature'];

class Problems {
  readonly list: ErrorDetail[] = [];
  add(code: EngineErrorCode, path: string, message: string, feature: Feature = null): void {
    this.list.push({ code, feature, path, message });
  }
}

function parseTime(x: Json, path: string, problems: Problems, feature: Feature): number | null {
  if (typeof x !== 'string') {
    problems.add(
      'invalid_time',
      path,
      `expected an ISO 8601 UTC time like "2026-12-08T06:00:00Z", got ${describe(x)}`,
      feature,
    );
    return null;
  }
  // Text that breaks the text rules is named as such before it is read as a time (as a
  // declaration's is), and never quoted back.
  const bad = textProblem(x, 'line');
  if (bad !== null) {
    problems.add('invalid_text', path, `${path} ${bad}`, feature);
    return null;
  }
  const t = parseIsoUtc(x);
  if (t === null) {
    problems.add(
      'invalid_time',
      path,
      `${describe(x)} is not an ISO 8601 UTC time like "2026-12-08T06:00:00Z" (Z or +00:00 required)`,
      feature,
    );
  }
  return t;
}

/**
 * Every string of a term — its feature id, its geometry's type, the names and values of its
 * properties at any depth — obeys the text rules (one line each). Iterative, so a deeply nested
 * value cannot exhaust the stack. False when any does not (each named).
 */
function termText(
  f: Record<string, Json>,
  props: Record<string, Json>,
  base: string,
  problems: Problems,
  feature: Feature,
): boolean {
  const before = problems.list.length;
  const check = (x: string, path: string): void => {
    const p = textProblem(x, 'line');
    if (p !== null) problems.add('invalid_text', path, `${path} ${p}`, feature);
  };
  const name = (key: string, path: string): boolean => {
    const p = textProblem(key);
    if (p !== null) problems.add('invalid_text', path, `a member name of ${path} ${p}`, feature);
    return p === null;
  };
  if (typeof f.id === 'string') check(f.id, `${base}.id`);
  if (isObject(f.geometry) && typeof f.geometry.type === 'string')
    check(f.geometry.type, `${base}.geometry.type`);
  const queue: [Json, string][] = [];
  for (const [k, v] of Object.entries(props))
    if (name(k, `${base}.properties`)) queue.push([v, `${base}.properties.${k}`]);
  for (let i = 0; i < queue.length; i++) {
    const [v, path] = queue[i] as [Json, string];
    if (typeof v === 'string') check(v, path);
    else if (Array.isArray(v)) for (let j = 0; j < v.length; j++) queue.push([v[j], `${path}[${j}]`]);
    else if (isObject(v))
      for (const [k, x] of Object.entries(v)) if (name(k, path)) queue.push([x, `${path}.${k}`]);
  }
  return problems.list.length === before;
}

/** One line of text, at most `max` characters, obeying the text rules (text.ts). */
function parseLine(
  x: Json,
  path: string,
  min: number,
  max: number,
  problems: Problems,
  feature: Feature,
): string | undefined {
  if (typeof x !== 'string' || x.length < min || x.length > max) {
    problems.add('invalid_property', path, `expected text of ${min}–${max} characters`, feature);
    return undefined;
  }
  const p = textProblem(x, 'line');
  if (p !== null) {
    problems.add('invalid_text', path, `${path} ${p}`, feature);
    return undefined;
  }
  return x;
}

/** Member names are checked before any message or path quotes them. */
function memberNames(
  obj: Record<string, Json>,
  path: string,
  allowed: (k: string) => boolean,
  what: string,
  problems: Problems,
  feature: Feature,
): boolean {
  let ok = true;
  for (const key of Object.keys(obj)) {
    const p = textProblem(key);
    if (p !== null) {
      problems.add('invalid_text', path, `a member name of ${path || 'the agreement'} ${p}`, feature);
      ok = false;
    } else if (!allowed(key)) {
      problems.add(
        'unknown_property',
        path === '' ? key : `${path}.${key}`,
        `"${key}" is not ${what} (a misspelt name would otherwise be ignored)`,
        feature,
      );
      ok = false;
    }
  }
  return ok;
}

/**
 * A term's geometry, validated by the declaration parser as the geometry of a restricted zone
 * (which takes every geometry type a term may have), so that the same geometry gets the same
 * codes in a declaration and in a term. Paths are re-rooted at the term.
 */
function parseTermGeometry(x: Json, base: string, problems: Problems, feature: Feature): Geometry | null {
  const synthetic = {
    type: 'Feature',
    geometry: x,
    properties: {
      id: 'term',
      kind: 'restricted_zone',
      party: 'agreement',
      start: '2000-01-01T00:00:00Z',
      // A line or a point zone needs a width; a term's width is checked on its own (its limit
      // differs), so the synthetic zone always has one.
      buffer_m: 1,
    },
  };
  try {
    const [d] = parseDeclarations(synthetic);
    return d?.geometry ?? null;
  } catch (err) {
    if (!(err instanceof DeconflictError)) throw err;
    for (const d of err.details as readonly ErrorDetail[]) {
      problems.add(d.code, d.path === '' ? base : `${base}.${d.path}`, d.message, feature);
    }
    return null;
  }
}

/** A list of party ids (duplicates dropped), or undefined after reporting what is wrong. */
function parsePartyList(
  x: Json,
  path: string,
  max: number,
  problems: Problems,
  feature: Feature,
): string[] | undefined {
  if (
    !Array.isArray(x) ||
    x.length === 0 ||
    x.length > max ||
    !x.every((p) => typeof p === 'string' && PARTY_ID.test(p))
  ) {
    problems.add(
      'invalid_property',
      path,
      `expected a list of 1–${max} party ids, got ${describe(x)}`,
      feature,
    );
    return undefined;
  }
  return [...new Set(x as string[])];
}

/** A term as read, valid or not: what the checks across terms need, and the term when valid. */
interface RawTerm {
  readonly index: number;
  readonly base: string;
  readonly feature: Feature;
  readonly id: string | undefined;
  readonly kind: TermKind | undefined;
  readonly within: string | undefined;
  readonly term: Term | null;
}

/**
 * Parse and validate an agreement (docs/agreements.md §1). Refused with a DeconflictError whose
 * details are coded (the declaration geometry codes for a term's geometry, `term_outside_agreement`,
 * `unknown_party`, `invalid_property`, `missing_property`, …) and name the path
 * (`terms.features[2].properties.end`); a detail about a term also names it as `feature`
 * (`{index, id}` in `terms.features`). Every problem found is listed, not only the first.
 */
export function parseAgreement(input: unknown, options: AgreementParseOptions): Agreement {
  const problems = new Problems();
  if (!isObject(input)) {
    problems.add(
      'invalid_property',
      '',
      'an agreement is a JSON object {name, parties, start, end, terms} (docs/agreements.md)',
    );
    throw new DeconflictError(problems.list);
  }
  memberNames(input, '', (k) => AGREEMENT_MEMBERS.has(k), 'a member of an agreement', problems, null);

  // Name.
  let name: string | undefined;
  if (input.name === undefined) problems.add('missing_property', 'name', 'name is required');
  else name = parseLine(input.name, 'name', 1, AGREEMENT_LIMITS.maxNameLength, problems, null);

  // Signatories.
  let parties: string[] | undefined;
  const { minParties, maxParties } = AGREEMENT_LIMITS;
  if (input.parties === undefined) {
    problems.add('missing_property', 'parties', 'parties (the signatories) are required');
  } else if (
    !Array.isArray(input.parties) ||
    input.parties.length < minParties ||
    input.parties.length > maxParties ||
    !input.parties.every((p) => typeof p === 'string' && PARTY_ID.test(p))
  ) {
    problems.add(
      'invalid_property',
      'parties',
      `parties must list ${minParties}–${maxParties} party ids, got ${describe(input.parties)}`,
    );
  } else {
    const list = input.parties as string[];
    const repeat = list.findIndex((p, i) => list.indexOf(p) !== i);
    if (repeat >= 0) {
      problems.add('invalid_property', `parties[${repeat}]`, `party "${list[repeat]}" is listed twice`);
    } else {
      parties = list;
      list.forEach((p, i) => {
        if (options.knownParties !== undefined && !options.knownParties.has(p)) {
          problems.add('unknown_party', `parties[${i}]`, `there is no party "${p}"`);
        }
      });
    }
  }

  // Window: an agreement always ends.
  let start: number | null = null;
  let end: number | null = null;
  if (input.start === undefined)
    problems.add('missing_property', 'start', 'start is required (ISO 8601 UTC)');
  else start = parseTime(input.start, 'start', problems, null);
  if (input.end === undefined) {
    problems.add(
      'missing_property',
      'end',
      'end is required: an agreement always ends (a truce without an end is a new agreement later)',
    );
  } else end = parseTime(input.end, 'end', problems, null);
  if (start !== null && end !== null && end <= start) {
    problems.add('window_empty', 'end', `end ${String(input.end)} is not after start ${String(input.start)}`);
    start = end = null;
  }

  // Terms.
  const terms: RawTerm[] = [];
  const t = input.terms;
  if (t === undefined) {
    problems.add('missing_property', 'terms', 'terms (a GeoJSON FeatureCollection) are required');
  } else if (!isObject(t) || t.type !== 'FeatureCollection' || !Array.isArray(t.features)) {
    problems.add(
      'not_feature_collection',
      'terms',
      'terms must be a GeoJSON FeatureCollection with a "features" array',
    );
  } else if (t.features.length > AGREEMENT_LIMITS.maxTerms) {
    problems.add(
      'too_many_features',
      'terms.features',
      `${t.features.length} terms; an agreement has at most ${AGREEMENT_LIMITS.maxTerms}`,
    );
  } else {
    const window = start !== null && end !== null ? { start, end } : null;
    t.features.forEach((f, index) => {
      const raw = parseTerm(f, index, parties, window, problems);
      if (raw !== null) terms.push(raw);
    });
    // Checked on every term with an id, valid or not, so that one bad term does not make another
    // look wrong (a permission within a corridor whose geometry is refused names a corridor).
    crossCheckTerms(terms, problems);
  }

  if (problems.list.length > 0) throw new DeconflictError(problems.list);
  return {
    id: options.id,
    name: name as string,
    parties: parties as string[],
    start: start as number,
    end: end as number,
    terms: terms.map((r) => r.term as Term),
  };
}

/** Duplicate ids, and each permission's `within` naming a corridor of the same agreement. */
function crossCheckTerms(terms: readonly RawTerm[], problems: Problems): void {
  const first = new Map<string, RawTerm>();
  for (const r of terms) {
    if (r.id === undefined) continue;
    const earlier = first.get(r.id);
    if (earlier !== undefined) {
      problems.add(
        'duplicate_id',
        `${r.base}.properties.id`,
        `term id "${r.id}" is also used by term ${earlier.index}`,
        r.feature,
      );
    } else first.set(r.id, r);
  }
  for (const r of terms) {
    if (r.within === undefined || r.kind !== 'permission') continue;
    const target = first.get(r.within);
    if (target === undefined) {
      problems.add(
        'invalid_property',
        `${r.base}.properties.within`,
        `no term of this agreement has the id "${r.within}"`,
        r.feature,
      );
    } else if (target.kind !== undefined && target.kind !== 'corridor') {
      problems.add(
        'invalid_property',
        `${r.base}.properties.within`,
        `term "${r.within}" is a ${target.kind}: a permission is within a corridor`,
        r.feature,
      );
    }
  }
}

/**
 * One term, with `term` null when it has problems (they are added) or when the agreement's
 * signatories or window are themselves invalid (then it is still checked as far as it can be);
 * null when it is not even a Feature with properties.
 */
function parseTerm(
  f: Json,
  index: number,
  signatories: readonly string[] | undefined,
  window: { start: number; end: number } | null,
  problems: Problems,
): RawTerm | null {
  const base = `terms.features[${index}]`;
  const before = problems.list.length;
  if (!isObject(f) || f.type !== 'Feature') {
    problems.add('not_feature', base, `term ${index} is not a GeoJSON Feature (type "Feature")`, {
      index,
    });
    return null;
  }
  const props = f.properties;
  if (!isObject(props)) {
    problems.add('missing_property', `${base}.properties`, 'a term needs a "properties" object', { index });
    return null;
  }
  const pp = `${base}.properties`;

  // Text first, as for a declaration (declaration.ts checkText): a term with ill-formed text is
  // reported for its text alone, so that nothing later reads or quotes that text back.
  if (!termText(f, props, base, problems, { index })) return null;

  // Identity first, so that every later problem names the term.
  let id: string | undefined;
  let feature: Feature = { index };
  if (props.id === undefined) problems.add('missing_property', `${pp}.id`, 'id is required', feature);
  else if (typeof props.id !== 'string' || !TERM_ID.test(props.id)) {
    problems.add(
      'invalid_property',
      `${pp}.id`,
      `a term id is 1–${AGREEMENT_LIMITS.maxTermIdLength} of the characters A–Z a–z 0–9 . _ ~ -, got ${describe(props.id)}`,
      feature,
    );
  } else {
    id = props.id;
    feature = { index, id };
  }
  if (f.id !== undefined && f.id !== props.id) {
    problems.add(
      'invalid_property',
      `${base}.id`,
      `feature id ${describe(f.id)} differs from properties.id`,
      feature,
    );
  }
  memberNames(
    props,
    pp,
    (k) => TERM_PROPERTIES.has(k) || STYLE_PROPERTIES.has(k),
    'a term property',
    problems,
    feature,
  );

  // Kind.
  let kind: TermKind | undefined;
  if (props.term === undefined) {
    problems.add(
      'missing_property',
      `${pp}.term`,
      `term is required (one of ${TERM_KINDS.join(', ')})`,
      feature,
    );
  } else if (typeof props.term !== 'string' || !TERM_KINDS.includes(props.term as TermKind)) {
    problems.add(
      'invalid_property',
      `${pp}.term`,
      `term ${describe(props.term)} is not one of ${TERM_KINDS.join(', ')}`,
      feature,
    );
  } else kind = props.term as TermKind;

  // Window: absent ends are the agreement's; given ones must lie inside it.
  const given = {
    start: props.start === undefined ? null : parseTime(props.start, `${pp}.start`, problems, feature),
    end: props.end === undefined ? null : parseTime(props.end, `${pp}.end`, problems, feature),
  };
  let tStart: number | null = null;
  let tEnd: number | null = null;
  if (window !== null) {
    tStart = given.start ?? (props.start === undefined ? window.start : null);
    tEnd = given.end ?? (props.end === undefined ? window.end : null);
    let inside = true;
    if (given.start !== null && (given.start < window.start || given.start >= window.end)) {
      problems.add(
        'term_outside_agreement',
        `${pp}.start`,
        `the term starts at ${String(props.start)}, outside the agreement's window`,
        feature,
      );
      inside = false;
    }
    if (given.end !== null && (given.end > window.end || given.end <= window.start)) {
      problems.add(
        'term_outside_agreement',
        `${pp}.end`,
        `the term ends at ${String(props.end)}, outside the agreement's window`,
        feature,
      );
      inside = false;
    }
    if (inside && tStart !== null && tEnd !== null && tEnd <= tStart) {
      problems.add(
        'window_empty',
        props.end === undefined ? `${pp}.start` : `${pp}.end`,
        'the term ends before it starts',
        feature,
      );
    }
  } else if (given.start !== null && given.end !== null && given.end <= given.start) {
    problems.add('window_empty', `${pp}.end`, 'the term ends before it starts', feature);
  }

  // Parties: signatories only.
  let parties: string[] | undefined;
  if (props.parties !== undefined) {
    parties = parsePartyList(props.parties, `${pp}.parties`, AGREEMENT_LIMITS.maxParties, problems, feature);
    if (parties !== undefined && signatories !== undefined) {
      (props.parties as string[]).forEach((p, i) => {
        if (!signatories.includes(p)) {
          problems.add(
            'unknown_party',
            `${pp}.parties[${i}]`,
            `"${p}" is not a signatory of this agreement (${signatories.join(', ')})`,
            feature,
          );
        }
      });
    }
  }
  if (kind === 'area_of_responsibility') {
    if (props.parties === undefined) {
      problems.add(
        'missing_property',
        `${pp}.parties`,
        'an area of responsibility names exactly one party: whose area it is',
        feature,
      );
    } else if (parties !== undefined && parties.length !== 1) {
      problems.add(
        'invalid_property',
        `${pp}.parties`,
        'an area of responsibility names exactly one party: whose area it is',
        feature,
      );
    }
  }

  // Width.
  let buffer_m = 0;
  if (props.buffer_m !== undefined) {
    const b = props.buffer_m;
    const max = AGREEMENT_LIMITS.maxTermBuffer_m;
    if (typeof b !== 'number' || !Number.isFinite(b) || b < 0 || b > max) {
      problems.add(
        'invalid_property',
        `${pp}.buffer_m`,
        `buffer_m must be a number of metres from 0 to ${max}, got ${describe(b)}`,
        feature,
      );
    } else buffer_m = b;
  }

  const label =
    props.label === undefined
      ? undefined
      : parseLine(props.label, `${pp}.label`, 0, AGREEMENT_LIMITS.maxLabelLength, problems, feature);

  // Permissions: rule, of, within.
  const only = (key: 'rule' | 'of' | 'within'): boolean => {
    if (props[key] === undefined || kind === undefined || kind === 'permission') return true;
    problems.add(
      'invalid_property',
      `${pp}.${key}`,
      `${key} applies to a permission, not a ${kind}`,
      feature,
    );
    return false;
  };
  let of: string | undefined;
  let within: string | undefined;
  if (only('rule') && kind === 'permission') {
    if (props.rule === undefined) {
      problems.add(
        'missing_property',
        `${pp}.rule`,
        'a permission names the rule it lifts: "incursion"',
        feature,
      );
    } else if (props.rule !== 'incursion') {
      problems.add(
        'invalid_property',
        `${pp}.rule`,
        `a permission lifts "incursion" only, got ${describe(props.rule)}`,
        feature,
      );
    }
  }
  if (only('of') && props.of !== undefined) {
    if (typeof props.of !== 'string' || !PARTY_ID.test(props.of)) {
      problems.add(
        'invalid_property',
        `${pp}.of`,
        `of must be a party id, got ${describe(props.of)}`,
        feature,
      );
    } else if (signatories !== undefined && !signatories.includes(props.of)) {
      problems.add(
        'unknown_party',
        `${pp}.of`,
        `"${props.of}" is not a signatory of this agreement (${signatories.join(', ')})`,
        feature,
      );
    } else of = props.of;
  }
  if (only('within') && props.within !== undefined) {
    if (typeof props.within !== 'string' || !TERM_ID.test(props.within)) {
      problems.add(
        'invalid_property',
        `${pp}.within`,
        `within must be the id of a corridor term, got ${describe(props.within)}`,
        feature,
      );
    } else within = props.within;
  }

  // Geometry.
  let geometry: Geometry | null = null;
  const g = f.geometry;
  const hasGeometry = g !== undefined && g !== null;
  if (kind === 'permission' && props.within !== undefined) {
    if (hasGeometry) {
      problems.add(
        'invalid_geometry',
        `${base}.geometry`,
        'a permission within a corridor has the corridor’s geometry: give it none (null)',
        feature,
      );
    }
    if (props.buffer_m !== undefined) {
      problems.add(
        'invalid_property',
        `${pp}.buffer_m`,
        'a permission within a corridor has the corridor’s width: give it no buffer_m',
        feature,
      );
    }
  } else if (!hasGeometry) {
    if (kind !== undefined) {
      problems.add(
        'invalid_geometry',
        `${base}.geometry`,
        kind === 'permission'
          ? 'a permission needs its own area (a Polygon or MultiPolygon) or "within" a corridor'
          : `a ${kind} needs a geometry (${TERM_GEOMETRIES[kind].join(' or ')})`,
        feature,
      );
    }
  } else if (
    kind !== undefined &&
    isObject(g) &&
    typeof g.type === 'string' &&
    ['Point', 'LineString', 'Polygon', 'MultiPolygon'].includes(g.type) &&
    !TERM_GEOMETRIES[kind].includes(g.type as Geometry['type'])
  ) {
    problems.add(
      'wrong_geometry_for_kind',
      `${base}.geometry.type`,
      `a ${kind} term is a ${TERM_GEOMETRIES[kind].join(' or ')}, not a ${g.type}`,
      feature,
    );
  } else {
    geometry = parseTermGeometry(g, base, problems, feature);
    // A line without a width has no inside (as for a restricted zone drawn as a line).
    if (geometry?.type === 'LineString' && (props.buffer_m === undefined || props.buffer_m === 0)) {
      problems.add(
        props.buffer_m === undefined ? 'missing_property' : 'invalid_property',
        `${pp}.buffer_m`,
        'a corridor drawn as a LineString needs buffer_m > 0: its half-width',
        feature,
      );
    }
  }

  const raw = { index, base, feature, id, kind, within };
  if (problems.list.length > before || signatories === undefined) return { ...raw, term: null };
  if (id === undefined || kind === undefined || tStart === null || tEnd === null)
    return { ...raw, term: null };
  const term: Term = {
    id,
    term: kind,
    geometry,
    start: tStart,
    end: tEnd,
    parties: parties ?? [...signatories],
    buffer_m,
    ...(label !== undefined && { label }),
    ...(kind === 'permission' && { rule: 'incursion' as const }),
    ...(of !== undefined && { of }),
    ...(within !== undefined && { within }),
  };
  return { ...raw, term };
}

// --- Withdrawal ---------------------------------------------------------------------------------

/**
 * The agreement as it binds until `end` (a withdrawal effective at `end`): every term's window
 * cut there, terms that would only start at or after it dropped (with the permissions within a
 * dropped corridor), and the agreement's own window ending there. A strike after `end` breaches
 * nothing; one before it still does. `end` at or before the start leaves no term.
 */
export function boundUntil(a: Agreement, end: number): Agreement {
  const cut = Math.min(a.end, end);
  const kept = a.terms.filter((t) => t.start < cut);
  const ids = new Set(kept.map((t) => t.id));
  const terms = kept
    .filter((t) => t.within === undefined || ids.has(t.within))
    .map((t): Term => (t.end > cut ? { ...t, end: cut } : t));
  return { ...a, end: Math.max(a.start, cut), terms };
}

// --- Breaches -----------------------------------------------------------------------------------

type BindingKind = Exclude<TermKind, 'permission'>;

/** What breaches each kind of term (docs/agreements.md §1, the table). */
const BREACHED_BY: Record<BindingKind, readonly Kind[]> = {
  corridor: ['strike'],
  pause: ['strike'],
  pull_back: ['movement', 'air_operation', 'strike'],
  area_of_responsibility: ['movement', 'air_operation', 'strike'],
};

const BREACH_SEVERITY: Record<BindingKind, Severity> = {
  corridor: 'critical',
  pause: 'critical',
  pull_back: 'high',
  area_of_responsibility: 'high',
};

/** The parties a term binds: its `parties`, or for an area of responsibility every other signatory. */
export function boundParties(agreement: Agreement, term: Term): readonly string[] {
  if (term.term === 'area_of_responsibility')
    return agreement.parties.filter((p) => !term.parties.includes(p));
  return term.parties;
}

/**
 * The restricted zone a term behaves as (docs/agreements.md §1): its geometry, window and buffer,
 * binding {@link boundParties}. Its owner is the term itself (never a party id: a party id has no
 * colon), so a breach is never internal, and `applies_to` decides alone whom it binds.
 */
function zoneOf(agreement: Agreement, term: Term): Declaration {
  const ref = termRef(agreement.id, term.id);
  return {
    id: ref,
    kind: 'restricted_zone',
    party: ref,
    geometry: term.geometry as Geometry,
    start: term.start,
    end: term.end,
    buffer_m: term.buffer_m,
    applies_to: boundParties(agreement, term),
    visibility: 'all',
  };
}

/** Prepared zones per agreement value, so that checking many declarations prepares each term once. */
const zones = new WeakMap<Agreement, Map<string, Prepared>>();

function preparedZone(agreement: Agreement, term: Term): Prepared {
  let m = zones.get(agreement);
  if (m === undefined) {
    m = new Map();
    zones.set(agreement, m);
  }
  let p = m.get(term.id);
  if (p === undefined) {
    p = prepare(zoneOf(agreement, term));
    m.set(term.id, p);
  }
  return p;
}

/**
 * The breaches of `agreement`'s terms by `decl` (rule `agreement_breach`; `a` the declaration's
 * id, `b` = termRef(...), severity per docs/agreements.md §1), each with the engine's window and
 * closest points. Conservative as every rule is: never missed.
 *
 * Each binding term is checked as the engine's `restricted` rule between `decl` and the term's
 * zone ({@link zoneOf}), keeping only the kinds of activity the term is about: the same distance,
 * allowance, bands (a term has none: it covers every height) and, for a scheduled movement, the
 * window narrowed to when it is there. One exception, as for `incursion`: a breach of an area of
 * responsibility term by an activity that a permission of the agreement lets into that area
 * ({@link permits}, with the term as the area) is lifted — the agreement foresaw it.
 */
export function breachesOf(
  decl: Declaration,
  agreement: Agreement,
  options?: Partial<EngineOptions>,
): Conflict[] {
  const opts: EngineOptions = { ...DEFAULT_OPTIONS, ...options };
  const out: Conflict[] = [];
  let p: Prepared | undefined;
  for (const term of agreement.terms) {
    if (term.term === 'permission' || term.geometry === null) continue;
    if (!BREACHED_BY[term.term].includes(decl.kind)) continue;
    if (!boundParties(agreement, term).includes(decl.party)) continue;
    if (overlap(decl, term) === null) continue;
    p ??= prepare(decl);
    const zone = preparedZone(agreement, term);
    const c = evaluatePair(p, zone, opts);
    if (c === null) continue;
    if (term.term === 'area_of_responsibility') {
      const area: Declaration = {
        id: zone.decl.id,
        kind: 'area_of_responsibility',
        party: term.parties[0] as string,
        geometry: term.geometry,
        start: term.start,
        end: term.end,
        buffer_m: term.buffer_m,
        visibility: 'all',
      };
      if (permits(agreement, { ...c, rule: 'incursion' }, decl, area, opts)) continue;
    }
    const declFirst = c.a === decl.id;
    out.push({
      rule: BREACH_RULE,
      severity: BREACH_SEVERITY[term.term],
      a: decl.id,
      b: zone.decl.id,
      internal: false,
      distance_m: c.distance_m,
      window: c.window,
      closest: declFirst ? c.closest : [c.closest[1], c.closest[0]],
    });
  }
  return out;
}

// --- Permissions --------------------------------------------------------------------------------

const ACTIVITIES = new Set<Kind>(['movement', 'strike', 'air_operation']);

/** The area a permission lets activities into: its own, or its corridor's, with the window. */
interface Region {
  readonly shape: Shape;
  readonly line: boolean;
  readonly buffer_m: number;
  readonly start: number;
  readonly end: number;
}

/** Prepared permission areas and corridors, by geometry value (a term's is never changed). */
const shapes = new WeakMap<Geometry, Shape>();

function regionOf(agreement: Agreement, perm: Term): Region | null {
  let geometry = perm.geometry;
  let buffer_m = perm.buffer_m;
  let start = perm.start;
  let end = perm.end;
  if (perm.within !== undefined) {
    const corridor = agreement.terms.find((t) => t.id === perm.within && t.term === 'corridor');
    if (corridor === undefined || corridor.geometry === null) return null;
    geometry = corridor.geometry;
    buffer_m = corridor.buffer_m;
    // Within a corridor: during the corridor's window (and the permission's own, when it is narrower).
    start = Math.max(start, corridor.start);
    end = Math.min(end, corridor.end);
  }
  if (geometry === null || end <= start) return null;
  let shape = shapes.get(geometry);
  if (shape === undefined) {
    shape = toShape(geometry);
    shapes.set(geometry, shape);
  }
  return { shape, line: geometry.type === 'LineString', buffer_m, start, end };
}

/**
 * The activity as a permission must hold it: for a scheduled movement, the part of its route it
 * covers during `w` (coveredShape: every place it is at while in the area); else its geometry.
 * Null for an area (a Polygon air operation or target area): its boundary inside a region does not
 * put its interior inside (the region may have a hole), so a permission never lifts the conflict
 * of an area.
 */
function activityShape(activity: Declaration, w: { start: number; end: number }): Shape | null {
  const g = activity.geometry;
  if (g.type === 'Polygon' || g.type === 'MultiPolygon') return null;
  if (activity.kind === 'movement' && activity.schedule !== undefined && g.type === 'LineString') {
    return coveredShape(makeTrack(g.coordinates, activity.schedule), w.start, w.end);
  }
  return toShape(g);
}

/**
 * True when `test` holds at samples of `shape` such that every point of it lies within δ/2 of
 * one: its points, every vertex, and points along each geodesic edge at most δ apart (geodesic
 * interpolation: GeographicLib's positions along the edge's line, so a sample is on the edge and
 * every point of the edge is within δ/2 of arc — hence of geodesic distance — of a sample). The
 * vertices come first and the test stops at the first failure, so an activity that strays far
 * costs little.
 */
function everySample(shape: Shape, delta: number, test: (p: Position) => boolean): boolean {
  for (const p of shape.points) if (!test(p)) return false;
  for (const e of shape.edges) if (!test(e.a) || !test(e.b)) return false;
  for (const e of shape.edges) {
    const n = Math.ceil(e.len / delta);
    for (let k = 1; k < n; k++) if (!test(linePoint(e.line, (e.len * k) / n).pos)) return false;
  }
  return true;
}

/** True when some edge is within `limit` of `p` (by computed distances, which are never short). */
function nearAnEdge(p: Position, shape: Shape, limit: number): boolean {
  const pu = geocentricUnit(p);
  for (const e of shape.edges) {
    if (lowerBoundDistance(pu, e.mid) - e.len / 2 > limit) continue;
    if (pointEdge(p, e).d <= limit) return true;
  }
  return false;
}

/**
 * True when the ball of radius `margin` around `p` lies inside the region widened by its buffer
 * B, decided so that a yes is never wrong:
 * - a line corridor L: the computed distance d(p, L) ≤ B − margin − 1 mm. Computed distances are
 *   distances between actual points, never below the true one, so the true d(p, L) ≤ B − margin,
 *   and every q within `margin` of p has d(q, L) ≤ d(p, L) + d(p, q) ≤ B.
 * - an area A: with the signed distance sd (d(·, A) outside, −d(·, ∂A) inside), every q within
 *   `margin` of p is in the widened area when sd(p) ≤ B − margin (sd is 1-Lipschitz: a shortest
 *   path from p to q crossing ∂A does so at some x with d(p, x) + d(x, q) = d(p, q)). Outside, the
 *   computed d(p, A) ≤ B − margin − 1 mm suffices (as for a line); inside, every edge computed
 *   farther than margin − B + 1 mm (their error is below 0.1 mm). A point within 0.1 mm of ∂A may
 *   be placed on either side of it; the 1 mm on each side covers that too.
 */
function ballInside(p: Position, margin: number, region: Region): boolean {
  const B = region.buffer_m;
  const point = toShape({ type: 'Point', coordinates: p });
  if (region.line || !pointInShape(p, region.shape)) {
    const limit = B - margin - DISTANCE_TOLERANCE_M;
    return limit >= 0 && shapeDistanceWithin(point, region.shape, limit) !== null;
  }
  const need = margin - B + DISTANCE_TOLERANCE_M;
  return need <= 0 || !nearAnEdge(p, region.shape, need);
}

/**
 * Whether a permission of `agreement` lifts `conflict` (an `incursion` of `activity` into the area
 * of responsibility `area`): docs/agreements.md §1, decided conservatively (may refuse to lift, never
 * lifts wrongly).
 *
 * A permission lifts it when the activity's party is one it permits, the area's party is its `of`
 * (absent: any signatory), the conflict's whole window lies inside the permission's window (within
 * a corridor: inside both windows), and the activity widened by its buffer lies entirely inside the
 * permission's area widened by its buffer during that window — for a scheduled movement, the part
 * of its route it covers during the conflict's window (coveredShape), which holds every place it is
 * in while in the area; an unscheduled one, its whole route.
 *
 * "Entirely inside" is decided on samples ({@link everySample}): every point of the activity is
 * within δ/2 of a sample, so when the ball of radius buffer + δ/2 around each sample is inside
 * ({@link ballInside}), so is every point of the widened activity (distance to a set is
 * 1-Lipschitz). The test may refuse a permission by at most δ/2 of margin; it never grants one it
 * should not. An activity drawn as an area is never lifted.
 */
export function permits(
  agreement: Agreement,
  conflict: Conflict,
  activity: Declaration,
  area: Declaration,
  _options?: Partial<EngineOptions>,
): boolean {
  if (conflict.rule !== 'incursion') return false;
  if (area.kind !== 'area_of_responsibility' || !ACTIVITIES.has(activity.kind)) return false;
  const ids = [conflict.a, conflict.b];
  if (!ids.includes(activity.id) || !ids.includes(area.id)) return false;
  const w = conflict.window;
  if (w.end === null) return false;
  const window = { start: w.start, end: w.end };
  const delta = PERMISSION_SAMPLE_SPACING_M;
  let shape: Shape | null | undefined;
  for (const perm of agreement.terms) {
    if (perm.term !== 'permission' || perm.rule !== 'incursion') continue;
    if (!perm.parties.includes(activity.party)) continue;
    if (perm.of !== undefined ? area.party !== perm.of : !agreement.parties.includes(area.party)) continue;
    if (perm.start > window.start || window.end > perm.end) continue;
    const region = regionOf(agreement, perm);
    if (region === null || region.start > window.start || window.end > region.end) continue;
    if (shape === undefined) shape = activityShape(activity, window);
    if (shape === null) return false;
    const margin = activity.buffer_m + delta / 2;
    if (everySample(shape, delta, (p) => ballInside(p, margin, region))) return true;
  }
  return false;
}

/**
 * The engine's agreement hook (`EngineOptions.incursionAllowed`, docs/design.md §4) for a set of
 * agreements in force: an `incursion` of `activity` into `area` during `window` (the conflict's
 * window) does not fire when a permission of one of them lifts it ({@link permits}).
 */
export function incursionAllowedBy(
  agreements: readonly Agreement[],
): NonNullable<EngineOptions['incursionAllowed']> {
  return (activity, area, window) => {
    const [a, b] = activity.id < area.id ? [activity.id, area.id] : [area.id, activity.id];
    const conflict: Conflict = {
      rule: 'incursion',
      severity: 'high',
      a,
      b,
      internal: false,
      distance_m: 0,
      window,
      // Not read by permits: the hook is asked before the conflict exists.
      closest: [
        [0, 0],
        [0, 0],
      ],
    };
    return agreements.some((x) => permits(x, conflict, activity, area));
  };
}
