/**
 * Agreements in the engine (docs/agreements.md §1): parsing and its coded errors, breaches of
 * terms (`agreement_breach`), permissions lifting `incursion`, and withdrawal (`boundUntil`) —
 * on the Castello Road corridor north of Aleppo (test/fixtures/agreements) and on random
 * theatres (fast-check): a declaration outside every term never breaches, growing a term never
 * removes a breach, and a permission lifts only the incursions of its parties, in its area and
 * windows.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type Agreement,
  boundUntil,
  breachesOf,
  incursionAllowedBy,
  PERMISSION_SAMPLE_SPACING_M,
  parseAgreement,
  permits,
  type Term,
  termRef,
} from '../src/engine/agreements.ts';
import { parseDeclarations } from '../src/engine/declaration.ts';
import { checkDeclarations } from '../src/engine/engine.ts';
import { DeconflictError, type ErrorDetail } from '../src/engine/errors.ts';
import { DISTANCE_TOLERANCE_M, shapeDistance, shapeDistanceWithin } from '../src/engine/geodesy/distance.ts';
import { toShape } from '../src/engine/geodesy/shape.ts';
import { linePoint } from '../src/engine/geodesy/wgs84.ts';
import { evaluatePair } from '../src/engine/rules.ts';
import { prepare } from '../src/engine/stindex.ts';
import { coveredShape, makeTrack } from '../src/engine/track.ts';
import {
  type Conflict,
  DEFAULT_OPTIONS,
  type Declaration,
  type Geometry,
  type Position,
} from '../src/engine/types.ts';
import { arbDeclaration, CENTRES, direct, regularPolygon } from './support/arbitraries.ts';
import { DAY, HOUR, MIN } from './support/time.ts';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 150);

// --- The Castello Road fixture ----------------------------------------------------------------

interface Fixture {
  type: 'FeatureCollection';
  agreements: Record<string, unknown>[];
  features: { properties: Record<string, unknown>; geometry: unknown }[];
}

const FIXTURE = JSON.parse(
  readFileSync(new URL('./fixtures/agreements/castello-road.geojson', import.meta.url), 'utf8'),
) as Fixture;

const GOV = 'government-forces';
const OPP = 'opposition-forces';
const AID = 'relief-agency';
const t = (iso: string): number => Date.parse(iso);

interface RawTerm {
  type: string;
  geometry: unknown;
  properties: Record<string, unknown>;
}

interface RawAgreement {
  [member: string]: unknown;
  terms: { type: string; features: RawTerm[] };
}

/** A fresh copy of the fixture's agreement, as JSON, to edit. */
function rawAgreement(): RawAgreement {
  return structuredClone(FIXTURE.agreements[0]) as RawAgreement;
}

/** Term `i` of a raw agreement. */
const termOf = (raw: RawAgreement, i: number): RawTerm => raw.terms.features[i] as RawTerm;

const castello = (): Agreement => parseAgreement(rawAgreement(), { id: 'castello' });
const decls = parseDeclarations(FIXTURE);
const byId = new Map(decls.map((d) => [d.id, d]));
const decl = (id: string): Declaration => byId.get(id) as Declaration;
/** The route of the road, from the corridor term. */
const ROAD = (castello().terms[0] as Term & { geometry: { coordinates: Position[] } }).geometry.coordinates;

function incursion(activity: Declaration, area: Declaration): Conflict | null {
  const c = evaluatePair(prepare(activity), prepare(area), DEFAULT_OPTIONS);
  return c?.rule === 'incursion' ? c : null;
}

function permitted(a: Agreement, activity: Declaration, area: Declaration): boolean {
  const c = incursion(activity, area);
  assert.ok(c, `${activity.id} enters ${area.id}`);
  return permits(a, c, activity, area);
}

function errorsOf(raw: unknown, knownParties?: ReadonlySet<string>): readonly ErrorDetail[] {
  try {
    parseAgreement(raw, { id: 'x', ...(knownParties && { knownParties }) });
  } catch (err) {
    assert.ok(err instanceof DeconflictError);
    return err.details as readonly ErrorDetail[];
  }
  assert.fail('the agreement was accepted');
}

function hasError(details: readonly ErrorDetail[], code: string, path: string): ErrorDetail {
  const d = details.find((x) => x.code === code && x.path === path);
  assert.ok(d, `no ${code} at ${path} among ${JSON.stringify(details.map((x) => [x.code, x.path]))}`);
  assert.ok(d.message.length > 10);
  return d;
}

