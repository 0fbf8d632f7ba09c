/**
 * The embedded store: SQLite through better-sqlite3, one file in the data directory.
 *
 * Durability: WAL journal with `synchronous = FULL`, so a transaction whose promise resolved is
 * on disk and survives a crash or SIGKILL. Group commit (`transactGroup`): units of work that
 * queued while a commit was in flight run in one transaction, each in a savepoint, and share one
 * commit and one fsync. One writer at a time: transactions are serialized by a queue in this
 * process, and an OS lock (`hub.lock`, see `holdLock`) refuses a second process (or a second
 * store in this one) on the same directory. Each read is a read transaction on a
 * connection of its own: a snapshot. The ledger table refuses UPDATE, DELETE and REPLACE by
 * trigger. A write that finds the disk full is refused as `storage_full`, whole.
 *
 * Schema: numbered migrations (`migrate.ts`), applied when the directory is opened; a directory
 * written by a newer deconflict is refused. Each declaration version's visibility and boxes are
 * indexed beside it (a readers table, an R*Tree) so that the list is filtered in SQL.
 */

import {
  accessSync,
  constants,
  lstatSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  type Stats,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type {
  AgreementRecord,
  AgreementWithdrawalRecord,
  AlertLevel,
  AlertRecord,
  BlindCheckRecord,
  ChannelRecord,
  ConflictRecord,
  DeliveryRecord,
  EventRecord,
  MessageRecord,
  NewLedgerEntry,
  PartyRecord,
  ProbeBudgetRecord,
  ProbeRecord,
  SealedRecord,
  ShiftRecord,
  WebhookRecord,
} from '../domain/records.ts';
import type { Declaration } from '../engine/types.ts';
import {
  DataDirectoryFileInvalid,
  DataDirectoryLocked,
  DataDirectoryNotADirectory,
  errorCode,
  isStorageFull,
  markStorage,
  startupFault,
  storageFullError,
} from './errors.ts';
import { mergeStream, ownCount, sharedAfter } from './feed.ts';
import { declarationFootprint } from './footprint.ts';
import { type MigrationReport, migrate } from './migrate.ts';
import type {
  AlertQuery,
  ConflictQuery,
  DeclarationQuery,
  DeviceRecord,
  GroupOptions,
  Store,
  Tx,
} from './ports.ts';
import {
  checkedBox,
  declarationSelect,
  LEDGER_INSERT,
  memberChanges,
  nextLedgerEntry,
  type Row,
  toBlindOutput,
  toCheckpoint,
  toDeclaration,
  toDevice,
  toKey,
  toLedger,
  toMember,
  toOwn,
  toShared,
  toSignature,
  toToken,
  toVersion,
  tracked,
} from './rows.ts';
import { dumpTable, loadTable } from './sqlite-dump.ts';
import { HUB_TABLES } from './tables.ts';

type Db = Database.Database;

/** The data directory's lock: an empty SQLite database, held locked while a store is open. */
export const LOCK_FILE = 'hub.lock';
/**
 * The pid of the process holding the directory, for people (and for the releases before the
 * lock above, which took this file itself as the lock and so refuse to start beside a newer hub).
 * Written once the lock is held, removed on a clean close; it decides nothing.
 */
export const PID_FILE = 'deconflict.lock';

/**
 * The data directories this process holds, by real path. A second store in this process is
 * refused here, before it touches the lock file: closing any descriptor of a file drops every
 * POSIX lock the process holds on it, so nothing but SQLite may open the lock file while it is held.
 */
const heldDirectories = new Set<string>();

/** A path the hub keeps a file at must be that file or nothing (never a directory, a link, ...). */
function mustBeFile(path: string, role: string, fix: string): void {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return;
    throw err;
  }
  if (!st.isFile())
    throw new DataDirectoryFileInvalid(
      path,
      `is ${st.isDirectory() ? 'a directory' : 'not a regular file'}, where deconflict keeps ${role}`,
      fix,
    );
}

/** The data directory, created if missing; refused if it is not a directory the process may write. */
function prepareDirectory(dir: string): void {
  let st: Stats | undefined;
  try {
    st = statSync(dir);
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') throw err;
  }
  if (st === undefined) mkdirSync(dir, { recursive: true });
  else if (!st.isDirectory()) throw new DataDirectoryNotADirectory(dir);
  // Said plainly here rather than as SQLite's "unable to open database file" later.
  accessSync(dir, constants.W_OK | constants.X_OK);
}

/** Who holds a directory whose lock was refused, as its pid file says (best effort, for the message). */
function holderOf(dir: string): string {
  try {
    const pid = Number.parseInt(readFileSync(join(dir, PID_FILE), 'utf8'), 10);
    if (Number.isInteger(pid) && pid > 0) return `pid ${pid}`;
  } catch {
    // Not written yet, or unreadable: the lock alone says the directory is held.
  }
  return `it holds ${join(dir, LOCK_FILE)}`;
}

/**
 * Hold the lock file of `dir`: an OS lock that the kernel releases when the process ends, however
 * it ends (SIGKILL and power loss included), so a lock is never stale and a pid that some
 * unrelated process has since taken blocks nothing.
 *
 * Node has no flock(2); SQLite's locks are POSIX advisory locks (fcntl) taken by the kernel for
 * the process, and SQLite already manages them correctly within one process (several connections,
 * descriptors kept open while locks are held). With `locking_mode = EXCLUSIVE`, `BEGIN EXCLUSIVE`
 * takes the write lock, and the transaction is held open until the store closes: another process
 * (or connection) trying the same gets SQLITE_BUSY at once (busy timeout 0). The transaction
 * changes nothing, so the file stays empty and never needs recovering. It is never deleted: a lock
 * file removed while another process opens it would let two processes each lock "the" file (one of
 * them an unlinked one). The lock is not on the database itself because the store reads through
 * connections of its own, which an exclusive lock would shut out.
 *
 * A lock file that is not an empty database (a pid written by hand, garbage) cannot be held by
 * anyone — a holder's file is empty, and a held file answers SQLITE_BUSY before SQLite reads it —
 * so it is emptied in place and taken.
 */
function holdLock(dir: string): Db {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    let db: Db | undefined;
    try {
      db = new Database(path, { timeout: 0 });
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
      return db;
    } catch (err) {
      db?.close();
      const code = errorCode(err);
      if (code === 'SQLITE_BUSY') throw new DataDirectoryLocked(dir, holderOf(dir));
      if (code !== 'SQLITE_NOTADB' || attempt > 0) throw err;
      truncateSync(path, 0);
    }
  }
}

/** Take the data directory for this store, or explain who holds it. Returns the release. */
function lockDirectory(dir: string): () => void {
  const key = realpathSync(dir);
  if (heldDirectories.has(key)) throw new DataDirectoryLocked(dir, `pid ${process.pid}, this process`);
  const fix = 'move it out of the way (it holds nothing the hub needs)';
  mustBeFile(join(dir, LOCK_FILE), 'its lock', fix);
  mustBeFile(join(dir, PID_FILE), 'the pid of the process using the directory', fix);
  const lock = holdLock(dir);
  const pidFile = join(dir, PID_FILE);
  try {
    writeFileSync(pidFile, `${process.pid}\n`);
  } catch (err) {
    lock.close();
    throw err;
  }
  heldDirectories.add(key);
  return () => {
    heldDirectories.delete(key);
    // The pid file goes first, while the lock is still held: a process that takes the lock next
    // writes its own, which this one can then no longer remove.
    try {
      unlinkSync(pidFile);
    } catch {
      // Already gone: nothing to remove.
    }
    lock.close();
  };
}

