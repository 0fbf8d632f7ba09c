/**
 * The recent probes, newest first: when, which party, the rule and severity, whether the conflict
 * was answered to that party or withheld from it (and Release), and a link to the conflict.
 */
import { h, mount } from '../../dom.ts';
import { dtg, local } from '../../format.ts';
import { words } from '../../labels.ts';
import { select, state } from '../../store.ts';
import type { Probe } from '../../wire.ts';
import { releaseButton, releaseError } from '../../withheld.ts';
import type { Probing } from './state.ts';

/** Whether a probe's conflict reached the probing party, was withheld, or was released since. */
export function probeStatus(p: Probe): 'answered' | 'withheld' | 'released' {
  if (!p.withheld) return 'answered';
  const c = state.conflicts.get(p.conflict);
  if (c && !(c.withheld_from ?? []).includes(p.party)) return 'released';
  return 'withheld';
}

/** Draw the recent probes into `pr.recent`. */
export function drawRecent(pr: Probing): void {
  const v = pr.view;
  if (!v) return;
  mount(
    pr.recent,
    h('h3', null, `Recent probes (${v.recent.length})`),
    v.recent.length === 0
      ? h('div.dim', null, 'No probe yet: no other party’s submission has met a declaration hidden from it.')
      : h(
          'ul.pb-probes',
          null,
          v.recent.map((p) => probeItem(p)),
        ),
  );
}

/** One probe. */
function probeItem(p: Probe): HTMLElement {
  const status = probeStatus(p);
  const open = (e: Event) => {
    e.preventDefault();
    select('conflict', p.conflict);
  };
  const err = releaseError(p.conflict);
  return h(
    'li.pb-probe',
    { class: `pb-${status}`, dataset: { probeId: p.id, conflictId: p.conflict, status } },
    h('span.mono', { title: `${local(p.at)} local` }, dtg(p.at)),
    h('b', null, p.party),
    h('span.sev-tag', { class: `sev-tag-${p.severity}` }, p.severity),
    h('span.pb-rule', null, words(p.rule)),
    h('span.pb-status', null, status),
    status === 'withheld' ? releaseButton(p.conflict, [p.party]) : null,
    h('span.spacer'),
    h('a', { href: '#', dataset: { action: 'open-conflict' }, onclick: open }, 'Open'),
    err ? h('div.error', { role: 'alert' }, `Not released: ${err}`) : null,
  );
}