describe('parseAgreement', () => {
  it('reads the Castello Road agreement, filling in the defaults', () => {
    const a = castello();
    assert.equal(a.id, 'castello');
    assert.deepEqual(a.parties, [GOV, OPP, AID]);
    assert.equal(a.start, t('2026-12-08T06:00:00Z'));
    assert.equal(a.end, t('2026-12-15T06:00:00Z'));
    assert.deepEqual(
      a.terms.map((x) => `${x.id} ${x.term}`),
      ['corridor corridor', 'pause-1 pause', 'pause-2 pause', 'pull-back pull_back', 'convoys permission'],
    );
    const [corridor, pause, , pullBack, convoys] = a.terms as Term[];
    assert.equal(corridor?.start, a.start, 'no window: the agreement’s');
    assert.equal(corridor?.end, a.end);
    assert.equal(corridor?.buffer_m, 500);
    assert.equal(pause?.start, t('2026-12-09T07:00:00Z'));
    assert.equal(pullBack?.end, a.end, 'a start alone: the agreement’s end');
    assert.deepEqual(convoys, {
      id: 'convoys',
      term: 'permission',
      geometry: null,
      start: a.start,
      end: a.end,
      parties: [AID],
      buffer_m: 0,
      label: 'Relief convoys may cross either side’s lines inside the corridor',
      rule: 'incursion',
      within: 'corridor',
    });
    const noParties = rawAgreement();
    delete termOf(noParties, 0).properties.parties;
    assert.deepEqual(parseAgreement(noParties, { id: 'x' }).terms[0]?.parties, [GOV, OPP, AID]);
  });

  it('accepts the parties the hub knows, and refuses others (unknown_party)', () => {
    parseAgreement(rawAgreement(), { id: 'x', knownParties: new Set([GOV, OPP, AID, 'other']) });
    const details = errorsOf(rawAgreement(), new Set([GOV, OPP]));
    hasError(details, 'unknown_party', 'parties[2]');
  });

  it('refuses a term whose window leaves the agreement’s (term_outside_agreement)', () => {
    const raw = rawAgreement();
    termOf(raw, 1).properties.end = '2026-12-16T00:00:00Z';
    termOf(raw, 3).properties.start = '2026-12-01T00:00:00Z';
    const details = errorsOf(raw);
    const d = hasError(details, 'term_outside_agreement', 'terms.features[1].properties.end');
    assert.deepEqual(d.feature, { index: 1, id: 'pause-1' });
    hasError(details, 'term_outside_agreement', 'terms.features[3].properties.start');
    // Starting at the agreement's end leaves nothing inside it either.
    const late = rawAgreement();
    termOf(late, 3).properties.start = '2026-12-15T06:00:00Z';
    hasError(errorsOf(late), 'term_outside_agreement', 'terms.features[3].properties.start');
  });

  it('refuses a permission naming a party that is not a signatory (unknown_party)', () => {
    const raw = rawAgreement();
    termOf(raw, 4).properties.parties = [AID, 'unhcr'];
    termOf(raw, 4).properties.of = 'militia';
    const details = errorsOf(raw);
    const d = hasError(details, 'unknown_party', 'terms.features[4].properties.parties[1]');
    assert.match(d.message, /not a signatory/);
    hasError(details, 'unknown_party', 'terms.features[4].properties.of');
    // With the hub's parties too: a party that exists but did not sign is still refused.
    hasError(
      errorsOf(raw, new Set([GOV, OPP, AID, 'unhcr'])),
      'unknown_party',
      'terms.features[4].properties.parties[1]',
    );
  });

  it('refuses a permission within a term that is not a corridor, or within no term', () => {
    const raw = rawAgreement();
    termOf(raw, 4).properties.within = 'pause-1';
    const d = hasError(errorsOf(raw), 'invalid_property', 'terms.features[4].properties.within');
    assert.match(d.message, /pause/);
    termOf(raw, 4).properties.within = 'no-such-term';
    hasError(errorsOf(raw), 'invalid_property', 'terms.features[4].properties.within');
    // A corridor refused for its geometry is still a corridor: the permission is not blamed.
    const bad = rawAgreement();
    termOf(bad, 0).geometry = { type: 'LineString', coordinates: [[37.1, 36.2]] };
    const details = errorsOf(bad);
    hasError(details, 'degenerate_edge', 'terms.features[0].geometry.coordinates');
    assert.deepEqual(
      details.filter((d) => d.path.startsWith('terms.features[4]')),
      [],
    );
  });

  it('refuses duplicate term ids (duplicate_id)', () => {
    const raw = rawAgreement();
    termOf(raw, 2).properties.id = 'pause-1';
    const d = hasError(errorsOf(raw), 'duplicate_id', 'terms.features[2].properties.id');
    assert.deepEqual(d.feature, { index: 2, id: 'pause-1' });
  });

  it('refuses more than 100 terms (too_many_features)', () => {
    const raw = rawAgreement();
    const pause = termOf(raw, 1);
    raw.terms.features = Array.from({ length: 101 }, (_, i) => ({
      ...pause,
      properties: { ...pause.properties, id: `pause-${i}` },
    }));
    hasError(errorsOf(raw), 'too_many_features', 'terms.features');
    raw.terms.features.pop();
    assert.equal(parseAgreement(raw, { id: 'x' }).terms.length, 100);
  });

  it('validates a term’s geometry exactly as a declaration’s, with the same codes', () => {
    /** A polygon of one ring from flat longitude, latitude pairs. */
    const poly = (...xy: number[]) => ({
      type: 'Polygon',
      coordinates: [xy.flatMap((x, k) => (k % 2 === 0 ? [[x, xy[k + 1]]] : []))],
    });
    const cases: [unknown, string, string][] = [
      [poly(37.1, 36.2, 37.2, 36.2, 37.2, 36.3, 37.1, 36.3), 'ring_not_closed', 'geometry.coordinates[0]'],
      [
        poly(37.1, 36.2, 37.2, 36.3, 37.2, 36.2, 37.1, 36.3, 37.1, 36.2),
        'ring_self_intersection',
        'geometry.coordinates[0]',
      ],
      [poly(37.1, 36.2, 37.2, 36.2, 37.1, 36.2), 'ring_too_short', 'geometry.coordinates[0]'],
      [
        poly(37.1, 36.2, 237.2, 36.2, 37.2, 36.3, 37.1, 36.2),
        'coordinate_out_of_range',
        'geometry.coordinates[0][1]',
      ],
      [poly(0, 0, 0, 90, 10, 0, 0, 0), 'pole_vertex', 'geometry.coordinates[0][1]'],
      [poly(0, 0, 100, 0, 100, 10, 0, 0), 'edge_too_long', 'geometry.coordinates[0][1]'],
      [{ type: 'Polygon', coordinates: 'here' }, 'invalid_geometry', 'geometry.coordinates'],
      [{ type: 'GeometryCollection', geometries: [] }, 'invalid_geometry', 'geometry.type'],
      [{ type: 'Point', coordinates: [37.1, 36.2] }, 'wrong_geometry_for_kind', 'geometry.type'],
    ];
    for (const [geometry, code, path] of cases) {
      const raw = rawAgreement();
      termOf(raw, 1).geometry = geometry;
      const d = hasError(errorsOf(raw), code, `terms.features[1].${path}`);
      assert.deepEqual(d.feature, { index: 1, id: 'pause-1' });
      if (code === 'wrong_geometry_for_kind') continue;
      // The same geometry in a declaration: the same code at the same path.
      const declaration = {
        type: 'Feature',
        geometry,
        properties: { id: 'z', kind: 'restricted_zone', party: GOV, start: '2026-12-08T06:00:00Z' },
      };
      try {
        parseDeclarations(declaration);
        assert.fail(`a declaration took ${JSON.stringify(geometry)}`);
      } catch (err) {
        assert.ok(err instanceof DeconflictError);
        assert.ok(
          err.details.some((x) => x.code === code && x.path === path),
          code,
        );
      }
    }
  });

  it('needs a corridor drawn as a line to have a width, and a within-permission no area of its own', () => {
    const raw = rawAgreement();
    delete termOf(raw, 0).properties.buffer_m;
    hasError(errorsOf(raw), 'missing_property', 'terms.features[0].properties.buffer_m');
    termOf(raw, 0).properties.buffer_m = 0;
    hasError(errorsOf(raw), 'invalid_property', 'terms.features[0].properties.buffer_m');
    const both = rawAgreement();
    termOf(both, 4).geometry = termOf(both, 1).geometry;
    hasError(errorsOf(both), 'invalid_geometry', 'terms.features[4].geometry');
    const neither = rawAgreement();
    delete termOf(neither, 4).properties.within;
    hasError(errorsOf(neither), 'invalid_geometry', 'terms.features[4].geometry');
  });

  it('refuses what the format does not allow, listing every problem', () => {
    const raw = rawAgreement();
    raw.name = 'x'.repeat(201);
    raw.parties = [GOV, OPP, GOV];
    raw.signed = true;
    termOf(raw, 0).properties.buffer_m = 50_001;
    termOf(raw, 1).properties.term = 'ceasefire';
    termOf(raw, 2).properties.kind = 'pause';
    termOf(raw, 3).properties.rule = 'incursion';
    termOf(raw, 4).properties.rule = 'restricted';
    const details = errorsOf(raw);
    hasError(details, 'invalid_property', 'name');
    hasError(details, 'invalid_property', 'parties[2]');
    hasError(details, 'unknown_property', 'signed');
    hasError(details, 'invalid_property', 'terms.features[0].properties.buffer_m');
    hasError(details, 'invalid_property', 'terms.features[1].properties.term');
    hasError(details, 'unknown_property', 'terms.features[2].properties.kind');
    hasError(details, 'invalid_property', 'terms.features[3].properties.rule');
    hasError(details, 'invalid_property', 'terms.features[4].properties.rule');

    const few = rawAgreement();
    few.parties = [GOV];
    hasError(errorsOf(few), 'invalid_property', 'parties');
    few.parties = Array.from({ length: 21 }, (_, i) => `p${i}`);
    hasError(errorsOf(few), 'invalid_property', 'parties');

    const open = rawAgreement();
    delete open.end;
    hasError(errorsOf(open), 'missing_property', 'end');
    open.end = '2026-12-08T06:00:00+02:00';
    hasError(errorsOf(open), 'invalid_time', 'end');
    open.end = open.start;
    hasError(errorsOf(open), 'window_empty', 'end');

    const aor = rawAgreement();
    termOf(aor, 1).properties.term = 'area_of_responsibility';
    hasError(errorsOf(aor), 'invalid_property', 'terms.features[1].properties.parties');
    delete termOf(aor, 1).properties.parties;
    hasError(errorsOf(aor), 'missing_property', 'terms.features[1].properties.parties');

    const text = rawAgreement();
    termOf(text, 1).properties.label = 'pause\u202Eesuap';
    hasError(errorsOf(text), 'invalid_text', 'terms.features[1].properties.label');

    assert.equal(errorsOf([1, 2])[0]?.code, 'invalid_property');
    const notTerms = rawAgreement();
    (notTerms as Record<string, unknown>).terms = [];
    hasError(errorsOf(notTerms), 'not_feature_collection', 'terms');
  });
});

