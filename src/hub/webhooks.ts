/**
 * Outbound hooks: a party registers URLs of its own systems; every event of its stream is POSTed
 * to each of them, signed, retried with back-off, and failures are shown to its admin.
 *
 * Deliveries are an outbox: a delivery row is written in the same transaction as the event it
 * carries, so an event is never committed without its deliveries, and a crash loses none. The
 * worker sends at least once: a crash between a receiver's 2xx and the hub recording it sends
 * that delivery again, so receivers de-duplicate by `X-Deconflict-Delivery` (or by party + seq).
 *
 * Signature: `X-Deconflict-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`
 * with `X-Deconflict-Timestamp` (Unix seconds). Receivers recompute it, compare in constant time,
 * and refuse stale timestamps (replays). The secret is random (256 bits), shown once at creation.
 *
 * Addresses: a webhook may lead only to public addresses and to the networks the hub's operator
 * allows, checked at registration and again at each delivery, pinned against DNS rebinding; the
 * delivery log says what failed without internal detail (`egress.ts`).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { DeliveryView, WebhookView } from '../api/watch.ts';
import type { DeliveryRecord, WebhookRecord } from '../domain/records.ts';
import type { Tx } from '../store/ports.ts';
import { actingParty, fail, ownRecord, type Principal } from './access.ts';
import { EgressPolicy, hostOf, post, type Resolve, systemResolve, target } from './egress.ts';
import type { Kernel, WriteCtx } from './kernel.ts';
import { newId } from './secrets.ts';

/** Attempts before a delivery is given up as failed, and the first retry delay (then ×3 each). */
export const MAX_ATTEMPTS = 8;
export const FIRST_RETRY_MS = 10_000;
const TIMEOUT_MS = 10_000;
/** A delivery's lease: twice the send timeout and this (a send that overran it is sent again). */
const LEASE_MARGIN_MS = 5_000;
const MAX_WEBHOOKS = 10;
/** How long registration waits for a name to resolve before accepting it unchecked (delivery checks). */
const REGISTRATION_LOOKUP_MS = 5_000;

/** How the hub's operator configures outbound hooks (`deconflict serve --webhook-allow`). */
export interface WebhookOptions {
  /** Networks webhooks may lead to although they are not public: `10.20.0.0/16`, `fd12::/48`, ... */
  readonly allow?: readonly string[];
  /** How names are resolved (default: the system's resolver, as every program on the host). */
  readonly resolve?: Resolve;
  /** How long a delivery may take, resolution and connection included (default 10 s). */
  readonly timeout_ms?: number;
}

const at = (t: number): string => new Date(t).toISOString();
const iso = (t: number | null): string | null => (t === null ? null : at(t));

export function sign(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Delay before attempt n+1 after n failed attempts: 10 s, 30 s, 90 s, … (about 3 h over 8 attempts). */
export const retryDelay = (attempts: number): number => FIRST_RETRY_MS * 3 ** (attempts - 1);

function webhookView(w: WebhookRecord, failing: DeliveryRecord[] = []): WebhookView {
  return {
    id: w.id,
    url: w.url,
    created_at: at(w.created_at),
    disabled_at: iso(w.disabled_at),
    recent_failures: failing.length,
    ...(failing[0] && { last_error: failing[0].last_error }),
  };
}

function deliveryView(d: DeliveryRecord): DeliveryView {
  return {
    id: d.id,
    event_seq: d.event_seq,
    status: d.status,
    attempts: d.attempts,
    next_at: iso(d.next_at),
    last_status: d.last_status,
    last_error: d.last_error,
    created_at: at(d.created_at),
    delivered_at: iso(d.delivered_at),
  };
}

/** A party's enabled webhooks, read once per write (`memo` is the write's). */
function enabledHooks(tx: Tx, memo: Map<string, unknown>, party: string): Promise<WebhookRecord[]> {
  const key = `webhooks:${party}`;
  let hooks = memo.get(key) as Promise<WebhookRecord[]> | undefined;
  if (hooks === undefined) {
    hooks = tx.webhooks.listByParty(party).then((list) => list.filter((w) => w.disabled_at === null));
    memo.set(key, hooks);
  }
  return hooks;
}

/** An http(s) URL without credentials (the schema checked it is a URL of bounded length). */
function validUrl(v: string): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return fail('invalid_request', 'url: an http(s) URL', 'url');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    fail('invalid_request', 'url: an http(s) URL', 'url');
  if (u.username || u.password)
    fail('invalid_request', 'url: no credentials in the URL (the signature authenticates)', 'url');
  return u.toString();
}

export class Webhooks {
  /** Deliveries being sent by this process (never two sends of one delivery at once). */
  private readonly inFlight = new Set<string>();
  private policy = new EgressPolicy();
  private resolve: Resolve = systemResolve;
  private timeout_ms = TIMEOUT_MS;

