/**
 * The ledger's hash chain (docs/design.md §7): every entry commits to its content and to the hash of
 * the entry before it, so changing or removing any past entry changes every hash after it.
 * Hashes are SHA-256 over the UTF-8 bytes of a canonical JSON encoding (keys sorted, no
 * whitespace); text that would not read back identically is refused before it is written.
 * Signatures of the head and inclusion proofs build on this.
 */
import { createHash } from 'node:crypto';
import type { LedgerEntry } from '../domain/records.ts';
import { canonicalJson } from './canonical.ts';
import { entryContent, GENESIS_HASH } from './entry.ts';

export { canonicalJson, GENESIS_HASH };

/** The exact bytes an entry's hash covers: its canonical content (entry.ts), as UTF-8. */
export function entryBytes(
  e: Omit<LedgerEntry, 'hash' | 'salt' | 'leaf'>,
  canonicalPayload?: string,
): Buffer {
  return Buffer.from(entryContent(e, canonicalPayload), 'utf8');
}

/** The hash of an entry: SHA-256 of the previous hash, a newline and the canonical content bytes. */
export function entryHash(e: Omit<LedgerEntry, 'hash' | 'salt' | 'leaf'>, canonicalPayload?: string): string {
  return createHash('sha256')
    .update(e.prev_hash)
    .update('\n')
    .update(entryBytes(e, canonicalPayload))
    .digest('hex');
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
