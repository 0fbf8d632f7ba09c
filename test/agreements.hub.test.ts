/**
 * Agreements in the hub (docs/agreements.md), end to end through the API, on the Castello Road
 * corridor north of Aleppo (test/fixtures/agreements/castello-road.geojson; its government and
 * opposition forces are the demo's coalition and northern-forces):
 * - drafted by one party (its own until proposed), countered by the other (a new version: the
 *   first is superseded, signing it is refused), signed by both and by the relief agency, each
 *   with its own registered key over the same content hash; in force at its start, when a strike
 *   declared earlier that breaks it is reported at once;
 * - a relief convoy inside the corridor, into either side's area of responsibility, gets no
 *   `incursion` (it did before the agreement was in force), one that leaves the corridor still does;
 * - a strike planned inside the corridor during a pause is an `agreement_breach` (critical) that
 *   alerts all three signatories — a dry run shows it first and stores nothing;
 * - the opposition withdraws with effect from a time: a strike after it breaks nothing, one before
 *   it still does; at that time the agreement is withdrawn;
 * - every step is a ledger entry (its type, its audience: every signatory), and `deconflict
 *   verify --data` holds on the data directory;
 * - bad input — a term outside the agreement's window, a permission naming an unknown party,
 *   signing a superseded version, withdrawing twice, a signature over the wrong hash — is a
 *   coded error and changes nothing (the ledger's head stays where it was).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { AgreementView } from '../src/api/agreements.ts';
import type { ConflictView, SubmissionResult } from '../src/api/declarations.ts';
import type { LogView } from '../src/api/ledger.ts';
import type { AlertView } from '../src/api/watch.ts';
import { main } from '../src/cli/main.ts';
import { canonicalJson } from '../src/ledger/canonical.ts';
import type { Act, Signed, Statement } from '../src/ledger/statement.ts';
import type { VerifyResult } from '../src/ledger/verify.ts';
import { assertError, ok, sessions, startHub, type TestHub } from './support/hub.ts';
import { type MemberKey, registerKey, signWith, statementBy } from './support/keys.ts';
import { HOUR, iso } from './support/time.ts';

const GOV = 'coalition';
const OPP = 'northern-forces';
const AGENCY = 'relief-agency';
const SIGNATORIES = [GOV, OPP, AGENCY];

type Json = Record<string, unknown>;
type Feature = { type: 'Feature'; geometry: unknown; properties: Json };

/** The fixture, its forces renamed to the demo's parties. */
const FIXTURE = JSON.parse(
  readFileSync(new URL('./fixtures/agreements/castello-road.geojson', import.meta.url), 'utf8')
    .replaceAll('"government-forces"', `"${GOV}"`)
    .replaceAll('"opposition-forces"', `"${OPP}"`),
) as { features: Feature[]; agreements: Json[] };

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** The agreement's text, changed by `edit`. */
function text(edit: (a: Json & { terms: { features: Feature[] } }) => void = () => undefined): Json {
  const a = clone(FIXTURE.agreements[0]) as Json & { terms: { features: Feature[] } };
  edit(a);
  return a;
}

const term = (a: { terms: { features: Feature[] } }, id: string): Feature =>
  a.terms.features.find((f) => f.properties.id === id) as Feature;

/** A declaration of the fixture (its party is the caller's), with properties changed. */
function decl(id: string, props: Json = {}): Feature {
  const f = clone(FIXTURE.features.find((x) => x.properties.id === id) as Feature);
  delete f.properties.party;
  Object.assign(f.properties, props);
  return f;
}

const at = (s: string): number => Date.parse(s);

let t: TestHub;
const s = sessions(() => t, { renewAfter_ms: 6 * HOUR });
before(async () => {
  t = await startHub();
});
after(async () => {
  if (t) await t.close();
});

// --- Keys and signed statements (docs/transparency.md §4) -------------------------------------------

type Key = MemberKey;

let origin = '';
const keys = new Map<string, Key>();

const statement = (user: string, act: Act, subject: string, extra: Partial<Statement> = {}): Statement =>
  statementBy(origin, user, t.clock.now(), act, subject, extra);

async function register(user: string): Promise<Key> {
  const key = await registerKey(s.req, origin, user, t.clock.now(), 'agreements');
  keys.set(user, key);
  return key;
}

