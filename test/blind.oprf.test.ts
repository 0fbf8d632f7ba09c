/**
 * The OPRF of blind matching (src/blind/oprf.ts): RFC 9497 test vectors for OPRF(ristretto255,
 * SHA-512) mode 0, libsodium against @noble/curves byte for byte, fresh blinding, and refusals.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { ristretto255_oprf } from '@noble/curves/ed25519.js';
import {
  BlindInputError,
  deterministicBlindForTests,
  ELEMENT_BYTES,
  hashToGroupForTests,
  loadOprf,
  nobleOprf,
  type Oprf,
  OUTPUT_BYTES,
  SCALAR_BYTES,
} from '../src/blind/oprf.ts';

const fromHex = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const hexes = (list: readonly Uint8Array[]): string[] => list.map(toHex);
const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
/**
 * @noble/curves' own RFC 9497 Evaluate for mode 0: `ristretto255_oprf.oprf.evaluate` exists at run
 * time but is missing from the package's 2.4.0 types for `oprf` (only `poprf` declares one).
 */
function nobleEvaluate(key: Uint8Array, input: Uint8Array): Uint8Array {
  const evaluate: unknown = Reflect.get(ristretto255_oprf.oprf, 'evaluate');
  assert.equal(typeof evaluate, 'function', 'ristretto255_oprf.oprf.evaluate');
  return (evaluate as (key: Uint8Array, input: Uint8Array) => Uint8Array)(key, input);
}
/** A copy of `list` with item `index` replaced. */
function replaceAt<T>(list: readonly T[], index: number, item: T): T[] {
  const copy = [...list];
  copy[index] = item;
  return copy;
}

/** Inputs shaped like the project's token inputs (cell, slot), plus a few odd lengths. */
function someInputs(n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const cell = `88${toHex(random(7)).slice(0, 13)}`;
    out.push(
      new TextEncoder().encode(`deconflict-blind-v1|${cell}|3600000|${1_733_443_200_000 + i * 3_600_000}`),
    );
  }
  out.push(new Uint8Array(0), random(1), random(200));
  return out;
}

/**
 * RFC 9497 Appendix A.1.1, OPRF(ristretto255, SHA-512), OPRF mode — quoted from the RFC's source
 * (github.com/cfrg/draft-irtf-cfrg-voprf, draft-irtf-cfrg-voprf.md, "ristretto255-SHA512" /
 * "OPRF Mode"), the hex lines joined.
 */
const RFC9497 = {
  Seed: 'a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3',
  KeyInfo: '74657374206b6579',
  skSm: '5ebcea5ee37023ccb9fc2d2019f9d7737be85591ae8652ffa9ef0f4d37063b0e',
  vectors: [
    {
      name: 'Test Vector 1, Batch Size 1',
      Input: '00',
      Blind: '64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706',
      BlindedElement: '609a0ae68c15a3cf6903766461307e5c8bb2f95e7e6550e1ffa2dc99e412803c',
      EvaluationElement: '7ec6578ae5120958eb2db1745758ff379e77cb64fe77b0b2d8cc917ea0869c7e',
      Output:
        '527759c3d9366f277d8c6020418d96bb393ba2afb20ff90df23fb7708264e2f3ab9135e3bd69955851de4b1f9fe8a0973396719b7912ba9ee8aa7d0b5e24bcf6',
    },
    {
      name: 'Test Vector 2, Batch Size 1',
      Input: '5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a',
      Blind: '64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706',
      BlindedElement: 'da27ef466870f5f15296299850aa088629945a17d1f5b7f5ff043f76b3c06418',
      EvaluationElement: 'b4cbf5a4f1eeda5a63ce7b77c7d23f461db3fcab0dd28e4e17cecb5c90d02c25',
      Output:
        'f4a74c9c592497375e796aa837e907b1a045d34306a749db9f34221f7e750cb4f2a6413a6bf6fa5e19ba6348eb673934a722a7ede2e7621306d18951e7cf2c73',
    },
  ],
} as const;

async function both(): Promise<Oprf[]> {
  return [await loadOprf(), nobleOprf];
}

test('loadOprf loads libsodium once: the same object every time', async () => {
  const a = await loadOprf();
  const b = await loadOprf();
  assert.equal(a, b);
  assert.equal(a.name, 'libsodium');
  assert.equal(nobleOprf.name, 'noble');
});

