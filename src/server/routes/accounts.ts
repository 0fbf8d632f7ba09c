/**
 * Routes of accounts: log in and out, known devices, API tokens, parties and members.
 *
 * Logging in goes through the login gate (`../login-gate.ts`, docs/security.md): ranked by what
 * the hub can look up by key, admitted or refused before any password is hashed, and told how
 * the check ended. The hashing slot is given back as soon as the password is checked, before the
 * session is written (a write may wait for the hub's write lock; hashing slots must not).
 */
import Type from 'typebox';
import {
  DeviceView,
  LoginBody,
  MemberBody,
  MemberChange,
  MemberParams,
  MemberView,
  NewToken,
  PartyBody,
  PartyParams,
  PartyView,
  Session,
  TokenBody,
  TokenView,
} from '../../api/accounts.ts';
import { IdParams, NoContent } from '../../api/common.ts';
import { DeconflictError } from '../../errors.ts';
import type { CheckedLogin } from '../../hub/accounts.ts';
import { coded } from '../errors.ts';
import { DEFAULT_LOGIN_GATE, LoginGate, type Outcome, parseOutcome, sourceOf } from '../login-gate.ts';
import { BEARER, ERRORS, principalOf, type Routes } from './support.ts';

/** The store signal topic of login outcomes, shared by the instances on one database. */
const LOGINS_TOPIC = 'logins';

