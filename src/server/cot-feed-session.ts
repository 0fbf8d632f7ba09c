/**
 * One authenticated CoT feed connection: a party's picture for a TAK client. First a snapshot of
 * the party's view — every active declaration it may see, its open conflicts, its open alerts —
 * then each change as it commits, as Cursor-on-Target events written back to back (the encoder is
 * src/formats/cot/encode.ts; this file decides what to send and when).
 *
 * Isolation, as the WebSocket stream (src/server/stream.ts): the connection listens to its own
 * party's events only, and an event is never forwarded as it is: it only says which record
 * changed, and the record is read again through the hub's party views
 * (`declarations.get`, `conflicts.get`, `desk.alert` with the connection's Principal). So what a
 * TAK client receives is exactly what that party reads over the API, hidden geometry never
 * included; a record it can no longer see is removed (`t-x-d-d`).
 *
 * What is shown, and until when (the CoT `stale` time, after which a TAK client drops a marker):
 * - an active declaration, until its end; an open-ended one for {@link ROLLING_MS} (24 h);
 * - an open conflict, until the end of its window; open-ended likewise;
 * - an open alert, until its acknowledgement deadline; an overdue one or one without a deadline
 *   likewise.
 * What is open-ended is sent again with a fresh stale time once less than half of it is left
 * (checked every {@link DEFAULT_REFRESH_MS}), read again through the view as any change is. A
 * record that ends (withdrawn, expired, resolved, acknowledged, closed, hidden) is removed.
 *
 * Order: changes are handled one at a time in arrival order, the snapshot first; the
 * subscription starts before the snapshot is read, so a change committed meanwhile is in one or
 * the other (or both, and then sent twice, harmlessly: a CoT event replaces one of its uid).
 *
 * Bounds: a reader slower than the hub writes is closed, as the stream closes it: past
 * {@link MAX_BUFFERED} unsent bytes, or {@link MAX_PENDING} changes waiting; the snapshot itself
 * waits for the socket to drain instead. The snapshot is at most {@link SNAPSHOT_LIMIT} records of
 * each kind (the API's largest page). The token is checked again as the stream does it: a
 * revocation closes the feed at once, its expiry at that time, and a recheck every minute
 * catches a revocation by another hub process on the same database.
 */
import type { Duplex } from 'node:stream';
import type { ConflictView, DeclarationFeature } from '../api/declarations.ts';
import type { AlertView } from '../api/watch.ts';
import type { EventRecord } from '../domain/records.ts';
import type { Position } from '../engine/types.ts';
import { DeconflictError } from '../errors.ts';
import {
  alertEvent,
  alertStale,
  conflictEvent,
  conflictStale,
  DEFAULT_STALE_MS,
  declarationCentre,
  declarationEvent,
  declarationStale,
  pongEvent,
  removalEvent,
  uidOfAlert,
  uidOfConflict,
  uidOfDeclaration,
} from '../formats/cot/encode.ts';
import type { Hub, Principal } from '../hub/hub.ts';
import { isPing } from './cot-feed-wire.ts';

/** How long an open-ended record is shown before it must be sent again (the encoder's default). */
export const ROLLING_MS = DEFAULT_STALE_MS;
/** How often open-ended records are checked for a refresh. */
export const DEFAULT_REFRESH_MS = 3_600_000;
/** The token's backstop recheck, as the stream's. */
const RECHECK_MS = 60_000;
/** setTimeout's longest delay; a later expiry is left to the recheck. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Unsent bytes a connection may hold before it is closed as too slow (the stream's bound). */
const MAX_BUFFERED = 8 * 1024 * 1024;
/** The snapshot waits for the socket to drain past this many unsent bytes. */
const SNAPSHOT_HIGH_WATER = 1024 * 1024;
/** Changes waiting to be handled before a connection is closed as too slow. */
const MAX_PENDING = 10_000;
/** Records of each kind in the snapshot. */
export const SNAPSHOT_LIMIT = 5000;

type Kind = 'declaration' | 'conflict' | 'alert';

interface Shown {
  readonly kind: Kind;
  readonly id: string;
  /** When it goes stale for the client (epoch ms). */
  readonly stale: number;
  /** Open-ended: sent again before it goes stale. */
  readonly rolling: boolean;
}

