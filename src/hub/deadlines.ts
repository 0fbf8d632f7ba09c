/**
 * Acknowledgement deadlines (docs/watch.md "Deadlines that fit the time to the activity"): one
 * per precedence and escalation level, and how the time left before the activity starts relaxes
 * the precedence and stretches the deadlines. Hub defaults, overridable per hub
 * (`serve --ack-deadlines`, `serve --lead-times`).
 *
 * Why: a strike planned 33 hours ahead once got a 5-minute flash deadline and paged the party
 * admin 10 minutes later, at night. Urgency is severity *and* time to act. A conflict whose window
 * starts within `imminent_ms` keeps its severity's precedence and the base deadlines (a critical
 * conflict is a flash). One that starts later is one precedence step less urgent (within
 * `soon_ms`) or two (beyond), and each escalation step is stretched to share the time left before
 * the start fairly between the levels still to come — never shorter than the base deadline, never
 * longer than `max_step_ms` — so the whole chain (watch officer → senior officer → party admin →
 * overdue) ends at least `margin_ms` before the activity starts whenever that is possible. Each
 * step is recomputed when it begins, with the time then left: the deadlines tighten as the start
 * approaches.
 */
import type { Precedence } from '../domain/records.ts';
import { PRECEDENCES } from '../domain/records.ts';
import type { Severity } from '../engine/types.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;

/** Base deadlines per precedence, one per level: [watch officer, senior officer, party admin], ms. */
export type StepDeadlines = Readonly<Record<Precedence, readonly [number, number, number]>>;

/** How the time before an activity's start relaxes precedence and stretches deadlines. */
export interface LeadTimes {
  /** An activity starting within this (ms) is imminent: its severity's precedence, base deadlines. */
  readonly imminent_ms: number;
  /** Within this (ms): one precedence step less urgent; beyond: two. */
  readonly soon_ms: number;
  /** The escalation chain ends at least this long (ms) before the start, when there is room. */
  readonly margin_ms: number;
  /** No stretched step is longer than this (ms): someone is always told within it. */
  readonly max_step_ms: number;
}

/** The hub's deadline policy. */
export interface Deadlines {
  readonly steps: StepDeadlines;
  readonly lead: LeadTimes;
}

/**
 * The base deadlines (5, 15, 60, 240 minutes); each escalation level gets as long again, so a
 * `flash` alert reaches the senior officer at 5 minutes, the party admin at 10 and is overdue at 15.
 */
export const DEFAULT_STEPS: StepDeadlines = {
  flash: [5 * MIN, 5 * MIN, 5 * MIN],
  immediate: [15 * MIN, 15 * MIN, 15 * MIN],
  priority: [60 * MIN, 60 * MIN, 60 * MIN],
  routine: [240 * MIN, 240 * MIN, 240 * MIN],
};

/** One hour imminent, six hours soon, the chain done an hour before the start, steps ≤ 6 hours. */
export const DEFAULT_LEAD_TIMES: LeadTimes = {
  imminent_ms: HOUR,
  soon_ms: 6 * HOUR,
  margin_ms: HOUR,
  max_step_ms: 6 * HOUR,
};

/** Hub deadlines from the defaults and overrides (e.g. from `serve --ack-deadlines`). */
export function deadlines(
  steps?: Partial<Record<Precedence, readonly [number, number, number]>>,
  lead?: Partial<LeadTimes>,
): Deadlines {
  const out = { steps: { ...DEFAULT_STEPS, ...steps }, lead: { ...DEFAULT_LEAD_TIMES, ...lead } };
  const l = out.lead;
  if (!(l.imminent_ms >= 0 && l.soon_ms >= l.imminent_ms && l.margin_ms >= 0 && l.max_step_ms > 0))
    throw new RangeError('lead times: need 0 ≤ imminent ≤ soon, margin ≥ 0 and max step > 0');
  return out;
}

export const PRECEDENCE_OF: Readonly<Record<Severity, Precedence>> = {
  critical: 'flash',
  high: 'immediate',
  medium: 'priority',
  low: 'routine',
};

/**
 * The precedence of an alert raised at `now` about an activity starting at `startsAt` (null: no
 * activity, e.g. a hotline message — the precedence stays as asked).
 */
export function precedenceAt(
  d: Deadlines,
  precedence: Precedence,
  now: number,
  startsAt: number | null,
): Precedence {
  if (startsAt === null) return precedence;
  const lead = startsAt - now;
  const relax = lead <= d.lead.imminent_ms ? 0 : lead <= d.lead.soon_ms ? 1 : 2;
  const i = Math.min(PRECEDENCES.indexOf(precedence) + relax, PRECEDENCES.length - 1);
  return PRECEDENCES[i] as Precedence;
}

/**
 * How long level `level` (0 watch officer, 1 senior officer, 2 party admin) has to acknowledge,
 * starting at `now`: the base deadline, stretched to share the room left before the activity's
 * start (less the margin) between this level and those after it, and capped.
 */
export function stepAt(
  d: Deadlines,
  precedence: Precedence,
  level: 0 | 1 | 2,
  now: number,
  startsAt: number | null,
): number {
  const base = d.steps[precedence][level];
  if (startsAt === null) return base;
  const room = startsAt - d.lead.margin_ms - now;
  // Whole milliseconds, as every time the hub stores (a fraction would not fit PostgreSQL's
  // bigint); down, so that a deadline is never later than its share.
  const share = Math.floor(room / (3 - level));
  return Math.max(base, Math.min(share, d.lead.max_step_ms));
}
