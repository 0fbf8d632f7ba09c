/**
 * Merging two copies of one record that reached the console by different roads.
 *
 * A record arrives both as the HTTP answer to this console's own action and as an event on the
 * party's stream, in either order. The stream can bring a later state before the HTTP answer to
 * an earlier write is handled: the coalition posts a message, city-police's console reads it at
 * once, and the "read" receipt event reaches the coalition's console before the answer to its
 * own POST, which still says "not yet delivered". Replacing the held copy with whichever came
 * last would step the record back in time, and no later event would ever correct it.
 *
 * So the console keeps the furthest-along state. That is well defined because every field
 * compared here only moves forward on the hub: a receipt time is set once and never cleared,
 * an alert goes from open to acknowledged or closed and only gains escalations, and a channel
 * member goes from invited to accepted or declined once. Merging is therefore commutative and
 * idempotent: any order of arrival ends in the same state (test/console.merge.test.ts).
 *
 * Kept free of the DOM so the tests can run it in Node.
 */

export interface ReceiptLike {
  party: string;
  delivered_at: string | null;
  read_at: string | null;
  acked_at: string | null;
  /** Set once, with the acknowledgement. */
  reply?: string | null;
  /** Set once, when the receiving party first let the deadline pass. */
  escalated_at?: string | null;
  /** Only rises while unacknowledged; cleared by the acknowledgement. */
  level?: 'watch_officer' | 'senior_officer' | 'party_admin' | 'overdue' | null;
  /** Set once, with the acknowledgement: its ledger entry, and who signed it (null: unsigned). */
  entry?: number | null;
  signed_by?: { username: string; key: string; entry: number } | null;
}

const LEVELS = ['watch_officer', 'senior_officer', 'party_admin', 'overdue'] as const;

/** The further of two escalation levels (null = none). */
const higher = (a: ReceiptLike['level'], b: ReceiptLike['level']): ReceiptLike['level'] =>
  (a ? LEVELS.indexOf(a) : -1) >= (b ? LEVELS.indexOf(b) : -1) ? (a ?? null) : (b ?? null);

/** The earlier of two set times (the hub's own; a copy the console filled in may be later). */
const first = (a: string | null, b: string | null): string | null =>
  a === null ? b : b === null ? a : a <= b ? a : b;

/** A message held and a copy of it: receipts merge per party, each time kept once known. */
export function mergeMessage<M extends { receipts: readonly ReceiptLike[] }>(held: M, next: M): M {
  const old = new Map(held.receipts.map((r) => [r.party, r]));
  return {
    ...next,
    receipts: next.receipts.map((r) => {
      const o = old.get(r.party);
      if (!o) return r;
      const acked_at = first(r.acked_at, o.acked_at);
      return {
        ...r,
        delivered_at: first(r.delivered_at, o.delivered_at),
        read_at: first(r.read_at, o.read_at),
        acked_at,
        ...((r.reply !== undefined || o.reply !== undefined) && { reply: r.reply ?? o.reply ?? null }),
        ...((r.escalated_at !== undefined || o.escalated_at !== undefined) && {
          escalated_at: first(r.escalated_at ?? null, o.escalated_at ?? null),
        }),
        ...((r.level !== undefined || o.level !== undefined) && {
          level: acked_at !== null ? null : higher(r.level, o.level),
        }),
        // A copy from before the acknowledgement must not make a signed one read "unsigned".
        ...((r.entry !== undefined || o.entry !== undefined) && { entry: r.entry ?? o.entry ?? null }),
        ...((r.signed_by !== undefined || o.signed_by !== undefined) && {
          signed_by: r.signed_by ?? o.signed_by ?? null,
        }),
      };
    }),
  };
}

/** What merging needs of an alert. */
interface AlertLike {
  status: 'open' | 'acknowledged' | 'closed';
  escalations: readonly unknown[];
  peers?: { party: string; acknowledged: boolean }[];
}

/** How far an alert has gone: answered beats open, then more escalations beat fewer. */
const stage = (a: AlertLike): number => (a.status === 'open' ? 0 : 1_000) + a.escalations.length;

/**
 * The further-along of two copies of an alert. An alert is acknowledged or closed, never both
 * (closing only touches open alerts), so two answered copies are the same state. The peers —
 * other parties' acknowledgements, present only on some answers — merge per party.
 */
export function mergeAlert<A extends AlertLike>(held: A, next: A): A {
  const base = stage(held) > stage(next) ? held : next;
  if (held.peers === undefined && next.peers === undefined) return base;
  const peers = new Map((held.peers ?? []).map((p) => [p.party, p]));
  for (const p of next.peers ?? [])
    if (p.acknowledged || !peers.get(p.party)?.acknowledged) peers.set(p.party, p);
  return { ...base, peers: [...peers.values()].sort((x, y) => x.party.localeCompare(y.party)) };
}

type Answer = 'accepted' | 'invited' | 'declined';

/**
 * Each member's answer to the invitation is kept once given; so is this party's own
 * (`my_status`), and the channel's state once it left `pending` (open and declined are final).
 */
export function mergeChannel<
  C extends {
    members: readonly { party: string; status: Answer }[];
    status: 'open' | 'pending' | 'declined';
    my_status: Answer | null;
  },
>(held: C, next: C): C {
  const answered = new Map(held.members.filter((m) => m.status !== 'invited').map((m) => [m.party, m]));
  return {
    ...next,
    members: next.members.map((m) => (m.status === 'invited' ? (answered.get(m.party) ?? m) : m)),
    status: next.status === 'pending' ? held.status : next.status,
    my_status:
      next.my_status === 'invited' && held.my_status !== null && held.my_status !== 'invited'
        ? held.my_status
        : next.my_status,
  };
}
