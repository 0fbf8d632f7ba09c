/**
 * Attacks on hidden declarations (issue #12; docs/visibility.md): can a party locate another
 * party's declaration that is hidden from it, by probing the hub?
 *
 * Two hidden targets in the demo theatre, west of Arad, away from every demo declaration:
 * - a coalition strike (buffer 800 m, 10:17–12:17Z), visible to city-police only;
 * - a relief-agency medical site (buffer 200 m, open-ended), visible to the coalition only.
 * The attacker is northern-forces, which may see neither.
 *
 * **Dry runs.** Three attacks against each target — a 31×31 grid of probes in one request, the
 * same grid one point per request, and a binary search with single-point probes (the buffer of a
 * probe at each of four anchors bisected, then the four radii trilaterated) — each with the
 * attacker's estimator. Each runs on three hubs: one where the targets are hidden, one where they
 * never existed and a control where they are visible to the attacker. The control shows the
 * estimators work (they locate the target within metres when the answers carry the signal); the
 * hidden hub's answers are byte for byte those of the empty hub (conflict ids aside, which the hub
 * keys with its own secret), so no estimator can locate anything: each finds nothing.
 *
 * **Real submissions.** The same probes submitted for real: each conflict with a hidden target is
 * a probe, recorded (`GET /probing`, ledger `probe.recorded`) and alerted to the owner; the first
 * 20 a day are answered with the hidden side masked and the window on whole hours (each conflict
 * of a batch counted once); then the budget stops them: the conflict is withheld from the attacker
 * (not in its answer, list, alerts or stream — not even the owner's acknowledgement of it; its id
 * answers 404) until the owner releases it; the owner gets one `probing` alert when the budget is
 * used up, sets the budget per party, and the count starts again each UTC day.
 *
 * **Party lists.** Unknown parties in `visibility`, `notify`, `applies_to`, and a `notify` naming a
 * party the declaration is hidden from, are refused, and nothing is stored.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  assertError,
  ok,
  type Res,
  request,
  type Sessions,
  sessions,
  startHub,
  T0,
  type TestHub,
} from './support/hub.ts';
import { own } from './support/ids.ts';
import { DAY, HOUR } from './support/time.ts';

type Json = Record<string, unknown>;
type LonLat = [number, number];

interface Side {
  id?: string;
  version?: number;
  party: string;
  kind?: string;
  label?: string;
  hidden?: true;
}
interface ConflictView {
  id: string;
  rule: string;
  severity: string;
  internal: boolean;
  status: string;
  resolution: string | null;
  a: Side;
  b: Side;
  window: { start: string; end: string | null };
  distance_m?: number;
  closest?: unknown;
  detected_at: string;
  withheld_from?: string[];
}
interface Submission {
  accepted: boolean;
  dry_run: boolean;
  declarations: { id: string; version: number }[];
  conflicts: ConflictView[];
  hidden?: string;
}
interface AlertView {
  id: string;
  subject_type: string;
  subject: string;
  precedence: string;
  summary: {
    conflict?: ConflictView;
    probing?: { party: string; per_day: number; used_today: number; day: string };
  };
}
interface Budget {
  party: string;
  per_day: number;
  used_today: number;
  remaining: number;
  last_at: string | null;
  exhausted_at: string | null;
}
interface ProbeView {
  id: string;
  party: string;
  at: string;
  conflict: string;
  rule: string;
  severity: string;
  withheld: boolean;
}
interface Probing {
  day: string;
  default_per_day: number;
  parties: Budget[];
  recent: ProbeView[];
}
interface EventView {
  seq: number;
  type: string;
  data: Json;
}

const ATTACKER = 'northern-forces';
const ATTACKER_OP = `${ATTACKER}.operator`;

// --- Geometry: metres on the ground around the theatre (accurate to a few metres over 10 km) ------

const M_PER_DEG_LAT = 111_132;
const mPerDegLon = (lat: number) => 111_320 * Math.cos((lat * Math.PI) / 180);
const round7 = (x: number) => Math.round(x * 1e7) / 1e7;
/** The point `east_m` east and `north_m` north of `p`. */
const offset = (p: LonLat, east_m: number, north_m: number): LonLat => [
  round7(p[0] + east_m / mPerDegLon(p[1])),
  round7(p[1] + north_m / M_PER_DEG_LAT),
];
/** Great-circle distance in metres (the attacker's own arithmetic; 0.5 % is plenty here). */
function distance_m(p: LonLat, q: LonLat): number {
  const rad = Math.PI / 180;
  const dlat = (q[1] - p[1]) * rad;
  const dlon = (q[0] - p[0]) * rad;
  const h = Math.sin(dlat / 2) ** 2 + Math.cos(p[1] * rad) * Math.cos(q[1] * rad) * Math.sin(dlon / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.sqrt(h));
}

function feature(id: string, kind: string, at: LonLat, properties: Json) {
  return {
    type: 'Feature',
    geometry: { type: 'Point', coordinates: at },
    properties: { id, kind, ...properties },
  };
}

// --- The targets ---------------------------------------------------------------------------------

/** West of Arad, 17 km from the nearest demo declaration, outside every area of responsibility. */
const STRIKE_AT: LonLat = [21.0837, 46.1581];
/** North-west of Arad, 17 km north of the strike. */
const SITE_AT: LonLat = [21.0623, 46.3127];
const STRIKE_WINDOW = { start: '2026-11-25T10:17:00Z', end: '2026-11-25T12:17:00Z' };
/** The strike's window as a party it is hidden from reads it: outward to whole hours. */
const STRIKE_WINDOW_COARSE = { start: '2026-11-25T10:00:00Z', end: '2026-11-25T13:00:00Z' };
const SITE_START = '2026-11-20T06:41:00Z';
/** The attacker's strikes (probes of the site): a window inside the site's. */
const PROBE_STRIKE_WINDOW = { start: '2026-11-26T08:00:00Z', end: '2026-11-26T09:00:00Z' };

type Mode = 'hidden' | 'none' | 'visible';

interface Target {
  readonly name: string;
  readonly owner: string;
  readonly local: string;
  readonly at: LonLat;
  /** The target as its owner submits it, hidden from the attacker or (control) visible to it. */
  declaration(mode: 'hidden' | 'visible'): unknown;
  /** A probe of the kind that meets the target, at `at` with buffer `buffer_m`. */
  probe(id: string, at: LonLat, buffer_m?: number): unknown;
}

