/**
 * The hub benchmarks' synthetic theatre: a 5° × 5° box (30°E–35°E × 45°N–50°N) where three forces
 * declare everything and three agencies declare sites, the mix of a preloaded hub, the one
 * declaration a load client sends per request, and the accounts and client specs that go with
 * them. One definition, so that the hub benchmark (one process, SQLite) and the instances
 * benchmark (several processes, PostgreSQL) measure the same work.
 */
import { formatIsoUtc } from '../src/engine/index.ts';
import type { Position } from '../src/engine/types.ts';
import type { Hub, Principal } from '../src/hub/hub.ts';
import { benchHubAdmin, benchPartyAdmin } from './accounts.ts';
import {
  altitudeBand,
  category,
  DAY,
  HOUR,
  intIn,
  msSince,
  mulberry32,
  now,
  pick,
  type Rng,
  roundForJson,
  roundMinute,
  scheduleFor,
  shapesIn,
  uniform,
  WEEK,
} from './support.ts';

/** The theatre: a 5° × 5° box, 30°E–35°E × 45°N–50°N (about 200,000 km²). */
export const LON0 = 30;
export const LAT0 = 45;
export const SPAN = 5;

/** Parties that declare operations (and sites of their own), and those that declare sites only. */
export const FORCES = ['blue', 'red', 'green'] as const;
export const AGENCIES = ['un-ocha', 'icrc', 'msf'] as const;
export const PARTIES: readonly string[] = [...FORCES, ...AGENCIES];

const iso = (t: number): string => formatIsoUtc(roundMinute(t));

/** Sent as JSON, so rounded to 6 decimals. */
const { randomPoint, starRing, route } = shapesIn({
  lon0: LON0,
  lat0: LAT0,
  span: SPAN,
  finish: roundForJson,
});

/** One ETA per vertex (whole seconds), proportional to the planar leg lengths, inside [start, end]. */
const isoSchedule = (coords: readonly Position[], start: number, end: number): string[] =>
  scheduleFor(coords, start, end).map(formatIsoUtc);

export interface Feature {
  type: 'Feature';
  geometry: { type: string; coordinates: unknown };
  properties: Record<string, unknown>;
}
const feature = (geometry: Feature['geometry'], properties: Record<string, unknown>): Feature => ({
  type: 'Feature',
  geometry,
  properties,
});

/**
 * Every window ends in the future relative to `t0` (the hub expires ended windows): sites began
 * up to 30 days ago and are open-ended (70 %) or end in 3–8 weeks; operations start within the
 * next 4 weeks.
 */
export function sitePoint(rng: Rng, t0: number): Feature {
  const end = rng() < 0.7 ? undefined : iso(t0 + uniform(rng, 3, 8) * WEEK);
  return feature(
    { type: 'Point', coordinates: randomPoint(rng) },
    {
      kind: 'protected_site',
      start: iso(t0 - rng() * 30 * DAY),
      ...(end !== undefined && { end }),
      buffer_m: Math.round(rng() * 300),
      category: category(rng),
    },
  );
}

function sitePolygon(rng: Rng, t0: number): Feature {
  const ring = starRing(rng, randomPoint(rng), uniform(rng, 50, 400), intIn(rng, 4, 7));
  return feature(
    { type: 'Polygon', coordinates: [ring] },
    { kind: 'protected_site', start: iso(t0 - rng() * 30 * DAY), buffer_m: 0, category: category(rng) },
  );
}

/** A strike: a point with a 100–1,000 m buffer (15 % a target area); 0.5–6 h within 4 weeks. */
export function strike(rng: Rng, t0: number, polygonShare = 0.15): Feature {
  const start = roundMinute(t0 + HOUR + rng() * 4 * WEEK);
  const props: Record<string, unknown> = {
    kind: 'strike',
    start: iso(start),
    end: iso(start + uniform(rng, 0.5, 6) * HOUR),
    buffer_m: Math.round(uniform(rng, 100, 1000)),
  };
  if (rng() < 0.2) props.altitude = { lower_m: 0, upper_m: intIn(rng, 10, 120) * 100, reference: 'AMSL' };
  const c = randomPoint(rng);
  if (rng() < polygonShare) {
    const ring = starRing(rng, c, uniform(rng, 200, 1500), intIn(rng, 4, 6));
    return feature({ type: 'Polygon', coordinates: [ring] }, props);
  }
  return feature({ type: 'Point', coordinates: c }, props);
}

/** A movement: a route of 3–8 vertices, legs 1–15 km, 2–48 h; half carry a schedule. */
function movement(rng: Rng, t0: number): Feature {
  const coords = route(rng, randomPoint(rng), intIn(rng, 3, 8), 1000, 15_000);
  const start = roundMinute(t0 + rng() * 4 * WEEK);
  const end = start + roundMinute(uniform(rng, 2, 48) * HOUR);
  const props: Record<string, unknown> = {
    kind: 'movement',
    start: iso(start),
    end: iso(end),
    buffer_m: Math.round(uniform(rng, 20, 300)),
  };
  if (rng() < 0.5) props.schedule = isoSchedule(coords, start, end);
  return feature({ type: 'LineString', coordinates: coords }, props);
}

