/**
 * The hub's application layer: accounts, declarations and live conflict detection, over a
 * {@link Store} and the engine's {@link ConflictIndex}. Routes call it; it knows nothing of HTTP.
 *
 * Data flows one way (DESIGN §9): request → validate → (under the write lock) store + ledger in
 * one transaction, detecting conflicts against the live index → on commit, update the index.
 *
 * Invariant: every write that can change conflicts runs under one lock, and the index changes
 * only after its transaction committed. So each submission is checked against exactly the
 * declarations committed before it, and two concurrent submissions cannot miss each other: the
 * second is checked against the first.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type {
  ConflictRecord,
  DeclarationRecord,
  EventRecord,
  MemberRecord,
  NewLedgerEntry,
  Precedence,
  Role,
  TokenRecord,
  WebhookRecord,
} from '../domain/records.ts';
import { type ParseLimits, parseDeclarations } from '../engine/declaration.ts';
import { type Box, boxesIntersect, pointReachBoxes, reachBoxes } from '../engine/geodesy/bbox.ts';
import { ConflictIndex, prepare } from '../engine/stindex.ts';
import type { Conflict, Declaration, EngineOptions, Kind, Position } from '../engine/types.ts';
import type { Store, Tx } from '../store/ports.ts';
import { fail, type Principal, requireParty, requireRole } from './access.ts';
import type { Clock } from './clock.ts';
import { Desk } from './desk.ts';
import { EventBus, RevocationBus } from './events.ts';
import { Hotline } from './hotline.ts';
import {
  dummyPasswordHash,
  hashPassword,
  MIN_PASSWORD_LENGTH,
  newId,
  newToken,
  tokenHash,
  verifyPassword,
} from './secrets.ts';
import { type ConflictView, canSee, conflictView, declarationFeature, involves } from './views.ts';
import { closeAlerts, type Deadlines, deadlines, PRECEDENCE_OF, raiseAlert, type WriteCtx } from './watch.ts';
import { Webhooks } from './webhooks.ts';

export type { Principal } from './access.ts';

export interface HubOptions {
  readonly engine?: Partial<EngineOptions>;
  /** Limits on submissions (features, vertices, buffers, text). */
  readonly limits?: Partial<ParseLimits>;
  /** Session lifetime (ms); default 12 h, a watch. */
  readonly sessionTtl_ms?: number;
  /** Acknowledgement deadlines (ms) per precedence: [watch officer, senior officer, party admin]. */
  readonly deadlines?: Partial<Record<Precedence, readonly [number, number, number]>>;
}

export interface SubmissionResult {
  readonly accepted: true;
  readonly dry_run: boolean;
  readonly declarations: readonly { readonly id: string; readonly version: number }[];
  readonly conflicts: readonly ConflictView[];
}

const PARTY_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const USERNAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
const PARTY_ROLES: readonly Role[] = ['operator', 'watch_officer', 'senior_officer', 'party_admin'];

/** A conflict's id: derived from what it is between, so the same conflict never gets two ids. */
function conflictId(key: Buffer, c: Conflict, aVersion: number, bVersion: number): string {
  // Keyed with the hub's secret: an unkeyed hash would let a party involved in a conflict with a
  // hidden declaration confirm a guess of that declaration's id offline.
  const h = createHmac('sha256', key)
    .update(`${c.rule}\n${c.a}\n${aVersion}\n${c.b}\n${bVersion}`)
    .digest('hex');
  return `cf-${h.slice(0, 20)}`;
}

export interface DeclarationFilter {
  readonly bbox?: readonly [number, number, number, number];
  readonly start?: number;
  readonly end?: number;
  readonly kind?: Kind;
  readonly party?: string;
  readonly status?: DeclarationRecord['status'];
  readonly limit?: number;
}

export interface ConflictFilter {
  readonly status?: 'open' | 'resolved';
  readonly rule?: string;
  readonly severity?: string;
  readonly declaration?: string;
  readonly limit?: number;
}

export class Hub {
  private index: ConflictIndex;
  /** Versions of the active declarations, as in the store. */
  private readonly versions = new Map<string, number>();
  private lock: Promise<unknown> = Promise.resolve();
  /** The hub's secret key (created with the store; keys conflict ids). */
  private key: Buffer = Buffer.alloc(0);
  /** Committed stream events, to open consoles. */
  readonly bus = new EventBus();
  /** Tokens revoked (and members disabled), told after commit to the streams holding them. */
  readonly revocations = new RevocationBus();
  /** Acknowledgement deadlines per precedence and level. */
  readonly deadlines: Deadlines;
  /** Roster, alerts, the event stream (DESIGN §5). */
  readonly desk = new Desk(this);
  readonly hotline = new Hotline(this);
  readonly webhooks = new Webhooks(this);

  private constructor(
    readonly store: Store,
    readonly clock: Clock,
    readonly options: HubOptions,
  ) {
    this.index = new ConflictIndex(options.engine);
    this.deadlines = deadlines(options.deadlines);
  }

  /** Open the hub on a store: rebuild the live index from the active declarations. */
  static async open(store: Store, clock: Clock, options: HubOptions = {}): Promise<Hub> {
    const hub = new Hub(store, clock, options);
    const secret = await store.transact((tx) => tx.meta.init('hub_key', randomBytes(32).toString('base64')));
    hub.key = Buffer.from(secret, 'base64');
    const active = await store.read((tx) => tx.declarations.active());
    hub.index = ConflictIndex.build(active, options.engine);
    for (const [id, version] of await store.read((tx) => tx.declarations.activeVersions())) {
      hub.versions.set(id, version);
    }
    await hub.expire();
    return hub;
  }

