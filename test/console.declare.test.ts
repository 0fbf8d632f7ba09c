/**
 * The Declare panel's logic, free of the DOM (web/src/panels/declare): the geometry typed in its
 * position field, and the Feature its values make — or the problems, each at the hub's path of
 * the field it concerns, so that the panel shows it there.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Amending, type FormValues, featureOf } from '../web/src/panels/declare/feature.ts';
import { geometryWarning, typedGeometry } from '../web/src/panels/declare/geometry.ts';
import { fieldOf } from '../web/src/panels/declare/kinds.ts';

const POINT = { type: 'Point', coordinates: [21.304, 46.1535] };
const ROUTE = {
  type: 'LineString',
  coordinates: [
    [21.3, 46.1],
    [21.35, 46.12],
  ],
};

/** A strike at POINT from 1000Z to 1100Z on 7 December 2026, visible to all: valid as it is. */
function values(change: Partial<FormValues> = {}): FormValues {
  return {
    kind: 'strike',
    geometry: POINT,
    buffer: '150',
    start: '071000ZDEC26',
    end: '071100ZDEC26',
    lower: Number.NaN,
    upper: Number.NaN,
    reference: 'AMSL',
    category: '',
    groundOnly: false,
    visibleToAll: true,
    visibleTo: [],
    appliesTo: [],
    label: '  Depot strike  ',
    notes: '',
    ...change,
  };
}

/** The properties of the Feature made, failing if there were problems. */
function properties(v: FormValues, amending: Amending | null = null): Record<string, unknown> {
  const r = featureOf(v, 'coalition', amending);
  assert.ok('feature' in r, JSON.stringify(r));
  return (r.feature as { properties: Record<string, unknown> }).properties;
}

/** The problems found, as "path: message". */
function problems(v: FormValues): string[] {
  const r = featureOf(v, 'coalition', null);
  assert.ok('problems' in r, 'problems expected');
  return r.problems.map((p) => `${p.path}: ${p.message}`);
}

describe('the Declare panel: typed positions', () => {
  it('one position is a point, lat before lon as people write it', () => {
    assert.deepEqual(typedGeometry('46.1535, 21.304', 'strike'), POINT);
  });

  it('several are a polygon closed for the user, or a route for a movement', () => {
    assert.deepEqual(typedGeometry('46.1, 21.3; 46.2, 21.3; 46.2, 21.4', 'strike'), {
      type: 'Polygon',
      coordinates: [
        [
          [21.3, 46.1],
          [21.3, 46.2],
          [21.4, 46.2],
          [21.3, 46.1],
        ],
      ],
    });
    assert.deepEqual(typedGeometry('46.1, 21.3; 46.12, 21.35', 'movement'), ROUTE);
  });

  it('a restricted zone: a point (a circle with its buffer), two a corridor, three or more an area', () => {
    assert.deepEqual(typedGeometry('46.1535, 21.304', 'restricted_zone'), POINT);
    assert.deepEqual(typedGeometry('46.1, 21.3; 46.12, 21.35', 'restricted_zone'), ROUTE);
    assert.equal(
      (typedGeometry('46.1, 21.3; 46.2, 21.3; 46.2, 21.4', 'restricted_zone') as { type: string }).type,
      'Polygon',
    );
    assert.equal(geometryWarning(ROUTE, 'restricted_zone'), '');
    assert.equal(geometryWarning(POINT, 'restricted_zone'), '');
  });

  it('says why positions are not a geometry of the kind, naming the position that cannot be read', () => {
    assert.match(typedGeometry('', 'strike') as string, /^Type a position/);
    assert.match(typedGeometry('46.1, 21.3', 'movement') as string, /^a movement is a LineString/);
    assert.equal(
      typedGeometry('46.1, 21.3; 46.2, 21.3', 'area_of_responsibility'),
      'a polygon needs at least three distinct corners',
    );
    assert.match(
      typedGeometry('46.1, 21.3; nonsense', 'movement') as string,
      /^Position 2: cannot read "nonsense"/,
    );
  });

  it('warns when the geometry does not fit the kind (a MultiPolygon fits where a Polygon does)', () => {
    assert.equal(geometryWarning(POINT, 'strike'), '');
    assert.equal(geometryWarning({ type: 'MultiPolygon', coordinates: [] }, 'restricted_zone'), '');
    assert.match(geometryWarning(POINT, 'movement'), /^A movement is a LineString, not a Point/);
  });
});

