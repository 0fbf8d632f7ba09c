/**
 * The work budget: what one submission may cost, and what one party may spend in a minute,
 * counted in vertices (docs/security.md, "Heavy requests"; the defaults are in
 * src/domain/limits.ts).
 *
 * Why vertices: they are what a client can see in what it sends, they are counted in one pass
 * over the raw body before anything expensive runs, and they bound the cost of everything after
 * (parsing and validating rings, preparing shapes, exact distances). A request is charged when
 * it is admitted, before it is parsed: a request that turns out to be invalid cost the hub the
 * same work. A refused request is not charged and changes nothing.
 *
 * Per party, not per token: a party with many tokens or members is still one party, and the
 * party is what the hub shares fairly. The bucket holds a minute's worth and refills evenly,
 * so a party may send a burst as heavy as its minute, then as much as refills.
 */
import { DEFAULT_WORK_BUDGET, type WorkBudget } from '../domain/limits.ts';
import { DeconflictError } from '../errors.ts';

/** A 429 that says when the party's bucket will hold enough for the request (`Retry-After`). */
export class WorkBudgetExceeded extends DeconflictError {
  constructor(
    message: string,
    /** Whole seconds until the request would be admitted (at least 1). */
    readonly retryAfter_s: number,
  ) {
    super([{ code: 'work_budget_exceeded', feature: null, path: '', message }]);
  }
}

/** The work budget with defaults filled in, checked: a request the minute cannot hold would never pass. */
export function workBudget(b: Partial<WorkBudget> = {}): WorkBudget {
  const out = { ...DEFAULT_WORK_BUDGET, ...b };
  for (const [name, v] of Object.entries(out)) {
    if (!Number.isSafeInteger(v) || v < 1) throw new Error(`work budget ${name} must be a whole number ≥ 1`);
  }
  if (out.perRequest > out.perPartyPerMinute)
    throw new Error('the work budget per request cannot exceed the budget per party and minute');
  return out;
}

const MINUTE_MS = 60_000;

/**
 * Vertices in a submission as it arrived (one Feature or a FeatureCollection), before parsing:
 * every position in a geometry's coordinates, at least one per feature. Whatever is not shaped
 * like GeoJSON counts as one feature: the parser refuses it at once.
 */
export function verticesOf(input: unknown): number {
  const features =
    isObject(input) && input.type === 'FeatureCollection' && Array.isArray(input.features)
      ? (input.features as unknown[])
      : [input];
  let total = 0;
  for (const f of features) {
    const geometry = isObject(f) ? f.geometry : undefined;
    const coordinates = isObject(geometry) ? geometry.coordinates : undefined;
    total += Math.max(1, positions(coordinates, 0));
  }
  return total;
}

/** Coordinates nest at most 4 deep (a MultiPolygon's); deeper is not GeoJSON and counts as one. */
const MAX_DEPTH = 4;

/**
 * Positions (arrays that do not hold arrays) in nested arrays: one tight loop per level, the
 * recursion bounded by {@link MAX_DEPTH} whatever the input's nesting.
 */
function positions(x: unknown, depth: number): number {
  if (!Array.isArray(x)) return 0;
  if (x.length === 0 || !Array.isArray(x[0]) || depth >= MAX_DEPTH) return 1;
  let n = 0;
  for (let i = 0; i < x.length; i++) n += positions(x[i], depth + 1);
  return n;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The per-party buckets. In memory (a limit per hub process), one entry per party that submitted. */
export class WorkBudgets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly budget: WorkBudget,
    private readonly now: () => number,
  ) {}

  /**
   * Admit a request of `work` vertices from `party`, taking them from its bucket, or refuse it
   * (413 `request_too_heavy` over the per-request budget, 429 `work_budget_exceeded` when the
   * bucket does not hold enough yet) and take nothing.
   */
  charge(party: string, work: number): void {
    const { perRequest, perPartyPerMinute } = this.budget;
    if (work > perRequest) {
      throw new DeconflictError([
        {
          code: 'request_too_heavy',
          feature: null,
          path: '',
          message: `this submission carries ${fmt(work)} vertices; one request may carry at most ${fmt(perRequest)} (the per-request work budget): split it`,
        },
      ]);
    }
    const t = this.now();
    const b = this.buckets.get(party) ?? { tokens: perPartyPerMinute, at: t };
    // A clock set back (a test's manual clock) refills nothing, and never drains a bucket.
    b.tokens = Math.min(
      perPartyPerMinute,
      b.tokens + (Math.max(0, t - b.at) * perPartyPerMinute) / MINUTE_MS,
    );
    b.at = t;
    this.buckets.set(party, b);
    if (b.tokens < work) {
      const wait_ms = ((work - b.tokens) * MINUTE_MS) / perPartyPerMinute;
      const retry = Math.max(1, Math.ceil(wait_ms / 1000));
      throw new WorkBudgetExceeded(
        `party ${party} may submit ${fmt(perPartyPerMinute)} vertices a minute (the work budget per party); this submission carries ${fmt(work)} and ${fmt(Math.floor(b.tokens))} are left now: retry in ${retry} s`,
        retry,
      );
    }
    b.tokens -= work;
  }
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/**
 * `deconflict serve --work-budget 250000,1000000`: vertices per request, then per party and
 * minute. Throws a message for the command line when it is not two such whole numbers.
 */
export function parseWorkBudget(v: string | undefined): WorkBudget | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(',').map((x) => (/^\s*\d+\s*$/.test(x) ? Number(x) : Number.NaN));
  const [perRequest, perPartyPerMinute] = parts as [number, number];
  if (parts.length !== 2 || !parts.every((n) => Number.isSafeInteger(n) && n >= 1)) {
    throw new Error(
      `--work-budget: vertices per request and per party and minute, e.g. ${DEFAULT_WORK_BUDGET.perRequest},${DEFAULT_WORK_BUDGET.perPartyPerMinute}; got "${v}"`,
    );
  }
  if (perRequest > perPartyPerMinute)
    throw new Error(
      `--work-budget: the budget per request (${perRequest}) cannot exceed the minute's (${perPartyPerMinute})`,
    );
  return { perRequest, perPartyPerMinute };
}