/**
 * Statements prepared on first use, not when a connection opens: a read connection is opened
 * whenever more reads overlap than the pool keeps idle, and most reads use two or three of the
 * seventy statements.
 */
function statements<K extends string>(db: Db, sql: Record<K, string>): Record<K, Database.Statement> {
  const prepared = new Map<K, Database.Statement>();
  return new Proxy({} as Record<K, Database.Statement>, {
    get(_target, key) {
      let st = prepared.get(key as K);
      if (st === undefined) {
        const text = sql[key as K];
        if (text === undefined) throw new Error(`no statement ${String(key)}`);
        st = db.prepare(text);
        prepared.set(key as K, st);
      }
      return st;
    },
  });
}

const body = <T>(r: Row | undefined): T | null => (r ? (JSON.parse(String(r.body)) as T) : null);
const bodies = <T>(rows: unknown[]): T[] => (rows as Row[]).map((r) => JSON.parse(String(r.body)) as T);

/**
 * Sealed declarations (docs/blind-matching.md): the record as JSON beside the columns it is found
 * by; its tokens in a row of their own, one BLOB (32 bytes a token), read only to match.
 */
function sealedRepo(db: Db): Tx['sealed'] {
  const q = statements(db, {
    insert:
      'INSERT INTO sealed (id, party, kind, status, start_ms, end_ms, slot_ms, created_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    tokens: 'INSERT INTO sealed_tokens (sealed, tokens) VALUES (?, ?)',
    get: 'SELECT body FROM sealed WHERE id = ?',
    setStatus: "UPDATE sealed SET status = ?, body = json_set(body, '$.status', ?) WHERE id = ?",
    list: `SELECT body FROM sealed WHERE (? IS NULL OR party = ?) AND (? IS NULL OR status = ?)
        ORDER BY created_at, id LIMIT ?`,
    tokensOf: 'SELECT tokens FROM sealed_tokens WHERE sealed = ?',
  });
  return {
    insert: async (r, tokens) => {
      q.insert.run(
        r.id,
        r.party,
        r.kind,
        r.status,
        r.start,
        r.end,
        r.slot_ms,
        r.created_at,
        JSON.stringify(r),
      );
      q.tokens.run(r.id, Buffer.from(tokens.buffer, tokens.byteOffset, tokens.byteLength));
    },
    get: async (id) => body<SealedRecord>(q.get.get(id) as Row | undefined),
    setStatus: async (id, status) => {
      q.setStatus.run(status, status, id);
    },
    list: async (party, status, limit = 10_000) => {
      const s = status ?? null;
      return bodies<SealedRecord>(q.list.all(party, party, s, s, limit));
    },
    tokens: async (id) => {
      const r = q.tokensOf.get(id) as { tokens: Buffer } | undefined;
      return r ? new Uint8Array(r.tokens) : new Uint8Array(0);
    },
  };
}

/** Blind checks (records whole as JSON) and the outputs kept from them. */
function blindRepo(db: Db): Tx['blind'] {
  const q = statements(db, {
    insert:
      'INSERT INTO blind_checks (id, asker, owner, declaration, status, created_at, body) VALUES (?, ?, ?, ?, ?, ?, ?)',
    update: 'UPDATE blind_checks SET status = ?, body = ? WHERE id = ?',
    get: 'SELECT body FROM blind_checks WHERE id = ?',
    openFor: `SELECT body FROM blind_checks WHERE declaration = ?
        AND status IN ('awaiting_blind', 'awaiting_evaluation', 'awaiting_outputs') ORDER BY created_at, id`,
    recent:
      'SELECT body FROM blind_checks WHERE (asker = ? OR owner = ?) AND created_at >= ? ORDER BY created_at DESC, rowid DESC LIMIT ?',
    output:
      'INSERT OR IGNORE INTO blind_outputs (declaration, version, owner, slot_ms, slot, output) VALUES (?, ?, ?, ?, ?, ?)',
    outputs:
      'SELECT * FROM blind_outputs WHERE declaration = ? AND version = ? AND owner = ? AND slot_ms = ? ORDER BY slot, output',
  });
  const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');
  return {
    insert: async (c) => {
      q.insert.run(c.id, c.asker, c.owner, c.declaration, c.status, c.created_at, JSON.stringify(c));
    },
    update: async (c) => {
      q.update.run(c.status, JSON.stringify(c), c.id);
    },
    get: async (id) => body<BlindCheckRecord>(q.get.get(id) as Row | undefined),
    forParty: async (party, statuses, limit = 1000) => {
      if (statuses.length === 0) return [];
      const sql = `SELECT body FROM blind_checks WHERE (asker = ? OR owner = ?) AND status IN (${marks(statuses.length)})
          ORDER BY created_at, id LIMIT ?`;
      return bodies<BlindCheckRecord>(db.prepare(sql).all(party, party, ...statuses, limit));
    },
    withStatus: async (statuses, limit = 10_000) => {
      if (statuses.length === 0) return [];
      const sql = `SELECT body FROM blind_checks WHERE status IN (${marks(statuses.length)}) ORDER BY created_at, id LIMIT ?`;
      return bodies<BlindCheckRecord>(db.prepare(sql).all(...statuses, limit));
    },
    openFor: async (declaration) => bodies<BlindCheckRecord>(q.openFor.all(declaration)),
    recent: async (party, since, limit) => bodies<BlindCheckRecord>(q.recent.all(party, party, since, limit)),
    putOutputs: async (rows) => {
      for (const r of rows) q.output.run(r.declaration, r.version, r.owner, r.slot_ms, r.slot, r.output);
    },
    outputs: async (declaration, version, owner, slot_ms) =>
      (q.outputs.all(declaration, version, owner, slot_ms) as Row[]).map(toBlindOutput),
  };
}

