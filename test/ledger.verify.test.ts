/**
 * The ledger verifier (src/ledger/verify.ts) on ledgers built in memory with the hub's own
 * functions (chain.ts's entryHash, leaf.ts's entryLeaf, note.ts's signNote, statement.ts's
 * signStatement), independent of the verifier's code: a ledger that holds, then each way one can
 * be wrong, each named by its code and seq (or size). Receipts: a hand-built one that holds, and
 * each of its parts changed.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { LedgerEntry } from '../src/domain/records.ts';
import { entryHash, GENESIS_HASH } from '../src/ledger/chain.ts';
import { entryLeaf, payloadHash } from '../src/ledger/leaf.ts';
import { MerkleLog } from '../src/ledger/merkle.ts';
import {
  addSignatures,
  formatCheckpoint,
  fromBase64,
  keyHashOf,
  newEd25519Key,
  type Signer,
  signerFromPrivateKey,
  signNote,
  toBase64,
  verifierKeyOf,
} from '../src/ledger/note.ts';
import { newMemberKey, type Signed, signStatement, witnessKeyName } from '../src/ledger/statement.ts';
import { type Finding, LedgerVerifier, type VerifyResult, verifyReceipt } from '../src/ledger/verify.ts';

const ORIGIN = 'deconflict/0123456789abcdef';
const T = Date.UTC(2026, 10, 23, 6);

type Content = Pick<LedgerEntry, 'actor' | 'party' | 'type' | 'subject' | 'payload'>;

/** A ledger as the store writes one (sqlite.ts's append), with the hub's key and a member's. */
function buildLedger() {
  const entries: LedgerEntry[] = [];
  const append = (c: Content, salt = randomBytes(16).toString('hex')): LedgerEntry => {
    const prev = entries.at(-1);
    const base = {
      seq: entries.length + 1,
      at: T + entries.length * 1000,
      ...c,
      prev_hash: prev?.hash ?? GENESIS_HASH,
    };
    const e: LedgerEntry = {
      ...base,
      hash: entryHash(base),
      salt,
      leaf: Buffer.from(entryLeaf({ ...base, salt })).toString('hex'),
    };
    entries.push(e);
    return e;
  };
  const hub = newEd25519Key(ORIGIN);
  append({
    actor: null,
    party: null,
    type: 'log.key',
    subject: ORIGIN,
    payload: { verifier_key: hub.verifierKey, previous: null },
  });
  append({
    actor: 'alpha.operator',
    party: 'alpha',
    type: 'declaration.submitted',
    subject: 'alpha/d1',
    payload: { note: 'é ∑ 😀', n: [1, 2.5, -0], z: { b: 1, a: null } },
  });
  // An entry from before the log (empty salt).
  append(
    {
      actor: 'alpha.operator',
      party: 'alpha',
      type: 'declaration.submitted',
      subject: 'alpha/d2',
      payload: { n: 2 },
    },
    '',
  );
  const member = newMemberKey();
  const memberSeed = fromBase64(member.privateKey) as Uint8Array;
  const register = signStatement(
    {
      v: 1,
      origin: ORIGIN,
      act: 'key.register',
      subject: member.id,
      by: 'alpha.watch',
      party: 'alpha',
      at: new Date(T).toISOString(),
      public_key: member.publicKey,
    },
    memberSeed,
  );
  const added = append({
    actor: 'alpha.watch',
    party: 'alpha',
    type: 'key.added',
    subject: member.id,
    payload: {
      key: member.id,
      public_key: member.publicKey,
      label: 'laptop',
      username: 'alpha.watch',
      signed: register,
    },
  });
  const ack = signStatement(
    {
      v: 1,
      origin: ORIGIN,
      act: 'alert.acknowledge',
      subject: 'alert-1',
      by: 'alpha.watch',
      party: 'alpha',
      at: new Date(T).toISOString(),
      reply: 'seen',
    },
    memberSeed,
  );
  const acked = append({
    actor: 'alpha.watch',
    party: 'alpha',
    type: 'alert.acknowledged',
    subject: 'alert-1',
    payload: { reply: 'seen', audience: ['bravo'], signed: ack },
  });
  append({
    actor: 'bravo.operator',
    party: 'bravo',
    type: 'declaration.submitted',
    subject: 'bravo/d1',
    payload: { n: 3 },
  });
  const tree = MerkleLog.fromLeaves(entries.map((e) => Buffer.from(e.leaf as string, 'hex')));
  const checkpoint = (size: number, signer: Signer = hub.signer, root = tree.root(size)) => {
    const note = signNote(formatCheckpoint({ origin: ORIGIN, size, root }), signer);
    return { size, root: toBase64(root), note };
  };
  const cosign = (size: number) => {
    const text = formatCheckpoint({ origin: ORIGIN, size, root: tree.root(size) });
    const signer = signerFromPrivateKey(witnessKeyName(member.id), memberSeed);
    return {
      size,
      key: member.id,
      signature: toBase64(signer.sign(new TextEncoder().encode(text))),
      party: 'alpha',
      username: 'alpha.watch',
      at: T + 60_000,
    };
  };
  return { entries, hub, member, memberSeed, added, acked, ack, tree, checkpoint, cosign };
}

