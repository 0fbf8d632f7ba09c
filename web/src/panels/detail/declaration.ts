/**
 * A declaration in full: kind, label, party, its window as DTGs with local time (and whether it
 * is in force at the time shown), buffer, altitude band, category, visibility, version and
 * status, position(s), notes, its open conflicts; for the party's own declarations that notify
 * other parties, who acknowledged (notified.ts); for the party's own active declarations, Amend
 * (hands the feature to the Declare panel through the `deconflict:amend` window event) and
 * Withdraw.
 */
import { h } from '../../dom.ts';
import { altitudeText, distance, place } from '../../format.ts';
import { declarationName, kindLabel, words } from '../../labels.ts';
import type { MapApi } from '../../map/api.ts';
import { siteIconUrl } from '../../map/symbols.ts';
import { canDeclare } from '../../roles.ts';
import { select, state } from '../../store.ts';
import type { Feature, Side } from '../../wire.ts';
import { notifiedSection } from './notified.ts';
import { gone, row, when, windowRow } from './rows.ts';

type Pos = [number, number];

/** What the declaration's buttons need: the map, and the withdrawal (busy while under way). */
export interface DeclarationActions {
  readonly map: MapApi;
  readonly busy: boolean;
  withdraw(f: Feature, reason: string): void;
}

/** The declaration held by id (or the copy an alert carries), or that it is gone. */
export function declarationView(
  id: string,
  fallback: Feature | undefined,
  actions: DeclarationActions,
): Node {
  const f = state.declarations.get(id) ?? fallback;
  if (!f) return gone('Declaration', id);
  const p = f.properties;
  const own = p.party === state.me?.party;
  const icon = p.kind === 'protected_site' ? siteIconUrl(String(p.category ?? 'other')) : '';
  return h(
    'article.dt-decl',
    { dataset: { kind: p.kind, own: String(own) } },
    h(
      'header.dt-head',
      null,
      icon ? h('img.dt-icon', { src: icon, alt: '' }) : null,
      h('div', null, h('div.dt-kind', null, kindLabel(p.kind)), h('h3', null, declarationName(f))),
    ),
    h('dl.dt-list', null, declarationRows(f, own)),
    notifiedSection(f),
    conflictsOf(f),
    h('div.dt-actions', null, buttons(f, own, actions)),
  );
}

/** The declaration's facts, row by row. */
function declarationRows(f: Feature, own: boolean): (Node | false | undefined | null | '')[] {
  const p = f.properties;
  const list = (v: unknown) => (Array.isArray(v) ? (v as string[]) : null);
  const schedule = list(p.schedule);
  const appliesTo = list(p.applies_to);
  const notify = list(p.notify);
  const notes = typeof p.notes === 'string' && p.notes.length > 0 ? p.notes : null;
  return [
    row('Id', h('span.mono', null, f.id)),
    row('Party', h(`span.party.${own ? 'own' : 'other'}`, null, p.party), own ? ' (own)' : ''),
    row('Window', windowRow(p.start, p.end)),
    row('Buffer', p.buffer_m > 0 ? distance(p.buffer_m) : h('span.dim', null, 'none')),
    p.altitude && row('Altitude', altitudeText(p.altitude)),
    p.category && row('Category', words(p.category)),
    row('Visibility', visibilityText(p)),
    appliesTo && row('Applies to', appliesTo.join(', ')),
    notify && row('Notifies', notify.join(', ')),
    row('Version', `v${p.version} · ${p.status}`),
    positionRow(f),
    schedule &&
      schedule.length > 0 &&
      row(
        'Schedule',
        when(schedule[0] ?? null),
        ' → ',
        when(schedule[schedule.length - 1] ?? null),
        h('span.dim', null, ` · ${schedule.length} ETAs`),
      ),
    notes && row('Notes', h('span.dt-notes', null, notes)),
  ];
}

/** Who may see it: all parties, or the declaring party and those listed. */
function visibilityText(p: Feature['properties']): string {
  if (p.visibility === 'all') return 'all parties';
  if (Array.isArray(p.visibility))
    return `${[p.party, ...p.visibility.filter((v) => v !== p.party)].join(', ')} only`;
  return String(p.visibility);
}

