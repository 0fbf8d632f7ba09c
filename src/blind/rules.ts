/**
 * What a blind match means: the rule (and its severity) under which two declarations whose
 * covers share a (cell, slot) may be in conflict, from what is known without the geometry.
 *
 * A blind match says only that the two declarations, each widened by its reach
 * ({@link blindReach}), may come within reach of each other during overlapping slots. Every
 * condition of docs/design.md §4 that does not need the geometry is applied here exactly as
 * src/engine/rules.ts applies it (kinds, parties, `ground_only`, `applies_to`), so that a pair
 * the engine would report is never dropped; what a sealed side does not reveal is assumed to
 * allow the conflict (over-report, never miss):
 * - no rule for the pair of kinds → no match;
 * - `strike_strike`, `aor_overlap`, `incursion` between declarations of the same party → none;
 * - `incursion` of an air operation into an area of responsibility known to be `ground_only` →
 *   none (not known → kept);
 * - `restricted`: the zone binds the parties in its `applies_to` when it has one, else every
 *   party but its own → none when it does not bind the activity's party;
 * - altitude bands are not known on a sealed side: they are assumed to meet.
 * Windows are matched by the slots, distances by the cells; neither is looked at here.
 *
 * Platform-free: imports only the engine.
 */
import { partiesAllow, reachOf, ruleForKinds, severityOf } from '../engine/rules.ts';
import type { Declaration, EngineOptions, Kind, RuleName, Severity, SiteCategory } from '../engine/types.ts';

/** What blind matching knows of one side of a pair. */
export interface BlindSide {
  readonly kind: Kind;
  readonly party: string;
  /** A protected site's category (its severity under `strike_protected`). */
  readonly category?: SiteCategory;
  /** A restricted zone's parties; absent: every party but the zone's own. */
  readonly applies_to?: readonly string[];
  /** An area of responsibility for the ground only; absent: not known (assumed not). */
  readonly ground_only?: boolean;
}

export interface BlindRule {
  readonly rule: RuleName;
  readonly severity: Severity;
  /** True when `y` is the rule's first declaration and `x` its second (as in the engine). */
  readonly swap: boolean;
}

/**
 * The rule a blind match between `x` and `y` would be, with its severity; null when no rule can
 * fire on the pair whatever their geometries, windows and altitude bands.
 */
export function blindRule(x: BlindSide, y: BlindSide): BlindRule | null {
  const pr = ruleForKinds(x.kind, y.kind);
  if (pr === null) return null;
  const [first, second] = pr.swap ? [y, x] : [x, y];
  // Same party, `applies_to`, `ground_only`: as the engine (a sealed side's flags are unknown,
  // so absent: the pair is kept).
  if (!partiesAllow(pr.rule, first, second)) return null;
  return { rule: pr.rule, severity: severityOf(pr.rule, second), swap: pr.swap };
}

/**
 * The reach a declaration's geometry is widened by before it is covered with cells: the
 * engine's {@link reachOf} (buffer, the distance allowance, and half the horizontal separation
 * for an air operation). Two declarations within the sum of their reaches share a cell; every
 * rule's threshold (+ allowance) is at most that sum.
 */
export function blindReach(d: Declaration, opts: EngineOptions): number {
  return reachOf(d, opts);
}
