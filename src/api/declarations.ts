/**
 * Wire schemas of declarations and conflicts. A declaration is a GeoJSON Feature (RFC 7946) whose
 * properties are the declaration (docs/design.md §3); a conflict is shown as the viewing party may
 * see it (§8: a hidden side is `{party, hidden: true}`, with no distance or closest points).
 *
 * Submissions are *parsed* by the engine (`src/engine/declaration.ts`), not validated here: the
 * engine turns raw GeoJSON into a typed declaration exactly once and names every problem with one
 * of its ~30 codes (feature index, property path). The schema below documents that format for
 * clients and code generators; the route marks it `x-parsed-by: engine` so the validator passes
 * the body through to the one parser instead of checking it a second, different way.
 */

import Type, { type Static } from 'typebox';
import { PARTY_ID_PATTERN } from '../domain/limits.ts';
import { BREACH_RULE, TERM_KINDS } from '../engine/agreements.ts';
import { LOCAL_ID_CHARS, MAX_ID_LENGTH, MAX_LOCAL_ID_LENGTH } from '../engine/text.ts';
import { KINDS, RULES, SITE_CATEGORIES } from '../engine/types.ts';
import { Instant, Limit, Nullable, RecordId, Text, TimeInput } from './common.ts';
import { Signed, SignedBy } from './ledger.ts';

export const KIND_VALUES = KINDS;
export const Kind = Type.Enum(KIND_VALUES);

export const CATEGORY_VALUES = SITE_CATEGORIES;
export const Category = Type.Enum(CATEGORY_VALUES);

/** The engine's rules and the breach of an agreement's term (docs/agreements.md §3). */
export const RULE_VALUES = [...new Set([...RULES, BREACH_RULE])] as readonly (
  | (typeof RULES)[number]
  | typeof BREACH_RULE
)[];
export const Rule = Type.Enum(RULE_VALUES);

export const SEVERITY_VALUES = ['critical', 'high', 'medium', 'low'] as const;
export const Severity = Type.Enum(SEVERITY_VALUES);

/** A position: [longitude, latitude] in degrees, WGS 84. */
export const Position = Type.Tuple([Type.Number(), Type.Number()], { description: '[lon, lat], degrees' });

/** A GeoJSON geometry of one of the types declarations use; coordinates nest per RFC 7946. */
export const Geometry = Type.Object(
  {
    type: Type.Enum(['Point', 'LineString', 'Polygon', 'MultiPolygon'] as const),
    coordinates: Type.Array(Type.Unknown(), {
      description: 'Point: [lon, lat]; LineString: positions; Polygon: rings; MultiPolygon: polygons',
    }),
  },
  { additionalProperties: false, title: 'Geometry' },
);

export const Altitude = Type.Object(
  {
    lower_m: Type.Number(),
    upper_m: Type.Number(),
    reference: Type.Enum(['AMSL', 'AGL'] as const),
  },
  { additionalProperties: false, title: 'AltitudeBand' },
);

export const Visibility = Type.Union(
  [Type.Literal('all'), Type.Literal('sealed'), Type.Array(Type.String())],
  { description: '"all", or the parties (besides the owner) that may see it in clear' },
);

export const DECLARATION_STATUS_VALUES = ['active', 'superseded', 'withdrawn', 'expired'] as const;
export const DeclarationStatus = Type.Enum(DECLARATION_STATUS_VALUES);