describe('breaches on the Castello Road', () => {
  const a = castello();

  it('a strike on the road during a pause breaks the corridor and the pause (critical) and the pull-back (high)', () => {
    const strike = decl('strike-corridor');
    const found = breachesOf(strike, a);
    assert.deepEqual(
      found.map((c) => `${c.rule} ${c.severity} ${c.a} ${c.b}`),
      [
        'agreement_breach critical strike-corridor agreement:castello/corridor',
        'agreement_breach critical strike-corridor agreement:castello/pause-1',
        'agreement_breach high strike-corridor agreement:castello/pull-back',
      ],
    );
    for (const c of found) {
      assert.equal(c.internal, false);
      assert.equal(c.distance_m, 0);
      assert.deepEqual(c.window, { start: strike.start, end: strike.end });
      assert.deepEqual(c.closest[0], (strike.geometry as { coordinates: Position }).coordinates);
    }
    assert.equal(termRef('castello', 'corridor'), 'agreement:castello/corridor');
  });

  it('a strike far from every term breaks nothing; nor does a relief convoy', () => {
    assert.deepEqual(breachesOf(decl('strike-west'), a), []);
    assert.deepEqual(breachesOf(decl('convoy-1'), a), []);
    assert.deepEqual(breachesOf(decl('convoy-2'), a), []);
    // The pause is over: the same strike a day later breaks the corridor and the pull-back only.
    const later = breachesOf(decl('strike-later'), a);
    assert.deepEqual(
      later.map((c) => c.b),
      ['agreement:castello/corridor', 'agreement:castello/pull-back'],
    );
  });

  it('a pull-back binds from its start: the armour on the road before it is no breach', () => {
    const armour = decl('armour-road');
    assert.equal(breachesOf(armour, a)[0]?.severity, 'high');
    const before = { ...armour, start: t('2026-12-08T07:00:00Z'), end: t('2026-12-08T08:00:00Z') };
    assert.deepEqual(breachesOf(before, a), []);
    const across = { ...armour, start: t('2026-12-08T17:00:00Z'), end: t('2026-12-08T19:00:00Z') };
    assert.deepEqual(breachesOf(across, a)[0]?.window, { start: t('2026-12-08T18:00:00Z'), end: across.end });
  });

  it('a scheduled movement breaches only while it is in the zone', () => {
    // Government armour from the north-west (outside the pull-back zone) down the whole road,
    // Hraytan to Layramoun, and on east out of the zone: 10:00 to 13:30.
    const route: Position[] = [[37.04, 36.33], ...[...ROAD].reverse(), [37.17, 36.215]];
    const times = route.map((_, i) => t('2026-12-13T10:00:00Z') + i * 30 * MIN);
    const armour: Declaration = {
      id: 'armour-scheduled',
      kind: 'movement',
      party: GOV,
      geometry: { type: 'LineString', coordinates: route },
      start: t('2026-12-13T09:00:00Z'),
      end: t('2026-12-13T15:00:00Z'),
      buffer_m: 0,
      schedule: times,
      visibility: 'all',
    };
    const [c] = breachesOf(armour, a);
    assert.equal(c?.b, 'agreement:castello/pull-back');
    // In the zone from some time on its first leg to some time on its last.
    const w = c?.window as { start: number; end: number };
    assert.ok(w.start > (times[0] as number) && w.start < (times[1] as number), 'enters on the first leg');
    const last = times.length - 1;
    assert.ok(
      w.end > (times[last - 1] as number) && w.end < (times[last] as number),
      'leaves on the last leg',
    );
    // Waiting outside the zone before it sets off, it breaches nothing then.
    const { schedule: _, ...unscheduled } = armour;
    assert.deepEqual(breachesOf(unscheduled, a)[0]?.window, { start: armour.start, end: armour.end });
  });

  it('withdrawal: a strike after the effective time is no breach, one before still is', () => {
    const withdrawn = boundUntil(a, t('2026-12-11T00:00:00Z'));
    assert.equal(withdrawn.end, t('2026-12-11T00:00:00Z'));
    assert.deepEqual(breachesOf(decl('strike-later'), withdrawn), []);
    assert.deepEqual(
      breachesOf(decl('strike-corridor'), withdrawn).map((c) => c.b),
      breachesOf(decl('strike-corridor'), a).map((c) => c.b),
    );
    // A strike across the cut breaches until the cut.
    const across = {
      ...decl('strike-later'),
      start: t('2026-12-10T22:00:00Z'),
      end: t('2026-12-11T02:00:00Z'),
    };
    for (const c of breachesOf(across, withdrawn)) assert.equal(c.window.end, t('2026-12-11T00:00:00Z'));
    // Withdrawn before the pull-back begins: the pull-back and the permission's corridor stay
    // only while the agreement binds.
    const early = boundUntil(a, t('2026-12-08T12:00:00Z'));
    assert.deepEqual(
      early.terms.map((x) => x.id),
      ['corridor', 'convoys'],
    );
    assert.deepEqual(boundUntil(a, a.start).terms, []);
    assert.deepEqual(boundUntil(a, t('2027-01-01T00:00:00Z')), a);
  });
});

