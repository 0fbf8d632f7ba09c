/**
 * The transparency log in the hub (docs/transparency.md), through the API:
 * - checkpoints signed by the hub's key (a `log.key` entry, the first of a new hub), verified with
 *   the C2SP note code; consistency between two checkpoints; rotation;
 * - members' keys: registration proves possession, a key registered twice or a forged proof is
 *   refused; revocation;
 * - signed statements: an acknowledgement whose statement says anything but the request — another
 *   reply, another alert, another hub, too old — or is signed by a revoked key, is refused and
 *   changes nothing;
 * - the notification scenario: a relief agency notifies a hospital to two forces; one acknowledges
 *   with a signature, the other never does and its alert escalates; the agency's receipts of both
 *   verify with nothing but the receipt (the minimal checks below share no code with the hub's
 *   tree); a third party gets the same 404 as for no entry; a later strike by the force that
 *   acknowledged carries the proof that it had;
 * - witnesses: a cosignature by a member's key publishes a checkpoint; a root other than the one
 *   signed at that size is refused as a split view.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { NotificationsView } from '../src/api/declarations.ts';
import type { LogView, MemberKeyView, ReceiptView } from '../src/api/ledger.ts';
import type { AlertView, MessageView } from '../src/api/watch.ts';
import { canonicalJson } from '../src/ledger/canonical.ts';
import { entryBytes } from '../src/ledger/chain.ts';
import { entryLeaf } from '../src/ledger/leaf.ts';
import { verifyConsistency } from '../src/ledger/merkle.ts';
import {
  formatCheckpoint,
  fromBase64,
  openNote,
  signerFromPrivateKey,
  signNote,
  toBase64,
  verifierFromKey,
} from '../src/ledger/note.ts';
import {
  type Act,
  newMemberKey,
  type Signed,
  type Statement,
  verifyStatement,
  witnessKeyName,
} from '../src/ledger/statement.ts';
import { assertError, ok, sessions, startHub, T0, type TestHub } from './support/hub.ts';
import { type MemberKey, registerKey, signWith, statementBy } from './support/keys.ts';
import { HOUR, iso, MIN } from './support/time.ts';

let t: TestHub;
const s = sessions(() => t, { renewAfter_ms: 6 * HOUR });
before(async () => {
  t = await startHub();
});
after(() => t.close());

// --- A minimal verifier, written from RFC 9162 §2.1 and docs/transparency.md, sharing no code with
// src/ledger/merkle.ts or src/ledger/leaf.ts: what an inquiry would write for itself. -----------------

const sha = (...parts: (Uint8Array | string)[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

function leafOf(e: ReceiptView['entry']): Uint8Array {
  const header = canonicalJson({
    seq: e.seq,
    at: e.at,
    actor: e.actor,
    party: e.party,
    type: e.type,
    subject: e.subject,
    payload_sha256: e.payload_sha256,
  });
  return sha(Uint8Array.of(0), header);
}

/** RFC 9162 §2.1.3.2, verbatim. */
function rootFromInclusion(
  leaf: Uint8Array,
  index: number,
  size: number,
  proof: Uint8Array[],
): Uint8Array | null {
  if (index >= size) return null;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = sha(Uint8Array.of(1), p, r);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) [fn, sn] = [fn / 2, Math.floor(sn / 2)];
    } else r = sha(Uint8Array.of(1), r, p);
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

const same = (a: Uint8Array | null, b: Uint8Array) => a !== null && Buffer.from(a).equals(Buffer.from(b));

