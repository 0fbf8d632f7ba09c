/**
 * Each kind of declaration as a person names it: the console's labels, and the remarks of the
 * CoT events a TAK user reads, say it the same way.
 */
import type { Kind } from '../engine/types.ts';

export const KIND_LABEL: Readonly<Record<Kind, string>> = {
  area_of_responsibility: 'Area of responsibility',
  protected_site: 'Protected site',
  movement: 'Movement',
  air_operation: 'Air operation',
  strike: 'Strike',
  restricted_zone: 'Restricted zone',
};
