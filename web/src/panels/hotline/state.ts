/** The Hotline panel's state, shared by its parts (channels, conversation, compose, messages). */
import type { MapApi } from '../../map/api.ts';

/** What the Hotline panel's parts share. */
export interface Hotline {
  readonly el: HTMLElement;
  readonly map: MapApi;
  /** The channel shown. */
  current: string | null;
  /** Messages being written, per channel. */
  readonly drafts: Map<string, string>;
  /** Read marks on their way to the hub (channel → seq), so a burst of redraws sends one. */
  readonly reading: Map<string, number>;
  /** Stay at the bottom of the conversation when the reader was there (or just sent). */
  stick: boolean;
  /**
   * Replies being typed to messages this party must acknowledge (message id → text). The
   * conversation is redrawn on every receipt, so the text lives here, not in the field.
   */
  readonly replies: Map<string, string>;
  /** Acknowledgements on their way to the hub (message ids): one at a time per message. */
  readonly acking: Set<string>;
  /** Why an acknowledgement failed, per message, shown until the next attempt. */
  readonly ackErrors: Map<string, string>;
}
