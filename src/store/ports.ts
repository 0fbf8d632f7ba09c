/**
 * The store's ports: one repository per aggregate, combined in a {@link Tx} that a unit of work
 * receives from {@link Store.transact}. Every method is asynchronous so that a PostgreSQL adapter
 * (several hub instances) can implement the same contract as the embedded SQLite one; the
 * contract tests in `test/store.test.ts` run against every adapter.
 *
 * Records are plain data. Nothing here knows about HTTP or about the engine's index.
 */
import type { Conflict, Declaration } from '../engine/types.ts';

/** Roles of DESIGN §2. `hub_admin` belongs to no party and creates parties, nothing else. */
export type Role = 'operator' | 'watch_officer' | 'senior_officer' | 'party_admin' | 'hub_admin';
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
}

export type NewLedgerEntry = Omit<LedgerEntry, 'seq' | 'prev_hash' | 'hash'>;

export interface DeclarationQuery {
  readonly status?: DeclarationStatus;
  readonly kind?: Declaration['kind'];
  readonly party?: string;
  /** Only declarations whose window overlaps [start, end). */
  readonly start?: number;
  readonly end?: number;
  readonly limit?: number;
}

export interface ConflictQuery {
  readonly status?: 'open' | 'resolved';
  /** Conflicts involving this party (on either side). */
  readonly party: string;
  readonly rule?: string;
  readonly severity?: string;
  readonly declaration?: string;
  readonly limit?: number;
}

export interface PartyRepo {
  create(p: PartyRecord): Promise<void>;
  get(id: string): Promise<PartyRecord | null>;
  list(): Promise<PartyRecord[]>;
}

export interface MemberRepo {
  create(m: MemberRecord): Promise<void>;
  get(username: string): Promise<MemberRecord | null>;
  listByParty(party: string): Promise<MemberRecord[]>;
  update(
    username: string,
    change: Partial<Pick<MemberRecord, 'roles' | 'disabled' | 'password_hash'>>,
  ): Promise<void>;
  countHubAdmins(): Promise<number>;
}

export interface TokenRepo {
  create(t: TokenRecord): Promise<void>;
  getByHash(hash: string): Promise<TokenRecord | null>;
  get(id: string): Promise<TokenRecord | null>;
  listByParty(party: string | null): Promise<TokenRecord[]>;
  revoke(id: string, at: number): Promise<void>;
  revokeAllOf(username: string, at: number): Promise<void>;
}

export interface DeclarationRepo {
  insert(r: DeclarationRecord): Promise<void>;
  /** The latest version of a declaration. */
  current(id: string): Promise<DeclarationRecord | null>;
  version(id: string, version: number): Promise<DeclarationRecord | null>;
  versions(id: string): Promise<DeclarationRecord[]>;
  setStatus(id: string, version: number, status: DeclarationStatus): Promise<void>;
  /** Latest versions matching the query, ordered by id. */
  query(q: DeclarationQuery): Promise<DeclarationRecord[]>;
  /** Every active declaration (to rebuild the index at start). */
  active(): Promise<Declaration[]>;
  /** The id and current version of every active declaration (no bodies: cheap at start). */
  activeVersions(): Promise<[id: string, version: number][]>;
}

export interface ConflictRepo {
  insert(c: ConflictRecord): Promise<void>;
  get(id: string): Promise<ConflictRecord | null>;
  query(q: ConflictQuery): Promise<ConflictRecord[]>;
  /** Open conflicts involving a declaration (any version). */
  openFor(declarationId: string): Promise<ConflictRecord[]>;
  update(c: ConflictRecord): Promise<void>;
}

export interface LedgerRepo {
  /** Append an entry, linking it to the previous one by hash. Returns the stored entry. */
  append(e: NewLedgerEntry): Promise<LedgerEntry>;
  head(): Promise<LedgerEntry | null>;
  range(fromSeq: number, limit: number): Promise<LedgerEntry[]>;
}

// --- The watch (DESIGN §5): roster, alerts, push events, hotline, outbound hooks ----------------

/** Message and alert precedence, most urgent first (DESIGN §5). */
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
export type AlertSubject = 'conflict' | 'notification' | 'message';

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
  readonly ack: { readonly username: string; readonly at: number; readonly reply: string | null } | null;
  readonly closed_at: number | null;
  readonly closed_reason: string | null;
  /** What the alert says, as this party may see it (frozen when raised). */
  readonly summary: Record<string, unknown>;
}

