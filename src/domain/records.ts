/**
 * The domain's records: plain data, the same for the hub's features, the store's ports and
 * adapters, and the ledger. Nothing here knows about HTTP, SQL or the engine's index; times are
 * epoch milliseconds UTC.
 */
import type { TermKind } from '../engine/agreements.ts';
import type { Conflict, Declaration, Kind, SiteCategory } from '../engine/types.ts';
import type { RequestRate } from './limits.ts';

/** Roles of docs/design.md §2. `hub_admin` belongs to no party and creates parties, nothing else. */
export type Role = 'operator' | 'watch_officer' | 'senior_officer' | 'party_admin' | 'hub_admin';
/** The roles a member of a party may hold. */
export type PartyRole = Exclude<Role, 'hub_admin'>;

export const ROLES: readonly Role[] = [
  'operator',
  'watch_officer',
  'senior_officer',
  'party_admin',
  'hub_admin',
];

export interface PartyRecord {
  readonly id: string;
  readonly name: string;
  readonly created_at: number;
}

export interface MemberRecord {
  /** The login name, unique across the hub. */
  readonly username: string;
  /** Null only for hub administrators. */
  readonly party: string | null;
  readonly roles: readonly Role[];
  readonly password_hash: string;
  readonly disabled: boolean;
  readonly created_at: number;
}

export interface TokenRecord {
  readonly id: string;
  /** SHA-256 of the secret; the secret itself is never stored. */
  readonly hash: string;
  readonly username: string;
  readonly party: string | null;
  readonly roles: readonly Role[];
  readonly kind: 'session' | 'api';
  readonly name: string | null;
  readonly created_at: number;
  readonly expires_at: number | null;
  readonly revoked_at: number | null;
  /** The token's own request rate (API tokens); null: the hub's default. */
  readonly rate: RequestRate | null;
}

export type DeclarationStatus = 'active' | 'superseded' | 'withdrawn' | 'expired';

/** One version of a declaration. Versions are immutable; only `status` moves on. */
export interface DeclarationRecord {
  readonly id: string;
  readonly version: number;
  readonly party: string;
  readonly kind: Declaration['kind'];
  readonly decl: Declaration;
  readonly status: DeclarationStatus;
  readonly created_at: number;
  readonly created_by: string;
}

export type Resolution = 'withdrawn' | 'amended' | 'expired' | 'risk_accepted';

export interface RiskAcceptance {
  readonly party: string;
  readonly username: string;
  readonly reason: string;
  readonly at: number;
}

export interface ConflictRecord extends Conflict {
  readonly id: string;
  readonly a_version: number;
  readonly b_version: number;
  readonly a_party: string;
  readonly b_party: string;
  readonly detected_at: number;
  readonly status: 'open' | 'resolved';
  readonly resolution: Resolution | null;
  readonly resolved_at: number | null;
  readonly acceptances: readonly RiskAcceptance[];
  /**
   * Parties this conflict is withheld from: a submitting party past its probing budget against
   * the hidden side's owner (docs/visibility.md). Absent or empty: shown to both parties.
   */
  readonly withheld_from?: readonly string[];
  /**
   * Every party involved besides `a_party` and `b_party` (an `agreement_breach`: every signatory
   * of the agreement). Each sees the conflict, is alerted, and must accept its risk for it to be
   * resolved that way. Absent: the two parties only.
   */
  readonly parties?: readonly string[];
  /** An `agreement_breach`: `b` is this term of an agreement, not a declaration. */
  readonly term?: TermSide;
  /**
   * A conflict found blind (docs/blind-matching.md): `b` is a sealed declaration (and `a` may be
   * one too); no distance or closest points exist, only the time slots that matched.
   */
  readonly sealed?: SealedMatch;
}

