/**
 * `deconflict agent` through main() with a captured Io, against a real hub on a local port: a key
 * made (mode 0600, never overwritten), a sealed strike from a GeoJSON file (the geometry kept in
 * the state directory, mode 0600, the hub refusing the same file sent as a declaration), rounds
 * that blind, evaluate and finalize, a withdrawal, and the argument errors.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadDemo } from '../src/hub/demo.ts';
import { runCli } from './support/cli.ts';
import { assertError, ok, request, startHub, type TestHub } from './support/hub.ts';

const STRIKE = 'test/fixtures/blind/sealed-strike.geojson';

const run = runCli;

describe('deconflict agent', () => {
  let t: TestHub;
  let dir: string;
  let url: string;
  const tokens: Record<string, string> = {};
  const key = (party: string) => join(dir, `${party}.oprf`);
  const state = (party: string) => join(dir, `${party}-state`);
  const common = (party: string) => [
    '--hub',
    url,
    '--token',
    tokens[party] as string,
    '--state',
    state(party),
  ];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'deconflict-cli-agent-'));
    t = await startHub({ demo: false });
    await loadDemo(t.hub, 'test/fixtures/blind/seeds-case.geojson');
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    for (const party of ['coalition', 'relief-agency', 'northern-forces'])
      tokens[party] = await t.login(`${party}.operator`);
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('init makes the party’s key, mode 0600, and never overwrites one', async () => {
    for (const party of ['coalition', 'relief-agency', 'northern-forces']) {
      const r = await run(['agent', 'init', '--key', key(party), '--party', party]);
      assert.equal(r.status, 0, r.err);
      assert.match(r.out, new RegExp(`^made the OPRF key of party ${party} in `));
      assert.equal(statSync(key(party)).mode & 0o777, 0o600);
      const file = JSON.parse(readFileSync(key(party), 'utf8')) as {
        format: string;
        party: string;
        key: string;
      };
      assert.equal(file.format, 'deconflict.oprf-key/1');
      assert.equal(Buffer.from(file.key, 'base64').length, 32);
    }
    const before = readFileSync(key('coalition'), 'utf8');
    const again = await run(['agent', 'init', '--key', key('coalition'), '--party', 'coalition']);
    assert.equal(again.status, 2);
    assert.match(again.err, /cannot write .*coalition\.oprf: EEXIST/);
    assert.equal(readFileSync(key('coalition'), 'utf8'), before);
  });

  it('the hub refuses a sealed declaration sent in clear, naming the way to seal it', async () => {
    const r = await request(
      t.app,
      tokens.coalition as string,
      'POST',
      '/api/v1/declarations',
      JSON.parse(readFileSync(STRIKE, 'utf8')),
    );
    const e = assertError(r, 422, 'invalid_property', 'properties.visibility');
    assert.match(e.message, /deconflict agent seal/);
  });

  it('seal sends tokens; the geometry stays in the state directory', async () => {
    const r = await run(['agent', 'seal', STRIKE, ...common('coalition'), '--key', key('coalition')]);
    assert.equal(r.status, 0, r.err);
    const m =
      /^sealed strike-depot as (sd-\S+): (\d+) cells × 1 slots of 1 h = \2 tokens \(ledger entry \d+\)\n {2}checked in clear against the 4 declarations your party may see: 2 conflicts\n/.exec(
        r.out,
      );
    assert.ok(m, r.out);
    const kept = join(state('coalition'), 'sealed.json');
    assert.equal(statSync(kept).mode & 0o777, 0o600);
    const file = JSON.parse(readFileSync(kept, 'utf8')) as {
      declarations: Record<string, { geometry: unknown }>;
    };
    assert.deepEqual(file.declarations[m[1] as string]?.geometry, {
      type: 'Point',
      coordinates: [21.29963, 46.15318],
    });
  });

  it('run --once answers each step; the conflicts are printed to the asking party', async () => {
    const relief = ['agent', 'run', '--once', ...common('relief-agency'), '--key', key('relief-agency')];
    const first = await run(relief);
    assert.equal(first.status, 0, first.err);
    assert.match(first.out, /check bc-\S+: relief-agency:field-hospital covered and blinded, \d+ elements/);
    const co = await run(['agent', 'run', '--once', ...common('coalition'), '--key', key('coalition')]);
    assert.equal(co.status, 0, co.err);
    assert.match(co.out, /check bc-\S+: evaluated \d+ elements for relief-agency \(\d+ of 5000 today\)/);
    const last = await run(relief);
    assert.equal(last.status, 0, last.err);
    assert.match(last.out, /check bc-\S+: critical strike_protected cf-\S+/);
    assert.match(last.out, /check bc-\S+: no conflict/);
  });

  it('withdraw: the sealed declaration stops counting, its conflicts close', async () => {
    const { sealed } = ok<{ sealed: { id: string }[] }>(
      await request(t.app, tokens.coalition as string, 'GET', '/api/v1/sealed'),
    );
    const id = sealed[0]?.id as string;
    const r = await run(['agent', 'withdraw', id, ...common('coalition')]);
    assert.equal(r.status, 0, r.err);
    assert.equal(r.out, `withdrew ${id} (withdrawn)\n`);
    const { conflicts } = ok<{ conflicts: { status: string; resolution: string | null }[] }>(
      await request(t.app, tokens['relief-agency'] as string, 'GET', '/api/v1/conflicts'),
    );
    assert.deepEqual(
      conflicts.map((c) => [c.status, c.resolution]),
      [['resolved', 'withdrawn']],
    );
  });

  it('argument errors are exit 2, one line each', async () => {
    const cases: [string[], RegExp][] = [
      [['agent'], /give a subcommand: init, seal FILE, withdraw ID or run/],
      [['agent', 'init', '--key', key('x')], /--party is required/],
      [['agent', 'run', '--hub', url, '--token', 'x', '--state', dir], /--key is required/],
      [
        ['agent', 'run', '--hub', 'ftp://x', '--token', 'x', '--state', dir, '--key', key('coalition')],
        /--hub must be an http/,
      ],
      [
        ['agent', 'run', ...common('coalition'), '--key', key('coalition'), '--budget', '1.5'],
        /--budget must be a whole number/,
      ],
      [['agent', 'seal', ...common('coalition'), '--key', key('coalition')], /give one GeoJSON file to seal/],
      [
        ['agent', 'run', '--once', ...common('coalition'), '--key', join(dir, 'missing.oprf')],
        /cannot read .*missing\.oprf/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      assert.equal(r.status, 2, args.join(' '));
      assert.match(r.err, message);
      assert.equal(r.err.trim().split('\n').length, 1, r.err);
    }
  });
});
