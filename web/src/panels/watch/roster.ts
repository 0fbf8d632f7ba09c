/** Today's roster under the inbox: who is on call now, the day's shifts, and gaps in cover. */
import { h, mount } from '../../dom.ts';
import { dtg } from '../../format.ts';
import { words } from '../../labels.ts';
import { state } from '../../store.ts';
import type { RosterView } from '../../wire.ts';

const DAY = 86_400_000;
type Shift = RosterView['shifts'][number];

/** Draw the roster of the current UTC day into `el` (or that it is loading). */
export function drawRoster(el: HTMLElement): void {
  const r = state.roster;
  if (!r) {
    mount(el, h('h3', null, 'Roster'), h('div.dim', null, 'loading…'));
    return;
  }
  const now = Date.now();
  const dayStart = Math.floor(now / DAY) * DAY;
  const today = r.shifts
    .filter((s) => Date.parse(s.start) < dayStart + DAY && Date.parse(s.end) > dayStart)
    .sort((x, y) => x.start.localeCompare(y.start) || x.role.localeCompare(y.role));
  mount(
    el,
    h('h3', null, `Roster · ${dtg(dayStart).slice(0, 2)}${dtg(dayStart).slice(7)} (UTC day)`),
    onCallNow(r, now),
    today.length === 0 ? h('div.dim', null, 'No shifts today.') : shiftTable(today, now),
    warnings(r, now),
  );
}

/** Whether a shift covers the instant. */
const covers = (s: Shift, t: number): boolean => Date.parse(s.start) <= t && t < Date.parse(s.end);

/** The watch officer and senior officer on call now (by the shifts, else as the hub said). */
function onCallNow(r: RosterView, now: number): HTMLElement {
  const onCall = (role: string, fallback: string[]) => {
    const names = r.shifts.filter((s) => s.role === role && covers(s, now)).map((s) => s.username);
    return names.length > 0 ? names : fallback;
  };
  const who = (label: string, names: string[]) =>
    h(
      'div.oncall',
      null,
      h('span.k', null, label),
      names.length > 0 ? h('b', null, names.join(', ')) : h('span.warn', null, 'no one'),
    );
  return h(
    'div.oncall-now',
    null,
    h('span.dim', null, 'On call now'),
    who('watch officer', onCall('watch_officer', r.on_call_now.watch_officer)),
    who('senior officer', onCall('senior_officer', r.on_call_now.senior_officer)),
  );
}

/** The day's shifts, the current ones marked. */
function shiftTable(today: readonly Shift[], now: number): HTMLElement {
  return h(
    'table.shifts',
    null,
    h(
      'tbody',
      null,
      today.map((s) =>
        h(
          'tr',
          { class: covers(s, now) ? 'now' : '' },
          h('td', null, words(s.role)),
          h('td', null, s.username),
          h('td.mono', null, `${dtg(s.start)}–${dtg(s.end)}`),
        ),
      ),
    ),
  );
}

/** Gaps in cover that have not ended yet. */
function warnings(r: RosterView, now: number): HTMLElement[] {
  return r.warnings
    .filter((w) => Date.parse(w.end) > now)
    .sort((x, y) => x.start.localeCompare(y.start))
    .map((w) =>
      h(
        'div.roster-warning',
        { dataset: { code: w.code } },
        `⚠ ${w.code === 'no_one_on_call' ? 'No one on call' : words(w.code)} as ${words(w.role)}: ${dtg(w.start)}–${dtg(w.end)}`,
      ),
    );
}
