/**
 * One message of a conversation: precedence, sender, time, text, what it refers to (a conflict
 * or declaration; one the reader may not see shows only as "hidden"), the receipts of each
 * receiving party, and — when this party owes an acknowledgement — a reply field and the
 * Acknowledge button (Enter in the field acknowledges), as in the Watch inbox.
 *
 * The receipts are what the sender of a pre-strike call needs: for each receiving party when the
 * message was delivered and read, when it was acknowledged and the reply given with it, or that
 * it is late (its deadline passed) and how far its alert has escalated since. They change as
 * `message.receipt` events arrive (sync.ts), so the reply shows at the sender while the other
 * side is still typing its next message.
 */
import { errorText } from '../../api.ts';
import { h } from '../../dom.ts';
import { dtg, local } from '../../format.ts';
import { words } from '../../labels.ts';
import { postSigned } from '../../ledger/sign.ts';
import { replyOf } from '../../ledger/statements.ts';
import { attestation } from '../../ledger/view.ts';
import type { MapApi } from '../../map/api.ts';
import { canAcknowledge } from '../../roles.ts';
import { emit, putMessage, select, state } from '../../store.ts';
import type { MessageView } from '../../wire.ts';
import { ackText, conflictLabel, type Receipt, receiptStage, receiptSteps } from './model.ts';
import type { Hotline } from './state.ts';

/** A message as the conversation shows it. */
export function messageView(m: MessageView, hl: Hotline): HTMLElement {
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
    refLink(m, hl.map),
    h(
      'div.receipts',
      null,
      m.receipts.map((r) => receiptView(r, m.requires_ack)),
    ),
    needsMyAck ? ackRow(m, hl) : null,
  );
}

/**
 * One receiving party's receipt: "northern-forces: delivered … · read … · acknowledged …" and
 * the reply below it, in the reader's own type (it is the answer, not bookkeeping); or "late
 * since … — escalated to their senior officer", marked as an alarm.
 */
function receiptView(r: Receipt, requiresAck: boolean): HTMLElement {
  const stage = receiptStage(r, requiresAck);
  const ack = ackText(r, requiresAck);
  const signature = r.acked_at !== null ? attestation(r) : null;
  return h(
    'div.receipt',
    { class: `rc-${stage}`, dataset: { party: r.party, stage } },
    h(
      'div.rc-line',
      null,
      h('b', null, r.party),
      ': ',
      // Each step stays on one line; the line breaks between them.
      receiptSteps(r).map((step, i) => [i > 0 ? ' · ' : '', h('span.rc-step', null, step)]),
      ack ? [' · ', h('span.rc-ack', null, ack)] : null,
      signature ? [' · ', signature] : null,
    ),
    r.reply ? h('div.rc-reply', { title: `Reply from ${r.party}` }, h('q', null, r.reply)) : null,
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

/**
 * The acknowledgement this party owes: a reply field and the button (Enter in the field
 * acknowledges), or who may give it. The reply typed is kept in the panel's state, so a receipt
 * arriving meanwhile (a redraw) loses nothing; a failure stays under the row.
 */
function ackRow(m: MessageView, hl: Hotline): HTMLElement {
  if (!canAcknowledge())
    return h(
      'div.ack-row',
      null,
      h('span.warn', null, 'Acknowledgement required (watch officer, senior officer or party admin).'),
    );
  const busy = hl.acking.has(m.id);
  const error = hl.ackErrors.get(m.id);
  const reply = h('input', {
    name: 'reply',
    placeholder: 'Reply (optional) — Enter acknowledges',
    autocomplete: 'off',
    maxlength: '2000',
    value: hl.replies.get(m.id) ?? '',
    disabled: busy,
    oninput: () => hl.replies.set(m.id, reply.value),
    onkeydown: (e: KeyboardEvent) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        void acknowledge(m, hl);
      }
    },
  });
  return h(
    'div.ack-block',
    null,
    h(
      'div.ack-row',
      null,
      reply,
      h(
        'button.primary',
        {
          dataset: { action: 'ack-message' },
          title: 'Acknowledge this message, with the reply typed (the sender sees both)',
          disabled: busy,
          onclick: () => void acknowledge(m, hl),
        },
        busy ? 'Acknowledging…' : 'Acknowledge',
      ),
    ),
    error ? h('div.error', { role: 'alert' }, error) : null,
  );
}

/** Acknowledge a message with the reply typed for it; an error stays on the message. */
async function acknowledge(m: MessageView, hl: Hotline): Promise<void> {
  if (hl.acking.has(m.id)) return;
  const reply = (hl.replies.get(m.id) ?? '').trim();
  hl.acking.add(m.id);
  hl.ackErrors.delete(m.id);
  emit('messages');
  try {
    // The stream brings the same receipt (and may already have): merge, never replace.
    // Signed when the member's key is unlocked: the statement says the reply exactly as sent.
    const { body, says } = replyOf(reply);
    putMessage(
      await postSigned<MessageView>(`/messages/${m.id}/ack`, body, 'message.acknowledge', m.id, says),
    );
    hl.replies.delete(m.id);
  } catch (e) {
    hl.ackErrors.set(m.id, errorText(e));
  } finally {
    hl.acking.delete(m.id);
  }
  emit('messages');
}

/** The reply field being typed in under a message, if any: the message and the caret. */
export function replyTyped(container: HTMLElement): { id: string; caret: number | null } | null {
  const active = document.activeElement as HTMLInputElement | null;
  if (active?.name !== 'reply' || !container.contains(active)) return null;
  const id = active.closest<HTMLElement>('.message')?.dataset.messageId;
  return id ? { id, caret: active.selectionStart } : null;
}

/** Put the focus and the caret back in that message's reply field, redrawn. */
export function restoreReply(container: HTMLElement, typing: { id: string; caret: number | null }): void {
  const input = container.querySelector<HTMLInputElement>(
    `.message[data-message-id="${CSS.escape(typing.id)}"] input[name=reply]`,
  );
  if (!input || input.disabled) return;
  input.focus();
  if (typing.caret !== null) input.setSelectionRange(typing.caret, typing.caret);
}
