/**
 * The probing budgets: one row per other party — how many of its real submissions met our hidden
 * declarations today against its budget, what is left (a small bar), its last probe and when it
 * ran out; a party admin sets the budget in place (number + Set, or Enter).
 */
import { h, mount } from '../../dom.ts';
import { dtg, local } from '../../format.ts';
import { isPartyAdmin } from '../../roles.ts';
import type { ProbingParty } from '../../wire.ts';
import type { Probing } from './state.ts';

/** Ran out first, then the most used, then by name. */
function order(x: ProbingParty, y: ProbingParty): number {
  const out = (p: ProbingParty) => (p.exhausted_at === null ? 1 : 0);
  return out(x) - out(y) || y.used_today - x.used_today || x.party.localeCompare(y.party);
}

/** Draw every other party's row into `pr.parties`, keeping a budget being typed. */
export function drawBudgets(pr: Probing): void {
  const v = pr.view;
  if (!v) return;
  const typing = budgetTyped(pr.parties);
  mount(
    pr.parties,
    h('h3', null, 'Budgets today'),
    v.parties.length === 0
      ? h('div.dim', null, 'No other party.')
      : h(
          'div.pb-rows',
          null,
          [...v.parties].sort(order).map((p) => partyRow(pr, p)),
        ),
  );
  if (typing) restoreTyping(pr.parties, typing);
}

/** One party: used / per day, the bar of what is left, last probe, ran out at, and the budget. */
function partyRow(pr: Probing, p: ProbingParty): HTMLElement {
  const out = p.exhausted_at !== null;
  const withheld = withheldToday(pr, p.party);
  const err = pr.errors.get(p.party);
  return h(
    'div.pb-row',
    { class: out ? 'exhausted' : '', dataset: { party: p.party } },
    h(
      'div.pb-line',
      null,
      h('b.pb-party', null, p.party),
      h(
        'span.pb-used.mono',
        { title: 'hidden conflicts found today (answered and withheld) / budget per day' },
        `${p.used_today} / ${p.per_day}`,
      ),
      remainingBar(p),
      h('span.pb-left', null, `${p.remaining} left`),
    ),
    h(
      'div.pb-line.pb-meta',
      null,
      out ? h('span.pb-out', null, 'exhausted') : null,
      withheld > 0 ? h('span.pb-withheld-count', null, `${withheld} withheld`) : null,
      h('span', null, h('span.k', null, 'last'), stamp(p.last_at, 'no probe')),
      out ? h('span', null, h('span.k', null, 'out at'), stamp(p.exhausted_at, '')) : null,
      h('span.spacer'),
      budgetControl(pr, p),
    ),
    err ? h('div.error', { role: 'alert' }, err) : null,
  );
}

/** How many of a party's probes today were withheld from it (as the recent list tells). */
function withheldToday(pr: Probing, party: string): number {
  const v = pr.view;
  if (!v) return 0;
  return v.recent.filter((x) => x.party === party && x.withheld && x.at.slice(0, 10) === v.day).length;
}

/** A time as a DTG (local time on hover), or `none`. */
function stamp(iso: string | null, none: string): HTMLElement {
  if (iso === null) return h('span.dim', null, none);
  return h('span.mono', { title: `${local(iso)} local` }, dtg(iso));
}

/** What is left of the budget, as a small bar (empty and red once used up). */
function remainingBar(p: ProbingParty): HTMLElement {
  const share = p.per_day > 0 ? Math.max(0, Math.min(1, p.remaining / p.per_day)) : 0;
  const level = share === 0 ? 'none' : share <= 0.25 ? 'low' : 'ok';
  return h(
    'span.pb-bar',
    {
      role: 'meter',
      'aria-valuemin': '0',
      'aria-valuemax': String(p.per_day),
      'aria-valuenow': String(p.remaining),
      'aria-label': `${p.remaining} of ${p.per_day} left`,
      title: `${p.remaining} of ${p.per_day} left today`,
    },
    h(`span.pb-fill.pb-${level}`, { style: { width: `${Math.round(share * 100)}%` } }),
  );
}

/** The budget: a number and Set for a party admin, else the figure. */
function budgetControl(pr: Probing, p: ProbingParty): HTMLElement {
  if (!isPartyAdmin()) return h('span.dim', null, `budget ${p.per_day} / day`);
  const busy = pr.busy.has(p.party);
  const input = h('input.pb-input', {
    type: 'number',
    name: 'per-day',
    min: '0',
    step: '1',
    'aria-label': `Budget per day for ${p.party}`,
    value: pr.drafts.get(p.party) ?? String(p.per_day),
    disabled: busy,
    oninput: (e: Event) => pr.drafts.set(p.party, (e.target as HTMLInputElement).value),
    onkeydown: (e: KeyboardEvent) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        pr.setBudget(p.party);
      }
    },
  });
  return h(
    'span.pb-budget',
    null,
    h('span.k', null, 'per day'),
    input,
    h(
      'button',
      {
        type: 'button',
        dataset: { action: 'set-budget' },
        disabled: busy,
        title: `Hidden conflicts ${p.party} is answered per UTC day before they are withheld`,
        onclick: () => pr.setBudget(p.party),
      },
      busy ? 'Setting…' : 'Set',
    ),
  );
}

/** The budget field being typed in, if any: its party and the caret. */
function budgetTyped(el: HTMLElement): { party: string } | null {
  const active = document.activeElement as HTMLInputElement | null;
  if (active?.name !== 'per-day' || !el.contains(active)) return null;
  const party = active.closest<HTMLElement>('.pb-row')?.dataset.party;
  return party ? { party } : null;
}

/** Put the focus back in that party's budget field, redrawn. */
function restoreTyping(el: HTMLElement, typing: { party: string }): void {
  const input = el.querySelector<HTMLInputElement>(
    `.pb-row[data-party="${CSS.escape(typing.party)}"] input[name=per-day]`,
  );
  if (input && !input.disabled) input.focus();
}
