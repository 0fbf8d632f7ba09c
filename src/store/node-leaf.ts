/**
 * An entry's leaf hash (hex) as src/ledger/leaf.ts defines it, hashed with node:crypto: on the
 * write path, where it runs for every entry, about twice as fast as the platform-free SHA-256
 * leaf.ts uses for the browser (a test checks the two agree: test/ledger.hub.test.ts). The
 * store adapters compute it when an entry is appended.
 */
import { createHash } from 'node:crypto';
import { type EntryHeader, leafData } from '../ledger/leaf.ts';

const LEAF_PREFIX = Buffer.of(0x00);

/** The leaf of an entry whose payload's canonical JSON is `canonicalPayload`, salted by `salt`. */
export function nodeLeaf(header: EntryHeader, salt: string, canonicalPayload: string): string {
  const payloadSha = createHash('sha256').update(salt).update('\n').update(canonicalPayload).digest('hex');
  return createHash('sha256').update(LEAF_PREFIX).update(leafData(header, payloadSha)).digest('hex');
}
