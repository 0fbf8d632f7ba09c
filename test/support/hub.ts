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
  options: { demo?: boolean; dir?: string; hub?: HubOptions; app?: Partial<AppOptions> } = {},
): Promise<TestHub> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'deconflict-test-'));
  const store = openSqliteStore({ dir });
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