/** The watch's repositories: records kept whole as JSON, with the columns they are found by. */
/** Probes of hidden declarations and the owners' budgets: records whole, with their keys. */
function probeRepo(db: Db): Tx['probes'] {
  const q = statements(db, {
    insert:
      'INSERT INTO probes (id, caller, owner, at, conflict, withheld, body) VALUES (?, ?, ?, ?, ?, ?, ?)',
    count: 'SELECT count(*) AS n FROM probes WHERE owner = ? AND caller = ? AND at >= ?',
    forOwner: 'SELECT body FROM probes WHERE owner = ? AND at >= ? ORDER BY at DESC, rowid DESC LIMIT ?',
    budgets: 'SELECT body FROM probe_budgets WHERE owner = ? ORDER BY caller',
    budget: 'SELECT body FROM probe_budgets WHERE owner = ? AND caller = ?',
    setBudget:
      'INSERT INTO probe_budgets (owner, caller, per_day, body) VALUES (?, ?, ?, ?) ON CONFLICT (owner, caller) DO UPDATE SET per_day = excluded.per_day, body = excluded.body',
  });
  return {
    insert: async (p) => {
      q.insert.run(p.id, p.caller, p.owner, p.at, p.conflict, p.withheld ? 1 : 0, JSON.stringify(p));
    },
    count: async (owner, caller, since) => Number((q.count.get(owner, caller, since) as Row).n),
    listForOwner: async (owner, since, limit) => bodies<ProbeRecord>(q.forOwner.all(owner, since, limit)),
    budgets: async (owner) => bodies<ProbeBudgetRecord>(q.budgets.all(owner)),
    budget: async (owner, caller) => body<ProbeBudgetRecord>(q.budget.get(owner, caller) as Row | undefined),
    setBudget: async (b) => {
      q.setBudget.run(b.owner, b.caller, b.per_day, JSON.stringify(b));
    },
  };
}

/** The transparency log's keys, checkpoints and cosignatures (docs/transparency.md). */
function logRepo(db: Db): Tx['log'] {
  const q = statements(db, {
    keys: 'SELECT * FROM log_keys ORDER BY seq',
    addKey: 'INSERT INTO log_keys (seq, name, public_key, private_key, created_at) VALUES (?, ?, ?, ?, ?)',
    checkpoint: 'SELECT * FROM checkpoints WHERE size = ?',
    latest: 'SELECT * FROM checkpoints ORDER BY size DESC LIMIT 1',
    latestCosigned: 'SELECT * FROM checkpoints WHERE size = (SELECT max(size) FROM cosignatures)',
    cosignedFrom:
      'SELECT * FROM checkpoints WHERE size = (SELECT min(size) FROM cosignatures WHERE size >= ?)',
    put: 'INSERT OR IGNORE INTO checkpoints (size, root, at, note) VALUES (?, ?, ?, ?)',
    cosignatures: 'SELECT * FROM cosignatures WHERE size = ? ORDER BY at, key',
    addCosignature:
      'INSERT OR IGNORE INTO cosignatures (size, key, party, username, signature, at) VALUES (?, ?, ?, ?, ?, ?)',
  });
  return {
    keys: async () =>
      (q.keys.all() as Row[]).map((r) => ({
        seq: Number(r.seq),
        name: String(r.name),
        public_key: String(r.public_key),
        private_key: String(r.private_key),
        created_at: Number(r.created_at),
      })),
    addKey: async (k) => {
      q.addKey.run(k.seq, k.name, k.public_key, k.private_key, k.created_at);
    },
    checkpoint: async (size) => toCheckpoint(q.checkpoint.get(size) as Row | undefined),
    latestCheckpoint: async () => toCheckpoint(q.latest.get() as Row | undefined),
    latestCosigned: async () => toCheckpoint(q.latestCosigned.get() as Row | undefined),
    cosignedFrom: async (size) => toCheckpoint(q.cosignedFrom.get(size) as Row | undefined),
    putCheckpoint: async (c) => {
      q.put.run(c.size, c.root, c.at, c.note);
    },
    cosignatures: async (size) =>
      (q.cosignatures.all(size) as Row[]).map((r) => ({
        size: Number(r.size),
        key: String(r.key),
        party: String(r.party),
        username: String(r.username),
        signature: String(r.signature),
        at: Number(r.at),
      })),
    addCosignature: async (c) => {
      q.addCosignature.run(c.size, c.key, c.party, c.username, c.signature, c.at);
    },
  };
}

/** Members' public keys (docs/transparency.md §4). */
function memberKeyRepo(db: Db): Tx['memberKeys'] {
  const q = statements(db, {
    get: 'SELECT * FROM member_keys WHERE id = ?',
    list: 'SELECT * FROM member_keys WHERE party = ? ORDER BY created_at, id',
    insert:
      'INSERT INTO member_keys (id, username, party, public_key, label, created_at, revoked_at, entry) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    revoke: 'UPDATE member_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
  });
  return {
    get: async (id) => {
      const r = q.get.get(id) as Row | undefined;
      return r ? toKey(r) : null;
    },
    list: async (party) => (q.list.all(party) as Row[]).map(toKey),
    insert: async (k) => {
      q.insert.run(k.id, k.username, k.party, k.public_key, k.label, k.created_at, k.revoked_at, k.entry);
    },
    revoke: async (id, at) => {
      q.revoke.run(at, id);
    },
  };
}

/**
 * Agreements (docs/agreements.md). The agreement's row keeps its record as JSON beside the
 * columns it is looked up by; versions, signatures and the withdrawal have rows of their own.
 */
function agreementRepo(db: Db): Tx['agreements'] {
  const q = statements(db, {
    insert:
      'INSERT INTO agreements (id, status, drafter, version, start_ms, end_ms, created_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    get: 'SELECT body FROM agreements WHERE id = ?',
    update: 'UPDATE agreements SET status = ?, version = ?, start_ms = ?, end_ms = ?, body = ? WHERE id = ?',
    listFor: `SELECT body FROM agreements WHERE (drafter = ? OR id IN (SELECT agreement FROM agreement_readers WHERE party = ?))
        AND (? IS NULL OR status = ?) ORDER BY created_at, id LIMIT ?`,
    putVersion:
      'INSERT OR REPLACE INTO agreement_versions (agreement, version, content_sha256, party, username, at, proposed_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    version: 'SELECT * FROM agreement_versions WHERE agreement = ? AND version = ?',
    versions: 'SELECT * FROM agreement_versions WHERE agreement = ? ORDER BY version',
    reader: 'INSERT OR IGNORE INTO agreement_readers (party, agreement) VALUES (?, ?)',
    sign: 'INSERT INTO agreement_signatures (agreement, version, party, username, key, signed, entry, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    signaturesOf:
      'SELECT * FROM agreement_signatures WHERE agreement = ? AND (? IS NULL OR version = ?) ORDER BY at, entry',
    withdraw:
      'INSERT INTO agreement_withdrawals (agreement, version, party, username, effective, reason, key, signed, entry, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    withdrawal: 'SELECT * FROM agreement_withdrawals WHERE agreement = ?',
  });
  return {
    insert: async (a) => {
      q.insert.run(a.id, a.status, a.drafter, a.version, a.start, a.end, a.created_at, JSON.stringify(a));
    },
    get: async (id) => body<AgreementRecord>(q.get.get(id) as Row | undefined),
    update: async (a) => {
      q.update.run(a.status, a.version, a.start, a.end, JSON.stringify(a), a.id);
    },
    listFor: async (party, status, limit = 1000) => {
      const s = status ?? null;
      return bodies<AgreementRecord>(q.listFor.all(party, party, s, s, limit));
    },
    withStatus: async (statuses) => {
      if (statuses.length === 0) return [];
      const marks = statuses.map(() => '?').join(', ');
      const sql = `SELECT body FROM agreements WHERE status IN (${marks}) ORDER BY created_at, id`;
      return bodies<AgreementRecord>(db.prepare(sql).all(...statuses));
    },
    putVersion: async (v) => {
      q.putVersion.run(
        v.agreement,
        v.version,
        v.content_sha256,
        v.party,
        v.username,
        v.at,
        v.proposed_at,
        JSON.stringify(v.body),
      );
    },
    version: async (id, version) => {
      const r = q.version.get(id, version) as Row | undefined;
      return r ? toVersion(r) : null;
    },
    versions: async (id) => (q.versions.all(id) as Row[]).map(toVersion),
    addReaders: async (id, parties) => {
      for (const party of parties) q.reader.run(party, id);
    },
    addSignature: async (x) => {
      q.sign.run(x.agreement, x.version, x.party, x.username, x.key, JSON.stringify(x.signed), x.entry, x.at);
    },
    signatures: async (id, version) => {
      const v = version ?? null;
      return (q.signaturesOf.all(id, v, v) as Row[]).map(toSignature);
    },
    setWithdrawal: async (w) => {
      q.withdraw.run(
        w.agreement,
        w.version,
        w.party,
        w.username,
        w.effective,
        w.reason,
        w.key,
        JSON.stringify(w.signed),
        w.entry,
        w.at,
      );
    },
    withdrawal: async (id) => {
      const r = q.withdrawal.get(id) as Row | undefined;
      if (!r) return null;
      const w: AgreementWithdrawalRecord = {
        agreement: String(r.agreement),
        version: Number(r.version),
        party: String(r.party),
        username: String(r.username),
        effective: Number(r.effective),
        reason: String(r.reason),
        key: String(r.key),
        signed: JSON.parse(String(r.signed)) as unknown,
        entry: Number(r.entry),
        at: Number(r.at),
      };
      return w;
    },
  };
}

