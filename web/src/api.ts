/**
 * The hub's HTTP API, as the console calls it. Same origin only (the console is served by the
 * hub): no request ever leaves for another host.
 *
 * Session expiry: a 401 does not throw the user out. The request waits while a login dialog asks
 * for the password again, then is retried — a half-filled form stays as it was. The push channel
 * learns it first (the hub closes a revoked or expired session's stream at once), and asks the
 * same way (sync.ts): a watch console must not sit quietly without alerts.
 */
import { emit, type Me, state } from './store.ts';
import type { SessionAnswer } from './wire.ts';

/** The hub refused a request: its HTTP status and coded errors. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errors: { code: string; path: string; message: string }[],
  ) {
    super(errors.map((e) => `${e.code}: ${e.message}`).join('; ') || `HTTP ${status}`);
  }
  /** The first error's code. */
  get code(): string {
    return this.errors[0]?.code ?? 'error';
  }
}

/** Set by the app: asks the user to log in again; resolves when a new session exists. */
let relogin: (() => Promise<void>) | null = null;
/** Say how to ask for the password again when the session has gone. */
export function onSessionExpired(fn: () => Promise<void>): void {
  relogin = fn;
}

let asking: Promise<void> | null = null;
/**
 * The session is gone: ask for the password once, however many requests and streams found out,
 * and resolve when a new session exists.
 */
export function sessionExpired(): Promise<void> {
  const ask = relogin;
  if (!ask) return Promise.reject(new Error('no login dialog'));
  asking ??= ask().finally(() => {
    asking = null;
  });
  return asking;
}

/** A call to the hub's API; on a 401, waits for a new session and tries once more. */
export async function api<T>(method: string, path: string, body?: unknown, retried = false): Promise<T> {
  const headers: Record<string, string> = {};
  if (state.me) headers.authorization = `Bearer ${state.me.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`/api/v1${path}`, {
    method,
    headers,
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  if (res.status === 401 && state.me && relogin && !retried) {
    await sessionExpired();
    return api<T>(method, path, body, true);
  }
  if (res.status === 204) return undefined as T;
  const json = (await res.json().catch(() => ({}))) as { errors?: ApiError['errors'] };
  if (!res.ok) throw new ApiError(res.status, json.errors ?? []);
  return json as T;
}

/** A failure as one line for the person: the hub's coded errors, or what went wrong. */
export function errorText(err: unknown): string {
  return err instanceof ApiError ? err.message : String((err as Error).message);
}

const KEY = 'deconflict.session';

/** Where this browser keeps a member's device token (docs/security.md, "known devices"). */
const deviceKey = (username: string): string => `deconflict.device:${username}`;

/**
 * Log in; keeps the session for this browser tab (not for hub administrators: no console). The
 * device token the hub answers is kept in this browser (localStorage, per member) and presented
 * on the next login, so a flood of bad passwords for the same name from elsewhere never keeps
 * the officer on call out of this console.
 */
export async function login(username: string, password: string): Promise<Me> {
  const known = localStorage.getItem(deviceKey(username));
  const r = await api<SessionAnswer>('POST', '/session', {
    username,
    password,
    ...(known !== null && { device: known }),
  });
  localStorage.setItem(deviceKey(username), r.device.token);
  if (r.member.party === null)
    throw new ApiError(403, [{ code: 'forbidden', path: '', message: 'hub administrators have no console' }]);
  const me: Me = {
    username: r.member.username,
    party: r.member.party,
    roles: r.member.roles,
    token: r.token,
    expires_at: r.expires_at,
  };
  state.me = me;
  sessionStorage.setItem(KEY, JSON.stringify(me));
  emit('me');
  return me;
}

/** The session kept for this browser tab, if it has not expired. */
export function restoreSession(): Me | null {
  try {
    const me = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Me | null;
    if (me && Date.parse(me.expires_at) > Date.now()) {
      state.me = me;
      return me;
    }
  } catch {
    // A damaged entry: log in again.
  }
  return null;
}

/** End the session on the hub and forget it here. */
export async function logout(): Promise<void> {
  try {
    await api('DELETE', '/session');
  } finally {
    sessionStorage.removeItem(KEY);
    state.me = null;
    emit('me');
  }
}
