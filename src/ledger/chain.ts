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

export { canonicalJson };

/** The `prev_hash` of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * The exact bytes an entry's hash covers: the canonical JSON of its content, as UTF-8. Written
 * out member by member, in RFC 8785's order (actor, at, party, payload, seq, subject, type), so
 * that a payload canonicalized once serves the chain and the tree's leaf alike (`canonicalPayload`,
 * when given, must be canonicalJson(e.payload); a test checks the two forms agree).
 */
export function entryBytes(
  e: Omit<LedgerEntry, 'hash' | 'salt' | 'leaf'>,
  canonicalPayload?: string,
): Buffer {
  const payload = canonicalPayload ?? canonicalJson(e.payload, 'payload');
  const content =
    `{"actor":${canonicalJson(e.actor, 'actor')},"at":${canonicalJson(e.at, 'at')},` +
    `"party":${canonicalJson(e.party, 'party')},"payload":${payload},"seq":${canonicalJson(e.seq, 'seq')},` +
    `"subject":${canonicalJson(e.subject, 'subject')},"type":${canonicalJson(e.type, 'type')}}`;
  return Buffer.from(content, 'utf8');
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