  /**
   * Do what is due at the clock's now: escalate alerts past their deadline, send webhook
   * deliveries. The server calls it on a timer ({@link Scheduler}); tests move a manual clock
   * and call it themselves. Idempotent.
   */
  async runDue(): Promise<{ escalated: number; delivered: number }> {
    const escalated = await this.desk.escalate();
    const delivered = await this.webhooks.deliverDue();
    return { escalated, delivered };
  }

  /** The earliest time something will be due (an alert deadline, a delivery), or null. */
  async nextDue(): Promise<number | null> {
    const times = [await this.desk.nextDue(), await this.webhooks.nextDue()].filter((t) => t !== null);
    return times.length === 0 ? null : Math.min(...times);
  }

  /** Number of active declarations in the live index. */
  get activeCount(): number {
    return this.index.size;
  }

  /**
   * Run a write under the hub's lock: the transaction, then (after it committed) the index
   * changes it returns, then the stream events it emitted go to open consoles. Writes are
   * serialized; reads never wait for this. The hub's own modules (hotline, webhooks) write
   * through here too.
   */
  write<T>(work: (tx: Tx, ctx: WriteCtx) => Promise<{ result: T; apply?: () => void }>): Promise<T> {
    const run = async (): Promise<T> => {
      const outbox: EventRecord[] = [];
      const { result, apply } = await this.store.transact((tx) => work(tx, this.context(tx, outbox)));
      apply?.();
      if (outbox.length > 0) {
        this.bus.publish(outbox);
        this.onCommitted?.();
      }
      return result;
    };
    const p = this.lock.then(run, run);
    this.lock = p.catch(() => undefined);
    return p;
  }

  /** Called after a commit that emitted events (the server wakes its timers). */
  onCommitted: (() => void) | undefined;

  private context(tx: Tx, outbox: EventRecord[]): WriteCtx {
    const now = this.clock.now();
    // A party's hooks, read once per write: a write that emits never changes hooks (registering
    // or disabling one is a write of its own that emits nothing).
    const hooks = new Map<string, Promise<WebhookRecord[]>>();
    return {
      tx,
      now,
      emit: async (party, type, data) => {
        const e = await tx.events.append({ party, at: now, type, data });
        outbox.push(e);
        let mine = hooks.get(party);
        if (mine === undefined) {
          mine = tx.webhooks.listByParty(party);
          hooks.set(party, mine);
        }
        for (const w of await mine) {
          if (w.disabled_at !== null) continue;
          await tx.deliveries.insert({
            id: newId('dl'),
            webhook: w.id,
            party,
            event_seq: e.seq,
            status: 'pending',
            attempts: 0,
            next_at: now,
            last_status: null,
            last_error: null,
            created_at: now,
            delivered_at: null,
          });
        }
      },
      log: async (actor, party, type, subject, payload) => {
        await tx.ledger.append({ at: now, actor, party, type, subject, payload });
      },
    };
  }

  private entry(p: Principal | null, type: string, subject: string, payload: unknown): NewLedgerEntry {
    return {
      at: this.clock.now(),
      actor: p?.username ?? null,
      party: p?.party ?? null,
      type,
      subject,
      payload,
    };
  }

  // --- Accounts --------------------------------------------------------------------------------

  /** Create a hub administrator (the CLI's `admin create`, or the demo). */
  async createHubAdmin(username: string, password: string): Promise<void> {
    await this.createMemberRecord(null, null, { username, password, roles: ['hub_admin'] });
  }

  private async createMemberRecord(
    actor: Principal | null,
    party: string | null,
    m: { username: string; password: string; roles: readonly Role[] },
  ): Promise<void> {
    const record = await this.newMember(party, m);
    await this.write(async (tx) => {
      await this.insertMember(tx, actor, record);
      return { result: undefined };
    });
  }

  /** Validate a new member and hash its password (outside any transaction: hashing is slow). */
  private async newMember(
    party: string | null,
    m: { username: unknown; password: unknown; roles: readonly Role[] },
  ): Promise<MemberRecord> {
    if (typeof m.username !== 'string' || !USERNAME.test(m.username)) {
      fail('invalid_request', 'username: letters, digits, ".", "_", "-", "@"; at most 64', 'username');
    }
    if (
      typeof m.password !== 'string' ||
      m.password.length < MIN_PASSWORD_LENGTH ||
      m.password.length > 1024
    ) {
      fail('weak_password', `a password has at least ${MIN_PASSWORD_LENGTH} characters`, 'password');
    }
    return {
      username: m.username,
      party,
      roles: [...m.roles],
      password_hash: await hashPassword(m.password),
      disabled: false,
      created_at: this.clock.now(),
    };
  }

  private async insertMember(tx: Tx, actor: Principal | null, m: MemberRecord): Promise<void> {
    if (await tx.members.get(m.username))
      fail('id_exists', `member "${m.username}" already exists`, 'username');
    await tx.members.create(m);
    await tx.ledger.append(
      this.entry(actor, 'member.created', m.username, { party: m.party, roles: m.roles }),
    );
  }

  async hubAdminCount(): Promise<number> {
    return this.store.read((tx) => tx.members.countHubAdmins());
  }

