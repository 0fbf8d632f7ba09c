/**
 * The transparency log's Merkle tree (src/ledger/merkle.ts) against RFC 9162 (issue #14):
 * published known answers; every root, inclusion proof and consistency proof of every tree of
 * 1 to 64 leaves against a brute-force reference written here from the RFC's recursive
 * definitions (MTH, PATH, PROOF/SUBPROOF, §2.1.1, §2.1.3.1, §2.1.4.1); a second, minimal
 * verifier of its own (top-down from the same definitions, not the RFC's iterative algorithm
 * that merkle.ts implements) that must accept every proof the log makes; the RFC's edge cases;
 * properties under tampering (fast-check). The reference and the minimal verifier hash with
 * node:crypto, the log with @noble/hashes: nothing is shared but the RFC.
 *
 * And the bytes the leaves hash: src/ledger/chain.ts's canonicalJson against RFC 8785's vectors.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalJson } from '../src/ledger/chain.ts';
import {
  EMPTY_ROOT,
  leafHash,
  MerkleLog,
  nodeHash,
  verifyConsistency,
  verifyInclusion,
} from '../src/ledger/merkle.ts';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 150);

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
const eq = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));
const hexes = (proof: readonly Uint8Array[]): string[] => proof.map(hex);

// --- The reference: RFC 9162 §2.1's definitions, literally, with node:crypto -------------------

function sha(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}
const hLeaf = (d: Uint8Array): Uint8Array => sha(Uint8Array.of(0), d);
const hNode = (l: Uint8Array, r: Uint8Array): Uint8Array => sha(Uint8Array.of(1), l, r);

/** The largest power of two smaller than n (n > 1). */
function splitOf(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[a:b]) of some tree, memoized (the definitions recompute it many times). */
type Mth = (a: number, b: number) => Uint8Array;

/** MTH over these entries: the hash of the empty string, a leaf hash, or a node of its two halves. */
function mthOf(entries: readonly Uint8Array[]): Mth {
  const memo = new Map<string, Uint8Array>();
  const mth: Mth = (a, b) => {
    const key = `${a}:${b}`;
    let h = memo.get(key);
    if (h === undefined) {
      const n = b - a;
      h =
        n === 0
          ? sha()
          : n === 1
            ? hLeaf(entries[a] as Uint8Array)
            : hNode(mth(a, a + splitOf(n)), mth(a + splitOf(n), b));
      memo.set(key, h);
    }
    return h;
  };
  return mth;
}

/** PATH(m, D[a:b]). */
function refPath(mth: Mth, m: number, a: number, b: number): Uint8Array[] {
  const n = b - a;
  if (n === 1) return [];
  const k = splitOf(n);
  return m < k
    ? [...refPath(mth, m, a, a + k), mth(a + k, b)]
    : [...refPath(mth, m - k, a + k, b), mth(a, a + k)];
}

/** SUBPROOF(m, D[a:b], bit); PROOF(m, D[0:n]) is SUBPROOF(m, D[0:n], true). */
function refSubproof(mth: Mth, m: number, a: number, b: number, bit: boolean): Uint8Array[] {
  const n = b - a;
  if (m === n) return bit ? [] : [mth(a, b)];
  const k = splitOf(n);
  return m <= k
    ? [...refSubproof(mth, m, a, a + k, bit), mth(a + k, b)]
    : [...refSubproof(mth, m - k, a + k, b, false), mth(a, a + k)];
}

// --- The minimal verifier: read the proof from its end, down the RFC's recursion ----------------

/** The root a PATH gives for `leaf` at m of n, or null if the path has the wrong length. */
function rootFromPath(
  m: number,
  n: number,
  leaf: Uint8Array,
  path: readonly Uint8Array[],
): Uint8Array | null {
  if (n === 1) return path.length === 0 ? leaf : null;
  const last = path.at(-1);
  if (last === undefined) return null;
  const k = splitOf(n);
  const below =
    m < k ? rootFromPath(m, k, leaf, path.slice(0, -1)) : rootFromPath(m - k, n - k, leaf, path.slice(0, -1));
  return below && (m < k ? hNode(below, last) : hNode(last, below));
}

