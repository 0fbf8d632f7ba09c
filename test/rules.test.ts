/**
 * Golden fixtures for the nine rules of docs/design.md §4, Turf style: each `fixtures/rules/in/*.geojson`
 * is a FeatureCollection of declarations with a foreign member `expected` (the conflicts DESIGN
 * says must fire, derived from how `generate.ts` built the geometry). The engine's output must
 * list exactly those conflicts, and match `fixtures/rules/out/*.geojson` — one LineString per
 * conflict between its closest points, coloured by severity so a golden reads on a map.
 *
 * Regenerate the inputs with `node --import tsx test/fixtures/rules/generate.ts` and the goldens
 * with `REGEN=1 node --import tsx --test test/rules.test.ts`.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  type Conflict,
  checkDeclarations,
  DEFAULT_OPTIONS,
  type Declaration,
  DISTANCE_TOLERANCE_M,
  formatIsoUtc,
  parseDeclarations,
  type RuleName,
  type Severity,
} from '../src/engine/index.ts';

const IN_DIR = fileURLToPath(new URL('./fixtures/rules/in/', import.meta.url));
const OUT_DIR = fileURLToPath(new URL('./fixtures/rules/out/', import.meta.url));
const REGEN = process.env.REGEN === '1';

/** One conflict a fixture says must fire; the optional fields are checked when present. */
interface Expected {
  readonly rule: RuleName;
  readonly a: string;
  readonly b: string;
  readonly severity?: Severity;
  readonly internal?: boolean;
  readonly distance_m?: number;
  readonly window?: { readonly start: string; readonly end: string | null };
}

const STROKE: Record<Severity, string> = {
  critical: '#e31a1c',
  high: '#ff7f00',
  medium: '#ffd700',
  low: '#1f78b4',
};

const key = (x: { rule: string; a: string; b: string }): string => `${x.rule} ${x.a} ${x.b}`;

/** Rounded for a stable golden; `+ 0` turns −0 into 0, as JSON would. */
const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits + 0;

/**
 * The closest points as a line a map draws short: across the antimeridian the second longitude is
 * shifted by 360° (e.g. 180.001 for −179.999), as Leaflet, MapLibre and geojson.io expect, instead
 * of a line around the world.
 */
function unwrap([p, q]: Conflict['closest']): [number, number][] {
  const jump = q[0] - p[0];
  const lon = jump > 180 ? q[0] - 360 : jump < -180 ? q[0] + 360 : q[0];
  return [
    [p[0], p[1]],
    [lon, q[1]],
  ];
}

/** The golden: one LineString per conflict from its closest point on `a` to the one on `b`. */
function golden(conflicts: readonly Conflict[]): unknown {
  return {
    type: 'FeatureCollection',
    features: conflicts.map((c) => ({
      type: 'Feature',
      properties: {
        rule: c.rule,
        severity: c.severity,
        a: c.a,
        b: c.b,
        internal: c.internal,
        distance_m: round(c.distance_m, 3),
        window_start: formatIsoUtc(c.window.start),
        window_end: c.window.end === null ? null : formatIsoUtc(c.window.end),
        stroke: STROKE[c.severity],
        'stroke-width': 4,
      },
      geometry: {
        type: 'LineString',
        coordinates: unwrap(c.closest).map(([lon, lat]) => [round(lon, 7), round(lat, 7)]),
      },
    })),
  };
}

/** JSON with each position on one line, like the inputs. */
function stringify(x: unknown): string {
  return `${JSON.stringify(x, null, 2).replace(/\[\s+(-?[\d.e+-]+),\s+(-?[\d.e+-]+)\s+\]/g, '[$1, $2]')}\n`;
}

/** The distance threshold of a rule for a pair (aor_overlap: the interiors must overlap, 0). */
function threshold(rule: RuleName, x: Declaration, y: Declaration): number {
  if (rule === 'aor_overlap') return 0;
  const sum = x.buffer_m + y.buffer_m;
  return rule === 'air_air' ? sum + DEFAULT_OPTIONS.horizontalSeparation_m : sum;
}

function within(w: Conflict['window'], d: Declaration): boolean {
  if (w.start < d.start) return false;
  if (d.end === null) return true;
  return w.end !== null && w.end <= d.end;
}

const names = readdirSync(IN_DIR)
  .filter((f) => f.endsWith('.geojson'))
  .map((f) => basename(f, '.geojson'))
  .sort();

describe('rule fixtures', () => {
  it('exist', () => {
    assert.ok(names.length > 0, `no fixtures in ${IN_DIR}; run test/fixtures/rules/generate.ts`);
  });

  for (const name of names) {
    describe(name, () => {
      const input = JSON.parse(readFileSync(join(IN_DIR, `${name}.geojson`), 'utf8')) as {
        expected?: Expected[];
      };
      const expected = input.expected ?? [];
      const decls = parseDeclarations(input);
      const byId = new Map(decls.map((d) => [d.id, d]));
      const conflicts = checkDeclarations(decls);

      it('fires exactly the expected conflicts', () => {
        assert.ok(Array.isArray(input.expected), 'the fixture has no "expected" member');
        assert.deepEqual(conflicts.map(key).sort(), expected.map(key).sort());
      });

      it('reports the expected severity, internal flag, distance and window', () => {
        for (const e of expected) {
          const c = conflicts.find((x) => key(x) === key(e));
          if (c === undefined) continue; // reported by the test above
          if (e.severity !== undefined) assert.equal(c.severity, e.severity, `${key(e)}: severity`);
          if (e.internal !== undefined) assert.equal(c.internal, e.internal, `${key(e)}: internal`);
          if (e.distance_m !== undefined) {
            assert.ok(
              Math.abs(c.distance_m - e.distance_m) <= 2 * DISTANCE_TOLERANCE_M,
              `${key(e)}: distance ${c.distance_m} m, built at ${e.distance_m} m`,
            );
          }
          if (e.window !== undefined) {
            assert.deepEqual(
              {
                start: formatIsoUtc(c.window.start),
                end: c.window.end === null ? null : formatIsoUtc(c.window.end),
              },
              e.window,
              `${key(e)}: window`,
            );
          }
        }
      });

      it('reports conflicts that respect their rule', () => {
        for (const c of conflicts) {
          const x = byId.get(c.a);
          const y = byId.get(c.b);
          assert.ok(x !== undefined && y !== undefined, `${key(c)}: unknown declaration`);
          assert.ok(c.a < c.b, `${key(c)}: a must sort before b`);
          assert.equal(c.internal, x.party === y.party, `${key(c)}: internal`);
          assert.ok(c.distance_m >= 0, `${key(c)}: negative distance ${c.distance_m}`);
          const limit = threshold(c.rule, x, y) + DISTANCE_TOLERANCE_M;
          assert.ok(c.distance_m <= limit, `${key(c)}: distance ${c.distance_m} m beyond ${limit} m`);
          assert.ok(c.window.end === null || c.window.start < c.window.end, `${key(c)}: empty window`);
          assert.ok(within(c.window, x) && within(c.window, y), `${key(c)}: window outside a declaration's`);
        }
      });

      it('matches the golden', () => {
        const path = join(OUT_DIR, `${name}.geojson`);
        const actual = stringify(golden(conflicts));
        if (REGEN) {
          mkdirSync(OUT_DIR, { recursive: true });
          writeFileSync(path, actual);
        }
        assert.ok(existsSync(path), `no golden ${path}; run with REGEN=1`);
        assert.deepEqual(JSON.parse(actual), JSON.parse(readFileSync(path, 'utf8')));
      });
    });
  }
});