  /** Log in: a session token for a member, or `unauthorized` (the same for any wrong detail). */
  async login(
    username: unknown,
    password: unknown,
  ): Promise<{ token: string; expires_at: number; member: MemberRecord }> {
    if (typeof username !== 'string' || typeof password !== 'string' || password.length > 1024) {
      fail('invalid_request', 'expected {"username": string, "password": string}');
    }
    const m = await this.store.read((tx) => tx.members.get(username));
    const ok = await verifyPassword(password, m?.password_hash ?? (await dummyPasswordHash()));
    if (!m || !ok || m.disabled) fail('unauthorized', 'unknown username or wrong password');
    const t = newToken();
    const now = this.clock.now();
    const expires_at = now + (this.options.sessionTtl_ms ?? 12 * 3_600_000);
    await this.write(async (tx) => {
      await tx.tokens.create({
        id: t.id,
        hash: t.hash,
        username: m.username,
        party: m.party,
        roles: m.roles,
        kind: 'session',
        name: null,
        created_at: now,
        expires_at,
        revoked_at: null,
      });
      await tx.ledger.append({
        at: now,
        actor: m.username,
        party: m.party,
        type: 'session.opened',
        subject: t.id,
        payload: {},
      });
      return { result: undefined };
    });
    return { token: t.secret, expires_at, member: m };
  }

  /** The principal behind a bearer token, or `unauthorized`. */
  async authenticate(secret: string): Promise<Principal> {
    const t = await this.store.read((tx) => tx.tokens.getByHash(tokenHash(secret)));
    const now = this.clock.now();
    if (!t || t.revoked_at !== null || (t.expires_at !== null && t.expires_at <= now)) {
      fail('unauthorized', 'the token is unknown, expired or revoked');
    }
    const m = await this.store.read((tx) => tx.members.get(t.username));
    if (!m || m.disabled) fail('unauthorized', 'the member is disabled');
    // A session carries at most the roles its member still has. An API token is a system's,
    // issued by a party administrator with any party roles (it could as well create a member
    // with them): it keeps them while its issuer administers the party.
    const issuerAdmin = t.kind === 'api' && m.party === t.party && m.roles.includes('party_admin');
    const roles = issuerAdmin ? [...t.roles] : t.roles.filter((r) => m.roles.includes(r));
    return { username: t.username, party: t.party, roles, tokenId: t.id, expiresAt: t.expires_at };
  }

  /** Whether a token still stands (not revoked, not expired, its member not disabled). */
  async tokenStillValid(tokenId: string): Promise<boolean> {
    return this.store.read(async (tx) => {
      const t = await tx.tokens.get(tokenId);
      if (!t || t.revoked_at !== null || (t.expires_at !== null && t.expires_at <= this.clock.now()))
        return false;
      const m = await tx.members.get(t.username);
      return m !== null && !m.disabled;
    });
  }

  async logout(p: Principal): Promise<void> {
    await this.revokeToken(p, p.tokenId);
  }

  /** An API token for a system of the caller's party, with party roles (default operator). */
  async createApiToken(p: Principal, body: { name?: unknown; roles?: unknown; ttl_days?: unknown }) {
    requireRole(p, 'party_admin');
    const party = requireParty(p);
    const name =
      typeof body.name === 'string' && body.name.length > 0 && body.name.length <= 100 ? body.name : null;
    if (name === null) fail('invalid_request', 'name: a label for the system, 1–100 characters', 'name');
    const roles = Array.isArray(body.roles) ? body.roles : ['operator'];
    if (!roles.every((r) => PARTY_ROLES.includes(r as Role))) {
      fail('invalid_request', `roles: a list of ${PARTY_ROLES.join(', ')}`, 'roles');
    }
    const ttl = body.ttl_days === undefined ? null : Number(body.ttl_days);
    if (ttl !== null && !(Number.isInteger(ttl) && ttl > 0 && ttl <= 3650)) {
      fail('invalid_request', 'ttl_days: a whole number of days from 1 to 3650', 'ttl_days');
    }
    const t = newToken();
    const now = this.clock.now();
    const record: TokenRecord = {
      id: t.id,
      hash: t.hash,
      username: p.username,
      party,
      roles: roles as Role[],
      kind: 'api',
      name,
      created_at: now,
      expires_at: ttl === null ? null : now + ttl * 86_400_000,
      revoked_at: null,
    };
    await this.write(async (tx) => {
      await tx.tokens.create(record);
      await tx.ledger.append(this.entry(p, 'token.created', t.id, { name, roles }));
      return { result: undefined };
    });
    return { token: t.secret, ...tokenView(record) };
  }

  async listTokens(p: Principal) {
    requireRole(p, 'party_admin');
    const party = requireParty(p);
    const list = await this.store.read((tx) => tx.tokens.listByParty(party));
    return list.filter((t) => t.kind === 'api').map(tokenView);
  }

  /** Revoke a token: one's own session, or any token of the party for its admin. */
  async revokeToken(p: Principal, id: string): Promise<void> {
    await this.write(async (tx) => {
      const t = await tx.tokens.get(id);
      const mine = t !== null && t.username === p.username;
      const admin = t !== null && p.party !== null && t.party === p.party && p.roles.includes('party_admin');
      if (!t || !(mine || admin)) fail('not_found', `no token ${id}`);
      await tx.tokens.revoke(id, this.clock.now());
      await tx.ledger.append(this.entry(p, 'token.revoked', id, {}));
      return { result: undefined };
    });
    this.revocations.publish({ tokenId: id });
  }

