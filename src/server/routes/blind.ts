/**
 * Routes of sealed declarations and blind matching (docs/blind-matching.md): the owner seals
 * (tokens only) and withdraws; the parties' agents read their tasks and answer each step of a
 * blind check; each party reads the checks it took part in.
 */
import {
  BlindCheckList,
  BlindCheckView,
  BlindedBody,
  BlindParams,
  BlindTasks,
  EvaluatedBody,
  OutputsBody,
  OutputsResult,
  RefuseBody,
  SealBody,
  SealedList,
  SealedView,
} from '../../api/blind.ts';
import { IdParams } from '../../api/common.ts';
import { BEARER, ERRORS, principalOf, type Routes } from './support.ts';

/** Tokens and elements: 100,000 of 44 characters, and the JSON around them. */
const TOKENS_LIMIT = 6 * 1024 * 1024;

export const blindRoutes: Routes = (app, hub) => {
  const sealed = hub.sealed;
  app.get(
    '/api/v1/blind/params',
    {
      schema: {
        tags: ['blind'],
        summary:
          'How this hub covers and blinds: the OPRF suite, the H3 resolution, the slot ladder, the limits',
        security: BEARER,
        response: { 200: BlindParams, ...ERRORS },
      },
    },
    async (req) => {
      principalOf(req);
      return sealed.params();
    },
  );
  app.post(
    '/api/v1/sealed',
    {
      bodyLimit: TOKENS_LIMIT,
      schema: {
        tags: ['blind'],
        summary:
          'Seal a declaration: its kind, category, coarse window and tokens — the hub never sees its geometry',
        description:
          'operator or party_admin. Made by `deconflict agent seal` (or any client following docs/blind-matching.md): every (H3 cell, slot) of the geometry widened by its reach, as an OPRF output under the party’s key.',
        security: BEARER,
        body: SealBody,
        response: { 201: SealedView, ...ERRORS },
      },
    },
    async (req, reply) => reply.status(201).send(await sealed.seal(principalOf(req), req.body)),
  );
  app.get(
    '/api/v1/sealed',
    {
      schema: {
        tags: ['blind'],
        summary: "Your party's sealed declarations (never another's)",
        security: BEARER,
        response: { 200: SealedList, ...ERRORS },
      },
    },
    async (req) => sealed.list(principalOf(req)),
  );
  app.delete(
    '/api/v1/sealed/:id',
    {
      schema: {
        tags: ['blind'],
        summary: 'Withdraw a sealed declaration: its conflicts close, its open checks are cancelled',
        security: BEARER,
        params: IdParams,
        response: { 200: SealedView, ...ERRORS },
      },
    },
    async (req) => sealed.withdraw(principalOf(req), req.params.id),
  );
  app.get(
    '/api/v1/blind/tasks',
    {
      schema: {
        tags: ['blind'],
        summary: "What your party's agent has to do: cover and blind, evaluate, finalize",
        security: BEARER,
        response: { 200: BlindTasks, ...ERRORS },
      },
    },
    async (req) => sealed.tasks(principalOf(req)),
  );
  app.get(
    '/api/v1/blind/checks',
    {
      schema: {
        tags: ['blind'],
        summary:
          'The blind checks of the last 7 days your party asked or owned: who touched your sealed declarations, when, what matched',
        security: BEARER,
        response: { 200: BlindCheckList, ...ERRORS },
      },
    },
    async (req) => sealed.checks(principalOf(req)),
  );
  app.post(
    '/api/v1/blind/checks/:id/blinded',
    {
      bodyLimit: TOKENS_LIMIT,
      schema: {
        tags: ['blind'],
        summary: 'The asking side: the blinded elements of its cover, each with its slot',
        security: BEARER,
        params: IdParams,
        body: BlindedBody,
        response: { 200: BlindCheckView, ...ERRORS },
      },
    },
    async (req) => sealed.blinded(principalOf(req), req.params.id, req.body.elements),
  );
  app.post(
    '/api/v1/blind/checks/:id/evaluated',
    {
      bodyLimit: TOKENS_LIMIT,
      schema: {
        tags: ['blind'],
        summary: "The owner's agent: the elements evaluated under its key, in the order relayed",
        security: BEARER,
        params: IdParams,
        body: EvaluatedBody,
        response: { 200: BlindCheckView, ...ERRORS },
      },
    },
    async (req) => sealed.evaluated(principalOf(req), req.params.id, req.body.elements),
  );
  app.post(
    '/api/v1/blind/checks/:id/refuse',
    {
      schema: {
        tags: ['blind'],
        summary: "The owner's agent refuses (over its budget): the result is unknown, both parties alerted",
        security: BEARER,
        params: IdParams,
        body: RefuseBody,
        response: { 200: BlindCheckView, ...ERRORS },
      },
    },
    async (req) => sealed.refuse(principalOf(req), req.params.id, req.body.reason),
  );
  app.post(
    '/api/v1/blind/checks/:id/outputs',
    {
      bodyLimit: TOKENS_LIMIT,
      schema: {
        tags: ['blind'],
        summary:
          'The asking side: the finalized outputs (first 32 bytes), matched by the hub against the tokens',
        security: BEARER,
        params: IdParams,
        body: OutputsBody,
        response: { 200: OutputsResult, ...ERRORS },
      },
    },
    async (req) => sealed.outputs(principalOf(req), req.params.id, req.body.outputs),
  );
};
