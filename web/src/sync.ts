/**
 * Keeping the console's picture current: a first load over HTTP, then the party's event stream
 * over the WebSocket (`/api/v1/stream`). The stream is opened from the sequence number read
 * before the first load, so nothing that happens during the load is missed; on reconnect it
 * resumes from the last number seen. Applying an event twice is harmless (records merge by id,
 * see merge.ts). A stream closed for a revoked or expired session (4401) asks for the password
 * and resumes.
 */
import { agreementsChanged, forgetAgreements, loadAgreements } from './agreements.ts';
import { ApiError, api, sessionExpired } from './api.ts';
import { blindChanged, forgetBlind, isBlindConflict, loadBlind, putSealed } from './blind.ts';
import { emit, putAlert, putChannel, putMessage, putReceipts, state } from './store.ts';
import type {
  AlertView,
  ChannelView,
  ConflictView,
  Feature,
  MessageView,
  RosterView,
  SealedView,
  StreamEvent,
} from './wire.ts';

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

/** Read the party's active declarations, replacing those held. */
export async function loadDeclarations(): Promise<void> {
  const fc = await api<{ features: Feature[] }>('GET', '/declarations?status=active&limit=5000');
  state.declarations = new Map(fc.features.map((f) => [f.id, f]));
  emit('declarations');
}

/** Read the party's conflicts, replacing those held. */
export async function loadConflicts(): Promise<void> {
  const r = await api<{ conflicts: ConflictView[] }>('GET', '/conflicts?limit=5000');
  state.conflicts = new Map(r.conflicts.map((c) => [c.id, c]));
  emit('conflicts');
}

/** Read the party's alerts, replacing those held. */
export async function loadAlerts(): Promise<void> {
  const r = await api<{ alerts: AlertView[] }>('GET', '/alerts?limit=1000');
  state.alerts = new Map(r.alerts.map((a) => [a.id, a]));
  emit('alerts');
}

/** Read the party's roster. */
export async function loadRoster(): Promise<void> {
  state.roster = await api<RosterView>('GET', '/roster');
  emit('roster');
}

/** Read the party's channels, and the messages of those it accepted. */
export async function loadChannels(): Promise<void> {
  const r = await api<{ channels: ChannelView[] }>('GET', '/channels');
  state.channels = new Map(r.channels.map((c) => [c.id, c]));
  for (const c of r.channels) if (c.my_status === 'accepted') await loadMessages(c.id);
  emit('channels');
}

/** Read a channel's messages, merged into those held. */
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
  // The agreements draw on the map and name the terms breaches break; a hub that cannot list
  // them yet must not keep the console from its watch.
  forgetAgreements();
  await loadAgreements().catch((err) => console.error('could not read the agreements', err));
  // Sealed declarations and blind checks (docs/blind-matching.md): the same.
  forgetBlind();
  await loadBlind().catch((err) => console.error('could not read the sealed declarations', err));
  connect();
}

/** Stop following the stream (logging out). */
export function stop(): void {
  stopped = true;
  socket?.close();
  socket = null;
  setConnection('offline');
}

/** The push channel's state, for the top bar. */
function setConnection(c: typeof state.connection): void {
  state.connection = c;
  emit('connection');
}

