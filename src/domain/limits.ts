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

/**
 * The work one submission may cost, counted in vertices (positions of its geometries; a feature
 * without any counts as one), the measure a client can see in what it sends and that bounds the
 * cost of parsing, validating and checking it (docs/security.md, "Heavy requests"):
 * - `perRequest`: a submission or amendment carrying more is refused whole (`request_too_heavy`,
 *   413: no retry can help; split it);
 * - `perPartyPerMinute`: what one party may submit in a minute, as a token bucket that holds a
 *   minute's worth and refills evenly; past it `work_budget_exceeded` (429, with Retry-After).
 * The defaults let one party send four of the heaviest requests the body limit allows (5 MiB:
 * about 120,000 vertices written with full precision) in a minute, and stop it at eight.
 */
export interface WorkBudget {
  readonly perRequest: number;
  readonly perPartyPerMinute: number;
}

export const DEFAULT_WORK_BUDGET: WorkBudget = { perRequest: 250_000, perPartyPerMinute: 1_000_000 };

/**
 * Submissions of more vertices than this are parsed, validated and checked in worker threads,
 * not on the thread that answers every other request: checking a ring costs time quadratic in
 * its vertices, and 1,000 vertices take ~30 ms on the main thread, the most it should block.
 */
export const DEFAULT_OFFLOAD_ABOVE_VERTICES = 1_000;

/**
 * How many requests a token may make: `perSecond` on average, `burst` at once (a token bucket;
 * src/server/rate.ts). Whole numbers: an integrator reads "50/s, burst 100", not a fraction.
 */
export interface RequestRate {
  readonly perSecond: number;
  readonly burst: number;
}

/**
 * The hub's default, for every token without a rate of its own: a console polls a few times a
 * second, a script that submits in a loop a few dozen; 100/s is far above either and far below
 * what one token could take from everyone else. It is also the default ceiling of a token's own
 * rate: only the hub's operator can let a party ask for more (`serve --rate-limit-max`).
 */
export const DEFAULT_REQUEST_RATE: RequestRate = { perSecond: 100, burst: 200 };

/**
 * The largest rate and burst anyone may set, the hub's operator included: well above what one
 * hub answers (a few thousand submissions a second), so that it never binds an honest setting,
 * and small enough that a bucket's arithmetic stays exact.
 */
export const MAX_REQUEST_RATE = 100_000;
