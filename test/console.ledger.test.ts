/**
 * The console's record, its pure parts (web/src/ledger): the member's key sealed under a
 * passphrase (vault.ts), the statements it signs (statements.ts), and the witness's judgement of
 * the hub's checkpoints and its cosignature (checkpoints.ts). The browser runs this very code;
 * here it runs under Node, whose WebCrypto is the same API.
 *
 * Run: node --import tsx --test test/console.ledger.test.ts
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ed25519 } from '@noble/curves/ed25519.js';
import type { LogView } from '../src/api/ledger.ts';
import { leafHash, MerkleLog } from '../src/ledger/merkle.ts';
import {
  formatCheckpoint,
  fromBase64,
  newEd25519Key,
  type Signer,
  signerFromPrivateKey,
  signNote,
  toBase64,
  verifierFromKey,
  verifierKeyOf,
} from '../src/ledger/note.ts';
import { keyId, newMemberKey, verifyStatement, witnessKeyName } from '../src/ledger/statement.ts';
import { cosignature, hubKeyAt, judge, type Seen } from '../web/src/ledger/checkpoints.ts';
import { registration, replyOf, signAct } from '../web/src/ledger/statements.ts';
import {
  MIN_ITERATIONS,
  openKey,
  parseSealedKey,
  type SealedKey,
  sealKey,
  VaultError,
} from '../web/src/ledger/vault.ts';
import { mergeMessage, type ReceiptLike } from '../web/src/merge.ts';

const OWNER = { username: 'coalition.watch', party: 'coalition', label: 'watch desk console' };
const PASS = 'correct horse battery staple';
const ORIGIN = 'deconflict/0123456789abcdef';
const utf8 = new TextEncoder();

describe('the sealed member key (vault.ts)', () => {
  it('opens with its passphrase to the very key sealed, and keeps nothing of it in clear', async () => {
    const key = newMemberKey();
    const sealed = await sealKey(key.privateKey, PASS, OWNER);
    assert.equal(sealed.id, key.id);
    assert.equal(sealed.public_key, key.publicKey);
    assert.equal(sealed.kdf.iterations, MIN_ITERATIONS);
    assert.equal(fromBase64(sealed.kdf.salt)?.length, 16);
    assert.equal(fromBase64(sealed.cipher.iv)?.length, 12);
    assert.ok(!JSON.stringify(sealed).includes(key.privateKey), 'the seed appears in the file');
    // Stored and read back as JSON, as localStorage and an exported file do.
    const seed = await openKey(parseSealedKey(JSON.parse(JSON.stringify(sealed))), PASS);
    assert.equal(toBase64(seed), key.privateKey);
  });

  it('gives every sealing its own salt and IV', async () => {
    const key = newMemberKey();
    const [a, b] = await Promise.all([
      sealKey(key.privateKey, PASS, OWNER),
      sealKey(key.privateKey, PASS, OWNER),
    ]);
    assert.notEqual(a.kdf.salt, b.kdf.salt);
    assert.notEqual(a.cipher.iv, b.cipher.iv);
    assert.notEqual(a.ciphertext, b.ciphertext);
  });

  it('refuses a wrong passphrase, and a file whose owner or key was edited', async () => {
    const key = newMemberKey();
    const sealed = await sealKey(key.privateKey, PASS, OWNER);
    const refused = (p: Promise<unknown>, code: VaultError['code']) =>
      assert.rejects(p, (e: unknown) => e instanceof VaultError && e.code === code);
    await refused(openKey(sealed, `${PASS}!`), 'wrong_passphrase');
    // Another member named as owner: the ciphertext is bound to the clear fields.
    await refused(openKey({ ...sealed, username: 'coalition.admin' }, PASS), 'wrong_passphrase');
    // Another public key (with its own id, so the file is well formed): does not open either.
    const other = newMemberKey();
    await refused(
      openKey({ ...sealed, public_key: other.publicKey, id: other.id }, PASS),
      'wrong_passphrase',
    );
  });

  it('refuses a short passphrase, and files that are malformed or ask fewer iterations', async () => {
    const key = newMemberKey();
    await assert.rejects(
      sealKey(key.privateKey, 'short', OWNER),
      (e: unknown) => e instanceof VaultError && e.code === 'weak_passphrase',
    );
    const sealed = await sealKey(key.privateKey, PASS, OWNER);
    const bad = (k: unknown, why: RegExp) =>
      assert.throws(
        () => parseSealedKey(k),
        (e: unknown) => e instanceof VaultError && e.code === 'malformed_file' && why.test(e.message),
      );
    bad({ ...sealed, kdf: { ...sealed.kdf, iterations: MIN_ITERATIONS - 1 } }, /fewer than 600000/);
    bad({ ...sealed, id: newMemberKey().id }, /id is not/);
    bad({ ...sealed, format: 'other' }, /format/);
    bad({ ...sealed, label: '' }, /label/);
    bad({ ...sealed, cipher: { name: 'AES-CBC', iv: sealed.cipher.iv } }, /AES-GCM/);
    bad({ ...sealed, ciphertext: sealed.ciphertext.slice(8) }, /ciphertext/);
    bad(null, /object/);
    const { kdf: _, ...noKdf } = sealed;
    bad(noKdf as SealedKey, /PBKDF2/);
  });
});

describe('the statements the console signs (statements.ts)', () => {
  const key = newMemberKey();
  const seed = fromBase64(key.privateKey) as Uint8Array;
  const signer = { origin: ORIGIN, username: OWNER.username, party: OWNER.party, seed };
  const now = new Date('2026-12-06T21:00:00.000Z');

  it('an acknowledgement says the reply exactly as sent, null when none', () => {
    assert.deepEqual(replyOf('  Received, holding.  '), {
      body: { reply: 'Received, holding.' },
      says: { reply: 'Received, holding.' },
    });
    assert.deepEqual(replyOf('   '), { body: {}, says: { reply: null } });
    const s = signAct(signer, 'alert.acknowledge', 'alert-1', replyOf('').says, now);
    assert.deepEqual(s.statement, {
      v: 1,
      origin: ORIGIN,
      act: 'alert.acknowledge',
      subject: 'alert-1',
      by: OWNER.username,
      party: OWNER.party,
      at: '2026-12-06T21:00:00.000Z',
      reply: null,
    });
    assert.equal(s.key, key.id);
    assert.ok(verifyStatement(s, key.publicKey));
    // The signature covers the reply: another reply does not verify.
    assert.ok(
      !verifyStatement({ ...s, statement: { ...s.statement, reply: 'Not received' } }, key.publicKey),
    );
  });

  it('a read mark, an accepted risk and a registration say what their requests do', () => {
    const read = signAct(signer, 'message.read', 'chan-1', { up_to: 7 }, now);
    assert.equal(read.statement.up_to, 7);
    assert.ok(verifyStatement(read, key.publicKey));
    const risk = signAct(signer, 'risk.accept', 'conf-1', { reason: 'Convoy rerouted' }, now);
    assert.equal(risk.statement.reason, 'Convoy rerouted');
    assert.ok(verifyStatement(risk, key.publicKey));
    const reg = registration(signer, ed25519.getPublicKey(seed), key.id, now);
    assert.equal(reg.statement.act, 'key.register');
    assert.equal(reg.statement.subject, key.id);
    assert.equal(reg.statement.public_key, key.publicKey);
    assert.ok(verifyStatement(reg, key.publicKey));
  });
});

describe('a signed message receipt, merged with an older copy (merge.ts)', () => {
  it('keeps who signed and the entry, whichever copy arrives last', () => {
    const T = '2026-12-06T21:00:00.000Z';
    const before: ReceiptLike = {
      party: 'northern-forces',
      delivered_at: T,
      read_at: T,
      acked_at: null,
      reply: null,
      entry: null,
      signed_by: null,
    };
    const signed: ReceiptLike = {
      ...before,
      acked_at: T,
      reply: 'Received',
      entry: 91,
      signed_by: { username: 'northern-forces.watch', key: '0123456789abcdef', entry: 91 },
    };
    const msg = (r: ReceiptLike) => ({ id: 'm1', receipts: [r] });
    for (const [held, next] of [
      [signed, before],
      [before, signed],
    ] as const) {
      const r = mergeMessage(msg(held), msg(next)).receipts[0];
      assert.deepEqual(r?.signed_by, signed.signed_by);
      assert.equal(r?.entry, 91);
    }
  });
});

/** A log of `n` leaves (their content `tag`-i), as the hub keeps it. */
function logOf(n: number, tag = 'entry'): MerkleLog {
  return MerkleLog.fromLeaves(Array.from({ length: n }, (_, i) => leafHash(utf8.encode(`${tag}-${i + 1}`))));
}

