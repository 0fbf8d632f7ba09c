/**
 * Accounts: hub administrators, parties and their members, sessions, known devices and API
 * tokens.
 *
 * Passwords are hashed (scrypt) outside any transaction, since hashing is slow on purpose; tokens
 * are random and stored only as hashes (`secrets.ts`). Every change is a ledger entry.
 *
 * Names are per party: a member of party P is named `P.<name>`, the name without a dot, so the
 * party of any member's name is what comes before its last dot, and no party can take (or ask
 * about) a name of another. A party always keeps an active party administrator: a change that
 * would leave it none is refused (`last_admin`), and the hub's administrator can add one
 * (the recovery path, docs/security.md). Logging in under attack — the device tokens that let a
 * known device in whatever others try — is docs/security.md too; the throttling itself is the
 * login gate's (`server/login-gate.ts`).
 */

import {
  DEFAULT_REQUEST_RATE,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  type RequestRate,
  USERNAME_PATTERN,
} from '../domain/limits.ts';
import type { MemberRecord, PartyRole, Role, TokenRecord } from '../domain/records.ts';
import type { DeviceRecord, Tx } from '../store/ports.ts';
import { actingParty, fail, type Principal, requireRole } from './access.ts';
import type { Kernel } from './kernel.ts';
import {
  dummyPasswordHash,
  hashPassword,
  newDeviceToken,
  newToken,
  tokenHash,
  verifyPassword,
} from './secrets.ts';

const USERNAME = new RegExp(USERNAME_PATTERN);
/** The name after `<party>.`: no dot, so that a name's party is what comes before its last dot. */
const LOCAL_NAME = /^[A-Za-z0-9_@-]+$/;
const DAY = 86_400_000;
/** A session lasts a watch: 12 hours. */
export const DEFAULT_SESSION_TTL_MS = 12 * 3_600_000;
/**
 * A device stays known for 90 days after its last login: long enough that a console used once a
 * quarter is still known, short enough that a lost laptop's token dies on its own.
 */
export const DEVICE_TTL_MS = 90 * DAY;
/**
 * Known devices per member. Logging in from an eleventh place forgets the least recently used:
 * storage stays bounded however often a script logs in without its device token.
 */
export const MAX_DEVICES_PER_MEMBER = 10;

const checked = Symbol('checked');
/** A member whose password was checked ({@link Accounts.checkPassword}): only that makes one. */
export interface CheckedLogin {
  readonly [checked]: MemberRecord;
}

/**
 * What a login presents, as the login gate ranks it before any password is hashed: a valid
 * device token of the member it names, the name of an existing member, or neither.
 */
export type LoginClass =
  | { readonly kind: 'device'; readonly device: string }
  | { readonly kind: 'member' }
  | { readonly kind: 'unknown' };

export interface TokenInput {
  readonly name: string;
  /** Party roles the token carries (default operator). */
  readonly roles?: readonly PartyRole[];
  readonly ttl_days?: number;
  /**
   * The token's own request rate (a gateway submitting for a whole unit needs more than the
   * hub's default, a dashboard less): per second, and the burst (default twice that, within
   * the ceiling). Absent: the hub's default, whatever it is when the token is used.
   */
  readonly rate_limit?: { readonly per_second: number; readonly burst?: number };
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
    rate_limit: t.rate === null ? null : { per_second: t.rate.perSecond, burst: t.rate.burst },
  };
}

/**
 * The rate a party administrator asks for a token, checked against the operator's ceiling: a
 * value above it is refused (`rate_above_ceiling`, naming the ceiling), never lowered in
 * silence. Without a burst, twice the rate, as far as the ceiling allows.
 */
function tokenRate(asked: TokenInput['rate_limit'], ceiling: RequestRate): RequestRate | null {
  if (asked === undefined) return null;
  const whole = (n: number | undefined) => n === undefined || (Number.isInteger(n) && n >= 1);
  if (!whole(asked.per_second) || !whole(asked.burst))
    fail('invalid_request', 'rate_limit: per_second and burst are whole numbers from 1', 'rate_limit');
  const limit = `${ceiling.perSecond}/s, burst ${ceiling.burst}`;
  if (asked.per_second > ceiling.perSecond)
    fail(
      'rate_above_ceiling',
      `${asked.per_second}/s is above this hub's ceiling for a token (${limit}); its operator sets it`,
      'rate_limit.per_second',
    );
  if (asked.burst !== undefined && asked.burst > ceiling.burst)
    fail(
      'rate_above_ceiling',
      `a burst of ${asked.burst} is above this hub's ceiling for a token (${limit}); its operator sets it`,
      'rate_limit.burst',
    );
  return { perSecond: asked.per_second, burst: asked.burst ?? Math.min(2 * asked.per_second, ceiling.burst) };
}

