/**
 * The command line: a thin layer over the library. Each command parses its arguments, calls the
 * engine, and turns the result (or a coded error) into output and an exit status.
 *
 * Exit status: 0 no conflict (or success), 1 conflicts found, 2 invalid input or arguments.
 */
import { adminCommand } from './admin.ts';
import { agentCommand } from './agent.ts';
import { backupCommand, restoreCommand } from './backup.ts';
import { checkCommand } from './check.ts';
import { exportCommand } from './export.ts';
import { hubCommand } from './hub-archive.ts';
import { importCommand } from './import.ts';
import type { Io } from './io.ts';
import { keyCommand, signCommand } from './keys.ts';
import { migrateCommand } from './migrate.ts';
import { serveCommand } from './serve.ts';
import { verifyCommand } from './verify.ts';
import { witnessCommand } from './witness.ts';

const USAGE = `deconflict — a deconfliction hub

Usage:
  deconflict check [FILE|-] [--format json|table] [--at TIME]
                   [--horizontal-separation M] [--vertical-separation M] [--hazard-ceiling M]
      Check a FeatureCollection of declarations (each with its party) for conflicts.
      Its "agreements": [...] (docs/agreements.md) are in force: breaches added, permits applied.
      TIME is ISO 8601 UTC (2026-11-23T06:00:00Z) or a date-time group (230600ZNOV26).
  deconflict serve [--data DIR | --database URL [--database-pool N]] [--host H] [--port N] [--demo]
                   [--ack-deadlines F,I,P,R]
                   [--lead-times ...] [--probe-budget N] [--work-budget R,P] [--detect-workers N]
                   [--rate-limit N/s [--rate-burst B]] [--rate-limit-max N/s [--rate-burst-max B]]
                   [--log-level LEVEL] [--webhook-allow NETWORK]... [--checkpoint-every S]
                   [--blind-timeout S] [--basemap FILE] [--hillshade FILE]
                   [--cot-port N [--cot-host H] [--cot-tls-cert FILE --cot-tls-key FILE
                   [--cot-tls-ca FILE]]] [--tls-cert FILE --tls-key FILE [--tls-ca FILE]]
                   [--insecure-http] [--metrics-token-file FILE]
      Run the hub on the embedded store in DIR (default ./data), on 127.0.0.1:8080. A second
      process on DIR is refused; a start-up fault (a damaged database, a full disk, a
      directory it may not write) is one line saying what to do, and exit status 2.
      --database postgres://user:password@host:5432/db (or DATABASE_URL): run on PostgreSQL
      instead, migrating it on start; any number of instances on one database act as one hub
      (docs/operations.md, "PostgreSQL"). The password is never printed. --database-pool:
      connections this instance keeps to it, 2-100 (default 10; one more listens).
      --demo loads the demo scenario and demo accounts into an empty store.
      --ack-deadlines: minutes to acknowledge flash, immediate, priority, routine alerts
      (default 5,15,60,240); each escalation level gets as long again.
      --lead-times: minutes, e.g. imminent=60,soon=360,margin=60,max-step=360 (the defaults):
      a conflict or notified declaration starting later than imminent is one precedence step
      less urgent (two beyond soon), its steps stretched to end margin before its start, each
      at most max-step (docs/watch.md).
      --probe-budget: conflicts with another party's hidden declarations answered per party
      pair and UTC day unless the owner sets another (default 20; docs/visibility.md).
      --work-budget: vertices one submission may carry, then vertices per party and minute,
      such as 250000,1000000 (docs/security.md).
      --rate-limit: requests per second per token, on average (default 100/s); --rate-burst:
      requests at once (default twice the rate). Past them 429 with Retry-After.
      --rate-limit-max, --rate-burst-max: the most a party administrator may give one API
      token of its own (a gateway submitting for a whole unit; default the hub's rate: tokens
      can then only be given less; docs/security.md).
      --detect-workers: threads that check submissions off the main thread, 1-64 (default
      one per core but one, at most 4).
      --checkpoint-every: seconds between checkpoints of the transparency log the hub signs
      while the log grows (default 10; 0: only when one is asked for; docs/transparency.md).
      --blind-timeout: seconds after which a blind check no agent answered is unknown, both
      parties alerted as for a risk; it stays open until answered (default 120;
      docs/blind-matching.md).
      --log-level: fatal, error, warn, info (default), debug, trace or silent; one line per
      request, as JSON (readable when standard output is a terminal).
      --webhook-allow: a network webhooks may lead to although it is not public, such as
      10.20.0.0/16, fd12:3456::/48 or one address; repeat it for several. Without it, webhooks
      go to public addresses only: never loopback, link-local, private, shared (CGNAT),
      multicast, reserved or cloud metadata addresses (docs/security.md).
      --basemap: a vector tile archive, PMTiles v3 or MBTiles (an OpenStreetMap extract of
      the theatre), the console draws under the declarations; --hillshade: a raster archive
      (PMTiles or MBTiles) of terrain shading drawn faintly under it. MBTiles is opened
      read-only. Served by the hub itself, to members with a token; nothing is fetched
      elsewhere (docs/formats/basemaps.md).
      --cot-port: also stream each party's picture as Cursor-on-Target to TAK clients (ATAK,
      WinTAK, iTAK) on this port; a client authenticates with an API token as its password
      (docs/formats/cot-feed.md). --cot-host: its address (default 127.0.0.1); plain TCP only on
      a loopback address, elsewhere give --cot-tls-cert and --cot-tls-key (PEM) for TLS.
      --cot-tls-ca: require client certificates signed by this CA (PEM), as TAK servers do.
      --tls-cert, --tls-key: serve HTTPS (and wss streams) on the hub's port with this
      certificate and key (PEM); --tls-ca: require client certificates signed by this CA.
      Without TLS the hub listens on a loopback --host only; --insecure-http accepts plain HTTP
      elsewhere (behind a proxy that terminates TLS; docs/operations.md).
      --metrics-token-file: a file holding the bearer token a scraper sends for /metrics
      (Prometheus format); without it /metrics answers loopback clients only.
      SIGTERM or SIGINT drains: new requests get 503 shutting_down, those in flight finish and
      are answered, streams are closed (1001); a second signal exits at once.
  deconflict admin create [--data DIR | --database URL] --username NAME [--party P [--role party_admin]]
      Create a hub administrator, or with --party an administrator of party P (the recovery
      path of a party whose administrators cannot log in; docs/security.md). The password is
      read from standard input. On the embedded store run it while the hub is stopped; on
      PostgreSQL it may run beside the instances.
  deconflict migrate [--data DIR | --database URL]
      Bring the data directory's (or, with --database or DATABASE_URL, the PostgreSQL
      database's) schema to this release's version (serve does it too on start) and print from
      which version to which. A store written by a newer release is refused.
  deconflict verify ((--data DIR | --database URL) [--export FILE] | --file FILE
                    | --receipt FILE [--hub-key VKEY] | URL --token T [--hub-key VKEY])
                    [--checkpoints FILE] [--format text|json]
      Check the record without trusting the hub (docs/transparency.md §7): every entry's hash,
      the chain, the tree, every checkpoint's signature and root, every cosignature and signed
      statement — in a data directory or a PostgreSQL database (read-only, one snapshot; the
      hub may go on serving it), an export (--export writes one, JSON lines),
      one receipt (offline), or a live hub as your party sees it. --checkpoints: checkpoints you
      kept (JSON array of notes, a witness state file, or the notes one after another) must be
      in the log it verifies. Exit 0 the record holds, 1 it does not (the first failure named).
  deconflict witness URL --token T --key FILE --state FILE [--every S]
      Check the hub's latest checkpoint (its key pinned in the state file, consistent with the
      checkpoint kept there) and cosign it with your member key; once, or every S seconds. A
      split view is exit 1, naming both checkpoints, and nothing is cosigned.
  deconflict agent init --key FILE --party P
  deconflict agent seal FILE --hub URL --token T --key FILE --state DIR
  deconflict agent withdraw ID --hub URL --token T --state DIR
  deconflict agent run --hub URL --token T --key FILE --state DIR [--budget N] [--interval S]
                       [--once]
      Your party's side of blind matching (docs/blind-matching.md): init makes its OPRF key;
      seal sends only tokens (H3 cells x time slots of each geometry widened by its reach,
      under the key), kind, category and a coarse window — the geometry stays in DIR; run
      answers the hub's blind checks: covers and blinds your declarations, evaluates other
      parties' blinded elements (at most N a day per party, default 5000; past it refused,
      and the check is unknown), finalizes; once, or every S seconds (default 2).
  deconflict key new --out FILE
      Make a member key (Ed25519; FILE written mode 0600) and print its id and public key.
  deconflict sign --key FILE --origin O --act ACT --subject ID --by USER --party P
                  [--reply TEXT | --reason TEXT | --up-to N | --public-key B64
                   | --version N --content-sha256 HEX | --version N --effective TIME]
      Print a signed statement ({statement, key, signature}) for a request's "signed" member
      (agreement.sign takes --version and --content-sha256; agreement.withdraw --version and
      --effective).
  deconflict export URL --token T [--format geojson|kml|kmz|csv|xlsx|cot|takpkg] [--out FILE]
                    [--bbox W,S,E,N] [--start TIME] [--end TIME] [--kind K] [--party P]
                    [--status active|withdrawn|expired]
      Write your party's picture from a live hub to FILE (default: the name the hub gives,
      deconflict-<party>-<DTG>.<ext>): the declarations you may see, your open conflicts and
      alerts (docs/formats/). Always your own view: nothing hidden from you is in it.
  deconflict import FILE --hub URL --token T [--format F] [--mapping FILE] [--dry-run]
      Import a file of declarations (csv, xlsx, kml, kmz, gpx, geojson, cot, takpkg; F from
      the extension by default, .zip a TAK data package) into the hub as your party: all or
      none. --mapping: a JSON file of target → column, e.g.
      {"label":"Site name","kind":"=protected_site"}. Prints each record with its declaration id
      and the conflicts found; a refusal prints every problem with its row and column, stores
      nothing and exits 2 (docs/formats/import.md).
  deconflict hub export --out FILE [--data DIR | --database URL]
  deconflict hub import FILE [--data DIR | --database URL]
      Move a whole hub between stores (SQLite, PostgreSQL) as one archive: every declaration
      version, conflict, alert, message, agreement and the ledger, accounts without secrets
      (no passwords, tokens, webhook secrets or hub keys; docs/operations.md). Import only into
      an empty store; the archive's checksum, counts and schema version are checked first, the
      ledger chain after. Run both with the hub stopped.
  deconflict backup [--data DIR] --out FILE
      Copy the embedded store to FILE while the hub keeps running on DIR (SQLite's online
      backup).
  deconflict restore --from FILE --data DIR
      Put a backup in place as the database of DIR, which must hold none; check it opens and
      its ledger verifies.
  deconflict help
`;

/** Run the command named by `argv[0]` with the rest of `argv`; resolves to the exit status. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'check':
      return checkCommand(rest, io);
    case 'serve':
      return serveCommand(rest, io);
    case 'admin':
      return adminCommand(rest, io);
    case 'migrate':
      return migrateCommand(rest, io);
    case 'verify':
      return verifyCommand(rest, io);
    case 'witness':
      return witnessCommand(rest, io);
    case 'export':
      return exportCommand(rest, io);
    case 'agent':
      return agentCommand(rest, io);
    case 'key':
      return keyCommand(rest, io);
    case 'sign':
      return signCommand(rest, io);
    case 'import':
      return importCommand(rest, io);
    case 'hub':
      return hubCommand(rest, io);
    case 'backup':
      return backupCommand(rest, io);
    case 'restore':
      return restoreCommand(rest, io);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      io.stdout(USAGE);
      return command === undefined ? 2 : 0;
    default:
      io.stderr(`deconflict: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}
