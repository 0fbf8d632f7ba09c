/**
 * Checking what a party signed (docs/transparency.md §4). A request that carries `signed` must
 * carry a statement that says exactly what the request does — this hub, this act on this record,
 * by the caller, with the same reply, reason or sequence number — signed within ten minutes of the
 * hub's clock by one of the caller's registered, unrevoked keys. Anything else is refused with
 * `bad_signature` and changes nothing: a signature the hub recorded must mean what the request
 * meant, or a party could later disown it ("I signed something else").
 *
 * The hub verifies; it holds no member's private key and so cannot make such a signature.
 */

import { parseIsoUtc } from '../engine/time.ts';
import type { Signed, Statement } from '../ledger/statement.ts';
import { verifyStatement } from '../ledger/statement.ts';
import type { Tx } from '../store/ports.ts';
import { fail, type Principal } from './access.ts';

/** How far a statement's `at` may be from the hub's clock. */
export const SIGNATURE_SKEW_MS = 10 * 60_000;

/** The meta key of the log's origin (made with the first log key; transparency.ts). */
export const ORIGIN_KEY = 'log_origin';

/**
 * What the request does, which the statement must say: the statement's act, subject and what
 * was said (not who, where or when: those are checked against the caller, the hub and the clock).
 */
export type Expected = Omit<Statement, 'v' | 'origin' | 'by' | 'party' | 'at' | 'effective'> & {
  /** An instant (epoch ms): the statement's ISO text must name the same one. */
  readonly effective?: number;
};

/** A verified signature, as acknowledgements record it. */
export interface Verified {
  readonly signed: Signed;
  readonly key: string;
}

const refuse = (why: string): never => fail('bad_signature', `signed: ${why}`, 'signed');

function sameStatement(s: Signed['statement'], e: Expected): string | null {
  if (s.act !== e.act) return `act is "${s.act}", this request is "${e.act}"`;
  if (s.subject !== e.subject) return `subject is "${s.subject}", this request is about "${e.subject}"`;
  if ('reply' in e && (s.reply ?? null) !== (e.reply ?? null)) return 'reply differs from the reply sent';
  if ('reason' in e && s.reason !== e.reason) return 'reason differs from the reason sent';
  if ('up_to' in e && s.up_to !== e.up_to) return 'up_to differs from the seq sent';
  if ('public_key' in e && s.public_key !== e.public_key) return 'public_key is not the key registered';
  if ('version' in e && s.version !== e.version) return 'version differs from the version sent';
  if ('content_sha256' in e && s.content_sha256 !== e.content_sha256)
    return 'content_sha256 differs from the hash sent';
  if ('effective' in e && (typeof s.effective !== 'string' || parseIsoUtc(s.effective) !== e.effective))
    return 'effective differs from the time sent';
  for (const field of [
    'reply',
    'reason',
    'up_to',
    'public_key',
    'version',
    'content_sha256',
    'effective',
  ] as const)
    if (field in s && s[field] !== undefined && !(field in e)) return `${field} does not belong to ${e.act}`;
  return null;
}

/**
 * Check a statement's content against the request and the caller, then its signature with `publicKey`.
 * `publicKey` is the registered key (or, for `key.register`, the key being registered).
 */
export function checkStatement(
  origin: string,
  p: Principal,
  signed: Signed,
  expected: Expected,
  now: number,
  publicKey: string,
): void {
  const s = signed.statement;
  if (s.origin !== origin) refuse(`origin "${s.origin}" is not this hub's ("${origin}")`);
  if (s.by !== p.username) refuse(`by "${s.by}" is not the caller`);
  if (s.party !== p.party) refuse(`party "${s.party}" is not the caller's`);
  const mismatch = sameStatement(s, expected);
  if (mismatch !== null) refuse(mismatch);
  const at = Date.parse(s.at);
  if (!Number.isFinite(at) || Math.abs(at - now) > SIGNATURE_SKEW_MS)
    refuse(`at ${s.at} is more than ${SIGNATURE_SKEW_MS / 60_000} minutes from the hub's clock`);
  if (!verifyStatement(signed, publicKey)) refuse(`the signature does not verify with key ${signed.key}`);
}

/**
 * Verify `signed` (when given) for a request: its key must be the caller's, registered and not
 * revoked. Resolves to null for an unsigned request (the hub's word is then the only record).
 */
export async function verifySigned(
  tx: Tx,
  p: Principal,
  signed: Signed | undefined,
  expected: Expected,
  now: number,
): Promise<Verified | null> {
  if (signed === undefined) return null;
  const key = await tx.memberKeys.get(signed.key);
  if (!key || key.username !== p.username) refuse(`key ${signed.key} is not a registered key of yours`);
  if (key?.revoked_at !== null) refuse(`key ${signed.key} was revoked`);
  const origin = (await tx.meta.get(ORIGIN_KEY)) ?? '';
  checkStatement(origin, p, signed, expected, now, (key as { public_key: string }).public_key);
  return { signed, key: signed.key };
}

/**
 * Verify `signed` for a request that is never taken on the hub's word (signing or withdrawing an
 * agreement): absent, it is refused (`bad_signature`, naming `what`).
 */
export async function requireSigned(
  tx: Tx,
  p: Principal,
  signed: Signed | undefined,
  expected: Expected,
  now: number,
  what: string,
): Promise<Verified> {
  if (signed === undefined) refuse(`${what} is signed with a key`);
  return (await verifySigned(tx, p, signed, expected, now)) as Verified;
}