type Ledger = ReturnType<typeof buildLedger>;

function verify(
  l: Ledger,
  entries: readonly LedgerEntry[] = l.entries,
  after?: (v: LedgerVerifier) => void,
): VerifyResult {
  const v = new LedgerVerifier();
  for (const e of entries) v.add(e);
  v.checkpoint(l.checkpoint(3));
  v.checkpoint(l.checkpoint(l.entries.length));
  v.cosignature(l.cosign(l.entries.length));
  after?.(v);
  return v.result();
}

/** An entry changed and its hash and leaf recomputed (a forger with write access to the chain). */
function reseal(e: LedgerEntry, change: Partial<LedgerEntry>): LedgerEntry {
  const base = { ...e, ...change };
  return {
    ...base,
    hash: entryHash(base),
    leaf: Buffer.from(entryLeaf(base)).toString('hex'),
  };
}

/** Every entry from index i re-chained after a change (the forger rewrites the rest too). */
function rechain(entries: LedgerEntry[], from: number): LedgerEntry[] {
  const out = entries.slice(0, from);
  for (const e of entries.slice(from)) out.push(reseal(e, { prev_hash: out.at(-1)?.hash ?? GENESIS_HASH }));
  return out;
}

const first = (r: VerifyResult): Finding => {
  assert.equal(r.ok, false, 'expected a finding');
  return r.failure as Finding;
};

