/** Names for the hub's identifiers, as the panels print them. */
import type { Kind } from '../../src/engine/types.ts';

/** Words for an identifier: `strike_protected` → `strike protected`. */
export const words = (s: string): string => s.replace(/_/g, ' ');

/** Each kind of declaration, as a person names it. */
export const KIND_LABEL: Record<Kind, string> = {
  area_of_responsibility: 'Area of responsibility',
  protected_site: 'Protected site',
  movement: 'Movement',
  air_operation: 'Air operation',
  strike: 'Strike',
  restricted_zone: 'Restricted zone',
};

/** A kind's name, or its words when the console does not know it. */
export function kindLabel(kind: string): string {
  return KIND_LABEL[kind as Kind] ?? words(kind);
}