test('RFC 9497 A.1.1 OPRF(ristretto255, SHA-512) mode 0: both vectors, both implementations', async () => {
  for (const oprf of await both()) {
    const key = oprf.deriveKey(fromHex(RFC9497.Seed), fromHex(RFC9497.KeyInfo));
    assert.equal(toHex(key), RFC9497.skSm, `${oprf.name}: DeriveKeyPair gives skSm`);
    for (const v of RFC9497.vectors) {
      const what = `${oprf.name}, ${v.name}`;
      const input = fromHex(v.Input);
      const blind = fromHex(v.Blind);
      const [blinded] = deterministicBlindForTests(oprf, [input], [blind]);
      assert.equal(toHex(blinded as Uint8Array), v.BlindedElement, `${what}: BlindedElement`);
      const [evaluated] = oprf.blindEvaluateMany(key, [fromHex(v.BlindedElement)]);
      assert.equal(toHex(evaluated as Uint8Array), v.EvaluationElement, `${what}: EvaluationElement`);
      const [output] = oprf.finalizeMany([input], [blind], [fromHex(v.EvaluationElement)]);
      assert.equal(toHex(output as Uint8Array), v.Output, `${what}: Output (Finalize)`);
      assert.deepEqual(hexes(oprf.evaluateMany(key, [input])), [v.Output], `${what}: Output (Evaluate)`);
    }
  }
  // The reference agrees with the RFC too (else the cross-checks below would prove little).
  const key = fromHex(RFC9497.skSm);
  for (const v of RFC9497.vectors) {
    assert.equal(toHex(nobleEvaluate(key, fromHex(v.Input))), v.Output);
  }
});

test('libsodium and noble: same H(x), same elements under the same blinds, same outputs', async () => {
  const sodium = await loadOprf();
  for (let round = 0; round < 4; round++) {
    const inputs = someInputs(20);
    const key = round % 2 === 0 ? sodium.generateKey() : nobleOprf.generateKey();
    const { blinds } = sodium.blindMany(inputs);

    assert.deepEqual(
      hexes(hashToGroupForTests(sodium, inputs)),
      hexes(hashToGroupForTests(nobleOprf, inputs)),
    );
    const elements = deterministicBlindForTests(sodium, inputs, blinds);
    assert.deepEqual(hexes(elements), hexes(deterministicBlindForTests(nobleOprf, inputs, blinds)));

    const evaluated = sodium.blindEvaluateMany(key, elements);
    assert.deepEqual(hexes(evaluated), hexes(nobleOprf.blindEvaluateMany(key, elements)));

    const outputs = sodium.finalizeMany(inputs, blinds, evaluated);
    assert.deepEqual(hexes(outputs), hexes(nobleOprf.finalizeMany(inputs, blinds, evaluated)));
    assert.ok(outputs.every((o) => o.length === OUTPUT_BYTES));

    const direct = sodium.evaluateMany(key, inputs);
    assert.deepEqual(hexes(direct), hexes(nobleOprf.evaluateMany(key, inputs)));
    assert.deepEqual(hexes(outputs), hexes(direct), 'the blinded round trip gives Evaluate');
    assert.deepEqual(
      hexes(outputs),
      inputs.map((x) => toHex(nobleEvaluate(key, x))),
      "noble's own RFC 9497 Evaluate",
    );
  }
});

test('blinded round trips equal Evaluate, whichever implementation plays which part', async () => {
  const sodium = await loadOprf();
  const inputs = someInputs(12);
  const key = sodium.generateKey();
  const expected = hexes(sodium.evaluateMany(key, inputs));
  for (const asker of [sodium, nobleOprf]) {
    for (const owner of [sodium, nobleOprf]) {
      const { blinds, elements } = asker.blindMany(inputs);
      assert.ok(elements.every((e) => e.length === ELEMENT_BYTES));
      assert.ok(blinds.every((r) => r.length === SCALAR_BYTES));
      const evaluated = owner.blindEvaluateMany(key, elements);
      assert.deepEqual(
        hexes(asker.finalizeMany(inputs, blinds, evaluated)),
        expected,
        `${asker.name}/${owner.name}`,
      );
    }
  }
  // And with noble's own client and server halves on either side of ours.
  for (const [i, x] of inputs.entries()) {
    const { blind, blinded } = ristretto255_oprf.oprf.blind(x);
    const [evaluated] = sodium.blindEvaluateMany(key, [blinded]);
    assert.equal(toHex(ristretto255_oprf.oprf.finalize(x, blind, evaluated as Uint8Array)), expected[i]);
    const mine = sodium.blindMany([x]);
    const theirs = ristretto255_oprf.oprf.blindEvaluate(key, mine.elements[0] as Uint8Array);
    assert.deepEqual(hexes(sodium.finalizeMany([x], mine.blinds, [theirs])), [expected[i]]);
  }
});

