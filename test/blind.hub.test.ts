/**
 * The seeds' case, blind (docs/blind-matching.md): a relief agency's hospital and another party's
 * patrol declared in clear; the coalition's strike beside them sealed by its agent. The three
 * parties' agents (`Agent`, the code of `deconflict agent`) talk to a real hub over HTTP; the
 * conflicts are found and every party involved alerted — and neither the other parties nor the
 * hub can say where the strike is: its coordinates, its cells and its label appear nowhere in the
 * hub's database files, its logs, or any answer any other party receives.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { coverCells } from '../src/blind/cover.ts';
import { loadOprf, type Oprf } from '../src/blind/oprf.ts';
import { blindReach } from '../src/blind/rules.ts';
import { AGENT_KEY_FORMAT, Agent } from '../src/cli/agent.ts';
import { DEFAULT_OPTIONS } from '../src/engine/types.ts';
import { loadDemo } from '../src/hub/demo.ts';
import { Hub } from '../src/hub/hub.ts';
import { buildApp } from '../src/server/app.ts';
import { openSqliteStore, type SqliteStore } from '../src/store/sqlite.ts';
import { assertError, demoPassword, request, startHub, type TestHub } from './support/hub.ts';

const SEEDS = 'test/fixtures/blind/seeds-case.geojson';
const STRIKE = 'test/fixtures/blind/sealed-strike.geojson';

interface ConflictLike {
  id: string;
  rule: string;
  severity: string;
  a: Record<string, unknown>;
  b: Record<string, unknown>;
  matched_slots?: { start: string; end: string }[];
  distance_m?: number;
  closest?: unknown;
}

describe('blind matching: the seeds’ case (a sealed strike beside a hospital and a patrol)', () => {
  let t: TestHub;
  /** The hub's app that listens (and logs, at debug, for the secrecy check). */
  let app: FastifyInstance;
  let url: string;
  let oprf: Oprf;
  const log = new PassThrough();
  const logged: string[] = [];
  const tokens: Record<string, string> = {};
  const agents: Record<string, Agent> = {};
  const states: string[] = [];
  const printed: string[] = [];

  const made = new Map<
    string,
    { key: { format: typeof AGENT_KEY_FORMAT; party: string; key: string }; state: string }
  >();
  /** A party's agent: its key and state directory made once, kept across a restart of the hub. */
  const agentOf = (party: string): Agent => {
    let m = made.get(party);
    if (!m) {
      const state = mkdtempSync(join(tmpdir(), `deconflict-agent-${party}-`));
      states.push(state);
      m = {
        key: { format: AGENT_KEY_FORMAT, party, key: Buffer.from(oprf.generateKey()).toString('base64') },
        state,
      };
      made.set(party, m);
    }
    return new Agent(url, tokens[party] as string, m.key, m.state, oprf, 20_000, () => t.clock.now());
  };
  /** After a restart: the reopened hub, its store and app (closed in `after`). */
  let reopened: { hub: Hub; store: SqliteStore } | null = null;
  /** Rounds of every agent until none has anything to do. */
  const settle = async () => {
    for (let i = 0; i < 6; i++) {
      let did = 0;
      for (const party of ['relief-agency', 'northern-forces', 'coalition']) {
        const lines = await (agents[party] as Agent).round();
        printed.push(...lines);
        did += lines.length;
      }
      if (did === 0) return;
    }
    assert.fail('the agents did not settle');
  };
  const get = async <T>(party: string, path: string): Promise<T> => {
    const r = await request(app, tokens[party] as string, 'GET', path);
    assert.equal(r.statusCode, 200, `${party} GET ${path}: ${r.body}`);
    return r.json() as T;
  };

  before(async () => {
    oprf = await loadOprf();
    t = await startHub({ demo: false });
    await loadDemo(t.hub, SEEDS);
    // Logs at info, kept, for the secrecy check.
    log.on('data', (chunk: Buffer) => logged.push(chunk.toString('utf8')));
    app = await buildApp({
      hub: t.hub,
      rate: { perSecond: 10_000, burst: 10_000 },
      log: { level: 'debug', stream: log },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    for (const party of ['coalition', 'northern-forces', 'relief-agency']) {
      tokens[party] = await t.login(`${party}.operator`);
      agents[party] = agentOf(party);
    }
  });
  after(async () => {
    await app.close();
    if (reopened) {
      await t.app.close();
      await reopened.hub.close();
      await reopened.store.close();
      rmSync(t.dir, { recursive: true, force: true });
    } else await t.close();
    for (const s of states) rmSync(s, { recursive: true, force: true });
  });

  it('the coalition seals its strike: the hub gets tokens, kind and a coarse window — no geometry', async () => {
    const input = JSON.parse(readFileSync(STRIKE, 'utf8')) as unknown;
    const lines = await (agents.coalition as Agent).seal(input);
    assert.match(
      lines[0] as string,
      /^sealed strike-depot as sd-\S+: \d+ cells × 1 slots of 1 h = \d+ tokens/,
    );
    // And checked exactly, at the agent, against what the coalition may see in clear (the hub
    // never learns this answer): the hospital 281 m away, the patrol passing by.
    assert.deepEqual(lines.slice(1), [
      '  checked in clear against the 4 declarations your party may see: 2 conflicts',
      '  in clear: critical strike_movement with northern-forces:patrol-depot-road, 10 m apart',
      '  in clear: critical strike_protected with relief-agency:field-hospital, 282 m apart',
    ]);
    const { sealed } = await get<{
      sealed: { id: string; kind: string; start: string; end: string; token_count: number }[];
    }>('coalition', '/api/v1/sealed');
    assert.equal(sealed.length, 1);
    assert.equal(sealed[0]?.kind, 'strike');
    assert.equal(sealed[0]?.start, '2026-11-23T10:00:00Z');
    assert.equal(sealed[0]?.end, '2026-11-23T11:00:00Z');
    // Nobody else lists it.
    const other = await get<{ sealed: unknown[] }>('relief-agency', '/api/v1/sealed');
    assert.deepEqual(other.sealed, []);
  });

  it('a malformed seal is refused with a code naming what is wrong, and changes nothing', async () => {
    const token = Buffer.alloc(32, 7).toString('base64');
    const body = {
      kind: 'strike',
      start: '2026-11-23T10:00:00Z',
      end: '2026-11-23T11:00:00Z',
      slot_ms: 3_600_000,
      resolution: 8,
      tokens: [token],
    };
    const cases: [Record<string, unknown>, string][] = [
      [{ start: '2026-11-23T10:30:00Z' }, 'start'],
      [{ slot_ms: 21_600_000, start: '2026-11-23T06:00:00Z', end: '2026-11-23T12:00:00Z' }, 'slot_ms'],
      [{ resolution: 9 }, 'resolution'],
      [{ tokens: [token, token] }, 'tokens'],
      [{ end: '2026-11-23T10:00:00Z' }, 'end'],
      [{ start: '2026-11-21T10:00:00Z', end: '2026-11-21T11:00:00Z' }, 'end'],
    ];
    for (const [change, path] of cases) {
      const r = await request(app, tokens.coalition as string, 'POST', '/api/v1/sealed', {
        ...body,
        ...change,
      });
      assertError(r, 400, 'invalid_sealed', path);
    }
    const { sealed } = await get<{ sealed: unknown[] }>('coalition', '/api/v1/sealed');
    assert.equal(sealed.length, 1);
  });

  it('the hub asks the clear declarations’ parties to check: one check per declaration that could conflict', async () => {
    const tasks = await get<{ blind: { declaration: string; slots: string[] }[] }>(
      'relief-agency',
      '/api/v1/blind/tasks',
    );
    assert.deepEqual(tasks.blind.map((x) => x.declaration).sort(), [
      'relief-agency:clinic-far',
      'relief-agency:field-hospital',
    ]);
    for (const task of tasks.blind) assert.deepEqual(task.slots, ['2026-11-23T10:00:00Z']);
    const nf = await get<{ blind: { declaration: string }[] }>('northern-forces', '/api/v1/blind/tasks');
    assert.deepEqual(nf.blind.map((x) => x.declaration).sort(), [
      'northern-forces:patrol-depot-road',
      'northern-forces:patrol-east',
    ]);
    // The coalition's agent has nothing to do until they have blinded.
    const co = await get<{ blind: unknown[]; evaluate: unknown[]; finalize: unknown[] }>(
      'coalition',
      '/api/v1/blind/tasks',
    );
    assert.deepEqual([co.blind.length, co.evaluate.length, co.finalize.length], [0, 0, 0]);
  });

  it('the agents answer; the strike conflicts with the hospital and the patrol, not with the far ones', async () => {
    await settle();
    const relief = (await get<{ conflicts: ConflictLike[] }>('relief-agency', '/api/v1/conflicts')).conflicts;
    assert.equal(relief.length, 1);
    const hc = relief[0] as ConflictLike;
    assert.equal(hc.rule, 'strike_protected');
    assert.equal(hc.severity, 'critical');
    assert.deepEqual(hc.b, { party: 'coalition', hidden: true, sealed: true });
    assert.equal(hc.a.id, 'relief-agency:field-hospital');
    assert.deepEqual(hc.matched_slots, [{ start: '2026-11-23T10:00:00Z', end: '2026-11-23T11:00:00Z' }]);
    assert.equal(hc.distance_m, undefined);
    assert.equal(hc.closest, undefined);
    const nf = (await get<{ conflicts: ConflictLike[] }>('northern-forces', '/api/v1/conflicts')).conflicts;
    assert.deepEqual(
      nf.map((c) => [c.rule, c.severity, c.a.id]),
      [['strike_movement', 'critical', 'northern-forces:patrol-depot-road']],
    );
    // The coalition sees both, with its own sealed side named.
    const co = (await get<{ conflicts: ConflictLike[] }>('coalition', '/api/v1/conflicts')).conflicts;
    assert.equal(co.length, 2);
    for (const c of co) {
      assert.equal(c.b.sealed, true);
      assert.equal(c.b.kind, 'strike');
      assert.match(String(c.b.id), /^sd-/);
    }
    // Every party involved is alerted.
    for (const party of ['relief-agency', 'northern-forces']) {
      const { alerts } = await get<{
        alerts: { subject_type: string; summary: { conflict?: ConflictLike } }[];
      }>(party, '/api/v1/alerts');
      assert.ok(
        alerts.some((a) => a.subject_type === 'conflict' && a.summary.conflict?.b.sealed === true),
        `${party} alerted`,
      );
    }
    const coAlerts = (await get<{ alerts: { subject_type: string }[] }>('coalition', '/api/v1/alerts'))
      .alerts;
    assert.equal(coAlerts.filter((a) => a.subject_type === 'conflict').length, 2);
  });

  it('the owner sees who touched its sealed declaration, when and what matched — never where', async () => {
    const { checks } = await get<{
      checks: {
        role: string;
        asker: string;
        status: string;
        matched: { sealed?: string }[];
        declaration?: string;
      }[];
    }>('coalition', '/api/v1/blind/checks');
    const mine = checks.filter((c) => c.role === 'owner');
    assert.equal(mine.length, 4);
    assert.ok(mine.every((c) => c.status === 'done' && c.declaration === undefined));
    assert.deepEqual(mine.map((c) => [c.asker, c.matched.length]).sort(), [
      ['northern-forces', 0],
      ['northern-forces', 1],
      ['relief-agency', 0],
      ['relief-agency', 1],
    ]);
  });

  it('neither the other parties nor the hub can say where the strike is', async () => {
    const feature = JSON.parse(readFileSync(STRIKE, 'utf8')).features[0] as {
      geometry: { type: 'Point'; coordinates: [number, number] };
      properties: { label: string; notes: string; buffer_m: number };
    };
    const [lon, lat] = feature.geometry.coordinates;
    const decl = (agents.coalition as Agent).parseSealed(JSON.parse(readFileSync(STRIKE, 'utf8')))[0];
    assert.ok(decl);
    const cells = coverCells(decl.geometry, blindReach(decl, DEFAULT_OPTIONS), 8);
    assert.ok(cells.length > 0);
    const secrets = [
      String(lon),
      String(lat),
      lon.toFixed(4),
      lat.toFixed(4),
      feature.properties.label,
      feature.properties.notes,
      'KESTREL',
      ...cells,
    ];
    const haystacks: [string, string][] = [];
    // The hub's files, as bytes read as text (latin1 keeps every byte).
    await t.hub.store.read(async () => undefined);
    for (const f of readdirSync(t.dir)) {
      const path = join(t.dir, f);
      try {
        haystacks.push([path, readFileSync(path).toString('latin1')]);
      } catch {
        // A directory (none expected) or a lock: nothing to read.
      }
    }
    haystacks.push(['logs', logged.join('')]);
    // Every answer every other party receives.
    for (const party of ['relief-agency', 'northern-forces']) {
      for (const path of [
        '/api/v1/declarations',
        '/api/v1/conflicts',
        '/api/v1/alerts',
        '/api/v1/events',
        '/api/v1/blind/checks',
        '/api/v1/blind/tasks',
        '/api/v1/sealed',
        '/api/v1/ledger/entries',
        '/api/v1/probing',
      ]) {
        const r = await request(app, tokens[party] as string, 'GET', path);
        haystacks.push([`${party} GET ${path} (${r.statusCode})`, r.body]);
      }
    }
    assert.ok(haystacks.some(([p]) => p.endsWith('deconflict.db')));
    for (const [where, text] of haystacks)
      for (const s of secrets) assert.ok(!text.includes(s), `${where} holds "${s}"`);
    // And the hub knows where the hospital is: the search would have found a coordinate it holds.
    assert.ok(haystacks.some(([, text]) => text.includes('21.30325')));
  });

  it('two agents of one party: an evaluation is finalized only with the scalars that made it', async () => {
    const site = (id: string, at: [number, number]) => ({
      type: 'Feature',
      properties: {
        id,
        kind: 'protected_site',
        category: 'humanitarian',
        start: '2026-11-22T00:00:00Z',
        buffer_m: 50,
      },
      geometry: { type: 'Point', coordinates: at },
    });
    const relief = tokens['relief-agency'] as string;
    const a = agents['relief-agency'] as Agent;
    const m = made.get('relief-agency') as {
      key: { format: typeof AGENT_KEY_FORMAT; party: string; key: string };
    };
    const state = mkdtempSync(join(tmpdir(), 'deconflict-agent-relief-b-'));
    states.push(state);
    const b = new Agent(url, relief, m.key, state, oprf, 20_000, () => t.clock.now());
    assert.equal(
      (await request(app, relief, 'POST', '/api/v1/declarations', site('aid-post-2', [21.2999, 46.1533])))
        .statusCode,
      201,
    );
    // Both agents see the task and blind it; the second blinding replaces the first.
    await Promise.all([a.round(), b.round()]);
    await (agents.coalition as Agent).round();
    const said = [...(await a.round()), ...(await b.round())];
    assert.equal(said.filter((l) => /critical strike_protected/.test(l)).length, 1, said.join('\n'));
    // (The agent whose blinding was replaced, if it ran first, left the evaluation to the other.)
    assert.ok(
      said.every((l) => /critical strike_protected|left to the agent that made them/.test(l)),
      said.join('\n'),
    );
    const conflicts = (await get<{ conflicts: ConflictLike[] }>('relief-agency', '/api/v1/conflicts'))
      .conflicts;
    assert.ok(conflicts.some((c) => c.a.id === 'relief-agency:aid-post-2' && c.rule === 'strike_protected'));

    // Scalars lost (the state file gone): nobody finalizes noise; past a timeout the check is
    // unknown (both alerted), offered to be blinded afresh, and found.
    assert.equal(
      (await request(app, relief, 'POST', '/api/v1/declarations', site('aid-post-3', [21.2995, 46.153])))
        .statusCode,
      201,
    );
    await a.round();
    await (agents.coalition as Agent).round();
    rmSync(join(made.get('relief-agency')?.state as string, 'blinds.json'));
    assert.match((await a.round()).join('\n'), /left to the agent that made them/);
    t.clock.set(t.clock.now() + 121_000);
    await t.hub.runDue();
    const { alerts } = await get<{ alerts: { subject_type: string; status: string }[] }>(
      'relief-agency',
      '/api/v1/alerts',
    );
    assert.ok(alerts.some((x) => x.subject_type === 'blind_check' && x.status === 'open'));
    await settle();
    const after = (await get<{ conflicts: ConflictLike[] }>('relief-agency', '/api/v1/conflicts')).conflicts;
    assert.ok(after.some((c) => c.a.id === 'relief-agency:aid-post-3' && c.rule === 'strike_protected'));
    const closed = (
      await get<{ alerts: { subject_type: string; status: string }[] }>('relief-agency', '/api/v1/alerts')
    ).alerts;
    assert.ok(closed.filter((x) => x.subject_type === 'blind_check').every((x) => x.status === 'closed'));
  });

  it('a restart loses nothing: the sealed tokens are matched again, the conflicts are there', async () => {
    const before = (await get<{ conflicts: ConflictLike[] }>('coalition', '/api/v1/conflicts')).conflicts;
    await app.close();
    await t.hub.close();
    await t.store.close();
    const store = openSqliteStore({ dir: t.dir });
    const hub = await Hub.open(store, t.clock);
    reopened = { hub, store };
    app = await buildApp({ hub, rate: { perSecond: 10_000, burst: 10_000 } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    for (const party of ['coalition', 'northern-forces', 'relief-agency']) agents[party] = agentOf(party);
    const after = (await get<{ conflicts: ConflictLike[] }>('coalition', '/api/v1/conflicts')).conflicts;
    assert.deepEqual(after, before);
    // A site declared next to the strike after the restart: found against the reloaded tokens.
    const site = {
      type: 'Feature',
      properties: {
        id: 'aid-post',
        kind: 'protected_site',
        category: 'humanitarian',
        start: '2026-11-22T00:00:00Z',
        buffer_m: 50,
      },
      geometry: { type: 'Point', coordinates: [21.3001, 46.1535] },
    };
    const r = await request(app, tokens['relief-agency'] as string, 'POST', '/api/v1/declarations', site);
    assert.equal(r.statusCode, 201, r.body);
    await settle();
    const relief = (await get<{ conflicts: ConflictLike[] }>('relief-agency', '/api/v1/conflicts')).conflicts;
    assert.deepEqual(relief.map((c) => [c.a.id, c.rule, c.severity]).sort(), [
      ['relief-agency:aid-post', 'strike_protected', 'critical'],
      ['relief-agency:aid-post-2', 'strike_protected', 'critical'],
      ['relief-agency:aid-post-3', 'strike_protected', 'critical'],
      ['relief-agency:field-hospital', 'strike_protected', 'critical'],
    ]);
  });

  it('at its end the sealed declaration expires: its conflicts close, nothing is asked any more', async () => {
    t.clock.set(Date.parse('2026-11-23T11:00:00Z'));
    await (reopened as { hub: Hub }).hub.runDue();
    // Sessions last 12 h: log in again, to the reopened hub.
    for (const party of ['coalition', 'relief-agency']) {
      const username = `${party}.operator`;
      const r = await request(app, null, 'POST', '/api/v1/session', {
        username,
        password: demoPassword(username),
      });
      tokens[party] = (r.json() as { token: string }).token;
    }
    const { sealed } = await get<{ sealed: { status: string }[] }>('coalition', '/api/v1/sealed');
    assert.deepEqual(
      sealed.map((x) => x.status),
      ['expired'],
    );
    const { conflicts } = await get<{ conflicts: { status: string; resolution: string | null }[] }>(
      'relief-agency',
      '/api/v1/conflicts',
    );
    assert.ok(
      conflicts.length >= 1 && conflicts.every((c) => c.status === 'resolved' && c.resolution === 'expired'),
    );
    const tasks = await get<{ blind: unknown[]; evaluate: unknown[]; finalize: unknown[] }>(
      'relief-agency',
      '/api/v1/blind/tasks',
    );
    assert.deepEqual([tasks.blind.length, tasks.evaluate.length, tasks.finalize.length], [0, 0, 0]);
  });
});
