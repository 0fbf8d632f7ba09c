/**
 * The hotline (docs/design.md §5): persistent channels between two or more parties, created by one
 * party's admin and accepted by each other party's admin; messages with a precedence; delivery,
 * read and acknowledgement receipts per party. `flash` and `immediate` messages raise an alert
 * at each receiving party and escalate like any alert until acknowledged.
 *
 * Visibility: only the parties of a channel learn that it exists; only those that accepted read
 * its messages. A message may reference a declaration or a conflict the sender may see; each
 * receiving party gets the reference only if it may see it too, otherwise just that there was one.
 *
 * Receipts: a message is *delivered* to a party when one of its consoles received it (over the
 * stream) or its members listed it; *read* when a member marks the channel read up to it;
 * *acknowledged* when a member acknowledges it (required for flash and immediate).
 */
import type { ChannelView, MessageView, ReceiptView } from '../api/watch.ts';
import type { AlertRecord, ChannelRecord, MessageRecord, Precedence, Receipt } from '../domain/records.ts';
import type { Signed } from '../ledger/statement.ts';
import type { Tx } from '../store/ports.ts';
import { ACK_ROLES, actingParty, fail, type Principal } from './access.ts';
import type { Kernel, WriteCtx } from './kernel.ts';
import { newId } from './secrets.ts';
import { verifySigned } from './signatures.ts';
import { canSee, involves, withheldFrom } from './views.ts';
import { acknowledgeAlert, acknowledgementNotice, closeAlerts, LEVEL_NAMES, raiseAlert } from './watch.ts';

export interface ChannelInput {
  readonly name: string;
  /** The other parties invited. */
  readonly parties: readonly string[];
}

export interface MessageInput {
  readonly text: string;
  readonly precedence?: Precedence;
  readonly ref?: MessageRecord['ref'];
}

const NEEDS_ACK: readonly Precedence[] = ['flash', 'immediate'];

const at = (t: number): string => new Date(t).toISOString();
const iso = (t: number | null): string | null => (t === null ? null : at(t));

function channelView(c: ChannelRecord, viewer: string): ChannelView {
  return {
    id: c.id,
    name: c.name,
    created_at: at(c.created_at),
    created_by_party: c.created_by_party,
    members: c.members.map((m) => ({ party: m.party, status: m.status, at: at(m.at) })),
    status: channelState(c),
    my_status: c.members.find((m) => m.party === viewer)?.status ?? null,
  };
}

/**
 * The channel's own state, the same for every party of it: `open` once at least two parties
 * accepted (the creator accepts by creating), `declined` when every invited party declined (no
 * one can talk on it), `pending` while an invitation is unanswered.
 */
function channelState(c: ChannelRecord): ChannelView['status'] {
  if (c.members.filter((m) => m.status === 'accepted').length >= 2) return 'open';
  const invited = c.members.filter((m) => m.party !== c.created_by_party);
  return invited.every((m) => m.status === 'declined') ? 'declined' : 'pending';
}

function receiptView(r: Receipt): ReceiptView {
  return {
    party: r.party,
    delivered_at: iso(r.delivered_at),
    read_at: iso(r.read_at),
    acked_at: iso(r.acked_at),
    reply: r.reply ?? null,
    escalated_at: iso(r.escalated_at ?? null),
    level: r.level ? LEVEL_NAMES[r.level] : null,
    entry: r.entry ?? null,
    // A signed acknowledgement names its signer: that is what makes it undeniable.
    signed_by: r.key && r.entry && r.username ? { username: r.username, key: r.key, entry: r.entry } : null,
  };
}

/** The sender's own alert that a receiving party let a message's deadline pass. */
const unacknowledgedBy = (a: AlertRecord): string | undefined =>
  a.summary.unacknowledged_by as string | undefined;

async function refVisible(tx: Tx, ref: MessageRecord['ref'], party: string): Promise<boolean> {
  if (ref === null) return false;
  if (ref.type === 'declaration') {
    const d = await tx.declarations.current(ref.id);
    return d !== null && canSee(party, d.decl);
  }
  const c = await tx.conflicts.get(ref.id);
  return c !== null && involves(party, c) && !withheldFrom(c, party);
}

/**
 * A message as a party reads it. The sender's username is shown: a hotline is people talking
 * to people, and knowing who said it is the point (unlike who in a party filed a declaration).
 */
