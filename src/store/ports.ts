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

/** The repositories, as seen from inside one transaction. */
export interface Tx {
  readonly parties: PartyRepo;
  readonly members: MemberRepo;
  readonly tokens: TokenRepo;
  readonly declarations: DeclarationRepo;
  readonly conflicts: ConflictRepo;
  readonly ledger: LedgerRepo;
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
