/**
 * The hub's logs (src/server/logging.ts) on a small Fastify app set up as `buildApp` sets up the
 * real one — the logger options, the request hooks, an authentication hook that leaves the
 * caller on `req.principal`, an error handler that logs a 5xx — writing to memory: one line per
 * request with its fields, the stack of an unexpected error, and no credential anywhere.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import WebSocket from 'ws';
import { type LogOptions, loggerOptions, logUnexpected, requestLog } from '../src/server/logging.ts';

const TOKEN = 'dcf_secret_0123456789abcdefghijklmnopqrstuv';
const PASSWORD = 'correct horse battery staple';

interface Line {
  readonly level: number;
  readonly time: string;
  readonly msg: string;
  readonly reqId?: string;
  readonly [field: string]: unknown;
}

/** Everything written to the log, as text and as parsed JSON lines. */
class Memory extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
  lines(): Line[] {
    return this.text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Line);
  }
  requests(): Line[] {
    return this.lines().filter((l) => l.msg !== 'unexpected error' && l.method !== undefined);
  }
}

/** A small app wired like the hub's: its own log lines, a bearer token for some routes. */
async function app(
  out: Memory,
  options: Omit<LogOptions, 'stream'> = {},
  routes?: (app: FastifyInstance) => Promise<void> | void,
) {
  const a = Fastify({
    logger: loggerOptions({ ...options, stream: out }),
    logController: new LogController({ disableRequestLogging: true }),
  });
  requestLog(a);
  a.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    const status = err.statusCode ?? 500;
    if (status >= 500) logUnexpected(req, err);
    void reply.status(status).send({ errors: [{ message: status >= 500 ? 'internal error' : err.message }] });
  });
  a.addHook('onRequest', async (req) => {
    if (req.url === '/api/v1/session') return;
    if (req.headers.authorization !== `Bearer ${TOKEN}`)
      throw Object.assign(new Error('send a token'), { statusCode: 401 });
    Object.assign(req, {
      principal: { username: 'alpha.operator', party: 'alpha', roles: ['operator'], tokenId: 'tok_1' },
    });
  });
  a.post('/api/v1/session', async () => {
    throw Object.assign(new Error('unknown user or wrong password'), { statusCode: 401 });
  });
  a.get('/api/v1/declarations/:id', async (req) => ({ id: (req.params as { id: string }).id }));
  a.get('/api/v1/boom', async () => {
    throw new Error('the database is on fire');
  });
  await routes?.(a);
  await a.ready();
  return a;
}

