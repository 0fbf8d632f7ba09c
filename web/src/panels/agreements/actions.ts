/**
 * What the Agreements panel asks of the hub (docs/agreements.md §4): save a draft (POST, or PUT
 * when editing), propose it, counter a proposal with a new version, sign the current version's
 * content hash, withdraw with effect from a time. Signing and withdrawing are statements signed
 * with the member's unlocked key (ledger/sign.ts): never sent unsigned.
 */

import { loadAgreement, loadAgreements } from '../../agreements.ts';
import { api } from '../../api.ts';
import { dtg } from '../../format.ts';
import { postSignedOnly } from '../../ledger/sign.ts';
import type { AgreementView } from '../../wire.ts';
import { type AgreementBody, isoOf, type Purpose } from './draft.ts';
import { nextMinute } from './withdraw.ts';

const path = (id: string, tail = ''): string => `/agreements/${encodeURIComponent(id)}${tail}`;

/** Save the text: a new draft, the draft edited, or a counter-proposal. Returns the agreement. */
export async function saveText(purpose: Purpose, body: AgreementBody): Promise<AgreementView> {
  const a =
    purpose.mode === 'new'
      ? await api<AgreementView>('POST', '/agreements', body)
      : purpose.mode === 'edit'
        ? await api<AgreementView>('PUT', path(purpose.id), body)
        : await api<AgreementView>('POST', path(purpose.id, '/counter'), {
            ...body,
            version: purpose.version,
          });
  await loadAgreements();
  return a;
}

/** Draft → proposed. */
export async function propose(a: AgreementView): Promise<string> {
  await api('POST', path(a.id, '/propose'));
  const now = await loadAgreement(a.id);
  return `Proposed to ${a.agreement.parties.join(', ')}: v${now.version}, sha-256 ${now.content_sha256?.slice(0, 12) ?? '—'}.`;
}

/** Sign the current version's content hash with the member's key, once confirmed. */
export async function sign(a: AgreementView): Promise<string | null> {
  const hash = a.content_sha256;
  if (!hash) throw new Error('this version has no content hash yet');
  const ask = `Sign version ${a.version} of “${a.agreement.name}” for your party?\n\nContent SHA-256: ${hash}\nParties: ${a.agreement.parties.join(', ')}\n\nYour signature binds your party to exactly this text.`;
  if (!window.confirm(ask)) return null;
  const says = { version: a.version, content_sha256: hash };
  await postSignedOnly(path(a.id, '/sign'), says, 'agreement.sign', a.id, says);
  const now = await loadAgreement(a.id);
  return `Signed v${a.version}${now.status === 'in_force' ? ': the agreement is in force' : now.status === 'signed' ? ': every signatory has signed; in force from its start' : ''}.`;
}

/** Withdraw with effect from the time typed (empty: the next minute), signed. */
export async function withdraw(a: AgreementView, typed: string, reason: string): Promise<string | null> {
  if (reason.trim() === '')
    throw new Error('Give the reason: it is recorded and signed with the withdrawal.');
  const r = isoOf(typed);
  if (r.error !== undefined) throw new Error(`Effective: ${r.error}`);
  const effective = r.iso ?? new Date(nextMinute()).toISOString().replace('.000Z', 'Z');
  if (Date.parse(effective) < Date.now())
    throw new Error('A withdrawal takes effect now or later, never in the past.');
  const ask = `Withdraw your party from “${a.agreement.name}” with effect from ${dtg(effective)}?\n\nIt binds until then, and no longer. This is signed and recorded.`;
  if (!window.confirm(ask)) return null;
  const text = reason.trim();
  await postSignedOnly(path(a.id, '/withdraw'), { effective, reason: text }, 'agreement.withdraw', a.id, {
    version: a.version,
    effective,
  });
  await loadAgreement(a.id);
  return `Withdrawal signed, effective ${dtg(effective)}.`;
}
