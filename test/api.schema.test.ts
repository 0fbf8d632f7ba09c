/**
 * One schema per route: the OpenAPI document is generated from the routes' schemas and is valid
 * for an independent validator; every operation declares its answers; a route without a response
 * schema cannot be registered; and the response check (on in the whole suite through
 * DECONFLICT_CHECK_RESPONSES=1) fails an answer that drifts from its schema.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import Fastify from 'fastify';
import Type from 'typebox';
import { installResponseCheck, installValidation } from '../src/server/validation.ts';
import { startHub, type TestHub } from './support/hub.ts';

type Operation = {
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, { schema?: unknown; example?: unknown; examples?: unknown }> };
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
  security?: unknown[];
};
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>> };

describe('API schemas', () => {
  let t: TestHub;
  let doc: Doc;
  before(async () => {
    t = await startHub({ demo: false });
    const r = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    assert.equal(r.statusCode, 200);
    doc = r.json() as Doc;
  });
  after(() => t.close());

  test('/api/v1/openapi.json is a valid OpenAPI 3.1 document (@apidevtools/swagger-parser)', async () => {
    assert.equal(doc.openapi, '3.1.0');
    // validate() dereferences in place: give it a copy.
    await SwaggerParser.validate(structuredClone(doc) as never);
  });

  test('every operation declares a success answer with a schema, and the coded errors', () => {
    const operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ id: `${method.toUpperCase()} ${path}`, op })),
    );
    assert.ok(operations.length >= 40, `only ${operations.length} operations`);
    for (const { id, op } of operations) {
      const statuses = Object.keys(op.responses);
      const success = statuses.filter((s) => /^(2\d\d|101)$/.test(s));
      assert.ok(success.length > 0, `${id} declares no success answer`);
      for (const s of success) {
        if (s === '204' || s === '101') continue;
        const content = Object.values(op.responses[s]?.content ?? {});
        assert.ok(
          content.length > 0 && content.every((c) => c.schema !== undefined),
          `${id} ${s} has no schema`,
        );
      }
      if (id.includes('/api/v1/') && id !== 'GET /api/v1/stream') {
        const errors = op.responses['4XX']?.content?.['application/json']?.schema as
          | { title?: string }
          | undefined;
        assert.ok(errors, `${id} does not declare its 4XX errors`);
      }
      // Path parameters are declared with a schema.
      for (const name of id.match(/\{(\w+)\}/g) ?? []) {
        const p = (op.parameters ?? []).find((x) => x.in === 'path' && `{${x.name}}` === name);
        assert.ok(p, `${id} does not declare the path parameter ${name}`);
      }
    }
  });

  test('request bodies are described, with examples on the main ones', () => {
    const submit = doc.paths['/api/v1/declarations']?.post?.requestBody?.content ?? {};
    assert.deepEqual(Object.keys(submit).sort(), ['application/geo+json', 'application/json']);
    for (const media of Object.values(submit)) {
      assert.ok(media.example ?? media.examples, 'the submission body has an example');
      assert.ok(media.schema, 'the submission body has a schema');
    }
    const token = doc.paths['/api/v1/tokens']?.post?.requestBody?.content['application/json']?.schema as {
      properties: Record<string, { description?: string }>;
      additionalProperties: boolean;
    };
    assert.equal(token.additionalProperties, false);
    assert.match(String(token.properties.ttl_days?.description), /1 to 3650/);
  });

  test('an unknown query parameter or body field is a coded error naming it', async () => {
    const token = await t.login('hub.admin', 'x'.repeat(12)).catch(() => null);
    assert.equal(token, null, 'no demo: nobody can log in');
    const r = await t.app.inject({ method: 'GET', url: '/healthz?verbose=1' });
    assert.equal(r.statusCode, 400);
    assert.deepEqual(
      (r.json() as { errors: { code: string; path: string }[] }).errors.map((e) => [e.code, e.path]),
      [['invalid_request', 'verbose']],
    );
    const login = await t.app.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { username: 'a', password: 'b', remember: true },
    });
    assert.equal(login.statusCode, 400);
    assert.equal((login.json() as { errors: { path: string }[] }).errors[0]?.path, 'remember');
  });
});

describe('schema rules', () => {
  test('a route that declares no response schema cannot be registered', async () => {
    const app = Fastify();
    installValidation(app);
    assert.throws(() => app.get('/undeclared', async () => ({ ok: true })), /declares no response schema/);
    await app.close();
  });

  test('the response check fails an answer with a field its schema does not have, or a status it does not declare', async () => {
    const app = Fastify();
    installValidation(app);
    installResponseCheck(app);
    const Answer = Type.Object({ ok: Type.Boolean() }, { additionalProperties: false });
    const route = (url: string, status: number, body: object) =>
      app.route({
        method: 'GET',
        url,
        schema: { response: { 200: Answer } },
        handler: async (_req, reply) => reply.status(status as 200).send(body),
      });
    route('/fine', 200, { ok: true });
    route('/drift', 200, { ok: true, secret: 'x' });
    route('/undeclared-status', 202, { ok: true });
    assert.equal((await app.inject({ url: '/fine' })).statusCode, 200);
    assert.equal((await app.inject({ url: '/drift' })).statusCode, 500);
    assert.equal((await app.inject({ url: '/undeclared-status' })).statusCode, 500);
    await app.close();
  });
});
