/**
 * The real `deconflict` executable in child processes, for tests that meet the CLI as a user
 * does: `serve` on a port of its choosing (port 0; the address is read from its first line),
 * one-shot commands with standard input, and `fetch` against the served API. Every child is
 * tracked so that a test's `after` can kill what is left.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DEMO_HUB_ADMIN } from '../../src/hub/demo.ts';

export const BIN = fileURLToPath(new URL('../../bin/deconflict.js', import.meta.url));

const children = new Set<ChildProcess>();

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

function exitOf(child: ChildProcess): Promise<Exit> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

function track(args: readonly string[]): {
  child: ChildProcess;
  out: { stdout: string; stderr: string };
  exited: Promise<Exit>;
} {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  const out = { stdout: '', stderr: '' };
  child.stdout?.setEncoding('utf8').on('data', (s: string) => {
    out.stdout += s;
  });
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    out.stderr += s;
  });
  const exited = exitOf(child).then((e) => {
    children.delete(child);
    return e;
  });
  return { child, out, exited };
}

export interface Started {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  readonly exited: Promise<Exit>;
}

/** Start a command and return at once (standard input closed). */
export function start(args: readonly string[]): Started {
  const { child, out, exited } = track(args);
  child.stdin?.end();
  return { child, stdout: () => out.stdout, stderr: () => out.stderr, exited };
}

export interface RunResult {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run a command to its end, with `input` on standard input; killed after `timeoutMs`. */
export async function run(args: readonly string[], input = '', timeoutMs = 30_000): Promise<RunResult> {
  const { child, out, exited } = track(args);
  child.stdin?.end(input);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    const e = await exited;
    return { status: e.code, signal: e.signal, stdout: out.stdout, stderr: out.stderr };
  } finally {
    clearTimeout(timer);
  }
}

export interface Served {
  readonly child: ChildProcess;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly pid: number;
  /** Everything printed so far. */
  stdout(): string;
  stderr(): string;
  readonly exited: Promise<Exit>;
  /** SIGTERM, then wait for the exit (SIGKILL if it takes more than `timeoutMs`). */
  stop(timeoutMs?: number): Promise<Exit>;
  /** SIGKILL, then wait for the exit. */
  kill(): Promise<Exit>;
}

/**
 * `deconflict serve ARGS --port 0`: resolves once it listens and answers /healthz; rejects
 * (with what it printed) if it exits first or is not up within `timeoutMs`.
 */
export async function serve(args: readonly string[], timeoutMs = 30_000): Promise<Served> {
  const { child, out, exited } = track(['serve', '--port', '0', ...args]);
  child.stdin?.end();
  const deadline = Date.now() + timeoutMs;
  const fail = async (why: string): Promise<never> => {
    child.kill('SIGKILL');
    await exited;
    throw new Error(
      `deconflict serve ${args.join(' ')}: ${why}\nstdout: ${out.stdout}\nstderr: ${out.stderr}`,
    );
  };
  let url: string | null = null;
  let ended: Exit | null = null;
  void exited.then((e) => {
    ended = e;
  });
  while (url === null) {
    const m = /listening on (http:\/\/[^\s]+)/.exec(out.stdout);
    if (m?.[1]) url = m[1];
    else if (ended !== null) return fail(`exited (${JSON.stringify(ended)}) before listening`);
    else if (Date.now() > deadline) return fail(`not listening after ${timeoutMs} ms`);
    else await new Promise((resolve) => setTimeout(resolve, 20));
  }
  // It prints the address once listening; /healthz should answer at once, but do not rely on it.
  for (;;) {
    try {
      const r = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (r.status === 200) break;
    } catch {
      // Not yet.
    }
    if (Date.now() > deadline) return fail('/healthz does not answer');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const pid = child.pid as number;
  const served: Served = {
    child,
    url,
    pid,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    exited,
    async stop(ms = 15_000) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), ms);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
    async kill() {
      child.kill('SIGKILL');
      return exited;
    },
  };
  return served;
}

/** Kill every child still running (for `after`): each by its own handle. */
export async function killAll(): Promise<void> {
  const left = [...children];
  for (const c of left) c.kill('SIGKILL');
  await Promise.all(left.map(exitOf));
}

export async function healthz(url: string): Promise<{ status: string }> {
  const r = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(10_000) });
  if (r.status !== 200) throw new Error(`/healthz: ${r.status}`);
  return (await r.json()) as { status: string };
}

/** How many declarations are active, as the hub's operator reads it (`GET /api/v1/status`, hub_admin). */
export async function activeDeclarations(url: string): Promise<number> {
  const token = await login(url, DEMO_HUB_ADMIN.username, DEMO_HUB_ADMIN.password);
  const r = await api(url, token, 'GET', '/api/v1/status');
  if (r.status !== 200) throw new Error(`/api/v1/status: ${r.status} ${JSON.stringify(r.body)}`);
  return (r.body as { active_declarations: number }).active_declarations;
}

/** An answer over HTTP: its status, its body as received, and that body as JSON (null when empty). */
export interface Exchanged<T> {
  readonly status: number;
  readonly text: string;
  readonly body: T;
}

/** One request with a bearer token (or none); a JSON body in, the answer out. */
export async function exchange<T>(
  url: string,
  token: string | null,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<Exchanged<T>> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = contentType;
  const r = await fetch(`${url}${path}`, {
    method,
    headers,
    ...(body !== undefined && { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await r.text();
  return { status: r.status, text, body: (text === '' ? null : JSON.parse(text)) as T };
}

export interface ApiAnswer {
  readonly status: number;
  // biome-ignore lint/suspicious/noExplicitAny: a test reads what the API answered.
  readonly body: any;
}

/** One API call with a bearer token (or none); JSON in, JSON (or nothing) out. */
export async function api(...args: Parameters<typeof exchange>): Promise<ApiAnswer> {
  const r = await exchange<unknown>(...args);
  return { status: r.status, body: r.body };
}

/** Log in as the README does; returns the bearer token, or throws with the answer. */
export async function login(url: string, username: string, password: string): Promise<string> {
  const r = await api(url, null, 'POST', '/api/v1/session', { username, password });
  if (r.status !== 201) throw new Error(`login ${username}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.token as string;
}

/**
 * Bearer tokens of the test's own (not a browser's) for the demo accounts of a served hub, one
 * login per account: `url` is read when a token is first needed (the hub starts in a hook).
 */
export function demoTokens(url: () => string, password: (username: string) => string) {
  const tokens = new Map<string, string>();
  return async (username: string): Promise<string> => {
    let t = tokens.get(username);
    if (t === undefined) {
      t = await login(url(), username, password(username));
      tokens.set(username, t);
    }
    return t;
  };
}

/**
 * API calls as demo accounts: `as(username, method, path, body)`, each account's bearer token
 * from one login (the test's own, not a browser's), and `tokenOf` for calls made otherwise.
 */
export function demoApi(url: () => string, password: (username: string) => string) {
  const tokenOf = demoTokens(url, password);
  const as = async (username: string, method: string, path: string, body?: unknown) =>
    api(url(), await tokenOf(username), method, path, body);
  return { as, tokenOf };
}
