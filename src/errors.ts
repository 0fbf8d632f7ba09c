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
  rate_limited: 'Too many requests for this token or login: wait and retry.',
  unknown_party:
    'A party named in `visibility`, `notify` or `applies_to` does not exist (a misspelt party is never notified silently).',
  notify_not_visible:
    '`notify` names a party that `visibility` does not let see the declaration: list it in `visibility` too.',
  weak_password: 'The password is shorter than the hub requires (12 characters).',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** One problem found in input: which feature, which property, what is wrong. */
export type ErrorDetail = Detail<ErrorCode>;
