/**
 * Limits and formats of names the hub enforces, shared by the API's schemas (which check a
 * request's shape) and the hub (which checks the same rules for input that does not come over
 * HTTP: the CLI, the demo). One definition each.
 */

/** The shortest password a member may have. */
export const MIN_PASSWORD_LENGTH = 12;
/** The longest password the hub will hash (a bound on the work one request may cost). */
export const MAX_PASSWORD_LENGTH = 1024;
/** A login name: letters, digits, ".", "_", "-", "@"; at most 64. */
export const USERNAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$';
/** A party id: letters, digits, "-", "_", "."; at most 64. */
export const PARTY_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$';