  async listParties(_p: Principal) {
    const parties = await this.store.read((tx) => tx.parties.list());
    return parties.map((x) => ({ id: x.id, name: x.name }));
  }

  /** A hub administrator creates a party and its first party administrator. */
  async createParty(
    p: Principal,
    body: { id?: unknown; name?: unknown; admin?: { username?: unknown; password?: unknown } },
  ) {
    requireRole(p, 'hub_admin');
    const id = body.id;
    const name = body.name;
    if (typeof id !== 'string' || !PARTY_ID.test(id))
      fail('invalid_request', 'id: letters, digits, "-", "_", "."', 'id');
    if (typeof name !== 'string' || name.length === 0 || name.length > 200)
      fail('invalid_request', 'name: 1–200 characters', 'name');
    const admin = body.admin;
    if (!admin || typeof admin.username !== 'string' || typeof admin.password !== 'string') {
      fail('invalid_request', 'admin: {username, password} of the party administrator', 'admin');
    }
    // The party and its administrator are created together or not at all: a party left without
    // an administrator could never be managed, nor created again.
    const member = await this.newMember(id, {
      username: admin.username,
      password: admin.password,
      roles: ['party_admin'],
    });
    await this.write(async (tx) => {
      if (await tx.parties.get(id)) fail('id_exists', `party "${id}" already exists`, 'id');
      await tx.parties.create({ id, name, created_at: this.clock.now() });
      await tx.ledger.append(this.entry(p, 'party.created', id, { name }));
      await this.insertMember(tx, p, member);
      return { result: undefined };
    });
    return { id, name };
  }

  async listMembers(p: Principal, party: string) {
    requireRole(p, 'party_admin');
    if (p.party !== party) fail('not_found', `no party ${party} among yours`);
    const list = await this.store.read((tx) => tx.members.listByParty(party));
    return list.map(memberView);
  }

  async createMember(
    p: Principal,
    party: string,
    body: { username?: unknown; password?: unknown; roles?: unknown },
  ) {
    requireRole(p, 'party_admin');
    if (p.party !== party) fail('not_found', `no party ${party} among yours`);
    const roles = body.roles;
    if (!Array.isArray(roles) || roles.length === 0 || !roles.every((r) => PARTY_ROLES.includes(r as Role))) {
      fail('invalid_request', `roles: a non-empty list of ${PARTY_ROLES.join(', ')}`, 'roles');
    }
    await this.createMemberRecord(p, party, {
      username: body.username as string,
      password: body.password as string,
      roles: [...new Set(roles as Role[])],
    });
    const m = await this.store.read((tx) => tx.members.get(body.username as string));
    return memberView(m as MemberRecord);
  }

  /** Change a member's roles or disable it (disabling revokes its tokens). */
  async updateMember(
    p: Principal,
    party: string,
    username: string,
    body: { roles?: unknown; disabled?: unknown },
  ) {
    requireRole(p, 'party_admin');
    if (p.party !== party) fail('not_found', `no party ${party} among yours`);
    const roles = body.roles;
    if (
      roles !== undefined &&
      (!Array.isArray(roles) || roles.length === 0 || !roles.every((r) => PARTY_ROLES.includes(r as Role)))
    ) {
      fail('invalid_request', `roles: a non-empty list of ${PARTY_ROLES.join(', ')}`, 'roles');
    }
    if (body.disabled !== undefined && typeof body.disabled !== 'boolean')
      fail('invalid_request', 'disabled: true or false', 'disabled');
    const view = await this.write(async (tx) => {
      const m = await tx.members.get(username);
      if (!m || m.party !== party) fail('not_found', `no member ${username} in ${party}`);
      const change = {
        ...(roles !== undefined && { roles: [...new Set(roles as Role[])] }),
        ...(body.disabled !== undefined && { disabled: body.disabled as boolean }),
      };
      await tx.members.update(username, change);
      if (body.disabled === true) await tx.tokens.revokeAllOf(username, this.clock.now());
      await tx.ledger.append(this.entry(p, 'member.updated', username, change));
      return { result: memberView({ ...m, ...change }) };
    });
    if (body.disabled === true) this.revocations.publish({ username });
    return view;
  }

  // --- Declarations ----------------------------------------------------------------------------

  private parse(p: Principal, input: unknown, assign: boolean): Declaration[] {
    const party = requireParty(p);
    return parseDeclarations(input, {
      party,
      partyIds: true,
      ...(assign && { assignId: () => assignedId(party) }),
      limits: { maxFeatures: 1000, ...this.options.limits },
    });
  }

  /** Conflicts of `decls` (checked in order) against the live index and against each other. */
  private detect(decls: readonly Declaration[], exclude?: string): Conflict[] {
    const out: Conflict[] = [];
    // The rest of the batch goes in an index of its own, so a batch of n costs n checks, not n².
    const batch = new ConflictIndex(this.index.options);
    for (const d of decls) {
      const pd = prepare(d);
      for (const c of this.index.check(d, pd)) {
        const other = c.a === d.id ? c.b : c.a;
        if (other !== exclude) out.push(c);
      }
      out.push(...batch.check(d, pd));
      batch.add(d);
    }
    return out;
  }

