/**
 * Random declarations for property tests: small theatres (so conflicts are common) placed in
 * ordinary places, across the antimeridian and near the north pole. Geometries are built with
 * GeographicLib's direct problem, so they are valid by construction.
 */
import fc from 'fast-check';
import geographiclib from 'geographiclib-geodesic';
import type {
  AltitudeBand,
  Declaration,
  Geometry,
  Kind,
  Position,
  SiteCategory,
} from '../../src/engine/types.ts';
import { HOUR } from './time.ts';

const G = geographiclib.Geodesic.WGS84;

export function direct(p: Position, azi: number, s: number): Position {
  const r = G.Direct(p[1], p[0], azi, s);
  return [r.lon2 as number, r.lat2 as number];
}

export function geodesicDistance(p: Position, q: Position): number {
  return G.Inverse(p[1], p[0], q[1], q[0]).s12 as number;
}

/** Theatre centres: mid-latitudes, both sides of the antimeridian, high Arctic. */
export const CENTRES: readonly Position[] = [
  [20.45, 44.8],
  [179.97, -16.5],
  [-179.98, 65.2],
  [12, 88.6],
];

/** A convex polygon: n vertices at radius r around c, counter-clockwise. */
export function regularPolygon(c: Position, r: number, n: number, rot = 0): Position[] {
  const ring: Position[] = [];
  for (let i = 0; i < n; i++) ring.push(direct(c, rot - (360 * i) / n, r));
  ring.push(ring[0] as Position);
  return ring;
}

const T0 = Date.UTC(2026, 10, 23);

const arbOffset = (spread: number) =>
  fc.record({
    azi: fc.double({ min: 0, max: 360, noNaN: true }),
    s: fc.double({ min: 0, max: spread, noNaN: true }),
  });

function arbGeometry(kind: Kind, centre: Position, spread: number): fc.Arbitrary<Geometry> {
  const point = arbOffset(spread).map(({ azi, s }) => direct(centre, azi, s));
  const polygon = fc
    .record({
      c: point,
      r: fc.double({ min: 50, max: spread / 2, noNaN: true }),
      n: fc.integer({ min: 3, max: 7 }),
    })
    .map(({ c, r, n }): Geometry => ({ type: 'Polygon', coordinates: [regularPolygon(c, r, n)] }));
  const line = fc
    .record({ c: point, legs: fc.array(arbOffset(spread / 2), { minLength: 1, maxLength: 4 }) })
    .map(({ c, legs }): Geometry => {
      const coords: Position[] = [c];
      for (const l of legs)
        coords.push(direct(coords[coords.length - 1] as Position, l.azi, Math.max(20, l.s)));
      return { type: 'LineString', coordinates: coords };
    });
  const pt = point.map((p): Geometry => ({ type: 'Point', coordinates: p }));
  switch (kind) {
    case 'area_of_responsibility':
    case 'restricted_zone':
      return polygon;
    case 'protected_site':
    case 'strike':
      return fc.oneof(pt, polygon);
    case 'movement':
      return line;
    case 'air_operation':
      return fc.oneof(polygon, line);
  }
}

const arbBand: fc.Arbitrary<AltitudeBand> = fc
  .record({
    lower: fc.integer({ min: 0, max: 60 }).map((x) => x * 100),
    height: fc.integer({ min: 0, max: 30 }).map((x) => x * 100),
    reference: fc.constantFrom('AMSL' as const, 'AMSL' as const, 'AGL' as const),
  })
  .map(({ lower, height, reference }) => ({ lower_m: lower, upper_m: lower + height, reference }));

const KIND_LIST: Kind[] = [
  'area_of_responsibility',
  'protected_site',
  'movement',
  'air_operation',
  'strike',
  'restricted_zone',
];
const CATEGORY_LIST: SiteCategory[] = ['medical', 'school', 'humanitarian', 'other', 'own_forces'];

/** A random valid declaration with the given id, in the theatre around `centre`. */
export function arbDeclaration(id: string, centre: Position, spread = 20_000): fc.Arbitrary<Declaration> {
  return fc.constantFrom(...KIND_LIST).chain((kind) =>
    fc
      .record({
        geometry: arbGeometry(kind, centre, spread),
        party: fc.constantFrom('alpha', 'bravo', 'charlie'),
        startH: fc.integer({ min: 0, max: 48 }),
        lengthH: fc.option(fc.integer({ min: 1, max: 24 }), { freq: 4 }),
        buffer: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3000 })),
        band: arbBand,
        hasBand: fc.boolean(),
        category: fc.constantFrom(...CATEGORY_LIST),
        scheduled: fc.boolean(),
        appliesTo: fc.option(fc.subarray(['alpha', 'bravo', 'charlie'], { minLength: 1 }), { freq: 3 }),
      })
      .map((r): Declaration => {
        const start = T0 + r.startH * HOUR;
        const end = r.lengthH === null ? null : start + r.lengthH * HOUR;
        const d: Declaration = {
          id,
          kind,
          party: r.party,
          geometry: r.geometry,
          start,
          end,
          buffer_m: r.buffer,
          visibility: 'all',
        };
        const extra: Partial<Record<keyof Declaration, unknown>> = {};
        if (kind === 'air_operation' || (r.hasBand && (kind === 'strike' || kind === 'restricted_zone'))) {
          extra.altitude = r.band;
        }
        if (kind === 'protected_site') extra.category = r.category;
        if (kind === 'restricted_zone' && r.appliesTo !== null) extra.applies_to = r.appliesTo;
        if (kind === 'movement' && r.scheduled && r.geometry.type === 'LineString') {
          const n = r.geometry.coordinates.length;
          const last = end ?? start + 12 * HOUR;
          extra.schedule = Array.from({ length: n }, (_, i) => start + ((last - start) * i) / (n - 1));
        }
        return { ...d, ...extra } as Declaration;
      }),
  );
}

/** A random set of declarations in one theatre, with unique ids. */
export function arbDeclarationSet(maxSize: number): fc.Arbitrary<Declaration[]> {
  return fc
    .record({ centre: fc.constantFrom(...CENTRES), n: fc.integer({ min: 2, max: maxSize }) })
    .chain(({ centre, n }) =>
      fc.tuple(
        ...Array.from({ length: n }, (_, i) => arbDeclaration(`d${String(i).padStart(3, '0')}`, centre)),
      ),
    );
}
