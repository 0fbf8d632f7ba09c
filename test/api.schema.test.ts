/**
 * One schema per route: the OpenAPI document is generated from the routes' schemas and is valid
 * for an independent validator; every operation declares its answers; a route without a response
 * schema cannot be registered; and the response check (on in the whole suite through
 * DECONFLICT_CHECK_RESPONSES=1) fails an answer that drifts from its schema.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import Fastify from 'fastify';
import Type from 'typebox';
import type { Errors } from '../src/api/common.ts';
import { installResponseCheck, installValidation } from '../src/server/validation.ts';
import { assertError, errorsOf, startHub, type TestHub } from './support/hub.ts';

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

/**
 * The edge answers every request in the documented shape, with a registry code, whatever part of
 * the stack refuses it: the router (a malformed %-escape, a segment longer than any id, a method
 * the path does not take), the body parser (media type, UTF-8, depth, prototype keys), Node's
 * HTTP parser (headers too large, malformed HTTP: over a real socket), and the stream's route.
 */
describe('the edge', () => {
  let t: TestHub;
  let token: string;
  before(async () => {
    t = await startHub();
    token = await t.login('coalition.watch');
  });
  after(() => t.close());
  const send = (method: string, url: string, payload?: string | Buffer, contentType?: string) =>
    t.app.inject({
      method: method as 'GET',
      url,
      headers: {
        authorization: `Bearer ${token}`,
        ...(contentType !== undefined && { 'content-type': contentType }),
      },
      ...(payload !== undefined && { payload }),
    });

  test('a malformed %-escape is 400 invalid_request; a segment longer than any id is 414 uri_too_long', async () => {
    assertError(await send('GET', '/api/v1/alerts/al-%ZZ'), 400, 'invalid_request', '');
    assertError(await send('GET', '/%E0%A4%A'), 400, 'invalid_request', '');
    assertError(await send('GET', `/api/v1/alerts/${'a'.repeat(3 * 193 + 1)}`), 414, 'uri_too_long', '');
    // Shorter than the router's bound, longer than an id: the route's schema names the field.
    assertError(await send('GET', `/api/v1/alerts/${'a'.repeat(194)}`), 400, 'invalid_request', 'id');
  });

  test('a path that routes take with other methods is 405 method_not_allowed, with Allow', async () => {
    const r = await send('DELETE', '/api/v1/alerts');
    assertError(r, 405, 'method_not_allowed', '');
    assert.equal(r.headers.allow, 'GET, HEAD');
    assertError(await send('GET', '/api/v1/no-such-thing'), 404, 'not_found', '');
  });

  test('a body that is not JSON is 415 unsupported_media_type; bytes that are not UTF-8 are invalid_json', async () => {
    assertError(
      await send('POST', '/api/v1/alerts/al-x/ack', '<ack/>', 'application/xml'),
      415,
      'unsupported_media_type',
    );
    assertError(
      await send('POST', '/api/v1/alerts/al-x/ack', 'reply=x', 'text/plain'),
      415,
      'unsupported_media_type',
    );
    const bytes = Buffer.concat([Buffer.from('{"reply":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    assertError(
      await send('POST', '/api/v1/alerts/al-x/ack', bytes, 'application/json'),
      400,
      'invalid_json',
    );
  });

  test('JSON nested deeper than 64 is 400 invalid_request, however deep, at once', async () => {
    // 2 MB only where a body may be that large (declarations; elsewhere 64 KiB is 413 unread),
    // from a member who may submit (a large declaration body is read after the role check).
    const operator = await t.login('coalition.operator');
    for (const [n, url] of [
      [65, '/api/v1/alerts/al-x/ack'],
      [5000, '/api/v1/alerts/al-x/ack'],
      [1_000_000, '/api/v1/declarations'],
    ] as const) {
      const started = performance.now();
      const r = await (url === '/api/v1/declarations'
        ? t.app.inject({
            method: 'POST',
            url,
            headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
            payload: `${'['.repeat(n)}${']'.repeat(n)}`,
          })
        : send('POST', url, `${'['.repeat(n)}${']'.repeat(n)}`, 'application/json'));
      assertError(r, 400, 'invalid_request', '');
      assert.match(errorsOf(r)[0]?.message ?? '', /deeper than 64/);
      // Checked on the text before parsing (a figure, not a bound: printed for the reader).
      if (n === 1_000_000)
        console.log(`2 MB of brackets refused in ${(performance.now() - started).toFixed(0)} ms`);
    }
    // 64 deep is JSON the schema then refuses for what it is, not for its depth.
    const ok64 = await send(
      'POST',
      '/api/v1/alerts/al-x/ack',
      `${'['.repeat(64)}${']'.repeat(64)}`,
      'application/json',
    );
    assert.doesNotMatch(errorsOf(ok64)[0]?.message ?? '', /deeper/);
  });

  test('a __proto__ member is 400 invalid_request naming it, in JSON and GeoJSON bodies alike', async () => {
    assertError(
      await send(
        'POST',
        '/api/v1/alerts/al-x/ack',
        '{"reply":"x","__proto__":{"admin":true}}',
        'application/json',
      ),
      400,
      'invalid_request',
      '__proto__',
    );
    // Escaped, it is the same key once parsed.
    assertError(
      await send('POST', '/api/v1/alerts/al-x/ack', '{"\\u005f_proto__":{"admin":true}}', 'application/json'),
      400,
      'invalid_request',
      '__proto__',
    );
    assertError(
      await send(
        'POST',
        '/api/v1/declarations',
        '{"type":"Feature","geometry":{"type":"Point","coordinates":[0,0]},"properties":{"__proto__":{}}}',
        'application/geo+json',
      ),
      400,
      'invalid_request',
      'properties.__proto__',
    );
    assertError(
      await send(
        'POST',
        '/api/v1/alerts/al-x/ack',
        '{"constructor":{"prototype":{"x":1}}}',
        'application/json',
      ),
      400,
      'invalid_request',
      'constructor',
    );
  });

  test('a bodiless POST with content-type application/json is taken where the body is optional', async () => {
    const alerts = (await send('GET', '/api/v1/alerts?status=open')).json() as { alerts: { id: string }[] };
    const alert = alerts.alerts[0];
    assert.ok(alert, 'the demo raised an open alert for coalition');
    const acked = await send('POST', `/api/v1/alerts/${alert.id}/ack`, '', 'application/json');
    assert.equal(acked.statusCode, 200, acked.body);
    assert.equal((acked.json() as { status: string }).status, 'acknowledged');
    // Other optional bodies: reached the hub (its own answer), not refused as invalid JSON.
    for (const url of [
      '/api/v1/channels/ch-none/accept',
      '/api/v1/messages/msg-none/ack',
      '/api/v1/declarations/coalition:none/withdraw',
    ])
      assert.notEqual(
        errorsOf(await send('POST', url, '', 'application/json'))[0]?.code,
        'invalid_json',
        url,
      );
    // Where a body is required, an empty one is still invalid JSON.
    assertError(await send('POST', '/api/v1/channels', '', 'application/json'), 400, 'invalid_json', '');
  });

  test('Infinity, -Infinity and 1e400 in a query are refused naming the parameter (found by the fuzzer)', async () => {
    // Ajv turns such text into a number it never compares with minimum and maximum.
    for (const v of ['Infinity', '-Infinity', '1e400', '-1e400']) {
      for (const [url, name] of [
        [`/api/v1/events?limit=${v}`, 'limit'],
        [`/api/v1/events?after=${v}`, 'after'],
        [`/api/v1/alerts?limit=${v}`, 'limit'],
      ] as const) {
        const e = assertError(await send('GET', url), 400, 'invalid_request', name);
        assert.match(e.message, /^(limit: 1–|after: the last sequence number)/, url);
      }
    }
    // Finite values are still read as numbers.
    assert.equal((await send('GET', '/api/v1/events?limit=1e2')).statusCode, 200);
  });

  test('an error quotes no control character and no lone surrogate back', async () => {
    const r = await send('GET', '/api/v1/alerts?st%07atus=open');
    const e = assertError(r, 400, 'invalid_request');
    assert.doesNotMatch(e.path + e.message, /[\p{Cc}\uD800-\uDFFF]/u);
    assert.match(e.path, /\uFFFD/);
  });

  test('over a real socket: headers over 16 KiB are 431 header_too_large, malformed HTTP 400, both in the shape', async () => {
    const base = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = new URL(base);
    const raw = (request: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => socket.end(request));
        let answer = '';
        socket.setEncoding('utf8').on('data', (d: string) => {
          answer += d;
        });
        socket.on('close', () => resolve(answer)).on('error', reject);
      });
    const body = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as Errors;
    const big = await raw(`GET /api/v1/alerts?x=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.match(big, /^HTTP\/1\.1 431 /);
    assert.deepEqual(
      body(big).errors.map((e) => e.code),
      ['header_too_large'],
    );
    // A HEAD is answered without content (RFC 9110 §9.3.2): a client reading the next response
    // would otherwise take the body for one (found by the fuzzer: "Data after Connection: close").
    const head = await raw(`HEAD /api/v1/alerts?x=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.match(head, /^HTTP\/1\.1 431 /);
    assert.ok(head.endsWith('\r\n\r\n'), `content after the head of a HEAD answer: ${head}`);
    const bad = await raw('GARBAGE\r\n\r\n');
    assert.match(bad, /^HTTP\/1\.1 400 /);
    assert.deepEqual(
      body(bad).errors.map((e) => e.code),
      ['invalid_request'],
    );
  });
});
