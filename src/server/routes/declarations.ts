/**
 * Routes of declarations and conflicts. Submissions and amendments are GeoJSON, parsed by the
 * engine (their schemas document the format; see src/api/declarations.ts).
 */
import type { FastifyReply } from 'fastify';
import Type from 'typebox';
import { IdParams } from '../../api/common.ts';
import {
  AmendmentBody,
  ConflictQuery,
  ConflictView,
  DeclarationCollection,
  DeclarationFeature,
  DeclarationParams,
  NotificationsView,
  ResolveBody,
  SubmissionBody,
  SubmissionResult,
  SubmitQuery,
  VersionQuery,
  WithdrawBody,
  Withdrawn,
} from '../../api/declarations.ts';
import { fileAnswer, ListFormatQuery } from '../../api/formats.ts';
import { parseTime } from '../../field/dtg.ts';
import { EXPORTERS } from '../../formats/export/registry.ts';
import { pictureFor } from '../../hub/exports.ts';
import { WorkBudgetExceeded } from '../../hub/work-budget.ts';
import { parseBbox } from '../validation.ts';
import { exportFilter, negotiate, sendExport } from './formats.ts';
import { BEARER, ERRORS, principalOf, type Routes } from './support.ts';

/**
 * The list answers its GeoJSON (as `application/geo+json`, or `application/json` when asked), or
 * by content negotiation a file of every other format (routes/formats.ts).
 */
const listAnswer = {
  description: 'the declarations as GeoJSON, or as the file a `?format=` or the Accept header asks for',
  content: {
    'application/geo+json': { schema: DeclarationCollection },
    'application/json': { schema: DeclarationCollection },
    ...fileAnswer([...EXPORTERS.values()].filter((e) => e.format !== 'geojson')).content,
  },
};

/** Declarations come as GeoJSON; plain JSON is accepted too. */
const GEOJSON = ['application/geo+json', 'application/json'];

/** A GeoJSON answer (RFC 7946 §12: `application/geo+json`), declared under both JSON media types. */
const geojson = (schema: typeof DeclarationFeature | typeof DeclarationCollection) => ({
  description: 'GeoJSON',
  content: { 'application/geo+json': { schema }, 'application/json': { schema } },
});

/**
 * A submission refused by its party's work budget says when to retry (`Retry-After`, whole
 * seconds): the budget refills evenly over a minute (hub/work-budget.ts).
 */
async function retryAfter<T>(reply: FastifyReply, answer: Promise<T>): Promise<T> {
  try {
    return await answer;
  } catch (err) {
    if (err instanceof WorkBudgetExceeded) void reply.header('retry-after', String(err.retryAfter_s));
    throw err;
  }
}

/** A time the schema already checked (format `zulu-time`), as epoch ms. */
const time = (v: string | undefined): number | undefined => (v === undefined ? undefined : parseTime(v));