const TARGETS: readonly Target[] = [
  {
    name: 'a hidden strike',
    owner: 'coalition',
    local: 'hid-strike-kestrel',
    at: STRIKE_AT,
    declaration: (mode) =>
      feature('hid-strike-kestrel', 'strike', STRIKE_AT, {
        ...STRIKE_WINDOW,
        buffer_m: 800,
        label: 'Operation Kestrel',
        notes: 'Bridge approach, two passes',
        visibility: mode === 'hidden' ? ['city-police'] : ['city-police', ATTACKER],
      }),
    probe: (id, at, buffer_m = 100) =>
      feature(id, 'protected_site', at, { category: 'other', start: '2026-11-24T00:00:00Z', buffer_m }),
  },
  {
    name: 'a hidden protected site',
    owner: 'relief-agency',
    local: 'hid-clinic-plover',
    at: SITE_AT,
    declaration: (mode) =>
      feature('hid-clinic-plover', 'protected_site', SITE_AT, {
        category: 'medical',
        start: SITE_START,
        buffer_m: 200,
        label: 'Plover clinic',
        notes: 'Forty beds, basement theatre',
        visibility: mode === 'hidden' ? ['coalition'] : ['coalition', ATTACKER],
      }),
    probe: (id, at, buffer_m = 300) => feature(id, 'strike', at, { ...PROBE_STRIKE_WINDOW, buffer_m }),
  },
];

/** The grid's centre: off the target, so that the target is not simply the middle of it. */
const gridCentre = (t: Target): LonLat => offset(t.at, -700, 450);
const GRID = 31;
const SPACING_M = 300;
/** The 31×31 grid of probe points, 300 m apart, around (and covering) the target. */
function grid(t: Target): { id: string; at: LonLat }[] {
  const c = gridCentre(t);
  const half = ((GRID - 1) / 2) * SPACING_M;
  const out: { id: string; at: LonLat }[] = [];
  for (let i = 0; i < GRID; i++)
    for (let j = 0; j < GRID; j++)
      out.push({ id: `grid-${i}-${j}`, at: offset(c, -half + j * SPACING_M, -half + i * SPACING_M) });
  return out;
}

// --- The attacker --------------------------------------------------------------------------------

/** An answer with the ids the hub assigns of its own (conflict ids, keyed with its secret) masked. */
function normalized(r: Res): unknown {
  const body = r.json() as Submission & Json;
  if (!Array.isArray(body.conflicts)) return { status: r.statusCode, body };
  return {
    status: r.statusCode,
    body: { ...body, conflicts: body.conflicts.map((c) => ({ ...c, id: '<hub>' })) },
  };
}

/** Northern-forces probing one hub; every answer is kept, in order. */
class Attacker {
  readonly transcript: unknown[] = [];
  constructor(
    private readonly t: TestHub,
    private readonly s: Sessions,
  ) {}

  async dryRun(body: unknown): Promise<Submission> {
    const r = await request(
      this.t.app,
      await this.s.as(ATTACKER_OP),
      'POST',
      '/api/v1/declarations?dry_run=true',
      body,
    );
    this.transcript.push(normalized(r));
    const answer = ok<Submission>(r, 200);
    assert.equal(answer.dry_run, true);
    assert.equal(answer.hidden, 'not_checked', 'a dry run says it did not check hidden declarations');
    return answer;
  }
}

/**
 * The attacker's signal: the ids of its own probes that the answer says conflict with the
 * target's owner — a hidden side of that party, or (control) the target itself in clear.
 */
function hits(answer: Submission, t: Target): Set<string> {
  const out = new Set<string>();
  for (const c of answer.conflicts) {
    for (const [mine, theirs] of [
      [c.a, c.b],
      [c.b, c.a],
    ] as const) {
      if (mine.party !== ATTACKER || theirs.party !== t.owner) continue;
      if (theirs.hidden === true || theirs.id === own(t.owner, t.local)) out.add(mine.id as string);
    }
  }
  return out;
}

/** The centroid of the probe points that hit; null when none did. */
function centroid(points: LonLat[]): LonLat | null {
  if (points.length === 0) return null;
  const lon = points.reduce((s, p) => s + p[0], 0) / points.length;
  const lat = points.reduce((s, p) => s + p[1], 0) / points.length;
  return [lon, lat];
}

const RMAX = 12_000;
const BISECTIONS = 16;

/**
 * The smallest buffer at which a probe at `anchor` meets the target, by bisection over
 * [0, RMAX] (16 single-point dry runs after the first, to 0.2 m); null when no probe ever met it.
 */
async function bisectBuffer(a: Attacker, t: Target, anchor: LonLat, k: number): Promise<number | null> {
  const met = async (r: number, step: number) =>
    hits(await a.dryRun(t.probe(`bisect-${k}-${step}`, anchor, r)), t).size > 0;
  let everMet = await met(RMAX, 0);
  let lo = 0;
  let hi = RMAX;
  // The attacker bisects whatever the first answer said: a silent hub gets the whole search too.
  for (let step = 1; step <= BISECTIONS; step++) {
    const mid = Math.round(((lo + hi) / 2) * 1000) / 1000;
    if (await met(mid, step)) {
      hi = mid;
      everMet = true;
    } else lo = mid;
  }
  return everMet ? hi : null;
}

/**
 * The point whose distances to the anchors exceed the radii by one common amount (the unknown
 * buffers), by a coarse-to-fine search on the local plane.
 */