/** A token's own rate as it applies now: a ceiling lowered since it was set lowers it too. */
const withinCeiling = (r: RequestRate | null, ceiling: RequestRate): RequestRate | null =>
  r === null
    ? null
    : { perSecond: Math.min(r.perSecond, ceiling.perSecond), burst: Math.min(r.burst, ceiling.burst) };

function memberView(m: MemberRecord) {
  return { username: m.username, party: m.party, roles: [...m.roles], disabled: m.disabled };
}

function deviceView(d: DeviceRecord) {
  return {
    id: d.id,
    created_at: new Date(d.created_at).toISOString(),
    last_used_at: new Date(d.last_used_at).toISOString(),
    expires_at: new Date(d.expires_at).toISOString(),
  };
}

/** Whether a party member holds the role that administers the party, and can use it. */
const activeAdmin = (m: MemberRecord): boolean => !m.disabled && m.roles.includes('party_admin');

/**
 * A party member's name is `<party>.<name>` with no dot in the name (`relief-agency.watch`).
 * Checked before anything is looked up, so that the answer never depends on whether the name
 * exists: a party can neither take nor probe a name of another.
 */
function checkPartyUsername(party: string, username: string, path: string): void {
  const prefix = `${party}.`;
  if (!username.startsWith(prefix) || !LOCAL_NAME.test(username.slice(prefix.length)))
    fail(
      'username_prefix',
      `a member of ${party} is named "${prefix}<name>", the name of letters, digits, "_", "-", "@" (no ".")`,
      path,
    );
}