/** What a blind match records: the slots both covers share, and what is known of sealed sides. */
export interface SealedMatch {
  /** Slot length (ms) and the starts of the slots in which both covers share a cell. */
  readonly slot_ms: number;
  readonly slots: readonly number[];
  /** The kind of each sealed side (`a` only when the asking declaration is sealed too). */
  readonly a_kind?: Kind;
  readonly b_kind: Kind;
}

/** The term on the `b` side of an `agreement_breach` (docs/agreements.md §3). */
export interface TermSide {
  readonly agreement: string;
  /** The agreement's version in force when the breach was found. */
  readonly version: number;
  readonly term: string;
  readonly term_kind: TermKind;
  /** The term's window (epoch ms), cut at a withdrawal's effective time. */
  readonly start: number;
  readonly end: number;
  readonly label?: string;
}

export interface LedgerEntry {
  readonly seq: number;
  readonly at: number;
  /** Who caused the change (username), or null for the hub itself (expiry). */
  readonly actor: string | null;
  readonly party: string | null;
  readonly type: string;
  /** The id of what changed (a declaration, a conflict, a party, a member). */
  readonly subject: string;
  readonly payload: unknown;
  readonly prev_hash: string;
  readonly hash: string;
  /**
   * The random salt of the payload's commitment in the transparency log's leaf (hex; empty for
   * entries written before the log existed). docs/transparency.md §2.
   */
  readonly salt: string;
  /** The entry's leaf hash (hex), computed when appended; null for entries older than the log. */
  readonly leaf: string | null;
}

export type NewLedgerEntry = Omit<LedgerEntry, 'seq' | 'prev_hash' | 'hash' | 'salt' | 'leaf'>;

// --- The transparency log (docs/transparency.md) ----------------------------------------------------

/** A key the hub signs checkpoints with, current from the ledger entry `seq` that recorded it. */
export interface LogKeyRecord {
  readonly seq: number;
  /** The note key name: the log's origin. */
  readonly name: string;
  /** Base64 Ed25519 public key and private seed. */
  readonly public_key: string;
  readonly private_key: string;
  readonly created_at: number;
}

/** A checkpoint the hub signed: the root at a size, and its signed note. */
export interface CheckpointRecord {
  readonly size: number;
  /** Base64 root hash. */
  readonly root: string;
  readonly at: number;
  /** The C2SP note signed by the hub's key (cosignatures are kept apart). */
  readonly note: string;
}

/** A party's witness cosignature of a checkpoint (a C2SP note signature by a member key). */
export interface CosignatureRecord {
  readonly size: number;
  /** The member key id. */
  readonly key: string;
  readonly party: string;
  readonly username: string;
  /** Base64 Ed25519 signature over the checkpoint text. */
  readonly signature: string;
  readonly at: number;
}

/** A member's Ed25519 public key: it signs statements and cosigns checkpoints. */
export interface MemberKeyRecord {
  readonly id: string;
  readonly username: string;
  readonly party: string;
  readonly public_key: string;
  readonly label: string;
  readonly created_at: number;
  readonly revoked_at: number | null;
  /** The ledger entry that registered it. */
  readonly entry: number;
}

// --- The watch (docs/design.md §5): roster, alerts, push events, hotline, outbound hooks ----------------

/** Message and alert precedence, most urgent first (docs/design.md §5). */
export type Precedence = 'flash' | 'immediate' | 'priority' | 'routine';
export const PRECEDENCES: readonly Precedence[] = ['flash', 'immediate', 'priority', 'routine'];

export type WatchRole = 'watch_officer' | 'senior_officer';

/** One span of a party's on-call roster: `username` holds `role` over [start, end). */
export interface ShiftRecord {
  readonly id: string;
  readonly party: string;
  readonly role: WatchRole;
  readonly username: string;
  readonly start: number;
  readonly end: number;
  readonly created_at: number;
  readonly created_by: string;
}

/** What an alert is about: a conflict, a declaration that names the party in `notify`, a hotline message. */
export type AlertSubject = 'conflict' | 'notification' | 'message' | 'probing' | 'blind_check';

