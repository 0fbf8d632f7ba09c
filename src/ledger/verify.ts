/**
 * Verifying the record without trusting the hub (docs/transparency.md §7): the whole ledger, its
 * checkpoints and cosignatures, the checkpoints a party kept, and a single receipt.
 *
 * {@link LedgerVerifier} consumes the ledger's entries in order, one at a time (a million entries
 * cost the tree's ~64 bytes each, never the entries themselves), and for each one checks:
 *
 * - its place: seq is the next one (a removed, inserted or reordered entry shows here);
 * - the chain: prev_hash is the previous entry's hash, hash is SHA-256(prev_hash "\n" content);
 * - the leaf: recomputed from the header and the salted payload hash, equal to the stored one;
 * - `log.key` entries: the hub's checkpoint keys, each naming the one before it;
 * - `key.added` / `key.revoked`: members' keys, as the ledger registered and revoked them;
 * - signed statements (`payload.signed`): the signature verifies with a key the ledger registered
 *   before the entry and did not revoke, a key of the member the statement says signed, and the
 *   statement is by the entry's actor and party, for this log's origin.
 *
 * It builds the RFC 9162 tree of the recomputed leaves as it goes; then checkpoints (the hub's
 * signature by the key current at the size, the root equal to the tree's), cosignatures (the
 * member's key, as the ledger registered it) and checkpoints a party kept (a root that differs
 * from the tree's at its size means the log was rewritten) are checked against it.
 *
 * Every problem is a {@link Finding} that names where (an entry's seq or a checkpoint's size), a
 * code and a reason in words; the first is the answer `deconflict verify` prints.
 *
 * {@link verifyReceipt} checks a receipt (§6) offline: the payload's hash, the leaf, the inclusion
 * proof, the checkpoint's signatures, the statement's signature and the signer key's own entry.
 *
 * No platform dependency (no node: module, no Buffer): the same code can run in the browser.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { LedgerEntry } from '../domain/records.ts';
import { canonicalJson } from './canonical.ts';
import { entryContent, GENESIS_HASH } from './entry.ts';
import { type EntryHeader, leafData, payloadHash } from './leaf.ts';
import { HASH_SIZE, leafHash, MerkleLog, verifyInclusion } from './merkle.ts';
import {
  fromBase64,
  NoteError,
  openNote,
  parseCheckpoint,
  toBase64,
  type Verifier,
  verifierFromKey,
  verifierKeyOf,
} from './note.ts';
import { keyId, type Signed, verifyStatement, witnessKeyName } from './statement.ts';

/** How many findings a result lists (all are counted): a rewritten log is one finding per entry. */
export const MAX_FINDINGS = 1000;

/**
 * What was found wrong. Entries:
 * - `missing`: a seq is absent (the next entry has a later one) — an entry was removed;
 * - `out_of_order`: a seq comes after a later one, or twice — entries reordered or duplicated;
 * - `reordered`: the entry's hash holds another seq — the entry was moved from there;
 * - `inserted`: prev_hash is the hash of an earlier entry than the previous one — the entries
 *   between were inserted (or this one's predecessors removed and the rest re-numbered);
 * - `link`: prev_hash is not the previous entry's hash;
 * - `hash`: the hash does not match the content (the content, or the hash, was changed);
 * - `leaf`: the stored leaf is not the one its content gives;
 * - `malformed_entry`: the entry cannot be read (not the shape of an entry, payload not JSON);
 * - `log_key`: a `log.key` entry that does not hold (bad key, wrong origin, wrong previous);
 * - `member_key`: a `key.added`/`key.revoked` entry, or a kept key row, that does not hold;
 * - `statement`: a signed statement whose key, signer, party or origin does not hold;
 * - `signature`: a signed statement whose signature does not verify.
 * Checkpoints:
 * - `checkpoint_signature`: not signed by the hub key current at its size;
 * - `checkpoint_malformed`: the note is not a checkpoint of this log, or differs from its row;
 * - `checkpoint_root`: its root is not the tree's at its size — the log changed after it;
 * - `checkpoint_beyond`: larger than the log — entries were removed after it was signed;
 * - `split_view`: two checkpoints of one size with different roots;
 * - `cosignature`: a cosignature that does not verify, or by a key the ledger does not hold;
 * - `kept_checkpoint`: a kept checkpoint that cannot be read or is not signed by this log's key;
 * - `rewritten`: a kept checkpoint's root is not the tree's at its size;
 * - `truncated`: a kept checkpoint is larger than the log.
 * Receipts add `receipt` (malformed), `payload_hash`, `inclusion`, `hub_key`, `signer`.
 */
export type FindingCode =
  | 'missing'
  | 'out_of_order'
  | 'reordered'
  | 'inserted'
  | 'link'
  | 'hash'
  | 'leaf'
  | 'malformed_entry'
  | 'log_key'
  | 'member_key'
  | 'statement'
  | 'signature'
  | 'checkpoint_signature'
  | 'checkpoint_malformed'
  | 'checkpoint_root'
  | 'checkpoint_beyond'
  | 'split_view'
  | 'cosignature'
  | 'kept_checkpoint'
  | 'rewritten'
  | 'truncated'
  | 'receipt'
  | 'payload_hash'
  | 'inclusion'
  | 'hub_key'
  | 'signer';

/** One thing that does not hold: where (an entry's seq, or a checkpoint's size), what, and why. */
export interface Finding {
  readonly seq?: number;
  readonly size?: number;
  readonly code: FindingCode;
  readonly reason: string;
}

/** "entry 17: hash does not match content", "checkpoint of size 40: …", or the reason alone. */
export function describeFinding(f: Finding): string {
  if (f.seq !== undefined) return `entry ${f.seq}: ${f.reason}`;
  if (f.size !== undefined) return `checkpoint of size ${f.size}: ${f.reason}`;
  return f.reason;
}

