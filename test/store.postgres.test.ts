/**
 * The PostgreSQL adapter's own promises, beyond the contract every store keeps
 * (test/store.test.ts): migrations at open (once, under a lock, refusing what it does not know),
 * the writers' lock across store objects (as across instances), following another store's
 * writes by LISTEN/NOTIFY and after a lost connection, whole-table dump and load, and an outage
 * of the server (a private cluster stopped and started): coded errors, nothing committed lost,
 * recovery without reopening.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NewLedgerEntry } from '../src/domain/records.ts';
import { DeconflictError } from '../src/errors.ts';
import { verifyChain } from '../src/ledger/chain.ts';
import { SCHEMA_VERSION } from '../src/store/migrate.ts';
import type { Store } from '../src/store/ports.ts';
import { openPostgresStore, type PostgresStore, WRITERS_LOCK } from '../src/store/postgres.ts';
import { DatabaseTooNew, DatabaseUnrecognised, redactUrl } from '../src/store/postgres-errors.ts';
import { PG_SCHEMA_VERSION } from '../src/store/postgres-migrate.ts';
import { runCli } from './support/cli.ts';
import { demoPassword } from './support/hub.ts';
import {
  freshPgDatabase,
  type PgDatabase,
  type PrivatePostgres,
  pgSkip,
  startPrivatePostgres,
  withClient,
} from './support/postgres.ts';
import { api, login, run, type Served, serve } from './support/serve.ts';

const T = Date.UTC(2026, 10, 23, 6);
/** Long enough that only notifications (and reconnections) make `follow` call back in a test. */
const NEVER = 3_600_000;

const entry = (subject: string): NewLedgerEntry => ({
  at: T,
  actor: 'alpha.operator',
  party: 'alpha',
  type: 'test.entry',
  subject,
  payload: { subject, note: 'Mureș crossing — “Arad”' },
});

/** Resolves when `count()` reaches `n` (checked on each call of the follower). */
function calls(): { readonly onChange: () => void; reach(n: number): Promise<void>; readonly count: number } {
  let count = 0;
  const waiting: { n: number; resolve: () => void }[] = [];
  return {
    onChange() {
      count++;
      for (const w of waiting.filter((x) => count >= x.n)) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve();
      }
    },
    reach: (n) => (count >= n ? Promise.resolve() : new Promise((resolve) => waiting.push({ n, resolve }))),
    get count() {
      return count;
    },
  };
}

const codeOf = (err: unknown) => (err instanceof DeconflictError ? err.code : String(err));

const skip = await pgSkip();

