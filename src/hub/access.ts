/**
 * Who is calling, and the checks every hub operation starts with. A failed check raises a coded
 * error; the HTTP edge maps it to a status.
 */

import type { RequestRate } from '../domain/limits.ts';
import type { Role } from '../domain/records.ts';
import { DeconflictError, type ErrorCode } from '../errors.ts';

/** Who is calling: resolved from a bearer token. */
export interface Principal {
  readonly username: string;
  readonly party: string | null;
  readonly roles: readonly Role[];
  readonly tokenId: string;
  /** When the token expires (epoch ms; null = never), for whatever holds it open. */
  readonly expiresAt?: number | null;
  /** The token's own request rate, within the hub's ceiling; null or absent: the hub's default. */
  readonly rate?: RequestRate | null;
}

export function fail(code: ErrorCode, message: string, path = ''): never {
  throw new DeconflictError([{ code, feature: null, path, message }]);
}

export function requireRole(p: Principal, ...roles: Role[]): void {
  if (!roles.some((r) => p.roles.includes(r))) {
    fail('forbidden', `this needs one of the roles ${roles.join(', ')}`);
  }
}

export function requireParty(p: Principal): string {
  if (p.party === null) fail('forbidden', 'hub administrators create parties and nothing else');
  return p.party;
}

/**
 * The caller's party, once it is known to hold one of `roles` (any role when none is given). The
 * check every party operation starts with.
 */
export function actingParty(p: Principal, ...roles: Role[]): string {
  if (roles.length > 0) requireRole(p, ...roles);
  return requireParty(p);
}

/**
 * A record of the caller's party, or `not_found`: a record of another party answers exactly as
 * one that does not exist, so ids cannot be probed across parties.
 */
export function ownRecord<T extends { readonly party: string | null }>(
  r: T | null | undefined,
  party: string,
  what: string,
  id: string,
  path = '',
): T {
  if (!r || r.party !== party) fail('not_found', `no ${what} ${id}`, path);
  return r;
}

/** Roles that acknowledge alerts and accept risks. */
export const ACK_ROLES: readonly Role[] = ['watch_officer', 'senior_officer', 'party_admin'];
