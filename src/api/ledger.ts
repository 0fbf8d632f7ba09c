/**
 * Wire schemas of the transparency log (docs/transparency.md): checkpoints, proofs, witnesses'
 * cosignatures, receipts, members' keys and the signed statements that requests carry.
 */
import Type, { type Static } from 'typebox';
import { ACTS } from '../ledger/statement.ts';
import { Instant, Limit, Nullable, Text } from './common.ts';

/**
 * Standard base64 (RFC 4648 §4, padded) of exactly `bytes` bytes. The pattern says the length
 * itself ({43}= for 32 bytes, {86}== for 64), so a client — or a generator of test inputs — can
 * read the exact form from the schema, not from a length bound beside a looser pattern.
 */
export const Base64 = (what: string, bytes: number) => {
  const full = Math.floor(bytes / 3) * 4;
  const tail = bytes % 3 === 0 ? '' : bytes % 3 === 1 ? '[A-Za-z0-9+/]{2}==' : '[A-Za-z0-9+/]{3}=';
  return Type.String({
    pattern: `^[A-Za-z0-9+/]{${full}}${tail}$`,
    minLength: Math.ceil(bytes / 3) * 4,
    maxLength: Math.ceil(bytes / 3) * 4,
    description: what,
  });
};

const Hash = Base64('a SHA-256 hash, base64 (44 characters)', 32);
const KeyId = Type.String({ pattern: '^[0-9a-f]{16}$', description: 'a member key id: 16 hex digits' });
const Seq = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
const Size = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

// --- Signed statements ----------------------------------------------------------------------------

export const Statement = Type.Object(
  {
    v: Type.Literal(1),
    origin: Type.String({ minLength: 1, maxLength: 200, description: "the hub log's origin" }),
    act: Type.Enum(ACTS),
    subject: Type.String({ minLength: 1, maxLength: 200, description: 'the id of the record acted on' }),
    by: Type.String({ minLength: 1, maxLength: 200, description: 'the signing member (login name)' }),
    party: Type.String({ minLength: 1, maxLength: 200 }),
    at: Type.String({
      format: 'date-time',
      maxLength: 40,
      description: "when it was signed, ISO 8601 UTC (within 10 minutes of the hub's clock)",
    }),
    reply: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
    reason: Type.Optional(Type.String({ maxLength: 2000 })),
    up_to: Type.Optional(Seq),
    public_key: Type.Optional(Base64('an Ed25519 public key, base64', 32)),
    version: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'agreement.sign/withdraw: the version' }),
    ),
    content_sha256: Type.Optional(
      Type.String({
        pattern: '^[0-9a-f]{64}$',
        description: 'agreement.sign: hex SHA-256 of the version’s canonical text',
      }),
    ),
    effective: Type.Optional(
      Type.String({
        format: 'date-time',
        maxLength: 40,
        description: 'agreement.withdraw: from when it no longer binds, ISO 8601 UTC',
      }),
    ),
  },
  { additionalProperties: false, title: 'Statement' },
);

export const Signed = Type.Object(
  {
    statement: Statement,
    key: KeyId,
    signature: Base64(
      'Ed25519 signature (base64) over "deconflict statement v1\\n" + the canonical JSON of the statement',
      64,
    ),
  },
  {
    additionalProperties: false,
    title: 'Signed',
    description:
      'a statement signed on the party’s side with a registered member key (docs/transparency.md §4)',
  },
);
export type Signed = Static<typeof Signed>;

/** Who signed an acknowledgement (or none: the hub's word only). */
export const SignedBy = Nullable(
  Type.Object(
    { username: Type.String(), key: KeyId, entry: Seq },
    {
      additionalProperties: false,
      description: 'the member whose key signed, the key, and the ledger entry that records it',
    },
  ),
);

// --- Members' keys --------------------------------------------------------------------------------

export const MemberKeyView = Type.Object(
  {
    id: KeyId,
    username: Type.String(),
    party: Type.String(),
    public_key: Type.String(),
    label: Type.String(),
    created_at: Instant,
    revoked_at: Nullable(Instant),
    entry: Seq,
  },
  { additionalProperties: false, title: 'MemberKey' },
);
export type MemberKeyView = Static<typeof MemberKeyView>;

export const MemberKeyList = Type.Object(
  { keys: Type.Array(MemberKeyView) },
  { additionalProperties: false },
);

export const KeyBody = Type.Object(
  {
    label: Text(100, 'a name for the key: where it is kept (1–100 characters)', 1),
    signed: Signed,
  },
  {
    additionalProperties: false,
    description:
      'a key.register statement whose subject is the key id and whose public_key is the key, signed by that key (proof that the caller holds it)',
  },
);
export type KeyBody = Static<typeof KeyBody>;

