/**
 * The store's contract (src/store/ports.ts): every repository method, transactions (rollback,
 * serialization, snapshots) and the ledger's chain, run against every adapter by
 * {@link storeContract}. The SQLite adapter's own promises (append-only ledger table, the data
 * directory's lock, durability across reopening) follow in a separate suite.
 *
 * The PostgreSQL adapter runs the same contract on a fresh database per test, dropped after it
 * (skipped with the reason when no server answers, unless scripts/test.sh requires it); its own
 * promises (migrations, the writers' lock across stores, following, outages) are in
 * test/store.postgres.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type {
  AlertRecord,
  ChannelRecord,
  ConflictRecord,
  DeclarationRecord,
  DeliveryRecord,
  LedgerEntry,
  MemberRecord,
  MessageRecord,
  NewLedgerEntry,
  ShiftRecord,
  TokenRecord,
  WebhookRecord,
} from '../src/domain/records.ts';
import type { Declaration } from '../src/engine/types.ts';
import { canSee } from '../src/hub/views.ts';
import { entryHash, GENESIS_HASH, verifyChain } from '../src/ledger/chain.ts';
import { DataDirectoryLocked } from '../src/store/errors.ts';
import type { DeclarationQuery, Store } from '../src/store/ports.ts';
import { openPostgresStore } from '../src/store/postgres.ts';
import { openSqliteStore } from '../src/store/sqlite.ts';
import { freshPgDatabase, type PgDatabase, pgBaseUrl, pgSkip } from './support/postgres.ts';

export interface StoreUnderTest {
  readonly store: Store;
  /** Close the store (if the test did not) and remove everything it stored. */
  cleanup(): Promise<void>;
}

// --- Fixtures ------------------------------------------------------------------------------------

const T = Date.UTC(2026, 10, 23, 6);
const H = 3_600_000;

function decl(id: string, over: Partial<Declaration> = {}): Declaration {
  return {
    id,
    kind: 'strike',
    party: 'alpha',
    geometry: { type: 'Point', coordinates: [21.3, 46.2] },
    start: T,
    end: T + H,
    buffer_m: 100,
    visibility: 'all',
    ...over,
  };
}

function record(d: Declaration, over: Partial<DeclarationRecord> = {}): DeclarationRecord {
  return {
    id: d.id,
    version: 1,
    party: d.party,
    kind: d.kind,
    decl: d,
    status: 'active',
    created_at: T - H,
    created_by: `${d.party}.operator`,
    ...over,
  };
}

function member(username: string, party: string | null, over: Partial<MemberRecord> = {}): MemberRecord {
  return {
    username,
    party,
    roles: party === null ? ['hub_admin'] : ['operator'],
    password_hash: `scrypt$hash-of-${username}`,
    disabled: false,
    created_at: T,
    ...over,
  };
}

function token(
  id: string,
  username: string,
  party: string | null,
  over: Partial<TokenRecord> = {},
): TokenRecord {
  return {
    id,
    hash: `sha256-of-${id}`,
    username,
    party,
    roles: party === null ? ['hub_admin'] : ['operator'],
    kind: 'session',
    name: null,
    created_at: T,
    expires_at: T + 12 * H,
    revoked_at: null,
    rate: null,
    ...over,
  };
}

function conflict(id: string, over: Partial<ConflictRecord> = {}): ConflictRecord {
  return {
    id,
    rule: 'strike_protected',
    severity: 'critical',
    a: 'alpha-strike',
    b: 'bravo-hospital',
    internal: false,
    distance_m: 12.5,
    window: { start: T, end: T + H },
    closest: [
      [21.3, 46.2],
      [21.3001, 46.2001],
    ],
    a_version: 1,
    b_version: 1,
    a_party: 'alpha',
    b_party: 'bravo',
    detected_at: T,
    status: 'open',
    resolution: null,
    resolved_at: null,
    acceptances: [],
    ...over,
  };
}

function entry(type: string, subject: string, payload: unknown = {}): NewLedgerEntry {
  return { at: T, actor: 'alpha.operator', party: 'alpha', type, subject, payload };
}

const M = 60_000;

function shift(
  id: string,
  party: string,
  start: number,
  end: number,
  over: Partial<ShiftRecord> = {},
): ShiftRecord {
  return {
    id,
    party,
    role: 'watch_officer',
    username: `${party}.watch`,
    start,
    end,
    created_at: T - H,
    created_by: `${party}.admin`,
    ...over,
  };
}

function alert(id: string, over: Partial<AlertRecord> = {}): AlertRecord {
  return {
    id,
    party: 'alpha',
    subject_type: 'conflict',
    subject: 'cf-1',
    precedence: 'flash',
    level: 0,
    due_at: T + 5 * M,
    status: 'open',
    created_at: T,
    to: ['alpha.watch'],
    escalations: [],
    ack: null,
    closed_at: null,
    closed_reason: null,
    summary: { rule: 'strike_protected' },
    ...over,
  };
}

function channel(id: string, parties: readonly string[], over: Partial<ChannelRecord> = {}): ChannelRecord {
  const [first = 'alpha'] = parties;
  return {
    id,
    name: `Channel ${id}`,
    created_at: T,
    created_by: `${first}.watch`,
    created_by_party: first,
    members: parties.map((party, i) => ({ party, status: i === 0 ? 'accepted' : 'invited', at: T })),
    ...over,
  };
}

function message(
  id: string,
  channelId: string,
  seq: number,
  over: Partial<MessageRecord> = {},
): MessageRecord {
  return {
    id,
    channel: channelId,
    seq,
    party: 'alpha',
    username: 'alpha.watch',
    precedence: 'routine',
    text: `message ${seq}`,
    ref: null,
    at: T + seq * M,
    receipts: [{ party: 'bravo', delivered_at: null, read_at: null, acked_at: null }],
    ...over,
  };
}

function webhook(id: string, party: string, over: Partial<WebhookRecord> = {}): WebhookRecord {
  return {
    id,
    party,
    url: `https://${party}.example/hooks/${id}`,
    secret: `secret-of-${id}`,
    created_at: T,
    created_by: `${party}.admin`,
    disabled_at: null,
    ...over,
  };
}

function delivery(id: string, hook: string, over: Partial<DeliveryRecord> = {}): DeliveryRecord {
  return {
    id,
    webhook: hook,
    party: 'alpha',
    event_seq: 1,
    status: 'pending',
    attempts: 0,
    next_at: T,
    last_status: null,
    last_error: null,
    created_at: T,
    delivered_at: null,
    ...over,
  };
}

const ids = (rs: readonly { id: string }[]) => rs.map((r) => r.id);
const sorted = (xs: readonly string[]) => [...xs].sort();

/** Every entry of the ledger, from the first. */
async function wholeLedger(store: Store): Promise<LedgerEntry[]> {
  return store.read((tx) => tx.ledger.range(1, Number.MAX_SAFE_INTEGER));
}

// --- The contract --------------------------------------------------------------------------------

