/**
 * The transparency log's Merkle tree (issue #14): the tree of RFC 9162 §2.1 over every ledger
 * entry in order, with its domain-separated hashes, inclusion and consistency proofs, and their
 * verification as the RFC writes it (§2.1.3.2, §2.1.4.2).
 *
 * SHA-256 is @noble/hashes', not node:crypto's: the console verifies proofs and recomputes roots
 * in the browser, where the only built-in SHA-256 (WebCrypto) is asynchronous, and one
 * synchronous implementation on both sides means the hub and the parties run the same code. On
 * the reference VM (bench/log.bench.ts) it costs ~1.9 µs a node hash against ~1.7 µs for
 * node:crypto, and ~3.7–5 µs against ~2.1 µs for the leaf hash of a 436-byte entry: rehashing a
 * million entries takes ~2–3 s more than node:crypto would, once per start or full verification.
 * Everything here takes and gives Uint8Array (never Buffer) so that it runs unchanged in both.
 */
import { sha256 } from '@noble/hashes/sha2.js';

/** The size of every hash in the tree (SHA-256). */
export const HASH_SIZE = 32;

/** MTH({}): the root of the empty tree, SHA-256 of nothing (RFC 9162 §2.1.1). Do not modify. */
export const EMPTY_ROOT: Uint8Array = sha256(new Uint8Array(0));

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

/** The leaf hash of an entry's bytes: SHA-256(0x00 || bytes). */
export function leafHash(bytes: Uint8Array): Uint8Array {
  return sha256.create().update(LEAF_PREFIX).update(bytes).digest();
}

/**
 * 0x01 and two 32-byte hashes, written in place: a node hash is the one operation a tree of a
 * million leaves does a million times, and one buffer saves an allocation and a copy each time.
 */
const PAIR = new Uint8Array(1 + 2 * HASH_SIZE);
PAIR[0] = 0x01;

/** The hash of an interior node: SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length === HASH_SIZE && right.length === HASH_SIZE) {
    PAIR.set(left, 1);
    PAIR.set(right, 1 + HASH_SIZE);
    return sha256(PAIR);
  }
  return sha256.create().update(NODE_PREFIX).update(left).update(right).digest();
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/** Hashes per chunk of a level (4,096 × 32 B = 128 KiB): big enough to be few, small enough to waste little. */
const CHUNK_BITS = 12;
const CHUNK = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK - 1;
/** The first chunk of a level starts small and doubles, so that a small log or a high level stays small. */
const FIRST_CHUNK = 64;

/**
 * One level of the tree: the hashes of its complete nodes, left to right, packed 32 bytes apiece
 * in fixed-size chunks (growing never copies more than one chunk, and never leaves half of a
 * doubled array empty).
 */
class Level {
  private readonly chunks: Uint8Array[] = [];
  length = 0;

  push(hash: Uint8Array): void {
    const c = this.length >>> CHUNK_BITS;
    const offset = (this.length & CHUNK_MASK) * HASH_SIZE;
    let chunk = this.chunks[c];
    if (chunk === undefined) {
      chunk = new Uint8Array((c === 0 ? FIRST_CHUNK : CHUNK) * HASH_SIZE);
      this.chunks.push(chunk);
    } else if (offset === chunk.length) {
      const grown = new Uint8Array(Math.min(chunk.length * 2, CHUNK * HASH_SIZE));
      grown.set(chunk);
      this.chunks[c] = grown;
      chunk = grown;
    }
    chunk.set(hash, offset);
    this.length++;
  }

  /** A view of the i-th hash (no copy): for the tree's own use only. */
  at(i: number): Uint8Array {
    const offset = (i & CHUNK_MASK) * HASH_SIZE;
    return (this.chunks[i >>> CHUNK_BITS] as Uint8Array).subarray(offset, offset + HASH_SIZE);
  }

