/**
 * What the two adapters share, written once. Rows as both read them back, turned into the
 * records of the ports: the columns are the same (`migrations/sqlite/` and
 * `migrations/postgres/`), and a value is taken through `Number`/`String` so that a PostgreSQL
 * `bigint` and a SQLite integer come back alike. The one way both number and seal the next ledger
 * entry; the filters of a declaration query (their statements differ only in the box search);
 * a member's change as columns to set; and the reads a closing store waits for.
 */
import { randomBytes } from 'node:crypto';
import type {
  AgreementSignatureRecord,
  AgreementVersionRecord,
  BlindOutputRecord,
  CheckpointRecord,
  DeclarationRecord,
  DeclarationStatus,
  LedgerEntry,
  MemberKeyRecord,
  MemberRecord,
  NewLedgerEntry,
  Role,
  TokenRecord,
} from '../domain/records.ts';
import type { Declaration } from '../engine/types.ts';
import { canonicalJson, entryHash, GENESIS_HASH } from '../ledger/chain.ts';
import type { OwnRow } from './feed.ts';
import { nodeLeaf } from './node-leaf.ts';
import type { DeclarationQuery, DeviceRecord, SharedEventRecord } from './ports.ts';

export type Row = Record<string, unknown>;

/** A nullable text column. */
export const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
/** A nullable number column of a row that may be missing. */
export const num = (r: Row | undefined, k: string): number | null =>
  r === undefined || r[k] === null || r[k] === undefined ? null : Number(r[k]);
export const parseRoles = (s: unknown): Role[] => JSON.parse(String(s)) as Role[];

export function toMember(r: Row): MemberRecord {
  return {
    username: String(r.username),
    party: str(r.party),
    roles: parseRoles(r.roles),
    password_hash: String(r.password_hash),
    disabled: Number(r.disabled) === 1,
    created_at: Number(r.created_at),
  };
}

export function toToken(r: Row): TokenRecord {
  return {
    id: String(r.id),
    hash: String(r.hash),
    username: String(r.username),
    party: str(r.party),
    roles: parseRoles(r.roles),
    kind: r.kind as TokenRecord['kind'],
    name: str(r.name),
    created_at: Number(r.created_at),
    expires_at: num(r, 'expires_at'),
    revoked_at: num(r, 'revoked_at'),
    rate:
      r.rate_per_second === null || r.rate_burst === null
        ? null
        : { perSecond: Number(r.rate_per_second), burst: Number(r.rate_burst) },
  };
}

export function toDeclaration(r: Row): DeclarationRecord {
  return {
    id: String(r.id),
    version: Number(r.version),
    party: String(r.party),
    kind: r.kind as Declaration['kind'],
    decl: JSON.parse(String(r.body)) as Declaration,
    status: r.status as DeclarationStatus,
    created_at: Number(r.created_at),
    created_by: String(r.created_by),
  };
}

export function toLedger(r: Row): LedgerEntry {
  return {
    seq: Number(r.seq),
    at: Number(r.at),
    actor: str(r.actor),
    party: str(r.party),
    type: String(r.type),
    subject: String(r.subject),
    payload: JSON.parse(String(r.payload)),
    prev_hash: String(r.prev_hash),
    hash: String(r.hash),
    salt: str(r.salt) ?? '',
    leaf: str(r.leaf),
  };
}

/**
 * The columns to set for a member's change (`roles = ?, ...`) and their values, in order; none
 * when the change changes nothing.
 */
export function memberChanges(change: {
  roles?: readonly Role[];
  disabled?: boolean;
  password_hash?: string;
}): { sets: string[]; args: (string | number)[] } {
  const sets: string[] = [];
  const args: (string | number)[] = [];
  if (change.roles !== undefined) {
    sets.push('roles = ?');
    args.push(JSON.stringify(change.roles));
  }
  if (change.disabled !== undefined) {
    sets.push('disabled = ?');
    args.push(change.disabled ? 1 : 0);
  }
  if (change.password_hash !== undefined) {
    sets.push('password_hash = ?');
    args.push(change.password_hash);
  }
  return { sets, args };
}

export const toDevice = (r: Row): DeviceRecord => ({
  id: String(r.id),
  hash: String(r.hash),
  username: String(r.username),
  created_at: Number(r.created_at),
  last_used_at: Number(r.last_used_at),
  expires_at: Number(r.expires_at),
});

export const toCheckpoint = (r: Row | undefined): CheckpointRecord | null =>
  r ? { size: Number(r.size), root: String(r.root), at: Number(r.at), note: String(r.note) } : null;

export const toKey = (r: Row): MemberKeyRecord => ({
  id: String(r.id),
  username: String(r.username),
  party: String(r.party),
  public_key: String(r.public_key),
  label: String(r.label),
  created_at: Number(r.created_at),
  revoked_at: num(r, 'revoked_at'),
  entry: Number(r.entry),
});

/** A row of a party's own stream. */
export const toOwn = (r: Row): OwnRow => ({
  seq: Number(r.seq),
  pub: Number(r.pub),
  at: Number(r.at),
  type: String(r.type),
  data: JSON.parse(String(r.data)),
});

/** A row of the feed every party shares. */
export const toShared = (r: Row): SharedEventRecord => ({
  useq: Number(r.useq),
  at: Number(r.at),
  type: String(r.type),
  data: JSON.parse(String(r.data)),
});