/** Let pino-pretty's stream pass what it holds on. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

/** A failed login with a password and a bearer token, a request that throws, a normal one. */
async function threeRequests(a: FastifyInstance) {
  const login = await a.inject({
    method: 'POST',
    url: '/api/v1/session',
    headers: { authorization: `Bearer ${TOKEN}`, cookie: `session=${TOKEN}` },
    payload: { username: 'alpha.operator', password: PASSWORD },
  });
  const boom = await a.inject({ url: '/api/v1/boom', headers: { authorization: `Bearer ${TOKEN}` } });
  const read = await a.inject({
    url: '/api/v1/declarations/alpha:hidden-site?token=x',
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  assert.deepEqual([login.statusCode, boom.statusCode, read.statusCode], [401, 500, 200]);
}

describe('server logs', () => {
  it('writes one line per request: id, method, route, status, duration, party and member', async () => {
    const out = new Memory();
    const a = await app(out);
    await threeRequests(a);
    await a.close();

    const requests = out.requests();
    assert.equal(requests.length, 3, out.text);
    assert.equal(new Set(requests.map((l) => l.reqId)).size, 3);
    const [login, boom, read] = requests as [Line, Line, Line];
    for (const l of requests) {
      assert.equal(typeof l.reqId, 'string');
      assert.equal(typeof l.duration_ms, 'number');
      assert.ok((l.duration_ms as number) >= 0);
      assert.match(l.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.equal(l.msg, 'request completed');
    }
    assert.deepEqual(
      { method: login.method, route: login.route, status: login.status, level: login.level },
      { method: 'POST', route: '/api/v1/session', status: 401, level: 30 },
    );
    assert.ok(!('party' in login) && !('member' in login));
    assert.deepEqual(
      { method: boom.method, route: boom.route, status: boom.status, level: boom.level },
      { method: 'GET', route: '/api/v1/boom', status: 500, level: 50 },
    );
    // The route pattern, not the URL: neither the id nor the query is logged.
    assert.deepEqual(
      { route: read.route, status: read.status, party: read.party, member: read.member },
      { route: '/api/v1/declarations/:id', status: 200, party: 'alpha', member: 'alpha.operator' },
    );
    assert.ok(!('tokenId' in read));
    assert.doesNotMatch(out.text, /hidden-site|token=x/);
  });

  it('logs an unexpected error with its stack, at level error, beside its request line', async () => {
    const out = new Memory();
    const a = await app(out);
    await threeRequests(a);
    await a.close();
    const errors = out.lines().filter((l) => l.msg === 'unexpected error');
    assert.equal(errors.length, 1);
    const [e] = errors as [Line];
    assert.equal(e.level, 50);
    const boom = out.requests().find((l) => l.route === '/api/v1/boom');
    assert.equal(e.reqId, boom?.reqId);
    const err = e.err as { type: string; message: string; stack: string };
    assert.equal(err.type, 'Error');
    assert.equal(err.message, 'the database is on fire');
    assert.match(err.stack, /^Error: the database is on fire\n\s+at .*server\.logs\.test\.ts/);
  });

  it('never writes a token, a cookie or a password', async () => {
    for (const pretty of [false, true]) {
      const out = new Memory();
      const a = await app(out, { pretty, level: 'trace' });
      await threeRequests(a);
      await a.close();
      await settle();
      assert.match(out.text, /request completed/);
      assert.ok(!out.text.includes('dcf_secret'), out.text);
      assert.ok(!out.text.includes(PASSWORD), out.text);
    }
  });

  it('redacts credentials wherever a logged object carries them', async () => {
    const out = new Memory();
    const a = await app(out, {}, (x) => {
      x.post('/api/v1/debug', async (req) => {
        req.log.info(
          {
            request: { headers: req.headers },
            body: req.body,
            deep: { a: { b: { token: TOKEN, secret: TOKEN, 'set-cookie': TOKEN } } },
            token: TOKEN,
          },
          'what came in',
        );
        return {};
      });
    });
    await a.inject({
      method: 'POST',
      url: '/api/v1/debug',
      headers: { authorization: `Bearer ${TOKEN}`, cookie: `session=${TOKEN}` },
      payload: { username: 'alpha.operator', password: PASSWORD, member: { password: PASSWORD } },
    });
    await a.close();
    const line = out.lines().find((l) => l.msg === 'what came in') as Line & {
      request: { headers: Record<string, string> };
      body: { username: string; password: string; member: { password: string } };
      deep: { a: { b: Record<string, string> } };
    };
    assert.equal(line.request.headers.authorization, '[redacted]');
    assert.equal(line.request.headers.cookie, '[redacted]');
    assert.equal(line.request.headers.host, 'localhost:80');
    assert.deepEqual(line.body, {
      username: 'alpha.operator',
      password: '[redacted]',
      member: { password: '[redacted]' },
    });
    assert.deepEqual(line.deep.a.b, {
      token: '[redacted]',
      secret: '[redacted]',
      'set-cookie': '[redacted]',
    });
    assert.equal(line.token, '[redacted]');
    assert.ok(!out.text.includes('dcf_secret') && !out.text.includes(PASSWORD));
  });

  it('writes readable lines when pretty', async () => {
    const out = new Memory();
    const a = await app(out, { pretty: true });
    await threeRequests(a);
    await a.close();
    await settle();
    assert.throws(() => JSON.parse(out.text.split('\n')[0] as string));
    assert.match(out.text, /INFO.*: request completed/);
    assert.match(out.text, /ERROR.*: unexpected error/);
    assert.match(out.text, /route: "\/api\/v1\/declarations\/:id"/);
    assert.match(out.text, /Error: the database is on fire/);
  });

  it('keeps to the level: warn leaves the 5xx, silent nothing', async () => {
    const warn = new Memory();
    const a = await app(warn, { level: 'warn' });
    await threeRequests(a);
    await a.close();
    assert.deepEqual(
      warn.lines().map((l) => [l.msg, l.status ?? null]),
      [
        ['unexpected error', null],
        ['request completed', 500],
      ],
    );
    const silent = new Memory();
    const b = await app(silent, { level: 'silent' });
    await threeRequests(b);
    await b.close();
    assert.equal(silent.text, '');
  });

  it('writes one line for a request the client gave up on, and one for a WebSocket when it closes', async () => {
    const out = new Memory();
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const a = await app(out, {}, async (x) => {
      x.get('/api/v1/slow', async () => {
        await held;
        return {};
      });
      await x.register(websocket);
      x.get('/api/v1/stream', { websocket: true }, (socket) => {
        socket.on('message', (m) => socket.send(m));
      });
    });
    const url = await a.listen({ host: '127.0.0.1', port: 0 });
    try {
      const gaveUp = new AbortController();
      const request = fetch(`${url}/api/v1/slow`, {
        headers: { authorization: `Bearer ${TOKEN}` },
        signal: gaveUp.signal,
      }).catch((err: Error) => err.name);
      await new Promise((resolve) => setTimeout(resolve, 100));
      gaveUp.abort();
      assert.equal(await request, 'AbortError');

      const ws = new WebSocket(`${url.replace('http', 'ws')}/api/v1/stream`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      await new Promise((resolve) => ws.once('open', resolve));
      ws.send('ping');
      await new Promise((resolve) => ws.once('message', resolve));
      ws.close();
      await new Promise((resolve) => ws.once('close', resolve));
      await settle();
      release();
      await settle();
    } finally {
      await a.close();
    }
    const requests = out.requests();
    assert.deepEqual(
      requests.map((l) => [l.msg, l.route, l.status, l.party]),
      [
        ['request aborted', '/api/v1/slow', null, 'alpha'],
        ['connection closed', '/api/v1/stream', 101, 'alpha'],
      ],
    );
    for (const l of requests) assert.ok((l.duration_ms as number) >= 0);
  });
});
