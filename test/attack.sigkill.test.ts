/**
 * The standing attack suite, short form: the SIGKILL loop (test/support/attack/sigkill.ts). A real
 * `deconflict serve` process under mixed load — submissions and amendments, acknowledgements of
 * conflict alerts, hotline messages and their acknowledgements, from the four demo parties — is
 * killed with SIGKILL at random moments; after each kill the crash image's ledger must verify
 * and hold every change answered 2xx, and the restarted hub must show every one of them. The
 * long form (100 kills) is `npm run attack`; `ATTACK_KILLS=n` changes the count here.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { formatSigkill, sigkillLoop } from './support/attack/sigkill.ts';
import { killAll } from './support/serve.ts';

const KILLS = Number(process.env.ATTACK_KILLS ?? 5);
const SEED = Number(process.env.ATTACK_SEED ?? Math.floor(Math.random() * 2 ** 31));

describe('the standing attack suite: SIGKILL under load', () => {
  after(async () => {
    await killAll();
  });

  it(`loses nothing answered 2xx across ${KILLS} kills (seed ${SEED})`, { timeout: 600_000 }, async (t) => {
    const report = await sigkillLoop({ kills: KILLS, seed: SEED, log: (line) => t.diagnostic(line) });
    for (const line of formatSigkill(report).split('\n')) t.diagnostic(line);
    assert.equal(report.kills, KILLS);
    // The load did what it is for: changes of every kind were answered, and checked.
    const { declarations, acks, messages, messageAcks } = report.changes;
    assert.ok(declarations > 0 && acks > 0 && messages > 0 && messageAcks > 0, formatSigkill(report));
    assert.ok(report.checks > declarations + acks + messages + messageAcks, formatSigkill(report));
    assert.deepEqual(report.missing, [], formatSigkill(report));
    assert.deepEqual(report.ledger.failures, [], formatSigkill(report));
    assert.equal(report.ledger.verified, KILLS + 1);
    assert.equal(report.restartMs.length, KILLS);
  });
});
