/**
 * A real hub for tests: the embedded SQLite store in a fresh temporary directory, a manual
 * clock, the demo parties and accounts (optionally the demo scenario), and the Fastify app for
 * `inject`. Nothing is mocked.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { ManualClock } from '../../src/hub/clock.ts';
import { DEMO_HUB_ADMIN, demoAccounts, loadDemo } from '../../src/hub/demo.ts';
import { Hub, type HubOptions } from '../../src/hub/hub.ts';
import { type AppOptions, buildApp } from '../../src/server/app.ts';
import type { Store } from '../../src/store/ports.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';

/** 2026-11-22T00:00:00Z: the demo scenario is shifted to start the next day. */
export const T0 = Date.UTC(2026, 10, 22);

export interface TestHub {
  readonly dir: string;
  readonly store: Store;
  readonly hub: Hub;
  readonly app: FastifyInstance;
  readonly clock: ManualClock;
  /** Log in over the API; returns the bearer token. */
  login(username: string, password?: string): Promise<string>;
  /** Close the app and the store; remove the directory unless `keep`. */
  close(keep?: boolean): Promise<void>;
}

/** The demo password of an account named `<party>.<role>` or the hub admin. */
export function demoPassword(username: string): string {
  if (username === DEMO_HUB_ADMIN.username) return DEMO_HUB_ADMIN.password;
  const party = username.slice(0, username.lastIndexOf('.'));
  const account = demoAccounts(party).find((a) => a.username === username);
  if (!account) throw new Error(`no demo account ${username}`);
  return account.password;
}

export async function startHub(
  options: {
    demo?: boolean;
    dir?: string;
    /** The store to run on (the caller's to drop after); else SQLite in `dir`. */
    store?: Store;
    hub?: HubOptions;
    app?: Partial<AppOptions>;
  } = {},
): Promise<TestHub> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'deconflict-test-'));
  const store = options.store ?? openSqliteStore({ dir });
  const clock = new ManualClock(T0);
  const hub = await Hub.open(store, clock, options.hub);
  if (options.demo !== false) await loadDemo(hub);
  const app = await buildApp({ hub, rate: { perSecond: 10_000, burst: 10_000 }, ...options.app });
  return {
    dir,
    store,
    hub,
    app,
    clock,
    async login(username, password = demoPassword(username)) {
      const r = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { username, password } });
      if (r.statusCode !== 201) throw new Error(`login ${username}: ${r.statusCode} ${r.body}`);
      return (r.json() as { token: string }).token;
    },
    async close(keep = false) {
      await app.close();
      await hub.close();
      await store.close();
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type Res = Awaited<ReturnType<FastifyInstance['inject']>>;

/** A request as a client sends it: a JSON body, a bearer token (none when null). */
export function request(
  app: FastifyInstance,
  token: string | null,
  method: InjectOptions['method'],
  url: string,
  payload?: unknown,
): Promise<Res> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (payload !== undefined) headers['content-type'] = 'application/json';
  return app.inject({
    method,
    url,
    headers,
    ...(payload !== undefined && { payload: JSON.stringify(payload) }),
  });
}

/** The JSON body of an answer that must have this status. */
export function ok<T>(r: Res, status = 200): T {
  assert.equal(r.statusCode, status, r.body);
  return r.json() as T;
}

/** One error of an error body: `{"errors": [{code, feature, path, message}, ...]}`. */
export interface ErrorItem {
  readonly code: string;
  readonly feature: unknown;
  readonly path: string;
  readonly message: string;
}

/** The errors of an answer (none when its body is not an error body). */
export function errorsOf(r: Res): readonly ErrorItem[] {
  let body: unknown;
  try {
    body = r.json();
  } catch {
    return [];
  }
  const errors = (body as { errors?: unknown } | null)?.errors;
  return Array.isArray(errors) ? (errors as ErrorItem[]) : [];
}

/** Every error body, whatever the route: JSON `{errors: [{code, feature, path, message}, ...]}`. */
export function assertErrorShape(r: Res): void {
  const body = r.json() as { errors: ErrorItem[] };
  assert.deepEqual(Object.keys(body), ['errors'], r.body);
  assert.ok(Array.isArray(body.errors) && body.errors.length > 0, r.body);
  for (const e of body.errors) {
    assert.deepEqual(Object.keys(e).sort(), ['code', 'feature', 'message', 'path'], r.body);
    assert.equal(typeof e.code, 'string');
    assert.equal(typeof e.path, 'string');
    assert.equal(typeof e.message, 'string');
    assert.ok(e.message.length > 0);
    assert.ok(e.feature === null || typeof e.feature === 'object');
  }
  assert.match(String(r.headers['content-type']), /^application\/json/);
}

/**
 * An error answer: its status, the shape of its body, the code of its first error and (when
 * given) the field that error names. Returns that first error.
 */
export function assertError(r: Res, status: number, code: string, path?: string): ErrorItem {
  assert.equal(r.statusCode, status, r.body);
  assertErrorShape(r);
  const first = errorsOf(r)[0];
  assert.ok(first, r.body);
  assert.equal(first.code, code, r.body);
  if (path !== undefined) assert.equal(first.path, path, r.body);
  return first;
}

export interface Sessions {
  /** The bearer token of an account: logged in once, then reused. */
  as(username: string): Promise<string>;
  /** A request as that account (see {@link request}). */
  req(username: string, method: InjectOptions['method'], url: string, payload?: unknown): Promise<Res>;
  /** Forget an account's token (after the test logged it out): the next `as` logs in again. */
  forget(username: string): void;
}

/**
 * The tokens of the accounts a test uses, one login each, on the hub `hub()` returns (a getter:
 * tests start their hub in `before`). `renewAfter_ms`: log in again once the hub's clock has moved
 * that far since the login, or back before it (sessions last 12 h; tests that move the clock by
 * hours renew after 6). `password`: for accounts that are not the demo's.
 */
export function sessions(
  hub: () => Pick<TestHub, 'app' | 'clock' | 'login'>,
  options: { renewAfter_ms?: number; password?: (username: string) => string } = {},
): Sessions {
  const held = new Map<string, { token: string; at: number }>();
  const as = async (username: string): Promise<string> => {
    const h = hub();
    const now = h.clock.now();
    const known = held.get(username);
    const fresh =
      options.renewAfter_ms === undefined ||
      (known !== undefined && now >= known.at && now - known.at < options.renewAfter_ms);
    if (known && fresh) return known.token;
    const token = await h.login(username, options.password?.(username));
    held.set(username, { token, at: now });
    return token;
  };
  return {
    as,
    async req(username, method, url, payload) {
      return request(hub().app, await as(username), method, url, payload);
    },
    forget(username) {
      held.delete(username);
    },
  };
}
