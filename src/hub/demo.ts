/**
 * The demo: on an empty store, `deconflict serve --demo` creates the demo scenario's parties,
 * a few accounts per party and submits the scenario through the same path as any submission
 * (validation, ledger, live detection). Demo accounts only: their passwords are in the README.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PartyRole } from '../domain/records.ts';
import type { Hub, Principal } from './hub.ts';

export const DEMO_SCENARIO = fileURLToPath(new URL('../../scenarios/river-line.geojson', import.meta.url));

export const DEMO_PARTIES: readonly { id: string; name: string }[] = [
  { id: 'coalition', name: 'Coalition Joint Task Force' },
  { id: 'northern-forces', name: 'Northern Forces' },
  { id: 'relief-agency', name: 'Relief Agency' },
  { id: 'city-police', name: 'City Police' },
];

export const DEMO_HUB_ADMIN = { username: 'hub.admin', password: 'demo-hub-admin' };

/** The demo accounts of a party: `<party>.<role>` with password `demo-<party>`. */
export function demoAccounts(party: string): { username: string; password: string; roles: PartyRole[] }[] {
  const password = `demo-${party}`.padEnd(12, '!');
  return [
    { username: `${party}.operator`, password, roles: ['operator'] },
    { username: `${party}.watch`, password, roles: ['watch_officer'] },
    { username: `${party}.senior`, password, roles: ['senior_officer'] },
    { username: `${party}.admin`, password, roles: ['party_admin'] },
  ];
}

const DAY = 86_400_000;
/** The day the scenario's story begins (its times are written for 23–24 Nov 2026). */
const SCENARIO_DAY = Date.UTC(2026, 10, 23);

type Feature = { properties: Record<string, unknown> & { party: string } };

/** Shift every time of a feature by `dt` ms (whole days, so the story keeps its hours). */
function shiftFeature(f: Feature, dt: number): Feature {
  const shift = (v: unknown) => (typeof v === 'string' ? new Date(Date.parse(v) + dt).toISOString() : v);
  const p: Feature['properties'] = { ...f.properties, start: shift(f.properties.start) };
  if (p.end !== undefined) p.end = shift(p.end);
  if (Array.isArray(p.schedule)) p.schedule = p.schedule.map(shift);
  return { ...f, properties: p };
}

/**
 * Load the demo into an empty hub. Returns false (doing nothing) when the hub has parties.
 * The scenario is moved by whole days so that its story starts tomorrow (UTC): a demo started
 * on any day shows live conflicts, not expired ones.
 */
export async function loadDemo(hub: Hub, scenarioPath = DEMO_SCENARIO): Promise<boolean> {
  if ((await hub.store.read((tx) => tx.parties.list())).length > 0) return false;
  await hub.accounts.createHubAdmin(DEMO_HUB_ADMIN.username, DEMO_HUB_ADMIN.password);
  const hubAdmin: Principal = {
    username: DEMO_HUB_ADMIN.username,
    party: null,
    roles: ['hub_admin'],
    tokenId: 'demo',
  };
  const scenario = JSON.parse(readFileSync(scenarioPath, 'utf8')) as { features: Feature[] };
  const dt = Math.floor(hub.clock.now() / DAY) * DAY + DAY - SCENARIO_DAY;
  for (const party of DEMO_PARTIES) {
    const [first, ...rest] = demoAccounts(party.id);
    const admin = rest[rest.length - 1] as { username: string; password: string };
    await hub.accounts.createParty(hubAdmin, { id: party.id, name: party.name, admin });
    const partyAdmin: Principal = {
      username: admin.username,
      party: party.id,
      roles: ['party_admin'],
      tokenId: 'demo',
    };
    for (const m of [first, ...rest.slice(0, -1)]) {
      if (m) await hub.accounts.createMember(partyAdmin, party.id, m);
    }
    // On call from today 00:00Z for two weeks, so the demo's alerts reach someone by name.
    const today = Math.floor(hub.clock.now() / DAY) * DAY;
    for (const [role, who] of [
      ['watch_officer', 'watch'],
      ['senior_officer', 'senior'],
    ] as const) {
      await hub.desk.addShift(partyAdmin, {
        role,
        username: `${party.id}.${who}`,
        start: today,
        end: today + 14 * DAY,
      });
    }
    const features = scenario.features
      .filter((f) => f.properties.party === party.id)
      .map((f) => shiftFeature(f, dt));
    if (features.length > 0) {
      const operator: Principal = {
        username: `${party.id}.operator`,
        party: party.id,
        roles: ['operator'],
        tokenId: 'demo',
      };
      await hub.declarations.submit(operator, { type: 'FeatureCollection', features });
    }
  }
  return true;
}