export const toVersion = (r: Row): AgreementVersionRecord => ({
  agreement: String(r.agreement),
  version: Number(r.version),
  body: JSON.parse(String(r.body)) as AgreementVersionRecord['body'],
  content_sha256: String(r.content_sha256),
  party: String(r.party),
  username: String(r.username),
  at: Number(r.at),
  proposed_at: num(r, 'proposed_at'),
});

export const toSignature = (r: Row): AgreementSignatureRecord => ({
  agreement: String(r.agreement),
  version: Number(r.version),
  party: String(r.party),
  username: String(r.username),
  key: String(r.key),
  signed: JSON.parse(String(r.signed)) as unknown,
  entry: Number(r.entry),
  at: Number(r.at),
});

export const toBlindOutput = (r: Row): BlindOutputRecord => ({
  declaration: String(r.declaration),
  version: Number(r.version),
  owner: String(r.owner),
  slot_ms: Number(r.slot_ms),
  slot: Number(r.slot),
  output: String(r.output),
});

/** A query box as the port defines it ([west, south, east, north], west ≤ east), or a RangeError. */
export function checkedBox(
  b: readonly [number, number, number, number],
): readonly [number, number, number, number] {
  const [w, s, e, n] = b;
  if (!b.every(Number.isFinite) || w > e || s > n) {
    throw new RangeError(
      `bbox ${JSON.stringify(b)}: [west, south, east, north] with west ≤ east (split at the antimeridian) and south ≤ north`,
    );
  }
  return b;
}

/**
 * A read in flight, kept in `reading` until it settles, so that closing a store waits for it.
 * Returns the read itself.
 */
export function tracked<T>(reading: Set<Promise<unknown>>, p: Promise<T>): Promise<T> {
  const settled = p.then(
    () => undefined,
    () => undefined,
  );
  reading.add(settled);
  void settled.then(() => reading.delete(settled));
  return p;
}

/** The statement that stores a ledger entry, in both dialects. */
export const LEDGER_INSERT =
  'INSERT INTO ledger (seq, at, actor, party, type, subject, payload, prev_hash, hash, salt, leaf) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

/**
 * The ledger entry that follows `last` (the stored head's row, or none for the first), with its
 * hash, salt and leaf, and the row to store in the order of {@link LEDGER_INSERT}'s columns (the
 * payload as its JSON text). Hashed (and answered) exactly as a
 * reader will get it back: the payload as JSON gives it (no undefined members, a Date as its ISO
 * text), or the entry would not verify.
 */
export function nextLedgerEntry(
  last: Row | undefined,
  e: NewLedgerEntry,
  storeLeaves: boolean,
): { stored: LedgerEntry; row: (string | number | null)[] } {
  const payloadJson = JSON.stringify(e.payload) ?? 'null';
  const entry = {
    seq: last ? Number(last.seq) + 1 : 1,
    at: e.at,
    actor: e.actor,
    party: e.party,
    type: e.type,
    subject: e.subject,
    payload: JSON.parse(payloadJson) as unknown,
    prev_hash: last ? String(last.hash) : GENESIS_HASH,
  };
  // The leaf commits to the payload by a salted hash (docs/transparency.md §2).
  const salt = randomBytes(16).toString('hex');
  // Canonicalized once, for the chain's hash and the leaf's commitment alike.
  const canonical = canonicalJson(entry.payload, 'payload');
  const leaf = storeLeaves ? nodeLeaf(entry, salt, canonical) : null;
  const hash = entryHash(entry, canonical);
  const { seq, at, actor, party, type, subject, prev_hash } = entry;
  return {
    stored: { ...entry, hash, salt, leaf },
    row: [seq, at, actor, party, type, subject, payloadJson, prev_hash, hash, salt, leaf],
  };
}

/**
 * The statement of a {@link DeclarationQuery} over `from` (which names the declarations `d`, and
 * has already put the values of its own placeholders in `args`): the query's filters, their
 * values appended to `args`, in id order. `visibleTo` is the rule of `canSee` (hub/views.ts): the
 * party's own, those shown to all, and those whose list names it. `status` is how the status
 * condition is written (SQLite's planner wants a hint when it pages by id).
 */
export function declarationSelect(
  from: string,
  f: DeclarationQuery,
  args: unknown[],
  status = 'd.status = ?',
): string {
  const where: string[] = ["d.status != 'superseded'"];
  const filter = (condition: string, ...values: unknown[]) => {
    where.push(condition);
    args.push(...values);
  };
  if (f.status !== undefined) filter(status, f.status);
  if (f.kind !== undefined) filter('d.kind = ?', f.kind);
  if (f.party !== undefined) filter('d.party = ?', f.party);
  if (f.end !== undefined) filter('d.start_ms < ?', f.end);
  if (f.start !== undefined) filter('(d.end_ms IS NULL OR d.end_ms > ?)', f.start);
  if (f.after !== undefined) filter('d.id > ?', f.after);
  if (f.visibleTo !== undefined) {
    filter(
      "(d.party = ? OR d.visibility = 'all' OR (d.id, d.version) IN (SELECT id, version FROM declaration_readers WHERE party = ?))",
      f.visibleTo,
      f.visibleTo,
    );
  }
  args.push(f.limit ?? 1000);
  return `SELECT d.* FROM ${from} WHERE ${where.join(' AND ')} ORDER BY d.id LIMIT ?`;
}