/** The properties a party writes (docs/design.md §3). */
const InputProperties = Type.Object(
  {
    id: Type.Optional(
      Type.String({
        description: `local id "x" (stored as "<party>:x") or the full id: 1–${MAX_LOCAL_ID_LENGTH} of ${LOCAL_ID_CHARS} after the optional "<party>:"`,
      }),
    ),
    kind: Kind,
    start: Type.String({ description: 'ISO 8601 UTC' }),
    end: Type.Optional(Nullable(Type.String({ description: 'ISO 8601 UTC; absent or null: open-ended' }))),
    buffer_m: Type.Optional(Type.Number({ minimum: 0 })),
    altitude: Type.Optional(Altitude),
    category: Type.Optional(Category),
    schedule: Type.Optional(Type.Array(Type.String(), { description: 'one ETA per route vertex' })),
    applies_to: Type.Optional(Type.Array(Type.String())),
    ground_only: Type.Optional(
      Type.Boolean({
        description:
          'area_of_responsibility only: true when the area covers the ground only, so air operations over it are no incursion',
      }),
    ),
    visibility: Type.Optional(Visibility),
    notify: Type.Optional(Type.Array(Type.String())),
    label: Type.Optional(Type.String({ maxLength: 200, description: 'one line of at most 200 characters' })),
    notes: Type.Optional(
      Type.String({
        maxLength: 4000,
        'x-text': 'multiline',
        description: 'text of at most 4000 characters; line breaks (\\n) and tabs allowed',
      }),
    ),
  },
  { additionalProperties: false },
);

const InputFeature = Type.Object(
  { type: Type.Literal('Feature'), geometry: Geometry, properties: InputProperties },
  { title: 'DeclarationInput' },
);

/** What a party submits: one Feature or a FeatureCollection (all accepted or none). */
export const SubmissionBody = Type.Union(
  [
    InputFeature,
    Type.Object({ type: Type.Literal('FeatureCollection'), features: Type.Array(InputFeature) }),
  ],
  {
    'x-parsed-by': 'engine',
    description:
      'Parsed by the engine, which names every problem with a coded error (feature index, property path); see docs/errors.md.',
    examples: [
      {
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [21.304, 46.1545] },
        properties: {
          id: 'nf-strike-1',
          kind: 'strike',
          buffer_m: 400,
          start: '2026-11-23T10:00:00Z',
          end: '2026-11-23T11:00:00Z',
        },
      },
    ],
  },
);

/**
 * A declaration's id in a path: its full id `<party>:<local id>`, as long as the longest the
 * engine accepts (src/engine/text.ts), so every declaration can be read, amended and withdrawn.
 */
export const DeclarationParams = Type.Object(
  {
    id: RecordId(`the full declaration id, "<party>:<local id>" (at most ${MAX_ID_LENGTH} characters)`),
  },
  { additionalProperties: false, examples: [{ id: 'northern-forces:nf-strike-1' }] },
);

/** An amendment: one Feature; its id is the path's. */
export const AmendmentBody = Type.Object(
  { type: Type.Literal('Feature'), geometry: Geometry, properties: InputProperties },
  { 'x-parsed-by': 'engine', title: 'Amendment', description: 'One GeoJSON Feature, parsed by the engine.' },
);

