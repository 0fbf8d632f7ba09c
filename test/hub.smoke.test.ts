/**
 * The hub end to end through `inject`: the demo loads, a party logs in, sees its conflicts, and a
 * new strike on another party's hospital is answered with the conflict in the same response.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHub, type TestHub } from './support/hub.ts';

describe('hub smoke', () => {
  let t: TestHub;
  before(async () => {
    t = await startHub();
  });
  after(async () => {
    await t.close();
  });

  it('loads the demo: 24 active declarations and its designed conflicts', async () => {
    const health = await t.app.inject({ method: 'GET', url: '/healthz' });
    assert.deepEqual(health.json(), { status: 'ok' });
    assert.equal(t.hub.declarations.activeCount, 24);
    const token = await t.login('coalition.watch');
    const r = await t.app.inject({
      method: 'GET',
      url: '/api/v1/conflicts?status=open',
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(r.statusCode, 200);
    const rules = (r.json() as { conflicts: { rule: string }[] }).conflicts.map((c) => c.rule).sort();
    // The coalition is party to 6 of the 8 designed conflicts (not the relief convoy's incursion
    // into the northern area, nor the northern strike on the convoy).
    assert.deepEqual(rules, [
      'air_air',
      'incursion',
      'incursion',
      'restricted',
      'strike_air',
      'strike_protected',
    ]);
  });

  it('answers a conflicting submission with the conflict, in the same response', async () => {
    const token = await t.login('northern-forces.operator');
    const strike = {
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [21.304, 46.1545] },
      properties: {
        id: 'nf-strike-test',
        kind: 'strike',
        start: '2026-11-23T10:00:00Z',
        end: '2026-11-23T11:00:00Z',
        buffer_m: 400,
      },
    };
    const r = await t.app.inject({
      method: 'POST',
      url: '/api/v1/declarations',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/geo+json' },
      payload: JSON.stringify(strike),
    });
    assert.equal(r.statusCode, 201, r.body);
    const body = r.json() as {
      accepted: boolean;
      declarations: { id: string }[];
      conflicts: { rule: string }[];
    };
    assert.equal(body.accepted, true);
    // Declaration ids are per party: the local id comes back under the submitter's prefix.
    assert.deepEqual(body.declarations, [{ id: 'northern-forces:nf-strike-test', version: 1 }]);
    assert.ok(
      body.conflicts.some((c) => c.rule === 'strike_protected'),
      r.body,
    );
  });
});
