/**
 * The oblivious PRF of blind matching: RFC 9497 OPRF, mode 0x00 (base, not verifiable), suite
 * OPRF(ristretto255, SHA-512) — contextString "OPRFV1-" || 0x00 || "-ristretto255-SHA512".
 *
 * - H(x) is hash_to_ristretto255 (RFC 9380): expand_message_xmd with SHA-512, 64 bytes, DST
 *   "HashToGroup-" || contextString, then the ristretto255 one-way map.
 * - F(k, x) = SHA-512(I2OSP(len(x), 2) || x || I2OSP(32, 2) || encode(k·H(x)) || "Finalize"), 64 bytes.
 * - The owner of a sealed declaration holds a secret scalar k and computes F(k, x) for each of its
 *   own (H3 cell, time slot) inputs directly ({@link Oprf.evaluateMany}). An asker blinds each of its
 *   inputs with its own fresh random scalar r (`B = r·H(x)`), the owner's agent answers `Z = k·B`,
 *   and the asker unblinds (`r⁻¹·Z = k·H(x)`) and finalizes. Equal outputs ⇔ equal inputs.
 *
 * What each side learns:
 * - The owner's agent (and anyone relaying, the hub included) sees only blinded elements: each is a
 *   uniformly random group element whatever x is (r is uniform, the group has prime order), so it
 *   learns nothing of the asker's inputs — not even whether two of them, in one batch or across
 *   batches, are equal — only how many there are. The evaluated elements it returns are as random.
 * - The asker learns F(k, x) for exactly the inputs it sent and nothing about k beyond them (the
 *   one-more Gap Diffie–Hellman assumption of RFC 9497 §7). It cannot compute F on any other input
 *   without asking again, so every evaluation the owner's agent answers is one guess: the input
 *   domain (cells × slots) is small and enumerable, so the number of evaluations answered is the
 *   only bound on what an asker can map, and must be budgeted by the caller.
 * - Whoever holds k can compute F on the whole domain and so read every output back to its cell
 *   and slot: the secrecy of published outputs rests entirely on k.
 * - Mode 0 is not verifiable: the asker cannot tell whether the agent used the owner's real key.
 *   A wrong (or per-asker) key gives outputs that match nothing published under the real one: it
 *   can hide matches, not forge one between different inputs (that would take the discrete
 *   logarithm between H(x) and H(x')).
 *
 * Why two implementations: libsodium (`libsodium-wrappers-sumo`, WebAssembly) does the group
 * operations fast and is the one used in Node ({@link loadOprf}); @noble/curves (pure JavaScript,
 * with its own RFC 9497 implementation) is the independent reference the tests hold
 * libsodium to, byte for byte, and a fallback where WebAssembly cannot run ({@link nobleOprf}).
 * Neither is home-made: this module only composes the libraries' hash-to-curve, scalar and point
 * operations as RFC 9497 specifies, and checks what it is given. Hashing (expand_message_xmd,
 * SHA-512) is @noble/hashes/@noble/curves in both. Platform-free: no Node built-ins.
 *
 * Measured per element on this machine (2 vCPUs, Node 20.20; 57-byte token inputs; medians of
 * batches of 300, the machine otherwise busy with other work):
 *
 * | step                                              | libsodium | noble  |
 * |---------------------------------------------------|-----------|--------|
 * | hash to group H(x) (expand_message_xmd + map)     | 25 µs     | 215 µs |
 * | blind: H(x), a fresh r, r·H(x)                    | 105 µs    | 935 µs |
 * | blind evaluate: k·B (with its decoding check)     | 83 µs     | 900 µs |
 * | finalize: r⁻¹, r⁻¹·Z, SHA-512 (with its checks)   | 110 µs    | 890 µs |
 * | evaluate (the owner's own): H(x), k·H(x), SHA-512 | 107 µs    | 920 µs |
 *
 * A 300-element query end to end (blind, blind evaluate, finalize) takes about 90 ms with
 * libsodium, about 790 ms with noble. A libsodium scalar multiplication alone is about 80 µs, a
 * hash to group's one-way map 15 µs, its expand_message_xmd 12 µs, a scalar inversion 25 µs.
 */

import { expand_message_xmd } from '@noble/curves/abstract/hash-to-curve.js';
import { getMinHashLength, mapHashToField } from '@noble/curves/abstract/modular.js';
import { ristretto255, ristretto255_hasher, ristretto255_oprf } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import sodium from 'libsodium-wrappers-sumo';