/** A declaration as the caller may see it. */
export const DeclarationFeature = Type.Object(
  {
    type: Type.Literal('Feature'),
    id: Type.String(),
    geometry: Geometry,
    properties: Type.Object(
      {
        id: Type.String({ description: '"<party>:<local id>"' }),
        kind: Kind,
        party: Type.String(),
        start: Instant,
        end: Nullable(Instant),
        buffer_m: Type.Number(),
        altitude: Type.Optional(Altitude),
        category: Type.Optional(Category),
        schedule: Type.Optional(Type.Array(Instant)),
        applies_to: Type.Optional(Type.Array(Type.String())),
        ground_only: Type.Optional(
          Type.Boolean({
            description:
              'area_of_responsibility only: true when the area covers the ground only, so air operations over it are no incursion',
          }),
        ),
        visibility: Visibility,
        notify: Type.Optional(Type.Array(Type.String())),
        label: Type.Optional(Type.String()),
        notes: Type.Optional(Type.String()),
        version: Type.Integer({ minimum: 1 }),
        status: DeclarationStatus,
        created_at: Instant,
        created_by: Type.Optional(Type.String({ description: 'shown to the owning party only' })),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false, title: 'Declaration' },
);
export type DeclarationFeature = Static<typeof DeclarationFeature>;

export const DeclarationCollection = Type.Object(
  { type: Type.Literal('FeatureCollection'), features: Type.Array(DeclarationFeature) },
  { additionalProperties: false, title: 'DeclarationCollection' },
);
export type DeclarationCollection = Static<typeof DeclarationCollection>;

/** One side of a conflict: shown in clear, or hidden (only its party). */
export const SideView = Type.Union([
  Type.Object(
    {
      id: Type.String(),
      version: Type.Integer(),
      party: Type.String(),
      kind: Kind,
      label: Type.Optional(Type.String()),
      sealed: Type.Optional(
        Type.Literal(true, { description: "the viewer's own sealed declaration (docs/blind-matching.md)" }),
      ),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      party: Type.String(),
      hidden: Type.Literal(true),
      sealed: Type.Optional(
        Type.Literal(true, { description: 'a sealed declaration: the hub itself never saw where it is' }),
      ),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal('agreement_term'),
      id: Type.String({ description: 'agreement:<agreement id>/<term id>' }),
      version: Type.Integer({ description: 'the agreement’s version in force' }),
      party: Type.String({ description: 'for an area of responsibility, its party; else another signatory' }),
      agreement: Type.String(),
      term: Type.String({ description: 'the term’s id within the agreement' }),
      term_kind: Type.Enum(TERM_KINDS),
      parties: Type.Array(Type.String(), { description: 'every party involved: the signatories' }),
      window: Type.Object({ start: Instant, end: Instant }, { additionalProperties: false }),
      label: Type.Optional(Type.String()),
    },
    {
      additionalProperties: false,
      description: 'the term of an agreement an agreement_breach breaks (docs/agreements.md §3)',
    },
  ),
]);
export type SideView = Static<typeof SideView>;

export const ConflictView = Type.Object(
  {
    id: Type.String(),
    rule: Rule,
    severity: Severity,
    internal: Type.Boolean({ description: 'both sides are of one party' }),
    status: Type.Enum(['open', 'resolved'] as const),
    resolution: Nullable(Type.Enum(['withdrawn', 'amended', 'expired', 'risk_accepted'] as const)),
    a: SideView,
    b: SideView,
    window: Type.Object({ start: Instant, end: Nullable(Instant) }, { additionalProperties: false }),
    distance_m: Type.Optional(Type.Number({ description: 'absent when a side is hidden' })),
    closest: Type.Optional(Type.Tuple([Position, Position], { description: 'closest points [on a, on b]' })),
    matched_slots: Type.Optional(
      Type.Array(Type.Object({ start: Instant, end: Instant }, { additionalProperties: false }), {
        description:
          'a conflict found blind (a sealed side): the time slots in which both covers share a cell (docs/blind-matching.md)',
      }),
    ),
    detected_at: Instant,
    resolved_at: Nullable(Instant),
    acceptances: Type.Array(
      Type.Object(
        { party: Type.String(), at: Instant, reason: Type.String() },
        { additionalProperties: false },
      ),
    ),
    withheld_from: Type.Optional(
      Type.Array(Type.String(), {
        description:
          'shown to the owner of the hidden side only: the parties past their probing budget this conflict is withheld from until released',
      }),
    ),
  },
  { additionalProperties: false, title: 'Conflict' },
);
export type ConflictView = Static<typeof ConflictView>;

export const SubmissionResult = Type.Object(
  {
    accepted: Type.Literal(true),
    dry_run: Type.Boolean(),
    declarations: Type.Array(
      Type.Object(
        { id: Type.String(), version: Type.Integer({ minimum: 1 }) },
        { additionalProperties: false },
      ),
    ),
    conflicts: Type.Array(ConflictView),
    hidden: Type.Optional(
      Type.Literal('not_checked', {
        description:
          'on dry runs: declarations hidden from the caller were not checked (only a real submission checks them, and is recorded)',
      }),
    ),
  },
  { additionalProperties: false, title: 'Submission' },
);
export type SubmissionResult = Static<typeof SubmissionResult>;

export const SubmitQuery = Type.Object(
  {
    dry_run: Type.Optional(
      Type.Enum(['true', 'false'] as const, {
        description: 'true: check only, store nothing',
      }),
    ),
  },
  { additionalProperties: false },
);

export const ListQuery = Type.Object(
  {
    bbox: Type.Optional(
      Type.String({ format: 'bbox', maxLength: 200, description: 'west,south,east,north in degrees' }),
    ),
    start: Type.Optional(TimeInput),
    end: Type.Optional(TimeInput),
    kind: Type.Optional(Kind),
    party: Type.Optional(
      Type.String({ pattern: PARTY_ID_PATTERN, description: 'owning party (a party id)' }),
    ),
    status: Type.Optional(Type.Enum(['active', 'withdrawn', 'expired'] as const)),
    limit: Type.Optional(Limit(5000, 500)),
  },
  { additionalProperties: false },
);

export const VersionQuery = Type.Object(
  {
    version: Type.Optional(
      Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'a version number' }),
    ),
  },
  { additionalProperties: false },
);