function storeContract(
  name: string,
  open: () => Promise<StoreUnderTest>,
  skip: string | false = false,
): void {
  describe(`store contract: ${name}`, { skip }, () => {
    let s: StoreUnderTest;
    let store: Store;
    beforeEach(async () => {
      s = await open();
      store = s.store;
    });
    afterEach(async () => {
      await s.cleanup();
    });

    describe('parties', () => {
      it('creates, gets and lists parties; an unknown id is null', async () => {
        await store.transact(async (tx) => {
          await tx.parties.create({ id: 'bravo', name: 'Bravo Force', created_at: T });
          await tx.parties.create({ id: 'alpha', name: 'Alpha – “Ünïcode” Force', created_at: T + 1 });
        });
        await store.read(async (tx) => {
          assert.deepEqual(await tx.parties.get('alpha'), {
            id: 'alpha',
            name: 'Alpha – “Ünïcode” Force',
            created_at: T + 1,
          });
          assert.equal(await tx.parties.get('charlie'), null);
          assert.deepEqual(sorted(ids(await tx.parties.list())), ['alpha', 'bravo']);
        });
      });

      it('refuses a second party with the same id', async () => {
        await store.transact((tx) => tx.parties.create({ id: 'alpha', name: 'A', created_at: T }));
        await assert.rejects(
          store.transact((tx) => tx.parties.create({ id: 'alpha', name: 'B', created_at: T })),
        );
        assert.equal((await store.read((tx) => tx.parties.get('alpha')))?.name, 'A');
      });
    });

    describe('members', () => {
      beforeEach(async () => {
        await store.transact(async (tx) => {
          await tx.parties.create({ id: 'alpha', name: 'Alpha', created_at: T });
          await tx.parties.create({ id: 'bravo', name: 'Bravo', created_at: T });
        });
      });

      it('creates and gets members, hub administrators (no party) included', async () => {
        const op = member('alpha.op', 'alpha', { roles: ['operator', 'watch_officer'] });
        const root = member('root', null);
        await store.transact(async (tx) => {
          await tx.members.create(op);
          await tx.members.create(root);
        });
        await store.read(async (tx) => {
          assert.deepEqual(await tx.members.get('alpha.op'), op);
          assert.deepEqual(await tx.members.get('root'), root);
          assert.equal(await tx.members.get('nobody'), null);
        });
      });

      it('refuses a second member with the same username', async () => {
        await store.transact((tx) => tx.members.create(member('alpha.op', 'alpha')));
        await assert.rejects(store.transact((tx) => tx.members.create(member('alpha.op', 'bravo'))));
        assert.equal((await store.read((tx) => tx.members.get('alpha.op')))?.party, 'alpha');
      });

      it('lists the members of one party', async () => {
        await store.transact(async (tx) => {
          for (const m of [
            member('alpha.b', 'alpha'),
            member('bravo.a', 'bravo'),
            member('alpha.a', 'alpha'),
            member('root', null),
          ])
            await tx.members.create(m);
        });
        await store.read(async (tx) => {
          const alpha = await tx.members.listByParty('alpha');
          assert.deepEqual(sorted(alpha.map((m) => m.username)), ['alpha.a', 'alpha.b']);
          assert.ok(alpha.every((m) => m.party === 'alpha'));
          assert.deepEqual(
            (await tx.members.listByParty('bravo')).map((m) => m.username),
            ['bravo.a'],
          );
          assert.deepEqual(await tx.members.listByParty('charlie'), []);
        });
      });

      it('updates roles, disabled and the password hash, each alone, leaving the rest', async () => {
        const m = member('alpha.op', 'alpha');
        await store.transact((tx) => tx.members.create(m));
        await store.transact((tx) =>
          tx.members.update('alpha.op', { roles: ['watch_officer', 'party_admin'] }),
        );
        assert.deepEqual(await store.read((tx) => tx.members.get('alpha.op')), {
          ...m,
          roles: ['watch_officer', 'party_admin'],
        });
        await store.transact((tx) => tx.members.update('alpha.op', { disabled: true }));
        await store.transact((tx) => tx.members.update('alpha.op', { password_hash: 'scrypt$new' }));
        assert.deepEqual(await store.read((tx) => tx.members.get('alpha.op')), {
          ...m,
          roles: ['watch_officer', 'party_admin'],
          disabled: true,
          password_hash: 'scrypt$new',
        });
        await store.transact((tx) => tx.members.update('alpha.op', { disabled: false, roles: ['operator'] }));
        await store.transact((tx) => tx.members.update('alpha.op', {}));
        assert.deepEqual(await store.read((tx) => tx.members.get('alpha.op')), {
          ...m,
          password_hash: 'scrypt$new',
        });
      });

      it('counts the hub administrators that are not disabled', async () => {
        assert.equal(await store.read((tx) => tx.members.countHubAdmins()), 0);
        await store.transact(async (tx) => {
          await tx.members.create(member('root', null));
          await tx.members.create(member('root2', null));
          await tx.members.create(member('alpha.admin', 'alpha', { roles: ['party_admin'] }));
        });
        assert.equal(await store.read((tx) => tx.members.countHubAdmins()), 2);
        await store.transact((tx) => tx.members.update('root2', { disabled: true }));
        assert.equal(await store.read((tx) => tx.members.countHubAdmins()), 1);
      });
    });

    describe('tokens', () => {
      it('creates tokens and finds them by hash and by id', async () => {
        const session = token('tok_1', 'alpha.op', 'alpha');
        const api = token('tok_2', 'alpha.admin', 'alpha', {
          kind: 'api',
          name: 'c2-gateway',
          roles: ['operator', 'watch_officer'],
          expires_at: null,
        });
        await store.transact(async (tx) => {
          await tx.tokens.create(session);
          await tx.tokens.create(api);
        });
        await store.read(async (tx) => {
          assert.deepEqual(await tx.tokens.getByHash('sha256-of-tok_1'), session);
          assert.deepEqual(await tx.tokens.get('tok_2'), api);
          assert.equal(await tx.tokens.getByHash('sha256-of-nothing'), null);
          assert.equal(await tx.tokens.get('tok_9'), null);
        });
      });

      it('refuses two tokens with the same hash', async () => {
        await store.transact((tx) => tx.tokens.create(token('tok_1', 'alpha.op', 'alpha')));
        await assert.rejects(
          store.transact((tx) =>
            tx.tokens.create(token('tok_2', 'alpha.op', 'alpha', { hash: 'sha256-of-tok_1' })),
          ),
        );
        assert.equal(await store.read((tx) => tx.tokens.get('tok_2')), null);
      });

      it('lists the tokens of a party, or of the hub administrators (null)', async () => {
        await store.transact(async (tx) => {
          await tx.tokens.create(token('tok_a1', 'alpha.op', 'alpha'));
          await tx.tokens.create(token('tok_b1', 'bravo.op', 'bravo'));
          await tx.tokens.create(token('tok_a2', 'alpha.admin', 'alpha', { kind: 'api', name: 'x' }));
          await tx.tokens.create(token('tok_r1', 'root', null));
        });
        await store.read(async (tx) => {
          assert.deepEqual(sorted(ids(await tx.tokens.listByParty('alpha'))), ['tok_a1', 'tok_a2']);
          assert.deepEqual(ids(await tx.tokens.listByParty('bravo')), ['tok_b1']);
          assert.deepEqual(ids(await tx.tokens.listByParty(null)), ['tok_r1']);
          assert.deepEqual(await tx.tokens.listByParty('charlie'), []);
        });
      });

      it('revokes one token, keeping the time of its first revocation', async () => {
        await store.transact(async (tx) => {
          await tx.tokens.create(token('tok_1', 'alpha.op', 'alpha'));
          await tx.tokens.create(token('tok_2', 'alpha.op', 'alpha'));
        });
        await store.transact((tx) => tx.tokens.revoke('tok_1', T + 5));
        await store.transact((tx) => tx.tokens.revoke('tok_1', T + 9));
        await store.read(async (tx) => {
          assert.equal((await tx.tokens.get('tok_1'))?.revoked_at, T + 5);
          assert.equal((await tx.tokens.getByHash('sha256-of-tok_1'))?.revoked_at, T + 5);
          assert.equal((await tx.tokens.get('tok_2'))?.revoked_at, null);
        });
      });

      it('revokes every token of one member, and no one else’s', async () => {
        await store.transact(async (tx) => {
          await tx.tokens.create(token('tok_1', 'alpha.op', 'alpha'));
          await tx.tokens.create(token('tok_2', 'alpha.op', 'alpha', { kind: 'api', name: 'x' }));
          await tx.tokens.create(token('tok_3', 'alpha.op', 'alpha', { revoked_at: T + 1 }));
          await tx.tokens.create(token('tok_4', 'alpha.other', 'alpha'));
        });
        await store.transact((tx) => tx.tokens.revokeAllOf('alpha.op', T + 7));
        await store.read(async (tx) => {
          assert.equal((await tx.tokens.get('tok_1'))?.revoked_at, T + 7);
          assert.equal((await tx.tokens.get('tok_2'))?.revoked_at, T + 7);
          assert.equal((await tx.tokens.get('tok_3'))?.revoked_at, T + 1);
          assert.equal((await tx.tokens.get('tok_4'))?.revoked_at, null);
        });
      });
    });

    describe('declarations', () => {
      it('stores a declaration with every optional field, exactly', async () => {
        const d = decl('alpha-convoy', {
          kind: 'movement',
          geometry: {
            type: 'LineString',
            coordinates: [
              [21.1, 46.1],
              [21.2, 46.15],
              [21.3, 46.2],
            ],
          },
          schedule: [T, T + H / 2, T + H],
          altitude: { lower_m: 0, upper_m: 10, reference: 'AGL' },
          applies_to: ['bravo'],
          visibility: ['bravo', 'charlie'],
          notify: ['bravo'],
          label: 'Convoy “K-7” – ÄÖÜ',
          notes: 'line one\nline two',
          end: null,
        });
        const r = record(d);
        await store.transact((tx) => tx.declarations.insert(r));
        await store.read(async (tx) => {
          assert.deepEqual(await tx.declarations.current('alpha-convoy'), r);
          assert.deepEqual(await tx.declarations.version('alpha-convoy', 1), r);
          assert.deepEqual(await tx.declarations.versions('alpha-convoy'), [r]);
          assert.deepEqual(await tx.declarations.active(), [d]);
        });
      });

      it('keeps every version: current is the latest, version and versions find each', async () => {
        const v1 = record(decl('alpha-strike'));
        const d2 = decl('alpha-strike', { buffer_m: 250 });
        const v2 = record(d2, { version: 2, created_at: T });
        await store.transact((tx) => tx.declarations.insert(v1));
        await store.transact(async (tx) => {
          await tx.declarations.setStatus('alpha-strike', 1, 'superseded');
          await tx.declarations.insert(v2);
        });
        await store.read(async (tx) => {
          assert.deepEqual(await tx.declarations.current('alpha-strike'), v2);
          assert.deepEqual(await tx.declarations.version('alpha-strike', 1), { ...v1, status: 'superseded' });
          assert.deepEqual(await tx.declarations.version('alpha-strike', 2), v2);
          assert.equal(await tx.declarations.version('alpha-strike', 3), null);
          assert.deepEqual(await tx.declarations.versions('alpha-strike'), [
            { ...v1, status: 'superseded' },
            v2,
          ]);
          assert.equal(await tx.declarations.current('nothing'), null);
          assert.deepEqual(await tx.declarations.versions('nothing'), []);
          assert.deepEqual(await tx.declarations.active(), [d2]);
        });
      });

      it('refuses a second copy of one version', async () => {
        await store.transact((tx) => tx.declarations.insert(record(decl('alpha-strike'))));
        await assert.rejects(
          store.transact((tx) => tx.declarations.insert(record(decl('alpha-strike', { buffer_m: 1 })))),
        );
        assert.equal((await store.read((tx) => tx.declarations.current('alpha-strike')))?.decl.buffer_m, 100);
      });

      it('moves a version’s status on; active() holds only active declarations', async () => {
        await store.transact(async (tx) => {
          await tx.declarations.insert(record(decl('a1')));
          await tx.declarations.insert(record(decl('a2')));
          await tx.declarations.insert(record(decl('a3')));
        });
        await store.transact(async (tx) => {
          await tx.declarations.setStatus('a1', 1, 'withdrawn');
          await tx.declarations.setStatus('a3', 1, 'expired');
        });
        await store.read(async (tx) => {
          assert.equal((await tx.declarations.current('a1'))?.status, 'withdrawn');
          assert.equal((await tx.declarations.current('a3'))?.status, 'expired');
          assert.deepEqual(ids(await tx.declarations.active()), ['a2']);
          assert.deepEqual(await tx.declarations.activeVersions(), [
            ['a2', (await tx.declarations.current('a2'))?.version],
          ]);
        });
      });

      describe('query', () => {
        // a: strike  alpha [T, T+1h)          b: movement alpha [T+1h, T+2h)
        // c: strike  bravo [T+2h, open)       d: strike  bravo [T-1h, T+3h), withdrawn
        // e: strike  alpha, v1 [T, T+1h) superseded by v2 [T+5h, T+6h)
        beforeEach(async () => {
          await store.transact(async (tx) => {
            await tx.declarations.insert(record(decl('a')));
            await tx.declarations.insert(
              record(decl('b', { kind: 'movement', start: T + H, end: T + 2 * H, buffer_m: 0 })),
            );
            await tx.declarations.insert(record(decl('c', { party: 'bravo', start: T + 2 * H, end: null })));
            await tx.declarations.insert(
              record(decl('d', { party: 'bravo', start: T - H, end: T + 3 * H }), { status: 'withdrawn' }),
            );
            await tx.declarations.insert(record(decl('e'), { status: 'superseded' }));
            await tx.declarations.insert(
              record(decl('e', { start: T + 5 * H, end: T + 6 * H }), { version: 2 }),
            );
          });
        });

        it('answers the latest versions, ordered by id, superseded ones never', async () => {
          const all = await store.read((tx) => tx.declarations.query({}));
          assert.deepEqual(ids(all), ['a', 'b', 'c', 'd', 'e']);
          const e = all.find((r) => r.id === 'e');
          assert.equal(e?.version, 2);
          assert.equal(e?.status, 'active');
          assert.equal(e?.decl.start, T + 5 * H);
        });

        it('filters by status, kind and party', async () => {
          await store.read(async (tx) => {
            assert.deepEqual(ids(await tx.declarations.query({ status: 'active' })), ['a', 'b', 'c', 'e']);
            assert.deepEqual(ids(await tx.declarations.query({ status: 'withdrawn' })), ['d']);
            assert.deepEqual(ids(await tx.declarations.query({ status: 'expired' })), []);
            assert.deepEqual(ids(await tx.declarations.query({ kind: 'movement' })), ['b']);
            assert.deepEqual(ids(await tx.declarations.query({ kind: 'strike' })), ['a', 'c', 'd', 'e']);
            assert.deepEqual(ids(await tx.declarations.query({ party: 'bravo' })), ['c', 'd']);
            assert.deepEqual(
              ids(await tx.declarations.query({ party: 'bravo', status: 'active', kind: 'strike' })),
              ['c'],
            );
            assert.deepEqual(ids(await tx.declarations.query({ party: 'charlie' })), []);
          });
        });

        it('reads page by page after an id, with the filters, and a page past the last is empty', async () => {
          const pages = async (q: { status?: 'active' }, limit: number) =>
            store.read(async (tx) => {
              const seen: string[][] = [];
              let after: string | undefined;
              for (;;) {
                const page = ids(
                  await tx.declarations.query({ ...q, limit, ...(after !== undefined && { after }) }),
                );
                if (page.length === 0) return seen;
                seen.push(page);
                after = page[page.length - 1];
              }
            });
          assert.deepEqual(await pages({}, 2), [['a', 'b'], ['c', 'd'], ['e']]);
          assert.deepEqual(await pages({ status: 'active' }, 3), [['a', 'b', 'c'], ['e']]);
          assert.deepEqual(await pages({ status: 'active' }, 1), [['a'], ['b'], ['c'], ['e']]);
          // The after id need not exist: the page starts at the next id there is.
          await store.read(async (tx) => {
            assert.deepEqual(ids(await tx.declarations.query({ after: 'bb', limit: 10 })), ['c', 'd', 'e']);
            assert.deepEqual(ids(await tx.declarations.query({ after: 'e', limit: 10 })), []);
          });
        });

        it('filters by overlap with a half-open window [start, end)', async () => {
          const at = (start?: number, end?: number) =>
            store.read(async (tx) =>
              ids(
                await tx.declarations.query({
                  status: 'active',
                  ...(start !== undefined && { start }),
                  ...(end !== undefined && { end }),
                }),
              ),
            );
          // [T+1h, T+2h) touches a's end and c's start: neither overlaps (half-open), b does.
          assert.deepEqual(await at(T + H, T + 2 * H), ['b']);
          // One millisecond either side brings a, then c in.
          assert.deepEqual(await at(T + H - 1, T + 2 * H), ['a', 'b']);
          assert.deepEqual(await at(T + H, T + 2 * H + 1), ['b', 'c']);
          // Before everything; far after: only the open-ended c.
          assert.deepEqual(await at(T - 10 * H, T), []);
          assert.deepEqual(await at(T + 100 * H, T + 101 * H), ['c']);
          // Only a start: everything that ends after it (or never); only an end: everything that
          // starts before it.
          assert.deepEqual(await at(T + H), ['b', 'c', 'e']);
          assert.deepEqual(await at(undefined, T + H), ['a']);
          assert.deepEqual(await at(undefined, T + 5 * H + 1), ['a', 'b', 'c', 'e']);
          // e's first version [T, T+1h) is superseded: the window of its current version counts.
          assert.deepEqual(await at(T, T + 1), ['a']);
          // The withdrawn d overlaps [T-1h, T) when status is not asked for.
          assert.deepEqual(ids(await store.read((tx) => tx.declarations.query({ start: T - H, end: T }))), [
            'd',
          ]);
        });

        it('answers at most `limit` declarations, the first by id', async () => {
          assert.deepEqual(ids(await store.read((tx) => tx.declarations.query({ limit: 2 }))), ['a', 'b']);
          assert.deepEqual(
            ids(
              await store.read((tx) => tx.declarations.query({ status: 'active', party: 'bravo', limit: 1 })),
            ),
            ['c'],
          );
          assert.equal(
            (await store.read((tx) => tx.declarations.query({ limit: Number.MAX_SAFE_INTEGER }))).length,
            5,
          );
        });
      });

      describe('query: visibleTo', () => {
        // What each party may see is canSee's rule (hub/views.ts): its own (sealed included), those
        // shown to all, those whose list names it.
        const all = [
          decl('alpha:all'),
          decl('alpha:sealed', { visibility: 'sealed' }),
          decl('alpha:to-bravo', { visibility: ['bravo'] }),
          decl('bravo:all', { party: 'bravo' }),
          decl('bravo:sealed', { party: 'bravo', visibility: 'sealed' }),
          decl('bravo:to-alpha-charlie', { party: 'bravo', visibility: ['alpha', 'charlie'] }),
          decl('charlie:to-nobody', { party: 'charlie', visibility: [] }),
          decl('charlie:to-itself', { party: 'charlie', visibility: ['charlie'] }),
        ];
        beforeEach(async () => {
          await store.transact(async (tx) => {
            for (const d of all) await tx.declarations.insert(record(d));
          });
        });
        const visibleTo = (party: string, more: Partial<DeclarationQuery> = {}) =>
          store.read(async (tx) => ids(await tx.declarations.query({ visibleTo: party, ...more })));

        it('answers a party its own, those shown to all, and those whose list names it', async () => {
          assert.deepEqual(await visibleTo('alpha'), [
            'alpha:all',
            'alpha:sealed',
            'alpha:to-bravo',
            'bravo:all',
            'bravo:to-alpha-charlie',
          ]);
          assert.deepEqual(await visibleTo('bravo'), [
            'alpha:all',
            'alpha:to-bravo',
            'bravo:all',
            'bravo:sealed',
            'bravo:to-alpha-charlie',
          ]);
          assert.deepEqual(await visibleTo('charlie'), [
            'alpha:all',
            'bravo:all',
            'bravo:to-alpha-charlie',
            'charlie:to-itself',
            'charlie:to-nobody',
          ]);
          // A party that owns nothing and is named nowhere sees what is shown to all.
          assert.deepEqual(await visibleTo('delta'), ['alpha:all', 'bravo:all']);
        });

        it('agrees with canSee for every party', async () => {
          for (const party of ['alpha', 'bravo', 'charlie', 'delta']) {
            const expected = all.filter((d) => canSee(party, d)).map((d) => d.id);
            assert.deepEqual(await visibleTo(party), sorted(expected), party);
          }
        });

        it('decides on the current version: an amendment that narrows the list hides the declaration', async () => {
          await store.transact(async (tx) => {
            await tx.declarations.setStatus('alpha:to-bravo', 1, 'superseded');
            await tx.declarations.insert(
              record(decl('alpha:to-bravo', { visibility: 'sealed' }), { version: 2, created_at: T }),
            );
            await tx.declarations.setStatus('bravo:sealed', 1, 'superseded');
            await tx.declarations.insert(
              record(decl('bravo:sealed', { party: 'bravo', visibility: 'all' }), {
                version: 2,
                created_at: T,
              }),
            );
          });
          assert.ok(!(await visibleTo('bravo')).includes('alpha:to-bravo'));
          assert.ok((await visibleTo('alpha')).includes('bravo:sealed'));
          assert.equal((await store.read((tx) => tx.declarations.query({ visibleTo: 'alpha' }))).length, 6);
        });

        it('combines with the other filters and keeps limit (the first by id)', async () => {
          assert.deepEqual(await visibleTo('charlie', { party: 'bravo' }), [
            'bravo:all',
            'bravo:to-alpha-charlie',
          ]);
          assert.deepEqual(await visibleTo('charlie', { limit: 2 }), ['alpha:all', 'bravo:all']);
          await store.transact((tx) => tx.declarations.setStatus('bravo:all', 1, 'withdrawn'));
          assert.deepEqual(await visibleTo('delta', { status: 'active' }), ['alpha:all']);
          assert.deepEqual(await visibleTo('delta', { status: 'withdrawn' }), ['bravo:all']);
        });
      });

      describe('query: bbox', () => {
        const square = (
          id: string,
          w: number,
          s: number,
          e: number,
          n: number,
          over: Partial<Declaration> = {},
        ) =>
          decl(id, {
            kind: 'area_of_responsibility',
            geometry: {
              type: 'Polygon',
              coordinates: [
                [
                  [w, s],
                  [e, s],
                  [e, n],
                  [w, n],
                  [w, s],
                ],
              ],
            },
            ...over,
          });
        // dateline: a zone from 179.5° E to 179.5° W (its boxes: [179.5, 180] and [-180, -179.5]).
        // big: 20–30° E, 30–40° N. point: 21.3° E 46.2° N with a 5 km buffer. far: 0° E 16.5° S.
        // triangle: its box is 10–12° E, 0–2° N, but it only fills the half west of its diagonal.
        beforeEach(async () => {
          await store.transact(async (tx) => {
            await tx.declarations.insert(record(square('dateline', 179.5, -17, -179.5, -16)));
            await tx.declarations.insert(record(square('big', 20, 30, 30, 40)));
            await tx.declarations.insert(record(decl('point', { buffer_m: 5000 })));
            await tx.declarations.insert(
              record(decl('far', { geometry: { type: 'Point', coordinates: [0, -16.5] } })),
            );
            await tx.declarations.insert(
              record(
                decl('triangle', {
                  kind: 'area_of_responsibility',
                  geometry: {
                    type: 'Polygon',
                    coordinates: [
                      [
                        [10, 0],
                        [12, 0],
                        [10, 2],
                        [10, 0],
                      ],
                    ],
                  },
                }),
              ),
            );
          });
        });
        type Bbox = [number, number, number, number];
        const within = (boxes: Bbox[], more: Partial<DeclarationQuery> = {}) =>
          store.read(async (tx) => ids(await tx.declarations.query({ bbox: boxes, ...more })));

        it('finds a polygon whose box meets the query box though none of its vertices is inside', async () => {
          assert.deepEqual(await within([[24, 34, 26, 36]]), ['big']);
          // The triangle's box, not its shape, is what counts: its empty corner still finds it.
          assert.deepEqual(await within([[11.6, 1.6, 11.9, 1.9]]), ['triangle']);
          assert.deepEqual(await within([[12.1, 0, 13, 2]]), []);
        });

        it('matches on either side of the antimeridian, and not across the rest of the world', async () => {
          assert.deepEqual(await within([[179.9, -16.6, 180, -16.4]]), ['dateline']);
          assert.deepEqual(await within([[-180, -16.6, -179.9, -16.4]]), ['dateline']);
          assert.deepEqual(await within([[-179.6, -16.6, -179.4, -16.4]]), ['dateline']);
          // Both halves of a query across the antimeridian meet both boxes: the zone comes once.
          assert.deepEqual(
            await within([
              [179, -17.5, 180, -15.5],
              [-180, -17.5, -179, -15.5],
            ]),
            ['dateline'],
          );
          // A box from 179.5 W "east" to 179.5 E would hold the whole world but the zone: neither
          // the zone is found near 0°, nor the point at 0° near the antimeridian.
          assert.deepEqual(await within([[-1, -17, 1, -16]]), ['far']);
          assert.deepEqual(await within([[178, -17, 179.4, -16]]), []);
          assert.deepEqual(await within([[-179.4, -17, -178, -16]]), []);
        });

        it('counts touching, and decides on the exact box, not the R*Tree’s rounded one', async () => {
          // big's east side is a meridian and its south side bulges north (a geodesic): its box
          // reaches 30° E and 30° N, widened by 1e-9°. A query box that starts there meets it.
          assert.deepEqual(await within([[30, 35, 31, 36]]), ['big']);
          assert.deepEqual(await within([[25, 29, 26, 30]]), ['big']);
          // 1e-7° (about a centimetre) beyond does not, though a 32-bit float around 30 is only
          // good to 2e-6°: the index may round outward, the answer may not.
          assert.deepEqual(await within([[30 + 1e-7, 35, 31, 36]]), []);
          assert.deepEqual(await within([[25, 29, 26, 30 - 1e-7]]), []);
        });

        it('uses the geometry’s own box, not one widened by the buffer', async () => {
          // 0.02° east of the point is about 1.5 km, inside its 5 km buffer: not in its box.
          assert.deepEqual(await within([[21.32, 46.19, 21.33, 46.21]]), []);
          assert.deepEqual(await within([[21.29, 46.19, 21.31, 46.21]]), ['point']);
        });

        it('answers the current version, combines with the other filters, keeps limit', async () => {
          // point moves from 21.3 E to 25.5 E: its first version no longer answers.
          await store.transact(async (tx) => {
            await tx.declarations.setStatus('point', 1, 'superseded');
            await tx.declarations.insert(
              record(decl('point', { geometry: { type: 'Point', coordinates: [25.5, 45.5] } }), {
                version: 2,
                created_at: T,
              }),
            );
          });
          assert.deepEqual(await within([[21.29, 46.19, 21.31, 46.21]]), []);
          assert.deepEqual(await within([[25, 35, 26, 46]]), ['big', 'point']);
          assert.deepEqual(await within([[25, 35, 26, 46]], { kind: 'strike' }), ['point']);
          assert.deepEqual(await within([[25, 35, 26, 46]], { limit: 1 }), ['big']);
          assert.deepEqual(await within([[-180, -90, 180, 90]]), [
            'big',
            'dateline',
            'far',
            'point',
            'triangle',
          ]);
          assert.deepEqual(await within([[-180, -90, 180, 90]], { visibleTo: 'bravo', start: T + H }), []);
        });

        it('matches nothing for an empty list; refuses a box that is not west ≤ east, south ≤ north', async () => {
          assert.deepEqual(await within([]), []);
          await assert.rejects(within([[170, -17, -170, -16]]), RangeError);
          await assert.rejects(within([[10, 5, 11, 4]]), RangeError);
        });
      });
    });

    describe('conflicts', () => {
      // 1: alpha–bravo, open, critical strike_protected, alpha-strike × bravo-hospital
      // 2: bravo–charlie, open, high air_air, bravo-air × charlie-air
      // 3: charlie–alpha, resolved, medium incursion, charlie-aor × alpha-strike
      const c1 = conflict('cf-1', { detected_at: T + 1 });
      const c2 = conflict('cf-2', {
        rule: 'air_air',
        severity: 'high',
        a: 'bravo-air',
        b: 'charlie-air',
        a_party: 'bravo',
        b_party: 'charlie',
        detected_at: T + 2,
        window: { start: T, end: null },
      });
      const c3 = conflict('cf-3', {
        rule: 'incursion',
        severity: 'medium',
        a: 'alpha-strike',
        b: 'charlie-aor',
        a_party: 'alpha',
        b_party: 'charlie',
        a_version: 2,
        b_version: 3,
        detected_at: T + 3,
        status: 'resolved',
        resolution: 'amended',
        resolved_at: T + 4,
      });
      beforeEach(async () => {
        await store.transact(async (tx) => {
          await tx.conflicts.insert(c2);
          await tx.conflicts.insert(c3);
          await tx.conflicts.insert(c1);
        });
      });

      it('stores a conflict exactly', async () => {
        await store.read(async (tx) => {
          assert.deepEqual(await tx.conflicts.get('cf-1'), c1);
          assert.deepEqual(await tx.conflicts.get('cf-2'), c2);
          assert.deepEqual(await tx.conflicts.get('cf-3'), c3);
          assert.equal(await tx.conflicts.get('cf-9'), null);
        });
      });

      it('refuses a second conflict with the same id', async () => {
        await assert.rejects(store.transact((tx) => tx.conflicts.insert({ ...c1, severity: 'low' })));
        assert.equal((await store.read((tx) => tx.conflicts.get('cf-1')))?.severity, 'critical');
      });

      it('queries the conflicts of a party, on either side', async () => {
        await store.read(async (tx) => {
          assert.deepEqual(sorted(ids(await tx.conflicts.query({ party: 'alpha' }))), ['cf-1', 'cf-3']);
          assert.deepEqual(sorted(ids(await tx.conflicts.query({ party: 'bravo' }))), ['cf-1', 'cf-2']);
          assert.deepEqual(sorted(ids(await tx.conflicts.query({ party: 'charlie' }))), ['cf-2', 'cf-3']);
          assert.deepEqual(await tx.conflicts.query({ party: 'delta' }), []);
          assert.deepEqual(
            (await tx.conflicts.query({ party: 'alpha' })).find((c) => c.id === 'cf-3'),
            c3,
          );
        });
      });

      it('filters by status, rule, severity, declaration (either side) and limit', async () => {
        await store.read(async (tx) => {
          const q = async (f: Omit<Parameters<typeof tx.conflicts.query>[0], 'party'>, party = 'alpha') =>
            sorted(ids(await tx.conflicts.query({ party, ...f })));
          assert.deepEqual(await q({ status: 'open' }), ['cf-1']);
          assert.deepEqual(await q({ status: 'resolved' }), ['cf-3']);
          assert.deepEqual(await q({ rule: 'incursion' }), ['cf-3']);
          assert.deepEqual(await q({ rule: 'air_air' }), []);
          assert.deepEqual(await q({ rule: 'air_air' }, 'charlie'), ['cf-2']);
          assert.deepEqual(await q({ severity: 'critical' }), ['cf-1']);
          assert.deepEqual(await q({ severity: 'medium' }, 'charlie'), ['cf-3']);
          assert.deepEqual(await q({ declaration: 'alpha-strike' }), ['cf-1', 'cf-3']);
          assert.deepEqual(await q({ declaration: 'charlie-aor' }), ['cf-3']);
          assert.deepEqual(await q({ declaration: 'charlie-aor' }, 'bravo'), []);
          assert.deepEqual(await q({ declaration: 'alpha-strike', status: 'open' }), ['cf-1']);
          assert.equal((await tx.conflicts.query({ party: 'alpha', limit: 1 })).length, 1);
          assert.equal((await tx.conflicts.query({ party: 'alpha', limit: 5000 })).length, 2);
        });
      });

      it('finds the open conflicts of a declaration, on either side', async () => {
        await store.read(async (tx) => {
          assert.deepEqual(ids(await tx.conflicts.openFor('alpha-strike')), ['cf-1']);
          assert.deepEqual(ids(await tx.conflicts.openFor('bravo-hospital')), ['cf-1']);
          assert.deepEqual(ids(await tx.conflicts.openFor('charlie-air')), ['cf-2']);
          assert.deepEqual(await tx.conflicts.openFor('charlie-aor'), []);
          assert.deepEqual(await tx.conflicts.openFor('nothing'), []);
        });
      });

      it('updates a conflict: the record and every filter follow', async () => {
        const accepted = {
          ...c1,
          acceptances: [{ party: 'alpha', username: 'alpha.watch', reason: 'cleared by J3', at: T + 10 }],
        };
        await store.transact((tx) => tx.conflicts.update(accepted));
        assert.deepEqual(await store.read((tx) => tx.conflicts.get('cf-1')), accepted);
        const resolved: ConflictRecord = {
          ...accepted,
          status: 'resolved',
          resolution: 'risk_accepted',
          resolved_at: T + 11,
        };
        await store.transact((tx) => tx.conflicts.update(resolved));
        await store.read(async (tx) => {
          assert.deepEqual(await tx.conflicts.get('cf-1'), resolved);
          assert.deepEqual(await tx.conflicts.openFor('alpha-strike'), []);
          assert.deepEqual(ids(await tx.conflicts.query({ party: 'bravo', status: 'open' })), ['cf-2']);
          assert.deepEqual(sorted(ids(await tx.conflicts.query({ party: 'alpha', status: 'resolved' }))), [
            'cf-1',
            'cf-3',
          ]);
        });
      });
    });

    describe('ledger', () => {
      it('is empty at first', async () => {
        await store.read(async (tx) => {
          assert.equal(await tx.ledger.head(), null);
          assert.deepEqual(await tx.ledger.range(1, 10), []);
        });
        assert.deepEqual(verifyChain(await wholeLedger(store)), { ok: true, entries: 0 });
      });

      it('appends entries numbered from 1, each linked to the one before by hash', async () => {
        const appended: LedgerEntry[] = [];
        for (let i = 0; i < 5; i++) {
          appended.push(
            await store.transact((tx) => tx.ledger.append(entry('party.created', `p${i}`, { i }))),
          );
        }
        assert.deepEqual(
          appended.map((e) => e.seq),
          [1, 2, 3, 4, 5],
        );
        assert.equal(appended[0]?.prev_hash, GENESIS_HASH);
        for (let i = 1; i < appended.length; i++) {
          assert.equal(appended[i]?.prev_hash, appended[i - 1]?.hash);
        }
        for (const e of appended) assert.equal(e.hash, entryHash(e));
        assert.equal(new Set(appended.map((e) => e.hash)).size, 5);
        await store.read(async (tx) => {
          assert.deepEqual(await tx.ledger.head(), appended[4]);
          assert.deepEqual(await tx.ledger.range(2, 2), appended.slice(1, 3));
          assert.deepEqual(await tx.ledger.range(4, 100), appended.slice(3));
          assert.deepEqual(await tx.ledger.range(6, 10), []);
        });
        assert.deepEqual(await wholeLedger(store), appended);
        assert.deepEqual(verifyChain(await wholeLedger(store)), { ok: true, entries: 5 });
      });

      it('gives back what was appended: payload, actor and party round-trip', async () => {
        const payloads: unknown[] = [
          {
            version: 1,
            declaration: decl('a', { label: 'Ünïcode “quotes” \u2028 and \\ slashes' }),
            nested: { z: [1, 2.5, -3e-7, null, true], a: { b: 'c' } },
          },
          [],
          'text',
          42,
          null,
          {},
        ];
        const stored: LedgerEntry[] = [];
        await store.transact(async (tx) => {
          for (const [i, payload] of payloads.entries()) {
            stored.push(
              await tx.ledger.append({
                at: T + i,
                actor: i % 2 === 0 ? null : 'alpha.op',
                party: i % 3 === 0 ? null : 'alpha',
                type: 'test.entry',
                subject: `s${i}`,
                payload,
              }),
            );
          }
        });
        const read = await wholeLedger(store);
        assert.deepEqual(read, stored);
        assert.deepEqual(
          read.map((e) => e.payload),
          payloads,
        );
        assert.equal(verifyChain(read).ok, true);
      });

      it('stores what a JSON reader gives back: no entry whose hash breaks on reading', async () => {
        // Payloads are `unknown`: a missing payload, undefined members and a Date must come back
        // as the JSON they are stored as, with a hash over that same content.
        const tricky: unknown[] = [undefined, { a: undefined, b: 1 }, { when: new Date(T) }, [undefined, 1]];
        const stored = await store.transact(async (tx) => {
          const out: LedgerEntry[] = [];
          for (const payload of tricky)
            out.push(await tx.ledger.append({ ...entry('test.tricky', 'x'), payload }));
          return out;
        });
        const read = await wholeLedger(store);
        assert.deepEqual(read, stored);
        assert.deepEqual(verifyChain(read), { ok: true, entries: 4 });
        assert.deepEqual(
          read.map((e) => e.payload),
          [null, { b: 1 }, { when: new Date(T).toISOString() }, [null, 1]],
        );
      });

      it('a changed entry breaks the chain from there on', async () => {
        await store.transact(async (tx) => {
          for (let i = 0; i < 4; i++) await tx.ledger.append(entry('x', `s${i}`, { i }));
        });
        const entries = await wholeLedger(store);
        const tampered = entries.map((e) => (e.seq === 3 ? { ...e, payload: { i: 99 } } : e));
        assert.deepEqual(verifyChain(tampered), {
          ok: false,
          entries: 2,
          broken: { seq: 3, reason: 'hash does not match content' },
        });
        assert.equal(verifyChain(entries.filter((e) => e.seq !== 2)).ok, false);
      });
    });

    describe('meta', () => {
      it('init sets a key once and keeps the first value; get reads it; an unset key is null', async () => {
        assert.equal(await store.transact((tx) => tx.meta.init('hub_key', 'first')), 'first');
        assert.equal(await store.transact((tx) => tx.meta.init('hub_key', 'second')), 'first');
        await store.read(async (tx) => {
          assert.equal(await tx.meta.get('hub_key'), 'first');
          assert.equal(await tx.meta.get('nothing'), null);
        });
      });
    });

    describe('watch repositories', () => {
      describe('roster', () => {
        it('stores a shift exactly; an unknown id is null', async () => {
          const s = shift('sh-1', 'alpha', T, T + 8 * H, {
            role: 'senior_officer',
            username: 'alpha.senior',
          });
          await store.transact((tx) => tx.roster.insert(s));
          await store.read(async (tx) => {
            assert.deepEqual(await tx.roster.get('sh-1'), s);
            assert.equal(await tx.roster.get('sh-9'), null);
          });
        });

        it('lists the shifts of one party overlapping a half-open window [from, to), by start', async () => {
          const from = T;
          const to = T + 8 * H;
          const inWindow = [
            shift('head', 'alpha', from - 2 * H, from + 1),
            shift('spans', 'alpha', from - H, to + H, { role: 'senior_officer', username: 'alpha.senior' }),
            shift('inside', 'alpha', from + 2 * H, from + 3 * H),
            shift('tail', 'alpha', to - 1, to + 2 * H),
          ];
          const outside = [
            shift('ends-at-from', 'alpha', from - 8 * H, from),
            shift('starts-at-to', 'alpha', to, to + 8 * H),
            shift('bravo', 'bravo', from, to),
          ];
          await store.transact(async (tx) => {
            // Neither in start order nor in id order.
            for (const i of [2, 0, 3, 1]) await tx.roster.insert(inWindow[i] as ShiftRecord);
            for (const s of outside) await tx.roster.insert(s);
          });
          await store.read(async (tx) => {
            assert.deepEqual(await tx.roster.list('alpha', from, to), inWindow);
            assert.deepEqual(ids(await tx.roster.list('bravo', from, to)), ['bravo']);
            assert.deepEqual(await tx.roster.list('charlie', from, to), []);
            // A window of one millisecond at `to`: only the shifts holding that instant.
            assert.deepEqual(ids(await tx.roster.list('alpha', to, to + 1)), [
              'spans',
              'tail',
              'starts-at-to',
            ]);
          });
        });

        it('deletes a shift, and only that one', async () => {
          await store.transact(async (tx) => {
            await tx.roster.insert(shift('sh-1', 'alpha', T, T + H));
            await tx.roster.insert(shift('sh-2', 'alpha', T + H, T + 2 * H));
          });
          await store.transact((tx) => tx.roster.delete('sh-1'));
          await store.read(async (tx) => {
            assert.equal(await tx.roster.get('sh-1'), null);
            assert.deepEqual(ids(await tx.roster.list('alpha', T - H, T + 3 * H)), ['sh-2']);
          });
        });
      });

      describe('alerts', () => {
        it('stores an alert exactly: nulls, escalations, acknowledgement and summary round-trip', async () => {
          const fresh = alert('al-1');
          const escalated = alert('al-2', {
            party: 'bravo',
            subject_type: 'notification',
            subject: 'alpha-convoy',
            precedence: 'immediate',
            level: 3,
            due_at: null,
            to: ['bravo.admin', 'bravo.admin2'],
            escalations: [
              { level: 1, due_at: T + 5 * M, at: T + 5 * M, to: ['bravo.senior'] },
              { level: 2, due_at: T + 20 * M, at: T + 31 * M, to: [], uncovered: true },
              { level: 3, due_at: T + 80 * M, at: T + 80 * M, to: ['bravo.admin', 'bravo.admin2'] },
            ],
            summary: {
              declaration: { id: 'alpha-convoy', kind: 'movement', label: 'Convoy “K-7” – ÄÖÜ' },
              window: [T, T + H],
              notes: null,
              nested: [[1, 2], [], [{ x: null }]],
            },
          });
          const closed = alert('al-3', {
            subject_type: 'message',
            subject: 'msg-1',
            precedence: 'routine',
            status: 'closed',
            due_at: null,
            ack: { username: 'alpha.watch', at: T + M, reply: null },
            closed_at: T + 2 * M,
            closed_reason: 'resolved: withdrawn',
            summary: {},
          });
          await store.transact(async (tx) => {
            for (const a of [fresh, escalated, closed]) await tx.alerts.insert(a);
          });
          await store.read(async (tx) => {
            assert.deepEqual(await tx.alerts.get('al-1'), fresh);
            assert.deepEqual(await tx.alerts.get('al-2'), escalated);
            assert.deepEqual(await tx.alerts.get('al-3'), closed);
            assert.equal(await tx.alerts.get('al-9'), null);
          });
          const acked = {
            ...fresh,
            status: 'acknowledged' as const,
            due_at: null,
            ack: { username: 'alpha.watch', at: T + M, reply: 'Seen – holding the strike' },
          };
          await store.transact((tx) => tx.alerts.update(acked));
          assert.deepEqual(await store.read((tx) => tx.alerts.get('al-1')), acked);
        });

        it('queries the alerts of a party, newest first, by status, at most `limit`', async () => {
          await store.transact(async (tx) => {
            await tx.alerts.insert(alert('a-old', { created_at: T }));
            await tx.alerts.insert(alert('a-new', { created_at: T + 3 * M }));
            await tx.alerts.insert(alert('a-mid', { created_at: T + 2 * M, status: 'closed', due_at: null }));
            await tx.alerts.insert(
              alert('a-ack', { created_at: T + M, status: 'acknowledged', due_at: null }),
            );
            await tx.alerts.insert(alert('b-1', { party: 'bravo', created_at: T + 4 * M }));
          });
          await store.read(async (tx) => {
            assert.deepEqual(ids(await tx.alerts.query({ party: 'alpha' })), [
              'a-new',
              'a-mid',
              'a-ack',
              'a-old',
            ]);
            assert.deepEqual(ids(await tx.alerts.query({ party: 'alpha', status: 'open' })), [
              'a-new',
              'a-old',
            ]);
            assert.deepEqual(ids(await tx.alerts.query({ party: 'alpha', status: 'closed' })), ['a-mid']);
            assert.deepEqual(ids(await tx.alerts.query({ party: 'alpha', limit: 2 })), ['a-new', 'a-mid']);
            assert.deepEqual(ids(await tx.alerts.query({ party: 'alpha', status: 'open', limit: 1 })), [
              'a-new',
            ]);
            assert.deepEqual(await tx.alerts.query({ party: 'bravo' }), [
              alert('b-1', { party: 'bravo', created_at: T + 4 * M }),
            ]);
            assert.deepEqual(await tx.alerts.query({ party: 'charlie' }), []);
          });
        });

        it('finds every alert about one subject, of any party and status, and no other', async () => {
          await store.transact(async (tx) => {
            await tx.alerts.insert(alert('a-cf1'));
            await tx.alerts.insert(alert('b-cf1', { party: 'bravo', status: 'closed', due_at: null }));
            await tx.alerts.insert(alert('a-cf2', { subject: 'cf-2' }));
            // The same subject string, another subject type.
            await tx.alerts.insert(alert('a-msg', { subject_type: 'message', subject: 'cf-1' }));
          });
          await store.read(async (tx) => {
            const found = await tx.alerts.forSubject('conflict', 'cf-1');
            assert.deepEqual(sorted(ids(found)), ['a-cf1', 'b-cf1']);
            assert.deepEqual(
              found.find((a) => a.id === 'b-cf1'),
              alert('b-cf1', { party: 'bravo', status: 'closed', due_at: null }),
            );
            assert.deepEqual(ids(await tx.alerts.forSubject('message', 'cf-1')), ['a-msg']);
            assert.deepEqual(await tx.alerts.forSubject('notification', 'cf-1'), []);
          });
        });

        it('answers the open alerts due at or before now, earliest first, at most `limit`', async () => {
          const now = T + 5 * M;
          await store.transact(async (tx) => {
            await tx.alerts.insert(alert('later', { due_at: now + 4 * M }));
            await tx.alerts.insert(alert('at-now', { due_at: now }));
            await tx.alerts.insert(alert('earliest', { due_at: now - 3 * M }));
            await tx.alerts.insert(alert('bravo', { party: 'bravo', due_at: now - 2 * M }));
            await tx.alerts.insert(alert('just-after', { due_at: now + 1 }));
            // Not open, or no deadline: never due, whatever due_at says.
            await tx.alerts.insert(alert('acked', { status: 'acknowledged', due_at: now - 4 * M }));
            await tx.alerts.insert(alert('closed', { status: 'closed', due_at: now - 4 * M }));
            await tx.alerts.insert(alert('overdue', { level: 3, due_at: null }));
          });
          await store.read(async (tx) => {
            assert.deepEqual(ids(await tx.alerts.due(now, 10)), ['earliest', 'bravo', 'at-now']);
            assert.deepEqual(ids(await tx.alerts.due(now, 2)), ['earliest', 'bravo']);
            assert.deepEqual(await tx.alerts.due(now - 3 * M - 1, 10), []);
            assert.deepEqual(ids(await tx.alerts.due(now + 10 * M, 10)), [
              'earliest',
              'bravo',
              'at-now',
              'just-after',
              'later',
            ]);
            assert.deepEqual((await tx.alerts.due(now, 1))[0], alert('earliest', { due_at: now - 3 * M }));
            assert.equal(await tx.alerts.nextDue(), now - 3 * M);
          });
          // Acknowledged: out of due(); escalated to the next level: due at its new deadline.
          await store.transact(async (tx) => {
            const earliest = await tx.alerts.get('earliest');
            assert.ok(earliest);
            await tx.alerts.update({ ...earliest, status: 'acknowledged', due_at: null });
            const atNow = await tx.alerts.get('at-now');
            assert.ok(atNow);
            await tx.alerts.update({ ...atNow, level: 1, due_at: now + 15 * M });
          });
          await store.read(async (tx) => {
            assert.deepEqual(ids(await tx.alerts.due(now, 10)), ['bravo']);
            assert.equal(await tx.alerts.nextDue(), now - 2 * M);
          });
          await store.transact(async (tx) => {
            const bravo = await tx.alerts.get('bravo');
            assert.ok(bravo);
            await tx.alerts.update({ ...bravo, status: 'closed', due_at: null, closed_at: now });
          });
          await store.read(async (tx) => {
            assert.deepEqual(await tx.alerts.due(now, 10), []);
            assert.equal(await tx.alerts.nextDue(), now + 1);
          });
        });

        it('has no next deadline without open alerts that have one', async () => {
          assert.equal(await store.read((tx) => tx.alerts.nextDue()), null);
          await store.transact(async (tx) => {
            await tx.alerts.insert(alert('acked', { status: 'acknowledged', due_at: T }));
            await tx.alerts.insert(alert('closed', { status: 'closed', due_at: T }));
            await tx.alerts.insert(alert('overdue', { level: 3, due_at: null }));
          });
          await store.read(async (tx) => {
            assert.equal(await tx.alerts.nextDue(), null);
            assert.deepEqual(await tx.alerts.due(T + 24 * H, 10), []);
          });
        });
      });

      describe('events', () => {
        it('is empty at first: head 0, nothing since 0, no event 1', async () => {
          await store.read(async (tx) => {
            assert.equal(await tx.events.head('alpha'), 0);
            assert.deepEqual(await tx.events.since('alpha', 0, 10), []);
            assert.equal(await tx.events.get('alpha', 1), null);
          });
        });

        it('numbers each party’s events contiguously from 1, independently of the others', async () => {
          const appended = await store.transact(async (tx) => {
            const out = [];
            for (const party of ['alpha', 'bravo', 'alpha', 'alpha', 'bravo'])
              out.push(
                await tx.events.append({
                  party,
                  at: T + out.length,
                  type: 'test.event',
                  data: { n: out.length },
                }),
              );
            return out;
          });
          assert.deepEqual(
            appended.map((e) => `${e.party}:${e.seq}`),
            ['alpha:1', 'bravo:1', 'alpha:2', 'alpha:3', 'bravo:2'],
          );
          // In a later unit of work, each stream continues where it was.
          const next = await store.transact(async (tx) => [
            await tx.events.append({ party: 'bravo', at: T + 10, type: 'test.event', data: null }),
            await tx.events.append({ party: 'charlie', at: T + 11, type: 'test.event', data: null }),
            await tx.events.append({ party: 'alpha', at: T + 12, type: 'test.event', data: null }),
          ]);
          assert.deepEqual(
            next.map((e) => `${e.party}:${e.seq}`),
            ['bravo:3', 'charlie:1', 'alpha:4'],
          );
          await store.read(async (tx) => {
            assert.equal(await tx.events.head('alpha'), 4);
            assert.equal(await tx.events.head('bravo'), 3);
            assert.equal(await tx.events.head('charlie'), 1);
            assert.equal(await tx.events.head('delta'), 0);
            const alpha = await tx.events.since('alpha', 0, 100);
            assert.deepEqual(alpha, [...appended.filter((e) => e.party === 'alpha'), next[2]]);
            assert.deepEqual(
              alpha.map((e) => e.seq),
              [1, 2, 3, 4],
            );
          });
        });

        it('answers the events after a sequence number, in order, at most `limit`; get finds one', async () => {
          await store.transact(async (tx) => {
            for (let i = 1; i <= 5; i++) {
              await tx.events.append({ party: 'alpha', at: T + i, type: `alpha.${i}`, data: { i } });
              await tx.events.append({ party: 'bravo', at: T + i, type: `bravo.${i}`, data: { i } });
            }
          });
          await store.read(async (tx) => {
            assert.deepEqual(
              (await tx.events.since('alpha', 2, 2)).map((e) => e.type),
              ['alpha.3', 'alpha.4'],
            );
            assert.deepEqual(
              (await tx.events.since('alpha', 0, 100)).map((e) => e.seq),
              [1, 2, 3, 4, 5],
            );
            assert.deepEqual(await tx.events.since('alpha', 5, 100), []);
            assert.deepEqual(await tx.events.since('charlie', 0, 100), []);
            assert.deepEqual(await tx.events.get('bravo', 4), {
              party: 'bravo',
              seq: 4,
              at: T + 4,
              type: 'bravo.4',
              data: { i: 4 },
            });
            assert.equal(await tx.events.get('alpha', 6), null);
            assert.equal(await tx.events.get('charlie', 1), null);
          });
        });

        it('gives back what was appended: nested data, nulls and text round-trip', async () => {
          const data = {
            alert: { id: 'al-1', to: ['alpha.watch'], ack: null },
            window: [T, T + H],
            nested: [[1, [2, [3]]], [], [{ x: null, y: false }]],
            text: 'Convoy “K-7” – ÄÖÜ\nline two',
          };
          const [withData, withNull] = await store.transact(async (tx) => [
            await tx.events.append({ party: 'alpha', at: T, type: 'alert.raised', data }),
            await tx.events.append({ party: 'alpha', at: T + 1, type: 'ping', data: null }),
          ]);
          assert.deepEqual(withData, { party: 'alpha', seq: 1, at: T, type: 'alert.raised', data });
          assert.deepEqual(withNull, { party: 'alpha', seq: 2, at: T + 1, type: 'ping', data: null });
          await store.read(async (tx) => {
            assert.deepEqual(await tx.events.get('alpha', 1), withData);
            assert.deepEqual(await tx.events.get('alpha', 2), withNull);
          });
        });

        it('events of a rolled-back unit of work do not exist and use up no sequence number', async () => {
          await store.transact((tx) => tx.events.append({ party: 'alpha', at: T, type: 'kept', data: {} }));
          const boom = new Error('boom');
          await assert.rejects(
            store.transact(async (tx) => {
              const a = await tx.events.append({ party: 'alpha', at: T + 1, type: 'lost', data: {} });
              const b = await tx.events.append({ party: 'bravo', at: T + 1, type: 'lost', data: {} });
              assert.deepEqual([a.seq, b.seq], [2, 1]);
              await new Promise((resolve) => setImmediate(resolve));
              throw boom;
            }),
            (err) => err === boom,
          );
          await store.read(async (tx) => {
            assert.equal(await tx.events.head('alpha'), 1);
            assert.equal(await tx.events.head('bravo'), 0);
            assert.equal(await tx.events.get('alpha', 2), null);
            assert.equal(await tx.events.get('bravo', 1), null);
            assert.deepEqual(
              (await tx.events.since('alpha', 0, 10)).map((e) => e.type),
              ['kept'],
            );
          });
          const [a, b] = await store.transact(async (tx) => [
            await tx.events.append({ party: 'alpha', at: T + 2, type: 'next', data: {} }),
            await tx.events.append({ party: 'bravo', at: T + 2, type: 'next', data: {} }),
          ]);
          assert.equal(a?.seq, 2);
          assert.equal(b?.seq, 1);
        });
      });

      describe('channels', () => {
        it('stores a channel exactly, every member status included; an unknown id is null', async () => {
          const c = channel('ch-1', ['alpha', 'bravo', 'charlie'], {
            name: 'River line – “K-7”',
            members: [
              { party: 'alpha', status: 'accepted', at: T },
              { party: 'bravo', status: 'invited', at: T },
              { party: 'charlie', status: 'declined', at: T + M },
            ],
          });
          await store.transact((tx) => tx.channels.insert(c));
          await store.read(async (tx) => {
            assert.deepEqual(await tx.channels.get('ch-1'), c);
            assert.equal(await tx.channels.get('ch-9'), null);
          });
        });

        it('lists only the channels a party is a member of, oldest first, also once an update adds it', async () => {
          // Ids in reverse alphabetical order of creation: the order is by age, not by id.
          const z = channel('ch-z', ['alpha', 'bravo'], { created_at: T });
          const m = channel('ch-m', ['bravo', 'charlie'], { created_at: T + M });
          const a = channel('ch-a', ['alpha', 'charlie'], { created_at: T + 2 * M });
          await store.transact(async (tx) => {
            for (const c of [z, m, a]) await tx.channels.insert(c);
          });
          await store.read(async (tx) => {
            assert.deepEqual(await tx.channels.listFor('alpha'), [z, a]);
            assert.deepEqual(ids(await tx.channels.listFor('bravo')), ['ch-z', 'ch-m']);
            assert.deepEqual(ids(await tx.channels.listFor('charlie')), ['ch-m', 'ch-a']);
            assert.deepEqual(await tx.channels.listFor('delta'), []);
          });
          const m2: ChannelRecord = {
            ...m,
            members: [
              ...m.members.map((x) => (x.party === 'charlie' ? { ...x, status: 'accepted' as const } : x)),
              { party: 'delta', status: 'invited', at: T + 3 * M },
              { party: 'alpha', status: 'invited', at: T + 3 * M },
            ],
          };
          await store.transact((tx) => tx.channels.update(m2));
          await store.read(async (tx) => {
            assert.deepEqual(await tx.channels.get('ch-m'), m2);
            assert.deepEqual(await tx.channels.listFor('delta'), [m2]);
            assert.deepEqual(await tx.channels.listFor('alpha'), [z, m2, a]);
            assert.deepEqual(await tx.channels.listFor('charlie'), [m2, a]);
            assert.deepEqual(await tx.channels.listFor('echo'), []);
          });
        });
      });

      describe('messages', () => {
        it('stores a message exactly, reference and receipts included; update round-trips', async () => {
          const msg = message('msg-1', 'ch-1', 1, {
            precedence: 'flash',
            text: 'Hold fire at grid “K-7” – ÄÖÜ\nconfirm',
            ref: { type: 'conflict', id: 'cf-1' },
            receipts: [
              { party: 'bravo', delivered_at: null, read_at: null, acked_at: null },
              { party: 'charlie', delivered_at: T + M, read_at: null, acked_at: null },
            ],
          });
          await store.transact((tx) => tx.messages.insert(msg));
          assert.deepEqual(await store.read((tx) => tx.messages.get('msg-1')), msg);
          assert.equal(await store.read((tx) => tx.messages.get('msg-9')), null);
          const read: MessageRecord = {
            ...msg,
            receipts: [
              { party: 'bravo', delivered_at: T + 2 * M, read_at: T + 3 * M, acked_at: T + 4 * M },
              { party: 'charlie', delivered_at: T + M, read_at: null, acked_at: null },
            ],
          };
          await store.transact((tx) => tx.messages.update(read));
          await store.read(async (tx) => {
            assert.deepEqual(await tx.messages.get('msg-1'), read);
            assert.deepEqual(await tx.messages.list('ch-1', 0, 10), [read]);
          });
        });

        it('lists a channel’s messages after a seq, in order, at most `limit`; lastSeq is the last', async () => {
          await store.transact(async (tx) => {
            for (const seq of [3, 1, 5, 2, 4]) await tx.messages.insert(message(`c1-${seq}`, 'ch-1', seq));
            for (const seq of [1, 2]) await tx.messages.insert(message(`c2-${seq}`, 'ch-2', seq));
          });
          await store.read(async (tx) => {
            assert.deepEqual(ids(await tx.messages.list('ch-1', 0, 10)), [
              'c1-1',
              'c1-2',
              'c1-3',
              'c1-4',
              'c1-5',
            ]);
            assert.deepEqual(await tx.messages.list('ch-1', 2, 2), [
              message('c1-3', 'ch-1', 3),
              message('c1-4', 'ch-1', 4),
            ]);
            assert.deepEqual(await tx.messages.list('ch-1', 5, 10), []);
            assert.deepEqual(ids(await tx.messages.list('ch-2', 0, 10)), ['c2-1', 'c2-2']);
            assert.deepEqual(await tx.messages.list('ch-3', 0, 10), []);
            assert.equal(await tx.messages.lastSeq('ch-1'), 5);
            assert.equal(await tx.messages.lastSeq('ch-2'), 2);
            assert.equal(await tx.messages.lastSeq('ch-3'), 0);
          });
        });

        it('refuses a second message at one (channel, seq); the whole unit of work rolls back', async () => {
          await store.transact((tx) => tx.messages.insert(message('m-1', 'ch-1', 1)));
          await assert.rejects(
            store.transact(async (tx) => {
              await tx.events.append({ party: 'bravo', at: T, type: 'message.posted', data: {} });
              await tx.messages.insert(message('m-2', 'ch-1', 2));
              await tx.messages.insert(message('m-dup', 'ch-1', 1, { text: 'a second first' }));
            }),
          );
          await store.read(async (tx) => {
            assert.equal(await tx.messages.get('m-dup'), null);
            assert.equal(await tx.messages.get('m-2'), null);
            assert.deepEqual(await tx.messages.list('ch-1', 0, 10), [message('m-1', 'ch-1', 1)]);
            assert.equal(await tx.messages.lastSeq('ch-1'), 1);
            assert.equal(await tx.events.head('bravo'), 0);
          });
          // The same seq in another channel is no conflict.
          await store.transact((tx) => tx.messages.insert(message('m-other', 'ch-2', 1)));
          assert.equal(await store.read((tx) => tx.messages.lastSeq('ch-2')), 1);
        });
      });

      describe('webhooks', () => {
        it('stores a webhook exactly; update round-trips; an unknown id is null', async () => {
          const w = webhook('wh-1', 'alpha');
          await store.transact((tx) => tx.webhooks.insert(w));
          assert.deepEqual(await store.read((tx) => tx.webhooks.get('wh-1')), w);
          assert.equal(await store.read((tx) => tx.webhooks.get('wh-9')), null);
          const disabled = { ...w, disabled_at: T + H };
          await store.transact((tx) => tx.webhooks.update(disabled));
          assert.deepEqual(await store.read((tx) => tx.webhooks.get('wh-1')), disabled);
        });

        it('lists the webhooks of one party', async () => {
          await store.transact(async (tx) => {
            await tx.webhooks.insert(webhook('wh-a2', 'alpha'));
            await tx.webhooks.insert(webhook('wh-b1', 'bravo'));
            await tx.webhooks.insert(webhook('wh-a1', 'alpha', { disabled_at: T + M }));
          });
          await store.read(async (tx) => {
            const alpha = await tx.webhooks.listByParty('alpha');
            assert.deepEqual(sorted(ids(alpha)), ['wh-a1', 'wh-a2']);
            assert.deepEqual(
              alpha.find((w) => w.id === 'wh-a1'),
              webhook('wh-a1', 'alpha', { disabled_at: T + M }),
            );
            assert.deepEqual(await tx.webhooks.listByParty('bravo'), [webhook('wh-b1', 'bravo')]);
            assert.deepEqual(await tx.webhooks.listByParty('charlie'), []);
          });
        });
      });

      describe('deliveries', () => {
        it('stores a delivery exactly; update round-trips; an unknown id is null', async () => {
          const d = delivery('dl-1', 'wh-1', { event_seq: 42 });
          await store.transact((tx) => tx.deliveries.insert(d));
          assert.deepEqual(await store.read((tx) => tx.deliveries.get('dl-1')), d);
          assert.equal(await store.read((tx) => tx.deliveries.get('dl-9')), null);
          const retried = {
            ...d,
            attempts: 2,
            next_at: T + 40_000,
            last_status: 503,
            last_error: 'HTTP 503 – “unavailable”',
          };
          await store.transact((tx) => tx.deliveries.update(retried));
          assert.deepEqual(await store.read((tx) => tx.deliveries.get('dl-1')), retried);
          const delivered = {
            ...retried,
            status: 'delivered' as const,
            attempts: 3,
            next_at: null,
            last_status: 204,
            last_error: null,
            delivered_at: T + 41_000,
          };
          await store.transact((tx) => tx.deliveries.update(delivered));
          assert.deepEqual(await store.read((tx) => tx.deliveries.get('dl-1')), delivered);
        });

        it('answers the pending deliveries due at or before now, earliest first; nextDue is pending only', async () => {
          const now = T + 30_000;
          assert.equal(await store.read((tx) => tx.deliveries.nextDue()), null);
          await store.transact(async (tx) => {
            await tx.deliveries.insert(delivery('at-now', 'wh-1', { next_at: now }));
            await tx.deliveries.insert(delivery('earliest', 'wh-1', { next_at: now - 20_000 }));
            await tx.deliveries.insert(delivery('later', 'wh-1', { next_at: now + 30_000 }));
            await tx.deliveries.insert(
              delivery('other-hook', 'wh-2', { party: 'bravo', next_at: now - 10_000 }),
            );
            // Not pending: never due, whatever next_at says.
            await tx.deliveries.insert(
              delivery('delivered', 'wh-1', { status: 'delivered', next_at: now - 29_000 }),
            );
            await tx.deliveries.insert(
              delivery('failed', 'wh-1', { status: 'failed', next_at: now - 29_000 }),
            );
          });
          await store.read(async (tx) => {
            assert.deepEqual(ids(await tx.deliveries.due(now, 10)), ['earliest', 'other-hook', 'at-now']);
            assert.deepEqual(ids(await tx.deliveries.due(now, 2)), ['earliest', 'other-hook']);
            assert.deepEqual(await tx.deliveries.due(now - 20_001, 10), []);
            assert.deepEqual(
              (await tx.deliveries.due(now, 1))[0],
              delivery('earliest', 'wh-1', { next_at: now - 20_000 }),
            );
            assert.equal(await tx.deliveries.nextDue(), now - 20_000);
          });
          await store.transact(async (tx) => {
            const d = await tx.deliveries.get('earliest');
            assert.ok(d);
            await tx.deliveries.update({ ...d, status: 'delivered', next_at: null, delivered_at: now });
            const o = await tx.deliveries.get('other-hook');
            assert.ok(o);
            await tx.deliveries.update({ ...o, attempts: 1, next_at: now + 10_000 });
          });
          await store.read(async (tx) => {
            assert.deepEqual(ids(await tx.deliveries.due(now, 10)), ['at-now']);
            assert.deepEqual(ids(await tx.deliveries.due(now + 60_000, 10)), [
              'at-now',
              'other-hook',
              'later',
            ]);
            assert.equal(await tx.deliveries.nextDue(), now);
          });
          await store.transact(async (tx) => {
            for (const id of ['at-now', 'other-hook', 'later']) {
              const d = await tx.deliveries.get(id);
              assert.ok(d);
              await tx.deliveries.update({ ...d, status: 'failed', next_at: null });
            }
          });
          await store.read(async (tx) => {
            assert.equal(await tx.deliveries.nextDue(), null);
            assert.deepEqual(await tx.deliveries.due(now + H, 10), []);
          });
        });

        it('lists a webhook’s deliveries newest first, with or without a status, at most `limit`', async () => {
          const statuses = ['pending', 'delivered', 'failed', 'delivered'] as const;
          await store.transact(async (tx) => {
            // Inserted out of creation order.
            for (const i of [2, 0, 3, 1])
              await tx.deliveries.insert(
                delivery(`d${i}`, 'wh-1', {
                  status: statuses[i],
                  event_seq: i + 1,
                  created_at: T + i * 1000,
                }),
              );
            await tx.deliveries.insert(delivery('other', 'wh-2', { created_at: T + 9000 }));
          });
          await store.read(async (tx) => {
            assert.deepEqual(ids(await tx.deliveries.listByWebhook('wh-1', undefined, 10)), [
              'd3',
              'd2',
              'd1',
              'd0',
            ]);
            assert.deepEqual(ids(await tx.deliveries.listByWebhook('wh-1', undefined, 2)), ['d3', 'd2']);
            assert.deepEqual(ids(await tx.deliveries.listByWebhook('wh-1', 'delivered', 10)), ['d3', 'd1']);
            assert.deepEqual(ids(await tx.deliveries.listByWebhook('wh-1', 'delivered', 1)), ['d3']);
            assert.deepEqual(await tx.deliveries.listByWebhook('wh-1', 'pending', 10), [
              delivery('d0', 'wh-1', { status: 'pending', event_seq: 1, created_at: T }),
            ]);
            assert.deepEqual(ids(await tx.deliveries.listByWebhook('wh-1', 'failed', 10)), ['d2']);
            assert.deepEqual(ids(await tx.deliveries.listByWebhook('wh-2', undefined, 10)), ['other']);
            assert.deepEqual(await tx.deliveries.listByWebhook('wh-3', undefined, 10), []);
          });
        });
      });
    });

    describe('probes', () => {
      const probe = (id: string, caller: string, owner: string, at: number, withheld = false) => ({
        id,
        caller,
        owner,
        at,
        conflict: `cf-${id}`,
        rule: 'strike_protected' as const,
        severity: 'critical' as const,
        withheld,
      });

      it("counts a pair's probes since a time, lists an owner's newest first, keeps them whole", async () => {
        await store.transact(async (tx) => {
          await tx.probes.insert(probe('p1', 'bravo', 'alpha', T));
          await tx.probes.insert(probe('p2', 'bravo', 'alpha', T + 10, true));
          await tx.probes.insert(probe('p3', 'charlie', 'alpha', T + 20));
          await tx.probes.insert(probe('p4', 'alpha', 'bravo', T + 30));
        });
        await store.read(async (tx) => {
          assert.equal(await tx.probes.count('alpha', 'bravo', T), 2);
          assert.equal(await tx.probes.count('alpha', 'bravo', T + 1), 1);
          assert.equal(await tx.probes.count('bravo', 'alpha', T), 1);
          assert.equal(await tx.probes.count('alpha', 'delta', T), 0);
          const listed = await tx.probes.listForOwner('alpha', T, 10);
          assert.deepEqual(ids(listed), ['p3', 'p2', 'p1']);
          assert.deepEqual(listed[1], probe('p2', 'bravo', 'alpha', T + 10, true));
          assert.deepEqual(ids(await tx.probes.listForOwner('alpha', T + 5, 1)), ['p3']);
        });
      });

      it("sets and replaces an owner's budget per caller; none set is null", async () => {
        const budget = (caller: string, per_day: number, at: number) => ({
          owner: 'alpha',
          caller,
          per_day,
          set_at: at,
          set_by: 'alpha.admin',
        });
        await store.transact(async (tx) => {
          await tx.probes.setBudget(budget('bravo', 5, T));
          await tx.probes.setBudget(budget('charlie', 0, T));
          await tx.probes.setBudget(budget('bravo', 7, T + 1));
        });
        await store.read(async (tx) => {
          assert.deepEqual(await tx.probes.budget('alpha', 'bravo'), budget('bravo', 7, T + 1));
          assert.equal(await tx.probes.budget('bravo', 'alpha'), null);
          assert.deepEqual(
            (await tx.probes.budgets('alpha')).map((b) => [b.caller, b.per_day]),
            [
              ['bravo', 7],
              ['charlie', 0],
            ],
          );
        });
      });
    });

    describe('transactions', () => {
      it('answers what the unit of work returns', async () => {
        assert.equal(await store.transact(async () => 42), 42);
        assert.equal(await store.read(async () => 'x'), 'x');
      });

      it('rolls back everything a failing unit of work wrote; the store goes on', async () => {
        await store.transact(async (tx) => {
          await tx.parties.create({ id: 'alpha', name: 'Alpha', created_at: T });
          await tx.ledger.append(entry('party.created', 'alpha'));
        });
        const headBefore = await store.read((tx) => tx.ledger.head());
        const boom = new Error('boom');
        await assert.rejects(
          store.transact(async (tx) => {
            await tx.parties.create({ id: 'bravo', name: 'Bravo', created_at: T });
            await tx.members.create(member('bravo.op', 'bravo'));
            await tx.members.update('alpha.none', { disabled: true });
            await tx.tokens.create(token('tok_1', 'bravo.op', 'bravo'));
            await tx.declarations.insert(record(decl('b1', { party: 'bravo' })));
            await tx.declarations.setStatus('b1', 1, 'withdrawn');
            await tx.conflicts.insert(conflict('cf-1'));
            await tx.ledger.append(entry('party.created', 'bravo'));
            await tx.ledger.append(entry('declaration.created', 'b1'));
            // Something asynchronous between the writes and the failure.
            await new Promise((resolve) => setImmediate(resolve));
            throw boom;
          }),
          (err) => err === boom,
        );
        await store.read(async (tx) => {
          assert.equal(await tx.parties.get('bravo'), null);
          assert.deepEqual(ids(await tx.parties.list()), ['alpha']);
          assert.equal(await tx.members.get('bravo.op'), null);
          assert.equal(await tx.tokens.get('tok_1'), null);
          assert.equal(await tx.declarations.current('b1'), null);
          assert.deepEqual(await tx.declarations.active(), []);
          assert.equal(await tx.conflicts.get('cf-1'), null);
          assert.deepEqual(await tx.ledger.head(), headBefore);
        });
        // The next unit of work commits, and the ledger continues where it was.
        const next = await store.transact(async (tx) => {
          await tx.parties.create({ id: 'bravo', name: 'Bravo', created_at: T });
          return tx.ledger.append(entry('party.created', 'bravo'));
        });
        assert.equal(next.seq, 2);
        assert.equal(next.prev_hash, headBefore?.hash);
        assert.deepEqual(verifyChain(await wholeLedger(store)), { ok: true, entries: 2 });
      });

      it('rolls back a unit of work whose own write fails (a constraint)', async () => {
        await store.transact((tx) => tx.parties.create({ id: 'alpha', name: 'Alpha', created_at: T }));
        await assert.rejects(
          store.transact(async (tx) => {
            await tx.ledger.append(entry('party.created', 'alpha'));
            await tx.parties.create({ id: 'alpha', name: 'Again', created_at: T });
          }),
        );
        assert.equal(await store.read((tx) => tx.ledger.head()), null);
      });

      it('serializes units of work: 20 at once each read the head, then append after it', async () => {
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            store.transact(async (tx) => {
              const head = await tx.ledger.head();
              // Give the others every chance to run in between.
              await new Promise((resolve) => setImmediate(resolve));
              await new Promise((resolve) => setTimeout(resolve, i % 3));
              const e = await tx.ledger.append(entry('test.concurrent', `c${i}`, { after: head?.seq ?? 0 }));
              return {
                head: head?.seq ?? 0,
                seq: e.seq,
                prev: e.prev_hash,
                headHash: head?.hash ?? GENESIS_HASH,
              };
            }),
          ),
        );
        for (const r of results) {
          assert.equal(r.seq, r.head + 1, 'each unit of work saw the head it appended after');
          assert.equal(r.prev, r.headHash);
        }
        assert.deepEqual(sorted(results.map((r) => String(r.seq).padStart(2, '0'))), [
          ...Array.from({ length: 20 }, (_, i) => String(i + 1).padStart(2, '0')),
        ]);
        const all = await wholeLedger(store);
        assert.equal(all.length, 20);
        assert.deepEqual(
          sorted(all.map((e) => e.subject)),
          sorted(Array.from({ length: 20 }, (_, i) => `c${i}`)),
        );
        assert.deepEqual(verifyChain(all), { ok: true, entries: 20 });
      });

      it('a failure among concurrent units of work loses only its own writes', async () => {
        const outcomes = await Promise.allSettled(
          Array.from({ length: 6 }, (_, i) =>
            store.transact(async (tx) => {
              await tx.parties.create({ id: `p${i}`, name: `P${i}`, created_at: T });
              await tx.ledger.append(entry('party.created', `p${i}`));
              await new Promise((resolve) => setImmediate(resolve));
              if (i % 2 === 1) throw new Error(`fail ${i}`);
            }),
          ),
        );
        assert.deepEqual(
          outcomes.map((o) => o.status),
          ['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled', 'rejected'],
        );
        assert.deepEqual(ids(await store.read((tx) => tx.parties.list())).sort(), ['p0', 'p2', 'p4']);
        const ledger = await wholeLedger(store);
        assert.deepEqual(
          ledger.map((e) => e.subject),
          ['p0', 'p2', 'p4'],
        );
        assert.equal(verifyChain(ledger).ok, true);
      });

      it('read() sees committed data, never a unit of work still in flight', async () => {
        let release = () => {};
        const gate = new Promise<void>((resolve) => {
          release = resolve;
        });
        let written = () => {};
        const wrote = new Promise<void>((resolve) => {
          written = resolve;
        });
        const pending = store.transact(async (tx) => {
          await tx.parties.create({ id: 'alpha', name: 'Alpha', created_at: T });
          await tx.ledger.append(entry('party.created', 'alpha'));
          written();
          await gate;
        });
        await wrote;
        await store.read(async (tx) => {
          assert.equal(await tx.parties.get('alpha'), null);
          assert.equal(await tx.ledger.head(), null);
        });
        release();
        await pending;
        await store.read(async (tx) => {
          assert.equal((await tx.parties.get('alpha'))?.name, 'Alpha');
          assert.equal((await tx.ledger.head())?.seq, 1);
        });
      });

      it('read() is a consistent snapshot: a commit during the read is not seen by it', async () => {
        await store.transact((tx) => tx.parties.create({ id: 'alpha', name: 'Alpha', created_at: T }));
        const seen = await store.read(async (tx) => {
          const before = ids(await tx.parties.list());
          // Another unit of work commits while this read is still going on.
          await store.transact(async (w) => {
            await w.parties.create({ id: 'bravo', name: 'Bravo', created_at: T });
            await w.ledger.append(entry('party.created', 'bravo'));
          });
          return {
            before,
            after: ids(await tx.parties.list()),
            bravo: await tx.parties.get('bravo'),
            head: await tx.ledger.head(),
          };
        });
        assert.deepEqual(seen, { before: ['alpha'], after: ['alpha'], bravo: null, head: null });
        assert.deepEqual(sorted(ids(await store.read((tx) => tx.parties.list()))), ['alpha', 'bravo']);
      });

      it('runs reads side by side', async () => {
        await store.transact((tx) => tx.parties.create({ id: 'alpha', name: 'Alpha', created_at: T }));
        const reads = await Promise.all(
          Array.from({ length: 10 }, () =>
            store.read(async (tx) => {
              const a = await tx.parties.get('alpha');
              await new Promise((resolve) => setImmediate(resolve));
              return [a?.id, (await tx.parties.list()).length];
            }),
          ),
        );
        assert.deepEqual(
          reads,
          Array.from({ length: 10 }, () => ['alpha', 1]),
        );
      });

      it('refuses work once closed', async () => {
        await store.close();
        await assert.rejects(store.transact(async () => 1));
        await assert.rejects(store.read(async () => 1));
        await store.close();
      });
    });
  });
}

