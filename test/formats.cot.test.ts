/**
 * Cursor-on-Target and TAK data packages, against a real TAK library: @tak-ps/node-cot parses
 * every event the hub writes for the demo theatre (declarations, conflicts, alerts, deletes) and
 * its GeoJSON lands within 1 m of ours, vertex by vertex; it opens the data package and lists
 * every event. Then the way back: decode(encode(x)) is the declaration's input exactly (numbers
 * are written as shortest round-trip decimals), an import into a fresh hub finds the same
 * conflicts, foreign events map only when their type is beyond doubt, and a party's export never
 * carries a declaration hidden from it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoTParser, DataPackage } from '@tak-ps/node-cot';
import type { ConflictView, DeclarationFeature } from '../src/api/declarations.ts';
import type { Position } from '../src/engine/types.ts';
import { DeconflictError } from '../src/errors.ts';
import { packageToFeatures } from '../src/formats/cot/datapackage.ts';
import { cotToFeatures, type InputFeature } from '../src/formats/cot/decode.ts';
import {
  alertEvent,
  conflictEvent,
  declarationEvent,
  removalEvent,
  uidOfAlert,
  uidOfConflict,
  uidOfDeclaration,
} from '../src/formats/cot/encode.ts';
import { EXPORTERS } from '../src/formats/export/registry.ts';
import type { Exporter, Picture } from '../src/formats/export/types.ts';
import type { Principal } from '../src/hub/access.ts';
import { loadDemo } from '../src/hub/demo.ts';
import { pictureFor } from '../src/hub/exports.ts';
import { geodesicDistance } from './support/arbitraries.ts';
import { startHub, type TestHub } from './support/hub.ts';

const as = (party: string): Principal => ({
  username: `${party}.operator`,
  party,
  roles: ['operator'],
  tokenId: 'test',
});

/** A restricted zone of two polygons, the first with a hole: more than one TAK shape can draw. */
const MULTI: InputFeature = {
  type: 'Feature',
  geometry: {
    type: 'MultiPolygon',
    coordinates: [
      [
        [
          [21.45, 46.2],
          [21.50000012345679, 46.2],
          [21.5, 46.23],
          [21.45, 46.23],
          [21.45, 46.2],
        ],
        [
          [21.47, 46.21],
          [21.47, 46.22],
          [21.48, 46.22],
          [21.48, 46.21],
          [21.47, 46.21],
        ],
      ],
      [
        [
          [21.52, 46.2],
          [21.55, 46.2],
          [21.55, 46.22],
          [21.52, 46.2],
        ],
      ],
    ],
  },
  properties: {
    id: 'rz-east-fields',
    kind: 'restricted_zone',
    start: '2026-11-23T06:00:00Z',
    end: '2026-11-24T06:00:00Z',
    altitude: { lower_m: 0, upper_m: 2000, reference: 'AMSL' },
    applies_to: ['northern-forces'],
    visibility: ['northern-forces', 'city-police'],
    notify: ['northern-forces'],
    label: 'East fields: mine clearance',
  },
};

/** A zone around a point, its label and notes full of what XML must escape. */
const HOSTILE_TEXT: InputFeature = {
  type: 'Feature',
  geometry: { type: 'Point', coordinates: [21.3312345678901, 46.1987654321] },
  properties: {
    id: 'rz-bridge',
    kind: 'restricted_zone',
    start: '2026-11-23T08:00:00Z',
    end: '2026-11-23T20:00:00Z',
    buffer_m: 500,
    label: `<script>alert("x")</script> & 'bridge' ]]>`,
    notes: 'Line one\nLine two\twith a tab & <b>markup</b>',
  },
};

/** The input a declaration was (its view minus what the hub adds). */
function inputOf(f: DeclarationFeature): InputFeature {
  const { version: _v, status: _s, created_at: _c, created_by: _b, end, ...rest } = f.properties;
  // Open-ended is `end` absent in input (the view writes null).
  const props = end === null ? rest : { ...rest, end };
  return { type: 'Feature', geometry: f.geometry, properties: props } as InputFeature;
}

async function all<T>(xs: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of xs) out.push(x);
  return out;
}

/** A registered exporter (the registry is what the API and the CLI offer). */
function exporter(format: string): Exporter {
  const e = EXPORTERS.get(format);
  assert.ok(e, `no ${format} exporter`);
  return e;
}

async function bytesOf(chunks: AsyncIterable<string | Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c));
  return Buffer.concat(parts);
}