/** Sign a version as `user`: the body says `version`, `hash`; the statement may say another hash. */
function signBody(
  user: string,
  a: AgreementView,
  o: { version?: number; hash?: string; said?: string } = {},
) {
  const version = o.version ?? a.version;
  const hash = o.hash ?? a.content_sha256;
  const st = statement(user, 'agreement.sign', a.id, { version, content_sha256: o.said ?? hash });
  return { version, content_sha256: hash, signed: signWith(st, keys.get(user) as Key) };
}

const signAs = (user: string, a: AgreementView, o: Parameters<typeof signBody>[2] = {}) =>
  s.req(user, 'POST', `/api/v1/agreements/${a.id}/sign`, signBody(user, a, o));

function withdrawAs(user: string, a: AgreementView, effective: string, reason = 'the pause was broken') {
  const st = statement(user, 'agreement.withdraw', a.id, { version: a.version, effective });
  return s.req(user, 'POST', `/api/v1/agreements/${a.id}/withdraw`, {
    effective,
    reason,
    signed: signWith(st, keys.get(user) as Key),
  });
}

// --- Helpers ------------------------------------------------------------------------------------------

const head = async (): Promise<number> => (await t.store.read((tx) => tx.ledger.head()))?.seq ?? 0;

/**
 * A refused request as `user`: the coded error, and nothing changed (the ledger's head did not
 * move; the user is logged in first, since a login is an entry).
 */
async function refused(
  user: string,
  send: () => Promise<Awaited<ReturnType<typeof s.req>>>,
  status: number,
  code: string,
) {
  await s.as(user);
  const before = await head();
  const r = await send();
  const e = assertError(r, status, code);
  assert.equal(await head(), before, `${code}: nothing recorded`);
  return e;
}

const get = async (user: string, id: string) =>
  ok<AgreementView>(await s.req(user, 'GET', `/api/v1/agreements/${id}`));

const submit = async (user: string, features: Feature[], dryRun = false) =>
  ok<SubmissionResult>(
    await s.req(user, 'POST', `/api/v1/declarations${dryRun ? '?dry_run=true' : ''}`, {
      type: 'FeatureCollection',
      features,
    }),
    dryRun ? 200 : 201,
  );

const breaches = (cs: readonly ConflictView[]) => cs.filter((c) => c.rule === 'agreement_breach');

/** The term a breach breaks (its `b` side). */
function termOf(c: ConflictView): { agreement: string; term: string; term_kind: string; parties: string[] } {
  assert.ok('kind' in c.b && c.b.kind === 'agreement_term', JSON.stringify(c.b));
  return c.b as unknown as { agreement: string; term: string; term_kind: string; parties: string[] };
}

async function openAlerts(party: string): Promise<AlertView[]> {
  return ok<{ alerts: AlertView[] }>(await s.req(`${party}.watch`, 'GET', '/api/v1/alerts?status=open'))
    .alerts;
}

const sha256 = (v: unknown) => createHash('sha256').update(canonicalJson(v)).digest('hex');

// --- The scenario ---------------------------------------------------------------------------------------

