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

/**
 * The chain checked as it is fed, a run of entries at a time from the first: it keeps the last
 * hash and seq only, so a ledger of millions of entries is verified page by page from the store
 * in constant memory. Entries fed after the chain broke are not looked at.
 */
export class ChainVerifier {
  #prev = GENESIS_HASH;
  #expectedSeq = 1;
  #entries = 0;
  #broken: ChainCheck['broken'];

  /** Check the next entries in order; false once the chain is broken. */
  add(entries: Iterable<LedgerEntry>): boolean {
    if (this.#broken) return false;
    for (const e of entries) {
      const reason =
        e.seq !== this.#expectedSeq
          ? `expected seq ${this.#expectedSeq}`
          : e.prev_hash !== this.#prev
            ? 'prev_hash does not link'
            : entryHash(e) !== e.hash
              ? 'hash does not match content'
              : null;
      if (reason !== null) {
        this.#broken = { seq: e.seq, reason };
        return false;
      }
      this.#prev = e.hash;
      this.#expectedSeq++;
      this.#entries++;
    }
    return true;
  }

  /** What was fed so far: ok with the number of entries, or where the chain broke first. */
  result(): ChainCheck {
    return this.#broken
      ? { ok: false, entries: this.#entries, broken: this.#broken }
      : { ok: true, entries: this.#entries };
  }
}

/** Verify a run of entries from the first: sequence, links and hashes. */
export function verifyChain(entries: Iterable<LedgerEntry>): ChainCheck {
  const v = new ChainVerifier();
  v.add(entries);
  return v.result();
}
