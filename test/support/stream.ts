/**
 * A console of the push channel for tests: a real WebSocket client (`ws`) of a listening hub's
 * `GET /api/v1/stream`, authenticated with a bearer header or — as a browser does — with a first
 * frame. It keeps every frame it receives with its arrival time, waits for a frame matching a
 * predicate (with a timeout), and reports how the connection closed. Also a small HTTP client
 * for the same server, so that tests act over real sockets end to end.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { type Exchanged, exchange } from './serve.ts';

/** A frame as the hub sends it: an event (`seq`, `type`, `at`, `data`) or `hello`, `pong`, `error`. */
export interface Frame {
  readonly type: string;
  readonly seq?: number;
  readonly at?: string;
  readonly data?: unknown;
  readonly [key: string]: unknown;
}

export interface Received {
  readonly frame: Frame;
  /** The text as it came over the wire. */
  readonly raw: string;
  /** `performance.now()` when it arrived. */
  readonly t: number;
}

export interface Closed {
  readonly code: number;
  readonly reason: string;
  /** `performance.now()` when the close arrived. */
  readonly t: number;
}

export type Auth = { readonly bearer: string } | { readonly frame: Record<string, unknown> } | null;

/** The stream's URL on a base `http://host:port`, with `since` when given (any text, to test bad ones). */
export function streamUrl(base: string, since?: number | string): string {
  const ws = base.replace(/^http/, 'ws');
  return `${ws}/api/v1/stream${since === undefined ? '' : `?since=${encodeURIComponent(String(since))}`}`;
}

export class StreamConsole {
  readonly received: Received[] = [];
  readonly closed: Promise<Closed>;
  private readonly waiters = new Set<() => void>();
  private closedWith: Closed | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const raw = String(data);
      this.received.push({ frame: JSON.parse(raw) as Frame, raw, t: performance.now() });
      this.wake();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closedWith = { code, reason: String(reason), t: performance.now() };
        resolve(this.closedWith);
        this.wake();
      });
    });
  }

  /**
   * Open a console. `bearer` sends the header on the upgrade; `frame` sends that object as the
   * first frame once open (`{type: 'auth', token, since}`); null sends nothing. Rejects when the
   * upgrade is refused, with the HTTP status in the message.
   */
  static connect(url: string, auth: Auth): Promise<StreamConsole> {
    const headers: Record<string, string> =
      auth && 'bearer' in auth ? { authorization: `Bearer ${auth.bearer}` } : {};
    const ws = new WebSocket(url, { headers });
    const c = new StreamConsole(ws);
    return new Promise((resolve, reject) => {
      ws.once('unexpected-response', (_req, res) => {
        reject(new Error(`upgrade refused: HTTP ${res.statusCode}`));
        res.resume();
        ws.terminate();
      });
      ws.once('error', reject);
      ws.once('open', () => {
        ws.off('error', reject);
        ws.on('error', () => undefined);
        if (auth && 'frame' in auth) ws.send(JSON.stringify(auth.frame));
        resolve(c);
      });
    });
  }

  get frames(): Frame[] {
    return this.received.map((r) => r.frame);
  }

  /** Event frames (those with a sequence number), in arrival order. */
  get events(): Frame[] {
    return this.frames.filter((f) => typeof f.seq === 'number');
  }

  /** Every frame's text, joined: to search for a string that must not be there. */
  get text(): string {
    return this.received.map((r) => r.raw).join('\n');
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(frame: unknown): void {
    this.ws.send(JSON.stringify(frame));
  }

  /**
   * The first frame (from index `from`) matching `match`: at once if already received, otherwise
   * when it arrives. Rejects after `timeoutMs`, or when the connection closes first.
   */
  waitFor(match: (f: Frame) => boolean, what: string, timeoutMs = 5000, from = 0): Promise<Received> {
    return new Promise((resolve, reject) => {
      let scanned = from;
      const check = (): boolean => {
        for (; scanned < this.received.length; scanned++) {
          const r = this.received[scanned] as Received;
          if (match(r.frame)) {
            done();
            resolve(r);
            return true;
          }
        }
        if (this.closedWith) {
          done();
          reject(new Error(`closed (${this.closedWith.code}) before ${what}; got ${this.describe()}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${what} within ${timeoutMs} ms; got ${this.describe()}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      const waiter = () => void check();
      if (!check()) this.waiters.add(waiter);
    });
  }

  /** Wait for the event with sequence number `seq`. */
  waitForSeq(seq: number, timeoutMs = 5000): Promise<Received> {
    return this.waitFor((f) => f.seq === seq, `event seq ${seq}`, timeoutMs);
  }

  /** How the connection closed; rejects if it is still open after `timeoutMs`. */
  waitForClose(timeoutMs = 5000): Promise<Closed> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`still open after ${timeoutMs} ms`)), timeoutMs);
      void this.closed.then((c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
  }

  /** Close from this side (normal closure) and wait until closed. */
  async close(): Promise<Closed> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING)
      this.ws.close(1000);
    return this.closed;
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  private describe(): string {
    return `[${this.frames.map((f) => (f.seq === undefined ? f.type : `${f.seq}:${f.type}`)).join(', ')}]`;
  }
}

export type HttpAnswer<T = unknown> = Exchanged<T>;

/** One request to the listening server, JSON in and out, with a bearer token when given. */
export const http = <T = Record<string, unknown>>(
  base: string,
  token: string | null,
  method: string,
  path: string,
  body?: unknown,
): Promise<HttpAnswer<T>> => exchange<T>(base, token, method, path, body);
