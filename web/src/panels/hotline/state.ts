/** The Hotline panel's state, shared by its parts (channels, conversation, compose). */
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
}