describe('permissions on the Castello Road', () => {
  const a = castello();
  const gov = decl('aor-gov-north');
  const opp = decl('aor-opp-east');

  it('a relief convoy inside the corridor crosses both sides’ lines with no incursion', () => {
    const plain = checkDeclarations(decls).filter((c) => c.rule === 'incursion');
    assert.deepEqual(
      plain.map((c) => `${c.a} ${c.b}`),
      ['aor-gov-north convoy-1', 'aor-gov-north convoy-2', 'aor-opp-east convoy-1'],
    );
    assert.equal(permitted(a, decl('convoy-1'), gov), true);
    assert.equal(permitted(a, decl('convoy-1'), opp), true);
    // As the engine's agreement hook: the same, through the index.
    const hooked = checkDeclarations(decls, { incursionAllowed: incursionAllowedBy([a]) });
    assert.deepEqual(
      hooked.filter((c) => c.rule === 'incursion').map((c) => `${c.a} ${c.b}`),
      ['aor-gov-north convoy-2'],
    );
  });

  it('a convoy leaving the corridor still conflicts', () => {
    assert.equal(permitted(a, decl('convoy-2'), gov), false);
  });

  it('only the parties permitted, into the areas of `of`, inside the windows', () => {
    const convoy = decl('convoy-1');
    assert.equal(permitted(a, { ...convoy, party: OPP }, gov), false, 'not a permitted party');
    const week = 7 * DAY;
    const late = {
      ...convoy,
      start: convoy.start + week,
      end: (convoy.end as number) + week,
      schedule: convoy.schedule?.map((x) => x + week),
    };
    const lateGov = { ...gov, end: null };
    assert.equal(permitted(a, late, lateGov), false, 'after the agreement');
    const raw = rawAgreement();
    termOf(raw, 4).properties.of = OPP;
    const ofOpp = parseAgreement(raw, { id: 'c' });
    assert.equal(permitted(ofOpp, convoy, gov), false, 'not the area of `of`');
    assert.equal(permitted(ofOpp, convoy, opp), true);
    // The permission's own window: 10 December 08:00–09:00 only, while the convoy is in the
    // government's area from 07:00.
    termOf(raw, 4).properties.start = '2026-12-10T08:00:00Z';
    termOf(raw, 4).properties.end = '2026-12-10T09:00:00Z';
    assert.equal(permitted(parseAgreement(raw, { id: 'c' }), convoy, opp), false);
    // A permission lifts an incursion only: the same pair as another rule is never lifted.
    const c = incursion(convoy, gov) as Conflict;
    assert.equal(permits(a, { ...c, rule: 'restricted' }, convoy, gov), false);
    assert.equal(permits(a, c, convoy, opp), false, 'the conflict is about another area');
  });

  it('the convoy must fit inside the corridor with its buffer and δ/2 to spare', () => {
    const convoy = decl('convoy-1');
    const half = PERMISSION_SAMPLE_SPACING_M / 2;
    assert.equal(permitted(a, { ...convoy, buffer_m: 500 - half - 1 }, gov), true);
    assert.equal(permitted(a, { ...convoy, buffer_m: 500 - half + 1 }, gov), false);
    assert.equal(permitted(a, { ...convoy, buffer_m: 500 }, gov), false);
  });

  it('a scheduled convoy needs to be inside only while it is in the area', () => {
    // From Azaz road country north-west of Hraytan, outside the corridor and every area, down the
    // road into the eastern districts: in the opposition's area only at the end, on the road.
    const route: Position[] = [[37.0, 36.36], ...[...ROAD].reverse()];
    const start = t('2026-12-12T06:00:00Z');
    const convoy: Declaration = {
      id: 'convoy-3',
      kind: 'movement',
      party: AID,
      geometry: { type: 'LineString', coordinates: route },
      start,
      end: start + 6 * HOUR,
      buffer_m: 20,
      schedule: route.map((_, i) => start + (i + 1) * 30 * MIN),
      visibility: 'all',
    };
    assert.equal(permitted(a, convoy, opp), true);
    const { schedule: _, ...unscheduled } = convoy;
    assert.equal(permitted(a, unscheduled, opp), false, 'unscheduled: its whole route counts');
    // Through the government's area it is outside the corridor (the first leg): not lifted.
    assert.equal(permitted(a, convoy, gov), false);
  });

  it('a permission lifts the breach of an area of responsibility term it foresaw', () => {
    const raw = rawAgreement();
    const govArea = FIXTURE.features.find((f) => f.properties.id === 'aor-gov-north')?.geometry;
    raw.terms.features.push({
      type: 'Feature',
      geometry: govArea,
      properties: { id: 'aor-gov', term: 'area_of_responsibility', parties: [GOV] },
    });
    const withAor = parseAgreement(raw, { id: 'c' });
    assert.deepEqual(breachesOf(decl('convoy-1'), withAor), [], 'inside the corridor');
    const [c] = breachesOf(decl('convoy-2'), withAor);
    assert.equal(`${c?.severity} ${c?.b}`, 'high agreement:c/aor-gov');
    const oppMove = { ...decl('convoy-1'), party: OPP };
    assert.ok(
      breachesOf(oppMove, withAor).some((x) => x.b === 'agreement:c/aor-gov'),
      'not a permitted party',
    );
    assert.deepEqual(
      breachesOf({ ...decl('armour-road'), start: a.start, end: a.start + HOUR }, withAor),
      [],
    );
  });
});

