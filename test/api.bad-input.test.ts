/**
 * The bad-input baseline: every case of test/fixtures/bad-inputs/cases.json — a bad input to a
 * route of /api/v1, with the answer the hub gave when the table was recorded — sent again to the
 * code in this tree, on the same hub (the demo and the setup of `badInputHub`). Each must get the
 * same status and the same errors (code and path, in order), and must change nothing: not the
 * ledger, not any party's event stream, not the declarations, conflicts or alerts.
 *
 * An answer that has to change on purpose is changed in the table by running its generator
 * (test/fixtures/bad-inputs/generate.ts) on the new code, so that the diff of cases.json shows it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  answerOf,
  type BadInputCase,
  type BadInputHub,
  badInputHub,
  type CaseFile,
  changed,
  logInAll,
  send,
  snapshot,
} from './support/bad-input.ts';

const file = JSON.parse(
  readFileSync(new URL('./fixtures/bad-inputs/cases.json', import.meta.url), 'utf8'),
) as CaseFile;

/** The cases by route, in the order of the table. */
const byRoute = new Map<string, BadInputCase[]>();
for (const c of file.cases) byRoute.set(c.route, [...(byRoute.get(c.route) ?? []), c]);

describe('bad inputs: the answers of the table, and nothing changed', () => {
  let h: BadInputHub;
  before(async () => {
    h = await badInputHub();
    await logInAll(h, file.cases);
  });
  after(async () => {
    await h?.close();
  });

  it('has a case for every route it names, each named once', () => {
    assert.ok(file.cases.length >= 120, `${file.cases.length} cases`);
    assert.equal(new Set(file.cases.map((c) => c.id)).size, file.cases.length);
  });

  for (const [route, cases] of byRoute) {
    describe(route, () => {
      for (const c of cases) {
        it(`${c.id}: ${c.about}`, async () => {
          const before = await snapshot(h);
          const r = await send(h, c);
          assert.deepEqual(answerOf(r), c.expect, `${c.method} ${c.path}: ${r.body.slice(0, 2000)}`);
          assert.deepEqual(changed(before, await snapshot(h)), [], 'the request changed the hub');
        });
      }
    });
  }
});
