/**
 * Wire schemas of the watch (docs/design.md §5): the on-call roster, alerts with deadlines and
 * escalations, the party's event stream, the hotline, and outbound webhooks.
 */

import Type, { type Static } from 'typebox';
import { PARTY_ID_PATTERN, USERNAME_PATTERN } from '../domain/limits.ts';
import { BlindCheckView } from './blind.ts';
import { After, Instant, Limit, Nullable, Precedence, RecordId, Text, TimeInput } from './common.ts';
import { ConflictView, DeclarationFeature } from './declarations.ts';
import { Signed, SignedBy } from './ledger.ts';
import { ProbingSummary } from './probing.ts';

const WatchRole = Type.Enum(['watch_officer', 'senior_officer'] as const, {
  description: '"watch_officer" or "senior_officer"',
});

export const ShiftView = Type.Object(
  { id: Type.String(), role: WatchRole, username: Type.String(), start: Instant, end: Instant },
  { additionalProperties: false, title: 'Shift' },
);
export type ShiftView = Static<typeof ShiftView>;

export const ShiftBody = Type.Object(
  {
    role: WatchRole,
    username: Type.String({
      pattern: USERNAME_PATTERN,
      description: 'a member of your party (a login name)',
    }),
    start: TimeInput,
    end: TimeInput,
  },
  {
    additionalProperties: false,
    examples: [
      {
        role: 'watch_officer',
        username: 'coalition.watch',
        start: '2026-11-23T06:00:00Z',
        end: '2026-11-23T18:00:00Z',
      },
    ],
  },
);
export type ShiftBody = Static<typeof ShiftBody>;

export const RosterQuery = Type.Object(
  { from: Type.Optional(TimeInput), to: Type.Optional(TimeInput) },
  { additionalProperties: false },
);

export const RosterView = Type.Object(
  {
    from: Instant,
    to: Instant,
    on_call_now: Type.Object(
      { watch_officer: Type.Array(Type.String()), senior_officer: Type.Array(Type.String()) },
      { additionalProperties: false },
    ),
    shifts: Type.Array(ShiftView),
    warnings: Type.Array(
      Type.Object(
        { code: Type.Literal('no_one_on_call'), role: WatchRole, start: Instant, end: Instant },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, title: 'Roster' },
);
export type RosterView = Static<typeof RosterView>;

const Level = Type.Enum(['watch_officer', 'senior_officer', 'party_admin', 'overdue'] as const);

export const AlertQuery = Type.Object(
  {
    status: Type.Optional(Type.Enum(['open', 'acknowledged', 'closed'] as const)),
    limit: Type.Optional(Limit(5000, 500)),
  },
  { additionalProperties: false },
);

/** An acknowledgement: who and when come from the token; an optional reply reaches the other side. */
export const AckBody = Type.Object(
  {
    reply: Type.Optional(
      Nullable(Text(2000, 'text of at most 2000 characters (line breaks allowed)', 0, 'multiline')),
    ),
    signed: Type.Optional(Signed),
  },
  { additionalProperties: false },
);
export type AckBody = Static<typeof AckBody>;

export const EventView = Type.Object(
  {
    seq: Type.Integer({ minimum: 1 }),
    type: Type.String({ description: 'alert.created, conflict.detected, message.posted, … (docs/watch.md)' }),
    at: Instant,
    data: Type.Unknown(),
  },
  { additionalProperties: false, title: 'Event' },
);
export type EventView = Static<typeof EventView>;

export const EventsQuery = Type.Object(
  { after: Type.Optional(After), limit: Type.Optional(Limit(1000, 500)) },
  { additionalProperties: false },
);

export const EventPage = Type.Object(
  { head: Type.Integer({ minimum: 0 }), events: Type.Array(EventView) },
  { additionalProperties: false },
);

// --- Hotline -------------------------------------------------------------------------------------

const MemberStatus = Type.Enum(['accepted', 'invited', 'declined'] as const, {
  description: "a party's answer to the invitation: accepted, invited (not answered yet), declined",
});

export const CHANNEL_STATUS_VALUES = ['open', 'pending', 'declined'] as const;

export const ChannelView = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    created_at: Instant,
    created_by_party: Type.String(),
    members: Type.Array(
      Type.Object(
        { party: Type.String(), status: MemberStatus, at: Instant },
        { additionalProperties: false },
      ),
    ),
    status: Type.Enum(CHANNEL_STATUS_VALUES, {
      description:
        'the channel: open (two or more parties accepted: its parties that accepted talk on it), pending (waiting for an invited party to answer), declined (every invited party declined: no one can talk on it)',
    }),
    my_status: Nullable(
      Type.Enum(['accepted', 'invited', 'declined'] as const, {
        description: "the caller's party's answer to the invitation",
      }),
    ),
  },
  { additionalProperties: false, title: 'Channel' },
);
export type ChannelView = Static<typeof ChannelView>;