/** A checkpoint the hub signed, as the `checkpoints` table keeps it (root in base64). */
export interface CheckpointInput {
  readonly size: number;
  readonly root: string;
  readonly note: string;
}

/** A witness's cosignature, as the `cosignatures` table keeps it. */
export interface CosignatureInput {
  readonly size: number;
  readonly key: string;
  readonly signature: string;
  readonly party?: string;
  readonly username?: string;
  readonly at?: number;
}

/** The outcome of verifying a ledger. */
export interface VerifyResult {
  readonly ok: boolean;
  /** Entries read. */
  readonly entries: number;
  /** Leaves of the recomputed tree (= entries, unless some could not be read at all). */
  readonly size: number;
  /** The recomputed tree's root at `size`, base64. */
  readonly root: string;
  /** The log's origin (the first log.key entry's subject), or null when it has none. */
  readonly origin: string | null;
  readonly checkpoints: number;
  readonly cosignatures: number;
  /** Checkpoints a party kept, checked against the tree. */
  readonly kept: number;
  /** Entries that carry a signed statement (each checked). */
  readonly signed: number;
  /** Entries committed with the empty salt (written before the log existed; §2). */
  readonly unsalted: number;
  /** The first finding, or null when the record holds. */
  readonly failure: Finding | null;
  /** Findings in the order found, at most {@link MAX_FINDINGS}. */
  readonly findings: readonly Finding[];
  /** All findings, counted (may exceed `findings.length`). */
  readonly findingsTotal: number;
}

interface HubKey {
  /** The seq of the log.key entry: the key signs checkpoints of size ≥ seq, until the next. */
  readonly seq: number;
  readonly verifierKey: string;
  readonly verifier: Verifier;
}

interface MemberKey {
  readonly publicKey: string;
  readonly username: string | null;
  readonly party: string | null;
  readonly addedSeq: number;
  revokedSeq: number | null;
  revokedAt: number | null;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const isNullableString = (v: unknown): v is string | null => v === null || typeof v === 'string';

const HEX64 = /^[0-9a-f]{64}$/;
const SALT = /^(?:[0-9a-f]{2})*$/;

/**
 * An entry read from untrusted JSON (an export line), or why it is not one. Shapes only: what the
 * values mean is the verifier's to check.
 */
export function entryFromJson(v: unknown): LedgerEntry | string {
  if (!isObject(v)) return 'not an object';
  const { seq, at, actor, party, type, subject, payload, prev_hash, hash, salt, leaf } = v;
  if (!Number.isSafeInteger(seq) || (seq as number) < 1) return 'seq is not a whole number ≥ 1';
  if (!Number.isSafeInteger(at)) return 'at is not a whole number of milliseconds';
  if (!isNullableString(actor) || !isNullableString(party)) return 'actor or party is not text or null';
  if (typeof type !== 'string' || typeof subject !== 'string') return 'type or subject is not text';
  if (!('payload' in v) || payload === undefined) return 'no payload';
  if (typeof prev_hash !== 'string' || typeof hash !== 'string') return 'prev_hash or hash is not text';
  if (typeof salt !== 'string') return 'salt is not text';
  if (!isNullableString(leaf)) return 'leaf is not text or null';
  return {
    seq: seq as number,
    at: at as number,
    actor,
    party,
    type,
    subject,
    payload,
    prev_hash,
    hash,
    salt,
    leaf,
  };
}

/** The signed statement an entry's payload carries, if it carries one (shape checked later). */
function signedOf(payload: unknown): unknown {
  return isObject(payload) && 'signed' in payload && payload.signed !== null ? payload.signed : undefined;
}

function isSigned(v: unknown): v is Signed {
  return (
    isObject(v) &&
    isObject(v.statement) &&
    typeof v.key === 'string' &&
    typeof v.signature === 'string' &&
    typeof v.statement.by === 'string' &&
    typeof v.statement.party === 'string' &&
    typeof v.statement.origin === 'string' &&
    typeof v.statement.act === 'string' &&
    typeof v.statement.subject === 'string'
  );
}

/**
 * SHA-256 over the concatenation of `parts` (text as UTF-8). @noble/hashes' by default, so that
 * this module runs in the browser; the CLI gives node:crypto's, about twice as fast on a
 * million entries (src/ledger/merkle.ts has the figures).
 */
export type Sha256 = (parts: readonly (string | Uint8Array)[]) => Uint8Array;

const nobleSha256: Sha256 = (parts) => {
  const h = sha256.create();
  for (const p of parts) h.update(typeof p === 'string' ? utf8ToBytes(p) : p);
  return h.digest();
};

/** RFC 9162's leaf prefix (merkle.ts's leafHash): SHA-256(0x00 || leaf data). */
const LEAF_PREFIX = Uint8Array.of(0x00);

export interface VerifierOptions {
  /** How many findings to list (all are counted); {@link MAX_FINDINGS} by default. */
  readonly maxFindings?: number;
  readonly sha256?: Sha256;
}

const short = (s: string): string => (s.length > 20 ? `${s.slice(0, 16)}…` : s);

/** Recent entries kept to name where a broken link points (an inserted or removed entry). */
const RECENT = 64;
/** How far from its place a moved entry is looked for. */
const REORDER_WINDOW = 16;

/**
 * The verifier of a whole ledger. Feed it every entry in seq order ({@link add}), then the hub's
 * checkpoints, their cosignatures and any kept checkpoints, in any order among themselves; then
 * {@link result}. Adding an entry after a checkpoint is a programming error (the tree must be
 * whole before a root is compared).
 */
export class LedgerVerifier {
  private readonly tree = new MerkleLog();
  private readonly findingsList: Finding[] = [];
  private findingsTotal = 0;
  private expectedSeq = 1;
  private prevHash = GENESIS_HASH;
  private entries = 0;
  private unsalted = 0;
  private signed = 0;
  private checkpoints = 0;
  private cosignatures = 0;
  private keptCount = 0;
  private sealed = false;
  private origin: string | null = null;
  private readonly hubKeys: HubKey[] = [];
  private readonly memberKeys = new Map<string, MemberKey>();
  /** Stored hash → seq of recent entries (for naming where a broken link leads). */
  private readonly recent = new Map<string, number>();
  private readonly recentOrder: string[] = [];
  /** Seqs seen (the first 100,000 only): to tell a duplicated entry from a reordered one. */
  private readonly seenSeqs = new Set<number>();
  /** Checkpoint text by size (what a cosignature signs), from the hub's checkpoints. */
  private readonly checkpointTexts = new Map<number, string>();
  /** A root by size and where it came from, from every checkpoint seen (for split views). */
  private readonly roots = new Map<number, { root: string; source: string }>();

