/**
 * Wire schemas of sealed declarations and blind matching (docs/blind-matching.md): what an
 * owner's side hands the hub when it seals (kind, category, coarse window, tokens — never a
 * geometry), the tasks the hub relays between the parties' agents, and what each party sees of a
 * check.
 */
import Type, { type Static } from 'typebox';
import { Instant, Nullable, Text, TimeInput } from './common.ts';
import { Category, ConflictView, Kind } from './declarations.ts';
import { Base64 } from './ledger.ts';

/** The most tokens one sealed declaration may carry, and elements one check may relay. */
export const MAX_TOKENS = 100_000;
export const MAX_ELEMENTS = 100_000;

const Element = Base64('a ristretto255 element (RFC 9496), base64 (44 characters)', 32);
const Token = Base64(
  'a token: the first 32 bytes of an OPRF output (RFC 9497, ristretto255-SHA512), base64 (44 characters)',
  32,
);
const SlotMs = Type.Integer({ minimum: 1, description: 'slot length in milliseconds (one of the ladder)' });

export const BlindParams = Type.Object(
  {
    suite: Type.Literal('OPRF(ristretto255, SHA-512)', { description: 'RFC 9497, mode 0x00' }),
    resolution: Type.Integer({ description: 'the H3 resolution every cover uses' }),
    slot_ladder_ms: Type.Array(Type.Integer(), {
      description: 'the slot lengths a sealed declaration may use',
    }),
    max_slots: Type.Integer({
      description: 'a window is covered at the first slot length giving at most this many',
    }),
    max_window_ms: Type.Integer({ description: 'the longest window a sealed declaration may have' }),
    max_tokens: Type.Integer(),
    max_elements: Type.Integer(),
    token_input: Type.String({ description: 'how a (cell, slot) is written as the OPRF input' }),
    horizontal_separation_m: Type.Number({
      description: "the air operations' separation: half of it widens an air operation's cover",
    }),
    timeout_s: Type.Integer({ description: 'an unanswered check is unknown (a risk) after this long' }),
  },
  { additionalProperties: false, title: 'BlindParams' },
);
export type BlindParams = Static<typeof BlindParams>;

export const SealBody = Type.Object(
  {
    kind: Kind,
    category: Type.Optional(Category),
    start: TimeInput,
    end: TimeInput,
    slot_ms: SlotMs,
    resolution: Type.Integer({ minimum: 0, maximum: 15 }),
    tokens: Type.Array(Token, { minItems: 1, maxItems: MAX_TOKENS }),
  },
  {
    additionalProperties: false,
    description:
      'a sealed declaration: its coarse window on the slot grid and its tokens; never a geometry, a label or a buffer',
  },
);
export type SealBody = Static<typeof SealBody>;

export const SealedView = Type.Object(
  {
    id: Type.String(),
    party: Type.String(),
    kind: Kind,
    category: Type.Optional(Category),
    start: Instant,
    end: Instant,
    slot_ms: Type.Integer(),
    resolution: Type.Integer(),
    token_count: Type.Integer(),
    tokens_sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    status: Type.Enum(['active', 'withdrawn', 'expired'] as const),
    created_at: Instant,
    entry: Type.Integer({ description: 'the sealed.declared ledger entry' }),
  },
  { additionalProperties: false, title: 'Sealed' },
);
export type SealedView = Static<typeof SealedView>;

export const SealedList = Type.Object({ sealed: Type.Array(SealedView) }, { additionalProperties: false });

const SlotSpan = Type.Object({ start: Instant, end: Instant }, { additionalProperties: false });

export const BLIND_STATUSES = [
  'awaiting_blind',
  'awaiting_evaluation',
  'awaiting_outputs',
  'done',
  'refused',
  'cancelled',
] as const;

