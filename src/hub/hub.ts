/**
 * The hub: the kernel and its features, wired. Nothing else lives here — the features are
 * `accounts.ts`, `declarations.ts`, `conflicts.ts`, `desk.ts` (roster, alerts, events),
 * `hotline.ts` and `webhooks.ts`; what they share is `kernel.ts` (store, clock, write lock,
 * write context, buses, deadlines). Routes call the features; the hub knows nothing of HTTP.
 */
import { randomBytes } from 'node:crypto';
import type { RequestRate, WorkBudget } from '../domain/limits.ts';
import type { Precedence } from '../domain/records.ts';
import type { ParseLimits } from '../engine/declaration.ts';
import type { EngineOptions } from '../engine/types.ts';
import type { Store } from '../store/ports.ts';
import { Accounts } from './accounts.ts';
import { Agreements } from './agreements.ts';
import type { Clock } from './clock.ts';
import { Conflicts } from './conflicts.ts';
import { deadlines, type LeadTimes } from './deadlines.ts';
import { Declarations } from './declarations.ts';
import { Desk } from './desk.ts';
import type { DetectionOptions } from './detect-pool.ts';
import { Hotline } from './hotline.ts';
import { Kernel } from './kernel.ts';
import { Notifications } from './notifications.ts';
import { Probing } from './probing.ts';
import { Sealed } from './sealed.ts';
import type { IndexSource } from './snapshot.ts';
import { Transparency } from './transparency.ts';
import { Webhooks } from './webhooks.ts';

export type { Principal } from './access.ts';

export interface HubOptions {
  readonly engine?: Partial<EngineOptions>;
  /** Limits on submissions (features, vertices, buffers, text). */
  readonly limits?: Partial<ParseLimits>;
  /** Session lifetime (ms); default 12 h, a watch. */
  readonly sessionTtl_ms?: number;
  /** The most an API token's own request rate may be (default the hub's default rate). */
  readonly tokenRateCeiling?: RequestRate;
  /** Acknowledgement deadlines (ms) per precedence: [watch officer, senior officer, party admin]. */
  readonly deadlines?: Partial<Record<Precedence, readonly [number, number, number]>>;
  /** How the time before an activity relaxes precedence and stretches deadlines (deadlines.ts). */
  readonly leadTimes?: Partial<LeadTimes>;
  /** Hidden conflicts answered per (caller, owner) and UTC day unless the owner sets another. */
  readonly probeBudget?: number;
  /** Vertices a submission may carry, and a party submit per minute (defaults: src/domain/limits.ts). */
  readonly workBudget?: Partial<WorkBudget>;
  /** Heavy submissions are screened in worker threads: above how many vertices, how many workers. */
  readonly detection?: DetectionOptions;
  /** Blind matching (docs/blind-matching.md): when an unanswered check is unknown, the H3 resolution. */
  readonly blind?: { readonly timeout_ms?: number; readonly resolution?: number };
  /**
   * The live index's snapshot (snapshot.ts): written at `path` when the hub closes, read at the
   * next open when it matches the store. `log` is told where the index came from, and of a
   * snapshot that could not be written.
   */
  readonly snapshot?: { readonly path: string; readonly log?: (line: string) => void };
}

export class Hub {
  readonly accounts: Accounts;
  readonly declarations: Declarations;
  readonly conflicts: Conflicts;
  /** Roster, alerts, the event stream (docs/design.md §5). */
  readonly desk: Desk;
  readonly hotline: Hotline;
  readonly webhooks: Webhooks;
  /** Probing of hidden declarations: budgets and the owner's view (docs/visibility.md). */
  readonly probing: Probing;
  /** The notifying party's view of its humanitarian notifications (docs/watch.md). */
  readonly notifications: Notifications;
  /** The transparency log, members' keys and receipts (docs/transparency.md). */
  readonly transparency: Transparency;
  /** Agreements the parties sign, and the breaches of their terms (docs/agreements.md). */
  readonly agreements: Agreements;
  /** Sealed declarations and blind checks (docs/blind-matching.md). */
  readonly sealed: Sealed;
  /** Where the live index came from when the hub opened (a snapshot or the store), and why. */
  indexSource: IndexSource = { from: 'store', why: 'not opened' };

