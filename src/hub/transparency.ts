/**
 * The transparency log over the ledger (docs/transparency.md): the RFC 9162 tree of every entry,
 * checkpoints signed by the hub's Ed25519 key in the C2SP signed-note format, inclusion and
 * consistency proofs, witnesses' cosignatures, receipts, and members' keys.
 *
 * The tree lives in memory (about 64 bytes an entry) and follows the ledger: `sync` appends the
 * leaf hashes written since it last looked (the store computes each entry's leaf when appending,
 * so a start rebuilds a million-entry tree from 32 MB of hashes, not by re-reading payloads; in
 * the background, so that a start does not wait for it). It
 * is never written to from inside a transaction, so a rolled-back write can never leave a leaf
 * in the tree that is not in the ledger: the tree only reads what committed.
 *
 * Whoever may see an entry (its own party, or a party named in its `audience`: the other side
 * of an acknowledgement) may have its receipt; to everyone else the entry does not exist, as a
 * record they may not see does not anywhere else.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import type { CheckpointView, EntryView, LogView, MemberKeyView, ReceiptView } from '../api/ledger.ts';
import type { CheckpointRecord, LedgerEntry, LogKeyRecord, MemberKeyRecord } from '../domain/records.ts';
import { formatIsoUtc as at } from '../engine/time.ts';
import { leafData, payloadHash } from '../ledger/leaf.ts';
import { leafHash, MerkleLog } from '../ledger/merkle.ts';
import {
  addSignatures,
  formatCheckpoint,
  fromBase64,
  keyHashOf,
  newEd25519Key,
  signerFromPrivateKey,
  signNote,
  toBase64,
  verifierFromKey,
  verifierKeyOf,
} from '../ledger/note.ts';
import { keyId, type Signed, witnessKeyName } from '../ledger/statement.ts';
import type { Tx } from '../store/ports.ts';
import { actingParty, fail, type Principal, requireRole } from './access.ts';
import type { Kernel, WriteCtx } from './kernel.ts';
import { checkStatement, ORIGIN_KEY } from './signatures.ts';

/** Checkpoints signed lately that a witness may still cosign before they are kept. */
const SHOWN_KEPT = 1024;

/** Leaves read from the store per step of a sync. */
const SYNC_PAGE = 10_000;

/** Whether party `party` may see entry `e`: its own, or one whose audience names it. */
export function mayReadEntry(e: LedgerEntry, party: string): boolean {
  if (e.party === party) return true;
  const audience = (e.payload as { audience?: unknown } | null)?.audience;
  return Array.isArray(audience) && audience.includes(party);
}

/** An entry as a party sees it: header and payload commitment, the payload when `withPayload`. */
export function entryView(e: LedgerEntry, withPayload: boolean): EntryView {
  return {
    seq: e.seq,
    at: e.at,
    time: at(e.at),
    actor: e.actor,
    party: e.party,
    type: e.type,
    subject: e.subject,
    payload_sha256: payloadHash(e.payload, e.salt),
    ...(withPayload && { payload: e.payload, salt: e.salt }),
  };
}

function memberKeyView(k: MemberKeyRecord): MemberKeyView {
  return {
    id: k.id,
    username: k.username,
    party: k.party,
    public_key: k.public_key,
    label: k.label,
    created_at: at(k.created_at),
    revoked_at: k.revoked_at === null ? null : at(k.revoked_at),
    entry: k.entry,
  };
}

/** The hub's keys as verifiers see them: each current from its entry until the next key's. */
function hubKeyViews(keys: readonly LogKeyRecord[]): LogView['hub_keys'] {
  return keys.map((k, i) => ({
    verifier_key: verifierKeyOf(k.name, fromBase64(k.public_key) as Uint8Array),
    from_seq: k.seq,
    until_seq: keys[i + 1]?.seq ?? null,
  }));
}

export class Transparency {
  private readonly tree = new MerkleLog();
  private syncing: Promise<void> = Promise.resolve();
  private logOrigin = '';
  private timer: NodeJS.Timeout | undefined;
  /** The newest checkpoint signed (kept in the store or not yet: see {@link latest}). */
  private current: CheckpointRecord | null = null;
  /**
   * Checkpoints signed lately but perhaps not kept, by size: a witness cosigns the one it was
   * shown, which the log may have outgrown since (a few per second on a busy hub).
   */
  private readonly shown = new Map<number, CheckpointRecord>();
  /** The largest checkpoint kept in the store by this process. */
  private keptSize = 0;