/** Open the stream from the last sequence number seen. */
function connect(): void {
  if (stopped || !state.me) return;
  setConnection('connecting');
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/stream`;
  const ws = new WebSocket(url);
  socket = ws;
  ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', token: state.me?.token, since: lastSeq }));
  ws.onmessage = (m) => received(JSON.parse(String(m.data)) as StreamEvent);
  ws.onclose = (ev) => {
    if (socket === ws) closed(ev.code);
  };
}

/** A frame from the stream: the greeting, or an event to apply and pass on. */
function received(frame: StreamEvent): void {
  if (frame.type === 'hello') {
    retry = 1000;
    setConnection('live');
    return;
  }
  if (typeof frame.seq !== 'number') return;
  lastSeq = frame.seq;
  apply(frame);
  for (const l of eventListeners) l(frame);
}

/** The stream closed under us: reconnect with back-off, or ask for the password first (4401). */
function closed(code: number): void {
  socket = null;
  setConnection('offline');
  if (stopped) return;
  if (code === 4401) {
    // The session was revoked or expired: ask for the password, then resume from lastSeq, so
    // whatever happened meanwhile still arrives.
    void sessionExpired().then(connect, () => undefined);
    return;
  }
  setTimeout(connect, retry);
  retry = Math.min(retry * 2, 10_000);
}

/** Declarations announced as changed, read once per burst. */
const changed = new Set<string>();
let fetching: ReturnType<typeof setTimeout> | undefined;
/** Past this many in one burst (a big collection submitted), one full load is cheaper. */
const ONE_BY_ONE = 50;

/** Read a declaration announced as changed, after `after` ms (one read per burst). */
function declarationChanged(id: string, after = 100): void {
  changed.add(id);
  clearTimeout(fetching);
  fetching = setTimeout(() => void readChanged().catch(() => undefined), after);
}

/** Read the declarations announced since the last read: one by one, or all at once past 50. */
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
  await Promise.all(ids.map(readDeclaration));
  emit('declarations');
}

/** Read one declaration as this party sees it now: keep it, drop it, or try again later. */
async function readDeclaration(id: string): Promise<void> {
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
}

/** What each event type does to the state (`conflict.*` and `alert.*` by their prefix). */
const APPLY: Record<string, (data: unknown) => void> = {
  'conflict.': (data) => {
    const c = data as ConflictView;
    state.conflicts.set(c.id, c);
    emit('conflicts');
    // Found blind: the check that matched is answered.
    if (isBlindConflict(c)) blindChanged();
  },
  'alert.': (data) => {
    const a = data as AlertView;
    putAlert(a);
    emit('alerts');
    // A blind check's result unknown (or answered since): read the checks again.
    if (a.subject_type === 'blind_check') blindChanged();
  },
  acknowledgement: (data) => {
    acknowledged(data as Acknowledgement);
    emit('alerts');
  },
  'channel.updated': (data) => {
    const c = data as ChannelView;
    putChannel(c);
    emit('channels');
    if (c.my_status === 'accepted' && !state.messages.has(c.id))
      void loadMessages(c.id).catch(() => undefined);
  },
  'message.posted': (data) => {
    putMessage(data as MessageView);
    emit('messages');
  },
  'message.receipt': (data) => {
    const r = data as { message: string; channel: string; receipts: MessageView['receipts'] };
    putReceipts(r.channel, r.message, r.receipts);
    emit('messages');
  },
  'declaration.changed': (data) => {
    // Slim: `{id, party, kind, version, status}`, or `{id, status: 'hidden'}` for a party that
    // may no longer see it. An active one is read as this party may see it.
    const d = data as { id: string; status: string };
    if (d.status === 'active') declarationChanged(d.id);
    else if (state.declarations.delete(d.id)) emit('declarations');
  },
  'roster.changed': () => void loadRoster().catch(() => undefined),
  // Drafted, proposed, countered, signed, in force, withdrawn, expired: read them again.
  'agreement.': () => agreementsChanged(),
  // One of the party's sealed declarations made, withdrawn or expired (docs/blind-matching.md).
  'sealed.changed': (data) => putSealed(data as SealedView),
  // A step of a blind check is this party's agent's to take: the check moved on.
  'blind.task': () => blindChanged(),
};

/** Apply one stream event to the state. */
function apply(e: StreamEvent): void {
  const family = /^(conflict|alert|agreement)\./.exec(e.type)?.[0];
  APPLY[family ?? e.type]?.(e.data);
}

/** Another party's acknowledgement of something this party was alerted about. */
interface Acknowledgement {
  subject_type: string;
  subject: string;
  party: string;
  at: string;
  reply: string | null;
}

/** Record another party's acknowledgement on every alert of ours about the same subject. */
function acknowledged(n: Acknowledgement): void {
  for (const a of state.alerts.values()) {
    if (a.subject_type !== n.subject_type || a.subject !== n.subject) continue;
    const others = (a.peers ?? []).filter((p) => p.party !== n.party);
    a.peers = [...others, { party: n.party, acknowledged: true, acknowledged_at: n.at, reply: n.reply }];
  }
}