export class Accounts {
  constructor(
    private readonly k: Kernel,
    private readonly sessionTtl_ms = DEFAULT_SESSION_TTL_MS,
    /** The most a token's own request rate may be (`serve --rate-limit-max`). */
    private readonly rateCeiling: RequestRate = DEFAULT_REQUEST_RATE,
  ) {
    // A token revoked or a member disabled through another instance (a shared store): the
    // streams this instance holds for them close at once, as they do for its own revocations.
    k.onFollow(async (_tx, entries) => {
      for (const e of entries) {
        if (e.type === 'token.revoked') k.revocations.publish({ tokenId: e.subject });
        else if (e.type === 'member.updated' && (e.payload as { disabled?: unknown }).disabled === true)
          k.revocations.publish({ username: e.subject });
      }
    });
  }

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
    at = '',
  ): Promise<MemberRecord> {
    if (!USERNAME.test(m.username))
      fail('invalid_request', 'username: letters, digits, ".", "_", "-", "@"; at most 64', `${at}username`);
    if (party !== null) checkPartyUsername(party, m.username, `${at}username`);
    if (m.password.length < MIN_PASSWORD_LENGTH || m.password.length > MAX_PASSWORD_LENGTH)
      fail('weak_password', `a password has at least ${MIN_PASSWORD_LENGTH} characters`, `${at}password`);
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

  /**
   * How the login gate ranks a login before hashing its password (cheap: two lookups by key).
   * A device token counts only for the member it was issued to, and only until it expires.
   */
  async loginClass(username: string, device: string | undefined): Promise<LoginClass> {
    const now = this.k.clock.now();
    return this.k.read(async (tx): Promise<LoginClass> => {
      if (device !== undefined) {
        const d = await tx.devices.getByHash(tokenHash(device));
        if (d !== null && d.username === username && d.expires_at > now)
          return { kind: 'device', device: d.id };
      }
      return (await tx.members.get(username)) === null ? { kind: 'unknown' } : { kind: 'member' };
    });
  }

  /**
   * Logging in is two halves, so that the login gate (`server/login-gate.ts`) holds a hashing
   * slot only for the first: the password check, then the session. The slow half, one scrypt:
   * the member a name and password are for, or `unauthorized` (the same for any wrong detail). An unknown name is hashed too (against a fixed hash), so that the time taken
   * does not tell whether the name exists. The login gate bounds how many run at once.
   */
  async checkPassword(username: string, password: string): Promise<CheckedLogin> {
    const m = await this.k.read((tx) => tx.members.get(username));
    const ok = await verifyPassword(password, m?.password_hash ?? (await dummyPasswordHash()));
    if (!m || !ok || m.disabled) fail('unauthorized', 'unknown username or wrong password');
    return { [checked]: m };
  }

  /**
   * The quick half: a session for a login whose password was checked. The answer carries the
   * device token to present next time: the one presented, if it is this member's and still valid
   * (its 90 days start again), or a new one.
   */
  async openSession(login: CheckedLogin, device?: string) {
    const m = login[checked];
    const t = newToken();
    const now = this.k.clock.now();
    const expires_at = now + this.sessionTtl_ms;
    const known = await this.k.write(async (tx) => {
      const known = await this.knownDevice(tx, m.username, device, now);
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
        rate: null,
      });
      await tx.ledger.append({
        at: now,
        actor: m.username,
        party: m.party,
        type: 'session.opened',
        subject: t.id,
        payload: { device: known.id, ...(known.dropped.length > 0 && { devices_dropped: known.dropped }) },
      });
      return { result: known };
    });
    return {
      token: t.secret,
      expires_at: new Date(expires_at).toISOString(),
      member: { username: m.username, party: m.party, roles: [...m.roles] },
      device: { id: known.id, token: known.secret, expires_at: new Date(known.expires_at).toISOString() },
    };
  }

  /**
   * The device a successful login comes from: the presented one, used again (its expiry moves
   * on), or a new one — dropping the member's expired devices and, past
   * {@link MAX_DEVICES_PER_MEMBER}, the least recently used.
   */
  private async knownDevice(tx: Tx, username: string, presented: string | undefined, now: number) {
    const expires_at = now + DEVICE_TTL_MS;
    if (presented !== undefined) {
      const d = await tx.devices.getByHash(tokenHash(presented));
      if (d !== null && d.username === username && d.expires_at > now) {
        await tx.devices.touch(d.id, now, expires_at);
        return { id: d.id, secret: presented, expires_at, dropped: [] as string[] };
      }
    }
    const mine = await tx.devices.listByUsername(username);
    const live = mine.filter((d) => d.expires_at > now);
    const dropped = [
      ...mine.filter((d) => d.expires_at <= now),
      ...live.slice(MAX_DEVICES_PER_MEMBER - 1),
    ].map((d) => d.id);
    for (const id of dropped) await tx.devices.delete(id);
    const d = newDeviceToken();
    await tx.devices.create({
      id: d.id,
      hash: d.hash,
      username,
      created_at: now,
      last_used_at: now,
      expires_at,
    });
    return { id: d.id, secret: d.secret, expires_at, dropped };
  }

  /** The caller's known devices (a member's own business: an API token has none). */
  async listDevices(p: Principal) {
    await this.requireSession(p);
    const now = this.k.clock.now();
    const list = await this.k.read((tx) => tx.devices.listByUsername(p.username));
    return list.filter((d) => d.expires_at > now).map(deviceView);
  }

  /**
   * Forget a known device: one's own, or (party_admin) one of a member of one's party. Another's
   * answers as one that does not exist.
   */
  async revokeDevice(p: Principal, id: string): Promise<void> {
    await this.requireSession(p);
    await this.k.write(async (tx) => {
      const d = await tx.devices.get(id);
      const owner = d === null ? null : await tx.members.get(d.username);
      const mine = d !== null && d.username === p.username;
      const admin =
        owner !== null && p.party !== null && owner.party === p.party && p.roles.includes('party_admin');
      if (!d || !(mine || admin)) fail('not_found', `no device ${id}`);
      await tx.devices.delete(id);
      await tx.ledger.append(this.k.entry(p, 'device.revoked', id, { username: d.username }));
      return { result: undefined };
    });
  }

  /** Devices belong to members logged in by password, never to a system's API token. */
  private async requireSession(p: Principal): Promise<void> {
    const t = await this.k.read((tx) => tx.tokens.get(p.tokenId));
    if (t?.kind !== 'session') fail('forbidden', 'devices are those of a member logged in by password');
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
    return {
      username: t.username,
      party: t.party,
      roles,
      tokenId: t.id,
      expiresAt: t.expires_at,
      rate: withinCeiling(t.rate, this.rateCeiling),
    };
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
    const rate = tokenRate(input.rate_limit, this.rateCeiling);
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
      rate,
    };
    await this.k.write(async (tx) => {
      await tx.tokens.create(record);
      const limit = rate === null ? {} : { rate_limit: { per_second: rate.perSecond, burst: rate.burst } };
      await tx.ledger.append(this.k.entry(p, 'token.created', t.id, { name: input.name, roles, ...limit }));
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
    const member = await this.newMember(id, { ...input.admin, roles: ['party_admin'] }, 'admin.');
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

  /**
   * A party administrator adds a member to its party. A hub administrator may add a party
   * administrator (that role alone) to any party: the recovery path for a party whose
   * administrators are gone (docs/security.md). The new member appears in the party's member list
   * and in the ledger, by the hub administrator's name.
   */
  async createMember(p: Principal, party: string, input: MemberInput) {
    const byHub = p.party === null && p.roles.includes('hub_admin');
    if (byHub) {
      if (input.roles.some((r) => r !== 'party_admin'))
        fail('forbidden', 'a hub administrator adds party administrators only', 'roles');
      if ((await this.k.read((tx) => tx.parties.get(party))) === null) fail('not_found', `no party ${party}`);
    } else {
      this.adminOf(p, party);
    }
    const record = await this.newMember(party, input);
    await this.k.write(async (tx) => {
      await this.insertMember(tx, p, record);
      return { result: undefined };
    });
    return memberView(record);
  }

  /**
   * The hub's operator, at the data directory (`deconflict admin create --party`): a party
   * administrator for a party, recorded in the ledger as done by the hub itself. For a hub whose
   * administrators cannot log in either.
   */
  async createPartyAdmin(party: string, username: string, password: string) {
    // The party is looked up before hashing (and again in the write, which is what counts).
    if ((await this.k.read((tx) => tx.parties.get(party))) === null)
      fail('not_found', `no party ${party}`, 'party');
    const record = await this.newMember(party, { username, password, roles: ['party_admin'] });
    await this.k.write(async (tx) => {
      if ((await tx.parties.get(party)) === null) fail('not_found', `no party ${party}`, 'party');
      await this.insertMember(tx, null, record);
      return { result: undefined };
    });
    return memberView(record);
  }

  /**
   * Change a member's roles or disable it (disabling revokes its tokens and forgets its devices).
   * A change that would leave the party without an active party administrator is refused: no one
   * of the party could then manage it (checked under the write lock, so two admins demoting each
   * other at once cannot both succeed).
   */
  async updateMember(p: Principal, party: string, username: string, input: MemberChangeInput) {
    this.adminOf(p, party);
    const view = await this.k.write(async (tx) => {
      const m = await tx.members.get(username);
      if (!m || m.party !== party) fail('not_found', `no member ${username} in ${party}`);
      const change = {
        ...(input.roles !== undefined && { roles: [...new Set(input.roles)] }),
        ...(input.disabled !== undefined && { disabled: input.disabled }),
      };
      if (activeAdmin(m) && !activeAdmin({ ...m, ...change })) {
        const others = (await tx.members.listByParty(party)).filter(
          (x) => x.username !== username && activeAdmin(x),
        );
        if (others.length === 0)
          fail(
            'last_admin',
            `${username} is the last active party administrator of ${party}: make another member party_admin first`,
            input.disabled === true ? 'disabled' : 'roles',
          );
      }
      await tx.members.update(username, change);
      if (input.disabled === true) {
        await tx.tokens.revokeAllOf(username, this.k.clock.now());
        await tx.devices.deleteAllOf(username);
      }
      await tx.ledger.append(this.k.entry(p, 'member.updated', username, change));
      return { result: memberView({ ...m, ...change }) };
    });
    if (input.disabled === true) this.k.revocations.publish({ username });
    return view;
  }
}
