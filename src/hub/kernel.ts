/**
 * The hub's kernel: what every feature needs and nothing a single feature owns — the store, the
 * clock, the one write lock, the write context (stream events, ledger entries), the event and
 * revocation buses, the acknowledgement deadlines and the hub's secret key. Features (accounts,
 * declarations, conflicts, the watch desk, the hotline, webhooks) depend on the kernel and never
 * on each other through a hub object; `hub.ts` only wires them.
 *
 * Invariant: writes run one at a time, in arrival order, each in a transaction (a savepoint of a
 * group, below), and what one changes in memory (the live index) happens right after its own
 * work succeeded, before the next write runs; what it pushes (stream events) and its answer go
 * out only after the commit is durable. So each submission is checked against exactly the
 * declarations accepted before it (committed, or earlier in its group), and neither an answer nor
 * an event ever reaches anyone for a change that did not commit.
 *
 * Group commit: writes that queue while a commit is in flight are run together, in order, in one
 * store transaction (`Store.transactGroup`), each in a savepoint: one that fails (refused,
 * invalid) is undone alone and does not fail its neighbours; the group commits once, with one
 * fsync (`synchronous = FULL`), and only then are the answers given. One fsync (0.4 ms on a quiet
 * disk, ~3 ms on a busy one) is shared by everything that arrived meanwhile, instead of one per
 * write in turn on the only thread. A group starts once the event loop has read what arrived
 * (`setImmediate`, not a microtask: the requests read in the same turn queue their writes first),
 * and the next as soon as it committed: a lone write waits for one turn, not for a timer. When
 * the commit itself fails (a full disk), every write of the group fails and the features' memory
 * is read back from the store ({@link Kernel.onReset}), undoing what the group's writes applied.
 *
 * Extension points, so that features stay apart:
 * - {@link Kernel.onEmit}: runs inside the transaction for every stream event (webhooks write
 *   their outbox deliveries there); {@link Kernel.onEmitShared} for every event of the shared
 *   feed (a change every party may see, written once and numbered in each party's stream:
 *   src/store/feed.ts);
 * - {@link Kernel.onAcknowledged}: runs inside the transaction when an alert about a subject type
 *   is acknowledged (conflicts tell the other party, the hotline records its receipt);
 * - {@link Kernel.onEscalated}: runs inside the transaction when such an alert's deadline passed
 *   (the sender of a message, the notifying party of a declaration are told);
 * - {@link Kernel.onScreen}: runs inside the write (or dry run) that checks new declarations, after
 *   the live index answered: it may drop conflicts it lifts and add conflicts of its own (the
 *   agreements in force: permissions lift an `incursion`, a term a declaration breaks is an
 *   `agreement_breach`).
 */
import type {
  AlertRecord,
  AlertSubject,
  DeclarationRecord,
  EventRecord,
  LedgerEntry,
  NewLedgerEntry,
  TermSide,
} from '../domain/records.ts';
import type { Conflict, Declaration } from '../engine/types.ts';
import type { SharedEventRecord, Store, Tx } from '../store/ports.ts';
import type { Principal } from './access.ts';
import type { Clock } from './clock.ts';
import type { Deadlines } from './deadlines.ts';
import { EventBus, RevocationBus } from './events.ts';

