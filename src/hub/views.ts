/**
 * What a party may see (docs/design.md §8), and the shapes records take when shown to it. Every answer
 * the hub gives about declarations or conflicts goes through here, so that visibility is decided
 * in one place.
 *
 * - A declaration is visible in clear to its owner, to everyone when `visibility` is `all`, and
 *   to the listed parties otherwise.
 * - A conflict is visible to the parties owning its two declarations. When one side is not
 *   visible to the viewer, the view keeps the rule, severity, window and status, the viewer's
 *   own declaration and the other party's id (so it knows whom to call) — and drops the hidden
 *   declaration's id, geometry, label and notes, the distance and the closest points (the
 *   closest point on a hidden geometry is a point of it).
 */

import type { ConflictView, DeclarationFeature, SideView } from '../api/declarations.ts';
import type { ConflictRecord, DeclarationRecord } from '../domain/records.ts';
import { formatIsoUtc } from '../engine/time.ts';
import type { Declaration, Kind } from '../engine/types.ts';

export function canSee(party: string | null, d: Declaration): boolean {
  if (party === null) return false;
  if (d.party === party) return true;
  if (d.visibility === 'all') return true;
  if (d.visibility === 'sealed') return false;
  return d.visibility.includes(party);
}

/** Every party a conflict involves: its two sides' and, for a breach, every signatory. */
export function partiesOf(c: Pick<ConflictRecord, 'a_party' | 'b_party' | 'parties'>): string[] {
  return [...new Set([c.a_party, c.b_party, ...(c.parties ?? [])])];
}

export function involves(party: string | null, c: ConflictRecord): boolean {
  return party !== null && partiesOf(c).includes(party);
}

const iso = (t: number | null): string | null => (t === null ? null : formatIsoUtc(t));

/** A declaration as GeoJSON, as its owner or a party allowed to see it reads it. */
export function declarationFeature(r: DeclarationRecord, viewer: string | null): DeclarationFeature {
  const d = r.decl;
  const own = viewer === d.party;
  return {
    type: 'Feature' as const,
    id: d.id,
    // The engine's geometry is deeply readonly; the wire type is the same shape, mutable.
    geometry: d.geometry as unknown as DeclarationFeature['geometry'],
    properties: {
      id: d.id,
      kind: d.kind,
      party: d.party,
      start: formatIsoUtc(d.start),
      end: iso(d.end),
      buffer_m: d.buffer_m,
      ...(d.altitude && { altitude: { ...d.altitude } }),
      ...(d.category && { category: d.category }),
      ...(d.schedule && { schedule: d.schedule.map((t) => formatIsoUtc(t)) }),
      ...(d.applies_to && { applies_to: [...d.applies_to] }),
      ...(d.ground_only !== undefined && { ground_only: d.ground_only }),
      visibility: typeof d.visibility === 'string' ? d.visibility : [...d.visibility],
      ...(d.notify && { notify: [...d.notify] }),
      ...(d.label !== undefined && { label: d.label }),
      ...(d.notes !== undefined && { notes: d.notes }),
      version: r.version,
      status: r.status,
      created_at: formatIsoUtc(r.created_at),
      // Who in a party submitted it is the party's own business.
      ...(own && { created_by: r.created_by }),
    },
  };
}