describe('the Castello Road corridor, end to end', () => {
  let ag: AgreementView;
  let strikeId = '';

  before(async () => {
    origin = ok<LogView>(await s.req(`${GOV}.watch`, 'GET', '/api/v1/ledger/checkpoint')).origin;
    for (const user of [`${GOV}.senior`, `${OPP}.admin`, `${AGENCY}.admin`]) await register(user);
    // Each force declares its area of responsibility.
    await submit(`${GOV}.operator`, [decl('aor-gov-north')]);
    await submit(`${OPP}.operator`, [decl('aor-opp-east')]);
  });

  it('a draft is its drafting party’s alone; proposed, every party it names reads it', async () => {
    const created = ok<AgreementView>(
      await s.req(`${GOV}.operator`, 'POST', '/api/v1/agreements', text()),
      201,
    );
    assert.equal(created.status, 'draft');
    assert.equal(created.version, 1);
    assert.equal(created.drafter, GOV);
    assert.deepEqual(created.agreement.parties, SIGNATORIES);
    assert.equal(created.content_sha256, sha256(created.agreement), 'the hash is of the canonical text');
    assertError(await s.req(`${OPP}.operator`, 'GET', `/api/v1/agreements/${created.id}`), 404, 'not_found');
    const listed = ok<{ agreements: AgreementView[] }>(
      await s.req(`${OPP}.operator`, 'GET', '/api/v1/agreements'),
    );
    assert.ok(!listed.agreements.some((x) => x.id === created.id), 'another party’s draft is not listed');

    const edited = ok<AgreementView>(
      await s.req(
        `${GOV}.operator`,
        'PUT',
        `/api/v1/agreements/${created.id}`,
        text((a) => {
          a.name = 'Castello Road humanitarian corridor (draft 2)';
        }),
      ),
    );
    assert.equal(edited.agreement.name, 'Castello Road humanitarian corridor (draft 2)');
    assert.notEqual(edited.content_sha256, created.content_sha256);

    ag = ok<AgreementView>(
      await s.req(`${GOV}.operator`, 'POST', `/api/v1/agreements/${created.id}/propose`),
    );
    assert.equal(ag.status, 'proposed');
    assert.deepEqual(ag.awaiting, SIGNATORIES);
    for (const party of [OPP, AGENCY])
      assert.equal((await get(`${party}.watch`, ag.id)).content_sha256, ag.content_sha256);
    assertError(await s.req('city-police.watch', 'GET', `/api/v1/agreements/${ag.id}`), 404, 'not_found');
    // Proposed, it is no longer edited.
    await refused(
      `${GOV}.operator`,
      () => s.req(`${GOV}.operator`, 'PUT', `/api/v1/agreements/${ag.id}`, text()),
      409,
      'agreement_state',
    );
  });

  it('countered by the other side: a new version supersedes the first, which can no longer be signed or countered', async () => {
    // Its own proposal is countered by another signatory, not by its proposer.
    await refused(
      `${GOV}.operator`,
      () =>
        s.req(`${GOV}.operator`, 'POST', `/api/v1/agreements/${ag.id}/counter`, { ...text(), version: 1 }),
      409,
      'agreement_state',
    );
    const countered = ok<AgreementView>(
      await s.req(`${OPP}.operator`, 'POST', `/api/v1/agreements/${ag.id}/counter`, {
        ...text((a) => {
          a.name = 'Castello Road humanitarian corridor';
          // The opposition wants the second pause an hour longer.
          term(a, 'pause-2').properties.end = '2026-12-10T11:00:00Z';
        }),
        version: 1,
      }),
    );
    assert.equal(countered.version, 2);
    assert.equal(countered.status, 'proposed');
    assert.deepEqual(
      countered.versions.map((v) => [v.version, v.party, v.superseded]),
      [
        [1, GOV, true],
        [2, OPP, false],
      ],
    );
    assert.equal(countered.content_sha256, sha256(countered.agreement));
    const v1 = ag;
    ag = countered;
    await refused(`${GOV}.senior`, () => signAs(`${GOV}.senior`, v1), 409, 'agreement_superseded');
    await refused(
      `${AGENCY}.operator`,
      () =>
        s.req(`${AGENCY}.operator`, 'POST', `/api/v1/agreements/${ag.id}/counter`, { ...text(), version: 1 }),
      409,
      'agreement_superseded',
    );
  });

  it('before it is in force, a convoy entering the other side’s area is an incursion (checked, not stored)', async () => {
    const r = await submit(`${AGENCY}.operator`, [decl('convoy-1')], true);
    assert.ok(
      r.conflicts.some((c) => c.rule === 'incursion'),
      JSON.stringify(r.conflicts),
    );
  });

  it('signed by both sides and the relief agency, each with its own key over the same hash; in force at its start, reporting at once a strike declared earlier that breaks it', async () => {
    // An opposition strike on the road during the second pause, declared before anything is in force.
    const early = await submit(`${OPP}.operator`, [
      decl('strike-later', {
        id: 'strike-pause-2',
        start: '2026-12-10T08:00:00Z',
        end: '2026-12-10T08:30:00Z',
      }),
    ]);
    assert.deepEqual(breaches(early.conflicts), []);
    const earlyId = early.declarations[0]?.id as string;

    let a = ok<AgreementView>(await signAs(`${GOV}.senior`, ag));
    assert.deepEqual(a.awaiting, [OPP, AGENCY]);
    await refused(`${GOV}.senior`, () => signAs(`${GOV}.senior`, ag), 409, 'already_signed');
    a = ok<AgreementView>(await signAs(`${OPP}.admin`, ag));
    a = ok<AgreementView>(await signAs(`${AGENCY}.admin`, ag));
    assert.equal(a.status, 'signed', 'every signatory signed; its start has not come');
    assert.deepEqual(a.awaiting, []);
    assert.deepEqual(
      a.signatures.map((x) => [x.version, x.party, x.username, x.key]),
      [
        [2, GOV, `${GOV}.senior`, keys.get(`${GOV}.senior`)?.id],
        [2, OPP, `${OPP}.admin`, keys.get(`${OPP}.admin`)?.id],
        [2, AGENCY, `${AGENCY}.admin`, keys.get(`${AGENCY}.admin`)?.id],
      ],
    );
    assert.equal(t.hub.agreements.nextDue(), at('2026-12-08T06:00:00Z'), 'the scheduler wakes at its start');

    t.clock.set(at('2026-12-08T06:00:00Z'));
    await t.hub.runDue();
    ag = await get(`${AGENCY}.watch`, ag.id);
    assert.equal(ag.status, 'in_force');
    assert.equal(ag.in_force_at, '2026-12-08T06:00:00Z');

    for (const party of SIGNATORIES) {
      const { conflicts: cs } = ok<{ conflicts: ConflictView[] }>(
        await s.req(
          `${party}.watch`,
          'GET',
          `/api/v1/conflicts?rule=agreement_breach&declaration=${earlyId}`,
        ),
      );
      const terms = cs.map((c) => termOf(c).term).sort();
      assert.ok(terms.includes('pause-2') && terms.includes('corridor'), `${party}: ${terms}`);
      for (const c of cs) {
        assert.deepEqual(termOf(c).parties.sort(), [...SIGNATORIES].sort());
        assert.ok(
          (await openAlerts(party)).some((x) => x.subject === c.id),
          `${party} is alerted to the breach of ${termOf(c).term}`,
        );
      }
    }
  });

  it('a relief convoy inside the corridor, into either side’s area, gets no incursion; one that leaves the corridor still does', async () => {
    const inside = await submit(`${AGENCY}.operator`, [decl('convoy-1')]);
    assert.deepEqual(
      inside.conflicts.filter((c) => c.rule === 'incursion' || c.rule === 'agreement_breach'),
      [],
      JSON.stringify(inside.conflicts),
    );
    const leaving = await submit(`${AGENCY}.operator`, [decl('convoy-2')]);
    const incursions = leaving.conflicts.filter((c) => c.rule === 'incursion');
    assert.equal(incursions.length, 1, JSON.stringify(leaving.conflicts));
    assert.ok(
      [incursions[0]?.a.party, incursions[0]?.b.party].includes(GOV),
      'into Handarat, the government’s area',
    );
  });

  it('a strike planned inside the corridor during a pause: a dry run shows the breach and stores nothing; submitted, it alerts all three', async () => {
    const strike = decl('strike-corridor');
    await s.as(`${GOV}.operator`);
    const before = await head();
    const dry = await submit(`${GOV}.operator`, [strike], true);
    assert.equal(await head(), before, 'a dry run records nothing');
    const shown = breaches(dry.conflicts);
    assert.ok(
      shown.some((c) => termOf(c).term === 'pause-1' && c.severity === 'critical'),
      JSON.stringify(shown),
    );
    assert.ok(shown.some((c) => termOf(c).term === 'corridor' && c.severity === 'critical'));
    for (const party of SIGNATORIES) {
      const { conflicts: cs } = ok<{ conflicts: ConflictView[] }>(
        await s.req(`${party}.watch`, 'GET', '/api/v1/conflicts?rule=agreement_breach'),
      );
      assert.ok(!cs.some((c) => shown.some((x) => x.id === c.id)), 'nothing stored');
    }

    const real = await submit(`${GOV}.operator`, [strike]);
    strikeId = real.declarations[0]?.id as string;
    const found = breaches(real.conflicts);
    assert.deepEqual(
      found.map((c) => termOf(c).term).sort(),
      shown.map((c) => termOf(c).term).sort(),
      'the dry run showed what the submission found',
    );
    const pause = found.find((c) => termOf(c).term === 'pause-1') as ConflictView;
    assert.equal(pause.severity, 'critical');
    assert.equal(pause.a.party, GOV);
    assert.equal(termOf(pause).agreement, ag.id);
    assert.equal(termOf(pause).term_kind, 'pause');
    for (const party of SIGNATORIES) {
      const alert = (await openAlerts(party)).find((x) => x.subject === pause.id);
      assert.ok(alert, `${party} is alerted`);
      // A day ahead, the lead time relaxes its precedence (hub/deadlines.ts): it still has deadlines.
      assert.equal(alert.subject_type, 'conflict');
      assert.ok(alert.due_at !== null);
      const seen = ok<ConflictView>(await s.req(`${party}.watch`, 'GET', `/api/v1/conflicts/${pause.id}`));
      assert.equal(termOf(seen).term, 'pause-1');
    }
    assertError(await s.req('city-police.watch', 'GET', `/api/v1/conflicts/${pause.id}`), 404, 'not_found');
  });

  it('the opposition withdraws with effect from a time: a strike after it breaks nothing, one before it still does', async () => {
    const effective = '2026-12-11T12:00:00Z';
    const w = ok<AgreementView>(await withdrawAs(`${OPP}.admin`, ag, effective));
    assert.equal(w.status, 'in_force', 'it binds until then');
    assert.equal(w.withdrawal?.effective, effective);
    assert.equal(w.withdrawal?.party, OPP);
    ag = w;
    await refused(
      `${GOV}.senior`,
      () => withdrawAs(`${GOV}.senior`, ag, '2026-12-12T00:00:00Z'),
      409,
      'agreement_closed',
    );

    const later = await submit(`${GOV}.operator`, [
      decl('strike-corridor', {
        id: 'strike-after',
        start: '2026-12-11T14:00:00Z',
        end: '2026-12-11T14:30:00Z',
      }),
    ]);
    assert.deepEqual(breaches(later.conflicts), [], 'after the withdrawal took effect: no breach');
    const earlier = await submit(`${GOV}.operator`, [
      decl('strike-corridor', {
        id: 'strike-before',
        start: '2026-12-11T08:00:00Z',
        end: '2026-12-11T08:30:00Z',
      }),
    ]);
    assert.ok(
      breaches(earlier.conflicts).some((c) => termOf(c).term === 'corridor' && c.severity === 'critical'),
      'before it: still a breach',
    );

    assert.equal(t.hub.agreements.nextDue(), at(effective));
    t.clock.set(at(effective));
    await t.hub.runDue();
    ag = await get(`${GOV}.watch`, ag.id);
    assert.equal(ag.status, 'withdrawn');
    assert.equal(ag.closed_at, effective);
    // No longer binding: a strike on the road is no breach.
    const after = await submit(`${GOV}.operator`, [
      decl('strike-corridor', {
        id: 'strike-withdrawn',
        start: '2026-12-11T09:00:00Z',
        end: '2026-12-11T09:30:00Z',
      }),
    ]);
    assert.deepEqual(breaches(after.conflicts), []);
    await refused(
      `${AGENCY}.admin`,
      () => withdrawAs(`${AGENCY}.admin`, ag, '2026-12-12T00:00:00Z'),
      409,
      'agreement_closed',
    );
    assert.ok(strikeId);
  });

  it('every step is in the ledger, with every signatory as its audience; each may fetch its receipts, no one else', async () => {
    const entries = await t.store.read(async (tx) => {
      const all = await tx.ledger.range(1, 100_000);
      return all.filter((e) => e.subject === ag.id);
    });
    assert.deepEqual(
      entries.map((e) => e.type),
      [
        'agreement.drafted',
        'agreement.edited',
        'agreement.proposed',
        'agreement.countered',
        'agreement.signed',
        'agreement.signed',
        'agreement.signed',
        'agreement.in_force',
        'agreement.withdrawn',
        'agreement.withdrawal_effective',
      ],
    );
    for (const e of entries) {
      const p = e.payload as { audience?: string[]; signed?: Signed; version?: number };
      if (e.type === 'agreement.drafted' || e.type === 'agreement.edited') {
        assert.equal(p.audience, undefined, 'a draft is its drafter’s alone');
        assert.equal(e.party, GOV);
      } else assert.deepEqual(p.audience, SIGNATORIES, e.type);
      if (e.type === 'agreement.signed' || e.type === 'agreement.withdrawn') {
        assert.equal(p.signed?.statement.by, e.actor);
        assert.equal(p.signed?.statement.subject, ag.id);
        assert.equal(p.signed?.statement.version, 2);
      }
    }
    const signedEntries = entries.filter((e) => e.type === 'agreement.signed').map((e) => e.seq);
    assert.deepEqual(
      ag.signatures.map((x) => x.entry),
      signedEntries,
    );
    const countered = entries.find((e) => e.type === 'agreement.countered')?.seq as number;
    for (const party of SIGNATORIES)
      ok(await s.req(`${party}.watch`, 'GET', `/api/v1/receipts/${countered}`));
    assertError(await s.req('city-police.watch', 'GET', `/api/v1/receipts/${countered}`), 404, 'not_found');
    const withdrawn = entries.find((e) => e.type === 'agreement.withdrawn')?.seq as number;
    const receipt = ok<{ signed: Signed | null }>(
      await s.req(`${AGENCY}.watch`, 'GET', `/api/v1/receipts/${withdrawn}`),
    );
    assert.equal(receipt.signed?.statement.act, 'agreement.withdraw');
  });
});

