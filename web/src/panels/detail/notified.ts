/**
 * The "Notified" section of the party's own declaration that names parties in `notify`: for each
 * notified party, whether it is still awaited (and by when), acknowledged (when, with its reply),
 * overdue (since when, and how far its alert has escalated) or closed — what a relief agency must
 * know before its convoy leaves (docs/watch.md "Notifications").
 *
 * Read from `GET /declarations/{id}/notifications` (the owner only) when the section is first
 * drawn and whenever the declaration's version changes, and read again on each
 * `notification.updated` event of the party's stream. Read again rather than patched from the
 * event: the answer is the hub's whole current state, so nothing can be half-applied, and only
 * the answer to the latest request counts — an earlier request may have been answered from a
 * state older than the event that asked for the new one. Kept here, not in the store: only this
 * section shows it, and only for the declarations someone opened.
 */
import { api, errorText } from '../../api.ts';
import { h } from '../../dom.ts';
import { dtg } from '../../format.ts';
import { words } from '../../labels.ts';
import { attestation } from '../../ledger/view.ts';
import { state } from '../../store.ts';
import { onEvent } from '../../sync.ts';
import type { Feature, NotificationsView } from '../../wire.ts';

type Item = NotificationsView['notifications'][number];

/** What is known of one declaration's notification. */
interface Held {
  /** The version of the declaration it was read for (a new version is read again). */
  readonly version: number;
  view: NotificationsView | null;
  error: string | null;
  /** The request whose answer counts (the latest started). */
  asked: number;
}

const held = new Map<string, Held>();
let requests = 0;
let redraw: () => void = () => undefined;

/**
 * Follow the party's notifications: read again on each `notification.updated` event of a
 * declaration this console holds, and call `draw` (the Detail panel's redraw) with each answer.
 */
export function followNotifications(draw: () => void): void {
  redraw = draw;
  onEvent((e) => {
    if (e.type !== 'notification.updated') return;
    const id = (e.data as { declaration?: unknown }).declaration;
    const known = typeof id === 'string' ? held.get(id) : undefined;
    if (known) read(id as string, known);
  });
}

/** Ask the hub for the declaration's notification state; only the latest answer is kept. */
function read(id: string, known: Held): void {
  const ask = ++requests;
  known.asked = ask;
  api<NotificationsView>('GET', `/declarations/${encodeURIComponent(id)}/notifications`)
    .then(
      (view) => {
        if (known.asked !== ask) return;
        known.view = view;
        known.error = null;
      },
      (err) => {
        if (known.asked !== ask) return;
        known.error = errorText(err);
      },
    )
    .finally(() => {
      if (known.asked === ask) redraw();
    });
}

/** What is known of this version of the declaration's notification, read at once if nothing. */
function heldFor(f: Feature): Held {
  const known = held.get(f.id);
  if (known && known.version === f.properties.version) return known;
  const fresh: Held = { version: f.properties.version, view: null, error: null, asked: 0 };
  held.set(f.id, fresh);
  read(f.id, fresh);
  return fresh;
}

/** The parties a declaration notifies, other than its own. */
function notified(f: Feature): string[] {
  const n = f.properties.notify;
  return Array.isArray(n) ? [...new Set(n as string[])].filter((p) => p !== f.properties.party) : [];
}

/** The section for one of the party's own declarations with `notify`; nothing otherwise. */
export function notifiedSection(f: Feature): Node | null {
  const parties = notified(f);
  if (f.properties.party !== state.me?.party || parties.length === 0) return null;
  const hd = heldFor(f);
  const items = hd.view?.notifications ?? [];
  const count = (s: Item['status']) => items.filter((i) => i.status === s).length;
  const tally = (['acknowledged', 'awaiting', 'overdue', 'closed'] as const)
    .filter((s) => count(s) > 0)
    .map((s) => `${count(s)} ${s}`)
    .join(', ');
  return h(
    'section.dt-notified',
    { 'data-testid': 'notified', dataset: { declaration: f.id } },
    h('h4', null, `Notified (${parties.length})`, tally ? h('span.nt-tally', null, ` · ${tally}`) : null),
    hd.error
      ? h(
          'div.error',
          { role: 'alert' },
          `Could not read who acknowledged: ${hd.error} `,
          h(
            'button',
            { type: 'button', dataset: { action: 'retry-notified' }, onclick: () => read(f.id, hd) },
            'Retry',
          ),
        )
      : null,
    hd.view === null && !hd.error ? h('div.dim', null, 'Reading who acknowledged…') : null,
    hd.view
      ? h(
          'ul.nt-list',
          null,
          parties.map((p) =>
            itemView(
              p,
              items.find((i) => i.party === p),
            ),
          ),
        )
      : null,
  );
}

/** How far a late party's alert has gone, as the other side reads it. */
const LATENESS: Record<Item['level'], string> = {
  watch_officer: 'still with their watch officer',
  senior_officer: 'escalated to their senior officer',
  party_admin: 'escalated to their party admin',
  overdue: 'unanswered after every escalation',
};

/** One notified party: its status, and when, what it replied or how late it is. */
function itemView(party: string, i: Item | undefined): HTMLElement {
  // A party named in `notify` that the hub did not ask (it does not exist) has no state.
  if (!i)
    return h(
      'li.nt-item',
      { dataset: { party, status: 'none' } },
      h('b', null, party),
      h('span.dim', null, ' — not notified (no such party on this hub)'),
    );
  return h(
    'li.nt-item',
    { class: `nt-${i.status}`, dataset: { party, status: i.status } },
    h(
      'div.nt-line',
      null,
      h('b', null, party),
      ' ',
      h('span.nt-status', null, i.status),
      ' ',
      h('span', null, detail(i)),
      i.status === 'acknowledged' ? [' ', attestation(i)] : null,
    ),
    i.reply ? h('div.nt-reply', { title: `Reply from ${party}` }, h('q', null, i.reply)) : null,
    h('div.nt-meta.dim', null, `notified ${dtg(i.notified_at)}`),
  );
}

/** The facts after the status word. */
function detail(i: Item): string {
  switch (i.status) {
    case 'acknowledged':
      return `${dtg(i.acknowledged_at)}${i.escalated_at ? ` (late: deadline missed ${dtg(i.escalated_at)})` : ''}`;
    case 'awaiting':
      return i.due_at ? `— acknowledge by ${dtg(i.due_at)}` : '';
    case 'overdue':
      return `since ${dtg(i.escalated_at)} — ${LATENESS[i.level]}`;
    case 'closed':
      return i.closed_reason ? `(${words(i.closed_reason)})` : '';
  }
}