// --- Properties -------------------------------------------------------------------------------

const PARTIES = ['alpha', 'bravo', 'charlie'];
const T0 = Date.UTC(2026, 10, 23);
const AGREEMENT_WINDOW = { start: T0 - DAY, end: T0 + 4 * DAY };

const arbPoint = (c: Position, spread: number) =>
  fc
    .record({
      azi: fc.double({ min: 0, max: 360, noNaN: true }),
      s: fc.double({ min: 0, max: spread, noNaN: true }),
    })
    .map(({ azi, s }) => direct(c, azi, s));

function arbPolygon(c: Position, spread: number): fc.Arbitrary<Geometry> {
  return fc
    .record({
      p: arbPoint(c, spread),
      r: fc.double({ min: 50, max: spread / 2, noNaN: true }),
      n: fc.integer({ min: 3, max: 7 }),
    })
    .map(({ p, r, n }): Geometry => ({ type: 'Polygon', coordinates: [regularPolygon(p, r, n)] }));
}

function arbLine(c: Position, spread: number): fc.Arbitrary<Position[]> {
  return fc
    .record({
      p: arbPoint(c, spread),
      legs: fc.array(
        fc.record({
          azi: fc.double({ min: 0, max: 360, noNaN: true }),
          s: fc.double({ min: 200, max: spread / 2, noNaN: true }),
        }),
        { minLength: 1, maxLength: 3 },
      ),
    })
    .map(({ p, legs }) => {
      const out: Position[] = [p];
      for (const l of legs) out.push(direct(out[out.length - 1] as Position, l.azi, l.s));
      return out;
    });
}

