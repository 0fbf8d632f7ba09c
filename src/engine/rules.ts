/**
 * The nine conflict rules of docs/design.md §4, applied to one pair of prepared declarations.
 *
 * Each unordered pair of kinds has at most one rule. A rule first checks parties and time, then
 * altitude bands, then the horizontal distance: the least geodesic distance between the two
 * geometries (or, where a movement has a schedule, between the movement during the overlap and
 * the other side — in 4D when both are scheduled). Thresholds are compared with
 * {@link DISTANCE_TOLERANCE_M} of allowance: a conflict may be reported up to 1 mm beyond its
 * threshold, never missed.
 *
 * Two rules are about an activity *entering* an area: `incursion` (another party's area of
 * responsibility) and `restricted` (a zone binding the activity's party). Entering means the
 * activity widened by its buffer reaches the area widened by its own, except that two areas
 * without buffers must overlap in their interiors: sharing a border or a corner is not entering
 * (the notion `aor_overlap` uses). A scheduled movement is in conflict only while it is there:
 * the conflict's window is the part of the overlap from when it reaches the area to when it
 * has left ({@link presenceWindow}).
 */
import {
  type Closest,
  DISTANCE_TOLERANCE_M,
  interiorsOverlap,
  shapeDistanceWithin,
} from './geodesy/distance.ts';
import type { Shape } from './geodesy/shape.ts';
import { closestApproach, coveredShape, presenceWindow, type Track } from './track.ts';
import type {
  AltitudeBand,
  Conflict,
  Declaration,
  EngineOptions,
  Kind,
  RuleName,
  Severity,
} from './types.ts';

/** A declaration with its geometry prepared for geodesic queries. */
export interface Prepared {
  readonly decl: Declaration;
  readonly shape: Shape;
  /** Present for a movement with a schedule. */
  readonly track?: Track;
}

export interface Window {
  readonly start: number;
  readonly end: number | null;
}

/** The overlap of two half-open windows, or null when they do not overlap. */
export function overlap(a: Window, b: Window): Window | null {
  const start = Math.max(a.start, b.start);
  const end = a.end === null ? b.end : b.end === null ? a.end : Math.min(a.end, b.end);
  if (end !== null && end <= start) return null;
  return { start, end };
}

const CRITICAL_CATEGORIES = new Set(['medical', 'humanitarian', 'own_forces', 'detention']);

/** Which rule, if any, governs a pair of kinds (ordered so that `first` is the rule's first kind). */
export interface Pairing {
  readonly rule: RuleName;
  /** True when the declarations must be swapped to match the rule's (first, second) order. */
  readonly swap: boolean;
}

/**
 * The rule of each pair of kinds; every other pair has none. `incursion` and `restricted` pair
 * the activities (movement, strike, air operation) with an area: a protected site, an area of
 * responsibility or another zone is not something that enters a zone or an area — it is
 * declared, it does not go anywhere — so those pairs have no rule (docs/design.md §4).
 */
const PAIRINGS: ReadonlyArray<readonly [Kind, Kind, RuleName]> = [
  ['strike', 'protected_site', 'strike_protected'],
  ['strike', 'movement', 'strike_movement'],
  ['strike', 'air_operation', 'strike_air'],
  ['strike', 'strike', 'strike_strike'],
  ['air_operation', 'air_operation', 'air_air'],
  ['movement', 'movement', 'movement_movement'],
  ['movement', 'area_of_responsibility', 'incursion'],
  ['strike', 'area_of_responsibility', 'incursion'],
  ['air_operation', 'area_of_responsibility', 'incursion'],
  ['area_of_responsibility', 'area_of_responsibility', 'aor_overlap'],
  ['movement', 'restricted_zone', 'restricted'],
  ['strike', 'restricted_zone', 'restricted'],
  ['air_operation', 'restricted_zone', 'restricted'],
];

/**
 * The rule that governs a pair of kinds, and whether the pair must be swapped to match the
 * rule's (first, second) order; null when no rule does. Blind matching (src/blind/rules.ts)
 * asks it too.
 */