  private readonly maxFindings: number;
  private readonly sha256: Sha256;

  constructor(options: VerifierOptions = {}) {
    this.maxFindings = options.maxFindings ?? MAX_FINDINGS;
    this.sha256 = options.sha256 ?? nobleSha256;
  }

  /** SHA-256(prev_hash "\n" content), hex: the chain hash. */
  private chainHash(prevHash: string, content: string): string {
    return bytesToHex(this.sha256([prevHash, '\n', content]));
  }

  private find(f: Finding): void {
    this.findingsTotal++;
    if (this.findingsList.length < this.maxFindings) this.findingsList.push(f);
  }

  /** An entry that could not even be read (its payload is not JSON, say): recorded as found. */
  malformed(seq: number, reason: string, storedLeaf: string | null = null): void {
    this.mustTakeEntries();
    this.find({ seq, code: 'malformed_entry', reason });
    this.entries++;
    this.expectedSeq = seq + 1;
    // Keep the tree's shape (and so later checkpoints checkable) with the stored leaf, if any:
    // the finding already says this entry does not hold.
    if (storedLeaf !== null && HEX64.test(storedLeaf)) this.tree.append(hexBytes(storedLeaf));
  }

  private mustTakeEntries(): void {
    if (this.sealed) throw new Error('LedgerVerifier: entries must all come before checkpoints');
  }

  /** The next entry of the ledger, in order. */
  add(e: LedgerEntry): void {
    this.mustTakeEntries();
    this.entries++;
    const seq = e.seq;
    // Its place in the sequence.
    if (seq !== this.expectedSeq) {
      if (seq > this.expectedSeq) {
        const gap = seq - this.expectedSeq;
        this.find({
          seq: this.expectedSeq,
          code: 'missing',
          reason:
            gap === 1
              ? `missing: entry ${seq} follows entry ${this.expectedSeq - 1} (removed)`
              : `missing: entries ${this.expectedSeq}–${seq - 1} are absent, entry ${seq} follows entry ${this.expectedSeq - 1} (removed)`,
        });
      } else {
        this.find({
          seq,
          code: 'out_of_order',
          reason: this.seenSeqs.has(seq)
            ? `entry ${seq} appears again after entry ${this.expectedSeq - 1} (duplicated or reordered)`
            : `entry ${seq} comes after entry ${this.expectedSeq - 1} (reordered)`,
        });
      }
    }
    // seenSeqs only matters for naming duplicates among entries out of order; bound it.
    if (this.seenSeqs.size < 100_000) this.seenSeqs.add(seq);
    this.expectedSeq = Math.max(this.expectedSeq, seq + 1);

    let payloadJson: string;
    let content: string;
    try {
      payloadJson = canonicalJson(e.payload);
      content = contentJson(e, seq, payloadJson);
    } catch (err) {
      this.malformedContent(e, `its content has no canonical JSON: ${(err as Error).message}`);
      return;
    }
    // The chain. A moved entry is named as such: its hash commits to the seq it was written at.
    const hashOk = this.chainHash(e.prev_hash, content) === e.hash;
    const linkOk = e.prev_hash === this.prevHash;
    if (!hashOk) {
      const from = this.movedFrom(e, payloadJson);
      const after = this.recent.get(e.prev_hash);
      if (from !== null && after !== undefined && after === from - 1 && after < seq - 1)
        // Written as entry `from` after entry `after`, now further on: entries were put in between.
        this.find({
          seq,
          code: 'inserted',
          reason: `holds entry ${from} (its hash commits to seq ${from}), which followed entry ${after}: ${span(after + 1, seq - 1)} inserted before it`,
        });
      else if (from !== null)
        this.find({
          seq,
          code: 'reordered',
          reason: `holds entry ${from} (its hash commits to seq ${from}): entries were reordered`,
        });
      else this.find({ seq, code: 'hash', reason: 'hash does not match content' });
    } else if (!linkOk) {
      const earlier = this.recent.get(e.prev_hash);
      if (earlier !== undefined && earlier < seq - 1)
        this.find({
          seq,
          code: 'inserted',
          reason: `prev_hash is the hash of entry ${earlier}, not of entry ${seq - 1}: ${span(earlier + 1, seq - 1)} inserted or rewritten`,
        });
      else
        this.find({
          seq,
          code: 'link',
          reason: `prev_hash does not link to entry ${seq - 1}`,
        });
    }
    this.prevHash = e.hash;
    this.remember(e.hash, seq);

    // The leaf (what the tree and every checkpoint and receipt commit to).
    if (e.salt === '') this.unsalted++;
    else if (!SALT.test(e.salt)) this.find({ seq, code: 'malformed_entry', reason: 'salt is not hex' });
    // leaf.ts's payloadHash and entryLeaf, with the payload's canonical text made once.
    const payloadSha = bytesToHex(this.sha256([e.salt, '\n', payloadJson]));
    const leaf = this.sha256([LEAF_PREFIX, leafData(e, payloadSha)]);
    if (e.leaf !== null && e.leaf !== bytesToHex(leaf))
      this.find({ seq, code: 'leaf', reason: 'stored leaf does not match content' });
    this.tree.append(leaf);

    // What the entry means for keys and signatures.
    if (e.type === 'log.key') this.logKey(e);
    else if (e.type === 'key.added') this.keyAdded(e);
    else if (e.type === 'key.revoked') this.keyRevoked(e);
    const signed = signedOf(e.payload);
    if (signed !== undefined) {
      this.signed++;
      this.statement(e, signed);
    }
  }

