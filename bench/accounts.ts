/**
 * The accounts a benchmark needs, made in-process: a hub admin, parties with their administrators,
 * and operator API tokens for the HTTP clients (as a party's system has them).
 */
import type { Hub, Principal } from '../src/hub/hub.ts';

export interface BenchParty {
  /** The party administrator, for calls made in-process. */
  readonly admin: Principal;
  /** An operator API token, for calls over HTTP. */
  readonly token: string;
}

/** The hub's administrator, made in-process, and its principal. */
export async function benchHubAdmin(hub: Hub): Promise<Principal> {
  await hub.accounts.createHubAdmin('bench.admin', 'bench-admin-passphrase');
  return { username: 'bench.admin', party: null, roles: ['hub_admin'], tokenId: 'bench' };
}

/** A party and its administrator (`<party>.admin`), made by the hub admin; the admin's principal. */
export async function benchPartyAdmin(
  hub: Hub,
  hubAdmin: Principal,
  party: string,
  name: string,
): Promise<Principal> {
  const admin = { username: `${party}.admin`, password: `bench-${party}-passphrase` };
  await hub.accounts.createParty(hubAdmin, { id: party, name, admin });
  return { username: admin.username, party, roles: ['party_admin'], tokenId: 'bench' };
}

export async function benchParty(hub: Hub, party: string, name: string): Promise<BenchParty> {
  const principal = await benchPartyAdmin(hub, await benchHubAdmin(hub), party, name);
  const { token } = await hub.accounts.createApiToken(principal, { name: 'bench', roles: ['operator'] });
  return { admin: principal, token };
}
