/**
 * The hub the fuzzer attacks, as a process of its own (so that it has a core of its own, and a
 * crash is seen as a crash): the real hub on a real SQLite store in the data directory given as
 * the first argument, the demo loaded, listening on 127.0.0.1 on a port of its choosing. It
 * prints `{"url": ...}` on standard output once listening; its log (errors only: every 5xx with
 * its stack) goes to standard error as JSON lines. SIGTERM closes it cleanly (the store
 * closed, the directory kept) so that the ledger can be read back and verified.
 *
 * What differs from `deconflict serve --demo`, on purpose:
 * - the per-token rate limit is raised (10,000/s): at the served 100/s most inputs would be
 *   answered 429 before they reach a route, and the fuzzer is after the routes;
 * - the clock is manual (test/support/hub.ts): the demo and every time the fuzzer draws stay
 *   where they were drawn, so nothing expires or escalates in the middle of a run;
 * - every answer is checked against its route's declared schema (`checkResponses`): an answer
 *   that breaks its own schema is a 500 here, and so a finding.
 */
import { startHub } from '../hub.ts';

const dir = process.argv[2];
if (!dir) throw new Error('usage: fuzz-hub.ts DATA_DIR');

const t = await startHub({
  dir,
  app: { log: { level: 'error', stream: process.stderr }, checkResponses: true },
});
const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ url, t0: t.clock.now() })}\n`);

let closing = false;
process.on('SIGTERM', () => {
  if (closing) return;
  closing = true;
  t.close(true).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`close failed: ${(err as Error).stack}\n`);
      process.exit(1);
    },
  );
});