  /**
   * Submit one Feature or a FeatureCollection: all accepted or none. Answers with the conflicts
   * found, in the same response (accepted with or without conflict). A dry run stores nothing.
   */
  async submit(p: Principal, input: unknown, options: { dryRun?: boolean } = {}): Promise<SubmissionResult> {
    requireRole(p, 'operator', 'party_admin');
    const decls = this.parse(p, input, true);
    const party = p.party as string;
    return this.write<SubmissionResult>(async (tx, ctx) => {
      for (const d of decls) {
        if (this.versions.has(d.id) || (await tx.declarations.current(d.id))) {
          fail('id_exists', `declaration "${d.id}" already exists; amend it instead`, 'properties.id');
        }
      }
      const now = this.clock.now();
      const records: ConflictRecord[] = [];
      for (const c of this.detect(decls)) records.push(await this.recordConflict(tx, c, decls, now));
      const fresh = decls.map(
        (d): DeclarationRecord => ({
          id: d.id,
          version: 1,
          party: d.party,
          kind: d.kind,
          decl: d,
          status: 'active',
          created_at: now,
          created_by: p.username,
        }),
      );
      // Every declaration the new conflicts join, read once: the answer and each party's alert use them.
      const known = await this.sidesOf(tx, records, fresh);
      const views = await this.views(tx, records, party, known);
      const declarations = decls.map((d) => ({ id: d.id, version: 1 }));
      // A dry run stores nothing: the transaction commits an empty change.
      if (options.dryRun)
        return { result: { accepted: true, dry_run: true, declarations, conflicts: views } };
      for (const r of fresh) {
        await tx.declarations.insert(r);
        await tx.ledger.append(
          this.entry(p, 'declaration.created', r.id, { version: 1, declaration: r.decl }),
        );
      }
      for (const r of records) {
        await tx.conflicts.insert(r);
        await tx.ledger.append(this.entry(p, 'conflict.detected', r.id, conflictSummary(r)));
      }
      await this.announce(ctx, records, known);
      const parties = await partyIds(tx);
      for (const r of fresh) {
        await this.declarationChanged(ctx, parties, r, null);
        await this.notifyParties(ctx, r);
      }
      return {
        result: { accepted: true, dry_run: false, declarations, conflicts: views },
        apply: () => {
          for (const d of decls) {
            this.index.add(d);
            this.versions.set(d.id, 1);
          }
        },
      };
    });
  }

  private async recordConflict(
    tx: Tx,
    c: Conflict,
    fresh: readonly Declaration[],
    now: number,
  ): Promise<ConflictRecord> {
    const freshIds = new Map(fresh.map((d) => [d.id, d]));
    const versionOf = async (id: string): Promise<[number, string]> => {
      const f = freshIds.get(id);
      if (f) return [this.pendingVersion.get(id) ?? 1, f.party];
      const r = (await tx.declarations.current(id)) as DeclarationRecord;
      return [r.version, r.party];
    };
    const [aVersion, aParty] = await versionOf(c.a);
    const [bVersion, bParty] = await versionOf(c.b);
    return {
      ...c,
      id: conflictId(this.key, c, aVersion, bVersion),
      a_version: aVersion,
      b_version: bVersion,
      a_party: aParty,
      b_party: bParty,
      detected_at: now,
      status: 'open',
      resolution: null,
      resolved_at: null,
      acceptances: [],
    };
  }

  /** Versions of declarations being amended in the current write (read by recordConflict). */
  private pendingVersion = new Map<string, number>();

  /** Amend: a new version replaces the current one (which stays in the record). */
  async amend(p: Principal, id: string, input: unknown): Promise<SubmissionResult> {
    requireRole(p, 'operator', 'party_admin');
    const party = requireParty(p);
    const feature = withId(input, id, party);
    const [d] = this.parse(p, feature, false) as [Declaration];
    return this.write(async (tx, ctx) => {
      const cur = await activeOwnDeclaration(tx, party, id);
      const now = this.clock.now();
      const version = cur.version + 1;
      this.pendingVersion.set(id, version);
      try {
        await this.closeConflictsOf(ctx, p, id, 'amended');
        await closeAlerts(ctx, 'notification', id, 'amended');
        const records: ConflictRecord[] = [];
        for (const c of this.detect([d], id)) records.push(await this.recordConflict(tx, c, [d], now));
        await tx.declarations.setStatus(id, cur.version, 'superseded');
        const amended: DeclarationRecord = {
          id,
          version,
          party,
          kind: d.kind,
          decl: d,
          status: 'active',
          created_at: now,
          created_by: p.username,
        };
        await tx.declarations.insert(amended);
        await tx.ledger.append(this.entry(p, 'declaration.amended', id, { version, declaration: d }));
        for (const r of records) {
          await tx.conflicts.insert(r);
          await tx.ledger.append(this.entry(p, 'conflict.detected', r.id, conflictSummary(r)));
        }
        const known = await this.sidesOf(tx, records, [amended]);
        await this.announce(ctx, records, known);
        await this.declarationChanged(ctx, await partyIds(tx), amended, cur.decl);
        await this.notifyParties(ctx, amended);
        const views = await this.views(tx, records, party, known);
        return {
          result: { accepted: true, dry_run: false, declarations: [{ id, version }], conflicts: views },
          apply: () => {
            this.index.withdraw(id);
            this.index.add(d);
            this.versions.set(id, version);
          },
        };
      } finally {
        this.pendingVersion.delete(id);
      }
    });
  }

