/**
 * Transparency log benchmark (issue #14): the Merkle tree of src/ledger/merkle.ts at 1,000,000
 * leaves — building it, what it holds in memory, and the cost of a root, an inclusion proof and
 * a consistency proof at random past sizes, made and verified. Target: each proof ≤ 1 ms.
 * Also SHA-256 per node hash, @noble/hashes against node:crypto (why the tree uses the former:
 * see merkle.ts).
 *
 * Run: `node --import tsx --expose-gc bench/log.bench.ts` (about 15 s; LOG_BENCH_LEAVES=N for
 * another size). Seeded (mulberry32), so every run asks for the same proofs. The verdict is on
 * the p99; the max holds young-generation GC pauses (`--trace-gc` shows 10–17 ms scavenges while
 * the bench keeps its 2,200 precomputed proofs and roots alive), not the tree's work.
 */
import { createHash } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { leafHash, MerkleLog, verifyConsistency, verifyInclusion } from '../src/ledger/merkle.ts';
import {
  count,
  gc,
  intIn,
  MB,
  msFmt,
  msSince,
  mulberry32,
  now,
  quantile,
  section,
  table,
  verdict,
} from './support.ts';

const N = Number(process.env.LOG_BENCH_LEAVES ?? 1_000_000);
const SAMPLES = 2_000;
const TARGET_MS = 1;

/**
 * Entry-like bytes: ~300 bytes of canonical JSON, as a ledger entry is, its first 4 bytes made
 * unique per leaf (making 1M real entries would time JSON.stringify, not the tree).
 */
const TEMPLATE = new TextEncoder().encode(
  JSON.stringify({
    actor: 'coalition.operator',
    at: 1_790_000_000_000,
    party: 'coalition',
    payload: { id: 'coalition/site-1', kind: 'protected_site', note: 'x'.repeat(150) },
    prev_hash: '0'.repeat(64),
    seq: 1,
    subject: 'coalition/site-1',
    type: 'declaration.submitted',
  }),
);
const ENTRY = TEMPLATE.slice();
const ENTRY_VIEW = new DataView(ENTRY.buffer);
function entry(i: number): Uint8Array {
  ENTRY_VIEW.setUint32(0, i);
  return ENTRY;
}

/** Milliseconds per call of `f` over SAMPLES calls, sorted, after 200 untimed calls. */
function timeEach(f: (i: number) => void): Float64Array {
  for (let i = 0; i < 200; i++) f(i);
  const t = new Float64Array(SAMPLES);
  for (let i = 0; i < SAMPLES; i++) {
    const t0 = now();
    f(i);
    t[i] = msSince(t0);
  }
  return t.sort();
}

function row(name: string, t: Float64Array, target?: number): string[] {
  const p99 = quantile(t, 0.99);
  return [
    name,
    msFmt(quantile(t, 0.5)),
    msFmt(p99),
    msFmt(t[t.length - 1] as number),
    target === undefined ? '' : `≤ ${target} ms p99: ${verdict(p99 <= target)}`,
  ];
}

section(`SHA-256 per hash, ${count(300_000)} times`);
{
  const buf = new Uint8Array(65);
  const per = (f: () => void): string => {
    const t0 = now();
    for (let i = 0; i < 300_000; i++) {
      buf[1] = i;
      f();
    }
    return `${((msSince(t0) / 300_000) * 1000).toFixed(2)} µs`;
  };
  per(() => sha256(buf));
  console.log(
    table(
      ['what', 'per hash'],
      [
        ['node (65 bytes), @noble/hashes (the tree)', per(() => sha256(buf))],
        ['node (65 bytes), node:crypto', per(() => createHash('sha256').update(buf).digest())],
        [`leafHash, ${ENTRY.length}-byte entry (noble)`, per(() => leafHash(entry(buf[1] as number)))],
        [
          `the same with node:crypto`,
          per(() =>
            createHash('sha256')
              .update(Uint8Array.of(0))
              .update(entry(buf[1] as number))
              .digest(),
          ),
        ],
      ],
    ),
  );
}