/** Bytes of a scalar, an element, an output. */
export const SCALAR_BYTES = 32;
export const ELEMENT_BYTES = 32;
export const OUTPUT_BYTES = 64;

/** The longest input RFC 9497 allows (its length is encoded in two bytes). */
export const MAX_INPUT_BYTES = 0xffff;

/**
 * A blinded or evaluated element that is not a valid, non-identity ristretto255 encoding (index in the batch).
 * Also thrown for any other malformed item of a batch — an input too long, a blind that is not a
 * canonical nonzero scalar — naming its index and what is wrong.
 */
export class BlindInputError extends Error {
  constructor(
    readonly index: number,
    message: string,
  ) {
    super(`at index ${index}: ${message}`);
    this.name = 'BlindInputError';
  }
}

export interface Oprf {
  readonly name: 'libsodium' | 'noble';
  /** A fresh random secret key (canonical nonzero scalar). */
  generateKey(): Uint8Array;
  /** RFC 9497 DeriveKeyPair(seed (32 bytes), info): the secret key (for keys kept as a seed). */
  deriveKey(seed: Uint8Array, info: Uint8Array): Uint8Array;
  /** The owner's own outputs (RFC 9497 Evaluate): Finalize(x, k·H(x)) for each input. */
  evaluateMany(key: Uint8Array, inputs: readonly Uint8Array[]): Uint8Array[];
  /** Blind each input with its own fresh random scalar: elements r·H(x) and the scalars r. */
  blindMany(inputs: readonly Uint8Array[]): { blinds: Uint8Array[]; elements: Uint8Array[] };
  /** The owner's agent: k·B for each blinded element; throws BlindInputError on an invalid one. */
  blindEvaluateMany(key: Uint8Array, elements: readonly Uint8Array[]): Uint8Array[];
  /** The asker: Finalize(x, r⁻¹·Z) for each; throws BlindInputError on an invalid evaluated element. */
  finalizeMany(
    inputs: readonly Uint8Array[],
    blinds: readonly Uint8Array[],
    evaluated: readonly Uint8Array[],
  ): Uint8Array[];
}

// ---------------------------------------------------------------------------------------------
// The suite's constants (RFC 9497 §3.1, §4.1)

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

function concat(...parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** "OPRFV1-" || I2OSP(mode, 1) || "-" || identifier, mode 0x00. */
const CONTEXT = concat(ascii('OPRFV1-'), Uint8Array.of(0x00), ascii('-ristretto255-SHA512'));
const HASH_TO_GROUP_DST = concat(ascii('HashToGroup-'), CONTEXT);
const DERIVE_KEY_PAIR_DST = concat(ascii('DeriveKeyPair'), CONTEXT);
const FINALIZE_LABEL = ascii('Finalize');
/** expand_message_xmd output for hash_to_ristretto255 and HashToScalar: 64 uniform bytes. */
const UNIFORM_BYTES = 64;
const SEED_BYTES = 32;

const Fn = ristretto255.Point.Fn;
const Point = ristretto255.Point;
type RistrettoPoint = InstanceType<typeof Point>;

// ---------------------------------------------------------------------------------------------
// Checks and encodings shared by both implementations

function isZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (const b of bytes) acc |= b;
  return acc === 0;
}

/** A canonical (below the group order) nonzero scalar encoding of 32 bytes. */
function isScalar(bytes: Uint8Array): boolean {
  return bytes.length === SCALAR_BYTES && Fn.isValidNot0(Fn.fromBytes(bytes, true));
}

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array)) throw new Error('OPRF key is not a byte array');
  if (key.length !== SCALAR_BYTES) {
    throw new Error(`OPRF key is ${key.length} bytes, expected ${SCALAR_BYTES}`);
  }
  if (isZero(key)) throw new Error('OPRF key is zero');
  if (!isScalar(key)) throw new Error('OPRF key is not a canonical scalar (not below the group order)');
}

function checkInput(input: Uint8Array, index: number): void {
  if (!(input instanceof Uint8Array)) throw new BlindInputError(index, 'input is not a byte array');
  if (input.length > MAX_INPUT_BYTES) {
    throw new BlindInputError(index, `input is ${input.length} bytes, at most ${MAX_INPUT_BYTES}`);
  }
}