export const ChannelBody = Type.Object(
  {
    name: Text(100, '1–100 characters', 1),
    parties: Type.Array(Type.String({ pattern: PARTY_ID_PATTERN, description: 'a party id' }), {
      minItems: 1,
      maxItems: 15,
      uniqueItems: true,
      description: 'the other parties (1–15), not your own',
    }),
  },
  { additionalProperties: false, examples: [{ name: 'Mures line', parties: ['northern-forces'] }] },
);
export type ChannelBody = Static<typeof ChannelBody>;

export const ReceiptView = Type.Object(
  {
    party: Type.String(),
    delivered_at: Nullable(Instant),
    read_at: Nullable(Instant),
    acked_at: Nullable(Instant),
    reply: Nullable(Type.String({ description: 'the reply given with the acknowledgement' })),
    escalated_at: Nullable(Instant),
    level: Nullable(Level),
    entry: Nullable(Type.Integer({ description: 'the acknowledgement’s ledger entry (its receipt)' })),
    signed_by: SignedBy,
  },
  {
    additionalProperties: false,
    description:
      'one receiving party: delivered, read, acknowledged (with its reply); escalated_at and level say when it let the acknowledgement deadline pass and how far its alert has escalated since',
  },
);
export type ReceiptView = Static<typeof ReceiptView>;

const Ref = Type.Object(
  {
    type: Type.Enum(['declaration', 'conflict'] as const, { description: '"declaration" or "conflict"' }),
    id: RecordId('the id of what the message refers to'),
  },
  { additionalProperties: false, description: '{"type": "declaration" | "conflict", "id": string}' },
);

export const MessageView = Type.Object(
  {
    id: Type.String(),
    channel: Type.String(),
    seq: Type.Integer({ minimum: 1 }),
    from: Type.Object({ party: Type.String(), username: Type.String() }, { additionalProperties: false }),
    precedence: Precedence,
    requires_ack: Type.Boolean(),
    text: Type.String(),
    ref: Nullable(
      Type.Union([
        Ref,
        Type.Object(
          {
            type: Type.Enum(['declaration', 'conflict'] as const),
            hidden: Type.Literal(true),
          },
          { additionalProperties: false },
        ),
      ]),
    ),
    at: Instant,
    receipts: Type.Array(ReceiptView),
  },
  { additionalProperties: false, title: 'Message' },
);
export type MessageView = Static<typeof MessageView>;

export const MessageBody = Type.Object(
  {
    text: Text(4000, '1–4000 characters (line breaks allowed)', 1, 'multiline'),
    precedence: Type.Optional(Precedence),
    ref: Type.Optional(Nullable(Ref)),
  },
  {
    additionalProperties: false,
    examples: [{ text: 'Strike at 1000Z near your convoy: confirm position', precedence: 'flash' }],
  },
);
export type MessageBody = Static<typeof MessageBody>;

export const MessagesQuery = Type.Object(
  { after: Type.Optional(After), limit: Type.Optional(Limit(1000, 200)) },
  { additionalProperties: false },
);

export const ReadBody = Type.Object(
  {
    seq: Type.Integer({
      minimum: 1,
      maximum: Number.MAX_SAFE_INTEGER,
      description: 'the channel sequence number read up to',
    }),
    signed: Type.Optional(Signed),
  },
  { additionalProperties: false },
);
export type ReadBody = Static<typeof ReadBody>;

export const ReadResult = Type.Object(
  { channel: Type.String(), read_up_to: Type.Integer(), marked: Type.Integer() },
  { additionalProperties: false },
);

