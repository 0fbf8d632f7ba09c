/**
 * The console's state and its change notifications. Panels subscribe to topics and redraw; the
 * API client and the stream write here. Everything in it came from the hub for this party: the
 * console never holds what the party may not see, because the hub never sends it.
 */
import { mergeAlert, mergeChannel, mergeMessage } from './merge.ts';
import type {
  AgreementView,
  AlertView,
  BlindCheckView,
  ChannelView,
  ConflictView,
  Feature,
  MessageView,
  RosterView,
  SealedView,
} from './wire.ts';

/** The person logged in on this console, and their session. */
export interface Me {
  readonly username: string;
  readonly party: string;
  readonly roles: readonly string[];
  readonly token: string;
  readonly expires_at: string;
}

/** How this browser shows places, distances and alarms (kept in localStorage). */
export interface Settings {
  coords: 'mgrs' | 'latlon';
  units: 'metric' | 'nautical';
  mute: boolean;
}

/** What changed: panels redraw on the topics they show. */
export type Topic =
  | 'me'
  | 'declarations'
  | 'conflicts'
  | 'alerts'
  | 'channels'
  | 'messages'
  | 'roster'
  | 'time'
  | 'settings'
  | 'selection'
  | 'connection'
  | 'ledger'
  | 'agreements'
  | 'blind';

/** Everything the console knows, as the hub sent it to this party. */
export const state = {
  me: null as Me | null,
  parties: [] as { id: string; name: string }[],
  declarations: new Map<string, Feature>(),
  conflicts: new Map<string, ConflictView>(),
  alerts: new Map<string, AlertView>(),
  channels: new Map<string, ChannelView>(),
  messages: new Map<string, MessageView[]>(),
  roster: null as RosterView | null,
  /** The agreements this party drafted or is named in (docs/agreements.md). */
  agreements: new Map<string, AgreementView>(),
  /** The party's own sealed declarations (docs/blind-matching.md): never another party's. */
  sealed: new Map<string, SealedView>(),
  /** The blind checks of the last 7 days this party asked or owned. */
  blindChecks: new Map<string, BlindCheckView>(),
  /** The moment the map shows (the time slider); null = now, following the clock. */
  time: null as number | null,
  settings: loadSettings(),
  /** What the detail panel shows. */
  selection: null as { type: 'declaration' | 'conflict' | 'alert'; id: string } | null,
  connection: 'offline' as 'offline' | 'connecting' | 'live',
};

const listeners = new Map<Topic, Set<() => void>>();

/** Be called whenever `topic` changes; returns the function that stops it. */
export function on(topic: Topic, fn: () => void): () => void {
  let set = listeners.get(topic);
  if (!set) {
    set = new Set();
    listeners.set(topic, set);
  }
  set.add(fn);
  return () => set.delete(fn);
}

/** Tell every listener of `topic` (one failing redraw does not stop the others). */
export function emit(topic: Topic): void {
  for (const fn of listeners.get(topic) ?? []) {
    try {
      fn();
    } catch (err) {
      console.error(`redraw of ${topic} failed`, err);
    }
  }
}

/** The settings kept in this browser, or the defaults. */
function loadSettings(): Settings {
  const fallback: Settings = { coords: 'mgrs', units: 'metric', mute: false };
  try {
    return { ...fallback, ...JSON.parse(localStorage.getItem('deconflict.settings') ?? '{}') };
  } catch {
    return fallback;
  }
}

/** Change settings, keep them in this browser, and redraw. */
export function saveSettings(change: Partial<Settings>): void {
  state.settings = { ...state.settings, ...change };
  localStorage.setItem('deconflict.settings', JSON.stringify(state.settings));
  emit('settings');
}

/** The instant the picture is shown at: the slider's, or now. */
export function shownTime(): number {
  return state.time ?? Date.now();
}

/** Show a record in full (the Detail panel). */
export function select(type: 'declaration' | 'conflict' | 'alert', id: string): void {
  state.selection = { type, id };
  emit('selection');
}

// --- Records that arrive by two roads (see merge.ts) ------------------------------------------

/** Put a message into its channel's list (ordered by seq), merging with a copy already held. */
export function putMessage(m: MessageView): void {
  const list = state.messages.get(m.channel) ?? [];
  const held = list.find((x) => x.id === m.id);
  state.messages.set(
    m.channel,
    [...list.filter((x) => x.id !== m.id), held ? mergeMessage(held, m) : m].sort((x, y) => x.seq - y.seq),
  );
}

/** A `message.receipt` event: the message's receipts, never losing a time already known. */
export function putReceipts(channel: string, message: string, receipts: MessageView['receipts']): void {
  const list = state.messages.get(channel) ?? [];
  state.messages.set(
    channel,
    list.map((m) => (m.id === message ? mergeMessage(m, { ...m, receipts }) : m)),
  );
}

/** Hold an alert, merging with a copy already held. */
export function putAlert(a: AlertView): void {
  const held = state.alerts.get(a.id);
  state.alerts.set(a.id, held ? mergeAlert(held, a) : a);
}

/** Hold a channel, merging with a copy already held. */
export function putChannel(c: ChannelView): void {
  const held = state.channels.get(c.id);
  state.channels.set(c.id, held ? mergeChannel(held, c) : c);
}
