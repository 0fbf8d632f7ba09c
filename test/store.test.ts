/**
 * The store's contract (src/store/ports.ts): every repository method, transactions (rollback,
 * serialization, snapshots) and the ledger's chain, run against every adapter by
 * {@link storeContract}. The SQLite adapter's own promises (append-only ledger table, the data
 * directory's lock, durability across reopening) follow in a separate suite.
 *
 * A PostgreSQL adapter joins with one more `storeContract('postgres', ...)` call whose `open`
 * gives a store on a fresh, empty schema and whose `cleanup` drops it.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { Declaration } from '../src/engine/types.ts';
import { entryHash, GENESIS_HASH, verifyChain } from '../src/ledger/chain.ts';
import type {
  ConflictRecord,
  DeclarationRecord,
  LedgerEntry,
  MemberRecord,
  NewLedgerEntry,
  Store,
  TokenRecord,
} from '../src/store/ports.ts';
import { DataDirectoryLocked, openSqliteStore } from '../src/store/sqlite.ts';

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

const ids = (rs: readonly { id: string }[]) => rs.map((r) => r.id);
const sorted = (xs: readonly string[]) => [...xs].sort();

/** Every entry of the ledger, from the first. */
async function wholeLedger(store: Store): Promise<LedgerEntry[]> {
  return store.read((tx) => tx.ledger.range(1, Number.MAX_SAFE_INTEGER));
}

// --- The contract --------------------------------------------------------------------------------

function storeContract(name: string, open: () => Promise<StoreUnderTest>): void {
  describe(`store contract: ${name}`, () => {
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
        "SELECT seq, at, actor, party, 'forged', subject, payload, prev_hash, hash FROM ledger WHERE seq = 2";
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

  it('is refused while another live process holds the lock', async () => {
    const dir = freshDir();
    const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      assert.ok(holder.pid);
      writeFileSync(join(dir, 'deconflict.lock'), `${holder.pid}\n`);
      assert.throws(
        () => openSqliteStore({ dir }),
        (err: unknown) => err instanceof DataDirectoryLocked && err.message.includes(`pid ${holder.pid}`),
      );
    } finally {
      holder.kill('SIGKILL');
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
