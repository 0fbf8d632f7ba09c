/**
 * The real app's logs (buildApp with `log`): a failed login, a normal submission and an
 * unexpected error (the store closed under a running hub) each give one JSON line with the
 * request's id, route, status, duration and caller; the 500 has its stack; and no token or
 * password appears anywhere in what was written.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { startHub } from './support/hub.ts';

class Memory extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
  lines(): Record<string, unknown>[] {
    return this.text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

const STRIKE = {
  type: 'Feature',
  geometry: { type: 'Point', coordinates: [21.304, 46.1545] },
  properties: {
    id: 'log-strike',
    kind: 'strike',
    buffer_m: 400,
    start: '2026-11-23T10:00:00Z',
    end: '2026-11-23T11:00:00Z',
  },
};

describe('logs of the real app', () => {
  it('one line per request with its caller, the stack of a 500, and no secret', async () => {
    const out = new Memory();
    const t = await startHub({ app: { log: { level: 'info', stream: out } } });
    const wrong = 'not-the-password-of-anyone';
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { username: 'coalition.operator', password: wrong },
    });
    assert.equal(bad.statusCode, 401);
    const token = await t.login('coalition.operator');
    const submitted = await t.app.inject({
      method: 'POST',
      url: '/api/v1/declarations',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/geo+json' },
      payload: JSON.stringify(STRIKE),
    });
    assert.equal(submitted.statusCode, 201, submitted.body);
    // An unexpected failure: the store goes away under a running hub.
    await t.store.close();
    const broken = await t.app.inject({
      method: 'GET',
      url: '/api/v1/conflicts',
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(broken.statusCode, 500);
    assert.equal((broken.json() as { errors: { code: string }[] }).errors[0]?.code, 'io_error');
    assert.doesNotMatch(broken.body, /closed|stack|at /, 'a 500 never echoes the internal message');
    await t.app.close();
    rmSync(t.dir, { recursive: true, force: true });

    const lines = out.lines();
    const requests = lines.filter((l) => l.msg === 'request completed');
    const routes = requests.map((l) => `${l.method} ${l.route} ${l.status}`);
    assert.ok(routes.includes('POST /api/v1/session 401'), routes.join('\n'));
    assert.ok(routes.includes('POST /api/v1/session 201'), routes.join('\n'));
    assert.ok(routes.includes('POST /api/v1/declarations 201'), routes.join('\n'));
    assert.ok(routes.includes('GET /api/v1/conflicts 500'), routes.join('\n'));
    assert.equal(requests.length, 4, 'one line per request');
    for (const l of requests) {
      assert.equal(typeof l.reqId, 'string');
      assert.equal(typeof l.duration_ms, 'number');
    }
    const submission = requests.find((l) => l.route === '/api/v1/declarations');
    assert.equal(submission?.party, 'coalition');
    assert.equal(submission?.member, 'coalition.operator');
    const unexpected = lines.find((l) => l.msg === 'unexpected error') as
      | { err?: { stack?: string } }
      | undefined;
    assert.match(String(unexpected?.err?.stack), /store is closed[\s\S]*\n\s+at /);
    // No secret anywhere: not the token, not the passwords, not the Authorization header.
    for (const secret of [token, wrong, 'demo-coalition', 'Bearer ']) {
      assert.ok(!out.text.includes(secret), `the log contains ${secret.slice(0, 8)}…`);
    }
  });
});
