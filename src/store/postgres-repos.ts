import type {
  AgreementRecord,
  AlertLevel,
  AlertRecord,
  BlindCheckRecord,
  ChannelRecord,
  ConflictRecord,
  DeliveryRecord,
  EventRecord,
  MessageRecord,
  NewLedgerEntry,
  ProbeBudgetRecord,
  ProbeRecord,
  SealedRecord,
  ShiftRecord,
  WebhookRecord,
} from '../domain/records.ts';
import type { Declaration } from '../engine/types.ts';
import { mergeStream, ownCount, sharedAfter } from './feed.ts';
import { declarationFootprint } from './footprint.ts';
import type { DeclarationQuery, Tx } from './ports.ts';
import {
  checkedBox,
  declarationSelect,
  LEDGER_INSERT,
  memberChanges,
  nextLedgerEntry,
  num,
  type Row,
  str,
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
} from './rows.ts';

export type { Row } from './rows.ts';

export type Value = string | number | boolean | null | Buffer;

/** One connection as the repositories use it. */
export interface Conn {
  all(sql: string, args?: readonly Value[]): Promise<Row[]>;
  run(sql: string, args?: readonly Value[]): Promise<void>;
}

const numberedCache = new Map<string, string>();

/** A statement with `?` placeholders as PostgreSQL numbers them (`$1, $2, ...`). */
export function numbered(sql: string): string {
  let out = numberedCache.get(sql);
  if (out === undefined) {
    let n = 0;
    out = sql.replace(/\?/g, () => `$${++n}`);
    numberedCache.set(sql, out);
  }
  return out;
}

const one = async (c: Conn, sql: string, args: readonly Value[] = []): Promise<Row | undefined> =>
  (await c.all(sql, args))[0];
const body = <T>(r: Row | undefined): T | null => (r ? (JSON.parse(String(r.body)) as T) : null);
const bodies = <T>(rows: readonly Row[]): T[] => rows.map((r) => JSON.parse(String(r.body)) as T);
const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/**
 * The declaration versions one of whose boxes meets the query box: the GiST index on the box
 * finds candidates (`&&` of two boxes; PostgreSQL's geometric operators compare within 1e-6, so a
 * few that miss by less may come too), and the exact comparisons decide, touching counting. Bound
 * to west, south, east, north, then east, west, north, south.
 */
const BOX_SEARCH = `SELECT DISTINCT decl_id, decl_version FROM declaration_boxes
  WHERE box(point(west, south), point(east, north)) && box(point(?::float8, ?::float8), point(?::float8, ?::float8))
  AND west <= ? AND east >= ? AND south <= ? AND north >= ?`;

/** The SQL of a {@link DeclarationQuery} (the rules of sqlite.ts's), or null when it matches nothing. */
function declarationQuery(f: DeclarationQuery): { sql: string; args: Value[] } | null {
  const args: Value[] = [];
  let from = 'declarations AS d';
  if (f.bbox !== undefined) {
    if (f.bbox.length === 0) return null;
    from = `(${f.bbox.map(() => BOX_SEARCH).join(' UNION ')}) AS b JOIN ${from} ON d.id = b.decl_id AND d.version = b.decl_version`;
    for (const box of f.bbox) {
      const [w, s, e, n] = checkedBox(box);
      args.push(w, s, e, n, e, w, n, s);
    }
  }
  return { sql: declarationSelect(from, f, args), args };
}

