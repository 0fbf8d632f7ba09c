/**
 * The Watch panel: the party's alert inbox and today's roster.
 *
 * Open alerts come first, by precedence (flash, immediate, priority, routine) then deadline,
 * each with a live countdown to its acknowledgement deadline, who holds it, the other party's
 * acknowledgement and a one-step acknowledge (reply + button, or Enter, or the `a` key; `n`
 * selects the next alert). Acknowledged and closed alerts follow in a collapsed section, newest
 * first. A flash alert sounds the alarm (notifications.ts).
 */
import { primeAudio } from '../../alarm.ts';
import { errorText } from '../../api.ts';
import { h, mount } from '../../dom.ts';
import { countdown } from '../../format.ts';
import { postSigned } from '../../ledger/sign.ts';
import { replyOf } from '../../ledger/statements.ts';
import type { MapApi } from '../../map/api.ts';
import { openTab, registerKey, registerPanel, setBadge } from '../../shell.ts';
import { emit, on, putAlert, select, state } from '../../store.ts';
import type { AlertView } from '../../wire.ts';
import { alertCard, type Inbox } from './card.ts';
import { inboxOrder, target } from './inbox.ts';
import { alarmOnFlash, drawNotificationSwitch } from './notifications.ts';
import { drawRoster } from './roster.ts';

registerPanel({ id: 'watch', label: 'Watch', key: '1', mount: mountWatch });

/** The panel's elements and state, shared by its parts. */
interface Watch extends Inbox {
  readonly map: MapApi;
  readonly el: HTMLElement;
  readonly title: HTMLElement;
  readonly notifications: HTMLElement;
  readonly list: HTMLElement;
  readonly roster: HTMLElement;
  /** Whether the acknowledged / closed section is open. */
  doneOpen: boolean;
  /**
   * The alert the keys act on. Clicking an alert also selects it in the store (the Detail tab
   * shows it); `n` moves this selection only, so the inbox stays on screen.
   */
  selected: string | null;
}

/** Draw the panel into `el` and keep it current. */
function mountWatch(el: HTMLElement, map: MapApi): void {
  primeAudio();
  const w: Watch = {
    map,
    el,
    title: h('span.title'),
    notifications: h('span.notif'),
    list: h('div.inbox', { 'data-testid': 'inbox' }),
    roster: h('div.roster', { 'data-testid': 'roster' }),
    drafts: new Map(),
    errors: new Map(),
    busy: new Set(),
    doneOpen: false,
    selected: state.selection?.type === 'alert' ? state.selection.id : null,
    acknowledge: (a) => void acknowledge(w, a),
    open: (a) => openAlert(w, a),
  };
  mount(el, h('div.watch', null, h('div.watch-head', null, w.title, w.notifications), w.list, w.roster));
  follow(w);
  alarmOnFlash((a) => openAlert(w, a));
  registerKeys(w);
  drawNotificationSwitch(w.notifications);
  draw(w);
  drawRoster(w.roster);
}

/** Redraw on the store's changes, the countdowns every second and the roster every minute. */
function follow(w: Watch): void {
  // Declarations too: an unlabelled side is named by its place and window once it is held; and
  // agreements: a breach names the agreement its term belongs to.
  // And the blind checks: an unknown check's card says how it stands now.
  const topics = ['alerts', 'conflicts', 'declarations', 'agreements', 'blind', 'settings', 'me'] as const;
  for (const topic of topics) on(topic, () => draw(w));
  on('selection', () => {
    if (state.selection?.type !== 'alert') return;
    w.selected = state.selection.id;
    drawSelection(w);
  });
  on('roster', () => drawRoster(w.roster));
  setInterval(() => tick(w.list), 1000);
  setInterval(() => drawRoster(w.roster), 60_000);
}

/** `a` acknowledges the selected (or top) open alert; `n` selects the next one. */
function registerKeys(w: Watch): void {
  // Acknowledge the selected (or top) open alert.
  registerKey('a', () => {
    // Never acknowledge what is not on screen: the first press shows the inbox.
    if (w.el.hidden) {
      openTab('watch');
      return;
    }
    const sel = w.selected ? state.alerts.get(w.selected) : undefined;
    const a = sel?.status === 'open' ? sel : inboxOrder(state.alerts.values()).open[0];
    if (a) void acknowledge(w, a);
  });
  // Select the next alert.
  registerKey('n', () => {
    const { open, done } = inboxOrder(state.alerts.values());
    const list = w.doneOpen ? [...open, ...done] : open.length > 0 ? open : done;
    if (list.length === 0) return;
    const i = list.findIndex((a) => a.id === w.selected);
    openTab('watch');
    openAlert(w, list[(i + 1) % list.length] as AlertView, false);
  });
}