test('deriveKey: both implementations agree on random seeds and infos; keys differ by seed and info', async () => {
  const sodium = await loadOprf();
  const seen = new Set<string>();
  for (let i = 0; i < 8; i++) {
    const seed = random(32);
    const info = random(i * 5);
    const key = toHex(sodium.deriveKey(seed, info));
    assert.equal(key, toHex(nobleOprf.deriveKey(seed, info)));
    assert.equal(key, toHex(ristretto255_oprf.oprf.deriveKeyPair(seed, info).secretKey));
    seen.add(key);
  }
  assert.equal(seen.size, 8);
  for (const oprf of [sodium, nobleOprf]) {
    assert.throws(() => oprf.deriveKey(random(31), new Uint8Array(0)), /seed must be 32 bytes/);
  }
});

test('generateKey: fresh canonical nonzero scalars, usable by the reference', async () => {
  for (const oprf of await both()) {
    const keys = new Set<string>();
    for (let i = 0; i < 16; i++) {
      const key = oprf.generateKey();
      assert.equal(key.length, SCALAR_BYTES);
      keys.add(toHex(key));
      // noble's Evaluate refuses a key that is zero or not below the group order.
      assert.equal(nobleEvaluate(key, Uint8Array.of(1)).length, OUTPUT_BYTES);
    }
    assert.equal(keys.size, 16, `${oprf.name}: no repeated key`);
  }
});

test('fresh blinding: the same input blinded twice gives different elements, the same output', async () => {
  for (const oprf of await both()) {
    const x = someInputs(1)[0] as Uint8Array;
    const key = oprf.generateKey();
    const once = oprf.blindMany([x, x]);
    const again = oprf.blindMany([x]);
    const elements = new Set(hexes([...once.elements, ...again.elements]));
    const blinds = new Set(hexes([...once.blinds, ...again.blinds]));
    assert.equal(elements.size, 3, `${oprf.name}: three distinct blinded elements`);
    assert.equal(blinds.size, 3, `${oprf.name}: three distinct blinds`);
    const outputs = [
      ...oprf.finalizeMany([x, x], once.blinds, oprf.blindEvaluateMany(key, once.elements)),
      ...oprf.finalizeMany([x], again.blinds, oprf.blindEvaluateMany(key, again.elements)),
    ];
    assert.equal(new Set(hexes(outputs)).size, 1, `${oprf.name}: one output`);
  }
});

/** 2^255 - 19 (the field prime) little-endian: a non-canonical encoding of zero. */
const FIELD_PRIME_LE = fromHex(`ed${'ff'.repeat(30)}7f`);

const BAD_ELEMENTS: ReadonlyArray<{ what: string; bytes: Uint8Array; message: RegExp }> = [
  { what: 'empty', bytes: new Uint8Array(0), message: /is 0 bytes, expected 32/ },
  { what: '31 bytes', bytes: random(31), message: /is 31 bytes, expected 32/ },
  { what: '33 bytes', bytes: random(33), message: /is 33 bytes, expected 32/ },
  { what: 'the identity', bytes: new Uint8Array(32), message: /is the identity element/ },
  { what: '32 bytes 0xff', bytes: new Uint8Array(32).fill(0xff), message: /is not a canonical ristretto255/ },
  { what: 'the field prime (s ≥ p)', bytes: FIELD_PRIME_LE, message: /is not a canonical ristretto255/ },
  {
    what: 's = 1 (negative)',
    bytes: fromHex(`01${'00'.repeat(31)}`),
    message: /is not a canonical ristretto255/,
  },
];

function isBlindInputError(index: number, message: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof BlindInputError, `a BlindInputError, got ${String(err)}`);
    assert.equal(err.index, index);
    assert.match(err.message, message);
    assert.match(err.message, new RegExp(`index ${index}`));
    return true;
  };
}

test('bad elements at index 3 of a batch: BlindInputError with index 3, in blindEvaluate and finalize', async () => {
  for (const oprf of await both()) {
    const key = oprf.generateKey();
    const inputs = someInputs(2); // 5 inputs
    const { blinds, elements } = oprf.blindMany(inputs);
    const evaluated = oprf.blindEvaluateMany(key, elements);
    for (const bad of BAD_ELEMENTS) {
      const what = `${oprf.name}, ${bad.what}`;
      const badElements = replaceAt(elements, 3, bad.bytes);
      assert.throws(
        () => oprf.blindEvaluateMany(key, badElements),
        isBlindInputError(3, new RegExp(`blinded element ${bad.message.source}`)),
        what,
      );
      const badEvaluated = replaceAt(evaluated, 3, bad.bytes);
      assert.throws(
        () => oprf.finalizeMany(inputs, blinds, badEvaluated),
        isBlindInputError(3, new RegExp(`evaluated element ${bad.message.source}`)),
        what,
      );
    }
    // The batch itself was fine.
    assert.deepEqual(
      hexes(oprf.finalizeMany(inputs, blinds, evaluated)),
      hexes(oprf.evaluateMany(key, inputs)),
    );
  }
});

