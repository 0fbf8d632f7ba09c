/**
 * `deconflict verify` through main() with a captured Io, on real data directories: a ledger
 * written by the store and the hub (Hub.open makes the log key; the hub signs checkpoints,
 * registers a member key, takes a cosignature), then copies of it tampered with through
 * better-sqlite3 directly (the append-only triggers dropped first) — a changed payload, a removed
 * entry, two swapped, one inserted, a forged statement signature, a checkpoint signed by the
 * wrong key, a split view between kept checkpoints — each named by its code and seq or size.
 * Then the export written by --export and read by --file, the arguments refused (exit 2), and a
 * live hub: a real receipt (GET /api/v1/receipts/{seq}) verified offline, and `verify URL`.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { LedgerEntry } from '../src/domain/records.ts';
import { entryHash } from '../src/ledger/chain.ts';
import { entryLeaf } from '../src/ledger/leaf.ts';
import { MerkleLog } from '../src/ledger/merkle.ts';
import {
  formatCheckpoint,
  fromBase64,
  newEd25519Key,
  signerFromPrivateKey,
  signNote,
  toBase64,
} from '../src/ledger/note.ts';
import { newMemberKey, signStatement } from '../src/ledger/statement.ts';
import type { Finding, VerifyResult } from '../src/ledger/verify.ts';
import { databaseFile, openSqliteStore } from '../src/store/sqlite.ts';
import { runCli } from './support/cli.ts';
import { request, startHub, type TestHub } from './support/hub.ts';
import { makeLedgerFixture, T0 } from './support/ledger-fixture.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'deconflict-verify-'));
  dirs.push(d);
  return d;
}

const run = runCli;

async function runJson(args: string[]): Promise<{ status: number; result: VerifyResult }> {
  const r = await run([...args, '--format', 'json']);
  return { status: r.status, result: JSON.parse(r.out) as VerifyResult };
}

let fixture: string;
let origin: string;

/** A copy of the fixture's data directory, to tamper with. */
function copy(): string {
  const d = tempDir();
  copyFileSync(databaseFile(fixture), databaseFile(d));
  return d;
}

/** The copy's database, writable, with the append-only triggers dropped (as a forger would). */
function forger(dir: string): Database.Database {
  const db = new Database(databaseFile(dir));
  for (const t of ['update', 'delete', 'replace']) db.exec(`DROP TRIGGER IF EXISTS ledger_append_only_${t}`);
  return db;
}

function readEntries(db: Database.Database): LedgerEntry[] {
  return (db.prepare('SELECT * FROM ledger ORDER BY seq').all() as Record<string, unknown>[]).map((r) => ({
    seq: Number(r.seq),
    at: Number(r.at),
    actor: r.actor as string | null,
    party: r.party as string | null,
    type: String(r.type),
    subject: String(r.subject),
    payload: JSON.parse(String(r.payload)),
    prev_hash: String(r.prev_hash),
    hash: String(r.hash),
    salt: String(r.salt),
    leaf: r.leaf as string | null,
  }));
}

/** Recompute prev_hash, hash and leaf of every entry from `seq` on (a forger covering tracks). */
function rechainFrom(db: Database.Database, seq: number): void {
  const entries = readEntries(db);
  const update = db.prepare('UPDATE ledger SET prev_hash = ?, hash = ?, leaf = ? WHERE seq = ?');
  let prev = (entries.find((e) => e.seq === seq - 1) as LedgerEntry).hash;
  for (const e of entries.filter((x) => x.seq >= seq)) {
    const base = { ...e, prev_hash: prev };
    const hash = entryHash(base);
    update.run(prev, hash, Buffer.from(entryLeaf(base)).toString('hex'), e.seq);
    prev = hash;
  }
}

function hubKeyOf(dir: string): { name: string; privateKey: Uint8Array } {
  const db = new Database(databaseFile(dir), { readonly: true });
  const r = db.prepare('SELECT name, private_key FROM log_keys ORDER BY seq LIMIT 1').get() as Record<
    string,
    string
  >;
  db.close();
  return { name: r.name as string, privateKey: fromBase64(r.private_key as string) as Uint8Array };
}

function treeOf(dir: string): MerkleLog {
  const db = new Database(databaseFile(dir), { readonly: true });
  const leaves = (db.prepare('SELECT leaf FROM ledger ORDER BY seq').all() as { leaf: string }[]).map((r) =>
    Buffer.from(r.leaf, 'hex'),
  );
  db.close();
  return MerkleLog.fromLeaves(leaves);
}

