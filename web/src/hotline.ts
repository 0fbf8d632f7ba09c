/**
 * The Hotline panel: channels between parties, their messages and receipts.
 *
 * A party admin opens a channel with other parties and accepts (or declines) invitations; any
 * member of a party that accepted reads and writes. Messages carry a precedence and optionally a
 * reference to a conflict or declaration (one the reader may not see shows only as "hidden").
 * Receipts per receiving party say when it was delivered, read and acknowledged. Showing a
 * channel marks it read, so the sender sees the read receipt.
 */
import { ApiError, api } from './api.ts';
import { setBadge } from './app.ts';
import { h, mount } from './dom.ts';
import { dtg, local } from './format.ts';
import type { MapApi } from './mapapi.ts';
import {
  type ChannelView,
  type ConflictView,
  emit,
  type MessageView,
  on,
  putChannel,
  putMessage,
  select,
  state,
} from './store.ts';
import { loadMessages } from './sync.ts';

const PRECEDENCES: readonly MessageView['precedence'][] = ['routine', 'priority', 'immediate', 'flash'];
const ACK_ROLES = ['watch_officer', 'senior_officer', 'party_admin'];

const words = (s: string): string => s.replace(/_/g, ' ');
const errorText = (err: unknown): string =>
  err instanceof ApiError ? err.message : String((err as Error).message);

/** Messages from other parties this party has not read yet. */
function unread(channel: string): MessageView[] {
  const me = state.me?.party;
  return (state.messages.get(channel) ?? []).filter(
    (m) => m.from.party !== me && m.receipts.some((r) => r.party === me && r.read_at === null),
  );
}

/** "relief-agency: delivered 221530ZNOV26 · read 221531ZNOV26 · acked 221532ZNOV26". */
export function receiptText(r: MessageView['receipts'][number], requiresAck: boolean): string {
  const parts: string[] = [];
  if (r.delivered_at) parts.push(`delivered ${dtg(r.delivered_at)}`);
  if (r.read_at) parts.push(`read ${dtg(r.read_at)}`);
  if (r.acked_at) parts.push(`acked ${dtg(r.acked_at)}`);
  else if (requiresAck) parts.push('ack pending');
  return `${r.party}: ${r.delivered_at ? parts.join(' · ') : `not yet delivered${requiresAck ? ' · ack pending' : ''}`}`;
}

function conflictLabel(c: ConflictView): string {
  const me = state.me?.party;
  const side = (s: ConflictView['a']) =>
    'hidden' in s ? `${s.party} (hidden)` : `${s.party}: ${s.label ?? s.kind}`;
  const other = c.a.party === me ? c.b : c.a;
  const own = c.a.party === me ? c.a : c.b;
  return `${words(c.rule)} (${c.severity}) — ${side(other)} / ${'hidden' in own ? own.party : (own.label ?? own.kind)}`;
}

