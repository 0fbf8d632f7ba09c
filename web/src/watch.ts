/**
 * The Watch panel: the party's alert inbox and today's roster.
 *
 * Open alerts come first, by precedence (flash, immediate, priority, routine) then deadline,
 * each with a live countdown to its acknowledgement deadline, who holds it, the other party's
 * acknowledgement and a one-step acknowledge (reply + button, or Enter, or the `a` key).
 * Acknowledged and closed alerts follow in a collapsed section, newest first. A flash alert
 * (new or escalated) sounds a synthesised alarm and raises a browser notification when allowed.
 */
import {
  notificationsGranted,
  notificationsSupported,
  notify,
  playAlarm,
  primeAudio,
  requestNotifications,
} from './alarm.ts';
import { ApiError, api } from './api.ts';
import { openTab, registerKey, setBadge } from './app.ts';
import { h, mount } from './dom.ts';
import { countdown, distance, dtg, local } from './format.ts';
import type { MapApi } from './mapapi.ts';
import {
  type AlertView,
  type ConflictView,
  emit,
  on,
  putAlert,
  type RosterView,
  type Side,
  select,
  state,
} from './store.ts';
import { onEvent } from './sync.ts';

const PRECEDENCE: readonly AlertView['precedence'][] = ['flash', 'immediate', 'priority', 'routine'];
const ACK_ROLES = ['watch_officer', 'senior_officer', 'party_admin'];

/** Words for a rule id: `strike_protected` → `strike protected`. */
export const words = (s: string): string => s.replace(/_/g, ' ');

const sideLabel = (s: Side): string =>
  'hidden' in s ? '(hidden declaration)' : (s.label ?? `${words(s.kind)} ${s.id}`);

/** Open first (precedence, then deadline), then the rest, newest first. */
export function inboxOrder(alerts: Iterable<AlertView>): { open: AlertView[]; done: AlertView[] } {
  const open: AlertView[] = [];
  const done: AlertView[] = [];
  for (const a of alerts) (a.status === 'open' ? open : done).push(a);
  const due = (a: AlertView) => (a.due_at === null ? Number.POSITIVE_INFINITY : Date.parse(a.due_at));
  open.sort(
    (x, y) =>
      PRECEDENCE.indexOf(x.precedence) - PRECEDENCE.indexOf(y.precedence) ||
      due(x) - due(y) ||
      x.created_at.localeCompare(y.created_at),
  );
  const last = (a: AlertView) => Date.parse(a.closed_at ?? a.ack?.at ?? a.created_at);
  done.sort((x, y) => last(y) - last(x));
  return { open, done };
}

/** The deadline an open alert runs against: its next one, or (overdue) the one it missed. */
function deadline(a: AlertView): string | null {
  if (a.status !== 'open') return null;
  if (a.due_at !== null) return a.due_at;
  return a.escalations[a.escalations.length - 1]?.due_at ?? null;
}

/** What the map should show for an alert. */
function target(a: AlertView): { type: 'declaration' | 'conflict'; id: string } | null {
  if (a.subject_type === 'conflict') return { type: 'conflict', id: a.subject };
  if (a.subject_type === 'notification') return { type: 'declaration', id: a.subject };
  const ref = a.summary.message?.ref;
  return ref && 'id' in ref ? { type: ref.type, id: ref.id } : null;
}

/** One line saying what an alert is about (for notifications and the like). */
export function headline(a: AlertView): string {
  const c = a.summary.conflict;
  if (c) {
    const me = state.me?.party;
    const other = c.internal ? null : c.a.party === me ? c.b : c.a;
    return `${words(c.rule)} (${c.severity})${other ? ` with ${other.party}` : ' — internal'}`;
  }
  const d = a.summary.declaration;
  if (d) return `notification from ${d.properties.party}: ${d.properties.label ?? words(d.properties.kind)}`;
  const m = a.summary.message;
  if (m) return `hotline ${m.from.party}: ${m.text.slice(0, 120)}`;
  return `${a.subject_type} ${a.subject}`;
}