export interface FeedSessionOptions {
  readonly refreshMs?: number;
  /** Called once when the session ends, for whatever counts open feeds. */
  readonly onClose?: () => void;
}

/** True when the error is the hub's "you may not see this" (or it does not exist). */
function notFound(err: unknown): boolean {
  return err instanceof DeconflictError && err.code === 'not_found';
}

/**
 * Serve a party's picture on an authenticated socket until it closes. The socket is the
 * caller's; this closes it (destroy) on revocation, a slow reader or a fault, and calls
 * `onClose` once when it closed for any reason.
 */
export function openFeedSession(
  hub: Hub,
  socket: Duplex,
  p: Principal,
  o: FeedSessionOptions = {},
): FeedSession {
  return new FeedSession(hub, socket, p, o);
}

export class FeedSession {
  private readonly shown = new Map<string, Shown>();
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  private readonly cleanups: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly hub: Hub,
    private readonly socket: Duplex,
    private readonly p: Principal,
    private readonly o: FeedSessionOptions,
  ) {
    const party = p.party as string;
    // Listen first, then read the snapshot (the first task of the chain): see the header.
    this.cleanups.push(hub.kernel.bus.subscribe(party, (e) => this.onEvent(e)));
    this.cleanups.push(
      hub.kernel.revocations.subscribe((r) => {
        if ('tokenId' in r ? r.tokenId === p.tokenId : r.username === p.username) this.close();
      }),
    );
    socket.once('close', () => this.close());
    this.enqueue(() => this.snapshot());
    const recheck = () =>
      hub.accounts.tokenStillValid(p.tokenId).then(
        (ok) => ok || this.close(),
        () => undefined,
      );
    // Revoked between authentication and the subscription above: the recheck's first run now.
    void recheck();
    const timers: NodeJS.Timeout[] = [
      setInterval(recheck, RECHECK_MS),
      setInterval(() => this.refresh(), o.refreshMs ?? DEFAULT_REFRESH_MS),
    ];
    const expiresIn = p.expiresAt == null ? null : p.expiresAt - hub.clock.now();
    if (expiresIn !== null && expiresIn < MAX_TIMER_MS)
      timers.push(setTimeout(() => this.close(), Math.max(0, expiresIn)));
    for (const t of timers) t.unref();
    this.cleanups.push(() => {
      for (const t of timers) clearTimeout(t);
    });
  }

  /** A document from the client: a ping is answered, anything else dropped (see cot-feed-wire). */
  fromClient(text: string): void {
    if (isPing(text)) this.enqueue(async () => this.write(pongEvent(this.hub.clock.now())));
  }

  /** End the session and close the socket; idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.cleanups.splice(0)) c();
    this.socket.destroy();
    this.o.onClose?.();
  }

  private onEvent(e: EventRecord): void {
    const data = e.data as { id?: unknown; status?: unknown };
    if (typeof data?.id !== 'string') return;
    const id = data.id;
    if (e.type === 'declaration.changed') {
      // A declaration this party could see and no longer can: it knew of it, it drops it.
      if (data.status === 'hidden') this.enqueue(async () => this.remove(uidOfDeclaration(id)));
      else this.enqueue(() => this.showDeclaration(id));
    } else if (e.type.startsWith('conflict.')) this.enqueue(() => this.showConflict(id));
    else if (e.type.startsWith('alert.')) this.enqueue(() => this.showAlert(id));
  }

  private enqueue(task: () => Promise<void>): void {
    if (this.closed) return;
    if (++this.pending > MAX_PENDING) {
      this.close();
      return;
    }
    this.chain = this.chain
      .then(() => (this.closed ? undefined : task()))
      .catch(() => this.close())
      .finally(() => {
        this.pending--;
      });
  }

  private async snapshot(): Promise<void> {
    const { features } = await this.hub.declarations.list(this.p, {
      status: 'active',
      limit: SNAPSHOT_LIMIT,
    });
    for (const f of features) {
      this.sendDeclaration(f);
      await this.drained();
    }
    for (const c of await this.hub.conflicts.list(this.p, { status: 'open', limit: SNAPSHOT_LIMIT })) {
      await this.sendConflict(c);
      await this.drained();
    }
    for (const a of await this.hub.desk.alerts(this.p, { status: 'open', limit: SNAPSHOT_LIMIT })) {
      await this.sendAlert(a);
      await this.drained();
    }
  }

  /** Open-ended records with less than half their time left: read again and sent. */
  private refresh(): void {
    const now = this.hub.clock.now();
    for (const s of this.shown.values()) {
      if (!s.rolling || s.stale - now > ROLLING_MS / 2) continue;
      if (s.kind === 'declaration') this.enqueue(() => this.showDeclaration(s.id));
      else if (s.kind === 'conflict') this.enqueue(() => this.showConflict(s.id));
      else this.enqueue(() => this.showAlert(s.id));
    }
  }

  private async showDeclaration(id: string): Promise<void> {
    const f = await this.read(() => this.hub.declarations.get(this.p, id));
    if (f === null || f.properties.status !== 'active') this.remove(uidOfDeclaration(id));
    else this.sendDeclaration(f);
  }

  private async showConflict(id: string): Promise<void> {
    const c = await this.read(() => this.hub.conflicts.get(this.p, id));
    if (c === null || c.status !== 'open') this.remove(uidOfConflict(id));
    else await this.sendConflict(c);
  }

  private async showAlert(id: string): Promise<void> {
    const a = await this.read(() => this.hub.desk.alert(this.p, id));
    if (a === null || a.status !== 'open') this.remove(uidOfAlert(id));
    else await this.sendAlert(a);
  }

  /** The record as the party reads it, or null when it may not (any other fault is thrown). */
  private async read<T>(get: () => Promise<T>): Promise<T | null> {
    try {
      return await get();
    } catch (err) {
      if (notFound(err)) return null;
      throw err;
    }
  }

  // The stale time is the record's end (see the header); the encoder's rule, so an export and
  // the feed agree. Where that rule fell back to now + the default, the record is open-ended.

  private sendDeclaration(f: DeclarationFeature): void {
    const now = this.hub.clock.now();
    const stale = declarationStale(f, now, ROLLING_MS);
    this.show(uidOfDeclaration(f.properties.id), 'declaration', f.properties.id, stale, now);
    this.write(declarationEvent(f, { now, stale, viewer: this.p.party as string }));
  }

  private async sendConflict(c: ConflictView): Promise<void> {
    const at = c.closest ? undefined : await this.ownSide(c);
    const now = this.hub.clock.now();
    const stale = conflictStale(c, now, ROLLING_MS);
    this.show(uidOfConflict(c.id), 'conflict', c.id, stale, now);
    this.write(conflictEvent(c, { now, stale, ...(at && { at }) }));
  }

  private async sendAlert(a: AlertView): Promise<void> {
    const c = a.summary.conflict;
    const at = c && !c.closest ? await this.ownSide(c) : undefined;
    const now = this.hub.clock.now();
    const stale = alertStale(a, now, ROLLING_MS);
    this.show(uidOfAlert(a.id), 'alert', a.id, stale, now);
    this.write(alertEvent(a, { now, stale, ...(at && { at }) }));
  }

  /**
   * Where to draw a conflict without closest points (its other side is hidden): on the side this
   * party sees, read through its view (nothing of the hidden side is known here).
   */
  private async ownSide(c: ConflictView): Promise<Position | undefined> {
    for (const side of [c.a, c.b]) {
      if ('hidden' in side || side.kind === 'agreement_term') continue;
      const f = await this.read(() => this.hub.declarations.get(this.p, side.id));
      if (f) return declarationCentre(f);
    }
    return undefined;
  }

  private show(uid: string, kind: Kind, id: string, stale: number, now: number): void {
    this.shown.set(uid, { kind, id, stale, rolling: stale === now + ROLLING_MS });
  }

  /** Remove what the client was shown (what it never was needs no removal). */
  private remove(uid: string): void {
    if (!this.shown.delete(uid)) return;
    this.write(removalEvent(uid, this.hub.clock.now()));
  }

  private write(xml: string): void {
    if (this.closed) return;
    this.socket.write(xml);
    if (this.socket.writableLength > MAX_BUFFERED) this.close();
  }

  /** Wait until the socket took most of what was written (the snapshot's pace), or closed. */
  private async drained(): Promise<void> {
    if (this.closed || this.socket.writableLength <= SNAPSHOT_HIGH_WATER) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }
}
