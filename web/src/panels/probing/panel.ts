/**
 * The Probing panel: who has been probing this party's hidden declarations (docs/design.md §8).
 *
 * A probe is another party's real submission that conflicted with a declaration of ours hidden
 * from it: the answer told it that something hidden lies near. Each other party is answered so
 * many such conflicts per UTC day (the budget, set by our party admin); past it, the conflict is
 * withheld from it until a watch officer releases it. Per party: used today / per day, what is
 * left, the last probe and when it ran out; then the recent probes, each a link to its conflict.
 *
 * For a party that has them, its sealed declarations and the blind checks it asked or owned
 * (docs/blind-matching.md, blind.ts): who asked about its sealed declarations, never where.
 *
 * Read from the hub when the console starts, when the tab is shown, and when the stream says a
 * conflict or a probing alert arrived (the sealed declarations and checks also on `sealed.changed`,
 * `blind.task` and blind-check alerts: sync.ts); the tab's badge counts the parties that ran out
 * today.
 */
import { api, errorText } from '../../api.ts';
import { loadBlind, withdrawSealed } from '../../blind.ts';
import { h, mount } from '../../dom.ts';
import { dtg } from '../../format.ts';
import { kindLabel } from '../../labels.ts';
import { registerPanel, setBadge } from '../../shell.ts';
import { on, state } from '../../store.ts';
import { onEvent } from '../../sync.ts';
import type { AlertView, ProbingParty, ProbingView } from '../../wire.ts';
import { drawChecks, drawSealed } from './blind.ts';
import { drawBudgets } from './budgets.ts';
import { drawRecent } from './recent.ts';
import type { Probing } from './state.ts';

registerPanel({ id: 'probing', label: 'Probing', key: '5', mount: mountProbing });

/** Draw the panel into `el`, read the hub, and keep it current. */
function mountProbing(el: HTMLElement): void {
  const pr: Probing = {
    el,
    head: h('div.pb-head'),
    error: h('div.error', { role: 'alert' }),
    parties: h('section.pb-parties', { 'data-testid': 'probing-parties' }),
    recent: h('section.pb-recent', { 'data-testid': 'probing-recent' }),
    sealed: h('section.pb-sealed-section', { 'data-testid': 'probing-sealed', hidden: true }),
    checks: h('section.pb-checks-section', { 'data-testid': 'probing-checks', hidden: true }),
    view: null,
    at: null,
    drafts: new Map(),
    busy: new Set(),
    errors: new Map(),
    withdrawing: new Set(),
    withdrawErrors: new Map(),
    setBudget: (party) => void setBudget(pr, party),
    withdrawSealed: (id) => void withdraw(pr, id),
    refresh: () => schedule(pr),
  };
  mount(
    el,
    h(
      'div.probing',
      { 'data-testid': 'probing' },
      pr.head,
      h(
        'p.dim.pb-about',
        null,
        'A probe is another party’s real submission that conflicted with one of your declarations hidden from it. ',
        'Past its budget for the UTC day, such a conflict is withheld from that party until you release it.',
      ),
      pr.error,
      pr.parties,
      pr.recent,
      pr.sealed,
      pr.checks,
    ),
  );
  follow(pr);
  draw(pr);
  schedule(pr, 0);
}

/** Read again when shown, when the stream brings a conflict or a probing alert, and each minute shown. */
function follow(pr: Probing): void {
  new MutationObserver(() => {
    if (!pr.el.hidden) schedule(pr, 0);
  }).observe(pr.el, { attributes: true, attributeFilter: ['hidden'] });
  onEvent((e) => {
    const probing = e.type.startsWith('alert.') && (e.data as AlertView)?.subject_type === 'probing';
    if (probing || e.type.startsWith('conflict.') || e.type.startsWith('probing')) schedule(pr);
  });
  // Released, or read again: whether each probe is still withheld.
  on('conflicts', () => drawRecent(pr));
  on('settings', () => draw(pr));
  // Sealed declarations and blind checks: held in the store, read again on their events (sync.ts).
  on('blind', () => drawBlind(pr));
  // An asking declaration is named once it is held.
  on('declarations', () => drawChecks(pr));
  setInterval(() => {
    if (!pr.el.hidden) schedule(pr, 0);
  }, 60_000);
}

let timer: ReturnType<typeof setTimeout> | undefined;
let reading = false;
let again = false;

