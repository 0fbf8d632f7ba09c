/**
 * The console's frame: login, the top bar (party, role, Zulu clock, connection, settings,
 * logout), the map, the side panels (Watch, Hotline, Declare, Detail), the time bar and the
 * keyboard. Panels live in their own modules and redraw from the store.
 */
import { ApiError, login, logout, onSessionExpired, restoreSession } from './api.ts';
import { mountDeclare } from './declare.ts';
import { mountDetail } from './detail.ts';
import { h, mount } from './dom.ts';
import { dtg, local } from './format.ts';
import { mountHotline } from './hotline.ts';
import { createMap } from './map.ts';
import { emit, on, saveSettings, state } from './store.ts';
import { start, stop } from './sync.ts';
import { mountWatch } from './watch.ts';

export type Tab = 'watch' | 'hotline' | 'declare' | 'detail';
const TABS: { id: Tab; label: string; key: string }[] = [
  { id: 'watch', label: 'Watch', key: '1' },
  { id: 'hotline', label: 'Hotline', key: '2' },
  { id: 'declare', label: 'Declare', key: '3' },
  { id: 'detail', label: 'Detail', key: '4' },
];

const keys = new Map<string, { fn: () => void; what: string }>();
/** A keyboard shortcut (ignored while typing in a field). */
export function registerKey(key: string, what: string, fn: () => void): void {
  keys.set(key, { fn, what });
}

let showTab: (t: Tab) => void = () => undefined;
export function openTab(t: Tab): void {
  showTab(t);
}

/** Badge counts on the tabs (set by the panels). */
const badges = new Map<Tab, HTMLElement>();
export function setBadge(t: Tab, text: string, urgent = false): void {
  const b = badges.get(t);
  if (!b) return;
  b.textContent = text;
  b.classList.toggle('urgent', urgent);
  b.hidden = text === '';
}

export function boot(root: HTMLElement): void {
  document.addEventListener('keydown', (e) => {
    const t = e.target as HTMLElement;
    if (t.closest('input, textarea, select') || e.ctrlKey || e.metaKey || e.altKey) return;
    const k = keys.get(e.key);
    if (k) {
      e.preventDefault();
      k.fn();
    }
  });
  onSessionExpired(() => reloginDialog(root));
  if (restoreSession()) void enter(root);
  else loginScreen(root);
}