function trilaterate(anchors: LonLat[], radii: number[]): LonLat {
  const o = anchors[0] as LonLat;
  const xy = anchors.map((p) => [(p[0] - o[0]) * mPerDegLon(o[1]), (p[1] - o[1]) * M_PER_DEG_LAT] as const);
  const cost = (x: number, y: number) => {
    const e = xy.map(([ax, ay], i) => Math.hypot(x - ax, y - ay) - (radii[i] as number));
    const m = e.reduce((s, v) => s + v, 0) / e.length;
    return e.reduce((s, v) => s + (v - m) ** 2, 0);
  };
  let best: [number, number] = [0, 0];
  for (const [span, step] of [
    [20_000, 200],
    [2_000, 20],
    [200, 2],
    [20, 0.2],
  ] as const) {
    let bestCost = Number.POSITIVE_INFINITY;
    const [cx, cy] = best;
    for (let x = cx - span; x <= cx + span; x += step)
      for (let y = cy - span; y <= cy + span; y += step) {
        const c = cost(x, y);
        if (c < bestCost) {
          bestCost = c;
          best = [x, y];
        }
      }
  }
  return [o[0] + best[0] / mPerDegLon(o[1]), o[1] + best[1] / M_PER_DEG_LAT];
}

/** The four anchors of the binary search: the ends of two lines across the grid, through the target's area. */
const anchorsOf = (t: Target): LonLat[] => {
  const c = gridCentre(t);
  return [offset(c, -4500, 0), offset(c, 4500, 0), offset(c, 0, 4500), offset(c, 0, -4500)];
};

interface Outcome {
  estimate: LonLat | null;
  transcript: unknown[];
}

const ATTACKS: readonly {
  readonly name: string;
  run(a: Attacker, t: Target): Promise<LonLat | null>;
  /** How close the estimator comes when the answers do carry the signal (the control). */
  readonly controlWithin_m: number;
}[] = [
  {
    name: 'a 31×31 grid of probes in one dry run',
    controlWithin_m: 300,
    async run(a, t) {
      const points = grid(t);
      const answer = await a.dryRun({
        type: 'FeatureCollection',
        features: points.map((p) => t.probe(p.id, p.at)),
      });
      const met = hits(answer, t);
      return centroid(points.filter((p) => met.has(own(ATTACKER, p.id))).map((p) => p.at));
    },
  },
  {
    name: 'the same grid, one probe per dry run',
    controlWithin_m: 300,
    async run(a, t) {
      const found: LonLat[] = [];
      for (const p of grid(t)) if (hits(await a.dryRun(t.probe(p.id, p.at)), t).size > 0) found.push(p.at);
      return centroid(found);
    },
  },
  {
    name: 'a binary search with single-point dry runs',
    controlWithin_m: 50,
    async run(a, t) {
      const anchors = anchorsOf(t);
      const radii: number[] = [];
      for (const [k, anchor] of anchors.entries()) {
        const r = await bisectBuffer(a, t, anchor, k);
        if (r === null) return null;
        radii.push(r);
      }
      return trilaterate(anchors, radii);
    },
  },
];

/** Plant the targets (or not) on a fresh hub with the demo. */
async function theatre(mode: Mode): Promise<{ t: TestHub; s: Sessions }> {
  const t = await startHub();
  const s = sessions(() => t);
  if (mode !== 'none') {
    for (const target of TARGETS) {
      const r = await request(
        t.app,
        await s.as(`${target.owner}.operator`),
        'POST',
        '/api/v1/declarations',
        target.declaration(mode),
      );
      const sub = ok<Submission>(r, 201);
      assert.deepEqual(sub.conflicts, [], `${target.name} meets nothing of the demo`);
    }
  }
  return { t, s };
}

describe('dry runs cannot locate a hidden declaration', () => {
  const hubs = {} as Record<Mode, { t: TestHub; s: Sessions }>;

  before(async () => {
    for (const mode of ['hidden', 'none', 'visible'] as const) hubs[mode] = await theatre(mode);
  });
  after(async () => {
    for (const h of Object.values(hubs)) await h.t.close();
  });

  for (const target of TARGETS) {
    for (const attack of ATTACKS) {
      it(`${target.name}: ${attack.name}`, async () => {
        const outcomes = {} as Record<Mode, Outcome>;
        for (const mode of ['hidden', 'none', 'visible'] as const) {
          const a = new Attacker(hubs[mode].t, hubs[mode].s);
          outcomes[mode] = { estimate: await attack.run(a, target), transcript: a.transcript };
        }
        // The estimator works when the answers carry the signal: the control locates the target.
        const control = outcomes.visible.estimate;
        assert.ok(control, 'the control finds the target');
        assert.ok(
          distance_m(control, target.at) <= attack.controlWithin_m,
          `the control is ${distance_m(control, target.at).toFixed(1)} m off`,
        );
        // Against the hidden target it finds nothing: no estimate, nor one within 5 km.
        const est = outcomes.hidden.estimate;
        assert.ok(
          est === null || distance_m(est, target.at) > 5000,
          `located within 5 km: ${JSON.stringify(est)}`,
        );
        assert.equal(est, null, 'no probe ever met anything hidden');
        // And stronger: every answer is the one a hub without the target gives.
        assert.ok(outcomes.hidden.transcript.length > 0);
        assert.equal(outcomes.hidden.transcript.length, outcomes.none.transcript.length);
        assert.deepEqual(outcomes.hidden.transcript, outcomes.none.transcript);
      });
    }
  }

  it('the dry runs left nothing: no probe recorded, no ledger entry, no alert at the owners', async () => {
    const { t, s } = hubs.hidden;
    for (const target of TARGETS) {
      const view = ok<Probing>(
        await request(t.app, await s.as(`${target.owner}.watch`), 'GET', '/api/v1/probing'),
      );
      const theirs = view.parties.find((p) => p.party === ATTACKER);
      assert.deepEqual(theirs, {
        party: ATTACKER,
        per_day: 20,
        used_today: 0,
        remaining: 20,
        last_at: null,
        exhausted_at: null,
      });
      assert.deepEqual(view.recent, []);
      const alerts = ok<{ alerts: AlertView[] }>(
        await request(t.app, await s.as(`${target.owner}.watch`), 'GET', '/api/v1/alerts?limit=5000'),
      );
      assert.ok(!alerts.alerts.some((x) => x.subject_type === 'probing'));
      const conflicts = ok<{ conflicts: ConflictView[] }>(
        await request(
          t.app,
          await s.as(`${target.owner}.watch`),
          'GET',
          `/api/v1/conflicts?declaration=${own(target.owner, target.local)}`,
        ),
      );
      assert.deepEqual(conflicts.conflicts, []);
    }
    const ledger = await t.store.read((tx) => tx.ledger.range(1, 100_000));
    assert.deepEqual(
      ledger.filter((e) => e.type.startsWith('probe.')),
      [],
    );
    assert.ok(
      !ledger.some((e) => JSON.stringify(e).includes('grid-') || JSON.stringify(e).includes('bisect-')),
    );
  });

  it('a withdrawn target: the grid is answered as before, and as on a hub that never had it', async () => {
    const { t, s } = hubs.hidden;
    const answers: unknown[][] = [];
    for (const phase of ['before', 'after'] as const) {
      if (phase === 'after')
        for (const target of TARGETS)
          ok(
            await request(
              t.app,
              await s.as(`${target.owner}.operator`),
              'POST',
              `/api/v1/declarations/${own(target.owner, target.local)}/withdraw`,
              { reason: 'done' },
            ),
          );
      const a = new Attacker(t, s);
      for (const target of TARGETS)
        await a.dryRun({
          type: 'FeatureCollection',
          features: grid(target).map((p) => target.probe(p.id, p.at)),
        });
      answers.push(a.transcript);
    }
    const none = new Attacker(hubs.none.t, hubs.none.s);
    for (const target of TARGETS)
      await none.dryRun({
        type: 'FeatureCollection',
        features: grid(target).map((p) => target.probe(p.id, p.at)),
      });
    assert.deepEqual(answers[0], answers[1]);
    assert.deepEqual(answers[0], none.transcript);
  });
});

