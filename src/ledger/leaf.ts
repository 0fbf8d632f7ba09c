/**
 * What the transparency log's tree commits to for each ledger entry (docs/transparency.md §2).
 *
 * A leaf is the canonical JSON (RFC 8785) of the entry's header — seq, at, actor, party, type,
 * subject — and of `payload_sha256`, a salted hash of its payload, not of the payload itself:
 *
 *     payload_sha256 = hex(SHA-256(salt || "\n" || canonical JSON of the payload))
 *     leaf data      = canonical JSON of {seq, at, actor, party, type, subject, payload_sha256}
 *     leaf hash      = SHA-256(0x00 || leaf data)                      (RFC 9162 §2.1.1)
 *
 * So a receipt proves an entry's place in the log to anyone while showing its payload (a hidden
 * declaration's geometry, a reply) only to those who may see it: the others get the hash. The
 * salt is 16 random bytes per entry, kept beside the entry and handed out with the payload only:
 * without it a payload drawn from a small domain (a site typed to 10 m in a known district) could
 * be found by hashing every candidate. Entries written before the salt existed have the empty
 * salt; docs/transparency.md says what that leaves open.
 *
 * No platform dependency: the console and `deconflict verify` recompute leaves with this code.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { canonicalJson } from './canonical.ts';
import { leafHash } from './merkle.ts';

/** The header of an entry: everything but the payload, which the leaf commits to by hash. */
export interface EntryHeader {
  readonly seq: number;
  readonly at: number;
  readonly actor: string | null;
  readonly party: string | null;
  readonly type: string;
  readonly subject: string;
}

/**
 * hex(SHA-256(salt || "\n" || canonical payload)): the payload's commitment in the leaf.
 * `canonicalPayload`, when given, must be canonicalJson(payload) (the store has it at hand).
 */
export function payloadHash(payload: unknown, salt: string, canonicalPayload?: string): string {
  return bytesToHex(sha256(utf8ToBytes(`${salt}\n${canonicalPayload ?? canonicalJson(payload)}`)));
}

/** The bytes a leaf hashes: the canonical JSON of the header and the payload's commitment. */
export function leafData(header: EntryHeader, payloadSha256: string): Uint8Array {
  return utf8ToBytes(
    canonicalJson({
      seq: header.seq,
      at: header.at,
      actor: header.actor,
      party: header.party,
      type: header.type,
      subject: header.subject,
      payload_sha256: payloadSha256,
    }),
  );
}

/** The leaf hash of an entry whose payload is known. */
export function entryLeaf(
  e: EntryHeader & { readonly payload: unknown; readonly salt: string },
  canonicalPayload?: string,
): Uint8Array {
  return leafHash(leafData(e, payloadHash(e.payload, e.salt, canonicalPayload)));
}