async function messageView(tx: Tx, m: MessageRecord, viewer: string): Promise<MessageView> {
  const ref =
    m.ref === null
      ? null
      : (await refVisible(tx, m.ref, viewer))
        ? { ...m.ref }
        : { type: m.ref.type, hidden: true as const };
  return {
    id: m.id,
    channel: m.channel,
    seq: m.seq,
    from: { party: m.party, username: m.username },
    precedence: m.precedence,
    requires_ack: NEEDS_ACK.includes(m.precedence),
    text: m.text,
    ref,
    at: at(m.at),
    receipts: m.receipts.map(receiptView),
  };
}

const accepted = (c: ChannelRecord): string[] =>
  c.members.filter((m) => m.status === 'accepted').map((m) => m.party);

export class Hotline {
  /** Messages already recorded as delivered to a party by this process (`party\nid`), bounded. */
  private readonly seen = new Set<string>();

  constructor(private readonly k: Kernel) {
    // A message's alert acknowledged at a receiving party: recorded in the message's receipts,
    // and the sender hears it (when, and the reply).
    k.onAcknowledged(
      'message',
      (ctx, a, reply) => this.acknowledged(ctx, a, reply),
      // Every party of the channel sees the receipts (with the reply): all may fetch the entry's.
      async (ctx, a) => {
        const m = await ctx.tx.messages.get(a.subject);
        if (!m || a.party === m.party || !m.receipts.some((x) => x.party === a.party)) return [];
        const c = await ctx.tx.channels.get(m.channel);
        return c ? accepted(c).filter((x) => x !== a.party) : [m.party];
      },
    );
    // A receiving party let the deadline pass: the receipt says so and the sender is alerted.
    k.onEscalated('message', (ctx, a) => this.escalated(ctx, a));
  }

  /**
   * A console of `party` received message `id` over the stream: record the delivery once (many
   * consoles of one party receive the same message; only the first needs a write).
   */
  deliveredOnce(party: string, id: string): void {
    const key = `${party}\n${id}`;
    if (this.seen.has(key)) return;
    if (this.seen.size >= 10_000) this.seen.clear();
    this.seen.add(key);
    this.delivered(party, [id]).catch(() => this.seen.delete(key));
  }

  /** A party admin opens a channel with other parties; they are invited until their admin accepts. */
  async create(p: Principal, input: ChannelInput) {
    const party = actingParty(p, 'party_admin');
    const { name } = input;
    const invited = [...new Set(input.parties)];
    if (invited.includes(party))
      fail('invalid_request', 'parties: the other parties, not your own', 'parties');
    return this.k.write(async (tx, ctx) => {
      for (const x of invited) if (!(await tx.parties.get(x))) fail('not_found', `no party ${x}`, 'parties');
      const c: ChannelRecord = {
        id: newId('ch'),
        name,
        created_at: ctx.now,
        created_by: p.username,
        created_by_party: party,
        members: [
          { party, status: 'accepted', at: ctx.now },
          ...invited.map((x) => ({ party: x, status: 'invited' as const, at: ctx.now })),
        ],
      };
      await tx.channels.insert(c);
      await ctx.log(p.username, party, 'channel.created', c.id, {
        name,
        parties: c.members.map((m) => m.party),
      });
      for (const m of c.members) await ctx.emit(m.party, 'channel.updated', channelView(c, m.party));
      return { result: channelView(c, party) };
    });
  }

  async accept(p: Principal, id: string) {
    return this.answer(p, id, 'accepted');
  }

  async decline(p: Principal, id: string) {
    return this.answer(p, id, 'declined');
  }

  private async answer(p: Principal, id: string, status: 'accepted' | 'declined') {
    const party = actingParty(p, 'party_admin');
    return this.k.write(async (tx, ctx) => {
      const c = await this.member(tx, id, party);
      const mine = c.members.find((m) => m.party === party);
      if (mine?.status !== 'invited')
        fail('channel_not_active', `your party has already ${mine?.status} channel ${id}`);
      const next: ChannelRecord = {
        ...c,
        members: c.members.map((m) => (m.party === party ? { party, status, at: ctx.now } : m)),
      };
      await tx.channels.update(next);
      await ctx.log(p.username, party, `channel.${status}`, id, {});
      for (const m of next.members) await ctx.emit(m.party, 'channel.updated', channelView(next, m.party));
      return { result: channelView(next, party) };
    });
  }

  /** The channel if the party is one of its members; otherwise it does not exist for it. */
  private async member(tx: Tx, id: string, party: string): Promise<ChannelRecord> {
    const c = await tx.channels.get(id);
    if (!c?.members.some((m) => m.party === party)) fail('not_found', `no channel ${id}`);
    return c;
  }

