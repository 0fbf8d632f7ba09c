/**
 * The accounts a single-party benchmark needs, made in-process: a hub admin, one party with its
 * administrator, and an operator API token for the HTTP client (as a party's system has one).
 */
import type { Hub, Principal } from '../src/hub/hub.ts';

export interface BenchParty {
  /** The party administrator, for calls made in-process. */
  readonly admin: Principal;
  /** An operator API token, for calls over HTTP. */
  readonly token: string;
}

export async function benchParty(hub: Hub, party: string, name: string): Promise<BenchParty> {
  await hub.accounts.createHubAdmin('bench.admin', 'bench-admin-passphrase');
  const hubAdmin: Principal = {
    username: 'bench.admin',
    party: null,
    roles: ['hub_admin'],
    tokenId: 'bench',
  };
  const admin = { username: `${party}.admin`, password: `bench-${party}-passphrase` };
  await hub.accounts.createParty(hubAdmin, { id: party, name, admin });
  const principal: Principal = { username: admin.username, party, roles: ['party_admin'], tokenId: 'bench' };
  const { token } = await hub.accounts.createApiToken(principal, { name: 'bench', roles: ['operator'] });
  return { admin: principal, token };
}