const firstOf = (r: VerifyResult): Finding => r.failure as Finding;

describe('deconflict verify --data', () => {
  before(async () => {
    fixture = tempDir();
    ({ origin } = await makeLedgerFixture(openSqliteStore({ dir: fixture })));
  });

  it('says the record holds, in one line, and exits 0', async () => {
    const r = await run(['verify', '--data', fixture]);
    assert.equal(r.status, 0, r.out + r.err);
    const root = toBase64(treeOf(fixture).root());
    assert.equal(
      r.out,
      `record holds: 14 entries, tree size 14, root ${root}, checkpoints 2 (1 cosignature), 2 signed statements\n`,
    );
    const j = await runJson(['verify', '--data', fixture]);
    assert.equal(j.status, 0);
    assert.equal(j.result.origin, origin);
    assert.equal(j.result.unsalted, 0);
    assert.deepEqual(j.result.findings, []);
  });

  it('names a changed payload: "entry 5: hash does not match content"', async () => {
    const dir = copy();
    const db = forger(dir);
    db.prepare('UPDATE ledger SET payload = ? WHERE seq = 5').run(
      JSON.stringify({ id: 'alpha/d5', kind: 'other' }),
    );
    db.close();
    const r = await run(['verify', '--data', dir]);
    assert.equal(r.status, 1);
    assert.match(
      r.out,
      /^entry 5: hash does not match content \(\d+ findings in all; --format json lists them\)\n$/,
    );
    const j = await runJson(['verify', '--data', dir]);
    assert.deepEqual(firstOf(j.result), { seq: 5, code: 'hash', reason: 'hash does not match content' });
    assert.ok(j.result.findings.some((f) => f.code === 'leaf' && f.seq === 5));
    assert.ok(j.result.findings.some((f) => f.code === 'checkpoint_root' && f.size === 9));
  });

  it('names a removed entry', async () => {
    const dir = copy();
    const db = forger(dir);
    db.prepare('DELETE FROM ledger WHERE seq = 6').run();
    db.close();
    const j = await runJson(['verify', '--data', dir]);
    assert.equal(j.status, 1);
    assert.equal(firstOf(j.result).code, 'missing');
    assert.equal(firstOf(j.result).seq, 6);
    assert.match(firstOf(j.result).reason, /entry 7 follows entry 5/);
  });

  it('names two swapped entries', async () => {
    const dir = copy();
    const db = forger(dir);
    db.exec(
      'UPDATE ledger SET seq = -1 WHERE seq = 5; UPDATE ledger SET seq = 5 WHERE seq = 6; UPDATE ledger SET seq = 6 WHERE seq = -1',
    );
    db.close();
    const j = await runJson(['verify', '--data', dir]);
    assert.equal(j.status, 1);
    assert.deepEqual(firstOf(j.result), {
      seq: 5,
      code: 'reordered',
      reason: 'holds entry 6 (its hash commits to seq 6): entries were reordered',
    });
    assert.ok(j.result.findings.some((f) => f.seq === 6 && /holds entry 5/.test(f.reason)));
  });

  it('names an inserted entry, even one chained and with its own leaf', async () => {
    const dir = copy();
    const db = forger(dir);
    const entries = readEntries(db);
    // Make room at 6, then put in a well-formed entry that links to entry 5.
    for (const e of [...entries].reverse())
      if (e.seq >= 6) db.prepare('UPDATE ledger SET seq = ? WHERE seq = ?').run(e.seq + 1, e.seq);
    const five = entries[4] as LedgerEntry;
    const base = {
      seq: 6,
      at: five.at + 1,
      actor: 'bravo.operator',
      party: 'bravo',
      type: 'declaration.submitted',
      subject: 'bravo/forged',
      payload: { id: 'bravo/forged' },
      prev_hash: five.hash,
      salt: 'ab'.repeat(16),
    };
    db.prepare(
      'INSERT INTO ledger (seq, at, actor, party, type, subject, payload, prev_hash, hash, salt, leaf) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(
      6,
      base.at,
      base.actor,
      base.party,
      base.type,
      base.subject,
      JSON.stringify(base.payload),
      base.prev_hash,
      entryHash(base),
      base.salt,
      Buffer.from(entryLeaf(base)).toString('hex'),
    );
    db.close();
    const j = await runJson(['verify', '--data', dir]);
    assert.equal(j.status, 1);
    const f = firstOf(j.result);
    assert.equal(f.code, 'inserted');
    assert.equal(f.seq, 7);
    assert.match(f.reason, /holds entry 6 .*which followed entry 5: entry 6 was inserted before it/);
  });

  it('names a forged statement signature, even with the chain recomputed after it', async () => {
    const dir = copy();
    const db = forger(dir);
    const ack = readEntries(db).find((e) => e.seq === 11) as LedgerEntry;
    const p = ack.payload as { signed: { statement: object; signature: string } };
    // The statement changed ("not seen"), its signature kept: it no longer verifies.
    const forged = {
      ...p,
      reply: 'not seen',
      signed: { ...p.signed, statement: { ...p.signed.statement, reply: 'not seen' } },
    };
    db.prepare('UPDATE ledger SET payload = ? WHERE seq = 11').run(JSON.stringify(forged));
    rechainFrom(db, 11);
    db.close();
    const j = await runJson(['verify', '--data', dir]);
    assert.equal(j.status, 1);
    const f = firstOf(j.result);
    assert.equal(f.seq, 11);
    assert.equal(f.code, 'signature');
    assert.match(f.reason, /signed statement does not verify with key [0-9a-f]{16}/);
    // The checkpoint signed before the rewrite contradicts it too.
    assert.ok(j.result.findings.some((x) => x.code === 'checkpoint_root' && x.size === 14));
  });

  it('names a checkpoint signed by a key other than the hub key of its size', async () => {
    const dir = copy();
    const db = forger(dir);
    const root = treeOf(dir).root(12);
    const wrong = newEd25519Key(origin);
    const note = signNote(formatCheckpoint({ origin, size: 12, root }), wrong.signer);
    db.prepare('INSERT INTO checkpoints (size, root, at, note) VALUES (?, ?, ?, ?)').run(
      12,
      toBase64(root),
      T0,
      note,
    );
    db.close();
    const j = await runJson(['verify', '--data', dir]);
    assert.equal(j.status, 1);
    const f = firstOf(j.result);
    assert.equal(f.code, 'checkpoint_signature');
    assert.equal(f.size, 12);
    assert.match(f.reason, /not signed by the hub key current at size 12 \(log.key entry 1\)/);
  });

  it('proves the log only grew against kept checkpoints, and names a split view between two', async () => {
    const key = hubKeyOf(fixture);
    const signer = signerFromPrivateKey(key.name, key.privateKey);
    const tree = treeOf(fixture);
    const good = signNote(formatCheckpoint({ origin, size: 12, root: tree.root(12) }), signer);
    const older = signNote(formatCheckpoint({ origin, size: 3, root: tree.root(3) }), signer);
    const keptFile = join(tempDir(), 'kept.txt');
    writeFileSync(keptFile, `${older}\n${good}`);
    const ok = await run(['verify', '--data', fixture, '--checkpoints', keptFile]);
    assert.equal(ok.status, 0, ok.out + ok.err);
    assert.match(ok.out, /, 2 kept checkpoints consistent\n$/);

    const other = signNote(formatCheckpoint({ origin, size: 12, root: new Uint8Array(32).fill(1) }), signer);
    const splitFile = join(tempDir(), 'kept.json');
    writeFileSync(splitFile, JSON.stringify([good, other]));
    const j = await runJson(['verify', '--data', fixture, '--checkpoints', splitFile]);
    assert.equal(j.status, 1);
    const f = firstOf(j.result);
    assert.equal(f.code, 'split_view');
    assert.equal(f.size, 12);
    assert.match(f.reason, /^split view: kept checkpoint #2 has root AQEB.*, kept checkpoint #1 has root /);
    assert.ok(j.result.findings.some((x) => x.code === 'rewritten' && x.size === 12));
  });

  it('names a log cut back below a checkpoint a party kept', async () => {
    const dir = copy();
    const db = forger(dir);
    db.prepare('DELETE FROM ledger WHERE seq > 12').run();
    db.prepare('DELETE FROM cosignatures').run();
    db.prepare('DELETE FROM checkpoints WHERE size > 12').run();
    db.close();
    const key = hubKeyOf(fixture);
    const kept = signNote(
      formatCheckpoint({ origin, size: 14, root: treeOf(fixture).root(14) }),
      signerFromPrivateKey(key.name, key.privateKey),
    );
    const keptFile = join(tempDir(), 'kept.txt');
    writeFileSync(keptFile, kept);
    const j = await runJson(['verify', '--data', dir, '--checkpoints', keptFile]);
    assert.equal(j.status, 1);
    assert.equal(firstOf(j.result).code, 'truncated');
    assert.equal(firstOf(j.result).size, 14);
  });
});

describe('deconflict verify --export and --file', () => {
  it('writes an export (mode 0600) that verifies as the directory does; a changed line is named', async () => {
    const out = join(tempDir(), 'ledger.jsonl');
    const r = await run(['verify', '--data', fixture, '--export', out]);
    assert.equal(r.status, 0, r.out + r.err);
    assert.equal(statSync(out).mode & 0o777, 0o600);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    assert.deepEqual(JSON.parse(lines[0] as string), { format: 'deconflict.ledger-export/1', origin });
    assert.equal(lines.filter((l) => l.includes('"kind":"entry"')).length, 14);
    assert.equal(lines.filter((l) => l.includes('"kind":"checkpoint"')).length, 2);
    assert.equal(lines.filter((l) => l.includes('"kind":"cosignature"')).length, 1);
    assert.equal(lines.filter((l) => l.includes('"kind":"member_key"')).length, 1);
    assert.ok(!readFileSync(out, 'utf8').includes('private_key'));
    const fromFile = await run(['verify', '--file', out]);
    assert.equal(fromFile.status, 0, fromFile.out + fromFile.err);
    assert.equal(fromFile.out, r.out);

    const tampered = join(tempDir(), 'tampered.jsonl');
    const changed = lines.map((l) => {
      const j = JSON.parse(l) as { kind?: string; seq?: number; payload?: { name?: string } };
      if (j.kind === 'entry' && j.seq === 3)
        return JSON.stringify({ ...j, payload: { ...j.payload, name: 'moved' } });
      return l;
    });
    writeFileSync(tampered, `${changed.join('\n')}\n`);
    const bad = await run(['verify', '--file', tampered]);
    assert.equal(bad.status, 1);
    assert.match(bad.out, /^entry 3: hash does not match content/);

    // Two entry lines swapped.
    const swapped = [...lines];
    [swapped[4], swapped[5]] = [swapped[5] as string, swapped[4] as string];
    writeFileSync(tampered, `${swapped.join('\n')}\n`);
    const j = await runJson(['verify', '--file', tampered]);
    assert.equal(j.status, 1);
    assert.deepEqual(
      j.result.findings.slice(0, 1).map((f) => [f.code, f.seq]),
      [['missing', 4]],
    );
    assert.ok(j.result.findings.some((f) => f.code === 'out_of_order' && f.seq === 4));
  });

  it('refuses what is not an export (exit 2)', async () => {
    const f = join(tempDir(), 'not.jsonl');
    writeFileSync(f, '{"format":"something else"}\n');
    const r = await run(['verify', '--file', f]);
    assert.equal(r.status, 2);
    assert.match(r.err, /^deconflict verify: .*line 1: not a deconflict.ledger-export\/1 header\n$/);
  });
});

describe('deconflict verify: arguments (exit 2)', () => {
  const cases: [string, string[], RegExp][] = [
    ['no source', [], /give one of --data DIR, --database URL, --file FILE, --receipt FILE or a hub URL/],
    ['two sources', ['--data', '/nowhere', '--file', '/nowhere'], /give one of/],
    ['--export without --data', ['--file', 'x', '--export', 'y'], /--export is for --data DIR/],
    ['a URL without a token', ['http://127.0.0.1:1'], /needs --token/],
    ['a bad hub key', ['--receipt', 'r.json', '--hub-key', 'nope'], /--hub-key: verifier key/],
    ['an unknown option', ['--data', 'd', '--nope'], /Unknown option '--nope'/],
    ['a bad format', ['--data', 'd', '--format', 'xml'], /--format must be text or json/],
    ['a directory without a database', ['--data', '/nonexistent-deconflict'], /holds no deconflict database/],
    [
      'unreadable kept checkpoints',
      ['--data', '/x', '--checkpoints', '/nonexistent/kept'],
      /cannot read \/nonexistent\/kept/,
    ],
  ];
  for (const [what, args, message] of cases)
    it(what, async () => {
      const r = await run(['verify', ...args]);
      assert.equal(r.status, 2, r.out + r.err);
      assert.match(r.err, message);
      assert.equal(r.out, '');
    });

  it('is listed by help', async () => {
    const r = await run(['help']);
    assert.match(
      r.out,
      /deconflict verify \(\(--data DIR \| --database URL\) \[--export FILE\] \| --file FILE\n\s+\| --receipt FILE/,
    );
  });
});

describe('deconflict verify against a live hub', () => {
  let t: TestHub;
  let url: string;
  let token: string;
  let keyId: string;
  let ackSeq: number;

  before(async () => {
    t = await startHub();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    token = await t.login('coalition.watch');
    const origin = t.hub.transparency.origin;
    const key = newMemberKey();
    keyId = key.id;
    const seed = fromBase64(key.privateKey) as Uint8Array;
    const at = new Date(t.clock.now()).toISOString();
    const signed = signStatement(
      {
        v: 1,
        origin,
        act: 'key.register',
        subject: key.id,
        by: 'coalition.watch',
        party: 'coalition',
        at,
        public_key: key.publicKey,
      },
      seed,
    );
    const res = await request(t.app, token, 'POST', '/api/v1/keys', { label: 'test', signed });
    assert.equal(res.statusCode, 201, res.body);
    ackSeq = (res.json() as { entry: number }).entry;
  });
  after(async () => {
    await t.close();
  });

  it('verifies a real receipt offline, pinned to the hub key; a changed one is named', async () => {
    const res = await request(t.app, token, 'GET', `/api/v1/receipts/${ackSeq}`);
    assert.equal(res.statusCode, 200, res.body);
    const file = join(tempDir(), 'receipt.json');
    writeFileSync(file, res.body);
    const log = (await request(t.app, token, 'GET', '/api/v1/ledger/checkpoint')).json() as {
      hub_keys: { verifier_key: string }[];
    };
    const hubKey = (log.hub_keys[0] as { verifier_key: string }).verifier_key;
    const r = await run(['verify', '--receipt', file, '--hub-key', hubKey]);
    assert.equal(r.status, 0, r.out + r.err);
    assert.match(
      r.out,
      new RegExp(`^receipt holds: entry ${ackSeq} \\(key.added\\) in the checkpoint of size \\d+`),
    );
    assert.match(r.out, new RegExp(`signed by coalition.watch with key ${keyId}`));

    const receipt = res.json() as { entry: { subject: string } };
    receipt.entry.subject = 'another key';
    writeFileSync(file, JSON.stringify(receipt));
    const bad = await run(['verify', '--receipt', file, '--format', 'json']);
    assert.equal(bad.status, 1);
    const findings = (JSON.parse(bad.out) as { findings: Finding[] }).findings;
    assert.ok(
      findings.some((f) => f.code === 'inclusion' && f.seq === ackSeq),
      bad.out,
    );
  });

  it('verifies what the hub shows the caller: checkpoint, entries and their inclusion', async () => {
    const r = await run(['verify', url, '--token', token]);
    assert.equal(r.status, 0, r.out + r.err);
    assert.match(
      r.out,
      /^record holds: checkpoint of size \d+, root .*, signed by the hub, .* entr(y|ies) visible to you, \d+ proved in it/,
    );
    // A checkpoint kept from earlier is proved to be a prefix of the latest.
    const log = (await request(t.app, token, 'GET', '/api/v1/ledger/checkpoint')).json() as {
      latest: { note: string };
    };
    const keptFile = join(tempDir(), 'kept.json');
    writeFileSync(keptFile, JSON.stringify([log.latest.note]));
    await request(t.app, token, 'POST', `/api/v1/keys/${keyId}/revoke`, {});
    const grown = await run(['verify', url, '--token', token, '--checkpoints', keptFile]);
    assert.equal(grown.status, 0, grown.out + grown.err);
    assert.match(grown.out, /1 kept checkpoint consistent\n$/);
    // A pinned key the hub does not sign with.
    const wrong = await run(['verify', url, '--token', token, '--hub-key', newEd25519Key('x').verifierKey]);
    assert.equal(wrong.status, 1);
    assert.match(wrong.out, /^checkpoint of size \d+: the hub's latest checkpoint: not signed by hub key/);
  });

  it('cannot run against a hub that refuses the token (exit 2)', async () => {
    const r = await run(['verify', url, '--token', 'not-a-token']);
    assert.equal(r.status, 2);
    assert.match(r.err, /GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/ledger\/checkpoint: 401/);
  });
});