describe('PostgreSQL store', { skip }, () => {
  let db: PgDatabase;
  const open: PostgresStore[] = [];
  const openStore = async (url = db.url, followEveryMs = NEVER) => {
    const s = await openPostgresStore({ url, followEveryMs });
    open.push(s);
    return s;
  };
  before(async () => {
    db = await freshPgDatabase();
  });
  after(async () => {
    for (const s of open) await s.close();
    await db?.drop();
  });

  describe('migrations', () => {
    it('is at the embedded store’s schema version, from one baseline', () => {
      assert.equal(PG_SCHEMA_VERSION, SCHEMA_VERSION);
    });

    it('applies the schema at open, once, also when three stores open at the same time', async () => {
      const fresh = await freshPgDatabase();
      try {
        const stores = await Promise.all([1, 2, 3].map(() => openPostgresStore({ url: fresh.url })));
        const applied = stores.map((s) => s.migration.applied.length).sort();
        assert.deepEqual(applied, [0, 0, 1]);
        for (const s of stores) assert.equal(s.migration.to, PG_SCHEMA_VERSION);
        const rows = await withClient(fresh.url, (c) =>
          c.query('SELECT version, name FROM schema_migrations'),
        );
        assert.deepEqual(
          rows.rows.map((r) => [Number(r.version), r.name]),
          [[PG_SCHEMA_VERSION, '0009_baseline']],
        );
        await Promise.all(stores.map((s) => s.close()));
        const again = await openPostgresStore({ url: fresh.url });
        assert.deepEqual(again.migration, { from: PG_SCHEMA_VERSION, to: PG_SCHEMA_VERSION, applied: [] });
        await again.close();
      } finally {
        await fresh.drop();
      }
    });

    it('refuses a database at a newer version, or with the hub’s tables but no version, untouched', async () => {
      const newer = await freshPgDatabase();
      const foreign = await freshPgDatabase();
      try {
        await (await openPostgresStore({ url: newer.url })).close();
        await withClient(newer.url, (c) =>
          c.query("INSERT INTO schema_migrations VALUES (99, '0099_future', 0)"),
        );
        await assert.rejects(openPostgresStore({ url: newer.url }), DatabaseTooNew);
        await withClient(foreign.url, (c) => c.query('CREATE TABLE meta (key text, value text)'));
        await assert.rejects(openPostgresStore({ url: foreign.url }), DatabaseUnrecognised);
        const tables = await withClient(foreign.url, (c) =>
          c.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"),
        );
        assert.deepEqual(
          tables.rows.map((r) => r.table_name),
          ['meta'],
        );
      } finally {
        await newer.drop();
        await foreign.drop();
      }
    });

    it('deconflict migrate --database applies them and says so, without the password', async () => {
      const fresh = await freshPgDatabase();
      try {
        const first = await runCli(['migrate', '--database', fresh.url]);
        assert.equal(first.status, 0, first.err);
        assert.match(first.out, new RegExp(`schema version 0 → ${PG_SCHEMA_VERSION}, applied 0009_baseline`));
        const again = await runCli(['migrate', '--database', fresh.url]);
        assert.match(again.out, /already the latest/);
        const password = new URL(fresh.url).password;
        if (password !== '') assert.ok(!first.out.includes(`:${password}@`));
        const wrong = await runCli(['migrate', '--database', 'mysql://db.example/deconflict']);
        assert.equal(wrong.status, 2);
        assert.match(wrong.err, /must be a postgres:\/\/ URL/);
      } finally {
        await fresh.drop();
      }
    });

    it('deconflict admin create --database makes the first administrator on the database, once', async () => {
      const fresh = await freshPgDatabase();
      try {
        const made = await runCli(
          ['admin', 'create', '--database', fresh.url, '--username', 'ops.admin'],
          'a long enough passphrase\n',
        );
        assert.equal(made.status, 0, made.err);
        assert.match(made.out, /Created hub administrator "ops\.admin"/);
        const store = await openPostgresStore({ url: fresh.url });
        try {
          const m = await store.read((tx) => tx.members.get('ops.admin'));
          assert.deepEqual(m?.roles, ['hub_admin']);
          assert.notEqual(m?.password_hash, 'a long enough passphrase');
          const again = await runCli(
            ['admin', 'create', '--database', fresh.url, '--username', 'ops.admin'],
            'a long enough passphrase\n',
          );
          assert.equal(again.status, 2);
          assert.equal(
            (await store.read((tx) => tx.members.get('ops.admin')))?.password_hash,
            m?.password_hash,
          );
        } finally {
          await store.close();
        }
      } finally {
        await fresh.drop();
      }
    });

    it('serve --database-pool bounds the connections an instance holds: the pool and one listener', async () => {
      const fresh = await freshPgDatabase();
      let node: Served | undefined;
      try {
        const wrong = await run(['serve', '--database', fresh.url, '--database-pool', '1']);
        assert.equal(wrong.status, 2);
        assert.match(wrong.stderr, /--database-pool must be a whole number from 2 to 100, got "1"/);
        const embedded = await run(['serve', '--data', '/nonexistent', '--database-pool', '4']);
        assert.equal(embedded.status, 2);
        assert.match(embedded.stderr, /--database-pool is for --database/);
        node = await serve(['--database', fresh.url, '--database-pool', '2', '--demo']);
        const token = await login(node.url, 'coalition.operator', demoPassword('coalition.operator'));
        // Thirty reads at once, each wanting a connection: they queue for the two.
        const answers = await Promise.all(
          Array.from({ length: 30 }, () => api((node as Served).url, token, 'GET', '/api/v1/declarations')),
        );
        assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]));
        const held = await withClient(fresh.url, async (c) =>
          Number(
            (
              await c.query(
                "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'deconflict'",
              )
            ).rows[0]?.n,
          ),
        );
        assert.ok(held >= 2 && held <= 3, `${held} connections: the pool of 2 and one listening`);
      } finally {
        await node?.stop();
        await fresh.drop();
      }
    });

    it('names the database in errors without its password', async () => {
      const url = 'postgres://hub:s3cret-Pa55@db.example:5433/deconflict?sslmode=require';
      assert.equal(redactUrl(url), 'postgres://hub@db.example:5433/deconflict (password hidden)');
      await assert.rejects(
        openPostgresStore({ url: 'postgres://hub:s3cret-Pa55@127.0.0.1:1/nothing' }),
        (err) => {
          assert.match(
            (err as Error).message,
            /^cannot reach the database at postgres:\/\/hub@127\.0\.0\.1:1\/nothing/,
          );
          assert.doesNotMatch((err as Error).message, /s3cret/);
          return true;
        },
      );
    });
  });

  describe('several stores on one database', () => {
    it('orders writes by one lock: a transaction waits for another store’s, then sees its commit', async () => {
      const a = await openStore();
      const b = await openStore();
      await a.transact((tx) => tx.ledger.append(entry('first')));
      let release = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let holding = () => {};
      const held = new Promise<void>((resolve) => {
        holding = resolve;
      });
      const fromA = a.transact(async (tx) => {
        const e = await tx.ledger.append(entry('a'));
        holding();
        await gate;
        return e;
      });
      await held;
      const fromB = b.transact(async (tx) => tx.ledger.append(entry('b')));
      // B's transaction is waiting for the writers' lock A holds (seen in the server's lock table).
      await withClient(db.url, async (c) => {
        for (;;) {
          const r = await c.query(
            "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = $1",
            [WRITERS_LOCK & 0xffffffff],
          );
          if (r.rows[0].n > 0) return;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      });
      release();
      const [ea, eb] = await Promise.all([fromA, fromB]);
      assert.equal(ea.seq, 2);
      assert.equal(eb.seq, 3);
      assert.equal(eb.prev_hash, ea.hash);
      const all = await b.read((tx) => tx.ledger.range(1, 10));
      assert.deepEqual(verifyChain(all), { ok: true, entries: 3 });
    });

    it('tells a following store of another’s commits, not of its own', async () => {
      const a = await openStore();
      const b = await openStore();
      const seenByA = calls();
      const seenByB = calls();
      const stopA = a.follow(seenByA.onChange);
      const stopB = b.follow(seenByB.onChange);
      // Both listen once a write of each reaches the other (notifications go to listeners only).
      for (let i = 0; seenByB.count === 0; i++) {
        await a.transact((tx) => tx.parties.create({ id: `p${i}`, name: 'Alpha', created_at: T }));
        await Promise.race([seenByB.reach(1), new Promise((resolve) => setTimeout(resolve, 50))]);
      }
      const aBefore = seenByA.count;
      await b.transact((tx) => tx.parties.create({ id: 'bravo', name: 'Bravo', created_at: T }));
      await seenByA.reach(aBefore + 1);
      // A read-only transaction announces nothing; A's own writes do not call A back.
      const bBefore = seenByB.count;
      await a.transact((tx) => tx.parties.get('bravo'));
      await a.transact((tx) => tx.parties.create({ id: 'charlie', name: 'Charlie', created_at: T }));
      await seenByB.reach(bBefore + 1);
      assert.equal(seenByA.count, aBefore + 1);
      stopA();
      stopB();
    });

    it('carries a signal to the other stores listening on its topic, not to itself or other topics', async () => {
      const a = await openStore();
      const b = await openStore();
      const heardByA: string[] = [];
      const heardByB: string[] = [];
      const otherTopic: string[] = [];
      const stops = [
        a.onSignal('logins', (m) => heardByA.push(m)),
        b.onSignal('logins', (m) => heardByB.push(m)),
        b.onSignal('elsewhere', (m) => otherTopic.push(m)),
      ];
      // A signal goes to those listening when it is sent: send until B's listener is up.
      for (let i = 0; heardByB.length === 0; i++) {
        a.signal('logins', `hello ${i}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      b.signal('logins', 'from b');
      await new Promise<void>((resolve) => {
        const check = () => (heardByA.includes('from b') ? resolve() : setTimeout(check, 10));
        check();
      });
      assert.ok(
        heardByB.every((m) => m.startsWith('hello ')),
        'B hears A, never itself',
      );
      assert.ok(
        heardByA.every((m) => m === 'from b'),
        'A hears B, never itself',
      );
      assert.deepEqual(otherTopic, []);
      for (const stop of stops) stop();
    });

    it('calls back after its listening connection was killed, and listens again', async () => {
      const a = await openStore();
      const b = await openStore();
      const seen = calls();
      b.follow(seen.onChange);
      const listener = async () =>
        withClient(db.url, async (c) => {
          for (;;) {
            const r = await c.query(
              "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'",
            );
            if (r.rows.length > 0) return r.rows.map((x) => Number(x.pid));
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
        });
      const [pid] = await listener();
      await withClient(db.url, (c) => c.query('SELECT pg_terminate_backend($1)', [pid]));
      // Nothing was written: the call is the catch-up after the connection came back.
      await seen.reach(1);
      const [again] = await listener();
      assert.notEqual(again, pid);
      await a.transact((tx) => tx.parties.create({ id: 'after-kill', name: 'After', created_at: T }));
      await seen.reach(2);
    });
  });

  describe('whole-table dump and load', () => {
    it('moves every table to another database unchanged, page by page', async () => {
      const source = await freshPgDatabase();
      const from = await openStore(source.url);
      await from.transact(async (tx) => {
        await tx.parties.create({ id: 'alpha', name: 'Alpha', created_at: T });
        await tx.ledger.append(entry('one'));
        await tx.ledger.append(entry('two'));
        await tx.sealed.insert(
          {
            id: 'sealed-1',
            party: 'alpha',
            kind: 'strike',
            status: 'active',
            start: T,
            end: T + 1,
            slot_ms: 60_000,
            created_at: T,
          } as never,
          new Uint8Array(64).fill(7),
        );
        for (const id of ['w3', 'w1', 'w2'])
          await tx.webhooks.insert({ id, party: 'alpha', url: `https://hooks.example/${id}` } as never);
      });
      const target = await freshPgDatabase();
      try {
        const to = await openPostgresStore({ url: target.url, followEveryMs: NEVER });
        const dumpAll = async (s: Store) => {
          const out: Record<string, unknown[]> = {};
          for (const table of s.tables()) {
            const rows: unknown[] = [];
            for (let cursor: string | null = null; ; ) {
              const page: Awaited<ReturnType<Store['dump']>> = await s.dump(table, cursor, 1);
              rows.push(...page.rows);
              cursor = page.next;
              if (cursor === null) break;
            }
            out[table] = rows;
          }
          return out;
        };
        const dumped = await dumpAll(from);
        for (const table of to.tables()) await to.load(table, dumped[table] as never);
        assert.deepEqual(await dumpAll(to), dumped);
        assert.deepEqual(
          (await to.read((tx) => tx.webhooks.list())).map((w) => w.id),
          ['w3', 'w1', 'w2'],
          'the order rows were written survives',
        );
        assert.deepEqual(await to.read((tx) => tx.sealed.tokens('sealed-1')), new Uint8Array(64).fill(7));
        assert.deepEqual(verifyChain(await to.read((tx) => tx.ledger.range(1, 10))), {
          ok: true,
          entries: 2,
        });
        await assert.rejects(to.dump('schema_migrations', null, 10), RangeError);
        await assert.rejects(
          to.load('parties', [{ id: 'x', name: 'X', created_at: T, evil: 1 }]),
          RangeError,
        );
        await to.close();
      } finally {
        await from.close();
        await source.drop();
        await target.drop();
      }
    });
  });
});