/** Everything `deconflict verify --receipt` checks, from the receipt alone. */
function checkReceipt(r: ReceiptView): void {
  const e = r.entry;
  if (e.payload !== undefined) {
    const recomputed = sha(`${e.salt}\n${canonicalJson(e.payload)}`);
    assert.equal(
      Buffer.from(recomputed).toString('hex'),
      e.payload_sha256,
      'the payload is the one committed',
    );
  }
  const root = fromBase64(r.checkpoint.root) as Uint8Array;
  const proof = r.proof.map((p) => fromBase64(p) as Uint8Array);
  assert.ok(same(rootFromInclusion(leafOf(e), e.seq - 1, r.checkpoint.size, proof), root), 'inclusion');
  const hubKey = r.hub_keys.filter((k) => k.from_seq <= r.checkpoint.size).at(-1)?.verifier_key as string;
  const opened = openNote(r.checkpoint.note, [
    verifierFromKey(hubKey),
    ...r.witness_keys.map((w) => verifierFromKey(w.verifier_key)),
  ]);
  assert.equal(opened.text, formatCheckpoint({ origin: r.origin, size: r.checkpoint.size, root }));
  assert.ok(
    opened.sigs.some((x) => x.name === r.origin && x.verified),
    'the hub signed the checkpoint',
  );
  if (r.signed) {
    const signer = r.signer as NonNullable<ReceiptView['signer']>;
    assert.ok(verifyStatement(r.signed, signer.public_key), 'the statement is signed by the key');
    assert.ok(signer.entry.seq < e.seq, 'the key was registered before it signed');
    assert.equal((signer.entry.payload as { public_key: string }).public_key, signer.public_key);
    const keyProof = signer.proof.map((p) => fromBase64(p) as Uint8Array);
    assert.ok(
      same(rootFromInclusion(leafOf(signer.entry), signer.entry.seq - 1, r.checkpoint.size, keyProof), root),
    );
  }
}

// --- Helpers ------------------------------------------------------------------------------------------

type Key = MemberKey;

let origin = '';
async function logView(user = 'coalition.watch'): Promise<LogView> {
  const v = ok<LogView>(await s.req(user, 'GET', '/api/v1/ledger/checkpoint'));
  origin = v.origin;
  return v;
}

const statement = (user: string, act: Act, subject: string, extra: Partial<Statement> = {}): Statement =>
  statementBy(origin, user, t.clock.now(), act, subject, extra);
const sign = signWith;
const register = (user: string, label = 'console'): Promise<Key> =>
  registerKey(s.req, origin, user, t.clock.now(), label);

const receipt = async (user: string, seq: number, query = '') =>
  s.req(user, 'GET', `/api/v1/receipts/${seq}${query}`);

// --- Tests ------------------------------------------------------------------------------------------

describe('checkpoints', () => {
  it('a new hub: entry 1 is its key; the checkpoint covers the whole ledger and verifies with that key', async () => {
    const v = await logView();
    assert.match(v.origin, /^deconflict\/[0-9a-f]{16}$/);
    assert.equal(v.hub_keys.length, 1);
    assert.equal(v.hub_keys[0]?.from_seq, 1);
    const head = await t.store.read((tx) => tx.ledger.head());
    assert.equal(v.latest.size, head?.seq);
    const first = await t.store.read((tx) => tx.ledger.get(1));
    assert.equal(first?.type, 'log.key');
    assert.equal(
      (first?.payload as { verifier_key: string } | undefined)?.verifier_key,
      v.hub_keys[0]?.verifier_key,
    );
    const opened = openNote(v.latest.note, [verifierFromKey(v.hub_keys[0]?.verifier_key as string)]);
    assert.equal(
      opened.text,
      formatCheckpoint({
        origin: v.origin,
        size: v.latest.size,
        root: fromBase64(v.latest.root) as Uint8Array,
      }),
    );
    // Another key of the same name does not verify it.
    const stranger = signerFromPrivateKey(v.origin, new Uint8Array(32).fill(7));
    const forged = signNote(opened.text, stranger);
    assert.throws(() => openNote(forged, [verifierFromKey(v.hub_keys[0]?.verifier_key as string)]));
  });

  it('a later checkpoint is consistent with an earlier one (RFC 9162 proof), and proofs past the log are refused', async () => {
    const before = (await logView()).latest;
    await register('city-police.watch', 'grows the log');
    const later = (await logView()).latest;
    assert.ok(later.size > before.size);
    const { proof } = ok<{ proof: string[] }>(
      await s.req(
        'city-police.watch',
        'GET',
        `/api/v1/ledger/consistency?from=${before.size}&to=${later.size}`,
      ),
    );
    assert.ok(
      verifyConsistency(
        before.size,
        later.size,
        fromBase64(before.root) as Uint8Array,
        fromBase64(later.root) as Uint8Array,
        proof.map((p) => fromBase64(p) as Uint8Array),
      ),
    );
    assertError(
      await s.req('city-police.watch', 'GET', `/api/v1/ledger/consistency?from=1&to=${later.size + 1000}`),
      404,
      'not_found',
      'to',
    );
    assertError(
      await s.req('city-police.watch', 'GET', '/api/v1/ledger/inclusion?seq=0&size=1'),
      400,
      'invalid_request',
    );
  });
});

