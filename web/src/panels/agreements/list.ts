/** The agreements this party drafted or is named in, by status (in force first). */
import { STATUS_LABEL, STATUSES } from '../../agreements.ts';
import { h, mount } from '../../dom.ts';
import { state } from '../../store.ts';
import type { AgreementView } from '../../wire.ts';
import { agreementCard, signatureOf } from './card.ts';
import type { Ag } from './state.ts';

/** Draw the list. */
export function drawList(ag: Ag): void {
  const all = [...state.agreements.values()];
  if (all.length === 0) {
    mount(ag.list, h('p.dim.ag-none', null, 'No agreement drafted by your party or naming it.'));
    return;
  }
  const byStatus = new Map<string, AgreementView[]>();
  for (const a of all) byStatus.set(a.status, [...(byStatus.get(a.status) ?? []), a]);
  mount(
    ag.list,
    STATUSES.filter((s) => byStatus.has(s)).map((s) => {
      const list = (byStatus.get(s) ?? []).sort((x, y) => x.agreement.start.localeCompare(y.agreement.start));
      return h(
        'section.ag-group',
        { dataset: { status: s } },
        h('h3', null, `${STATUS_LABEL[s]} (${list.length})`),
        list.map((a) => agreementCard(ag, a)),
      );
    }),
  );
}

/** How many proposed agreements wait for this party's signature (the tab's badge). */
export function awaitingUs(party: string): number {
  let n = 0;
  for (const a of state.agreements.values())
    if (a.status === 'proposed' && a.agreement.parties.includes(party) && !signatureOf(a, party)) n++;
  return n;
}