  /** Withdraw: the declaration stops counting; its open conflicts close as `withdrawn`. */
  async withdraw(
    p: Principal,
    id: string,
    reason: unknown,
  ): Promise<{ id: string; version: number; status: 'withdrawn' }> {
    requireRole(p, 'operator', 'party_admin');
    const party = requireParty(p);
    if (reason !== undefined && (typeof reason !== 'string' || reason.length > 1000)) {
      fail('invalid_request', 'reason: text of at most 1000 characters', 'reason');
    }
    return this.write(async (tx, ctx) => {
      const cur = await activeOwnDeclaration(tx, party, id);
      await tx.declarations.setStatus(id, cur.version, 'withdrawn');
      await tx.ledger.append(
        this.entry(p, 'declaration.withdrawn', id, { version: cur.version, reason: reason ?? null }),
      );
      await this.closeConflictsOf(ctx, p, id, 'withdrawn');
      await closeAlerts(ctx, 'notification', id, 'withdrawn');
      await this.declarationChanged(ctx, await partyIds(tx), { ...cur, status: 'withdrawn' }, null);
      return {
        result: { id, version: cur.version, status: 'withdrawn' as const },
        apply: () => {
          this.index.withdraw(id);
          this.versions.delete(id);
        },
      };
    });
  }

  private async closeConflictsOf(
    ctx: WriteCtx,
    p: Principal | null,
    id: string,
    resolution: 'withdrawn' | 'amended' | 'expired',
  ): Promise<number> {
    const open = await ctx.tx.conflicts.openFor(id);
    for (const c of open) {
      const next: ConflictRecord = { ...c, status: 'resolved', resolution, resolved_at: ctx.now };
      await ctx.tx.conflicts.update(next);
      await ctx.tx.ledger.append(this.entry(p, 'conflict.resolved', c.id, { resolution, declaration: id }));
      await this.conflictChanged(ctx, next, 'conflict.resolved');
    }
    return open.length;
  }

  /** Tell each party of a conflict how it changed; a resolved conflict closes its open alerts. */
  private async conflictChanged(ctx: WriteCtx, c: ConflictRecord, type: string): Promise<void> {
    for (const party of new Set([c.a_party, c.b_party])) {
      const view = await this.viewWithPending(ctx.tx, c, party);
      if (view) await ctx.emit(party, type, view);
    }
    if (c.status === 'resolved') await closeAlerts(ctx, 'conflict', c.id, c.resolution ?? 'resolved');
  }

  /**
   * Every new conflict alerts each party involved (DESIGN §5), at the precedence of its
   * severity, with the conflict as that party may see it (a hidden side stays hidden).
   */
  private async announce(
    ctx: WriteCtx,
    records: readonly ConflictRecord[],
    fresh: readonly DeclarationRecord[],
  ): Promise<void> {
    for (const r of records) {
      for (const party of new Set([r.a_party, r.b_party])) {
        const [view] = await this.views(ctx.tx, [r], party, fresh);
        if (!view) continue;
        // The alert first: it carries the conflict, and it is what a watch officer must see.
        await raiseAlert(ctx, this.deadlines, {
          id: newId('al'),
          party,
          subject_type: 'conflict',
          subject: r.id,
          precedence: PRECEDENCE_OF[r.severity],
          summary: { conflict: view },
        });
        await ctx.emit(party, 'conflict.detected', view);
      }
    }
  }

  /**
   * Tell each party that may see a declaration that it was created, amended, withdrawn or
   * expired, so its consoles keep the map current without reloading (a new protected site of
   * another party appears at once, not at the next conflict). The event is slim: the console
   * reads the declaration itself, as its party may see it. It goes only to the parties that may
   * see this version, and to those that could see the previous one and no longer can, as
   * `{id, status: 'hidden'}` so they drop it (they knew of it already; nothing new is told).
   */
  private async declarationChanged(
    ctx: WriteCtx,
    parties: readonly string[],
    r: DeclarationRecord,
    before: Declaration | null,
  ): Promise<void> {
    for (const party of parties) {
      if (canSee(party, r.decl)) {
        await ctx.emit(party, 'declaration.changed', {
          id: r.id,
          party: r.party,
          kind: r.kind,
          version: r.version,
          status: r.status,
        });
      } else if (before !== null && canSee(party, before)) {
        await ctx.emit(party, 'declaration.changed', { id: r.id, status: 'hidden' });
      }
    }
  }

  /**
   * A declaration that names parties in `notify` asks each of them to acknowledge receipt
   * (DESIGN §5, the humanitarian notification), at precedence `priority`, escalating like any
   * alert. The owner chose to tell them, so they read the declaration itself.
   */
  private async notifyParties(ctx: WriteCtx, r: DeclarationRecord): Promise<void> {
    for (const party of new Set(r.decl.notify ?? [])) {
      if (party === r.party || !(await ctx.tx.parties.get(party))) continue;
      await raiseAlert(ctx, this.deadlines, {
        id: newId('al'),
        party,
        subject_type: 'notification',
        subject: r.id,
        precedence: 'priority',
        summary: { declaration: declarationFeature(r, party) },
      });
    }
  }

