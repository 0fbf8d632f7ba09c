/**
 * The console's wiring. Importing a panel module registers it with the shell (shell.ts); boot
 * shows the login screen or, with a session kept in the browser tab, the console: the top bar,
 * the map with its legend, the registered panels floating over the map's right-hand side, and
 * the time bar; then the party's picture and its stream, the first view framing the party's
 * theatre in the part of the map the panels leave uncovered, and the witness of the hub's record
 * (ledger/witness.ts), whose red banner floats over the map when the hub is caught.
 */
import './panels/watch/panel.ts';
import './panels/hotline/panel.ts';
import './panels/declare/panel.ts';
import './panels/detail/panel.ts';
import './panels/probing/panel.ts';
import './panels/record/panel.ts';
import './panels/agreements/panel.ts';
import './panels/files/panel.ts';
import { ApiError, logout, onSessionExpired, restoreSession } from './api.ts';
import { h, mount } from './dom.ts';
import { lock } from './ledger/state.ts';
import { historyAlarm } from './ledger/view.ts';
import { startWitness, stopWitness } from './ledger/witness.ts';
import { legend } from './legend.ts';
import { loginScreen, reloginDialog } from './login.ts';
import { createMap } from './map/map.ts';
import { listenKeys, mountPanels } from './shell.ts';
import { state } from './store.ts';
import { start, stop } from './sync.ts';
import { mountTimebar } from './timebar.ts';
import { topBar } from './topbar.ts';

/** Start the console in `root`. */
export function boot(root: HTMLElement): void {
  listenKeys();
  onSessionExpired(() => reloginDialog(root));
  if (restoreSession()) void enter(root);
  else showLogin(root);
}

/** The login screen, entering the console once logged in. */
function showLogin(root: HTMLElement, message = ''): void {
  loginScreen(root, () => enter(root), message);
}

/** The console for the person logged in: its frame, then the first load and the stream. */
async function enter(root: HTMLElement): Promise<void> {
  const me = state.me;
  if (!me) return showLogin(root);
  const mapEl = h('div#map');
  const aside = h('aside');
  const timebar = h('footer.timebar');
  mount(
    root,
    h(
      'div.console',
      null,
      topBar(me, () => logOut(root)),
      h('main', null, mapEl, historyAlarm(), aside),
      timebar,
    ),
  );
  // The panels float over the map: the map keeps the whole width, and fits what it shows into
  // the part they leave uncovered.
  const map = createMap(mapEl, () => [aside]);
  mapEl.append(legend());
  mountTimebar(timebar, map);
  mountPanels(aside, map);
  try {
    await start();
    // The record is checked once the party's picture is in: an alert comes first.
    startWitness();
    map.showTheatre();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      stop();
      stopWitness();
      return showLogin(root, 'Your session has ended: log in again.');
    }
    throw err;
  }
}

/** End the session and go back to the login screen. */
async function logOut(root: HTMLElement): Promise<void> {
  stop();
  stopWitness();
  // The unlocked signing key goes with the session.
  lock();
  await logout().catch(() => undefined);
  showLogin(root);
}