/** Known devices of members (docs/security.md): found by the hash of their token. */
function deviceRepo(db: Db): Tx['devices'] {
  const q = statements(db, {
    insert:
      'INSERT INTO devices (id, hash, username, created_at, last_used_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
    byHash: 'SELECT * FROM devices WHERE hash = ?',
    get: 'SELECT * FROM devices WHERE id = ?',
    byUsername: 'SELECT * FROM devices WHERE username = ? ORDER BY last_used_at DESC, id',
    touch: 'UPDATE devices SET last_used_at = ?, expires_at = ? WHERE id = ?',
    delete: 'DELETE FROM devices WHERE id = ?',
    deleteAll: 'DELETE FROM devices WHERE username = ?',
  });
  const one = (r: unknown): DeviceRecord | null => (r ? toDevice(r as Row) : null);
  return {
    create: async (d) => {
      q.insert.run(d.id, d.hash, d.username, d.created_at, d.last_used_at, d.expires_at);
    },
    getByHash: async (hash) => one(q.byHash.get(hash)),
    get: async (id) => one(q.get.get(id)),
    listByUsername: async (username) => (q.byUsername.all(username) as Row[]).map(toDevice),
    touch: async (id, at, expires_at) => {
      q.touch.run(at, expires_at, id);
    },
    delete: async (id) => {
      q.delete.run(id);
    },
    deleteAllOf: async (username) => {
      q.deleteAll.run(username);
    },
  };
}