// --- Bad input -----------------------------------------------------------------------------------------

describe('bad input is a coded error and changes nothing', () => {
  let ag: AgreementView;

  before(async () => {
    // Keys and the origin may come from the scenario; this block stands on its own.
    if (origin === '')
      origin = ok<LogView>(await s.req(`${GOV}.watch`, 'GET', '/api/v1/ledger/checkpoint')).origin;
    for (const user of [`${GOV}.senior`, `${OPP}.admin`]) if (!keys.has(user)) await register(user);
    const future = (a: Json & { terms: { features: Feature[] } }) => {
      // A week after the clock, wherever the scenario left it.
      const start = Math.ceil((t.clock.now() + 24 * HOUR) / HOUR) * HOUR;
      a.start = iso(start);
      a.end = iso(start + 7 * 24 * HOUR);
      for (const f of a.terms.features) {
        delete f.properties.start;
        delete f.properties.end;
      }
    };
    const created = ok<AgreementView>(
      await s.req(`${GOV}.operator`, 'POST', '/api/v1/agreements', text(future)),
      201,
    );
    ag = ok<AgreementView>(
      await s.req(`${GOV}.operator`, 'POST', `/api/v1/agreements/${created.id}/propose`),
    );
  });

  it('a term whose window lies outside the agreement’s: term_outside_agreement, naming the term', async () => {
    const e = await refused(
      `${GOV}.operator`,
      () =>
        s.req(
          `${GOV}.operator`,
          'POST',
          '/api/v1/agreements',
          text((a) => {
            term(a, 'pause-1').properties.end = '2026-12-20T00:00:00Z';
          }),
        ),
      422,
      'term_outside_agreement',
    );
    assert.match(e.path, /^terms\.features\[1\]\.properties\.(start|end)$/);
  });

  it('a permission naming a party that does not exist: unknown_party', async () => {
    await refused(
      `${GOV}.operator`,
      () =>
        s.req(
          `${GOV}.operator`,
          'POST',
          '/api/v1/agreements',
          text((a) => {
            term(a, 'convoys').properties.parties = ['red-crescent'];
          }),
        ),
      422,
      'unknown_party',
    );
    // An agreement its drafter is not party to.
    await refused(
      'city-police.operator',
      () => s.req('city-police.operator', 'POST', '/api/v1/agreements', text()),
      403,
      'not_signatory',
    );
  });

  it('a signature over the wrong hash: content_mismatch, or bad_signature when the statement says another hash', async () => {
    await refused(
      `${GOV}.senior`,
      () => signAs(`${GOV}.senior`, ag, { hash: 'a'.repeat(64) }),
      409,
      'content_mismatch',
    );
    await refused(
      `${GOV}.senior`,
      () => signAs(`${GOV}.senior`, ag, { said: 'b'.repeat(64) }),
      422,
      'bad_signature',
    );
    // Another member's key, another agreement: refused as well.
    const st = statement(`${GOV}.senior`, 'agreement.sign', ag.id, {
      version: ag.version,
      content_sha256: ag.content_sha256,
    });
    await refused(
      `${GOV}.senior`,
      () =>
        s.req(`${GOV}.senior`, 'POST', `/api/v1/agreements/${ag.id}/sign`, {
          version: ag.version,
          content_sha256: ag.content_sha256,
          signed: signWith(st, keys.get(`${OPP}.admin`) as Key),
        }),
      422,
      'bad_signature',
    );
    // Only a party admin or senior officer signs for a party.
    await refused(
      `${GOV}.operator`,
      () =>
        s.req(`${GOV}.operator`, 'POST', `/api/v1/agreements/${ag.id}/sign`, signBody(`${GOV}.senior`, ag)),
      403,
      'forbidden',
    );
    assert.deepEqual((await get(`${GOV}.watch`, ag.id)).signatures, []);
  });

  it('signing a superseded version, countering without saying which: coded errors', async () => {
    const countered = ok<AgreementView>(
      await s.req(`${OPP}.operator`, 'POST', `/api/v1/agreements/${ag.id}/counter`, {
        ...(ag.agreement as unknown as Json),
        name: 'Countered',
        version: ag.version,
      }),
    );
    await refused(`${GOV}.senior`, () => signAs(`${GOV}.senior`, ag), 409, 'agreement_superseded');
    await refused(
      `${GOV}.operator`,
      () =>
        s.req(
          `${GOV}.operator`,
          'POST',
          `/api/v1/agreements/${ag.id}/counter`,
          ag.agreement as unknown as Json,
        ),
      422,
      'missing_property',
    );
    ag = countered;
  });

  it('withdrawing retroactively, then twice: effective_in_past, agreement_closed', async () => {
    await refused(
      `${OPP}.admin`,
      () => withdrawAs(`${OPP}.admin`, ag, iso(t.clock.now() - HOUR)),
      422,
      'effective_in_past',
    );
    // Effective now: withdrawn at once.
    const w = ok<AgreementView>(await withdrawAs(`${OPP}.admin`, ag, iso(t.clock.now())));
    assert.equal(w.status, 'withdrawn');
    await refused(
      `${GOV}.senior`,
      () => withdrawAs(`${GOV}.senior`, ag, iso(t.clock.now() + HOUR)),
      409,
      'agreement_closed',
    );
    await refused(`${GOV}.senior`, () => signAs(`${GOV}.senior`, w), 409, 'agreement_closed');
  });
});

