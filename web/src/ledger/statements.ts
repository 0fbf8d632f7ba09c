/**
 * The statements the console signs for the member (docs/transparency.md §4): exactly what the
 * request says, and nothing the request does not. The hub refuses a statement whose act, subject,
 * reply, reason or read mark differs from the request's, so each is built here from the same
 * values the request body is built from. No DOM: runs under Node for the tests.
 */

import { toBase64 } from '../../../src/ledger/note.ts';
import { type Act, type Signed, type Statement, signStatement } from '../../../src/ledger/statement.ts';

/** What an act says besides its subject. */
export type Says =
  | { readonly reply: string | null }
  | { readonly reason: string }
  | { readonly up_to: number }
  | { readonly public_key: string }
  | { readonly version: number; readonly content_sha256: string }
  | { readonly version: number; readonly effective: string };

/** Who signs, for which hub. */
export interface Signer {
  readonly origin: string;
  readonly username: string;
  readonly party: string;
  /** The key's 32-byte private seed. */
  readonly seed: Uint8Array;
}

/** The statement of `act` on `subject`, signed now by `signer`. */
export function signAct(signer: Signer, act: Act, subject: string, says: Says, now = new Date()): Signed {
  const statement: Statement = {
    v: 1,
    origin: signer.origin,
    act,
    subject,
    by: signer.username,
    party: signer.party,
    at: now.toISOString(),
    ...says,
  };
  return signStatement(statement, signer.seed);
}

/**
 * An acknowledgement's body and its statement from the reply as typed: the reply trimmed, left
 * out of the body when empty and then null in the statement — the statement says what was sent.
 */
export function replyOf(typed: string): { body: { reply?: string }; says: { reply: string | null } } {
  const reply = typed.trim();
  return reply === '' ? { body: {}, says: { reply: null } } : { body: { reply }, says: { reply } };
}

/** The key.register statement: proof that the caller holds the key it registers. */
export function registration(signer: Signer, publicKey: Uint8Array, id: string, now = new Date()): Signed {
  return signAct(signer, 'key.register', id, { public_key: toBase64(publicKey) }, now);
}
