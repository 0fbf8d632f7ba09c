/**
 * The record in the Keys & record panel: how far this console verified the hub's log and when,
 * the latest checkpoint a party cosigned (published), this console's own cosignature, and the
 * keys registered for the member (each with the receipt of its registration).
 */
import { errorText } from '../../api.ts';
import { h, mount } from '../../dom.ts';
import { dtg } from '../../format.ts';
import { keyStatus, ledger, revokeKey } from '../../ledger/state.ts';
import { receiptLink, recordSentence } from '../../ledger/view.ts';
import { checkLog, evidenceOf } from '../../ledger/witness.ts';

/** Draw the witness's state. */
export function drawLog(el: HTMLElement): void {
  const v = ledger.verdict;
  const caught = ledger.origin === null ? null : evidenceOf(ledger.origin);
  const published = ledger.log?.published ?? null;
  mount(
    el,
    h('h3', null, 'The record'),
    h(
      'p.rk-record',
      {
        'data-testid': 'record-line',
        class: caught || v?.ok === false ? 'rk-failed' : v?.ok ? 'rk-verified' : '',
      },
      recordSentence(),
    ),
    caught
      ? h(
          'p.error',
          null,
          `Caught ${dtg(caught.caught_at)}: ${caught.message}. This console cosigns nothing from this hub while the evidence is kept.`,
        )
      : null,
    ledger.originChanged
      ? h(
          'p.warn',
          null,
          `This hub’s log is new to this browser (origin ${ledger.originChanged.to}, before ${ledger.originChanged.from}): its history is checked from now on only.`,
        )
      : null,
    ledger.origin ? h('div.dim', null, 'Log ', h('span.mono', null, ledger.origin)) : null,
    published
      ? h(
          'div.dim',
          { 'data-testid': 'record-published' },
          `Published up to entry ${published.size}, cosigned by `,
          published.cosigned_by.map((c) => `${c.party} (${c.username})`).join(', ') || '—',
        )
      : h('div.dim', null, 'No checkpoint cosigned by a party yet: the hub’s word only.'),
    cosignLine(),
    ledger.refused ? h('p.warn', { role: 'status' }, `Last signature not taken: ${ledger.refused}`) : null,
    h(
      'button',
      { type: 'button', dataset: { action: 'check-record' }, onclick: () => void checkLog() },
      'Check now',
    ),
  );
}

/** Whether this console cosigns, and the last it cosigned. */
function cosignLine(): HTMLElement {
  const c = ledger.cosigned;
  if (ledger.cosignError) return h('p.error', null, `Cosignature refused: ${ledger.cosignError}`);
  if (keyStatus() !== 'signing')
    return h('div.dim', null, 'Unlock a registered key to cosign what this console verifies.');
  return h(
    'div.dim',
    { 'data-testid': 'record-cosigned' },
    c ? `Cosigned entry ${c.size} with key ${c.key}.` : 'Not cosigned yet.',
  );
}

/** Why the last revocation failed, shown under the list. */
let revokeError = '';

/** Revoke a key once confirmed; the list redraws from the hub's answer. */
function revoke(el: HTMLElement, id: string): void {
  if (!window.confirm(`Revoke key ${id}? It will sign nothing more; this cannot be undone.`)) return;
  revokeError = '';
  revokeKey(id).catch((err) => {
    revokeError = `Key ${id} not revoked: ${errorText(err)}`;
    drawKeys(el);
  });
}

/** The keys the hub shows this member (a party admin: the party's), each active one revocable. */
export function drawKeys(el: HTMLElement): void {
  const keys = ledger.keys;
  mount(
    el,
    h('h3', null, 'Registered keys'),
    revokeError ? h('div.error', { role: 'alert' }, revokeError) : null,
    keys === null
      ? h('div.dim', null, 'Reading…')
      : keys.length === 0
        ? h('div.dim', null, 'None registered.')
        : h(
            'ul.rk-keys',
            null,
            keys.map((k) =>
              h(
                'li',
                { dataset: { keyId: k.id }, class: k.revoked_at ? 'revoked' : 'active' },
                h('span.mono', null, k.id),
                ` ${k.username} · ${k.label} · registered ${dtg(k.created_at)}`,
                k.revoked_at ? h('span.warn', null, ` · revoked ${dtg(k.revoked_at)}`) : '',
                ' · ',
                receiptLink(k.entry),
                k.revoked_at
                  ? null
                  : [
                      ' ',
                      h(
                        'button.rk-revoke',
                        {
                          type: 'button',
                          dataset: { action: 'revoke-key', keyId: k.id },
                          onclick: () => revoke(el, k.id),
                        },
                        'Revoke…',
                      ),
                    ],
              ),
            ),
          ),
  );
}