export function ruleForKinds(a: Kind, b: Kind): Pairing | null {
  for (const [x, y, rule] of PAIRINGS) {
    if (a === x && b === y) return { rule, swap: false };
    if (a === y && b === x) return { rule, swap: true };
  }
  return null;
}

/** True when some rule governs a pair of these kinds (the index skips other pairs unprepared). */
export function kindsCanConflict(a: Kind, b: Kind): boolean {
  return ruleForKinds(a, b) !== null;
}

/** True when two altitude bands may share a height. Different references: assumed to. */
function bandsMeet(x: AltitudeBand, y: AltitudeBand): boolean {
  if (x.reference !== y.reference) return true;
  return x.lower_m <= y.upper_m && y.lower_m <= x.upper_m;
}

/** The vertical gap between two bands (0 when they overlap or their references differ). */
function verticalGap(x: AltitudeBand, y: AltitudeBand): number {
  if (x.reference !== y.reference) return 0;
  return Math.max(0, Math.max(x.lower_m, y.lower_m) - Math.min(x.upper_m, y.upper_m));
}

/** The band a declaration occupies, when it has one: its own, or a strike's hazard band. */
function bandOf(d: Declaration, opts: EngineOptions): AltitudeBand | null {
  if (d.altitude) return d.altitude;
  if (d.kind === 'strike') {
    return { lower_m: Number.NEGATIVE_INFINITY, upper_m: opts.strikeHazardCeiling_m, reference: 'AMSL' };
  }
  return null;
}

/** Does restricted zone `zone` apply to the party of `d`? */
function zoneApplies(zone: PairSide, d: PairSide): boolean {
  if (zone.applies_to !== undefined) return zone.applies_to.includes(d.party);
  return d.party !== zone.party;
}

function isArea(p: Prepared): boolean {
  return p.decl.geometry.type === 'Polygon' || p.decl.geometry.type === 'MultiPolygon';
}

/**
 * Where two areas overlap in their interiors, as a closest pair at distance 0 (a point where
 * their boundaries meet, or one inside the other); null when they only share a border or a
 * corner, or are apart. Overlaps thinner than the allowance count as a shared border.
 */
function interiorsMeet(first: Prepared, second: Prepared): Closest | null {
  // Areas more than the allowance apart cannot overlap; most pairs stop at this cheap test.
  const touch = shapeDistanceWithin(first.shape, second.shape, DISTANCE_TOLERANCE_M);
  if (touch === null || !interiorsOverlap(first.shape, second.shape)) return null;
  return { d: 0, pa: touch.pa, pb: touch.pb };
}

/**
 * The least distance between two prepared declarations during `w`, when at most `limit`.
 * Scheduled movements count only where they are during the window.
 */
export function distanceDuring(x: Prepared, y: Prepared, w: Window, limit: number): Closest | null {
  if (x.track && y.track) return closestApproach(x.track, y.track, w.start, w.end, limit);
  const sx = x.track ? coveredShape(x.track, w.start, w.end) : x.shape;
  const sy = y.track ? coveredShape(y.track, w.start, w.end) : y.shape;
  return shapeDistanceWithin(sx, sy, limit);
}

/**
 * The severity of a conflict under `rule`, `second` being the rule's second declaration (for
 * `strike_protected`, the site: its category decides). Only the category is read, so blind
 * matching can ask it of a sealed side.
 */
export function severityOf(rule: RuleName, second: Pick<Declaration, 'category'>): Severity {
  switch (rule) {
    case 'strike_protected':
      return second.category !== undefined && CRITICAL_CATEGORIES.has(second.category) ? 'critical' : 'high';
    case 'strike_movement':
      return 'critical';
    case 'movement_movement':
    case 'aor_overlap':
      return 'medium';
    default:
      return 'high';
  }
}

/**
 * The horizontal reach of a declaration beyond its geometry that any rule may use: its buffer,
 * plus half the horizontal separation for an air operation (two air operations are checked at
 * buffers + separation), plus the distance allowance. The index uses it to widen boxes; two declarations whose widened boxes
 * are disjoint can conflict under no rule.
 */
export function reachOf(d: Declaration, opts: EngineOptions): number {
  // The allowance too: thresholds are compared with it, so the boxes must cover it.
  const own = d.buffer_m + DISTANCE_TOLERANCE_M;
  return own + (d.kind === 'air_operation' ? opts.horizontalSeparation_m / 2 : 0);
}

