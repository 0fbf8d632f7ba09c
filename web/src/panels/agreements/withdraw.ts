/**
 * Withdrawing from an agreement: the time it takes effect (never in the past: the agreement binds
 * until then, docs/agreements.md §2) and the reason, signed with the member's key.
 */
import { h } from '../../dom.ts';
import { dtg, local } from '../../format.ts';
import type { AgreementView } from '../../wire.ts';
import { isoOf } from './draft.ts';
import type { Ag } from './state.ts';

/** The next whole minute at least a minute from now: "effective now" as the hub can take it. */
export function nextMinute(now = Date.now()): number {
  return Math.ceil((now + 60_000) / 60_000) * 60_000;
}

/** The inline form under the card. */
export function withdrawForm(ag: Ag, a: AgreementView): HTMLElement {
  const effective = h('input', {
    name: 'withdraw-effective',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'DTG or ISO; empty = the next minute',
  });
  const parsed = h('span.dcl-parsed', { 'data-testid': 'withdraw-effective-parsed' });
  const show = () => {
    const r = isoOf(effective.value);
    parsed.classList.toggle('bad', r.error !== undefined);
    const t = r.iso === null ? nextMinute() : Date.parse(r.iso);
    parsed.textContent = r.error !== undefined ? 'not a time' : `${dtg(t)} · ${local(t)} local`;
  };
  effective.addEventListener('input', show);
  show();
  const reason = h('input', {
    name: 'withdraw-reason',
    maxlength: '1000',
    placeholder: 'Reason (recorded, signed)',
  });
  const submit = (e: Event) => {
    e.preventDefault();
    ag.act(a, 'withdraw', { effective: effective.value, reason: reason.value });
  };
  return h(
    'form.ag-withdraw',
    { onsubmit: submit },
    h(
      'div.dim',
      null,
      'The agreement binds until the withdrawal takes effect, and no longer. Signed with your key.',
    ),
    h('label', null, 'Effective', effective, parsed),
    h('label', null, 'Reason', reason),
    h(
      'div.ag-actions',
      null,
      h('button', { type: 'button', onclick: () => ag.toggleWithdraw(null) }, 'Cancel'),
      h(
        'button.primary',
        { type: 'submit', dataset: { action: 'agreement-withdraw-confirm' }, disabled: ag.busy !== null },
        'Sign withdrawal',
      ),
    ),
  );
}
