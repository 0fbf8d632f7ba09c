/**
 * `deconflict check` with agreements (docs/agreements.md §4), through main() with a captured Io:
 * a FeatureCollection's foreign member `"agreements": [ … ]` is in force over its windows — its
 * breaches are added to the conflicts and the incursions its permissions lift are removed — on
 * the Castello Road corridor north of Aleppo (test/fixtures/agreements).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli } from './support/cli.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/agreements/castello-road.geojson', import.meta.url));

const run = runCli;

interface Output {
  declarations: number;
  agreements?: number;
  conflicts: {
    rule: string;
    severity: string;
    a: string;
    b: string;
    window: { start: string; end: string | null };
  }[];
}

interface Errors {
  errors: { code: string; feature: unknown; path: string; message: string }[];
}

async function fixture(): Promise<Record<string, unknown> & { agreements: unknown[] }> {
  return JSON.parse(await readFile(FIXTURE, 'utf8'));
}

/** Set the member at `path` of a JSON value (the parents exist). */
function set(root: unknown, path: readonly (string | number)[], value: unknown): void {
  let x = root as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) x = x[k] as Record<string | number, unknown>;
  x[path[path.length - 1] as string | number] = value;
}

const lines = (out: Output) => out.conflicts.map((c) => `${c.severity} ${c.rule} ${c.a} ${c.b}`);

describe('deconflict check with agreements', () => {
  it('adds the breaches of the Castello Road agreement and lifts the convoy’s incursions', async () => {
    const r = await run(['check', FIXTURE, '--format', 'json']);
    assert.equal(r.status, 1, r.err);
    const out = JSON.parse(r.out) as Output;
    assert.equal(out.declarations, 8);
    assert.equal(out.agreements, 1);
    assert.deepEqual(lines(out), [
      'high incursion aor-gov-north convoy-2',
      'high agreement_breach armour-road agreement:0/pull-back',
      'critical agreement_breach strike-corridor agreement:0/corridor',
      'critical agreement_breach strike-corridor agreement:0/pause-1',
      'high agreement_breach strike-corridor agreement:0/pull-back',
      'critical agreement_breach strike-later agreement:0/corridor',
      'high agreement_breach strike-later agreement:0/pull-back',
    ]);
    const breach = out.conflicts.find((c) => c.b === 'agreement:0/pause-1');
    assert.deepEqual(breach?.window, { start: '2026-12-09T08:00:00Z', end: '2026-12-09T08:30:00Z' });
  });

  it('without the agreements, the convoy’s incursions stand and nothing is a breach', async () => {
    const doc = await fixture();
    delete (doc as Record<string, unknown>).agreements;
    const r = await run(['check', '-', '--format', 'json'], JSON.stringify(doc));
    assert.equal(r.status, 1, r.err);
    const out = JSON.parse(r.out) as Output;
    assert.equal(out.agreements, undefined);
    assert.deepEqual(lines(out), [
      'high incursion aor-gov-north convoy-1',
      'high incursion aor-gov-north convoy-2',
      'high incursion aor-opp-east convoy-1',
    ]);
  });

  it('keeps only what is in force at --at, breaches included', async () => {
    const r = await run(['check', FIXTURE, '--format', 'json', '--at', '2026-12-09T08:15:00Z']);
    assert.equal(r.status, 1, r.err);
    assert.deepEqual(
      (JSON.parse(r.out) as Output).conflicts.map((c) => c.b),
      ['agreement:0/corridor', 'agreement:0/pause-1', 'agreement:0/pull-back'],
    );
    const quiet = await run(['check', FIXTURE, '--format', 'json', '--at', '100700ZDEC26']);
    assert.equal(quiet.status, 0, 'the convoy on the corridor at 07:00 on the 10th: no conflict');
  });

  it('prints the breaches in the table, the most severe first', async () => {
    const r = await run(['check', FIXTURE]);
    assert.equal(r.status, 1, r.err);
    const rows = r.out.trim().split('\n');
    assert.match(rows[0] as string, /^SEV\s+RULE/);
    assert.match(rows[1] as string, /^CRITICAL\s+agreement_breach\s+strike-corridor\s+agreement:0\/corridor/);
    assert.equal(rows[rows.length - 1], '7 conflicts among 8 declarations');
  });

  it('refuses a bad agreement with coded errors that name it, with the declarations’ own errors', async () => {
    const doc = await fixture();
    set(doc, ['agreements', 0, 'terms', 'features', 1, 'properties', 'end'], '2026-12-20T00:00:00Z');
    set(doc, ['agreements', 0, 'terms', 'features', 4, 'properties', 'parties'], ['unhcr']);
    set(doc, ['features', 2, 'properties', 'start'], 'tomorrow');
    doc.agreements.push({ name: 'Second', parties: ['a'], start: '2026-12-08T06:00:00Z' });
    const r = await run(['check', '-', '--format', 'json'], JSON.stringify(doc));
    assert.equal(r.status, 2);
    const errors = (JSON.parse(r.out) as Errors).errors;
    const at = (code: string, path: string) =>
      assert.ok(
        errors.some((e) => e.code === code && e.path === path),
        `${code} at ${path}: ${JSON.stringify(errors)}`,
      );
    at('invalid_time', 'properties.start');
    at('term_outside_agreement', 'agreements[0].terms.features[1].properties.end');
    at('unknown_party', 'agreements[0].terms.features[4].properties.parties[0]');
    at('invalid_property', 'agreements[1].parties');
    at('missing_property', 'agreements[1].end');
    at('missing_property', 'agreements[1].terms');
    for (const e of errors.filter((x) => x.path.startsWith('agreements'))) assert.equal(e.feature, null);

    const table = await run(['check', '-'], JSON.stringify(doc));
    assert.equal(table.status, 2);
    assert.match(table.err, /agreements\[0\]\.terms\.features\[1\]\.properties\.end: term_outside_agreement/);
  });

  it('refuses "agreements" that is not a list', async () => {
    const doc = { type: 'FeatureCollection', features: [], agreements: { name: 'x' } };
    const r = await run(['check', '-', '--format', 'json'], JSON.stringify(doc));
    assert.equal(r.status, 2);
    assert.deepEqual(
      (JSON.parse(r.out) as Errors).errors.map((e) => `${e.code} ${e.path}`),
      ['invalid_property agreements'],
    );
    const none = await run(['check', '-', '--format', 'json'], JSON.stringify({ ...doc, agreements: [] }));
    assert.equal(none.status, 0);
  });

  it('says so in its help', async () => {
    const r = await run(['help']);
    assert.match(r.out, /"agreements"/);
  });
});