/** What the conditions of a rule on parties and declared flags read of a side. */
export type PairSide = Pick<Declaration, 'kind' | 'party' | 'applies_to' | 'ground_only'>;

/**
 * The conditions of rule `rule` that need neither geometry nor time, on its `first` and
 * `second` sides (in the rule's order): two parties for the rules between parties, an air
 * operation not entering an area declared for the ground only, a zone that binds the activity's
 * party. Blind matching applies the same (src/blind/rules.ts).
 */
export function partiesAllow(rule: RuleName, first: PairSide, second: PairSide): boolean {
  const sameParty = first.party === second.party;
  switch (rule) {
    case 'strike_strike':
    case 'aor_overlap':
      return !sameParty;
    case 'incursion':
      // An area of responsibility covers every height (it has no band) unless it is declared
      // for the ground only; then the airspace above it is not part of it.
      return !sameParty && !(first.kind === 'air_operation' && second.ground_only === true);
    case 'restricted':
      // `second` is the zone: it binds the activity's party, or there is nothing to enter.
      return zoneApplies(second, first);
    default:
      return true;
  }
}

/** Evaluate the rules on one pair; returns the conflict, or null. */
export function evaluatePair(p: Prepared, q: Prepared, opts: EngineOptions): Conflict | null {
  const pr = ruleForKinds(p.decl.kind, q.decl.kind);
  if (pr === null) return null;
  const [first, second] = pr.swap ? [q, p] : [p, q];
  const f = first.decl;
  const s = second.decl;
  const sameParty = f.party === s.party;
  let threshold = f.buffer_m + s.buffer_m;
  if (!partiesAllow(pr.rule, f, s)) return null;
  const overlapWindow = overlap(f, s);
  if (overlapWindow === null) return null;
  let w: Window = overlapWindow;

  switch (pr.rule) {
    case 'air_air': {
      // Both bands exist: the parser requires one on every air operation.
      if (!f.altitude || !s.altitude) return null;
      if (!(verticalGap(f.altitude, s.altitude) < opts.verticalSeparation_m)) return null;
      threshold += opts.horizontalSeparation_m;
      break;
    }
    case 'strike_air': {
      const ceiling = bandOf(f, opts) as AltitudeBand;
      const air = s.altitude;
      if (air && air.reference === ceiling.reference && air.lower_m > ceiling.upper_m) return null;
      break;
    }
    case 'restricted': {
      const fb = bandOf(f, opts);
      const sb = bandOf(s, opts);
      if (fb && sb && !bandsMeet(fb, sb)) return null;
      break;
    }
    default:
      break;
  }

  const enters = pr.rule === 'incursion' || pr.rule === 'restricted';
  let closest: Closest | null;
  if (pr.rule === 'aor_overlap' || (enters && threshold === 0 && isArea(first) && isArea(second))) {
    // Areas without buffers: only overlapping interiors count (a shared border is no overlap).
    closest = interiorsMeet(first, second);
  } else {
    closest = distanceDuring(first, second, w, threshold + DISTANCE_TOLERANCE_M);
  }
  if (closest === null) return null;
  if (enters && first.track) {
    // A scheduled movement enters the area for part of the overlap only: that part is the
    // conflict's window. (If the search answered nothing, which the test just passed rules
    // out, the whole overlap stands: never narrower than proven.)
    w = presenceWindow(first.track, second.shape, w.start, w.end, threshold + DISTANCE_TOLERANCE_M) ?? w;
  }
  if (pr.rule === 'incursion' && opts.incursionAllowed?.(f, s, w)) return null;

  // Order the pair by id and orient the closest points with it.
  const flip = f.id > s.id;
  return {
    rule: pr.rule,
    severity: severityOf(pr.rule, s),
    a: flip ? s.id : f.id,
    b: flip ? f.id : s.id,
    internal: sameParty,
    distance_m: closest.d,
    window: { start: w.start, end: w.end },
    closest: flip ? [closest.pb, closest.pa] : [closest.pa, closest.pb],
  };
}