interface About {
  /** Beside the precedence tag. */
  title: (HTMLElement | string)[];
  lines: HTMLElement[];
  /** Dim facts for the last line (window, distance). */
  meta: string;
}

function conflictAbout(c: ConflictView): About {
  const me = state.me?.party;
  const current = state.conflicts.get(c.id) ?? c;
  const sides = [c.a, c.b];
  const own = sides.filter((s) => s.party === me);
  const other = c.internal ? null : (sides.find((s) => s.party !== me) ?? null);
  return {
    title: [
      h('b.rule', null, words(c.rule)),
      h('span.sev-tag', { class: `sev-tag-${c.severity}` }, c.severity),
      current.status === 'resolved'
        ? h('span.dim', null, `resolved${current.resolution ? ` (${words(current.resolution)})` : ''}`)
        : '',
    ],
    lines: [
      other
        ? h('div.line', null, h('span.k', null, 'other'), h('b', null, other.party), ': ', sideLabel(other))
        : h('div.line', null, h('span.k', null, 'internal'), 'both declarations are your party’s'),
      h('div.line', null, h('span.k', null, 'own'), own.map(sideLabel).join(' ↔ ') || '—'),
    ],
    meta: `${dtg(c.window.start)}–${c.window.end === null ? 'open end' : dtg(c.window.end)}${
      c.distance_m !== undefined ? ` · ${distance(c.distance_m)} apart` : ''
    }`,
  };
}

function about(a: AlertView): About {
  const c = a.summary.conflict;
  if (c) return conflictAbout(c);
  const d = a.summary.declaration;
  if (d) {
    const p = d.properties;
    return {
      title: [h('b.rule', null, 'notification'), h('span.dim', null, `from ${p.party}`)],
      lines: [
        h('div.line', null, h('span.k', null, words(p.kind)), h('b', null, p.party), ': ', p.label ?? d.id),
      ],
      meta: `${dtg(p.start)}–${p.end === null ? 'open end' : dtg(p.end)}`,
    };
  }
  const m = a.summary.message;
  if (m) {
    return {
      title: [h('b.rule', null, 'hotline'), h('span.dim', null, `from ${m.from.party}`)],
      lines: [h('div.line.text', null, h('span.k', null, m.from.username), m.text)],
      meta: `sent ${dtg(m.at)}`,
    };
  }
  return { title: [h('b.rule', null, a.subject_type)], lines: [], meta: a.subject };
}

/**
 * The other side's acknowledgement. An alert that arrived over the stream has no `peers` until
 * an acknowledgement event fills them in: until then the other party has not acknowledged.
 */
function peersOf(a: AlertView): NonNullable<AlertView['peers']> {
  if (a.peers) return a.peers;
  const c = a.summary.conflict;
  if (!c || c.internal) return [];
  const other = c.a.party === state.me?.party ? c.b : c.a;
  return [{ party: other.party, acknowledged: false, acknowledged_at: null, reply: null }];
}

