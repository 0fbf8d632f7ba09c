/**
 * The processes of the attack suite and what is read from their data directories afterwards:
 * the fuzz hub (fuzz-hub.ts) started and stopped, its unexpected errors collected from its log,
 * and the ledger of a data directory read back through the store and verified.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LedgerEntry } from '../../../src/domain/records.ts';
import type { ChainCheck } from '../../../src/ledger/chain.ts';
import { verifyChain } from '../../../src/ledger/chain.ts';
import { openSqliteStore } from '../../../src/store/sqlite.ts';

const FUZZ_HUB = fileURLToPath(new URL('./fuzz-hub.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface FuzzHub {
  readonly url: string;
  /** The hub's (manual) clock. */
  readonly t0: number;
  readonly pid: number;
  /** Set if the process ended before `stop`: a crash. */
  exited(): { code: number | null; signal: string | null } | null;
  /** The distinct unexpected errors it logged (message and first frame), with counts. */
  unexpected(): ReadonlyMap<string, number>;
  /** SIGTERM and wait: the store closes, the directory stays. */
  stop(): Promise<void>;
}

/** Start the fuzz hub on `dir` and wait until it listens. */
export async function startFuzzHub(dir: string, timeoutMs = 60_000): Promise<FuzzHub> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', FUZZ_HUB, dir], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let ended: { code: number | null; signal: string | null } | null = null;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      ended = { code, signal };
      resolve();
    }),
  );
  const unexpected = new Map<string, number>();
  let errBuffer = '';
  let stderrTail = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    stderrTail = (stderrTail + s).slice(-4_000);
    errBuffer += s;
    let nl = errBuffer.indexOf('\n');
    while (nl >= 0) {
      const line = errBuffer.slice(0, nl);
      errBuffer = errBuffer.slice(nl + 1);
      nl = errBuffer.indexOf('\n');
      try {
        const o = JSON.parse(line) as {
          msg?: string;
          err?: { type?: string; message?: string; stack?: string };
        };
        if (o.msg !== 'unexpected error' || !o.err) continue;
        const frame = (o.err.stack ?? '').split('\n').find((l) => l.trim().startsWith('at ')) ?? '';
        const key = `${o.err.type ?? 'Error'}: ${(o.err.message ?? '').slice(0, 300)} ${frame.trim()}`;
        unexpected.set(key, (unexpected.get(key) ?? 0) + 1);
      } catch {
        // Not a log line (a stack printed on a crash): kept in the tail.
      }
    }
  });
  const first = await new Promise<{ url: string; t0: number }>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`fuzz hub not listening after ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.stdout?.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(JSON.parse(out.slice(0, nl)) as { url: string; t0: number });
      }
    });
    void exit.then(() => {
      clearTimeout(timer);
      reject(new Error(`fuzz hub exited before listening: ${JSON.stringify(ended)}\n${stderrTail}`));
    });
  });
  return {
    url: first.url,
    t0: first.t0,
    pid: child.pid as number,
    exited: () => ended,
    unexpected: () => unexpected,
    async stop() {
      if (ended) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** The whole ledger of a data directory, read back through the store (no hub may hold it). */
export async function readLedger(dir: string): Promise<LedgerEntry[]> {
  const store = openSqliteStore({ dir });
  try {
    return await store.read((tx) => tx.ledger.range(1, Number.MAX_SAFE_INTEGER));
  } finally {
    await store.close();
  }
}

/** Read a data directory's ledger back and verify its chain. */
export async function verifyLedger(dir: string): Promise<ChainCheck> {
  return verifyChain(await readLedger(dir));
}
