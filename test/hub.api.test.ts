/**
 * Every route of /api/v1 through `app.inject()` (and a few over a real socket): sessions, API
 * tokens, parties, members, declarations, conflicts, limits, errors and the API description, on a
 * real hub (SQLite in a temporary directory, the demo loaded, a manual clock).
 *
 * The tests place their own declarations far east of the demo's river (longitudes 23–25), each
 * test in its own square, so that they meet only what they mean to meet.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, InjectOptions } from 'fastify';
import type {
  DeclarationCollection as Collection,
  ConflictView,
  DeclarationFeature as Feature,
  SubmissionResult as Submission,
} from '../src/api/declarations.ts';
import { DEMO_PARTIES } from '../src/hub/demo.ts';
import type { Principal } from '../src/hub/hub.ts';
import { circleRing } from './support/attack-heavy.ts';
import {
  assertError,
  assertErrorShape,
  type ErrorItem,
  errorsOf,
  ok,
  type Res,
  sessions,
  startHub,
  type TestHub,
} from './support/hub.ts';
import type { AnySide } from './support/ids.ts';
import { own } from './support/ids.ts';
import { iso } from './support/time.ts';

type Json = Record<string, unknown>;

/** A request as a client sends it: JSON bodies, a bearer token when given. */
async function call(
  app: FastifyInstance,
  token: string | null,
  method: InjectOptions['method'],
  url: string,
  payload?: unknown,
  headers: Record<string, string> = {},
): Promise<Res> {
  const h: Record<string, string> = {};
  if (token !== null) h.authorization = `Bearer ${token}`;
  if (payload !== undefined) h['content-type'] = 'application/json';
  Object.assign(h, headers);
  const r = await app.inject({
    method,
    url,
    headers: h,
    ...(payload !== undefined && {
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    }),
  });
  if (r.statusCode >= 400) assertErrorShape(r);
  return r;
}

function strike(id: string | undefined, lon: number, lat: number, extra: Json = {}) {
  return {
    type: 'Feature',
    geometry: { type: 'Point', coordinates: [lon, lat] },
    properties: {
      ...(id !== undefined && { id }),
      kind: 'strike',
      start: '2026-11-25T10:00:00Z',
      end: '2026-11-25T12:00:00Z',
      buffer_m: 500,
      ...extra,
    },
  };
}

function site(id: string, lon: number, lat: number, extra: Json = {}) {
  return {
    type: 'Feature',
    geometry: { type: 'Point', coordinates: [lon, lat] },
    properties: {
      id,
      kind: 'protected_site',
      category: 'medical',
      start: '2026-11-01T00:00:00Z',
      buffer_m: 200,
      ...extra,
    },
  };
}

const other = (c: ConflictView, party: string): AnySide => (c.a.party === party ? c.b : c.a);
/** The local part of a full id (what follows the party prefix). */
const local = (id: string) => id.slice(id.indexOf(':') + 1);
const mine = (c: ConflictView, party: string): AnySide => (c.a.party === party ? c.a : c.b);

async function ledgerHead(t: TestHub) {
  return t.store.read((tx) => tx.ledger.head());
}

