/**
 * Who is calling, and the checks every hub operation starts with. A failed check raises a coded
 * error; the HTTP edge maps it to a status.
 */

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