/** A picture whose declarations can be read again (the hub's is a one-shot stream). */
function replay(p: Picture, declarations: readonly DeclarationFeature[]): Picture {
  return {
    ...p,
    declarations: (async function* () {
      yield* declarations;
    })(),
  };
}

const xy = (p: readonly number[]): Position => [p[0] as number, p[1] as number];

function assertNear(ours: readonly Position[], theirs: readonly (readonly number[])[], what: string): void {
  assert.equal(theirs.length, ours.length, `${what}: vertex count`);
  ours.forEach((p, i) => {
    const d = geodesicDistance(p, xy(theirs[i] as number[]));
    assert.ok(d <= 1, `${what} vertex ${i}: ${d} m from ours`);
  });
}

let t: TestHub;
let picture: Picture;
let declarations: DeclarationFeature[];
const NOW = Date.UTC(2026, 10, 22, 12);

before(async () => {
  t = await startHub();
  for (const f of [MULTI, HOSTILE_TEXT]) await t.hub.declarations.submit(as('coalition'), f);
  picture = await pictureFor(t.hub, as('coalition'));
  declarations = await all(picture.declarations);
});
after(() => t.close());

describe('CoT events read by @tak-ps/node-cot', () => {
  it('every declaration: parsed, its uid, and its GeoJSON within 1 m of ours', async () => {
    assert.ok(declarations.length >= 20, 'the demo theatre and the two added zones');
    const kinds = new Set<string>();
    for (const f of declarations) {
      const p = f.properties;
      const xml = declarationEvent(f, { now: NOW, stale: NOW + 3_600_000, viewer: 'coalition' });
      assert.ok(!xml.includes('\n'), 'one event, one line');
      const cot = CoTParser.from_xml(xml);
      assert.equal(cot.uid(), uidOfDeclaration(p.id));
      const gj = await CoTParser.to_geojson(cot);
      const g = f.geometry;
      kinds.add(`${p.kind}/${g.type}`);
      if (g.type === 'Point') {
        assert.equal(gj.properties.center.length, 3);
        assertNear([g.coordinates as unknown as Position], [gj.properties.center], p.id);
        if (p.kind === 'restricted_zone')
          assert.equal(gj.geometry.type, 'Polygon', 'a zone around a point is its circle');
        else assert.equal(gj.geometry.type, 'Point');
      } else if (g.type === 'LineString') {
        assert.equal(gj.geometry.type, 'LineString', `${p.id} stays a line`);
        assertNear(g.coordinates as Position[], gj.geometry.coordinates as number[][], p.id);
        assert.equal(gj.properties.type, p.kind === 'movement' ? 'b-m-r' : 'u-d-f');
      } else {
        assert.equal(gj.geometry.type, 'Polygon', `${p.id} stays a polygon`);
        const outer = (
          g.type === 'Polygon' ? g.coordinates[0] : (g.coordinates[0] as Position[][])[0]
        ) as Position[];
        assertNear(outer, (gj.geometry.coordinates as number[][][])[0] as number[][], p.id);
      }
      // The viewer's frame: its own party friend, others neutral, never hostile.
      if (gj.properties.type.startsWith('a-')) {
        assert.equal(gj.properties.type[2], p.party === 'coalition' ? 'f' : 'n', p.id);
      }
    }
    for (const k of ['protected_site/Point', 'protected_site/Polygon', 'movement/LineString', 'strike/Point'])
      assert.ok(kinds.has(k), `the theatre has a ${k}`);
    for (const k of ['air_operation/LineString', 'air_operation/Polygon', 'restricted_zone/MultiPolygon'])
      assert.ok(kinds.has(k), `the theatre has a ${k}`);
  });

  it('protected sites take the 2525 installation types of their category', async () => {
    const types = new Map<string, string>();
    for (const f of declarations.filter(
      (d) => d.geometry.type === 'Point' && d.properties.kind === 'protected_site',
    )) {
      const gj = await CoTParser.to_geojson(
        CoTParser.from_xml(declarationEvent(f, { now: NOW, stale: NOW + 1, viewer: 'coalition' })),
      );
      types.set(f.properties.id, gj.properties.type);
    }
    assert.equal(types.get('coalition:site-north-hospital'), 'a-f-G-I-X-H');
    assert.equal(types.get('city-police:site-south-hospital'), 'a-n-G-I-X-H');
    assert.equal(types.get('northern-forces:site-north-school'), 'a-n-G-I-c-sch');
    assert.equal(types.get('city-police:site-cathedral'), 'a-n-G-I-c-rel');
  });

  it('labels and notes with <script>, &, quotes and line breaks survive escaping', async () => {
    const f = declarations.find((d) => d.properties.id === 'coalition:rz-bridge') as DeclarationFeature;
    const xml = declarationEvent(f, { now: NOW, stale: NOW + 1, viewer: 'coalition' });
    assert.ok(!xml.includes('<script>'));
    const gj = await CoTParser.to_geojson(CoTParser.from_xml(xml));
    assert.equal(gj.properties.callsign, HOSTILE_TEXT.properties.label);
    assert.ok(String(gj.properties.remarks).includes(HOSTILE_TEXT.properties.notes as string));
    const [back] = cotToFeatures(xml);
    assert.equal(back?.properties.label, HOSTILE_TEXT.properties.label);
    assert.equal(back?.properties.notes, HOSTILE_TEXT.properties.notes);
  });

  it('conflicts: a line between the closest points, in the severity colour; alerts: b-a-g', async () => {
    assert.ok(picture.conflicts.length > 0 && picture.alerts.length > 0, 'the demo has conflicts and alerts');
    let lines = 0;
    for (const c of picture.conflicts) {
      const at: Position = [21.3, 46.15];
      const cot = CoTParser.from_xml(conflictEvent(c, { now: NOW, stale: NOW + 60_000, at }));
      assert.equal(cot.uid(), uidOfConflict(c.id));
      const gj = await CoTParser.to_geojson(cot);
      assert.ok(String(gj.properties.remarks).includes(c.rule));
      const [pa, pb] = c.closest ?? [];
      if (pa && pb && geodesicDistance(pa, pb) > 0) {
        lines++;
        assert.equal(gj.geometry.type, 'LineString');
        assertNear([pa, pb], gj.geometry.coordinates as number[][], c.id);
        assert.ok(Math.abs(geodesicDistance(pa, pb) - (c.distance_m as number)) < 0.01);
      } else {
        assert.equal(gj.geometry.type, 'Point');
        assertNear([pa ?? at], [gj.geometry.coordinates as number[]], c.id);
      }
    }
    assert.ok(lines > 0, 'some conflict is between two apart points');
    for (const a of picture.alerts) {
      const cot = CoTParser.from_xml(alertEvent(a, { now: NOW, stale: NOW + 60_000 }));
      assert.equal(cot.uid(), uidOfAlert(a.id));
      const gj = await CoTParser.to_geojson(cot);
      assert.equal(gj.properties.type, 'b-a-g');
      if (a.summary.conflict?.closest)
        assertNear([a.summary.conflict.closest[0]], [gj.geometry.coordinates as number[]], a.id);
    }
  });

  it('a removal is a t-x-d-d linking the uid it deletes', async () => {
    const uid = uidOfDeclaration('coalition:coa-strike-depot');
    const gj = await CoTParser.to_geojson(CoTParser.from_xml(removalEvent(uid, NOW)));
    assert.equal(gj.properties.type, 't-x-d-d');
    assert.deepEqual(
      gj.properties.links?.map((l) => l.uid),
      [uid],
    );
    assert.notEqual(gj.id, uid, 'the delete is an event of its own');
  });
});

