/**
 * Wire schemas of probing (docs/visibility.md): what an owner of hidden declarations sees of
 * other parties' real submissions that conflicted with them, and the budgets it sets.
 */
import Type, { type Static } from 'typebox';
import { Instant, Nullable } from './common.ts';
import { Rule, Severity } from './declarations.ts';

export const BudgetEntry = Type.Object(
  {
    party: Type.String({ description: 'the other party (the caller of the probes)' }),
    per_day: Type.Integer({ minimum: 0, description: 'hidden conflicts answered per UTC day' }),
    used_today: Type.Integer({ minimum: 0 }),
    remaining: Type.Integer({ minimum: 0 }),
    last_at: Nullable(Instant),
    exhausted_at: Nullable(Instant),
  },
  { additionalProperties: false, title: 'ProbingBudget' },
);
export type BudgetEntry = Static<typeof BudgetEntry>;

export const ProbeView = Type.Object(
  {
    id: Type.String(),
    party: Type.String({ description: 'who submitted' }),
    at: Instant,
    conflict: Type.String(),
    rule: Rule,
    severity: Severity,
    withheld: Type.Boolean({ description: 'past the budget: withheld from that party until released' }),
  },
  { additionalProperties: false, title: 'Probe' },
);
export type ProbeView = Static<typeof ProbeView>;

export const ProbingView = Type.Object(
  {
    day: Type.String({ description: 'the UTC day the counts are for, YYYY-MM-DD' }),
    default_per_day: Type.Integer({ minimum: 0 }),
    parties: Type.Array(BudgetEntry),
    recent: Type.Array(ProbeView, { description: 'newest first, at most 200 of the last 7 days' }),
  },
  { additionalProperties: false, title: 'Probing' },
);
export type ProbingView = Static<typeof ProbingView>;

export const BudgetBody = Type.Object(
  {
    per_day: Type.Integer({
      minimum: 0,
      maximum: 10_000,
      description: 'hidden conflicts answered per UTC day, 0–10000',
    }),
  },
  { additionalProperties: false, examples: [{ per_day: 5 }] },
);
export type BudgetBody = Static<typeof BudgetBody>;

/** An alert's summary when a party used its whole budget against the caller's hidden declarations. */
export const ProbingSummary = Type.Object(
  {
    party: Type.String(),
    per_day: Type.Integer({ minimum: 0 }),
    used_today: Type.Integer({ minimum: 0 }),
    day: Type.String(),
  },
  { additionalProperties: false },
);
export type ProbingSummary = Static<typeof ProbingSummary>;
