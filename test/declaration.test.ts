/**
 * Declaration parsing: every rule of docs/design.md §3 enforced with a coded error naming the feature
 * and the property; a collection with one bad feature rejected whole; nothing repaired.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseDeclarations } from '../src/engine/declaration.ts';
import { DeconflictError, ERROR_CODES, type ErrorCode } from '../src/errors.ts';

type Feature = {
  type: 'Feature';
  geometry: Record<string, unknown> | null;
  properties: Record<string, unknown>;
};

const strike = (): Feature => ({
  type: 'Feature',
  geometry: { type: 'Point', coordinates: [20.45, 44.8] },
  properties: {
    id: 'strike-1',
    kind: 'strike',
    party: 'alpha',
    start: '2026-11-23T06:00:00Z',
    end: '2026-11-23T08:00:00Z',
    buffer_m: 300,
  },
});

const square: number[][] = [
  [20, 45],
  [20.1, 45],
  [20.1, 45.1],
  [20, 45.1],
  [20, 45],
];

const aor = (): Feature => ({
  type: 'Feature',
  geometry: { type: 'Polygon', coordinates: [square] },
  properties: { id: 'aor-1', kind: 'area_of_responsibility', party: 'alpha', start: '2026-11-01T00:00:00Z' },
});

const route = (): Feature => ({
  type: 'Feature',
  geometry: {
    type: 'LineString',
    coordinates: [
      [20, 45],
      [20.05, 45.02],
      [20.1, 45.03],
    ],
  },
  properties: {
    id: 'convoy-1',
    kind: 'movement',
    party: 'relief',
    start: '2026-11-23T06:00:00Z',
    end: '2026-11-23T12:00:00Z',
    schedule: ['2026-11-23T06:00:00Z', '2026-11-23T07:00:00Z', '2026-11-23T08:00:00Z'],
  },
});

const air = (): Feature => ({
  type: 'Feature',
  geometry: { type: 'Polygon', coordinates: [square] },
  properties: {
    id: 'cap-1',
    kind: 'air_operation',
    party: 'alpha',
    start: '2026-11-23T06:00:00Z',
    altitude: { lower_m: 6000, upper_m: 9000, reference: 'AMSL' },
  },
});

/** A restricted zone along a road: a LineString widened by its buffer. */
const corridor = (): Feature => ({
  type: 'Feature',
  geometry: {
    type: 'LineString',
    coordinates: [
      [20, 45],
      [20.05, 45.02],
      [20.1, 45.03],
    ],
  },
  properties: {
    id: 'road-1',
    kind: 'restricted_zone',
    party: 'alpha',
    start: '2026-11-23T06:00:00Z',
    buffer_m: 250,
  },
});

const collection = (...features: unknown[]) => ({ type: 'FeatureCollection', features });

function errorsOf(input: unknown, options = {}): DeconflictError {
  try {
    parseDeclarations(input, options);
  } catch (err) {
    if (err instanceof DeconflictError) return err;
    throw err;
  }
  assert.fail('expected a DeconflictError');
}

interface Case {
  readonly name: string;
  readonly input: unknown;
  readonly code: ErrorCode;
  readonly path: string;
  readonly options?: Parameters<typeof parseDeclarations>[1];
}

function edit(f: Feature, change: (f: Feature) => void): Feature {
  const copy = structuredClone(f);
  change(copy);
  return copy;
}