describe('the cot and takpkg exports', () => {
  it('cot: one event a line, every one parsed; declarations, then conflicts, then alerts', async () => {
    const text = (await bytesOf(exporter('cot').write(replay(picture, declarations)))).toString('utf8');
    const lines = text.split('\n').filter((l) => l !== '');
    const uids = lines.map((l) => CoTParser.from_xml(l).uid());
    const expected = declarations.map((d) => uidOfDeclaration(d.properties.id));
    assert.deepEqual(uids.slice(0, expected.length), expected);
    assert.deepEqual(
      uids.slice(expected.length, expected.length + picture.conflicts.length),
      picture.conflicts.map((c) => uidOfConflict(c.id)),
    );
    assert.ok(
      uids.slice(expected.length + picture.conflicts.length).every((u) => u.startsWith('deconflict.alert.')),
    );
  });

  it('takpkg: DataPackage opens it, its manifest lists every event, each parses', async () => {
    const zip = await bytesOf(exporter('takpkg').write(replay(picture, declarations)));
    const cot = (await bytesOf(exporter('cot').write(replay(picture, declarations)))).toString();
    const expected = cot
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => CoTParser.from_xml(l).uid());
    const dir = mkdtempSync(join(tmpdir(), 'deconflict-takpkg-'));
    try {
      const path = join(dir, 'package.zip');
      writeFileSync(path, zip);
      const pkg = await DataPackage.parse(path, { cleanup: false });
      assert.equal(pkg.version, '2');
      assert.equal(pkg.settings.uid, 'deconflict.package.coalition');
      assert.match(String(pkg.settings.name), /^Deconflict coalition \d{6}Z[A-Z]{3}\d{2}$/);
      assert.equal(pkg.contents.length, expected.length);
      const cots = await pkg.cots();
      assert.deepEqual(
        cots.map((c) => c.uid()),
        expected,
      );
      for (const c of cots) await CoTParser.to_geojson(c);
      await pkg.destroy();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // Read back through the hub's bounded unzip: the same declarations as the .cot file.
    assert.deepEqual(await packageToFeatures(zip), cotToFeatures(cot));
  });

  it("a party's export never carries a declaration hidden from it", async () => {
    const clinic = 'relief-agency:site-relief-clinic';
    assert.ok(
      declarations.some((d) => d.properties.id === clinic),
      'coalition may see the clinic',
    );
    // A northern strike next to the clinic, which the northern forces may not see.
    const strike: Position = [21.3215, 46.1985];
    await t.hub.declarations.submit(as('northern-forces'), {
      type: 'Feature',
      geometry: { type: 'Point', coordinates: strike },
      properties: {
        id: 'nf-strike-yard',
        kind: 'strike',
        start: '2026-11-24T08:00:00Z',
        end: '2026-11-24T09:00:00Z',
        buffer_m: 200,
      },
    });
    const seen = await pictureFor(t.hub, as('northern-forces'));
    const cot = (await bytesOf(exporter('cot').write(seen))).toString();
    const zip = await bytesOf(exporter('takpkg').write(await pictureFor(t.hub, as('northern-forces'))));
    const where = (declarations.find((d) => d.properties.id === clinic) as DeclarationFeature).geometry
      .coordinates as unknown as Position;
    assert.ok(cot.length > 0);
    const [lon, lat] = where;
    assert.ok(!cot.includes('site-relief-clinic'), 'the hidden id');
    assert.ok(!cot.includes(`lat="${lat}" lon="${lon}"`), 'no event placed on the hidden site');
    // (The convoy, which it may see, legitimately ends at the clinic's door: a vertex, not a site.)
    for (const features of [cotToFeatures(cot), await packageToFeatures(zip)]) {
      assert.ok(features.length > 0);
      for (const f of features) {
        assert.notEqual((f.properties as { id?: string }).id, clinic);
        assert.ok(
          f.geometry.type !== 'Point' || JSON.stringify(f.geometry.coordinates) !== `[${lon},${lat}]`,
        );
      }
    }
    // Its own view of those conflicts names only the hidden side's party.
    // The conflict with it is there, placed on the side the viewer sees, the other side only a party.
    const probe = seen.conflicts.find((c) => 'hidden' in c.b || 'hidden' in c.a) as ConflictView;
    assert.ok(probe, 'the strike conflicts with the hidden clinic');
    const line = cot.split('\n').find((l) => l.includes(`uid="${uidOfConflict(probe.id)}"`)) as string;
    assert.ok(line.includes(`lat="${strike[1]}" lon="${strike[0]}"`), 'placed on the strike');
    assert.ok(line.includes('relief-agency (hidden'));
  });
});