describe('members’ keys', () => {
  it('registering proves possession; the same key twice, a forged proof or another member’s name are refused', async () => {
    await logView();
    const key = await register('coalition.senior');
    const again = sign(
      statement('coalition.senior', 'key.register', key.id, { public_key: key.publicKey }),
      key,
    );
    assertError(
      await s.req('coalition.senior', 'POST', '/api/v1/keys', { label: 'x', signed: again }),
      409,
      'key_exists',
    );

    // Someone else's public key, "proved" with a signature by a key the caller holds.
    const victim = newMemberKey();
    const mine = newMemberKey();
    const st = statement('coalition.senior', 'key.register', victim.id, { public_key: victim.publicKey });
    const forged = { ...sign(st, mine), key: victim.id };
    assertError(
      await s.req('coalition.senior', 'POST', '/api/v1/keys', { label: 'x', signed: forged }),
      422,
      'bad_signature',
    );
    // A statement by another member.
    const other = newMemberKey();
    const byOther = sign(
      statement('coalition.watch', 'key.register', other.id, { public_key: other.publicKey }),
      other,
    );
    assertError(
      await s.req('coalition.senior', 'POST', '/api/v1/keys', { label: 'x', signed: byOther }),
      422,
      'bad_signature',
    );

    const { keys } = ok<{ keys: MemberKeyView[] }>(await s.req('coalition.senior', 'GET', '/api/v1/keys'));
    assert.deepEqual(
      keys.map((k) => k.id),
      [key.id],
    );
    const entry = await t.store.read((tx) => tx.ledger.get(keys[0]?.entry as number));
    assert.equal(entry?.type, 'key.added');
    assert.equal((entry?.payload as { public_key: string } | undefined)?.public_key, key.publicKey);
    // Another party's member sees none of them.
    const theirs = ok<{ keys: MemberKeyView[] }>(await s.req('northern-forces.admin', 'GET', '/api/v1/keys'));
    assert.equal(
      theirs.keys.some((k) => k.id === key.id),
      false,
    );
  });
});

