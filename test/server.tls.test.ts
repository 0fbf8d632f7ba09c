/**
 * TLS on the hub's own port: HTTPS and wss streams with a certificate made in the test; with a
 * client CA, a client without a certificate it signed is refused at the handshake and one with
 * such a certificate gets in (as TAK servers require); `serve` refuses plain HTTP on an address
 * that is not loopback unless told (`--insecure-http`), and serves HTTPS with `--tls-cert`.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { startHub, type TestHub } from './support/hub.ts';
import { killAll, run, start } from './support/serve.ts';
import { type Certificates, makeCertificates } from './support/service.ts';

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** One HTTPS GET with the test's CA (and a client certificate when given). */
function get(
  port: number,
  path: string,
  ca: Buffer,
  client?: { cert: Buffer; key: Buffer },
  token?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path,
        ca,
        servername: 'localhost',
        ...(client && { cert: client.cert, key: client.key }),
        ...(token && { headers: { authorization: `Bearer ${token}` } }),
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (s: string) => {
          body += s;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function listen(t: TestHub): Promise<number> {
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  return (t.app.server.address() as AddressInfo).port;
}

const dir = mkdtempSync(join(tmpdir(), 'deconflict-tls-'));
let certs: Certificates;

before(() => {
  certs = makeCertificates(dir);
});

after(async () => {
  await killAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('HTTPS on the hub port', () => {
  let t: TestHub;
  let port: number;
  before(async () => {
    t = await startHub({ app: { tls: { cert: certs.cert, key: certs.key } } });
    port = await listen(t);
  });
  after(() => t.close());

  it('answers over HTTPS with the certificate made in the test', async () => {
    const r = await get(port, '/readyz', certs.ca);
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body).database.dialect, 'sqlite');
  });

  it('refuses a client that does not trust the certificate', async () => {
    await assert.rejects(
      get(port, '/healthz', certs.stranger.cert),
      /self.signed|unable to verify|certificate/i,
    );
  });

  it('carries the push stream as wss on the same port', async () => {
    const token = await t.login('coalition.watch');
    const ws = new WebSocket(`wss://127.0.0.1:${port}/api/v1/stream`, {
      ca: certs.ca,
      headers: { authorization: `Bearer ${token}` },
    });
    const hello = await new Promise<{ type: string; party: string }>((resolve, reject) => {
      ws.once('message', (raw) => resolve(JSON.parse(String(raw))));
      ws.once('error', reject);
    });
    assert.equal(hello.type, 'hello');
    assert.equal(hello.party, 'coalition');
    ws.close();
  });
});

describe('client certificates required (--tls-ca)', () => {
  let t: TestHub;
  let port: number;
  before(async () => {
    t = await startHub({ app: { tls: { cert: certs.cert, key: certs.key, ca: certs.ca } } });
    port = await listen(t);
  });
  after(() => t.close());

  it('refuses at the handshake a client without a certificate', async () => {
    await assert.rejects(get(port, '/healthz', certs.ca), (err: NodeJS.ErrnoException) => {
      assert.ok(
        err.code === 'ECONNRESET' || /certificate|alert|socket hang up/i.test(err.message),
        `${err.code}: ${err.message}`,
      );
      return true;
    });
  });

  it('refuses a client certificate the CA did not sign', async () => {
    await assert.rejects(get(port, '/healthz', certs.ca, certs.stranger));
  });

  it('lets in a client with a certificate signed by the CA', async () => {
    const r = await get(port, '/healthz', certs.ca, certs.client);
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), { status: 'ok' });
  });
});

describe('serve: TLS flags and plain HTTP', () => {
  it('refuses plain HTTP on an address that is not loopback, before touching the data directory', async () => {
    const data = join(dir, 'refused');
    const r = await run(['serve', '--data', data, '--host', '0.0.0.0', '--port', '0']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--host 0\.0\.0\.0 is not a loopback address/);
    assert.match(r.stderr, /--tls-cert and --tls-key, or --insecure-http/);
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    assert.equal(existsSync(data), false);
  });

  it('refuses --tls-ca without a certificate of its own, and a key without its certificate', async () => {
    const data = join(dir, 'flags');
    const ca = await run(['serve', '--data', data, '--tls-ca', certs.files.ca]);
    assert.equal(ca.status, 2);
    assert.match(ca.stderr, /--tls-ca needs --tls-cert and --tls-key/);
    const key = await run(['serve', '--data', data, '--tls-key', certs.files.key]);
    assert.equal(key.status, 2);
    assert.match(key.stderr, /--tls-cert and --tls-key go together/);
  });

  it('accepts plain HTTP elsewhere when told (--insecure-http)', async () => {
    const hub = start([
      'serve',
      '--data',
      join(dir, 'insecure'),
      '--host',
      '0.0.0.0',
      '--port',
      '0',
      '--insecure-http',
    ]);
    const url = await listening(hub.stdout, /listening on (http:\/\/\S+)/);
    const port = new URL(url).port;
    const r = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(r.status, 200);
    hub.child.kill('SIGTERM');
    assert.equal((await hub.exited).code, 0);
  });

  it('serves HTTPS with --tls-cert and --tls-key, on any address', async () => {
    const hub = start([
      'serve',
      '--data',
      join(dir, 'tls'),
      '--host',
      '0.0.0.0',
      '--port',
      '0',
      '--tls-cert',
      certs.files.cert,
      '--tls-key',
      certs.files.key,
    ]);
    const url = await listening(hub.stdout, /listening on (https:\/\/\S+)/);
    const r = await get(Number(new URL(url).port), '/healthz', certs.ca);
    assert.equal(r.status, 200);
    hub.child.kill('SIGTERM');
    assert.equal((await hub.exited).code, 0);
  });
});

/** The address a started `serve` printed, once it did. */
async function listening(stdout: () => string, pattern: RegExp): Promise<string> {
  for (let i = 0; i < 1500; i++) {
    const m = pattern.exec(stdout());
    if (m?.[1]) return m[1];
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`serve did not print ${pattern}: ${stdout()}`);
}