/** What a write transaction offers a feature: the store, the time, the stream and the ledger. */
export interface WriteCtx {
  readonly tx: Tx;
  readonly now: number;
  /** Append an event to a party's stream (published to open consoles once committed). */
  emit(party: string, type: string, data: unknown): Promise<void>;
  /**
   * Append an event every party may see to every party's stream, written once (the shared feed:
   * src/store/feed.ts); each party numbers it in its own stream. Only for what every party may
   * see: a change some parties may not see goes to each party that may, by {@link emit}.
   */
  emitShared(type: string, data: unknown): Promise<void>;
  /** Append a ledger entry; resolves to it as stored (its seq). */
  log(
    actor: string | null,
    party: string | null,
    type: string,
    subject: string,
    payload: unknown,
  ): Promise<LedgerEntry>;
  /**
   * The parties the feature owning an alert's subject tells of its acknowledgement: the
   * acknowledgement's audience in the ledger, who may fetch its receipt (docs/transparency.md §4).
   */
  audienceOf(a: AlertRecord): Promise<readonly string[]>;
  /** Tell the feature that owns an alert's subject that the alert was acknowledged (and recorded). */
  acknowledged(a: AlertRecord, reply: string | null): Promise<void>;
  /** Tell the feature that owns an alert's subject that its deadline passed (a level up). */
  escalated(a: AlertRecord): Promise<void>;
}

/**
 * A write's work: its answer, and what to change in memory once it succeeded (run before the next
 * write of its group; undone by {@link Kernel.onReset} if the group's commit fails).
 */
export type Work<T> = (tx: Tx, ctx: WriteCtx) => Promise<{ result: T; apply?: () => void }>;

/** A group commit as {@link Kernel.onGroup} reports it. */
export interface GroupReport {
  /** From the start of its transaction to its durable commit (or its failure), in ms. */
  readonly ms: number;
  /** Writes it carried (committed or undone alone). */
  readonly writes: number;
  /** False when the transaction itself failed (a full disk, the database unreachable). */
  readonly committed: boolean;
}

/** A write waiting for its group commit. */
interface QueuedWrite {
  readonly work: Work<unknown>;
  readonly resolve: (v: unknown) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Writes per group commit at most: a bound on how long the first of a group waits for the last
 * (a few ms of light submissions), and on the transaction's size.
 */
const MAX_GROUP = 256;

type EmitHook = (ctx: WriteCtx, e: EventRecord, memo: Map<string, unknown>) => Promise<void>;
/** A shared event's hook; `seqOf` numbers it in a party's stream (read once per party). */
type SharedEmitHook = (
  ctx: WriteCtx,
  e: SharedEventRecord,
  seqOf: (party: string) => Promise<number>,
  memo: Map<string, unknown>,
) => Promise<void>;

/**
 * What a write publishes once committed: a party's event, or a shared event with its number in
 * the streams of the parties that were listening when it was written (others are numbered after
 * the commit, in {@link Kernel.publish}, if they listen by then).
 */
type Outgoing = EventRecord | { readonly shared: SharedEventRecord; readonly seqs: Map<string, number> };
type AckHook = (ctx: WriteCtx, a: AlertRecord, reply: string | null) => Promise<void>;
/** The parties a feature tells of an acknowledgement (it must tell exactly these). */
type AudienceHook = (ctx: WriteCtx, a: AlertRecord) => Promise<readonly string[]>;
type EscalationHook = (ctx: WriteCtx, a: AlertRecord) => Promise<void>;
/** A feature reading the ledger entries other instances committed (see {@link Kernel.onFollow}). */
type FollowHook = (tx: Tx, entries: readonly LedgerEntry[]) => Promise<void>;

/** Ledger entries (and stream events) read per page while catching up with other instances. */
const FOLLOW_PAGE = 1000;

/**
 * A conflict as the screening of new declarations records it: one the engine found between two
 * declarations, or one a feature adds whose `b` side is not a declaration (`term`: a term of an
 * agreement), with that side's version and party and every other party involved.
 */
export type ScreenedConflict = Conflict | TermConflict;

/** A conflict whose `b` side is a term of an agreement (an `agreement_breach`). */
export interface TermConflict extends Conflict {
  readonly term: TermSide;
  readonly b_party: string;
  readonly parties: readonly string[];
}

/** What a screening hook is given: the new declarations, the conflicts found, a way to read others. */
export interface Screening {
  readonly tx: Tx;
  readonly now: number;
  /** The declarations being submitted (or amended), as they will be stored. */
  readonly decls: readonly Declaration[];
  /** The conflicts found so far (the live index and the batch, then earlier hooks). */
  readonly found: readonly ScreenedConflict[];
  /** A declaration by id: one of `decls`, else the active one in the store (null when none). */
  declaration(id: string): Promise<Declaration | null>;
}

/** A screening hook answers the conflicts to record instead of `found`. */
type ScreenHook = (s: Screening) => Promise<readonly ScreenedConflict[]>;

/** A declaration version created or changing status, inside the write that did it. */
type DeclaredHook = (ctx: WriteCtx, r: DeclarationRecord) => Promise<void>;

export class Kernel {
  /** Committed stream events, to open consoles. */
  readonly bus = new EventBus();
  /** Tokens revoked (and members disabled), told after commit to the streams holding them. */
  readonly revocations = new RevocationBus();
  /** Called after a commit that emitted events (the scheduler wakes: a delivery may be due). */
  onCommitted: (() => void) | undefined;
  /** Writes waiting for the next group commit, in arrival order. */
  private readonly queued: QueuedWrite[] = [];
  private draining = false;
  private readonly resetHooks: (() => Promise<void>)[] = [];
  private readonly emitHooks: EmitHook[] = [];
  private readonly sharedEmitHooks: SharedEmitHook[] = [];
  private readonly ackHooks = new Map<AlertSubject, { told: AckHook; audience: AudienceHook }>();
  private readonly escalationHooks = new Map<AlertSubject, EscalationHook>();
  private readonly screenHooks: ScreenHook[] = [];
  private readonly declaredHooks: DeclaredHook[] = [];
  private readonly groupHooks: ((g: GroupReport) => void)[] = [];
  private readonly followHooks: FollowHook[] = [];
  /** The ledger entry the features' memory reflects (a shared store; 0 on the embedded one). */
  private seen = 0;
  /** A reset could not read the store: memory is read again before the next write. */
  private stale = false;
  /** Other instances may have committed: catch up between write groups. */
  private followPending = false;
  private stopFollowing: (() => void) | undefined;
  /** Per party listening here: the last stream event published here (see {@link listening}). */
  private readonly marks = new Map<string, number>();

