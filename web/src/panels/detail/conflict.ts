/**
 * A conflict in full: rule, severity, window, both sides (a side hidden from this party reads
 * "<party>: hidden" — the hub sends nothing more of it, and gives the window to the hour),
 * distance, closest points, status and resolution, whether it is withheld from the other party
 * (with Release), and "Show on map".
 *
 * A conflict found blind (docs/blind-matching.md) has a sealed side: another party's reads
 * "<party>: sealed", the party's own "your sealed <kind> <id>" (no link: nobody holds its
 * geometry). It has the slots in which the two covers met instead of a distance and closest
 * points, and the map draws only its other side.
 */
import { termOf } from '../../agreements.ts';
import { isBlindConflict, slotsText } from '../../blind.ts';
import { h } from '../../dom.ts';
import { distance, dtg, dtgWindow, place, toTheHour } from '../../format.ts';
import { isSealedSide, isTermSide, sideName, words } from '../../labels.ts';
import { attestation } from '../../ledger/view.ts';
import type { MapApi } from '../../map/api.ts';
import { openTab } from '../../shell.ts';
import { select, state } from '../../store.ts';
import type { ConflictView, Side } from '../../wire.ts';
import { withheldLine } from '../../withheld.ts';
import { riskRow } from './risk.ts';
import { gone, row, when, windowRow } from './rows.ts';

const RULE_LABEL: Record<string, string> = {
  strike_protected: 'Strike near a protected site',
  strike_movement: 'Strike near a movement',
  strike_air: 'Strike through an air operation',
  strike_strike: 'Strikes too close together',
  air_air: 'Air operations without separation',
  movement_movement: 'Movements too close',
  incursion: 'Incursion into an area of responsibility',
  aor_overlap: 'Areas of responsibility overlap',
  restricted: 'Activity in a restricted zone',
  agreement_breach: 'Breach of an agreement',
};

/** What the hub adds to a conflict it answers for itself (not on stream events). */
type Resolved = ConflictView & {
  acceptances?: { party: string; at: string; reason?: string | null }[];
  resolved_at?: string | null;
};

/** A conflict held by id, or that it is gone. */
export function conflictById(id: string, map: MapApi): Node {
  const c = state.conflicts.get(id);
  return c ? conflictView(c, map) : gone('Conflict', id);
}

/** The conflict's article. */
export function conflictView(c: Resolved, map: MapApi): Node {
  return h(
    'article.dt-conflict',
    { dataset: { conflictRule: c.rule, severity: c.severity, status: c.status } },
    h(
      'header.dt-head',
      null,
      h(
        'div',
        null,
        h(
          'div.dt-kind',
          null,
          h(`span.sev.sev-${c.severity}`, null, c.severity),
          ' conflict',
          c.internal ? ' · internal' : '',
        ),
        h('h3', null, RULE_LABEL[c.rule] ?? words(c.rule)),
      ),
    ),
    withheldLine(c),
    h('dl.dt-list', null, conflictRows(c)),
    h(
      'div.dt-actions',
      null,
      h(
        'button.primary',
        {
          type: 'button',
          dataset: { action: 'show-on-map' },
          onclick: () => map.focus({ type: 'conflict', id: c.id }),
        },
        'Show on map',
      ),
    ),
    c.acceptances ? riskRow(c) : null,
  );
}

