/**
 * Token-bucket rate limiting, per key (a token's hash, a login name). In memory: a limit per
 * hub instance. The table of buckets is bounded so that a flood of made-up keys cannot grow it
 * without end.
 */
import { createHash } from 'node:crypto';

const MAX_KEYS = 100_000;

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number,
  ) {}

  /** Take one request from the key's bucket; false when it is empty. */
  take(key: string): boolean {
    const k = createHash('sha256').update(key).digest('base64');
    const t = this.now();
    const b = this.buckets.get(k);
    if (b === undefined) {
      if (this.buckets.size >= MAX_KEYS) this.evictFull(t);
      this.buckets.set(k, { tokens: this.burst - 1, at: t });
      return true;
    }
    b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.perSecond);
    b.at = t;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Drop buckets that have refilled (they hold no state worth keeping). */
  private evictFull(t: number): void {
    for (const [k, b] of this.buckets) {
      if (b.tokens + ((t - b.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(k);
    }
    if (this.buckets.size >= MAX_KEYS) this.buckets.clear();
  }
}
