/**
 * The top bar: who is logged in, the Zulu clock, the push channel, how far the hub's record is
 * verified, the settings, log out.
 */
import { h } from './dom.ts';
import { dtg, local } from './format.ts';
import { recordBadge } from './ledger/view.ts';
import { type Me, on, type Settings, saveSettings, state } from './store.ts';

/** The top bar for `me`; `logOut` runs when the button is pressed. */
export function topBar(me: Me, logOut: () => Promise<void>): HTMLElement {
  return h(
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
    clock(),
    connection(),
    recordBadge(),
    h('span.spacer'),
    choice('coords', 'Coordinates', [
      ['mgrs', 'MGRS'],
      ['latlon', 'Lat/Lon'],
    ]),
    choice('units', 'Distances', [
      ['metric', 'm / km'],
      ['nautical', 'NM'],
    ]),
    muteBox(),
    h('button.logout', { onclick: () => void logOut() }, 'Log out'),
  );
}

/** Zulu time and local time, every second. */
function clock(): HTMLElement {
  const el = h('span.clock');
  const tick = () => {
    const now = Date.now();
    el.textContent = `${dtg(now)} · ${local(now)} local`;
  };
  tick();
  setInterval(tick, 1000);
  return el;
}

/** The push channel's state: live, connecting or offline. */
function connection(): HTMLElement {
  const el = h('span.conn', { title: 'push channel' });
  const draw = () => {
    el.textContent =
      state.connection === 'live'
        ? '● live'
        : state.connection === 'connecting'
          ? '◌ connecting'
          : '○ offline';
    el.className = `conn ${state.connection}`;
  };
  on('connection', draw);
  draw();
  return el;
}

/** A select for one setting, showing its current value. */
function choice<K extends 'coords' | 'units'>(
  name: K,
  title: string,
  options: [Settings[K], string][],
): HTMLSelectElement {
  return h(
    'select',
    {
      name,
      title,
      onchange: (e: Event) => saveSettings({ [name]: (e.target as HTMLSelectElement).value as Settings[K] }),
    },
    options.map(([value, text]) => h('option', { value, selected: state.settings[name] === value }, text)),
  );
}

/** The alarm's mute switch. */
function muteBox(): HTMLElement {
  return h(
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
}