/** [old root, new root] a SUBPROOF gives, or null if it has the wrong length. */
function rootsFromSubproof(
  m: number,
  n: number,
  bit: boolean,
  oldRoot: Uint8Array,
  proof: readonly Uint8Array[],
): [Uint8Array, Uint8Array] | null {
  if (m === n) {
    if (bit) return proof.length === 0 ? [oldRoot, oldRoot] : null;
    return proof.length === 1 ? [proof[0] as Uint8Array, proof[0] as Uint8Array] : null;
  }
  const last = proof.at(-1);
  if (last === undefined) return null;
  const k = splitOf(n);
  if (m <= k) {
    const r = rootsFromSubproof(m, k, bit, oldRoot, proof.slice(0, -1));
    return r && [r[0], hNode(r[1], last)];
  }
  const r = rootsFromSubproof(m - k, n - k, false, oldRoot, proof.slice(0, -1));
  return r && [hNode(last, r[0]), hNode(last, r[1])];
}

function minimalInclusion(
  leaf: Uint8Array,
  m: number,
  n: number,
  path: Uint8Array[],
  root: Uint8Array,
): boolean {
  const r = m >= 0 && m < n ? rootFromPath(m, n, leaf, path) : null;
  return r !== null && eq(r, root);
}

function minimalConsistency(
  m: number,
  n: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: Uint8Array[],
) {
  const r = m > 0 && m <= n ? rootsFromSubproof(m, n, true, oldRoot, proof) : null;
  return r !== null && eq(r[0], oldRoot) && eq(r[1], newRoot);
}

// --- Known answers -----------------------------------------------------------------------------

/**
 * The classic Certificate Transparency test leaves and the roots of their first 0..8, from
 * github.com/transparency-dev/merkle testonly/constants.go (LeafInputs, RootHashes; commit
 * 417fb0c314750d94e53942e9f92e79b6d35915db), the same data as certificate-transparency's
 * C++ merkle_tree_test.cc; the proofs below are its testdata/{inclusion,consistency}/N/happy-path.json.
 */
const CT_LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(unhex);
const CT_ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const CT_INCLUSION: { index: number; size: number; proof: string[] }[] = [
  { index: 0, size: 1, proof: [] },
  {
    index: 0,
    size: 8,
    proof: [
      'lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=',
      'Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=',
      'a0eq8p7jwq+a+Im8H7klTavTEXfxYjLdaqsDXKOb9uQ=',
    ],
  },
  {
    index: 5,
    size: 8,
    proof: [
      'vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms=',
      'yoVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA=',
      '037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc=',
    ],
  },
  { index: 2, size: 3, proof: ['+sVCA+fMaWzw38tCySodnbr3CtnmIfS9jZhmLwDjwSU='] },
];
const CT_CONSISTENCY: { from: number; to: number; proof: string[] }[] = [
  { from: 1, to: 1, proof: [] },
  {
    from: 1,
    to: 8,
    proof: [
      'lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=',
      'Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=',
      'a0eq8p7jwq+a+Im8H7klTavTEXfxYjLdaqsDXKOb9uQ=',
    ],
  },
  {
    from: 6,
    to: 8,
    proof: [
      'DrxdNDf74tsVi58Sah0RjjCBgQMdCpSfje3t68VY72o=',
      'yoVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA=',
      '037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc=',
    ],
  },
  {
    from: 2,
    to: 5,
    proof: ['Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=', 'vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms='],
  },
  {
    from: 6,
    to: 7,
    proof: [
      'DrxdNDf74tsVi58Sah0RjjCBgQMdCpSfje3t68VY72o=',
      'sIaT7C5yFZcTBkHoIR5+7cy0wmQTlj7ubB4u0W/7Gl8=',
      '037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc=',
    ],
  },
];

const ctLog = (): MerkleLog => MerkleLog.fromLeaves(CT_LEAVES.map(leafHash));