const CASES: Case[] = [
  { name: 'not a collection', input: [1, 2], code: 'not_feature_collection', path: '' },
  { name: 'entry not a feature', input: collection({ type: 'Point' }), code: 'not_feature', path: '' },
  {
    name: 'no kind',
    input: collection(edit(strike(), (f) => delete f.properties.kind)),
    code: 'missing_property',
    path: 'properties.kind',
  },
  {
    name: 'unknown kind',
    input: collection(edit(strike(), (f) => (f.properties.kind = 'airstrike'))),
    code: 'unknown_kind',
    path: 'properties.kind',
  },
  {
    name: 'misspelt property',
    input: collection(edit(strike(), (f) => (f.properties.buffer = 300))),
    code: 'unknown_property',
    path: 'properties.buffer',
  },
  {
    name: 'negative buffer',
    input: collection(edit(strike(), (f) => (f.properties.buffer_m = -1))),
    code: 'invalid_property',
    path: 'properties.buffer_m',
  },
  {
    name: 'wrong geometry for the kind',
    input: collection(
      edit(
        strike(),
        (f) =>
          (f.geometry = {
            type: 'LineString',
            coordinates: [
              [20, 45],
              [20.1, 45],
            ],
          }),
      ),
    ),
    code: 'wrong_geometry_for_kind',
    path: 'geometry.type',
  },
  {
    name: 'geometry type not used',
    input: collection(edit(strike(), (f) => (f.geometry = { type: 'MultiPoint', coordinates: [[20, 45]] }))),
    code: 'invalid_geometry',
    path: 'geometry.type',
  },
  {
    name: 'a height in the position',
    input: collection(edit(strike(), (f) => (f.geometry = { type: 'Point', coordinates: [20, 45, 100] }))),
    code: 'invalid_geometry',
    path: 'geometry.coordinates',
  },
  {
    name: 'latitude out of range',
    input: collection(edit(strike(), (f) => (f.geometry = { type: 'Point', coordinates: [20, 91] }))),
    code: 'coordinate_out_of_range',
    path: 'geometry.coordinates',
  },
  {
    name: 'longitude out of range',
    input: collection(
      edit(
        aor(),
        (f) =>
          (((f.geometry as { coordinates: number[][][] }).coordinates[0] as number[][])[1] = [180.5, 45]),
      ),
    ),
    code: 'coordinate_out_of_range',
    path: 'geometry.coordinates[0][1]',
  },
  {
    name: 'unclosed ring',
    input: collection(
      edit(
        aor(),
        (f) => (f.geometry = { type: 'Polygon', coordinates: [square.slice(0, 4).concat([[20, 45.05]])] }),
      ),
    ),
    code: 'ring_not_closed',
    path: 'geometry.coordinates[0]',
  },
  {
    name: 'ring of three positions',
    input: collection(
      edit(
        aor(),
        (f) =>
          (f.geometry = {
            type: 'Polygon',
            coordinates: [
              [
                [20, 45],
                [20.1, 45],
                [20, 45],
              ],
            ],
          }),
      ),
    ),
    code: 'ring_too_short',
    path: 'geometry.coordinates[0]',
  },
  {
    name: 'bow-tie ring',
    input: collection(
      edit(aor(), (f) => {
        f.geometry = {
          type: 'Polygon',
          coordinates: [
            [
              [20, 45],
              [20.1, 45.1],
              [20.1, 45],
              [20, 45.1],
              [20, 45],
            ],
          ],
        };
      }),
    ),
    code: 'ring_self_intersection',
    path: 'geometry.coordinates[0]',
  },
  {
    name: 'ring touching itself at a vertex',
    input: collection(
      edit(aor(), (f) => {
        f.geometry = {
          type: 'Polygon',
          coordinates: [
            [
              [20, 45],
              [20.2, 45],
              [20.1, 45.1],
              [20.2, 45.2],
              [20, 45.2],
              [20.1, 45.1],
              [20, 45],
            ],
          ],
        };
      }),
    ),
    code: 'ring_self_intersection',
    path: 'geometry.coordinates[0]',
  },
  {
    name: 'hole crossing the exterior',
    input: collection(
      edit(aor(), (f) => {
        f.geometry = {
          type: 'Polygon',
          coordinates: [
            square,
            [
              [20.05, 45.05],
              [20.05, 45.2],
              [20.06, 45.2],
              [20.06, 45.05],
              [20.05, 45.05],
            ],
          ],
        };
      }),
    ),
    code: 'ring_self_intersection',
    path: 'geometry.coordinates[1]',
  },
  {
    name: 'repeated position',
    input: collection(
      edit(
        route(),
        (f) =>
          (f.geometry = {
            type: 'LineString',
            coordinates: [
              [20, 45],
              [20, 45],
              [20.1, 45],
            ],
          }),
      ),
    ),
    code: 'degenerate_edge',
    path: 'geometry.coordinates[1]',
  },
  {
    name: 'edge longer than a quarter meridian',
    input: collection(
      edit(route(), (f) => {
        f.geometry = {
          type: 'LineString',
          coordinates: [
            [0, 0],
            [95, 0],
            [100, 0],
          ],
        };
      }),
    ),
    code: 'edge_too_long',
    path: 'geometry.coordinates[1]',
  },
  {
    name: 'vertex at the pole',
    input: collection(
      edit(
        route(),
        (f) =>
          (f.geometry = {
            type: 'LineString',
            coordinates: [
              [0, 89],
              [0, 90],
              [10, 89],
            ],
          }),
      ),
    ),
    code: 'pole_vertex',
    path: 'geometry.coordinates[1]',
  },
  {
    name: 'local time',
    input: collection(edit(strike(), (f) => (f.properties.start = '2026-11-23T06:00:00'))),
    code: 'invalid_time',
    path: 'properties.start',
  },
  {
    name: 'a date that does not exist',
    input: collection(edit(strike(), (f) => (f.properties.end = '2026-11-31T06:00:00Z'))),
    code: 'invalid_time',
    path: 'properties.end',
  },
  {
    name: 'end before start',
    input: collection(edit(strike(), (f) => (f.properties.end = '2026-11-23T05:00:00Z'))),
    code: 'window_empty',
    path: 'properties.end',
  },
  {
    name: 'end equal to start (half-open: empty)',
    input: collection(edit(strike(), (f) => (f.properties.end = f.properties.start))),
    code: 'window_empty',
    path: 'properties.end',
  },
  {
    name: 'schedule shorter than the route',
    input: collection(
      edit(route(), (f) => (f.properties.schedule = ['2026-11-23T06:00:00Z', '2026-11-23T07:00:00Z'])),
    ),
    code: 'schedule_mismatch',
    path: 'properties.schedule',
  },
  {
    name: 'schedule out of order',
    input: collection(
      edit(route(), (f) => {
        f.properties.schedule = ['2026-11-23T06:00:00Z', '2026-11-23T08:00:00Z', '2026-11-23T07:00:00Z'];
      }),
    ),
    code: 'schedule_order',
    path: 'properties.schedule[2]',
  },
  {
    name: 'schedule past the window',
    input: collection(
      edit(route(), (f) => {
        f.properties.schedule = ['2026-11-23T06:00:00Z', '2026-11-23T09:00:00Z', '2026-11-23T13:00:00Z'];
      }),
    ),
    code: 'schedule_outside_window',
    path: 'properties.schedule[2]',
  },
  {
    name: 'altitude band upside down',
    input: collection(
      edit(air(), (f) => (f.properties.altitude = { lower_m: 9000, upper_m: 6000, reference: 'AMSL' })),
    ),
    code: 'altitude_inverted',
    path: 'properties.altitude',
  },
  {
    name: 'unknown altitude reference',
    input: collection(
      edit(air(), (f) => (f.properties.altitude = { lower_m: 0, upper_m: 600, reference: 'FL' })),
    ),
    code: 'invalid_property',
    path: 'properties.altitude.reference',
  },
  {
    name: 'air operation without altitude',
    input: collection(edit(air(), (f) => delete f.properties.altitude)),
    code: 'missing_altitude',
    path: 'properties.altitude',
  },
  {
    name: 'a label with a lone UTF-16 surrogate (it cannot be stored and read back)',
    input: collection(edit(strike(), (f) => (f.properties.label = 'bad \ud800 label'))),
    code: 'invalid_text',
    path: 'properties.label',
  },
  {
    name: 'a notify entry with a control character',
    input: collection(edit(strike(), (f) => (f.properties.notify = ['coalition', 'relief\u0007agency']))),
    code: 'invalid_text',
    path: 'properties.notify[1]',
  },
  {
    name: 'ground_only on another kind than an area of responsibility',
    input: collection(edit(air(), (f) => (f.properties.ground_only = true))),
    code: 'invalid_property',
    path: 'properties.ground_only',
  },
  {
    name: 'ground_only not a boolean',
    input: collection(edit(aor(), (f) => (f.properties.ground_only = 'yes'))),
    code: 'invalid_property',
    path: 'properties.ground_only',
  },
  {
    name: 'restricted zone drawn as a line without a buffer',
    input: collection(edit(corridor(), (f) => delete f.properties.buffer_m)),
    code: 'missing_property',
    path: 'properties.buffer_m',
  },
  {
    name: 'restricted zone drawn as a point with a zero buffer',
    input: collection(
      edit(corridor(), (f) => {
        f.geometry = { type: 'Point', coordinates: [20, 45] };
        f.properties.buffer_m = 0;
      }),
    ),
    code: 'invalid_property',
    path: 'properties.buffer_m',
  },
  {
    name: 'restricted zone drawn as a MultiLineString',
    input: collection(
      edit(corridor(), (f) => {
        f.geometry = {
          type: 'MultiLineString',
          coordinates: [
            [
              [20, 45],
              [20.1, 45],
            ],
          ],
        };
      }),
    ),
    code: 'invalid_geometry',
    path: 'geometry.type',
  },
  {
    name: 'protected site without category',
    input: collection(edit(strike(), (f) => (f.properties.kind = 'protected_site'))),
    code: 'missing_property',
    path: 'properties.category',
  },
  {
    name: 'party other than the caller',
    input: collection(strike()),
    options: { party: 'bravo' },
    code: 'party_mismatch',
    path: 'properties.party',
  },
  {
    name: 'an id in another party’s namespace (party ids, as the hub parses)',
    input: collection(edit(strike(), (f) => (f.properties.id = 'bravo:strike-1'))),
    options: { party: 'alpha', partyIds: true },
    code: 'party_mismatch',
    path: 'properties.id',
  },
  {
    name: 'an id that is only the party prefix',
    input: collection(edit(strike(), (f) => (f.properties.id = 'alpha:'))),
    options: { party: 'alpha', partyIds: true },
    code: 'invalid_property',
    path: 'properties.id',
  },
  {
    name: 'a local id and the same id in full, in one submission',
    input: collection(
      strike(),
      edit(strike(), (f) => (f.properties.id = 'alpha:strike-1')),
    ),
    options: { party: 'alpha', partyIds: true },
    code: 'duplicate_id',
    path: 'properties.id',
  },
  {
    name: 'two features with one id',
    input: collection(strike(), strike()),
    code: 'duplicate_id',
    path: 'properties.id',
  },
  {
    name: 'more features than allowed',
    input: collection(
      strike(),
      edit(strike(), (f) => (f.properties.id = 'strike-2')),
    ),
    options: { limits: { maxFeatures: 1 } },
    code: 'too_many_features',
    path: 'features',
  },
  {
    name: 'more vertices than allowed',
    input: collection(route()),
    options: { limits: { maxVerticesPerGeometry: 2 } },
    code: 'too_many_vertices',
    path: 'geometry.coordinates',
  },
];