function watchRepos(
  db: Db,
): Pick<Tx, 'roster' | 'alerts' | 'events' | 'channels' | 'messages' | 'webhooks' | 'deliveries'> {
  const q = statements(db, {
    shiftInsert: 'INSERT INTO shifts (id, party, start_ms, end_ms, body) VALUES (?, ?, ?, ?, ?)',
    shiftGet: 'SELECT body FROM shifts WHERE id = ?',
    shiftDelete: 'DELETE FROM shifts WHERE id = ?',
    shiftList:
      'SELECT body FROM shifts WHERE party = ? AND start_ms < ? AND end_ms > ? ORDER BY start_ms, id',
    alertInsert:
      'INSERT INTO alerts (id, party, subject_type, subject, status, due_at, created_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    alertGet: 'SELECT body FROM alerts WHERE id = ?',
    alertUpdate: 'UPDATE alerts SET status = ?, due_at = ?, body = ? WHERE id = ?',
    alertSubject: 'SELECT body FROM alerts WHERE subject_type = ? AND subject = ? ORDER BY party, id',
    alertDue:
      "SELECT body FROM alerts WHERE status = 'open' AND due_at IS NOT NULL AND due_at <= ? ORDER BY due_at, id LIMIT ?",
    alertNextDue: "SELECT min(due_at) AS t FROM alerts WHERE status = 'open' AND due_at IS NOT NULL",
    alertCount:
      "SELECT status, json_extract(body, '$.level') AS level, count(*) AS n FROM alerts GROUP BY 1, 2 ORDER BY 1, 2",
    // A party's stream is its own rows merged with the shared feed (feed.ts); every read below
    // walks the primary key (party, seq) or the feed's useq, from the end or from a cursor.
    eventLast: 'SELECT seq, pub FROM events WHERE party = ? ORDER BY seq DESC LIMIT 1',
    eventLastAt: 'SELECT seq, pub FROM events WHERE party = ? AND seq <= ? ORDER BY seq DESC LIMIT 1',
    eventLastBefore: 'SELECT seq, pub FROM events WHERE party = ? AND pub < ? ORDER BY seq DESC LIMIT 1',
    eventInsert: 'INSERT INTO events (party, seq, pub, at, type, data) VALUES (?, ?, ?, ?, ?, ?)',
    eventSince:
      'SELECT seq, pub, at, type, data FROM events WHERE party = ? AND seq > ? ORDER BY seq LIMIT ?',
    feedHead: 'SELECT max(useq) AS u FROM feed',
    feedInsert: 'INSERT INTO feed (useq, at, type, data) VALUES (?, ?, ?, ?)',
    feedSince: 'SELECT useq, at, type, data FROM feed WHERE useq > ? ORDER BY useq LIMIT ?',
    channelInsert: 'INSERT INTO channels (id, body) VALUES (?, ?)',
    channelMember: 'INSERT OR IGNORE INTO channel_parties (party, channel) VALUES (?, ?)',
    channelGet: 'SELECT body FROM channels WHERE id = ?',
    channelMembersClear: 'DELETE FROM channel_parties WHERE channel = ?',
    channelUpdate: 'UPDATE channels SET body = ? WHERE id = ?',
    channelFor:
      'SELECT c.body FROM channel_parties p JOIN channels c ON c.id = p.channel WHERE p.party = ? ORDER BY c.rowid',
    messageInsert: 'INSERT INTO messages (id, channel, seq, body) VALUES (?, ?, ?, ?)',
    messageGet: 'SELECT body FROM messages WHERE id = ?',
    messageUpdate: 'UPDATE messages SET body = ? WHERE id = ?',
    messageList: 'SELECT body FROM messages WHERE channel = ? AND seq > ? ORDER BY seq LIMIT ?',
    messageLast: 'SELECT max(seq) AS s FROM messages WHERE channel = ?',
    webhookInsert: 'INSERT INTO webhooks (id, party, body) VALUES (?, ?, ?)',
    webhookGet: 'SELECT body FROM webhooks WHERE id = ?',
    webhookUpdate: 'UPDATE webhooks SET body = ? WHERE id = ?',
    webhookByParty: 'SELECT body FROM webhooks WHERE party = ? ORDER BY rowid',
    webhookAll: 'SELECT body FROM webhooks ORDER BY rowid',
    deliveryInsert:
      'INSERT INTO deliveries (id, webhook, status, next_at, created_at, body) VALUES (?, ?, ?, ?, ?, ?)',
    deliveryGet: 'SELECT body FROM deliveries WHERE id = ?',
    deliveryUpdate: 'UPDATE deliveries SET status = ?, next_at = ?, body = ? WHERE id = ?',
    deliveryDue:
      "SELECT body FROM deliveries WHERE status = 'pending' AND next_at <= ? ORDER BY next_at, id LIMIT ?",
    deliveryNextDue: "SELECT min(next_at) AS t FROM deliveries WHERE status = 'pending'",
    deliveryByWebhook:
      'SELECT body FROM deliveries WHERE webhook = ? AND (? IS NULL OR status = ?) ORDER BY created_at DESC, rowid DESC LIMIT ?',
  });
  const position = (r: Row | undefined) =>
    r === undefined ? undefined : { seq: Number(r.seq), pub: Number(r.pub) };
  const feedHead = (): number => num(q.feedHead.get() as Row | undefined, 'u') ?? 0;
  const mine = (party: string): number => ownCount(position(q.eventLast.get(party) as Row | undefined));
  const since = (party: string, after: number, limit: number): EventRecord[] => {
    const k = ownCount(position(q.eventLastAt.get(party, after) as Row | undefined));
    const own = (q.eventSince.all(party, after, limit) as Row[]).map(toOwn);
    const shared = (q.feedSince.all(sharedAfter(after, k), limit) as Row[]).map(toShared);
    return mergeStream(party, k, own, shared, limit);
  };
  const num = (r: Row | undefined, k: string): number | null =>
    r === undefined || r[k] === null ? null : Number(r[k]);
  return {
    roster: {
      insert: async (s) => {
        q.shiftInsert.run(s.id, s.party, s.start, s.end, JSON.stringify(s));
      },
      get: async (id) => body<ShiftRecord>(q.shiftGet.get(id) as Row | undefined),
      delete: async (id) => {
        q.shiftDelete.run(id);
      },
      list: async (party, from, to) => bodies<ShiftRecord>(q.shiftList.all(party, to, from)),
    },
    alerts: {
      insert: async (a) => {
        q.alertInsert.run(
          a.id,
          a.party,
          a.subject_type,
          a.subject,
          a.status,
          a.due_at,
          a.created_at,
          JSON.stringify(a),
        );
      },
      get: async (id) => body<AlertRecord>(q.alertGet.get(id) as Row | undefined),
      update: async (a) => {
        q.alertUpdate.run(a.status, a.due_at, JSON.stringify(a), a.id);
      },
      query: async (f: AlertQuery) => {
        const where = ['party = ?'];
        const args: unknown[] = [f.party];
        if (f.status !== undefined) {
          where.push('status = ?');
          args.push(f.status);
        }
        const sql = `SELECT body FROM alerts WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT ?`;
        return bodies<AlertRecord>(db.prepare(sql).all(...args, f.limit ?? 1000));
      },
      forSubject: async (type, subject) => bodies<AlertRecord>(q.alertSubject.all(type, subject)),
      due: async (now, limit) => bodies<AlertRecord>(q.alertDue.all(now, limit)),
      nextDue: async () => num(q.alertNextDue.get() as Row | undefined, 't'),
      countByState: async () =>
        (q.alertCount.all() as Row[]).map((r) => ({
          status: r.status as AlertRecord['status'],
          level: Number(r.level) as AlertLevel,
          count: Number(r.n),
        })),
    },
    events: {
      append: async (e) => {
        const pub = feedHead();
        const seq = mine(e.party) + pub + 1;
        const data = JSON.stringify(e.data) ?? 'null';
        q.eventInsert.run(e.party, seq, pub, e.at, e.type, data);
        return { party: e.party, seq, at: e.at, type: e.type, data: JSON.parse(data) as unknown };
      },
      appendShared: async (e) => {
        const useq = feedHead() + 1;
        const data = JSON.stringify(e.data) ?? 'null';
        q.feedInsert.run(useq, e.at, e.type, data);
        return { useq, at: e.at, type: e.type, data: JSON.parse(data) as unknown };
      },
      seqOf: async (party, useq) =>
        useq + ownCount(position(q.eventLastBefore.get(party, useq) as Row | undefined)),
      get: async (party, seq) => {
        const [e] = seq >= 1 ? since(party, seq - 1, 1) : [];
        return e?.seq === seq ? e : null;
      },
      since: async (party, after, limit) => since(party, after, limit),
      head: async (party) => mine(party) + feedHead(),
    },
    channels: {
      insert: async (c) => {
        q.channelInsert.run(c.id, JSON.stringify(c));
        for (const m of c.members) q.channelMember.run(m.party, c.id);
      },
      get: async (id) => body<ChannelRecord>(q.channelGet.get(id) as Row | undefined),
      update: async (c) => {
        q.channelUpdate.run(JSON.stringify(c), c.id);
        q.channelMembersClear.run(c.id);
        for (const m of c.members) q.channelMember.run(m.party, c.id);
      },
      listFor: async (party) => bodies<ChannelRecord>(q.channelFor.all(party)),
    },
    messages: {
      insert: async (m) => {
        q.messageInsert.run(m.id, m.channel, m.seq, JSON.stringify(m));
      },
      get: async (id) => body<MessageRecord>(q.messageGet.get(id) as Row | undefined),
      update: async (m) => {
        q.messageUpdate.run(JSON.stringify(m), m.id);
      },
      list: async (channel, after, limit) => bodies<MessageRecord>(q.messageList.all(channel, after, limit)),
      lastSeq: async (channel) => num(q.messageLast.get(channel) as Row | undefined, 's') ?? 0,
    },
    webhooks: {
      insert: async (w) => {
        q.webhookInsert.run(w.id, w.party, JSON.stringify(w));
      },
      get: async (id) => body<WebhookRecord>(q.webhookGet.get(id) as Row | undefined),
      update: async (w) => {
        q.webhookUpdate.run(JSON.stringify(w), w.id);
      },
      listByParty: async (party) => bodies<WebhookRecord>(q.webhookByParty.all(party)),
      list: async () => bodies<WebhookRecord>(q.webhookAll.all()),
    },
    deliveries: {
      insert: async (d) => {
        q.deliveryInsert.run(d.id, d.webhook, d.status, d.next_at, d.created_at, JSON.stringify(d));
      },
      get: async (id) => body<DeliveryRecord>(q.deliveryGet.get(id) as Row | undefined),
      update: async (d) => {
        q.deliveryUpdate.run(d.status, d.next_at, JSON.stringify(d), d.id);
      },
      due: async (now, limit) => bodies<DeliveryRecord>(q.deliveryDue.all(now, limit)),
      nextDue: async () => num(q.deliveryNextDue.get() as Row | undefined, 't'),
      listByWebhook: async (webhook, status, limit) =>
        bodies<DeliveryRecord>(q.deliveryByWebhook.all(webhook, status ?? null, status ?? null, limit)),
    },
  };
}