describe('the Declare panel: the Feature', () => {
  it('a valid form: ISO times, the buffer in metres, the label trimmed, nothing empty sent', () => {
    assert.deepEqual(properties(values()), {
      kind: 'strike',
      buffer_m: 150,
      start: '2026-12-07T10:00:00.000Z',
      end: '2026-12-07T11:00:00.000Z',
      label: 'Depot strike',
    });
  });

  it('each problem at the path of its field, all at once', () => {
    const found = problems(values({ geometry: null, buffer: '-1', start: '', end: 'soon' }));
    assert.deepEqual(
      found.map((p) => p.slice(0, p.indexOf(': '))),
      ['geometry', 'properties.buffer_m', 'properties.start', 'properties.end'],
    );
    assert.equal(found[1], 'properties.buffer_m: The buffer is metres, 0 or more.');
    assert.equal(found[2], 'properties.start: start is required (DTG like 231000ZNOV26, or ISO UTC).');
    assert.ok((found[3]?.length ?? 0) > 'properties.end: '.length, 'the reason "soon" is not a time');
    assert.deepEqual(problems(values({ end: '070900ZDEC26' })), [
      'properties.end: end 070900ZDEC26 is not after start 071000ZDEC26',
    ]);
  });

  it('an altitude band needs both bounds, and only kinds that have one send it', () => {
    assert.deepEqual(problems(values({ lower: 0 })), [
      'properties.altitude: Give both the floor and the ceiling, in metres.',
    ]);
    assert.deepEqual(properties(values({ lower: 0, upper: 1500, reference: 'AGL' })).altitude, {
      lower_m: 0,
      upper_m: 1500,
      reference: 'AGL',
    });
    assert.equal(properties(values({ kind: 'protected_site', lower: 0 })).altitude, undefined);
  });

  it('visibility: all parties, those ticked, or only our own when none is ticked', () => {
    assert.equal(properties(values()).visibility, undefined);
    assert.deepEqual(properties(values({ visibleToAll: false, visibleTo: ['city-police'] })).visibility, [
      'city-police',
    ]);
    assert.deepEqual(properties(values({ visibleToAll: false })).visibility, ['coalition']);
  });

  it('a category only for a protected site, applies-to only for a restricted zone', () => {
    assert.equal(properties(values({ category: 'medical' })).category, undefined);
    assert.equal(properties(values({ kind: 'protected_site', category: 'medical' })).category, 'medical');
    assert.equal(properties(values({ appliesTo: ['city-police'] })).applies_to, undefined);
    const zone = properties(values({ kind: 'restricted_zone', appliesTo: ['city-police'] }));
    assert.deepEqual(zone.applies_to, ['city-police']);
  });

  it('ground only only for an area of responsibility, and only when ticked', () => {
    const area = { kind: 'area_of_responsibility' as const };
    assert.equal(properties(values({ ...area, groundOnly: true })).ground_only, true);
    assert.equal(properties(values({ ...area, groundOnly: false })).ground_only, undefined);
    assert.equal(properties(values({ kind: 'strike', groundOnly: true })).ground_only, undefined);
  });

  it('amending carries over what the form does not edit; a schedule only while the route is unchanged', () => {
    const amending: Amending = {
      id: 'coalition:convoy',
      version: 2,
      keep: { schedule: ['2026-12-07T10:00:00Z', '2026-12-07T10:30:00Z'], notify: ['relief-agency'] },
      geometryJson: JSON.stringify(ROUTE),
    };
    const same = properties(values({ kind: 'movement', geometry: ROUTE }), amending);
    assert.deepEqual(same.schedule, amending.keep.schedule);
    assert.deepEqual(same.notify, ['relief-agency']);
    const moved = {
      ...ROUTE,
      coordinates: [
        [21.3, 46.1],
        [21.36, 46.13],
      ],
    };
    const rerouted = properties(values({ kind: 'movement', geometry: moved }), amending);
    assert.equal(rerouted.schedule, undefined);
    assert.deepEqual(rerouted.notify, ['relief-agency']);
  });

  it('a hub error path names the field it shows at, or none', () => {
    assert.equal(fieldOf('geometry.coordinates[0]'), 'geometry');
    assert.equal(fieldOf('properties.end'), 'end');
    assert.equal(fieldOf('properties.altitude.upper_m'), 'altitude');
    assert.equal(fieldOf('properties.schedule'), null);
    assert.equal(fieldOf(''), null);
  });
});