  constructor(
    readonly store: Store,
    readonly clock: Clock,
    readonly deadlines: Deadlines,
    /** The hub's secret key (created with the store; keys conflict ids). */
    readonly key: Buffer,
  ) {}

  /** Run inside every write, for each stream event, in its transaction. */
  onEmit(hook: EmitHook): void {
    this.emitHooks.push(hook);
  }

  /** Run inside every write, for each shared event, in its transaction. */
  onEmitShared(hook: SharedEmitHook): void {
    this.sharedEmitHooks.push(hook);
  }

  /**
   * Run inside the acknowledging write when an alert about `subject` is acknowledged, after its
   * ledger entry (the alert's `ack.entry`): `told` tells the other side; `audience` says which
   * parties that is, before, so that the entry can name them.
   */
  onAcknowledged(subject: AlertSubject, told: AckHook, audience: AudienceHook): void {
    this.ackHooks.set(subject, { told, audience });
  }

  /**
   * Run inside the escalating write when an alert about `subject` moves a level up (the party
   * that asked for the acknowledgement hears that it did not come in time).
   */
  onEscalated(subject: AlertSubject, hook: EscalationHook): void {
    this.escalationHooks.set(subject, hook);
  }

  /**
   * Run inside every write (or dry run) that checks new or amended declarations, after the live
   * index answered, on the main thread: the hook answers the conflicts to record (it may lift
   * some, and add its own).
   */
  onScreen(hook: ScreenHook): void {
    this.screenHooks.push(hook);
  }

  /**
   * Run inside the write that creates a declaration version or changes its status (amended,
   * withdrawn, expired), after the declaration's own records: sealed declarations check the new
   * version blind and drop the checks of the old (sealed.ts).
   */
  onDeclared(hook: DeclaredHook): void {
    this.declaredHooks.push(hook);
  }