  constructor(private readonly k: Kernel) {
    // The outbox: every stream event gets a delivery per enabled hook of its party, written in
    // the event's own transaction. A party's hooks are read once per write (a write that emits
    // never changes hooks: registering or disabling one is a write of its own that emits nothing).
    k.onEmit(async (ctx, e, memo) => {
      for (const w of await enabledHooks(ctx.tx, memo, e.party)) await this.outbox(ctx, w, e.seq);
    });
    // A shared event is in every party's stream: a delivery per enabled hook of every party,
    // each carrying the event's number in that party's stream (read only for parties with hooks).
    k.onEmitShared(async (ctx, _e, seqOf, memo) => {
      // Every enabled hook, read in one query once per write, by party.
      let byParty = memo.get('webhooks:enabled') as Promise<Map<string, WebhookRecord[]>> | undefined;
      if (byParty === undefined) {
        byParty = ctx.tx.webhooks.list().then((list) => {
          const out = new Map<string, WebhookRecord[]>();
          for (const w of list)
            if (w.disabled_at === null) out.set(w.party, [...(out.get(w.party) ?? []), w]);
          return out;
        });
        memo.set('webhooks:enabled', byParty);
      }
      for (const [party, hooks] of await byParty) {
        const seq = await seqOf(party);
        for (const w of hooks) await this.outbox(ctx, w, seq);
      }
    });
  }

  /** A pending delivery of event `seq` of the webhook's party, sent at once. */
  private async outbox(ctx: WriteCtx, w: WebhookRecord, seq: number): Promise<void> {
    await ctx.tx.deliveries.insert({
      id: newId('dl'),
      webhook: w.id,
      party: w.party,
      event_seq: seq,
      status: 'pending',
      attempts: 0,
      next_at: ctx.now,
      last_status: null,
      last_error: null,
      created_at: ctx.now,
      delivered_at: null,
    });
  }

  /**
   * Set what the operator allows (and, for tests, the resolver and the timeout). Called once when
   * the hub starts, before any delivery; a later call applies to the deliveries after it.
   *
   * @throws Error naming a network that does not parse.
   */
  configure(o: WebhookOptions): void {
    this.policy = new EgressPolicy(o.allow ?? []);
    this.resolve = o.resolve ?? systemResolve;
    this.timeout_ms = o.timeout_ms ?? TIMEOUT_MS;
  }

  /**
   * Refuse at registration a URL that leads where deliveries may not go: a literal address, or a
   * name whose addresses include one, as they resolve now. A name that does not resolve (yet) is
   * accepted: each delivery resolves and checks it again.
   */
  private async checkAddress(url: string): Promise<void> {
    const u = new URL(url);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((done) => {
      timer = setTimeout(() => done(null), REGISTRATION_LOOKUP_MS);
    });
    const t = await Promise.race([target(u, this.policy, this.resolve), late]).finally(() =>
      clearTimeout(timer),
    );
    if (t === null || t.ok || t.error !== 'address not allowed') return;
    const host = hostOf(u);
    const which = isIP(host) === 0 ? `${host} resolves to an address` : `${host} is an address`;
    fail(
      'address_not_allowed',
      `url: ${which} webhooks may not go to (${t.what ?? 'special-purpose'}); they go to public ` +
        "addresses, and to the networks the hub's operator allows (deconflict serve --webhook-allow)",
      'url',
    );
  }

  async create(p: Principal, input: { readonly url: string }) {
    const party = actingParty(p, 'party_admin');
    const url = validUrl(input.url);
    await this.checkAddress(url);
    return this.k.write(async (tx, ctx) => {
      const existing = (await tx.webhooks.listByParty(party)).filter((w) => w.disabled_at === null);
      if (existing.length >= MAX_WEBHOOKS)
        fail('invalid_request', `at most ${MAX_WEBHOOKS} webhooks per party`, 'url');
      const w: WebhookRecord = {
        id: newId('wh'),
        party,
        url,
        secret: randomBytes(32).toString('base64url'),
        created_at: ctx.now,
        created_by: p.username,
        disabled_at: null,
      };
      await tx.webhooks.insert(w);
      await ctx.log(p.username, party, 'webhook.created', w.id, { url });
      return { result: { ...webhookView(w), secret: w.secret } };
    });
  }

  async list(p: Principal) {
    const party = actingParty(p, 'party_admin');
    return this.k.read(async (tx) => {
      const out = [];
      for (const w of await tx.webhooks.listByParty(party)) {
        out.push(webhookView(w, await tx.deliveries.listByWebhook(w.id, 'failed', 100)));
      }
      return out;
    });
  }

