/**
 * The Detail panel: what is selected (on the map, in the inbox, in a message), in full.
 *
 * - A declaration: kind, label, party, its window as DTGs with local time (and whether it is in
 *   force at the time shown), buffer, altitude band, category, visibility, version and status,
 *   position(s), notes, its open conflicts; for the party's own active declarations, Amend
 *   (hands the feature to the Declare panel through the `deconflict:amend` event) and Withdraw.
 * - A conflict: rule, severity, window, both sides (a side hidden from this party reads
 *   "<party>: hidden" — the hub sends nothing more of it), distance, closest points, status and
 *   resolution, and "Show on map".
 * - An alert: its subject — the conflict, the notified declaration or the hotline message.
 */
import { ApiError, api } from './api.ts';
import { h, mount } from './dom.ts';
import { distance, dtg, local, place } from './format.ts';
import type { MapApi } from './mapapi.ts';
import {
  type AlertView,
  type ConflictView,
  type Feature,
  on,
  type Side,
  select,
  shownTime,
  state,
} from './store.ts';
import { altitudeText, siteIconUrl } from './symbols.ts';
import { loadConflicts, loadDeclarations } from './sync.ts';

const KIND_LABEL: Record<string, string> = {
  area_of_responsibility: 'Area of responsibility',
  protected_site: 'Protected site',
  movement: 'Movement',
  air_operation: 'Air operation',
  strike: 'Strike',
  restricted_zone: 'Restricted zone',
};

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
};

const WRITE_ROLES = ['operator', 'party_admin'];
const words = (s: string): string => s.replace(/_/g, ' ');

type Pos = [number, number];

function when(iso: string | null, open = 'open-ended'): Node {
  if (iso === null) return h('span.dim', null, open);
  return h('span', null, h('span.mono', null, dtg(iso)), h('span.dim', null, ` (${local(iso)} local)`));
}

function windowRow(start: string, end: string | null): Node {
  const t = shownTime();
  const s = Date.parse(start);
  const e = end === null ? Number.POSITIVE_INFINITY : Date.parse(end);
  const phase = t < s ? 'upcoming' : t >= e ? 'ended' : 'in force';
  return h(
    'span.dt-window',
    null,
    when(start),
    ' → ',
    when(end),
    h(
      `span.dt-phase.${phase.replace(' ', '-')}`,
      null,
      ` ${phase}${state.time === null ? '' : ' at the time shown'}`,
    ),
  );
}

function row(label: string, ...value: (Node | string | null | undefined | false)[]): Node {
  return h('div.dt-row', null, h('dt', null, label), h('dd', null, ...value));
}

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