  bytes(): number {
    let n = 0;
    for (const c of this.chunks) n += c.byteLength;
    return n;
  }
}

/** The largest power of two smaller than n (n ≥ 2): where RFC 9162 splits a tree of n leaves. */
function split(n: number): number {
  return 2 ** (31 - Math.clz32(n - 1));
}

function checkSize(what: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new RangeError(`${what} must be an integer from ${min} to ${max}, not ${value}`);
}

/**
 * An append-only Merkle tree in memory. It keeps the hash of every complete subtree, level by
 * level (level 0 the leaf hashes), so a root, an inclusion proof or a consistency proof at any
 * past size reads O(log n) stored hashes and computes at most one subtree on the right border
 * (O(log n) hashes more). About 64 bytes per leaf: n leaf hashes and n − 1 interior ones.
 */
export class MerkleLog {
  private readonly levels: Level[] = [new Level()];

  /** A log of these leaf hashes in order. */
  static fromLeaves(leaves: Iterable<Uint8Array>): MerkleLog {
    const log = new MerkleLog();
    for (const leaf of leaves) log.append(leaf);
    return log;
  }

  get size(): number {
    return (this.levels[0] as Level).length;
  }

  /** Bytes held by the stored hashes (for the benchmark's memory figure). */
  get storedBytes(): number {
    let n = 0;
    for (const level of this.levels) n += level.bytes();
    return n;
  }

  /** Append a leaf HASH (see {@link leafHash}), completing every subtree it closes. */
  append(leaf: Uint8Array): void {
    if (leaf.length !== HASH_SIZE)
      throw new RangeError(`a leaf is a ${HASH_SIZE}-byte leaf hash, not ${leaf.length} bytes`);
    let level = this.levels[0] as Level;
    level.push(leaf);
    // The new node at each level is a right child while its index is odd: hash it with its left
    // sibling and carry the parent up.
    for (let h = 0, i = level.length - 1; i % 2 === 1; h++, i = (i - 1) / 2) {
      const parent = nodeHash(level.at(i - 1), level.at(i));
      if (this.levels.length === h + 1) this.levels.push(new Level());
      level = this.levels[h + 1] as Level;
      level.push(parent);
    }
  }

  /** MTH(D[0:size]): the root of the first `size` leaves. */
  root(size: number = this.size): Uint8Array {
    checkSize('size', size, 0, this.size);
    return size === 0 ? EMPTY_ROOT.slice() : this.subtree(0, size).slice();
  }

  /** PATH(index, D[0:size]) of RFC 9162 §2.1.3.1, the sibling nearest the leaf first. */
  inclusionProof(index: number, size: number = this.size): Uint8Array[] {
    checkSize('size', size, 1, this.size);
    checkSize('index', index, 0, size - 1);
    // Walk down from the root: at each split the leaf's side is followed, the other side's
    // hash is part of the path. Collected top-down, returned bottom-up.
    const path: Uint8Array[] = [];
    let m = index;
    let start = 0;
    let end = size;
    while (end - start > 1) {
      const k = split(end - start);
      if (m < k) {
        path.push(this.subtree(start + k, end).slice());
        end = start + k;
      } else {
        path.push(this.subtree(start, start + k).slice());
        start += k;
        m -= k;
      }
    }
    return path.reverse();
  }

  /**
   * PROOF(from, D[0:to]) of RFC 9162 §2.1.4.1: empty when from = to. A proof from the empty
   * tree is not defined (the RFC asks 0 < from): whoever holds no checkpoint yet has nothing to
   * check the new one against.
   */
  consistencyProof(from: number, to: number = this.size): Uint8Array[] {
    checkSize('to', to, 1, this.size);
    checkSize('from', from, 1, to);
    // SUBPROOF(m, D[start:end], b), unrolled: the hashes each step adds after the recursion's
    // result are collected top-down; the recursion ends on the subtree the old tree is made of.
    const tail: Uint8Array[] = [];
    let m = from;
    let start = 0;
    let end = to;
    let whole = true; // b: the subtree is the old tree's root, which the verifier already has
    while (m !== end - start) {
      const k = split(end - start);
      if (m <= k) {
        tail.push(this.subtree(start + k, end).slice());
        end = start + k;
      } else {
        tail.push(this.subtree(start, start + k).slice());
        start += k;
        m -= k;
        whole = false;
      }
    }
    const proof: Uint8Array[] = whole ? [] : [this.subtree(start, end).slice()];
    for (let i = tail.length - 1; i >= 0; i--) proof.push(tail[i] as Uint8Array);
    return proof;
  }

