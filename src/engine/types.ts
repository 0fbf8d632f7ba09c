/**
 * The domain types of the conflict engine.
 *
 * Glossary (the same words in code, API, console and docs; see docs/design.md §2–§4):
 * - **Declaration** — a GeoJSON Feature a party tells the hub: an area of responsibility, a
 *   protected site, a movement, an air operation, a strike or a restricted zone. Parsed once at
 *   the edge into a {@link Declaration}; nothing downstream sees raw input.
 * - **Window** — the half-open validity interval `[start, end)` in epoch milliseconds (UTC);
 *   `end = null` is open-ended.
 * - **Buffer** — the horizontal margin in metres around a geometry (stand-off, effect radius,
 *   corridor half-width).
 * - **Altitude band** — a vertical interval in metres, `AMSL` or `AGL`.
 * - **Schedule** — for a movement, one ETA per route vertex: the movement is at vertex *i* at
 *   `schedule[i]`, moves at constant speed along each geodesic leg, waits at the first vertex
 *   before the first ETA and at the last after the last one.
 * - **Conflict** — a pair of declarations for which a rule of docs/design.md §4 fires.
 * - **Internal** — a conflict between two declarations of the same party.
 */

/** A position as GeoJSON writes it: `[longitude, latitude]` in degrees (WGS 84). */
export type Position = readonly [lon: number, lat: number];

export type Kind =
  | 'area_of_responsibility'
  | 'protected_site'
  | 'movement'
  | 'air_operation'
  | 'strike'
  | 'restricted_zone';

export const KINDS: readonly Kind[] = [
  'area_of_responsibility',
  'protected_site',
  'movement',
  'air_operation',
  'strike',
  'restricted_zone',
];

export type SiteCategory =
  | 'medical'
  | 'humanitarian'
  | 'school'
  | 'religious'
  | 'cultural'
  | 'civilian_infrastructure'
  | 'diplomatic'
  | 'detention'
  | 'own_forces'
  | 'other';

export const SITE_CATEGORIES: readonly SiteCategory[] = [
  'medical',
  'humanitarian',
  'school',
  'religious',
  'cultural',
  'civilian_infrastructure',
  'diplomatic',
  'detention',
  'own_forces',
  'other',
];

export type AltitudeReference = 'AMSL' | 'AGL';

export interface AltitudeBand {
  readonly lower_m: number;
  readonly upper_m: number;
  readonly reference: AltitudeReference;
}

/**
 * A validated geometry. Rings are closed (first = last position), at least 4 positions, not
 * self-intersecting; every edge is the geodesic between consecutive positions.
 */
export type Geometry =
  | { readonly type: 'Point'; readonly coordinates: Position }
  | { readonly type: 'LineString'; readonly coordinates: readonly Position[] }
  | { readonly type: 'Polygon'; readonly coordinates: readonly (readonly Position[])[] }
  | {
      readonly type: 'MultiPolygon';
      readonly coordinates: readonly (readonly (readonly Position[])[])[];
    };

export type Visibility = 'all' | 'sealed' | readonly string[];

/** A parsed, valid declaration. Times are epoch milliseconds UTC. */
export interface Declaration {
  readonly id: string;
  readonly kind: Kind;
  readonly party: string;
  readonly geometry: Geometry;
  readonly start: number;
  /** Exclusive end; `null` = open-ended. */
  readonly end: number | null;
  readonly buffer_m: number;
  readonly altitude?: AltitudeBand;
  readonly category?: SiteCategory;
  /** One ETA (epoch ms) per route vertex, strictly increasing. */
  readonly schedule?: readonly number[];
  readonly applies_to?: readonly string[];
  /**
   * For an area of responsibility: true when it covers the ground only, not the airspace above
   * it, so that air operations do not enter it (`incursion`). Absent or false: every height.
   */
  readonly ground_only?: boolean;
  readonly visibility: Visibility;
  readonly notify?: readonly string[];
  readonly label?: string;
  readonly notes?: string;
}

export type RuleName =
  | 'strike_protected'
  | 'strike_movement'
  | 'strike_air'
  | 'strike_strike'
  | 'air_air'
  | 'movement_movement'
  | 'incursion'
  | 'aor_overlap'
  | 'restricted'
  /** A declaration breaking a term of an agreement in force (src/engine/agreements.ts). */
  | 'agreement_breach';

export const RULES: readonly RuleName[] = [
  'strike_protected',
  'strike_movement',
  'strike_air',
  'strike_strike',
  'air_air',
  'movement_movement',
  'incursion',
  'aor_overlap',
  'restricted',
  'agreement_breach',
];

export type Severity = 'critical' | 'high' | 'medium' | 'low';

/**
 * A conflict between declarations `a` and `b` (`a < b` by id). An `agreement_breach` is between
 * a declaration `a` and a term `b` of an agreement (`agreement:<agreement id>/<term id>`).
 */
export interface Conflict {
  readonly rule: RuleName;
  readonly severity: Severity;
  readonly a: string;
  readonly b: string;
  readonly internal: boolean;
  /** Minimum geodesic distance in metres between the geometries (0 when they touch or overlap). */
  readonly distance_m: number;
  /** The overlap of the two windows, `[start, end)` in epoch ms; `end = null` when open-ended. */
  readonly window: { readonly start: number; readonly end: number | null };
  /** The closest points: `closest[0]` on `a`, `closest[1]` on `b`. */
  readonly closest: readonly [Position, Position];
}

/**
 * Hub defaults of docs/design.md §4, overridable per hub or per check.
 */
export interface EngineOptions {
  /** `air_air`: horizontal separation in metres added to the sum of buffers (default 9,260 m = 5 NM). */
  readonly horizontalSeparation_m: number;
  /** `air_air`: vertical separation in metres (default 305 m = 1,000 ft). */
  readonly verticalSeparation_m: number;
  /** `strike_air`: hazard ceiling in metres AMSL when a strike gives no altitude (default 3,000 m). */
  readonly strikeHazardCeiling_m: number;
  /**
   * Hook for agreements (docs/design.md §6): returns true when an agreement in force allows `activity`
   * in `area` during the window (the conflict's window: for a scheduled movement, the part of the
   * overlap when it is in the area). `incursion` does not fire for allowed pairs. Default:
   * nothing is allowed.
   */
  readonly incursionAllowed?: (
    activity: Declaration,
    area: Declaration,
    window: { start: number; end: number | null },
  ) => boolean;
}

export const DEFAULT_OPTIONS: EngineOptions = {
  horizontalSeparation_m: 9260,
  verticalSeparation_m: 305,
  strikeHazardCeiling_m: 3000,
};