  /**
   * Declarations whose window has ended stop counting: mark them expired, close their open
   * conflicts, drop them from the index. The server calls this on a timer; it is idempotent.
   */
  async expire(): Promise<number> {
    const now = this.clock.now();
    const ended = [...this.index.declarations()]
      .filter((d) => d.end !== null && d.end <= now)
      .map((d) => d.id);
    if (ended.length === 0) return 0;
    return this.write(async (tx, ctx) => {
      // Look again under the lock: a declaration amended (say, extended) or withdrawn since the
      // list above was taken must not be expired.
      const expired: string[] = [];
      const parties = await partyIds(tx);
      for (const id of ended) {
        const cur = await tx.declarations.current(id);
        if (cur?.status !== 'active' || cur.decl.end === null || cur.decl.end > now) continue;
        await tx.declarations.setStatus(id, cur.version, 'expired');
        await tx.ledger.append(this.entry(null, 'declaration.expired', id, { version: cur.version }));
        await this.closeConflictsOf(ctx, null, id, 'expired');
        await closeAlerts(ctx, 'notification', id, 'expired');
        await this.declarationChanged(ctx, parties, { ...cur, status: 'expired' }, null);
        expired.push(id);
      }
      return {
        result: expired.length,
        apply: () => {
          for (const id of expired) {
            this.index.withdraw(id);
            this.versions.delete(id);
          }
        },
      };
    });
  }

  async getDeclaration(p: Principal, id: string, version?: number) {
    const party = requireParty(p);
    const r = await this.store.read((tx) =>
      version === undefined ? tx.declarations.current(id) : tx.declarations.version(id, version),
    );
    if (!r || !canSee(party, r.decl))
      fail('not_found', `no declaration ${id}${version === undefined ? '' : ` version ${version}`}`);
    return declarationFeature(r, party);
  }

  async declarationVersions(p: Principal, id: string) {
    const party = requireParty(p);
    const list = await this.store.read((tx) => tx.declarations.versions(id));
    const visible = list.filter((r) => canSee(party, r.decl));
    if (visible.length === 0) fail('not_found', `no declaration ${id}`);
    return { type: 'FeatureCollection' as const, features: visible.map((r) => declarationFeature(r, party)) };
  }

  async listDeclarations(p: Principal, f: DeclarationFilter) {
    const party = requireParty(p);
    const limit = Math.min(f.limit ?? 500, 5000);
    const rows = await this.store.read((tx) =>
      tx.declarations.query({
        ...(f.status !== undefined && { status: f.status }),
        ...(f.kind !== undefined && { kind: f.kind }),
        ...(f.party !== undefined && { party: f.party }),
        ...(f.start !== undefined && { start: f.start }),
        ...(f.end !== undefined && { end: f.end }),
        limit: Number.MAX_SAFE_INTEGER,
      }),
    );
    const bboxes = f.bbox ? bboxQuery(f.bbox) : null;
    const out = [];
    for (const r of rows) {
      if (!canSee(party, r.decl)) continue;
      if (bboxes && !intersectsAny(r.decl, bboxes)) continue;
      out.push(declarationFeature(r, party));
      if (out.length >= limit) break;
    }
    return { type: 'FeatureCollection' as const, features: out };
  }

  // --- Conflicts -------------------------------------------------------------------------------

  /** The declaration versions on either side of some conflicts: those at hand, the rest read once. */
  private async sidesOf(
    tx: Tx,
    records: readonly ConflictRecord[],
    atHand: readonly DeclarationRecord[],
  ): Promise<DeclarationRecord[]> {
    const byKey = new Map(atHand.map((r) => [`${r.id}\n${r.version}`, r]));
    for (const c of records) {
      for (const [id, v] of [
        [c.a, c.a_version],
        [c.b, c.b_version],
      ] as const) {
        const key = `${id}\n${v}`;
        if (byKey.has(key)) continue;
        const r = await tx.declarations.version(id, v);
        if (r) byKey.set(key, r);
      }
    }
    return [...byKey.values()];
  }

  private async views(
    tx: Tx,
    records: readonly ConflictRecord[],
    party: string,
    fresh: readonly DeclarationRecord[] = [],
  ): Promise<ConflictView[]> {
    const byKey = new Map(fresh.map((r) => [`${r.id}\n${r.version}`, r]));
    const find = async (id: string, v: number) =>
      byKey.get(`${id}\n${v}`) ?? (await tx.declarations.version(id, v));
    const out: ConflictView[] = [];
    for (const c of records) {
      const v = conflictView(c, party, await find(c.a, c.a_version), await find(c.b, c.b_version));
      if (v !== null) out.push(v);
    }
    return out;
  }

  private async viewWithPending(tx: Tx, c: ConflictRecord, party: string): Promise<ConflictView | null> {
    return conflictView(
      c,
      party,
      await tx.declarations.version(c.a, c.a_version),
      await tx.declarations.version(c.b, c.b_version),
    );
  }

  async listConflicts(p: Principal, f: ConflictFilter) {
    const party = requireParty(p);
    return this.store.read(async (tx) => {
      const rows = await tx.conflicts.query({ party, ...f, limit: Math.min(f.limit ?? 500, 5000) });
      const out: ConflictView[] = [];
      for (const c of rows) {
        const v = await this.viewWithPending(tx, c, party);
        if (v === null) continue;
        // Filtering by a declaration the caller may not see answers as for one that does not
        // exist: otherwise a guessed id would be confirmed as the hidden side of these conflicts.
        if (f.declaration !== undefined && !shows(v, f.declaration)) continue;
        out.push(v);
      }
      return out;
    });
  }