  /** Stop sending to a webhook; its pending deliveries are dropped as failed. */
  async disable(p: Principal, id: string): Promise<void> {
    const party = actingParty(p, 'party_admin');
    await this.k.write(async (tx, ctx) => {
      const w = ownRecord(await tx.webhooks.get(id), party, 'webhook', id);
      if (w.disabled_at === null) {
        await tx.webhooks.update({ ...w, disabled_at: ctx.now });
        for (const d of await tx.deliveries.listByWebhook(id, 'pending', Number.MAX_SAFE_INTEGER)) {
          await tx.deliveries.update({
            ...d,
            status: 'failed',
            next_at: null,
            last_error: 'webhook disabled',
          });
        }
        await ctx.log(p.username, party, 'webhook.disabled', id, {});
      }
      return { result: undefined };
    });
  }

  async deliveries(p: Principal, id: string, status: DeliveryRecord['status'] | undefined, limit: number) {
    const party = actingParty(p, 'party_admin');
    return this.k.read(async (tx) => {
      ownRecord(await tx.webhooks.get(id), party, 'webhook', id);
      return (await tx.deliveries.listByWebhook(id, status, Math.min(limit, 1000))).map(deliveryView);
    });
  }

  async nextDue(): Promise<number | null> {
    return this.k.read((tx) => tx.deliveries.nextDue());
  }

  /** Send every delivery that is due; record each outcome. Returns the number attempted. */
  async deliverDue(limit = 50): Promise<number> {
    const now = this.k.clock.now();
    const due = await this.k.read((tx) => tx.deliveries.due(now, limit));
    const candidates = due.filter((d) => !this.inFlight.has(d.id));
    if (candidates.length === 0) return 0;
    const work = await this.claim(candidates);
    await Promise.all(work.map((d) => this.send(d)));
    return work.length;
  }

  /**
   * Take a lease on deliveries before sending them: under the writers' lock, each still pending
   * and due has its next attempt moved past the longest a send can take. Another instance (or
   * this one) finds it not due until then, so a delivery is sent once across instances; if the
   * instance sending it dies, the lease runs out and another sends it (the receiver may then see
   * it twice, with the same `X-Deconflict-Delivery` id: at-least-once where a crash leaves no
   * other way). The outcome's record replaces the lease.
   */
  private claim(ds: readonly DeliveryRecord[]): Promise<DeliveryRecord[]> {
    return this.k.write(async (tx, ctx) => {
      const mine: DeliveryRecord[] = [];
      for (const d of ds) {
        const cur = await tx.deliveries.get(d.id);
        if (cur?.status !== 'pending' || cur.next_at === null || cur.next_at > ctx.now) continue;
        const held: DeliveryRecord = { ...cur, next_at: ctx.now + 2 * this.timeout_ms + LEASE_MARGIN_MS };
        await tx.deliveries.update(held);
        mine.push(held);
      }
      return { result: mine };
    });
  }

  private async send(d: DeliveryRecord): Promise<void> {
    this.inFlight.add(d.id);
    try {
      const { w, e } = await this.k.read(async (tx) => ({
        w: await tx.webhooks.get(d.webhook),
        e: await tx.events.get(d.party, d.event_seq),
      }));
      if (!w || !e) {
        await this.record(d, null, 'the webhook or its event no longer exists', true);
        return;
      }
      const body = JSON.stringify({ party: e.party, seq: e.seq, type: e.type, at: iso(e.at), data: e.data });
      const timestamp = Math.floor(this.k.clock.now() / 1000);
      const outcome = await post(
        w.url,
        {
          'content-type': 'application/json',
          'user-agent': 'deconflict-webhook',
          'x-deconflict-delivery': d.id,
          'x-deconflict-event': e.type,
          'x-deconflict-timestamp': String(timestamp),
          'x-deconflict-signature': sign(w.secret, timestamp, body),
        },
        body,
        this.policy,
        this.resolve,
        this.timeout_ms,
      );
      const status = outcome.status;
      const error =
        outcome.error ?? (status !== null && (status < 200 || status >= 300) ? `HTTP ${status}` : null);
      await this.record(d, status, error, false);
    } finally {
      this.inFlight.delete(d.id);
    }
  }

  /** Record an attempt's outcome: delivered, retry later, or failed (out of attempts, or `final`). */
  private async record(d: DeliveryRecord, status: number | null, error: string | null, final: boolean) {
    await this.k.write(async (tx, ctx) => {
      const cur = await tx.deliveries.get(d.id);
      if (cur?.status !== 'pending') return { result: undefined };
      const attempts = cur.attempts + 1;
      const next: DeliveryRecord =
        error === null
          ? {
              ...cur,
              attempts,
              status: 'delivered',
              next_at: null,
              last_status: status,
              last_error: null,
              delivered_at: ctx.now,
            }
          : final || attempts >= MAX_ATTEMPTS
            ? { ...cur, attempts, status: 'failed', next_at: null, last_status: status, last_error: error }
            : {
                ...cur,
                attempts,
                next_at: ctx.now + retryDelay(attempts),
                last_status: status,
                last_error: error,
              };
      await tx.deliveries.update(next);
      if (next.status === 'failed')
        await ctx.log(null, d.party, 'webhook.delivery_failed', d.id, { webhook: d.webhook, error });
      return { result: undefined };
    });
  }
}
