/**
 * What the transparency log costs a submission (issue #14: ≤ 10 %): submissions per second
 * through Hub.declarations.submit (validation, live detection, SQLite with `synchronous = FULL`,
 * the ledger) with the log on — each entry's salt and leaf hash computed as it is appended, and a
 * checkpoint signed every second while the log grows, as a busy hub with a witness polling would —
 * against the log off (leaves left for the tree to compute later, no checkpoints).
 *
 * The two run in turn, off on off on …, each on a fresh data directory with the demo loaded, after
 * one uncounted pair (the JIT's warm-up), so that the machine's drift falls on both; the figures
 * are the median of each side and the median of the pairs' ratios (this machine is shared and
 * noisy: a pair's ratio holds when its speed drifts between pairs).
 *
 * Run: `node --import tsx bench/ledger.bench.ts` (about a minute; LEDGER_BENCH_N=N submissions
 * per run, LEDGER_BENCH_ROUNDS=R pairs).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../src/hub/clock.ts';
import { loadDemo } from '../src/hub/demo.ts';
import { Hub, type Principal } from '../src/hub/hub.ts';
import { openSqliteStore } from '../src/store/sqlite.ts';
import { count, HOUR, msSince, mulberry32, now, pick, section, table, uniform, verdict } from './support.ts';

const N = Number(process.env.LEDGER_BENCH_N ?? 1500);
const ROUNDS = Number(process.env.LEDGER_BENCH_ROUNDS ?? 5);
const PARTIES = ['coalition', 'northern-forces', 'relief-agency', 'city-police'];

const operator = (party: string): Principal => ({
  username: `${party}.operator`,
  party,
  roles: ['operator'],
  tokenId: 'bench',
});

/** One declaration: a strike or a protected site somewhere over the demo's region. */
function feature(rng: () => number, i: number, t0: number) {
  const site = rng() < 0.5;
  return {
    type: 'Feature',
    geometry: { type: 'Point', coordinates: [uniform(rng, 20, 26), uniform(rng, 44, 48)] },
    properties: {
      id: `bench-${i}`,
      kind: site ? 'protected_site' : 'strike',
      ...(site && { category: 'medical' }),
      start: new Date(t0 + HOUR).toISOString(),
      end: new Date(t0 + 3 * HOUR).toISOString(),
      ...(site ? {} : { buffer_m: 200 }),
    },
  };
}

async function run(logOn: boolean, seed: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'deconflict-ledger-bench-'));
  const store = openSqliteStore({ dir, storeLeaves: logOn });
  const hub = await Hub.open(store, systemClock);
  try {
    await loadDemo(hub);
    if (logOn) hub.transparency.startCheckpoints(1000);
    const rng = mulberry32(seed);
    const t0 = Date.now();
    const start = now();
    for (let i = 0; i < N; i++) {
      const party = pick(rng, PARTIES);
      await hub.declarations.submit(operator(party), {
        type: 'FeatureCollection',
        features: [feature(rng, i, t0)],
      });
    }
    const ms = msSince(start);
    if (logOn) await hub.transparency.latest(); // the log is whole: its last checkpoint signs every entry
    return (N / ms) * 1000;
  } finally {
    await hub.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

section(
  `Submissions/s with the transparency log on vs off (${count(N)} single-feature submissions a run, ${ROUNDS} pairs)`,
);
await run(false, 99);
await run(true, 99);
const off: number[] = [];
const on: number[] = [];
const ratios: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  off.push(await run(false, 100 + r));
  on.push(await run(true, 100 + r));
  ratios.push((on.at(-1) as number) / (off.at(-1) as number));
  console.log(
    `  pair ${r + 1}: off ${off.at(-1)?.toFixed(0)}/s, on ${on.at(-1)?.toFixed(0)}/s, on/off ${ratios.at(-1)?.toFixed(3)}`,
  );
}
const ratio = median(ratios);
const cost = (1 - ratio) * 100;
console.log(
  table(
    ['', 'log off', 'log on', 'on/off (median of pairs)', 'cost', 'target', ''],
    [
      [
        'submissions/s (median)',
        median(off).toFixed(0),
        median(on).toFixed(0),
        `${ratio.toFixed(3)} (${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)})`,
        `${cost.toFixed(1)} %`,
        '≤ 10 %',
        verdict(cost <= 10),
      ],
    ],
  ),
);