  /**
   * MTH(D[start:end]) for a node of the RFC's tree (start a multiple of the smallest power of two
   * ≥ end − start): a stored hash when the node is complete, else its left child (complete) and
   * its right part, recursively — only along the right border, so O(log n) hashes. The result
   * may be a view of the store: copy it before handing it out.
   */
  private subtree(start: number, end: number): Uint8Array {
    const n = end - start;
    if ((n & (n - 1)) === 0) return (this.levels[31 - Math.clz32(n)] as Level).at(start / n);
    const k = split(n);
    return nodeHash(this.subtree(start, start + k), this.subtree(start + k, end));
  }
}

function isHash(h: Uint8Array): boolean {
  return h instanceof Uint8Array && h.length === HASH_SIZE;
}

/** Whole tree sizes and indexes, as a proof's untrusted input may not be. */
function isCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

const isOdd = (n: number): boolean => n % 2 === 1;

/**
 * RFC 9162 §2.1.3.2, step by step: whether `proof` shows the leaf hash `leaf` at `index` in the
 * tree of `size` leaves whose root is `root`. Sizes and indexes are read as numbers up to 2^53
 * (halved arithmetically: bitwise operators would cut them to 32 bits).
 */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!isCount(index) || !isCount(size) || !isHash(leaf) || !isHash(root) || !proof.every(isHash))
    return false;
  // 1. leaf_index ≥ tree_size fails.
  if (index >= size) return false;
  // 2–3.
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  // 4.
  for (const p of proof) {
    // a.
    if (sn === 0) return false;
    // b.
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      while (!isOdd(fn) && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    // c.
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // 5.
  return sn === 0 && equalBytes(r, root);
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

/**
 * RFC 9162 §2.1.4.2, step by step: whether `proof` shows the tree of `to` leaves with root
 * `toRoot` extends the tree of `from` leaves with root `fromRoot`. The RFC's algorithm is for
 * 0 < from < to; outside it: from = to holds exactly when the proof is empty and the roots are
 * equal (SUBPROOF(m, D[m], true) = {}), and from = 0 never holds (no proof from the empty tree
 * is defined).
 */
export function verifyConsistency(
  from: number,
  to: number,
  fromRoot: Uint8Array,
  toRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!isCount(from) || !isCount(to) || !isHash(fromRoot) || !isHash(toRoot) || !proof.every(isHash))
    return false;
  if (from === 0 || from > to) return false;
  if (from === to) return proof.length === 0 && equalBytes(fromRoot, toRoot);
  // 1.
  if (proof.length === 0) return false;
  // 2.
  const path = isPowerOfTwo(from) ? [fromRoot, ...proof] : proof;
  // 3.
  let fn = from - 1;
  let sn = to - 1;
  // 4.
  while (isOdd(fn)) {
    fn = (fn - 1) / 2;
    sn = Math.floor(sn / 2);
  }
  // 5.
  let fr = path[0] as Uint8Array;
  let sr = fr;
  // 6.
  for (let i = 1; i < path.length; i++) {
    const c = path[i] as Uint8Array;
    // a.
    if (sn === 0) return false;
    // b.
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    // c.
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  // 7.
  return equalBytes(fr, fromRoot) && equalBytes(sr, toRoot) && sn === 0;
}
