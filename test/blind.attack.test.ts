/**
 * The probing attacks (test/probing.attack.test.ts) against a *sealed* declaration, and the
 * attacks blind matching adds (docs/blind-matching.md §6). The target: the coalition's strike of
 * test/fixtures/blind/sealed-strike.geojson, sealed by its agent. The attacker: northern-forces,
 * with its own agent, probing with real and dry-run strikes on a grid around the target.
 *
 * - Dry runs ask nothing blind: answered `hidden: "not_checked"`, no check made, nothing relayed
 *   to the owner's agent, nothing recorded.
 * - Real probes: each is a blind check, on the record (ledger `blind.check`, `blind.queried`),
 *   evaluated by the owner's agent within its budget per asking party and day — past it refused,
 *   the result unknown and both parties alerted; the conflicts found are masked (`hidden`,
 *   `sealed`, matched slots, no distance), each a recorded probe, and past the owner's probing
 *   budget withheld from the attacker.
 * - A query cannot be padded (another count than the declaration's cover is refused), an asker
 *   cannot evaluate (nor read another party's check), and a second query of the same cells is
 *   blinded afresh (the hub cannot link it to the first).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadOprf, type Oprf } from '../src/blind/oprf.ts';
import { AGENT_KEY_FORMAT, Agent } from '../src/cli/agent.ts';
import { direct } from '../src/engine/geodesy/wgs84.ts';
import type { Position } from '../src/engine/types.ts';
import { loadDemo } from '../src/hub/demo.ts';
import { assertError, ok, request, startHub, type TestHub } from './support/hub.ts';

const SEEDS = 'test/fixtures/blind/seeds-case.geojson';
const STRIKE_FILE = 'test/fixtures/blind/sealed-strike.geojson';
const TARGET: Position = [21.29963, 46.15318];
/** The owner's agent evaluates at most this many elements a day for one asking party. */
const AGENT_BUDGET = 12;

interface Side {
  id?: string;
  party: string;
  hidden?: true;
  sealed?: true;
}
interface ConflictView {
  id: string;
  rule: string;
  a: Side;
  b: Side;
  matched_slots?: unknown[];
  distance_m?: number;
  closest?: unknown;
}
interface CheckView {
  id: string;
  role: string;
  asker: string;
  status: string;
  unknown: boolean;
  element_count: number;
  refused_reason: string | null;
}

/** A northern-forces strike at `at` (buffer 100 m) during the target's hour. */
function probe(id: string, at: Position) {
  return {
    type: 'Feature',
    properties: {
      id,
      kind: 'strike',
      start: '2026-11-23T10:15:00Z',
      end: '2026-11-23T10:45:00Z',
      buffer_m: 100,
    },
    geometry: { type: 'Point', coordinates: [...at] },
  };
}

/** Points every 1 km on a 5 × 5 grid centred on the target. */
function grid(): { id: string; at: Position }[] {
  const out: { id: string; at: Position }[] = [];
  for (let i = -2; i <= 2; i++)
    for (let j = -2; j <= 2; j++) {
      const east = direct(TARGET, 90, j * 1000);
      out.push({ id: `g${i + 2}${j + 2}`, at: direct(east, 0, i * 1000) });
    }
  return out;
}

