/**
 * Signed statements (docs/transparency.md §4): what a party says that others must be able to hold
 * it to — acknowledging an alert or a notification, acknowledging or reading a hotline message,
 * accepting a risk, registering a key, signing or withdrawing from an agreement — signed on the party's side with a member's Ed25519 key
 * over the canonical bytes of exactly what it says. The hub checks the signature and that the
 * statement says what the request does, records both in the ledger, and can make no such
 * signature itself: it never holds a member's private key.
 *
 *     signed bytes = "deconflict statement v1\n" || canonical JSON of the statement   (UTF-8)
 *
 * The prefix separates these signatures from any other use of the same key (a witness's
 * cosignature is a C2SP note signature, a different message). Ed25519 is @noble/curves' (RFC 8032,
 * audited); the console, the CLI and the hub all sign and verify with this module.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { canonicalJson } from './canonical.ts';
import { fromBase64, toBase64 } from './note.ts';

export const STATEMENT_PREFIX = 'deconflict statement v1\n';

/** The acts a party signs, and the request each one stands for. */
export const ACTS = [
  'alert.acknowledge',
  'message.acknowledge',
  'message.read',
  'risk.accept',
  'key.register',
  'agreement.sign',
  'agreement.withdraw',
] as const;
export type Act = (typeof ACTS)[number];

/**
 * A statement: which hub (its log's origin), which act on which record, by whom, when (signed),
 * and what was said. `at` is the signer's clock (ISO 8601 UTC); the hub refuses a statement
 * whose `at` is far from its own, so a signature cannot be held back and replayed later.
 */
export interface Statement {
  readonly v: 1;
  readonly origin: string;
  readonly act: Act;
  readonly subject: string;
  readonly by: string;
  readonly party: string;
  readonly at: string;
  /** alert.acknowledge, message.acknowledge: the reply, or null. */
  readonly reply?: string | null;
  /** risk.accept: the reason. */
  readonly reason?: string;
  /** message.read: read up to this sequence number. */
  readonly up_to?: number;
  /** key.register: the key's public half (base64), proving its holder registers it. */
  readonly public_key?: string;
  /** agreement.sign, agreement.withdraw: the agreement's version signed or withdrawn. */
  readonly version?: number;
  /** agreement.sign: hex SHA-256 of the version's canonical text (docs/agreements.md §2). */
  readonly content_sha256?: string;
  /** agreement.withdraw: from when the agreement no longer binds (ISO 8601 UTC). */
  readonly effective?: string;
}

/** A statement with its signature, as requests carry it and the ledger keeps it. */
export interface Signed {
  readonly statement: Statement;
  /** The id of the member key that signed (see {@link keyId}). */
  readonly key: string;
  /** Base64 Ed25519 signature over {@link statementBytes}. */
  readonly signature: string;
}

/** The bytes a statement's signature covers. */
export function statementBytes(s: Statement): Uint8Array {
  return utf8ToBytes(STATEMENT_PREFIX + canonicalJson(s));
}

/** A member key's id: the first 8 bytes of SHA-256 of its public half, hex (16 characters). */
export function keyId(publicKey: Uint8Array): string {
  return bytesToHex(sha256(publicKey).slice(0, 8));
}

/** Sign a statement with a 32-byte Ed25519 private key (seed). */
export function signStatement(statement: Statement, privateKey: Uint8Array): Signed {
  const pub = ed25519.getPublicKey(privateKey);
  return {
    statement,
    key: keyId(pub),
    signature: toBase64(ed25519.sign(statementBytes(statement), privateKey)),
  };
}

/** Whether `signed.signature` is the signature of `signed.statement` by `publicKey` (base64). */
export function verifyStatement(signed: Signed, publicKey: string): boolean {
  const pub = fromBase64(publicKey);
  const sig = fromBase64(signed.signature);
  if (pub === null || pub.length !== 32 || sig === null || sig.length !== 64) return false;
  if (keyId(pub) !== signed.key) return false;
  try {
    return ed25519.verify(sig, statementBytes(signed.statement), pub);
  } catch {
    return false; // a malformed point: not a signature
  }
}

/** A new member key from the platform's CSPRNG: private seed and public half, both base64. */
export function newMemberKey(): { privateKey: string; publicKey: string; id: string } {
  const seed = ed25519.utils.randomSecretKey();
  const pub = ed25519.getPublicKey(seed);
  return { privateKey: toBase64(seed), publicKey: toBase64(pub), id: keyId(pub) };
}

/** The public half (base64) of a private key (base64 seed), or null when it is not one. */
export function publicKeyOf(privateKey: string): string | null {
  const seed = fromBase64(privateKey);
  if (seed === null || seed.length !== 32) return null;
  return toBase64(ed25519.getPublicKey(seed));
}

/** The C2SP note key name of a member key, when it cosigns a checkpoint as a witness. */
export function witnessKeyName(id: string): string {
  return `member-${id}`;
}