// --- Real submissions ------------------------------------------------------------------------------

/** The exact keys of a conflict as a party reads it when the other side is hidden from it. */
const MASKED_KEYS = [
  'a',
  'acceptances',
  'b',
  'detected_at',
  'id',
  'internal',
  'resolution',
  'resolved_at',
  'rule',
  'severity',
  'status',
  'window',
];

/** A conflict the attacker was answered: the owner's side masked, nothing but the design's fields. */
function assertMasked(c: ConflictView, owner: string, window: { start: string; end: string | null }): void {
  assert.deepEqual(Object.keys(c).sort(), MASKED_KEYS, JSON.stringify(c));
  const [mine, theirs] = c.a.party === ATTACKER ? [c.a, c.b] : [c.b, c.a];
  assert.deepEqual(theirs, { party: owner, hidden: true });
  assert.equal(mine.party, ATTACKER);
  assert.equal(typeof mine.id, 'string');
  assert.deepEqual(c.window, window, 'the window on whole hours');
  for (const t of [c.window.start, c.window.end])
    if (t !== null) assert.equal(Date.parse(t) % HOUR, 0, `${t} is on a whole hour`);
  assert.equal(c.internal, false);
}

/** Conflicts the attacker reads whose other side is `owner`'s and hidden from it. */
const withOwner = (conflicts: ConflictView[], owner: string) =>
  conflicts.filter((c) =>
    [
      [c.a, c.b],
      [c.b, c.a],
    ].some(([mine, theirs]) => mine?.party === ATTACKER && theirs?.party === owner && theirs.hidden === true),
  );

