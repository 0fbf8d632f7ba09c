/**
 * One message of a conversation: precedence, sender, time, text, what it refers to (a conflict
 * or declaration; one the reader may not see shows only as "hidden"), the receipts of each
 * receiving party, and an Acknowledge button when this party owes one.
 */
import { api, errorText } from '../../api.ts';
import { h } from '../../dom.ts';
import { dtg, local } from '../../format.ts';
import { words } from '../../labels.ts';
import type { MapApi } from '../../map/api.ts';
import { canAcknowledge } from '../../roles.ts';
import { emit, putMessage, select, state } from '../../store.ts';
import type { MessageView } from '../../wire.ts';
import { conflictLabel, receiptText } from './model.ts';

/** A message as the conversation shows it. */
export function messageView(m: MessageView, map: MapApi): HTMLElement {
  const me = state.me?.party;
  const mine = m.receipts.find((r) => r.party === me);
  const needsMyAck = m.requires_ack && m.from.party !== me && mine !== undefined && mine.acked_at === null;
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
    refLink(m, map),
    h(
      'div.receipts',
      null,
      m.receipts.map((r) =>
        h('div.receipt', { dataset: { party: r.party } }, receiptText(r, m.requires_ack)),
      ),
    ),
    needsMyAck ? ackRow(m) : null,
  );
}

/** What the message is about, as a link that selects it and shows it on the map. */
function refLink(m: MessageView, map: MapApi): HTMLElement | null {
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
  const follow = (e: Event) => {
    e.preventDefault();
    select(r.type, r.id);
    map.focus({ type: r.type, id: r.id });
  };
  return h(
    'div.ref',
    null,
    're: ',
    h('a', { href: '#', dataset: { refType: r.type, refId: r.id }, onclick: follow }, label),
  );
}

/** The acknowledgement this party owes: the button, or who may press it. */
function ackRow(m: MessageView): HTMLElement {
  const err = h('span.error');
  const button = h(
    'button.primary',
    { dataset: { action: 'ack-message' }, title: 'Acknowledge this message' },
    'Acknowledge',
  );
  button.addEventListener('click', () => void acknowledge(m, button, err));
  return h(
    'div.ack-row',
    null,
    canAcknowledge()
      ? button
      : h('span.warn', null, 'Acknowledgement required (watch officer, senior officer or party admin).'),
    err,
  );
}

/** Acknowledge a message; the button comes back with the error if it fails. */
async function acknowledge(m: MessageView, button: HTMLButtonElement, err: HTMLElement): Promise<void> {
  button.disabled = true;
  err.textContent = '';
  try {
    putMessage(await api<MessageView>('POST', `/messages/${m.id}/ack`, {}));
    emit('messages');
  } catch (e) {
    err.textContent = errorText(e);
    button.disabled = false;
  }
}
