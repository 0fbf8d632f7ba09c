/**
 * Keeping the console's picture current: a first load over HTTP, then the party's event stream
 * over the WebSocket (`/api/v1/stream`). The stream is opened from the sequence number read
 * before the first load, so nothing that happens during the load is missed; on reconnect it
 * resumes from the last number seen. Applying an event twice is harmless (records merge by id,
 * see merge.ts). A stream closed for a revoked or expired session (4401) asks for the password
 * and resumes.
 */
import { ApiError, api, sessionExpired } from './api.ts';
import {
  type AlertView,
  type ChannelView,
  type ConflictView,
  emit,
  type Feature,
  type MessageView,
  putAlert,
  putChannel,
  putMessage,
  putReceipts,
  type RosterView,
  state,
} from './store.ts';

interface StreamEvent {
  seq: number;
  type: string;
  at: string;
  data: unknown;
}

type Listener = (e: StreamEvent) => void;
const eventListeners = new Set<Listener>();
/** Be told of every event as it arrives (the watch panel sounds the flash alarm from here). */
export function onEvent(fn: Listener): void {
  eventListeners.add(fn);
}

let socket: WebSocket | null = null;
let lastSeq = 0;
let stopped = true;
let retry = 1000;

export async function loadDeclarations(): Promise<void> {
  const fc = await api<{ features: Feature[] }>('GET', '/declarations?status=active&limit=5000');
  state.declarations = new Map(fc.features.map((f) => [f.id, f]));
  emit('declarations');
}

export async function loadConflicts(): Promise<void> {
  const r = await api<{ conflicts: ConflictView[] }>('GET', '/conflicts?limit=5000');
  state.conflicts = new Map(r.conflicts.map((c) => [c.id, c]));
  emit('conflicts');
}

export async function loadAlerts(): Promise<void> {
  const r = await api<{ alerts: AlertView[] }>('GET', '/alerts?limit=1000');
  state.alerts = new Map(r.alerts.map((a) => [a.id, a]));
  emit('alerts');
}

export async function loadRoster(): Promise<void> {
  state.roster = await api<RosterView>('GET', '/roster');
  emit('roster');
}

export async function loadChannels(): Promise<void> {
  const r = await api<{ channels: ChannelView[] }>('GET', '/channels');
  state.channels = new Map(r.channels.map((c) => [c.id, c]));
  for (const c of r.channels) if (c.status === 'accepted') await loadMessages(c.id);
  emit('channels');
}

export async function loadMessages(channel: string): Promise<void> {
  const r = await api<{ messages: MessageView[] }>('GET', `/channels/${channel}/messages?limit=1000`);
  // Messages and receipts that arrived over the stream while this list was on its way may be
  // newer: merge, never replace.
  for (const m of r.messages) putMessage(m);
  emit('messages');
}

/** Load everything, then follow the stream. */
export async function start(): Promise<void> {
  stopped = false;
  const head = await api<{ head: number }>('GET', '/events?limit=1&after=0');
  lastSeq = head.head;
  const parties = await api<{ parties: { id: string; name: string }[] }>('GET', '/parties');
  state.parties = parties.parties;
  await Promise.all([loadDeclarations(), loadConflicts(), loadAlerts(), loadRoster(), loadChannels()]);
  connect();
}

export function stop(): void {
  stopped = true;
  socket?.close();
  socket = null;
  state.connection = 'offline';
  emit('connection');
}

