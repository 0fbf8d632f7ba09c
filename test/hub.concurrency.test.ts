/**
 * Many clients at once. Operators of four parties submit, amend and withdraw mutually conflicting
 * declarations concurrently, through `inject` and over a real socket; afterwards every conflict the
 * engine finds by trying every pair of the stored declarations is in the store exactly once (no
 * duplicate, none missing, none left open against a declaration that no longer counts), each was
 * reported once, to the submission that made it, and the ledger chain verifies with one entry per
 * change.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ConflictView, SubmissionResult as Submission } from '../src/api/declarations.ts';
import type { ConflictRecord } from '../src/domain/records.ts';
import { checkAllPairs } from '../src/engine/engine.ts';
import type { Conflict } from '../src/engine/types.ts';
import { verifyChain } from '../src/ledger/chain.ts';
import { startHub, type TestHub } from './support/hub.ts';
import { own } from './support/ids.ts';

const PARTIES = ['coalition', 'northern-forces', 'relief-agency', 'city-police'] as const;
type Party = (typeof PARTIES)[number];

interface Answer {
  status: number;
  body: unknown;
}

/** The cluster: every strike here is within reach of every other. */
const CENTRE = [23.5, 44.5] as const;
const WINDOW = { start: '2026-11-25T10:00:00Z', end: '2026-11-25T12:00:00Z' };

function strike(id: string, i: number, extra: Record<string, unknown> = {}) {
  // Points on a small spiral around the centre: all distinct, all within 100 m of it.
  const a = i * 2.399963;
  const r = 0.0002 + (i % 7) * 0.0001;
  return {
    type: 'Feature',
    geometry: { type: 'Point', coordinates: [CENTRE[0] + r * Math.cos(a), CENTRE[1] + r * Math.sin(a)] },
    properties: { id, kind: 'strike', ...WINDOW, buffer_m: 200, ...extra },
  };
}

/** The local part of a full id (what follows the party prefix). */
const local = (id: string) => id.slice(id.indexOf(':') + 1);

const pairKey = (rule: string, a: string, b: string) => `${rule} ${[a, b].sort().join(' ')}`;
const keyOf = (c: Conflict) => pairKey(c.rule, c.a, c.b);