describe('RFC 9162 known answers', () => {
  it('the empty tree: SHA-256 of nothing', () => {
    assert.equal(hex(EMPTY_ROOT), CT_ROOTS[0]);
    assert.equal(hex(new MerkleLog().root()), CT_ROOTS[0]);
    assert.equal(new MerkleLog().size, 0);
  });

  it('one leaf: the root is the leaf hash SHA-256(0x00 || d)', () => {
    assert.equal(hex(leafHash(new Uint8Array(0))), CT_ROOTS[1]);
    const log = MerkleLog.fromLeaves([leafHash(new Uint8Array(0))]);
    assert.equal(hex(log.root()), CT_ROOTS[1]);
    assert.deepEqual(log.inclusionProof(0), []);
  });

  it('node hashes are SHA-256(0x01 || left || right)', () => {
    const [a, b] = [leafHash(CT_LEAVES[0] as Uint8Array), leafHash(CT_LEAVES[1] as Uint8Array)];
    assert.equal(hex(nodeHash(a, b)), CT_ROOTS[2]);
    assert.equal(hex(nodeHash(a, b)), hex(hNode(a, b)));
    // Hashes of other lengths too (the RFC puts no length on them).
    assert.equal(
      hex(nodeHash(Uint8Array.of(7), Uint8Array.of(8, 9))),
      hex(hNode(Uint8Array.of(7), Uint8Array.of(8, 9))),
    );
  });

  it('the roots of the first 1..8 CT test leaves, the tree of 7 among them, at every past size', () => {
    const log = ctLog();
    for (let size = 0; size <= 8; size++) assert.equal(hex(log.root(size)), CT_ROOTS[size], `size ${size}`);
    const seven = MerkleLog.fromLeaves(CT_LEAVES.slice(0, 7).map(leafHash));
    assert.equal(hex(seven.root()), 'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c');
  });

  it('the published inclusion and consistency proofs, made and verified', () => {
    const log = ctLog();
    for (const { index, size, proof } of CT_INCLUSION) {
      assert.deepEqual(
        hexes(log.inclusionProof(index, size)),
        hexes(proof.map(unb64)),
        `inclusion ${index} of ${size}`,
      );
      const leaf = leafHash(CT_LEAVES[index] as Uint8Array);
      assert.equal(verifyInclusion(leaf, index, size, proof.map(unb64), log.root(size)), true);
    }
    for (const { from, to, proof } of CT_CONSISTENCY) {
      assert.deepEqual(
        hexes(log.consistencyProof(from, to)),
        hexes(proof.map(unb64)),
        `consistency ${from}→${to}`,
      );
      assert.equal(verifyConsistency(from, to, log.root(from), log.root(to), proof.map(unb64)), true);
    }
  });
});

// --- Every proof of every small tree ------------------------------------------------------------

/** The 8 CT leaves, then entries of every length up to 56 bytes. */
const ENTRIES = [
  ...CT_LEAVES,
  ...Array.from({ length: 56 }, (_, i) =>
    Uint8Array.from({ length: i + 1 }, (_, j) => (i * 31 + j * 7) & 0xff),
  ),
];

describe('every proof of the trees of 1..64 leaves matches the RFC definitions', () => {
  const mth = mthOf(ENTRIES);
  const leaves = ENTRIES.map(leafHash);
  const full = MerkleLog.fromLeaves(leaves);

  it('roots, at the current size and at every past size', () => {
    for (let n = 0; n <= 64; n++) {
      const own = MerkleLog.fromLeaves(leaves.slice(0, n));
      assert.equal(hex(own.root()), hex(mth(0, n)), `size ${n}`);
      assert.equal(hex(full.root(n)), hex(mth(0, n)), `size ${n} of 64`);
    }
  });

  it('every inclusion proof: equal to PATH, accepted by verifyInclusion and by the minimal verifier', () => {
    let proofs = 0;
    for (let n = 1; n <= 64; n++) {
      const own = MerkleLog.fromLeaves(leaves.slice(0, n));
      const root = mth(0, n);
      for (let m = 0; m < n; m++) {
        const want = hexes(refPath(mth, m, 0, n));
        const proof = own.inclusionProof(m);
        assert.deepEqual(hexes(proof), want, `PATH(${m}, D[${n}])`);
        assert.deepEqual(hexes(full.inclusionProof(m, n)), want, `PATH(${m}, D[${n}]) in the log of 64`);
        assert.equal(
          verifyInclusion(leaves[m] as Uint8Array, m, n, proof, root),
          true,
          `verifyInclusion ${m} of ${n}`,
        );
        assert.equal(
          minimalInclusion(leaves[m] as Uint8Array, m, n, proof, root),
          true,
          `minimal verifier ${m} of ${n}`,
        );
        proofs++;
      }
    }
    assert.equal(proofs, (64 * 65) / 2);
  });

  it('every consistency proof: equal to PROOF, accepted by verifyConsistency and by the minimal verifier', () => {
    let proofs = 0;
    for (let n = 1; n <= 64; n++) {
      const own = MerkleLog.fromLeaves(leaves.slice(0, n));
      for (let m = 1; m <= n; m++) {
        const want = hexes(refSubproof(mth, m, 0, n, true));
        const proof = own.consistencyProof(m);
        assert.deepEqual(hexes(proof), want, `PROOF(${m}, D[${n}])`);
        assert.deepEqual(hexes(full.consistencyProof(m, n)), want, `PROOF(${m}, D[${n}]) in the log of 64`);
        assert.equal(
          verifyConsistency(m, n, mth(0, m), mth(0, n), proof),
          true,
          `verifyConsistency ${m}→${n}`,
        );
        assert.equal(
          minimalConsistency(m, n, mth(0, m), mth(0, n), proof),
          true,
          `minimal verifier ${m}→${n}`,
        );
        proofs++;
      }
    }
    assert.equal(proofs, (64 * 65) / 2);
  });

  it('the minimal verifier refuses what it should (it is a verifier, not a yes-man)', () => {
    const root = mth(0, 13);
    const path = full.inclusionProof(5, 13);
    assert.equal(minimalInclusion(leaves[6] as Uint8Array, 5, 13, path, root), false);
    assert.equal(minimalInclusion(leaves[5] as Uint8Array, 5, 13, path.slice(1), root), false);
    assert.equal(minimalInclusion(leaves[5] as Uint8Array, 5, 14, path, mth(0, 14)), false);
    const proof = full.consistencyProof(5, 13);
    assert.equal(minimalConsistency(5, 13, mth(0, 6), root, proof), false);
    assert.equal(minimalConsistency(5, 13, mth(0, 5), mth(0, 12), proof), false);
    assert.equal(minimalConsistency(5, 13, mth(0, 5), root, proof.slice(0, -1)), false);
  });
});