/** Select an alert: show it on the map, and in the Detail panel unless `detail` is false. */
function openAlert(w: Watch, a: AlertView, detail = true): void {
  w.selected = a.id;
  drawSelection(w);
  const t = target(a);
  if (t) w.map.focus(t);
  if (detail) select('alert', a.id);
}

/** Acknowledge an open alert with the reply typed for it; an error stays on its card. */
async function acknowledge(w: Watch, a: AlertView): Promise<void> {
  if (w.busy.has(a.id) || a.status !== 'open') return;
  const reply = (w.drafts.get(a.id) ?? '').trim();
  w.busy.add(a.id);
  w.errors.delete(a.id);
  draw(w);
  try {
    // Signed when the member's key is unlocked: the statement says the reply exactly as sent.
    const { body, says } = replyOf(reply);
    const r = await postSigned<AlertView>(`/alerts/${a.id}/ack`, body, 'alert.acknowledge', a.id, says);
    w.drafts.delete(a.id);
    // Show where it went: the acknowledged section opens on this console's own acknowledgement.
    w.doneOpen = true;
    putAlert(r);
  } catch (err) {
    w.errors.set(a.id, errorText(err));
  } finally {
    w.busy.delete(a.id);
  }
  emit('alerts');
}

/** The inbox: open alerts, then the answered ones folded; the tab's badge; the reply being typed kept. */
function draw(w: Watch): void {
  const { open, done } = inboxOrder(state.alerts.values());
  const typing = replyTyped();
  const flash = open.filter((a) => a.precedence === 'flash').length;
  mount(
    w.title,
    h('b', null, 'Inbox'),
    ` · ${open.length} open`,
    flash > 0 ? h('span.warn', null, ` · ${flash} flash`) : '',
  );
  const details = h(
    'details.done',
    { open: w.doneOpen, ontoggle: (e: Event) => (w.doneOpen = (e.target as HTMLDetailsElement).open) },
    h('summary', null, `Acknowledged / closed (${done.length})`),
    done.map((a) => alertCard(a, w)),
  );
  mount(
    w.list,
    open.length === 0 ? h('div.empty.dim', null, 'No open alerts.') : open.map((a) => alertCard(a, w)),
    done.length > 0 ? details : null,
  );
  if (typing) restoreReply(w.list, typing);
  setBadge('watch', open.length > 0 ? String(open.length) : '', flash > 0);
  tick(w.list);
}

/** The reply field being typed in, if any: its alert and the caret. */
function replyTyped(): { id: string; caret: number | null } | null {
  const active = document.activeElement as HTMLInputElement | null;
  const id = active?.name === 'reply' ? active.closest<HTMLElement>('.alert')?.dataset.alertId : undefined;
  return id ? { id, caret: active?.selectionStart ?? null } : null;
}

/** Put the focus and the caret back in the reply field of that alert, redrawn. */
function restoreReply(list: HTMLElement, typing: { id: string; caret: number | null }): void {
  const input = list.querySelector<HTMLInputElement>(
    `.alert[data-alert-id="${CSS.escape(typing.id)}"] input[name=reply]`,
  );
  if (!input || input.disabled) return;
  input.focus();
  if (typing.caret !== null) input.setSelectionRange(typing.caret, typing.caret);
}

/** The countdowns, late under a minute and overdue past the deadline. */
function tick(list: HTMLElement): void {
  const now = Date.now();
  for (const c of list.querySelectorAll<HTMLElement>('.countdown[data-due]')) {
    const due = c.dataset.due as string;
    c.textContent = countdown(due, now);
    const left = Date.parse(due) - now;
    c.classList.toggle('late', left < 60_000);
    c.classList.toggle('overdue', left < 0);
  }
}

/** Mark the selected alert's card, scrolled into view. */
function drawSelection(w: Watch): void {
  for (const c of w.list.querySelectorAll<HTMLElement>('.alert')) {
    const on = c.dataset.alertId === w.selected;
    c.classList.toggle('selected', on);
    if (on) c.scrollIntoView({ block: 'nearest' });
  }
}
