/**
 * Requests that carry what the party says, signed when the member's key is unlocked
 * (docs/transparency.md §4): acknowledging an alert or a message, marking a channel read,
 * accepting a risk. Without a signing key the request goes unsigned, as before: the hub's word is
 * then the only record, and the console shows "unsigned".
 *
 * An acknowledgement is what a deadline waits for: it must never be lost to the signing. So when
 * the hub refuses the signature (`bad_signature`: the key was revoked elsewhere, this computer's
 * clock is more than 10 minutes off), the request is sent again unsigned at once, and the refusal
 * is shown in the Keys & record panel; the acknowledgement then reads "unsigned" like any other.
 */

import type { Act } from '../../../src/ledger/statement.ts';
import { ApiError, api } from '../api.ts';
import { state } from '../store.ts';
import { changed, ledger, loadKeys, logOrigin, signingKey } from './state.ts';
import { type Says, signAct } from './statements.ts';

/** The `signed` member for a request body, or nothing (no key unlocked, the log not reachable). */
async function signature(
  act: Act,
  subject: string,
  says: Says,
): Promise<{ signed?: ReturnType<typeof signAct> }> {
  const key = signingKey();
  const me = state.me;
  if (!key || !me) return {};
  const origin = await logOrigin();
  if (origin === null) {
    ledger.refused = 'the hub did not say which log it keeps: sent unsigned';
    changed();
    return {};
  }
  return {
    signed: signAct({ origin, username: me.username, party: me.party, seed: key.seed }, act, subject, says),
  };
}

/**
 * POST `body` to `path` with the statement of `act` on `subject` signed when a key may sign; sent
 * again unsigned if the hub refuses the signature.
 */
export async function postSigned<T>(
  path: string,
  body: Record<string, unknown>,
  act: Act,
  subject: string,
  says: Says,
): Promise<T> {
  const signed = await signature(act, subject, says);
  if (!signed.signed) return api<T>('POST', path, body);
  try {
    const answer = await api<T>('POST', path, { ...body, ...signed });
    if (ledger.refused !== null) {
      ledger.refused = null;
      changed();
    }
    return answer;
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 'bad_signature') throw err;
    ledger.refused = `the hub refused the signature (${err.message}): sent unsigned`;
    changed();
    // The key may have been revoked from another console: read the keys again.
    void loadKeys().catch(() => undefined);
    return api<T>('POST', path, body);
  }
}

/** Why a signature is needed and none can be given (shown to the member). */
export const KEY_NEEDED =
  'A signing key is needed: unlock your registered key in Keys & record (6), or generate and register one there. An agreement is never signed without it.';

/**
 * POST `body` to `path` with the statement of `act` on `subject` signed, or refuse: what can only
 * be signed (an agreement's signature, its withdrawal) is never sent unsigned, and a signature
 * the hub refuses is the member's to see, not to be retried without it.
 */
export async function postSignedOnly<T>(
  path: string,
  body: Record<string, unknown>,
  act: Act,
  subject: string,
  says: Says,
): Promise<T> {
  if (!signingKey()) throw new Error(KEY_NEEDED);
  const signed = await signature(act, subject, says);
  if (!signed.signed) throw new Error('the hub did not say which log it keeps: not signed, nothing sent');
  try {
    return await api<T>('POST', path, { ...body, ...signed });
  } catch (err) {
    if (err instanceof ApiError && err.code === 'bad_signature') void loadKeys().catch(() => undefined);
    throw err;
  }
}