  constructor(private readonly k: Kernel) {
    // A group commit that failed may have held a checkpoint: keep the next one again.
    k.onReset(async () => {
      this.keptSize = 0;
    });
  }

  /** The log's origin, `deconflict/<16 hex digits>`: the checkpoints' first line and key name. */
  get origin(): string {
    return this.logOrigin;
  }

  /** The number of entries the tree holds (it follows the ledger; see {@link sync}). */
  get size(): number {
    return this.tree.size;
  }

  /**
   * At start: the origin and the hub's first key (made once per data directory, recorded as a
   * `log.key` entry), then the tree from the ledger.
   */
  async open(): Promise<void> {
    const keys = await this.k.read((tx) => tx.log.keys());
    if (keys.length === 0)
      await this.k.write(async (tx, ctx) => {
        const origin = await tx.meta.init(ORIGIN_KEY, `deconflict/${bytesToHex(randomBytes(8))}`);
        // Under the writers' lock: another instance starting on the same new database at the
        // same moment may have made it first.
        if ((await tx.log.keys()).length === 0) await addLogKey(ctx, origin, null, null);
        return { result: undefined };
      });
    this.logOrigin = (await this.k.read((tx) => tx.meta.get(ORIGIN_KEY))) ?? '';
    // The tree is rebuilt in the background, a page of 10,000 leaves at a time between requests:
    // at 1M entries that is ~2 s of hashing a start need not wait for (nothing but the log reads
    // the tree, and every read of it awaits `sync` first: a receipt asked for in the first
    // seconds waits for it). A page that fails is read again by the next `sync`.
    void this.sync().catch(() => undefined);
  }

  /** Sign a checkpoint every `everyMs` while the log grows (0: only when one is asked for). */
  startCheckpoints(everyMs: number): void {
    this.stopCheckpoints();
    if (everyMs <= 0) return;
    this.timer = setInterval(() => {
      // A trail of checkpoints in the store while the log grows; retried at the next tick (a
      // full disk says so elsewhere).
      this.latest().catch(() => undefined);
    }, everyMs);
    this.timer.unref();
  }