function loginScreen(root: HTMLElement, message = ''): void {
  const user = h('input', { name: 'username', autocomplete: 'username', required: true, autofocus: true });
  const pass = h('input', {
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const error = h('div.error', { role: 'alert' }, message);
  const form = h(
    'form.login',
    {
      onsubmit: async (e: Event) => {
        e.preventDefault();
        error.textContent = '';
        try {
          await login(user.value, pass.value);
          await enter(root);
        } catch (err) {
          error.textContent =
            err instanceof ApiError && err.status === 401
              ? 'Unknown username or wrong password.'
              : String((err as Error).message);
        }
      },
    },
    h('h1', null, 'deconflict'),
    h('label', null, 'Username', user),
    h('label', null, 'Password', pass),
    h('button', { type: 'submit' }, 'Log in'),
    error,
  );
  mount(root, h('div.login-screen', null, form));
  user.focus();
}

/** The session ended under the user: ask for the password again, in place, keeping the page. */
function reloginDialog(root: HTMLElement): Promise<void> {
  return new Promise((resolve) => {
    const me = state.me;
    if (!me) return;
    const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password' });
    const error = h('div.error', { role: 'alert' });
    const dialog = h(
      'div.modal',
      { role: 'dialog', 'aria-label': 'Session expired' },
      h(
        'form',
        {
          onsubmit: async (e: Event) => {
            e.preventDefault();
            try {
              const fresh = await login(me.username, pass.value);
              state.me = fresh;
              dialog.remove();
              resolve();
            } catch {
              error.textContent = 'Wrong password.';
            }
          },
        },
        h('h2', null, 'Session expired'),
        h('p', null, `Log in again as ${me.username}; nothing you typed is lost.`),
        pass,
        h('button', { type: 'submit' }, 'Continue'),
        error,
      ),
    );
    root.appendChild(dialog);
    pass.focus();
  });
}

async function enter(root: HTMLElement): Promise<void> {
  const me = state.me;
  if (!me) return loginScreen(root);
  const clock = h('span.clock');
  const conn = h('span.conn', { title: 'push channel' });
  const tick = () => {
    const now = Date.now();
    clock.textContent = `${dtg(now)} · ${local(now)} local`;
  };
  tick();
  setInterval(tick, 1000);
  const drawConn = () => {
    conn.textContent =
      state.connection === 'live'
        ? '● live'
        : state.connection === 'connecting'
          ? '◌ connecting'
          : '○ offline';
    conn.className = `conn ${state.connection}`;
  };
  on('connection', drawConn);
  drawConn();

  const coords = h(
    'select',
    {
      name: 'coords',
      title: 'Coordinates',
      onchange: (e: Event) => saveSettings({ coords: (e.target as HTMLSelectElement).value as 'mgrs' }),
    },
    h('option', { value: 'mgrs', selected: state.settings.coords === 'mgrs' }, 'MGRS'),
    h('option', { value: 'latlon', selected: state.settings.coords === 'latlon' }, 'Lat/Lon'),
  );
  const units = h(
    'select',
    {
      name: 'units',
      title: 'Distances',
      onchange: (e: Event) => saveSettings({ units: (e.target as HTMLSelectElement).value as 'metric' }),
    },
    h('option', { value: 'metric', selected: state.settings.units === 'metric' }, 'm / km'),
    h('option', { value: 'nautical', selected: state.settings.units === 'nautical' }, 'NM'),
  );
  const mute = h(
    'label.mute',
    null,
    h('input', {
      type: 'checkbox',
      name: 'mute',
      checked: state.settings.mute,
      onchange: (e: Event) => saveSettings({ mute: (e.target as HTMLInputElement).checked }),
    }),
    'Mute',
  );

  const top = h(
    'header.top',
    null,
    h('span.brand', null, 'deconflict'),
    h(
      'span.who',
      { 'data-testid': 'who' },
      h('b', null, me.party),
      ' · ',
      me.roles.join(', '),
      ' · ',
      me.username,
    ),
    clock,
    conn,
    h('span.spacer'),
    coords,
    units,
    mute,
    h(
      'button.logout',
      {
        onclick: async () => {
          stop();
          await logout().catch(() => undefined);
          loginScreen(root);
        },
      },
      'Log out',
    ),
  );

  const mapEl = h('div#map');
  const panels = new Map<Tab, HTMLElement>(
    TABS.map((t) => [t.id, h('section.panel', { id: `panel-${t.id}`, hidden: true })]),
  );
  const tabButtons = TABS.map((t) => {
    const badge = h('span.badge', { hidden: true });
    badges.set(t.id, badge);
    return h(
      'button.tab',
      { dataset: { tab: t.id }, title: `${t.label} (${t.key})`, onclick: () => showTab(t.id) },
      t.label,
      badge,
    );
  });
  showTab = (id) => {
    for (const [t, el] of panels) el.hidden = t !== id;
    for (const b of tabButtons) b.classList.toggle('active', b.dataset.tab === id);
  };
  for (const t of TABS) registerKey(t.key, `${t.label} panel`, () => showTab(t.id));

  const timebar = h('footer.timebar');
  mount(
    root,
    h(
      'div.console',
      null,
      top,
      h('main', null, mapEl, h('aside', null, h('nav.tabs', null, tabButtons), [...panels.values()])),
      timebar,
    ),
  );
  showTab('watch');
  const map = createMap(mapEl);
  mountTimebar(timebar);
  mountWatch(panels.get('watch') as HTMLElement, map);
  mountHotline(panels.get('hotline') as HTMLElement, map);
  mountDeclare(panels.get('declare') as HTMLElement, map);
  mountDetail(panels.get('detail') as HTMLElement, map);
  on('selection', () => showTab('detail'));
  try {
    await start();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      stop();
      return loginScreen(root, 'Your session has ended: log in again.');
    }
    throw err;
  }
}

/** The time slider: the picture at any moment from a day ago to three days ahead. */
function mountTimebar(el: HTMLElement): void {
  const HOUR = 3_600_000;
  const slider = h('input', {
    type: 'range',
    name: 'time',
    min: '-24',
    max: '72',
    step: '0.25',
    value: '0',
    'aria-label': 'Time shown',
  });
  const label = h('span.shown');
  const nowBtn = h(
    'button',
    {
      onclick: () => {
        state.time = null;
        slider.value = '0';
        draw();
        emit('time');
      },
    },
    'Now',
  );
  const draw = () => {
    const t = state.time ?? Date.now();
    label.textContent = `${state.time === null ? 'Now: ' : 'Shown: '}${dtg(t)} · ${local(t)} local`;
  };
  slider.addEventListener('input', () => {
    const offset = Number(slider.value) * HOUR;
    state.time = offset === 0 ? null : Math.round((Date.now() + offset) / 60_000) * 60_000;
    draw();
    emit('time');
  });
  setInterval(draw, 1000);
  draw();
  mount(el, slider, label, nowBtn);
}
