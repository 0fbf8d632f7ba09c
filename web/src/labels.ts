/**
 * Names for the hub's identifiers and records, as the panels and the map print them. A
 * declaration without a label is named by what it is, where and when ("Strike 34T ES 2313 1111 ·
 * 071000Z–071100ZDEC26"), never by its raw id alone: a watch officer of another party reading an
 * inbox at night must know at a glance which declaration is meant, and the id is the other
 * party's own bookkeeping.
 */
import type { Kind } from '../../src/engine/types.ts';
import { KIND_LABEL } from '../../src/field/kinds.ts';
import { parseTermRef, termName } from './agreements.ts';
import { dtgWindow, placeShort } from './format.ts';
import { anchorOf } from './geo/shapes.ts';
import { state } from './store.ts';
import type { Feature, Side } from './wire.ts';

/** Words for an identifier: `strike_protected` → `strike protected`. */
export const words = (s: string): string => s.replace(/_/g, ' ');

/** Each kind of declaration, as a person names it (src/field/kinds.ts). */
export { KIND_LABEL };

/** A kind's name, or its words when the console does not know it. */
export function kindLabel(kind: string): string {
  return KIND_LABEL[kind as Kind] ?? words(kind);
}

/** A declaration's label, when it has a non-blank one. */
function labelOf(label: string | undefined): string | null {
  return label !== undefined && label.trim() !== '' ? label : null;
}

/**
 * A declaration as people name it: its label, or — without one — its kind, the grid reference
 * of its symbol's place (the point, a line's middle, an area's centre: where the map draws it)
 * and its window as DTGs.
 */
export function declarationName(f: Pick<Feature, 'geometry' | 'properties'>): string {
  const p = f.properties;
  const label = labelOf(p.label);
  if (label !== null) return label;
  const at = anchorOf(f.geometry);
  return [kindLabel(p.kind), at ? placeShort(at[0], at[1]) : null, dtgWindow(p.start, p.end)]
    .filter((x) => x !== null)
    .join(' · ');
}

/**
 * A side of a conflict as people name it: sealed or hidden, its label, the name of the
 * declaration when the console holds it (see {@link declarationName}), else its kind and local
 * id (the part of the id after the party, which the party column already says).
 */
export function sideName(s: Side): string {
  if ('hidden' in s) return s.sealed ? 'sealed' : '(hidden declaration)';
  if (isSealedSide(s)) return `your sealed ${kindLabel(s.kind).toLowerCase()} ${s.id}`;
  if (isTermSide(s)) return termName(s.id, termFacts(s));
  const label = labelOf(s.label);
  if (label !== null) return label;
  const f = state.declarations.get(s.id);
  if (f) return declarationName(f);
  const local = s.id.startsWith(`${s.party}:`) ? s.id.slice(s.party.length + 1) : s.id;
  return `${kindLabel(s.kind)} ${local}`;
}

/**
 * A sealed side (docs/blind-matching.md): another party's reads only its party, this party's own
 * its kind and id — nobody, the hub included, holds its geometry, so there is nothing to show on
 * the map, no distance and no closest point.
 */
export function isSealedSide(s: Side): boolean {
  return 'sealed' in s && s.sealed === true;
}

/** A side of a breach that is an agreement's term (`agreement:<id>/<term>`), not a declaration. */
export function isTermSide(s: Side): boolean {
  return !('hidden' in s) && (s.kind === 'agreement_term' || parseTermRef(s.id) !== null);
}

/** What the hub says of a term side besides its id: the term's kind and label. */
export function termFacts(s: Side): { term?: string; label?: string } {
  if ('hidden' in s || s.kind !== 'agreement_term') return {};
  return { term: s.term_kind, ...(s.label !== undefined && { label: s.label }) };
}
