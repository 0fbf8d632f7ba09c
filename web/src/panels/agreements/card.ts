/**
 * One agreement in the Agreements panel: its name, status, signatories, window (Zulu DTGs),
 * version and content hash; its terms; every signatory's signature of the current version
 * ("signed by <member> key <id> at <DTG>" with the receipt of its ledger entry, or "awaiting");
 * a withdrawal; and what this member may do with it now.
 */
import { STATUS_LABEL, type Status, termLabel } from '../../agreements.ts';
import { h } from '../../dom.ts';
import { distance, dtg, dtgWindow } from '../../format.ts';
import { receiptLink } from '../../ledger/view.ts';
import { canDeclare, canSignAgreements } from '../../roles.ts';
import { openTab } from '../../shell.ts';
import type { AgreementView, SignatureView, TermFeature } from '../../wire.ts';
import type { Ag, CardAction } from './state.ts';
import { withdrawForm } from './withdraw.ts';

/** The card of one agreement. */
export function agreementCard(ag: Ag, a: AgreementView): HTMLElement {
  const err = ag.cardErrors.get(a.id);
  const said = ag.cardMessages.get(a.id);
  return h(
    'article.ag-card',
    {
      class: a.id === ag.focused ? 'focused' : '',
      dataset: { agreementId: a.id, status: a.status, version: String(a.version) },
    },
    h(
      'header.ag-head',
      null,
      h('b.ag-name', null, a.agreement.name),
      h('span.ag-status', { class: `ag-st-${a.status}` }, STATUS_LABEL[a.status as Status] ?? a.status),
    ),
    factsOf(a),
    termsOf(a),
    a.status === 'draft' ? null : signaturesOf(a),
    withdrawalOf(a),
    actionsOf(ag, a),
    ag.withdrawing === a.id ? withdrawForm(ag, a) : null,
    said ? h('div.ag-said', { role: 'status' }, said) : null,
    err ? h('div.error.ag-error', { role: 'alert' }, err, keyLink(err)) : null,
  );
}

/** Parties, window, version and content hash. */
function factsOf(a: AgreementView): HTMLElement {
  const hash = a.content_sha256;
  return h(
    'div.ag-facts',
    null,
    h('div', null, h('span.k', null, 'parties'), a.agreement.parties.join(', ')),
    h(
      'div',
      null,
      h('span.k', null, 'window'),
      h('span.mono', null, dtgWindow(a.agreement.start, a.agreement.end)),
    ),
    h(
      'div',
      null,
      h('span.k', null, 'version'),
      `v${a.version}`,
      hash
        ? [' · sha-256 ', h('span.mono.ag-hash', { title: hash, dataset: { hash } }, hash.slice(0, 12))]
        : h('span.dim', null, ' · not yet hashed (a draft)'),
      a.drafter ? h('span.dim', null, ` · drafted by ${a.drafter}`) : null,
    ),
  );
}

/** The terms, one line each: kind, label, window, width, whom it binds. */
function termsOf(a: AgreementView): HTMLElement {
  return h(
    'ul.ag-terms',
    null,
    a.agreement.terms.features.map((t) =>
      h('li', { dataset: { termId: t.properties.id, term: t.properties.term } }, termLine(a, t)),
    ),
  );
}

/** One term in words. */
function termLine(a: AgreementView, t: TermFeature): (string | HTMLElement)[] {
  const p = t.properties;
  const parts: (string | HTMLElement)[] = [h('b', null, termLabel(p.term)), p.label ? ` “${p.label}”` : ''];
  parts.push(
    h('span.mono.dim', null, ` ${dtgWindow(p.start ?? a.agreement.start, p.end ?? a.agreement.end)}`),
  );
  if (p.buffer_m) parts.push(` · ${p.term === 'corridor' ? 'half-width' : 'buffer'} ${distance(p.buffer_m)}`);
  if (p.term === 'permission')
    parts.push(
      ` · ${p.rule ?? 'incursion'} lifted${p.of ? ` into ${p.of}’s area` : ''}${p.within ? ` within ${p.within}` : ''}`,
    );
  if (p.parties?.length) parts.push(h('span.dim', null, ` · ${p.parties.join(', ')}`));
  return parts;
}