describe('decoding CoT', () => {
  it('gives back every declaration’s input exactly, and an import finds the same conflicts', async () => {
    const cot = (await bytesOf(exporter('cot').write(replay(picture, declarations)))).toString();
    const back = cotToFeatures(cot);
    assert.deepEqual(back, declarations.map(inputOf), 'conflict and alert events are skipped');

    // Into a fresh hub with the same parties, each party submitting its own.
    const empty = join(mkdtempSync(join(tmpdir(), 'deconflict-cot-')), 'empty.geojson');
    writeFileSync(empty, JSON.stringify({ type: 'FeatureCollection', features: [] }));
    const fresh = await startHub({ demo: false });
    try {
      await loadDemo(fresh.hub, empty);
      for (const party of new Set(back.map((f) => (f.properties as { party?: string }).party))) {
        const own = back.filter((f) => (f.properties as { party?: string }).party === party);
        await fresh.hub.declarations.submit(as(party as string), {
          type: 'FeatureCollection',
          features: own,
        });
      }
      const key = (c: ConflictView) =>
        'id' in c.a && 'id' in c.b && !('hidden' in c.a) && !('hidden' in c.b)
          ? `${c.rule} ${c.a.id} ${c.b.id} ${c.severity} ${c.distance_m?.toFixed(3)}`
          : null;
      const before = picture.conflicts
        .map(key)
        .filter((k) => k !== null)
        .sort();
      const again = (await fresh.hub.conflicts.list(as('coalition'), { status: 'open', limit: 5000 }))
        .map(key)
        .filter((k) => k !== null)
        .sort();
      assert.ok(before.length > 0);
      assert.deepEqual(again, before);
    } finally {
      await fresh.close();
      rmSync(join(empty, '..'), { recursive: true, force: true });
    }
  });

  it('maps a foreign hospital marker and route, and refuses a drawn shape naming the event', () => {
    const ev = (uid: string, type: string, detail: string, lat = 46.17, lon = 21.31) =>
      `<event version="2.0" uid="${uid}" type="${type}" how="h-g-i-g-o" time="2026-11-23T08:00:00Z" start="2026-11-23T08:00:00Z" stale="2026-11-30T08:00:00Z"><point lat="${lat}" lon="${lon}" hae="9999999" ce="9999999" le="9999999"/><detail>${detail}</detail></event>`;
    const hospital = ev(
      'ANDROID-1.hospital',
      'a-u-G-I-X-H',
      '<contact callsign="Field hospital"/><remarks>40 beds</remarks>',
    );
    const route = ev(
      'route 7',
      'b-m-r',
      '<link point="46.1,21.2"/><link point="46.12,21.25,120"/><contact callsign="Convoy"/>',
    );
    const features = cotToFeatures(`<?xml version="1.0"?>\n${hospital}\n${route}`);
    assert.deepEqual(features, [
      {
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [21.31, 46.17] },
        properties: {
          kind: 'protected_site',
          id: 'ANDROID-1.hospital',
          category: 'medical',
          start: '2026-11-23T08:00:00Z',
          end: '2026-11-30T08:00:00Z',
          label: 'Field hospital',
          notes: '40 beds',
        },
      },
      {
        type: 'Feature',
        geometry: {
          type: 'LineString',
          coordinates: [
            [21.2, 46.1],
            [21.25, 46.12],
          ],
        },
        properties: {
          kind: 'movement',
          start: '2026-11-23T08:00:00Z',
          end: '2026-11-30T08:00:00Z',
          label: 'Convoy',
        },
      },
    ]);

    const shape = ev('shape-1', 'u-d-f', '<link point="46.1,21.2"/><link point="46.2,21.3"/>');
    const badLat = ev('hosp-2', 'a-n-G-I-X-H', '', Number.NaN);
    assert.throws(
      () => cotToFeatures(`<events>${hospital}${shape}${badLat}</events>`),
      (err: unknown) => {
        assert.ok(err instanceof DeconflictError);
        assert.deepEqual(
          err.details.map((d) => [d.code, d.feature, d.path]),
          [
            ['cot_unmapped', { index: 1, id: 'shape-1' }, 'event.type'],
            ['import_bad_value', { index: 2, id: 'hosp-2' }, 'event.point.lat'],
          ],
        );
        return true;
      },
    );
  });

  it('skips the hub’s conflict and alert events and deletes; refuses a DTD and a file with no event', async () => {
    const c = picture.conflicts[0] as ConflictView;
    const text = [
      conflictEvent(c, { now: NOW, stale: NOW + 1, at: [21.3, 46.1] }),
      alertEvent(picture.alerts[0] as Picture['alerts'][number], { now: NOW, stale: NOW + 1 }),
      removalEvent(uidOfDeclaration('coalition:x'), NOW),
    ].join('\n');
    assert.deepEqual(cotToFeatures(text), []);
    const dtd = `<!DOCTYPE event [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<event uid="a" type="a-n-G-I-X-H"/>`;
    assert.throws(
      () => cotToFeatures(dtd),
      (e: unknown) => e instanceof DeconflictError && e.code === 'unsafe_file',
    );
    assert.throws(
      () => cotToFeatures('<kml/>'),
      (e: unknown) => e instanceof DeconflictError && e.code === 'invalid_file',
    );
  });
});
