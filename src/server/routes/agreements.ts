/**
 * Routes of agreements (docs/agreements.md §4): draft, edit, propose, counter, sign, withdraw,
 * list and read. An agreement's text is parsed by the engine (its schema documents the format);
 * signing and withdrawing carry a signed statement (docs/transparency.md §4).
 */
import Type from 'typebox';
import {
  AgreementInput,
  AgreementList,
  AgreementListQuery,
  AgreementView,
  CounterInput,
  SignBody,
  WithdrawAgreementBody,
} from '../../api/agreements.ts';
import { IdParams } from '../../api/common.ts';
import { parseTime } from '../../field/dtg.ts';
import { BEARER, ERRORS, principalOf, type Routes } from './support.ts';

/** An agreement's text: its terms are geometry, so more than the small bodies' limit. */
const TEXT_LIMIT = 1024 * 1024;

export const agreementRoutes: Routes = (app, hub) => {
  const agreements = hub.agreements;
  app.post(
    '/api/v1/agreements',
    {
      bodyLimit: TEXT_LIMIT,
      schema: {
        tags: ['agreements'],
        summary: 'Draft an agreement (visible to your party alone until proposed)',
        description:
          'operator or party_admin of one of its parties. The body is the agreement format of docs/agreements.md §1, parsed by the engine (coded errors: term_outside_agreement, unknown_party, the declaration geometry codes, ...).',
        security: BEARER,
        consumes: ['application/json', 'application/geo+json'],
        body: AgreementInput,
        response: { 201: AgreementView, ...ERRORS },
      },
    },
    async (req, reply) => reply.status(201).send(await agreements.create(principalOf(req), req.body)),
  );
  app.get(
    '/api/v1/agreements',
    {
      schema: {
        tags: ['agreements'],
        summary: 'The agreements your party drafted or is named in (by a proposed version)',
        security: BEARER,
        querystring: AgreementListQuery,
        response: { 200: AgreementList, ...ERRORS },
      },
    },
    async (req) =>
      agreements.list(principalOf(req), {
        ...(req.query.status && { status: req.query.status }),
        ...(req.query.limit !== undefined && { limit: req.query.limit }),
      }),
  );
  app.get(
    '/api/v1/agreements/:id',
    {
      schema: {
        tags: ['agreements'],
        summary:
          'One agreement, with its versions (and their texts), content hashes, signatures and withdrawal',
        security: BEARER,
        params: IdParams,
        response: { 200: AgreementView, ...ERRORS },
      },
    },
    async (req) => agreements.get(principalOf(req), req.params.id),
  );
  app.put(
    '/api/v1/agreements/:id',
    {
      bodyLimit: TEXT_LIMIT,
      schema: {
        tags: ['agreements'],
        summary: 'Edit a draft (the drafting party)',
        security: BEARER,
        consumes: ['application/json', 'application/geo+json'],
        params: IdParams,
        body: AgreementInput,
        response: { 200: AgreementView, ...ERRORS },
      },
    },
    async (req) => agreements.edit(principalOf(req), req.params.id, req.body),
  );
  app.post(
    '/api/v1/agreements/:id/propose',
    {
      config: { optionalBody: true },
      schema: {
        tags: ['agreements'],
        summary: 'Propose a draft: its text is fixed and hashed, and every party it names sees it',
        security: BEARER,
        params: IdParams,
        body: Type.Object({}, { additionalProperties: false }),
        response: { 200: AgreementView, ...ERRORS },
      },
    },
    async (req) => agreements.propose(principalOf(req), req.params.id),
  );
  app.post(
    '/api/v1/agreements/:id/counter',
    {
      bodyLimit: TEXT_LIMIT,
      schema: {
        tags: ['agreements'],
        summary:
          'Counter the current version with a new text (another signatory): a new version; signatures reset',
        security: BEARER,
        consumes: ['application/json', 'application/geo+json'],
        params: IdParams,
        body: CounterInput,
        response: { 200: AgreementView, ...ERRORS },
      },
    },
    async (req) => agreements.counter(principalOf(req), req.params.id, req.body),
  );
  app.post(
    '/api/v1/agreements/:id/sign',
    {
      schema: {
        tags: ['agreements'],
        summary: 'Sign the current version’s content hash for your party (party_admin or senior_officer)',
        security: BEARER,
        params: IdParams,
        body: SignBody,
        response: { 200: AgreementView, ...ERRORS },
      },
    },
    async (req) => agreements.sign(principalOf(req), req.params.id, req.body),
  );
  app.post(
    '/api/v1/agreements/:id/withdraw',
    {
      schema: {
        tags: ['agreements'],
        summary: 'Withdraw with effect from a time not before now (party_admin or senior_officer), signed',
        security: BEARER,
        params: IdParams,
        body: WithdrawAgreementBody,
        response: { 200: AgreementView, ...ERRORS },
      },
    },
    async (req) =>
      agreements.withdraw(principalOf(req), req.params.id, {
        effective: parseTime(req.body.effective),
        reason: req.body.reason,
        signed: req.body.signed,
      }),
  );
};
