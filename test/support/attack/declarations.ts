/**
 * Valid declarations for the fuzzer. The declarations body is parsed by the engine, and its schema
 * says only "GeoJSON" (`coordinates` is any array), so a generator from the schema alone would
 * almost never get past the parser; these are built with GeographicLib (valid by construction)
 * and then mutated like any other body.
 *
 * Placement keeps the hub's work bounded over a million inputs: most land anywhere on the globe
 * and anywhere in a year (conflicts among them are rare), a tenth in the demo's theatre on the
 * demo's days (conflicts with the demo, alerts to acknowledge), so detection, alerts and the
 * ledger all run without the number of conflicts growing with the square of the submissions.
 */
import fc from 'fast-check';
import type { Position } from '../../../src/engine/types.ts';
import { direct, regularPolygon } from '../arbitraries.ts';
import { type J, Obj } from './json.ts';
import { fromPool, type World } from './values.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const KINDS = [
  'strike',
  'protected_site',
  'movement',
  'air_operation',
  'area_of_responsibility',
  'restricted_zone',
] as const;

/** The demo theatre (scenarios/river-line.geojson): 21.18–21.68 E, 45.9–46.4 N. */
const DEMO_CENTRE: Position = [21.43, 46.15];

const centre: fc.Arbitrary<{ at: Position; demo: boolean }> = fc.oneof(
  {
    weight: 9,
    arbitrary: fc
      .tuple(
        fc.double({ min: -179.9, max: 179.9, noNaN: true }),
        fc.double({ min: -70, max: 70, noNaN: true }),
      )
      .map(([lon, lat]) => ({ at: [lon, lat] as Position, demo: false })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.double({ min: 0, max: 360, noNaN: true }), fc.double({ min: 0, max: 25_000, noNaN: true }))
      .map(([azi, s]) => ({ at: direct(DEMO_CENTRE, azi, s), demo: true })),
  },
);

const round = (p: Position): J => [Math.round(p[0] * 1e7) / 1e7, Math.round(p[1] * 1e7) / 1e7];

/** A line of 2–5 vertices, each leg 200 m – 5 km. */
const line = (c: Position) =>
  fc
    .array(
      fc.tuple(
        fc.double({ min: 0, max: 360, noNaN: true }),
        fc.double({ min: 200, max: 5_000, noNaN: true }),
      ),
      {
        minLength: 1,
        maxLength: 4,
      },
    )
    .map((legs) => {
      const pts: Position[] = [c];
      for (const [azi, s] of legs) pts.push(direct(pts[pts.length - 1] as Position, azi, s));
      return pts;
    });

/** One valid declaration (a GeoJSON Feature) of a random kind. */
export function declarationFeature(world: World): fc.Arbitrary<Obj> {
  return fc
    .record({
      kind: fc.constantFrom(...KINDS),
      c: centre,
      r: fc.double({ min: 100, max: 3_000, noNaN: true }),
      n: fc.integer({ min: 3, max: 8 }),
      hourOffset: fc.integer({ min: 0, max: 365 * 24 }),
      hours: fc.integer({ min: 1, max: 6 }),
      openEnded: fc.boolean(),
      id: fc.oneof(
        fc.stringMatching(/^fz-[a-z0-9]{1,12}$/),
        fromPool(world, 'declarations', 'fz-none').map((id) => id.slice(id.indexOf(':') + 1)),
      ),
      buffer: fc.option(fc.integer({ min: 0, max: 2_000 }), { freq: 2 }),
      label: fc.option(fc.string({ maxLength: 40 }), { freq: 2 }),
      category: fc.constantFrom('medical', 'school', 'religious', 'cultural', 'humanitarian', 'other'),
      notify: fc.option(fc.subarray([...world.parties], { maxLength: 2 }), { freq: 4 }),
      visibility: fc.option(fc.constantFrom<J>('all', 'sealed', [], [...world.parties.slice(0, 2)]), {
        freq: 4,
      }),
      legs: fc.integer({ min: 0, max: 1_000 }),
    })
    .chain((d) =>
      (d.kind === 'movement' || d.kind === 'air_operation' ? line(d.c.at) : fc.constant([d.c.at])).map(
        (pts) => {
          const start = d.c.demo
            ? DAY + (d.hourOffset % 48) * HOUR // the demo's story: tomorrow and the day after
            : d.hourOffset * HOUR;
          const t0 = Math.floor(world.t0 / HOUR) * HOUR + start;
          const end = d.openEnded && (d.kind === 'protected_site' || d.kind === 'area_of_responsibility');
          const props: [string, J][] = [
            ['id', d.id],
            ['kind', d.kind],
            ['start', new Date(t0).toISOString()],
            ['end', end ? null : new Date(t0 + d.hours * HOUR).toISOString()],
          ];
          let geometry: J;
          switch (d.kind) {
            case 'strike':
            case 'protected_site':
              geometry = new Obj([
                ['type', 'Point'],
                ['coordinates', round(d.c.at)],
              ]);
              props.push(['buffer_m', d.buffer ?? 100]);
              if (d.kind === 'protected_site') props.push(['category', d.category]);
              break;
            case 'movement':
            case 'air_operation':
              geometry = new Obj([
                ['type', 'LineString'],
                ['coordinates', pts.map(round)],
              ]);
              props.push(['buffer_m', d.buffer ?? 500]);
              if (d.kind === 'air_operation')
                props.push([
                  'altitude',
                  new Obj([
                    ['lower_m', 1_000],
                    ['upper_m', 3_000 + (d.legs % 5) * 1_000],
                    ['reference', d.legs % 2 === 0 ? 'AMSL' : 'AGL'],
                  ]),
                ]);
              break;
            default:
              geometry = new Obj([
                ['type', 'Polygon'],
                ['coordinates', [regularPolygon(d.c.at, d.r, d.n).map(round)]],
              ]);
              if (d.kind === 'restricted_zone') props.push(['applies_to', [...world.parties.slice(1, 3)]]);
          }
          if (d.label !== null) props.push(['label', d.label]);
          if (d.notify !== null) props.push(['notify', d.notify]);
          if (d.visibility !== null) props.push(['visibility', d.visibility]);
          return new Obj([
            ['type', 'Feature'],
            ['geometry', geometry],
            ['properties', new Obj(props)],
          ]);
        },
      ),
    );
}

/** A submission: one Feature, or a FeatureCollection of a few. */
export function declarationBody(world: World): fc.Arbitrary<J> {
  const feature = declarationFeature(world);
  return fc.oneof(
    { weight: 3, arbitrary: feature },
    {
      weight: 1,
      arbitrary: fc.array(feature, { minLength: 1, maxLength: 4 }).map(
        (features) =>
          new Obj([
            ['type', 'FeatureCollection'],
            ['features', features],
          ]),
      ),
    },
  );
}