/**
 * The declaration versions one of whose exact boxes meets the query box: bound to its east,
 * west, north, south, then again east, west, north, south.
 */
const BOX_SEARCH =
  'SELECT DISTINCT decl_id, decl_version FROM declaration_boxes WHERE min_lon <= ? AND max_lon >= ? AND min_lat <= ? AND max_lat >= ? AND west <= ? AND east >= ? AND south <= ? AND north >= ?';

/**
 * The SQL of a {@link DeclarationQuery}, or null when it matches nothing (an empty bbox list).
 *
 * With a bbox, the R*Tree drives: its matches (one search per box, on the float bounds; the
 * exact double bounds decide) are joined to their declaration rows, CROSS JOIN keeping that
 * order, then sorted by id. Without one, the rows are read in id order and filtered. `visibleTo`
 * is the rule of `canSee` (hub/views.ts): the party's own, those shown to all, and those whose
 * list names it (a range of declaration_readers' key).
 */
function declarationQuery(f: DeclarationQuery): { sql: string; args: unknown[] } | null {
  const args: unknown[] = [];
  let from = 'declarations AS d';
  if (f.bbox !== undefined) {
    if (f.bbox.length === 0) return null;
    from = `(${f.bbox.map(() => BOX_SEARCH).join(' UNION ')}) AS b CROSS JOIN ${from} ON d.id = b.decl_id AND d.version = b.decl_version`;
    for (const box of f.bbox) {
      const [w, s, e, n] = checkedBox(box);
      args.push(e, w, n, s, e, w, n, s);
    }
  }
  // A page after an id (an export reading everything in id order) walks the primary key from
  // that id: `+` keeps the planner off the status index, which would read every row of that
  // status and sort them for each page.
  return {
    sql: declarationSelect(from, f, args, f.after === undefined ? 'd.status = ?' : '+d.status = ?'),
    args,
  };
}