/**
 * Escalation levels: 0 the watch officer, 1 the senior officer on call, 2 the party admin,
 * 3 overdue (every deadline passed; it stays open and shown as such).
 */
export type AlertLevel = 0 | 1 | 2 | 3;

export interface EscalationStep {
  readonly level: AlertLevel;
  /** The deadline that passed (the escalation belongs to this instant). */
  readonly due_at: number;
  /** When the hub recorded it (later than due_at only if the hub was down at the deadline). */
  readonly at: number;
  /** Who it went to: the members holding the level at due_at (empty: nobody was on call). */
  readonly to: readonly string[];
  /** Nobody was on call for the level: it went to every member holding the role. */
  readonly uncovered?: boolean;
}

export interface AlertRecord {
  readonly id: string;
  /** The party alerted. */
  readonly party: string;
  readonly subject_type: AlertSubject;
  readonly subject: string;
  readonly precedence: Precedence;
  readonly level: AlertLevel;
  /** The deadline of the current level; null once acknowledged, closed or overdue. */
  readonly due_at: number | null;
  readonly status: 'open' | 'acknowledged' | 'closed';
  readonly created_at: number;
  /** Who holds the alert now (the on-call members of its level). */
  readonly to: readonly string[];
  readonly escalations: readonly EscalationStep[];
  readonly ack: {
    readonly username: string;
    readonly at: number;
    readonly reply: string | null;
    /** The ledger entry that records it (absent in rows written before the log). */
    readonly entry?: number;
    /** The member key that signed it, or null: the hub's word only (docs/transparency.md §4). */
    readonly key?: string | null;
  } | null;
  readonly closed_at: number | null;
  readonly closed_reason: string | null;
  /** What the alert says, as this party may see it (frozen when raised). */
  readonly summary: Record<string, unknown>;
  /**
   * When the activity it is about starts (a conflict's window, a notified declaration's): the
   * time left relaxes precedence and stretches deadlines (hub/deadlines.ts). Null or absent (rows
   * written before it existed): base deadlines.
   */
  readonly starts_at?: number | null;
}

/**
 * One event of a party's stream. Sequence numbers are per party and contiguous, so a console
 * can tell that it missed nothing, and no party learns how busy the others are.
 */
export interface EventRecord {
  readonly party: string;
  readonly seq: number;
  readonly at: number;
  readonly type: string;
  readonly data: unknown;
}

export interface ChannelMember {
  readonly party: string;
  readonly status: 'accepted' | 'invited' | 'declined';
  readonly at: number;
}

export interface ChannelRecord {
  readonly id: string;
  readonly name: string;
  readonly created_at: number;
  readonly created_by: string;
  readonly created_by_party: string;
  readonly members: readonly ChannelMember[];
}

export interface Receipt {
  readonly party: string;
  readonly delivered_at: number | null;
  readonly read_at: number | null;
  readonly acked_at: number | null;
  /** The reply given with the acknowledgement (absent in rows written before replies were kept). */
  readonly reply?: string | null;
  /** When the receiving party let the acknowledgement deadline pass (its alert escalated). */
  readonly escalated_at?: number | null;
  /** The acknowledgement's ledger entry, and the member and key that signed it (if signed). */
  readonly entry?: number | null;
  readonly key?: string | null;
  readonly username?: string | null;
  /** The receiving party's alert level now: 1 senior officer, 2 party admin, 3 overdue. */
  readonly level?: AlertLevel | null;
}

export interface MessageRecord {
  readonly id: string;
  readonly channel: string;
  /** Position in the channel, from 1. */
  readonly seq: number;
  readonly party: string;
  readonly username: string;
  readonly precedence: Precedence;
  readonly text: string;
  readonly ref: { readonly type: 'declaration' | 'conflict'; readonly id: string } | null;
  readonly at: number;
  /** One per party the message went to (every accepted member but the sender's party). */
  readonly receipts: readonly Receipt[];
}