// --- A restart ---------------------------------------------------------------------------------------

describe('an agreement in force survives a restart', () => {
  it('still in force after the hub reopens its data directory, and still breached by a strike in its corridor', async () => {
    // The same text a month later: every time moved from December to January.
    const later = (v: unknown) => JSON.parse(JSON.stringify(v).replaceAll('"2026-12-', '"2027-01-')) as Json;
    const drafted = ok<AgreementView>(
      await s.req(`${GOV}.operator`, 'POST', '/api/v1/agreements', later(text())),
      201,
    );
    let a = ok<AgreementView>(
      await s.req(`${GOV}.operator`, 'POST', `/api/v1/agreements/${drafted.id}/propose`),
    );
    t.clock.set(at('2027-01-08T05:00:00Z'));
    for (const user of [`${GOV}.senior`, `${OPP}.admin`, `${AGENCY}.admin`])
      a = ok<AgreementView>(await signAs(user, a));
    t.clock.set(at('2027-01-08T06:00:00Z'));
    await t.hub.runDue();
    assert.equal((await get(`${GOV}.watch`, a.id)).status, 'in_force');

    // Stop the hub and open its data directory again, as a restart does.
    const dir = t.dir;
    await t.close(true);
    t = await startHub({ dir, demo: false });
    t.clock.set(at('2027-01-09T07:00:00Z'));
    assert.equal((await get(`${GOV}.watch`, a.id)).status, 'in_force', 'in force after the restart');
    const r = await submit(`${GOV}.operator`, [
      later(decl('strike-corridor', { id: 'strike-after-restart' })) as unknown as Feature,
    ]);
    const broken = breaches(r.conflicts).filter((c) => termOf(c).agreement === a.id);
    assert.ok(
      broken.some((c) => termOf(c).term === 'corridor' && c.severity === 'critical'),
      JSON.stringify(r.conflicts),
    );
  });
});

// --- The record holds ----------------------------------------------------------------------------------

describe('deconflict verify --data', () => {
  it('holds on the data directory, every signed statement verified', async () => {
    const dir = t.dir;
    await t.close(true);
    try {
      const out: string[] = [];
      const io = {
        stdout: (x: string) => out.push(x),
        stderr: (x: string) => out.push(x),
        read: async () => '',
      };
      const status = await main(['verify', '--data', dir, '--format', 'json'], io);
      const result = JSON.parse(out.join('')) as VerifyResult;
      assert.equal(status, 0, out.join(''));
      assert.equal(result.ok, true);
      assert.ok(result.signed >= 7, `signed statements: ${result.signed}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      t = undefined as unknown as TestHub;
    }
  });
});
