/**
 * The channel list: invitations first, then the party's channels by their last message, each
 * with its members' answers and an unread count; a party admin accepts or declines invitations.
 */
import { api, errorText } from '../../api.ts';
import { h, mount } from '../../dom.ts';
import { dtg } from '../../format.ts';
import { isPartyAdmin } from '../../roles.ts';
import { setBadge } from '../../shell.ts';
import { emit, putChannel, state } from '../../store.ts';
import { loadMessages } from '../../sync.ts';
import type { ChannelView, MessageView } from '../../wire.ts';
import { unread } from './model.ts';
import type { Hotline } from './state.ts';

/** The list, its error line, and how to redraw it. */
export interface ChannelList {
  readonly el: HTMLElement;
  readonly error: HTMLElement;
  draw(): void;
}

/** The channel list of the panel; `show` opens a channel's conversation. */
export function channelList(hl: Hotline, show: (id: string) => void): ChannelList {
  const list: ChannelList = {
    el: h('div.channels', { 'data-testid': 'channels' }),
    error: h('div.error', { role: 'alert' }),
    draw: () => drawChannels(hl, list, show),
  };
  return list;
}

/** Every channel, in order; the current one chosen if none is; the tab's unread badge. */
function drawChannels(hl: Hotline, list: ChannelList, show: (id: string) => void): void {
  const order = (c: ChannelView) => (c.my_status === 'invited' ? 0 : c.my_status === 'accepted' ? 1 : 2);
  const lastAt = (c: ChannelView) => {
    const msgs = state.messages.get(c.id);
    return msgs?.length ? Date.parse((msgs[msgs.length - 1] as MessageView).at) : 0;
  };
  const sorted = [...state.channels.values()].sort(
    (x, y) => order(x) - order(y) || lastAt(y) - lastAt(x) || x.name.localeCompare(y.name),
  );
  if (hl.current === null || !state.channels.has(hl.current))
    hl.current = (sorted.find((c) => c.my_status === 'accepted') ?? sorted[0])?.id ?? null;
  const empty = isPartyAdmin()
    ? 'No channels yet: open one below.'
    : 'No channels yet (a party admin opens them).';
  mount(
    list.el,
    sorted.length === 0 ? h('div.dim', null, empty) : sorted.map((c) => channelItem(c, hl, list, show)),
  );
  let total = 0;
  for (const c of state.channels.values()) if (c.my_status === 'accepted') total += unread(c.id).length;
  setBadge('hotline', total > 0 ? String(total) : '', false);
}

/** One channel: its name, unread count, creator, members' answers, and an invitation's buttons. */
function channelItem(
  c: ChannelView,
  hl: Hotline,
  list: ChannelList,
  show: (id: string) => void,
): HTMLElement {
  const n = c.my_status === 'accepted' ? unread(c.id).length : 0;
  return h(
    'div.channel',
    {
      class: [`cs-${c.my_status ?? 'none'}`, c.id === hl.current ? 'selected' : ''].join(' ').trim(),
      dataset: { channelId: c.id, status: c.my_status ?? '', channelStatus: c.status },
      onclick: (e: MouseEvent) => {
        if ((e.target as HTMLElement).closest('button')) return;
        show(c.id);
      },
    },
    h(
      'div.channel-head',
      null,
      h('b.name', null, c.name),
      n > 0 ? h('span.unread', { title: `${n} unread` }, String(n)) : null,
      h('span.spacer'),
      h('span.dim', null, `by ${c.created_by_party}`),
    ),
    h('div.members', null, members(c)),
    c.my_status === 'invited' ? invitation(c, hl, list) : null,
  );
}

/** Each member party and its answer to the invitation (ours in bold). */
function members(c: ChannelView): HTMLElement[] {
  const me = state.me?.party;
  return c.members.map((m) =>
    h(
      'span.member',
      { class: `ms-${m.status}`, title: `${m.party}: ${m.status} ${dtg(m.at)}` },
      m.party === me ? h('b', null, m.party) : m.party,
      ' ',
      m.status === 'accepted' ? '✓' : m.status === 'invited' ? '… invited' : '✗ declined',
    ),
  );
}

/** An invitation to this party: Accept and Decline for its admin, a note for everyone else. */
function invitation(c: ChannelView, hl: Hotline, list: ChannelList): HTMLElement {
  const button = (how: 'accept' | 'decline', text: string, primary: boolean) =>
    h(
      primary ? 'button.primary' : 'button',
      { dataset: { action: how }, onclick: () => void answer(c, how, hl, list) },
      text,
    );
  return h(
    'div.invite',
    null,
    h('span.warn-soft', null, 'Invitation to your party'),
    isPartyAdmin()
      ? [button('accept', 'Accept', true), button('decline', 'Decline', false)]
      : h('span.dim', null, ' — your party admin accepts or declines'),
  );
}

/** Accept (and show) or decline an invitation. */
async function answer(
  c: ChannelView,
  how: 'accept' | 'decline',
  hl: Hotline,
  list: ChannelList,
): Promise<void> {
  list.error.textContent = '';
  try {
    const r = await api<ChannelView>('POST', `/channels/${c.id}/${how}`);
    putChannel(r);
    if (how === 'accept') {
      hl.current = r.id;
      if (!state.messages.has(r.id)) await loadMessages(r.id);
    }
    emit('channels');
  } catch (err) {
    list.error.textContent = errorText(err);
  }
}
