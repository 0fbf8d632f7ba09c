/**
 * The live Cursor-on-Target feed for TAK clients (ATAK, WinTAK, iTAK): each party's picture —
 * the declarations it may see, its conflicts and alerts — streamed as CoT over TCP, so a TAK
 * client shows the hub's picture next to its own units. `deconflict serve --cot-port N` starts it
 * beside the HTTP API (docs/formats/cot-feed.md).
 *
 * - Transport: TLS (src/server/tls.ts, as the HTTP API) with the operator's certificate; with a CA given, every
 *   client must present a certificate signed by it, as TAK servers require. Plain TCP only on a
 *   loopback address (127.0.0.0/8, ::1), for a client on the same machine or behind a tunnel:
 *   a token is never sent in clear over a network ({@link checkCotListen}).
 * - Authentication: the client's first message is TAK's `<auth><cot username="…"
 *   password="API token"/></auth>` (cot-feed-wire.ts), within {@link AUTH_TIMEOUT_MS} and in
 *   8 KiB (`MAX_AUTH_BYTES`); else the connection is closed. A bad token closes it without a word.
 *   Failed attempts are limited per client address (a burst, then one per 10 s), and each
 *   attempt takes from its token's request bucket, as a WebSocket first frame does.
 * - Then the party's view, snapshot and changes (cot-feed-session.ts); the client may only ping.
 *
 * Open feeds are bounded like the push streams (src/server/stream.ts, `DEFAULT_STREAM_LIMITS`):
 * so many per token and per party, and {@link MAX_CONNECTIONS} sockets in all, authenticated or
 * not, so that a flood of idle connections cannot hold the process.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Hub, Principal } from '../hub/hub.ts';
import { type FeedSession, openFeedSession } from './cot-feed-session.ts';
import { ClientReader } from './cot-feed-wire.ts';
import { RateLimiter } from './rate.ts';
import { DEFAULT_STREAM_LIMITS, OpenStreams, type StreamLimits } from './stream.ts';
import { isLoopback, readTlsFlags, type TlsFiles, tlsServerOptions } from './tls.ts';

/** Time a client has to authenticate (and, with TLS, to finish its handshake). */
export const AUTH_TIMEOUT_MS = 10_000;
/** Sockets open at once, authenticated or not. */
export const MAX_CONNECTIONS = 1000;
/** Failed authentications per client address: a burst, then one per 10 s. */
const FAILURES = { burst: 10, perSecond: 0.1 };
/** An address past its failures is turned away this long. */
const HOLD_MS = 10_000;
/** Addresses held at once (a flood of addresses clears the table rather than grow it). */
const MAX_HELD = 10_000;

export interface CotFeedOptions {
  readonly host: string;
  readonly port: number;
  /** Without it, plain TCP, which {@link startCotFeed} refuses on a non-loopback host. */
  readonly tls?: TlsFiles;
  readonly authTimeoutMs?: number;
  /** How often open-ended records are checked for a refresh (cot-feed-session.ts). */
  readonly refreshMs?: number;
  readonly limits?: Partial<StreamLimits>;
  /** Requests per second per token and the burst (as the HTTP API's default: 100/s, 200). */
  readonly rate?: { readonly perSecond: number; readonly burst: number };
}

export interface CotFeed {
  /** `tcp://host:port` or `ssl://host:port` (as TAK clients name the two). */
  readonly url: string;
  readonly port: number;
  /** Stop listening and close every connection. */
  close(): Promise<void>;
}

/** Why the feed may not listen so, or null: plain TCP is for loopback addresses only. */
export function checkCotListen(host: string, tls: boolean): string | null {
  if (tls || isLoopback(host)) return null;
  return `--cot-host ${host} is not a loopback address: plain TCP would send API tokens in clear; give --cot-tls-cert and --cot-tls-key (or use 127.0.0.1)`;
}

/** The flags of `deconflict serve` that configure the feed. */
export interface CotFeedFlags {
  readonly 'cot-port'?: string | undefined;
  readonly 'cot-host'?: string | undefined;
  readonly 'cot-tls-cert'?: string | undefined;
  readonly 'cot-tls-key'?: string | undefined;
  readonly 'cot-tls-ca'?: string | undefined;
}

/**
 * The feed's options from serve's flags (files read here), or null without `--cot-port`. Throws
 * an Error whose message is the one line serve prints (the `invalid_argument` of the CLI).
 */