describe('LedgerVerifier', () => {
  it('holds for a ledger written as the store writes it: tree, checkpoints, cosignature, statements', () => {
    const l = buildLedger();
    const r = verify(l);
    assert.deepEqual(r.findings, []);
    assert.equal(r.ok, true);
    assert.equal(r.entries, 6);
    assert.equal(r.size, 6);
    assert.equal(r.root, toBase64(l.tree.root()));
    assert.equal(r.origin, ORIGIN);
    assert.equal(r.checkpoints, 2);
    assert.equal(r.cosignatures, 1);
    assert.equal(r.signed, 2); // the key.register and the acknowledgement
    assert.equal(r.unsalted, 1);
  });

  it('names a changed payload (hash), a changed stored leaf (leaf) and the checkpoint it breaks', () => {
    const l = buildLedger();
    const entries = [...l.entries];
    entries[1] = { ...(entries[1] as LedgerEntry), payload: { note: 'changed' } };
    const r = verify(l, entries);
    assert.deepEqual(first(r), { seq: 2, code: 'hash', reason: 'hash does not match content' });
    assert.ok(r.findings.some((f) => f.seq === 2 && f.code === 'leaf'));
    assert.ok(r.findings.some((f) => f.size === 3 && f.code === 'checkpoint_root'));
    const leafOnly = [...l.entries];
    leafOnly[5] = { ...(leafOnly[5] as LedgerEntry), leaf: '00'.repeat(32) };
    assert.deepEqual(first(verify(l, leafOnly)), {
      seq: 6,
      code: 'leaf',
      reason: 'stored leaf does not match content',
    });
  });

  it('names a removed entry (missing), a reordered pair (reordered), an inserted one (inserted)', () => {
    const l = buildLedger();
    const removed = l.entries.filter((e) => e.seq !== 4);
    const f1 = first(verify(l, removed));
    assert.equal(f1.code, 'missing');
    assert.equal(f1.seq, 4);
    assert.match(f1.reason, /entry 5 follows entry 3/);

    // Swapped rows whose seq was renumbered (as a table ordered by seq gives them).
    const a = l.entries[3] as LedgerEntry;
    const b = l.entries[4] as LedgerEntry;
    const swapped = [...l.entries.slice(0, 3), { ...b, seq: 4 }, { ...a, seq: 5 }, ...l.entries.slice(5)];
    const f2 = first(verify(l, swapped));
    assert.deepEqual(f2, {
      seq: 4,
      code: 'reordered',
      reason: 'holds entry 5 (its hash commits to seq 5): entries were reordered',
    });

    // Lines out of order (as an export file could give them).
    const f3 = first(verify(l, [...l.entries.slice(0, 3), b, a, ...l.entries.slice(5)]));
    assert.equal(f3.code, 'missing');
    assert.equal(f3.seq, 4);

    // A forged entry put in at 4, the later ones renumbered (their hashes still commit to the old seq).
    const forged = reseal(
      { ...a, actor: 'alpha.operator', type: 'declaration.withdrawn', payload: { x: 1 } },
      {},
    );
    const inserted = [
      ...l.entries.slice(0, 3),
      forged,
      ...l.entries.slice(3).map((e) => ({ ...e, seq: e.seq + 1 })),
    ];
    const f4 = first(verify(l, inserted));
    assert.equal(f4.code, 'inserted');
    assert.equal(f4.seq, 5);
    assert.match(f4.reason, /holds entry 4 .*which followed entry 3: entry 4 was inserted before it/);
  });

  it('names a broken link, a re-chained rewrite by the checkpoints it contradicts, and a truncated log', () => {
    const l = buildLedger();
    const relinked = [...l.entries];
    relinked[2] = reseal(relinked[2] as LedgerEntry, { prev_hash: 'f'.repeat(64) });
    assert.deepEqual(first(verify(l, relinked)), {
      seq: 3,
      code: 'link',
      reason: 'prev_hash does not link to entry 2',
    });

    const rewritten = [...l.entries];
    rewritten[1] = { ...(rewritten[1] as LedgerEntry), payload: { note: 'rewritten' } };
    const r = verify(l, rechain(rewritten, 1));
    const f = first(r);
    assert.equal(f.code, 'checkpoint_root');
    assert.equal(f.size, 3);
    assert.match(f.reason, /the log was changed after it was signed/);

    const cut = verify(l, l.entries.slice(0, 4));
    assert.equal(first(cut).code, 'checkpoint_beyond');
    assert.equal(first(cut).size, 6);
  });

  it('names a forged, a foreign, an unregistered and a revoked signature', () => {
    const l = buildLedger();
    const at = l.acked.seq - 1;
    const other = newMemberKey();
    const forgedSig: Signed = {
      ...l.ack,
      signature: signStatement(l.ack.statement, fromBase64(other.privateKey) as Uint8Array).signature,
    };
    const forged = [...l.entries];
    forged[at] = reseal(l.acked, { payload: { ...(l.acked.payload as object), signed: forgedSig } });
    const f1 = first(verify(l, rechain(forged, at + 1)));
    assert.deepEqual(f1, {
      seq: 5,
      code: 'signature',
      reason: `signed statement does not verify with key ${l.member.id}`,
    });

    // Signed by a key the ledger never registered.
    const stranger = signStatement(l.ack.statement, fromBase64(other.privateKey) as Uint8Array);
    const foreign = [...l.entries];
    foreign[at] = reseal(l.acked, { payload: { ...(l.acked.payload as object), signed: stranger } });
    const f2 = first(verify(l, rechain(foreign, at + 1)));
    assert.equal(f2.code, 'statement');
    assert.match(f2.reason, /did not register before this entry/);

    // Recorded as by another member than the one who signed.
    const byOther = [...l.entries];
    byOther[at] = reseal(l.acked, { actor: 'alpha.admin' });
    const f3 = first(verify(l, rechain(byOther, at + 1)));
    assert.equal(f3.code, 'statement');
    assert.match(f3.reason, /statement is by "alpha.watch", the entry by "alpha.admin"/);

    // Revoked before it signed.
    const revoked = [...l.entries];
    const rev = reseal(l.acked, {
      type: 'key.revoked',
      subject: l.member.id,
      payload: { key: l.member.id, username: 'alpha.watch' },
    });
    revoked.splice(at, 0, rev);
    const renumbered = rechain(
      revoked.map((e, i) => ({ ...e, seq: i + 1 })),
      at,
    );
    const r4 = verify(l, renumbered);
    assert.ok(
      r4.findings.some((x) => x.seq === 6 && x.code === 'statement' && /revoked at entry 5/.test(x.reason)),
      JSON.stringify(r4.findings),
    );
  });

  it('names a checkpoint signed by the wrong key, a bad cosignature, a split view and a rewritten kept checkpoint', () => {
    const l = buildLedger();
    const wrong = newEd25519Key(ORIGIN);
    const r1 = verify(l, l.entries, (v) => v.checkpoint(l.checkpoint(5, wrong.signer)));
    const f1 = first(r1);
    assert.equal(f1.code, 'checkpoint_signature');
    assert.equal(f1.size, 5);
    assert.match(f1.reason, /not signed by the hub key current at size 5 \(log.key entry 1\)/);

    const r2 = verify(l, l.entries, (v) =>
      v.cosignature({ ...l.cosign(3), signature: l.cosign(6).signature }),
    );
    assert.deepEqual(first(r2), {
      size: 3,
      code: 'cosignature',
      reason: `cosignature by key ${l.member.id}: the signature does not verify`,
    });

    // Two checkpoints a party kept, one size, two roots, both signed by the hub's key.
    const fake = l.checkpoint(4, l.hub.signer, new Uint8Array(32).fill(7));
    const r3 = verify(l, l.entries, (v) => {
      v.kept(l.checkpoint(4).note, '#1');
      v.kept(fake.note, '#2');
    });
    const f3 = first(r3);
    assert.equal(f3.code, 'split_view');
    assert.equal(f3.size, 4);
    assert.match(f3.reason, /kept checkpoint #2 has root .*, kept checkpoint #1 has root/);
    assert.ok(r3.findings.some((f) => f.code === 'rewritten' && f.size === 4));

    // A kept checkpoint larger than the log: it was cut back.
    const r4 = verify(l, l.entries.slice(0, 5), (v) => v.kept(l.checkpoint(6).note, 'a.txt #1'));
    assert.ok(r4.findings.some((f) => f.code === 'truncated' && f.size === 6));
  });

  it('caps the findings listed but counts them all', () => {
    const l = buildLedger();
    const v = new LedgerVerifier({ maxFindings: 2 });
    for (const e of l.entries) v.add({ ...e, hash: '0'.repeat(64) });
    const r = v.result();
    assert.equal(r.findings.length, 2);
    assert.ok(r.findingsTotal >= 6);
  });

  it('refuses entries after checkpoints (a programming error, not a finding)', () => {
    const l = buildLedger();
    const v = new LedgerVerifier();
    v.add(l.entries[0] as LedgerEntry);
    v.checkpoint(l.checkpoint(1));
    assert.throws(() => v.add(l.entries[1] as LedgerEntry), /entries must all come before checkpoints/);
  });
});

// --- Receipts --------------------------------------------------------------------------------------

function entryView(e: LedgerEntry, withPayload: boolean) {
  return {
    seq: e.seq,
    at: e.at,
    time: new Date(e.at).toISOString(),
    actor: e.actor,
    party: e.party,
    type: e.type,
    subject: e.subject,
    payload_sha256: payloadHash(e.payload, e.salt),
    ...(withPayload && { payload: e.payload, salt: e.salt }),
  };
}

/** A receipt of the acknowledgement, as docs/transparency.md §6 describes it. */
function buildReceipt(l: Ledger, withPayload = true) {
  const size = l.entries.length;
  const cp = l.checkpoint(size);
  const cos = l.cosign(size);
  const name = witnessKeyName(l.member.id);
  const pub = fromBase64(l.member.publicKey) as Uint8Array;
  const note = addSignatures(cp.note, {
    name,
    keyHash: keyHashOf(name, pub),
    sign: () => fromBase64(cos.signature) as Uint8Array,
  });
  return {
    format: 'deconflict.receipt/1',
    origin: ORIGIN,
    entry: entryView(l.acked, withPayload),
    signed: withPayload ? l.ack : null,
    signer: withPayload
      ? {
          username: 'alpha.watch',
          party: 'alpha',
          public_key: l.member.publicKey,
          key: l.member.id,
          entry: entryView(l.added, true),
          proof: l.tree.inclusionProof(l.added.seq - 1, size).map(toBase64),
        }
      : null,
    proof: l.tree.inclusionProof(l.acked.seq - 1, size).map(toBase64),
    checkpoint: { origin: ORIGIN, size, root: cp.root, at: new Date(T).toISOString(), note, cosigned_by: [] },
    published: true,
    hub_keys: [{ verifier_key: l.hub.verifierKey, from_seq: 1, until_seq: null }],
    witness_keys: [{ verifier_key: verifierKeyOf(name, pub), party: 'alpha', username: 'alpha.watch' }],
  };
}

const codes = (r: { findings: readonly Finding[] }) => r.findings.map((f) => f.code);

describe('verifyReceipt', () => {
  it('holds for a receipt with payload, statement, signer and cosignature', () => {
    const l = buildLedger();
    const r = verifyReceipt(buildReceipt(l));
    assert.deepEqual(r.findings, []);
    assert.equal(r.ok, true);
    assert.equal(r.seq, 5);
    assert.equal(r.size, 6);
    assert.equal(r.published, true);
    assert.deepEqual(r.cosigned_by, [l.member.id]);
    assert.deepEqual(r.signed_by, { key: l.member.id, username: 'alpha.watch', entry: 4 });
    assert.equal(r.payload, 'verified');
    // Pinned to the hub key the verifier holds: the same; another is refused.
    assert.equal(verifyReceipt(buildReceipt(l), { hubKey: l.hub.verifierKey }).ok, true);
    const other = newEd25519Key(ORIGIN);
    assert.deepEqual(codes(verifyReceipt(buildReceipt(l), { hubKey: other.verifierKey })), [
      'hub_key',
      'checkpoint_signature',
    ]);
  });

  it('holds without the payload (only its hash is proved), and says so', () => {
    const l = buildLedger();
    const r = verifyReceipt(buildReceipt(l, false));
    assert.deepEqual(r.findings, []);
    assert.equal(r.payload, 'omitted');
    assert.equal(r.signed_by, null);
    assert.ok(r.notes.some((n) => /only its hash is proved/.test(n)));
  });

  it('names each part changed', () => {
    const l = buildLedger();
    const cases: [string, (x: ReturnType<typeof buildReceipt>) => void, string][] = [
      ['payload', (x) => Object.assign(x.entry, { payload: { reply: 'never seen' } }), 'payload_hash'],
      ['header', (x) => Object.assign(x.entry, { actor: 'alpha.admin' }), 'inclusion'],
      ['proof', (x) => x.proof.reverse(), 'inclusion'],
      ['root', (x) => Object.assign(x.checkpoint, { root: toBase64(new Uint8Array(32)) }), 'receipt'],
      [
        'hub key',
        (x) => Object.assign(x.hub_keys[0] as object, { verifier_key: newEd25519Key(ORIGIN).verifierKey }),
        'checkpoint_signature',
      ],
      [
        'statement',
        (x) => Object.assign(x, { signed: { ...l.ack, statement: { ...l.ack.statement, reply: 'no' } } }),
        'signature',
      ],
      [
        'signer key',
        (x) => Object.assign(x.signer as object, { public_key: newMemberKey().publicKey }),
        'signature',
      ],
      ['signer entry', (x) => Object.assign((x.signer as { entry: object }).entry, { seq: 6 }), 'signer'],
      ['published', (x) => Object.assign(x, { witness_keys: [] }), 'cosignature'],
    ];
    for (const [what, change, code] of cases) {
      const x = buildReceipt(l);
      change(x);
      const r = verifyReceipt(x);
      assert.equal(r.ok, false, what);
      assert.ok(codes(r).includes(code as Finding['code']), `${what}: ${JSON.stringify(r.findings)}`);
    }
    assert.deepEqual(codes(verifyReceipt({ format: 'other' })), ['receipt']);
  });
});