section(`Building the tree of ${count(N)} leaves`);
gc();
const heap0 = process.memoryUsage();
let t0 = now();
const leaves: Uint8Array[] = new Array(N);
for (let i = 0; i < N; i++) leaves[i] = leafHash(entry(i));
const leafMs = msSince(t0);
t0 = now();
const log = MerkleLog.fromLeaves(leaves);
const buildMs = msSince(t0);
leaves.length = 0;
gc();
const heap1 = process.memoryUsage();
console.log(
  table(
    ['measure', 'value'],
    [
      [
        `leaf hashes of ${ENTRY.length}-byte entries`,
        `${(leafMs / 1000).toFixed(2)} s (${((leafMs / N) * 1000).toFixed(2)} µs each)`,
      ],
      [
        'MerkleLog.fromLeaves',
        `${(buildMs / 1000).toFixed(2)} s (${((buildMs / N) * 1000).toFixed(2)} µs a leaf)`,
      ],
      [
        'stored hashes (MerkleLog.storedBytes)',
        `${MB(log.storedBytes)} MB (${(log.storedBytes / N).toFixed(1)} B a leaf)`,
      ],
      ['ArrayBuffers after GC, growth', `${MB(heap1.arrayBuffers - heap0.arrayBuffers)} MB`],
      ['JS heap after GC, growth', `${MB(heap1.heapUsed - heap0.heapUsed)} MB`],
    ],
  ),
);

section(`Proofs at ${count(N)} leaves: ${count(SAMPLES)} random sizes each, after 200 untimed`);
const rng = mulberry32(14);
const sizes = Array.from({ length: SAMPLES + 200 }, () => intIn(rng, Math.floor(N / 2), N));
const olds = sizes.map((s) => intIn(rng, 1, s));
const indexes = sizes.map((s) => intIn(rng, 0, s - 1));
const roots = sizes.map((s) => log.root(s));
const oldRoots = olds.map((s) => log.root(s));
const inclusion = sizes.map((s, i) => log.inclusionProof(indexes[i] as number, s));
const consistency = sizes.map((s, i) => log.consistencyProof(olds[i] as number, s));
// The leaf hashes again, for the verifications (the log hands out no leaf: the hub has them).
const leafOf = (i: number): Uint8Array => leafHash(entry(indexes[i] as number));
const checkLeaves = sizes.map((_, i) => leafOf(i));

let failures = 0;
const rows = [
  row(
    'root(size)',
    timeEach((i) => log.root(sizes[i] as number)),
  ),
  row(
    'inclusionProof(index, size)',
    timeEach((i) => log.inclusionProof(indexes[i] as number, sizes[i] as number)),
    TARGET_MS,
  ),
  row(
    'consistencyProof(from, to)',
    timeEach((i) => log.consistencyProof(olds[i] as number, sizes[i] as number)),
    TARGET_MS,
  ),
  row(
    'verifyInclusion',
    timeEach((i) => {
      const p = inclusion[i] as Uint8Array[];
      if (
        !verifyInclusion(
          checkLeaves[i] as Uint8Array,
          indexes[i] as number,
          sizes[i] as number,
          p,
          roots[i] as Uint8Array,
        )
      )
        failures++;
    }),
    TARGET_MS,
  ),
  row(
    'verifyConsistency',
    timeEach((i) => {
      const p = consistency[i] as Uint8Array[];
      if (
        !verifyConsistency(
          olds[i] as number,
          sizes[i] as number,
          oldRoots[i] as Uint8Array,
          roots[i] as Uint8Array,
          p,
        )
      )
        failures++;
    }),
    TARGET_MS,
  ),
];
console.log(table(['operation', 'median', 'p99', 'max', 'target'], rows));
const avg = (ps: Uint8Array[][]): string => (ps.reduce((n, p) => n + p.length, 0) / ps.length).toFixed(1);
console.log(
  `\nproof lengths (hashes): inclusion ${avg(inclusion)} on average, consistency ${avg(consistency)}; ` +
    `verifications failed: ${failures} (must be 0)`,
);

section('Appending to the tree of 1M');
{
  const more = Array.from({ length: 100_000 }, (_, i) => leafHash(entry(N + i)));
  const t = now();
  for (const leaf of more) log.append(leaf);
  const ms = msSince(t);
  console.log(`100,000 appends: ${msFmt(ms)} (${((ms / more.length) * 1000).toFixed(2)} µs each)`);
}
if (failures > 0) process.exitCode = 1;