/** A binding term (corridor, pause, pull-back, area of responsibility) near `c`. */
function arbTerm(id: string, c: Position, spread = 20_000): fc.Arbitrary<Term> {
  return fc
    .record({
      kind: fc.constantFrom(
        'corridor' as const,
        'pause' as const,
        'pull_back' as const,
        'area_of_responsibility' as const,
      ),
      polygon: arbPolygon(c, spread),
      line: arbLine(c, spread),
      asLine: fc.boolean(),
      buffer: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3000 })),
      startH: fc.integer({ min: -20, max: 70 }),
      lengthH: fc.integer({ min: 1, max: 30 }),
      parties: fc.subarray(PARTIES, { minLength: 1 }),
      owner: fc.constantFrom(...PARTIES),
    })
    .map((r): Term => {
      const line = r.kind === 'corridor' && r.asLine;
      const start = Math.max(AGREEMENT_WINDOW.start, T0 + r.startH * HOUR);
      const end = Math.min(AGREEMENT_WINDOW.end, start + r.lengthH * HOUR);
      return {
        id,
        term: r.kind,
        geometry: line ? { type: 'LineString', coordinates: r.line } : r.polygon,
        start,
        end,
        parties: r.kind === 'area_of_responsibility' ? [r.owner] : r.parties,
        buffer_m: line ? Math.max(1, r.buffer) : r.buffer,
      };
    });
}

function agreementOf(id: string, terms: Term[]): Agreement {
  return { id, name: 'random', parties: PARTIES, ...AGREEMENT_WINDOW, terms };
}

const arbCase = fc.constantFrom(...CENTRES).chain((c) =>
  fc.record({
    decl: arbDeclaration('d', c, 20_000),
    terms: fc.tuple(arbTerm('t0', c), arbTerm('t1', c), arbTerm('t2', c)),
  }),
);

const KINDS_BREACHING: Record<string, string[]> = {
  corridor: ['strike'],
  pause: ['strike'],
  pull_back: ['movement', 'air_operation', 'strike'],
  area_of_responsibility: ['movement', 'air_operation', 'strike'],
};