function checkBlind(blind: Uint8Array, index: number): void {
  if (!(blind instanceof Uint8Array)) throw new BlindInputError(index, 'blind is not a byte array');
  if (blind.length !== SCALAR_BYTES) {
    throw new BlindInputError(index, `blind is ${blind.length} bytes, expected ${SCALAR_BYTES}`);
  }
  if (!isScalar(blind)) throw new BlindInputError(index, 'blind is not a canonical nonzero scalar');
}

/**
 * An element received from the other side: 32 bytes, not the identity (all zeros is its only
 * canonical encoding), and a canonical ristretto255 encoding (`isCanonical`, the library's decoder).
 */
function checkElement(
  bytes: Uint8Array,
  index: number,
  what: string,
  isCanonical: (bytes: Uint8Array) => boolean,
): void {
  if (!(bytes instanceof Uint8Array)) throw new BlindInputError(index, `${what} is not a byte array`);
  if (bytes.length !== ELEMENT_BYTES) {
    throw new BlindInputError(index, `${what} is ${bytes.length} bytes, expected ${ELEMENT_BYTES}`);
  }
  if (isZero(bytes)) throw new BlindInputError(index, `${what} is the identity element`);
  if (!isCanonical(bytes)) {
    throw new BlindInputError(index, `${what} is not a canonical ristretto255 encoding`);
  }
}

function checkSameLength(what: string, a: readonly unknown[], b: readonly unknown[]): void {
  if (a.length !== b.length) throw new Error(`${what}: ${a.length} and ${b.length} items, expected as many`);
}

function checkDeriveArgs(seed: Uint8Array, info: Uint8Array): void {
  if (!(seed instanceof Uint8Array) || seed.length !== SEED_BYTES) {
    throw new Error(
      `OPRF seed must be ${SEED_BYTES} bytes, got ${seed instanceof Uint8Array ? seed.length : typeof seed}`,
    );
  }
  if (!(info instanceof Uint8Array) || info.length > MAX_INPUT_BYTES) {
    throw new Error(`OPRF key info must be bytes, at most ${MAX_INPUT_BYTES}`);
  }
}

function i2osp2(n: number): Uint8Array {
  return Uint8Array.of(n >>> 8, n & 0xff);
}

/** RFC 9497 Finalize's hash: SHA-512(len(x) || x || len(N) || N || "Finalize"). */
function finalizeHash(input: Uint8Array, unblinded: Uint8Array): Uint8Array {
  return sha512(concat(i2osp2(input.length), input, i2osp2(unblinded.length), unblinded, FINALIZE_LABEL));
}

/** The uniform bytes of hash_to_ristretto255(x) under the suite's HashToGroup DST. */
function hashToGroupUniform(input: Uint8Array): Uint8Array {
  return expand_message_xmd(input, HASH_TO_GROUP_DST, UNIFORM_BYTES, sha512);
}

/** Web Crypto's limit on one getRandomValues call. */
const RANDOM_CHUNK_BYTES = 65_536;

/**
 * `count` random scalars in [1, ℓ): RFC 9497 §4.7's "extra random bits" method — 64 uniform bytes
 * per scalar (more than the 48 it asks for), reduced modulo the group order by `reduce` (the
 * library's), zero redrawn. The bytes come from Web Crypto's getRandomValues (browsers, Node ≥ 19)
 * in one call per 1,024 scalars: libsodium.js's own generator gathers 4 bytes per JavaScript call,
 * which made `crypto_core_ristretto255_scalar_random` cost more than a scalar multiplication.
 */
