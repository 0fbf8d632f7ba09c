/**
 * Members' keys and signed statements in the API tests (docs/transparency.md §4): a statement as
 * a member's client writes it, signed with the member's key, and a key registered with the
 * `key.register` statement that proves the member holds it.
 */
import assert from 'node:assert/strict';
import type { MemberKeyView } from '../../src/api/ledger.ts';
import { fromBase64 } from '../../src/ledger/note.ts';
import {
  type Act,
  newMemberKey,
  type Signed,
  type Statement,
  signStatement,
} from '../../src/ledger/statement.ts';
import { ok, type Sessions } from './hub.ts';
import { iso } from './time.ts';

export interface MemberKey {
  readonly privateKey: string;
  readonly publicKey: string;
  readonly id: string;
}

/** What `user` (`<party>.<role>`) says to the hub of `origin` at `at`. */
export function statementBy(
  origin: string,
  user: string,
  at: number,
  act: Act,
  subject: string,
  extra: Partial<Statement> = {},
): Statement {
  return {
    v: 1,
    origin,
    act,
    subject,
    by: user,
    party: user.slice(0, user.lastIndexOf('.')),
    at: iso(at),
    ...extra,
  };
}

export const signWith = (st: Statement, key: MemberKey): Signed =>
  signStatement(st, fromBase64(key.privateKey) as Uint8Array);

/** A new key of `user`, registered (201) with its proof of possession. */
export async function registerKey(
  req: Sessions['req'],
  origin: string,
  user: string,
  at: number,
  label: string,
): Promise<MemberKey> {
  const key = newMemberKey();
  const st = statementBy(origin, user, at, 'key.register', key.id, { public_key: key.publicKey });
  const view = ok<MemberKeyView>(
    await req(user, 'POST', '/api/v1/keys', { label, signed: signWith(st, key) }),
    201,
  );
  assert.equal(view.id, key.id);
  return key;
}