/** Read the hub after `after` ms, once per burst of events (never two reads at once). */
function schedule(pr: Probing, after = 250): void {
  clearTimeout(timer);
  timer = setTimeout(() => void load(pr), after);
}

/** Read the party's probing picture and redraw. */
async function load(pr: Probing): Promise<void> {
  if (reading) {
    again = true;
    return;
  }
  reading = true;
  // The sealed declarations and checks beside the budgets: one failing does not hide the other.
  const [probing, blind] = await Promise.allSettled([api<ProbingView>('GET', '/probing'), loadBlind()]);
  if (probing.status === 'fulfilled') {
    pr.view = probing.value;
    pr.at = Date.now();
  }
  pr.error.textContent = [
    probing.status === 'rejected' ? `Could not read the probing budgets: ${errorText(probing.reason)}` : '',
    blind.status === 'rejected'
      ? `Could not read the sealed declarations and blind checks: ${errorText(blind.reason)}`
      : '',
  ]
    .filter((x) => x !== '')
    .join(' ');
  reading = false;
  draw(pr);
  if (again) {
    again = false;
    schedule(pr, 0);
  }
}

/** The heading, both sections and the tab's badge. */
function draw(pr: Probing): void {
  const v = pr.view;
  mount(
    pr.head,
    h(
      'div.pb-title',
      null,
      h('b', null, 'Probing of your hidden declarations'),
      h('span.spacer'),
      h(
        'button',
        { type: 'button', dataset: { action: 'refresh-probing' }, onclick: () => schedule(pr, 0) },
        'Refresh',
      ),
    ),
    h(
      'div.dim',
      null,
      v ? `UTC day ${v.day} · default budget ${v.default_per_day} / day` : 'loading…',
      pr.at !== null
        ? h('span', { title: 'read from the hub' }, ' · read ', h('span.mono', null, dtg(pr.at)))
        : null,
    ),
  );
  if (!v) {
    mount(pr.parties, h('div.dim', null, 'loading…'));
    return;
  }
  drawBudgets(pr);
  drawRecent(pr);
  drawBlind(pr);
  const out = v.parties.filter((p) => p.exhausted_at !== null).length;
  setBadge('probing', out > 0 ? String(out) : '', out > 0);
}

/** Set a party's budget from what was typed; the hub's answer replaces its row. */
async function setBudget(pr: Probing, party: string): Promise<void> {
  if (pr.busy.has(party)) return;
  const typed = (pr.drafts.get(party) ?? '').trim();
  const held = pr.view?.parties.find((p) => p.party === party);
  const n = typed === '' ? held?.per_day : Number(typed);
  if (n === undefined || !Number.isInteger(n) || n < 0) {
    pr.errors.set(party, 'A budget is a whole number of hidden conflicts per day, 0 or more.');
    draw(pr);
    return;
  }
  pr.busy.add(party);
  pr.errors.delete(party);
  draw(pr);
  try {
    const row = await api<ProbingParty>('PUT', `/probing/budgets/${encodeURIComponent(party)}`, {
      per_day: n,
    });
    pr.drafts.delete(party);
    if (pr.view) pr.view.parties = pr.view.parties.map((p) => (p.party === row.party ? row : p));
  } catch (err) {
    pr.errors.set(party, `Budget not set: ${errorText(err)}`);
  } finally {
    pr.busy.delete(party);
  }
  draw(pr);
  schedule(pr);
}

/** The sealed declarations and the blind checks (hidden while the party has none). */
function drawBlind(pr: Probing): void {
  drawSealed(pr);
  drawChecks(pr);
}

/** Withdraw one of the party's sealed declarations, once the user confirms. */
async function withdraw(pr: Probing, id: string): Promise<void> {
  const s = state.sealed.get(id);
  if (!s || pr.withdrawing.has(id)) return;
  const what = `sealed ${kindLabel(s.kind).toLowerCase()} ${id}`;
  if (
    !window.confirm(
      `Withdraw ${what}?\n\nIt stops counting at once: its conflicts close as withdrawn and its open blind checks are cancelled.`,
    )
  )
    return;
  pr.withdrawing.add(id);
  pr.withdrawErrors.delete(id);
  drawBlind(pr);
  try {
    await withdrawSealed(id);
  } catch (err) {
    pr.withdrawErrors.set(id, errorText(err));
  } finally {
    pr.withdrawing.delete(id);
  }
  drawBlind(pr);
}