/** Its position, or its first vertex and how many there are. */
function positionRow(f: Feature): Node | null {
  const pos = firstPosition(f.geometry);
  if (!pos) return null;
  const point = f.geometry.type === 'Point';
  return row(
    point ? 'Position' : 'First vertex',
    h('span.mono', null, place(pos.pos[0], pos.pos[1])),
    point ? '' : h('span.dim', null, ` · ${pos.count} vertices (${words(f.geometry.type)})`),
  );
}

/** A geometry's first position and its number of vertices (a ring's closing one not counted). */
function firstPosition(g: Feature['geometry']): { pos: Pos; count: number } | null {
  const c = g.coordinates;
  switch (g.type) {
    case 'Point':
      return { pos: c as Pos, count: 1 };
    case 'LineString':
      return { pos: (c as Pos[])[0] as Pos, count: (c as Pos[]).length };
    case 'Polygon': {
      const ring = (c as Pos[][])[0] ?? [];
      return ring[0] ? { pos: ring[0], count: Math.max(0, ring.length - 1) } : null;
    }
    case 'MultiPolygon': {
      const polys = c as Pos[][][];
      const first = polys[0]?.[0]?.[0];
      const count = polys.reduce((n, p) => n + Math.max(0, (p[0]?.length ?? 1) - 1), 0);
      return first ? { pos: first, count } : null;
    }
    default:
      return null;
  }
}

/** Its open conflicts, each a link to the conflict. */
function conflictsOf(f: Feature): Node | false {
  const conflicts = [...state.conflicts.values()].filter(
    (c) => c.status === 'open' && [c.a, c.b].some((x) => !('hidden' in x) && x.id === f.id),
  );
  if (conflicts.length === 0) return false;
  const item = (c: (typeof conflicts)[number]) => {
    const other = c.a.party === f.properties.party && !('hidden' in c.a) && c.a.id === f.id ? c.b : c.a;
    const show = (e: Event) => {
      e.preventDefault();
      select('conflict', c.id);
    };
    return h(
      'li',
      null,
      h(
        'a',
        { href: '#', dataset: { conflictId: c.id }, onclick: show },
        h(`span.sev.sev-${c.severity}`, null, c.severity),
        ` ${words(c.rule)} with ${sideText(other)}`,
      ),
    );
  };
  return h(
    'section.dt-conflicts',
    null,
    h('h4', null, `Open conflicts (${conflicts.length})`),
    h('ul', null, conflicts.map(item)),
  );
}

/** The other side of a conflict in a few words. */
function sideText(s: Side): string {
  if ('hidden' in s) return `${s.party}: ${s.sealed ? 'sealed' : 'hidden'}`;
  return `${s.party}: ${s.label ?? `${words(s.kind)} ${s.id}`}`;
}

/** Show on map; and for the party's own active declarations, Amend, Withdraw and its reason. */
function buttons(f: Feature, own: boolean, actions: DeclarationActions): Node[] {
  const show = h(
    'button',
    {
      type: 'button',
      dataset: { action: 'show-on-map' },
      onclick: () => actions.map.focus({ type: 'declaration', id: f.id }),
    },
    'Show on map',
  );
  if (!own || f.properties.status !== 'active' || !state.declarations.has(f.id)) return [show];
  const allowed = canDeclare();
  const why = allowed ? undefined : 'Amending and withdrawing need the operator or party_admin role.';
  const reason = h('input', {
    name: 'withdraw-reason',
    placeholder: 'Reason (optional)',
    maxLength: 1000,
    disabled: !allowed,
  });
  const amend = () =>
    window.dispatchEvent(new CustomEvent('deconflict:amend', { detail: structuredClone(f) }));
  return [
    show,
    h(
      'button.primary',
      {
        type: 'button',
        dataset: { action: 'amend' },
        disabled: !allowed,
        title: why ?? 'Open in the Declare panel to amend it (a new version)',
        onclick: amend,
      },
      'Amend',
    ),
    h(
      'button.danger',
      {
        type: 'button',
        dataset: { action: 'withdraw' },
        disabled: !allowed || actions.busy,
        title: why ?? 'Withdraw: it stops counting and its open conflicts close',
        onclick: () => actions.withdraw(f, reason.value.trim()),
      },
      'Withdraw',
    ),
    reason,
  ];
}
