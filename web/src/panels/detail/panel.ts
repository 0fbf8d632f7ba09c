/**
 * The Detail panel: what is selected (on the map, in the inbox, in a message), in full — a
 * declaration (declaration.ts), a conflict (conflict.ts) or an alert's subject (alert.ts).
 * Selecting anything shows this panel.
 */

import { api, errorText } from '../../api.ts';
import { h, mount } from '../../dom.ts';
import { declarationName } from '../../labels.ts';
import type { MapApi } from '../../map/api.ts';
import { openTab, registerPanel } from '../../shell.ts';
import { on, state } from '../../store.ts';
import { loadConflicts, loadDeclarations } from '../../sync.ts';
import type { Feature } from '../../wire.ts';
import { alertView } from './alert.ts';
import { conflictById } from './conflict.ts';
import { type DeclarationActions, declarationView } from './declaration.ts';
import { followNotifications } from './notified.ts';

registerPanel({ id: 'detail', label: 'Detail', key: '4', mount: mountDetail });

/** The panel's root and state. */
interface Detail extends DeclarationActions {
  readonly root: HTMLElement;
  busy: boolean;
  /** What the last action said (withdrawing, withdrawn, not withdrawn). */
  message: string;
}

/** Draw the panel into `el` and keep it current. */
function mountDetail(el: HTMLElement, map: MapApi): void {
  const d: Detail = {
    root: h('div.detail', { 'data-testid': 'detail' }),
    map,
    busy: false,
    message: '',
    withdraw: (f, reason) => void withdraw(d, f, reason),
  };
  mount(el, d.root);
  on('selection', () => {
    d.message = '';
    draw(d);
  });
  const redraw = () => {
    // Do not redraw under the user's typing (the reason field).
    if (d.root.contains(document.activeElement) && document.activeElement?.tagName === 'INPUT') return;
    draw(d);
  };
  for (const t of ['declarations', 'conflicts', 'alerts', 'agreements', 'blind', 'settings', 'time'] as const)
    on(t, redraw);
  // Who acknowledged a notification: its section reads the hub and redraws with the answer.
  followNotifications(redraw);
  // "Now" moves: keep "in force / upcoming / ended" true.
  setInterval(() => {
    if (state.time === null && !d.root.contains(document.activeElement)) draw(d);
  }, 60_000);
  draw(d);
  on('selection', () => openTab('detail'));
}

/** The selection in full, or how to select something. */
function draw(d: Detail): void {
  const s = state.selection;
  if (!s) {
    d.root.removeAttribute('data-type');
    d.root.removeAttribute('data-id');
    mount(
      d.root,
      h(
        'p.dim.dt-empty',
        null,
        'Nothing selected. Click a declaration or a conflict on the map, an alert in the Watch panel or a reference in a message.',
      ),
    );
    return;
  }
  d.root.dataset.type = s.type;
  d.root.dataset.id = s.id;
  if (s.type === 'declaration') mount(d.root, declarationView(s.id, undefined, d));
  else if (s.type === 'conflict') mount(d.root, conflictById(s.id, d.map));
  else mount(d.root, alertView(s.id, d));
  if (d.message) d.root.append(h('div.dt-status', { role: 'status' }, d.message));
}

/** Withdraw one of the party's declarations, once the user confirms. */
async function withdraw(d: Detail, f: Feature, reason: string): Promise<void> {
  if (d.busy) return;
  const name = declarationName(f);
  if (
    !window.confirm(
      `Withdraw "${name}"?\n\nIt stops counting at once and its open conflicts close as withdrawn.`,
    )
  )
    return;
  d.busy = true;
  d.message = 'Withdrawing…';
  draw(d);
  try {
    await api('POST', `/declarations/${encodeURIComponent(f.id)}/withdraw`, reason ? { reason } : {});
    d.message = `Withdrawn: ${name}.`;
    await Promise.all([loadDeclarations(), loadConflicts()]);
  } catch (err) {
    d.message = `Not withdrawn: ${errorText(err)}`;
  } finally {
    d.busy = false;
    draw(d);
  }
}
