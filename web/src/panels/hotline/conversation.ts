/**
 * The conversation of the channel shown: its messages (messages.ts) and the compose box. Showing
 * a channel marks it read, so the sender sees the read receipt.
 */
import { h, mount } from '../../dom.ts';
import { postSigned } from '../../ledger/sign.ts';
import { state } from '../../store.ts';
import type { ChannelView } from '../../wire.ts';
import { type Compose, composer } from './compose.ts';
import { messageView, replyTyped, restoreReply } from './messages.ts';
import { unread } from './model.ts';
import type { Hotline } from './state.ts';

/** The conversation, and how to redraw it or mark it read. */
export interface Conversation {
  readonly el: HTMLElement;
  readonly compose: Compose;
  draw(): void;
  /** Tell the hub this party read the channel shown, if it is on screen. */
  markRead(): void;
  /** Scroll to the last message if the reader was at the bottom. */
  follow(): void;
}

/** The conversation part of the panel. */
export function conversation(hl: Hotline): Conversation {
  const head = h('div.conv-head');
  const messages = h('div.messages', { 'data-testid': 'messages' });
  const compose = composer(hl);
  messages.addEventListener('scroll', () => {
    hl.stick = messages.scrollHeight - messages.scrollTop - messages.clientHeight < 40;
  });
  let shown: string | null = null;
  const self: Conversation = {
    el: h('div.conversation', null, head, messages, compose.note, compose.el),
    compose,
    draw: () => {
      const c = hl.current ? state.channels.get(hl.current) : undefined;
      if (shown !== (c?.id ?? null)) {
        // Another channel: its own draft, at the bottom.
        shown = c?.id ?? null;
        hl.stick = true;
        compose.text.value = (c && hl.drafts.get(c.id)) ?? '';
        compose.error.textContent = '';
      }
      drawConversation(c, head, messages, compose, hl);
      if (c?.my_status === 'accepted') self.markRead();
    },
    markRead: () => markRead(hl),
    follow: () => {
      if (hl.stick) messages.scrollTop = messages.scrollHeight;
    },
  };
  return self;
}

/** The channel's head, and its messages or why there are none; the compose box when it may send. */
function drawConversation(
  c: ChannelView | undefined,
  head: HTMLElement,
  messages: HTMLElement,
  compose: Compose,
  hl: Hotline,
): void {
  const closed = (why: string) => {
    mount(messages, h('div.dim.empty', null, why));
    compose.el.hidden = true;
    compose.note.textContent = '';
  };
  if (!c) {
    mount(head);
    closed('Select a channel.');
    return;
  }
  const others = c.members.filter((m) => m.party !== state.me?.party);
  const withWhom = others
    .map((m) => `${m.party}${m.status === 'accepted' ? '' : ` (${m.status})`}`)
    .join(', ');
  mount(head, h('b', null, c.name), h('span.dim', null, ` · with ${withWhom}`));
  if (c.my_status === 'invited') closed('Accept the invitation to read and write on this channel.');
  else if (c.my_status !== 'accepted') closed('Your party declined this channel.');
  else drawMessages(c, others, messages, compose, hl);
}

/** An accepted channel's messages, and the compose box once another party has accepted. */
function drawMessages(
  c: ChannelView,
  others: ChannelView['members'],
  messages: HTMLElement,
  compose: Compose,
  hl: Hotline,
): void {
  const list = state.messages.get(c.id) ?? [];
  // Receipts arrive while a reply is being typed: the redraw keeps the focus and the caret.
  const typing = replyTyped(messages);
  mount(
    messages,
    list.length === 0 ? h('div.dim.empty', null, 'No messages yet.') : list.map((m) => messageView(m, hl)),
  );
  if (typing) restoreReply(messages, typing);
  if (hl.stick) messages.scrollTop = messages.scrollHeight;
  const ready = others.some((m) => m.status === 'accepted');
  compose.el.hidden = !ready;
  compose.note.textContent = ready
    ? ''
    : 'Waiting for another party to accept the channel before messages can be sent.';
}

/** The channel is on screen: tell the hub this party read it up to its last message. */
function markRead(hl: Hotline): void {
  const id = hl.current;
  const onScreen = !hl.el.hidden && document.visibilityState === 'visible';
  if (!id || !onScreen || state.channels.get(id)?.my_status !== 'accepted') return;
  if (unread(id).length === 0) return;
  const last = Math.max(...(state.messages.get(id) ?? []).map((m) => m.seq));
  if ((hl.reading.get(id) ?? 0) >= last) return;
  hl.reading.set(id, last);
  // The hub answers with a count; the read times come back as `message.receipt` events, which
  // merge into whatever copy is held by then (merge.ts), so no time is made up here.
  // Signed when the member's key is unlocked: "read up to" is what a sender holds the reader to.
  postSigned(`/channels/${id}/read`, { seq: last }, 'message.read', id, { up_to: last })
    .catch(() => undefined)
    .finally(() => hl.reading.delete(id));
}
