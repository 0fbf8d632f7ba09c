/**
 * The in-process side of the push channel. Events are written to each party's stream in the
 * transaction of the change they report (so they are durable and numbered); once it committed,
 * the hub publishes them here, and open consoles (the WebSocket stream) receive them at once.
 *
 * The bus carries only committed events, in commit order, to listeners of their own party: a
 * listener registered for one party can never receive another party's event.
 */
import type { EventRecord } from '../domain/records.ts';

export type EventListener = (e: EventRecord) => void;

export class EventBus {
  private readonly listeners = new Map<string, Set<EventListener>>();

  /** Listen to one party's events; returns the function that stops listening. */
  subscribe(party: string, listener: EventListener): () => void {
    let set = this.listeners.get(party);
    if (!set) {
      set = new Set();
      this.listeners.set(party, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(party);
    };
  }

  /** Deliver committed events to their party's listeners. A failing listener harms no other. */
  publish(events: readonly EventRecord[]): void {
    for (const e of events) {
      const set = this.listeners.get(e.party);
      if (!set) continue;
      for (const l of [...set]) {
        try {
          l(e);
        } catch {
          // A listener's failure (a closed socket) is its own business.
        }
      }
    }
  }

  /**
   * The parties someone listens to now: a shared event (one row for every party) is numbered in
   * these parties' streams only, not in every party's.
   */
  parties(): string[] {
    return [...this.listeners.keys()];
  }

  /** Number of listeners (all parties). */
  get size(): number {
    let n = 0;
    for (const s of this.listeners.values()) n += s.size;
    return n;
  }
}

/** A token that stopped standing: one token, or every token of a member (disabled). */
export type Revocation = { readonly tokenId: string } | { readonly username: string };

/**
 * Revocations, told after they commit to whatever holds the token open — the push streams — so
 * a revoked session or a disabled member loses its stream at once, not at the next check.
 */
export class RevocationBus {
  private readonly listeners = new Set<(r: Revocation) => void>();

  subscribe(listener: (r: Revocation) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(r: Revocation): void {
    for (const l of [...this.listeners]) {
      try {
        l(r);
      } catch {
        // One stream's failure to close is its own business.
      }
    }
  }
}
