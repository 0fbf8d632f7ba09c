/**
 * The store's ports: one repository per aggregate, combined in a {@link Tx} that a unit of work
 * receives from {@link Store.transact}. Every method is asynchronous so that a PostgreSQL adapter
 * (several hub instances) can implement the same contract as the embedded SQLite one; the
 * contract tests in `test/store.test.ts` run against every adapter.
 *
 * The records they hold are the domain's (`src/domain/records.ts`). Nothing here knows about
 * HTTP or about the engine's index.
 */

import type {
  AgreementRecord,
  AgreementSignatureRecord,
  AgreementStatus,
  AgreementVersionRecord,
  AgreementWithdrawalRecord,
  AlertLevel,
  AlertRecord,
  AlertSubject,
  BlindCheckRecord,
  BlindCheckStatus,
  BlindOutputRecord,
  ChannelRecord,
  CheckpointRecord,
  ConflictRecord,
  CosignatureRecord,
  DeclarationRecord,
  DeclarationStatus,
  DeliveryRecord,
  EventRecord,
  LedgerEntry,
  LogKeyRecord,
  MemberKeyRecord,
  MemberRecord,
  MessageRecord,
  NewLedgerEntry,
  PartyRecord,
  ProbeBudgetRecord,
  ProbeRecord,
  SealedRecord,
  ShiftRecord,
  TokenRecord,
  WebhookRecord,
} from '../domain/records.ts';
import type { Declaration } from '../engine/types.ts';

export interface DeclarationQuery {
  readonly status?: DeclarationStatus;
  readonly kind?: Declaration['kind'];
  readonly party?: string;
  /** Only declarations whose window overlaps [start, end). */
  readonly start?: number;
  readonly end?: number;
  /**
   * Only declarations this party may see in clear (docs/design.md §8, `canSee` in `hub/views.ts`): its
   * own, those shown to all, and those whose visibility list names it; never another party's
   * sealed ones.
   */
  readonly visibleTo?: string;
  /**
   * Only declarations one of whose own boxes (`reachBoxes(geometry, 0)`, conservative) meets
   * one of these: [west, south, east, north] in degrees, west ≤ east — a box across the
   * antimeridian is given as two. Touching counts. An empty list matches nothing.
   */
  readonly bbox?: readonly (readonly [number, number, number, number])[];
  /** At most this many (default 1000), the first by id. */
  readonly limit?: number;
  /** Only ids after this one: the next page of a read in id order (exports). */
  readonly after?: string;
}