export function mountWatch(el: HTMLElement, map: MapApi): void {
  const drafts = new Map<string, string>();
  const errors = new Map<string, string>();
  const busy = new Set<string>();
  let doneOpen = false;
  primeAudio();

  const notifSlot = h('span.notif');
  const title = h('span.title');
  const inbox = h('div.inbox', { 'data-testid': 'inbox' });
  const roster = h('div.roster', { 'data-testid': 'roster' });
  mount(el, h('div.watch', null, h('div.watch-head', null, title, notifSlot), inbox, roster));

  const canAck = () => (state.me?.roles ?? []).some((r) => ACK_ROLES.includes(r));
  /**
   * The alert the keys act on. Clicking an alert also selects it in the store (the Detail tab
   * shows it); `n` moves this selection only, so the inbox stays on screen.
   */
  let selected: string | null = state.selection?.type === 'alert' ? state.selection.id : null;
  const selectedId = () => selected;

  function openAlert(a: AlertView, detail = true): void {
    selected = a.id;
    drawSelection();
    const t = target(a);
    if (t) map.focus(t);
    if (detail) select('alert', a.id);
  }

  async function acknowledge(a: AlertView): Promise<void> {
    if (busy.has(a.id) || a.status !== 'open') return;
    const reply = (drafts.get(a.id) ?? '').trim();
    busy.add(a.id);
    errors.delete(a.id);
    draw();
    try {
      const r = await api<AlertView>('POST', `/alerts/${a.id}/ack`, reply === '' ? {} : { reply });
      drafts.delete(a.id);
      // Show where it went: the acknowledged section opens on this console's own acknowledgement.
      doneOpen = true;
      putAlert(r);
    } catch (err) {
      errors.set(a.id, err instanceof ApiError ? err.message : String((err as Error).message));
    } finally {
      busy.delete(a.id);
    }
    emit('alerts');
  }

  function card(a: AlertView): HTMLElement {
    const due = deadline(a);
    const last = a.escalations[a.escalations.length - 1];
    const peers = peersOf(a).map((p) =>
      h(
        'div.peer',
        { class: p.acknowledged ? 'acked' : 'pending' },
        p.acknowledged
          ? [
              h('b', null, p.party),
              ` acknowledged ${p.acknowledged_at ? dtg(p.acknowledged_at) : ''}`,
              p.reply ? `: ${p.reply}` : '',
            ]
          : [h('b', null, p.party), ': not yet acknowledged'],
      ),
    );
    const reply = h('input', {
      name: 'reply',
      placeholder: 'Reply (optional) — Enter acknowledges',
      autocomplete: 'off',
      maxlength: '1000',
      value: drafts.get(a.id) ?? '',
      disabled: busy.has(a.id),
      oninput: (e: Event) => drafts.set(a.id, (e.target as HTMLInputElement).value),
      onkeydown: (e: KeyboardEvent) => {
        if (e.key === 'Enter') {
          e.preventDefault();
          void acknowledge(a);
        }
      },
    });
    const err = errors.get(a.id);
    const what = about(a);
    return h(
      'div.alert',
      {
        class: [
          `prec-${a.precedence}`,
          a.escalated ? 'escalated' : '',
          a.id === selectedId() ? 'selected' : '',
        ]
          .join(' ')
          .trim(),
        dataset: { alertId: a.id, precedence: a.precedence, status: a.status },
        tabindex: '-1',
        onclick: (e: MouseEvent) => {
          if ((e.target as HTMLElement).closest('input, button, a, textarea')) return;
          openAlert(a);
        },
      },
      h(
        'div.alert-head',
        null,
        h('span.prec', null, a.precedence),
        what.title,
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
      ),
      a.escalated && a.status === 'open'
        ? h(
            'div.esc-badge',
            null,
            a.level === 'overdue' ? 'OVERDUE — no one acknowledged' : `ESCALATED → ${a.level}`,
          )
        : null,
      what.lines,
      h(
        'div.line.meta',
        null,
        what.meta,
        ' · holds ',
        h('span.holder', null, a.to.join(', ') || '—'),
        last?.uncovered ? h('span.warn', null, ' (no one on call: every holder of the role)') : null,
        a.escalated && a.status !== 'open' ? h('span.esc-past', null, ` · escalated → ${a.level}`) : null,
      ),
      peers.length > 0 ? h('div.peers', null, peers) : null,
      a.ack
        ? h(
            'div.line.acked',
            null,
            `✓ acknowledged by ${a.ack.username} ${dtg(a.ack.at)}`,
            a.ack.reply ? `: ${a.ack.reply}` : '',
          )
        : null,
      a.status === 'closed'
        ? h(
            'div.line.dim',
            null,
            `closed ${a.closed_at ? dtg(a.closed_at) : ''}${a.closed_reason ? ` (${words(a.closed_reason)})` : ''}`,
          )
        : null,
      a.status === 'open'
        ? h(
            'div.ack-row',
            null,
            reply,
            h(
              'button.primary',
              {
                dataset: { action: 'ack' },
                disabled: busy.has(a.id) || !canAck(),
                title: canAck()
                  ? 'Acknowledge (a)'
                  : 'Only the watch officer, senior officer or party admin acknowledges',
                onclick: () => void acknowledge(a),
              },
              busy.has(a.id) ? 'Acking…' : 'Ack',
            ),
          )
        : null,
      err ? h('div.error', { role: 'alert' }, err) : null,
    );
  }

  function drawNotif(): void {
    if (!notificationsSupported()) mount(notifSlot);
    else if (notificationsGranted())
      mount(
        notifSlot,
        h('span.dim', { title: 'Flash alerts raise a browser notification' }, 'notifications on'),
      );
    else if (Notification.permission === 'denied')
      mount(notifSlot, h('span.dim', null, 'notifications blocked'));
    else
      mount(
        notifSlot,
        h(
          'button',
          {
            dataset: { action: 'enable-notifications' },
            title: 'Flash alerts will also raise a browser notification',
            onclick: async () => {
              await requestNotifications();
              drawNotif();
            },
          },
          'Enable notifications',
        ),
      );
  }

  function draw(): void {
    const { open: opened, done } = inboxOrder(state.alerts.values());
    // Keep the reply being typed: remember the focused field and put the caret back.
    const active = document.activeElement as HTMLInputElement | null;
    const focusId =
      active?.name === 'reply' ? active.closest<HTMLElement>('.alert')?.dataset.alertId : undefined;
    const caret = focusId ? active?.selectionStart : null;
    const flash = opened.filter((a) => a.precedence === 'flash').length;
    mount(
      title,
      h('b', null, 'Inbox'),
      ` · ${opened.length} open`,
      flash > 0 ? h('span.warn', null, ` · ${flash} flash`) : '',
    );
    const details = h(
      'details.done',
      { open: doneOpen, ontoggle: (e: Event) => (doneOpen = (e.target as HTMLDetailsElement).open) },
      h('summary', null, `Acknowledged / closed (${done.length})`),
      done.map(card),
    );
    mount(
      inbox,
      opened.length === 0 ? h('div.empty.dim', null, 'No open alerts.') : opened.map(card),
      done.length > 0 ? details : null,
    );
    if (focusId) {
      const input = inbox.querySelector<HTMLInputElement>(
        `.alert[data-alert-id="${CSS.escape(focusId)}"] input[name=reply]`,
      );
      if (input && !input.disabled) {
        input.focus();
        if (caret !== null && caret !== undefined) input.setSelectionRange(caret, caret);
      }
    }
    setBadge('watch', opened.length > 0 ? String(opened.length) : '', flash > 0);
    tick();
  }

  function tick(): void {
    const now = Date.now();
    for (const c of inbox.querySelectorAll<HTMLElement>('.countdown[data-due]')) {
      const due = c.dataset.due as string;
      c.textContent = countdown(due, now);
      const left = Date.parse(due) - now;
      c.classList.toggle('late', left < 60_000);
      c.classList.toggle('overdue', left < 0);
    }
  }

  function drawSelection(): void {
    const id = selectedId();
    for (const c of inbox.querySelectorAll<HTMLElement>('.alert')) {
      const on = c.dataset.alertId === id;
      c.classList.toggle('selected', on);
      if (on) c.scrollIntoView({ block: 'nearest' });
    }
  }

  function drawRoster(): void {
    const r: RosterView | null = state.roster;
    if (!r) {
      mount(roster, h('h3', null, 'Roster'), h('div.dim', null, 'loading…'));
      return;
    }
    const now = Date.now();
    const dayStart = Math.floor(now / 86_400_000) * 86_400_000;
    const dayEnd = dayStart + 86_400_000;
    const onCall = (role: string, fallback: string[]) => {
      const names = r.shifts
        .filter((s) => s.role === role && Date.parse(s.start) <= now && now < Date.parse(s.end))
        .map((s) => s.username);
      return names.length > 0 ? names : fallback;
    };
    const who = (label: string, names: string[]) =>
      h(
        'div.oncall',
        null,
        h('span.k', null, label),
        names.length > 0 ? h('b', null, names.join(', ')) : h('span.warn', null, 'no one'),
      );
    const today = r.shifts
      .filter((s) => Date.parse(s.start) < dayEnd && Date.parse(s.end) > dayStart)
      .sort((x, y) => x.start.localeCompare(y.start) || x.role.localeCompare(y.role));
    const warnings = r.warnings
      .filter((w) => Date.parse(w.end) > now)
      .sort((x, y) => x.start.localeCompare(y.start));
    mount(
      roster,
      h('h3', null, `Roster · ${dtg(dayStart).slice(0, 2)}${dtg(dayStart).slice(7)} (UTC day)`),
      h(
        'div.oncall-now',
        null,
        h('span.dim', null, 'On call now'),
        who('watch officer', onCall('watch_officer', r.on_call_now.watch_officer)),
        who('senior officer', onCall('senior_officer', r.on_call_now.senior_officer)),
      ),
      today.length === 0
        ? h('div.dim', null, 'No shifts today.')
        : h(
            'table.shifts',
            null,
            h(
              'tbody',
              null,
              today.map((s) => {
                const now2 = Date.parse(s.start) <= now && now < Date.parse(s.end);
                return h(
                  'tr',
                  { class: now2 ? 'now' : '' },
                  h('td', null, words(s.role)),
                  h('td', null, s.username),
                  h('td.mono', null, `${dtg(s.start)}–${dtg(s.end)}`),
                );
              }),
            ),
          ),
      warnings.map((w) =>
        h(
          'div.roster-warning',
          { dataset: { code: w.code } },
          `⚠ ${w.code === 'no_one_on_call' ? 'No one on call' : words(w.code)} as ${words(w.role)}: ${dtg(w.start)}–${dtg(w.end)}`,
        ),
      ),
    );
  }

  on('alerts', draw);
  on('conflicts', draw);
  on('settings', draw);
  on('me', draw);
  on('selection', () => {
    if (state.selection?.type !== 'alert') return;
    selected = state.selection.id;
    drawSelection();
  });
  on('roster', drawRoster);
  setInterval(tick, 1000);
  setInterval(drawRoster, 60_000);
  drawNotif();
  draw();
  drawRoster();

  onEvent((e) => {
    if (e.type !== 'alert.created' && e.type !== 'alert.escalated') return;
    const a = e.data as AlertView;
    if (a.precedence !== 'flash' || state.alerts.get(a.id)?.status !== 'open') return;
    playAlarm();
    const what = e.type === 'alert.escalated' ? `FLASH escalated → ${a.level}` : 'FLASH alert';
    notify(
      `${what} (${state.me?.party ?? ''})`,
      `${headline(a)}\nAcknowledge by ${a.due_at ? dtg(a.due_at) : '—'}`,
      a.id,
      () => openAlert(a),
    );
  });

  const selectedOrTopOpen = (): AlertView | undefined => {
    const id = selectedId();
    const sel = id ? state.alerts.get(id) : undefined;
    return sel?.status === 'open' ? sel : inboxOrder(state.alerts.values()).open[0];
  };
  registerKey('a', 'Acknowledge the selected (or top) open alert', () => {
    // Never acknowledge what is not on screen: the first press shows the inbox.
    if (el.hidden) {
      openTab('watch');
      return;
    }
    const a = selectedOrTopOpen();
    if (a) void acknowledge(a);
  });
  registerKey('n', 'Select the next alert', () => {
    const { open: opened, done } = inboxOrder(state.alerts.values());
    const list = doneOpen ? [...opened, ...done] : opened.length > 0 ? opened : done;
    if (list.length === 0) return;
    const i = list.findIndex((a) => a.id === selectedId());
    openTab('watch');
    openAlert(list[(i + 1) % list.length] as AlertView, false);
  });
}
