/**
 * What the benchmarks share: a seeded PRNG, timers, plain-text tables, the synthetic site
 * categories of their theatres, and the summary of a V8 CPU profile.
 */
import type { SiteCategory } from '../src/engine/types.ts';

export type Rng = () => number;

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const uniform = (rng: Rng, lo: number, hi: number): number => lo + (hi - lo) * rng();

export const intIn = (rng: Rng, lo: number, hi: number): number => lo + Math.floor((hi - lo + 1) * rng());

export function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[Math.floor(rng() * xs.length)] as T;
}

export const now = (): bigint => process.hrtime.bigint();

export const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] as number;
}

/** A plain-text table: first column left-aligned, the others right-aligned. */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(head), rule, ...rows.map(line)].join('\n');
}

export function section(title: string): void {
  console.log(`\n${title}\n${'='.repeat(title.length)}`);
}

export function gc(): void {
  if (global.gc) {
    global.gc();
    global.gc();
  }
}

export const CATEGORY_WEIGHTS: readonly (readonly [SiteCategory, number])[] = [
  ['medical', 0.12],
  ['humanitarian', 0.08],
  ['school', 0.25],
  ['religious', 0.15],
  ['cultural', 0.06],
  ['civilian_infrastructure', 0.2],
  ['diplomatic', 0.01],
  ['detention', 0.01],
  ['own_forces', 0.04],
  ['other', 0.08],
];

export function category(rng: Rng): SiteCategory {
  let x = rng();
  for (const [c, w] of CATEGORY_WEIGHTS) {
    x -= w;
    if (x < 0) return c;
  }
  return 'other';
}

// --- CPU profiles (the benches' opt-in profiling) ---------------------------------------------

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/**
 * Print the hottest functions of a V8 CPU profile, by self and by total time, over the samples
 * whose timestamp `keep` accepts (all by default). `title(samples, idlePercent)` heads them.
 */
export function printHottest(
  profile: CpuProfile,
  title: (samples: number, idle: string) => string,
  keep: (t: number) => boolean = () => true,
): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const root = new URL('..', import.meta.url).href;
  const keyOf = (n: ProfileNode): string => {
    const f = n.callFrame;
    const where = f.url.startsWith(root) ? f.url.slice(root.length) : f.url.replace(/^.*node_modules\//, '');
    // No line numbers: tsx emits whitespace-minified code, so they are not the source's.
    return `${f.functionName || '(anonymous)'} ${where}`.trim();
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let n = 0;
  let t = profile.startTime;
  const samples = profile.samples ?? [];
  for (let i = 0; i < samples.length; i++) {
    t += profile.timeDeltas?.[i] ?? 0;
    if (!keep(t)) continue;
    n++;
    const leaf = byId.get(samples[i] as number);
    if (!leaf) continue;
    self.set(keyOf(leaf), (self.get(keyOf(leaf)) ?? 0) + 1);
    const seen = new Set<string>();
    for (let id: number | undefined = samples[i]; id !== undefined; id = parent.get(id)) {
      const node = byId.get(id);
      if (node) seen.add(keyOf(node));
    }
    for (const k of seen) total.set(k, (total.get(k) ?? 0) + 1);
  }
  const share = Math.max(1, n);
  const top = (m: Map<string, number>, k: number): string[][] =>
    [...m.entries()]
      .filter(([key]) => !/^\((root|program|idle)\)/.test(key))
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([key, v]) => [
        key.length > 100 ? `${key.slice(0, 97)}...` : key,
        `${((100 * v) / share).toFixed(1)} %`,
      ]);
  console.log(title(n, ((100 * (self.get('(idle)') ?? 0)) / share).toFixed(1)));
  console.log(table(['hottest functions, self time', 'share'], top(self, 15)));
  console.log(table(['hottest functions, total time (incl. callees)', 'share'], top(total, 25)));
}
