/**
 * `deconflict witness`, `deconflict key new` and `deconflict sign` through main() with a captured
 * Io, against a real hub listening on a local port (the demo hub of test/support/hub.ts): a key
 * made and registered with the CLI's own output, checkpoints cosigned, a second round proving
 * consistency, and the lies a witness must refuse to cosign — a split view, a checkpoint that
 * does not extend the kept one, a hub key other than the pinned one — each exit 1, naming both.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { WitnessState } from '../src/cli/witness.ts';
import {
  formatCheckpoint,
  fromBase64,
  newEd25519Key,
  signerFromPrivateKey,
  signNote,
} from '../src/ledger/note.ts';
import { type Signed, verifyStatement } from '../src/ledger/statement.ts';
import { runCli } from './support/cli.ts';
import { request, startHub, type TestHub } from './support/hub.ts';

const run = runCli;

describe('deconflict key new, sign and witness', () => {
  let t: TestHub;
  let dir: string;
  let url: string;
  let token: string;
  let origin: string;
  let keyFile: string;
  let keyId: string;
  let publicKey: string;

  before(async () => {
    t = await startHub();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    // `sign` stamps statements with the real time; the hub takes them within 10 minutes of its own.
    t.clock.set(Date.now());
    token = await t.login('coalition.watch');
    origin = t.hub.transparency.origin;
    dir = mkdtempSync(join(tmpdir(), 'deconflict-witness-'));
    keyFile = join(dir, 'key.json');
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A second hub key signing a checkpoint text as the hub would (its private key from the store). */
  async function hubSigner() {
    const keys = await t.store.read((tx) => tx.log.keys());
    const k = keys.at(-1) as { name: string; private_key: string };
    return signerFromPrivateKey(k.name, fromBase64(k.private_key) as Uint8Array);
  }

  const state = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as WitnessState;
  const cosignatures = async (size: number) => (await t.store.read((tx) => tx.log.cosignatures(size))).length;

  it('key new writes a key file (0600) and prints its id and public key; never over a file', async () => {
    const r = await run(['key', 'new', '--out', keyFile]);
    assert.equal(r.status, 0, r.err);
    const key = JSON.parse(readFileSync(keyFile, 'utf8')) as {
      private_key: string;
      public_key: string;
      id: string;
    };
    keyId = key.id;
    publicKey = key.public_key;
    assert.equal(r.out, `key id ${key.id}\npublic key ${key.public_key}\n`);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    const again = await run(['key', 'new', '--out', keyFile]);
    assert.equal(again.status, 2);
    assert.match(again.err, /EEXIST/);
  });

  it('sign prints a statement the hub takes (a key.register, for POST /api/v1/keys)', async () => {
    const base = [
      'sign',
      '--key',
      keyFile,
      '--origin',
      origin,
      '--by',
      'coalition.watch',
      '--party',
      'coalition',
    ];
    const r = await run([...base, '--act', 'key.register']);
    assert.equal(r.status, 0, r.err);
    const signed = JSON.parse(r.out) as Signed;
    assert.equal(signed.statement.subject, keyId);
    assert.equal(signed.statement.public_key, publicKey);
    assert.ok(verifyStatement(signed, publicKey));
    const res = await request(t.app, token, 'POST', '/api/v1/keys', { label: 'witness', signed });
    assert.equal(res.statusCode, 201, res.body);

    const ack = await run([...base, '--act', 'alert.acknowledge', '--subject', 'a-1']);
    assert.equal((JSON.parse(ack.out) as Signed).statement.reply, null);
    const wrong = await run([...base, '--act', 'message.read', '--subject', 'c-1', '--reply', 'x']);
    assert.equal(wrong.status, 2);
    assert.match(wrong.err, /--reply does not belong to message.read \(it takes --up-to\)/);
    const missing = await run([...base, '--act', 'risk.accept', '--subject', 'k-1']);
    assert.equal(missing.status, 2);
    assert.match(missing.err, /risk.accept needs --reason TEXT/);
  });

  it('cosigns the latest checkpoint, keeps it, and next time proves the log only grew', async () => {
    const stateFile = join(dir, 'state.json');
    const args = ['witness', url, '--token', token, '--key', keyFile, '--state', stateFile];
    const first = await run(args);
    assert.equal(first.status, 0, first.out + first.err);
    assert.match(first.out, /^cosigned checkpoint of size (\d+), root \S+ \(first checkpoint kept\)\n$/);
    const s1 = state(stateFile);
    assert.equal(s1.format, 'deconflict.witness-state/1');
    assert.equal(s1.origin, origin);
    assert.equal(s1.cosigned, s1.size);
    assert.equal(statSync(stateFile).mode & 0o777, 0o600);
    assert.equal(await cosignatures(s1.size), 1);
    const log = (await request(t.app, token, 'GET', '/api/v1/ledger/checkpoint')).json() as {
      published: { size: number; cosigned_by: { key: string }[] } | null;
    };
    assert.equal(log.published?.size, s1.size);
    assert.deepEqual(
      log.published?.cosigned_by.map((c) => c.key),
      [keyId],
    );

    // Nothing new: said, not cosigned twice.
    const same = await run(args);
    assert.equal(same.status, 0, same.err);
    assert.match(same.out, /^already cosigned checkpoint of size/);

    // The log grows (another key registered); the next round checks consistency and cosigns.
    const other = join(dir, 'other.json');
    await run(['key', 'new', '--out', other]);
    const signed = JSON.parse(
      (
        await run([
          'sign',
          '--key',
          other,
          '--origin',
          origin,
          '--by',
          'coalition.watch',
          '--party',
          'coalition',
          '--act',
          'key.register',
        ])
      ).out,
    ) as Signed;
    assert.equal(
      (await request(t.app, token, 'POST', '/api/v1/keys', { label: 'second', signed })).statusCode,
      201,
    );
    const second = await run(args);
    assert.equal(second.status, 0, second.out + second.err);
    assert.match(
      second.out,
      new RegExp(
        `^cosigned checkpoint of size \\d+, root \\S+ \\(consistent with the kept size ${s1.size}\\)\\n$`,
      ),
    );
    assert.ok(state(stateFile).size > s1.size);

    // The state file is a --checkpoints file for verify.
    const v = await run(['verify', url, '--token', token, '--checkpoints', stateFile]);
    assert.equal(v.status, 0, v.out + v.err);
  });

  it('refuses a split view, an inconsistent checkpoint and an unannounced hub key: exit 1, both named', async () => {
    const stateFile = join(dir, 'state-lies.json');
    const args = ['witness', url, '--token', token, '--key', keyFile, '--state', stateFile];
    assert.equal((await run(args)).status, 0);
    const good = state(stateFile);
    const signer = await hubSigner();
    const before = await cosignatures(good.size);

    // Split view: the kept checkpoint has another root at the hub's size.
    const fakeRoot = new Uint8Array(32).fill(9);
    const split = signNote(formatCheckpoint({ origin, size: good.size, root: fakeRoot }), signer);
    writeFileSync(stateFile, JSON.stringify({ ...good, checkpoint: split, cosigned: null }));
    const r1 = await run(args);
    assert.equal(r1.status, 1, r1.out + r1.err);
    assert.equal(
      r1.out,
      `the hub lies: split view: kept checkpoint (size ${good.size}, root CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=), hub's checkpoint (size ${good.size}, root ${good.root}); not cosigned\n`,
    );
    assert.equal(await cosignatures(good.size), before);
    assert.equal(state(stateFile).checkpoint, split, 'the state is left as it was');

    // Inconsistent: a smaller kept checkpoint that the hub's latest does not extend.
    const smaller = signNote(formatCheckpoint({ origin, size: good.size - 1, root: fakeRoot }), signer);
    writeFileSync(stateFile, JSON.stringify({ ...good, checkpoint: smaller }));
    const r2 = await run(args);
    assert.equal(r2.status, 1, r2.out + r2.err);
    assert.match(
      r2.out,
      new RegExp(
        `^the hub lies: inconsistent: the hub's checkpoint does not extend the kept one: kept checkpoint \\(size ${good.size - 1}, root CQkJ.*\\), hub's checkpoint \\(size ${good.size}, root .*\\); not cosigned\\n$`,
      ),
    );

    // A hub key other than the one pinned.
    writeFileSync(stateFile, JSON.stringify({ ...good, hub_key: newEd25519Key(origin).verifierKey }));
    const r3 = await run(args);
    assert.equal(r3.status, 1);
    assert.match(r3.out, /^the hub lies: the hub signs size \d+ with key .*, not the pinned /);
  });

  it('follows a rotation the hub announced, after checking consistency', async () => {
    const stateFile = join(dir, 'state-rotate.json');
    const args = ['witness', url, '--token', token, '--key', keyFile, '--state', stateFile];
    assert.equal((await run(args)).status, 0);
    const admin = await t.login('hub.admin');
    const rotated = await request(t.app, admin, 'POST', '/api/v1/ledger/keys/rotate', {});
    assert.equal(rotated.statusCode, 200, rotated.body);
    const r = await run(args);
    assert.equal(r.status, 0, r.out + r.err);
    assert.match(r.out, /; hub key rotated to /);
    const after = state(stateFile);
    const log = rotated.json() as { hub_keys: { verifier_key: string }[] };
    assert.equal(after.hub_key, log.hub_keys.at(-1)?.verifier_key);
  });

  it('cannot run without its arguments or against a hub that does not answer (exit 2)', async () => {
    const missing = await run(['witness', url, '--token', token, '--state', join(dir, 's.json')]);
    assert.equal(missing.status, 2);
    assert.match(missing.err, /--key is required/);
    const down = await run([
      'witness',
      'http://127.0.0.1:1',
      '--token',
      token,
      '--key',
      keyFile,
      '--state',
      join(dir, 's.json'),
    ]);
    assert.equal(down.status, 2);
    assert.match(down.err, /^deconflict witness: GET http:\/\/127\.0\.0\.1:1\/api\/v1\/ledger\/checkpoint: /);
  });
});
