/**
 * The console's shell: the registry of side panels, their tabs and badges, and the keyboard.
 * Each panel module registers itself when it is imported (its tab, its key, how to mount it);
 * the shell builds the tab bar from what registered and knows no panel by name. Panels reach
 * each other only through the shell (`openTab`) and the store, never by importing each other.
 */
import { h } from './dom.ts';
import type { MapApi } from './map/api.ts';

/** A side panel, as it registers with the shell. */
export interface Panel {
  /** Its tab's id (`data-tab`), and what `openTab` and `setBadge` name it by. */
  readonly id: string;
  readonly label: string;
  /** The key that shows it: tabs are ordered by their key ('1' first). */
  readonly key: string;
  /** Draw the panel into its section (once per login). */
  mount(el: HTMLElement, map: MapApi): void;
}

const panels: Panel[] = [];
const keys = new Map<string, () => void>();
/** The mounted tab bar: one button, badge and section per panel. */
const tabs = new Map<string, { button: HTMLElement; badge: HTMLElement; section: HTMLElement }>();

/** Add a panel to the console; its key shows it. */
export function registerPanel(panel: Panel): void {
  panels.push(panel);
  panels.sort((a, b) => a.key.localeCompare(b.key));
  registerKey(panel.key, () => openTab(panel.id));
}

/** A keyboard shortcut (ignored while typing in a field). */
export function registerKey(key: string, fn: () => void): void {
  keys.set(key, fn);
}

/** Run registered shortcuts from the keyboard (once, at boot). */
export function listenKeys(): void {
  document.addEventListener('keydown', (e) => {
    const t = e.target as HTMLElement;
    if (t.closest('input, textarea, select') || e.ctrlKey || e.metaKey || e.altKey) return;
    const fn = keys.get(e.key);
    if (fn) {
      e.preventDefault();
      fn();
    }
  });
}

/** Show one panel, hiding the others. */
export function openTab(id: string): void {
  for (const [t, { button, section }] of tabs) {
    section.hidden = t !== id;
    button.classList.toggle('active', t === id);
  }
}

/** A tab's badge: a count, highlighted when urgent; hidden when empty. */
export function setBadge(id: string, text: string, urgent = false): void {
  const b = tabs.get(id)?.badge;
  if (!b) return;
  b.textContent = text;
  b.classList.toggle('urgent', urgent);
  b.hidden = text === '';
}

/** Fill `aside` with the tab bar and one section per panel, show the first, then mount each. */
export function mountPanels(aside: HTMLElement, map: MapApi): void {
  tabs.clear();
  for (const p of panels) tabs.set(p.id, tabOf(p));
  const all = [...tabs.values()];
  aside.replaceChildren(
    h(
      'nav.tabs',
      null,
      all.map((t) => t.button),
    ),
    ...all.map((t) => t.section),
  );
  if (panels[0]) openTab(panels[0].id);
  for (const p of panels) p.mount((tabs.get(p.id) as { section: HTMLElement }).section, map);
}

/** A panel's tab button (with its badge) and its hidden section. */
function tabOf(p: Panel): { button: HTMLElement; badge: HTMLElement; section: HTMLElement } {
  const badge = h('span.badge', { hidden: true });
  const button = h(
    'button.tab',
    { dataset: { tab: p.id }, title: `${p.label} (${p.key})`, onclick: () => openTab(p.id) },
    p.label,
    badge,
  );
  return { button, badge, section: h('section.panel', { id: `panel-${p.id}`, hidden: true }) };
}