export interface ConflictQuery {
  readonly status?: 'open' | 'resolved';
  /** Conflicts involving this party (on either side, or among its `parties`). */
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

/**
 * A device that logged in as a member (docs/security.md): it holds a random device token whose
 * SHA-256 only is kept. Defined beside its repository: the hub and this store alone use it.
 */
export interface DeviceRecord {
  readonly id: string;
  /** SHA-256 of the device token; the token itself is never stored. */
  readonly hash: string;
  readonly username: string;
  readonly created_at: number;
  readonly last_used_at: number;
  readonly expires_at: number;
}

export interface DeviceRepo {
  create(d: DeviceRecord): Promise<void>;
  getByHash(hash: string): Promise<DeviceRecord | null>;
  get(id: string): Promise<DeviceRecord | null>;
  /** A member's devices, most recently used first. */
  listByUsername(username: string): Promise<DeviceRecord[]>;
  /** Record a use: when, and the expiry it moves to. */
  touch(id: string, at: number, expires_at: number): Promise<void>;
  delete(id: string): Promise<void>;
  deleteAllOf(username: string): Promise<void>;
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
  /** How many conflicts are in each status, hub-wide (`/metrics`: counts only, no party). */
  countByStatus(): Promise<readonly { status: ConflictRecord['status']; count: number }[]>;
}

export interface LedgerRepo {
  /** Append an entry, linking it to the previous one by hash. Returns the stored entry. */
  append(e: NewLedgerEntry): Promise<LedgerEntry>;
  head(): Promise<LedgerEntry | null>;
  range(fromSeq: number, limit: number): Promise<LedgerEntry[]>;
  get(seq: number): Promise<LedgerEntry | null>;
  /** Entries from `fromSeq` whose party is `party` (or which name it), for a party's own view. */
  rangeFor(party: string, fromSeq: number, limit: number): Promise<LedgerEntry[]>;
  /** Leaf hashes (hex, null when older than the log) from `fromSeq`, in order. */
  leaves(fromSeq: number, limit: number): Promise<{ seq: number; leaf: string | null }[]>;
}

/** The transparency log's keys, checkpoints and cosignatures (docs/transparency.md). */
export interface LogRepo {
  /** The hub's checkpoint keys, oldest first. */
  keys(): Promise<LogKeyRecord[]>;
  addKey(k: LogKeyRecord): Promise<void>;
  checkpoint(size: number): Promise<CheckpointRecord | null>;
  latestCheckpoint(): Promise<CheckpointRecord | null>;
  /** The largest checkpoint that a party's witness cosigned. */
  latestCosigned(): Promise<CheckpointRecord | null>;
  /** The smallest cosigned checkpoint of at least `size` leaves. */
  cosignedFrom(size: number): Promise<CheckpointRecord | null>;
  putCheckpoint(c: CheckpointRecord): Promise<void>;
  cosignatures(size: number): Promise<CosignatureRecord[]>;
  addCosignature(c: CosignatureRecord): Promise<void>;
}

export interface MemberKeyRepo {
  get(id: string): Promise<MemberKeyRecord | null>;
  list(party: string): Promise<MemberKeyRecord[]>;
  insert(k: MemberKeyRecord): Promise<void>;
  revoke(id: string, at: number): Promise<void>;
}

export interface AlertQuery {
  readonly party: string;
  readonly status?: AlertRecord['status'];
  readonly limit?: number;
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
  /**
   * How many alerts are in each status at each escalation level, hub-wide (`/metrics`: counts
   * only, no party); one grouped query.
   */
  countByState(): Promise<readonly { status: AlertRecord['status']; level: AlertLevel; count: number }[]>;
}

/** A row of the shared feed: a change every party may see, written once (numbered by `useq`). */
export interface SharedEventRecord {
  readonly useq: number;
  readonly at: number;
  readonly type: string;
  readonly data: unknown;
}

/**
 * Each party's stream: its own rows merged, in commit order, with the shared feed (every party
 * sees every shared row). `seq` is per party and contiguous; a hub-wide number is never shown.
 */
export interface EventRepo {
  /** Append to a party's own stream; the sequence number is the party's next. */
  append(e: Omit<EventRecord, 'seq'>): Promise<EventRecord>;
  /** Append once to the shared feed: the next event of every party's stream. */
  appendShared(e: Omit<SharedEventRecord, 'useq'>): Promise<SharedEventRecord>;
  /** The sequence number shared row `useq` has in a party's stream. */
  seqOf(party: string, useq: number): Promise<number>;
  get(party: string, seq: number): Promise<EventRecord | null>;
  /** Events of a party after `after`, in order (its own rows and the shared feed, merged). */
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
  /** Every party's webhooks, oldest first (a party registers a handful). */
  list(): Promise<WebhookRecord[]>;
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

/** Small hub-wide settings (the hub's secret key). The schema version is the adapter's own. */
export interface MetaRepo {
  get(key: string): Promise<string | null>;
  /** Set a key only if it has no value yet; returns the value it holds afterwards. */
  init(key: string, value: string): Promise<string>;
}

/** Probes of hidden declarations and the owners' budgets (docs/visibility.md). */
export interface ProbeRepo {
  insert(p: ProbeRecord): Promise<void>;
  /** Probes of `caller` against `owner` at or after `since`. */
  count(owner: string, caller: string, since: number): Promise<number>;
  /** An owner's probes at or after `since`, newest first (the order recorded, within one instant). */
  listForOwner(owner: string, since: number, limit: number): Promise<ProbeRecord[]>;
  /** The owner's budgets it set, one per caller party. */
  budgets(owner: string): Promise<ProbeBudgetRecord[]>;
  budget(owner: string, caller: string): Promise<ProbeBudgetRecord | null>;
  setBudget(b: ProbeBudgetRecord): Promise<void>;
}

/** Agreements, their versions, signatures and withdrawals (docs/agreements.md). */
export interface AgreementRepo {
  insert(a: AgreementRecord): Promise<void>;
  get(id: string): Promise<AgreementRecord | null>;
  update(a: AgreementRecord): Promise<void>;
  /**
   * Agreements `party` drafted, or is named in by a version that was proposed (by `status`
   * when given), oldest first.
   */
  listFor(party: string, status?: AgreementStatus, limit?: number): Promise<AgreementRecord[]>;
  /** Agreements in one of these statuses (the scheduler's: signed, in force), oldest first. */
  withStatus(statuses: readonly AgreementStatus[]): Promise<AgreementRecord[]>;
  /** Add a version, or replace a draft's (version 1 before it is proposed). */
  putVersion(v: AgreementVersionRecord): Promise<void>;
  version(id: string, version: number): Promise<AgreementVersionRecord | null>;
  /** Every version, oldest first. */
  versions(id: string): Promise<AgreementVersionRecord[]>;
  /** Name parties as readers of the agreement (those of a proposed version); repeats are ignored. */
  addReaders(id: string, parties: readonly string[]): Promise<void>;
  addSignature(s: AgreementSignatureRecord): Promise<void>;
  /** Signatures of one version, or of every version, in the order given. */
  signatures(id: string, version?: number): Promise<AgreementSignatureRecord[]>;
  setWithdrawal(w: AgreementWithdrawalRecord): Promise<void>;
  withdrawal(id: string): Promise<AgreementWithdrawalRecord | null>;
}

/** Sealed declarations and their tokens (docs/blind-matching.md). */
export interface SealedRepo {
  /** A new sealed declaration with its tokens (32 bytes each, concatenated). */
  insert(r: SealedRecord, tokens: Uint8Array): Promise<void>;
  get(id: string): Promise<SealedRecord | null>;
  setStatus(id: string, status: SealedRecord['status']): Promise<void>;
  /** A party's sealed declarations (every one when `party` is null), oldest first. */
  list(party: string | null, status?: SealedRecord['status'], limit?: number): Promise<SealedRecord[]>;
  /** The tokens of a sealed declaration, concatenated (empty when none). */
  tokens(id: string): Promise<Uint8Array>;
}

/** Blind checks and the outputs kept from them (docs/blind-matching.md). */
export interface BlindRepo {
  insert(c: BlindCheckRecord): Promise<void>;
  update(c: BlindCheckRecord): Promise<void>;
  get(id: string): Promise<BlindCheckRecord | null>;
  /** Checks in these statuses where the party is the asker or the owner, oldest first. */
  forParty(party: string, statuses: readonly BlindCheckStatus[], limit?: number): Promise<BlindCheckRecord[]>;
  /** Checks in these statuses (the scheduler's: open ones), oldest first. */
  withStatus(statuses: readonly BlindCheckStatus[], limit?: number): Promise<BlindCheckRecord[]>;
  /** Open checks (not done, refused or cancelled) of one asking declaration. */
  openFor(declaration: string): Promise<BlindCheckRecord[]>;
  /** Checks created at or after `since` where `party` is the asker or the owner, newest first. */
  recent(party: string, since: number, limit: number): Promise<BlindCheckRecord[]>;
  putOutputs(rows: readonly BlindOutputRecord[]): Promise<void>;
  /** Outputs of a declaration version under an owner's key at a slot length. */
  outputs(declaration: string, version: number, owner: string, slot_ms: number): Promise<BlindOutputRecord[]>;
}

/** The repositories, as seen from inside one transaction. */
export interface Tx {
  readonly meta: MetaRepo;
  readonly parties: PartyRepo;
  readonly members: MemberRepo;
  readonly tokens: TokenRepo;
  readonly devices: DeviceRepo;
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
  readonly probes: ProbeRepo;
  readonly log: LogRepo;
  readonly memberKeys: MemberKeyRepo;
  readonly agreements: AgreementRepo;
  readonly sealed: SealedRepo;
  readonly blind: BlindRepo;
}

/** A row of a table as whole-hub export carries it: numbers, text, bytes or null. */
export type DumpRow = Readonly<Record<string, number | string | Uint8Array | null>>;

/** What a group commit may run before its units. */
export interface GroupOptions {
  /**
   * Runs first in the transaction, once the writers' lock is held (PostgreSQL: every write
   * transaction of every instance takes one advisory lock first, so writes are totally ordered
   * across instances): the hub catches its memory up there with what other instances committed.
   * Throwing fails the whole group.
   */
  readonly first?: (tx: Tx) => Promise<void>;
}

export interface Store {
  /** Which adapter: the embedded SQLite store (one process) or PostgreSQL (any number of instances). */
  readonly dialect: 'sqlite' | 'postgres';
  /**
   * Whether other processes may write to this store (PostgreSQL): the hub then follows their
   * writes ({@link follow}) and catches up under the writers' lock ({@link GroupOptions.first}).
   */
  readonly shared: boolean;
  /**
   * Be told that another instance may have committed writes: on each of their commits
   * (PostgreSQL LISTEN/NOTIFY), after the listening connection came back from a loss, and every
   * few seconds regardless (a notification can be lost). The hub then reads what changed from the
   * store. Returns a function that stops it. The embedded store never calls it (one process).
   */
  follow(onChange: () => void): () => void;
  /**
   * Tell the other instances on this store something that is not data (a failed login, for the
   * login gate's counts): best effort, never stored, heard by every other instance listening on
   * the topic ({@link onSignal}) within milliseconds, by none that was not listening. The
   * embedded store has no other instance: nothing to tell.
   */
  signal(topic: string, message: string): void;
  /** Hear the signals other instances send on `topic`. Returns a function that stops it. */
  onSignal(topic: string, hear: (message: string) => void): () => void;
  /** Check the link to the database (`/readyz`); rejects with `store_unavailable` when down. */
  ping(): Promise<void>;
  /** The tables whole-hub export carries, in an order that loads (a row's references first). */
  tables(): readonly string[];
  /**
   * A page of a table's rows in primary-key order, for whole-hub export: the first page with
   * `cursor` null, the next with the `next` it answered (null after the last page).
   */
  dump(
    table: string,
    cursor: string | null,
    limit: number,
  ): Promise<{ rows: DumpRow[]; next: string | null }>;
  /** Insert rows as dumped (whole-hub import into an empty store), in one transaction of their own. */
  load(table: string, rows: readonly DumpRow[]): Promise<void>;
  /**
   * Run `work` as one transaction: everything it wrote commits together, or nothing does (an
   * exception rolls back). Commits are durable when the promise resolves.
   */
  transact<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * Group commit: run `works` in order in one transaction, each in a savepoint of its own, and
   * commit once (one durable flush for all). A unit that throws is undone alone and its outcome
   * is `rejected`; the others commit. Resolves once the commit is durable; rejects (nothing of
   * any unit committed) when the transaction itself fails, e.g. on a full disk.
   */
  transactGroup<T>(
    works: readonly ((tx: Tx) => Promise<T>)[],
    options?: GroupOptions,
  ): Promise<PromiseSettledResult<T>[]>;
  /** Read without a write transaction (a consistent snapshot). */
  read<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