  private malformedContent(e: LedgerEntry, reason: string): void {
    this.find({ seq: e.seq, code: 'malformed_entry', reason });
    this.prevHash = e.hash;
    if (e.leaf !== null && HEX64.test(e.leaf)) this.tree.append(hexBytes(e.leaf));
  }

  private remember(hash: string, seq: number): void {
    this.recent.set(hash, seq);
    this.recentOrder.push(hash);
    if (this.recentOrder.length > RECENT) this.recent.delete(this.recentOrder.shift() as string);
  }

  /** The seq near this one whose content with this prev_hash gives the stored hash, or null. */
  private movedFrom(e: LedgerEntry, payloadJson: string): number | null {
    if (this.findingsTotal > this.maxFindings) return null; // a log rewritten wholesale: save the work
    for (let d = 1; d <= REORDER_WINDOW; d++)
      for (const s of [e.seq - d, e.seq + d])
        if (s >= 1 && this.chainHash(e.prev_hash, contentJson(e, s, payloadJson)) === e.hash) return s;
    return null;
  }

  private logKey(e: LedgerEntry): void {
    const bad = (reason: string) => this.find({ seq: e.seq, code: 'log_key', reason });
    const p = e.payload;
    if (!isObject(p) || typeof p.verifier_key !== 'string' || !isNullableString(p.previous ?? null)) {
      bad('log.key payload is not {verifier_key, previous}');
      return;
    }
    // The hub makes its keys: no party's. (The actor is null for the first key, the hub admin who
    // rotated it for the others.)
    if (e.party !== null) bad('log.key is recorded for a party (the hub makes its keys)');
    let verifier: Verifier;
    try {
      verifier = verifierFromKey(p.verifier_key);
    } catch (err) {
      bad(`log.key verifier key does not parse: ${(err as Error).message}`);
      return;
    }
    if (verifier.name !== e.subject)
      bad(
        `log.key names key ${JSON.stringify(verifier.name)} but its subject is ${JSON.stringify(e.subject)}`,
      );
    const last = this.hubKeys[this.hubKeys.length - 1];
    if (this.origin === null) this.origin = e.subject;
    else if (e.subject !== this.origin)
      bad(`log.key names origin ${JSON.stringify(e.subject)}, the log's is ${JSON.stringify(this.origin)}`);
    const previous = (p.previous ?? null) as string | null;
    if ((last?.verifierKey ?? null) !== previous)
      bad(
        last === undefined
          ? 'the first log.key names a previous key'
          : `log.key names previous key ${JSON.stringify(previous)}, not the key of entry ${last.seq}`,
      );
    this.hubKeys.push({ seq: e.seq, verifierKey: p.verifier_key, verifier });
  }

  private keyAdded(e: LedgerEntry): void {
    const bad = (reason: string) => this.find({ seq: e.seq, code: 'member_key', reason });
    const p = e.payload;
    if (!isObject(p) || typeof p.key !== 'string' || typeof p.public_key !== 'string') {
      bad('key.added payload has no key and public_key');
      return;
    }
    const pub = fromBase64(p.public_key);
    if (pub === null || pub.length !== 32) {
      bad('key.added public_key is not a 32-byte key in base64');
      return;
    }
    if (keyId(pub) !== p.key || e.subject !== p.key) {
      bad(`key.added names key ${p.key} (subject ${e.subject}), but the public key's id is ${keyId(pub)}`);
      return;
    }
    if (this.memberKeys.has(p.key)) {
      bad(`key ${p.key} is added a second time`);
      return;
    }
    if (typeof p.username === 'string' && p.username !== e.actor)
      bad(`key.added for user ${p.username} is recorded as by ${String(e.actor)}`);
    // Registration is signed by the key itself (proof of possession): the statement check of
    // `add` verifies it with this key, registered from this entry on.
    const signed = signedOf(p);
    if (!isSigned(signed)) bad('key.added carries no key.register statement signed by the key');
    else if (
      signed.statement.act !== 'key.register' ||
      signed.statement.subject !== p.key ||
      signed.statement.public_key !== p.public_key
    )
      bad('key.added statement is not a key.register of this key');
    this.memberKeys.set(p.key, {
      publicKey: p.public_key,
      username: typeof p.username === 'string' ? p.username : e.actor,
      party: e.party,
      addedSeq: e.seq,
      revokedSeq: null,
      revokedAt: null,
    });
  }

  private keyRevoked(e: LedgerEntry): void {
    const bad = (reason: string) => this.find({ seq: e.seq, code: 'member_key', reason });
    const p = e.payload;
    const id = isObject(p) && typeof p.key === 'string' ? p.key : null;
    if (id === null || id !== e.subject) {
      bad('key.revoked payload does not name its subject key');
      return;
    }
    const k = this.memberKeys.get(id);
    if (k === undefined) {
      bad(`key.revoked revokes key ${id}, which the ledger never added`);
      return;
    }
    if (k.revokedSeq !== null) {
      bad(`key ${id} was already revoked at entry ${k.revokedSeq}`);
      return;
    }
    k.revokedSeq = e.seq;
    k.revokedAt = e.at;
  }