/** A stream frame for the console: one event of the party's stream. */
export type StreamEvent = EventView;

export const AlertView = Type.Object(
  {
    id: Type.String(),
    subject_type: Type.Enum(['conflict', 'notification', 'message', 'probing', 'blind_check'] as const),
    subject: Type.String(),
    precedence: Precedence,
    status: Type.Enum(['open', 'acknowledged', 'closed'] as const),
    level: Level,
    escalated: Type.Boolean(),
    due_at: Nullable(Instant),
    starts_at: Nullable(Instant),
    to: Type.Array(Type.String()),
    created_at: Instant,
    escalations: Type.Array(
      Type.Object(
        {
          level: Level,
          due_at: Instant,
          at: Instant,
          to: Type.Array(Type.String()),
          uncovered: Type.Optional(Type.Literal(true)),
        },
        { additionalProperties: false },
      ),
    ),
    ack: Nullable(
      Type.Object(
        {
          username: Type.String(),
          at: Instant,
          reply: Nullable(Type.String()),
          entry: Nullable(Type.Integer({ description: 'the ledger entry that records it (its receipt)' })),
          signed_by: SignedBy,
        },
        { additionalProperties: false },
      ),
    ),
    closed_at: Nullable(Instant),
    closed_reason: Nullable(Type.String()),
    summary: Type.Object(
      {
        conflict: Type.Optional(ConflictView),
        declaration: Type.Optional(DeclarationFeature),
        message: Type.Optional(MessageView),
        probing: Type.Optional(ProbingSummary),
        blind_check: Type.Optional(BlindCheckView),
        unacknowledged_by: Type.Optional(
          Type.String({
            description:
              'for an alert at the sender of a message or the notifying party: the party that let its acknowledgement deadline pass',
          }),
        ),
      },
      {
        additionalProperties: false,
        description: 'what the alert is about, as this party may see it (frozen when raised)',
      },
    ),
    peers: Type.Optional(
      Type.Array(
        Type.Object(
          {
            party: Type.String(),
            acknowledged: Type.Boolean(),
            acknowledged_at: Nullable(Instant),
            reply: Nullable(Type.String()),
          },
          { additionalProperties: false },
        ),
        { description: 'for a conflict: whether each other party acknowledged its own alert' },
      ),
    ),
  },
  { additionalProperties: false, title: 'Alert' },
);
export type AlertView = Static<typeof AlertView>;

// --- Webhooks ------------------------------------------------------------------------------------

export const WebhookView = Type.Object(
  {
    id: Type.String(),
    url: Type.String(),
    created_at: Instant,
    disabled_at: Nullable(Instant),
    recent_failures: Type.Integer({ minimum: 0 }),
    last_error: Type.Optional(Nullable(Type.String())),
  },
  { additionalProperties: false, title: 'Webhook' },
);
export type WebhookView = Static<typeof WebhookView>;

export const NewWebhook = Type.Object(
  { ...WebhookView.properties, secret: Type.String({ description: 'the HMAC key; shown once' }) },
  { additionalProperties: false, title: 'NewWebhook' },
);

export const WebhookBody = Type.Object(
  { url: Type.String({ maxLength: 2000, format: 'uri', description: 'an http(s) URL' }) },
  { additionalProperties: false, examples: [{ url: 'https://ops.example.org/deconflict-hook' }] },
);
export type WebhookBody = Static<typeof WebhookBody>;

const DeliveryStatus = Type.Enum(['pending', 'delivered', 'failed'] as const);

export const DeliveryView = Type.Object(
  {
    id: Type.String(),
    event_seq: Type.Integer(),
    status: DeliveryStatus,
    attempts: Type.Integer(),
    next_at: Nullable(Instant),
    last_status: Nullable(Type.Integer()),
    last_error: Nullable(Type.String()),
    created_at: Instant,
    delivered_at: Nullable(Instant),
  },
  { additionalProperties: false, title: 'Delivery' },
);
export type DeliveryView = Static<typeof DeliveryView>;

export const DeliveriesQuery = Type.Object(
  { status: Type.Optional(DeliveryStatus), limit: Type.Optional(Limit(1000, 100)) },
  { additionalProperties: false },
);