describe('real submissions against hidden declarations: recorded, alerted, budgeted', () => {
  let t: TestHub;
  let s: Sessions;
  const get = async <T>(user: string, url: string, status = 200) =>
    ok<T>(await request(t.app, await s.as(user), 'GET', url), status);
  const submit = async (user: string, body: unknown) =>
    ok<Submission>(await request(t.app, await s.as(user), 'POST', '/api/v1/declarations', body), 201);
  const probeEntries = async () =>
    (await t.store.read((tx) => tx.ledger.range(1, 100_000))).filter((e) => e.type === 'probe.recorded');
  const [strikeT, siteT] = TARGETS as [Target, Target];
  const STRIKE = own(strikeT.owner, strikeT.local);
  const SITE = own(siteT.owner, siteT.local);

  /** Every event of a party's stream, page by page. */
  const allEvents = async (user: string, after = 0): Promise<EventView[]> => {
    const out: EventView[] = [];
    for (;;) {
      const page = await get<{ head: number; events: EventView[] }>(
        user,
        `/api/v1/events?after=${out.at(-1)?.seq ?? after}&limit=1000`,
      );
      out.push(...page.events);
      if (page.events.length === 0 || (out.at(-1) as EventView).seq >= page.head) return out;
    }
  };

  /** What the attacker was answered about the strike, over the grid. */
  const answered: ConflictView[] = [];
  /** The owner's view of every conflict with the strike (N of them). */
  let ownerView: ConflictView[] = [];
  let withheld: ConflictView[] = [];

  before(async () => {
    ({ t, s } = await theatre('hidden'));
    s = sessions(() => t, { renewAfter_ms: 6 * HOUR });
  });
  after(() => t.close());

  it('a dry run first: answered with hidden "not_checked", and counted nowhere', async () => {
    const r = ok<Submission>(
      await request(
        t.app,
        await s.as(ATTACKER_OP),
        'POST',
        '/api/v1/declarations?dry_run=true',
        strikeT.probe('dry-on-target', STRIKE_AT),
      ),
    );
    assert.deepEqual(r, {
      accepted: true,
      dry_run: true,
      declarations: [{ id: own(ATTACKER, 'dry-on-target'), version: 1 }],
      conflicts: [],
      hidden: 'not_checked',
    });
    const view = await get<Probing>('coalition.watch', '/api/v1/probing');
    assert.equal(view.day, '2026-11-22');
    assert.equal(view.default_per_day, 20);
    assert.deepEqual(view.parties.map((p) => p.party).sort(), [
      'city-police',
      'northern-forces',
      'relief-agency',
    ]);
    for (const p of view.parties) assert.equal(p.used_today, 0);
    assert.deepEqual(view.recent, []);
    assert.deepEqual(await probeEntries(), []);
  });

  it('the grid as real submissions, a row per request: 20 hidden conflicts answered, the rest withheld', async () => {
    const points = grid(strikeT);
    for (let row = 0; row < GRID; row++) {
      const features = points
        .slice(row * GRID, (row + 1) * GRID)
        .map((p) => strikeT.probe(`real-${p.id}`, p.at));
      const sub = await submit(ATTACKER_OP, { type: 'FeatureCollection', features });
      assert.equal(sub.dry_run, false);
      assert.ok(!('hidden' in sub), 'a real submission checked everything');
      for (const c of withOwner(sub.conflicts, 'coalition')) {
        assertMasked(c, 'coalition', STRIKE_WINDOW_COARSE);
        assert.equal(c.rule, 'strike_protected');
        assert.equal(c.severity, 'high');
        answered.push(c);
      }
      // Nothing else: the grid meets nothing but the strike.
      assert.equal(
        sub.conflicts.length,
        withOwner(sub.conflicts, 'coalition').length,
        JSON.stringify(sub.conflicts),
      );
      t.clock.advance(1000);
    }
    ownerView = (
      await get<{ conflicts: ConflictView[] }>(
        'coalition.watch',
        `/api/v1/conflicts?declaration=${STRIKE}&limit=5000`,
      )
    ).conflicts;
    const n = ownerView.length;
    assert.ok(n > 20, `the grid meets the strike ${n} times, more than the budget`);
    for (const c of ownerView) {
      assert.ok((c.distance_m as number) <= 900.001, 'the owner reads the distance');
      assert.deepEqual(c.window, STRIKE_WINDOW, 'the owner reads the exact window');
    }
    const answeredIds = new Set(answered.map((c) => c.id));
    for (const id of answeredIds) assert.ok(ownerView.some((c) => c.id === id));
    // Withheld: what the owner reads as withheld from the attacker; exactly those not answered.
    withheld = ownerView.filter((c) => (c.withheld_from ?? []).includes(ATTACKER));
    for (const c of withheld)
      assert.deepEqual(c.withheld_from, [ATTACKER], 'the owner sees whom it is withheld from');
    for (const c of ownerView.filter((c) => !withheld.includes(c)))
      assert.ok(c.withheld_from === undefined || c.withheld_from.length === 0, JSON.stringify(c));
    assert.deepEqual(
      new Set(ownerView.filter((c) => !withheld.includes(c)).map((c) => c.id)),
      answeredIds,
      'answered = not withheld',
    );
    assert.equal(answered.length, 20, 'the first 20 are answered');
    assert.equal(answeredIds.size, 20);
    assert.equal(withheld.length, n - 20);
  });

  it('each hidden conflict is a recorded probe: GET /probing and the ledger', async () => {
    const n = ownerView.length;
    const view = await get<Probing>('coalition.senior', '/api/v1/probing');
    const nf = view.parties.find((p) => p.party === ATTACKER) as Budget;
    assert.equal(nf.per_day, 20);
    assert.equal(nf.used_today, n);
    assert.equal(nf.remaining, 0);
    assert.ok(nf.last_at !== null && nf.exhausted_at !== null);
    assert.ok(Date.parse(nf.exhausted_at) <= Date.parse(nf.last_at));
    for (const p of view.parties.filter((p) => p.party !== ATTACKER)) assert.equal(p.used_today, 0);
    assert.equal(view.recent.length, n);
    assert.deepEqual(new Set(view.recent.map((p) => p.conflict)), new Set(ownerView.map((c) => c.id)));
    for (const p of view.recent) {
      assert.deepEqual(Object.keys(p).sort(), [
        'at',
        'conflict',
        'id',
        'party',
        'rule',
        'severity',
        'withheld',
      ]);
      assert.equal(p.party, ATTACKER);
      assert.equal(p.rule, 'strike_protected');
      assert.equal(p.severity, 'high');
      assert.equal(
        p.withheld,
        withheld.some((c) => c.id === p.conflict),
      );
    }
    for (let i = 1; i < view.recent.length; i++)
      assert.ok(
        Date.parse((view.recent[i - 1] as ProbeView).at) >= Date.parse((view.recent[i] as ProbeView).at),
        'newest first',
      );
    assert.equal((await probeEntries()).length, n, 'one probe.recorded entry per probe');
    // Any member of the party reads it; another party reads its own (nothing probed it).
    await get<Probing>('coalition.operator', '/api/v1/probing');
    const theirs = await get<Probing>('northern-forces.watch', '/api/v1/probing');
    assert.deepEqual(theirs.recent, []);
    assert.ok(!JSON.stringify(theirs).includes('coalition:'));
  });

  it('the owner is alerted for every one, and once (immediate) when the budget is used up', async () => {
    const alerts = (await get<{ alerts: AlertView[] }>('coalition.watch', '/api/v1/alerts?limit=5000'))
      .alerts;
    for (const c of ownerView)
      assert.equal(
        alerts.filter((a) => a.subject_type === 'conflict' && a.subject === c.id).length,
        1,
        `alert for ${c.id}`,
      );
    const probing = alerts.filter((a) => a.subject_type === 'probing');
    assert.equal(probing.length, 1, JSON.stringify(probing));
    const p = probing[0] as AlertView;
    assert.equal(p.precedence, 'immediate');
    assert.deepEqual(p.summary, {
      probing: { party: ATTACKER, per_day: 20, used_today: 20, day: '2026-11-22' },
    });
  });

  it('withheld conflicts never reach the attacker: not its list, alerts, stream; their ids answer 404', async () => {
    // The owner's watch acknowledges its alerts about the withheld conflicts (and accepts the risk
    // of one): the other party of a conflict is normally told; this one must not be.
    const ownerAlerts = (await get<{ alerts: AlertView[] }>('coalition.watch', '/api/v1/alerts?limit=5000'))
      .alerts;
    for (const c of withheld) {
      const a = ownerAlerts.find((x) => x.subject === c.id) as AlertView;
      ok(
        await request(t.app, await s.as('coalition.watch'), 'POST', `/api/v1/alerts/${a.id}/ack`, {
          reply: 'Seen; we keep it to ourselves',
        }),
      );
    }
    ok(
      await request(
        t.app,
        await s.as('coalition.senior'),
        'POST',
        `/api/v1/conflicts/${(withheld.at(-1) as ConflictView).id}/resolve`,
        {
          resolution: 'risk_accepted',
          reason: 'the school is empty at night',
        },
      ),
    );
    const listed = (
      await get<{ conflicts: ConflictView[] }>('northern-forces.watch', '/api/v1/conflicts?limit=5000')
    ).conflicts;
    const mine = withOwner(listed, 'coalition');
    assert.deepEqual(new Set(mine.map((c) => c.id)), new Set(answered.map((c) => c.id)));
    for (const c of mine) assertMasked(c, 'coalition', STRIKE_WINDOW_COARSE);
    const alerts = (await get<{ alerts: AlertView[] }>('northern-forces.watch', '/api/v1/alerts?limit=5000'))
      .alerts;
    for (const c of answered) {
      const a = alerts.filter((x) => x.subject === c.id);
      assert.equal(a.length, 1, `the attacker's alert about ${c.id}`);
      assertMasked((a[0] as AlertView).summary.conflict as ConflictView, 'coalition', STRIKE_WINDOW_COARSE);
    }
    const events = await allEvents('northern-forces.watch');
    const eventsText = JSON.stringify(events);
    const alertsText = JSON.stringify(alerts);
    for (const c of withheld) {
      assert.ok(!eventsText.includes(c.id) && !alertsText.includes(c.id), `${c.id} reached the attacker`);
      for (const user of ['northern-forces.watch', 'northern-forces.admin']) {
        const real = await request(t.app, await s.as(user), 'GET', `/api/v1/conflicts/${c.id}`);
        const fake = await request(t.app, await s.as(user), 'GET', '/api/v1/conflicts/cf-no-such-conflict');
        assert.equal(real.statusCode, 404, real.body);
        assert.equal(real.body.replaceAll(c.id, '<id>'), fake.body.replaceAll('cf-no-such-conflict', '<id>'));
      }
      // Nor through its own declaration's conflicts.
      const mySide = c.a.party === ATTACKER ? c.a : c.b;
      const byDecl = await get<{ conflicts: ConflictView[] }>(
        'northern-forces.watch',
        `/api/v1/conflicts?declaration=${mySide.id}`,
      );
      assert.deepEqual(byDecl.conflicts, []);
    }
    assert.equal(
      events.filter(
        (e) =>
          e.type === 'conflict.detected' &&
          withOwner([e.data as unknown as ConflictView], 'coalition').length > 0,
      ).length,
      answered.length,
    );
    assert.ok(!eventsText.includes(strikeT.local) && !eventsText.includes('Kestrel'));
    for (const secret of ['we keep it to ourselves', 'the school is empty at night'])
      assert.ok(!eventsText.includes(secret) && !alertsText.includes(secret), secret);
  });

  it('the owner releases a withheld conflict: then the attacker gets its alert and event, and sees it', async () => {
    const w = withheld[0] as ConflictView;
    const release = async (user: string) =>
      request(t.app, await s.as(user), 'POST', `/api/v1/conflicts/${w.id}/release`);
    assertError(await request(t.app, null, 'POST', `/api/v1/conflicts/${w.id}/release`), 401, 'unauthorized');
    assertError(await release('coalition.operator'), 403, 'forbidden');
    assertError(await release('northern-forces.watch'), 404, 'not_found');
    assertError(await release('relief-agency.admin'), 404, 'not_found');
    const headBefore = (
      await get<{ head: number }>('northern-forces.watch', '/api/v1/events?after=0&limit=1')
    ).head;
    const released = ok<ConflictView>(await release('coalition.watch'));
    assert.equal(released.id, w.id);
    assert.equal(typeof released.distance_m, 'number', "the owner's view");
    assert.ok(
      released.withheld_from === undefined || !released.withheld_from.includes(ATTACKER),
      JSON.stringify(released),
    );
    // The attacker now has it, masked.
    const seen = await get<ConflictView>('northern-forces.watch', `/api/v1/conflicts/${w.id}`);
    assertMasked(seen, 'coalition', STRIKE_WINDOW_COARSE);
    const listed = (
      await get<{ conflicts: ConflictView[] }>('northern-forces.watch', '/api/v1/conflicts?limit=5000')
    ).conflicts;
    assert.ok(listed.some((c) => c.id === w.id));
    const alerts = (await get<{ alerts: AlertView[] }>('northern-forces.watch', '/api/v1/alerts?limit=5000'))
      .alerts;
    const alert = alerts.find((a) => a.subject === w.id);
    assert.ok(alert, 'the attacker is alerted on release');
    assertMasked(alert.summary.conflict as ConflictView, 'coalition', STRIKE_WINDOW_COARSE);
    const events = await allEvents('northern-forces.watch', headBefore);
    const detected = events.find((e) => e.type === 'conflict.detected' && e.data.id === w.id);
    assert.ok(detected, JSON.stringify(events));
    assertMasked(detected.data as unknown as ConflictView, 'coalition', STRIKE_WINDOW_COARSE);
    assert.ok(events.some((e) => e.type === 'alert.created' && e.data.subject === w.id));
    // The others stay withheld.
    for (const c of withheld.slice(1))
      assert.equal(
        (await request(t.app, await s.as('northern-forces.watch'), 'GET', `/api/v1/conflicts/${c.id}`))
          .statusCode,
        404,
      );
  });

  it("the owner's party admin sets the budget per party: answered again until the new budget is used up", async () => {
    const n = ownerView.length;
    const put = async (user: string, body: unknown, party = ATTACKER) =>
      request(t.app, await s.as(user), 'PUT', `/api/v1/probing/budgets/${party}`, body);
    assertError(await put('coalition.operator', { per_day: 50 }), 403, 'forbidden');
    assertError(await put('coalition.watch', { per_day: 50 }), 403, 'forbidden');
    assertError(await put('coalition.admin', { per_day: 10_001 }), 400, 'invalid_request');
    assertError(await put('coalition.admin', { per_day: -1 }), 400, 'invalid_request');
    const set = ok<Budget>(await put('coalition.admin', { per_day: n + 2 }));
    assert.equal(set.party, ATTACKER);
    assert.equal(set.per_day, n + 2);
    assert.equal(set.used_today, n);
    assert.equal(set.remaining, 2);
    assert.ok(set.last_at !== null);
    const view = await get<Probing>('coalition.watch', '/api/v1/probing');
    assert.deepEqual(
      view.parties.find((p) => p.party === ATTACKER),
      set,
    );
    // Three more probes, one per request: two answered, the third withheld.
    const results: number[] = [];
    for (const k of [1, 2, 3]) {
      t.clock.advance(1000);
      const sub = await submit(ATTACKER_OP, strikeT.probe(`again-${k}`, offset(STRIKE_AT, 10 * k, 0)));
      const mine = withOwner(sub.conflicts, 'coalition');
      for (const c of mine) assertMasked(c, 'coalition', STRIKE_WINDOW_COARSE);
      results.push(mine.length);
    }
    assert.deepEqual(results, [1, 1, 0]);
    const after = await get<Probing>('coalition.watch', '/api/v1/probing');
    const nf = after.parties.find((p) => p.party === ATTACKER) as Budget;
    assert.equal(nf.used_today, n + 3);
    assert.equal(nf.remaining, 0);
    const probing = (
      await get<{ alerts: AlertView[] }>('coalition.watch', '/api/v1/alerts?limit=5000')
    ).alerts.filter((a) => a.subject_type === 'probing');
    assert.equal(probing.length, 2, 'a second probing alert when the new budget is used up');
    assert.ok(
      probing.some(
        (a) =>
          JSON.stringify(a.summary) ===
          JSON.stringify({
            probing: { party: ATTACKER, per_day: n + 2, used_today: n + 2, day: '2026-11-22' },
          }),
      ),
      JSON.stringify(probing.map((a) => a.summary)),
    );
    assert.equal((await probeEntries()).length, n + 3);
  });

  it('a binary search with real single-point strikes on the hidden site stops at the budget (3)', async () => {
    const put = ok<Budget>(
      await request(t.app, await s.as('relief-agency.admin'), 'PUT', `/api/v1/probing/budgets/${ATTACKER}`, {
        per_day: 3,
      }),
    );
    assert.deepEqual(put, {
      party: ATTACKER,
      per_day: 3,
      used_today: 0,
      remaining: 3,
      last_at: null,
      exhausted_at: null,
    });
    const anchor = offset(SITE_AT, -3000, 1000);
    /** What each step's answer said: the strike's id at the hub, and whether it met something hidden. */
    const said = new Map<string, boolean>();
    const met = async (r: number, step: number) => {
      t.clock.advance(1000);
      const sub = await submit(ATTACKER_OP, siteT.probe(`real-bisect-${step}`, anchor, r));
      const mine = withOwner(sub.conflicts, 'relief-agency');
      for (const c of mine) assertMasked(c, 'relief-agency', PROBE_STRIKE_WINDOW);
      said.set((sub.declarations[0] as { id: string }).id, mine.length > 0);
      return mine.length > 0;
    };
    await met(6000, 0);
    let lo = 0;
    let hi = 6000;
    for (let step = 1; step <= 12; step++) {
      const mid = Math.round((lo + hi) / 2);
      if (await met(mid, step)) hi = mid;
      else lo = mid;
    }
    const owner = (
      await get<{ conflicts: ConflictView[] }>(
        'relief-agency.watch',
        `/api/v1/conflicts?declaration=${SITE}&limit=5000`,
      )
    ).conflicts;
    const n = owner.length;
    assert.ok(n > 3, `${n} strikes met the site`);
    assert.equal([...said.values()].filter(Boolean).length, 3, 'three answered');
    // Each strike that met the site: answered while the budget lasted, then a silent answer.
    for (const c of owner) {
      const strike = (c.a.party === ATTACKER ? c.a : c.b).id as string;
      const isWithheld = (c.withheld_from ?? []).includes(ATTACKER);
      assert.equal(
        said.get(strike),
        !isWithheld,
        `${strike}: answered ${said.get(strike)}, withheld ${isWithheld}`,
      );
    }
    assert.equal(owner.filter((c) => (c.withheld_from ?? []).includes(ATTACKER)).length, n - 3);
    const view = await get<Probing>('relief-agency.watch', '/api/v1/probing');
    const nf = view.parties.find((p) => p.party === ATTACKER) as Budget;
    assert.equal(nf.used_today, n);
    assert.equal(nf.per_day, 3);
    assert.equal(view.recent.filter((p) => p.party === ATTACKER).length, n);
    const alerts = (await get<{ alerts: AlertView[] }>('relief-agency.watch', '/api/v1/alerts?limit=5000'))
      .alerts;
    for (const c of owner)
      assert.ok(
        alerts.some((a) => a.subject === c.id),
        `the owner is alerted about ${c.id}`,
      );
    const probing = alerts.filter((a) => a.subject_type === 'probing');
    assert.deepEqual(
      probing.map((a) => [a.precedence, a.summary]),
      [['immediate', { probing: { party: ATTACKER, per_day: 3, used_today: 3, day: '2026-11-22' } }]],
    );
  });

  it('a budget of 0: the first probe of the day is withheld and alerts the owner at once', async () => {
    ok(
      await request(t.app, await s.as('relief-agency.admin'), 'PUT', '/api/v1/probing/budgets/city-police', {
        per_day: 0,
      }),
    );
    // city-police may not see the site either; its strike, on another day than the attacker's.
    const sub = await submit(
      'city-police.operator',
      feature('cp-on-clinic', 'strike', offset(SITE_AT, 50, 50), {
        start: '2026-11-27T08:00:00Z',
        end: '2026-11-27T09:00:00Z',
        buffer_m: 100,
      }),
    );
    assert.deepEqual(sub.conflicts, [], 'withheld from its answer');
    const owner = (
      await get<{ conflicts: ConflictView[] }>(
        'relief-agency.watch',
        `/api/v1/conflicts?declaration=${SITE}&limit=5000`,
      )
    ).conflicts.filter((c) => c.a.party === 'city-police' || c.b.party === 'city-police');
    assert.equal(owner.length, 1);
    assert.deepEqual((owner[0] as ConflictView).withheld_from, ['city-police']);
    const probing = (
      await get<{ alerts: AlertView[] }>('relief-agency.watch', '/api/v1/alerts?limit=5000')
    ).alerts.filter((a) => a.subject_type === 'probing' && a.summary.probing?.party === 'city-police');
    assert.deepEqual(
      probing.map((a) => [a.precedence, a.summary]),
      [['immediate', { probing: { party: 'city-police', per_day: 0, used_today: 1, day: '2026-11-22' } }]],
    );
    const cp = (await get<{ conflicts: ConflictView[] }>('city-police.watch', '/api/v1/conflicts?limit=5000'))
      .conflicts;
    assert.ok(!cp.some((c) => c.id === (owner[0] as ConflictView).id));
  });

  it('the budget is per UTC day: the next day the attacker is answered again', async () => {
    t.clock.set(T0 + DAY + 5 * 60_000);
    const view = await get<Probing>('relief-agency.watch', '/api/v1/probing');
    assert.equal(view.day, '2026-11-23');
    const nf = view.parties.find((p) => p.party === ATTACKER) as Budget;
    assert.equal(nf.used_today, 0);
    assert.equal(nf.remaining, 3);
    const sub = await submit(ATTACKER_OP, siteT.probe('next-day', SITE_AT, 100));
    const mine = withOwner(sub.conflicts, 'relief-agency');
    assert.equal(mine.length, 1);
    assertMasked(mine[0] as ConflictView, 'relief-agency', PROBE_STRIKE_WINDOW);
  });

  it('one request with more hidden conflicts than the budget: 20 answered, the rest withheld', async () => {
    // Relief-agency may not see the strike either, and has not probed it: the whole grid at once.
    const points = grid(strikeT);
    const sub = await submit('relief-agency.operator', {
      type: 'FeatureCollection',
      features: points.map((p) => strikeT.probe(`ra-${p.id}`, p.at)),
    });
    const hiddenHere = sub.conflicts.filter((c) =>
      [c.a, c.b].some((x) => x.party === 'coalition' && x.hidden),
    );
    const all = (
      await get<{ conflicts: ConflictView[] }>(
        'coalition.watch',
        `/api/v1/conflicts?declaration=${STRIKE}&limit=5000`,
      )
    ).conflicts.filter((c) => c.a.party === 'relief-agency' || c.b.party === 'relief-agency');
    assert.ok(all.length > 20, `${all.length} conflicts`);
    assert.equal(hiddenHere.length, 20, 'the budget counts each probe of a batch once');
    assert.equal(
      all.filter((c) => (c.withheld_from ?? []).includes('relief-agency')).length,
      all.length - 20,
    );
    const view = await get<Probing>('coalition.watch', '/api/v1/probing');
    const ra = view.parties.find((p) => p.party === 'relief-agency') as Budget;
    assert.equal(ra.used_today, all.length);
    const probing = (
      await get<{ alerts: AlertView[] }>('coalition.watch', '/api/v1/alerts?limit=5000')
    ).alerts.filter((a) => a.subject_type === 'probing' && a.summary.probing?.party === 'relief-agency');
    assert.deepEqual(
      probing.map((a) => a.summary),
      [{ probing: { party: 'relief-agency', per_day: 20, used_today: 20, day: '2026-11-23' } }],
    );
  });
});

