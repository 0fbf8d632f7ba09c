/**
 * The `deconflict` command run in-process through main(), with its output captured: what a test
 * of a CLI command that talks to a hub needs (files are read for real).
 */
import { readFile } from 'node:fs/promises';
import type { Io } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';

/** Run `deconflict ARGS`; `stdin` is what a command reads for "-". */
export async function runCli(
  args: string[],
  stdin = '',
): Promise<{ status: number; out: string; err: string }> {
  const io = {
    out: '',
    err: '',
    stdout(t: string) {
      io.out += t;
    },
    stderr(t: string) {
      io.err += t;
    },
    read: (p: string) => (p === '-' ? Promise.resolve(stdin) : readFile(p, 'utf8')),
  };
  const status = await main(args, io as Io);
  return { status, out: io.out, err: io.err };
}