describe('breach properties', () => {
  it('a declaration farther from every term than their buffers never breaches; one within does, as the table says', () => {
    let breached = 0;
    let afar = 0;
    fc.assert(
      fc.property(arbCase, ({ decl: d, terms }) => {
        const a = agreementOf('r', terms);
        const found = breachesOf(d, a);
        const shape = toShape(d.geometry);
        for (const term of terms) {
          const ref = termRef('r', term.id);
          const c = found.find((x) => x.b === ref);
          const threshold = d.buffer_m + term.buffer_m;
          const distance = shapeDistance(shape, toShape(term.geometry as Geometry)).d;
          const bound =
            term.term === 'area_of_responsibility'
              ? !term.parties.includes(d.party)
              : term.parties.includes(d.party);
          const kind = KINDS_BREACHING[term.term]?.includes(d.kind) === true;
          const during = d.start < term.end && (d.end === null || term.start < d.end);
          if (distance > threshold + 2 * DISTANCE_TOLERANCE_M) {
            afar++;
            assert.equal(c, undefined, `${ref} breached from afar`);
          }
          // Never missed: bound, of a kind the term is about, at the same time and clearly within
          // reach (an unscheduled activity; two areas without buffers must overlap instead).
          const areas =
            threshold === 0 && d.geometry.type === 'Polygon' && term.geometry?.type !== 'LineString';
          if (bound && kind && during && !d.schedule && !areas && distance < threshold - 1) {
            assert.ok(c, `${ref} missed at ${distance} m`);
          }
          if (c === undefined) continue;
          breached++;
          assert.ok(bound, 'the party is bound');
          assert.ok(kind, `${d.kind} breaches a ${term.term}`);
          assert.equal(c.severity, term.term === 'corridor' || term.term === 'pause' ? 'critical' : 'high');
          assert.equal(c.a, d.id);
          assert.equal(c.internal, false);
          assert.ok(c.distance_m <= threshold + DISTANCE_TOLERANCE_M);
          assert.ok(c.window.start >= Math.max(d.start, term.start));
          assert.ok(c.window.end !== null && c.window.end <= term.end);
        }
      }),
      { numRuns: RUNS },
    );
    assert.ok(breached > 0 && afar > 0, `${breached} breaches, ${afar} terms afar`);
  });

  it('growing a term (a wider buffer, a longer window) never removes a breach', () => {
    fc.assert(
      fc.property(
        arbCase,
        fc.integer({ min: 0, max: 3000 }),
        fc.integer({ min: 0, max: 24 }),
        fc.integer({ min: 0, max: 24 }),
        ({ decl: d, terms }, wider, earlierH, laterH) => {
          const before = breachesOf(d, agreementOf('r', terms)).map((c) => c.b);
          const grown = terms.map(
            (x): Term => ({
              ...x,
              buffer_m: x.buffer_m + wider,
              start: Math.max(AGREEMENT_WINDOW.start, x.start - earlierH * HOUR),
              end: Math.min(AGREEMENT_WINDOW.end, x.end + laterH * HOUR),
            }),
          );
          const after = breachesOf(d, agreementOf('r', grown)).map((c) => c.b);
          for (const b of before) assert.ok(after.includes(b), `${b} lost by growing`);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

/**
 * A corridor along a random road, a movement near it (sometimes with a detour out of it),
 * another party's area on its way, and a permission within the corridor for random parties,
 * areas (`of`) and windows.
 */
const arbPermissionCase = fc.constantFrom(...CENTRES).chain((c) =>
  fc
    .record({
      road: arbLine(c, 12_000),
      width: fc.integer({ min: 150, max: 2000 }),
      offsets: fc.array(
        fc.record({
          azi: fc.double({ min: 0, max: 360, noNaN: true }),
          f: fc.double({ min: 0, max: 1, noNaN: true }),
        }),
        {
          minLength: 4,
          maxLength: 4,
        },
      ),
      detour: fc.option(
        fc.record({
          at: fc.nat(),
          f: fc.double({ min: 1.05, max: 3, noNaN: true }),
          azi: fc.double({ min: 0, max: 360, noNaN: true }),
        }),
        { freq: 2 },
      ),
      bufferF: fc.double({ min: 0, max: 1, noNaN: true }),
      party: fc.constantFrom(...PARTIES),
      owner: fc.constantFrom(...PARTIES),
      areaAt: fc.nat(),
      areaR: fc.integer({ min: 100, max: 3000 }),
      scheduled: fc.boolean(),
      startH: fc.integer({ min: -30, max: 90 }),
      lengthH: fc.integer({ min: 1, max: 12 }),
      permitted: fc.subarray(PARTIES, { minLength: 1 }),
      of: fc.option(fc.constantFrom(...PARTIES), { freq: 2 }),
      permStartH: fc.option(fc.integer({ min: -24, max: 60 }), { freq: 2 }),
      corridorStartH: fc.option(fc.integer({ min: -24, max: 60 }), { freq: 2 }),
    })
    .map((r) => {
      // The route: the road's vertices, each moved by up to 0.8 of the corridor's half-width
      // (the corridor's edges are geodesics, so between vertices it may stray a little more).
      const route: Position[] = r.road.map((p, i) => {
        const o = r.offsets[i] as { azi: number; f: number };
        return o.f * r.width * 0.8 < 1 ? p : direct(p, o.azi, o.f * r.width * 0.8);
      });
      if (r.detour !== null) {
        const i = r.detour.at % route.length;
        route.splice(i + 1, 0, direct(route[i] as Position, r.detour.azi, r.width * r.detour.f));
      }
      const start = T0 + r.startH * HOUR;
      const end = start + r.lengthH * HOUR;
      const movement: Declaration = {
        id: 'mov',
        kind: 'movement',
        party: r.party,
        geometry: { type: 'LineString', coordinates: route },
        start,
        end,
        buffer_m: Math.round(r.bufferF * r.width * 0.5),
        visibility: 'all',
        ...(r.scheduled && {
          schedule: route.map((_, i) => start + ((end - start) * i) / (route.length - 1)),
        }),
      };
      const area: Declaration = {
        id: 'area',
        kind: 'area_of_responsibility',
        party: r.owner,
        geometry: {
          type: 'Polygon',
          coordinates: [regularPolygon(route[r.areaAt % route.length] as Position, r.areaR, 6)],
        },
        start: T0 - 2 * DAY,
        end: null,
        buffer_m: 0,
        visibility: 'all',
      };
      const within = (h: number | null) =>
        h === null
          ? AGREEMENT_WINDOW
          : { start: T0 + h * HOUR, end: Math.min(AGREEMENT_WINDOW.end, T0 + (h + 30) * HOUR) };
      const corridor: Term = {
        id: 'corridor',
        term: 'corridor',
        geometry: { type: 'LineString', coordinates: r.road },
        ...within(r.corridorStartH),
        parties: PARTIES,
        buffer_m: r.width,
      };
      const permission: Term = {
        id: 'perm',
        term: 'permission',
        geometry: null,
        ...within(r.permStartH),
        parties: r.permitted,
        buffer_m: 0,
        rule: 'incursion',
        within: 'corridor',
        ...(r.of !== null && { of: r.of }),
      };
      return { movement, area, agreement: agreementOf('p', [corridor, permission]), corridor, permission };
    }),
);

/** Every point of `shape` every `step` metres along its edges (and its points). */
function densely(shape: ReturnType<typeof toShape>, step: number): Position[] {
  const out: Position[] = [...shape.points];
  for (const e of shape.edges) {
    const n = Math.max(1, Math.ceil(e.len / step));
    for (let k = 0; k <= n; k++) out.push(linePoint(e.line, (e.len * k) / n).pos);
  }
  return out;
}

describe('permission properties', () => {
  it('lift only incursions of the permitted parties, into the areas named, inside the windows and the corridor', () => {
    let lifted = 0;
    let refused = 0;
    fc.assert(
      fc.property(arbPermissionCase, ({ movement, area, agreement, corridor, permission }) => {
        const c = incursion(movement, area);
        if (c === null) return;
        const yes = permits(agreement, c, movement, area);
        // Never for another rule.
        assert.equal(permits(agreement, { ...c, rule: 'restricted' }, movement, area), false);
        if (!yes) {
          refused++;
          return;
        }
        lifted++;
        assert.ok(permission.parties.includes(movement.party), 'a permitted party');
        assert.ok(permission.of === undefined || permission.of === area.party, 'the area of `of`');
        assert.ok(c.window.end !== null);
        for (const w of [permission, corridor]) {
          assert.ok(w.start <= c.window.start && (c.window.end as number) <= w.end, 'inside the windows');
        }
        // Independently: every point of the movement while in the area, every 20 m, lies within
        // the corridor's half-width less the movement's buffer.
        const route = movement.geometry as { type: 'LineString'; coordinates: Position[] };
        const there = movement.schedule
          ? coveredShape(makeTrack(route.coordinates, movement.schedule), c.window.start, c.window.end)
          : toShape(route);
        const road = toShape(corridor.geometry as Geometry);
        for (const p of densely(there, 20)) {
          const d = shapeDistanceWithin(toShape({ type: 'Point', coordinates: p }), road, corridor.buffer_m);
          assert.ok(
            d !== null && d.d + movement.buffer_m <= corridor.buffer_m,
            `a point ${d?.d} m from the road`,
          );
        }
      }),
      { numRuns: RUNS },
    );
    assert.ok(lifted > 0, 'some incursions were lifted');
    assert.ok(refused > 0, 'some were not');
  });

  it('a movement partly outside the corridor, or outside the window, still conflicts', () => {
    fc.assert(
      fc.property(
        arbPermissionCase,
        fc.integer({ min: 0, max: 3 }),
        ({ movement, area, agreement, corridor }, at) => {
          const route = (movement.geometry as { coordinates: readonly Position[] }).coordinates;
          const i = at % route.length;
          // A detour well beyond the corridor (the whole route counts: it has no schedule).
          const out = direct(route[i] as Position, 90, corridor.buffer_m * 3 + 1000);
          const detoured: Declaration = {
            ...movement,
            geometry: {
              type: 'LineString',
              coordinates: [...route.slice(0, i + 1), out, ...route.slice(i + 1)],
            },
          };
          const { schedule: _, ...unscheduled } = detoured;
          const c = incursion(unscheduled, area);
          if (c !== null) assert.equal(permits(agreement, c, unscheduled, area), false, 'partly outside');
          // After the agreement: outside every window.
          const late: Declaration = {
            ...movement,
            start: AGREEMENT_WINDOW.end + HOUR,
            end: AGREEMENT_WINDOW.end + 3 * HOUR,
          };
          const { schedule: __, ...lateUnscheduled } = late;
          const d = incursion(lateUnscheduled, area);
          if (d !== null)
            assert.equal(permits(agreement, d, lateUnscheduled, area), false, 'outside the window');
        },
      ),
      { numRuns: RUNS },
    );
  });
});