  /** Tell the features that a declaration version was created or changed status. */
  async declared(ctx: WriteCtx, r: DeclarationRecord): Promise<void> {
    for (const hook of this.declaredHooks) await hook(ctx, r);
  }

  /** The conflicts to record for new declarations, once every screening hook had its say. */
  async screen(
    s: Omit<Screening, 'found'>,
    found: readonly ScreenedConflict[],
  ): Promise<readonly ScreenedConflict[]> {
    let out = found;
    for (const hook of this.screenHooks) out = await hook({ ...s, found: out });
    return out;
  }

  /** Read a consistent snapshot (never waits for the write lock). */
  read<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.store.read(work);
  }

  /**
   * Run a write: queued in arrival order and committed with whatever else queued meanwhile (group
   * commit, above). The work runs in its own savepoint; its in-memory changes (`apply`) right after
   * it succeeded, so the next write sees them; its answer and stream events once the group's
   * commit is durable. Reads never wait for writes.
   */
  write<T>(work: Work<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queued.push({ work: work as Work<unknown>, resolve: resolve as (v: unknown) => void, reject });
      if (!this.draining) {
        this.draining = true;
        // After this turn of the event loop's I/O: every request that arrived with this one queues
        // its write first, and they share the commit (a microtask would commit each alone).
        setImmediate(() => void this.drain());
      }
    });
  }

  /**
   * Read a feature's memory back from the store after a group commit failed (what the group's
   * writes applied did not commit). Features register their `load`.
   */
  onReset(hook: () => Promise<void>): void {
    this.resetHooks.push(hook);
  }

  /**
   * Read what other instances committed, in ledger order, into a feature's memory (several
   * instances on one PostgreSQL database): `entries` are the ledger entries after those this
   * instance already reflects; the hook reads whatever it keeps from `tx` (a snapshot that holds
   * them) and must be idempotent — an entry may be seen twice (after a reset).
   */
  onFollow(hook: FollowHook): void {
    this.followHooks.push(hook);
  }

  /**
   * Begin following the writes of other instances (a shared store; nothing to do on the embedded
   * one): the ledger position the features' memory reflects is taken first, before the features
   * load, so that nothing committed while they load is missed (what is seen twice is idempotent).
   */
  async beginFollowing(): Promise<void> {
    if (!this.store.shared) return;
    this.seen = (await this.store.read((tx) => tx.ledger.head()))?.seq ?? 0;
  }

  /** Start reading other instances' writes as they are notified (after the features loaded). */
  startFollowing(): void {
    if (!this.store.shared || this.stopFollowing) return;
    this.stopFollowing = this.store.follow(() => this.followSoon());
    this.followSoon();
  }

  /** Stop following (the hub closing). */
  stopFollowingWrites(): void {
    this.stopFollowing?.();
    this.stopFollowing = undefined;
  }

  /**
   * A console of `party` on this instance has read its stream up to `seq` and now listens: the
   * events other instances commit for that party are published here from there on.
   */
  listening(party: string, seq: number): void {
    const mark = this.marks.get(party);
    if (mark === undefined || seq < mark) this.marks.set(party, seq);
  }

  /** Catch up with other instances soon, between write groups (never inside one). */
  followSoon(): void {
    this.followPending = true;
    if (!this.draining) {
      this.draining = true;
      setImmediate(() => void this.drain());
    }
  }

  private async drain(): Promise<void> {
    try {
      while (this.queued.length > 0 || this.followPending) {
        if (this.queued.length > 0) await this.commitGroup(this.queued.splice(0, MAX_GROUP));
        else await this.followOthers();
      }
    } finally {
      this.draining = false;
    }
  }

  /**
   * What other instances committed since this one last looked: their ledger entries into the
   * features' memory, their stream events to the consoles listening here, and a wake-up for the
   * scheduler (an alert they raised may fall due here). Runs in a read snapshot, without the
   * writers' lock; a write group catches up again under the lock ({@link catchUp}).
   */
  private async followOthers(): Promise<void> {
    this.followPending = false;
    try {
      const published = await this.store.read(async (tx) => {
        await this.catchUp(tx);
        return this.othersEvents(tx);
      });
      if (published.length > 0) this.bus.publish(published);
      this.onCommitted?.();
    } catch {
      // The database is out of reach: the next notification, the store's periodic call or the
      // next write catches up (the position did not move).
    }
  }

  /** Bring the features' memory up to the ledger head `tx` sees (a shared store). */
  private async catchUp(tx: Tx): Promise<void> {
    if (this.stale) {
      // A group commit failed and its reset could not read the store: read everything again.
      const head = (await tx.ledger.head())?.seq ?? 0;
      for (const hook of this.resetHooks) await hook();
      this.stale = false;
      if (this.store.shared) this.seen = head;
    }
    if (!this.store.shared) return;
    for (;;) {
      const entries = await tx.ledger.range(this.seen + 1, FOLLOW_PAGE);
      if (entries.length === 0) return;
      for (const hook of this.followHooks) await hook(tx, entries);
      this.seen = (entries[entries.length - 1] as LedgerEntry).seq;
      if (entries.length < FOLLOW_PAGE) return;
    }
  }

  /** Events committed for the parties listening here since they were last published here. */
  private async othersEvents(tx: Tx): Promise<EventRecord[]> {
    const out: EventRecord[] = [];
    for (const party of this.bus.parties()) {
      let mark = this.marks.get(party);
      if (mark === undefined) continue;
      for (;;) {
        const page = await tx.events.since(party, mark, FOLLOW_PAGE);
        out.push(...page);
        if (page.length > 0) mark = (page[page.length - 1] as EventRecord).seq;
        if (page.length < FOLLOW_PAGE) break;
      }
      this.marks.set(party, mark);
    }
    return out;
  }

  /**
   * Be told of every group commit once it ended: how long the transaction took (from its start to
   * its durable commit), how many writes it carried, and whether it committed (`/metrics`).
   */
  onGroup(hook: (g: GroupReport) => void): void {
    this.groupHooks.push(hook);
  }

  private async commitGroup(jobs: readonly QueuedWrite[]): Promise<void> {
    const started = performance.now();
    const report = (committed: boolean): void => {
      const g = { ms: performance.now() - started, writes: jobs.length, committed };
      for (const hook of this.groupHooks) hook(g);
    };
    const outboxes = jobs.map((): Outgoing[] => []);
    let outcomes: PromiseSettledResult<unknown>[];
    // The ledger head once the group's writes are done (a shared store: what memory reflects).
    let head = this.seen;
    try {
      outcomes = await this.store.transactGroup(
        [
          ...jobs.map((job, i) => async (tx: Tx) => {
            const { result, apply } = await job.work(tx, this.context(tx, outboxes[i] as Outgoing[]));
            apply?.();
            return result;
          }),
          ...(this.store.shared
            ? [
                async (tx: Tx) => {
                  head = (await tx.ledger.head())?.seq ?? 0;
                },
              ]
            : []),
        ],
        // Under the writers' lock, before the first write: what other instances committed.
        { first: (tx) => this.catchUp(tx) },
      );
    } catch (err) {
      report(false);
      // Memory first, so that whoever hears of the failure finds the hub as the store has it.
      // When the store cannot be read either (PostgreSQL out of reach), memory is marked stale
      // and read again by the next group, under the lock, before its first write.
      try {
        const at = this.store.shared ? await this.store.read((tx) => tx.ledger.head()) : null;
        for (const hook of this.resetHooks) await hook();
        if (this.store.shared) this.seen = at?.seq ?? 0;
      } catch {
        this.stale = true;
      } finally {
        for (const job of jobs) job.reject(err);
      }
      return;
    }
    if (this.store.shared) outcomes.pop();
    this.seen = head;
    report(true);
    // The events of writes that were undone were rolled back with them: never published.
    const committed = outcomes.flatMap((o, i) =>
      o.status === 'fulfilled' ? (outboxes[i] as Outgoing[]) : [],
    );
    if (committed.length > 0) {
      await this.publish(committed);
      this.onCommitted?.();
    }
    outcomes.forEach((o, i) => {
      const job = jobs[i] as QueuedWrite;
      if (o.status === 'fulfilled') job.resolve(o.value);
      else job.reject(o.reason);
    });
  }

  /** A ledger entry made by a principal (or by the hub itself when `p` is null). */
  entry(p: Principal | null, type: string, subject: string, payload: unknown): NewLedgerEntry {
    return {
      at: this.clock.now(),
      actor: p?.username ?? null,
      party: p?.party ?? null,
      type,
      subject,
      payload,
    };
  }

  /**
   * Give committed events to the bus, in commit order. A shared event was numbered, when written,
   * for the parties listening then; a party whose console began listening before the commit but
   * after that (its backlog may have been read before the commit) has it numbered now, from the
   * committed store, so that no listening console misses it.
   */
  private async publish(out: readonly Outgoing[]): Promise<void> {
    const listening = this.bus.parties();
    const late = out.flatMap((o) =>
      'shared' in o ? listening.filter((p) => !o.seqs.has(p)).map((p) => ({ o, p })) : [],
    );
    if (late.length > 0) {
      try {
        await this.store.read(async (tx) => {
          for (const { o, p } of late) o.seqs.set(p, await tx.events.seqOf(p, o.shared.useq));
        });
      } catch {
        // Committed all the same: a console that misses it live reads it when it reconnects.
      }
    }
    const events = out.flatMap((o) =>
      'shared' in o
        ? [...o.seqs].map(([party, seq]) => ({
            party,
            seq,
            at: o.shared.at,
            type: o.shared.type,
            data: o.shared.data,
          }))
        : [o],
    );
    this.bus.publish(events);
    // Published here: other instances' events are read from after these (followOthers).
    for (const e of events) {
      const mark = this.marks.get(e.party);
      if (mark !== undefined && e.seq > mark) this.marks.set(e.party, e.seq);
    }
  }

  private context(tx: Tx, outbox: Outgoing[]): WriteCtx {
    const now = this.clock.now();
    // Per-write memo for hooks (e.g. a party's webhooks, read once per write).
    const memo = new Map<string, unknown>();
    const ctx: WriteCtx = {
      tx,
      now,
      emit: async (party, type, data) => {
        const e = await tx.events.append({ party, at: now, type, data });
        outbox.push(e);
        for (const hook of this.emitHooks) await hook(ctx, e, memo);
      },
      emitShared: async (type, data) => {
        const e = await tx.events.appendShared({ at: now, type, data });
        // Numbered for the listening parties now, through this transaction (so that the rows
        // of this write and of its group before it count), and for any other a hook asks about.
        const seqs = new Map<string, number>();
        const seqOf = async (party: string): Promise<number> => {
          let seq = seqs.get(party);
          if (seq === undefined) {
            seq = await tx.events.seqOf(party, e.useq);
            seqs.set(party, seq);
          }
          return seq;
        };
        for (const party of this.bus.parties()) await seqOf(party);
        outbox.push({ shared: e, seqs });
        for (const hook of this.sharedEmitHooks) await hook(ctx, e, seqOf, memo);
      },
      log: (actor, party, type, subject, payload) =>
        tx.ledger.append({ at: now, actor, party, type, subject, payload }),
      audienceOf: async (a) => (await this.ackHooks.get(a.subject_type)?.audience(ctx, a)) ?? [],
      acknowledged: async (a, reply) => {
        await this.ackHooks.get(a.subject_type)?.told(ctx, a, reply);
      },
      escalated: async (a) => {
        await this.escalationHooks.get(a.subject_type)?.(ctx, a);
      },
    };
    return ctx;
  }
}