/** An air operation: an area (3–25 km) or a corridor (2–4 vertices, legs 10–80 km); 1–8 h. */
function airOperation(rng: Rng, t0: number): Feature {
  const start = roundMinute(t0 + rng() * 4 * WEEK);
  const altitude = altitudeBand(rng);
  const props = { kind: 'air_operation', start: iso(start), end: iso(start + uniform(rng, 1, 8) * HOUR) };
  const c = randomPoint(rng);
  if (rng() < 0.4) {
    return feature(
      { type: 'LineString', coordinates: route(rng, c, intIn(rng, 2, 4), 10_000, 80_000) },
      { ...props, buffer_m: Math.round(uniform(rng, 1000, 5000)), altitude },
    );
  }
  const ring = starRing(rng, c, uniform(rng, 3000, 25_000), intIn(rng, 5, 8));
  return feature(
    { type: 'Polygon', coordinates: [ring] },
    { ...props, buffer_m: Math.round(uniform(rng, 0, 1000)), altitude },
  );
}

type Generator = (rng: Rng, t0: number) => Feature;
/** The mix of the preloaded set. Agencies declare sites only; forces declare everything. */
export const MIX: readonly (readonly [string, number, Generator, boolean])[] = [
  ['protected_site Point (buffer 0–300 m)', 0.8, sitePoint, true],
  ['protected_site Polygon (50–400 m)', 0.03, sitePolygon, true],
  ['strike (85 % Point 100–1,000 m, 15 % Polygon; 0.5–6 h)', 0.07, (r, t) => strike(r, t), false],
  ['movement LineString 3–8 vertices (½ scheduled)', 0.06, movement, false],
  ['air_operation Polygon / corridor + altitude band', 0.04, airOperation, false],
];

/**
 * One batch of `n` features for one party: the party is drawn first (agencies declare half of
 * the sites), then the features from the mix that party declares.
 */
export function batch(rng: Rng, t0: number, n: number): { party: string; features: Feature[] } {
  const agency = rng() < 0.83 * 0.5;
  const party = agency ? pick(rng, AGENCIES) : pick(rng, FORCES);
  const mix = agency ? MIX.filter((m) => m[3]) : MIX;
  // Forces carry all the operations: scale their weights so the overall mix matches MIX.
  const total = mix.reduce((s, m) => s + m[1] * (agency || m[3] ? 1 : 2), 0);
  const features: Feature[] = new Array(n);
  for (let i = 0; i < n; i++) {
    let x = rng() * total;
    let gen = (mix[0] as (typeof MIX)[number])[2];
    for (const [, w, g, site] of mix) {
      gen = g;
      x -= w * (agency || site ? 1 : 2);
      if (x < 0) break;
    }
    features[i] = gen(rng, t0);
  }
  return { party, features };
}

export const operator = (party: string): Principal => ({
  username: `${party}.operator`,
  party,
  roles: ['operator'],
  tokenId: 'bench',
});

/** Declarations per FeatureCollection of a preload. */
export const BATCH = 1000;
/** Keep-alive load clients. */
export const CLIENTS = 16;

/** One party's client: its API token, and what it submits. */
export interface ClientSpec {
  readonly party: string;
  readonly token: string;
  /** Agencies submit sites only; forces submit strikes (80 %) and sites (20 %). */
  readonly strikes: boolean;
}

/** One new declaration as a client sends it: a strike Point (100–1,000 m), or a small site. */
export function clientFeature(rng: Rng, strikes: boolean): Feature {
  const t0 = Date.now();
  if (strikes && rng() < 0.8) return strike(rng, t0, 0);
  return sitePoint(rng, t0);
}

export interface PreloadResult {
  ms: number;
  conflicts: number;
  batchMs: Float64Array;
}

/** Preload through Hub.submit, FeatureCollections of BATCH features, one party per batch. */
export async function preload(hub: Hub, n: number, seed: number, t0: number): Promise<PreloadResult> {
  const rng = mulberry32(seed);
  const batchMs = new Float64Array(Math.ceil(n / BATCH));
  let conflicts = 0;
  const w0 = now();
  for (let i = 0; i < n; i += BATCH) {
    const { party, features } = batch(rng, t0, Math.min(BATCH, n - i));
    const t = now();
    const r = await hub.declarations.submit(operator(party), { type: 'FeatureCollection', features });
    batchMs[i / BATCH] = msSince(t);
    conflicts += r.conflicts.length;
  }
  return { ms: msSince(w0), conflicts, batchMs };
}

/**
 * Accounts: a hub admin, the parties, an operator member per party (whose principal the preload
 * uses) and an API token per party for the HTTP clients, as a party's system has.
 */
export async function benchAccounts(hub: Hub): Promise<Map<string, string>> {
  const hubAdmin = await benchHubAdmin(hub);
  const tokens = new Map<string, string>();
  for (const party of PARTIES) {
    const partyAdmin = await benchPartyAdmin(hub, hubAdmin, party, `Party ${party}`);
    await hub.accounts.createMember(partyAdmin, party, {
      username: `${party}.operator`,
      password: `bench-${party}-passphrase`,
      roles: ['operator'],
    });
    const t = await hub.accounts.createApiToken(partyAdmin, { name: 'bench load', roles: ['operator'] });
    tokens.set(party, t.token);
  }
  return tokens;
}

/** The 16 clients (CLIENTS): four per force (strikes and sites), and the agencies' (sites), one token per party. */
export function clientSpecs(tokens: ReadonlyMap<string, string>): ClientSpec[] {
  const clients: ClientSpec[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const party = PARTIES[i % 4 === 3 ? 3 + ((i >> 2) % 3) : i % 4] as string;
    clients.push({
      party,
      token: tokens.get(party) as string,
      strikes: (FORCES as readonly string[]).includes(party),
    });
  }
  return clients;
}