type HubKey = LogView['hub_keys'][number];

/** The hub's log view of `log` at `size`, its checkpoint signed by `signer`. */
function viewOf(log: MerkleLog, size: number, signer: Signer, keys: HubKey[]): LogView {
  const root = log.root(size);
  const note = signNote(formatCheckpoint({ origin: ORIGIN, size, root }), signer);
  const latest = {
    origin: ORIGIN,
    size,
    root: toBase64(root),
    at: '2026-12-06T21:00:00.000Z',
    note,
    cosigned_by: [],
  };
  return { origin: ORIGIN, latest, published: null, hub_keys: keys };
}

describe('the witness’s judgement of checkpoints (checkpoints.ts)', () => {
  const hub = newEd25519Key(ORIGIN);
  const keys: HubKey[] = [{ verifier_key: hub.verifierKey, from_seq: 1, until_seq: null }];
  const log = logOf(40);
  /** A proof source that serves `log`'s proofs and records what was asked. */
  const proofs =
    (source: MerkleLog, asked: [number, number][] = []) =>
    async (from: number, to: number) => {
      asked.push([from, to]);
      return source.consistencyProof(from, to);
    };
  const keep = async (size: number): Promise<Seen> => {
    const v = await judge(viewOf(log, size, hub.signer, keys), null, proofs(log));
    assert.equal(v.ok, true);
    return (v as { checkpoint: Seen }).checkpoint;
  };

  it('trusts the first checkpoint seen once its hub signature verifies', async () => {
    const v = await judge(viewOf(log, 17, hub.signer, keys), null, proofs(log));
    assert.ok(v.ok === true && v.first && v.checkpoint.size === 17);
  });

  it('keeps a checkpoint that extends the kept one, by its consistency proof', async () => {
    const kept = await keep(17);
    const asked: [number, number][] = [];
    const v = await judge(viewOf(log, 40, hub.signer, keys), kept, proofs(log, asked));
    assert.ok(v.ok === true && v.grew && !v.first && v.checkpoint.size === 40, JSON.stringify(v));
    assert.deepEqual(asked, [[17, 40]]);
    const same = await judge(viewOf(log, 40, hub.signer, keys), v.checkpoint, proofs(log, asked));
    assert.ok(same.ok === true && !same.grew);
    assert.equal(asked.length, 1, 'no proof is asked for the same checkpoint');
  });

  it('catches another history: same size another root, a larger tree not extending, a smaller one', async () => {
    const kept = await keep(17);
    const forked = logOf(40, 'rewritten');
    const split = await judge(viewOf(forked, 17, hub.signer, keys), kept, proofs(forked));
    assert.ok(split.ok === false && split.failure === 'split_view', JSON.stringify(split));
    assert.equal(split.kept?.size, 17);
    assert.equal(split.shown.size, 17);
    const inconsistent = await judge(viewOf(forked, 30, hub.signer, keys), kept, proofs(forked));
    assert.ok(
      inconsistent.ok === false && inconsistent.failure === 'inconsistent',
      JSON.stringify(inconsistent),
    );
    assert.match(inconsistent.message, /30 entries does not extend the one of 17/);
    const back = await judge(viewOf(log, 12, hub.signer, keys), kept, proofs(log));
    assert.ok(back.ok === false && back.failure === 'rolled_back');
  });

  it('refuses a checkpoint not signed by the hub key current at its size, or whose fields disagree', async () => {
    const other = newEd25519Key(ORIGIN);
    const forged = await judge(viewOf(log, 17, other.signer, keys), null, proofs(log));
    assert.ok(forged.ok === false && forged.failure === 'bad_signature', JSON.stringify(forged));
    const view = viewOf(log, 17, hub.signer, keys);
    const lying = { ...view, latest: { ...view.latest, root: toBase64(log.root(16)) } };
    const fields = await judge(lying, null, proofs(log));
    assert.ok(fields.ok === false && fields.failure === 'bad_signature', JSON.stringify(fields));
  });

  it('takes the key current at each size across a rotation, and refuses a rewritten key history', async () => {
    const next = newEd25519Key(ORIGIN);
    const rotated: HubKey[] = [
      { verifier_key: hub.verifierKey, from_seq: 1, until_seq: 20 },
      { verifier_key: next.verifierKey, from_seq: 20, until_seq: null },
    ];
    assert.equal(hubKeyAt(rotated, 19)?.verifier_key, hub.verifierKey);
    assert.equal(hubKeyAt(rotated, 20)?.verifier_key, next.verifierKey);
    assert.equal(hubKeyAt(rotated, 0), null);
    const kept = await keep(17);
    const ok = await judge(viewOf(log, 30, next.signer, rotated), kept, proofs(log));
    assert.ok(ok.ok === true, JSON.stringify(ok));
    const old = await judge(viewOf(log, 30, hub.signer, rotated), kept, proofs(log));
    assert.ok(old.ok === false && old.failure === 'bad_signature');
    // The key that signed the kept history replaced from entry 1 on: not the same history.
    const rewritten: HubKey[] = [{ verifier_key: next.verifierKey, from_seq: 1, until_seq: null }];
    const swapped = await judge(viewOf(log, 30, next.signer, rewritten), kept, proofs(log));
    assert.ok(swapped.ok === false && swapped.failure === 'key_history', JSON.stringify(swapped));
  });

  it('says "not checked", not "different history", when the proof cannot be read or the log is empty', async () => {
    const kept = await keep(17);
    const v = await judge(viewOf(log, 40, hub.signer, keys), kept, async () => {
      throw new Error('hub unreachable');
    });
    assert.ok(v.ok === null && /hub unreachable/.test(v.message));
    // An empty log: nothing to check at first sight; a history emptied after one was kept is caught.
    const empty = await judge(viewOf(log, 0, hub.signer, keys), null, proofs(log));
    assert.equal(empty.ok, null);
    const emptied = await judge(viewOf(log, 0, hub.signer, keys), kept, proofs(log));
    assert.ok(emptied.ok === false && emptied.failure === 'rolled_back');
  });

  it('cosigns as a C2SP note signature by member-<key id> over the checkpoint text', () => {
    const member = newMemberKey();
    const seed = fromBase64(member.privateKey) as Uint8Array;
    const cp = { origin: ORIGIN, size: 40, root: toBase64(log.root(40)) };
    const body = cosignature(cp, seed);
    assert.deepEqual(
      { size: body.size, root: body.root, key: body.key },
      { size: 40, root: cp.root, key: member.id },
    );
    const text = formatCheckpoint({ origin: ORIGIN, size: 40, root: log.root(40) });
    const name = witnessKeyName(member.id);
    const pub = ed25519.getPublicKey(seed);
    assert.equal(keyId(pub), member.id);
    const verifier = verifierFromKey(verifierKeyOf(name, pub));
    assert.ok(verifier.verify(utf8.encode(text), fromBase64(body.signature) as Uint8Array));
    // The same bytes as the signature in the note line the same key would write (after the key hash).
    const line = signNote(text, signerFromPrivateKey(name, seed)).split('\n').at(-2) as string;
    const raw = fromBase64(line.slice(line.lastIndexOf(' ') + 1)) as Uint8Array;
    assert.equal(toBase64(raw.slice(4)), body.signature);
    // Another checkpoint's text does not verify with it.
    assert.ok(
      !verifier.verify(
        utf8.encode(formatCheckpoint({ origin: ORIGIN, size: 39, root: log.root(39) })),
        fromBase64(body.signature) as Uint8Array,
      ),
    );
  });
});