describe('declaration errors', () => {
  for (const c of CASES) {
    it(`${c.name} → ${c.code} at ${c.path || '(root)'}`, () => {
      const err = errorsOf(c.input, c.options);
      const detail = err.details.find((d) => d.code === c.code);
      assert.ok(detail, `no ${c.code} among ${JSON.stringify(err.details)}`);
      assert.equal(detail.path, c.path);
      assert.ok(detail.message.length > 10);
    });
  }

  it('name the feature by index and id', () => {
    const bad = edit(strike(), (f) => {
      f.properties.id = 'strike-9';
      f.properties.end = '2026-11-23T05:00:00Z';
    });
    const err = errorsOf(collection(aor(), bad));
    assert.deepEqual(err.details[0]?.feature, { index: 1, id: 'strike-9' });
  });

  it('reject a collection with one bad feature whole, listing every problem', () => {
    const bad = edit(strike(), (f) => {
      f.properties.id = 'strike-2';
      f.properties.kind = 'bombing';
      f.properties.start = 'tomorrow';
    });
    const err = errorsOf(collection(strike(), aor(), bad));
    assert.deepEqual(err.details.map((d) => d.code).sort(), ['invalid_time', 'unknown_kind']);
    assert.ok(err.details.every((d) => d.feature?.index === 2));
  });

  it('cover every declaration error code of the registry', () => {
    // Codes raised elsewhere are covered by the CLI tests (files, arguments) and the hub tests.
    const elsewhere = new Set([
      'invalid_json',
      'invalid_argument',
      'io_error',
      'invalid_request',
      'unauthorized',
      'forbidden',
      'not_found',
      'id_exists',
      'declaration_closed',
      'already_resolved',
      'already_acknowledged',
      'channel_not_active',
      'payload_too_large',
      'rate_limited',
      'weak_password',
      // Party lists are checked by the hub against its parties (test/probing.attack.test.ts).
      'unknown_party',
      'notify_not_visible',
      // The edge, logins, work budgets and faults: test/attack.*.test.ts, test/hub.api.test.ts.
      'address_not_allowed',
      'storage_full',
      // The database out of reach: test/store.postgres.test.ts (a private cluster stopped).
      'store_unavailable',
      // A hub instance draining on SIGTERM: test/serve.shutdown.test.ts.
      'shutting_down',
      'method_not_allowed',
      'unsupported_media_type',
      'uri_too_long',
      'header_too_large',
      'request_timeout',
      'upgrade_required',
      'too_many_streams',
      'request_too_heavy',
      'work_budget_exceeded',
      'last_admin',
      'username_prefix',
      'bad_signature',
      'key_exists',
      'checkpoint_unknown',
      'checkpoint_mismatch',
      // Agreements' own codes: test/agreements.engine.test.ts.
      'term_outside_agreement',
      // Agreements' life in the hub: test/agreements.hub.test.ts.
      'agreement_superseded',
      'agreement_closed',
      'agreement_state',
      'content_mismatch',
      'already_signed',
      'not_signatory',
      'effective_in_past',
      // Sealed declarations and blind checks: test/blind.hub.test.ts, test/blind.attack.test.ts.
      'invalid_sealed',
      'blind_state',
      'bad_elements',
      // Base map archives: test/basemap.archive.test.ts.
      'range_not_satisfiable',
      // Request rates per token: test/rate.limits.test.ts.
      'rate_above_ceiling',
      // Cursor-on-Target imports: test/formats.cot.test.ts.
      'cot_unmapped',
      // Exports' content negotiation: test/formats.export.test.ts.
      'not_acceptable',
      // Imports of files (hostile, malformed, unmappable): test/formats.import.test.ts.
      'unsafe_file',
      'invalid_file',
      'import_missing_column',
      'import_bad_value',
    ]);
    const covered = new Set(CASES.map((c) => c.code));
    for (const code of Object.keys(ERROR_CODES)) {
      if (!elsewhere.has(code)) assert.ok(covered.has(code as ErrorCode), `no test raises ${code}`);
    }
  });

  it('are each documented in docs/errors.md', () => {
    const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
    for (const code of Object.keys(ERROR_CODES))
      assert.ok(doc.includes(`\`${code}\``), `${code} undocumented`);
  });
});