describe('a relief agency notifies a hospital to two forces', () => {
  let hospital = '';
  let coalitionKey: Key;
  let ackEntry = 0;

  it('one force acknowledges with a signature; a statement saying anything else is refused and changes nothing', async () => {
    await logView();
    coalitionKey = await register('coalition.watch');
    const site = {
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [22.31, 46.71] },
      properties: {
        id: 'ledger-hospital',
        kind: 'protected_site',
        category: 'medical',
        label: 'Field hospital',
        start: iso(T0),
        end: iso(T0 + 30 * 24 * HOUR),
        notify: ['coalition', 'northern-forces'],
      },
    };
    const created = ok<{ declarations: { id: string }[] }>(
      await s.req('relief-agency.operator', 'POST', '/api/v1/declarations', site),
      201,
    );
    hospital = created.declarations[0]?.id as string;
    const { alerts } = ok<{ alerts: AlertView[] }>(await s.req('coalition.watch', 'GET', '/api/v1/alerts'));
    const notice = alerts.find((a) => a.subject === hospital) as AlertView;
    assert.ok(notice, 'the coalition is notified');
    const reply = 'Hospital entered on our no-strike list';
    const url = `/api/v1/alerts/${notice.id}/ack`;
    const good = statement('coalition.watch', 'alert.acknowledge', notice.id, { reply });

    const wrongs: [string, Signed][] = [
      ['another reply', sign({ ...good, reply: 'noted' }, coalitionKey)],
      ['another alert', sign({ ...good, subject: 'alert-other' }, coalitionKey)],
      ['another hub', sign({ ...good, origin: 'deconflict/0000000000000000' }, coalitionKey)],
      ['signed an hour ago', sign({ ...good, at: iso(t.clock.now() - HOUR) }, coalitionKey)],
      ['another act', sign({ ...good, act: 'message.acknowledge' }, coalitionKey)],
      ['a key that is not registered', sign(good, newMemberKey())],
      ['a bit flipped', { ...sign(good, coalitionKey), signature: toBase64(new Uint8Array(64)) }],
    ];
    for (const [why, signed] of wrongs) {
      const r = await s.req('coalition.watch', 'POST', url, { reply, signed });
      assertError(r, 422, 'bad_signature', 'signed');
      assert.equal(
        ok<AlertView>(await s.req('coalition.watch', 'GET', `/api/v1/alerts/${notice.id}`)).status,
        'open',
        why,
      );
    }

    const acked = ok<AlertView>(
      await s.req('coalition.watch', 'POST', url, { reply, signed: sign(good, coalitionKey) }),
    );
    assert.equal(acked.status, 'acknowledged');
    assert.deepEqual(acked.ack?.signed_by, {
      username: 'coalition.watch',
      key: coalitionKey.id,
      entry: acked.ack?.entry,
    });
    ackEntry = acked.ack?.entry as number;
  });

  it('the other never acknowledges: its alert escalates and the agency is alerted', async () => {
    t.clock.set(T0 + 2 * HOUR);
    await t.hub.runDue();
    const view = ok<NotificationsView>(
      await s.req('relief-agency.operator', 'GET', `/api/v1/declarations/${hospital}/notifications`),
    );
    const byParty = new Map(view.notifications.map((n) => [n.party, n]));
    assert.equal(byParty.get('coalition')?.status, 'acknowledged');
    assert.deepEqual(byParty.get('coalition')?.signed_by, {
      username: 'coalition.watch',
      key: coalitionKey.id,
      entry: ackEntry,
    });
    assert.equal(byParty.get('northern-forces')?.status, 'overdue');
    assert.equal(byParty.get('northern-forces')?.signed_by, null);
  });

  it('each has a receipt the agency verifies offline; a third party gets the 404 of no entry', async () => {
    // The signed acknowledgement: the agency is its audience.
    const signed = ok<ReceiptView>(await receipt('relief-agency.watch', ackEntry));
    checkReceipt(signed);
    assert.equal(signed.entry.type, 'alert.acknowledged');
    assert.equal(signed.signed?.statement.reply, 'Hospital entered on our no-strike list');
    assert.equal(signed.signer?.username, 'coalition.watch');
    assert.equal(signed.published, false, 'no witness cosigned yet');

    // The silence: the agency's own alert that northern-forces let the deadline pass.
    const own = await t.store.read((tx) => tx.ledger.range(1, 10_000));
    const late = own.find(
      (e) =>
        e.type === 'alert.raised' &&
        e.party === 'relief-agency' &&
        (e.payload as { unacknowledged_by?: string }).unacknowledged_by === 'northern-forces',
    );
    assert.ok(late, 'the ledger records that northern-forces did not acknowledge in time');
    const silence = ok<ReceiptView>(await receipt('relief-agency.watch', late.seq));
    checkReceipt(silence);
    assert.equal((silence.entry.payload as { subject: string }).subject, hospital);

    // Handed on without the payload: still proves the entry, shows nothing of it.
    const bare = ok<ReceiptView>(await receipt('relief-agency.watch', ackEntry, '?payload=omit'));
    assert.equal(bare.entry.payload, undefined);
    assert.equal(bare.signed, null);
    checkReceipt(bare);

    // Tampering with the receipt is caught.
    const tampered = structuredClone(signed);
    (tampered.entry.payload as { reply: string }).reply = 'We were never told';
    assert.throws(() => checkReceipt(tampered), /committed/);
    const moved = structuredClone(signed);
    moved.entry.at += 60_000;
    assert.throws(() => checkReceipt(moved), /inclusion/);

    const notFound = await receipt('city-police.watch', ackEntry);
    assertError(notFound, 404, 'not_found');
    const nothing = await receipt('city-police.watch', 1_000_000);
    assert.equal(
      notFound.json().errors[0].message.replace(/\d+/g, 'N'),
      nothing.json().errors[0].message.replace(/\d+/g, 'N'),
    );
  });

  it('a later strike beside the hospital carries the proof that its party had acknowledged', async () => {
    const strike = {
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [22.3105, 46.7102] },
      properties: {
        id: 'ledger-strike',
        kind: 'strike',
        start: iso(T0 + 5 * HOUR),
        end: iso(T0 + 6 * HOUR),
        buffer_m: 100,
      },
    };
    const { conflicts } = ok<{ conflicts: { id: string }[] }>(
      await s.req('coalition.operator', 'POST', '/api/v1/declarations', strike),
      201,
    );
    assert.equal(conflicts.length, 1);
    // The agency's own entry, found among those it may see: who acknowledged its notice, when,
    // and the entry and key that prove it — and nothing of the strike but the conflict's id.
    const { entries } = ok<{ entries: ReceiptView['entry'][] }>(
      await s.req('relief-agency.watch', 'GET', '/api/v1/ledger/entries?limit=1000'),
    );
    const notice = entries.find(
      (e) => e.type === 'conflict.notice_acknowledged' && e.subject === conflicts[0]?.id,
    );
    assert.ok(notice, 'the conflict records that its party had acknowledged the notification');
    assert.equal(notice.party, 'relief-agency');
    assert.equal(notice.actor, null, 'recorded by the hub');
    assert.deepEqual(notice.payload, {
      rule: 'strike_protected',
      severity: 'critical',
      declaration: hospital,
      acknowledged_by: 'coalition',
      acknowledged_at: T0,
      entry: ackEntry,
      key: coalitionKey.id,
    });
    assert.equal(JSON.stringify(notice.payload).includes('ledger-strike'), false);
    // The striking party's own record of the conflict is not the agency's to read.
    const detected = (await t.store.read((tx) => tx.ledger.range(1, 10_000))).find(
      (e) => e.type === 'conflict.detected' && e.subject === conflicts[0]?.id,
    );
    assertError(await receipt('relief-agency.watch', detected?.seq as number), 404, 'not_found');
    const r = ok<ReceiptView>(await receipt('relief-agency.watch', notice.seq));
    checkReceipt(r);
  });
});

