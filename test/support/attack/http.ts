/**
 * HTTP as an attacker sends it: node:http with keep-alive, the path exactly as given (no URL
 * normalisation: `..`, `%zz` and `%ed%a0%80` reach the hub as written, where `fetch` would
 * rewrite or refuse them), any content type, a body of any bytes or none at all.
 */
import http from 'node:http';

export interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface NoAnswer {
  readonly error: string;
}

/** Bytes of an answer kept (the largest list answers are a few MB). */
const MAX_ANSWER = 64 * 1024 * 1024;

export class HttpClient {
  private readonly agent: http.Agent;
  private readonly host: string;
  private readonly port: number;

  /** `localAddress`: the address requests come from (the hub throttles failed logins per address). */
  constructor(base: string, sockets = 32, localAddress?: string) {
    const u = new URL(base);
    this.host = u.hostname;
    this.port = Number(u.port);
    this.agent = new http.Agent({
      keepAlive: true,
      maxSockets: sockets,
      ...(localAddress && { localAddress }),
    });
  }

  /**
   * Send one request. A request that fails on a kept-alive socket the hub had already closed
   * (after answering an earlier request on it with `Connection: close`, as it does after a
   * malformed request) is sent once more on a new connection: that race is the client's, and
   * Node's documentation prescribes exactly this retry (`request.reusedSocket`).
   */
  async send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: Buffer | undefined,
    timeoutMs = 60_000,
  ): Promise<Answer | NoAnswer> {
    const first = await this.once(method, path, headers, body, timeoutMs);
    if (!('retry' in first)) return first;
    const second = await this.once(method, path, headers, body, timeoutMs, false);
    return 'retry' in second ? { error: 'connection reset twice' } : second;
  }

  private once(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: Buffer | undefined,
    timeoutMs: number,
    mayRetry = true,
  ): Promise<Answer | NoAnswer | { retry: true }> {
    return new Promise((resolve) => {
      let settled = false;
      const done = (v: Answer | NoAnswer | { retry: true }) => {
        if (!settled) {
          settled = true;
          resolve(v);
        }
      };
      let req: http.ClientRequest;
      try {
        req = http.request({
          host: this.host,
          port: this.port,
          method,
          path,
          agent: this.agent,
          headers: body === undefined ? headers : { ...headers, 'content-length': String(body.length) },
          timeout: timeoutMs,
        });
      } catch (err) {
        // The client refused to send it (a header or path Node will not write): not the hub's doing.
        done({ error: `client refused: ${(err as Error).message}` });
        return;
      }
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= MAX_ANSWER) chunks.push(c);
        });
        res.on('end', () =>
          done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', (err) => done({ error: `answer cut off: ${err.message}` }));
        res.on('close', () => {
          if (!res.complete) done({ error: 'answer cut off: the connection closed' });
        });
      });
      req.on('timeout', () => {
        req.destroy(new Error(`no answer in ${timeoutMs} ms`));
      });
      // Whatever else happens, the request settles when it closes (an answer settled it first).
      req.on('close', () => done({ error: 'the connection closed without an answer' }));
      req.on('error', (err) => {
        const code = (err as NodeJS.ErrnoException).code;
        const stale = req.reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE');
        done(stale && mayRetry ? { retry: true } : { error: err.message });
      });
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export const isAnswer = (a: Answer | NoAnswer): a is Answer => 'status' in a;