describe('valid declarations', () => {
  it('parse into typed values with defaults, times in epoch ms', () => {
    const [s, a, m, c] = parseDeclarations(collection(strike(), aor(), route(), air()));
    assert.equal(s?.start, Date.UTC(2026, 10, 23, 6));
    assert.equal(s?.buffer_m, 300);
    assert.equal(a?.end, null, 'absent end is open-ended');
    assert.equal(a?.buffer_m, 0);
    assert.equal(a?.visibility, 'all');
    assert.deepEqual(
      m?.schedule,
      [6, 7, 8].map((h) => Date.UTC(2026, 10, 23, h)),
    );
    assert.deepEqual(c?.altitude, { lower_m: 6000, upper_m: 9000, reference: 'AMSL' });
  });

  it('take the caller party when none is given, and assign ids when asked', () => {
    const f = edit(strike(), (x) => {
      delete x.properties.party;
      delete x.properties.id;
    });
    const [d] = parseDeclarations(collection(f), { party: 'alpha', assignId: (i) => `#${i}` });
    assert.equal(d?.party, 'alpha');
    assert.equal(d?.id, '#0');
  });

  it('with party ids, take a local id into the caller’s namespace and keep a full one', () => {
    const full = edit(strike(), (x) => {
      x.properties.id = 'alpha:strike-2';
    });
    const [local, kept] = parseDeclarations(collection(strike(), full), { party: 'alpha', partyIds: true });
    assert.equal(local?.id, 'alpha:strike-1');
    assert.equal(kept?.id, 'alpha:strike-2');
    // Without the option (the CLI's offline check) ids stay as written.
    assert.equal(parseDeclarations(collection(strike()), { party: 'alpha' })[0]?.id, 'strike-1');
  });

  it('take ground_only on an area of responsibility, kept as given', () => {
    const ground = edit(aor(), (f) => (f.properties.ground_only = true));
    const every = edit(aor(), (f) => {
      f.properties.id = 'aor-2';
      f.properties.ground_only = false;
    });
    const [g, e, plain] = parseDeclarations(
      collection(
        ground,
        every,
        edit(aor(), (f) => (f.properties.id = 'aor-3')),
      ),
    );
    assert.equal(g?.ground_only, true);
    assert.equal(e?.ground_only, false);
    assert.equal(plain !== undefined && 'ground_only' in plain, false, 'absent stays absent');
  });

  it('take a restricted zone drawn as a LineString or a Point with a buffer', () => {
    const circle = edit(corridor(), (f) => {
      f.properties.id = 'circle-1';
      f.geometry = { type: 'Point', coordinates: [20.2, 45.1] };
      f.properties.buffer_m = 2000;
    });
    const [road, c] = parseDeclarations(collection(corridor(), circle));
    assert.equal(road?.geometry.type, 'LineString');
    assert.equal(road?.buffer_m, 250);
    assert.deepEqual(c?.geometry, { type: 'Point', coordinates: [20.2, 45.1] });
    assert.equal(c?.buffer_m, 2000);
  });

  it('accept a polygon across the antimeridian and a ring around the pole', () => {
    const dateline = edit(aor(), (f) => {
      f.geometry = {
        type: 'Polygon',
        coordinates: [
          [
            [179.5, -17],
            [-179.5, -17],
            [-179.5, -16],
            [179.5, -16],
            [179.5, -17],
          ],
        ],
      };
    });
    const arctic = edit(aor(), (f) => {
      f.properties.id = 'aor-2';
      f.geometry = {
        type: 'Polygon',
        coordinates: [
          [
            [0, 85],
            [90, 85],
            [180, 85],
            [-90, 85],
            [0, 85],
          ],
        ],
      };
    });
    assert.equal(parseDeclarations(collection(dateline, arctic)).length, 2);
  });
});
