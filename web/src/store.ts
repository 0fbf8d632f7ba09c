/**
 * The console's state and its change notifications. Panels subscribe to topics and redraw; the
 * API client and the stream write here. Everything in it came from the hub for this party: the
 * console never holds what the party may not see, because the hub never sends it.
 */
import { mergeAlert, mergeChannel, mergeMessage } from './merge.ts';

export interface Me {
  readonly username: string;
  readonly party: string;
  readonly roles: readonly string[];
  readonly token: string;
  readonly expires_at: string;
}

export type Feature = {
  type: 'Feature';
  id: string;
  geometry: { type: string; coordinates: unknown };
  properties: Record<string, unknown> & {
    id: string;
    kind: string;
    party: string;
    start: string;
    end: string | null;
    buffer_m: number;
    version: number;
    status: string;
    label?: string;
    category?: string;
    altitude?: { lower_m: number; upper_m: number; reference?: string };
    visibility: 'all' | string[];
  };
};

export type Side =
  | { id: string; version: number; party: string; kind: string; label?: string }
  | { party: string; hidden: true };

export interface ConflictView {
  id: string;
  rule: string;
  severity: 'critical' | 'high' | 'medium' | 'low';
  internal: boolean;
  status: 'open' | 'resolved';
  resolution: string | null;
  a: Side;
  b: Side;
  window: { start: string; end: string | null };
  distance_m?: number;
  closest?: [[number, number], [number, number]];
  detected_at: string;
}

export interface AlertView {
  id: string;
  subject_type: 'conflict' | 'notification' | 'message';
  subject: string;
  precedence: 'flash' | 'immediate' | 'priority' | 'routine';
  status: 'open' | 'acknowledged' | 'closed';
  level: string;
  escalated: boolean;
  due_at: string | null;
  to: string[];
  created_at: string;
  escalations: { level: string; due_at: string; at: string; to: string[]; uncovered?: true }[];
  ack: { username: string; at: string; reply: string | null } | null;
  closed_at: string | null;
  closed_reason: string | null;
  summary: { conflict?: ConflictView; declaration?: Feature; message?: MessageView };
  peers?: { party: string; acknowledged: boolean; acknowledged_at: string | null; reply: string | null }[];
}

export interface ChannelView {
  id: string;
  name: string;
  created_by_party: string;
  members: { party: string; status: 'accepted' | 'invited' | 'declined'; at: string }[];
  status: 'accepted' | 'invited' | 'declined' | null;
}

export interface MessageView {
  id: string;
  channel: string;
  seq: number;
  from: { party: string; username: string };
  precedence: AlertView['precedence'];
  requires_ack: boolean;
  text: string;
  ref: { type: 'declaration' | 'conflict'; id: string } | { type: string; hidden: true } | null;
  at: string;
  receipts: { party: string; delivered_at: string | null; read_at: string | null; acked_at: string | null }[];
}

export interface RosterView {
  on_call_now: { watch_officer: string[]; senior_officer: string[] };
  shifts: { id: string; role: string; username: string; start: string; end: string }[];
  warnings: { code: string; role: string; start: string; end: string }[];
}

export interface Settings {
  coords: 'mgrs' | 'latlon';
  units: 'metric' | 'nautical';
  mute: boolean;
}

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
  | 'draft';

export const state = {
  me: null as Me | null,
  parties: [] as { id: string; name: string }[],
  declarations: new Map<string, Feature>(),
  conflicts: new Map<string, ConflictView>(),
  alerts: new Map<string, AlertView>(),
  channels: new Map<string, ChannelView>(),
  messages: new Map<string, MessageView[]>(),
  roster: null as RosterView | null,
  /** The moment the map shows (the time slider); null = now, following the clock. */
  time: null as number | null,
  settings: loadSettings(),
  /** What the detail panel shows. */
  selection: null as { type: 'declaration' | 'conflict' | 'alert'; id: string } | null,
  connection: 'offline' as 'offline' | 'connecting' | 'live',
};

const listeners = new Map<Topic, Set<() => void>>();

export function on(topic: Topic, fn: () => void): () => void {
  let set = listeners.get(topic);
  if (!set) {
    set = new Set();
    listeners.set(topic, set);
  }
  set.add(fn);
  return () => set.delete(fn);
}

export function emit(topic: Topic): void {
  for (const fn of listeners.get(topic) ?? []) {
    try {
      fn();
    } catch (err) {
      console.error(`redraw of ${topic} failed`, err);
    }
  }
}

function loadSettings(): Settings {
  const fallback: Settings = { coords: 'mgrs', units: 'metric', mute: false };
  try {
    return { ...fallback, ...JSON.parse(localStorage.getItem('deconflict.settings') ?? '{}') };
  } catch {
    return fallback;
  }
}

export function saveSettings(change: Partial<Settings>): void {
  state.settings = { ...state.settings, ...change };
  localStorage.setItem('deconflict.settings', JSON.stringify(state.settings));
  emit('settings');
}

/** The instant the picture is shown at: the slider's, or now. */
export function shownTime(): number {
  return state.time ?? Date.now();
}

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

export function putAlert(a: AlertView): void {
  const held = state.alerts.get(a.id);
  state.alerts.set(a.id, held ? mergeAlert(held, a) : a);
}

export function putChannel(c: ChannelView): void {
  const held = state.channels.get(c.id);
  state.channels.set(c.id, held ? mergeChannel(held, c) : c);
}