export const WithdrawBody = Type.Object(
  {
    reason: Type.Optional(
      Text(1000, 'text of at most 1000 characters (line breaks allowed)', 0, 'multiline'),
    ),
  },
  { additionalProperties: false },
);
export type WithdrawBody = Static<typeof WithdrawBody>;

export const Withdrawn = Type.Object(
  { id: Type.String(), version: Type.Integer(), status: Type.Literal('withdrawn') },
  { additionalProperties: false },
);

export const ConflictQuery = Type.Object(
  {
    status: Type.Optional(Type.Enum(['open', 'resolved'] as const)),
    rule: Type.Optional(Rule),
    severity: Type.Optional(Severity),
    declaration: Type.Optional(RecordId('a declaration id, "<party>:<local id>"')),
    limit: Type.Optional(Limit(5000, 500)),
  },
  { additionalProperties: false },
);

export const ResolveBody = Type.Object(
  {
    resolution: Type.Literal('risk_accepted', {
      description:
        '"risk_accepted" (with a reason); to resolve by withdrawing or amending, withdraw or amend the declaration',
    }),
    reason: Text(2000, 'why the risk is accepted (1–2000 characters; line breaks allowed)', 1, 'multiline'),
    signed: Type.Optional(Signed),
  },
  { additionalProperties: false },
);
export type ResolveBody = Static<typeof ResolveBody>;

// --- Notifications -------------------------------------------------------------------------------

export const NotificationState = Type.Object(
  {
    party: Type.String({ description: 'a party named in `notify`' }),
    status: Type.Enum(['awaiting', 'acknowledged', 'overdue', 'closed'] as const, {
      description:
        'awaiting (deadline not passed), acknowledged, overdue (a deadline passed, not acknowledged), closed (the notification ended: amended, withdrawn, expired)',
    }),
    notified_at: Instant,
    due_at: Nullable(Instant),
    level: Type.Enum(['watch_officer', 'senior_officer', 'party_admin', 'overdue'] as const, {
      description: 'how far the notified party’s alert has escalated',
    }),
    escalated_at: Nullable(Instant),
    acknowledged_at: Nullable(Instant),
    reply: Nullable(Type.String()),
    entry: Nullable(
      Type.Integer({
        description: 'the ledger entry of the acknowledgement: its receipt (docs/transparency.md)',
      }),
    ),
    signed_by: SignedBy,
    closed_reason: Nullable(Type.String()),
  },
  { additionalProperties: false, title: 'NotificationState' },
);

export const NotificationsView = Type.Object(
  {
    declaration: Type.String(),
    version: Type.Integer({ minimum: 1 }),
    notifications: Type.Array(NotificationState),
  },
  { additionalProperties: false, title: 'Notifications' },
);
export type NotificationsView = Static<typeof NotificationsView>;