// --- Edge cases --------------------------------------------------------------------------------

describe('edge cases, as RFC 9162 states them', () => {
  const log = ctLog();
  const leaf = (i: number) => leafHash(CT_LEAVES[i] as Uint8Array);

  it('inclusion: index ≥ size, a size of 0, indexes and sizes that are not whole numbers, bad lengths', () => {
    const proof = log.inclusionProof(7, 8);
    assert.equal(verifyInclusion(leaf(7), 7, 8, proof, log.root(8)), true);
    assert.equal(verifyInclusion(leaf(7), 8, 8, proof, log.root(8)), false);
    assert.equal(verifyInclusion(leaf(7), 9, 8, proof, log.root(8)), false);
    assert.equal(verifyInclusion(leaf(0), 0, 0, [], EMPTY_ROOT), false);
    for (const bad of [-1, 6.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])
      assert.equal(verifyInclusion(leaf(7), bad, 8, proof, log.root(8)), false, `index ${bad}`);
    assert.equal(verifyInclusion(leaf(7), 7, 8.5, proof, log.root(8)), false);
    assert.equal(verifyInclusion(leaf(7).slice(1), 7, 8, proof, log.root(8)), false);
    assert.equal(verifyInclusion(leaf(7), 7, 8, proof, log.root(8).slice(1)), false);
    assert.equal(
      verifyInclusion(leaf(7), 7, 8, [...proof.slice(0, 2), (proof[2] as Uint8Array).slice(1)], log.root(8)),
      false,
    );
    // One hash too many or too few.
    assert.equal(verifyInclusion(leaf(7), 7, 8, [...proof, log.root(8)], log.root(8)), false);
    assert.equal(verifyInclusion(leaf(7), 7, 8, proof.slice(0, -1), log.root(8)), false);
    // A tree of one leaf: the leaf is the root, the proof empty.
    assert.equal(verifyInclusion(leaf(0), 0, 1, [], log.root(1)), true);
    assert.equal(verifyInclusion(leaf(0), 0, 1, [leaf(1)], log.root(1)), false);
  });

  it('consistency: from = to holds with an empty proof and equal roots only', () => {
    for (let n = 1; n <= 8; n++) {
      assert.deepEqual(log.consistencyProof(n, n), []);
      assert.equal(verifyConsistency(n, n, log.root(n), log.root(n), []), true);
      assert.equal(verifyConsistency(n, n, log.root(n), log.root(n === 8 ? 7 : n + 1), []), false);
      assert.equal(verifyConsistency(n, n, log.root(n), log.root(n), [log.root(n)]), false);
    }
  });

  it('consistency: from = 0 is no proof at all (the RFC defines PROOF for 0 < m only)', () => {
    assert.equal(verifyConsistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, []), false);
    assert.equal(verifyConsistency(0, 8, EMPTY_ROOT, log.root(8), []), false);
    assert.equal(verifyConsistency(0, 8, EMPTY_ROOT, log.root(8), [EMPTY_ROOT]), false);
    assert.throws(() => log.consistencyProof(0, 8), RangeError);
    assert.throws(() => log.consistencyProof(0, 0), RangeError);
  });

  it('consistency: from > to, an empty proof between different sizes, sizes that are not whole numbers', () => {
    const proof = log.consistencyProof(3, 7);
    assert.equal(verifyConsistency(3, 7, log.root(3), log.root(7), proof), true);
    assert.equal(verifyConsistency(7, 3, log.root(7), log.root(3), proof), false);
    assert.equal(verifyConsistency(3, 7, log.root(3), log.root(7), []), false);
    assert.equal(verifyConsistency(3.5, 7, log.root(3), log.root(7), proof), false);
    assert.equal(verifyConsistency(3, -7, log.root(3), log.root(7), proof), false);
    assert.equal(verifyConsistency(3, 7, log.root(3), log.root(7), [...proof, log.root(1)]), false);
    assert.throws(() => log.consistencyProof(7, 3), RangeError);
    assert.throws(() => log.consistencyProof(3, 9), RangeError);
  });

  it('the log refuses out-of-range questions and leaves that are not hashes', () => {
    assert.throws(() => log.root(9), RangeError);
    assert.throws(() => log.root(-1), RangeError);
    assert.throws(() => log.inclusionProof(8, 8), RangeError);
    assert.throws(() => log.inclusionProof(0, 0), RangeError);
    assert.throws(() => log.inclusionProof(0, 9), RangeError);
    assert.throws(() => log.inclusionProof(1.5, 8), RangeError);
    assert.throws(() => new MerkleLog().append(new Uint8Array(31)), RangeError);
    assert.throws(() => new MerkleLog().append(CT_LEAVES[3] as Uint8Array), RangeError);
  });

  it('hands out copies: changing a root or a proof it gave changes nothing in the log', () => {
    const root = log.root(5);
    root.fill(0);
    const proof = log.inclusionProof(2, 5);
    for (const p of proof) p.fill(0);
    const empty = log.root(0);
    empty.fill(0);
    assert.equal(hex(log.root(5)), CT_ROOTS[5]);
    assert.equal(hex(EMPTY_ROOT), CT_ROOTS[0]);
    assert.equal(verifyInclusion(leaf(2), 2, 5, log.inclusionProof(2, 5), log.root(5)), true);
  });

  it('sizes beyond 2^32 (where bitwise operators would cut them): proofs of a tree of identical leaves', () => {
    // Every subtree of 2^k identical leaves has the same hash, so MTH(D[a:b]) depends on b − a
    // only and the reference can build proofs for trees no memory could hold.
    const same = sha(Uint8Array.of(42));
    const memo = new Map<number, Uint8Array>();
    const mthN = (n: number): Uint8Array => {
      let h = memo.get(n);
      if (h === undefined) {
        h = n === 1 ? same : hNode(mthN(splitOf(n)), mthN(n - splitOf(n)));
        memo.set(n, h);
      }
      return h;
    };
    const mth: Mth = (a, b) => mthN(b - a);
    for (const [m, n] of [
      [2 ** 33 + 3, 2 ** 33 + 11],
      [2 ** 32 - 1, 2 ** 32 + 1],
      [2 ** 40, 2 ** 52 + 7],
      [5, 2 ** 45 + 2 ** 33 + 1],
      // The last leaves: on the right border, where the RFC's algorithm shifts fn and sn together.
      [2 ** 34, 2 ** 34 + 1],
      [2 ** 36 + 2 ** 33 + 6, 2 ** 36 + 2 ** 33 + 7],
    ] as const) {
      const path = refPath(mth, m, 0, n);
      assert.equal(verifyInclusion(same, m, n, path, mthN(n)), true, `inclusion ${m} of ${n}`);
      assert.equal(
        verifyInclusion(same, m, n, path, mthN(n - 1)),
        false,
        `inclusion ${m} of ${n}, another root`,
      );
      const proof = refSubproof(mth, m, 0, n, true);
      assert.equal(verifyConsistency(m, n, mthN(m), mthN(n), proof), true, `consistency ${m}→${n}`);
      assert.equal(
        verifyConsistency(m, n, mthN(m + 1), mthN(n), proof),
        false,
        `consistency ${m}→${n}, another old root`,
      );
    }
  });
});