/** The repositories over one connection. */
function repos(db: Db, storeLeaves = true): Tx {
  const q = statements(db, {
    metaGet: 'SELECT value FROM meta WHERE key = ?',
    metaInit: 'INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)',
    partyInsert: 'INSERT INTO parties (id, name, created_at) VALUES (?, ?, ?)',
    partyGet: 'SELECT * FROM parties WHERE id = ?',
    partyList: 'SELECT * FROM parties ORDER BY id',
    memberInsert:
      'INSERT INTO members (username, party, roles, password_hash, disabled, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    memberGet: 'SELECT * FROM members WHERE username = ?',
    memberByParty: 'SELECT * FROM members WHERE party = ? ORDER BY username',
    hubAdmins: 'SELECT count(*) AS n FROM members WHERE party IS NULL AND disabled = 0',
    tokenInsert:
      'INSERT INTO tokens (id, hash, username, party, roles, kind, name, created_at, expires_at, revoked_at, rate_per_second, rate_burst) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    tokenByHash: 'SELECT * FROM tokens WHERE hash = ?',
    tokenGet: 'SELECT * FROM tokens WHERE id = ?',
    tokenByParty: 'SELECT * FROM tokens WHERE party IS ? ORDER BY created_at, id',
    tokenRevoke: 'UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
    tokenRevokeAll: 'UPDATE tokens SET revoked_at = ? WHERE username = ? AND revoked_at IS NULL',
    declInsert:
      'INSERT INTO declarations (id, version, party, kind, status, start_ms, end_ms, body, created_at, created_by, visibility) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    declReader: 'INSERT INTO declaration_readers (party, id, version) VALUES (?, ?, ?)',
    declBox:
      'INSERT INTO declaration_boxes (min_lon, max_lon, min_lat, max_lat, decl_id, decl_version, west, south, east, north) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    declCurrent: 'SELECT * FROM declarations WHERE id = ? ORDER BY version DESC LIMIT 1',
    declVersion: 'SELECT * FROM declarations WHERE id = ? AND version = ?',
    declVersions: 'SELECT * FROM declarations WHERE id = ? ORDER BY version',
    declStatus: 'UPDATE declarations SET status = ? WHERE id = ? AND version = ?',
    declActive: "SELECT body FROM declarations WHERE status = 'active'",
    declActiveVersions: "SELECT id, version FROM declarations WHERE status = 'active'",
    conflictInsert:
      'INSERT INTO conflicts (id, a, b, a_party, b_party, status, rule, severity, detected_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    conflictParty: 'INSERT OR IGNORE INTO conflict_parties (party, conflict) VALUES (?, ?)',
    conflictGet: 'SELECT body FROM conflicts WHERE id = ?',
    conflictOpenFor: "SELECT body FROM conflicts WHERE (a = ? OR b = ?) AND status = 'open' ORDER BY id",
    conflictCount: 'SELECT status, count(*) AS n FROM conflicts GROUP BY status ORDER BY status',
    conflictUpdate: 'UPDATE conflicts SET status = ?, body = ? WHERE id = ?',
    ledgerInsert: LEDGER_INSERT,
    ledgerHead: 'SELECT * FROM ledger ORDER BY seq DESC LIMIT 1',
    ledgerRange: 'SELECT * FROM ledger WHERE seq >= ? ORDER BY seq LIMIT ?',
    ledgerGet: 'SELECT * FROM ledger WHERE seq = ?',
    // A party's own entries and those that name it in their payload's audience (an
    // acknowledgement of its notification, of its message, of a conflict with it).
    ledgerRangeFor: `SELECT * FROM ledger WHERE seq >= ? AND (party = ? OR (json_type(payload, '$.audience') = 'array'
        AND EXISTS (SELECT 1 FROM json_each(payload, '$.audience') WHERE value = ?))) ORDER BY seq LIMIT ?`,
    ledgerLeaves: 'SELECT seq, leaf FROM ledger WHERE seq >= ? ORDER BY seq LIMIT ?',
  });
  return {
    ...watchRepos(db),
    probes: probeRepo(db),
    devices: deviceRepo(db),
    log: logRepo(db),
    memberKeys: memberKeyRepo(db),
    agreements: agreementRepo(db),
    sealed: sealedRepo(db),
    blind: blindRepo(db),
    meta: {
      get: async (key) => {
        const r = q.metaGet.get(key) as Row | undefined;
        return r ? String(r.value) : null;
      },
      init: async (key, value) => {
        q.metaInit.run(key, value);
        return String((q.metaGet.get(key) as Row).value);
      },
    },
    parties: {
      create: async (p: PartyRecord) => {
        q.partyInsert.run(p.id, p.name, p.created_at);
      },
      get: async (id) => {
        const r = q.partyGet.get(id) as Row | undefined;
        return r ? { id: String(r.id), name: String(r.name), created_at: Number(r.created_at) } : null;
      },
      list: async () =>
        (q.partyList.all() as Row[]).map((r) => ({
          id: String(r.id),
          name: String(r.name),
          created_at: Number(r.created_at),
        })),
    },
    members: {
      create: async (m) => {
        q.memberInsert.run(
          m.username,
          m.party,
          JSON.stringify(m.roles),
          m.password_hash,
          m.disabled ? 1 : 0,
          m.created_at,
        );
      },
      get: async (username) => {
        const r = q.memberGet.get(username) as Row | undefined;
        return r ? toMember(r) : null;
      },
      listByParty: async (party) => (q.memberByParty.all(party) as Row[]).map(toMember),
      update: async (username, change) => {
        const { sets, args } = memberChanges(change);
        if (sets.length > 0)
          db.prepare(`UPDATE members SET ${sets.join(', ')} WHERE username = ?`).run(...args, username);
      },
      countHubAdmins: async () => Number((q.hubAdmins.get() as Row).n),
    },
    tokens: {
      create: async (t) => {
        q.tokenInsert.run(
          t.id,
          t.hash,
          t.username,
          t.party,
          JSON.stringify(t.roles),
          t.kind,
          t.name,
          t.created_at,
          t.expires_at,
          t.revoked_at,
          t.rate?.perSecond ?? null,
          t.rate?.burst ?? null,
        );
      },
      getByHash: async (hash) => {
        const r = q.tokenByHash.get(hash) as Row | undefined;
        return r ? toToken(r) : null;
      },
      get: async (id) => {
        const r = q.tokenGet.get(id) as Row | undefined;
        return r ? toToken(r) : null;
      },
      listByParty: async (party) => (q.tokenByParty.all(party) as Row[]).map(toToken),
      revoke: async (id, at) => {
        q.tokenRevoke.run(at, id);
      },
      revokeAllOf: async (username, at) => {
        q.tokenRevokeAll.run(at, username);
      },
    },
    declarations: {
      insert: async (r) => {
        const f = declarationFootprint(r.decl);
        q.declInsert.run(
          r.id,
          r.version,
          r.party,
          r.kind,
          r.status,
          r.decl.start,
          r.decl.end,
          JSON.stringify(r.decl),
          r.created_at,
          r.created_by,
          f.shown,
        );
        for (const party of f.readers) q.declReader.run(party, r.id, r.version);
        for (const [w, s, e, n] of f.boxes) q.declBox.run(w, e, s, n, r.id, r.version, w, s, e, n);
      },
      current: async (id) => {
        const r = q.declCurrent.get(id) as Row | undefined;
        return r ? toDeclaration(r) : null;
      },
      version: async (id, version) => {
        const r = q.declVersion.get(id, version) as Row | undefined;
        return r ? toDeclaration(r) : null;
      },
      versions: async (id) => (q.declVersions.all(id) as Row[]).map(toDeclaration),
      setStatus: async (id, version, status) => {
        q.declStatus.run(status, id, version);
      },
      query: async (f: DeclarationQuery) => {
        const query = declarationQuery(f);
        return query === null ? [] : (db.prepare(query.sql).all(...query.args) as Row[]).map(toDeclaration);
      },
      active: async () => (q.declActive.all() as Row[]).map((r) => JSON.parse(String(r.body)) as Declaration),
      activeVersions: async () =>
        (q.declActiveVersions.raw().all() as [string, number][]).map(([id, v]) => [String(id), Number(v)]),
    },
    conflicts: {
      insert: async (c) => {
        q.conflictInsert.run(
          c.id,
          c.a,
          c.b,
          c.a_party,
          c.b_party,
          c.status,
          c.rule,
          c.severity,
          c.detected_at,
          JSON.stringify(c),
        );
        for (const party of c.parties ?? []) {
          if (party !== c.a_party && party !== c.b_party) q.conflictParty.run(party, c.id);
        }
      },
      get: async (id) => {
        const r = q.conflictGet.get(id) as Row | undefined;
        return r ? (JSON.parse(String(r.body)) as ConflictRecord) : null;
      },
      query: async (f: ConflictQuery) => {
        const where: string[] = [
          '(a_party = ? OR b_party = ? OR id IN (SELECT conflict FROM conflict_parties WHERE party = ?))',
        ];
        const args: unknown[] = [f.party, f.party, f.party];
        if (f.status !== undefined) {
          where.push('status = ?');
          args.push(f.status);
        }
        if (f.rule !== undefined) {
          where.push('rule = ?');
          args.push(f.rule);
        }
        if (f.severity !== undefined) {
          where.push('severity = ?');
          args.push(f.severity);
        }
        if (f.declaration !== undefined) {
          where.push('(a = ? OR b = ?)');
          args.push(f.declaration, f.declaration);
        }
        const sql = `SELECT body FROM conflicts WHERE ${where.join(' AND ')} ORDER BY detected_at, id LIMIT ?`;
        return (db.prepare(sql).all(...args, f.limit ?? 1000) as Row[]).map(
          (r) => JSON.parse(String(r.body)) as ConflictRecord,
        );
      },
      openFor: async (id) =>
        (q.conflictOpenFor.all(id, id) as Row[]).map((r) => JSON.parse(String(r.body)) as ConflictRecord),
      update: async (c) => {
        q.conflictUpdate.run(c.status, JSON.stringify(c), c.id);
      },
      countByStatus: async () =>
        (q.conflictCount.all() as Row[]).map((r) => ({
          status: r.status as ConflictRecord['status'],
          count: Number(r.n),
        })),
    },
    ledger: {
      append: async (e: NewLedgerEntry) => {
        const { stored, row } = nextLedgerEntry(q.ledgerHead.get() as Row | undefined, e, storeLeaves);
        q.ledgerInsert.run(...row);
        return stored;
      },
      head: async () => {
        const r = q.ledgerHead.get() as Row | undefined;
        return r ? toLedger(r) : null;
      },
      range: async (from, limit) => (q.ledgerRange.all(from, limit) as Row[]).map(toLedger),
      get: async (seq) => {
        const r = q.ledgerGet.get(seq) as Row | undefined;
        return r ? toLedger(r) : null;
      },
      rangeFor: async (party, from, limit) =>
        (q.ledgerRangeFor.all(from, party, party, limit) as Row[]).map(toLedger),
      leaves: async (from, limit) =>
        (q.ledgerLeaves.all(from, limit) as Row[]).map((r) => ({
          seq: Number(r.seq),
          leaf: r.leaf === null ? null : String(r.leaf),
        })),
    },
  };
}

/** The database file of a data directory. */
export function databaseFile(dir: string): string {
  return join(dir, 'deconflict.db');
}

export interface SqliteStoreOptions {
  /** Data directory; the database is `deconflict.db` inside it. */
  readonly dir: string;
  /**
   * The most pages the database may grow to (SQLite's `max_page_count`, pages of 4 KiB): a write
   * that needs more fails exactly as on a full disk (`storage_full`). Unset, only the disk bounds
   * it. Tests fill a store for real with it; an operator could use it as a quota.
   */
  readonly maxPageCount?: number;
  /**
   * Whether an entry's leaf hash is computed when it is appended (default true). Off, the tree
   * computes it from the payload when it next syncs: the same leaf, later. Only the benchmark
   * turns it off, for its "log off" baseline (bench/ledger.bench.ts).
   */
  readonly storeLeaves?: boolean;
}