describe('witnesses', () => {
  it('a member’s cosignature publishes a checkpoint; receipts then use it; a split view is refused', async () => {
    const key = await register('northern-forces.watch', 'witness');
    const v = await logView('northern-forces.watch');
    const text = formatCheckpoint({
      origin: v.origin,
      size: v.latest.size,
      root: fromBase64(v.latest.root) as Uint8Array,
    });
    const witness = signerFromPrivateKey(witnessKeyName(key.id), fromBase64(key.privateKey) as Uint8Array);
    const line = signNote(text, witness).split('\n').at(-2) as string;
    const signature = toBase64((fromBase64(line.split(' ')[2] as string) as Uint8Array).slice(4));
    const body = { size: v.latest.size, root: v.latest.root, key: key.id, signature };

    // Another root at that size: the witness was shown another history.
    const otherRoot = toBase64(new Uint8Array(32).fill(9));
    assertError(
      await s.req('northern-forces.watch', 'POST', '/api/v1/ledger/cosignatures', {
        ...body,
        root: otherRoot,
      }),
      409,
      'checkpoint_mismatch',
    );
    assertError(
      await s.req('northern-forces.watch', 'POST', '/api/v1/ledger/cosignatures', {
        ...body,
        size: v.latest.size + 500,
      }),
      409,
      'checkpoint_unknown',
    );
    assertError(
      await s.req('northern-forces.watch', 'POST', '/api/v1/ledger/cosignatures', {
        ...body,
        signature: toBase64(new Uint8Array(64).fill(1)),
      }),
      422,
      'bad_signature',
    );
    // Someone else's key.
    assertError(
      await s.req('coalition.watch', 'POST', '/api/v1/ledger/cosignatures', body),
      422,
      'bad_signature',
    );

    const cosigned = ok<{ cosigned_by: { party: string }[] }>(
      await s.req('northern-forces.watch', 'POST', '/api/v1/ledger/cosignatures', body),
    );
    assert.deepEqual(
      cosigned.cosigned_by.map((c) => c.party),
      ['northern-forces'],
    );
    const after = await logView('relief-agency.watch');
    assert.equal(after.published?.size, v.latest.size);
    // The agency's own first entry, from the entries it may see (none of another party's).
    const page = ok<{ entries: ReceiptView['entry'][]; size: number }>(
      await s.req('relief-agency.watch', 'GET', '/api/v1/ledger/entries?limit=1000'),
    );
    assert.ok(page.entries.length > 0);
    for (const e of page.entries)
      assert.ok(
        e.party === 'relief-agency' ||
          (e.payload as { audience?: string[] }).audience?.includes('relief-agency'),
        `entry ${e.seq} of ${e.party} is not the agency's to see`,
      );
    const r = ok<ReceiptView>(await receipt('relief-agency.watch', page.entries[0]?.seq as number));
    assert.equal(r.published, true);
    assert.equal(r.checkpoint.size, v.latest.size);
    assert.equal(r.witness_keys[0]?.party, 'northern-forces');
    checkReceipt(r);
    const opened = openNote(
      r.checkpoint.note,
      r.witness_keys.map((w) => verifierFromKey(w.verifier_key)),
    );
    assert.ok(opened.sigs.some((x) => x.name === witnessKeyName(key.id) && x.verified));
  });
});