  private statement(e: LedgerEntry, value: unknown): void {
    const bad = (code: 'statement' | 'signature', reason: string) => this.find({ seq: e.seq, code, reason });
    if (!isSigned(value)) {
      bad('statement', 'payload.signed is not {statement, key, signature}');
      return;
    }
    const s = value.statement;
    // The key: the one being registered for key.added, else one the ledger holds from before.
    let publicKey: string;
    let owner: { username: string | null; party: string | null };
    if (e.type === 'key.added') {
      const p = e.payload as Record<string, unknown>;
      if (typeof p.public_key !== 'string' || value.key !== p.key) {
        bad('statement', `key.register is signed with key ${value.key}, not the key it adds`);
        return;
      }
      publicKey = p.public_key;
      owner = { username: typeof p.username === 'string' ? p.username : e.actor, party: e.party };
    } else {
      const k = this.memberKeys.get(value.key);
      if (k === undefined || k.addedSeq >= e.seq) {
        bad('statement', `signed with key ${value.key}, which the ledger did not register before this entry`);
        return;
      }
      if (k.revokedSeq !== null && k.revokedSeq < e.seq) {
        bad('statement', `signed with key ${value.key}, revoked at entry ${k.revokedSeq}`);
        return;
      }
      publicKey = k.publicKey;
      owner = k;
    }
    if (!verifyStatement(value, publicKey)) {
      bad('signature', `signed statement does not verify with key ${value.key}`);
      return;
    }
    if (s.by !== e.actor)
      bad('statement', `statement is by ${JSON.stringify(s.by)}, the entry by ${JSON.stringify(e.actor)}`);
    if (s.party !== e.party)
      bad(
        'statement',
        `statement is for party ${JSON.stringify(s.party)}, the entry's is ${JSON.stringify(e.party)}`,
      );
    if (owner.username !== s.by || owner.party !== s.party)
      bad(
        'statement',
        `key ${value.key} belongs to ${owner.username} (${owner.party}), not to ${s.by} (${s.party})`,
      );
    if (this.origin !== null && s.origin !== this.origin)
      bad(
        'statement',
        `statement is for log ${JSON.stringify(s.origin)}, not ${JSON.stringify(this.origin)}`,
      );
  }

  // --- After the entries ------------------------------------------------------------------------

  /** The hub key that signs a checkpoint of `size` leaves: the last log.key among the first `size`. */
  private hubKeyAt(size: number): HubKey | null {
    let key: HubKey | null = null;
    for (const k of this.hubKeys) if (k.seq <= size) key = k;
    return key;
  }

  /** The root of the recomputed tree at `size`, base64 (size ≤ the tree's). */
  private treeRoot(size: number): string {
    return toBase64(this.tree.root(size));
  }

  private noteSize(note: string): { text: string; size: number; root: string } | string {
    const cut = note.lastIndexOf('\n\n');
    if (cut < 0) return 'not a signed note (no blank line before the signatures)';
    try {
      const cp = parseCheckpoint(note.slice(0, cut + 1), this.origin ?? undefined);
      return { text: note.slice(0, cut + 1), size: cp.size, root: toBase64(cp.root) };
    } catch (err) {
      return (err as Error).message;
    }
  }

  /**
   * Which key of the log signed a note: the one current at `size`, another of the log's keys
   * (named), or none. Null when the current key verifies it; else the reason it does not.
   */
  private signatureProblem(note: string, size: number): string | null {
    const key = this.hubKeyAt(size);
    if (key === null) return `no log.key entry among the first ${size} entries names a key to sign it`;
    try {
      openNote(note, [key.verifier]);
      return null;
    } catch (err) {
      const why = err instanceof NoteError ? err.message : String(err);
      for (const other of this.hubKeys) {
        if (other === key) continue;
        try {
          openNote(note, [other.verifier]);
          return `signed by the hub key of entry ${other.seq}, not by the key current at size ${size} (entry ${key.seq})`;
        } catch {
          // not this one either
        }
      }
      return `not signed by the hub key current at size ${size} (log.key entry ${key.seq}): ${why}`;
    }
  }

  private splitView(size: number, root: string, source: string): void {
    const other = this.roots.get(size);
    if (other === undefined) this.roots.set(size, { root, source });
    else if (other.root !== root)
      this.find({
        size,
        code: 'split_view',
        reason: `split view: ${source} has root ${root}, ${other.source} has root ${other.root}`,
      });
  }

  /** A checkpoint the hub signed (its row: size, base64 root, note signed by the hub's key). */
  checkpoint(c: CheckpointInput): void {
    this.sealed = true;
    this.checkpoints++;
    const { size } = c;
    const bad = (code: FindingCode, reason: string) => this.find({ size, code, reason });
    const parsed = this.noteSize(c.note);
    if (typeof parsed === 'string') {
      bad('checkpoint_malformed', parsed);
      return;
    }
    if (parsed.size !== size || parsed.root !== c.root) {
      bad('checkpoint_malformed', `its note is of size ${parsed.size}, root ${parsed.root}: not its row's`);
      return;
    }
    this.checkpointTexts.set(size, parsed.text);
    const sig = this.signatureProblem(c.note, size);
    if (sig !== null) bad('checkpoint_signature', sig);
    this.splitView(size, c.root, `the hub's checkpoint`);
    if (size > this.tree.size) {
      bad(
        'checkpoint_beyond',
        `the log holds only ${this.tree.size} entries: entries were removed after it was signed`,
      );
      return;
    }
    const root = this.treeRoot(size);
    if (root !== c.root)
      bad(
        'checkpoint_root',
        `root ${c.root} is not the root of the first ${size} entries (${root}): the log was changed after it was signed`,
      );
  }

