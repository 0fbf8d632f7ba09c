/** The other parties as checkboxes: who may see a declaration, and whom a restricted zone binds. */
import { h, mount } from '../../dom.ts';
import { state } from '../../store.ts';

/** One set of party checkboxes and the parties ticked. */
export interface PartyChoice {
  readonly el: HTMLElement;
  readonly chosen: Set<string>;
}

/** The form's two party choices and the "all parties" switch of the visibility. */
export interface Parties {
  readonly visibleToAll: HTMLInputElement;
  readonly visibility: PartyChoice;
  readonly appliesTo: PartyChoice;
  /** Draw the checkboxes when the other parties changed (always when `force`: the ticks changed). */
  draw(force?: boolean): void;
  /** The visibility's boxes are off while "All parties" is ticked. */
  sync(): void;
}

/** The party choices of the form, for a declaration of `party`. */
export function partyChoices(party: string): Parties {
  const visibleToAll = h('input', { type: 'checkbox', name: 'visibility-all', checked: true });
  const visibility = { el: h('span.dcl-parties'), chosen: new Set<string>() };
  const appliesTo = { el: h('span.dcl-parties'), chosen: new Set<string>() };
  let shown = '';
  const sync = () => {
    for (const b of visibility.el.querySelectorAll('input')) b.disabled = visibleToAll.checked;
    visibility.el.classList.toggle('dim', visibleToAll.checked);
  };
  const draw = (force = false) => {
    const others = state.parties.filter((p) => p.id !== party);
    const key = others.map((p) => p.id).join(',');
    if (key === shown && !force) return;
    shown = key;
    mount(
      visibility.el,
      others.map((p) => partyBox(p, 'visibility-party', visibility.chosen)),
    );
    mount(
      appliesTo.el,
      others.map((p) => partyBox(p, 'applies-to', appliesTo.chosen)),
    );
    sync();
  };
  visibleToAll.addEventListener('change', sync);
  return { visibleToAll, visibility, appliesTo, draw, sync };
}

/** A checkbox for one party, ticked when chosen, changing the choice. */
function partyBox(p: { id: string; name: string }, name: string, chosen: Set<string>): HTMLElement {
  return h(
    'label.dcl-check',
    { title: p.name },
    h('input', {
      type: 'checkbox',
      name,
      value: p.id,
      checked: chosen.has(p.id),
      onchange: (e: Event) => {
        const t = e.target as HTMLInputElement;
        if (t.checked) chosen.add(p.id);
        else chosen.delete(p.id);
      },
    }),
    p.id,
  );
}