// --- The adapters --------------------------------------------------------------------------------

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'deconflict-store-'));
  dirs.push(dir);
  return dir;
}

storeContract('sqlite', async () => {
  const dir = freshDir();
  const store = openSqliteStore({ dir });
  return {
    store,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

// A fresh database per test, copied from one migrated once (CREATE DATABASE ... TEMPLATE): the
// adapter then opens it at the current version, as it would a database it made.
let pgTemplate: Promise<PgDatabase> | undefined;
after(async () => {
  if (pgTemplate !== undefined) await (await pgTemplate).drop();
});

storeContract(
  'postgres',
  async () => {
    pgTemplate ??= freshPgDatabase().then(async (t) => {
      await (await openPostgresStore({ url: t.url })).close();
      return t;
    });
    const db = await freshPgDatabase(pgBaseUrl(), (await pgTemplate).name);
    const store = await openPostgresStore({ url: db.url });
    return {
      store,
      async cleanup() {
        await store.close();
        await db.drop();
      },
    };
  },
  await pgSkip(),
);

// --- SQLite only ---------------------------------------------------------------------------------

/** The pid of a process that has exited (and been reaped): nobody holds it now. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  const pid = Number(r.stdout);
  assert.ok(Number.isInteger(pid) && pid > 0);
  return pid;
}

describe('sqlite store', () => {
  it('refuses UPDATE and DELETE on the ledger table, even from outside the hub', async () => {
    const dir = freshDir();
    const store = openSqliteStore({ dir });
    await store.transact(async (tx) => {
      for (let i = 0; i < 3; i++) await tx.ledger.append(entry('x', `s${i}`, { i }));
    });
    const before = await wholeLedger(store);
    await store.close();

    const db = new Database(join(dir, 'deconflict.db'));
    try {
      assert.throws(() => db.prepare("UPDATE ledger SET type = 'forged' WHERE seq = 2").run(), /append-only/);
      assert.throws(() => db.prepare('UPDATE ledger SET payload = ? WHERE seq = 3').run('{}'), /append-only/);
      assert.throws(() => db.prepare('DELETE FROM ledger WHERE seq = 3').run(), /append-only/);
      assert.throws(() => db.prepare('DELETE FROM ledger').run(), /append-only/);
      // Overwriting an entry by REPLACE (a delete that fires no DELETE trigger) or by an upsert.
      const copy =
        "SELECT seq, at, actor, party, 'forged', subject, payload, prev_hash, hash, salt, leaf FROM ledger WHERE seq = 2";
      assert.throws(() => db.prepare(`INSERT OR REPLACE INTO ledger ${copy}`).run(), /append-only/);
      assert.throws(() => db.prepare(`REPLACE INTO ledger ${copy}`).run(), /append-only/);
      assert.throws(
        () => db.prepare(`INSERT INTO ledger ${copy} ON CONFLICT (seq) DO UPDATE SET type = 'forged'`).run(),
        /append-only/,
      );
      assert.equal((db.prepare('SELECT count(*) AS n FROM ledger').get() as { n: number }).n, 3);
    } finally {
      db.close();
    }

    const again = openSqliteStore({ dir });
    try {
      const after = await wholeLedger(again);
      assert.deepEqual(after, before);
      assert.deepEqual(verifyChain(after), { ok: true, entries: 3 });
    } finally {
      await again.close();
    }
  });

  it('keeps what was committed across closing and opening again', async () => {
    const dir = freshDir();
    const store = openSqliteStore({ dir });
    await store.transact(async (tx) => {
      await tx.parties.create({ id: 'alpha', name: 'Alpha', created_at: T });
      await tx.declarations.insert(record(decl('a1')));
      await tx.ledger.append(entry('declaration.created', 'a1'));
    });
    await store.close();
    const again = openSqliteStore({ dir });
    try {
      await again.read(async (tx) => {
        assert.equal((await tx.parties.get('alpha'))?.name, 'Alpha');
        assert.deepEqual(await tx.declarations.active(), [decl('a1')]);
      });
      const e = await again.transact((tx) => tx.ledger.append(entry('declaration.withdrawn', 'a1')));
      assert.equal(e.seq, 2);
      assert.equal(verifyChain(await wholeLedger(again)).ok, true);
    } finally {
      await again.close();
    }
  });

  it('keeps alerts, events and messages across closing and opening again', async () => {
    const dir = freshDir();
    const store = openSqliteStore({ dir });
    const open = alert('al-open', { due_at: T + 5 * M });
    const acked = alert('al-acked', {
      status: 'acknowledged',
      due_at: null,
      ack: { username: 'alpha.watch', at: T + M, reply: null },
      escalations: [{ level: 1, due_at: T, at: T, to: [], uncovered: true }],
    });
    const msg = message('msg-1', 'ch-1', 1, { ref: { type: 'declaration', id: 'alpha-convoy' } });
    const events = await store.transact(async (tx) => {
      await tx.alerts.insert(open);
      await tx.alerts.insert(acked);
      await tx.channels.insert(channel('ch-1', ['alpha', 'bravo']));
      await tx.messages.insert(msg);
      return [
        await tx.events.append({ party: 'alpha', at: T, type: 'alert.raised', data: { id: 'al-open' } }),
        await tx.events.append({ party: 'alpha', at: T + 1, type: 'alert.raised', data: { id: 'al-acked' } }),
        await tx.events.append({ party: 'bravo', at: T + 2, type: 'message.posted', data: { id: 'msg-1' } }),
      ];
    });
    await store.close();
    const again = openSqliteStore({ dir });
    try {
      await again.read(async (tx) => {
        assert.deepEqual(await tx.alerts.get('al-open'), open);
        assert.deepEqual(await tx.alerts.get('al-acked'), acked);
        assert.deepEqual(ids(await tx.alerts.due(T + 5 * M, 10)), ['al-open']);
        assert.equal(await tx.alerts.nextDue(), T + 5 * M);
        assert.deepEqual(await tx.events.since('alpha', 0, 10), events.slice(0, 2));
        assert.deepEqual(await tx.events.since('bravo', 0, 10), events.slice(2));
        assert.deepEqual(await tx.messages.get('msg-1'), msg);
        assert.equal(await tx.messages.lastSeq('ch-1'), 1);
        assert.deepEqual(ids(await tx.channels.listFor('bravo')), ['ch-1']);
      });
      // The streams continue where they were.
      const next = await again.transact((tx) =>
        tx.events.append({ party: 'alpha', at: T + 3, type: 'alert.acknowledged', data: {} }),
      );
      assert.equal(next.seq, 3);
    } finally {
      await again.close();
    }
  });

  it('holds the data directory: a second store on it is refused until the first closes', async () => {
    const dir = freshDir();
    const first = openSqliteStore({ dir });
    assert.throws(
      () => openSqliteStore({ dir }),
      (err: unknown) =>
        err instanceof DataDirectoryLocked &&
        err.message.includes(dir) &&
        err.message.includes(`pid ${process.pid}`),
    );
    // Another spelling of the same directory is the same directory.
    assert.throws(() => openSqliteStore({ dir: `${dir}/./` }), DataDirectoryLocked);
    // The refused attempt left the holder's lock alone.
    assert.equal(readFileSync(join(dir, 'deconflict.lock'), 'utf8').trim(), String(process.pid));
    await first.transact((tx) => tx.parties.create({ id: 'alpha', name: 'Alpha', created_at: T }));
    await first.close();
    assert.equal(existsSync(join(dir, 'deconflict.lock')), false);

    const second = openSqliteStore({ dir });
    try {
      assert.equal((await second.read((tx) => tx.parties.get('alpha')))?.name, 'Alpha');
    } finally {
      await second.close();
    }
  });

  it('takes over a stale lock left by a dead process', async () => {
    const dir = freshDir();
    const pid = deadPid();
    writeFileSync(join(dir, 'deconflict.lock'), `${pid}\n`);
    const store = openSqliteStore({ dir });
    try {
      assert.equal(readFileSync(join(dir, 'deconflict.lock'), 'utf8').trim(), String(process.pid));
      await store.transact((tx) => tx.parties.create({ id: 'alpha', name: 'Alpha', created_at: T }));
    } finally {
      await store.close();
    }
    assert.equal(existsSync(join(dir, 'deconflict.lock')), false);
  });

  it('takes over a stale lock that carries this process’s own pid (a restarted container’s pid 1)', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'deconflict.lock'), `${process.pid}\n`);
    const store = openSqliteStore({ dir });
    await store.close();
    assert.equal(existsSync(join(dir, 'deconflict.lock')), false);
  });

  it('takes over an empty or unreadable lock file', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'deconflict.lock'), '');
    const store = openSqliteStore({ dir });
    await store.close();
  });
});