export const BlindCheckView = Type.Object(
  {
    id: Type.String(),
    role: Type.Enum(['asker', 'owner'] as const, { description: "the viewer's part in the check" }),
    asker: Type.String(),
    owner: Type.String(),
    declaration: Type.Optional(
      Type.String({ description: "the asking declaration (the asker's view only)" }),
    ),
    version: Type.Optional(Type.Integer()),
    status: Type.Enum(BLIND_STATUSES),
    unknown: Type.Boolean({
      description: 'unanswered past its deadline, or refused: the result is unknown and alerted as a risk',
    }),
    trigger: Type.Enum(['asker', 'owner'] as const, {
      description: "what made it: the asking party's declaration, or the owner's new sealed one",
    }),
    slot_ms: Type.Integer(),
    slots: Type.Integer({ description: 'how many slots the asking side covers' }),
    element_count: Type.Integer({
      description: 'blinded elements relayed (0 before the asking side answered)',
    }),
    created_at: Instant,
    due_at: Instant,
    answered_at: Nullable(Instant),
    refused_reason: Nullable(Type.String()),
    matched: Type.Array(
      Type.Object(
        {
          sealed: Type.Optional(
            Type.String({ description: "the owner's sealed declaration (the owner's view only)" }),
          ),
          slots: Type.Array(SlotSpan),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, title: 'BlindCheck' },
);
export type BlindCheckView = Static<typeof BlindCheckView>;

export const BlindCheckList = Type.Object(
  { checks: Type.Array(BlindCheckView) },
  { additionalProperties: false },
);

export const BlindTasks = Type.Object(
  {
    blind: Type.Array(
      Type.Object(
        {
          check: Type.String(),
          declaration: Type.String({ description: 'your declaration to cover (by its own reach)' }),
          version: Type.Integer(),
          sealed: Type.Boolean({ description: 'a sealed one: your side holds its geometry' }),
          resolution: Type.Integer(),
          slot_ms: Type.Integer(),
          slots: Type.Array(Instant, { description: 'the slots to cover (where the windows meet)' }),
        },
        { additionalProperties: false },
      ),
      { description: 'checks of your declarations: cover, blind with fresh scalars, hand the elements' },
    ),
    evaluate: Type.Array(
      Type.Object(
        {
          check: Type.String(),
          asker: Type.String({ description: 'the party asking (budget it)' }),
          elements: Type.Array(Element),
        },
        { additionalProperties: false },
      ),
      { description: 'blinded elements for your agent to evaluate under your key' },
    ),
    finalize: Type.Array(
      Type.Object(
        {
          check: Type.String(),
          declaration: Type.String(),
          version: Type.Integer(),
          sealed: Type.Boolean(),
          resolution: Type.Integer(),
          slot_ms: Type.Integer(),
          slots: Type.Array(Instant, { description: 'to blind afresh if the scalars were lost' }),
          elements_sha256: Type.String({
            pattern: '^[0-9a-f]{64}$',
            description:
              'SHA-256 (hex) of the blinded elements evaluated, base64 one per line: finalize only with the scalars that made them',
          }),
          evaluated: Type.Array(Element),
        },
        { additionalProperties: false },
      ),
      { description: 'evaluated elements to unblind and finalize with the scalars you kept' },
    ),
  },
  { additionalProperties: false, title: 'BlindTasks' },
);
export type BlindTasks = Static<typeof BlindTasks>;

export const BlindedBody = Type.Object(
  {
    elements: Type.Array(
      Type.Object(
        {
          slot: Type.Integer({ minimum: 0, description: "index into the task's slots" }),
          element: Element,
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: MAX_ELEMENTS },
    ),
  },
  { additionalProperties: false },
);
export type BlindedBody = Static<typeof BlindedBody>;

export const EvaluatedBody = Type.Object(
  { elements: Type.Array(Element, { minItems: 1, maxItems: MAX_ELEMENTS }) },
  { additionalProperties: false },
);
export type EvaluatedBody = Static<typeof EvaluatedBody>;

export const RefuseBody = Type.Object(
  { reason: Text(500, 'why the agent refused (e.g. over its budget for this party today)', 1) },
  { additionalProperties: false },
);

export const OutputsBody = Type.Object(
  { outputs: Type.Array(Token, { minItems: 1, maxItems: MAX_ELEMENTS }) },
  { additionalProperties: false, description: 'the outputs, in the order of the elements handed' },
);
export type OutputsBody = Static<typeof OutputsBody>;

export const OutputsResult = Type.Object(
  { check: BlindCheckView, conflicts: Type.Array(ConflictView) },
  { additionalProperties: false },
);