/** The conflict's facts, row by row. */
function conflictRows(c: Resolved): (Node | false | undefined)[] {
  const blind = isBlindConflict(c);
  // Found blind: nobody computed where the sealed side is, so there is nothing to measure.
  const closest = blind ? undefined : c.closest;
  const slots = slotsText(c.matched_slots);
  return [
    row('Rule', h('span.mono', null, c.rule)),
    row('Id', h('span.mono', null, c.id)),
    row(toTheHour(c) ? 'Window (to the hour)' : 'Window', windowRow(c.window.start, c.window.end)),
    sideRow(c.a, isTermSide(c.a) ? 'Term' : 'Side A'),
    sideRow(c.b, isTermSide(c.b) ? 'Term' : 'Side B'),
    blind &&
      row(
        'Found',
        h(
          'span.dt-blind',
          { dataset: { blind: 'true' } },
          'blind: the two parties’ agents matched tokens of where and when, and the hub saw no geometry — no distance or closest points.',
        ),
      ),
    slots !== null && row('Matched slots', h('span.mono.dt-slots', { dataset: { slots: 'true' } }, slots)),
    !blind &&
      c.distance_m !== undefined &&
      row('Distance', c.distance_m === 0 ? 'overlapping (0 m)' : distance(c.distance_m)),
    closest &&
      row(
        'Closest points',
        h('span.mono', null, place(closest[0][0], closest[0][1])),
        h('br'),
        h('span.mono', null, place(closest[1][0], closest[1][1])),
      ),
    row(
      'Status',
      h(`span.dt-cstatus.${c.status}`, null, c.status),
      c.resolution ? ` · ${words(c.resolution)}` : '',
      c.resolved_at ? h('span.dim', null, ` · ${dtg(c.resolved_at)}`) : '',
    ),
    c.acceptances &&
      c.acceptances.length > 0 &&
      row(
        'Risk accepted by',
        h(
          'div',
          null,
          c.acceptances.map((a) =>
            h(
              'div.dt-acceptance',
              null,
              `${a.party} (${dtg(a.at)})${a.reason ? `: ${a.reason}` : ''} `,
              attestation(a),
            ),
          ),
        ),
      ),
    row('Detected', when(c.detected_at)),
  ];
}

/** One side: its party and declaration (a link when held), or that it is hidden or sealed. */
function sideRow(s: Side, label: string): Node {
  if ('hidden' in s)
    return s.sealed
      ? row(label, h('span.dt-hidden', { dataset: { hidden: 'true', sealed: 'true' } }, `${s.party}: sealed`))
      : row(label, h('span.dt-hidden', { dataset: { hidden: 'true' } }, `${s.party}: hidden`));
  if (isSealedSide(s))
    return row(
      label,
      h('span.party.own', null, s.party),
      ': ',
      h('span.dt-sealed', { dataset: { sealed: 'true', sealedId: s.id } }, sideName(s)),
      h('span.dim', null, ' · sealed by your agent: not on the map'),
    );
  if (isTermSide(s)) return termRow(s, label);
  const show = (e: Event) => {
    e.preventDefault();
    select('declaration', s.id);
  };
  return row(
    label,
    h(`span.party.${s.party === state.me?.party ? 'own' : 'other'}`, null, s.party),
    ': ',
    state.declarations.has(s.id)
      ? h('a', { href: '#', dataset: { declarationId: s.id }, onclick: show }, sideName(s))
      : h('span', null, sideName(s)),
    h('span.dim', null, ` · ${words(s.kind)} · v${s.version}`),
  );
}

/**
 * A breach's term: the agreement's name and the term's kind and label, its window and the
 * parties it binds, and the way to the agreement in its panel.
 */
function termRow(s: Exclude<Side, { hidden: true }>, label: string): Node {
  const held = termOf(s.id);
  const a = held?.agreement;
  const p = held?.term?.properties;
  const facts = s.kind === 'agreement_term' ? s : null;
  const open = (e: Event) => {
    e.preventDefault();
    if (!a) return;
    openTab('agreements');
    window.dispatchEvent(new CustomEvent('deconflict:agreement', { detail: a.id }));
  };
  const span =
    facts?.window ?? (a ? { start: p?.start ?? a.agreement.start, end: p?.end ?? a.agreement.end } : null);
  const binds = p?.parties ?? facts?.parties ?? a?.agreement.parties ?? [];
  const name = sideName(s);
  return row(
    label,
    h(
      'span.dt-term',
      { dataset: { term: s.id } },
      a ? h('a', { href: '#', dataset: { action: 'open-agreement' }, onclick: open }, name) : name,
    ),
    h(
      'span.dim',
      null,
      span ? ` · ${dtgWindow(span.start, span.end)}` : '',
      binds.length > 0 ? ` · ${binds.join(', ')}` : '',
      ` · v${s.version}`,
    ),
  );
}
