/**
 * Visibility (docs/design.md §8) through the API: a party that may not see the other side of a conflict
 * learns that it exists, its rule, severity and window, and whom to call — never the hidden
 * declaration's id, label, notes, geometry, the distance or the closest points.
 *
 * The isolation test hides declarations with distinctive values and then walks every route of
 * the app as every account of every other party and as the hub admin, reads and writes, right and
 * wrong, and checks that no answer (status, headers, body) carries any hidden value, and that a
 * hidden id is answered exactly as an id that does not exist.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { InjectOptions } from 'fastify';
import type { ConflictView, SubmissionResult as Submission } from '../src/api/declarations.ts';
import { request as call, ok, type Res, sessions, startHub, type TestHub } from './support/hub.ts';
import type { AnySide } from './support/ids.ts';
import { own } from './support/ids.ts';

type Json = Record<string, unknown>;

const OWNER = 'relief-agency';
const OTHERS = ['coalition', 'northern-forces', 'city-police'] as const;
const ROLES = ['operator', 'watch', 'senior', 'admin'] as const;
const VIEWERS = [...OTHERS.flatMap((p) => ROLES.map((r) => `${p}.${r}`)), 'hub.admin'];

const mySide = (c: ConflictView, party: string): AnySide => (c.a.party === party ? c.a : c.b);
const theirSide = (c: ConflictView, party: string): AnySide => (c.a.party === party ? c.b : c.a);

function point(id: string | undefined, kind: string, lon: number, lat: number, extra: Json = {}) {
  return {
    type: 'Feature',
    geometry: { type: 'Point', coordinates: [lon, lat] },
    properties: { ...(id !== undefined && { id }), kind, ...extra },
  };
}

const STRIKE_WINDOW = { start: '2026-11-25T10:00:00Z', end: '2026-11-25T12:00:00Z' };
const strike = (id: string | undefined, lon: number, lat: number, buffer_m = 300) =>
  point(id, 'strike', lon, lat, { ...STRIKE_WINDOW, buffer_m });

describe('visibility', () => {
  let t: TestHub;
  const logins = sessions(() => t);
  const { as } = logins;

  before(async () => {
    t = await startHub();
  });
  after(async () => {
    await t.close();
  });

  it('a conflict with a hidden site: the striker sees that it exists and whom to call, the owner sees it all', async () => {
    const site = point('ra-shelter-vis', 'protected_site', 22.6, 45.6, {
      category: 'humanitarian',
      start: '2026-11-01T00:00:00Z',
      buffer_m: 200,
      visibility: [OWNER],
      label: 'Shelter Vireo',
      notes: 'Two hundred people in the basement',
    });
    ok(await call(t.app, await as(`${OWNER}.operator`), 'POST', '/api/v1/declarations', site), 201);

    const coa = await as('coalition.operator');
    const r = await call(t.app, coa, 'POST', '/api/v1/declarations', strike('coa-strike-vis', 22.6, 45.601));
    const sub = ok<Submission>(r, 201);
    assert.equal(sub.conflicts.length, 1, r.body);
    const seen = sub.conflicts[0] as ConflictView;
    assert.equal(seen.rule, 'strike_protected');
    assert.equal(seen.severity, 'critical');
    assert.equal(seen.status, 'open');
    assert.deepEqual(seen.window, { start: '2026-11-25T10:00:00Z', end: '2026-11-25T12:00:00Z' });
    assert.deepEqual(seen.a, {
      id: own('coalition', 'coa-strike-vis'),
      version: 1,
      party: 'coalition',
      kind: 'strike',
    });
    assert.deepEqual(seen.b, { party: OWNER, hidden: true });
    assert.ok(!('distance_m' in seen) && !('closest' in seen), r.body);
    for (const secret of ['ra-shelter-vis', 'Shelter Vireo', 'basement', '22.6,45.6', '45.6]']) {
      assert.ok(!r.body.includes(secret), `${secret} in ${r.body}`);
    }

    // The same through the conflict routes, for every coalition account.
    for (const role of ROLES) {
      const token = await as(`coalition.${role}`);
      const list = ok<{ conflicts: ConflictView[] }>(
        await call(
          t.app,
          token,
          'GET',
          `/api/v1/conflicts?declaration=${own('coalition', 'coa-strike-vis')}`,
        ),
      );
      assert.deepEqual(list.conflicts, [seen]);
      assert.deepEqual(ok(await call(t.app, token, 'GET', `/api/v1/conflicts/${seen.id}`)), seen);
    }
    const all = ok<{ conflicts: ConflictView[] }>(
      await call(t.app, coa, 'GET', '/api/v1/conflicts?limit=5000'),
    );
    assert.deepEqual(
      all.conflicts.filter((c) => c.id === seen.id),
      [seen],
    );
    assert.equal(
      (await call(t.app, coa, 'GET', `/api/v1/declarations/${own(OWNER, 'ra-shelter-vis')}`)).statusCode,
      404,
      'the site itself stays hidden',
    );

    // The owner sees the conflict in full: the coalition's strike is visible to all.
    const full = ok<ConflictView>(
      await call(t.app, await as(`${OWNER}.watch`), 'GET', `/api/v1/conflicts/${seen.id}`),
    );
    assert.deepEqual(full.a, {
      id: own('coalition', 'coa-strike-vis'),
      version: 1,
      party: 'coalition',
      kind: 'strike',
    });
    assert.deepEqual(full.b, {
      id: own(OWNER, 'ra-shelter-vis'),
      version: 1,
      party: OWNER,
      kind: 'protected_site',
      label: 'Shelter Vireo',
    });
    assert.equal(typeof full.distance_m, 'number');
    assert.ok(
      (full.distance_m as number) > 100 && (full.distance_m as number) < 120,
      String(full.distance_m),
    );
    assert.equal(full.closest?.length, 2);
    assert.deepEqual(full.closest?.[1], [22.6, 45.6]);
    assert.equal(full.rule, seen.rule);
    assert.deepEqual(full.window, seen.window);
    const strikeAsOwner = ok<{ properties: Json }>(
      await call(
        t.app,
        await as(`${OWNER}.watch`),
        'GET',
        `/api/v1/declarations/${own('coalition', 'coa-strike-vis')}`,
      ),
    );
    assert.equal(strikeAsOwner.properties.party, 'coalition');
    assert.ok(!('created_by' in strikeAsOwner.properties), 'who submitted it is the coalition’s business');
  });

  describe('isolation: nothing hidden reaches another party, on any route', () => {
    /** The hidden declarations (relief agency only), as first submitted. */
    const hidden = {
      clinic: point('ra-hid-clinic-Q7x9', 'protected_site', 22.333333777, 45.912345678, {
        category: 'medical',
        start: '2026-11-01T00:00:00Z',
        buffer_m: 150,
        visibility: [OWNER],
        label: 'Kestrel safehouse, ward Ω',
        notes: 'Sixty-one "patients" behind the tannery;\nask for Dr. Ionescu <door 3> & knock twice',
      }),
      route: {
        type: 'Feature',
        geometry: {
          type: 'LineString',
          coordinates: [
            [22.311111777, 45.951234567],
            [22.355555777, 45.961234567],
          ],
        },
        properties: {
          id: 'ra-hid-route-K2m4',
          kind: 'movement',
          start: '2026-11-25T00:00:00Z',
          end: '2026-11-26T00:00:00Z',
          buffer_m: 100,
          visibility: [OWNER],
          label: 'Night convoy Heron',
          notes: 'Fuel and insulin for the four hundred at the quarry "camp"',
        },
      },
      zone: {
        type: 'Feature',
        geometry: {
          type: 'Polygon',
          coordinates: [
            [
              [22.388888771, 45.888888771],
              [22.422222771, 45.888888771],
              [22.422222771, 45.905555771],
              [22.388888771, 45.905555771],
              [22.388888771, 45.888888771],
            ],
          ],
        },
        properties: {
          id: 'ra-hid-zone-W3p8',
          kind: 'restricted_zone',
          start: '2026-11-01T00:00:00Z',
          visibility: [OWNER],
          label: 'Plover field hospital no-fly',
          notes: 'Tents, three surgical teams; generator at the north-east corner',
        },
      },
      store: {
        type: 'Feature',
        geometry: {
          type: 'Polygon',
          coordinates: [
            [
              [22.277777713, 45.877777713],
              [22.281111713, 45.877777713],
              [22.281111713, 45.879999713],
              [22.277777713, 45.877777713],
            ],
          ],
        },
        properties: {
          id: 'ra-hid-store-J5t1',
          kind: 'protected_site',
          category: 'humanitarian',
          start: '2026-11-01T00:00:00Z',
          buffer_m: 50,
          visibility: [OWNER],
          label: 'Depot Wren',
          notes: 'Grain for the winter, 40 tonnes',
        },
      },
    };
    /** The clinic's second version: moved a little, relabelled. */
    const clinicV2 = point('ra-hid-clinic-Q7x9', 'protected_site', 22.333336777, 45.912345678, {
      category: 'medical',
      start: '2026-11-01T00:00:00Z',
      buffer_m: 150,
      visibility: [OWNER],
      label: 'Kestrel safehouse, ward Ψ',
      notes: 'Moved next door: the "old" ward flooded',
    });
    /** The hidden declarations' local ids (as the owner submitted them) and their ids at the hub. */
    const hiddenLocalIds = Object.values(hidden).map((f) => f.properties.id as string);
    const hiddenIds = hiddenLocalIds.map((id) => own(OWNER, id));

    /** Each hidden id and an id of the same length that exists nowhere. */
    const fakeOf = (id: string) => `${id.slice(0, -1)}${id.endsWith('z') ? 'y' : 'z'}`;

    /** Every value that must never reach another party: raw, and as it would appear in JSON. */
    let secrets: string[] = [];

    function collectSecrets(extra: readonly string[]): string[] {
      const out = new Set<string>(extra);
      const numbers: number[] = [];
      const walk = (x: unknown) => {
        if (typeof x === 'number') numbers.push(x);
        else if (Array.isArray(x)) x.forEach(walk);
      };
      for (const f of [...Object.values(hidden), clinicV2]) {
        const p = f.properties as Json;
        out.add(p.id as string);
        out.add(p.label as string);
        out.add(p.notes as string);
        for (const line of (p.notes as string).split('\n')) if (line.length > 8) out.add(line);
        walk(f.geometry.coordinates);
      }
      for (const n of numbers) {
        out.add(String(n));
        const decimals = String(n).split('.')[1];
        if (decimals !== undefined && decimals.length >= 6) out.add(decimals);
      }
      const all = [...out];
      return [...new Set([...all, ...all.map((s) => JSON.stringify(s).slice(1, -1))])];
    }

    /** Where every answer is checked: no secret in the status line, the headers or the body. */
    function assertClean(viewer: string, what: string, r: Res, alsoForbidden: readonly string[] = []): void {
      const text = `${r.statusCode}\n${JSON.stringify(r.headers)}\n${r.body}`;
      for (const s of [...secrets, ...alsoForbidden]) {
        assert.ok(!text.includes(s), `${viewer} ${what}: ${JSON.stringify(s)} leaked in\n${text}`);
      }
      if (r.statusCode >= 400) {
        const body = r.json() as { errors: { code: string }[] };
        assert.ok(Array.isArray(body.errors) && body.errors.length > 0, `${viewer} ${what}: ${r.body}`);
      }
      if (String(r.headers['content-type']).startsWith('application/json')) {
        assertConflictsMasked(viewer, what, r.json());
      }
    }

    /** Any conflict in an answer: a side the viewer may not see is exactly {party, hidden}. */
    function assertConflictsMasked(viewer: string, what: string, body: unknown): void {
      const visit = (x: unknown) => {
        if (Array.isArray(x)) {
          x.forEach(visit);
          return;
        }
        if (x === null || typeof x !== 'object') return;
        const o = x as Json;
        if ('rule' in o && 'a' in o && 'b' in o) {
          const sides = [o.a, o.b] as AnySide[];
          const masked = sides.filter((s) => s.hidden === true);
          for (const s of masked) assert.deepEqual(s, { party: OWNER, hidden: true }, `${viewer} ${what}`);
          for (const s of sides.filter((s) => s.hidden !== true)) {
            assert.ok(!hiddenIds.includes(s.id as string), `${viewer} ${what}: a hidden side in clear`);
          }
          if (masked.length > 0) {
            assert.ok(
              !('distance_m' in o) && !('closest' in o),
              `${viewer} ${what}: distance of a hidden side`,
            );
          }
        }
        Object.values(o).forEach(visit);
      };
      visit(body);
    }

    /**
     * The same request with a hidden id and with an id that does not exist: the answers must be
     * the same but for that id (which the caller sent), and carry nothing hidden.
     */
    async function probe(
      viewer: string,
      token: string,
      method: InjectOptions['method'],
      hiddenId: string,
      url: (id: string) => string,
      payload?: (id: string) => unknown,
    ): Promise<void> {
      const fake = fakeOf(hiddenId);
      const rh = await call(t.app, token, method, url(hiddenId), payload?.(hiddenId));
      const rf = await call(t.app, token, method, url(fake), payload?.(fake));
      const what = `${method} ${url(hiddenId)}`;
      assert.equal(rh.statusCode, rf.statusCode, `${viewer} ${what}: ${rh.body} vs ${rf.body}`);
      assert.ok(rh.statusCode >= 400 || method === 'GET', `${viewer} ${what}: ${rh.statusCode} ${rh.body}`);
      assert.equal(rh.body, rf.body.replaceAll(fake, hiddenId), `${viewer} ${what}`);
      // Headers too (but the clock's: \`date\` is the wall clock's second).
      const { date: _dh, ...hh } = rh.headers;
      const { date: _df, ...hf } = rf.headers;
      assert.deepEqual(hh, hf, `${viewer} ${what}`);
      assertClean(viewer, what, rf);
    }

    /** Conflict ids the viewer's party is not involved in: not even these may reach it. */
    async function foreignConflictIds(party: string | null): Promise<string[]> {
      const rows = await t.store.read((tx) =>
        Promise.all([...OTHERS, OWNER].map((p) => tx.conflicts.query({ party: p, limit: 1e6 }))),
      );
      const ids = new Set<string>();
      for (const c of rows.flat()) if (c.a_party !== party && c.b_party !== party) ids.add(c.id);
      return [...ids];
    }

    before(async () => {
      const ra = await as(`${OWNER}.operator`);
      ok(
        await call(t.app, ra, 'POST', '/api/v1/declarations', {
          type: 'FeatureCollection',
          features: Object.values(hidden),
        }),
        201,
      );
      // Other parties' declarations, visible to all, several of them touching hidden ones.
      const subs: [string, unknown][] = [
        ['coalition.operator', strike('vis-coa-strike-1', 22.3335, 45.9125, 200)],
        ['coalition.operator', strike('vis-coa-strike-2', 22.2795, 45.8785, 100)],
        [
          'coalition.operator',
          {
            type: 'Feature',
            geometry: {
              type: 'Polygon',
              coordinates: [
                [
                  [22.4, 45.89],
                  [22.45, 45.89],
                  [22.45, 45.92],
                  [22.4, 45.92],
                  [22.4, 45.89],
                ],
              ],
            },
            properties: {
              id: 'vis-coa-air',
              kind: 'air_operation',
              ...STRIKE_WINDOW,
              altitude: { lower_m: 0, upper_m: 1000, reference: 'AMSL' },
            },
          },
        ],
        ['northern-forces.operator', strike('vis-nf-strike', 22.3331, 45.9121, 300)],
        [
          'northern-forces.operator',
          {
            type: 'Feature',
            geometry: {
              type: 'Polygon',
              coordinates: [
                [
                  [22.3, 45.94],
                  [22.37, 45.94],
                  [22.37, 45.97],
                  [22.3, 45.97],
                  [22.3, 45.94],
                ],
              ],
            },
            properties: { id: 'vis-nf-aor', kind: 'area_of_responsibility', start: '2026-11-01T00:00:00Z' },
          },
        ],
        ['city-police.operator', strike('vis-cp-strike', 22.3333, 45.9562, 100)],
      ];
      secrets = collectSecrets([]);
      for (const [user, body] of subs) {
        const r = await call(t.app, await as(user), 'POST', '/api/v1/declarations', body);
        assert.equal(r.statusCode, 201, r.body);
        assertClean(user, 'POST /api/v1/declarations', r);
      }
      // The owner amends the clinic (its conflicts are found again) and withdraws the depot.
      ok(await call(t.app, ra, 'PUT', `/api/v1/declarations/${own(OWNER, 'ra-hid-clinic-Q7x9')}`, clinicV2));
      ok(
        await call(t.app, ra, 'POST', `/api/v1/declarations/${own(OWNER, 'ra-hid-store-J5t1')}/withdraw`, {
          reason: 'emptied',
        }),
      );
      // The owner accepts the risk of the police strike on its convoy.
      const raw = ok<{ conflicts: ConflictView[] }>(
        await call(
          t.app,
          await as(`${OWNER}.watch`),
          'GET',
          `/api/v1/conflicts?declaration=${own(OWNER, 'ra-hid-route-K2m4')}`,
        ),
      );
      const policeOnConvoy = raw.conflicts.find((c) => c.rule === 'strike_movement');
      assert.ok(policeOnConvoy, JSON.stringify(raw));
      ok(
        await call(
          t.app,
          await as(`${OWNER}.watch`),
          'POST',
          `/api/v1/conflicts/${policeOnConvoy.id}/resolve`,
          {
            resolution: 'risk_accepted',
            reason: 'we pass before the strike',
          },
        ),
      );

      // Every hidden declaration meets other parties' declarations.
      const stored = await t.store.read((tx) => tx.conflicts.query({ party: OWNER, limit: 1e6 }));
      for (const id of hiddenIds) {
        assert.ok(
          stored.some((c) => (c.a === id || c.b === id) && c.a_party !== c.b_party),
          `${id} has a conflict with another party`,
        );
      }
      // The closest points on a hidden geometry are secrets too (unless they are also a point of
      // a visible declaration, where both geometries meet).
      const visibleNumbers = new Set<string>();
      for (const d of await t.store.read((tx) => tx.declarations.query({ limit: 1e6 }))) {
        if (d.party === OWNER) continue;
        for (const m of JSON.stringify(d.decl.geometry).matchAll(/-?\d+(?:\.\d+)?/g))
          visibleNumbers.add(m[0]);
      }
      const closest: string[] = [];
      for (const c of stored) {
        const points = [
          ...(hiddenIds.includes(c.a) ? [c.closest[0]] : []),
          ...(hiddenIds.includes(c.b) ? [c.closest[1]] : []),
        ];
        for (const n of points.flat()) if (!visibleNumbers.has(String(n))) closest.push(String(n));
      }
      secrets = collectSecrets(closest);
      assert.ok(secrets.length > 40);
    });

    for (const viewer of VIEWERS) {
      it(`as ${viewer}`, async () => {
        const token = await as(viewer);
        const party = viewer === 'hub.admin' ? null : viewer.slice(0, viewer.lastIndexOf('.'));
        const role = viewer.slice(viewer.lastIndexOf('.') + 1);
        const foreign = await foreignConflictIds(party);
        const get = async (url: string) => {
          const r = await call(t.app, token, 'GET', url);
          assertClean(viewer, `GET ${url}`, r, foreign);
          return r;
        };
        const send = async (method: InjectOptions['method'], url: string, payload?: unknown) => {
          const r = await call(t.app, token, method, url, payload);
          assertClean(viewer, `${method} ${url}`, r, foreign);
          return r;
        };

        // Service routes.
        await get('/healthz');
        await get('/api/v1/openapi.json');
        await get('/api/v1/parties');
        await get('/api/v1/nothing-here');

        // Tokens, parties, members.
        await get('/api/v1/tokens');
        await send('POST', '/api/v1/tokens', { name: `probe-${viewer}`, roles: ['watch_officer'] });
        await send('DELETE', '/api/v1/tokens/tok_nonexistent1');
        await send('POST', '/api/v1/parties', {
          id: `probe-${role}-${party ?? 'hub'}`,
          name: 'Probe',
          admin: { username: `probe.${role}.${party ?? 'hub'}`, password: 'probe-admin-password' },
        });
        for (const p of [party ?? OTHERS[0], OWNER]) {
          await get(`/api/v1/parties/${p}/members`);
          await send('PATCH', `/api/v1/parties/${p}/members/${OWNER}.operator`, { roles: ['operator'] });
        }
        await send('POST', `/api/v1/parties/${OWNER}/members`, {
          username: `mole.${role}.${party ?? 'hub'}`,
          password: 'mole-password-long',
          roles: ['operator'],
        });

        // Declarations: lists with every filter, around each hidden site.
        for (const q of [
          'limit=5000',
          `party=${OWNER}`,
          'kind=protected_site',
          'kind=movement',
          'kind=restricted_zone',
          'status=active',
          'status=withdrawn',
          'status=expired',
          'start=2026-11-25T00:00:00Z&end=2026-11-26T00:00:00Z',
          'bbox=22.33,45.91,22.34,45.92',
          'bbox=22.2,45.8,22.5,46.0',
          'bbox=22.27,45.87,22.29,45.89&status=withdrawn',
          'bbox=22.39,45.89,22.42,45.9&kind=restricted_zone',
          'bbox=-180,-90,180,90&limit=5000',
        ]) {
          await get(`/api/v1/declarations?${q}`);
        }
        // A hidden id is answered as an id that does not exist, on every route that takes one: its
        // full id (what the routes take), and its local id too (which names nothing of the owner's).
        for (const id of [...hiddenIds, ...hiddenLocalIds]) {
          await probe(viewer, token, 'GET', id, (x) => `/api/v1/declarations/${x}`);
          await probe(viewer, token, 'GET', id, (x) => `/api/v1/declarations/${x}?version=1`);
          await probe(viewer, token, 'GET', id, (x) => `/api/v1/declarations/${x}?version=2`);
          await probe(viewer, token, 'GET', id, (x) => `/api/v1/declarations/${x}/versions`);
          await probe(viewer, token, 'GET', id, (x) => `/api/v1/declarations/${x}/notifications`);
          await probe(
            viewer,
            token,
            'PUT',
            id,
            (x) => `/api/v1/declarations/${x}`,
            () => strike(undefined, 22.5, 45.5),
          );
          await probe(
            viewer,
            token,
            'PUT',
            id,
            (x) => `/api/v1/declarations/${x}`,
            (x) =>
              point(x, 'protected_site', 22.5, 45.5, { category: 'school', start: '2026-11-01T00:00:00Z' }),
          );
          await probe(
            viewer,
            token,
            'POST',
            id,
            (x) => `/api/v1/declarations/${x}/withdraw`,
            () => ({ reason: 'x' }),
          );
          await probe(viewer, token, 'POST', id, (x) => `/api/v1/declarations/${x}/withdraw`);
          await probe(viewer, token, 'GET', id, (x) => `/api/v1/conflicts?declaration=${x}`);
          await probe(viewer, token, 'GET', id, (x) => `/api/v1/conflicts?declaration=${x}&status=resolved`);
        }

        // Submissions that meet each hidden declaration: real, dry runs, a failing batch.
        const onClinic = strike(undefined, 22.33334, 45.91235, 250);
        const onRoute = strike(undefined, 22.3333, 45.9562, 150);
        const inZone = strike(undefined, 22.41, 45.9, 100);
        const onDepot = strike(undefined, 22.279, 45.8782, 100);
        for (const body of [onClinic, onRoute, inZone, onDepot]) {
          await send('POST', '/api/v1/declarations?dry_run=true', body);
        }
        await send('POST', '/api/v1/declarations?dry_run=true', {
          type: 'FeatureCollection',
          features: [onClinic, onRoute, inZone],
        });
        const real = await send('POST', '/api/v1/declarations', {
          type: 'FeatureCollection',
          features: [onClinic, onRoute, inZone],
        });
        await send('POST', '/api/v1/declarations', {
          type: 'FeatureCollection',
          features: [
            onClinic,
            { ...onRoute, properties: { ...onRoute.properties, end: '2026-11-25T01:00:00Z' } },
          ],
        });
        await send('POST', '/api/v1/declarations', {
          type: 'Feature',
          geometry: {
            type: 'LineString',
            coordinates: [
              [22.3, 45.95],
              [22.36, 45.96],
            ],
          },
          properties: {
            kind: 'movement',
            start: '2026-11-25T00:00:00Z',
            end: '2026-11-25T23:00:00Z',
            buffer_m: 500,
          },
        });
        if (real.statusCode === 201) {
          // Amend one of its own onto the hidden route, then withdraw it.
          const [first] = (real.json() as Submission).declarations;
          assert.ok(first);
          await send('PUT', `/api/v1/declarations/${first.id}`, strike(undefined, 22.34, 45.958, 400));
          await get(`/api/v1/declarations/${first.id}/versions`);
          await get(`/api/v1/conflicts?declaration=${first.id}`);
          await send('POST', `/api/v1/declarations/${first.id}/withdraw`, { reason: 'done' });
          await get(`/api/v1/conflicts?declaration=${first.id}&status=resolved`);
        } else {
          assert.ok(party === null || (role !== 'operator' && role !== 'admin'), real.body);
        }

        // Conflicts: lists with filters, and every conflict the hub holds, by id.
        for (const q of [
          'limit=5000',
          'status=open',
          'status=resolved',
          'rule=strike_protected',
          'rule=strike_movement',
          'rule=restricted',
          'rule=incursion',
          'severity=critical',
          'severity=high',
        ]) {
          await get(`/api/v1/conflicts?${q}`);
        }
        const everyConflict = await t.store.read((tx) =>
          Promise.all([...OTHERS, OWNER].map((p) => tx.conflicts.query({ party: p, limit: 1e6 }))),
        );
        const ids = [...new Set(everyConflict.flat().map((c) => c.id))];
        const foreignNow = new Set(await foreignConflictIds(party));
        for (const id of ids) {
          if (foreignNow.has(id)) {
            // Not involved: answered as a conflict id that does not exist.
            await probe(viewer, token, 'GET', id, (x) => `/api/v1/conflicts/${x}`);
            await probe(
              viewer,
              token,
              'POST',
              id,
              (x) => `/api/v1/conflicts/${x}/resolve`,
              () => ({
                resolution: 'risk_accepted',
                reason: 'probe',
              }),
            );
          } else {
            await get(`/api/v1/conflicts/${id}`);
            await send('POST', `/api/v1/conflicts/${id}/resolve`, {
              resolution: 'risk_accepted',
              reason: 'accepted',
            });
          }
        }

        // The watch: the party's alerts, events, roster, hotline and hooks carry its own view of
        // each conflict (alerts at the viewer about its strikes on hidden sites included); the
        // owner's alerts, by id, answer as alerts that do not exist.
        for (const q of ['', '?status=open', '?status=acknowledged', '?status=closed']) {
          await get(`/api/v1/alerts${q}`);
        }
        await get('/api/v1/events?after=0&limit=1000');
        await get('/api/v1/roster');
        await get('/api/v1/channels');
        await get('/api/v1/webhooks');
        const ownerAlerts = await t.store.read((tx) => tx.alerts.query({ party: OWNER, limit: 1e6 }));
        assert.ok(ownerAlerts.length > 0, 'the owner has alerts to probe');
        for (const a of ownerAlerts.slice(0, 4)) {
          await probe(viewer, token, 'GET', a.id, (x) => `/api/v1/alerts/${x}`);
          await probe(
            viewer,
            token,
            'POST',
            a.id,
            (x) => `/api/v1/alerts/${x}/ack`,
            () => ({ reply: 'probe' }),
          );
        }

        // And last, the session.
        await send('DELETE', '/api/v1/session');
        const gone = await get('/api/v1/conflicts');
        assert.equal(gone.statusCode, 401);
        logins.forget(viewer);
      });
    }

    it('the owner still sees all of it', async () => {
      const ra = await as(`${OWNER}.admin`);
      const clinic = ok<{ properties: Json; geometry: Json }>(
        await call(t.app, ra, 'GET', `/api/v1/declarations/${own(OWNER, 'ra-hid-clinic-Q7x9')}`),
      );
      assert.equal(clinic.properties.version, 2);
      assert.equal(clinic.properties.notes, (clinicV2.properties as Json).notes);
      const versions = ok<{ features: unknown[] }>(
        await call(t.app, ra, 'GET', `/api/v1/declarations/${own(OWNER, 'ra-hid-clinic-Q7x9')}/versions`),
      );
      assert.equal(versions.features.length, 2);
      const { conflicts } = ok<{ conflicts: ConflictView[] }>(
        await call(t.app, ra, 'GET', '/api/v1/conflicts?limit=5000'),
      );
      for (const c of conflicts) {
        assert.ok(!('hidden' in c.a) && !('hidden' in c.b), 'everything else is visible to all');
        assert.equal(typeof c.distance_m, 'number');
      }
      for (const id of hiddenIds)
        assert.ok(
          conflicts.some((c) => mySide(c, c.a.party).id === id || theirSide(c, c.a.party).id === id),
          id,
        );
      for (const other of OTHERS) {
        assert.ok(
          conflicts.some(
            (c) => theirSide(c, OWNER).party === other && hiddenIds.includes(mySide(c, OWNER).id as string),
          ),
          `a conflict between ${other} and a hidden declaration`,
        );
      }
    });

    it('a submission reusing a hidden id is answered as one with a fresh id', async () => {
      const ra = await as(`${OWNER}.admin`);
      /** What the owner holds of its hidden declarations: none of it may change below. */
      const holdings = async () =>
        Promise.all(
          hiddenIds.flatMap((id) => [
            call(t.app, ra, 'GET', `/api/v1/declarations/${id}`).then((r) => ok<unknown>(r)),
            call(t.app, ra, 'GET', `/api/v1/declarations/${id}/versions`).then((r) => ok<unknown>(r)),
          ]),
        );
      const before = await holdings();
      /** Each submission at its own place, far from everything (so it meets nothing, not even another). */
      let places = 0;
      const somewhere = (id: string) => {
        places += 1;
        return strike(id, 10 + places * 0.5, 10);
      };
      /** Two answers that must be the same but for the id the caller sent in each. */
      const assertSame = (what: string, rh: Res, rf: Res, sent: string, fresh: string) => {
        assert.equal(rh.statusCode, rf.statusCode, `${what}: ${rh.body} vs ${rf.body}`);
        assert.equal(rh.body, rf.body.replaceAll(fresh, sent), what);
        const { date: _dh, ...hh } = rh.headers;
        const { date: _df, ...hf } = rf.headers;
        assert.deepEqual(hh, JSON.parse(JSON.stringify(hf).replaceAll(fresh, sent)), what);
      };
      /** Nothing hidden in an answer but the id the caller sent itself (which contains the local id). */
      const assertNothingHidden = (what: string, r: Res, sent: string) => {
        const text = `${r.statusCode}\n${JSON.stringify(r.headers)}\n${r.body}`;
        for (const s of secrets.filter((x) => !sent.includes(x))) {
          assert.ok(!text.includes(s), `${what}: ${JSON.stringify(s)} leaked in\n${text}`);
        }
        if (!sent.startsWith(`${OWNER}:`)) {
          assert.ok(!text.includes(`${OWNER}:`), `${what}: an id of ${OWNER} in\n${text}`);
        }
      };

      for (const party of OTHERS) {
        const op = await t.login(`${party}.operator`);
        for (const local of hiddenLocalIds) {
          const fresh = fakeOf(local);
          // The fresh id is used by nobody, in either party's namespace.
          for (const [token, id] of [
            [op, own(party, fresh)],
            [ra, own(OWNER, fresh)],
            [ra, own(party, fresh)],
          ] as const) {
            assert.equal((await call(t.app, token, 'GET', `/api/v1/declarations/${id}`)).statusCode, 404, id);
          }

          for (const dryRun of [true, false]) {
            const url = `/api/v1/declarations${dryRun ? '?dry_run=true' : ''}`;

            // (a) The hidden declaration's local id: the party's own id, accepted as a fresh one is.
            let what = `${party} POST ${url} with ${local}`;
            const ah = await call(t.app, op, 'POST', url, somewhere(local));
            const af = await call(t.app, op, 'POST', url, somewhere(fresh));
            assert.deepEqual(ok(ah, dryRun ? 200 : 201), {
              accepted: true,
              dry_run: dryRun,
              declarations: [{ id: own(party, local), version: 1 }],
              conflicts: [],
              ...(dryRun && { hidden: 'not_checked' }),
            });
            assertSame(what, ah, af, local, fresh);
            assertNothingHidden(what, ah, own(party, local));

            // (b) The hidden declaration's full id: another party's prefix, refused as a fresh one is.
            what = `${party} POST ${url} with ${own(OWNER, local)}`;
            const bh = await call(t.app, op, 'POST', url, somewhere(own(OWNER, local)));
            const bf = await call(t.app, op, 'POST', url, somewhere(own(OWNER, fresh)));
            // party_mismatch is 403, as for a declaration that names another party (hub.api).
            assert.equal(bh.statusCode, 403, `${what}: ${bh.body}`);
            const errors = (bh.json() as { errors: { code: string; path: string }[] }).errors;
            assert.deepEqual(
              errors.map((e) => [e.code, e.path]),
              [['party_mismatch', 'properties.id']],
              what,
            );
            assertSame(what, bh, bf, own(OWNER, local), own(OWNER, fresh));
            assertNothingHidden(what, bh, own(OWNER, local));
          }

          // The real submission made the party's own declaration, beside the hidden one.
          const mine = ok<{ properties: Json }>(
            await call(t.app, op, 'GET', `/api/v1/declarations/${own(party, local)}`),
          );
          assert.equal(mine.properties.id, own(party, local));
          assert.equal(mine.properties.party, party);
          assert.equal(mine.properties.kind, 'strike');
          assert.equal(mine.properties.version, 1);
          const gh = await call(t.app, op, 'GET', `/api/v1/declarations/${own(OWNER, local)}`);
          const gf = await call(t.app, op, 'GET', `/api/v1/declarations/${own(OWNER, fresh)}`);
          assert.equal(gh.statusCode, 404, gh.body);
          assertSame(`${party} GET ${own(OWNER, local)}`, gh, gf, own(OWNER, local), own(OWNER, fresh));
        }
      }
      assert.deepEqual(await holdings(), before, 'the hidden declarations are untouched');
    });
  });
});
