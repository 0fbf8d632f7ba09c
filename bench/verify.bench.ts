/**
 * `deconflict verify --data` benchmark (issue #14): a data directory of 1,000,000 ledger entries
 * — realistic small payloads (declarations, amendments, acknowledgements with a reply), each
 * with its salt and leaf as the store writes them, a log.key entry first and a hub-signed
 * checkpoint every 100,000 entries — verified end to end through main(), as an operator runs it:
 * every entry's chain hash and leaf recomputed, the tree rebuilt, every checkpoint checked.
 *
 * Run: `npm run bench:verify` (`node --import tsx --expose-gc bench/verify.bench.ts`;
 * VERIFY_BENCH_ENTRIES=N for another size). Seeded (mulberry32). The directory is built in a
 * temporary directory with better-sqlite3 in one transaction (the schema by opening the store
 * once), then removed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Io } from '../src/cli/io.ts';
import { main } from '../src/cli/main.ts';
import { canonicalJson } from '../src/ledger/canonical.ts';
import { GENESIS_HASH } from '../src/ledger/chain.ts';
import { entryLeaf } from '../src/ledger/leaf.ts';
import { MerkleLog } from '../src/ledger/merkle.ts';
import { formatCheckpoint, newEd25519Key, signNote, toBase64 } from '../src/ledger/note.ts';
import { databaseFile, openSqliteStore } from '../src/store/sqlite.ts';
import {
  count,
  gc,
  intIn,
  MB,
  msSince,
  mulberry32,
  now,
  pick,
  round6,
  secs,
  section,
  table,
} from './support.ts';

const N = Number(process.env.VERIFY_BENCH_ENTRIES ?? 1_000_000);
const CHECKPOINT_EVERY = 100_000;
const ORIGIN = 'deconflict/0123456789abcdef';
const T0 = Date.UTC(2026, 10, 23);
const PARTIES = ['coalition', 'northern', 'relief', 'monitors'];

/** A payload as the hub records one: a declaration's summary, an amendment, an acknowledgement. */
function payloadFor(
  rng: () => number,
  i: number,
  party: string,
): { type: string; subject: string; payload: unknown } {
  const id = `${party}/d${i}`;
  const r = rng();
  if (r < 0.6)
    return {
      type: 'declaration.submitted',
      subject: id,
      payload: {
        id,
        kind: pick(rng, ['protected_site', 'restricted_zone', 'movement', 'air_activity', 'strike']),
        name: `${party} item ${i}`,
        position: [round6(30 + rng()), round6(50 + rng())],
        window: { start: T0 + i * 1000, end: T0 + i * 1000 + 3_600_000 },
        visibility: pick(rng, ['all', 'hidden', 'parties']),
      },
    };
  if (r < 0.85)
    return {
      type: 'declaration.amended',
      subject: id,
      payload: { id, changed: ['window'], version: intIn(rng, 2, 9) },
    };
  return {
    type: 'alert.acknowledged',
    subject: `alert-${i}`,
    payload: { reply: rng() < 0.5 ? null : 'seen, holding fire', audience: [pick(rng, PARTIES)] },
  };
}

/** Build the directory; resolves to its path and how long building took. */
async function build(): Promise<{ dir: string; ms: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'deconflict-bench-verify-'));
  // The schema, by the store's own migrations; then rows straight in, as fast as SQLite takes them.
  await openSqliteStore({ dir }).close();
  const t0 = now();
  const db = new Database(databaseFile(dir));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const insert = db.prepare(
    'INSERT INTO ledger (seq, at, actor, party, type, subject, payload, prev_hash, hash, salt, leaf) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const putCheckpoint = db.prepare('INSERT INTO checkpoints (size, root, at, note) VALUES (?, ?, ?, ?)');
  const hubKey = newEd25519Key(ORIGIN);
  const tree = new MerkleLog();
  const rng = mulberry32(14);
  let prev = GENESIS_HASH;
  db.transaction(() => {
    for (let seq = 1; seq <= N; seq++) {
      const party = pick(rng, PARTIES);
      const content =
        seq === 1
          ? {
              actor: null,
              party: null,
              type: 'log.key',
              subject: ORIGIN,
              payload: { verifier_key: hubKey.verifierKey, previous: null },
            }
          : { actor: `${party}.operator`, party, ...payloadFor(rng, seq, party) };
      const e = { seq, at: T0 + seq * 250, ...content, prev_hash: prev };
      // chain.ts's entryHash and sqlite.ts's append, inlined to reuse the canonical text.
      const hash = createHash('sha256')
        .update(prev)
        .update('\n')
        .update(
          canonicalJson({
            seq,
            at: e.at,
            actor: e.actor,
            party: e.party,
            type: e.type,
            subject: e.subject,
            payload: e.payload,
          }),
        )
        .digest('hex');
      const salt = randomBytes(16).toString('hex');
      const leaf = entryLeaf({ ...e, salt });
      insert.run(
        seq,
        e.at,
        e.actor,
        e.party,
        e.type,
        e.subject,
        JSON.stringify(e.payload),
        prev,
        hash,
        salt,
        Buffer.from(leaf).toString('hex'),
      );
      tree.append(leaf);
      prev = hash;
      if (seq % CHECKPOINT_EVERY === 0 || seq === N) {
        const root = tree.root();
        putCheckpoint.run(
          seq,
          toBase64(root),
          e.at,
          signNote(formatCheckpoint({ origin: ORIGIN, size: seq, root }), hubKey.signer),
        );
      }
    }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return { dir, ms: msSince(t0) };
}

section(`deconflict verify --data over ${count(N)} ledger entries`);
const { dir, ms: buildMs } = await build();
console.log(`built in ${secs(buildMs)}: ${MB(statSync(databaseFile(dir)).size)} MB database`);
gc();
let out = '';
const io: Io = {
  stdout: (t) => {
    out += t;
  },
  stderr: (t) => {
    out += t;
  },
  read: async () => '',
};
const heap0 = process.memoryUsage().heapUsed;
const t0 = now();
const status = await main(['verify', '--data', dir], io);
const ms = msSince(t0);
const heap = process.memoryUsage().heapUsed - heap0;
rmSync(dir, { recursive: true, force: true });
console.log(out.trimEnd());
console.log(
  table(
    ['verify --data', 'entries', 'seconds', 'entries/s', 'heap growth (MB)', 'exit'],
    [
      [
        `${count(N)} entries`,
        count(N),
        (ms / 1000).toFixed(2),
        count(Math.round(N / (ms / 1000))),
        MB(heap),
        String(status),
      ],
    ],
  ),
);
if (status !== 0) process.exitCode = 1;