export const declarationRoutes: Routes = (app, hub) => {
  app.post(
    '/api/v1/declarations',
    {
      schema: {
        tags: ['declarations'],
        summary: 'Submit one Feature or a FeatureCollection (all or none); answers with the conflicts found',
        description:
          'Declaration ids are per party: a local `properties.id` "x" is stored as "<party>:x" (the caller’s party); a full id must carry the caller’s prefix (else 403 party_mismatch); without an id the hub assigns "<party>:d-<random>". Answers and URLs use the full id. `?dry_run=true` checks and stores nothing. What a submission may cost is bounded in vertices (by default 250,000 per request, else 413 request_too_heavy; 1,000,000 per party and minute, else 429 work_budget_exceeded with Retry-After).',
        security: BEARER,
        querystring: SubmitQuery,
        consumes: GEOJSON,
        body: SubmissionBody,
        response: { 201: SubmissionResult, 200: SubmissionResult, ...ERRORS },
      },
    },
    async (req, reply) => {
      const dryRun = req.query.dry_run === 'true';
      const result = await retryAfter(reply, hub.declarations.submit(principalOf(req), req.body, { dryRun }));
      return reply.status(dryRun ? 200 : 201).send(result);
    },
  );
  app.get(
    '/api/v1/declarations',
    {
      schema: {
        tags: ['declarations'],
        summary: 'Declarations the caller may see, as a FeatureCollection',
        description:
          'Answered as `application/geo+json`. `?format=` (kml, kmz, csv, xlsx) or an Accept header naming one of their media types answers with that file instead, as GET /api/v1/export writes it, for the same declarations (docs/formats/); `*/*`, application/json and application/geo+json are this JSON; any other Accept is 406 not_acceptable.',
        security: BEARER,
        querystring: ListFormatQuery,
        response: { 200: listAnswer, ...ERRORS },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const answer = negotiate(q.format, req.headers.accept);
      if (!answer.json) {
        const picture = await pictureFor(hub, principalOf(req), {
          ...exportFilter(q),
          status: q.status ?? 'all',
          limit: q.limit ?? 500,
        });
        return sendExport(reply, answer.exporter, picture);
      }
      void reply.header('content-type', 'application/geo+json');
      const bbox = q.bbox === undefined ? undefined : (parseBbox(q.bbox) ?? undefined);
      const start = time(q.start);
      const end = time(q.end);
      return hub.declarations.list(principalOf(req), {
        ...(bbox && { bbox }),
        ...(start !== undefined && { start }),
        ...(end !== undefined && { end }),
        ...(q.kind && { kind: q.kind }),
        ...(q.party !== undefined && { party: q.party }),
        ...(q.status && { status: q.status }),
        ...(q.limit !== undefined && { limit: q.limit }),
      });
    },
  );
  app.get(
    '/api/v1/declarations/:id',
    {
      schema: {
        tags: ['declarations'],
        summary: 'The current version (or ?version=n)',
        security: BEARER,
        params: DeclarationParams,
        querystring: VersionQuery,
        response: { 200: geojson(DeclarationFeature), ...ERRORS },
      },
    },
    async (req, reply) => {
      const feature = await hub.declarations.get(principalOf(req), req.params.id, req.query.version);
      return reply.header('content-type', 'application/geo+json').send(feature);
    },
  );
  app.get(
    '/api/v1/declarations/:id/versions',
    {
      schema: {
        tags: ['declarations'],
        summary: 'Every version the caller may see',
        security: BEARER,
        params: DeclarationParams,
        response: { 200: geojson(DeclarationCollection), ...ERRORS },
      },
    },
    async (req, reply) => {
      const versions = await hub.declarations.versionsOf(principalOf(req), req.params.id);
      return reply.header('content-type', 'application/geo+json').send(versions);
    },
  );
  app.get(
    '/api/v1/declarations/:id/notifications',
    {
      schema: {
        tags: ['declarations'],
        summary:
          'For the owner: each party named in `notify` — awaiting, acknowledged (when, reply) or overdue (since when, how far escalated)',
        security: BEARER,
        params: DeclarationParams,
        response: { 200: NotificationsView, ...ERRORS },
      },
    },
    async (req) => hub.notifications.of(principalOf(req), req.params.id),
  );
  app.put(
    '/api/v1/declarations/:id',
    {
      schema: {
        tags: ['declarations'],
        summary: 'Amend: a new version (the old one stays in the record); answers with the conflicts found',
        security: BEARER,
        params: DeclarationParams,
        consumes: GEOJSON,
        body: AmendmentBody,
        response: { 200: SubmissionResult, ...ERRORS },
      },
    },
    async (req, reply) =>
      retryAfter(reply, hub.declarations.amend(principalOf(req), req.params.id, req.body)),
  );
  app.post(
    '/api/v1/declarations/:id/withdraw',
    {
      config: { optionalBody: true },
      schema: {
        tags: ['declarations'],
        summary: 'Withdraw: the declaration stops counting; its open conflicts close',
        security: BEARER,
        params: DeclarationParams,
        body: WithdrawBody,
        response: { 200: Withdrawn, ...ERRORS },
      },
    },
    async (req) => hub.declarations.withdraw(principalOf(req), req.params.id, req.body.reason ?? null),
  );

  app.get(
    '/api/v1/conflicts',
    {
      schema: {
        tags: ['conflicts'],
        summary: "Conflicts involving the caller's party",
        security: BEARER,
        querystring: ConflictQuery,
        response: {
          200: Type.Object({ conflicts: Type.Array(ConflictView) }, { additionalProperties: false }),
          ...ERRORS,
        },
      },
    },
    async (req) => ({ conflicts: await hub.conflicts.list(principalOf(req), req.query) }),
  );
  app.get(
    '/api/v1/conflicts/:id',
    {
      schema: {
        tags: ['conflicts'],
        summary: 'One conflict',
        security: BEARER,
        params: IdParams,
        response: { 200: ConflictView, ...ERRORS },
      },
    },
    async (req) => hub.conflicts.get(principalOf(req), req.params.id),
  );
  app.post(
    '/api/v1/conflicts/:id/resolve',
    {
      schema: {
        tags: ['conflicts'],
        summary: 'Accept the risk, with a reason; resolved once every party involved accepted',
        security: BEARER,
        params: IdParams,
        body: ResolveBody,
        response: { 200: ConflictView, ...ERRORS },
      },
    },
    async (req) =>
      hub.conflicts.acceptRisk(principalOf(req), req.params.id, req.body.reason, req.body.signed),
  );
  app.post(
    '/api/v1/conflicts/:id/release',
    {
      config: { optionalBody: true },
      schema: {
        tags: ['conflicts'],
        summary:
          'Release a conflict withheld from a party past its probing budget (the owner of the hidden side): that party is told and alerted',
        security: BEARER,
        params: IdParams,
        body: Type.Object({}, { additionalProperties: false }),
        response: { 200: ConflictView, ...ERRORS },
      },
    },
    async (req) => hub.conflicts.release(principalOf(req), req.params.id),
  );
};