// --- Properties --------------------------------------------------------------------------------

/** A log of n distinct leaves made from a seed. */
function seeded(seed: number, n: number): { log: MerkleLog; leaves: Uint8Array[] } {
  const leaves = Array.from({ length: n }, (_, i) => leafHash(new TextEncoder().encode(`${seed}/${i}`)));
  return { log: MerkleLog.fromLeaves(leaves), leaves };
}

function flipBit(h: Uint8Array, bit: number): Uint8Array {
  const out = h.slice();
  const i = (bit >>> 3) % out.length;
  out[i] = (out[i] as number) ^ (1 << (bit & 7));
  return out;
}

const arbTree = fc.record({ seed: fc.integer(), n: fc.integer({ min: 2, max: 300 }) });

describe('properties (fast-check)', () => {
  it('inclusion: any change to a proof hash, the index, the root or the size (with its own root) fails', () => {
    fc.assert(
      fc.property(arbTree, fc.nat(), fc.nat(), fc.nat(), fc.nat(), ({ seed, n }, i0, j0, bit, other) => {
        const { log, leaves } = seeded(seed, n);
        const i = i0 % n;
        const proof = log.inclusionProof(i);
        const root = log.root();
        const leaf = leaves[i] as Uint8Array;
        assert.equal(verifyInclusion(leaf, i, n, proof, root), true);
        assert.equal(minimalInclusion(leaf, i, n, proof, root), true);
        const j = j0 % proof.length;
        const tampered = proof.map((p, k) => (k === j ? flipBit(p, bit) : p));
        assert.equal(verifyInclusion(leaf, i, n, tampered, root), false, 'a proof hash changed');
        assert.equal(verifyInclusion(leaf, i, n, proof, flipBit(root, bit)), false, 'the root changed');
        assert.equal(verifyInclusion(flipBit(leaf, bit), i, n, proof, root), false, 'the leaf changed');
        const index = (i + 1 + (other % 2 ** 40)) % 2 ** 40;
        if (index !== i)
          assert.equal(verifyInclusion(leaf, index, n, proof, root), false, `index ${index} for ${i}`);
        const size = 1 + (other % n);
        if (size !== n && i < size)
          assert.equal(verifyInclusion(leaf, i, size, proof, log.root(size)), false, `size ${size} for ${n}`);
      }),
      { numRuns: RUNS },
    );
  });

  it('consistency: any change to a proof hash, either root or either size (with its own root) fails', () => {
    fc.assert(
      fc.property(arbTree, fc.nat(), fc.nat(), fc.nat(), fc.nat(), ({ seed, n }, m0, j0, bit, other) => {
        const { log } = seeded(seed, n);
        const m = 1 + (m0 % (n - 1)); // 1 ≤ m < n: a proof that is not empty
        const proof = log.consistencyProof(m);
        const [oldRoot, newRoot] = [log.root(m), log.root()];
        assert.equal(verifyConsistency(m, n, oldRoot, newRoot, proof), true);
        assert.equal(minimalConsistency(m, n, oldRoot, newRoot, proof), true);
        const j = j0 % proof.length;
        const tampered = proof.map((p, k) => (k === j ? flipBit(p, bit) : p));
        assert.equal(verifyConsistency(m, n, oldRoot, newRoot, tampered), false, 'a proof hash changed');
        assert.equal(
          verifyConsistency(m, n, flipBit(oldRoot, bit), newRoot, proof),
          false,
          'the old root changed',
        );
        assert.equal(
          verifyConsistency(m, n, oldRoot, flipBit(newRoot, bit), proof),
          false,
          'the new root changed',
        );
        const from = 1 + (other % n);
        if (from !== m)
          assert.equal(
            verifyConsistency(from, n, log.root(from), newRoot, proof),
            false,
            `from ${from} for ${m}`,
          );
        const to = m + (other % (n - m + 1));
        if (to !== n)
          assert.equal(verifyConsistency(m, to, oldRoot, log.root(to), proof), false, `to ${to} for ${n}`);
      }),
      { numRuns: RUNS },
    );
  });

  it('a log built by fromLeaves answers at every past size what a log appended one by one answered then', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 80 }), fc.nat(), (seed, n, pick) => {
        const { log: all, leaves } = seeded(seed, n);
        const grown = new MerkleLog();
        for (const leaf of leaves) {
          grown.append(leaf);
          const size = grown.size;
          assert.equal(hex(grown.root()), hex(all.root(size)));
          const i = pick % size;
          assert.deepEqual(hexes(grown.inclusionProof(i)), hexes(all.inclusionProof(i, size)));
          const m = 1 + (pick % size);
          assert.deepEqual(hexes(grown.consistencyProof(m)), hexes(all.consistencyProof(m, size)));
        }
        assert.equal(grown.size, n);
      }),
      { numRuns: RUNS },
    );
  });

  it('the minimal verifier accepts the proofs of larger logs too', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 5000 }), fc.nat(), fc.nat(), (seed, n, a, b) => {
        const { log, leaves } = seeded(seed, n);
        const i = a % n;
        assert.equal(
          minimalInclusion(leaves[i] as Uint8Array, i, n, log.inclusionProof(i), log.root()),
          true,
        );
        const m = 1 + (b % n);
        assert.equal(minimalConsistency(m, n, log.root(m), log.root(), log.consistencyProof(m)), true);
      }),
      { numRuns: 40 },
    );
  });
});

