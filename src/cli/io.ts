/**
 * The CLI's window on the world, passed in so that commands can be run in-process by tests.
 */
import { readFile } from 'node:fs/promises';

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Read a file, or standard input for "-". */
  read(path: string): Promise<string>;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export const processIo: Io = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  read: (path) => (path === '-' ? readStdin() : readFile(path, 'utf8')),
};