function connect(): void {
  if (stopped || !state.me) return;
  state.connection = 'connecting';
  emit('connection');
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/stream`;
  const ws = new WebSocket(url);
  socket = ws;
  ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', token: state.me?.token, since: lastSeq }));
  ws.onmessage = (m) => {
    const frame = JSON.parse(String(m.data)) as StreamEvent & { code?: string };
    if (frame.type === 'hello') {
      retry = 1000;
      state.connection = 'live';
      emit('connection');
      return;
    }
    if (typeof frame.seq !== 'number') return;
    lastSeq = frame.seq;
    apply(frame);
    for (const l of eventListeners) l(frame);
  };
  ws.onclose = (ev) => {
    if (socket !== ws) return;
    socket = null;
    state.connection = 'offline';
    emit('connection');
    if (stopped) return;
    if (ev.code === 4401) {
      // The session was revoked or expired: ask for the password, then resume from lastSeq, so
      // whatever happened meanwhile still arrives.
      void sessionExpired().then(connect, () => undefined);
      return;
    }
    setTimeout(connect, retry);
    retry = Math.min(retry * 2, 10_000);
  };
}

/** Declarations announced as changed, read once per burst. */
const changed = new Set<string>();
let fetching: ReturnType<typeof setTimeout> | undefined;
/** Past this many in one burst (a big collection submitted), one full load is cheaper. */
const ONE_BY_ONE = 50;

function declarationChanged(id: string, after = 100): void {
  changed.add(id);
  clearTimeout(fetching);
  fetching = setTimeout(() => void readChanged().catch(() => undefined), after);
}

async function readChanged(): Promise<void> {
  const ids = [...changed];
  changed.clear();
  if (ids.length > ONE_BY_ONE) {
    try {
      return await loadDeclarations();
    } catch {
      for (const id of ids) declarationChanged(id, 2_000);
      return;
    }
  }
  await Promise.all(
    ids.map(async (id) => {
      try {
        const f = await api<Feature>('GET', `/declarations/${encodeURIComponent(id)}`);
        const held = state.declarations.get(id);
        if (held && held.properties.version > f.properties.version) return;
        if (f.properties.status === 'active') state.declarations.set(id, f);
        else state.declarations.delete(id);
      } catch (err) {
        // Gone from this party's picture since the event (hidden by an amendment): drop it.
        if (err instanceof ApiError && err.status === 404) state.declarations.delete(id);
        // Anything else (the hub unreachable a moment): try again, the map must not stay stale.
        else declarationChanged(id, 2_000);
      }
    }),
  );
  emit('declarations');
}

function apply(e: StreamEvent): void {
  const type = e.type;
  if (type.startsWith('conflict.')) {
    const c = e.data as ConflictView;
    state.conflicts.set(c.id, c);
    emit('conflicts');
  } else if (type.startsWith('alert.')) {
    putAlert(e.data as AlertView);
    emit('alerts');
  } else if (type === 'acknowledgement') {
    const n = e.data as {
      subject_type: string;
      subject: string;
      party: string;
      at: string;
      reply: string | null;
    };
    for (const a of state.alerts.values()) {
      if (a.subject_type !== n.subject_type || a.subject !== n.subject) continue;
      const others = (a.peers ?? []).filter((p) => p.party !== n.party);
      a.peers = [...others, { party: n.party, acknowledged: true, acknowledged_at: n.at, reply: n.reply }];
    }
    emit('alerts');
  } else if (type === 'channel.updated') {
    const c = e.data as ChannelView;
    putChannel(c);
    emit('channels');
    if (c.status === 'accepted' && !state.messages.has(c.id)) void loadMessages(c.id).catch(() => undefined);
  } else if (type === 'message.posted') {
    putMessage(e.data as MessageView);
    emit('messages');
  } else if (type === 'message.receipt') {
    const r = e.data as { message: string; channel: string; receipts: MessageView['receipts'] };
    putReceipts(r.channel, r.message, r.receipts);
    emit('messages');
  } else if (type === 'declaration.changed') {
    // Slim: `{id, party, kind, version, status}`, or `{id, status: 'hidden'}` for a party that
    // may no longer see it. An active one is read as this party may see it.
    const d = e.data as { id: string; status: string };
    if (d.status === 'active') declarationChanged(d.id);
    else if (state.declarations.delete(d.id)) emit('declarations');
  } else if (type === 'roster.changed') {
    void loadRoster().catch(() => undefined);
  }
}