describe('a size is only as good as the checkpoint that signs it with the root', () => {
  it('the proof of leaf 4 in the tree of 8 also verifies as leaf 4 of 7 against the root of 8', () => {
    // Leaf 4's path has the same shape (right, right, left) at sizes 7 and 8, and RFC 9162's
    // algorithm reads the shape from (index, size) only: so a proof checks out against a root
    // with another size than the root's own. Whoever verifies must take size and root from one
    // signed checkpoint — as the property above does by pairing each size with its own root.
    const log = ctLog();
    const proof = log.inclusionProof(4, 8);
    const leaf = leafHash(CT_LEAVES[4] as Uint8Array);
    assert.equal(verifyInclusion(leaf, 4, 8, proof, log.root(8)), true);
    assert.equal(verifyInclusion(leaf, 4, 7, proof, log.root(8)), true);
    assert.equal(verifyInclusion(leaf, 4, 7, proof, log.root(7)), false);
  });

  it('but a proof whose length does not fit the size fails even when it leads to the given root', () => {
    // RFC 9162 §2.1.3.2 step 5 (sn must reach 0): the path of leaf 0 in the tree of 2 is one
    // hash, in the tree of 3 two; one hash cannot prove leaf 0 of 3, whatever root it reaches.
    const log = ctLog();
    const leaf = leafHash(CT_LEAVES[0] as Uint8Array);
    const proof = log.inclusionProof(0, 2);
    assert.equal(verifyInclusion(leaf, 0, 2, proof, log.root(2)), true);
    assert.equal(verifyInclusion(leaf, 0, 3, proof, log.root(2)), false);
    const consistency = log.consistencyProof(1, 2);
    assert.equal(verifyConsistency(1, 2, log.root(1), log.root(2), consistency), true);
    assert.equal(verifyConsistency(1, 3, log.root(1), log.root(2), consistency), false);
  });
});

