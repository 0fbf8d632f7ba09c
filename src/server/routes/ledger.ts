/**
 * Routes of the transparency log (docs/transparency.md): checkpoints and proofs any member may
 * check, witnesses' cosignatures, receipts, and members' keys.
 */
import Type from 'typebox';
import { IdParams } from '../../api/common.ts';
import {
  CheckpointView,
  ConsistencyQuery,
  CosignBody,
  EntriesQuery,
  EntryPage,
  InclusionQuery,
  KeyBody,
  LogView,
  MemberKeyList,
  MemberKeyView,
  ProofView,
  ReceiptQuery,
  ReceiptView,
} from '../../api/ledger.ts';
import { BEARER, ERRORS, principalOf, type Routes } from './support.ts';

const SeqParams = Type.Object(
  {
    seq: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'a ledger entry number' }),
  },
  { additionalProperties: false },
);

export const ledgerRoutes: Routes = (app, hub) => {
  const log = hub.transparency;
  app.get(
    '/api/v1/ledger/checkpoint',
    {
      schema: {
        tags: ['ledger'],
        summary:
          'The newest checkpoint the hub signed (C2SP signed note, with every cosignature), the newest a party cosigned, and the hub’s keys',
        security: BEARER,
        response: { 200: LogView, ...ERRORS },
      },
    },
    async (req) => {
      principalOf(req);
      return log.log();
    },
  );
  app.get(
    '/api/v1/ledger/consistency',
    {
      schema: {
        tags: ['ledger'],
        summary: 'The consistency proof between two sizes of the log (RFC 9162 §2.1.4)',
        security: BEARER,
        querystring: ConsistencyQuery,
        response: { 200: ProofView, ...ERRORS },
      },
    },
    async (req) => {
      principalOf(req);
      return log.consistency(req.query.from, req.query.to);
    },
  );
  app.get(
    '/api/v1/ledger/inclusion',
    {
      schema: {
        tags: ['ledger'],
        summary: 'The inclusion proof of an entry in the log of a size (RFC 9162 §2.1.3)',
        security: BEARER,
        querystring: InclusionQuery,
        response: { 200: ProofView, ...ERRORS },
      },
    },
    async (req) => {
      principalOf(req);
      return log.inclusion(req.query.seq, req.query.size);
    },
  );
  app.post(
    '/api/v1/ledger/cosignatures',
    {
      schema: {
        tags: ['ledger'],
        summary:
          'Cosign a checkpoint the hub signed, as a witness, with your registered key (after checking it is consistent with the last you saw)',
        security: BEARER,
        body: CosignBody,
        response: { 200: CheckpointView, ...ERRORS },
      },
    },
    async (req) => log.cosign(principalOf(req), req.body),
  );
  app.get(
    '/api/v1/ledger/entries',
    {
      schema: {
        tags: ['ledger'],
        summary:
          'The ledger entries your party may see, with their payloads (to verify them against the log)',
        security: BEARER,
        querystring: EntriesQuery,
        response: { 200: EntryPage, ...ERRORS },
      },
    },
    async (req) => log.entries(principalOf(req), req.query.from ?? 1, req.query.limit ?? 500),
  );
  app.post(
    '/api/v1/ledger/keys/rotate',
    {
      config: { optionalBody: true },
      schema: {
        tags: ['ledger'],
        summary: 'Rotate the hub’s checkpoint key (hub_admin): a log.key entry naming the previous key',
        security: BEARER,
        body: Type.Object({}, { additionalProperties: false }),
        response: { 200: LogView, ...ERRORS },
      },
    },
    async (req) => log.rotate(principalOf(req)),
  );
  app.get(
    '/api/v1/receipts/:seq',
    {
      schema: {
        tags: ['ledger'],
        summary:
          'A self-contained receipt of a ledger entry your party may see: the entry, the signed statement, inclusion proofs and a cosigned checkpoint (`deconflict verify --receipt`)',
        security: BEARER,
        params: SeqParams,
        querystring: ReceiptQuery,
        response: { 200: ReceiptView, ...ERRORS },
      },
    },
    async (req) => log.receipt(principalOf(req), req.params.seq, req.query.payload === 'omit'),
  );
  app.get(
    '/api/v1/keys',
    {
      schema: {
        tags: ['ledger'],
        summary: 'Your signing keys (a party admin: every key of the party)',
        security: BEARER,
        response: { 200: MemberKeyList, ...ERRORS },
      },
    },
    async (req) => log.keys(principalOf(req)),
  );
  app.post(
    '/api/v1/keys',
    {
      schema: {
        tags: ['ledger'],
        summary:
          'Register an Ed25519 public key of yours, with a key.register statement signed by it; recorded in the ledger',
        security: BEARER,
        body: KeyBody,
        response: { 201: MemberKeyView, ...ERRORS },
      },
    },
    async (req, reply) =>
      reply.status(201).send(await log.addKey(principalOf(req), req.body.label, req.body.signed)),
  );
  app.post(
    '/api/v1/keys/:id/revoke',
    {
      config: { optionalBody: true },
      schema: {
        tags: ['ledger'],
        summary: 'Revoke a key (yours, or any of your party as party_admin): it signs nothing more',
        security: BEARER,
        params: IdParams,
        body: Type.Object({}, { additionalProperties: false }),
        response: { 200: MemberKeyView, ...ERRORS },
      },
    },
    async (req) => log.revokeKey(principalOf(req), req.params.id),
  );
};