export const accountRoutes: Routes = (app, hub) => {
  // Several instances on one database count failed logins together (login-gate.ts).
  const gate = new LoginGate(
    DEFAULT_LOGIN_GATE,
    () => hub.clock.now(),
    (o) => hub.store.signal(LOGINS_TOPIC, JSON.stringify(o)),
  );
  const stopHearing = hub.store.onSignal(LOGINS_TOPIC, (message) => {
    const o = parseOutcome(message);
    if (o !== null) gate.learn(o);
  });
  app.addHook('onClose', async () => stopHearing());

  app.post(
    '/api/v1/session',
    {
      config: { public: true },
      schema: {
        tags: ['accounts'],
        summary: 'Log in: a session token for 12 hours, and a device token for the next login',
        description:
          'Failed logins are throttled per client address and, after five, back off per name (1 s doubling to 60 s); a login that presents a valid device token of the member it names is not held back by either. At most a few passwords are checked at once and a few more wait; the rest are answered at once with 429 `rate_limited` and a `Retry-After` header (docs/security.md).',
        body: LoginBody,
        response: { 201: Session, ...ERRORS },
      },
    },
    async (req, reply) => {
      const { username, password, device } = req.body;
      const rank = await hub.accounts.loginClass(username, device);
      const admitted = await gate.admit({
        source: sourceOf(req.ip),
        username,
        rank: rank.kind,
        device: rank.kind === 'device' ? rank.device : null,
      });
      if (admitted.refused) {
        void reply.header('retry-after', String(admitted.retryAfter_s));
        throw coded('rate_limited', admitted.message);
      }
      let outcome: Outcome = 'error';
      let login: CheckedLogin;
      try {
        login = await hub.accounts.checkPassword(username, password);
        outcome = 'success';
      } catch (err) {
        if (err instanceof DeconflictError && err.details[0]?.code === 'unauthorized') outcome = 'failure';
        throw err;
      } finally {
        admitted.done(outcome);
      }
      return reply.status(201).send(await hub.accounts.openSession(login, device));
    },
  );
  app.delete(
    '/api/v1/session',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Log out (revoke this token)',
        security: BEARER,
        response: { 204: NoContent, ...ERRORS },
      },
    },
    async (req, reply) => {
      await hub.accounts.logout(principalOf(req));
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/devices',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Your known devices: those whose device token lets them in whatever others try',
        security: BEARER,
        response: {
          200: Type.Object({ devices: Type.Array(DeviceView) }, { additionalProperties: false }),
          ...ERRORS,
        },
      },
    },
    async (req) => ({ devices: await hub.accounts.listDevices(principalOf(req)) }),
  );
  app.delete(
    '/api/v1/devices/:id',
    {
      schema: {
        tags: ['accounts'],
        summary: "Forget a known device: yours, or a member's of your party (party_admin)",
        security: BEARER,
        params: IdParams,
        response: { 204: NoContent, ...ERRORS },
      },
    },
    async (req, reply) => {
      await hub.accounts.revokeDevice(principalOf(req), req.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/tokens',
    {
      schema: {
        tags: ['accounts'],
        summary: "The party's API tokens (party_admin)",
        security: BEARER,
        response: {
          200: Type.Object({ tokens: Type.Array(TokenView) }, { additionalProperties: false }),
          ...ERRORS,
        },
      },
    },
    async (req) => ({ tokens: await hub.accounts.listTokens(principalOf(req)) }),
  );
  app.post(
    '/api/v1/tokens',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Create an API token for a system (party_admin); the secret is shown once',
        description:
          "Every token takes the hub's default request rate unless it is given its own (`rate_limit`), higher or lower, within the ceiling the hub's operator sets; above it 422 `rate_above_ceiling`, naming the ceiling, and nothing is created. To change a token's rate, revoke it and create another.",
        security: BEARER,
        body: TokenBody,
        response: { 201: NewToken, ...ERRORS },
      },
    },
    async (req, reply) =>
      reply.status(201).send(await hub.accounts.createApiToken(principalOf(req), req.body)),
  );
  app.delete(
    '/api/v1/tokens/:id',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Revoke a token: your own, or any of your party (party_admin)',
        security: BEARER,
        params: IdParams,
        response: { 204: NoContent, ...ERRORS },
      },
    },
    async (req, reply) => {
      await hub.accounts.revokeToken(principalOf(req), req.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/parties',
    {
      schema: {
        tags: ['accounts'],
        summary: 'The parties (ids and names: whom to call)',
        security: BEARER,
        response: {
          200: Type.Object({ parties: Type.Array(PartyView) }, { additionalProperties: false }),
          ...ERRORS,
        },
      },
    },
    async (req) => ({ parties: await hub.accounts.listParties(principalOf(req)) }),
  );
  app.post(
    '/api/v1/parties',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Create a party with its first administrator (hub_admin)',
        security: BEARER,
        body: PartyBody,
        response: { 201: PartyView, ...ERRORS },
      },
    },
    async (req, reply) => reply.status(201).send(await hub.accounts.createParty(principalOf(req), req.body)),
  );
  app.get(
    '/api/v1/parties/:party/members',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Members of your party (party_admin)',
        security: BEARER,
        params: PartyParams,
        response: {
          200: Type.Object({ members: Type.Array(MemberView) }, { additionalProperties: false }),
          ...ERRORS,
        },
      },
    },
    async (req) => ({ members: await hub.accounts.listMembers(principalOf(req), req.params.party) }),
  );
  app.post(
    '/api/v1/parties/:party/members',
    {
      schema: {
        tags: ['accounts'],
        summary:
          'Create a member (party_admin), named "<party>.<name>"; a hub_admin may add a party_admin to any party (recovery)',
        security: BEARER,
        params: PartyParams,
        body: MemberBody,
        response: { 201: MemberView, ...ERRORS },
      },
    },
    async (req, reply) =>
      reply.status(201).send(await hub.accounts.createMember(principalOf(req), req.params.party, req.body)),
  );
  app.patch(
    '/api/v1/parties/:party/members/:username',
    {
      schema: {
        tags: ['accounts'],
        summary:
          'Change roles or disable (party_admin); disabling revokes its tokens and devices; the last active party_admin stays (409 last_admin)',
        security: BEARER,
        params: MemberParams,
        body: MemberChange,
        response: { 200: MemberView, ...ERRORS },
      },
    },
    async (req) =>
      hub.accounts.updateMember(principalOf(req), req.params.party, req.params.username, req.body),
  );
};
