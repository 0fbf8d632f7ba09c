/**
 * The edge: coded errors become HTTP statuses here and nowhere else. Every code of the registry
 * has a status (the type checker enforces it); the body is always `{"errors": [...]}` with the
 * same details the CLI prints.
 */

import type { ErrorObject } from 'ajv';
import type { FastifyError } from 'fastify';
import { MAX_ID_LENGTH, wellFormed } from '../engine/text.ts';
import { DeconflictError, type ErrorCode, type ErrorDetail } from '../errors.ts';
import { validationError } from './validation.ts';

export const HTTP_STATUS: Record<ErrorCode, number> = {
  invalid_json: 400,
  not_feature_collection: 422,
  not_feature: 422,
  missing_property: 422,
  invalid_property: 422,
  unknown_property: 422,
  unknown_kind: 422,
  invalid_geometry: 422,
  wrong_geometry_for_kind: 422,
  coordinate_out_of_range: 422,
  ring_not_closed: 422,
  ring_too_short: 422,
  ring_self_intersection: 422,
  degenerate_edge: 422,
  edge_too_long: 422,
  pole_vertex: 422,
  invalid_time: 422,
  window_empty: 422,
  schedule_mismatch: 422,
  schedule_order: 422,
  schedule_outside_window: 422,
  altitude_inverted: 422,
  missing_altitude: 422,
  party_mismatch: 403,
  duplicate_id: 422,
  too_many_features: 413,
  too_many_vertices: 413,
  invalid_argument: 400,
  io_error: 500,
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  id_exists: 409,
  declaration_closed: 409,
  already_resolved: 409,
  already_acknowledged: 409,
  channel_not_active: 409,
  payload_too_large: 413,
  rate_limited: 429,
  rate_above_ceiling: 422,
  unknown_party: 422,
  notify_not_visible: 422,
  weak_password: 422,
  address_not_allowed: 422,
  // 507 Insufficient Storage: the request was right and may be sent again unchanged once the
  // operator has freed space; a 500 would say the hub failed, a 4xx that the client did.
  storage_full: 507,
  // 503: the hub is fine but its database is out of reach for now; the same request will do.
  store_unavailable: 503,
  // 503 with Connection: close: this instance is draining; another, or this one restarted, will do.
  shutting_down: 503,
  invalid_text: 400,
  method_not_allowed: 405,
  unsupported_media_type: 415,
  uri_too_long: 414,
  header_too_large: 431,
  request_timeout: 408,
  upgrade_required: 426,
  too_many_streams: 429,
  request_too_heavy: 413,
  work_budget_exceeded: 429,
  last_admin: 409,
  username_prefix: 422,
  bad_signature: 422,
  key_exists: 409,
  checkpoint_unknown: 409,
  checkpoint_mismatch: 409,
  term_outside_agreement: 422,
  agreement_superseded: 409,
  agreement_closed: 409,
  agreement_state: 409,
  invalid_sealed: 400,
  blind_state: 409,
  bad_elements: 400,
  content_mismatch: 409,
  already_signed: 409,
  not_signatory: 403,
  effective_in_past: 422,
  // Imports of files.
  unsafe_file: 422,
  invalid_file: 422,
  import_missing_column: 422,
  import_bad_value: 422,
  // Base map archives (src/server/basemap.ts).
  range_not_satisfiable: 416,
  // Cursor-on-Target imports.
  cot_unmapped: 422,
  // Exports and content negotiation.
  not_acceptable: 406,
};

/**
 * A detail as it leaves the hub: its path and message with any unpaired surrogate or control
 * character replaced by U+FFFD. Input is refused before it is stored (text.ts), but a message
 * may quote what was refused (a field name, a value): an answer must never carry what it refuses.
 */
function printable(d: ErrorDetail): ErrorDetail {
  const path = wellFormed(d.path);
  const message = wellFormed(d.message);
  const id = d.feature?.id;
  const feature =
    d.feature && id !== undefined && wellFormed(id) !== id ? { ...d.feature, id: wellFormed(id) } : d.feature;
  return path === d.path && message === d.message && feature === d.feature
    ? d
    : { ...d, feature, path, message };
}

export function coded(code: ErrorCode, message: string, path = ''): DeconflictError {
  return new DeconflictError([{ code, feature: null, path, message }]);
}

/** The status and body for any error thrown while handling a request. */
export function errorResponse(err: unknown): { status: number; body: { errors: readonly ErrorDetail[] } } {
  if (err instanceof DeconflictError) {
    // Every code raised comes from the registry (the engine's share included).
    const details = err.details as readonly ErrorDetail[];
    // The highest status among the details decides (a batch may mix classes of error).
    const status = Math.max(...details.map((d) => HTTP_STATUS[d.code]));
    return { status, body: { errors: details.map(printable) } };
  }
  const fe = err as FastifyError;
  // A request that failed its route's schema: the first problem, named (validation.ts).
  if (fe.validation)
    return errorResponse(validationError(fe.validation as ErrorObject[], fe.validationContext ?? ''));
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errorResponse(coded('payload_too_large', 'the request body is larger than the hub accepts'));
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return errorResponse(coded('invalid_json', 'the request body is not valid JSON'));
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errorResponse(
        coded('unsupported_media_type', 'send JSON (application/json or application/geo+json)'),
      );
    case 'FST_ERR_BAD_URL':
      return errorResponse(coded('invalid_request', 'the URL has a malformed %-escape'));
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return errorResponse(
        coded(
          'uri_too_long',
          `a path segment is longer than any id the hub has (${MAX_ID_LENGTH} characters)`,
        ),
      );
    default:
      break;
  }
  if (fe instanceof SyntaxError)
    return errorResponse(coded('invalid_json', 'the request body is not valid JSON'));
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return errorResponse(coded('invalid_request', 'the request is malformed'));
  }
  // Never echo an internal message: it could carry data the caller may not see.
  return {
    status: 500,
    body: {
      errors: [
        { code: 'io_error', feature: null, path: '', message: 'internal error; the change was not applied' },
      ],
    },
  };
}