// --- The log ----------------------------------------------------------------------------------------

export const HubKeyView = Type.Object(
  {
    verifier_key: Type.String({ description: 'C2SP note verifier key: <name>+<hash>+<base64 key>' }),
    from_seq: Seq,
    until_seq: Nullable(Seq),
  },
  {
    additionalProperties: false,
    description:
      'a key the hub signs checkpoints with: from the ledger entry that made it current, until the entry of the next (exclusive)',
  },
);

export const Cosigner = Type.Object(
  { party: Type.String(), username: Type.String(), key: KeyId, at: Instant },
  { additionalProperties: false },
);

export const CheckpointView = Type.Object(
  {
    origin: Type.String(),
    size: Size,
    root: Hash,
    at: Instant,
    note: Type.String({
      description: 'the C2SP signed note: checkpoint text, then the hub’s signature and every cosignature',
    }),
    cosigned_by: Type.Array(Cosigner),
  },
  { additionalProperties: false, title: 'Checkpoint' },
);
export type CheckpointView = Static<typeof CheckpointView>;

export const LogView = Type.Object(
  {
    origin: Type.String(),
    latest: CheckpointView,
    published: Nullable(CheckpointView),
    hub_keys: Type.Array(HubKeyView),
  },
  {
    additionalProperties: false,
    title: 'Log',
    description:
      'the newest checkpoint the hub signed, and the newest one a party other than the hub cosigned (published)',
  },
);
export type LogView = Static<typeof LogView>;

export const ConsistencyQuery = Type.Object({ from: Seq, to: Seq }, { additionalProperties: false });
export const InclusionQuery = Type.Object({ seq: Seq, size: Seq }, { additionalProperties: false });

export const ProofView = Type.Object(
  {
    from: Type.Optional(Seq),
    to: Type.Optional(Seq),
    seq: Type.Optional(Seq),
    size: Type.Optional(Seq),
    proof: Type.Array(Hash),
  },
  { additionalProperties: false, title: 'Proof' },
);

export const CosignBody = Type.Object(
  {
    size: Seq,
    root: Hash,
    key: KeyId,
    signature: Base64(
      'Ed25519 signature (base64) over the checkpoint text, as a C2SP note signature by key name "member-<key id>"',
      64,
    ),
  },
  { additionalProperties: false },
);
export type CosignBody = Static<typeof CosignBody>;

/** An entry as a party may see it: its header and payload commitment; the payload when visible. */
export const EntryView = Type.Object(
  {
    seq: Seq,
    at: Type.Integer({ description: 'epoch milliseconds UTC, as hashed' }),
    time: Instant,
    actor: Nullable(Type.String()),
    party: Nullable(Type.String()),
    type: Type.String(),
    subject: Type.String(),
    payload_sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    payload: Type.Optional(Type.Unknown()),
    salt: Type.Optional(Type.String()),
  },
  { additionalProperties: false, title: 'Entry' },
);
export type EntryView = Static<typeof EntryView>;

export const EntriesQuery = Type.Object(
  { from: Type.Optional(Seq), limit: Type.Optional(Limit(1000, 500)) },
  { additionalProperties: false },
);

export const EntryPage = Type.Object(
  {
    entries: Type.Array(EntryView),
    next: Nullable(Seq),
    size: Size,
  },
  {
    additionalProperties: false,
    description: 'the entries the caller may see from `from` on; `next` continues, null at the end',
  },
);

export const ReceiptQuery = Type.Object(
  {
    payload: Type.Optional(
      Type.Enum(['include', 'omit'] as const, {
        description: '"omit": leave the payload out even when you may see it (a receipt to hand on)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const ReceiptView = Type.Object(
  {
    format: Type.Literal('deconflict.receipt/1'),
    origin: Type.String(),
    entry: EntryView,
    signed: Nullable(Signed),
    signer: Nullable(
      Type.Object(
        {
          username: Type.String(),
          party: Type.String(),
          public_key: Type.String(),
          key: KeyId,
          entry: EntryView,
          proof: Type.Array(Hash),
        },
        {
          additionalProperties: false,
          description: 'the key.added entry that registered the signing key, with its inclusion proof',
        },
      ),
    ),
    proof: Type.Array(Hash),
    checkpoint: CheckpointView,
    published: Type.Boolean(),
    hub_keys: Type.Array(HubKeyView),
    witness_keys: Type.Array(
      Type.Object(
        { verifier_key: Type.String(), party: Type.String(), username: Type.String() },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, title: 'Receipt' },
);
export type ReceiptView = Static<typeof ReceiptView>;
