/**
 * The bytes the ledger's hash chain covers (docs/design.md §7), without platform dependency: the
 * hub's store (chain.ts, node:crypto) and the verifier that runs in the browser too (verify.ts,
 * @noble/hashes) hash the same text.
 */
import { canonicalJson } from './canonical.ts';
import type { EntryHeader } from './leaf.ts';

/** The `prev_hash` of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * The canonical JSON (RFC 8785) of an entry's content `{seq, at, actor, party, type, subject,
 * payload}`, written member by member in the RFC's order (actor, at, party, payload, seq, subject,
 * type) so that a payload canonicalized once serves the chain and the tree's leaf alike.
 * `canonicalPayload`, when given, must be canonicalJson(payload); test/ledger.hub.test.ts checks
 * the result is the canonical JSON of the whole content.
 */
export function entryContent(
  e: EntryHeader & { readonly payload: unknown },
  canonicalPayload?: string,
): string {
  const payload = canonicalPayload ?? canonicalJson(e.payload, 'payload');
  return (
    `{"actor":${canonicalJson(e.actor, 'actor')},"at":${canonicalJson(e.at, 'at')},` +
    `"party":${canonicalJson(e.party, 'party')},"payload":${payload},"seq":${canonicalJson(e.seq, 'seq')},` +
    `"subject":${canonicalJson(e.subject, 'subject')},"type":${canonicalJson(e.type, 'type')}}`
  );
}
