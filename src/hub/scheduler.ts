/**
 * Runs the hub's due work (agreements coming into force or closing, escalations, webhook
 * deliveries) at the moment it falls due, on the
 * hub's clock. The deadlines themselves are in the store; this only decides when to look, so it
 * holds no state worth losing: a stopped hub starts it again and catches up on its first pass.
 *
 * It sleeps until the earliest deadline, but never more than `maxSleep_ms`, so that a deadline
 * that appeared meanwhile in another way (or a clock step) is not slept through; and a commit
 * that emitted events wakes it (a new delivery is due at once).
 */
import type { Hub } from './hub.ts';

const MIN_SLEEP_MS = 10;

export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = true;
  private readonly sending = new Set<Promise<unknown>>();

  constructor(
    private readonly hub: Hub,
    private readonly onError: (err: unknown) => void,
    private readonly maxSleep_ms = 1000,
  ) {}

  start(): void {
    this.stopped = false;
    this.hub.kernel.onCommitted = () => this.wake();
    this.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.hub.kernel.onCommitted = undefined;
    clearTimeout(this.timer);
    await this.running;
    await Promise.all(this.sending);
  }

  /** Look now (coalesced: a pass under way is followed by one more). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.pass().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  private async pass(): Promise<void> {
    let sleep = this.maxSleep_ms;
    try {
      await this.hub.agreements.runDue();
      await this.hub.desk.escalate();
      // Deliveries run beside the pass: a slow receiver (up to its timeout) must not hold back
      // an escalation. A delivery already in flight is not sent twice.
      const sending = this.hub.webhooks.deliverDue().catch(this.onError);
      this.sending.add(sending);
      void sending.finally(() => this.sending.delete(sending));
      const next = await this.hub.nextDue();
      // A floor, so that a delivery due but in flight does not spin the loop.
      if (next !== null) sleep = Math.max(MIN_SLEEP_MS, Math.min(sleep, next - this.hub.clock.now()));
    } catch (err) {
      this.onError(err);
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => this.wake(), sleep);
    this.timer.unref();
  }
}