  private async acceptedMember(tx: Tx, id: string, party: string): Promise<ChannelRecord> {
    const c = await this.member(tx, id, party);
    if (!accepted(c).includes(party)) fail('channel_not_active', `your party has not accepted channel ${id}`);
    return c;
  }

  async list(p: Principal) {
    const party = actingParty(p);
    const list = await this.k.read((tx) => tx.channels.listFor(party));
    return list.map((c) => channelView(c, party));
  }

  async get(p: Principal, id: string) {
    const party = actingParty(p);
    return channelView(await this.k.read((tx) => this.member(tx, id, party)), party);
  }

  /** Messages after a channel sequence number; listing them delivers them to the party. */
  async messages(p: Principal, id: string, after: number, limit: number) {
    const party = actingParty(p);
    const n = Math.min(limit, 1000);
    const undelivered = await this.k.read(async (tx) => {
      await this.acceptedMember(tx, id, party);
      const list = await tx.messages.list(id, after, n);
      return list.filter((m) => m.receipts.some((r) => r.party === party && r.delivered_at === null));
    });
    // Record the delivery first, so that the answer already shows it.
    if (undelivered.length > 0)
      await this.delivered(
        party,
        undelivered.map((m) => m.id),
      );
    return this.k.read(async (tx) => {
      const views = [];
      for (const m of await tx.messages.list(id, after, n)) views.push(await messageView(tx, m, party));
      return views;
    });
  }

  async post(p: Principal, id: string, input: MessageInput) {
    const party = actingParty(p);
    const { text } = input;
    const precedence = input.precedence ?? 'routine';
    const ref = input.ref ?? null;
    return this.k.write(async (tx, ctx) => {
      const c = await this.acceptedMember(tx, id, party);
      const to = accepted(c).filter((x) => x !== party);
      if (to.length === 0) fail('channel_not_active', `no other party has accepted channel ${id} yet`);
      // A reference the sender may not see answers as one that does not exist.
      if (ref && !(await refVisible(tx, ref, party))) fail('not_found', `no ${ref.type} ${ref.id}`, 'ref');
      const m: MessageRecord = {
        id: newId('msg'),
        channel: id,
        seq: (await tx.messages.lastSeq(id)) + 1,
        party,
        username: p.username,
        precedence,
        text,
        ref,
        at: ctx.now,
        receipts: to.map((x) => ({ party: x, delivered_at: null, read_at: null, acked_at: null })),
      };
      await tx.messages.insert(m);
      await ctx.log(p.username, party, 'message.sent', m.id, {
        channel: id,
        seq: m.seq,
        precedence,
        text,
        ref,
      });
      for (const x of [party, ...to]) await ctx.emit(x, 'message.posted', await messageView(tx, m, x));
      if (NEEDS_ACK.includes(precedence)) {
        for (const x of to) {
          await raiseAlert(ctx, this.k.deadlines, {
            id: newId('al'),
            party: x,
            subject_type: 'message',
            subject: m.id,
            precedence,
            summary: { message: await messageView(tx, m, x) },
          });
        }
      }
      return { result: await messageView(tx, m, party) };
    });
  }

  /** Mark the channel read by the caller's party up to a sequence number. */
  async read(p: Principal, id: string, upTo: number, signed?: Signed) {
    const party = actingParty(p);
    return this.k.write(async (tx, ctx) => {
      const c = await this.acceptedMember(tx, id, party);
      const verified = await verifySigned(
        tx,
        p,
        signed,
        { act: 'message.read', subject: id, up_to: upTo },
        ctx.now,
      );
      const list = await tx.messages.list(id, 0, upTo);
      let marked = 0;
      for (const m of list) {
        const r = m.receipts.find((x) => x.party === party);
        if (!r || r.read_at !== null) continue;
        await this.setReceipt(ctx, m, party, { delivered_at: r.delivered_at ?? ctx.now, read_at: ctx.now });
        marked++;
      }
      // A signed reading is recorded even when nothing new was marked: the party says it read.
      if (marked > 0 || verified)
        await ctx.log(p.username, party, 'message.read', id, {
          up_to: upTo,
          audience: accepted(c).filter((x) => x !== party),
          ...(verified && { signed: verified.signed }),
        });
      return { result: { channel: id, read_up_to: upTo, marked } };
    });
  }

