/**
 * Sealed declarations and blind checks in the Probing panel (docs/blind-matching.md), for a party
 * that has them:
 * - "Sealed declarations": the party's own, as its agent sealed them — kind, category, the coarse
 *   window as DTGs, how many tokens, status, and Withdraw for an active one (after a confirm);
 *   never where: the hub does not know, and neither does this console.
 * - "Blind checks", newest first: as owner, who asked about our sealed declarations, when, how
 *   many elements, where the check stands (unknown: a risk), how many of ours matched; as asker,
 *   which of our declarations asked, of which party's sealed ones, where it stands, the slots
 *   that matched.
 */
import { checkList, checkStatus, matchedText, sealedList, slotsText } from '../../blind.ts';
import { h, mount } from '../../dom.ts';
import { dtg, dtgWindow, local } from '../../format.ts';
import { declarationName, kindLabel, words } from '../../labels.ts';
import { canDeclare } from '../../roles.ts';
import { select, state } from '../../store.ts';
import type { BlindCheckView, SealedView } from '../../wire.ts';
import type { Probing } from './state.ts';

/** Draw the party's sealed declarations into `pr.sealed` (nothing when it has none). */
export function drawSealed(pr: Probing): void {
  const list = sealedList();
  pr.sealed.hidden = list.length === 0;
  if (list.length === 0) return void mount(pr.sealed);
  const active = list.filter((s) => s.status === 'active').length;
  mount(
    pr.sealed,
    h('h3', null, `Sealed declarations (${list.length})`, h('span.dim', null, ` · ${active} active`)),
    h(
      'p.dim.pb-about',
      null,
      'Sealed by your agent: the hub holds their kind, category, a coarse window and tokens — never where they are.',
    ),
    h(
      'ul.pb-probes.pb-sealed-list',
      null,
      list.map((s) => sealedItem(pr, s)),
    ),
  );
}

/** One sealed declaration, with Withdraw while it is active. */
function sealedItem(pr: Probing, s: SealedView): HTMLElement {
  const err = pr.withdrawErrors.get(s.id);
  return h(
    'li.pb-probe.pb-sealed',
    { class: `pb-${s.status}`, dataset: { sealedId: s.id, status: s.status } },
    h('b', null, kindLabel(s.kind)),
    s.category ? h('span.pb-rule', null, words(s.category)) : null,
    h('span.mono', { title: `${local(s.start)} – ${local(s.end)} local` }, dtgWindow(s.start, s.end)),
    h(
      'span.pb-tokens',
      { title: `${s.slot_ms / 3_600_000} h slots, H3 resolution ${s.resolution}` },
      `${s.token_count} token${s.token_count === 1 ? '' : 's'}`,
    ),
    h('span.pb-status', null, s.status),
    h('span.spacer'),
    s.status === 'active' ? withdrawButton(pr, s) : null,
    h(
      'span.dim.pb-sealed-id',
      { style: { flexBasis: '100%' } },
      h('span.mono', null, s.id),
      ` · sealed ${dtg(s.created_at)}`,
    ),
    err ? h('div.error', { role: 'alert' }, `Not withdrawn: ${err}`) : null,
  );
}

/** Withdraw (operators and party admins): its conflicts close, its open checks are cancelled. */
function withdrawButton(pr: Probing, s: SealedView): HTMLElement {
  const busy = pr.withdrawing.has(s.id);
  const allowed = canDeclare();
  return h(
    'button.release',
    {
      type: 'button',
      dataset: { action: 'withdraw-sealed', sealedId: s.id },
      disabled: busy || !allowed,
      title: allowed
        ? 'Withdraw: it stops counting, its conflicts close and its open blind checks are cancelled'
        : 'Withdrawing needs the operator or party_admin role',
      onclick: () => pr.withdrawSealed(s.id),
    },
    busy ? 'Withdrawing…' : 'Withdraw',
  );
}

/** Draw the party's blind checks into `pr.checks` (nothing when it has none). */
export function drawChecks(pr: Probing): void {
  const list = checkList();
  pr.checks.hidden = list.length === 0;
  if (list.length === 0) return void mount(pr.checks);
  const matched = list.filter((c) => c.matched.length > 0).length;
  const unknown = list.filter((c) => c.unknown).length;
  mount(
    pr.checks,
    h(
      'h3',
      null,
      `Blind checks (${list.length})`,
      h('span.dim', null, ` · ${matched} matched`),
      unknown > 0 ? h('span.warn', null, ` · ${unknown} unknown`) : h('span.dim', null, ' · 0 unknown'),
    ),
    h(
      'p.dim.pb-about',
      null,
      'The last 7 days: other parties’ declarations checked against your sealed ones, and yours against theirs. ',
      'A check unanswered past its deadline, or refused, is unknown: treat it as a conflict until it is answered.',
    ),
    h('ul.pb-probes.pb-checks', null, list.map(checkItem)),
  );
}

/** One check, as owner or as asker. */
function checkItem(v: BlindCheckView): HTMLElement {
  return h(
    'li.pb-probe.pb-check',
    {
      class: v.unknown ? 'pb-withheld' : v.status === 'done' ? 'pb-answered' : '',
      dataset: { checkId: v.id, role: v.role, status: v.status, unknown: String(v.unknown) },
      title: `asked ${dtg(v.created_at)}, due ${dtg(v.due_at)}${v.answered_at ? `, answered ${dtg(v.answered_at)}` : ''}`,
    },
    h('span.mono', { title: `${local(v.created_at)} local` }, dtg(v.created_at)),
    v.role === 'owner' ? ownerFacts(v) : askerFacts(v),
    v.unknown ? h('b.warn.pb-unknown', null, 'unknown') : null,
    h('span.pb-status', null, checkStatus(v)),
    v.refused_reason ? h('span.dim', null, `: ${v.refused_reason}`) : null,
  );
}

/** Who asked about our sealed declarations, with how many elements, and how many of ours matched. */
function ownerFacts(v: BlindCheckView): (HTMLElement | string)[] {
  const m = matchedText(v);
  return [
    h('b', null, v.asker),
    h('span', null, 'asked'),
    h(
      'span.pb-elements',
      null,
      v.element_count > 0 ? `${v.element_count} elements` : `${v.slots} slot${v.slots === 1 ? '' : 's'}`,
    ),
    m ? h('span.pb-matched', { class: v.matched.length > 0 ? 'warn' : 'dim' }, m) : '',
  ];
}

/** Which of our declarations asked, of which party, and the slots that matched. */
function askerFacts(v: BlindCheckView): (HTMLElement | string)[] {
  const id = v.declaration ?? '';
  const f = state.declarations.get(id);
  const open = (e: Event) => {
    e.preventDefault();
    select('declaration', id);
  };
  const slots = slotsText(v.matched.flatMap((m) => m.slots));
  return [
    h('span', null, 'your'),
    f
      ? h(
          'a',
          { href: '#', dataset: { action: 'open-declaration', declarationId: id }, onclick: open },
          declarationName(f),
        )
      : h('span.mono', null, id),
    h('span', null, '→'),
    h('b', null, v.owner),
    slots !== null
      ? h('span.pb-matched.warn', null, `matched ${slots}`)
      : v.status === 'done'
        ? h('span.pb-matched.dim', null, 'no match')
        : '',
  ];
}