export interface WebhookRecord {
  readonly id: string;
  readonly party: string;
  readonly url: string;
  /** The HMAC key. Stored in clear: the hub must sign with it. Shown once, at creation. */
  readonly secret: string;
  readonly created_at: number;
  readonly created_by: string;
  readonly disabled_at: number | null;
}

export interface DeliveryRecord {
  readonly id: string;
  readonly webhook: string;
  readonly party: string;
  /** The event delivered: the party's stream event with this sequence number. */
  readonly event_seq: number;
  readonly status: 'pending' | 'delivered' | 'failed';
  readonly attempts: number;
  readonly next_at: number | null;
  readonly last_status: number | null;
  readonly last_error: string | null;
  readonly created_at: number;
  readonly delivered_at: number | null;
}

// --- Probing of hidden declarations (docs/visibility.md) ----------------------------------------

/**
 * One probe: a real submission of `caller` that conflicted with a declaration of `owner` hidden
 * from `caller`. Counted per (caller, owner) and UTC day against the owner's budget.
 */
export interface ProbeRecord {
  readonly id: string;
  readonly caller: string;
  readonly owner: string;
  readonly at: number;
  readonly conflict: string;
  readonly rule: Conflict['rule'];
  readonly severity: Conflict['severity'];
  /** Past the budget: the conflict is withheld from the caller until the owner releases it. */
  readonly withheld: boolean;
}

/** An owner's budget for one caller: hidden conflicts answered per UTC day. */
export interface ProbeBudgetRecord {
  readonly owner: string;
  readonly caller: string;
  readonly per_day: number;
  readonly set_at: number;
  readonly set_by: string;
}

// --- Agreements (docs/agreements.md) ------------------------------------------------------------

export type AgreementStatus = 'draft' | 'proposed' | 'signed' | 'in_force' | 'withdrawn' | 'expired';

/**
 * An agreement's text as the parties sign it: `{name, parties, start, end, terms}` with every
 * time written as the hub writes times (ISO 8601 UTC, `Z`). Its content hash is SHA-256 of its
 * canonical JSON (RFC 8785).
 */
export interface AgreementBody {
  readonly name: string;
  readonly parties: readonly string[];
  readonly start: string;
  readonly end: string;
  readonly terms: { readonly type: 'FeatureCollection'; readonly features: readonly unknown[] };
}

/** An agreement: where it stands. Its texts are its versions. */
export interface AgreementRecord {
  readonly id: string;
  readonly status: AgreementStatus;
  /** The party that drafted it (version 1). */
  readonly drafter: string;
  /** The current version (the one being signed, or in force). */
  readonly version: number;
  /** Its current version's window (epoch ms): when it comes into force and expires. */
  readonly start: number;
  readonly end: number;
  readonly created_at: number;
  readonly created_by: string;
  readonly updated_at: number;
  /** When it came into force, and when it stopped binding (withdrawn or expired). */
  readonly in_force_at: number | null;
  readonly closed_at: number | null;
}

/** One version of an agreement's text; version 1 is the draft, edited until proposed. */
export interface AgreementVersionRecord {
  readonly agreement: string;
  readonly version: number;
  readonly body: AgreementBody;
  /** Hex SHA-256 of the body's canonical JSON. */
  readonly content_sha256: string;
  /** Who proposed it (or drafted it, until it is proposed). */
  readonly party: string;
  readonly username: string;
  readonly at: number;
  /** When it was proposed (a counter-proposal is proposed when made); null while a draft. */
  readonly proposed_at: number | null;
}

/** A signatory's signature of one version: the signed statement and the entry recording it. */
export interface AgreementSignatureRecord {
  readonly agreement: string;
  readonly version: number;
  readonly party: string;
  readonly username: string;
  /** The member key that signed. */
  readonly key: string;
  /** The signed statement, `{statement, key, signature}` (docs/transparency.md §4). */
  readonly signed: unknown;
  /** The `agreement.signed` ledger entry. */
  readonly entry: number;
  readonly at: number;
}