describe('rotating the hub’s key', () => {
  it('a log.key entry naming the previous key; checkpoints from there on are signed with the new one', async () => {
    const before = await logView();
    assertError(await s.req('coalition.admin', 'POST', '/api/v1/ledger/keys/rotate', {}), 403, 'forbidden');
    t.clock.set(t.clock.now() + MIN);
    const after = ok<LogView>(await s.req('hub.admin', 'POST', '/api/v1/ledger/keys/rotate', {}));
    assert.equal(after.hub_keys.length, 2);
    const [oldKey, newKey] = after.hub_keys;
    assert.equal(oldKey?.until_seq, newKey?.from_seq);
    const entry = await t.store.read((tx) => tx.ledger.get(newKey?.from_seq as number));
    assert.equal(entry?.type, 'log.key');
    assert.equal((entry?.payload as { previous: string } | undefined)?.previous, oldKey?.verifier_key);
    openNote(after.latest.note, [verifierFromKey(newKey?.verifier_key as string)]);
    assert.throws(() => openNote(after.latest.note, [verifierFromKey(oldKey?.verifier_key as string)]));
    // The checkpoint signed before still verifies with the key of its time.
    openNote(before.latest.note, [verifierFromKey(oldKey?.verifier_key as string)]);
  });
});

describe('the bytes hashed', () => {
  it('entryBytes, written member by member, is exactly the canonical JSON of the entry', async () => {
    const entries = await t.store.read((tx) => tx.ledger.range(1, 10_000));
    const odd = {
      ...(entries[0] as NonNullable<(typeof entries)[number]>),
      actor: 'ü\u20ac\ud83d\ude00',
      party: null,
      payload: { z: [1.5, 'x', null], a: { '\ufb33': 2, '\u20ac': 1e21 } },
    };
    for (const e of [...entries, odd]) {
      const { seq, at, actor, party, type, subject, payload } = e;
      const canonical = canonicalJson({ seq, at, actor, party, type, subject, payload });
      assert.equal(entryBytes(e).toString('utf8'), canonical, `entry ${seq}`);
      assert.equal(entryBytes(e, canonicalJson(payload)).toString('utf8'), canonical);
    }
  });

  it('the leaf the store wrote with each entry is the one src/ledger/leaf.ts defines', async () => {
    const entries = await t.store.read((tx) => tx.ledger.range(1, 10_000));
    assert.ok(entries.length > 20);
    for (const e of entries)
      assert.equal(e.leaf, Buffer.from(entryLeaf(e)).toString('hex'), `entry ${e.seq}`);
  });
});

