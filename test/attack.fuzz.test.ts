/**
 * The standing attack suite, short form: the property-based fuzzer (test/support/attack/) over
 * every route and field of the hub's own OpenAPI document, a few thousand near-valid and hostile
 * inputs sent over real HTTP to a real hub on a real SQLite store, as every demo account, as
 * nobody and with broken credentials. Whatever is sent:
 *
 * - the hub stays up, and never answers 5xx;
 * - every answer is strict JSON (no lone surrogate), and every error is the documented
 *   `{"errors": [{code, feature, path, message}]}` with a registry code and its status;
 * - every list every account can read afterwards is still strict JSON;
 * - the ledger, read back from the data directory, verifies.
 *
 * Each run draws new inputs (the seed is printed; `ATTACK_SEED=n` replays a run's draws, though
 * the hub's state may differ); `ATTACK_INPUTS=n` changes the count. A failure prints each
 * distinct finding once, shrunk by fast-check to a small counterexample. The long form is
 * `npm run attack` (scripts/attack.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  DEMO_PARTY_IDS,
  demoAccountMap,
  type FuzzReport,
  formatReport,
  fuzz,
} from './support/attack/fuzz.ts';
import { type FuzzHub, startFuzzHub, verifyLedger } from './support/attack/processes.ts';

const INPUTS = Number(process.env.ATTACK_INPUTS ?? 4_000);
const SEED = Number(process.env.ATTACK_SEED ?? Math.floor(Math.random() * 2 ** 31));

describe('the standing attack suite: every route fuzzed', { timeout: 600_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'deconflict-fuzz-'));
  let hub: FuzzHub;
  let report: FuzzReport;
  let crashed: ReturnType<FuzzHub['exited']>;

  before(async () => {
    hub = await startFuzzHub(dir);
    report = await fuzz({
      url: hub.url,
      inputs: INPUTS,
      lanes: 8,
      seed: SEED,
      t0: hub.t0,
      parties: DEMO_PARTY_IDS,
      accounts: demoAccountMap(),
      stalled: (waiting) => console.log(`no input answered for 30 s; waiting:\n${waiting.join('\n')}`),
    }).finally(() => {
      crashed = hub.exited();
      return hub.stop();
    });
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it(`sends ${INPUTS.toLocaleString('en')} inputs to every route (seed ${SEED})`, (t) => {
    for (const line of formatReport(report).split('\n').slice(0, 9)) t.diagnostic(line);
    assert.ok(report.inputs >= INPUTS, `${report.inputs} inputs`);
    // Inputs that got past validation into the hub, and inputs refused: both kinds were tried.
    const ok = [...report.byStatus].filter(([s]) => s < 300).reduce((n, [, c]) => n + c, 0);
    const refused = [...report.byStatus].filter(([s]) => s >= 400 && s < 500).reduce((n, [, c]) => n + c, 0);
    assert.ok(ok > INPUTS / 20, `only ${ok} answers 2xx`);
    assert.ok(refused > INPUTS / 4, `only ${refused} answers 4xx`);
  });

  it('stays up', () => {
    assert.equal(crashed, null, `the hub exited during the run: ${JSON.stringify(crashed)}`);
  });

  it('never answers 5xx', () => {
    const unexpected = [...hub.unexpected()].map(([k, n]) => `${n}× ${k}`);
    assert.equal(
      report.serverErrors,
      0,
      `${report.serverErrors} answers 5xx; the hub logged:\n${unexpected.join('\n')}\n\n${formatReport(report)}`,
    );
  });

  it('answers everything else as strict JSON, every error in the documented shape', () => {
    assert.deepEqual(
      report.findings.map((f) => f.signature),
      [],
      formatReport(report),
    );
  });

  it('gives every account lists that are still strict JSON afterwards', () => {
    assert.ok(report.sweep.reads > 100, `${report.sweep.reads} reads`);
    assert.deepEqual(report.sweep.problems, []);
  });

  it('keeps a ledger that verifies when read back', async () => {
    const check = await verifyLedger(dir);
    assert.equal(check.ok, true, JSON.stringify(check));
    // The demo's own entries and what the fuzzer's valid inputs changed.
    assert.ok(check.entries > 24, `${check.entries} entries`);
  });
});