export function mountHotline(el: HTMLElement, map: MapApi): void {
  let current: string | null = null;
  const drafts = new Map<string, string>();
  /** Read marks on their way to the hub (channel → seq), so a burst of redraws sends one. */
  const reading = new Map<string, number>();
  const isAdmin = () => (state.me?.roles ?? []).includes('party_admin');
  const canAck = () => (state.me?.roles ?? []).some((r) => ACK_ROLES.includes(r));
  /** Stay at the bottom of the conversation when the reader was there (or just sent). */
  let stick = true;
  let shownChannel: string | null = null;
  const shown = () => !el.hidden && document.visibilityState === 'visible';

  // --- The channel list -----------------------------------------------------------------------
  const channelsEl = h('div.channels', { 'data-testid': 'channels' });
  const listError = h('div.error', { role: 'alert' });

  async function answer(c: ChannelView, how: 'accept' | 'decline'): Promise<void> {
    listError.textContent = '';
    try {
      const r = await api<ChannelView>('POST', `/channels/${c.id}/${how}`);
      putChannel(r);
      if (how === 'accept') {
        current = r.id;
        if (!state.messages.has(r.id)) await loadMessages(r.id);
      }
      emit('channels');
    } catch (err) {
      listError.textContent = errorText(err);
    }
  }

  function channelItem(c: ChannelView): HTMLElement {
    const me = state.me?.party;
    const n = c.status === 'accepted' ? unread(c.id).length : 0;
    const members = c.members.map((m) =>
      h(
        'span.member',
        { class: `ms-${m.status}`, title: `${m.party}: ${m.status} ${dtg(m.at)}` },
        m.party === me ? h('b', null, m.party) : m.party,
        ' ',
        m.status === 'accepted' ? '✓' : m.status === 'invited' ? '… invited' : '✗ declined',
      ),
    );
    return h(
      'div.channel',
      {
        class: [`cs-${c.status ?? 'none'}`, c.id === current ? 'selected' : ''].join(' ').trim(),
        dataset: { channelId: c.id, status: c.status ?? '' },
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
      h('div.members', null, members),
      c.status === 'invited'
        ? h(
            'div.invite',
            null,
            h('span.warn-soft', null, 'Invitation to your party'),
            isAdmin()
              ? [
                  h(
                    'button.primary',
                    { dataset: { action: 'accept' }, onclick: () => void answer(c, 'accept') },
                    'Accept',
                  ),
                  h(
                    'button',
                    { dataset: { action: 'decline' }, onclick: () => void answer(c, 'decline') },
                    'Decline',
                  ),
                ]
              : h('span.dim', null, ' — your party admin accepts or declines'),
          )
        : null,
    );
  }

  function drawChannels(): void {
    const order = (c: ChannelView) => (c.status === 'invited' ? 0 : c.status === 'accepted' ? 1 : 2);
    const lastAt = (c: ChannelView) => {
      const list = state.messages.get(c.id);
      return list?.length ? Date.parse((list[list.length - 1] as MessageView).at) : 0;
    };
    const list = [...state.channels.values()].sort(
      (x, y) => order(x) - order(y) || lastAt(y) - lastAt(x) || x.name.localeCompare(y.name),
    );
    if (current === null || !state.channels.has(current))
      current = (list.find((c) => c.status === 'accepted') ?? list[0])?.id ?? null;
    mount(
      channelsEl,
      list.length === 0
        ? h(
            'div.dim',
            null,
            isAdmin() ? 'No channels yet: open one below.' : 'No channels yet (a party admin opens them).',
          )
        : list.map(channelItem),
    );
    let total = 0;
    for (const c of state.channels.values()) if (c.status === 'accepted') total += unread(c.id).length;
    setBadge('hotline', total > 0 ? String(total) : '', false);
  }

  // --- New channel (party admin) -------------------------------------------------------------
  const newName = h('input', {
    name: 'channel-name',
    placeholder: 'New channel name',
    maxlength: '100',
    autocomplete: 'off',
  });
  const partyBoxes = h('div.party-boxes');
  const newError = h('div.error', { role: 'alert' });
  let partiesShown = '';
  const newForm = h(
    'form.new-channel',
    {
      'data-testid': 'new-channel',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        newError.textContent = '';
        const parties = [
          ...partyBoxes.querySelectorAll<HTMLInputElement>('input[name=channel-party]:checked'),
        ].map((b) => b.value);
        const problem =
          newName.value.trim() === ''
            ? 'Name the channel.'
            : parties.length === 0
              ? 'Choose at least one other party.'
              : '';
        if (problem) {
          newError.textContent = problem;
          return;
        }
        try {
          const c = await api<ChannelView>('POST', '/channels', { name: newName.value.trim(), parties });
          putChannel(c);
          newName.value = '';
          for (const b of partyBoxes.querySelectorAll<HTMLInputElement>('input')) b.checked = false;
          current = c.id;
          if (!state.messages.has(c.id)) state.messages.set(c.id, []);
          emit('channels');
        } catch (err) {
          newError.textContent = errorText(err);
        }
      },
    },
    h(
      'div.row',
      null,
      newName,
      h('button', { type: 'submit', dataset: { action: 'create-channel' } }, 'Open channel'),
    ),
    partyBoxes,
    newError,
  );

  function drawNewChannel(): void {
    newForm.hidden = !isAdmin();
    const others = state.parties.filter((p) => p.id !== state.me?.party);
    const key = others.map((p) => p.id).join(',');
    if (key === partiesShown) return;
    partiesShown = key;
    mount(
      partyBoxes,
      h('span.dim', null, 'with'),
      others.map((p) =>
        h(
          'label.chk',
          { title: p.name },
          h('input', { type: 'checkbox', name: 'channel-party', value: p.id }),
          p.id,
        ),
      ),
    );
  }

  // --- The conversation ----------------------------------------------------------------------
  const head = h('div.conv-head');
  const messagesEl = h('div.messages', { 'data-testid': 'messages' });
  const text = h('textarea', {
    name: 'text',
    rows: 3,
    maxlength: '4000',
    placeholder: 'Message — Ctrl+Enter sends',
    oninput: () => current && drafts.set(current, text.value),
    onkeydown: (e: KeyboardEvent) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        void send();
      }
    },
  });
  const precedence = h(
    'select',
    { name: 'precedence', title: 'Precedence (flash and immediate must be acknowledged)' },
    PRECEDENCES.map((p) => h('option', { value: p, selected: p === 'routine' }, p)),
  );
  const ref = h('select', { name: 'ref', title: 'About one of your open conflicts' });
  const sendBtn = h('button.primary', { dataset: { action: 'send' }, onclick: () => void send() }, 'Send');
  const composeError = h('div.error', { role: 'alert' });
  const composeNote = h('div.dim.compose-note');
  const compose = h(
    'div.compose',
    null,
    text,
    h('div.row', null, precedence, ref, h('span.spacer'), sendBtn),
    composeError,
  );

  function drawRefOptions(): void {
    const keep = ref.value;
    const open = [...state.conflicts.values()]
      .filter((c) => c.status === 'open')
      .sort((x, y) => x.detected_at.localeCompare(y.detected_at));
    mount(
      ref,
      h('option', { value: '' }, '— no reference —'),
      open.map((c) => h('option', { value: c.id, selected: c.id === keep }, conflictLabel(c))),
    );
    if (keep && !open.some((c) => c.id === keep)) ref.value = '';
  }

  async function send(): Promise<void> {
    const id = current;
    const c = id ? state.channels.get(id) : undefined;
    if (!id || !c) return;
    composeError.textContent = '';
    if (text.value.trim() === '') {
      composeError.textContent = 'Type a message.';
      return;
    }
    sendBtn.disabled = true;
    try {
      const m = await api<MessageView>('POST', `/channels/${id}/messages`, {
        text: text.value,
        precedence: precedence.value,
        ...(ref.value && { ref: { type: 'conflict', id: ref.value } }),
      });
      // The stream may already have brought this message with newer receipts: merge.
      putMessage(m);
      text.value = '';
      drafts.delete(id);
      precedence.value = 'routine';
      ref.value = '';
      stick = true;
      emit('messages');
    } catch (err) {
      composeError.textContent = errorText(err);
    } finally {
      sendBtn.disabled = false;
    }
  }

  async function ackMessage(m: MessageView, btn: HTMLButtonElement, err: HTMLElement): Promise<void> {
    btn.disabled = true;
    err.textContent = '';
    try {
      putMessage(await api<MessageView>('POST', `/messages/${m.id}/ack`, {}));
      emit('messages');
    } catch (e) {
      err.textContent = errorText(e);
      btn.disabled = false;
    }
  }

  function refLink(m: MessageView): HTMLElement | null {
    const r = m.ref;
    if (!r) return null;
    if (!('id' in r)) return h('div.ref.dim', null, `re: (hidden ${r.type})`);
    let label = `${r.type} ${r.id}`;
    if (r.type === 'conflict') {
      const c = state.conflicts.get(r.id);
      if (c) label = `conflict: ${conflictLabel(c)}`;
    } else {
      const d = state.declarations.get(r.id);
      if (d) label = `${words(d.properties.kind)}: ${d.properties.label ?? d.id} (${d.properties.party})`;
    }
    return h(
      'div.ref',
      null,
      're: ',
      h(
        'a',
        {
          href: '#',
          dataset: { refType: r.type, refId: r.id },
          onclick: (e: Event) => {
            e.preventDefault();
            select(r.type, r.id);
            map.focus({ type: r.type, id: r.id });
          },
        },
        label,
      ),
    );
  }

  function message(m: MessageView): HTMLElement {
    const me = state.me?.party;
    const mine = m.receipts.find((r) => r.party === me);
    const needsMyAck = m.requires_ack && m.from.party !== me && mine !== undefined && mine.acked_at === null;
    const err = h('span.error');
    const ackBtn = h(
      'button.primary',
      { dataset: { action: 'ack-message' }, title: 'Acknowledge this message' },
      'Acknowledge',
    );
    ackBtn.addEventListener('click', () => void ackMessage(m, ackBtn, err));
    return h(
      'div.message',
      {
        class: [`prec-${m.precedence}`, m.from.party === me ? 'own' : 'theirs', needsMyAck ? 'needs-ack' : '']
          .join(' ')
          .trim(),
        dataset: { messageId: m.id, seq: String(m.seq) },
      },
      h(
        'div.msg-head',
        null,
        h('span.prec', null, m.precedence),
        h('b', null, m.from.party),
        h('span.dim', null, m.from.username),
        h(
          'span.mono.dim.time',
          { title: `${dtg(m.at)} = ${new Date(m.at).toString()}` },
          `${dtg(m.at)} · ${local(m.at)}`,
        ),
      ),
      h('div.msg-text', null, m.text),
      refLink(m),
      h(
        'div.receipts',
        null,
        m.receipts.map((r) =>
          h('div.receipt', { dataset: { party: r.party } }, receiptText(r, m.requires_ack)),
        ),
      ),
      needsMyAck
        ? h(
            'div.ack-row',
            null,
            canAck()
              ? ackBtn
              : h(
                  'span.warn',
                  null,
                  'Acknowledgement required (watch officer, senior officer or party admin).',
                ),
            err,
          )
        : null,
    );
  }

  messagesEl.addEventListener('scroll', () => {
    stick = messagesEl.scrollHeight - messagesEl.scrollTop - messagesEl.clientHeight < 40;
  });

  function drawConversation(): void {
    const c = current ? state.channels.get(current) : undefined;
    if (shownChannel !== (c?.id ?? null)) {
      shownChannel = c?.id ?? null;
      stick = true;
      text.value = (c && drafts.get(c.id)) ?? '';
      composeError.textContent = '';
    }
    if (!c) {
      mount(head);
      mount(messagesEl, h('div.dim.empty', null, 'Select a channel.'));
      compose.hidden = true;
      composeNote.textContent = '';
      return;
    }
    const others = c.members.filter((m) => m.party !== state.me?.party);
    mount(
      head,
      h('b', null, c.name),
      h(
        'span.dim',
        null,
        ` · with ${others.map((m) => `${m.party}${m.status === 'accepted' ? '' : ` (${m.status})`}`).join(', ')}`,
      ),
    );
    if (c.status !== 'accepted') {
      mount(
        messagesEl,
        h(
          'div.dim.empty',
          null,
          c.status === 'invited'
            ? 'Accept the invitation to read and write on this channel.'
            : 'Your party declined this channel.',
        ),
      );
      compose.hidden = true;
      composeNote.textContent = '';
      return;
    }
    const list = state.messages.get(c.id) ?? [];
    mount(messagesEl, list.length === 0 ? h('div.dim.empty', null, 'No messages yet.') : list.map(message));
    if (stick) messagesEl.scrollTop = messagesEl.scrollHeight;
    const ready = others.some((m) => m.status === 'accepted');
    compose.hidden = !ready;
    composeNote.textContent = ready
      ? ''
      : 'Waiting for another party to accept the channel before messages can be sent.';
    markRead();
  }

  /** The channel is on screen: tell the hub this party read it up to its last message. */
  function markRead(): void {
    const id = current;
    if (!id || !shown() || state.channels.get(id)?.status !== 'accepted') return;
    const pending = unread(id);
    if (pending.length === 0) return;
    const last = Math.max(...(state.messages.get(id) ?? []).map((m) => m.seq));
    if ((reading.get(id) ?? 0) >= last) return;
    reading.set(id, last);
    // The hub answers with a count; the read times come back as `message.receipt` events, which
    // merge into whatever copy is held by then (merge.ts), so no time is made up here.
    api('POST', `/channels/${id}/read`, { seq: last })
      .catch(() => undefined)
      .finally(() => reading.delete(id));
  }

  function show(id: string): void {
    if (current === id) return;
    current = id;
    drawChannels();
    drawConversation();
  }

  mount(
    el,
    h(
      'div.hotline',
      null,
      h('div.hotline-top', null, channelsEl, listError, newForm),
      h('div.conversation', null, head, messagesEl, composeNote, compose),
    ),
  );

  const redraw = () => {
    drawChannels();
    drawConversation();
  };
  on('channels', () => {
    drawNewChannel();
    redraw();
  });
  on('messages', redraw);
  on('conflicts', () => {
    drawRefOptions();
    drawConversation();
  });
  on('declarations', drawConversation);
  on('settings', drawConversation);
  on('me', () => {
    drawNewChannel();
    redraw();
  });
  // Shown again (tab switched back, window focused): mark what is now on screen as read.
  new MutationObserver(() => {
    if (!el.hidden) {
      markRead();
      if (stick) messagesEl.scrollTop = messagesEl.scrollHeight;
    }
  }).observe(el, { attributes: true, attributeFilter: ['hidden'] });
  document.addEventListener('visibilitychange', markRead);
  drawNewChannel();
  drawRefOptions();
  redraw();
}