function randomScalars(count: number, reduce: (uniform: Uint8Array) => Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  while (out.length < count) {
    const n = Math.min(count - out.length, RANDOM_CHUNK_BYTES / UNIFORM_BYTES);
    const bytes = globalThis.crypto.getRandomValues(new Uint8Array(n * UNIFORM_BYTES));
    for (let i = 0; i < n; i++) {
      const scalar = reduce(bytes.subarray(i * UNIFORM_BYTES, (i + 1) * UNIFORM_BYTES));
      if (!isZero(scalar)) out.push(scalar);
    }
    bytes.fill(0);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Internals exposed to tests (deterministic blinding, H(x) alone)

interface Internals {
  /** H(x), encoded; BlindInputError if x is malformed or maps to the identity. */
  hashToGroup(input: Uint8Array, index: number): Uint8Array;
  /** r·H(x) with the given r. */
  blindWith(inputs: readonly Uint8Array[], blinds: readonly Uint8Array[]): Uint8Array[];
}

const internals = new WeakMap<Oprf, Internals>();

function internalsOf(oprf: Oprf): Internals {
  const found = internals.get(oprf);
  if (found === undefined) throw new Error('not an OPRF implementation of this module');
  return found;
}

/**
 * FOR TESTS ONLY — deterministic: blinds each input with the given scalar instead of a fresh random
 * one (RFC 9497 test vectors, cross-checks). Reusing a blind links the queries made with it; never
 * use outside tests.
 */
export function deterministicBlindForTests(
  oprf: Oprf,
  inputs: readonly Uint8Array[],
  blinds: readonly Uint8Array[],
): Uint8Array[] {
  return internalsOf(oprf).blindWith(inputs, blinds);
}

/** FOR TESTS AND MEASUREMENTS: H(x) for each input, encoded (32 bytes). */
export function hashToGroupForTests(oprf: Oprf, inputs: readonly Uint8Array[]): Uint8Array[] {
  const { hashToGroup } = internalsOf(oprf);
  return inputs.map((x, i) => hashToGroup(x, i));
}

// ---------------------------------------------------------------------------------------------
// libsodium

type Sodium = typeof sodium;

function makeSodiumOprf(na: Sodium): Oprf {
  const isCanonical = (bytes: Uint8Array): boolean => na.crypto_core_ristretto255_is_valid_point(bytes);
  const reduce = (uniform: Uint8Array): Uint8Array => na.crypto_core_ristretto255_scalar_reduce(uniform);

  function hashToGroup(input: Uint8Array, index: number): Uint8Array {
    checkInput(input, index);
    const element = na.crypto_core_ristretto255_from_hash(hashToGroupUniform(input));
    if (isZero(element)) throw new BlindInputError(index, 'input maps to the identity element');
    return element;
  }

  function blindWith(inputs: readonly Uint8Array[], blinds: readonly Uint8Array[]): Uint8Array[] {
    checkSameLength('inputs and blinds', inputs, blinds);
    return inputs.map((x, i) => {
      const r = blinds[i] as Uint8Array;
      checkBlind(r, i);
      return na.crypto_scalarmult_ristretto255(r, hashToGroup(x, i));
    });
  }

  const oprf: Oprf = {
    name: 'libsodium',
    generateKey: () => randomScalars(1, reduce)[0] as Uint8Array,
    deriveKey(seed, info) {
      checkDeriveArgs(seed, info);
      const msg = concat(seed, i2osp2(info.length), info, Uint8Array.of(0));
      for (let counter = 0; counter <= 255; counter++) {
        msg[msg.length - 1] = counter;
        const uniform = expand_message_xmd(msg, DERIVE_KEY_PAIR_DST, UNIFORM_BYTES, sha512);
        const key = reduce(uniform);
        if (!isZero(key)) return key;
      }
      throw new Error('DeriveKeyPairError: no nonzero scalar in 256 tries');
    },
    evaluateMany(key, inputs) {
      checkKey(key);
      return inputs.map((x, i) => finalizeHash(x, na.crypto_scalarmult_ristretto255(key, hashToGroup(x, i))));
    },
    blindMany(inputs) {
      const blinds = randomScalars(inputs.length, reduce);
      return { blinds, elements: blindWith(inputs, blinds) };
    },
    blindEvaluateMany(key, elements) {
      checkKey(key);
      for (const [i, b] of elements.entries()) checkElement(b, i, 'blinded element', isCanonical);
      return elements.map((b) => na.crypto_scalarmult_ristretto255(key, b));
    },
    finalizeMany(inputs, blinds, evaluated) {
      checkSameLength('inputs and blinds', inputs, blinds);
      checkSameLength('inputs and evaluated elements', inputs, evaluated);
      for (const [i, x] of inputs.entries()) {
        checkInput(x, i);
        checkBlind(blinds[i] as Uint8Array, i);
        checkElement(evaluated[i] as Uint8Array, i, 'evaluated element', isCanonical);
      }
      return inputs.map((x, i) => {
        const rInverse = na.crypto_core_ristretto255_scalar_invert(blinds[i] as Uint8Array);
        return finalizeHash(x, na.crypto_scalarmult_ristretto255(rInverse, evaluated[i] as Uint8Array));
      });
    },
  };
  internals.set(oprf, { hashToGroup, blindWith });
  return Object.freeze(oprf);
}

let loading: Promise<Oprf> | undefined;

/** The libsodium implementation (loads the WASM once; later calls resolve at once). */
export function loadOprf(): Promise<Oprf> {
  if (loading === undefined) {
    loading = sodium.ready.then(
      () => makeSodiumOprf(sodium),
      (err: unknown) => {
        loading = undefined; // let a later call try again
        throw err;
      },
    );
  }
  return loading;
}

// ---------------------------------------------------------------------------------------------
// @noble/curves

function decodeElement(bytes: Uint8Array): RistrettoPoint | undefined {
  try {
    return Point.fromBytes(bytes);
  } catch {
    return undefined;
  }
}

function checkedPoint(bytes: Uint8Array, index: number, what: string): RistrettoPoint {
  const point = decodeElement(bytes);
  checkElement(bytes, index, what, () => point !== undefined);
  return point as RistrettoPoint;
}

function nobleHashToPoint(input: Uint8Array, index: number): RistrettoPoint {
  checkInput(input, index);
  const point = ristretto255_hasher.hashToCurve(input, { DST: HASH_TO_GROUP_DST });
  if (point.is0()) throw new BlindInputError(index, 'input maps to the identity element');
  return point;
}

function nobleBlindWith(inputs: readonly Uint8Array[], blinds: readonly Uint8Array[]): Uint8Array[] {
  checkSameLength('inputs and blinds', inputs, blinds);
  return inputs.map((x, i) => {
    const r = blinds[i] as Uint8Array;
    checkBlind(r, i);
    return nobleHashToPoint(x, i).multiply(Fn.fromBytes(r)).toBytes();
  });
}

/** A uniformly random scalar in [1, order), as @noble/curves' own OPRF draws its blinds. */
function nobleRandomScalar(): Uint8Array {
  return mapHashToField(randomBytes(getMinHashLength(Fn.ORDER)), Fn.ORDER, true);
}

/** The pure-JavaScript implementation (@noble/curves), same bytes. */
export const nobleOprf: Oprf = Object.freeze({
  name: 'noble',
  generateKey: nobleRandomScalar,
  deriveKey(seed: Uint8Array, info: Uint8Array): Uint8Array {
    checkDeriveArgs(seed, info);
    return ristretto255_oprf.oprf.deriveKeyPair(seed, info).secretKey;
  },
  evaluateMany(key: Uint8Array, inputs: readonly Uint8Array[]): Uint8Array[] {
    checkKey(key);
    const k = Fn.fromBytes(key);
    return inputs.map((x, i) => finalizeHash(x, nobleHashToPoint(x, i).multiply(k).toBytes()));
  },
  blindMany(inputs: readonly Uint8Array[]): { blinds: Uint8Array[]; elements: Uint8Array[] } {
    const blinds = inputs.map(() => nobleRandomScalar());
    return { blinds, elements: nobleBlindWith(inputs, blinds) };
  },
  blindEvaluateMany(key: Uint8Array, elements: readonly Uint8Array[]): Uint8Array[] {
    checkKey(key);
    const k = Fn.fromBytes(key);
    const points = elements.map((b, i) => checkedPoint(b, i, 'blinded element'));
    return points.map((p) => p.multiply(k).toBytes());
  },
  finalizeMany(
    inputs: readonly Uint8Array[],
    blinds: readonly Uint8Array[],
    evaluated: readonly Uint8Array[],
  ): Uint8Array[] {
    checkSameLength('inputs and blinds', inputs, blinds);
    checkSameLength('inputs and evaluated elements', inputs, evaluated);
    const points = inputs.map((x, i) => {
      checkInput(x, i);
      checkBlind(blinds[i] as Uint8Array, i);
      return checkedPoint(evaluated[i] as Uint8Array, i, 'evaluated element');
    });
    return inputs.map((x, i) => {
      const rInverse = Fn.inv(Fn.fromBytes(blinds[i] as Uint8Array));
      return finalizeHash(x, (points[i] as RistrettoPoint).multiply(rInverse).toBytes());
    });
  },
});
internals.set(nobleOprf, {
  hashToGroup: (input, index) => nobleHashToPoint(input, index).toBytes(),
  blindWith: nobleBlindWith,
});
