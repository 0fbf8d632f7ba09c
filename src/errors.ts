/**
 * The one registry of coded errors: the engine's (`src/engine/errors.ts`) and the hub's and
 * CLI's below. Domain code raises {@link DeconflictError}s carrying a code from this registry;
 * only the edges (the CLI's exit status, the HTTP layer's status) translate a code into
 * something else. Every code is documented here and in docs/errors.md; a test checks that the
 * two agree.
 */
import { type ErrorDetail as Detail, ENGINE_ERROR_CODES } from './engine/errors.ts';

export { DeconflictError } from './engine/errors.ts';

export const ERROR_CODES = {
  ...ENGINE_ERROR_CODES,
  invalid_argument: 'A command-line argument is missing or has a bad value.',
  bad_signature:
    'A signed statement does not hold: not for this hub, not by the caller, not what the request does, signed too far from now, or not verified by a registered, unrevoked key of the caller (docs/transparency.md §4).',
  key_exists: 'This public key is already registered.',
  checkpoint_unknown:
    'The hub signed no checkpoint of this size: cosign a checkpoint it gave (GET /api/v1/ledger/checkpoint).',
  checkpoint_mismatch:
    'The hub signed a different root at this size: the checkpoint cosigned is not the one it gave — a split view, or a tampered client.',
  io_error: 'A file could not be read.',
  invalid_request: 'The request body or a query parameter is malformed.',
  unauthorized: 'No valid credentials: log in, or the token is unknown, expired or revoked.',
  forbidden: 'The caller is authenticated but its role or party may not do this.',
  not_found: 'No such record that the caller may see.',
  id_exists: 'A declaration of the caller’s own party, a party or a member with this id already exists.',
  declaration_closed: 'The declaration is withdrawn or expired and can no longer change.',
  already_resolved: 'The conflict is already resolved.',
  already_acknowledged: 'The alert is already acknowledged, or closed because its subject was resolved.',
  channel_not_active:
    'The hotline channel is not open to this party (not accepted yet, or declined), or no other party accepted it.',
  payload_too_large: 'The request body exceeds the size limit.',
  rate_limited:
    'Too many requests for this token, or logins for this name, device or address, or too many logins waiting: retry after the seconds of the `Retry-After` header (when given).',
  rate_above_ceiling:
    'An API token’s `rate_limit` asks for more requests per second, or a larger burst, than the ceiling this hub’s operator allows (`serve --rate-limit-max`, `--rate-burst-max`); the message names it.',
  notify_not_visible:
    '`notify` names a party that `visibility` does not let see the declaration: list it in `visibility` too.',
  weak_password: 'The password is shorter than the hub requires (12 characters).',
  address_not_allowed:
    'The webhook URL is, or its name resolves to, an address the hub does not send to (loopback, private, link-local, metadata, ...) unless its operator allows that network (`--webhook-allow`).',
  storage_full:
    'The hub’s disk is full: the change was not applied and nothing stored was lost; retry once the hub’s operator has freed space.',
  store_unavailable:
    'The hub cannot reach its database (PostgreSQL down, restarting or out of reach): the change was not applied and nothing acknowledged was lost; retry in a few seconds.',
  shutting_down:
    'This hub instance is stopping (its operator restarts or upgrades it): the request was not read and changed nothing; send it again, to another instance or once this one is back.',
  method_not_allowed:
    'The path exists but does not take this method (the `Allow` header lists those it takes).',
  unsupported_media_type:
    'The request body is not JSON: send `application/json` (or `application/geo+json`).',
  uri_too_long: 'A path segment is longer than any id the hub has (docs/security.md, "Input").',
  header_too_large: 'The request line and headers exceed what the hub reads (16 KiB).',
  request_timeout: 'The request did not arrive in full in time.',
  upgrade_required: '`GET /api/v1/stream` is a WebSocket: send the upgrade request.',
  too_many_streams:
    'This token or party already has as many open streams as the hub allows (close one, or reuse it).',
  request_too_heavy:
    'The submission carries more vertices than one request may (the per-request work budget): split it into smaller submissions.',
  work_budget_exceeded:
    'The party has submitted more vertices in the last minute than its work budget allows: retry after the seconds of the `Retry-After` header.',
  last_admin:
    'The change would leave the party without an active party administrator: make another member party_admin first.',
  username_prefix:
    'A member’s username is its party’s id, a dot and a name without a dot (`<party>.<name>`).',
  agreement_superseded:
    'The version of the agreement signed or countered is not its current one: a counter-proposal superseded it (docs/agreements.md §2).',
  agreement_closed:
    'The agreement is withdrawn or expired, or its withdrawal is already recorded: it can no longer be signed, countered or withdrawn.',
  invalid_sealed:
    'A sealed declaration is malformed: its window is not on the slot grid of its slot length, too long, at another H3 resolution than the hub’s, or its tokens repeat (docs/blind-matching.md).',
  blind_state:
    'The blind check is not waiting for this answer (another step is due, or it is finished or cancelled): read GET /api/v1/blind/tasks again.',
  bad_elements:
    'The elements handed for a blind check are not what it asked: another count than the check expects, a slot index outside its slots, or a value that is not a valid ristretto255 element.',
  agreement_state:
    'The agreement is not in a state that allows this: only a draft is edited or proposed; a draft is not countered, signed or withdrawn; one in force is not countered.',
  content_mismatch:
    'The `content_sha256` sent is not the hash of the agreement version’s text: what would be signed is not what the hub holds.',
  already_signed: 'The caller’s party has already signed this version of the agreement.',
  not_signatory:
    'The caller’s party is not a signatory of the agreement (or, creating one, not among its `parties`).',
  effective_in_past:
    'A withdrawal’s `effective` time is before the hub’s clock: an agreement is never withdrawn retroactively.',
  // Imports of files (src/formats/safe, src/formats/import; docs/formats/import.md).
  unsafe_file:
    'The file is refused as hostile: an XML document with a DOCTYPE or ENTITY declaration (external entities, entity expansion), or an archive with too many entries, too many inflated bytes or a compression ratio no real file has.',
  invalid_file:
    'The file is not what its format says: malformed XML (line and column named), a damaged archive, an unreadable spreadsheet, or a format the importer does not know.',
  import_missing_column:
    'A column the mapping needs is not in the file’s header row (or the mapping names a column that does not exist).',
  import_bad_value:
    'A cell or field of an imported file cannot be mapped onto a declaration: the row (as a spreadsheet numbers it, header = 1) and column are named.',
  // Base map archives served by the hub (src/server/basemap.ts; docs/formats/basemaps.md).
  range_not_satisfiable:
    'The `Range` asked for is not one byte range within the archive (past its end, several ranges, or malformed): the answer’s `Content-Range: bytes */SIZE` gives its size.',
  // Cursor-on-Target imports (src/formats/cot/decode.ts; docs/formats/cot.md).
  cot_unmapped:
    'A CoT event is no declaration the hub can map: it carries no `__deconflict` detail and its type is not a hospital, school or religious site marker or a `b-m-r` route (the event index and uid are named).',
  // Exports and content negotiation (src/server/routes/formats.ts; docs/formats/).
  not_acceptable:
    'No format the request accepts (its `Accept` header) can be produced: the message names the media types and `?format=` values this route answers with.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** One problem found in input: which feature, which property, what is wrong. */
export type ErrorDetail = Detail<ErrorCode>;
