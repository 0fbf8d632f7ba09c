/**
 * A hub for a benchmark in its own process: the real CLI (`node bin/deconflict.js serve ...`),
 * so that the benchmark's clients do not share the hub's event loop. Resolves once the hub says
 * where it listens; `stop` sends SIGTERM (the hub drains its writes) and, after 5 s, SIGKILL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('..', import.meta.url));

export interface Server {
  readonly child: ChildProcess;
  /** `http://127.0.0.1:PORT` */
  readonly address: string;
  stop(): Promise<void>;
}

/** Start `deconflict serve ARGS` (`nodeFlags` before the script: --cpu-prof, ...). */
export async function startServe(
  args: readonly string[],
  nodeFlags: readonly string[] = [],
): Promise<Server> {
  const child = spawn(process.execPath, [...nodeFlags, 'bin/deconflict.js', 'serve', ...args], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the hub did not start: ${out}`)), 60_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /listening on (http:\/\/\S+) /.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then(() => reject(new Error(`the hub exited: ${out}`)));
  });
  return {
    child,
    address,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    },
  };
}