describe('PostgreSQL store, the server stopped and started', { skip }, () => {
  let server: PrivatePostgres;
  before(async () => {
    server = await startPrivatePostgres();
  });
  after(() => server?.destroy());

  it('answers store_unavailable while the server is down, and recovers without reopening', async () => {
    const store = await openPostgresStore({ url: server.url, followEveryMs: NEVER });
    try {
      const seen = calls();
      store.follow(seen.onChange);
      await store.transact((tx) => tx.ledger.append(entry('before')));
      server.stop();
      await assert.rejects(
        store.transact((tx) => tx.ledger.append(entry('during'))),
        (err) => {
          assert.equal(codeOf(err), 'store_unavailable');
          return true;
        },
      );
      await assert.rejects(
        store.read((tx) => tx.ledger.head()),
        (err) => codeOf(err) === 'store_unavailable',
      );
      await assert.rejects(store.ping(), (err) => codeOf(err) === 'store_unavailable');
      server.start();
      // The first attempts may meet connections the pool still held from before: each failure is
      // coded, and the store gets through without being reopened.
      let attempts = 0;
      for (;;) {
        attempts++;
        try {
          await store.transact((tx) => tx.ledger.append(entry('after')));
          break;
        } catch (err) {
          assert.equal(codeOf(err), 'store_unavailable');
          assert.ok(attempts < 50, 'the store recovers');
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      await store.ping();
      const all = await store.read((tx) => tx.ledger.range(1, 10));
      assert.deepEqual(
        all.map((e) => e.subject),
        ['before', 'after'],
      );
      assert.deepEqual(verifyChain(all), { ok: true, entries: 2 });
      // The follower came back too, and said so.
      await seen.reach(1);
    } finally {
      await store.close();
    }
  });
});