  /** Acknowledge a flash or immediate message: its alert at the caller's party. */
  async acknowledge(p: Principal, messageId: string, reply: string | null, signed?: Signed) {
    const party = actingParty(p, ...ACK_ROLES);
    return this.k.write(async (tx, ctx) => {
      const m = await tx.messages.get(messageId);
      const c = m && (await tx.channels.get(m.channel));
      if (!m || !c || !accepted(c).includes(party)) fail('not_found', `no message ${messageId}`);
      const alert = (await tx.alerts.forSubject('message', messageId)).find(
        (a) => a.party === party && unacknowledgedBy(a) === undefined,
      );
      if (!alert) fail('invalid_request', `message ${messageId} asks your party for no acknowledgement`);
      const verified = await verifySigned(
        tx,
        p,
        signed,
        { act: 'message.acknowledge', subject: messageId, reply },
        ctx.now,
      );
      await acknowledgeAlert(ctx, alert, p.username, reply, verified);
      return { result: await messageView(tx, (await tx.messages.get(messageId)) as MessageRecord, party) };
    });
  }

  /**
   * A party acknowledged a message's alert: the receipt records when and the reply, the sender's
   * party gets an `acknowledgement` event, and the sender's own alert that this party was late
   * (if one was raised) closes. The sender's own alert acknowledged changes no receipt.
   */
  private async acknowledged(ctx: WriteCtx, a: AlertRecord, reply: string | null): Promise<void> {
    const m = await ctx.tx.messages.get(a.subject);
    const r = m?.receipts.find((x) => x.party === a.party);
    if (!m || !r || a.party === m.party) return;
    await this.setReceipt(ctx, m, a.party, {
      delivered_at: r.delivered_at ?? ctx.now,
      read_at: r.read_at ?? ctx.now,
      acked_at: ctx.now,
      reply,
      level: null,
      entry: a.ack?.entry ?? null,
      key: a.ack?.key ?? null,
      username: a.ack?.username ?? null,
    });
    await ctx.emit(m.party, 'acknowledgement', acknowledgementNotice(ctx, a, reply));
    // The sender's alert that this party had not acknowledged in time is answered now.
    await closeAlerts(
      ctx,
      'message',
      m.id,
      'acknowledged',
      (late) => late.party === m.party && unacknowledgedBy(late) === a.party,
    );
  }

  /**
   * A receiving party's alert for a message moved a level up (its deadline passed): the receipt
   * records the level (every party of the channel sees it), and at the first missed deadline the
   * sender's party is alerted at the message's precedence — a pre-strike call nobody answered is
   * something the caller must act on (phone, another channel), not find out later.
   */
  private async escalated(ctx: WriteCtx, a: AlertRecord): Promise<void> {
    const m = await ctx.tx.messages.get(a.subject);
    const r = m?.receipts.find((x) => x.party === a.party);
    if (!m || !r || a.party === m.party || unacknowledgedBy(a) !== undefined) return;
    await this.setReceipt(ctx, m, a.party, { escalated_at: r.escalated_at ?? ctx.now, level: a.level });
    if (a.level !== 1) return;
    const c = await ctx.tx.channels.get(m.channel);
    if (!c || !accepted(c).includes(m.party)) return;
    const current = (await ctx.tx.messages.get(m.id)) as MessageRecord;
    await raiseAlert(ctx, this.k.deadlines, {
      id: newId('al'),
      party: m.party,
      subject_type: 'message',
      subject: m.id,
      precedence: m.precedence,
      summary: { message: await messageView(ctx.tx, current, m.party), unacknowledged_by: a.party },
    });
  }

  /** Record delivery of messages to a party (its console received them); once per message. */
  async delivered(party: string, messageIds: readonly string[]): Promise<void> {
    await this.k.write(async (tx, ctx) => {
      for (const id of messageIds) {
        const m = await tx.messages.get(id);
        const r = m?.receipts.find((x) => x.party === party);
        if (!m || !r || r.delivered_at !== null) continue;
        await this.setReceipt(ctx, m, party, { delivered_at: ctx.now });
        await ctx.log(null, party, 'message.delivered', id, {});
      }
      return { result: undefined };
    });
  }

  private async setReceipt(ctx: WriteCtx, m: MessageRecord, party: string, change: Partial<Receipt>) {
    const next: MessageRecord = {
      ...m,
      receipts: m.receipts.map((r) => (r.party === party ? { ...r, ...change } : r)),
    };
    await ctx.tx.messages.update(next);
    const c = (await ctx.tx.channels.get(m.channel)) as ChannelRecord;
    const notice = {
      message: m.id,
      channel: m.channel,
      seq: m.seq,
      receipts: next.receipts.map(receiptView),
    };
    for (const x of accepted(c)) await ctx.emit(x, 'message.receipt', notice);
  }
}