/** A signatory's withdrawal: the agreement binds until `effective` and no longer. */
export interface AgreementWithdrawalRecord {
  readonly agreement: string;
  readonly version: number;
  readonly party: string;
  readonly username: string;
  readonly effective: number;
  readonly reason: string;
  readonly key: string;
  readonly signed: unknown;
  /** The `agreement.withdrawn` ledger entry. */
  readonly entry: number;
  readonly at: number;
}

/**
 * A sealed declaration (docs/blind-matching.md): its geometry never reached the hub. The hub holds
 * its kind, category, a coarse window on the slot grid and its tokens (OPRF outputs under the
 * owner's key, stored apart: `SealedRepo.tokens`).
 */
export interface SealedRecord {
  readonly id: string;
  readonly party: string;
  readonly kind: Kind;
  readonly category?: SiteCategory;
  /** Coarse window: whole slots, [start, end). */
  readonly start: number;
  readonly end: number;
  readonly slot_ms: number;
  readonly resolution: number;
  readonly token_count: number;
  /** SHA-256 (hex) of the tokens in the order given: what the ledger entry commits to. */
  readonly tokens_sha256: string;
  readonly status: 'active' | 'withdrawn' | 'expired';
  readonly created_at: number;
  readonly created_by: string;
  /** The `sealed.declared` ledger entry. */
  readonly entry: number;
}

export type BlindCheckStatus =
  /** The asking party's side is to cover and blind its declaration. */
  | 'awaiting_blind'
  /** The owner's agent is to evaluate the blinded elements. */
  | 'awaiting_evaluation'
  /** The asking side is to unblind and hand the outputs. */
  | 'awaiting_outputs'
  | 'done'
  /** The owner's agent refused (over its budget): the result stays unknown. */
  | 'refused'
  /** The asking declaration changed or ended first: nothing left to check. */
  | 'cancelled';

/**
 * One blind check: an asking party's declaration (clear or sealed) against one owner's sealed
 * declarations at one slot length, over the slots where their windows meet.
 */
export interface BlindCheckRecord {
  readonly id: string;
  readonly asker: string;
  readonly declaration: string;
  readonly version: number;
  /** Whether the asking declaration is sealed (its party's side holds the geometry). */
  readonly asker_sealed: boolean;
  readonly owner: string;
  readonly slot_ms: number;
  readonly resolution: number;
  /** Slot starts the asking side covers, ascending. */
  readonly slots: readonly number[];
  /** What made the check: the asking declaration (a probe by the asker) or a new sealed one. */
  readonly trigger: 'asker' | 'owner';
  readonly status: BlindCheckStatus;
  readonly created_at: number;
  /** When an unanswered check is unknown (fail closed: alerted as a risk, still retried). */
  readonly due_at: number;
  /** When it went past due_at unanswered (its alerts raised); null otherwise. */
  readonly overdue_at: number | null;
  readonly answered_at: number | null;
  /** Blinded elements (base64) and the index of each one's slot, while evaluation is pending. */
  readonly elements: readonly string[] | null;
  /** SHA-256 (hex) of the elements last handed, one base64 per line (absent before). */
  readonly elements_sha256?: string;
  readonly element_slots: readonly number[] | null;
  readonly evaluated: readonly string[] | null;
  /** When the owner's agent handed its evaluation (absent before). */
  readonly evaluated_at?: number;
  readonly element_count: number;
  readonly refused_reason: string | null;
  /** Sealed declarations of the owner that matched, with the slots (starts) that matched. */
  readonly matched: readonly { readonly sealed: string; readonly slots: readonly number[] }[];
}

/** An asking declaration's outputs under an owner's key, kept to match later sealed declarations. */
export interface BlindOutputRecord {
  readonly declaration: string;
  readonly version: number;
  readonly owner: string;
  readonly slot_ms: number;
  readonly slot: number;
  /** The output's first 32 bytes, base64: what is compared with the sealed tokens. */
  readonly output: string;
}
