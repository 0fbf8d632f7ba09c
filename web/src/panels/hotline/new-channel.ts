/** Opening a channel (party admins): its name and the other parties invited to it. */
import { api, errorText } from '../../api.ts';
import { h, mount } from '../../dom.ts';
import { isPartyAdmin } from '../../roles.ts';
import { putChannel, state } from '../../store.ts';
import type { ChannelView } from '../../wire.ts';

/** The form, and how to redraw it (the parties to invite, hidden for anyone but an admin). */
export interface NewChannel {
  readonly form: HTMLElement;
  draw(): void;
}

/** The new-channel form; `opened` runs with each channel it opens. */
export function newChannel(opened: (c: ChannelView) => void): NewChannel {
  const name = h('input', {
    name: 'channel-name',
    placeholder: 'New channel name',
    maxlength: '100',
    autocomplete: 'off',
  });
  const parties = h('div.party-boxes');
  const error = h('div.error', { role: 'alert' });
  let partiesShown = '';
  const submit = (e: Event) => {
    e.preventDefault();
    void openChannel(name, parties, error, opened);
  };
  const form = h(
    'form.new-channel',
    { 'data-testid': 'new-channel', onsubmit: submit },
    h(
      'div.row',
      null,
      name,
      h('button', { type: 'submit', dataset: { action: 'create-channel' } }, 'Open channel'),
    ),
    parties,
    error,
  );
  const draw = () => {
    form.hidden = !isPartyAdmin();
    const others = state.parties.filter((p) => p.id !== state.me?.party);
    const key = others.map((p) => p.id).join(',');
    if (key === partiesShown) return;
    partiesShown = key;
    mount(parties, h('span.dim', null, 'with'), others.map(partyBox));
  };
  return { form, draw };
}

/** A checkbox to invite one party. */
function partyBox(p: { id: string; name: string }): HTMLElement {
  return h(
    'label.chk',
    { title: p.name },
    h('input', { type: 'checkbox', name: 'channel-party', value: p.id }),
    p.id,
  );
}

/** Open the channel named, with the parties ticked; the form empties once the hub has it. */
async function openChannel(
  name: HTMLInputElement,
  parties: HTMLElement,
  error: HTMLElement,
  opened: (c: ChannelView) => void,
): Promise<void> {
  error.textContent = '';
  const invited = [...parties.querySelectorAll<HTMLInputElement>('input[name=channel-party]:checked')].map(
    (b) => b.value,
  );
  const problem =
    name.value.trim() === ''
      ? 'Name the channel.'
      : invited.length === 0
        ? 'Choose at least one other party.'
        : '';
  if (problem) {
    error.textContent = problem;
    return;
  }
  try {
    const c = await api<ChannelView>('POST', '/channels', { name: name.value.trim(), parties: invited });
    putChannel(c);
    name.value = '';
    for (const b of parties.querySelectorAll<HTMLInputElement>('input')) b.checked = false;
    opened(c);
  } catch (err) {
    error.textContent = errorText(err);
  }
}
