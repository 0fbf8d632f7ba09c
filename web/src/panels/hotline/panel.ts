/**
 * The Hotline panel: channels between parties, their messages and receipts.
 *
 * A party admin opens a channel with other parties and accepts (or declines) invitations; any
 * member of a party that accepted reads and writes. Messages carry a precedence and optionally a
 * reference to a conflict or declaration. Receipts per receiving party say when it was
 * delivered, read and acknowledged (with the reply), or that the party is late and how far its
 * alert has escalated; a party that owes an acknowledgement gives it with a reply in one step.
 */
import { h, mount } from '../../dom.ts';
import type { MapApi } from '../../map/api.ts';
import { registerPanel } from '../../shell.ts';
import { emit, on, state } from '../../store.ts';
import type { ChannelView } from '../../wire.ts';
import { type ChannelList, channelList } from './channels.ts';
import { type Conversation, conversation } from './conversation.ts';
import { newChannel } from './new-channel.ts';
import type { Hotline } from './state.ts';

registerPanel({ id: 'hotline', label: 'Hotline', key: '2', mount: mountHotline });

/** Draw the panel into `el` and keep it current. */
function mountHotline(el: HTMLElement, map: MapApi): void {
  const hl: Hotline = {
    el,
    map,
    current: null,
    drafts: new Map(),
    reading: new Map(),
    stick: true,
    replies: new Map(),
    acking: new Set(),
    ackErrors: new Map(),
  };
  const conv = conversation(hl);
  const list = channelList(hl, (id) => {
    if (hl.current === id) return;
    hl.current = id;
    list.draw();
    conv.draw();
  });
  const form = newChannel((c: ChannelView) => {
    hl.current = c.id;
    if (!state.messages.has(c.id)) state.messages.set(c.id, []);
    emit('channels');
  });
  mount(el, h('div.hotline', null, h('div.hotline-top', null, list.el, list.error, form.form), conv.el));
  follow(hl, list, conv, form.draw);
  form.draw();
  conv.compose.drawRefs();
  list.draw();
  conv.draw();
}

/** Redraw on the store's changes; mark read what comes on screen (tab shown, window focused). */
function follow(hl: Hotline, list: ChannelList, conv: Conversation, drawForm: () => void): void {
  const redraw = () => {
    list.draw();
    conv.draw();
  };
  on('channels', () => {
    drawForm();
    redraw();
  });
  on('messages', redraw);
  on('conflicts', () => {
    conv.compose.drawRefs();
    conv.draw();
  });
  on('declarations', conv.draw);
  on('settings', conv.draw);
  on('me', () => {
    drawForm();
    redraw();
  });
  new MutationObserver(() => {
    if (!hl.el.hidden) {
      conv.markRead();
      conv.follow();
    }
  }).observe(hl.el, { attributes: true, attributeFilter: ['hidden'] });
  document.addEventListener('visibilitychange', conv.markRead);
}
