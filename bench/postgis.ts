/**
 * The PostGIS anchor of the hub benchmark: the database part of the hub's submission work done by
 * PostgreSQL + PostGIS alone (../shared/anchors/postgis-submit-setup.sql and postgis-submit.sql:
 * insert a point strike, find its conflicts with a GiST index, insert them and a ledger row, one
 * durable commit per submission), run by pgbench with the same 16 clients, in the same run as the
 * hub's figure, so that `hub ÷ PostGIS` compares the two on the same machine at the same moment.
 *
 * The benchmark installs nothing and starts nothing: it runs when `pgbench` is on the PATH and a
 * PostgreSQL server it can reach (as the `postgres` user when run as root, else as the current
 * user; a database `anchor` with the postgis extension, made here if the role may) is up. Else
 * it says how to get one and prints the hub's figure alone (bench/README.md).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ANCHORS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'anchors');

export type AnchorResult =
  | {
      readonly ran: true;
      readonly tps: number;
      readonly meanMs: number;
      readonly clients: number;
      readonly seconds: number;
    }
  | { readonly ran: false; readonly why: string };

/** Run a command as the database's user: `postgres` when this process is root. */
function asDbUser(cmd: string, args: readonly string[], input?: string): { ok: boolean; out: string } {
  const root = process.getuid?.() === 0;
  const r = root
    ? spawnSync(
        'su',
        ['postgres', '-c', [cmd, ...args.map((a) => `'${a.replaceAll("'", "'\\''")}'`)].join(' ')],
        {
          encoding: 'utf8',
          input,
          cwd: '/tmp',
        },
      )
    : spawnSync(cmd, args, { encoding: 'utf8', input, cwd: '/tmp' });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

const HOW =
  'apt-get install -y postgresql postgis && pg_ctlcluster --skip-systemctl-redirect 15 main start (bench/README.md)';

/** The anchor, `clients` pgbench clients for `seconds` s; or why it did not run. */
export function postgisAnchor(clients: number, seconds: number): AnchorResult {
  const setup = join(ANCHORS, 'postgis-submit-setup.sql');
  const script = join(ANCHORS, 'postgis-submit.sql');
  if (!existsSync(setup) || !existsSync(script))
    return { ran: false, why: `no anchor scripts at ${ANCHORS}` };
  try {
    execFileSync('pgbench', ['--version'], { stdio: 'ignore' });
  } catch {
    return { ran: false, why: `pgbench is not installed: ${HOW}` };
  }
  if (!asDbUser('psql', ['-d', 'postgres', '-Atc', 'select 1']).ok)
    return { ran: false, why: `no PostgreSQL server reachable: ${HOW}` };
  if (!asDbUser('psql', ['-d', 'anchor', '-Atc', 'select 1']).ok) asDbUser('createdb', ['anchor']);
  const ext = asDbUser('psql', ['-d', 'anchor', '-Atc', 'create extension if not exists postgis']);
  if (!ext.ok)
    return { ran: false, why: `PostGIS is not available in PostgreSQL: ${ext.out.trim().slice(0, 200)}` };
  // The scripts are read from standard input: the database user may not read this tree.
  const prepared = asDbUser(
    'psql',
    ['-q', '-d', 'anchor', '-v', 'ON_ERROR_STOP=1'],
    readFileSync(setup, 'utf8'),
  );
  if (!prepared.ok)
    return { ran: false, why: `the anchor's setup failed: ${prepared.out.trim().slice(0, 200)}` };
  const copy = `/tmp/deconflict-postgis-submit-${process.pid}.sql`;
  execFileSync('cp', [script, copy]);
  execFileSync('chmod', ['644', copy]);
  const run = asDbUser('pgbench', [
    ...['-n', '-M', 'prepared', '-f', copy, '-c', String(clients), '-j', '2', '-T', String(seconds)],
    'anchor',
  ]);
  execFileSync('rm', ['-f', copy]);
  const tps = /tps = ([\d.]+)/.exec(run.out);
  const mean = /latency average = ([\d.]+) ms/.exec(run.out);
  if (!run.ok || !tps || !mean) return { ran: false, why: `pgbench failed: ${run.out.trim().slice(-300)}` };
  return { ran: true, tps: Number(tps[1]), meanMs: Number(mean[1]), clients, seconds };
}
