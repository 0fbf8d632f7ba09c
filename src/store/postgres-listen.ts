/**
 * One listening connection per store, shared by every LISTEN of the store (the changes `follow`
 * hears, the signals `onSignal` hears): a pooled connection cannot listen (it is handed to
 * others between queries), and one connection per subscriber would spend the server's
 * connections on waiting. Lost, it is opened again with back-off, LISTENs again on every channel
 * someone hears, and then tells each subscriber that notifications may have been missed
 * (`afterLoss`): what was notified meanwhile is gone, and a subscriber that must not miss
 * anything (the hub following other instances' writes) reads the store again.
 */
import pg from 'pg';

interface Subscription {
  readonly hear: (payload: string) => void;
  readonly afterLoss: (() => void) | undefined;
}

const CHANNEL = /^[a-z_][a-z0-9_]*$/;

export class PgListener {
  private readonly subs = new Map<string, Set<Subscription>>();
  /** The channels LISTENed on the current connection (asked for, or answered). */
  private readonly listening = new Set<string>();
  private client: pg.Client | undefined;
  private ready = false;
  private retry: NodeJS.Timeout | undefined;
  private delay = 100;
  private closed = false;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly maxBackoffMs: number,
  ) {}

  /** Hear the notifications of `channel`. Returns a function that stops it. */
  subscribe(channel: string, hear: (payload: string) => void, afterLoss?: () => void): () => void {
    if (this.closed) throw new Error('the store is closed');
    if (!CHANNEL.test(channel)) throw new RangeError(`not a channel name: ${channel}`);
    const sub: Subscription = { hear, afterLoss };
    let set = this.subs.get(channel);
    if (set === undefined) {
      set = new Set();
      this.subs.set(channel, set);
    }
    set.add(sub);
    this.sync();
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      const s = this.subs.get(channel);
      s?.delete(sub);
      if (s?.size === 0) this.subs.delete(channel);
      // Nobody hears anything any more: the connection is not kept open for nothing. (A channel
      // nobody hears stays LISTENed until then: its notifications find no subscriber.)
      if (this.subs.size === 0) this.drop();
    };
  }

  /** Stop for good (the store closes). */
  close(): void {
    this.closed = true;
    this.subs.clear();
    this.drop();
  }

  /** LISTEN on every channel someone hears, opening the connection when there is none. */
  private sync(): void {
    if (this.closed || this.subs.size === 0) return;
    if (this.client === undefined) {
      if (this.retry === undefined) this.open(false);
      return;
    }
    if (!this.ready) return;
    const c = this.client;
    for (const channel of this.subs.keys()) {
      if (this.listening.has(channel)) continue;
      this.listening.add(channel);
      c.query(`LISTEN ${channel}`).catch(() => this.lost(c));
    }
  }

  private open(lostBefore: boolean): void {
    this.retry = undefined;
    if (this.closed || this.subs.size === 0) return;
    const c = new pg.Client(this.config);
    this.client = c;
    this.ready = false;
    this.listening.clear();
    c.on('error', () => this.lost(c));
    c.on('end', () => this.lost(c));
    c.on('notification', (n) => {
      const set = this.subs.get(n.channel);
      if (set === undefined) return;
      for (const s of [...set]) s.hear(n.payload ?? '');
    });
    c.connect()
      .then(async () => {
        for (const channel of this.subs.keys()) {
          this.listening.add(channel);
          await c.query(`LISTEN ${channel}`);
        }
        if (this.client !== c) return;
        this.ready = true;
        this.delay = 100;
        // Channels subscribed while these LISTENs were under way.
        this.sync();
        if (lostBefore) for (const set of this.subs.values()) for (const s of [...set]) s.afterLoss?.();
      })
      .catch(() => this.lost(c));
  }

  /** The connection `c` failed or ended: open another after a while, if anyone still hears. */
  private lost(c: pg.Client): void {
    if (this.client !== c) return;
    this.client = undefined;
    this.ready = false;
    void c.end().catch(() => undefined);
    if (this.closed || this.subs.size === 0) return;
    this.retry = setTimeout(() => this.open(true), this.delay);
    this.delay = Math.min(this.delay * 2, this.maxBackoffMs);
  }

  /** End the connection without opening another. */
  private drop(): void {
    clearTimeout(this.retry);
    this.retry = undefined;
    const c = this.client;
    this.client = undefined;
    this.ready = false;
    void c?.end().catch(() => undefined);
  }
}
