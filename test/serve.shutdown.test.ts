/**
 * Graceful shutdown of a real `deconflict serve`: SIGTERM while submissions are in flight. Every
 * request sent gets an answer — 201, or a clean `shutting_down` refusal in the API's error shape —
 * and none is reset; the push stream is closed with a close frame (1001, going away); the process
 * exits 0; and after a restart on the same data directory every submission answered 201 is there.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import WebSocket from 'ws';
import { demoPassword } from './support/hub.ts';
import { api, killAll, login, serve } from './support/serve.ts';
import { fortressStrike } from './support/service.ts';

interface Answer {
  readonly status: number;
  readonly body: { declarations?: { id: string }[]; errors?: { code: string }[] };
}

/**
 * POST a submission on a connection of its own; `sent` resolves once the whole request is written,
 * the returned promise with the answer (or rejects: a reset, a refused connection).
 */
function post(url: string, token: string, body: unknown): { sent: Promise<void>; answer: Promise<Answer> } {
  const data = JSON.stringify(body);
  let sent!: () => void;
  const written = new Promise<void>((resolve) => {
    sent = resolve;
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    const req = http.request(
      `${url}/api/v1/declarations`,
      {
        method: 'POST',
        agent: false,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(data),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (s: string) => {
          text += s;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.on('finish', sent);
    req.end(data);
  });
  return { sent: written, answer };
}

describe('serve: SIGTERM while submissions are in flight', () => {
  const dir = mkdtempSync(join(tmpdir(), 'deconflict-shutdown-'));
  after(async () => {
    await killAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every request, closes streams with 1001, and keeps every 201 across a restart', async () => {
    const first = await serve(['--data', dir, '--demo']);
    const username = 'northern-forces.operator';
    const token = await login(first.url, username, demoPassword(username));
    const ws = new WebSocket(`${first.url.replace('http', 'ws')}/api/v1/stream`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await new Promise((resolve, reject) => {
      ws.once('message', resolve);
      ws.once('error', reject);
    });
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));

    const N = 60;
    const requests = Array.from({ length: N }, (_, i) =>
      post(first.url, token, fortressStrike(`drain-${i}`, i)),
    );
    await Promise.all(requests.map((r) => r.sent));
    // Once the first answer is out, the hub has read what was sent with it: stop it now.
    await Promise.race(requests.map((r) => r.answer));
    first.child.kill('SIGTERM');

    const answers = await Promise.all(requests.map((r) => r.answer));
    const accepted = answers.filter((a) => a.status === 201);
    for (const a of answers) {
      if (a.status === 201) continue;
      assert.equal(a.status, 503, JSON.stringify(a.body));
      assert.equal(a.body.errors?.[0]?.code, 'shutting_down');
    }
    assert.ok(accepted.length >= 1);
    assert.equal(await closed, 1001);
    assert.deepEqual(await first.exited, { code: 0, signal: null });

    const second = await serve(['--data', dir]);
    const again = await login(second.url, username, demoPassword(username));
    for (const a of accepted) {
      const id = a.body.declarations?.[0]?.id as string;
      const r = await api(second.url, again, 'GET', `/api/v1/declarations/${encodeURIComponent(id)}`);
      assert.equal(r.status, 200, `${id} was answered 201 before the stop`);
    }
    assert.equal((await second.stop()).code, 0);
  });
});

describe('deploy/deconflict.service', () => {
  const analyze = spawnSync('systemd-analyze', ['--version']).status === 0;
  it('passes systemd-analyze verify', { skip: analyze ? false : 'systemd-analyze is not installed' }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'deconflict-unit-'));
    try {
      // The unit as installed, with this machine's node (verify checks that ExecStart exists).
      const unit = readFileSync(new URL('../deploy/deconflict.service', import.meta.url), 'utf8').replace(
        '/usr/bin/node',
        process.execPath,
      );
      const file = join(dir, 'deconflict.service');
      writeFileSync(file, unit);
      const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /deconflict\.service:\d+:/, 'no warning about a line of the unit');
      assert.match(unit, /^TimeoutStopSec=\d+$/m);
      assert.match(unit, /^ReadWritePaths=\/var\/lib\/deconflict$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
