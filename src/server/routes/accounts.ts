/**
 * Routes of accounts: log in and out, API tokens, parties and members.
 */
import Type from 'typebox';
import {
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
import { coded } from '../errors.ts';
import { RateLimiter } from '../rate.ts';
import { BEARER, ERRORS, principalOf, type Routes } from './support.ts';

export const accountRoutes: Routes = (app, hub) => {
  // Login attempts per name: a slow trickle is allowed, a guessing run is not.
  const loginLimiter = new RateLimiter(0.2, 10, () => hub.clock.now());

  app.post(
    '/api/v1/session',
    {
      config: { public: true },
      schema: {
        tags: ['accounts'],
        summary: 'Log in: a session token for 12 hours',
        body: LoginBody,
        response: { 201: Session, ...ERRORS },
      },
    },
    async (req, reply) => {
      if (!loginLimiter.take(`login:${req.body.username}`))
        throw coded('rate_limited', 'too many login attempts; wait a minute');
      return reply.status(201).send(await hub.accounts.login(req.body.username, req.body.password));
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
        summary: 'Create a member (party_admin)',
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
        summary: 'Change roles or disable (party_admin); disabling revokes its tokens',
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