  /** A witness's cosignature of the hub's checkpoint of its size. */
  cosignature(c: CosignatureInput): void {
    this.sealed = true;
    this.cosignatures++;
    const bad = (reason: string) =>
      this.find({ size: c.size, code: 'cosignature', reason: `cosignature by key ${c.key}: ${reason}` });
    const text = this.checkpointTexts.get(c.size);
    if (text === undefined) {
      bad('the hub kept no checkpoint of this size');
      return;
    }
    const k = this.memberKeys.get(c.key);
    if (k === undefined) {
      bad('the ledger registered no such key');
      return;
    }
    const sig = fromBase64(c.signature);
    let verifier: Verifier;
    try {
      verifier = verifierFromKey(verifierKeyOf(witnessKeyName(c.key), fromBase64(k.publicKey) as Uint8Array));
    } catch (err) {
      bad(`its key does not parse: ${(err as Error).message}`);
      return;
    }
    if (sig === null || !verifier.verify(utf8ToBytes(text), sig)) {
      bad('the signature does not verify');
      return;
    }
    if (
      (c.party !== undefined && c.party !== k.party) ||
      (c.username !== undefined && c.username !== k.username)
    )
      bad(`recorded as by ${c.username} (${c.party}), the key belongs to ${k.username} (${k.party})`);
    if (k.revokedAt !== null && c.at !== undefined && c.at > k.revokedAt)
      bad(`made after the key was revoked (entry ${k.revokedSeq})`);
  }

  /**
   * A checkpoint a party kept (a signed note): it must be signed by this log's key current at its
   * size and agree with the tree. `label` names it in findings (a file and an index, say).
   */
  kept(note: string, label: string): void {
    this.sealed = true;
    this.keptCount++;
    const parsed = this.noteSize(note);
    if (typeof parsed === 'string') {
      this.find({ code: 'kept_checkpoint', reason: `kept checkpoint ${label}: ${parsed}` });
      return;
    }
    const { size, root } = parsed;
    const bad = (code: FindingCode, reason: string) =>
      this.find({ size, code, reason: `kept checkpoint ${label}: ${reason}` });
    const sig = this.signatureProblem(note, size);
    if (sig !== null)
      bad('kept_checkpoint', `${sig} (the log's keys were rewritten, or it is another log's)`);
    this.splitView(size, root, `kept checkpoint ${label}`);
    if (size > this.tree.size) {
      bad(
        'truncated',
        `the log holds only ${this.tree.size} entries: it was cut back after this checkpoint was signed`,
      );
      return;
    }
    const treeRoot = this.treeRoot(size);
    if (treeRoot !== root)
      bad(
        'rewritten',
        `root ${root} is not the root of the log's first ${size} entries (${treeRoot}): the log was rewritten`,
      );
  }

  /**
   * A member key row the hub keeps (member_keys): it must be the key the ledger registered at
   * `entry`, with the same owner, revoked exactly when the ledger says.
   */
  memberKeyRow(row: {
    id: string;
    username: string;
    party: string;
    public_key: string;
    entry: number;
    revoked_at: number | null;
  }): void {
    this.sealed = true;
    const bad = (reason: string) =>
      this.find({ seq: row.entry, code: 'member_key', reason: `member key ${row.id}: ${reason}` });
    const k = this.memberKeys.get(row.id);
    if (k === undefined) {
      bad('kept by the hub but never added in the ledger');
      return;
    }
    if (k.publicKey !== row.public_key) {
      bad('its public key is not the one the ledger registered');
      return;
    }
    if (k.addedSeq !== row.entry || k.username !== row.username || k.party !== row.party) {
      bad(`kept as ${row.username} (${row.party}) from entry ${row.entry}, the ledger says otherwise`);
      return;
    }
    if ((row.revoked_at === null) !== (k.revokedSeq === null))
      bad(
        row.revoked_at === null
          ? `revoked in the ledger (entry ${k.revokedSeq}) but not here`
          : 'revoked here but not in the ledger',
      );
  }

  /** A hub key row (log_keys): its public key must be the one the ledger's log.key entry names. */
  logKeyRow(row: { seq: number; name: string; public_key: string }): void {
    this.sealed = true;
    const k = this.hubKeys.find((h) => h.seq === row.seq);
    const pub = fromBase64(row.public_key);
    let verifierKey: string | null = null;
    try {
      if (pub !== null) verifierKey = verifierKeyOf(row.name, pub);
    } catch {
      verifierKey = null;
    }
    if (k === undefined || verifierKey !== k.verifierKey)
      this.find({
        seq: row.seq,
        code: 'log_key',
        reason: 'the hub signs with a key the ledger does not name at this entry',
      });
  }

