/**
 * Acknowledgement deadlines (docs/design.md §5): one per precedence and escalation level, and
 * the precedence a conflict's severity gives. Hub defaults, overridable per hub
 * (`serve --ack-deadlines`).
 */
import type { Precedence } from '../domain/records.ts';
import type { Severity } from '../engine/types.ts';

const MIN = 60_000;

/**
 * Deadlines per precedence, one per level: [watch officer, senior officer, party admin] in ms.
 * The first is the acknowledgement deadline (5, 15, 60, 240 minutes); each escalation level gets
 * as long again, so a `flash` alert reaches the senior officer at 5 minutes, the party admin at
 * 10 and is overdue at 15.
 */
export type Deadlines = Readonly<Record<Precedence, readonly [number, number, number]>>;

export const DEFAULT_DEADLINES: Deadlines = {
  flash: [5 * MIN, 5 * MIN, 5 * MIN],
  immediate: [15 * MIN, 15 * MIN, 15 * MIN],
  priority: [60 * MIN, 60 * MIN, 60 * MIN],
  routine: [240 * MIN, 240 * MIN, 240 * MIN],
};

/** Hub deadlines from the defaults and an override (e.g. from `serve --ack-deadlines`). */
export function deadlines(
  override?: Partial<Record<Precedence, readonly [number, number, number]>>,
): Deadlines {
  return { ...DEFAULT_DEADLINES, ...override };
}

export const PRECEDENCE_OF: Readonly<Record<Severity, Precedence>> = {
  critical: 'flash',
  high: 'immediate',
  medium: 'priority',
  low: 'routine',
};
