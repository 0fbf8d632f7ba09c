/**
 * Token-bucket rate limiting of requests, per key (an API or session token's secret). Each
 * bucket has its rate: the hub's default, or the token's own (set when a party administrator
 * creates it, within the ceiling the hub's operator allows; docs/security.md, "Request rates").
 *
 * In memory: a limit per hub instance. A bucket is ~100 bytes and the table holds at most
 * {@link MAX_KEYS} of them (~10 MB), so that a flood of made-up keys cannot grow it without end:
 * when it is full, buckets that have refilled are dropped (they hold nothing worth keeping), and
 * if none has, all are. Keys are kept as SHA-256 digests, never the secrets themselves.
 *
 * A refusal says when to come back: the whole seconds until the bucket holds one request again
 * (at least 1), which the HTTP layer sends as `Retry-After`.
 */
import { createHash } from 'node:crypto';
import { DEFAULT_REQUEST_RATE, MAX_REQUEST_RATE, type RequestRate } from '../domain/limits.ts';

const MAX_KEYS = 100_000;

const digest = (key: string): string => createHash('sha256').update(key).digest('base64');

interface Bucket {
  tokens: number;
  at: number;
  rate: RequestRate;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    /** The rate of a key that has none of its own. */
    readonly defaultRate: RequestRate,
    private readonly now: () => number,
  ) {}

  /**
   * Take one request from the key's bucket, which refills at `rate` (the default when not
   * given; a bucket follows its key's latest rate). 0 when the request is admitted, else the
   * whole seconds (≥ 1) until the bucket will hold one.
   */
  admit(key: string, rate: RequestRate = this.defaultRate): number {
    return this.admitDigest(digest(key), rate);
  }

  /** {@link admit} at the rate the key's bucket last had (the default for a new key). */
  take(key: string): boolean {
    const k = digest(key);
    return this.admitDigest(k, this.buckets.get(k)?.rate ?? this.defaultRate) === 0;
  }

  private admitDigest(k: string, rate: RequestRate): number {
    const t = this.now();
    const b = this.buckets.get(k);
    if (b === undefined) {
      if (this.buckets.size >= MAX_KEYS) this.evictFull(t);
      this.buckets.set(k, { tokens: rate.burst - 1, at: t, rate });
      return 0;
    }
    b.rate = rate;
    b.tokens = Math.min(rate.burst, b.tokens + ((t - b.at) / 1000) * rate.perSecond);
    b.at = t;
    if (b.tokens < 1) return Math.max(1, Math.ceil((1 - b.tokens) / rate.perSecond));
    b.tokens -= 1;
    return 0;
  }

  /** Drop buckets that have refilled (they hold no state worth keeping). */
  private evictFull(t: number): void {
    for (const [k, b] of this.buckets) {
      if (b.tokens + ((t - b.at) / 1000) * b.rate.perSecond >= b.rate.burst) this.buckets.delete(k);
    }
    if (this.buckets.size >= MAX_KEYS) this.buckets.clear();
  }
}

/** Whether a number is a whole rate or burst anyone may set (1 to {@link MAX_REQUEST_RATE}). */
const wholeRate = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= MAX_REQUEST_RATE;

/**
 * A rate and burst as the operator writes them on the command line: `--rate-limit 500/s`
 * (`/s` may be left out) and `--rate-burst 1000` (default: twice the rate). Undefined when
 * neither is given; throws an Error naming the flag otherwise.
 */
export function parseRequestRate(
  limit: string | undefined,
  burst: string | undefined,
  flags: { readonly limit: string; readonly burst: string },
  fallback: RequestRate = DEFAULT_REQUEST_RATE,
): RequestRate | undefined {
  if (limit === undefined && burst === undefined) return undefined;
  const perSecond = limit === undefined ? fallback.perSecond : Number(/^(\d+)(\/s)?$/.exec(limit)?.[1]);
  if (!wholeRate(perSecond))
    throw new Error(
      `${flags.limit} must be N/s, N a whole number from 1 to ${MAX_REQUEST_RATE}, got "${limit}"`,
    );
  const b = burst === undefined ? Math.min(2 * perSecond, MAX_REQUEST_RATE) : Number(burst);
  if (!(wholeRate(b) && /^\d+$/.test(burst ?? '1')))
    throw new Error(`${flags.burst} must be a whole number from 1 to ${MAX_REQUEST_RATE}, got "${burst}"`);
  return { perSecond, burst: b };
}
