/**
 * The ledger's hash chain (docs/design.md §7): every entry commits to its content and to the hash of
 * the entry before it, so changing or removing any past entry changes every hash after it.
 * Hashes are SHA-256 over the UTF-8 bytes of a canonical JSON encoding (keys sorted, no
 * whitespace); text that would not read back identically is refused before it is written.
 * Signatures of the head and inclusion proofs build on this.
 */
import { createHash } from 'node:crypto';
import type { LedgerEntry } from '../domain/records.ts';
import { DeconflictError } from '../errors.ts';

/** The `prev_hash` of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * A lone UTF-16 surrogate cannot be stored as UTF-8: SQLite (and PostgreSQL) would keep U+FFFD
 * instead, the entry read back would differ from the one hashed, and the chain would break there
 * for ever — indistinguishable from tampering. Such text is refused before anything is written.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function jsonString(s: string, where: string): string {
  if (LONE_SURROGATE.test(s))
    throw new DeconflictError([
      {
        code: 'invalid_text',
        feature: null,
        path: where,
        message: 'text with a lone UTF-16 surrogate cannot be recorded (it does not round-trip as UTF-8)',
      },
    ]);
  return JSON.stringify(s);
}

/**
 * Canonical JSON in the manner of RFC 8785 (JCS): object keys sorted by UTF-16 code units at
 * every level, no whitespace, strings and numbers serialized as ECMAScript's JSON.stringify does
 * (which is what JCS specifies), members whose value is undefined left out. The same value always
 * gives the same text, and only text that survives UTF-8 storage is accepted (see above).
 */
export function canonicalJson(value: unknown, where = ''): string {
  if (typeof value === 'string') return jsonString(value, where);
  if (typeof value === 'number' && !Number.isFinite(value))
    // RFC 8785 §3.2.2.3: NaN and ±Infinity have no JSON form. JSON.stringify would write null, so
    // a NaN and a null would hash the same. No request can carry one (JSON has no such number), so
    // this is a defect in the caller, never a user's error: refuse loudly rather than record it.
    throw new TypeError(`canonicalJson: ${value} at ${where || '(root)'} has no JSON form`);
  if (value === null || typeof value !== 'object') {
    const s = JSON.stringify(value);
    return s === undefined ? 'null' : s;
  }
  if (Array.isArray(value)) return `[${value.map((v, i) => canonicalJson(v, `${where}[${i}]`)).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${jsonString(k, where)}:${canonicalJson(obj[k], where ? `${where}.${k}` : k)}`).join(',')}}`;
}

/** The exact bytes an entry's hash covers: the canonical JSON of its content, as UTF-8. */
export function entryBytes(e: Omit<LedgerEntry, 'hash'>): Buffer {
  const content = canonicalJson({
    seq: e.seq,
    at: e.at,
    actor: e.actor,
    party: e.party,
    type: e.type,
    subject: e.subject,
    payload: e.payload,
  });
  return Buffer.from(content, 'utf8');
}

/** The hash of an entry: SHA-256 of the previous hash, a newline and the canonical content bytes. */
export function entryHash(e: Omit<LedgerEntry, 'hash'>): string {
  return createHash('sha256').update(e.prev_hash).update('\n').update(entryBytes(e)).digest('hex');
}

export interface ChainCheck {
  readonly ok: boolean;
  readonly entries: number;
  /** The first sequence number at which the chain breaks, with the reason. */
  readonly broken?: { readonly seq: number; readonly reason: string };
}

/** Verify a run of entries from the first: sequence, links and hashes. */
export function verifyChain(entries: Iterable<LedgerEntry>): ChainCheck {
  let prev = GENESIS_HASH;
  let expectedSeq = 1;
  let n = 0;
  for (const e of entries) {
    if (e.seq !== expectedSeq)
      return { ok: false, entries: n, broken: { seq: e.seq, reason: `expected seq ${expectedSeq}` } };
    if (e.prev_hash !== prev)
      return { ok: false, entries: n, broken: { seq: e.seq, reason: 'prev_hash does not link' } };
    if (entryHash(e) !== e.hash)
      return { ok: false, entries: n, broken: { seq: e.seq, reason: 'hash does not match content' } };
    prev = e.hash;
    expectedSeq++;
    n++;
  }
  return { ok: true, entries: n };
}