describe('the hotline and risk: signed acknowledgements, readings and acceptances', () => {
  it('a signed flash acknowledgement names its signer in the sender’s receipts; signed readings and risk acceptances are recorded', async () => {
    await logView();
    const watchKey = await register('city-police.senior', 'hotline');
    const c = ok<{ id: string }>(
      await s.req('relief-agency.admin', 'POST', '/api/v1/channels', {
        name: 'ledger ops',
        parties: ['city-police'],
      }),
      201,
    );
    ok(await s.req('city-police.admin', 'POST', `/api/v1/channels/${c.id}/accept`));
    const m = ok<MessageView>(
      await s.req('relief-agency.watch', 'POST', `/api/v1/channels/${c.id}/messages`, {
        text: 'Convoy at the bridge in 20 minutes: confirm your checkpoint holds fire',
        precedence: 'flash',
      }),
      201,
    );
    const reply = 'Checkpoint informed, holding fire';
    const st = statement('city-police.senior', 'message.acknowledge', m.id, { reply });
    // The statement must be for this message: an alert's statement is not a message's.
    assertError(
      await s.req('city-police.senior', 'POST', `/api/v1/messages/${m.id}/ack`, {
        reply,
        signed: sign({ ...st, act: 'alert.acknowledge' }, watchKey),
      }),
      422,
      'bad_signature',
    );
    const acked = ok<MessageView>(
      await s.req('city-police.senior', 'POST', `/api/v1/messages/${m.id}/ack`, {
        reply,
        signed: sign(st, watchKey),
      }),
    );
    const r = acked.receipts.find((x) => x.party === 'city-police');
    assert.deepEqual(r?.signed_by, { username: 'city-police.senior', key: watchKey.id, entry: r?.entry });
    // The sender sees the same, and its receipt of the entry verifies with the statement in it.
    const [sent] = ok<{ messages: MessageView[] }>(
      await s.req('relief-agency.watch', 'GET', `/api/v1/channels/${c.id}/messages`),
    ).messages;
    assert.deepEqual(sent?.receipts.find((x) => x.party === 'city-police')?.signed_by, r?.signed_by);
    const proof = ok<ReceiptView>(await receipt('relief-agency.watch', r?.entry as number));
    checkReceipt(proof);
    assert.equal(proof.signed?.statement.reply, reply);

    // Reading, signed: the entry is recorded even though the acknowledgement already marked it read.
    const read = statement('city-police.senior', 'message.read', c.id, { up_to: m.seq });
    ok(
      await s.req('city-police.senior', 'POST', `/api/v1/channels/${c.id}/read`, {
        seq: m.seq,
        signed: sign(read, watchKey),
      }),
    );
    const entries = await t.store.read((tx) => tx.ledger.range(1, 100_000));
    const readEntry = entries.filter((e) => e.type === 'message.read' && e.subject === c.id).at(-1);
    assert.equal((readEntry?.payload as { signed?: Signed } | undefined)?.signed?.key, watchKey.id);

    // A risk accepted with a signature: the reason is what was signed.
    const { conflicts } = ok<{ conflicts: { id: string; a: { party: string }; b: { party: string } }[] }>(
      await s.req('city-police.senior', 'GET', '/api/v1/conflicts?status=open'),
    );
    const conflict = conflicts[0];
    assert.ok(conflict, 'the demo leaves open conflicts of the police');
    const reason = 'Patrol route agreed with the other side by phone';
    const risk = statement('city-police.senior', 'risk.accept', conflict.id, { reason });
    const url = `/api/v1/conflicts/${conflict.id}/resolve`;
    assertError(
      await s.req('city-police.senior', 'POST', url, {
        resolution: 'risk_accepted',
        reason: 'something else',
        signed: sign(risk, watchKey),
      }),
      422,
      'bad_signature',
    );
    ok(
      await s.req('city-police.senior', 'POST', url, {
        resolution: 'risk_accepted',
        reason,
        signed: sign(risk, watchKey),
      }),
    );
    const accepted = (await t.store.read((tx) => tx.ledger.range(1, 100_000))).filter(
      (e) => e.type === 'conflict.risk_accepted' && e.subject === conflict.id,
    );
    assert.equal(accepted.length, 1);
    assert.equal((accepted[0]?.payload as { signed?: Signed } | undefined)?.signed?.statement.reason, reason);

    // A revoked key signs nothing more.
    ok(await s.req('city-police.senior', 'POST', `/api/v1/keys/${watchKey.id}/revoke`, {}));
    const again = statement('city-police.senior', 'message.read', c.id, { up_to: m.seq });
    assertError(
      await s.req('city-police.senior', 'POST', `/api/v1/channels/${c.id}/read`, {
        seq: m.seq,
        signed: sign(again, watchKey),
      }),
      422,
      'bad_signature',
    );
  });
});

describe('unsigned requests still work', () => {
  it('the hub’s word only: signed_by null', async () => {
    const { alerts } = ok<{ alerts: AlertView[] }>(
      await s.req('northern-forces.watch', 'GET', '/api/v1/alerts?status=open'),
    );
    const a = alerts[0] as AlertView;
    const acked = ok<AlertView>(
      await s.req('northern-forces.watch', 'POST', `/api/v1/alerts/${a.id}/ack`, {}),
    );
    assert.equal(acked.ack?.signed_by, null);
    assert.ok(Number.isInteger(acked.ack?.entry));
  });
});
