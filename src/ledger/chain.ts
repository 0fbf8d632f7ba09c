/**
 * The ledger's hash chain (docs/design.md §7): every entry commits to its content and to the hash of
 * the entry before it, so changing or removing any past entry changes every hash after it.
 * Hashes are SHA-256 over a canonical JSON encoding (keys sorted, no whitespace).
 * Signatures of the head and inclusion proofs build on this.
 */
import { createHash } from 'node:crypto';
import type { LedgerEntry } from '../domain/records.ts';

/** The `prev_hash` of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const s = JSON.stringify(value);
    return s === undefined ? 'null' : s;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/** The hash of an entry: SHA-256 of the previous hash and the canonical content. */
export function entryHash(e: Omit<LedgerEntry, 'hash'>): string {
  const content = canonicalJson({
    seq: e.seq,
    at: e.at,
    actor: e.actor,
    party: e.party,
    type: e.type,
    subject: e.subject,
    payload: e.payload,
  });
  return createHash('sha256').update(e.prev_hash).update('\n').update(content).digest('hex');
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
