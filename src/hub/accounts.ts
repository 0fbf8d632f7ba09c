/**
 * Accounts: hub administrators, parties and their members, sessions and API tokens.
 *
 * Passwords are hashed (scrypt) outside any transaction, since hashing is slow on purpose; tokens
 * are random and stored only as hashes (`secrets.ts`). Every change is a ledger entry.
 */

import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, USERNAME_PATTERN } from '../domain/limits.ts';
import type { MemberRecord, PartyRole, Role, TokenRecord } from '../domain/records.ts';
import type { Tx } from '../store/ports.ts';
import { actingParty, fail, type Principal, requireRole } from './access.ts';
import type { Kernel } from './kernel.ts';
import { dummyPasswordHash, hashPassword, newToken, tokenHash, verifyPassword } from './secrets.ts';

const USERNAME = new RegExp(USERNAME_PATTERN);
const DAY = 86_400_000;
/** A session lasts a watch: 12 hours. */
export const DEFAULT_SESSION_TTL_MS = 12 * 3_600_000;

export interface TokenInput {
  readonly name: string;
  /** Party roles the token carries (default operator). */
  readonly roles?: readonly PartyRole[];
  readonly ttl_days?: number;
}

export interface MemberInput {
  readonly username: string;
  readonly password: string;
  readonly roles: readonly PartyRole[];
}

export interface PartyInput {
  readonly id: string;
  readonly name: string;
  readonly admin: { readonly username: string; readonly password: string };
}

export interface MemberChangeInput {
  readonly roles?: readonly PartyRole[];
  readonly disabled?: boolean;
}

const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());

function tokenView(t: TokenRecord) {
  return {
    id: t.id,
    name: t.name,
    roles: [...t.roles],
    kind: t.kind,
    created_at: new Date(t.created_at).toISOString(),
    expires_at: iso(t.expires_at),
    revoked_at: iso(t.revoked_at),
  };
}

function memberView(m: MemberRecord) {
  return { username: m.username, party: m.party, roles: [...m.roles], disabled: m.disabled };
}

export class Accounts {
  constructor(
    private readonly k: Kernel,
    private readonly sessionTtl_ms = DEFAULT_SESSION_TTL_MS,
  ) {}

  /** Create a hub administrator (the CLI's `admin create`, or the demo). */
  async createHubAdmin(username: string, password: string): Promise<void> {
    const record = await this.newMember(null, { username, password, roles: ['hub_admin'] });
    await this.k.write(async (tx) => {
      await this.insertMember(tx, null, record);
      return { result: undefined };
    });
  }

  async hubAdminCount(): Promise<number> {
    return this.k.read((tx) => tx.members.countHubAdmins());
  }

  /**
   * Check a new member's name and password and hash the password (outside any transaction:
   * hashing is slow). The API's schema checks the same; this covers the CLI and the demo.
   */
  private async newMember(
    party: string | null,
    m: { username: string; password: string; roles: readonly Role[] },
  ): Promise<MemberRecord> {
    if (!USERNAME.test(m.username))
      fail('invalid_request', 'username: letters, digits, ".", "_", "-", "@"; at most 64', 'username');
    if (m.password.length < MIN_PASSWORD_LENGTH || m.password.length > MAX_PASSWORD_LENGTH)
      fail('weak_password', `a password has at least ${MIN_PASSWORD_LENGTH} characters`, 'password');
    return {
      username: m.username,
      party,
      roles: [...new Set(m.roles)],
      password_hash: await hashPassword(m.password),
      disabled: false,
      created_at: this.k.clock.now(),
    };
  }

  private async insertMember(tx: Tx, actor: Principal | null, m: MemberRecord): Promise<void> {
    if (await tx.members.get(m.username))
      fail('id_exists', `member "${m.username}" already exists`, 'username');
    await tx.members.create(m);
    await tx.ledger.append(
      this.k.entry(actor, 'member.created', m.username, { party: m.party, roles: m.roles }),
    );
  }