describe('hub API', () => {
  let t: TestHub;
  /** Tokens of demo accounts, one login each. */
  const { as } = sessions(() => t);

  before(async () => {
    t = await startHub();
  });
  after(async () => {
    await t.close();
  });

  describe('session', () => {
    it('logs in: a token, its expiry (12 h) and the member', async () => {
      const r = await call(t.app, null, 'POST', '/api/v1/session', {
        username: 'coalition.watch',
        password: 'demo-coalition',
      });
      const body = ok<{ token: string; expires_at: string; member: Json }>(r, 201);
      assert.match(body.token, /^dcf_[A-Za-z0-9_-]{43}$/);
      assert.equal(body.expires_at, new Date(t.clock.now() + 12 * 3_600_000).toISOString());
      assert.deepEqual(body.member, {
        username: 'coalition.watch',
        party: 'coalition',
        roles: ['watch_officer'],
      });
      ok(await call(t.app, body.token, 'GET', '/api/v1/conflicts'));
    });

    it('answers a wrong password and an unknown user the same: 401 unauthorized', async () => {
      const wrong = await call(t.app, null, 'POST', '/api/v1/session', {
        username: 'coalition.watch',
        password: 'not-the-password',
      });
      const unknown = await call(t.app, null, 'POST', '/api/v1/session', {
        username: 'nobody.at.all',
        password: 'not-the-password',
      });
      const e = assertError(wrong, 401, 'unauthorized');
      assertError(unknown, 401, 'unauthorized');
      assert.equal(wrong.body, unknown.body);
      assert.doesNotMatch(e.message, /coalition/);
    });

    it('rejects a malformed login with 400 invalid_request', async () => {
      assertError(
        await call(t.app, null, 'POST', '/api/v1/session', { username: 'x' }),
        400,
        'invalid_request',
      );
      assertError(await call(t.app, null, 'POST', '/api/v1/session', '[1,2]'), 400, 'invalid_request');
    });

    it('logs out: the token is revoked and the next call is 401', async () => {
      const token = await t.login('city-police.watch');
      ok(await call(t.app, token, 'GET', '/api/v1/conflicts'));
      const r = await call(t.app, token, 'DELETE', '/api/v1/session');
      assert.equal(r.statusCode, 204);
      assert.equal(r.body, '');
      assertError(await call(t.app, token, 'GET', '/api/v1/conflicts'), 401, 'unauthorized');
      assertError(await call(t.app, token, 'DELETE', '/api/v1/session'), 401, 'unauthorized');
    });

    it('needs a bearer token on every /api/v1 route but login and the description', async () => {
      assertError(await call(t.app, null, 'GET', '/api/v1/declarations'), 401, 'unauthorized');
      assertError(
        await call(t.app, null, 'GET', '/api/v1/declarations', undefined, { authorization: 'Basic eDp5' }),
        401,
        'unauthorized',
      );
      assertError(await call(t.app, 'dcf_madeup', 'GET', '/api/v1/conflicts'), 401, 'unauthorized');
    });
  });

  describe('tokens', () => {
    it('a party admin creates an API token for a system; it works, is listed without secret, and revokes', async () => {
      const admin = await as('coalition.admin');
      const created = ok<Json & { token: string; id: string }>(
        await call(t.app, admin, 'POST', '/api/v1/tokens', {
          name: 'c2-gateway',
          roles: ['operator', 'watch_officer'],
          ttl_days: 30,
        }),
        201,
      );
      assert.match(created.token, /^dcf_/);
      assert.equal(created.name, 'c2-gateway');
      assert.deepEqual(created.roles, ['operator', 'watch_officer']);
      assert.equal(created.kind, 'api');
      assert.equal(created.expires_at, new Date(t.clock.now() + 30 * 86_400_000).toISOString());

      // The secret is a bearer with the token's roles: the system submits (operator) and reads.
      const sub = ok<Submission>(
        await call(t.app, created.token, 'POST', '/api/v1/declarations', strike('tok-strike-1', 24.9, 44.9)),
        201,
      );
      assert.deepEqual(sub.declarations, [{ id: own('coalition', 'tok-strike-1'), version: 1 }]);
      ok(await call(t.app, created.token, 'GET', '/api/v1/conflicts'));
      // ... but not more than them.
      assertError(await call(t.app, created.token, 'GET', '/api/v1/tokens'), 403, 'forbidden');

      const list = await call(t.app, admin, 'GET', '/api/v1/tokens');
      const { tokens } = ok<{ tokens: Json[] }>(list);
      const listed = tokens.find((x) => x.id === created.id);
      assert.ok(listed, list.body);
      assert.equal(listed.name, 'c2-gateway');
      assert.equal(listed.revoked_at, null);
      assert.ok(!list.body.includes(created.token), 'the list shows no secret');
      assert.ok(tokens.every((x) => !('token' in x) && !('hash' in x) && x.kind === 'api'));

      // Another party's admin cannot see or revoke it.
      const other = await as('northern-forces.admin');
      const theirs = ok<{ tokens: Json[] }>(await call(t.app, other, 'GET', '/api/v1/tokens'));
      assert.ok(!theirs.tokens.some((x) => x.id === created.id));
      assertError(await call(t.app, other, 'DELETE', `/api/v1/tokens/${created.id}`), 404, 'not_found');
      ok(await call(t.app, created.token, 'GET', '/api/v1/conflicts'));

      assert.equal((await call(t.app, admin, 'DELETE', `/api/v1/tokens/${created.id}`)).statusCode, 204);
      assertError(await call(t.app, created.token, 'GET', '/api/v1/conflicts'), 401, 'unauthorized');
      const after = ok<{ tokens: Json[] }>(await call(t.app, admin, 'GET', '/api/v1/tokens'));
      assert.equal(typeof after.tokens.find((x) => x.id === created.id)?.revoked_at, 'string');
    });

    it('an operator cannot create or list tokens: 403 forbidden', async () => {
      const op = await as('coalition.operator');
      assertError(await call(t.app, op, 'POST', '/api/v1/tokens', { name: 'x' }), 403, 'forbidden');
      assertError(await call(t.app, op, 'GET', '/api/v1/tokens'), 403, 'forbidden');
    });

    it('rejects bad token requests with 400 invalid_request', async () => {
      const admin = await as('coalition.admin');
      const e = assertError(
        await call(t.app, admin, 'POST', '/api/v1/tokens', { name: 'x', roles: ['hub_admin'] }),
        400,
        'invalid_request',
      );
      assert.equal(e.path, 'roles');
      assertError(
        await call(t.app, admin, 'POST', '/api/v1/tokens', { roles: ['operator'] }),
        400,
        'invalid_request',
      );
      assertError(
        await call(t.app, admin, 'POST', '/api/v1/tokens', { name: 'x', ttl_days: 0 }),
        400,
        'invalid_request',
      );
      assertError(await call(t.app, admin, 'DELETE', '/api/v1/tokens/tok_nothing'), 404, 'not_found');
    });
  });

  describe('parties', () => {
    it('lists the parties to any member', async () => {
      const { parties } = ok<{ parties: { id: string; name: string }[] }>(
        await call(t.app, await as('relief-agency.watch'), 'GET', '/api/v1/parties'),
      );
      for (const p of DEMO_PARTIES) assert.ok(parties.some((x) => x.id === p.id && x.name === p.name));
    });

    it('the hub admin creates a party and its admin, who can log in and manage it', async () => {
      const hubAdmin = await as('hub.admin');
      const r = await call(t.app, hubAdmin, 'POST', '/api/v1/parties', {
        id: 'border-guard',
        name: 'Border Guard',
        admin: { username: 'border-guard.admin', password: 'border-guard-admin-pw' },
      });
      assert.deepEqual(ok(r, 201), { id: 'border-guard', name: 'Border Guard' });
      const { parties } = ok<{ parties: { id: string }[] }>(
        await call(t.app, hubAdmin, 'GET', '/api/v1/parties'),
      );
      assert.ok(parties.some((p) => p.id === 'border-guard'));
      const bg = await t.login('border-guard.admin', 'border-guard-admin-pw');
      const { members } = ok<{ members: Json[] }>(
        await call(t.app, bg, 'GET', '/api/v1/parties/border-guard/members'),
      );
      assert.deepEqual(members, [
        { username: 'border-guard.admin', party: 'border-guard', roles: ['party_admin'], disabled: false },
      ]);
      // A hub admin creates parties and nothing else.
      assertError(
        await call(t.app, hubAdmin, 'POST', '/api/v1/declarations', strike(undefined, 24, 45)),
        403,
        'forbidden',
      );
      assertError(await call(t.app, hubAdmin, 'GET', '/api/v1/conflicts'), 403, 'forbidden');
    });

    it('a party member cannot create a party: 403 forbidden', async () => {
      const r = await call(t.app, await as('coalition.admin'), 'POST', '/api/v1/parties', {
        id: 'rogue',
        name: 'Rogue',
        admin: { username: 'rogue.admin', password: 'rogue-admin-password' },
      });
      assertError(r, 403, 'forbidden');
    });

    it('a duplicate party id is 409 id_exists', async () => {
      const r = await call(t.app, await as('hub.admin'), 'POST', '/api/v1/parties', {
        id: 'coalition',
        name: 'Another coalition',
        admin: { username: 'coalition.admin2', password: 'another-admin-password' },
      });
      assert.equal(assertError(r, 409, 'id_exists').path, 'id');
    });

    it('creates a party and its admin together or not at all', async () => {
      const hubAdmin = await as('hub.admin');
      const list = async () =>
        ok<{ parties: { id: string }[] }>(await call(t.app, hubAdmin, 'GET', '/api/v1/parties')).parties.map(
          (p) => p.id,
        );
      const before = await list();
      // A hub administrator (whose names are the hub operator's own) already has the name.
      await t.hub.accounts.createHubAdmin('red-cross.admin', 'a hub administrator passphrase');
      const head = await ledgerHead(t);
      // The admin's username is taken, then the password is weak: no party either time.
      assertError(
        await call(t.app, hubAdmin, 'POST', '/api/v1/parties', {
          id: 'red-cross',
          name: 'Red Cross',
          admin: { username: 'red-cross.admin', password: 'red-cross-admin-pw' },
        }),
        409,
        'id_exists',
      );
      assertError(
        await call(t.app, hubAdmin, 'POST', '/api/v1/parties', {
          id: 'red-cross',
          name: 'Red Cross',
          admin: { username: 'red-cross.chief', password: 'short' },
        }),
        422,
        'weak_password',
      );
      assert.deepEqual(await list(), before);
      assert.deepEqual(await ledgerHead(t), head);
      // Done right, it works (the id was not left taken).
      ok(
        await call(t.app, hubAdmin, 'POST', '/api/v1/parties', {
          id: 'red-cross',
          name: 'Red Cross',
          admin: { username: 'red-cross.chief', password: 'red-cross-admin-pw' },
        }),
        201,
      );
      assert.deepEqual(await list(), [...before, 'red-cross'].sort());
    });
  });

  describe('members', () => {
    it('a party admin creates, lists, updates and disables members; disabling revokes their tokens', async () => {
      const admin = await as('city-police.admin');
      const created = ok(
        await call(t.app, admin, 'POST', '/api/v1/parties/city-police/members', {
          username: 'city-police.night-watch',
          password: 'night-watch-password',
          roles: ['watch_officer'],
        }),
        201,
      );
      assert.deepEqual(created, {
        username: 'city-police.night-watch',
        party: 'city-police',
        roles: ['watch_officer'],
        disabled: false,
      });
      const { members } = ok<{ members: { username: string }[] }>(
        await call(t.app, admin, 'GET', '/api/v1/parties/city-police/members'),
      );
      assert.deepEqual(members.map((m) => m.username).sort(), [
        'city-police.admin',
        'city-police.night-watch',
        'city-police.operator',
        'city-police.senior',
        'city-police.watch',
      ]);

      const member = await t.login('city-police.night-watch', 'night-watch-password');
      // A watch officer may not submit ...
      assertError(
        await call(t.app, member, 'POST', '/api/v1/declarations', strike(undefined, 24.5, 44.5)),
        403,
        'forbidden',
      );
      // ... until the admin makes it an operator too (the session follows the member's roles,
      // at most those it was opened with).
      const updated = ok(
        await call(t.app, admin, 'PATCH', '/api/v1/parties/city-police/members/city-police.night-watch', {
          roles: ['watch_officer', 'operator'],
        }),
      );
      assert.deepEqual(updated, {
        username: 'city-police.night-watch',
        party: 'city-police',
        roles: ['watch_officer', 'operator'],
        disabled: false,
      });
      const fresh = await t.login('city-police.night-watch', 'night-watch-password');
      ok(await call(t.app, fresh, 'POST', '/api/v1/declarations', strike(undefined, 24.5, 44.5)), 201);

      const disabled = ok<Json>(
        await call(t.app, admin, 'PATCH', '/api/v1/parties/city-police/members/city-police.night-watch', {
          disabled: true,
        }),
      );
      assert.equal(disabled.disabled, true);
      assertError(await call(t.app, member, 'GET', '/api/v1/conflicts'), 401, 'unauthorized');
      assertError(await call(t.app, fresh, 'GET', '/api/v1/conflicts'), 401, 'unauthorized');
      assertError(
        await call(t.app, null, 'POST', '/api/v1/session', {
          username: 'city-police.night-watch',
          password: 'night-watch-password',
        }),
        401,
        'unauthorized',
      );
      // Re-enabling does not bring revoked tokens back.
      ok(
        await call(t.app, admin, 'PATCH', '/api/v1/parties/city-police/members/city-police.night-watch', {
          disabled: false,
        }),
      );
      assertError(await call(t.app, fresh, 'GET', '/api/v1/conflicts'), 401, 'unauthorized');
    });

    it('disabling a member also revokes the API tokens it issued', async () => {
      const admin = await as('relief-agency.admin');
      ok(
        await call(t.app, admin, 'POST', '/api/v1/parties/relief-agency/members', {
          username: 'relief-agency.admin2',
          password: 'second-admin-password',
          roles: ['party_admin'],
        }),
        201,
      );
      const admin2 = await t.login('relief-agency.admin2', 'second-admin-password');
      const api = ok<{ token: string }>(
        await call(t.app, admin2, 'POST', '/api/v1/tokens', { name: 'logistics' }),
        201,
      );
      ok(await call(t.app, api.token, 'GET', '/api/v1/declarations?limit=1'));
      ok(
        await call(t.app, admin, 'PATCH', '/api/v1/parties/relief-agency/members/relief-agency.admin2', {
          disabled: true,
        }),
      );
      assertError(await call(t.app, api.token, 'GET', '/api/v1/declarations?limit=1'), 401, 'unauthorized');
    });

    it('a weak password is 422 weak_password, a taken username 409, bad roles 400', async () => {
      const admin = await as('city-police.admin');
      const url = '/api/v1/parties/city-police/members';
      const e = assertError(
        await call(t.app, admin, 'POST', url, {
          username: 'city-police.weak',
          password: 'short',
          roles: ['operator'],
        }),
        422,
        'weak_password',
      );
      assert.equal(e.path, 'password');
      assertError(
        await call(t.app, admin, 'POST', url, {
          username: 'city-police.operator',
          password: 'long-enough-password',
          roles: ['operator'],
        }),
        409,
        'id_exists',
      );
      // Another party's name, taken or not, is not this party's to have: 422, before any lookup.
      assertError(
        await call(t.app, admin, 'POST', url, {
          username: 'coalition.operator',
          password: 'long-enough-password',
          roles: ['operator'],
        }),
        422,
        'username_prefix',
        'username',
      );
      assertError(
        await call(t.app, admin, 'POST', url, {
          username: 'city-police.boss',
          password: 'long-enough-password',
          roles: ['hub_admin'],
        }),
        400,
        'invalid_request',
      );
      assertError(
        await call(t.app, admin, 'PATCH', `${url}/city-police.watch`, { disabled: 'yes' }),
        400,
        'invalid_request',
      );
      assertError(await call(t.app, admin, 'PATCH', `${url}/nobody`, { disabled: true }), 404, 'not_found');
    });

    it("another party's admin gets 404 on a party's members; an operator 403", async () => {
      const other = await as('northern-forces.admin');
      const url = '/api/v1/parties/city-police/members';
      const list = await call(t.app, other, 'GET', url);
      assertError(list, 404, 'not_found');
      assertError(
        await call(t.app, other, 'POST', url, {
          username: 'nf.mole',
          password: 'long-enough-password',
          roles: ['operator'],
        }),
        404,
        'not_found',
      );
      assertError(
        await call(t.app, other, 'PATCH', `${url}/city-police.watch`, { disabled: true }),
        404,
        'not_found',
      );
      // The same answer as for a party that does not exist at all.
      const none = await call(t.app, other, 'GET', '/api/v1/parties/city-polic3/members');
      assert.equal(none.statusCode, list.statusCode);
      assert.equal(none.body.replace('city-polic3', 'city-police'), list.body);
      // Within its own party, only the admin manages members: a watch officer gets 403.
      assertError(
        await call(
          t.app,
          await as('northern-forces.watch'),
          'GET',
          '/api/v1/parties/northern-forces/members',
        ),
        403,
        'forbidden',
      );
      // The member a mole tried to disable is still active.
      ok(await call(t.app, await as('city-police.watch'), 'GET', '/api/v1/conflicts'));
    });
  });

  describe('declarations', () => {
    it('accepts one Feature and a FeatureCollection; the hub assigns ids and the party', async () => {
      const op = await as('coalition.operator');
      const one = ok<Submission>(
        await call(t.app, op, 'POST', '/api/v1/declarations', strike(undefined, 23.1, 45.1)),
        201,
      );
      assert.equal(one.accepted, true);
      assert.equal(one.dry_run, false);
      assert.equal(one.declarations.length, 1);
      const id = one.declarations[0]?.id ?? '';
      assert.match(id, /^coalition:d-[A-Za-z0-9_-]+$/);
      const f = ok<Feature>(await call(t.app, op, 'GET', `/api/v1/declarations/${id}`));
      assert.equal(f.properties.party, 'coalition');
      assert.equal(f.properties.status, 'active');
      assert.equal(f.properties.created_by, 'coalition.operator');
      assert.deepEqual(f.geometry, { type: 'Point', coordinates: [23.1, 45.1] });

      const fc = ok<Submission>(
        await call(
          t.app,
          op,
          'POST',
          '/api/v1/declarations',
          JSON.stringify({
            type: 'FeatureCollection',
            features: [strike('fc-1', 23.2, 45.2), site('fc-2', 23.25, 45.25, { party: 'coalition' })],
          }),
          { 'content-type': 'application/geo+json' },
        ),
        201,
      );
      assert.deepEqual(fc.declarations, [
        { id: own('coalition', 'fc-1'), version: 1 },
        { id: own('coalition', 'fc-2'), version: 1 },
      ]);
      // Another party's name in `party` is refused.
      assertError(
        await call(
          t.app,
          op,
          'POST',
          '/api/v1/declarations',
          strike('fc-3', 23.3, 45.3, { party: 'relief-agency' }),
        ),
        403,
        'party_mismatch',
      );
      // An id that exists is refused: amend it instead.
      assertError(
        await call(t.app, op, 'POST', '/api/v1/declarations', strike('fc-1', 23.2, 45.2)),
        409,
        'id_exists',
      );
    });

    it("ids are per party: a local id is stored under the caller's party prefix, another prefix is refused", async () => {
      const coa = await as('coalition.operator');
      const nf = await as('northern-forces.operator');
      // The same local id from two parties: no clash, each stored under its own party.
      const a = ok<Submission>(
        await call(t.app, coa, 'POST', '/api/v1/declarations', strike('pid-1', 23.9, 45.9)),
        201,
      );
      assert.deepEqual(a.declarations, [{ id: own('coalition', 'pid-1'), version: 1 }]);
      const b = ok<Submission>(
        await call(t.app, nf, 'POST', '/api/v1/declarations', strike('pid-1', 23.95, 45.95)),
        201,
      );
      assert.deepEqual(b.declarations, [{ id: own('northern-forces', 'pid-1'), version: 1 }]);
      assert.notEqual(a.declarations[0]?.id, b.declarations[0]?.id);
      const mineA = ok<Feature>(
        await call(
          t.app,
          coa,
          'GET',
          `/api/v1/declarations/${encodeURIComponent(own('coalition', 'pid-1'))}`,
        ),
      );
      assert.equal(mineA.id, own('coalition', 'pid-1'));
      assert.equal(mineA.properties.id, own('coalition', 'pid-1'));
      assert.equal(mineA.properties.party, 'coalition');
      assert.deepEqual(mineA.geometry.coordinates, [23.9, 45.9]);
      const mineB = ok<Feature>(
        await call(t.app, nf, 'GET', `/api/v1/declarations/${own('northern-forces', 'pid-1')}`),
      );
      assert.equal(mineB.properties.party, 'northern-forces');
      assert.deepEqual(mineB.geometry.coordinates, [23.95, 45.95]);
      // The local id and the full id name the same declaration: submitting either again is 409.
      for (const id of ['pid-1', own('coalition', 'pid-1')]) {
        assertError(
          await call(t.app, coa, 'POST', '/api/v1/declarations', strike(id, 23.9, 45.9)),
          409,
          'id_exists',
        );
      }

      // A full id with the caller's own prefix is kept as is (not prefixed twice).
      const full = ok<Submission>(
        await call(
          t.app,
          coa,
          'POST',
          '/api/v1/declarations',
          strike(own('coalition', 'pid-2'), 23.9, 45.92),
        ),
        201,
      );
      assert.deepEqual(full.declarations, [{ id: own('coalition', 'pid-2'), version: 1 }]);
      ok(await call(t.app, coa, 'GET', `/api/v1/declarations/${own('coalition', 'pid-2')}`));

      // Another party's prefix is refused, naming the id, and nothing is stored.
      const head = await ledgerHead(t);
      const active = t.hub.declarations.activeCount;
      const theirs = own('northern-forces', 'pid-3');
      const mismatch = assertError(
        await call(t.app, coa, 'POST', '/api/v1/declarations', strike(theirs, 23.9, 45.94)),
        403,
        'party_mismatch',
      );
      assert.equal(mismatch.path, 'properties.id');
      assert.match(mismatch.message, /northern-forces:pid-3/);
      assert.deepEqual(await ledgerHead(t), head);
      assert.equal(t.hub.declarations.activeCount, active);
      assertError(await call(t.app, nf, 'GET', `/api/v1/declarations/${theirs}`), 404, 'not_found');
      assertError(
        await call(t.app, coa, 'GET', `/api/v1/declarations/${own('coalition', theirs)}`),
        404,
        'not_found',
      );

      // A prefix with nothing after it is not an id.
      const empty = assertError(
        await call(t.app, coa, 'POST', '/api/v1/declarations', strike('coalition:', 23.9, 45.94)),
        422,
        'invalid_property',
      );
      assert.equal(empty.path, 'properties.id');
      assert.deepEqual(await ledgerHead(t), head);
      assert.equal(t.hub.declarations.activeCount, active);

      // An amendment's body may repeat the id as its local part, or in full.
      const url = `/api/v1/declarations/${own('coalition', 'pid-1')}`;
      const v2 = ok<Submission>(
        await call(t.app, coa, 'PUT', url, strike('pid-1', 23.9, 45.9, { label: 'local id in body' })),
      );
      assert.deepEqual(v2.declarations, [{ id: own('coalition', 'pid-1'), version: 2 }]);
      const v3 = ok<Submission>(
        await call(
          t.app,
          coa,
          'PUT',
          url,
          strike(own('coalition', 'pid-1'), 23.9, 45.9, { label: 'full id' }),
        ),
      );
      assert.deepEqual(v3.declarations, [{ id: own('coalition', 'pid-1'), version: 3 }]);
      const cur = ok<Feature>(await call(t.app, coa, 'GET', url));
      assert.equal(cur.properties.version, 3);
      assert.equal(cur.properties.label, 'full id');
      // The northern forces' declaration of the same local id is untouched.
      const still = ok<Feature>(
        await call(t.app, nf, 'GET', `/api/v1/declarations/${own('northern-forces', 'pid-1')}`),
      );
      assert.equal(still.properties.version, 1);
    });

    it('a FeatureCollection with one bad feature is 422 and stores nothing', async () => {
      const op = await as('northern-forces.operator');
      const list = async () => (await call(t.app, op, 'GET', '/api/v1/declarations?limit=5000')).body;
      const before = await list();
      const head = await ledgerHead(t);
      const active = t.hub.declarations.activeCount;
      const bad = strike('bad-2', 23.41, 45.41, { end: '2026-11-25T09:00:00Z' });
      const r = await call(t.app, op, 'POST', '/api/v1/declarations', {
        type: 'FeatureCollection',
        features: [strike('good-1', 23.4, 45.4), bad, strike('good-3', 23.42, 45.42)],
      });
      const e = assertError(r, 422, 'window_empty');
      assert.deepEqual(e.feature, { index: 1, id: own('northern-forces', 'bad-2') });
      assert.equal(e.path, 'properties.end');
      assert.equal(await list(), before);
      assert.deepEqual(await ledgerHead(t), head);
      assert.equal(t.hub.declarations.activeCount, active);
      assertError(
        await call(t.app, op, 'GET', `/api/v1/declarations/${own('northern-forces', 'good-1')}`),
        404,
        'not_found',
      );
      // Other input errors: each coded, naming feature and property.
      const wrongGeom = await call(t.app, op, 'POST', '/api/v1/declarations', {
        type: 'Feature',
        geometry: {
          type: 'LineString',
          coordinates: [
            [23, 45],
            [23.1, 45.1],
          ],
        },
        properties: { kind: 'strike', start: '2026-11-25T10:00:00Z' },
      });
      assertError(wrongGeom, 422, 'wrong_geometry_for_kind');
      assertError(
        await call(t.app, op, 'POST', '/api/v1/declarations', strike('x', 23, 45, { kind: 'nuke' })),
        422,
        'unknown_kind',
      );
      assertError(
        await call(t.app, op, 'POST', '/api/v1/declarations', { type: 'Nothing' }),
        422,
        'not_feature_collection',
      );
      assert.deepEqual(await ledgerHead(t), head);
    });

    it('a dry run answers with the conflicts and stores nothing', async () => {
      const ra = await as('relief-agency.operator');
      ok(await call(t.app, ra, 'POST', '/api/v1/declarations', site('dry-site', 23.5, 45.5)), 201);
      const op = await as('coalition.operator');
      const head = await ledgerHead(t);
      const before = (await call(t.app, op, 'GET', '/api/v1/declarations?limit=5000')).body;
      const conflictsBefore = (await call(t.app, op, 'GET', '/api/v1/conflicts?limit=5000')).body;
      const r = await call(
        t.app,
        op,
        'POST',
        '/api/v1/declarations?dry_run=true',
        strike('dry-strike', 23.5, 45.502),
      );
      const body = ok<Submission>(r, 200);
      assert.equal(body.dry_run, true);
      assert.deepEqual(body.declarations, [{ id: own('coalition', 'dry-strike'), version: 1 }]);
      assert.equal(body.conflicts.length, 1);
      assert.equal(body.conflicts[0]?.rule, 'strike_protected');
      assert.equal(body.conflicts[0]?.severity, 'critical');
      assert.deepEqual(await ledgerHead(t), head);
      assert.equal((await call(t.app, op, 'GET', '/api/v1/declarations?limit=5000')).body, before);
      assert.equal((await call(t.app, op, 'GET', '/api/v1/conflicts?limit=5000')).body, conflictsBefore);
      assertError(
        await call(t.app, op, 'GET', `/api/v1/declarations/${own('coalition', 'dry-strike')}`),
        404,
        'not_found',
      );
      // The other side was not told either.
      const theirs = ok<{ conflicts: ConflictView[] }>(
        await call(t.app, ra, 'GET', `/api/v1/conflicts?declaration=${own('relief-agency', 'dry-site')}`),
      );
      assert.deepEqual(theirs.conflicts, []);
      // The same submission for real conflicts, and the id is free.
      const real = ok<Submission>(
        await call(
          t.app,
          op,
          'POST',
          '/api/v1/declarations?dry_run=false',
          strike('dry-strike', 23.5, 45.502),
        ),
        201,
      );
      assert.equal(real.dry_run, false);
      assert.equal(real.conflicts.length, 1);
      assertError(
        await call(t.app, op, 'POST', '/api/v1/declarations?dry_run=maybe', strike(undefined, 23, 45)),
        400,
        'invalid_request',
      );
    });

    it('amends: version 2, both versions listed, old conflicts resolved `amended`, new ones found', async () => {
      const nf = await as('northern-forces.operator');
      const op = await as('coalition.operator');
      ok(await call(t.app, nf, 'POST', '/api/v1/declarations', site('am-site-a', 23.6, 45.6)), 201);
      ok(await call(t.app, nf, 'POST', '/api/v1/declarations', site('am-site-b', 23.7, 45.6)), 201);
      const v1 = ok<Submission>(
        await call(t.app, op, 'POST', '/api/v1/declarations', strike('am-strike', 23.6, 45.602)),
        201,
      );
      assert.equal(v1.conflicts.length, 1);
      const old = v1.conflicts[0] as ConflictView;
      assert.equal(other(old, 'coalition').id, own('northern-forces', 'am-site-a'));
      assert.deepEqual(mine(old, 'coalition'), {
        id: own('coalition', 'am-strike'),
        version: 1,
        party: 'coalition',
        kind: 'strike',
      });

      // Move the strike next to the other site.
      const moved = strike(undefined, 23.7, 45.602, { label: 'moved' });
      const amUrl = `/api/v1/declarations/${own('coalition', 'am-strike')}`;
      const r = await call(t.app, op, 'PUT', amUrl, moved);
      const v2 = ok<Submission>(r);
      assert.deepEqual(v2.declarations, [{ id: own('coalition', 'am-strike'), version: 2 }]);
      assert.equal(v2.conflicts.length, 1);
      const fresh = v2.conflicts[0] as ConflictView;
      assert.equal(other(fresh, 'coalition').id, own('northern-forces', 'am-site-b'));
      assert.equal(mine(fresh, 'coalition').version, 2);
      assert.equal(fresh.status, 'open');

      const was = ok<ConflictView>(await call(t.app, op, 'GET', `/api/v1/conflicts/${old.id}`));
      assert.equal(was.status, 'resolved');
      assert.equal(was.resolution, 'amended');
      assert.equal(was.resolved_at, '2026-11-22T00:00:00Z');

      const versions = ok<Collection>(await call(t.app, op, 'GET', `${amUrl}/versions`));
      assert.deepEqual(
        versions.features.map((f) => [f.properties.version, f.properties.status, f.geometry.coordinates]),
        [
          [1, 'superseded', [23.6, 45.602]],
          [2, 'active', [23.7, 45.602]],
        ],
      );
      const one = ok<Feature>(await call(t.app, op, 'GET', `${amUrl}?version=1`));
      assert.equal(one.properties.version, 1);
      assert.deepEqual(one.geometry.coordinates, [23.6, 45.602]);
      const cur = ok<Feature>(await call(t.app, op, 'GET', amUrl));
      assert.equal(cur.properties.version, 2);
      assert.equal(cur.properties.label, 'moved');
      assertError(await call(t.app, op, 'GET', `${amUrl}?version=3`), 404, 'not_found');
      assertError(await call(t.app, op, 'GET', `${amUrl}?version=x`), 400, 'invalid_request');

      // The northern forces see the same: the old conflict resolved, the new one open.
      const theirs = ok<{ conflicts: ConflictView[] }>(
        await call(t.app, nf, 'GET', `/api/v1/conflicts?declaration=${own('coalition', 'am-strike')}`),
      );
      assert.deepEqual(
        theirs.conflicts.map((c) => [c.id, c.status, c.resolution]).sort(),
        [
          [old.id, 'resolved', 'amended'],
          [fresh.id, 'open', null],
        ].sort(),
      );
      // Only the owner amends; a body naming another id is refused; a non-Feature too.
      // (Another party's id in the URL is another party's prefix: refused before any look-up.)
      const notOwner = assertError(await call(t.app, nf, 'PUT', amUrl, moved), 403, 'party_mismatch');
      assert.equal(notOwner.path, 'properties.id');
      assertError(
        await call(t.app, op, 'PUT', amUrl, strike('other-id', 23.7, 45.602)),
        400,
        'invalid_request',
      );
      assertError(
        await call(t.app, op, 'PUT', amUrl, {
          type: 'FeatureCollection',
          features: [],
        }),
        400,
        'invalid_request',
      );
      assertError(
        await call(t.app, op, 'PUT', `/api/v1/declarations/${own('coalition', 'no-such-decl')}`, moved),
        404,
        'not_found',
      );
    });

    it('withdraws: status withdrawn, open conflicts resolved `withdrawn`, again → 409', async () => {
      const cp = await as('city-police.operator');
      const op = await as('coalition.operator');
      ok(await call(t.app, cp, 'POST', '/api/v1/declarations', site('wd-site', 23.8, 45.7)), 201);
      const s = ok<Submission>(
        await call(t.app, op, 'POST', '/api/v1/declarations', strike('wd-strike', 23.8, 45.701)),
        201,
      );
      const cid = s.conflicts[0]?.id ?? '';
      assert.ok(cid);
      const wdUrl = `/api/v1/declarations/${own('coalition', 'wd-strike')}`;
      assertError(
        await call(t.app, cp, 'POST', `${wdUrl}/withdraw`, { reason: 'not ours' }),
        403,
        'forbidden',
      );
      const r = await call(t.app, op, 'POST', `${wdUrl}/withdraw`, {
        reason: 'target moved',
      });
      assert.deepEqual(ok(r), { id: own('coalition', 'wd-strike'), version: 1, status: 'withdrawn' });
      const f = ok<Feature>(await call(t.app, op, 'GET', wdUrl));
      assert.equal(f.properties.status, 'withdrawn');
      const c = ok<ConflictView>(await call(t.app, cp, 'GET', `/api/v1/conflicts/${cid}`));
      assert.equal(c.status, 'resolved');
      assert.equal(c.resolution, 'withdrawn');

      assertError(await call(t.app, op, 'POST', `${wdUrl}/withdraw`), 409, 'declaration_closed');
      assertError(
        await call(t.app, op, 'PUT', wdUrl, strike(undefined, 23.8, 45.701)),
        409,
        'declaration_closed',
      );
      assertError(
        await call(
          t.app,
          op,
          'POST',
          `/api/v1/declarations/${own('coalition', 'nothing-here')}/withdraw`,
          {},
        ),
        404,
        'not_found',
      );
      // A new strike on the same point meets the site, not the withdrawn strike.
      const again = ok<Submission>(
        await call(
          t.app,
          await as('northern-forces.operator'),
          'POST',
          '/api/v1/declarations',
          strike(undefined, 23.8, 45.7015),
        ),
        201,
      );
      assert.deepEqual(
        again.conflicts.map((x) => [x.rule, other(x, 'northern-forces').id]),
        [['strike_protected', own('city-police', 'wd-site')]],
      );
    });

    it('lists with filters: bbox, start, end, kind, party, status, limit', async () => {
      const op = await as('coalition.operator');
      const nf = await as('northern-forces.operator');
      const at = (hour: number) => `2026-11-26T${String(hour).padStart(2, '0')}:00:00Z`;
      ok(
        await call(t.app, op, 'POST', '/api/v1/declarations', {
          type: 'FeatureCollection',
          features: [
            strike('ls-early', 24.1, 44.1, { start: at(1), end: at(3), buffer_m: 10 }),
            strike('ls-late', 24.2, 44.1, { start: at(10), end: at(12), buffer_m: 10 }),
            site('ls-site', 24.3, 44.1, { start: at(0), buffer_m: 10 }),
          ],
        }),
        201,
      );
      ok(
        await call(
          t.app,
          nf,
          'POST',
          '/api/v1/declarations',
          strike('ls-nf', 24.15, 44.15, { start: at(5), end: at(6), buffer_m: 10 }),
        ),
        201,
      );
      const early = own('coalition', 'ls-early');
      const late = own('coalition', 'ls-late');
      const site_ = own('coalition', 'ls-site');
      const nfs = own('northern-forces', 'ls-nf');
      ok(await call(t.app, op, 'POST', `/api/v1/declarations/${late}/withdraw`));
      const ids = async (q: string) =>
        ok<Collection>(await call(t.app, op, 'GET', `/api/v1/declarations?${q}`))
          .features.map((f) => f.id)
          .filter((id) => local(id).startsWith('ls-'))
          .sort();
      const set = (...xs: string[]) => xs.sort();
      const box = 'bbox=24.0,44.0,24.4,44.2';
      assert.deepEqual(await ids(box), set(early, late, nfs, site_));
      assert.deepEqual(await ids('bbox=24.12,44.0,24.25,44.2'), set(late, nfs));
      assert.deepEqual(await ids(`${box}&kind=strike`), set(early, late, nfs));
      assert.deepEqual(await ids(`${box}&kind=protected_site`), [site_]);
      assert.deepEqual(await ids(`${box}&party=northern-forces`), [nfs]);
      assert.deepEqual(await ids(`${box}&status=withdrawn`), [late]);
      assert.deepEqual(await ids(`${box}&status=active`), set(early, nfs, site_));
      // Windows overlapping [start, end): half-open at both ends.
      assert.deepEqual(await ids(`${box}&start=${at(3)}&end=${at(10)}`), set(nfs, site_));
      assert.deepEqual(await ids(`${box}&start=${at(2)}&end=${at(5)}`), set(early, site_));
      assert.deepEqual(await ids(`${box}&start=${at(11)}`), set(late, site_));
      assert.deepEqual(await ids(`${box}&end=${at(1)}`), [site_]);
      // Nothing from elsewhere in a small box.
      const all = ok<Collection>(await call(t.app, op, 'GET', `/api/v1/declarations?${box}`));
      assert.ok(
        all.features.every((f) => local(f.id).startsWith('ls-')),
        JSON.stringify(all.features.map((f) => f.id)),
      );
      const limited = ok<Collection>(await call(t.app, op, 'GET', `/api/v1/declarations?${box}&limit=2`));
      assert.equal(limited.features.length, 2);
      for (const q of [
        'bbox=1,2,3',
        'bbox=0,10,1,5',
        'kind=rocket',
        'status=superseded',
        'start=yesterday',
        'limit=0',
      ]) {
        assertError(await call(t.app, op, 'GET', `/api/v1/declarations?${q}`), 400, 'invalid_request');
      }
    });
  });

  describe('conflicts', () => {
    /** A strike of the coalition against a northern strike and a relief site: two conflicts. */
    let strikeStrike: ConflictView;
    let strikeSite: ConflictView;
    before(async () => {
      ok(
        await call(
          t.app,
          await as('northern-forces.operator'),
          'POST',
          '/api/v1/declarations',
          strike('cf-nf', 24.6, 44.6),
        ),
        201,
      );
      ok(
        await call(
          t.app,
          await as('relief-agency.operator'),
          'POST',
          '/api/v1/declarations',
          site('cf-site', 24.6, 44.604),
        ),
        201,
      );
      const s = ok<Submission>(
        await call(
          t.app,
          await as('coalition.operator'),
          'POST',
          '/api/v1/declarations',
          strike('cf-coa', 24.6, 44.602),
        ),
        201,
      );
      assert.equal(s.conflicts.length, 2, JSON.stringify(s.conflicts));
      strikeStrike = s.conflicts.find((c) => c.rule === 'strike_strike') as ConflictView;
      strikeSite = s.conflicts.find((c) => c.rule === 'strike_protected') as ConflictView;
      assert.ok(strikeStrike && strikeSite);
    });

    it('shows a conflict in full when both sides are visible', () => {
      assert.equal(strikeStrike.severity, 'high');
      assert.equal(strikeStrike.internal, false);
      assert.equal(strikeStrike.status, 'open');
      assert.deepEqual(strikeStrike.window, {
        start: '2026-11-25T10:00:00Z',
        end: '2026-11-25T12:00:00Z',
      });
      assert.ok(
        typeof strikeStrike.distance_m === 'number' &&
          strikeStrike.distance_m > 200 &&
          strikeStrike.distance_m < 250,
      );
      assert.ok(Array.isArray(strikeStrike.closest));
      assert.equal(strikeSite.severity, 'critical');
    });

    it('lists by status, rule, severity and declaration; gets one', async () => {
      const op = await as('coalition.watch');
      const list = async (q: string) =>
        ok<{ conflicts: ConflictView[] }>(await call(t.app, op, 'GET', `/api/v1/conflicts?${q}`)).conflicts;
      const ids = (cs: ConflictView[]) => cs.map((c) => c.id).sort();
      const coaDecl = `declaration=${own('coalition', 'cf-coa')}`;
      assert.deepEqual(ids(await list(coaDecl)), ids([strikeStrike, strikeSite]));
      assert.deepEqual(ids(await list(`${coaDecl}&rule=strike_strike`)), [strikeStrike.id]);
      assert.deepEqual(ids(await list(`${coaDecl}&severity=critical`)), [strikeSite.id]);
      assert.deepEqual(ids(await list(`declaration=${own('northern-forces', 'cf-nf')}`)), [strikeStrike.id]);
      assert.deepEqual(await list(`${coaDecl}&status=resolved`), []);
      const open = await list('status=open&limit=5000');
      assert.ok(open.every((c) => c.status === 'open'));
      assert.ok(open.some((c) => c.id === strikeSite.id));
      const resolved = await list('status=resolved&limit=5000');
      assert.ok(resolved.length > 0 && resolved.every((c) => c.status === 'resolved'));
      assert.ok((await list('rule=strike_protected&limit=5000')).every((c) => c.rule === 'strike_protected'));
      assert.ok((await list('severity=high&limit=5000')).every((c) => c.severity === 'high'));
      assert.deepEqual(ok(await call(t.app, op, 'GET', `/api/v1/conflicts/${strikeSite.id}`)), strikeSite);
      // Only the parties involved see a conflict.
      const cp = await as('city-police.watch');
      assertError(await call(t.app, cp, 'GET', `/api/v1/conflicts/${strikeSite.id}`), 404, 'not_found');
      assert.deepEqual(
        ok<{ conflicts: ConflictView[] }>(await call(t.app, cp, 'GET', `/api/v1/conflicts?${coaDecl}`))
          .conflicts,
        [],
      );
      assertError(
        await call(t.app, op, 'GET', '/api/v1/conflicts/cf-00000000000000000000'),
        404,
        'not_found',
      );
      assertError(await call(t.app, op, 'GET', '/api/v1/conflicts?status=closed'), 400, 'invalid_request');
    });

    it('resolves with risk_accepted only when both parties have accepted', async () => {
      const coa = await as('coalition.watch');
      const url = `/api/v1/conflicts/${strikeStrike.id}/resolve`;
      assertError(
        await call(t.app, coa, 'POST', url, { resolution: 'risk_accepted' }),
        400,
        'invalid_request',
      );
      assertError(
        await call(t.app, coa, 'POST', url, { resolution: 'risk_accepted', reason: '  ' }),
        400,
        'invalid_request',
      );
      assertError(
        await call(t.app, coa, 'POST', url, { resolution: 'withdrawn', reason: 'x' }),
        400,
        'invalid_request',
      );
      assertError(
        await call(t.app, await as('coalition.operator'), 'POST', url, {
          resolution: 'risk_accepted',
          reason: 'x',
        }),
        403,
        'forbidden',
      );
      assertError(
        await call(t.app, await as('city-police.watch'), 'POST', url, {
          resolution: 'risk_accepted',
          reason: 'x',
        }),
        404,
        'not_found',
      );

      const first = ok<ConflictView>(
        await call(t.app, coa, 'POST', url, { resolution: 'risk_accepted', reason: 'deconflicted by phone' }),
      );
      assert.equal(first.status, 'open');
      assert.deepEqual(
        first.acceptances.map((a) => [a.party, a.reason]),
        [['coalition', 'deconflicted by phone']],
      );
      assertError(
        await call(t.app, await as('coalition.senior'), 'POST', url, {
          resolution: 'risk_accepted',
          reason: 'again',
        }),
        409,
        'already_resolved',
      );
      const both = ok<ConflictView>(
        await call(t.app, await as('northern-forces.senior'), 'POST', url, {
          resolution: 'risk_accepted',
          reason: 'our strike is 10 minutes later',
        }),
      );
      assert.equal(both.status, 'resolved');
      assert.equal(both.resolution, 'risk_accepted');
      assert.deepEqual(
        both.acceptances.map((a) => a.party),
        ['coalition', 'northern-forces'],
      );
      const seen = ok<ConflictView>(await call(t.app, coa, 'GET', `/api/v1/conflicts/${strikeStrike.id}`));
      assert.equal(seen.resolution, 'risk_accepted');
      assertError(
        await call(t.app, await as('northern-forces.admin'), 'POST', url, {
          resolution: 'risk_accepted',
          reason: 'x',
        }),
        409,
        'already_resolved',
      );
      // The other conflict of the same strike is untouched.
      const site = ok<ConflictView>(await call(t.app, coa, 'GET', `/api/v1/conflicts/${strikeSite.id}`));
      assert.equal(site.status, 'open');
    });
  });

  describe('limits and errors', () => {
    it('more than 1000 features is 413 too_many_features', async () => {
      const op = await as('coalition.operator');
      const head = await ledgerHead(t);
      const features = Array.from({ length: 1001 }, (_, i) =>
        strike(undefined, 24 + i * 0.0001, 43.5, { buffer_m: 1 }),
      );
      const r = await call(t.app, op, 'POST', '/api/v1/declarations', {
        type: 'FeatureCollection',
        features,
      });
      assertError(r, 413, 'too_many_features');
      assert.deepEqual(await ledgerHead(t), head);
    });

    it('invalid JSON is 400 invalid_json, as application/json and as application/geo+json', async () => {
      const op = await as('coalition.operator');
      for (const ct of ['application/json', 'application/geo+json']) {
        const r = await call(t.app, op, 'POST', '/api/v1/declarations', '{"type": "Feature",', {
          'content-type': ct,
        });
        assertError(r, 400, 'invalid_json');
      }
      assertError(
        await call(t.app, null, 'POST', '/api/v1/session', '{nope', { 'content-type': 'application/json' }),
        400,
        'invalid_json',
      );
      assertError(
        await call(t.app, op, 'POST', '/api/v1/declarations', 'kind=strike', {
          'content-type': 'text/plain',
        }),
        415,
        'unsupported_media_type',
      );
    });

    it('an unknown route is 404 not_found; a known path with another method 405', async () => {
      const op = await as('coalition.operator');
      assertError(await call(t.app, op, 'GET', '/api/v1/nothing'), 404, 'not_found');
      const wrong = await call(t.app, op, 'DELETE', `/api/v1/declarations/${own('coalition', 'fc-1')}`);
      assertError(wrong, 405, 'method_not_allowed');
      assert.match(String(wrong.headers.allow), /GET/);
      assertError(await call(t.app, null, 'GET', '/nothing'), 404, 'not_found');
    });

    it('GET /healthz answers without a token, and nothing that changes with declarations', async () => {
      const r = await call(t.app, null, 'GET', '/healthz');
      assert.deepEqual(ok<unknown>(r), { status: 'ok' });
    });

    it('GET /api/v1/status tells the hub administrator how many declarations are active, and no one else', async () => {
      const admin = await t.login('hub.admin');
      const body = ok<{ active_declarations: number }>(await call(t.app, admin, 'GET', '/api/v1/status'));
      assert.equal(body.active_declarations, t.hub.declarations.activeCount);
      assert.ok(body.active_declarations >= 24);
      const op = await t.login('coalition.admin');
      assertError(await call(t.app, op, 'GET', '/api/v1/status'), 403, 'forbidden');
    });

    it('GET /api/v1/openapi.json describes every route the app has, and no other', async () => {
      const r = await call(t.app, null, 'GET', '/api/v1/openapi.json');
      const doc = ok<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(r);
      assert.equal(doc.openapi, '3.1.0');
      const documented = Object.entries(doc.paths)
        .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
        .sort();
      const served = routesOf(t.app)
        .filter((x) => !x.startsWith('HEAD '))
        .map((x) => x.replace(/:([A-Za-z_]+)/g, '{$1}'))
        .sort();
      assert.deepEqual(documented, served);
      // Each documented route exists (and so answers something other than the 404 handler).
      for (const route of documented) {
        const [method, path] = route.split(' ') as [string, string];
        assert.ok(
          t.app.hasRoute({ method: method as 'GET', url: path.replace(/\{([A-Za-z_]+)\}/g, ':$1') }),
          route,
        );
      }
    });
  });

  describe('over a real socket', () => {
    let base: string;
    before(async () => {
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      const address = t.app.server.address();
      assert.ok(address !== null && typeof address === 'object');
      base = `http://127.0.0.1:${address.port}`;
    });

    it('logs in, submits a conflicting strike and lists the conflict', async () => {
      const login = await fetch(`${base}/api/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'northern-forces.senior', password: 'demo-northern-forces' }),
      });
      assert.equal(login.status, 201);
      const { token } = (await login.json()) as { token: string };
      const senior = { authorization: `Bearer ${token}` };
      // A senior officer may not submit.
      const denied = await fetch(`${base}/api/v1/declarations`, {
        method: 'POST',
        headers: { ...senior, 'content-type': 'application/geo+json' },
        body: JSON.stringify(strike(undefined, 24.8, 44.8)),
      });
      assert.equal(denied.status, 403);
      assert.equal(((await denied.json()) as { errors: ErrorItem[] }).errors[0]?.code, 'forbidden');

      ok(
        await call(
          t.app,
          await as('city-police.operator'),
          'POST',
          '/api/v1/declarations',
          site('sock-site', 24.8, 44.8),
        ),
        201,
      );
      const opToken = await as('northern-forces.operator');
      const sub = await fetch(`${base}/api/v1/declarations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${opToken}`, 'content-type': 'application/geo+json' },
        body: JSON.stringify(strike('sock-strike', 24.8, 44.801)),
      });
      assert.equal(sub.status, 201);
      const body = (await sub.json()) as Submission;
      assert.equal(body.conflicts.length, 1);
      const sockStrike = own('northern-forces', 'sock-strike');
      const list = await fetch(`${base}/api/v1/conflicts?declaration=${sockStrike}&status=open`, {
        headers: senior,
      });
      assert.equal(list.status, 200);
      assert.match(list.headers.get('content-type') ?? '', /^application\/json/);
      const { conflicts } = (await list.json()) as { conflicts: ConflictView[] };
      assert.deepEqual(
        conflicts.map((c) => c.id),
        [body.conflicts[0]?.id],
      );
      const health = await fetch(`${base}/healthz`);
      assert.equal(health.status, 200);
      const bad = await fetch(`${base}/api/v1/declarations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${opToken}`, 'content-type': 'application/json' },
        body: '{',
      });
      assert.equal(bad.status, 400);
      assert.equal(((await bad.json()) as { errors: ErrorItem[] }).errors[0]?.code, 'invalid_json');
    });
  });
});

/** "METHOD /path" for every route of the app, from `printRoutes()`. */
function routesOf(app: FastifyInstance): string[] {
  const out: string[] = [];
  const stack: { depth: number; path: string }[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ]*)(?:├── |└── )(\S+)(?: \(([A-Z, ]+)\))?/.exec(line);
    if (!m) continue;
    const depth = (m[1] ?? '').length;
    while (stack.length > 0 && (stack[stack.length - 1]?.depth ?? 0) >= depth) stack.pop();
    const path = (stack[stack.length - 1]?.path ?? '') + (m[2] ?? '');
    stack.push({ depth, path });
    for (const method of (m[3] ?? '').split(', ').filter(Boolean)) out.push(`${method} ${path}`);
  }
  return out;
}

describe('hub API: bodies (limits per route, amendments)', () => {
  let t: TestHub;
  before(async () => {
    t = await startHub();
  });
  after(async () => {
    await t.close();
  });

  it('a route that takes no geometry refuses a body past 64 KiB, naming its limit; declarations take more', async () => {
    const admin = await t.login('coalition.admin');
    const head = await ledgerHead(t);
    // 70 KiB of channel: far past any honest one, refused before it is read.
    const r = await call(t.app, admin, 'POST', '/api/v1/channels', {
      name: 'n'.repeat(70 * 1024),
      parties: ['northern-forces'],
    });
    const e = assertError(r, 413, 'payload_too_large');
    assert.match(e.message, /POST \/api\/v1\/channels accepts \(64 KiB\)/);
    assert.deepEqual(await ledgerHead(t), head);
    // A declaration of 3,000 vertices (about 110 KiB) is still read and checked.
    const op = await t.login('coalition.operator');
    const zone = {
      type: 'Feature',
      geometry: { type: 'Polygon', coordinates: [circleRing([23.5, 45.5], 5_000, 3_000)] },
      properties: {
        id: 'wide-zone',
        kind: 'restricted_zone',
        start: iso(t.clock.now() + 3_600_000),
        end: iso(t.clock.now() + 7_200_000),
      },
    };
    const body = JSON.stringify(zone);
    assert.ok(body.length > 64 * 1024, `${body.length} bytes`);
    const dry = ok<Submission>(await call(t.app, op, 'POST', '/api/v1/declarations?dry_run=true', zone), 200);
    assert.deepEqual(dry.declarations, [{ id: own('coalition', 'wide-zone'), version: 1 }]);
  });

  it('an amendment whose properties are not an object is refused as a submission is (missing_property), small or read in a worker (found by the fuzzer)', async () => {
    const op = await t.login('coalition.operator');
    const head = await ledgerHead(t);
    const feature = (properties: unknown) => ({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [21.43, 46.15] },
      properties,
    });
    // A string was spread into one member per character: 3 s and 100,000 errors for 100 KB.
    for (const properties of ['xxxx', 'x'.repeat(100_000), ['a'], null]) {
      const r = await call(
        t.app,
        op,
        'PUT',
        `/api/v1/declarations/${own('coalition', 'x')}`,
        feature(properties),
      );
      const e = assertError(r, 422, 'missing_property', 'properties');
      assert.equal(errorsOf(r).length, 1, JSON.stringify(properties).slice(0, 40));
      assert.match(e.message, /needs a "properties" object/);
    }
    assert.deepEqual(await ledgerHead(t), head);
  });
});

describe('hub API limits', () => {
  let t: TestHub;
  before(async () => {
    t = await startHub({ app: { bodyLimit: 10_000, rate: { perSecond: 1, burst: 3 } } });
  });
  after(async () => {
    await t.close();
  });

  it('a body over the limit is 413 payload_too_large and stores nothing', async () => {
    const token = await t.login('coalition.operator');
    const head = await ledgerHead(t);
    const r = await call(t.app, token, 'POST', '/api/v1/declarations', {
      ...strike(undefined, 23, 45),
      properties: { ...strike(undefined, 23, 45).properties, notes: 'x'.repeat(12_000) },
    });
    assertError(r, 413, 'payload_too_large');
    assert.deepEqual(await ledgerHead(t), head);
  });

  it('too many requests for one token is 429 rate_limited; another token is not affected', async () => {
    const token = await t.login('coalition.watch');
    for (let i = 0; i < 3; i++) ok(await call(t.app, token, 'GET', '/api/v1/conflicts'));
    assertError(await call(t.app, token, 'GET', '/api/v1/conflicts'), 429, 'rate_limited');
    assertError(await call(t.app, token, 'GET', '/api/v1/parties'), 429, 'rate_limited');
    const other = await t.login('coalition.senior');
    ok(await call(t.app, other, 'GET', '/api/v1/conflicts'));
    // One request per second refills the bucket.
    t.clock.advance(1000);
    ok(await call(t.app, token, 'GET', '/api/v1/conflicts'));
    assertError(await call(t.app, token, 'GET', '/api/v1/conflicts'), 429, 'rate_limited');
  });

  it('failed logins back a name off (429 with Retry-After), never a device that logged in before', async () => {
    const username = 'relief-agency.watch';
    const password = 'demo-relief-agency';
    const known = ok<{ device: { token: string } }>(
      await call(t.app, null, 'POST', '/api/v1/session', { username, password }),
      201,
    ).device.token;
    const responses = [];
    for (let i = 0; i < 10; i++) {
      responses.push(
        await call(t.app, null, 'POST', '/api/v1/session', { username, password: 'wrong-password!' }),
      );
    }
    // Five are checked; then each waits: no more passwords are checked for the name meanwhile.
    assert.deepEqual(
      responses.map((r) => r.statusCode),
      [401, 401, 401, 401, 401, 429, 429, 429, 429, 429],
    );
    assertError(responses[5] as Res, 429, 'rate_limited');
    assert.equal((responses[5] as Res).headers['retry-after'], '1');
    // The right password from a device that logged in before: in at once.
    ok(await call(t.app, null, 'POST', '/api/v1/session', { username, password, device: known }), 201);
    // From a new device, after the wait (a second, not a minute).
    assertError(
      await call(t.app, null, 'POST', '/api/v1/session', { username, password }),
      429,
      'rate_limited',
    );
    t.clock.advance(1000);
    ok(await call(t.app, null, 'POST', '/api/v1/session', { username, password }), 201);
  });
});

describe('hub API expiry', () => {
  let t: TestHub;
  before(async () => {
    t = await startHub();
  });
  after(async () => {
    await t.close();
  });

  it('a declaration past its end expires: its conflicts resolve `expired` and it conflicts no more', async () => {
    const coa = await t.login('coalition.operator');
    const nf = await t.login('northern-forces.operator');
    const short = strike('exp-strike', 23, 45, {
      start: '2026-11-22T01:00:00Z',
      end: '2026-11-22T03:00:00Z',
    });
    ok(await call(t.app, coa, 'POST', '/api/v1/declarations', short), 201);
    const s = ok<Submission>(
      await call(
        t.app,
        nf,
        'POST',
        '/api/v1/declarations',
        strike('exp-nf', 23, 45.001, { start: '2026-11-22T00:00:00Z', end: '2026-11-30T00:00:00Z' }),
      ),
      201,
    );
    assert.equal(s.conflicts.length, 1);
    const cid = s.conflicts[0]?.id as string;

    // Not yet: expiry is idempotent and does nothing before the end.
    t.clock.set(Date.parse('2026-11-22T02:59:59.999Z'));
    assert.equal(await t.hub.declarations.expire(), 0);
    const before = t.hub.declarations.activeCount;
    t.clock.set(Date.parse('2026-11-22T03:00:00Z'));
    assert.equal(await t.hub.declarations.expire(), 1);
    assert.equal(await t.hub.declarations.expire(), 0);
    assert.equal(t.hub.declarations.activeCount, before - 1);

    const expStrike = own('coalition', 'exp-strike');
    const f = ok<Feature>(await call(t.app, coa, 'GET', `/api/v1/declarations/${expStrike}`));
    assert.equal(f.properties.status, 'expired');
    const c = ok<ConflictView>(await call(t.app, nf, 'GET', `/api/v1/conflicts/${cid}`));
    assert.equal(c.status, 'resolved');
    assert.equal(c.resolution, 'expired');
    assert.equal(c.resolved_at, '2026-11-22T03:00:00Z');
    const expired = ok<Collection>(
      await call(t.app, coa, 'GET', '/api/v1/declarations?status=expired&party=coalition'),
    );
    assert.deepEqual(
      expired.features.map((x) => x.id),
      [expStrike],
    );
    assertError(
      await call(t.app, coa, 'POST', `/api/v1/declarations/${expStrike}/withdraw`),
      409,
      'declaration_closed',
    );

    // A new strike on the same point, over the expired window too, meets only the northern one.
    const again = ok<Submission>(
      await call(
        t.app,
        await t.login('city-police.operator'),
        'POST',
        '/api/v1/declarations',
        strike(undefined, 23, 45.0005, { start: '2026-11-22T00:00:00Z', end: '2026-11-23T00:00:00Z' }),
      ),
      201,
    );
    assert.deepEqual(
      again.conflicts.map((x) => other(x, 'city-police').id),
      [own('northern-forces', 'exp-nf')],
    );
    const ledger = await t.store.read((tx) => tx.ledger.range(1, 1e6));
    assert.ok(
      ledger.some((e) => e.type === 'declaration.expired' && e.subject === expStrike && e.actor === null),
    );
  });

  it('an amendment that extends a declaration wins over an expiry already under way', async () => {
    const token = await t.login('relief-agency.operator');
    const op: Principal = await t.hub.accounts.authenticate(token);
    const now = t.clock.now();
    const mov = (end: number) => ({
      type: 'Feature',
      geometry: {
        type: 'LineString',
        coordinates: [
          [23.5, 45],
          [23.6, 45],
        ],
      },
      properties: {
        id: 'race-convoy',
        kind: 'movement',
        start: iso(now - 3_600_000),
        end: iso(end),
        buffer_m: 50,
      },
    });
    const convoy = own('relief-agency', 'race-convoy');
    await t.hub.declarations.submit(op, mov(now + 60_000));
    t.clock.advance(60_000);
    // The amendment is queued first; the expiry, started while the index still has the old end,
    // runs after it and must see the new end.
    const [amended, expired] = await Promise.all([
      t.hub.declarations.amend(op, convoy, mov(t.clock.now() + 3_600_000)),
      t.hub.declarations.expire(),
    ]);
    assert.deepEqual(amended.declarations, [{ id: convoy, version: 2 }]);
    assert.equal(expired, 0);
    const cur = await t.store.read((tx) => tx.declarations.current(convoy));
    assert.equal(cur?.status, 'active');
    assert.equal(cur?.version, 2);
    assert.ok(t.hub.declarations.activeCount > 0);
    const stillIndexed = await t.hub.declarations.submit(
      await t.hub.accounts.authenticate(await t.login('coalition.operator')),
      {
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [23.55, 45] },
        properties: {
          kind: 'strike',
          start: iso(t.clock.now()),
          end: iso(t.clock.now() + 600_000),
          buffer_m: 100,
        },
      },
    );
    assert.deepEqual(
      stillIndexed.conflicts.map((c) => [c.rule, other(c as ConflictView, 'coalition').id]),
      [['strike_movement', convoy]],
    );
  });
});
