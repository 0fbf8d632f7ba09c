/**
 * The command line: a thin layer over the library. Each command parses its arguments, calls the
 * engine, and turns the result (or a coded error) into output and an exit status.
 *
 * Exit status: 0 no conflict (or success), 1 conflicts found, 2 invalid input or arguments.
 */
import { adminCommand } from './admin.ts';
import { checkCommand } from './check.ts';
import type { Io } from './io.ts';
import { serveCommand } from './serve.ts';

const USAGE = `deconflict — a deconfliction hub

Usage:
  deconflict check [FILE|-] [--format json|table] [--at TIME]
                   [--horizontal-separation M] [--vertical-separation M] [--hazard-ceiling M]
      Check a FeatureCollection of declarations (each with its party) for conflicts.
      TIME is ISO 8601 UTC (2026-11-23T06:00:00Z) or a date-time group (230600ZNOV26).
  deconflict serve [--data DIR] [--host H] [--port N] [--demo]
      Run the hub on the embedded store in DIR (default ./data), on 127.0.0.1:8080.
      --demo loads the demo scenario and demo accounts into an empty store.
  deconflict admin create [--data DIR] --username NAME
      Create a hub administrator; the password is read from standard input.
  deconflict help
`;

export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'check':
      return checkCommand(rest, io);
    case 'serve':
      return serveCommand(rest, io);
    case 'admin':
      return adminCommand(rest, io);
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