  /** Log in: a session token for a member, or `unauthorized` (the same for any wrong detail). */
  async login(username: string, password: string) {
    const m = await this.k.read((tx) => tx.members.get(username));
    const ok = await verifyPassword(password, m?.password_hash ?? (await dummyPasswordHash()));
    if (!m || !ok || m.disabled) fail('unauthorized', 'unknown username or wrong password');
    const t = newToken();
    const now = this.k.clock.now();
    const expires_at = now + this.sessionTtl_ms;
    await this.k.write(async (tx) => {
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
    return {
      token: t.secret,
      expires_at: new Date(expires_at).toISOString(),
      member: { username: m.username, party: m.party, roles: [...m.roles] },
    };
  }

  /** The principal behind a bearer token, or `unauthorized`. */
  async authenticate(secret: string): Promise<Principal> {
    const t = await this.k.read((tx) => tx.tokens.getByHash(tokenHash(secret)));
    const now = this.k.clock.now();
    if (!t || t.revoked_at !== null || (t.expires_at !== null && t.expires_at <= now)) {
      fail('unauthorized', 'the token is unknown, expired or revoked');
    }
    const m = await this.k.read((tx) => tx.members.get(t.username));
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
    return this.k.read(async (tx) => {
      const t = await tx.tokens.get(tokenId);
      if (!t || t.revoked_at !== null || (t.expires_at !== null && t.expires_at <= this.k.clock.now()))
        return false;
      const m = await tx.members.get(t.username);
      return m !== null && !m.disabled;
    });
  }

  async logout(p: Principal): Promise<void> {
    await this.revokeToken(p, p.tokenId);
  }

  /** An API token for a system of the caller's party, with party roles (default operator). */
  async createApiToken(p: Principal, input: TokenInput) {
    const party = actingParty(p, 'party_admin');
    const t = newToken();
    const now = this.k.clock.now();
    const roles: PartyRole[] = [...new Set(input.roles ?? ['operator' as const])];
    const record: TokenRecord = {
      id: t.id,
      hash: t.hash,
      username: p.username,
      party,
      roles,
      kind: 'api',
      name: input.name,
      created_at: now,
      expires_at: input.ttl_days === undefined ? null : now + input.ttl_days * DAY,
      revoked_at: null,
    };
    await this.k.write(async (tx) => {
      await tx.tokens.create(record);
      await tx.ledger.append(this.k.entry(p, 'token.created', t.id, { name: input.name, roles }));
      return { result: undefined };
    });
    return { token: t.secret, ...tokenView(record) };
  }

  async listTokens(p: Principal) {
    const party = actingParty(p, 'party_admin');
    const list = await this.k.read((tx) => tx.tokens.listByParty(party));
    return list.filter((t) => t.kind === 'api').map(tokenView);
  }

  /** Revoke a token: one's own session, or any token of the party for its admin. */
  async revokeToken(p: Principal, id: string): Promise<void> {
    await this.k.write(async (tx) => {
      const t = await tx.tokens.get(id);
      const mine = t !== null && t.username === p.username;
      const admin = t !== null && p.party !== null && t.party === p.party && p.roles.includes('party_admin');
      if (!t || !(mine || admin)) fail('not_found', `no token ${id}`);
      await tx.tokens.revoke(id, this.k.clock.now());
      await tx.ledger.append(this.k.entry(p, 'token.revoked', id, {}));
      return { result: undefined };
    });
    this.k.revocations.publish({ tokenId: id });
  }

  async listParties(_p: Principal) {
    const parties = await this.k.read((tx) => tx.parties.list());
    return parties.map((x) => ({ id: x.id, name: x.name }));
  }

  /**
   * A hub administrator creates a party and its first party administrator, together or not at
   * all: a party left without an administrator could never be managed, nor created again.
   */
  async createParty(p: Principal, input: PartyInput) {
    requireRole(p, 'hub_admin');
    const { id, name } = input;
    const member = await this.newMember(id, { ...input.admin, roles: ['party_admin'] });
    await this.k.write(async (tx) => {
      if (await tx.parties.get(id)) fail('id_exists', `party "${id}" already exists`, 'id');
      await tx.parties.create({ id, name, created_at: this.k.clock.now() });
      await tx.ledger.append(this.k.entry(p, 'party.created', id, { name }));
      await this.insertMember(tx, p, member);
      return { result: undefined };
    });
    return { id, name };
  }

  /** The caller's own party, named in a path; another party answers as one that does not exist. */
  private adminOf(p: Principal, party: string): void {
    if (actingParty(p, 'party_admin') !== party) fail('not_found', `no party ${party} among yours`);
  }

  async listMembers(p: Principal, party: string) {
    this.adminOf(p, party);
    const list = await this.k.read((tx) => tx.members.listByParty(party));
    return list.map(memberView);
  }

  async createMember(p: Principal, party: string, input: MemberInput) {
    this.adminOf(p, party);
    const record = await this.newMember(party, input);
    await this.k.write(async (tx) => {
      await this.insertMember(tx, p, record);
      return { result: undefined };
    });
    return memberView(record);
  }

  /** Change a member's roles or disable it (disabling revokes its tokens). */
  async updateMember(p: Principal, party: string, username: string, input: MemberChangeInput) {
    this.adminOf(p, party);
    const view = await this.k.write(async (tx) => {
      const m = await tx.members.get(username);
      if (!m || m.party !== party) fail('not_found', `no member ${username} in ${party}`);
      const change = {
        ...(input.roles !== undefined && { roles: [...new Set(input.roles)] }),
        ...(input.disabled !== undefined && { disabled: input.disabled }),
      };
      await tx.members.update(username, change);
      if (input.disabled === true) await tx.tokens.revokeAllOf(username, this.k.clock.now());
      await tx.ledger.append(this.k.entry(p, 'member.updated', username, change));
      return { result: memberView({ ...m, ...change }) };
    });
    if (input.disabled === true) this.k.revocations.publish({ username });
    return view;
  }
}
