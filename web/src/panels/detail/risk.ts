/**
 * Accepting a conflict's risk (POST /api/v1/conflicts/{id}/resolve, resolution "risk_accepted"):
 * the party says, with a reason, that it goes ahead knowing. The conflict is resolved once every
 * party involved accepted. What a party accepts is what it may later be held to, so the request is
 * signed when the member's key is unlocked (the statement carries the reason exactly as sent).
 */
import { errorText } from '../../api.ts';
import { h } from '../../dom.ts';
import { postSigned } from '../../ledger/sign.ts';
import { canAcknowledge } from '../../roles.ts';
import { emit, state } from '../../store.ts';
import type { ConflictView } from '../../wire.ts';

/** Reasons being typed, errors and requests under way, by conflict id (kept across redraws). */
const drafts = new Map<string, string>();
const errors = new Map<string, string>();
const busy = new Set<string>();

/** Whether this party may still accept the conflict's risk. */
function mayAccept(c: ConflictView): boolean {
  const me = state.me?.party;
  const involved = c.a.party === me || c.b.party === me;
  return c.status === 'open' && involved && canAcknowledge() && !c.acceptances.some((a) => a.party === me);
}

/** The reason field and "Accept risk", or nothing when this party may not (or did). */
export function riskRow(c: ConflictView): HTMLElement | null {
  if (!mayAccept(c)) return null;
  const working = busy.has(c.id);
  const reason = h('input', {
    name: 'risk-reason',
    placeholder: 'Why the risk is accepted (required)',
    autocomplete: 'off',
    maxlength: '2000',
    value: drafts.get(c.id) ?? '',
    disabled: working,
    oninput: () => drafts.set(c.id, reason.value),
    onkeydown: (e: KeyboardEvent) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        void accept(c);
      }
    },
  });
  const error = errors.get(c.id);
  return h(
    'div.dt-risk',
    null,
    h(
      'div.ack-row',
      null,
      reason,
      h(
        'button',
        {
          type: 'button',
          dataset: { action: 'accept-risk' },
          disabled: working,
          title: 'Accept the risk for your party: resolved once every party involved accepted',
          onclick: () => void accept(c),
        },
        working ? 'Accepting…' : 'Accept risk',
      ),
    ),
    error ? h('div.error', { role: 'alert' }, error) : null,
  );
}

/** Accept the risk with the reason typed; the hub's answer replaces the conflict held. */
async function accept(c: ConflictView): Promise<void> {
  const reason = (drafts.get(c.id) ?? '').trim();
  if (busy.has(c.id)) return;
  // Leave the field: the Detail panel does not redraw under typing, and must show what follows.
  (document.activeElement as HTMLElement | null)?.blur();
  if (reason === '') {
    errors.set(c.id, 'Give the reason the risk is accepted.');
    return emit('conflicts');
  }
  busy.add(c.id);
  errors.delete(c.id);
  emit('conflicts');
  try {
    const r = await postSigned<ConflictView>(
      `/conflicts/${encodeURIComponent(c.id)}/resolve`,
      { resolution: 'risk_accepted', reason },
      'risk.accept',
      c.id,
      { reason },
    );
    state.conflicts.set(r.id, r);
    drafts.delete(c.id);
  } catch (err) {
    errors.set(c.id, errorText(err));
  } finally {
    busy.delete(c.id);
  }
  emit('conflicts');
}