describe('a sealed declaration under probing', () => {
  let t: TestHub;
  let url: string;
  let oprf: Oprf;
  const tokens: Record<string, string> = {};
  let owner: Agent;
  let attacker: Agent;
  const dirs: string[] = [];

  const as = (party: string) => tokens[party] as string;
  const get = async <T>(party: string, path: string) => ok<T>(await request(t.app, as(party), 'GET', path));
  const keys: Record<string, { format: typeof AGENT_KEY_FORMAT; party: string; key: string }> = {};
  /** A party's agent: its key (made once), a fresh state directory (so a fresh daily budget). */
  const agent = (party: string, budget = 20_000) => {
    const dir = mkdtempSync(join(tmpdir(), `deconflict-agent-${party}-`));
    dirs.push(dir);
    keys[party] ??= {
      format: AGENT_KEY_FORMAT,
      party,
      key: Buffer.from(oprf.generateKey()).toString('base64'),
    };
    return new Agent(url, as(party), keys[party], dir, oprf, budget, () => t.clock.now());
  };
  const settle = async () => {
    for (let i = 0; i < 6; i++) {
      const lines = [...(await attacker.round()), ...(await owner.round())];
      if (lines.length === 0) return;
    }
    assert.fail('the agents did not settle');
  };
  const entries = async (type: string) =>
    (await t.store.read((tx) => tx.ledger.range(1, 100_000))).filter((e) => e.type === type);

  before(async () => {
    oprf = await loadOprf();
    t = await startHub({ demo: false });
    await loadDemo(t.hub, SEEDS);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    for (const party of ['coalition', 'northern-forces', 'relief-agency'])
      tokens[party] = await t.login(`${party}.operator`);
    owner = agent('coalition', AGENT_BUDGET);
    attacker = agent('northern-forces');
    await owner.seal(JSON.parse(readFileSync(STRIKE_FILE, 'utf8')));
    // The checks of the theatre's own declarations, answered before the attack.
    const relief = agent('relief-agency');
    for (let i = 0; i < 4; i++) await Promise.all([relief.round(), attacker.round(), owner.round()]);
  });
  after(async () => {
    await t.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('dry runs ask nothing blind: not_checked, no check, nothing recorded', async () => {
    const before = (await entries('blind.check')).length;
    const features = grid().map((p) => probe(`dry-${p.id}`, p.at));
    const r = ok<{ conflicts: unknown[]; hidden?: string }>(
      await request(t.app, as('northern-forces'), 'POST', '/api/v1/declarations?dry_run=true', {
        type: 'FeatureCollection',
        features,
      }),
    );
    // Its own patrol it may see: those conflicts are answered; of the sealed strike, nothing.
    assert.ok(
      r.conflicts.every(
        (c) =>
          JSON.stringify(c).includes('"party":"northern-forces"') && !JSON.stringify(c).includes('coalition'),
      ),
    );
    assert.equal(r.hidden, 'not_checked');
    assert.equal((await entries('blind.check')).length, before);
    const tasks = await get<{ blind: unknown[] }>('northern-forces', '/api/v1/blind/tasks');
    assert.deepEqual(tasks.blind, []);
  });

  it('real probes: each a recorded check; the owner’s agent evaluates within its budget, then refuses', async () => {
    // The probe on the target first (its check is the oldest: evaluated first), then the rest.
    const [onTarget, ...rest] = [...grid()].sort((x, y) => Number(y.id === 'g22') - Number(x.id === 'g22'));
    ok(
      await request(
        t.app,
        as('northern-forces'),
        'POST',
        '/api/v1/declarations',
        probe(`real-${onTarget?.id}`, onTarget?.at as Position),
      ),
      201,
    );
    t.clock.set(t.clock.now() + 1000);
    const features = rest.map((p) => probe(`real-${p.id}`, p.at));
    ok(
      await request(t.app, as('northern-forces'), 'POST', '/api/v1/declarations', {
        type: 'FeatureCollection',
        features,
      }),
      201,
    );
    const made = await entries('blind.check');
    assert.equal(
      made.filter((e) => String((e.payload as { declaration: string }).declaration).includes('real-')).length,
      25,
    );
    await settle();
    const { checks } = await get<{ checks: CheckView[] }>('coalition', '/api/v1/blind/checks');
    const probes = checks.filter((c) => c.asker === 'northern-forces' && c.role === 'owner');
    const evaluated = probes.filter((c) => c.status === 'done').reduce((n, c) => n + c.element_count, 0);
    const refused = probes.filter((c) => c.status === 'refused');
    // The theatre's patrols were evaluated before; the probes got what was left of the budget.
    assert.ok(evaluated <= AGENT_BUDGET, `evaluated ${evaluated}`);
    assert.ok(refused.length >= 20, `refused ${refused.length}`);
    for (const c of refused) {
      assert.equal(c.unknown, true);
      assert.match(c.refused_reason ?? '', /^over budget: \d+ of 12 elements used today/);
    }
    // Both parties are alerted that those results are unknown: a risk until answered.
    for (const party of ['northern-forces', 'coalition']) {
      const { alerts } = await get<{ alerts: { subject_type: string; subject: string }[] }>(
        party,
        '/api/v1/alerts',
      );
      const unknown = new Set(alerts.filter((a) => a.subject_type === 'blind_check').map((a) => a.subject));
      for (const c of refused) assert.ok(unknown.has(c.id), `${party} alerted for ${c.id}`);
    }
    assert.equal((await entries('blind.refused')).length, refused.length);
  });

  it('what the attacker learns of a match: masked, sealed, the slot — a recorded probe of the owner', async () => {
    const { conflicts } = await get<{ conflicts: ConflictView[] }>('northern-forces', '/api/v1/conflicts');
    const withStrike = conflicts.filter(
      (c) => c.b.party === 'coalition' && c.b.sealed && c.a.id?.includes(':real-'),
    );
    assert.ok(withStrike.length >= 1, 'the probe on the target matched');
    for (const c of withStrike) {
      assert.deepEqual(c.b, { party: 'coalition', hidden: true, sealed: true });
      assert.equal(c.distance_m, undefined);
      assert.equal(c.closest, undefined);
      assert.equal(c.matched_slots?.length, 1);
    }
    const probing = await get<{ recent: { party: string; conflict: string }[] }>(
      'coalition',
      '/api/v1/probing',
    );
    const recorded = new Set(
      probing.recent.filter((p) => p.party === 'northern-forces').map((p) => p.conflict),
    );
    for (const c of withStrike) assert.ok(recorded.has(c.id), `probe recorded for ${c.id}`);
  });

  it('past the owner’s probing budget a match is withheld from the attacker', async () => {
    ok(
      await request(
        t.app,
        await t.login('coalition.admin'),
        'PUT',
        '/api/v1/probing/budgets/northern-forces',
        { per_day: 0 },
      ),
    );
    // The owner's operator lets its agent answer again (a fresh budget), so that the probe matches.
    owner = agent('coalition');
    const late = probe('late-on-target', TARGET);
    ok(await request(t.app, as('northern-forces'), 'POST', '/api/v1/declarations', late), 201);
    await settle();
    const { conflicts } = await get<{ conflicts: ConflictView[] }>('northern-forces', '/api/v1/conflicts');
    assert.ok(
      !conflicts.some((c) => c.a.id === 'northern-forces:late-on-target' && c.b.party === 'coalition'),
      'withheld from the attacker',
    );
    const mine = await get<{ conflicts: ConflictView[] }>('coalition', '/api/v1/conflicts');
    const held = mine.conflicts.find((c) => c.a.id === 'northern-forces:late-on-target' && c.b.sealed) as
      | (ConflictView & { withheld_from?: string[] })
      | undefined;
    assert.ok(held, 'recorded, and shown to the owner');
    assert.deepEqual(held.withheld_from, ['northern-forces']);
  });

  it('a query cannot be padded, an asker cannot evaluate, and nobody reads another party’s check', async () => {
    ok(
      await request(t.app, as('northern-forces'), 'POST', '/api/v1/declarations', probe('pad', TARGET)),
      201,
    );
    const tasks = await get<{ blind: { check: string; slots: string[] }[] }>(
      'northern-forces',
      '/api/v1/blind/tasks',
    );
    const task = tasks.blind.find((x) => x) as { check: string; slots: string[] };
    assert.ok(task);
    const element = Buffer.from(
      oprf.blindMany([new TextEncoder().encode('x')]).elements[0] as Uint8Array,
    ).toString('base64');
    // 40 elements for a point with a 100 m buffer: more cells than its cover has.
    const padded = Array.from({ length: 40 }, () => ({ slot: 0, element }));
    const r = await request(
      t.app,
      as('northern-forces'),
      'POST',
      `/api/v1/blind/checks/${task.check}/blinded`,
      {
        elements: padded,
      },
    );
    assertError(r, 400, 'bad_elements', 'elements');
    const outOfSlots = await request(
      t.app,
      as('northern-forces'),
      'POST',
      `/api/v1/blind/checks/${task.check}/blinded`,
      {
        elements: [{ slot: task.slots.length, element }],
      },
    );
    assertError(outOfSlots, 400, 'bad_elements');
    // The asker evaluating its own query: refused; a third party: no such check.
    assertError(
      await request(t.app, as('northern-forces'), 'POST', `/api/v1/blind/checks/${task.check}/evaluated`, {
        elements: [element],
      }),
      409,
      'blind_state',
    );
    assertError(
      await request(t.app, as('relief-agency'), 'POST', `/api/v1/blind/checks/${task.check}/outputs`, {
        outputs: [element],
      }),
      404,
      'not_found',
    );
    const relief = await get<{ checks: CheckView[] }>('relief-agency', '/api/v1/blind/checks');
    assert.ok(!relief.checks.some((c) => c.id === task.check));
  });

  it('the same cells asked twice are blinded afresh: the hub cannot link the two queries', async () => {
    await attacker.round();
    const first = await t.store.read((tx) => tx.blind.withStatus(['awaiting_evaluation']));
    const check = first.find((c) => c.declaration === 'northern-forces:pad');
    assert.ok(check?.elements);
    // The asker's agent loses its scalars (a restart) and blinds again.
    ok(
      await request(t.app, as('northern-forces'), 'POST', `/api/v1/blind/checks/${check.id}/blinded`, {
        elements: (() => {
          const again = oprf.blindMany(
            check.elements.map(() => new TextEncoder().encode('same cell, same slot')),
          );
          return again.elements.map((e, i) => ({
            slot: (check.element_slots as number[])[i] as number,
            element: Buffer.from(e).toString('base64'),
          }));
        })(),
      }),
    );
    const second = (await t.store.read((tx) => tx.blind.get(check.id)))?.elements ?? [];
    assert.equal(second.length, check.elements.length);
    for (const e of second) assert.ok(!check.elements.includes(e));
    assert.equal(new Set(second).size, second.length, 'even one input blinded n times gives n elements');
  });
});