test('bad blinds and inputs at index 3: BlindInputError with index 3', async () => {
  const order = fromHex('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010'); // ℓ, little-endian
  for (const oprf of await both()) {
    const key = oprf.generateKey();
    const inputs = someInputs(2);
    const { blinds, elements } = oprf.blindMany(inputs);
    const evaluated = oprf.blindEvaluateMany(key, elements);
    const badBlinds: ReadonlyArray<[Uint8Array, RegExp]> = [
      [random(31), /blind is 31 bytes, expected 32/],
      [new Uint8Array(32), /blind is not a canonical nonzero scalar/],
      [order, /blind is not a canonical nonzero scalar/],
      [new Uint8Array(32).fill(0xff), /blind is not a canonical nonzero scalar/],
    ];
    for (const [blind, message] of badBlinds) {
      assert.throws(
        () => oprf.finalizeMany(inputs, replaceAt(blinds, 3, blind), evaluated),
        isBlindInputError(3, message),
      );
      assert.throws(
        () => deterministicBlindForTests(oprf, inputs, replaceAt(blinds, 3, blind)),
        isBlindInputError(3, message),
      );
    }
    const long = replaceAt(inputs, 3, new Uint8Array(65_536));
    const tooLong = /input is 65536 bytes, at most 65535/;
    assert.throws(() => oprf.blindMany(long), isBlindInputError(3, tooLong));
    assert.throws(() => oprf.evaluateMany(key, long), isBlindInputError(3, tooLong));
    assert.throws(() => oprf.finalizeMany(long, blinds, evaluated), isBlindInputError(3, tooLong));
    // The longest allowed input is fine.
    const longest = [new Uint8Array(65_535)];
    const b = oprf.blindMany(longest);
    assert.deepEqual(
      hexes(oprf.finalizeMany(longest, b.blinds, oprf.blindEvaluateMany(key, b.elements))),
      hexes(oprf.evaluateMany(key, longest)),
    );
    // Batches that do not line up.
    assert.throws(() => oprf.finalizeMany(inputs, blinds.slice(1), evaluated), /as many/);
    assert.throws(() => oprf.finalizeMany(inputs, blinds, evaluated.slice(1)), /as many/);
  }
});

test('keys: zero, wrong lengths and scalars not below the group order are refused (plain Error)', async () => {
  const order = fromHex('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010');
  const badKeys: ReadonlyArray<[Uint8Array, RegExp]> = [
    [new Uint8Array(32), /key is zero/],
    [random(31), /key is 31 bytes, expected 32/],
    [random(64), /key is 64 bytes, expected 32/],
    [order, /not a canonical scalar/],
    [new Uint8Array(32).fill(0xff), /not a canonical scalar/],
  ];
  for (const oprf of await both()) {
    const inputs = someInputs(1);
    const { elements } = oprf.blindMany(inputs);
    for (const [key, message] of badKeys) {
      for (const call of [
        () => oprf.evaluateMany(key, inputs),
        () => oprf.blindEvaluateMany(key, elements),
      ]) {
        assert.throws(call, (err: unknown) => {
          assert.ok(err instanceof Error && !(err instanceof BlindInputError), String(err));
          assert.match(err.message, message);
          return true;
        });
      }
    }
  }
});

test("a 300-element query with libsodium: blind, evaluate, finalize give the owner's own outputs", async () => {
  // Its time is the benchmark's (npm run bench:blind), never a timed test.
  const sodium = await loadOprf();
  const key = sodium.generateKey();
  const inputs = someInputs(297);
  assert.equal(inputs.length, 300);
  const [blinds, evaluated] = roundTrip(sodium, key, inputs);
  const outputs = sodium.finalizeMany(inputs, blinds, evaluated);
  assert.deepEqual(outputs, sodium.evaluateMany(key, inputs));
});

function roundTrip(oprf: Oprf, key: Uint8Array, inputs: readonly Uint8Array[]): [Uint8Array[], Uint8Array[]] {
  const { blinds, elements } = oprf.blindMany(inputs);
  return [blinds, oprf.blindEvaluateMany(key, elements)];
}
