/**
 * The console's committed rivers layer (web/basemap/rivers.json, made by scripts/make-rivers.ts
 * from GSHHG): valid GeoJSON that MapLibre can draw, and rivers where rivers are. The places are
 * checked with the engine's geodesic point-to-edge distance (itself tested against
 * GeographicLib in geodesy.test.ts); the bounds leave room for the data's ~1 km resolution and
 * for a city's centre point lying off its river.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { pointEdge } from '../src/engine/geodesy/distance.ts';
import { makeEdge } from '../src/engine/geodesy/shape.ts';
import type { Position } from '../src/engine/types.ts';

interface Rivers {
  type: string;
  features: {
    type: string;
    properties: { level: number };
    geometry: { type: string; coordinates: Position[][] };
  }[];
}
const rivers = JSON.parse(
  readFileSync(new URL('../web/basemap/rivers.json', import.meta.url), 'utf8'),
) as Rivers;

/** Geodesic distance from p to the nearest river edge of class ≤ maxLevel within 0.5° of it. */
function nearestRiver(p: Position, maxLevel = 4): number {
  let best = Number.POSITIVE_INFINITY;
  for (const f of rivers.features) {
    if (f.properties.level > maxLevel) continue;
    for (const line of f.geometry.coordinates) {
      for (let i = 1; i < line.length; i++) {
        const a = line[i - 1] as Position;
        const b = line[i] as Position;
        const near = (k: 0 | 1) => Math.min(a[k], b[k]) <= p[k] + 0.5 && Math.max(a[k], b[k]) >= p[k] - 0.5;
        if (near(0) && near(1)) best = Math.min(best, pointEdge(p, makeEdge(a, b)).d);
      }
    }
  }
  return best;
}

describe('basemap rivers', () => {
  it('is a FeatureCollection of one MultiLineString per river class 1–4, every position in range', () => {
    assert.equal(rivers.type, 'FeatureCollection');
    assert.deepEqual(
      rivers.features.map((f) => [f.type, f.geometry.type, f.properties.level]),
      [1, 2, 3, 4].map((l) => ['Feature', 'MultiLineString', l]),
    );
    let positions = 0;
    for (const f of rivers.features) {
      assert.ok(f.geometry.coordinates.length > 100, `class ${f.properties.level} has lines`);
      for (const line of f.geometry.coordinates) {
        assert.ok(line.length >= 2, 'a line has two positions or more');
        line.forEach(([lon, lat], i) => {
          assert.ok(
            lon !== undefined && lon >= -180 && lon <= 180 && lat !== undefined && lat >= -90 && lat <= 90,
          );
          const prev = line[i - 1];
          assert.ok(!prev || prev[0] !== lon || prev[1] !== lat, 'no repeated position (a zero-length edge)');
        });
        positions += line.length;
      }
    }
    assert.ok(positions > 100_000, `${positions} positions`);
  });

  it('has the great rivers through the cities on them', () => {
    const cases: [string, Position, number, number][] = [
      // place, centre, class at most, bound (m)
      ['Tigris at Baghdad', [44.3661, 33.3152], 1, 1500],
      ['Nile at Cairo', [31.2357, 30.0444], 2, 1500],
      ['Danube at Budapest', [19.0402, 47.4979], 2, 1500],
      ['Danube at Belgrade', [20.4569, 44.8176], 3, 2000],
      ['Dnipro at Kyiv', [30.5234, 50.4501], 2, 3000],
      ['Tigris at Mosul', [43.13, 36.34], 2, 2500],
      ['Mureș at Arad', [21.3123, 46.1866], 4, 2500],
    ];
    for (const [what, p, level, bound] of cases) {
      const d = nearestRiver(p, level);
      assert.ok(d <= bound, `${what}: nearest river of class ≤ ${level} is ${Math.round(d)} m away`);
    }
  });

  it('runs along the demo scenario’s deconfliction line, which follows the Mureș', () => {
    type F = { properties: { id: string }; geometry: { coordinates: Position[][] } };
    const scenario = JSON.parse(
      readFileSync(new URL('../scenarios/river-line.geojson', import.meta.url), 'utf8'),
    ) as { features: F[] };
    const ring = (id: string) =>
      (scenario.features.find((f) => f.properties.id === id) as F).geometry.coordinates[0] as Position[];
    const north = new Set(ring('aor-northern-north').map((p) => p.join()));
    const line = ring('aor-coalition-south').filter((p) => north.has(p.join()));
    assert.ok(line.length >= 8, `${line.length} vertices shared by the two areas`);
    const d = line.map((p) => nearestRiver(p)).sort((x, y) => x - y);
    // The scenario draws the river with 10 vertices "following the real bank only roughly".
    assert.ok(
      (d[d.length - 1] as number) <= 3500,
      `farthest vertex ${Math.round(d[d.length - 1] as number)} m`,
    );
    assert.ok(
      (d[Math.floor(d.length / 2)] as number) <= 1000,
      `median ${Math.round(d[Math.floor(d.length / 2)] as number)} m`,
    );
  });
});