export interface AlertQuery {
  readonly party: string;
  readonly status?: AlertRecord['status'];
  readonly limit?: number;
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

export interface RosterRepo {
  insert(s: ShiftRecord): Promise<void>;
  get(id: string): Promise<ShiftRecord | null>;
  delete(id: string): Promise<void>;
  /** Shifts of a party overlapping [from, to), by start. */
  list(party: string, from: number, to: number): Promise<ShiftRecord[]>;
}

export interface AlertRepo {
  insert(a: AlertRecord): Promise<void>;
  get(id: string): Promise<AlertRecord | null>;
  update(a: AlertRecord): Promise<void>;
  /** Newest first. */
  query(q: AlertQuery): Promise<AlertRecord[]>;
  /** Alerts (any party, any status) about one subject. */
  forSubject(type: AlertSubject, subject: string): Promise<AlertRecord[]>;
  /** Open alerts whose deadline is at or before `now`, earliest first. */
  due(now: number, limit: number): Promise<AlertRecord[]>;
  /** The earliest deadline of any open alert, or null. */
  nextDue(): Promise<number | null>;
}

export interface EventRepo {
  /** Append to a party's stream; the sequence number is the party's next. */
  append(e: Omit<EventRecord, 'seq'>): Promise<EventRecord>;
  get(party: string, seq: number): Promise<EventRecord | null>;
  /** Events of a party after `after`, in order. */
  since(party: string, after: number, limit: number): Promise<EventRecord[]>;
  /** The party's last sequence number (0 before its first event). */
  head(party: string): Promise<number>;
}

export interface ChannelRepo {
  insert(c: ChannelRecord): Promise<void>;
  get(id: string): Promise<ChannelRecord | null>;
  update(c: ChannelRecord): Promise<void>;
  /** Channels the party is a member of (invited, accepted or declined), oldest first. */
  listFor(party: string): Promise<ChannelRecord[]>;
}

export interface MessageRepo {
  insert(m: MessageRecord): Promise<void>;
  get(id: string): Promise<MessageRecord | null>;
  update(m: MessageRecord): Promise<void>;
  /** Messages of a channel after `after` (a channel seq), in order. */
  list(channel: string, after: number, limit: number): Promise<MessageRecord[]>;
  lastSeq(channel: string): Promise<number>;
}

export interface WebhookRepo {
  insert(w: WebhookRecord): Promise<void>;
  get(id: string): Promise<WebhookRecord | null>;
  update(w: WebhookRecord): Promise<void>;
  listByParty(party: string): Promise<WebhookRecord[]>;
}

export interface DeliveryRepo {
  insert(d: DeliveryRecord): Promise<void>;
  get(id: string): Promise<DeliveryRecord | null>;
  update(d: DeliveryRecord): Promise<void>;
  /** Pending deliveries due at or before `now`, earliest first. */
  due(now: number, limit: number): Promise<DeliveryRecord[]>;
  nextDue(): Promise<number | null>;
  /** Newest first. */
  listByWebhook(
    webhook: string,
    status: DeliveryRecord['status'] | undefined,
    limit: number,
  ): Promise<DeliveryRecord[]>;
}

/** Small hub-wide settings (the hub's secret key, the schema version). */
export interface MetaRepo {
  get(key: string): Promise<string | null>;
  /** Set a key only if it has no value yet; returns the value it holds afterwards. */
  init(key: string, value: string): Promise<string>;
}

/** The repositories, as seen from inside one transaction. */
export interface Tx {
  readonly meta: MetaRepo;
  readonly parties: PartyRepo;
  readonly members: MemberRepo;
  readonly tokens: TokenRepo;
  readonly declarations: DeclarationRepo;
  readonly conflicts: ConflictRepo;
  readonly ledger: LedgerRepo;
  readonly roster: RosterRepo;
  readonly alerts: AlertRepo;
  readonly events: EventRepo;
  readonly channels: ChannelRepo;
  readonly messages: MessageRepo;
  readonly webhooks: WebhookRepo;
  readonly deliveries: DeliveryRepo;
}

export interface Store {
  /**
   * Run `work` as one transaction: everything it wrote commits together, or nothing does (an
   * exception rolls back). Commits are durable when the promise resolves.
   */
  transact<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  /** Read without a write transaction (a consistent snapshot). */
  read<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