  stopCheckpoints(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Bring the tree up to the committed ledger (serialized: one sync at a time). */
  sync(): Promise<void> {
    const run = async (): Promise<void> => {
      for (;;) {
        const from = this.tree.size + 1;
        const rows = await this.k.read(async (tx) => {
          const leaves = await tx.ledger.leaves(from, SYNC_PAGE);
          // Entries older than the log have no stored leaf: computed from their payload.
          const old = leaves.some((r) => r.leaf === null) ? await tx.ledger.range(from, leaves.length) : [];
          return leaves.map((r, i) => {
            if (r.leaf !== null) return hexToBytes(r.leaf);
            const e = old[i] as LedgerEntry;
            return leafHash(leafData(e, payloadHash(e.payload, e.salt)));
          });
        });
        if (rows.length === 0) return;
        for (const leaf of rows) this.tree.append(leaf);
        if (rows.length < SYNC_PAGE) return;
        // Let requests through between pages (a start's rebuild runs beside them).
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const p = this.syncing.then(run, run);
    this.syncing = p.catch(() => undefined);
    return p;
  }

  /**
   * The newest checkpoint, signed now if the log grew since the last one. It is kept in memory
   * and written to the store only when it matters ({@link latest}: a receipt hands it out, the
   * timer's trail; and a witness's cosignature): every console asks for one a minute, and a write per
   * question would put an fsync on the write path for nothing. Ed25519 signatures are
   * deterministic, so the checkpoint of a size is the same note whenever it is signed.
   */
  private async signed(): Promise<CheckpointRecord> {
    await this.sync();
    const size = this.tree.size;
    this.current ??= await this.k.read((tx) => tx.log.latestCheckpoint());
    if (this.current && this.current.size >= size) return this.current;
    const root = this.tree.root(size);
    const text = formatCheckpoint({ origin: this.logOrigin, size, root });
    const key = currentKey(await this.k.read((tx) => tx.log.keys()), size);
    const note = signNote(text, signerFromPrivateKey(key.name, fromBase64(key.private_key) as Uint8Array));
    const c: CheckpointRecord = { size, root: toBase64(root), at: this.k.clock.now(), note };
    // A slower concurrent call may have signed a larger one meanwhile: keep the larger.
    if (!this.current || this.current.size < size) this.current = c;
    this.shown.set(size, c);
    if (this.shown.size > SHOWN_KEPT) this.shown.delete(this.shown.keys().next().value as number);
    return c;
  }

  /** The newest checkpoint, signed now if the log grew, and kept in the store. */
  async latest(): Promise<CheckpointRecord> {
    const c = await this.signed();
    return c.size > this.keptSize ? this.keep(c) : c;
  }

  /** Keep a checkpoint the hub signed in the store (once per size), and give the one kept. */
  private keep(c: CheckpointRecord): Promise<CheckpointRecord> {
    return this.k.write(async (tx) => {
      await tx.log.putCheckpoint(c);
      const kept = (await tx.log.checkpoint(c.size)) ?? c;
      return { result: kept, apply: () => (this.keptSize = Math.max(this.keptSize, kept.size)) };
    });
  }

  /** The log as any member sees it: the newest checkpoint, the newest published one, the keys. */
  async log(): Promise<LogView> {
    const latest = await this.signed();
    return this.k.read(async (tx) => {
      const published = await tx.log.latestCosigned();
      return {
        origin: this.logOrigin,
        latest: await checkpointView(tx, this.logOrigin, latest),
        published: published && (await checkpointView(tx, this.logOrigin, published)),
        hub_keys: hubKeyViews(await tx.log.keys()),
      };
    });
  }

  /** PROOF(from, to) between two sizes the hub signed or can sign (to ≤ the tree's size). */
  async consistency(from: number, to: number) {
    await this.sync();
    if (to > this.tree.size) fail('not_found', `the log holds ${this.tree.size} entries, not ${to}`, 'to');
    if (from > to) fail('invalid_request', `from ${from} is after to ${to}`, 'from');
    return { from, to, proof: this.tree.consistencyProof(from, to).map(toBase64) };
  }

  /** PATH(seq − 1, size): the inclusion proof of entry `seq` in the tree of `size` entries. */
  async inclusion(seq: number, size: number) {
    await this.sync();
    if (size > this.tree.size)
      fail('not_found', `the log holds ${this.tree.size} entries, not ${size}`, 'size');
    if (seq > size) fail('invalid_request', `entry ${seq} is not among the first ${size}`, 'seq');
    return { seq, size, proof: this.tree.inclusionProof(seq - 1, size).map(toBase64) };
  }

  /**
   * A witness's cosignature of a checkpoint the hub signed: an Ed25519 C2SP note signature by
   * the caller's registered key over the checkpoint text. A root other than the one the hub
   * signed at that size is refused as what it is, a split view (or a tampered client).
   */
  async cosign(p: Principal, b: { size: number; root: string; key: string; signature: string }) {
    const party = actingParty(p);
    // The checkpoint a witness was shown may not be in the store yet (see latest()).
    const shown = this.current;
    const view = await this.k.write(async (tx, ctx) => {
      if (shown && shown.size === b.size && !(await tx.log.checkpoint(b.size)))
        await tx.log.putCheckpoint(shown);
      const c = await tx.log.checkpoint(b.size);
      if (!c) fail('checkpoint_unknown', `the hub signed no checkpoint of size ${b.size}`, 'size');
      if (c?.root !== b.root)
        fail(
          'checkpoint_mismatch',
          `the hub signed root ${c?.root} at size ${b.size}, not ${b.root}: a split view`,
          'root',
        );
      const key = await tx.memberKeys.get(b.key);
      if (!key || key.username !== p.username || key.revoked_at !== null)
        fail('bad_signature', `key ${b.key} is not a registered, unrevoked key of yours`, 'key');
      const name = witnessKeyName(b.key);
      const pub = fromBase64((key as MemberKeyRecord).public_key) as Uint8Array;
      const text = formatCheckpoint({
        origin: this.logOrigin,
        size: b.size,
        root: fromBase64(b.root) as Uint8Array,
      });
      const sig = fromBase64(b.signature) as Uint8Array;
      if (!verifierFromKey(verifierKeyOf(name, pub)).verify(new TextEncoder().encode(text), sig))
        fail('bad_signature', 'the signature does not verify over the checkpoint text', 'signature');
      await tx.log.addCosignature({
        size: b.size,
        key: b.key,
        party,
        username: p.username,
        signature: b.signature,
        at: ctx.now,
      });
      return { result: await checkpointView(tx, this.logOrigin, c as CheckpointRecord) };
    });
    return view;
  }

  /** The entries the caller's party may see from `from` on, with payloads. */
  async entries(p: Principal, from: number, limit: number) {
    const party = actingParty(p);
    await this.sync();
    const size = this.tree.size;
    const rows = await this.k.read((tx) => tx.ledger.rangeFor(party, from, limit + 1));
    const page = rows.slice(0, limit).filter((e) => e.seq <= size);
    const next = rows.length > limit ? (rows[limit] as LedgerEntry).seq : null;
    return { entries: page.map((e) => entryView(e, true)), next, size };
  }

  /**
   * A receipt (docs/transparency.md §6): the entry, the statement it records, the signing key's
   * own entry, and inclusion proofs in the smallest cosigned checkpoint that holds it — or, until
   * a witness cosigned one, in the hub's newest (`published: false`).
   */
  async receipt(p: Principal, seq: number, omitPayload: boolean): Promise<ReceiptView> {
    const party = actingParty(p);
    const entry = await this.k.read((tx) => tx.ledger.get(seq));
    if (!entry || !mayReadEntry(entry, party))
      fail('not_found', `no ledger entry ${seq} that your party may see`);
    // The smallest cosigned checkpoint that holds it, else the newest, kept: a checkpoint handed
    // out in a receipt is one the hub stands by, and `verify --data` checks it.
    const cosigned = await this.k.read((tx) => tx.log.cosignedFrom(seq));
    const c = cosigned ?? (await this.latest());
    return this.k.read(async (tx) => {
      const e = entry as LedgerEntry;
      const signed = omitPayload ? null : ((e.payload as { signed?: Signed } | null)?.signed ?? null);
      const view = await checkpointView(tx, this.logOrigin, c);
      return {
        format: 'deconflict.receipt/1',
        origin: this.logOrigin,
        entry: entryView(e, !omitPayload),
        signed,
        signer: signed && (await this.signerOf(tx, signed, c.size)),
        proof: this.tree.inclusionProof(e.seq - 1, c.size).map(toBase64),
        checkpoint: view,
        published: cosigned !== null,
        hub_keys: hubKeyViews(await tx.log.keys()),
        witness_keys: await witnessKeys(tx, c.size),
      };
    });
  }

  private async signerOf(tx: Tx, signed: Signed, size: number): Promise<ReceiptView['signer']> {
    const key = await tx.memberKeys.get(signed.key);
    const keyEntry = key && (await tx.ledger.get(key.entry));
    if (!key || !keyEntry) return null;
    return {
      username: key.username,
      party: key.party,
      public_key: key.public_key,
      key: key.id,
      entry: entryView(keyEntry, true),
      proof: this.tree.inclusionProof(keyEntry.seq - 1, size).map(toBase64),
    };
  }

  // --- Members' keys ----------------------------------------------------------------------------

  /** The caller's party's keys (a party admin sees every member's; a member, its own). */
  async keys(p: Principal) {
    const party = actingParty(p);
    const all = await this.k.read((tx) => tx.memberKeys.list(party));
    const mine = p.roles.includes('party_admin') ? all : all.filter((k) => k.username === p.username);
    return { keys: mine.map(memberKeyView) };
  }

  /**
   * Register the caller's public key. The body's `key.register` statement, signed by the key
   * itself, proves the caller holds its private half; a key registered twice is refused.
   */
  async addKey(p: Principal, label: string, signed: Signed) {
    const party = actingParty(p);
    const publicKey = signed.statement.public_key ?? '';
    const pub = fromBase64(publicKey);
    if (pub === null || pub.length !== 32)
      fail('bad_signature', 'signed.statement.public_key: not a 32-byte key', 'signed');
    const id = keyId(pub as Uint8Array);
    if (signed.key !== id)
      fail('bad_signature', `signed.key is ${signed.key}, the key's id is ${id}`, 'signed');
    try {
      ed25519.Point.fromBytes(pub as Uint8Array);
    } catch {
      fail('bad_signature', 'signed.statement.public_key is not a point of Ed25519', 'signed');
    }
    return this.k.write(async (tx, ctx) => {
      checkStatement(
        this.logOrigin,
        p,
        signed,
        { act: 'key.register', subject: id, public_key: publicKey },
        ctx.now,
        publicKey,
      );
      if (await tx.memberKeys.get(id)) fail('key_exists', `key ${id} is already registered`, 'signed');
      const entry = await ctx.log(p.username, party, 'key.added', id, {
        key: id,
        public_key: publicKey,
        label,
        username: p.username,
        signed,
      });
      const k: MemberKeyRecord = {
        id,
        username: p.username,
        party,
        public_key: publicKey,
        label,
        created_at: ctx.now,
        revoked_at: null,
        entry: entry.seq,
      };
      await tx.memberKeys.insert(k);
      return { result: memberKeyView(k) };
    });
  }

  /** Revoke a key: its own member, or the party's admin. It signs nothing after this entry. */
  async revokeKey(p: Principal, id: string) {
    const party = actingParty(p);
    return this.k.write(async (tx, ctx) => {
      const k = await tx.memberKeys.get(id);
      const mayRevoke =
        k && k.party === party && (k.username === p.username || p.roles.includes('party_admin'));
      if (!k || !mayRevoke) fail('not_found', `no key ${id} of yours`);
      const key = k as MemberKeyRecord;
      if (key.revoked_at !== null) return { result: memberKeyView(key) };
      await tx.memberKeys.revoke(id, ctx.now);
      await ctx.log(p.username, party, 'key.revoked', id, { key: id, username: key.username });
      return { result: memberKeyView({ ...key, revoked_at: ctx.now }) };
    });
  }

  /** Rotate the hub's checkpoint key (hub_admin): a `log.key` entry naming the previous key. */
  async rotate(p: Principal): Promise<LogView> {
    requireRole(p, 'hub_admin');
    await this.k.write(async (tx, ctx) => {
      const keys = await tx.log.keys();
      const previous = keys.at(-1);
      const prevKey = previous && verifierKeyOf(previous.name, fromBase64(previous.public_key) as Uint8Array);
      await addLogKey(ctx, this.logOrigin, prevKey ?? null, p.username);
      return { result: undefined };
    });
    return this.log();
  }
}

/** Make a hub key, record it as a `log.key` entry, keep it current from that entry on. */
async function addLogKey(ctx: WriteCtx, origin: string, previous: string | null, actor: string | null) {
  const { privateKey, verifierKey } = newEd25519Key(origin);
  const entry = await ctx.log(actor, null, 'log.key', origin, { verifier_key: verifierKey, previous });
  await ctx.tx.log.addKey({
    seq: entry.seq,
    name: origin,
    public_key: toBase64(ed25519.getPublicKey(privateKey)),
    private_key: toBase64(privateKey),
    created_at: ctx.now,
  });
}

/** The key current at `size`: that of the last `log.key` entry among the first `size` entries. */
function currentKey(keys: readonly LogKeyRecord[], size: number): LogKeyRecord {
  let key: LogKeyRecord | undefined;
  for (const k of keys) if (k.seq <= size) key = k;
  if (!key) throw new Error(`no hub key is current at size ${size}`);
  return key;
}

/** The checkpoint's note with every cosignature added, and who cosigned. */
async function checkpointView(tx: Tx, origin: string, c: CheckpointRecord): Promise<CheckpointView> {
  let note = c.note;
  const cosigned_by: CheckpointView['cosigned_by'] = [];
  for (const x of await tx.log.cosignatures(c.size)) {
    const key = await tx.memberKeys.get(x.key);
    if (!key) continue;
    const name = witnessKeyName(x.key);
    const sig = fromBase64(x.signature) as Uint8Array;
    // The stored signature, written as a C2SP signature line (the signer's key is not here).
    note = addSignatures(note, {
      name,
      keyHash: keyHashOf(name, fromBase64(key.public_key) as Uint8Array),
      sign: () => sig,
    });
    cosigned_by.push({ party: x.party, username: x.username, key: x.key, at: at(x.at) });
  }
  return { origin, size: c.size, root: c.root, at: at(c.at), note, cosigned_by };
}

async function witnessKeys(tx: Tx, size: number): Promise<ReceiptView['witness_keys']> {
  const out: ReceiptView['witness_keys'] = [];
  for (const x of await tx.log.cosignatures(size)) {
    const key = await tx.memberKeys.get(x.key);
    if (key)
      out.push({
        verifier_key: verifierKeyOf(witnessKeyName(x.key), fromBase64(key.public_key) as Uint8Array),
        party: key.party,
        username: key.username,
      });
  }
  return out;
}
