/**
 * Wire schemas of agreements (docs/agreements.md): the format a party drafts, counters and the
 * signatories sign, the bodies of signing and withdrawing, and an agreement as its parties see it
 * (its versions, content hashes, signatures and withdrawal).
 *
 * An agreement's text is *parsed* by the engine (src/engine/agreements.ts), which names every
 * problem with a coded error and a path (`terms.features[2].properties.end`); the schema below
 * documents the format and is marked `x-parsed-by: engine`, as declarations are.
 */
import Type, { type Static } from 'typebox';
import { TERM_KINDS } from '../engine/agreements.ts';
import { Instant, Limit, Nullable, RecordId, Text, TimeInput } from './common.ts';
import { Geometry } from './declarations.ts';
import { Signed } from './ledger.ts';

export const AGREEMENT_STATUS_VALUES = [
  'draft',
  'proposed',
  'signed',
  'in_force',
  'withdrawn',
  'expired',
] as const;
export const AgreementStatus = Type.Enum(AGREEMENT_STATUS_VALUES, {
  description: 'draft → proposed → signed (by every signatory) → in_force → withdrawn | expired',
});

const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'hex SHA-256 (64 digits)' });

const TermProperties = Type.Object(
  {
    id: Type.String({
      description: 'unique within the agreement: letters, digits, ".", "_", "~", "-"; ≤ 64',
    }),
    term: Type.Enum(TERM_KINDS),
    start: Type.Optional(
      Type.String({ description: 'ISO 8601 UTC; inside the agreement’s window (default: its start)' }),
    ),
    end: Type.Optional(
      Type.String({ description: 'ISO 8601 UTC; inside the agreement’s window (default: its end)' }),
    ),
    parties: Type.Optional(
      Type.Array(Type.String(), { description: 'whom it binds or names: signatories only' }),
    ),
    buffer_m: Type.Optional(Type.Number({ minimum: 0, maximum: 50_000 })),
    label: Type.Optional(Type.String({ maxLength: 200 })),
    rule: Type.Optional(Type.Literal('incursion', { description: 'a permission: the rule it lifts' })),
    of: Type.Optional(
      Type.String({ description: 'a permission: whose area of responsibility may be entered' }),
    ),
    within: Type.Optional(Type.String({ description: 'a permission: the id of a corridor term' })),
  },
  { additionalProperties: false },
);

const Term = Type.Object(
  { type: Type.Literal('Feature'), geometry: Nullable(Geometry), properties: TermProperties },
  { title: 'Term' },
);

const AgreementTextSchema = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  parties: Type.Array(Type.String(), { minItems: 2, maxItems: 20, description: 'the signatories' }),
  start: Type.String({ description: 'ISO 8601 UTC' }),
  end: Type.String({ description: 'ISO 8601 UTC, after start' }),
  terms: Type.Object({
    type: Type.Literal('FeatureCollection'),
    features: Type.Array(Term, { maxItems: 100 }),
  }),
};

/** What a party drafts or counters with: the agreement's text (docs/agreements.md §1). */
export const AgreementInput = Type.Object(AgreementTextSchema, {
  'x-parsed-by': 'engine',
  title: 'AgreementInput',
  description:
    'Parsed by the engine, which names every problem with a coded error and its path; see docs/errors.md.',
});

/** The text as stored and signed: times written as the hub writes them. */
export const AgreementText = Type.Object(
  {
    ...AgreementTextSchema,
    terms: Type.Object({ type: Type.Literal('FeatureCollection'), features: Type.Array(Type.Unknown()) }),
  },
  {
    additionalProperties: false,
    title: 'AgreementText',
    description: 'content_sha256 = hex(SHA-256(canonical JSON (RFC 8785) of this object))',
  },
);

export const AgreementListQuery = Type.Object(
  { status: Type.Optional(AgreementStatus), limit: Type.Optional(Limit(1000, 200)) },
  { additionalProperties: false },
);

/** A counter-proposal: the new text, and the version it counters (the current one). */
export const CounterInput = Type.Object(
  {
    ...AgreementTextSchema,
    version: Type.Integer({
      minimum: 1,
      maximum: 1_000_000,
      description: 'the version countered: the current one (an older one is agreement_superseded)',
    }),
  },
  {
    'x-parsed-by': 'engine',
    title: 'CounterInput',
    description: 'The new text (parsed by the engine, as a draft is) and `version`, the version it counters.',
  },
);

export const SignBody = Type.Object(
  {
    version: Type.Integer({
      minimum: 1,
      maximum: 1_000_000,
      description: 'the version signed (the current one)',
    }),
    content_sha256: Sha256,
    signed: Signed,
  },
  {
    additionalProperties: false,
    description:
      'signed: the statement {act: "agreement.sign", subject: <agreement id>, version, content_sha256} (docs/transparency.md §4)',
  },
);
export type SignBody = Static<typeof SignBody>;

export const WithdrawAgreementBody = Type.Object(
  {
    effective: TimeInput,
    reason: Text(2000, 'why (1–2000 characters; line breaks allowed)', 1, 'multiline'),
    signed: Signed,
  },
  {
    additionalProperties: false,
    description:
      'effective: from when it no longer binds, not before now; signed: the statement {act: "agreement.withdraw", subject, version: the current, effective}',
  },
);
export type WithdrawAgreementBody = Static<typeof WithdrawAgreementBody>;

const SignatureView = Type.Object(
  {
    version: Type.Integer(),
    party: Type.String(),
    username: Type.String(),
    key: Type.String({ description: 'the member key that signed' }),
    entry: Type.Integer({ description: 'the agreement.signed ledger entry' }),
    at: Instant,
  },
  { additionalProperties: false },
);

export const AgreementView = Type.Object(
  {
    id: RecordId('the agreement id'),
    status: AgreementStatus,
    drafter: Type.String({ description: 'the party that drafted it' }),
    version: Type.Integer({ description: 'the current version' }),
    content_sha256: Sha256,
    agreement: AgreementText,
    created_at: Instant,
    in_force_at: Nullable(Instant),
    closed_at: Nullable(Instant),
    awaiting: Type.Array(Type.String(), { description: 'signatories yet to sign the current version' }),
    signatures: Type.Array(SignatureView, { description: 'every signature, of every version' }),
    versions: Type.Array(
      Type.Object(
        {
          version: Type.Integer(),
          content_sha256: Sha256,
          party: Type.String({ description: 'who proposed it (drafted, until proposed)' }),
          username: Type.String(),
          at: Instant,
          proposed_at: Nullable(Instant),
          superseded: Type.Boolean(),
          agreement: Type.Optional(AgreementText),
        },
        { additionalProperties: false },
      ),
    ),
    withdrawal: Nullable(
      Type.Object(
        {
          party: Type.String(),
          username: Type.String(),
          version: Type.Integer(),
          effective: Instant,
          reason: Type.String(),
          key: Type.String(),
          entry: Type.Integer({ description: 'the agreement.withdrawn ledger entry' }),
          at: Instant,
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, title: 'Agreement' },
);
export type AgreementView = Static<typeof AgreementView>;

export const AgreementList = Type.Object(
  { agreements: Type.Array(AgreementView) },
  { additionalProperties: false, title: 'Agreements' },
);