// --- Party lists ---------------------------------------------------------------------------------

describe('party lists name parties that exist, and notify only parties that may see the declaration', () => {
  let t: TestHub;
  let s: Sessions;
  before(async () => {
    t = await startHub();
    s = sessions(() => t);
  });
  after(() => t.close());

  const zone = (id: string, extra: Json) => ({
    type: 'Feature',
    geometry: {
      type: 'Polygon',
      coordinates: [
        [
          [20.9, 45.9],
          [20.95, 45.9],
          [20.95, 45.93],
          [20.9, 45.93],
          [20.9, 45.9],
        ],
      ],
    },
    properties: { id, kind: 'restricted_zone', start: '2026-11-25T00:00:00Z', ...extra },
  });
  const cases: [string, unknown, string, string][] = [
    [
      'an unknown party in notify',
      feature('pl-notify', 'protected_site', [20.91, 45.91], {
        category: 'school',
        start: '2026-11-25T00:00:00Z',
        notify: ['no-such-party'],
      }),
      'unknown_party',
      'properties.notify',
    ],
    [
      'an unknown party in visibility',
      feature('pl-visibility', 'protected_site', [20.91, 45.91], {
        category: 'school',
        start: '2026-11-25T00:00:00Z',
        visibility: ['city-police', 'no-such-party'],
      }),
      'unknown_party',
      'properties.visibility',
    ],
    [
      'an unknown party in applies_to',
      zone('pl-applies', { applies_to: ['northern-forces', 'no-such-party'] }),
      'unknown_party',
      'properties.applies_to',
    ],
    [
      'notify naming a party the declaration is hidden from',
      feature('pl-notify-hidden', 'strike', [20.91, 45.91], {
        start: '2026-11-25T00:00:00Z',
        end: '2026-11-25T01:00:00Z',
        visibility: ['city-police'],
        notify: ['northern-forces'],
      }),
      'notify_not_visible',
      'properties.notify',
    ],
  ];
  for (const [what, body, code, path] of cases) {
    it(`${what}: 422 ${code} at ${path}, nothing stored`, async () => {
      const id = (body as { properties: { id: string } }).properties.id;
      for (const url of ['/api/v1/declarations?dry_run=true', '/api/v1/declarations']) {
        const r = await request(t.app, await s.as('coalition.operator'), 'POST', url, body);
        const e = assertError(r, 422, code, path);
        assert.deepEqual(e.feature, { index: 0, id: own('coalition', id) }, r.body);
      }
      assertError(
        await request(
          t.app,
          await s.as('coalition.operator'),
          'GET',
          `/api/v1/declarations/${own('coalition', id)}`,
        ),
        404,
        'not_found',
      );
      const ledger = await t.store.read((tx) => tx.ledger.range(1, 100_000));
      assert.ok(!ledger.some((e) => e.subject === own('coalition', id)));
    });
  }

  it('known parties, and notify within the visibility list, are accepted', async () => {
    const r = await request(
      t.app,
      await s.as('coalition.operator'),
      'POST',
      '/api/v1/declarations',
      feature('pl-fine', 'strike', [20.91, 45.91], {
        start: '2026-11-25T00:00:00Z',
        end: '2026-11-25T01:00:00Z',
        visibility: ['city-police', 'northern-forces'],
        notify: ['northern-forces'],
      }),
    );
    ok(r, 201);
    ok(
      await request(
        t.app,
        await s.as('coalition.operator'),
        'POST',
        '/api/v1/declarations',
        zone('pl-zone-fine', { applies_to: ['northern-forces'] }),
      ),
      201,
    );
  });
});