  private constructor(
    readonly kernel: Kernel,
    private readonly options: HubOptions,
  ) {
    this.accounts = new Accounts(kernel, options.sessionTtl_ms, options.tokenRateCeiling);
    this.declarations = new Declarations(kernel, {
      ...(options.engine && { engine: options.engine }),
      ...(options.limits && { limits: options.limits }),
      ...(options.probeBudget !== undefined && { probeBudget: options.probeBudget }),
      ...(options.workBudget && { workBudget: options.workBudget }),
      ...(options.detection && { detection: options.detection }),
    });
    this.conflicts = new Conflicts(kernel);
    this.desk = new Desk(kernel);
    this.hotline = new Hotline(kernel);
    this.webhooks = new Webhooks(kernel);
    this.probing = new Probing(kernel, options.probeBudget);
    this.notifications = new Notifications(kernel);
    this.transparency = new Transparency(kernel);
    this.agreements = new Agreements(kernel, options.engine);
    this.sealed = new Sealed(kernel, {
      ...options.blind,
      ...(options.engine && { engine: options.engine }),
      ...(options.probeBudget !== undefined && { probeBudget: options.probeBudget }),
    });
  }

  /** Open the hub on a store: its secret key, the live index from the active declarations. */
  static async open(store: Store, clock: Clock, options: HubOptions = {}): Promise<Hub> {
    const secret = await store.transact((tx) => tx.meta.init('hub_key', randomBytes(32).toString('base64')));
    const kernel = new Kernel(
      store,
      clock,
      deadlines(options.deadlines, options.leadTimes),
      Buffer.from(secret, 'base64'),
    );
    const hub = new Hub(kernel, options);
    // Several instances: the ledger position first, so that what others commit while the
    // features load is read after (kernel.ts, "followOthers").
    await kernel.beginFollowing();
    await hub.transparency.open();
    await hub.declarations.load(options.snapshot?.path, (source) => {
      hub.indexSource = source;
    });
    options.snapshot?.log?.(
      hub.indexSource.from === 'snapshot'
        ? `live index read from its snapshot (${hub.indexSource.why})`
        : `live index rebuilt from the store: ${hub.indexSource.why}`,
    );
    await hub.declarations.expire();
    await hub.agreements.load();
    await hub.sealed.load();
    kernel.startFollowing();
    return hub;
  }

  get store(): Store {
    return this.kernel.store;
  }

  get clock(): Clock {
    return this.kernel.clock;
  }

  /**
   * Stop the threads the hub started (the detection workers), before its store closes, having
   * written the live index's snapshot when the hub keeps one. The workers do not keep a process
   * alive when idle, so a hub left open does not hang an exit. A snapshot that cannot be written
   * (a full disk) is logged and skipped: the next start rebuilds from the store.
   */
  async close(): Promise<void> {
    this.kernel.stopFollowingWrites();
    this.transparency.stopCheckpoints();
    const snapshot = this.options.snapshot;
    try {
      await this.declarations.stop(snapshot?.path);
    } catch (err) {
      if (snapshot === undefined) throw err;
      snapshot.log?.(`the live index's snapshot was not written: ${(err as Error).message}`);
    }
  }

  /**
   * Do what is due at the clock's now: bring agreements into force and close those that stopped
   * binding (their breaches alert first), mark blind checks unanswered past their deadline
   * unknown and expire sealed declarations past their end, escalate alerts past their deadline, send webhook
   * deliveries. The server calls it on a timer (`Scheduler`); tests move a manual clock and call
   * it themselves. Idempotent.
   */
  async runDue(): Promise<{ agreements: number; blind: number; escalated: number; delivered: number }> {
    const agreements = await this.agreements.runDue();
    const blind = await this.sealed.runDue();
    const escalated = await this.desk.escalate();
    const delivered = await this.webhooks.deliverDue();
    return { agreements, blind, escalated, delivered };
  }

  /**
   * The earliest time something will be due (an agreement's start, end or withdrawal, an alert
   * deadline, a delivery), or null.
   */
  async nextDue(): Promise<number | null> {
    const times = [
      this.agreements.nextDue(),
      await this.sealed.nextDue(),
      await this.desk.nextDue(),
      await this.webhooks.nextDue(),
    ].filter((t) => t !== null);
    return times.length === 0 ? null : Math.min(...times);
  }
}
