/**
 * The engine's coded errors: what can be wrong with a declaration or with input to the engine's
 * parsers, each with its code. The project's one registry (`src/errors.ts`) is these codes plus
 * those of the hub and the CLI; the engine imports nothing outside itself, so its share of the
 * registry lives here. Only the edges (the CLI's exit status, the HTTP layer's status) translate
 * a code into something else.
 */

export const ENGINE_ERROR_CODES = {
  invalid_json: 'The input is not JSON.',
  not_feature_collection: 'A FeatureCollection (or a single Feature) was expected.',
  not_feature: 'Each entry of `features` must be a GeoJSON Feature.',
  missing_property: 'A required property is absent.',
  invalid_property: 'A property has the wrong type or a value outside its domain.',
  unknown_property: 'A property that declarations do not have (a typo would otherwise be ignored).',
  unknown_kind: '`kind` is not one of the six declaration kinds.',
  invalid_geometry: 'The geometry is not valid GeoJSON for its type.',
  wrong_geometry_for_kind: 'The geometry type is not allowed for this kind.',
  coordinate_out_of_range: 'A longitude outside [-180, 180] or a latitude outside [-90, 90].',
  ring_not_closed: 'A polygon ring whose last position differs from its first.',
  ring_too_short: 'A polygon ring with fewer than four positions (three distinct corners).',
  ring_self_intersection: 'A polygon ring that crosses or touches itself.',
  degenerate_edge: 'Two consecutive positions are the same point, or a line has fewer than two.',
  edge_too_long: 'An edge longer than the engine handles (10,000 km, a quarter of a meridian).',
  pole_vertex: 'A line or ring vertex at a pole, where longitude is undefined.',
  invalid_time: 'A time that is not ISO 8601 UTC (`Z` or `+00:00`).',
  window_empty: '`end` is not after `start`.',
  schedule_mismatch: 'The schedule does not have one time per route vertex.',
  schedule_order: 'The schedule times are not strictly increasing.',
  schedule_outside_window: 'A schedule time lies outside the declaration window.',
  altitude_inverted: 'An altitude band whose `lower_m` is above its `upper_m`.',
  missing_altitude: '`altitude` is required for an air operation.',
  party_mismatch:
    'The declaration names a party other than the caller, or has an id with another party’s prefix (ids are `<party>:<local id>`).',
  duplicate_id: 'Two features of one submission share an id.',
  too_many_features: 'More features than one submission may carry.',
  too_many_vertices: 'More vertices than one geometry may carry.',
  term_outside_agreement:
    'A term of an agreement whose window (`start`, `end`) is not inside the agreement’s own window (docs/agreements.md §1).',
  unknown_party:
    'A party named in `visibility`, `notify` or `applies_to`, or among an agreement’s signatories, does not exist (a misspelt party is never notified silently); or a term of an agreement names a party that is not one of its signatories.',
  invalid_text:
    'A string that is not well-formed Unicode (a lone surrogate) or holds a character its field does not take: a control character, a line break or tab in a one-line field, a bidirectional control (docs/security.md).',
} as const;

export type EngineErrorCode = keyof typeof ENGINE_ERROR_CODES;

/** One problem found in input: which feature, which property, what is wrong. */
export interface ErrorDetail<Code extends string = EngineErrorCode> {
  readonly code: Code;
  /** The feature: its index in the collection, and its id when it has one. */
  readonly feature: { readonly index: number; readonly id?: string } | null;
  /** JSON path of the offending value inside the feature, e.g. `properties.end`. */
  readonly path: string;
  readonly message: string;
}

/**
 * An error carrying one or more coded details. Thrown by parsers and by the hub; caught at the
 * edges. Its codes are those of the registry (`src/errors.ts`); the engine raises only its own.
 */
export class DeconflictError<Code extends string = string> extends Error {
  readonly details: readonly ErrorDetail<Code>[];
  constructor(details: readonly ErrorDetail<Code>[]) {
    super(details.map((d) => `${d.code}: ${d.message}`).join('; '));
    this.name = 'DeconflictError';
    this.details = details;
  }
  get code(): Code {
    return (this.details[0] as ErrorDetail<Code>).code;
  }
}