/** Read connections kept open between reads. */
const IDLE_READERS = 16;

interface Reader {
  readonly db: Db;
  readonly tx: Tx;
}

/** The embedded store, and what opening it did to the data directory's schema. */
export interface SqliteStore extends Store {
  readonly migration: MigrationReport;
}

/**
 * Open (creating if needed) the embedded store in a data directory, bringing its schema to this
 * code's version first (`migrate.ts`).
 *
 * @throws DataDirectoryLocked when another store holds the directory.
 * @throws DataDirectoryTooNew, DataDirectoryUnrecognised or MigrationFailed (see `migrate`).
 * @throws DataDirectoryNotADirectory, DataDirectoryUnwritable, DataDirectoryFileInvalid,
 *   DataDirectoryDamaged or DataDirectoryFull for a fault of the machine (`startupFault`).
 */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const { dir } = options;
  const file = databaseFile(dir);
  // Every fault of the machine (a full disk, a damaged file, a directory the process may not
  // write) becomes an error saying what to do; anything else is a bug and keeps its stack.
  const fault = (err: unknown): unknown => startupFault(err, dir, file) ?? err;
  let release: () => void;
  try {
    prepareDirectory(dir);
    release = lockDirectory(dir);
  } catch (err) {
    throw fault(err);
  }
  const openReader = (): Reader => {
    const db = new Database(file, { readonly: true });
    db.pragma('busy_timeout = 5000');
    return { db, tx: repos(db) };
  };
  let writer: Db | undefined;
  let migration: MigrationReport;
  // Each read runs in its own read transaction (a snapshot), on a connection of its own: reads
  // that overlap in time (they are asynchronous) cannot share one.
  const idle: Reader[] = [];
  try {
    mustBeFile(
      file,
      'its database',
      'check that --data names the right directory, or move it out of the way',
    );
    writer = new Database(file);
    writer.pragma('journal_mode = WAL');
    writer.pragma('synchronous = FULL');
    writer.pragma('busy_timeout = 5000');
    // Foreign keys are checked by each migration before it commits, and on every write after.
    migration = migrate(writer, dir);
    writer.pragma('foreign_keys = ON');
    if (options.maxPageCount !== undefined)
      writer.pragma(`max_page_count = ${Math.max(1, Math.floor(options.maxPageCount))}`);
    idle.push(openReader());
  } catch (err) {
    writer?.close();
    release();
    throw fault(err);
  }
  const txWriter = repos(writer, options.storeLeaves !== false);
  // Rows changed so far by the writer: a commit that changed some wrote to the disk.
  const changes = writer.prepare('SELECT total_changes()').pluck();
  // Each write of a group runs in a savepoint: prepared once, not parsed for every write.
  const savepoint = writer.prepare('SAVEPOINT unit');
  const releaseUnit = writer.prepare('RELEASE unit');
  const rollbackTo = writer.prepare('ROLLBACK TO unit');
  const reading = new Set<Promise<unknown>>();
  // Serialize write transactions: one unit of work at a time, in arrival order.
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;
  /**
   * A full disk is the coded `storage_full` (the transaction was rolled back: nothing of it
   * applied, nothing committed before it lost), and the store is marked full until a write that
   * changed something commits again (`/healthz` reports it).
   */
  const refused = (err: unknown): unknown => {
    if (!isStorageFull(err)) return err;
    markStorage(store, true);
    return storageFullError();
  };
  const store: SqliteStore = {
    migration,
    dialect: 'sqlite',
    // One process holds the data directory (its lock): nobody else writes, nothing to follow.
    shared: false,
    follow: () => () => undefined,
    signal: () => undefined,
    onSignal: () => () => undefined,
    async ping() {
      if (closed) throw new Error('the store is closed');
    },
    tables: () => HUB_TABLES,
    // Each page is one statement on a read connection: a snapshot of its own. Whole-hub export
    // opens the directory itself, so no hub writes meanwhile (the lock).
    async dump(table, cursor, limit) {
      if (closed) throw new Error('the store is closed');
      const reader = idle.pop() ?? openReader();
      try {
        return dumpTable(reader.db, table, cursor, limit);
      } finally {
        idle.push(reader);
      }
    },
    load: (table, rows) =>
      store.transact(async () => {
        loadTable(writer, table, rows);
      }),
    async transact<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
      const [outcome] = await store.transactGroup([work]);
      if (outcome?.status !== 'fulfilled') throw outcome?.reason;
      return outcome.value;
    },
    transactGroup<T>(
      works: readonly ((tx: Tx) => Promise<T>)[],
      options?: GroupOptions,
    ): Promise<PromiseSettledResult<T>[]> {
      const run = async (): Promise<PromiseSettledResult<T>[]> => {
        if (closed) throw new Error('the store is closed');
        try {
          writer.exec('BEGIN IMMEDIATE');
        } catch (err) {
          throw refused(err);
        }
        const before = changes.get() as number;
        const out: PromiseSettledResult<T>[] = [];
        try {
          await options?.first?.(txWriter);
          for (const work of works) {
            // Each unit in a savepoint of its own: one that fails is undone alone, and the others
            // of the group still commit.
            savepoint.run();
            try {
              out.push({ status: 'fulfilled', value: await work(txWriter) });
              releaseUnit.run();
            } catch (err) {
              // A full disk makes SQLite roll the whole transaction back itself: the units before
              // this one are gone too, so the group fails whole (below).
              if (!writer.inTransaction) throw err;
              rollbackTo.run();
              releaseUnit.run();
              out.push({ status: 'rejected', reason: refused(err) });
            }
          }
          // One commit, one fsync (synchronous = FULL), for every unit that succeeded.
          writer.exec(out.some((o) => o.status === 'fulfilled') ? 'COMMIT' : 'ROLLBACK');
          if ((changes.get() as number) > before) markStorage(store, false);
          return out;
        } catch (err) {
          if (writer.inTransaction) writer.exec('ROLLBACK');
          throw refused(err);
        }
      };
      const p = queue.then(run, run);
      queue = p.catch(() => undefined);
      return p;
    },
    read<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
      if (closed) return Promise.reject(new Error('the store is closed'));
      const reader = idle.pop() ?? openReader();
      const run = async (): Promise<T> => {
        reader.db.exec('BEGIN');
        try {
          return await work(reader.tx);
        } catch (err) {
          // A read can need room too (a sort spilling to a temporary file).
          throw refused(err);
        } finally {
          reader.db.exec('COMMIT');
          if (closed || idle.length >= IDLE_READERS) reader.db.close();
          else idle.push(reader);
        }
      };
      return tracked(reading, run());
    },
    async close() {
      if (closed) return;
      closed = true;
      await queue;
      await Promise.all(reading);
      for (const r of idle.splice(0)) r.db.close();
      writer.close();
      release();
    },
  };
  return store;
}