/** A conflict as a party involved in it may see it; null when it may not see it at all. */
export function conflictView(
  c: ConflictRecord,
  viewer: string | null,
  a: DeclarationRecord | null,
  b: DeclarationRecord | null,
): ConflictView | null {
  if (!involves(viewer, c) || withheldFrom(c, viewer)) return null;
  const side = (r: DeclarationRecord | null, id: string, version: number, party: string): SideView => {
    if (r === null || !canSee(viewer, r.decl)) return { party, hidden: true };
    return {
      id,
      version,
      party,
      kind: r.decl.kind,
      ...(r.decl.label !== undefined && { label: r.decl.label }),
    };
  };
  // A sealed side (docs/blind-matching.md) is its owner's only: nobody else, the hub included,
  // knows where it is, and its owner sees it without a geometry.
  const sealedSide = (id: string, version: number, party: string, kind: Kind): SideView =>
    viewer === party ? { id, version, party, kind, sealed: true } : { party, hidden: true, sealed: true };
  const sealed = c.sealed;
  const sa = sealed?.a_kind
    ? sealedSide(c.a, c.a_version, c.a_party, sealed.a_kind)
    : side(a, c.a, c.a_version, c.a_party);
  // A breach's `b` is a term of an agreement: every party involved signed it and may see it.
  const sb = c.term
    ? termSide(c)
    : sealed
      ? sealedSide(c.b, c.b_version, c.b_party, sealed.b_kind)
      : side(b, c.b, c.b_version, c.b_party);
  // A blind match has no distance and no closest points: nobody computed them.
  const clear = !('hidden' in sa) && !('hidden' in sb) && !sealed;
  return {
    id: c.id,
    rule: c.rule,
    severity: c.severity,
    internal: c.internal,
    status: c.status,
    resolution: c.resolution,
    a: sa,
    b: sb,
    // A hidden side's window is shown to the hour: its exact edges would tell its exact window.
    // And it is the overlap of the two declarations' windows, not the conflict's own window: for
    // a scheduled movement entering a hidden area the conflict's window is when the movement is
    // inside it, which would tell its owner where the hidden area's edges lie along the route.
    window: clear
      ? { start: formatIsoUtc(c.window.start), end: iso(c.window.end) }
      : hourWindow(windowShown(c, a, b)),
    ...(clear && {
      distance_m: Math.round(c.distance_m * 1000) / 1000,
      closest: [[...c.closest[0]], [...c.closest[1]]] as [[number, number], [number, number]],
    }),
    ...(sealed && {
      matched_slots: sealed.slots.map((t) => ({
        start: formatIsoUtc(t),
        end: formatIsoUtc(t + sealed.slot_ms),
      })),
    }),
    detected_at: formatIsoUtc(c.detected_at),
    resolved_at: iso(c.resolved_at),
    acceptances: c.acceptances.map((x) => ({ party: x.party, at: formatIsoUtc(x.at), reason: x.reason })),
    // Only the party whose declaration the withheld party may not see learns whom it is withheld from.
    ...(c.withheld_from?.length &&
      ownsHiddenSide(c, viewer, a, b) && { withheld_from: [...c.withheld_from] }),
  };
}

const HOUR = 3_600_000;

/** The `b` side of a breach: the term it breaks (docs/agreements.md §3). */
function termSide(c: ConflictRecord): SideView {
  const t = c.term as NonNullable<ConflictRecord['term']>;
  return {
    kind: 'agreement_term',
    id: c.b,
    version: t.version,
    party: c.b_party,
    agreement: t.agreement,
    term: t.term,
    term_kind: t.term_kind,
    parties: partiesOf(c),
    window: { start: formatIsoUtc(t.start), end: formatIsoUtc(t.end) },
    ...(t.label !== undefined && { label: t.label }),
  };
}

/**
 * The window shown (to the hour) when a side is hidden: the overlap of the two sides' windows
 * (a term's is its own), never the conflict's own window (see {@link conflictView}).
 */
function windowShown(
  c: ConflictRecord,
  a: DeclarationRecord | null,
  b: DeclarationRecord | null,
): ConflictRecord['window'] {
  if (c.term && a) {
    const end = a.decl.end === null ? c.term.end : Math.min(a.decl.end, c.term.end);
    return { start: Math.max(a.decl.start, c.term.start), end };
  }
  return a && b ? overlapOf(a, b) : c.window;
}

/** The overlap of two declarations' windows (they conflict, so it is not empty). */
function overlapOf(a: DeclarationRecord, b: DeclarationRecord): ConflictRecord['window'] {
  const ends = [a.decl.end, b.decl.end].filter((e): e is number => e !== null);
  return { start: Math.max(a.decl.start, b.decl.start), end: ends.length > 0 ? Math.min(...ends) : null };
}

/** Whether a conflict as shown hides one of its sides from the viewer. */
export function involvesHidden(v: ConflictView): boolean {
  return 'hidden' in v.a || 'hidden' in v.b;
}

/** A window widened outward to whole hours (start floored, end ceiled; open-ended stays open). */
export function hourWindow(w: ConflictRecord['window']): { start: string; end: string | null } {
  return {
    start: formatIsoUtc(Math.floor(w.start / HOUR) * HOUR),
    end: w.end === null ? null : formatIsoUtc(Math.ceil(w.end / HOUR) * HOUR),
  };
}

/** Whether a conflict is withheld from a party (past its probing budget; docs/visibility.md). */
export function withheldFrom(c: ConflictRecord, party: string | null): boolean {
  return party !== null && (c.withheld_from ?? []).includes(party);
}

/** Whether `viewer` owns a side of the conflict that some withheld party may not see. */
function ownsHiddenSide(
  c: ConflictRecord,
  viewer: string | null,
  a: DeclarationRecord | null,
  b: DeclarationRecord | null,
): boolean {
  if (c.sealed && viewer === c.b_party) return true;
  return [a, b].some(
    (r) => r !== null && r.party === viewer && (c.withheld_from ?? []).some((w) => !canSee(w, r.decl)),
  );
}

export type { ConflictView } from '../api/declarations.ts';