  result(): VerifyResult {
    const size = this.tree.size;
    return {
      ok: this.findingsTotal === 0,
      entries: this.entries,
      size,
      root: this.treeRoot(size),
      origin: this.origin,
      checkpoints: this.checkpoints,
      cosignatures: this.cosignatures,
      kept: this.keptCount,
      signed: this.signed,
      unsalted: this.unsalted,
      failure: this.findingsList[0] ?? null,
      findings: [...this.findingsList],
      findingsTotal: this.findingsTotal,
    };
  }
}

/** The canonical JSON of an entry's content as if written at `seq` (entry.ts), the payload's given. */
const contentJson = (e: EntryHeader, seq: number, payloadJson: string): string =>
  entryContent({ ...e, seq, payload: null }, payloadJson);

/** "entry 4 was" or "entries 4–6 were". */
function span(from: number, to: number): string {
  return from === to ? `entry ${from} was` : `entries ${from}–${to} were`;
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

// --- Receipts ------------------------------------------------------------------------------------

export interface ReceiptOptions {
  /** A hub verifier key the verifier already holds: the checkpoint must be signed by it. */
  readonly hubKey?: string;
}

export interface ReceiptResult {
  readonly ok: boolean;
  readonly seq: number | null;
  readonly type: string | null;
  /** The checkpoint the entry is proved in. */
  readonly size: number | null;
  readonly root: string | null;
  /** Whether the checkpoint is cosigned by a witness whose signature verified. */
  readonly published: boolean;
  /** Witness keys (member key ids) whose cosignature verified. */
  readonly cosigned_by: readonly string[];
  /** The member key that signed the entry's statement, when it carries one and it verified. */
  readonly signed_by: { readonly key: string; readonly username: string; readonly entry: number } | null;
  /** Whether the payload was in the receipt and matched its hash. */
  readonly payload: 'verified' | 'omitted';
  readonly findings: readonly Finding[];
  /** What a receipt cannot prove offline (said, not failed). */
  readonly notes: readonly string[];
}

/** The header of an EntryView, or why the value is not one. */
function entryViewOf(
  v: unknown,
): (EntryHeader & { payload_sha256: string; payload?: unknown; salt?: string }) | string {
  if (!isObject(v)) return 'not an object';
  const { seq, at, actor, party, type, subject, payload_sha256, salt } = v;
  if (!Number.isSafeInteger(seq) || (seq as number) < 1) return 'seq is not a whole number ≥ 1';
  if (!Number.isSafeInteger(at)) return 'at is not a whole number';
  if (!isNullableString(actor) || !isNullableString(party)) return 'actor or party is not text or null';
  if (typeof type !== 'string' || typeof subject !== 'string') return 'type or subject is not text';
  if (typeof payload_sha256 !== 'string' || !HEX64.test(payload_sha256))
    return 'payload_sha256 is not 64 hex digits';
  if (salt !== undefined && typeof salt !== 'string') return 'salt is not text';
  return {
    seq: seq as number,
    at: at as number,
    actor,
    party,
    type,
    subject,
    payload_sha256,
    ...('payload' in v && { payload: v.payload }),
    ...(salt !== undefined && { salt }),
  };
}

function proofOf(v: unknown): Uint8Array[] | null {
  if (!Array.isArray(v)) return null;
  const out: Uint8Array[] = [];
  for (const h of v) {
    const b = typeof h === 'string' ? fromBase64(h) : null;
    if (b === null || b.length !== HASH_SIZE) return null;
    out.push(b);
  }
  return out;
}

/** The hub key current at `size` among a receipt's hub_keys (from_seq ≤ size < until_seq). */
export function hubKeyIn(keys: unknown, size: number): string | null {
  if (!Array.isArray(keys)) return null;
  let best: { from: number; key: string } | null = null;
  for (const k of keys) {
    if (!isObject(k) || typeof k.verifier_key !== 'string' || typeof k.from_seq !== 'number') continue;
    const until = typeof k.until_seq === 'number' ? k.until_seq : null;
    if (k.from_seq <= size && (until === null || size < until) && (best === null || k.from_seq > best.from))
      best = { from: k.from_seq, key: k.verifier_key };
  }
  return best?.key ?? null;
}

/**
 * Verify a receipt (docs/transparency.md §6, `ReceiptView` of src/api/ledger.ts) offline. Every
 * check that fails is a finding; a receipt holds when there is none.
 */
export function verifyReceipt(receipt: unknown, options: ReceiptOptions = {}): ReceiptResult {
  const findings: Finding[] = [];
  const notes: string[] = [];
  const cosigned: string[] = [];
  let signedBy: ReceiptResult['signed_by'] = null;
  let payload: ReceiptResult['payload'] = 'omitted';
  const out = (
    seq: number | null,
    type: string | null,
    size: number | null,
    root: string | null,
  ): ReceiptResult => ({
    ok: findings.length === 0,
    seq,
    type,
    size,
    root,
    published: cosigned.length > 0,
    cosigned_by: cosigned,
    signed_by: findings.length === 0 ? signedBy : null,
    payload,
    findings,
    notes,
  });
  const bad = (code: FindingCode, reason: string, seq?: number) =>
    findings.push(seq === undefined ? { code, reason } : { seq, code, reason });

  if (!isObject(receipt) || receipt.format !== 'deconflict.receipt/1') {
    bad('receipt', 'not a receipt (format is not "deconflict.receipt/1")');
    return out(null, null, null, null);
  }
  const origin = typeof receipt.origin === 'string' ? receipt.origin : '';
  const entry = entryViewOf(receipt.entry);
  if (typeof entry === 'string') {
    bad('receipt', `receipt entry: ${entry}`);
    return out(null, null, null, null);
  }
  const { seq } = entry;

  // The checkpoint: its note, signed by the hub key current at its size.
  const cpView = receipt.checkpoint;
  if (!isObject(cpView) || typeof cpView.note !== 'string') {
    bad('receipt', 'the receipt has no checkpoint note');
    return out(seq, entry.type, null, null);
  }
  const note = cpView.note;
  const cut = note.lastIndexOf('\n\n');
  let cp: { size: number; root: Uint8Array; text: string };
  try {
    if (cut < 0) throw new Error('not a signed note');
    const text = note.slice(0, cut + 1);
    const parsed = parseCheckpoint(text, origin);
    cp = { size: parsed.size, root: parsed.root, text };
  } catch (err) {
    bad('receipt', `the checkpoint does not read: ${(err as Error).message}`);
    return out(seq, entry.type, null, null);
  }
  const root64 = toBase64(cp.root);
  if (cpView.size !== cp.size || cpView.root !== root64)
    bad('receipt', `the checkpoint's size and root are not those of its note (${cp.size}, ${root64})`);
  const current = hubKeyIn(receipt.hub_keys, cp.size);
  const hubKey = options.hubKey ?? current;
  if (options.hubKey !== undefined && current !== null && current !== options.hubKey)
    bad(
      'hub_key',
      `the receipt names hub key ${current} at size ${cp.size}, not the key given (${options.hubKey})`,
    );
  if (hubKey === null) bad('hub_key', `the receipt names no hub key current at size ${cp.size}`);
  else {
    try {
      openNote(note, [verifierFromKey(hubKey)]);
    } catch (err) {
      bad(
        'checkpoint_signature',
        `the checkpoint of size ${cp.size} is not signed by hub key ${short(hubKey)}: ${(err as Error).message}`,
      );
    }
  }
  // Cosignatures: each witness key's signature in the note, verified when present.
  if (Array.isArray(receipt.witness_keys))
    for (const w of receipt.witness_keys) {
      if (!isObject(w) || typeof w.verifier_key !== 'string') continue;
      let v: Verifier;
      try {
        v = verifierFromKey(w.verifier_key);
      } catch (err) {
        bad('cosignature', `witness key ${short(w.verifier_key)} does not parse: ${(err as Error).message}`);
        continue;
      }
      try {
        const opened = openNote(note, [v]);
        if (opened.sigs.some((s) => s.verified && s.name === v.name))
          cosigned.push(v.name.replace(/^member-/, ''));
      } catch (err) {
        // An absent signature is "unverified_note": the key is listed but did not cosign.
        if (err instanceof NoteError && err.code === 'unverified_note')
          notes.push(`witness ${v.name} is listed but did not cosign this checkpoint`);
        else bad('cosignature', `the cosignature by ${v.name} does not verify`);
      }
    }
  if (receipt.published === true && cosigned.length === 0)
    bad('cosignature', 'the receipt says published, but no witness cosignature in it verifies');
  if (receipt.published !== true)
    notes.push("the checkpoint is not published: no party cosigned it (the hub's word only)");

  // The entry: its payload's hash, its leaf, its inclusion in the checkpoint.
  if (entry.payload !== undefined) {
    if (entry.salt === undefined) bad('receipt', 'the payload is given without its salt', seq);
    else if (payloadHash(entry.payload, entry.salt) !== entry.payload_sha256)
      bad('payload_hash', 'the payload does not match payload_sha256', seq);
    else payload = 'verified';
  } else notes.push('the payload is not in the receipt: only its hash is proved');
  const leaf = leafHash(leafData(entry, entry.payload_sha256));
  const proof = proofOf(receipt.proof);
  if (proof === null) bad('receipt', 'the inclusion proof is not a list of base64 hashes', seq);
  else if (seq > cp.size || !verifyInclusion(leaf, seq - 1, cp.size, proof, cp.root))
    bad('inclusion', `not in the checkpoint of size ${cp.size}: the inclusion proof does not verify`, seq);

  // The signed statement, its key, and the key's own registration entry in the same checkpoint.
  const signed = receipt.signed;
  if (signed !== null && signed !== undefined) {
    const signer = receipt.signer;
    if (!isSigned(signed)) bad('receipt', 'signed is not {statement, key, signature}', seq);
    else if (!isObject(signer) || typeof signer.public_key !== 'string')
      bad('signer', 'the statement is signed but the receipt names no signer key', seq);
    else {
      const s = signed.statement;
      if (!verifyStatement(signed, signer.public_key))
        bad('signature', `the signed statement does not verify with key ${signed.key}`, seq);
      if (s.by !== entry.actor || s.party !== entry.party)
        bad(
          'statement',
          `the statement is by ${s.by} (${s.party}), the entry by ${entry.actor} (${entry.party})`,
          seq,
        );
      if (s.origin !== origin) bad('statement', `the statement is for log ${s.origin}, not ${origin}`, seq);
      if (
        entry.payload !== undefined &&
        canonicalJson(signedOf(entry.payload) ?? null) !== canonicalJson(signed)
      )
        bad('statement', 'the signed statement is not the one the entry records', seq);
      if (entry.payload === undefined)
        notes.push('the statement is tied to the entry only through the omitted payload');
      const se = entryViewOf(signer.entry);
      if (typeof se === 'string') bad('signer', `the signer's key.added entry: ${se}`, seq);
      else {
        const sp = se.payload;
        if (se.type !== 'key.added' || se.subject !== signed.key)
          bad('signer', `the signer entry ${se.seq} is not the key.added of key ${signed.key}`, seq);
        // A key.register statement is signed by the key its own entry adds; any other, by one added before.
        if (se.seq > seq || (se.seq === seq && entry.type !== 'key.added'))
          bad('signer', `key ${signed.key} was registered at entry ${se.seq}, after this entry`, seq);
        if (!isObject(sp) || sp.public_key !== signer.public_key || sp.key !== signed.key)
          bad(
            'signer',
            `the signer entry ${se.seq} does not name public key ${short(signer.public_key)}`,
            seq,
          );
        else if (se.salt === undefined || payloadHash(sp, se.salt) !== se.payload_sha256)
          bad('signer', `the signer entry ${se.seq}'s payload does not match its hash`, seq);
        if (s.by !== (isObject(sp) ? sp.username : undefined) || s.party !== se.party)
          bad(
            'signer',
            `key ${signed.key} was registered for ${String(isObject(sp) ? sp.username : '?')} (${se.party}), not ${s.by}`,
            seq,
          );
        const sproof = proofOf(signer.proof);
        if (
          sproof === null ||
          !verifyInclusion(leafHash(leafData(se, se.payload_sha256)), se.seq - 1, cp.size, sproof, cp.root)
        )
          bad('inclusion', `the signer's key.added entry ${se.seq} is not proved in the checkpoint`, seq);
        signedBy = { key: signed.key, username: s.by, entry: se.seq };
        notes.push(
          "whether the key was revoked before this entry is not in a receipt: verify the hub's record",
        );
      }
    }
  }
  return out(seq, entry.type, cp.size, root64);
}