describe('hub under concurrent clients', () => {
  let t: TestHub;
  let base: string;
  const token = {} as Record<Party | `${Party}.watch`, string>;

  /** A request through inject or over the socket, alike. */
  async function send(via: 'inject' | 'fetch', who: string, method: string, url: string, body?: unknown) {
    const headers: Record<string, string> = { authorization: `Bearer ${token[who as Party]}` };
    if (body !== undefined) headers['content-type'] = 'application/geo+json';
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (via === 'inject') {
      const r = await t.app.inject({
        method: method as 'GET',
        url,
        headers,
        ...(payload !== undefined && { payload }),
      });
      return { status: r.statusCode, body: r.json() as unknown };
    }
    const r = await fetch(`${base}${url}`, {
      method,
      headers,
      ...(payload !== undefined && { body: payload }),
    });
    return { status: r.status, body: (await r.json()) as unknown };
  }

  before(async () => {
    t = await startHub();
    for (const p of PARTIES) {
      token[p] = await t.login(`${p}.operator`);
      token[`${p}.watch`] = await t.login(`${p}.watch`);
    }
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.server.address();
    assert.ok(address !== null && typeof address === 'object');
    base = `http://127.0.0.1:${address.port}`;
  });
  after(async () => {
    await t.close();
  });

  /** Every conflict in the store, once per id. */
  async function storedConflicts(): Promise<ConflictRecord[]> {
    const rows = await t.store.read((tx) =>
      Promise.all(PARTIES.map((party) => tx.conflicts.query({ party, limit: 1e6 }))),
    );
    return [...new Map(rows.flat().map((c) => [c.id, c])).values()];
  }

  /**
   * The invariant: the open conflicts in the store are exactly those the engine finds among the
   * active declarations by trying every pair — one each, against the current versions — and
   * every party's GET /conflicts shows the ones involving it.
   */
  async function assertExactlyTheExpectedConflicts(): Promise<Map<string, ConflictRecord>> {
    const active = await t.store.read((tx) => tx.declarations.active());
    const current = await t.store.read((tx) => tx.declarations.query({ status: 'active', limit: 1e6 }));
    const version = new Map(current.map((r) => [r.id, r.version]));
    assert.equal(active.length, current.length);
    assert.equal(
      t.hub.declarations.activeCount,
      active.length,
      'the live index holds the active declarations',
    );
    const expected = checkAllPairs(active);
    const expectedKeys = expected.map(keyOf);
    assert.equal(new Set(expectedKeys).size, expectedKeys.length);

    const open = (await storedConflicts()).filter((c) => c.status === 'open');
    const byKey = new Map<string, ConflictRecord>();
    for (const c of open) {
      const k = keyOf(c);
      assert.ok(!byKey.has(k), `conflict ${k} stored twice: ${byKey.get(k)?.id} and ${c.id}`);
      byKey.set(k, c);
      assert.equal(c.a_version, version.get(c.a), `${c.id}: against the current version of ${c.a}`);
      assert.equal(c.b_version, version.get(c.b), `${c.id}: against the current version of ${c.b}`);
    }
    const missing = expectedKeys.filter((k) => !byKey.has(k));
    const extra = [...byKey.keys()].filter((k) => !expectedKeys.includes(k));
    assert.deepEqual(missing, [], 'conflicts missed');
    assert.deepEqual(extra, [], 'conflicts stored that the engine does not find');
    // The rule's details agree too (severity, window, internal).
    for (const c of expected) {
      const s = byKey.get(keyOf(c)) as ConflictRecord;
      assert.equal(s.severity, c.severity);
      assert.equal(s.internal, c.internal);
      assert.deepEqual(s.window, c.window);
    }

    // Through the API: the union of what the parties see is the same set, each once per party.
    const seen = new Map<string, Set<string>>();
    await Promise.all(
      PARTIES.map(async (p, i) => {
        const r = await send(
          i % 2 === 0 ? 'inject' : 'fetch',
          `${p}.watch`,
          'GET',
          '/api/v1/conflicts?status=open&limit=5000',
        );
        assert.equal(r.status, 200);
        const list = (r.body as { conflicts: ConflictView[] }).conflicts;
        const ids = list.map((c) => c.id);
        assert.equal(new Set(ids).size, ids.length, `${p} sees a conflict twice`);
        for (const c of list) {
          assert.ok(c.a.party === p || c.b.party === p);
          const parties = seen.get(c.id) ?? new Set();
          parties.add(p);
          seen.set(c.id, parties);
        }
      }),
    );
    assert.deepEqual([...seen.keys()].sort(), open.map((c) => c.id).sort());
    for (const c of open)
      assert.deepEqual([...(seen.get(c.id) ?? [])].sort(), [...new Set([c.a_party, c.b_party])].sort());
    return byKey;
  }

  async function assertLedger() {
    const entries = await t.store.read((tx) => tx.ledger.range(1, 1e6));
    const check = verifyChain(entries);
    assert.deepEqual(check, { ok: true, entries: entries.length });
    const head = await t.store.read((tx) => tx.ledger.head());
    assert.equal(head?.seq, entries.length);
    return entries;
  }

  it('40 simultaneous strikes from 4 parties: strike_strike between every pair of parties, each once', async () => {
    const jobs: Promise<{ party: Party; k: number; r: Answer }>[] = [];
    let n = 0;
    for (let k = 0; k < 10; k++) {
      for (const party of PARTIES) {
        const i = n++;
        const via = i % 2 === 0 ? 'inject' : 'fetch';
        jobs.push(
          send(via, party, 'POST', '/api/v1/declarations', strike(`cc-${party}-${k}`, i)).then((r) => ({
            party,
            k,
            r,
          })),
        );
      }
    }
    const answers = await Promise.all(jobs);
    for (const { party, k, r } of answers) {
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.deepEqual((r.body as Submission).declarations, [
        { id: own(party, `cc-${party}-${k}`), version: 1 },
      ]);
    }

    const byKey = await assertExactlyTheExpectedConflicts();
    const ours = [...byKey.values()].filter(
      (c) => local(c.a).startsWith('cc-') && local(c.b).startsWith('cc-'),
    );
    // 40 strikes, 10 per party: every pair of different parties, C(40,2) - 4·C(10,2).
    assert.equal(ours.length, 780 - 4 * 45);
    assert.ok(ours.every((c) => c.rule === 'strike_strike' && c.a_party !== c.b_party && !c.internal));

    // Each conflict was reported once, in the answer to the later of its two submissions.
    const reported = answers.flatMap(({ r }) => (r.body as Submission).conflicts.map((c) => c.id));
    assert.equal(new Set(reported).size, reported.length, 'a conflict reported twice');
    assert.deepEqual(reported.sort(), ours.map((c) => c.id).sort());
    // The first submission to commit met nothing of the cluster; the last met everyone else's.
    const counts = answers.map(({ r }) => (r.body as Submission).conflicts.length).sort((x, y) => x - y);
    assert.equal(counts[0], 0);
    assert.equal(counts[counts.length - 1], 30);

    const entries = await assertLedger();
    const created = entries.filter((e) => e.type === 'declaration.created');
    const ids = created.map((e) => e.subject);
    assert.equal(new Set(ids).size, ids.length, 'one declaration.created per declaration');
    const stored = await t.store.read((tx) => tx.declarations.query({ limit: 1e6 }));
    assert.deepEqual(ids.sort(), stored.map((d) => d.id).sort());
    const detected = entries.filter((e) => e.type === 'conflict.detected').map((e) => e.subject);
    assert.equal(new Set(detected).size, detected.length, 'one conflict.detected per conflict');
    assert.ok(ours.every((c) => detected.includes(c.id)));
  });

  it('simultaneous submissions, amendments and withdrawals leave exactly the conflicts of what is active', async () => {
    const jobs: Promise<{ what: string; r: Answer }>[] = [];
    let n = 100;
    const via = () => (n++ % 2 === 0 ? 'inject' : 'fetch') as 'inject' | 'fetch';
    const job = (what: string, p: Promise<Answer>) => jobs.push(p.then((r) => ({ what, r })));
    for (const party of PARTIES) {
      for (let k = 0; k < 3; k++) {
        job(
          `withdraw ${party} ${k}`,
          send(via(), party, 'POST', `/api/v1/declarations/${own(party, `cc-${party}-${k}`)}/withdraw`, {}),
        );
      }
      // Amend: one moves away (each far from everything), two move within the cluster.
      job(
        `amend ${party} 3`,
        send(via(), party, 'PUT', `/api/v1/declarations/${own(party, `cc-${party}-3`)}`, {
          ...strike(`cc-${party}-3`, 0),
          geometry: { type: 'Point', coordinates: [CENTRE[0] + 1 + PARTIES.indexOf(party) * 0.5, CENTRE[1]] },
        }),
      );
      for (const k of [4, 5]) {
        job(
          `amend ${party} ${k}`,
          send(
            via(),
            party,
            'PUT',
            `/api/v1/declarations/${own(party, `cc-${party}-${k}`)}`,
            strike(`cc-${party}-${k}`, n + k),
          ),
        );
      }
      for (let k = 10; k < 15; k++) {
        job(
          `submit ${party} ${k}`,
          send(via(), party, 'POST', '/api/v1/declarations', strike(`cc-${party}-${k}`, n + k)),
        );
      }
      // Four clients race for the same id: one wins, the others are told it exists. (Ids are per
      // party, so the race is among clients of one party: another party's `cc-contested` is its own.)
      job(
        `race ${PARTIES.indexOf(party)}`,
        send(via(), 'coalition', 'POST', '/api/v1/declarations', strike('cc-contested', n)),
      );
    }
    // The relief agency also declares a camp in the middle of it all.
    job(
      'camp',
      send(via(), 'relief-agency', 'POST', '/api/v1/declarations', {
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [...CENTRE] },
        properties: {
          id: 'cc-camp',
          kind: 'protected_site',
          category: 'humanitarian',
          start: '2026-11-01T00:00:00Z',
          buffer_m: 50,
        },
      }),
    );
    const answers = await Promise.all(jobs);
    for (const { what, r } of answers) {
      if (what.startsWith('race')) continue;
      assert.ok(r.status === 200 || r.status === 201, `${what}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    const racers = answers.filter(({ what }) => what.startsWith('race'));
    const race = racers.map(({ r }) => r.status).sort();
    assert.deepEqual(race, [201, 409, 409, 409]);
    for (const { r } of racers) {
      if (r.status === 201)
        assert.deepEqual((r.body as Submission).declarations, [
          { id: own('coalition', 'cc-contested'), version: 1 },
        ]);
      else assert.equal((r.body as { errors: { code: string }[] }).errors[0]?.code, 'id_exists');
    }

    const byKey = await assertExactlyTheExpectedConflicts();
    // The camp meets every strike still in the cluster (36 of the first 40 minus 12 withdrawn and
    // 4 moved away, plus 20 new and the contested one): 24 + 20 + 1 = 45.
    const campId = own('relief-agency', 'cc-camp');
    const camp = [...byKey.values()].filter((c) => c.a === campId || c.b === campId);
    assert.equal(camp.length, 45);
    assert.ok(camp.every((c) => c.rule === 'strike_protected' && c.severity === 'critical'));

    // What no longer counts has no open conflict; its old ones were closed with the reason.
    const all = await storedConflicts();
    for (const c of all.filter((x) => x.status === 'resolved')) {
      assert.ok(c.resolution === 'withdrawn' || c.resolution === 'amended', `${c.id}: ${c.resolution}`);
    }
    for (const party of PARTIES) {
      for (let k = 0; k < 3; k++) {
        const id = own(party, `cc-${party}-${k}`);
        const of = all.filter((c) => c.a === id || c.b === id);
        assert.ok(of.length > 0);
        assert.ok(
          of.every((c) => c.status === 'resolved'),
          id,
        );
        // Its conflicts with declarations that were still there when it went are `withdrawn`.
        assert.ok(
          of.some((c) => c.resolution === 'withdrawn'),
          id,
        );
      }
      const movedId = own(party, `cc-${party}-3`);
      const moved = all.filter((c) => c.a === movedId || c.b === movedId);
      assert.ok(moved.length > 0);
      assert.ok(
        moved.every((c) => c.status === 'resolved'),
        `${movedId} moved away: no open conflict`,
      );
    }

    const entries = await assertLedger();
    const count = (type: string) => entries.filter((e) => e.type === type).length;
    const stored = await t.store.read((tx) => tx.declarations.query({ limit: 1e6 }));
    const created = entries.filter((e) => e.type === 'declaration.created').map((e) => e.subject);
    assert.equal(new Set(created).size, created.length);
    assert.deepEqual([...created].sort(), stored.map((d) => d.id).sort());
    assert.equal(count('declaration.amended'), 12);
    assert.equal(count('declaration.withdrawn'), 12);
    const versions = await t.store.read((tx) => tx.declarations.versions(own('coalition', 'cc-coalition-4')));
    assert.deepEqual(
      versions.map((v) => [v.version, v.status]),
      [
        [1, 'superseded'],
        [2, 'active'],
      ],
    );
    // Every conflict ever detected once, and resolved at most once.
    const detected = entries.filter((e) => e.type === 'conflict.detected').map((e) => e.subject);
    assert.equal(new Set(detected).size, detected.length);
    assert.deepEqual([...detected].sort(), all.map((c) => c.id).sort());
    const resolved = entries.filter((e) => e.type === 'conflict.resolved').map((e) => e.subject);
    assert.equal(new Set(resolved).size, resolved.length);
    assert.equal(resolved.length, all.filter((c) => c.status === 'resolved').length);
  });

  it('both parties accepting the same risks at once: each conflict resolved once, no acceptance lost', async () => {
    const all = await storedConflicts();
    const targets = all.filter((c) => c.status === 'open' && c.rule === 'strike_strike').slice(0, 20);
    assert.equal(targets.length, 20);
    const jobs: Promise<Answer>[] = [];
    targets.forEach((c, i) => {
      for (const party of [c.a_party, c.b_party]) {
        // Two officers of each party try; only one acceptance per party counts.
        for (const via of ['inject', 'fetch'] as const) {
          jobs.push(
            send(via, `${party}.watch`, 'POST', `/api/v1/conflicts/${c.id}/resolve`, {
              resolution: 'risk_accepted',
              reason: `accepted ${i} via ${via}`,
            }),
          );
        }
      }
    });
    const answers = await Promise.all(jobs);
    assert.equal(answers.filter((r) => r.status === 200).length, 40);
    assert.equal(answers.filter((r) => r.status === 409).length, 40);
    const after = new Map((await storedConflicts()).map((c) => [c.id, c]));
    for (const c of targets) {
      const now = after.get(c.id) as ConflictRecord;
      assert.equal(now.status, 'resolved');
      assert.equal(now.resolution, 'risk_accepted');
      assert.deepEqual(now.acceptances.map((a) => a.party).sort(), [c.a_party, c.b_party].sort());
    }
    const entries = await assertLedger();
    const accepted = entries.filter((e) => e.type === 'conflict.risk_accepted');
    assert.equal(accepted.length, 40);
  });
});
