/**
 * The reference for "no conflict missed": every pair of active declarations evaluated one by one
 * by the engine's pair rule (`evaluatePair`, no index, no time buckets, no worker), compared with
 * the open conflicts a hub recorded. It finds what the hub missed, what it recorded that no pair
 * rule gives, and pairs recorded more than once (several instances racing on one database must
 * record each exactly once). Quadratic: for the few thousand declarations of a test or of the
 * benchmark's hot spot.
 */
import { evaluatePair, type Prepared } from '../../src/engine/rules.ts';
import { prepare } from '../../src/engine/stindex.ts';
import { DEFAULT_OPTIONS } from '../../src/engine/types.ts';
import type { Store } from '../../src/store/ports.ts';

export interface BruteForceReport {
  readonly declarations: number;
  readonly pairs: number;
  /** Conflicting pairs by the pair rule. */
  readonly expected: number;
  /** Distinct pairs among the recorded open conflicts. */
  readonly recorded: number;
  /** A few examples of each difference (`rule a b`). */
  readonly missed: string[];
  readonly extra: string[];
  /** Pairs recorded by more than one open conflict. */
  readonly repeated: string[];
  readonly ms: number;
}

const pairKey = (rule: string, a: string, b: string): string =>
  `${rule} ${a < b ? `${a} ${b}` : `${b} ${a}`}`;

/**
 * Compare the open conflicts recorded for `parties` with every pair of active declarations. With
 * `only`, just the declarations it accepts, and the conflicts between two of them.
 */
export async function bruteForceCompare(
  store: Store,
  parties: readonly string[],
  only: (id: string) => boolean = () => true,
): Promise<BruteForceReport> {
  const t = performance.now();
  const active = (await store.read((tx) => tx.declarations.active())).filter((d) => only(d.id));
  const recorded = await store.read(async (tx) => {
    const byId = new Map<string, { rule: string; a: string; b: string }>();
    for (const party of parties)
      for (const c of await tx.conflicts.query({ party, status: 'open', limit: 10_000_000 }))
        if (only(c.a) && only(c.b)) byId.set(c.id, c);
    return [...byId.values()];
  });
  const prepared: Prepared[] = active.map((d) => prepare(d));
  const expected = new Set<string>();
  let pairs = 0;
  for (let i = 0; i < prepared.length; i++) {
    for (let j = i + 1; j < prepared.length; j++) {
      pairs++;
      const c = evaluatePair(prepared[i] as Prepared, prepared[j] as Prepared, DEFAULT_OPTIONS);
      if (c !== null) expected.add(pairKey(c.rule, c.a, c.b));
    }
  }
  const times = new Map<string, number>();
  for (const c of recorded) {
    const k = pairKey(c.rule, c.a, c.b);
    times.set(k, (times.get(k) ?? 0) + 1);
  }
  const missed = [...expected].filter((k) => !times.has(k));
  const extra = [...times.keys()].filter((k) => !expected.has(k));
  const repeated = [...times].filter(([, n]) => n > 1).map(([k, n]) => `${k} ×${n}`);
  return {
    declarations: active.length,
    pairs,
    expected: expected.size,
    recorded: times.size,
    missed: missed.slice(0, 5),
    extra: extra.slice(0, 5),
    repeated: repeated.slice(0, 5),
    ms: performance.now() - t,
  };
}