export function mountDetail(el: HTMLElement, map: MapApi): void {
  const root = h('div.detail', { 'data-testid': 'detail' });
  mount(el, root);
  let busy = false;
  let message = '';

  const canWrite = () => (state.me?.roles ?? []).some((r) => WRITE_ROLES.includes(r));

  function draw(): void {
    const s = state.selection;
    if (!s) {
      root.removeAttribute('data-type');
      root.removeAttribute('data-id');
      mount(
        root,
        h(
          'p.dim.dt-empty',
          null,
          'Nothing selected. Click a declaration or a conflict on the map, an alert in the Watch panel or a reference in a message.',
        ),
      );
      return;
    }
    root.dataset.type = s.type;
    root.dataset.id = s.id;
    if (s.type === 'declaration') {
      mount(root, declarationView(s.id));
    } else if (s.type === 'conflict') {
      const c = state.conflicts.get(s.id);
      mount(root, c ? conflictView(c) : gone('Conflict', s.id));
    } else {
      mount(root, alertView(s.id));
    }
    if (message) root.append(h('div.dt-status', { role: 'status' }, message));
  }

  function gone(what: string, id: string): Node {
    return h(
      'div.dt-gone',
      null,
      h('h3', null, what),
      h(
        'p.dim',
        null,
        `${what} `,
        h('span.mono', null, id),
        ' is not in this party’s picture (withdrawn, expired or not visible).',
      ),
    );
  }

  function declarationView(id: string, fallback?: Feature): Node {
    const f = state.declarations.get(id) ?? fallback;
    if (!f) return gone('Declaration', id);
    const p = f.properties;
    const me = state.me?.party;
    const own = p.party === me;
    const pos = firstPosition(f.geometry);
    const conflicts = [...state.conflicts.values()].filter(
      (c) => c.status === 'open' && [c.a, c.b].some((x) => !('hidden' in x) && x.id === f.id),
    );
    const icon = p.kind === 'protected_site' ? siteIconUrl(String(p.category ?? 'other')) : '';
    const notes = typeof p.notes === 'string' && p.notes.length > 0 ? p.notes : null;
    const schedule = Array.isArray(p.schedule) ? (p.schedule as string[]) : null;
    const appliesTo = Array.isArray(p.applies_to) ? (p.applies_to as string[]) : null;
    const notify = Array.isArray(p.notify) ? (p.notify as string[]) : null;

    const actions: Node[] = [
      h(
        'button',
        {
          type: 'button',
          dataset: { action: 'show-on-map' },
          onclick: () => map.focus({ type: 'declaration', id: f.id }),
        },
        'Show on map',
      ),
    ];
    if (own && p.status === 'active' && state.declarations.has(f.id)) {
      const allowed = canWrite();
      const why = allowed ? undefined : 'Amending and withdrawing need the operator or party_admin role.';
      const reason = h('input', {
        name: 'withdraw-reason',
        placeholder: 'Reason (optional)',
        maxLength: 1000,
        disabled: !allowed,
      });
      actions.push(
        h(
          'button.primary',
          {
            type: 'button',
            dataset: { action: 'amend' },
            disabled: !allowed,
            title: why ?? 'Open in the Declare panel to amend it (a new version)',
            onclick: () =>
              window.dispatchEvent(new CustomEvent('deconflict:amend', { detail: structuredClone(f) })),
          },
          'Amend',
        ),
        h(
          'button.danger',
          {
            type: 'button',
            dataset: { action: 'withdraw' },
            disabled: !allowed || busy,
            title: why ?? 'Withdraw: it stops counting and its open conflicts close',
            onclick: () => void withdraw(f, reason.value.trim()),
          },
          'Withdraw',
        ),
        reason,
      );
    }

    return h(
      'article.dt-decl',
      { dataset: { kind: p.kind, own: String(own) } },
      h(
        'header.dt-head',
        null,
        icon ? h('img.dt-icon', { src: icon, alt: '' }) : null,
        h(
          'div',
          null,
          h('div.dt-kind', null, KIND_LABEL[p.kind] ?? words(p.kind)),
          h('h3', null, p.label || f.id),
        ),
      ),
      h(
        'dl.dt-list',
        null,
        row('Id', h('span.mono', null, f.id)),
        row('Party', h(`span.party.${own ? 'own' : 'other'}`, null, p.party), own ? ' (own)' : ''),
        row('Window', windowRow(p.start, p.end)),
        row('Buffer', p.buffer_m > 0 ? distance(p.buffer_m) : h('span.dim', null, 'none')),
        p.altitude && row('Altitude', altitudeText(p.altitude)),
        p.category && row('Category', words(p.category)),
        row(
          'Visibility',
          p.visibility === 'all'
            ? 'all parties'
            : Array.isArray(p.visibility)
              ? `${[p.party, ...p.visibility.filter((v) => v !== p.party)].join(', ')} only`
              : String(p.visibility),
        ),
        appliesTo && row('Applies to', appliesTo.join(', ')),
        notify && row('Notifies', notify.join(', ')),
        row('Version', `v${p.version} · ${p.status}`),
        pos &&
          row(
            f.geometry.type === 'Point' ? 'Position' : 'First vertex',
            h('span.mono', null, place(pos.pos[0], pos.pos[1])),
            f.geometry.type === 'Point'
              ? ''
              : h('span.dim', null, ` · ${pos.count} vertices (${words(f.geometry.type)})`),
          ),
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
      ),
      conflicts.length > 0 &&
        h(
          'section.dt-conflicts',
          null,
          h('h4', null, `Open conflicts (${conflicts.length})`),
          h(
            'ul',
            null,
            conflicts.map((c) => {
              const other = c.a.party === p.party && !('hidden' in c.a) && c.a.id === f.id ? c.b : c.a;
              return h(
                'li',
                null,
                h(
                  'a',
                  {
                    href: '#',
                    dataset: { conflictId: c.id },
                    onclick: (e: Event) => {
                      e.preventDefault();
                      select('conflict', c.id);
                    },
                  },
                  h(`span.sev.sev-${c.severity}`, null, c.severity),
                  ` ${words(c.rule)} with ${sideText(other)}`,
                ),
              );
            }),
          ),
        ),
      h('div.dt-actions', null, actions),
    );
  }

  function sideText(s: Side): string {
    if ('hidden' in s) return `${s.party}: hidden`;
    return `${s.party}: ${s.label ?? `${words(s.kind)} ${s.id}`}`;
  }

  function sideView(s: Side, label: string): Node {
    const me = state.me?.party;
    if ('hidden' in s) {
      return row(label, h('span.dt-hidden', { dataset: { hidden: 'true' } }, `${s.party}: hidden`));
    }
    const known = state.declarations.has(s.id);
    return row(
      label,
      h(`span.party.${s.party === me ? 'own' : 'other'}`, null, s.party),
      ': ',
      known
        ? h(
            'a',
            {
              href: '#',
              dataset: { declarationId: s.id },
              onclick: (e: Event) => {
                e.preventDefault();
                select('declaration', s.id);
              },
            },
            s.label ?? s.id,
          )
        : h('span', null, s.label ?? s.id),
      h('span.dim', null, ` · ${words(s.kind)} · v${s.version}`),
    );
  }

  function conflictView(c: ConflictView): Node {
    const extra = c as ConflictView & {
      acceptances?: { party: string; at: string; reason?: string | null }[];
      resolved_at?: string | null;
    };
    const closest = c.closest;
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
      h(
        'dl.dt-list',
        null,
        row('Rule', h('span.mono', null, c.rule)),
        row('Id', h('span.mono', null, c.id)),
        row('Window', windowRow(c.window.start, c.window.end)),
        sideView(c.a, 'Side A'),
        sideView(c.b, 'Side B'),
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
          extra.resolved_at ? h('span.dim', null, ` · ${dtg(extra.resolved_at)}`) : '',
        ),
        extra.acceptances &&
          extra.acceptances.length > 0 &&
          row('Risk accepted by', extra.acceptances.map((a) => `${a.party} (${dtg(a.at)})`).join(', ')),
        row('Detected', when(c.detected_at)),
      ),
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
    );
  }

  function alertView(id: string): Node {
    const a = state.alerts.get(id);
    if (!a) return gone('Alert', id);
    const head = h(
      'div.dt-alert',
      null,
      h(`span.prec.prec-${a.precedence}`, null, a.precedence),
      ` alert · ${a.status}`,
      a.escalated ? ' · escalated' : '',
      h('span.dim', null, ` · ${dtg(a.created_at)}`),
    );
    return h('div', null, head, alertSubject(a));
  }

  function alertSubject(a: AlertView): Node {
    if (a.subject_type === 'conflict') {
      const c = state.conflicts.get(a.subject) ?? a.summary.conflict;
      return c ? conflictView(c) : gone('Conflict', a.subject);
    }
    if (a.subject_type === 'notification') return declarationView(a.subject, a.summary.declaration);
    const m = a.summary.message;
    if (!m) return h('p.dim', null, a.subject);
    return h(
      'article.dt-message',
      null,
      h('div.dt-kind', null, `Hotline message from ${m.from.party} (${m.from.username})`),
      h('p', null, m.text),
      h('div.dim', null, dtg(m.at), ` (${local(m.at)} local)`),
    );
  }

  async function withdraw(f: Feature, reason: string): Promise<void> {
    if (busy) return;
    const name = f.properties.label || f.id;
    if (
      !window.confirm(
        `Withdraw "${name}"?\n\nIt stops counting at once and its open conflicts close as withdrawn.`,
      )
    )
      return;
    busy = true;
    message = 'Withdrawing…';
    draw();
    try {
      await api('POST', `/declarations/${encodeURIComponent(f.id)}/withdraw`, reason ? { reason } : {});
      message = `Withdrawn: ${name}.`;
      await Promise.all([loadDeclarations(), loadConflicts()]);
    } catch (err) {
      message =
        err instanceof ApiError
          ? `Not withdrawn: ${err.message}`
          : `Not withdrawn: ${(err as Error).message}`;
    } finally {
      busy = false;
      draw();
    }
  }

  on('selection', () => {
    message = '';
    draw();
  });
  for (const t of ['declarations', 'conflicts', 'alerts', 'settings', 'time'] as const) {
    on(t, () => {
      // Do not redraw under the user's typing (the reason field).
      if (root.contains(document.activeElement) && document.activeElement?.tagName === 'INPUT') return;
      draw();
    });
  }
  // "Now" moves: keep "in force / upcoming / ended" true.
  setInterval(() => {
    if (state.time === null && !root.contains(document.activeElement)) draw();
  }, 60_000);
  draw();
}