  async getConflict(p: Principal, id: string) {
    const party = requireParty(p);
    return this.store.read(async (tx) => {
      const c = await tx.conflicts.get(id);
      if (!c || !involves(party, c)) fail('not_found', `no conflict ${id}`);
      return (await this.viewWithPending(tx, c, party)) as ConflictView;
    });
  }

  /**
   * Accept the risk of a conflict, with a reason. Each party involved accepts for itself; the
   * conflict is resolved (`risk_accepted`) once every party involved has accepted.
   */
  async acceptRisk(p: Principal, id: string, reason: unknown) {
    requireRole(p, 'watch_officer', 'senior_officer', 'party_admin');
    const party = requireParty(p);
    if (typeof reason !== 'string' || reason.trim().length === 0 || reason.length > 2000) {
      fail('invalid_request', 'reason: why the risk is accepted (1–2000 characters)', 'reason');
    }
    return this.write(async (tx, ctx) => {
      const c = await tx.conflicts.get(id);
      if (!c || !involves(party, c)) fail('not_found', `no conflict ${id}`);
      if (c.status !== 'open')
        fail('already_resolved', `conflict ${id} is already resolved (${c.resolution})`);
      if (c.acceptances.some((x) => x.party === party))
        fail('already_resolved', `party ${party} has already accepted this risk`);
      const now = this.clock.now();
      const acceptances = [...c.acceptances, { party, username: p.username, reason, at: now }];
      const parties = new Set([c.a_party, c.b_party]);
      const all = [...parties].every((x) => acceptances.some((a) => a.party === x));
      const next: ConflictRecord = all
        ? { ...c, acceptances, status: 'resolved', resolution: 'risk_accepted', resolved_at: now }
        : { ...c, acceptances };
      await tx.conflicts.update(next);
      await tx.ledger.append(this.entry(p, 'conflict.risk_accepted', id, { reason, resolved: all }));
      await this.conflictChanged(ctx, next, all ? 'conflict.resolved' : 'conflict.risk_accepted');
      return { result: (await this.viewWithPending(tx, next, party)) as ConflictView };
    });
  }
}

/** True when the view shows the declaration `id` in clear on one of its sides. */
function shows(v: ConflictView, id: string): boolean {
  return [v.a, v.b].some((side) => 'id' in side && side.id === id);
}

/** The current version of a declaration the party owns and may still change, or the coded error. */
async function activeOwnDeclaration(tx: Tx, party: string, id: string): Promise<DeclarationRecord> {
  const cur = await tx.declarations.current(id);
  if (!cur || !canSee(party, cur.decl)) fail('not_found', `no declaration ${id}`);
  if (cur.party !== party) fail('forbidden', `declaration ${id} belongs to another party`);
  if (cur.status !== 'active') fail('declaration_closed', `declaration ${id} is ${cur.status}`);
  return cur;
}

function tokenView(t: TokenRecord) {
  return {
    id: t.id,
    name: t.name,
    roles: t.roles,
    kind: t.kind,
    created_at: new Date(t.created_at).toISOString(),
    expires_at: t.expires_at === null ? null : new Date(t.expires_at).toISOString(),
    revoked_at: t.revoked_at === null ? null : new Date(t.revoked_at).toISOString(),
  };
}

function memberView(m: MemberRecord) {
  return { username: m.username, party: m.party, roles: m.roles, disabled: m.disabled };
}

function conflictSummary(c: ConflictRecord) {
  return {
    rule: c.rule,
    severity: c.severity,
    a: c.a,
    a_version: c.a_version,
    b: c.b,
    b_version: c.b_version,
  };
}

/** Every party's id, for telling each what it may see (read once per write). */
async function partyIds(tx: Tx): Promise<string[]> {
  return (await tx.parties.list()).map((x) => x.id);
}

/** The id the hub gives a declaration submitted without one: in its party's namespace, random. */
export function assignedId(party: string): string {
  return `${party}:${newId('d')}`;
}

/**
 * The body of an amendment must be one Feature; its id is the path's (the body may repeat it, in
 * full or as the local part).
 */
function withId(input: unknown, id: string, party: string): unknown {
  if (typeof input !== 'object' || input === null || (input as { type?: unknown }).type !== 'Feature') {
    fail('invalid_request', 'an amendment is one GeoJSON Feature');
  }
  const f = input as { properties?: Record<string, unknown> };
  const props = f.properties ?? {};
  if (props.id !== undefined && props.id !== id && `${party}:${String(props.id)}` !== id)
    fail('invalid_request', `properties.id "${String(props.id)}" differs from ${id}`, 'properties.id');
  return { ...f, properties: { ...props, id } };
}

function bboxQuery(b: readonly [number, number, number, number]): Box[] {
  const [w, s, e, n] = b;
  // A bbox may cross the antimeridian (west > east), as RFC 7946 allows.
  return w <= e
    ? [[w, s, e, n]]
    : [
        [w, s, 180, n],
        [-180, s, e, n],
      ];
}

function intersectsAny(d: Declaration, boxes: readonly Box[]): boolean {
  const own =
    d.geometry.type === 'Point'
      ? pointReachBoxes(d.geometry.coordinates as Position, 0)
      : reachBoxes(d.geometry, 0);
  return own.some((x) => boxes.some((y) => boxesIntersect(x, y)));
}