function accountRepos(c: Conn): Pick<Tx, 'meta' | 'parties' | 'members' | 'tokens' | 'devices'> {
  const device = async (sql: string, arg: string) => {
    const r = await one(c, sql, [arg]);
    return r ? toDevice(r) : null;
  };
  const token = async (sql: string, arg: string) => {
    const r = await one(c, sql, [arg]);
    return r ? toToken(r) : null;
  };
  return {
    meta: {
      get: async (key) => str((await one(c, 'SELECT value FROM meta WHERE key = ?', [key]))?.value),
      init: async (key, value) => {
        await c.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING', [key, value]);
        return String((await one(c, 'SELECT value FROM meta WHERE key = ?', [key]))?.value);
      },
    },
    parties: {
      create: async (p) => {
        await c.run('INSERT INTO parties (id, name, created_at) VALUES (?, ?, ?)', [
          p.id,
          p.name,
          p.created_at,
        ]);
      },
      get: async (id) => {
        const r = await one(c, 'SELECT * FROM parties WHERE id = ?', [id]);
        return r ? { id: String(r.id), name: String(r.name), created_at: Number(r.created_at) } : null;
      },
      list: async () =>
        (await c.all('SELECT * FROM parties ORDER BY id')).map((r) => ({
          id: String(r.id),
          name: String(r.name),
          created_at: Number(r.created_at),
        })),
    },
    members: {
      create: async (m) => {
        await c.run(
          'INSERT INTO members (username, party, roles, password_hash, disabled, created_at) VALUES (?, ?, ?, ?, ?, ?)',
          [m.username, m.party, JSON.stringify(m.roles), m.password_hash, m.disabled ? 1 : 0, m.created_at],
        );
      },
      get: async (username) => {
        const r = await one(c, 'SELECT * FROM members WHERE username = ?', [username]);
        return r ? toMember(r) : null;
      },
      listByParty: async (party) =>
        (await c.all('SELECT * FROM members WHERE party = ? ORDER BY username', [party])).map(toMember),
      update: async (username, change) => {
        const { sets, args } = memberChanges(change);
        if (sets.length > 0)
          await c.run(`UPDATE members SET ${sets.join(', ')} WHERE username = ?`, [...args, username]);
      },
      countHubAdmins: async () =>
        Number(
          (await one(c, 'SELECT count(*) AS n FROM members WHERE party IS NULL AND disabled = 0'))?.n ?? 0,
        ),
    },
    tokens: {
      create: async (t) => {
        await c.run(
          'INSERT INTO tokens (id, hash, username, party, roles, kind, name, created_at, expires_at, revoked_at, rate_per_second, rate_burst) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
          [
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
          ],
        );
      },
      getByHash: (hash) => token('SELECT * FROM tokens WHERE hash = ?', hash),
      get: (id) => token('SELECT * FROM tokens WHERE id = ?', id),
      listByParty: async (party) =>
        (
          await c.all(
            'SELECT * FROM tokens WHERE party IS NOT DISTINCT FROM ?::text ORDER BY created_at, id',
            [party],
          )
        ).map(toToken),
      revoke: async (id, at) => {
        await c.run('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [at, id]);
      },
      revokeAllOf: async (username, at) => {
        await c.run('UPDATE tokens SET revoked_at = ? WHERE username = ? AND revoked_at IS NULL', [
          at,
          username,
        ]);
      },
    },
    devices: {
      create: async (d) => {
        await c.run(
          'INSERT INTO devices (id, hash, username, created_at, last_used_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
          [d.id, d.hash, d.username, d.created_at, d.last_used_at, d.expires_at],
        );
      },
      getByHash: (hash) => device('SELECT * FROM devices WHERE hash = ?', hash),
      get: (id) => device('SELECT * FROM devices WHERE id = ?', id),
      listByUsername: async (username) =>
        (
          await c.all('SELECT * FROM devices WHERE username = ? ORDER BY last_used_at DESC, id', [username])
        ).map(toDevice),
      touch: async (id, at, expires_at) => {
        await c.run('UPDATE devices SET last_used_at = ?, expires_at = ? WHERE id = ?', [at, expires_at, id]);
      },
      delete: async (id) => {
        await c.run('DELETE FROM devices WHERE id = ?', [id]);
      },
      deleteAllOf: async (username) => {
        await c.run('DELETE FROM devices WHERE username = ?', [username]);
      },
    },
  };
}

function declarationRepos(c: Conn): Pick<Tx, 'declarations' | 'conflicts'> {
  const declOne = async (sql: string, args: Value[]) => {
    const r = await one(c, sql, args);
    return r ? toDeclaration(r) : null;
  };
  return {
    declarations: {
      insert: async (r) => {
        const f = declarationFootprint(r.decl);
        await c.run(
          'INSERT INTO declarations (id, version, party, kind, status, start_ms, end_ms, body, created_at, created_by, visibility) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
          [
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
          ],
        );
        for (const party of f.readers)
          await c.run('INSERT INTO declaration_readers (party, id, version) VALUES (?, ?, ?)', [
            party,
            r.id,
            r.version,
          ]);
        for (const [w, s, e, n] of f.boxes)
          await c.run(
            'INSERT INTO declaration_boxes (min_lon, max_lon, min_lat, max_lat, decl_id, decl_version, west, south, east, north) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
            [w, e, s, n, r.id, r.version, w, s, e, n],
          );
      },
      current: (id) => declOne('SELECT * FROM declarations WHERE id = ? ORDER BY version DESC LIMIT 1', [id]),
      version: (id, version) =>
        declOne('SELECT * FROM declarations WHERE id = ? AND version = ?', [id, version]),
      versions: async (id) =>
        (await c.all('SELECT * FROM declarations WHERE id = ? ORDER BY version', [id])).map(toDeclaration),
      setStatus: async (id, version, status) => {
        await c.run('UPDATE declarations SET status = ? WHERE id = ? AND version = ?', [status, id, version]);
      },
      query: async (f) => {
        const query = declarationQuery(f);
        return query === null ? [] : (await c.all(query.sql, query.args)).map(toDeclaration);
      },
      active: async () =>
        bodies<Declaration>(await c.all("SELECT body FROM declarations WHERE status = 'active'")),
      activeVersions: async () =>
        (await c.all("SELECT id, version FROM declarations WHERE status = 'active'")).map(
          (r): [string, number] => [String(r.id), Number(r.version)],
        ),
    },
    conflicts: {
      insert: async (x) => {
        await c.run(
          'INSERT INTO conflicts (id, a, b, a_party, b_party, status, rule, severity, detected_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
          [
            x.id,
            x.a,
            x.b,
            x.a_party,
            x.b_party,
            x.status,
            x.rule,
            x.severity,
            x.detected_at,
            JSON.stringify(x),
          ],
        );
        for (const party of x.parties ?? []) {
          if (party !== x.a_party && party !== x.b_party)
            await c.run(
              'INSERT INTO conflict_parties (party, conflict) VALUES (?, ?) ON CONFLICT DO NOTHING',
              [party, x.id],
            );
        }
      },
      get: async (id) => body<ConflictRecord>(await one(c, 'SELECT body FROM conflicts WHERE id = ?', [id])),
      query: async (f) => {
        const where: string[] = [
          '(a_party = ? OR b_party = ? OR id IN (SELECT conflict FROM conflict_parties WHERE party = ?))',
        ];
        const args: Value[] = [f.party, f.party, f.party];
        const filter = (condition: string, ...values: Value[]) => {
          where.push(condition);
          args.push(...values);
        };
        if (f.status !== undefined) filter('status = ?', f.status);
        if (f.rule !== undefined) filter('rule = ?', f.rule);
        if (f.severity !== undefined) filter('severity = ?', f.severity);
        if (f.declaration !== undefined) filter('(a = ? OR b = ?)', f.declaration, f.declaration);
        const sql = `SELECT body FROM conflicts WHERE ${where.join(' AND ')} ORDER BY detected_at, id LIMIT ?`;
        return bodies<ConflictRecord>(await c.all(sql, [...args, f.limit ?? 1000]));
      },
      openFor: async (id) =>
        bodies<ConflictRecord>(
          await c.all("SELECT body FROM conflicts WHERE (a = ? OR b = ?) AND status = 'open' ORDER BY id", [
            id,
            id,
          ]),
        ),
      update: async (x) => {
        await c.run('UPDATE conflicts SET status = ?, body = ? WHERE id = ?', [
          x.status,
          JSON.stringify(x),
          x.id,
        ]);
      },
      countByStatus: async () =>
        (await c.all('SELECT status, count(*) AS n FROM conflicts GROUP BY status ORDER BY status')).map(
          (r) => ({
            status: r.status as ConflictRecord['status'],
            count: Number(r.n),
          }),
        ),
    },
  };
}

function ledgerRepos(c: Conn, storeLeaves: boolean): Pick<Tx, 'ledger' | 'log' | 'memberKeys'> {
  const head = () => one(c, 'SELECT * FROM ledger ORDER BY seq DESC LIMIT 1');
  return {
    ledger: {
      append: async (e: NewLedgerEntry) => {
        const { stored, row } = nextLedgerEntry(await head(), e, storeLeaves);
        await c.run(LEDGER_INSERT, row);
        return stored;
      },
      head: async () => {
        const r = await head();
        return r ? toLedger(r) : null;
      },
      range: async (from, limit) =>
        (await c.all('SELECT * FROM ledger WHERE seq >= ? ORDER BY seq LIMIT ?', [from, limit])).map(
          toLedger,
        ),
      get: async (seq) => {
        const r = await one(c, 'SELECT * FROM ledger WHERE seq = ?', [seq]);
        return r ? toLedger(r) : null;
      },
      // A party's own entries and those that name it in their payload's audience.
      rangeFor: async (party, from, limit) =>
        (
          await c.all(
            `SELECT * FROM ledger WHERE seq >= ? AND (party = ? OR (jsonb_typeof(payload::jsonb -> 'audience') = 'array'
              AND (payload::jsonb -> 'audience') @> jsonb_build_array(?::text))) ORDER BY seq LIMIT ?`,
            [from, party, party, limit],
          )
        ).map(toLedger),
      leaves: async (from, limit) =>
        (await c.all('SELECT seq, leaf FROM ledger WHERE seq >= ? ORDER BY seq LIMIT ?', [from, limit])).map(
          (r) => ({ seq: Number(r.seq), leaf: str(r.leaf) }),
        ),
    },
    log: {
      keys: async () =>
        (await c.all('SELECT * FROM log_keys ORDER BY seq')).map((r) => ({
          seq: Number(r.seq),
          name: String(r.name),
          public_key: String(r.public_key),
          private_key: String(r.private_key),
          created_at: Number(r.created_at),
        })),
      addKey: async (k) => {
        await c.run(
          'INSERT INTO log_keys (seq, name, public_key, private_key, created_at) VALUES (?, ?, ?, ?, ?)',
          [k.seq, k.name, k.public_key, k.private_key, k.created_at],
        );
      },
      checkpoint: async (size) =>
        toCheckpoint(await one(c, 'SELECT * FROM checkpoints WHERE size = ?', [size])),
      latestCheckpoint: async () =>
        toCheckpoint(await one(c, 'SELECT * FROM checkpoints ORDER BY size DESC LIMIT 1')),
      latestCosigned: async () =>
        toCheckpoint(
          await one(c, 'SELECT * FROM checkpoints WHERE size = (SELECT max(size) FROM cosignatures)'),
        ),
      cosignedFrom: async (size) =>
        toCheckpoint(
          await one(
            c,
            'SELECT * FROM checkpoints WHERE size = (SELECT min(size) FROM cosignatures WHERE size >= ?)',
            [size],
          ),
        ),
      putCheckpoint: async (x) => {
        await c.run(
          'INSERT INTO checkpoints (size, root, at, note) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
          [x.size, x.root, x.at, x.note],
        );
      },
      cosignatures: async (size) =>
        (await c.all('SELECT * FROM cosignatures WHERE size = ? ORDER BY at, key', [size])).map((r) => ({
          size: Number(r.size),
          key: String(r.key),
          party: String(r.party),
          username: String(r.username),
          signature: String(r.signature),
          at: Number(r.at),
        })),
      addCosignature: async (x) => {
        await c.run(
          'INSERT INTO cosignatures (size, key, party, username, signature, at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
          [x.size, x.key, x.party, x.username, x.signature, x.at],
        );
      },
    },
    memberKeys: {
      get: async (id) => {
        const r = await one(c, 'SELECT * FROM member_keys WHERE id = ?', [id]);
        return r ? toKey(r) : null;
      },
      list: async (party) =>
        (await c.all('SELECT * FROM member_keys WHERE party = ? ORDER BY created_at, id', [party])).map(
          toKey,
        ),
      insert: async (k) => {
        await c.run(
          'INSERT INTO member_keys (id, username, party, public_key, label, created_at, revoked_at, entry) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          [k.id, k.username, k.party, k.public_key, k.label, k.created_at, k.revoked_at, k.entry],
        );
      },
      revoke: async (id, at) => {
        await c.run('UPDATE member_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [at, id]);
      },
    },
  };
}

function watchRepos(c: Conn): Pick<Tx, 'roster' | 'alerts' | 'events'> {
  const position = (r: Row | undefined) =>
    r === undefined ? undefined : { seq: Number(r.seq), pub: Number(r.pub) };
  const feedHead = async (): Promise<number> =>
    num(await one(c, 'SELECT max(useq) AS u FROM feed'), 'u') ?? 0;
  const mine = async (party: string): Promise<number> =>
    ownCount(
      position(
        await one(c, 'SELECT seq, pub FROM events WHERE party = ? ORDER BY seq DESC LIMIT 1', [party]),
      ),
    );
  const since = async (party: string, after: number, limit: number): Promise<EventRecord[]> => {
    const k = ownCount(
      position(
        await one(c, 'SELECT seq, pub FROM events WHERE party = ? AND seq <= ? ORDER BY seq DESC LIMIT 1', [
          party,
          after,
        ]),
      ),
    );
    const own = (
      await c.all(
        'SELECT seq, pub, at, type, data FROM events WHERE party = ? AND seq > ? ORDER BY seq LIMIT ?',
        [party, after, limit],
      )
    ).map(toOwn);
    const shared = (
      await c.all('SELECT useq, at, type, data FROM feed WHERE useq > ? ORDER BY useq LIMIT ?', [
        sharedAfter(after, k),
        limit,
      ])
    ).map(toShared);
    return mergeStream(party, k, own, shared, limit);
  };
  return {
    roster: {
      insert: async (s) => {
        await c.run('INSERT INTO shifts (id, party, start_ms, end_ms, body) VALUES (?, ?, ?, ?, ?)', [
          s.id,
          s.party,
          s.start,
          s.end,
          JSON.stringify(s),
        ]);
      },
      get: async (id) => body<ShiftRecord>(await one(c, 'SELECT body FROM shifts WHERE id = ?', [id])),
      delete: async (id) => {
        await c.run('DELETE FROM shifts WHERE id = ?', [id]);
      },
      list: async (party, from, to) =>
        bodies<ShiftRecord>(
          await c.all(
            'SELECT body FROM shifts WHERE party = ? AND start_ms < ? AND end_ms > ? ORDER BY start_ms, id',
            [party, to, from],
          ),
        ),
    },
    alerts: {
      insert: async (a) => {
        await c.run(
          'INSERT INTO alerts (id, party, subject_type, subject, status, due_at, created_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          [a.id, a.party, a.subject_type, a.subject, a.status, a.due_at, a.created_at, JSON.stringify(a)],
        );
      },
      get: async (id) => body<AlertRecord>(await one(c, 'SELECT body FROM alerts WHERE id = ?', [id])),
      update: async (a) => {
        await c.run('UPDATE alerts SET status = ?, due_at = ?, body = ? WHERE id = ?', [
          a.status,
          a.due_at,
          JSON.stringify(a),
          a.id,
        ]);
      },
      query: async (f) => {
        const where = ['party = ?'];
        const args: Value[] = [f.party];
        if (f.status !== undefined) {
          where.push('status = ?');
          args.push(f.status);
        }
        const sql = `SELECT body FROM alerts WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT ?`;
        return bodies<AlertRecord>(await c.all(sql, [...args, f.limit ?? 1000]));
      },
      forSubject: async (type, subject) =>
        bodies<AlertRecord>(
          await c.all('SELECT body FROM alerts WHERE subject_type = ? AND subject = ? ORDER BY party, id', [
            type,
            subject,
          ]),
        ),
      due: async (now, limit) =>
        bodies<AlertRecord>(
          await c.all(
            "SELECT body FROM alerts WHERE status = 'open' AND due_at IS NOT NULL AND due_at <= ? ORDER BY due_at, id LIMIT ?",
            [now, limit],
          ),
        ),
      nextDue: async () =>
        num(
          await one(c, "SELECT min(due_at) AS t FROM alerts WHERE status = 'open' AND due_at IS NOT NULL"),
          't',
        ),
      countByState: async () =>
        (
          await c.all(
            "SELECT status, (body::jsonb ->> 'level')::bigint AS level, count(*) AS n FROM alerts GROUP BY 1, 2 ORDER BY 1, 2",
          )
        ).map((r) => ({
          status: r.status as AlertRecord['status'],
          level: Number(r.level) as AlertLevel,
          count: Number(r.n),
        })),
    },
    events: {
      append: async (e) => {
        const pub = await feedHead();
        const seq = (await mine(e.party)) + pub + 1;
        const data = JSON.stringify(e.data) ?? 'null';
        await c.run('INSERT INTO events (party, seq, pub, at, type, data) VALUES (?, ?, ?, ?, ?, ?)', [
          e.party,
          seq,
          pub,
          e.at,
          e.type,
          data,
        ]);
        return { party: e.party, seq, at: e.at, type: e.type, data: JSON.parse(data) as unknown };
      },
      appendShared: async (e) => {
        const useq = (await feedHead()) + 1;
        const data = JSON.stringify(e.data) ?? 'null';
        await c.run('INSERT INTO feed (useq, at, type, data) VALUES (?, ?, ?, ?)', [
          useq,
          e.at,
          e.type,
          data,
        ]);
        return { useq, at: e.at, type: e.type, data: JSON.parse(data) as unknown };
      },
      seqOf: async (party, useq) =>
        useq +
        ownCount(
          position(
            await one(
              c,
              'SELECT seq, pub FROM events WHERE party = ? AND pub < ? ORDER BY seq DESC LIMIT 1',
              [party, useq],
            ),
          ),
        ),
      get: async (party, seq) => {
        const [e] = seq >= 1 ? await since(party, seq - 1, 1) : [];
        return e?.seq === seq ? e : null;
      },
      since,
      head: async (party) => (await mine(party)) + (await feedHead()),
    },
  };
}

function hotlineRepos(c: Conn): Pick<Tx, 'channels' | 'messages' | 'webhooks' | 'deliveries'> {
  const members = async (ch: ChannelRecord) => {
    for (const m of ch.members)
      await c.run('INSERT INTO channel_parties (party, channel) VALUES (?, ?) ON CONFLICT DO NOTHING', [
        m.party,
        ch.id,
      ]);
  };
  return {
    channels: {
      insert: async (ch) => {
        await c.run('INSERT INTO channels (id, body) VALUES (?, ?)', [ch.id, JSON.stringify(ch)]);
        await members(ch);
      },
      get: async (id) => body<ChannelRecord>(await one(c, 'SELECT body FROM channels WHERE id = ?', [id])),
      update: async (ch) => {
        await c.run('UPDATE channels SET body = ? WHERE id = ?', [JSON.stringify(ch), ch.id]);
        await c.run('DELETE FROM channel_parties WHERE channel = ?', [ch.id]);
        await members(ch);
      },
      listFor: async (party) =>
        bodies<ChannelRecord>(
          await c.all(
            'SELECT ch.body FROM channel_parties p JOIN channels ch ON ch.id = p.channel WHERE p.party = ? ORDER BY ch.ord',
            [party],
          ),
        ),
    },
    messages: {
      insert: async (m) => {
        await c.run('INSERT INTO messages (id, channel, seq, body) VALUES (?, ?, ?, ?)', [
          m.id,
          m.channel,
          m.seq,
          JSON.stringify(m),
        ]);
      },
      get: async (id) => body<MessageRecord>(await one(c, 'SELECT body FROM messages WHERE id = ?', [id])),
      update: async (m) => {
        await c.run('UPDATE messages SET body = ? WHERE id = ?', [JSON.stringify(m), m.id]);
      },
      list: async (channel, after, limit) =>
        bodies<MessageRecord>(
          await c.all('SELECT body FROM messages WHERE channel = ? AND seq > ? ORDER BY seq LIMIT ?', [
            channel,
            after,
            limit,
          ]),
        ),
      lastSeq: async (channel) =>
        num(await one(c, 'SELECT max(seq) AS s FROM messages WHERE channel = ?', [channel]), 's') ?? 0,
    },
    webhooks: {
      insert: async (w) => {
        await c.run('INSERT INTO webhooks (id, party, body) VALUES (?, ?, ?)', [
          w.id,
          w.party,
          JSON.stringify(w),
        ]);
      },
      get: async (id) => body<WebhookRecord>(await one(c, 'SELECT body FROM webhooks WHERE id = ?', [id])),
      update: async (w) => {
        await c.run('UPDATE webhooks SET body = ? WHERE id = ?', [JSON.stringify(w), w.id]);
      },
      listByParty: async (party) =>
        bodies<WebhookRecord>(await c.all('SELECT body FROM webhooks WHERE party = ? ORDER BY ord', [party])),
      list: async () => bodies<WebhookRecord>(await c.all('SELECT body FROM webhooks ORDER BY ord')),
    },
    deliveries: {
      insert: async (d) => {
        await c.run(
          'INSERT INTO deliveries (id, webhook, status, next_at, created_at, body) VALUES (?, ?, ?, ?, ?, ?)',
          [d.id, d.webhook, d.status, d.next_at, d.created_at, JSON.stringify(d)],
        );
      },
      get: async (id) => body<DeliveryRecord>(await one(c, 'SELECT body FROM deliveries WHERE id = ?', [id])),
      update: async (d) => {
        await c.run('UPDATE deliveries SET status = ?, next_at = ?, body = ? WHERE id = ?', [
          d.status,
          d.next_at,
          JSON.stringify(d),
          d.id,
        ]);
      },
      due: async (now, limit) =>
        bodies<DeliveryRecord>(
          await c.all(
            "SELECT body FROM deliveries WHERE status = 'pending' AND next_at <= ? ORDER BY next_at, id LIMIT ?",
            [now, limit],
          ),
        ),
      nextDue: async () =>
        num(await one(c, "SELECT min(next_at) AS t FROM deliveries WHERE status = 'pending'"), 't'),
      listByWebhook: async (webhook, status, limit) =>
        bodies<DeliveryRecord>(
          await c.all(
            'SELECT body FROM deliveries WHERE webhook = ? AND (?::text IS NULL OR status = ?) ORDER BY created_at DESC, ord DESC LIMIT ?',
            [webhook, status ?? null, status ?? null, limit],
          ),
        ),
    },
  };
}

function probeRepo(c: Conn): Tx['probes'] {
  return {
    insert: async (p) => {
      await c.run(
        'INSERT INTO probes (id, caller, owner, at, conflict, withheld, body) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [p.id, p.caller, p.owner, p.at, p.conflict, p.withheld ? 1 : 0, JSON.stringify(p)],
      );
    },
    count: async (owner, caller, since) =>
      Number(
        (
          await one(c, 'SELECT count(*) AS n FROM probes WHERE owner = ? AND caller = ? AND at >= ?', [
            owner,
            caller,
            since,
          ])
        )?.n ?? 0,
      ),
    listForOwner: async (owner, since, limit) =>
      bodies<ProbeRecord>(
        await c.all(
          'SELECT body FROM probes WHERE owner = ? AND at >= ? ORDER BY at DESC, ord DESC LIMIT ?',
          [owner, since, limit],
        ),
      ),
    budgets: async (owner) =>
      bodies<ProbeBudgetRecord>(
        await c.all('SELECT body FROM probe_budgets WHERE owner = ? ORDER BY caller', [owner]),
      ),
    budget: async (owner, caller) =>
      body<ProbeBudgetRecord>(
        await one(c, 'SELECT body FROM probe_budgets WHERE owner = ? AND caller = ?', [owner, caller]),
      ),
    setBudget: async (b) => {
      await c.run(
        'INSERT INTO probe_budgets (owner, caller, per_day, body) VALUES (?, ?, ?, ?) ON CONFLICT (owner, caller) DO UPDATE SET per_day = excluded.per_day, body = excluded.body',
        [b.owner, b.caller, b.per_day, JSON.stringify(b)],
      );
    },
  };
}

function agreementRepo(c: Conn): Tx['agreements'] {
  return {
    insert: async (a) => {
      await c.run(
        'INSERT INTO agreements (id, status, drafter, version, start_ms, end_ms, created_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        [a.id, a.status, a.drafter, a.version, a.start, a.end, a.created_at, JSON.stringify(a)],
      );
    },
    get: async (id) => body<AgreementRecord>(await one(c, 'SELECT body FROM agreements WHERE id = ?', [id])),
    update: async (a) => {
      await c.run(
        'UPDATE agreements SET status = ?, version = ?, start_ms = ?, end_ms = ?, body = ? WHERE id = ?',
        [a.status, a.version, a.start, a.end, JSON.stringify(a), a.id],
      );
    },
    listFor: async (party, status, limit = 1000) => {
      const s = status ?? null;
      return bodies<AgreementRecord>(
        await c.all(
          `SELECT body FROM agreements WHERE (drafter = ? OR id IN (SELECT agreement FROM agreement_readers WHERE party = ?))
            AND (?::text IS NULL OR status = ?) ORDER BY created_at, id LIMIT ?`,
          [party, party, s, s, limit],
        ),
      );
    },
    withStatus: async (statuses) => {
      if (statuses.length === 0) return [];
      return bodies<AgreementRecord>(
        await c.all(
          `SELECT body FROM agreements WHERE status IN (${marks(statuses.length)}) ORDER BY created_at, id`,
          statuses,
        ),
      );
    },
    putVersion: async (v) => {
      await c.run(
        `INSERT INTO agreement_versions (agreement, version, content_sha256, party, username, at, proposed_at, body)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (agreement, version) DO UPDATE SET
          content_sha256 = excluded.content_sha256, party = excluded.party, username = excluded.username,
          at = excluded.at, proposed_at = excluded.proposed_at, body = excluded.body`,
        [
          v.agreement,
          v.version,
          v.content_sha256,
          v.party,
          v.username,
          v.at,
          v.proposed_at,
          JSON.stringify(v.body),
        ],
      );
    },
    version: async (id, version) => {
      const r = await one(c, 'SELECT * FROM agreement_versions WHERE agreement = ? AND version = ?', [
        id,
        version,
      ]);
      return r ? toVersion(r) : null;
    },
    versions: async (id) =>
      (await c.all('SELECT * FROM agreement_versions WHERE agreement = ? ORDER BY version', [id])).map(
        toVersion,
      ),
    addReaders: async (id, parties) => {
      for (const party of parties)
        await c.run('INSERT INTO agreement_readers (party, agreement) VALUES (?, ?) ON CONFLICT DO NOTHING', [
          party,
          id,
        ]);
    },
    addSignature: async (x) => {
      await c.run(
        'INSERT INTO agreement_signatures (agreement, version, party, username, key, signed, entry, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        [x.agreement, x.version, x.party, x.username, x.key, JSON.stringify(x.signed), x.entry, x.at],
      );
    },
    signatures: async (id, version) => {
      const v = version ?? null;
      return (
        await c.all(
          'SELECT * FROM agreement_signatures WHERE agreement = ? AND (?::bigint IS NULL OR version = ?) ORDER BY at, entry',
          [id, v, v],
        )
      ).map(toSignature);
    },
    setWithdrawal: async (w) => {
      await c.run(
        'INSERT INTO agreement_withdrawals (agreement, version, party, username, effective, reason, key, signed, entry, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [
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
        ],
      );
    },
    withdrawal: async (id) => {
      const r = await one(c, 'SELECT * FROM agreement_withdrawals WHERE agreement = ?', [id]);
      if (!r) return null;
      return {
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
    },
  };
}

function blindRepos(c: Conn): Pick<Tx, 'sealed' | 'blind'> {
  const OPEN = "('awaiting_blind', 'awaiting_evaluation', 'awaiting_outputs')";
  return {
    sealed: {
      insert: async (r, tokens) => {
        await c.run(
          'INSERT INTO sealed (id, party, kind, status, start_ms, end_ms, slot_ms, created_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
          [r.id, r.party, r.kind, r.status, r.start, r.end, r.slot_ms, r.created_at, JSON.stringify(r)],
        );
        await c.run('INSERT INTO sealed_tokens (sealed, tokens) VALUES (?, ?)', [
          r.id,
          Buffer.from(tokens.buffer, tokens.byteOffset, tokens.byteLength),
        ]);
      },
      get: async (id) => body<SealedRecord>(await one(c, 'SELECT body FROM sealed WHERE id = ?', [id])),
      setStatus: async (id, status) => {
        // The record's own status changes in place, its other members untouched (SQLite's json_set).
        const r = body<SealedRecord>(await one(c, 'SELECT body FROM sealed WHERE id = ?', [id]));
        if (r === null) return;
        await c.run('UPDATE sealed SET status = ?, body = ? WHERE id = ?', [
          status,
          JSON.stringify({ ...r, status }),
          id,
        ]);
      },
      list: async (party, status, limit = 10_000) => {
        const s = status ?? null;
        return bodies<SealedRecord>(
          await c.all(
            `SELECT body FROM sealed WHERE (?::text IS NULL OR party = ?) AND (?::text IS NULL OR status = ?)
              ORDER BY created_at, id LIMIT ?`,
            [party, party, s, s, limit],
          ),
        );
      },
      tokens: async (id) => {
        const r = await one(c, 'SELECT tokens FROM sealed_tokens WHERE sealed = ?', [id]);
        return r ? new Uint8Array(r.tokens as Buffer) : new Uint8Array(0);
      },
    },
    blind: {
      insert: async (x) => {
        await c.run(
          'INSERT INTO blind_checks (id, asker, owner, declaration, status, created_at, body) VALUES (?, ?, ?, ?, ?, ?, ?)',
          [x.id, x.asker, x.owner, x.declaration, x.status, x.created_at, JSON.stringify(x)],
        );
      },
      update: async (x) => {
        await c.run('UPDATE blind_checks SET status = ?, body = ? WHERE id = ?', [
          x.status,
          JSON.stringify(x),
          x.id,
        ]);
      },
      get: async (id) =>
        body<BlindCheckRecord>(await one(c, 'SELECT body FROM blind_checks WHERE id = ?', [id])),
      forParty: async (party, statuses, limit = 1000) => {
        if (statuses.length === 0) return [];
        return bodies<BlindCheckRecord>(
          await c.all(
            `SELECT body FROM blind_checks WHERE (asker = ? OR owner = ?) AND status IN (${marks(statuses.length)})
              ORDER BY created_at, id LIMIT ?`,
            [party, party, ...statuses, limit],
          ),
        );
      },
      withStatus: async (statuses, limit = 10_000) => {
        if (statuses.length === 0) return [];
        return bodies<BlindCheckRecord>(
          await c.all(
            `SELECT body FROM blind_checks WHERE status IN (${marks(statuses.length)}) ORDER BY created_at, id LIMIT ?`,
            [...statuses, limit],
          ),
        );
      },
      openFor: async (declaration) =>
        bodies<BlindCheckRecord>(
          await c.all(
            `SELECT body FROM blind_checks WHERE declaration = ? AND status IN ${OPEN} ORDER BY created_at, id`,
            [declaration],
          ),
        ),
      recent: async (party, since, limit) =>
        bodies<BlindCheckRecord>(
          await c.all(
            'SELECT body FROM blind_checks WHERE (asker = ? OR owner = ?) AND created_at >= ? ORDER BY created_at DESC, ord DESC LIMIT ?',
            [party, party, since, limit],
          ),
        ),
      putOutputs: async (rows) => {
        for (const r of rows)
          await c.run(
            'INSERT INTO blind_outputs (declaration, version, owner, slot_ms, slot, output) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
            [r.declaration, r.version, r.owner, r.slot_ms, r.slot, r.output],
          );
      },
      outputs: async (declaration, version, owner, slot_ms) =>
        (
          await c.all(
            'SELECT * FROM blind_outputs WHERE declaration = ? AND version = ? AND owner = ? AND slot_ms = ? ORDER BY slot, output',
            [declaration, version, owner, slot_ms],
          )
        ).map(toBlindOutput),
    },
  };
}

/** The repositories over one connection (`storeLeaves`: as sqlite.ts's option of that name). */
export function pgRepos(c: Conn, storeLeaves = true): Tx {
  return {
    ...accountRepos(c),
    ...declarationRepos(c),
    ...ledgerRepos(c, storeLeaves),
    ...watchRepos(c),
    ...hotlineRepos(c),
    probes: probeRepo(c),
    agreements: agreementRepo(c),
    ...blindRepos(c),
  };
}