// --- RFC 8785: the bytes the leaves hash ---------------------------------------------------------

const float64 = (bits: string): number => new DataView(unhex(bits).buffer).getFloat64(0);

describe('canonicalJson (src/ledger/chain.ts) against RFC 8785', () => {
  it('Appendix B: every finite IEEE 754 example serializes as the RFC says', () => {
    // RFC 8785 Appendix B, "Number Serialization Samples".
    const samples: [string, string][] = [
      ['0000000000000000', '0'],
      ['8000000000000000', '0'],
      ['0000000000000001', '5e-324'],
      ['8000000000000001', '-5e-324'],
      ['7fefffffffffffff', '1.7976931348623157e+308'],
      ['ffefffffffffffff', '-1.7976931348623157e+308'],
      ['4340000000000000', '9007199254740992'],
      ['c340000000000000', '-9007199254740992'],
      ['4430000000000000', '295147905179352830000'],
      ['44b52d02c7e14af5', '9.999999999999997e+22'],
      ['44b52d02c7e14af6', '1e+23'],
      ['44b52d02c7e14af7', '1.0000000000000001e+23'],
      ['444b1ae4d6e2ef4e', '999999999999999700000'],
      ['444b1ae4d6e2ef4f', '999999999999999900000'],
      ['444b1ae4d6e2ef50', '1e+21'],
      ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
      ['3eb0c6f7a0b5ed8d', '0.000001'],
      ['41b3de4355555553', '333333333.3333332'],
      ['41b3de4355555554', '333333333.33333325'],
      ['41b3de4355555555', '333333333.3333333'],
      ['41b3de4355555556', '333333333.3333334'],
      ['41b3de4355555557', '333333333.33333343'],
      ['becbf647612f3696', '-0.0000033333333333333333'],
      ['43143ff3c1cb0959', '1424953923781206.2'],
    ];
    for (const [bits, text] of samples) assert.equal(canonicalJson(float64(bits)), text, bits);
    assert.equal(canonicalJson({ n: float64('41b3de4355555554') }), '{"n":333333333.33333325}');
  });

  it('Appendix B, §3.2.2.3: NaN and Infinity are refused, not written (a NaN must not hash as null)', () => {
    for (const bits of ['7fffffffffffffff', '7ff0000000000000', 'fff0000000000000'])
      assert.throws(() => canonicalJson({ n: float64(bits) }), /has no JSON form/, bits);
    assert.equal(canonicalJson({ n: null }), '{"n":null}');
  });

  it('§3.2.3: properties sorted by UTF-16 code units, recursively (the RFC example)', () => {
    const input = JSON.parse(String.raw`{
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis"
    }`);
    // Not through JSON.parse: a JS object lists integer-like keys ("1") first, whatever the text.
    assert.equal(
      canonicalJson(input),
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it("the reference implementation's test data, byte for byte (§3.2.4's example is values.json)", () => {
    // github.com/cyberphone/json-canonicalization testdata/input/*.json and testdata/outhex/*.txt
    // (commit 19d51d7fe467d4706a3ff08adf8a748f29fc21e0), the expected UTF-8 as hex.
    const cases: Record<string, [string, string]> = {
      arrays: [
        '[56, {"d": true, "10": null, "1": [ ]}]',
        '5b35362c7b2231223a5b5d2c223130223a6e756c6c2c2264223a747275657d5d',
      ],
      french: [
        `{"peach": "This sorting order", "péché": "is wrong according to French",
          "pêche": "but canonicalization MUST", "sin":   "ignore locale"}`,
        '7b227065616368223a225468697320736f7274696e67206f72646572222c2270c3a96368c3a9223a2269732077726f6e67206163636f7264696e6720746f204672656e6368222c2270c3aa636865223a226275742063616e6f6e6963616c697a6174696f6e204d555354222c2273696e223a2269676e6f7265206c6f63616c65227d',
      ],
      structures: [
        String.raw`{"1": {"f": {"f": "hi","F": 5} ,"\n": 56.0}, "10": { }, "": "empty", "a": { },
          "111": [ {"e": "yes","E": "no" } ], "A": { }}`,
        '7b22223a22656d707479222c2231223a7b225c6e223a35362c2266223a7b2246223a352c2266223a226869227d7d2c223130223a7b7d2c22313131223a5b7b2245223a226e6f222c2265223a22796573227d5d2c2241223a7b7d2c2261223a7b7d7d',
      ],
      unicode: [
        String.raw`{"Unnormalized Unicode":"A\u030a"}`,
        '7b22556e6e6f726d616c697a656420556e69636f6465223a2241cc8a227d',
      ],
      values: [
        String.raw`{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
          "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/", "literals": [null, true, false]}`,
        '7b226c69746572616c73223a5b6e756c6c2c747275652c66616c73655d2c226e756d62657273223a5b3333333333333333332e333333333333332c31652b33302c342e352c302e3030322c31652d32375d2c22737472696e67223a22e282ac245c75303030665c6e4127425c225c5c5c5c5c222f227d',
      ],
      weird: [
        String.raw`{"\u20ac": "Euro Sign", "\r": "Carriage Return", "\u000a": "Newline", "1": "One",
          "\u0080": "Control\u007f", "\ud83d\ude02": "Smiley", "\u00f6": "Latin Small Letter O With Diaeresis",
          "\ufb33": "Hebrew Letter Dalet With Dagesh", "</script>": "Browser Challenge"}`,
        '7b225c6e223a224e65776c696e65222c225c72223a2243617272696167652052657475726e222c2231223a224f6e65222c223c2f7363726970743e223a2242726f77736572204368616c6c656e6765222c22c280223a22436f6e74726f6c7f222c22c3b6223a224c6174696e20536d616c6c204c6574746572204f205769746820446961657265736973222c22e282ac223a224575726f205369676e222c22f09f9882223a22536d696c6579222c22efacb3223a22486562726577204c65747465722044616c6574205769746820446167657368227d',
      ],
    };
    for (const [name, [input, outhex]] of Object.entries(cases))
      assert.equal(Buffer.from(canonicalJson(JSON.parse(input)), 'utf8').toString('hex'), outhex, name);
  });
});