/** The current version's signature of a party, if it gave one. */
export function signatureOf(a: AgreementView, party: string): SignatureView | null {
  return a.signatures.find((s) => s.party === party && s.version === a.version) ?? null;
}

/** Every signatory: signed by whom, with which key, when, and its receipt — or awaiting. */
function signaturesOf(a: AgreementView): HTMLElement {
  return h(
    'ul.ag-signatures',
    null,
    a.agreement.parties.map((party) => {
      const s = signatureOf(a, party);
      return h(
        'li',
        { class: s ? 'signed' : 'awaiting', dataset: { party, signed: s ? 'true' : 'false' } },
        h('b', null, party),
        s
          ? [
              ' ',
              h(
                'span.ag-signed-by',
                { title: `version ${s.version} signed with key ${s.key} (ledger entry ${s.entry})` },
                `signed by ${s.username} key ${s.key} at ${dtg(s.at)}`,
              ),
              ' · ',
              receiptLink(s.entry),
            ]
          : h('span.ag-awaiting', null, ' awaiting'),
      );
    }),
  );
}

/** A withdrawal: by whom, from when, why, its receipt. */
function withdrawalOf(a: AgreementView): HTMLElement | null {
  const w = a.withdrawal;
  if (!w) return null;
  return h(
    'div.ag-withdrawal',
    null,
    `Withdrawn by ${w.party} (${w.username} key ${w.key}) with effect from `,
    h('span.mono', null, dtg(w.effective)),
    w.reason ? `: ${w.reason}` : '',
    ' · ',
    receiptLink(w.entry),
  );
}

/** The buttons this member may use on this agreement now. */
function actionsOf(ag: Ag, a: AgreementView): HTMLElement {
  const me = ag.party;
  const signatory = a.agreement.parties.includes(me);
  const live = a.status === 'signed' || a.status === 'in_force';
  const button = (action: CardAction, text: string, primary = false, title = '') =>
    h(
      primary ? 'button.primary' : 'button',
      {
        type: 'button',
        dataset: { action: `agreement-${action}` },
        disabled: ag.busy !== null,
        title,
        onclick: () => (action === 'withdraw' ? ag.toggleWithdraw(a.id) : ag.act(a, action)),
      },
      ag.busy === `${action}:${a.id}` ? `${text}…` : text,
    );
  const mine = a.drafter === me;
  const signed = signatureOf(a, me) !== null;
  return h(
    'div.ag-actions',
    null,
    a.agreement.terms.features.some((t) => t.geometry) ? button('show', 'Show on map') : null,
    a.status === 'draft' && mine && canDeclare()
      ? [button('edit', 'Edit'), button('propose', 'Propose', true)]
      : null,
    a.status === 'proposed' && signatory && canSignAgreements() && !signed
      ? button('sign', `Sign v${a.version}`, true, 'Sign the content hash of this version with your key')
      : null,
    a.status === 'proposed' && signatory && (canDeclare() || canSignAgreements())
      ? button('counter', 'Counter…', false, 'Propose a changed text: a new version')
      : null,
    live && signatory && canSignAgreements() && !a.withdrawal ? button('withdraw', 'Withdraw…') : null,
  );
}

/** When the error is that a key is needed: the way to the Keys & record panel. */
function keyLink(err: string): HTMLElement | null {
  if (!/signing key is needed/.test(err)) return null;
  return h(
    'div',
    null,
    h(
      'button',
      { type: 'button', dataset: { action: 'open-record' }, onclick: () => openTab('record') },
      'Open Keys & record',
    ),
  );
}