export function cotFeedOptions(flags: CotFeedFlags): CotFeedOptions | null {
  const given = (['cot-host', 'cot-tls-cert', 'cot-tls-key', 'cot-tls-ca'] as const).filter(
    (f) => flags[f] !== undefined,
  );
  if (flags['cot-port'] === undefined) {
    if (given.length > 0) throw new Error(`--${given[0]} needs --cot-port`);
    return null;
  }
  const port = Number(flags['cot-port']);
  if (!/^\d{1,5}$/.test(flags['cot-port']) || port > 65535)
    throw new Error(`--cot-port must be 0–65535, got "${flags['cot-port']}"`);
  const host = flags['cot-host'] ?? '127.0.0.1';
  if (host === '' || host.length > 253) throw new Error(`--cot-host: not a host: "${host}"`);
  const files = readTlsFlags(flags, 'cot-');
  const refused = checkCotListen(host, files !== undefined);
  if (refused !== null) throw new Error(refused);
  return files === undefined ? { host, port } : { host, port, tls: files };
}

/** Failed authentications per address: past the bucket, the address is held off a while. */
class FailedAuths {
  private readonly bucket: RateLimiter;
  private readonly held = new Map<string, number>();

  constructor(private readonly now: () => number) {
    this.bucket = new RateLimiter(FAILURES, now);
  }

  refused(address: string): boolean {
    const until = this.held.get(address);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.held.delete(address);
    return false;
  }

  failed(address: string): void {
    if (this.bucket.take(address)) return;
    if (this.held.size >= MAX_HELD) this.held.clear();
    this.held.set(address, this.now() + HOLD_MS);
  }
}

/** Start the feed; resolves once it listens. Refuses plain TCP on a non-loopback host. */
export async function startCotFeed(hub: Hub, o: CotFeedOptions): Promise<CotFeed> {
  const refused = checkCotListen(o.host, o.tls !== undefined);
  if (refused !== null) throw new Error(refused);
  const authTimeout = o.authTimeoutMs ?? AUTH_TIMEOUT_MS;
  const rate = o.rate ?? { perSecond: 100, burst: 200 };
  const limiter = new RateLimiter(rate, () => hub.clock.now());
  const failures = new FailedAuths(() => hub.clock.now());
  const feeds = new OpenStreams({ ...DEFAULT_STREAM_LIMITS, ...o.limits });
  const sockets = new Set<net.Socket>();
  const sessions = new Set<FeedSession>();

  const connection = (socket: net.Socket) => {
    socket.on('error', () => socket.destroy());
    const address = socket.remoteAddress ?? '';
    if (failures.refused(address)) return void socket.destroy();
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    const timer = setTimeout(() => socket.destroy(), authTimeout);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    let session: FeedSession | null = null;
    const authenticate = async (token: string | null): Promise<void> => {
      if (token === null) {
        failures.failed(address);
        return void socket.destroy();
      }
      // The same kind of bucket as the token's HTTP requests: an authentication is a request.
      if (!limiter.take(token)) return void socket.destroy();
      let p: Principal;
      try {
        p = await hub.accounts.authenticate(token);
      } catch {
        failures.failed(address);
        return void socket.destroy();
      }
      if (p.party === null || socket.destroyed) return void socket.destroy();
      const release = feeds.take(p.tokenId, (p as Principal & { party: string }).party);
      if (typeof release === 'string') return void socket.destroy();
      clearTimeout(timer);
      const s = openFeedSession(hub, socket, p, {
        ...(o.refreshMs !== undefined && { refreshMs: o.refreshMs }),
        onClose: () => {
          release();
          sessions.delete(s);
        },
      });
      sessions.add(s);
      session = s;
    };
    const reader = new ClientReader(
      (token) => void authenticate(token),
      (doc) => session?.fromClient(doc),
    );
    socket.on('data', (chunk: Buffer) => {
      if (!reader.push(chunk)) socket.destroy();
    });
  };

  const server = o.tls
    ? tls.createServer(tlsServerOptions(o.tls, authTimeout), connection)
    : net.createServer(connection);
  server.maxConnections = MAX_CONNECTIONS;
  // Every socket, TLS handshakes under way included, so that close() ends them all at once.
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // A refused handshake (no client certificate, a wrong one) closes its socket; nothing to do.
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as net.AddressInfo;
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    url: `${o.tls ? 'ssl' : 'tcp'}://${host}:${bound.port}`,
    port: bound.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sessions) s.close();
        for (const s of sockets) s.destroy();
      }),
  };
}
