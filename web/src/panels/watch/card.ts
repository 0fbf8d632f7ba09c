/**
 * One alert in the inbox: precedence, subject, deadline with its countdown, who holds it, the
 * other party's acknowledgement, and a one-step acknowledge (reply + button, or Enter).
 */
import { h } from '../../dom.ts';
import { countdown, dtg, local } from '../../format.ts';
import { words } from '../../labels.ts';
import { attestation } from '../../ledger/view.ts';
import { canAcknowledge } from '../../roles.ts';
import type { AlertView } from '../../wire.ts';
import { about } from './about.ts';
import { deadline, peersOf } from './inbox.ts';

/** What a card needs of its inbox: replies being typed, errors, work under way, the selection. */
export interface Inbox {
  readonly drafts: Map<string, string>;
  readonly errors: Map<string, string>;
  readonly busy: Set<string>;
  readonly selected: string | null;
  acknowledge(a: AlertView): void;
  open(a: AlertView): void;
}

/** The card of one alert. */
export function alertCard(a: AlertView, inbox: Inbox): HTMLElement {
  const what = about(a);
  const err = inbox.errors.get(a.id);
  return h(
    'div.alert',
    {
      class: [
        `prec-${a.precedence}`,
        a.escalated ? 'escalated' : '',
        a.id === inbox.selected ? 'selected' : '',
      ]
        .join(' ')
        .trim(),
      dataset: { alertId: a.id, precedence: a.precedence, status: a.status },
      tabindex: '-1',
      onclick: (e: MouseEvent) => {
        if ((e.target as HTMLElement).closest('input, button, a, textarea')) return;
        inbox.open(a);
      },
    },
    cardHead(a, what.title),
    a.escalated && a.status === 'open'
      ? h(
          'div.esc-badge',
          null,
          a.level === 'overdue' ? 'OVERDUE — no one acknowledged' : `ESCALATED → ${a.level}`,
        )
      : null,
    what.lines,
    metaLine(a, what.meta),
    peersLine(a),
    answered(a),
    a.status === 'open' ? ackRow(a, inbox) : null,
    err ? h('div.error', { role: 'alert' }, err) : null,
  );
}

/** Precedence, subject, status, and the deadline with its countdown while open. */
function cardHead(a: AlertView, title: (HTMLElement | string)[]): HTMLElement {
  const due = deadline(a);
  return h(
    'div.alert-head',
    null,
    h('span.prec', null, a.precedence),
    title,
    a.status === 'open' ? null : h('span.status', { class: `st-${a.status}` }, a.status),
    h('span.spacer'),
    a.status === 'open' && due
      ? h(
          'span.due',
          { title: `acknowledge by ${dtg(due)} (${local(due)} local)` },
          h('span.mono', null, dtg(due)),
          ' ',
          h('span.countdown.mono', { dataset: { due } }, countdown(due)),
        )
      : null,
  );
}

/** When and how close, who holds it now, and how far it escalated. */
function metaLine(a: AlertView, meta: string): HTMLElement {
  const last = a.escalations[a.escalations.length - 1];
  return h(
    'div.line.meta',
    null,
    meta,
    ' · holds ',
    h('span.holder', null, a.to.join(', ') || '—'),
    last?.uncovered ? h('span.warn', null, ' (no one on call: every holder of the role)') : null,
    a.escalated && a.status !== 'open' ? h('span.esc-past', null, ` · escalated → ${a.level}`) : null,
  );
}

/** The other parties' acknowledgements (and replies), or that they have not acknowledged yet. */
function peersLine(a: AlertView): HTMLElement | null {
  const peers = peersOf(a).map((p) =>
    h(
      'div.peer',
      { class: p.acknowledged ? 'acked' : 'pending' },
      p.acknowledged
        ? [
            h('b', null, p.party),
            ` acknowledged ${p.acknowledged_at ? dtg(p.acknowledged_at) : ''}`,
            p.reply ? `: ${p.reply}` : '',
            ' ',
            attestation(p),
          ]
        : [h('b', null, p.party), ': not yet acknowledged'],
    ),
  );
  return peers.length > 0 ? h('div.peers', null, peers) : null;
}

/** Who acknowledged it (and their reply), and when and why it closed. */
function answered(a: AlertView): (HTMLElement | null)[] {
  return [
    a.ack
      ? h(
          'div.line.acked',
          null,
          `✓ acknowledged by ${a.ack.username} ${dtg(a.ack.at)}`,
          a.ack.reply ? `: ${a.ack.reply}` : '',
          ' ',
          attestation(a.ack),
        )
      : null,
    a.status === 'closed'
      ? h(
          'div.line.dim',
          null,
          `closed ${a.closed_at ? dtg(a.closed_at) : ''}${a.closed_reason ? ` (${words(a.closed_reason)})` : ''}`,
        )
      : null,
  ];
}

/** The reply field and the Ack button (Enter in the field acknowledges too). */
function ackRow(a: AlertView, inbox: Inbox): HTMLElement {
  const busy = inbox.busy.has(a.id);
  const reply = h('input', {
    name: 'reply',
    placeholder: 'Reply (optional) — Enter acknowledges',
    autocomplete: 'off',
    maxlength: '1000',
    value: inbox.drafts.get(a.id) ?? '',
    disabled: busy,
    oninput: (e: Event) => inbox.drafts.set(a.id, (e.target as HTMLInputElement).value),
    onkeydown: (e: KeyboardEvent) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        inbox.acknowledge(a);
      }
    },
  });
  return h(
    'div.ack-row',
    null,
    reply,
    h(
      'button.primary',
      {
        dataset: { action: 'ack' },
        disabled: busy || !canAcknowledge(),
        title: canAcknowledge()
          ? 'Acknowledge (a)'
          : 'Only the watch officer, senior officer or party admin acknowledges',
        onclick: () => inbox.acknowledge(a),
      },
      busy ? 'Acking…' : 'Ack',
    ),
  );
}
