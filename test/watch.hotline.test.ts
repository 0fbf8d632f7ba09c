/**
 * The hotline (docs/design.md §5) through `app.inject()` on a real hub (SQLite in a temporary directory,
 * the demo parties and accounts, a manual clock): channels between parties (invitation,
 * acceptance, who may see them), messages and their per-party receipts (delivered, read,
 * acknowledged), flash and immediate messages raising alerts that escalate like any other,
 * references to declarations and conflicts (never leaked to a party that may not see them), and
 * the ledger entries all of this leaves.
 *
 * Declarations of this file lie far from the demo's river (longitudes 24–25 E), each test in its
 * own square, so that they meet only what they mean to meet.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type {
  AlertView,
  ChannelView,
  MessageView,
  ReceiptView,
  EventView as WireEvent,
} from '../src/api/watch.ts';

/** A stream event as tests read it: the wire's, its data a JSON object. */
type EventView = Omit<WireEvent, 'data'> & { data: Json };

import { assertError, ok, sessions, startHub, type TestHub } from './support/hub.ts';
import { own } from './support/ids.ts';
import { iso, MIN } from './support/time.ts';

type Json = Record<string, unknown>;

function receipt(m: MessageView, party: string): ReceiptView {
  const r = m.receipts.find((x) => x.party === party);
  assert.ok(r, `no receipt for ${party} in ${JSON.stringify(m.receipts)}`);
  return r;
}

describe('hotline', () => {
  let t: TestHub;
  /** Requests as demo accounts (one login each). */
  const { as, req } = sessions(() => t);

  /** A channel opened by `creator`'s admin with `invited`; the parties in `accepting` accept. */
  async function channel(creator: string, invited: string[], accepting: string[] = invited): Promise<string> {
    const c = ok<ChannelView>(
      await req(`${creator}.admin`, 'POST', '/api/v1/channels', {
        name: `ops ${invited.join(' ')}`,
        parties: invited,
      }),
      201,
    );
    for (const p of accepting) ok(await req(`${p}.admin`, 'POST', `/api/v1/channels/${c.id}/accept`));
    return c.id;
  }
  const post = async (username: string, ch: string, body: Json) =>
    req(username, 'POST', `/api/v1/channels/${ch}/messages`, body);
  const messages = async (username: string, ch: string): Promise<MessageView[]> =>
    ok<{ messages: MessageView[] }>(await req(username, 'GET', `/api/v1/channels/${ch}/messages`)).messages;
  const head = async (username: string): Promise<number> =>
    ok<{ head: number }>(await req(username, 'GET', '/api/v1/events')).head;
  const eventsAfter = async (username: string, after: number): Promise<EventView[]> =>
    ok<{ events: EventView[] }>(await req(username, 'GET', `/api/v1/events?after=${after}`)).events;
  const alertsAbout = async (username: string, subject: string): Promise<AlertView[]> =>
    ok<{ alerts: AlertView[] }>(await req(username, 'GET', '/api/v1/alerts')).alerts.filter(
      (a) => a.subject === subject,
    );
  const lastSeq = (ch: string) => t.store.read((tx) => tx.messages.lastSeq(ch));
  const ledger = () => t.store.read((tx) => tx.ledger.range(1, 1e6));

  before(async () => {
    t = await startHub();
  });
  after(async () => {
    await t.close();
  });

  describe('channels', () => {
    it('is created by a party admin; the invited party sees it as invited and accepts it', async () => {
      const created = ok<ChannelView>(
        await req('coalition.admin', 'POST', '/api/v1/channels', {
          name: 'bridge crossing',
          parties: ['northern-forces'],
        }),
        201,
      );
      assert.equal(created.name, 'bridge crossing');
      assert.equal(created.created_by_party, 'coalition');
      // `status` is the channel's (waiting for northern-forces), `my_status` the caller's answer.
      assert.equal(created.status, 'pending');
      assert.equal(created.my_status, 'accepted');
      assert.deepEqual(
        created.members.map((m) => [m.party, m.status]),
        [
          ['coalition', 'accepted'],
          ['northern-forces', 'invited'],
        ],
      );

      const listed = ok<{ channels: ChannelView[] }>(
        await req('northern-forces.watch', 'GET', '/api/v1/channels'),
      ).channels.find((c) => c.id === created.id);
      assert.ok(listed, 'the invited party lists the channel');
      assert.equal(listed.status, 'pending');
      assert.equal(listed.my_status, 'invited');

      const accepted = ok<ChannelView>(
        await req('northern-forces.admin', 'POST', `/api/v1/channels/${created.id}/accept`),
      );
      assert.equal(accepted.status, 'open');
      assert.equal(accepted.my_status, 'accepted');
      const seen = ok<ChannelView>(await req('coalition.operator', 'GET', `/api/v1/channels/${created.id}`));
      assert.equal(seen.status, 'open', 'the same state for every party of the channel');
      assert.equal(seen.my_status, 'accepted');
      assert.deepEqual(
        seen.members.map((m) => [m.party, m.status]),
        [
          ['coalition', 'accepted'],
          ['northern-forces', 'accepted'],
        ],
      );
    });

    it('does not exist for a party outside it: 404 for GET, accept and messages, absent from its list', async () => {
      const ch = await channel('coalition', ['northern-forces']);
      assertError(await req('relief-agency.admin', 'GET', `/api/v1/channels/${ch}`), 404, 'not_found');
      assertError(
        await req('relief-agency.admin', 'POST', `/api/v1/channels/${ch}/accept`),
        404,
        'not_found',
      );
      assertError(
        await req('relief-agency.watch', 'GET', `/api/v1/channels/${ch}/messages`),
        404,
        'not_found',
      );
      assertError(
        await post('relief-agency.watch', ch, { text: 'hello?', precedence: 'routine' }),
        404,
        'not_found',
      );
      const list = ok<{ channels: ChannelView[] }>(
        await req('relief-agency.admin', 'GET', '/api/v1/channels'),
      );
      assert.ok(!list.channels.some((c) => c.id === ch));
    });

    it('is created and accepted by party admins only (403 otherwise)', async () => {
      assertError(
        await req('coalition.operator', 'POST', '/api/v1/channels', { name: 'x', parties: ['city-police'] }),
        403,
        'forbidden',
      );
      assertError(
        await req('coalition.senior', 'POST', '/api/v1/channels', { name: 'x', parties: ['city-police'] }),
        403,
        'forbidden',
      );
      assertError(
        await req('hub.admin', 'POST', '/api/v1/channels', { name: 'x', parties: ['city-police'] }),
        403,
        'forbidden',
      );
      const ch = await channel('coalition', ['city-police'], []);
      for (const who of ['city-police.watch', 'city-police.senior', 'city-police.operator']) {
        assertError(await req(who, 'POST', `/api/v1/channels/${ch}/accept`), 403, 'forbidden');
        assertError(await req(who, 'POST', `/api/v1/channels/${ch}/decline`), 403, 'forbidden');
      }
      const still = ok<ChannelView>(await req('city-police.admin', 'GET', `/api/v1/channels/${ch}`));
      assert.equal(still.my_status, 'invited');
      assert.equal(still.status, 'pending');
    });

    it('refuses a bad request with 400 invalid_request naming the field, an unknown party with 404', async () => {
      const create = (body: unknown) => req('coalition.admin', 'POST', '/api/v1/channels', body);
      assertError(await create({ name: '', parties: ['city-police'] }), 400, 'invalid_request', 'name');
      assertError(await create({ name: '   ', parties: ['city-police'] }), 400, 'invalid_request', 'name');
      assertError(await create({ parties: ['city-police'] }), 400, 'invalid_request', 'name');
      assertError(
        await create({ name: 'x'.repeat(101), parties: ['city-police'] }),
        400,
        'invalid_request',
        'name',
      );
      assertError(await create({ name: 'x', parties: [] }), 400, 'invalid_request', 'parties');
      assertError(await create({ name: 'x', parties: 'city-police' }), 400, 'invalid_request', 'parties');
      assertError(await create({ name: 'x', parties: [42] }), 400, 'invalid_request', 'parties');
      assertError(
        await create({ name: 'x', parties: ['city-police', 'coalition'] }),
        400,
        'invalid_request',
        'parties',
      );
      assertError(await create({ name: 'x', parties: ['no-such-party'] }), 404, 'not_found', 'parties');
      // Fifteen other parties pass the size check (and meet the unknown ones); sixteen do not.
      const names = (n: number) => Array.from({ length: n }, (_, i) => `ghost-${i}`);
      assertError(await create({ name: 'x', parties: names(15) }), 404, 'not_found', 'parties');
      assertError(await create({ name: 'x', parties: names(16) }), 400, 'invalid_request', 'parties');
      const list = ok<{ channels: ChannelView[] }>(await req('coalition.admin', 'GET', '/api/v1/channels'));
      assert.ok(!list.channels.some((c) => c.name === 'x'), 'no refused channel was stored');
    });

    it('is accepted once: accepting or declining again is 409 channel_not_active', async () => {
      const ch = await channel('coalition', ['northern-forces']);
      assertError(
        await req('northern-forces.admin', 'POST', `/api/v1/channels/${ch}/accept`),
        409,
        'channel_not_active',
      );
      assertError(
        await req('northern-forces.admin', 'POST', `/api/v1/channels/${ch}/decline`),
        409,
        'channel_not_active',
      );
      // The creator's party accepted at creation.
      assertError(
        await req('coalition.admin', 'POST', `/api/v1/channels/${ch}/accept`),
        409,
        'channel_not_active',
      );
    });

    it('takes no message before another party accepted (409), and none after the only invitee declined', async () => {
      const ch = await channel('coalition', ['relief-agency'], []);
      assertError(
        await post('coalition.watch', ch, { text: 'anyone?', precedence: 'routine' }),
        409,
        'channel_not_active',
      );
      const declined = ok<ChannelView>(
        await req('relief-agency.admin', 'POST', `/api/v1/channels/${ch}/decline`),
      );
      assert.equal(declined.status, 'declined');
      assert.equal(declined.my_status, 'declined');
      const creator = ok<ChannelView>(await req('coalition.admin', 'GET', `/api/v1/channels/${ch}`));
      assert.deepEqual([creator.status, creator.my_status], ['declined', 'accepted']);
      assertError(
        await post('coalition.watch', ch, { text: 'anyone?', precedence: 'routine' }),
        409,
        'channel_not_active',
      );
      assertError(
        await req('relief-agency.admin', 'POST', `/api/v1/channels/${ch}/accept`),
        409,
        'channel_not_active',
      );
      assert.equal(await lastSeq(ch), 0);
    });

    it("says the channel's state, the same for every party, apart from each party's own answer", async () => {
      const ch = await channel('coalition', ['relief-agency', 'city-police'], []);
      const seen = async () =>
        Object.fromEntries(
          await Promise.all(
            ['coalition', 'relief-agency', 'city-police'].map(async (party) => {
              const c = ok<ChannelView>(await req(`${party}.admin`, 'GET', `/api/v1/channels/${ch}`));
              return [party, [c.status, c.my_status]];
            }),
          ),
        );
      assert.deepEqual(await seen(), {
        coalition: ['pending', 'accepted'],
        'relief-agency': ['pending', 'invited'],
        'city-police': ['pending', 'invited'],
      });
      ok(await req('relief-agency.admin', 'POST', `/api/v1/channels/${ch}/decline`));
      assert.deepEqual(await seen(), {
        coalition: ['pending', 'accepted'],
        'relief-agency': ['pending', 'declined'],
        'city-police': ['pending', 'invited'],
      });
      ok(await req('city-police.admin', 'POST', `/api/v1/channels/${ch}/accept`));
      assert.deepEqual(await seen(), {
        coalition: ['open', 'accepted'],
        'relief-agency': ['open', 'declined'],
        'city-police': ['open', 'accepted'],
      });
    });

    it('keeps its messages from a party that is only invited (409), until its admin accepts', async () => {
      const ch = await channel('coalition', ['northern-forces', 'city-police'], ['northern-forces']);
      ok(await post('coalition.watch', ch, { text: 'convoy at 0900', precedence: 'routine' }), 201);
      assertError(
        await req('city-police.watch', 'GET', `/api/v1/channels/${ch}/messages`),
        409,
        'channel_not_active',
      );
      assertError(
        await post('city-police.watch', ch, { text: 'hello', precedence: 'routine' }),
        409,
        'channel_not_active',
      );
      assertError(
        await req('city-police.watch', 'POST', `/api/v1/channels/${ch}/read`, { seq: 1 }),
        409,
        'channel_not_active',
      );
      // The message went only to the parties that had accepted when it was sent.
      const [m] = await messages('northern-forces.watch', ch);
      assert.ok(m);
      assert.deepEqual(
        m.receipts.map((r) => r.party),
        ['northern-forces'],
      );
      ok(await req('city-police.admin', 'POST', `/api/v1/channels/${ch}/accept`));
      assert.equal((await messages('city-police.watch', ch)).length, 1);
    });
  });

  describe('messages', () => {
    it('numbers messages per channel from 1, and shows who sent them', async () => {
      const a = await channel('coalition', ['northern-forces']);
      const b = await channel('coalition', ['city-police']);
      const m1 = ok<MessageView>(
        await post('coalition.watch', a, { text: 'one', precedence: 'routine' }),
        201,
      );
      const m2 = ok<MessageView>(
        await post('northern-forces.watch', a, { text: 'two', precedence: 'priority' }),
        201,
      );
      const n1 = ok<MessageView>(await post('coalition.operator', b, { text: 'other channel' }), 201);
      const m3 = ok<MessageView>(
        await post('coalition.senior', a, { text: 'three', precedence: 'routine' }),
        201,
      );
      assert.deepEqual([m1.seq, m2.seq, m3.seq, n1.seq], [1, 2, 3, 1]);
      assert.deepEqual(m2.from, { party: 'northern-forces', username: 'northern-forces.watch' });
      assert.equal(n1.precedence, 'routine', 'routine unless said otherwise');
      assert.equal(m1.requires_ack, false);
      const list = await messages('coalition.watch', a);
      assert.deepEqual(
        list.map((m) => [m.seq, m.text, m.from.party]),
        [
          [1, 'one', 'coalition'],
          [2, 'two', 'northern-forces'],
          [3, 'three', 'coalition'],
        ],
      );
      const tail = ok<{ messages: MessageView[] }>(
        await req('coalition.watch', 'GET', `/api/v1/channels/${a}/messages?after=1`),
      ).messages;
      assert.deepEqual(
        tail.map((m) => m.seq),
        [2, 3],
      );
    });

    it('is delivered to a party when its members list it, per party, and the sender learns it', async () => {
      const ch = await channel('coalition', ['northern-forces', 'relief-agency']);
      t.clock.advance(MIN);
      const sentAt = t.clock.now();
      const sent = ok<MessageView>(
        await post('coalition.watch', ch, { text: 'moving east at 1000', precedence: 'routine' }),
        201,
      );
      assert.equal(sent.at, iso(sentAt));
      assert.deepEqual(
        sent.receipts,
        ['northern-forces', 'relief-agency'].map((party) => ({
          party,
          delivered_at: null,
          read_at: null,
          acked_at: null,
          reply: null,
          escalated_at: null,
          level: null,
          entry: null,
          signed_by: null,
        })),
      );

      const senderHead = await head('coalition.watch');
      t.clock.advance(MIN);
      const deliveredAt = t.clock.now();
      const got = await messages('northern-forces.watch', ch);
      assert.deepEqual(
        got.map((m) => m.id),
        [sent.id],
      );

      const seen = await messages('coalition.watch', ch);
      const m = seen[0];
      assert.ok(m);
      assert.equal(receipt(m, 'northern-forces').delivered_at, iso(deliveredAt));
      assert.equal(receipt(m, 'northern-forces').read_at, null);
      assert.equal(receipt(m, 'relief-agency').delivered_at, null, 'relief-agency has not listed it');

      const notices = (await eventsAfter('coalition.watch', senderHead)).filter(
        (e) => e.type === 'message.receipt',
      );
      assert.equal(notices.length, 1, JSON.stringify(notices));
      assert.equal(notices[0]?.data.message, sent.id);
      assert.deepEqual(
        ((notices[0] as EventView).data.receipts as ReceiptView[]).map((r) => [r.party, r.delivered_at]),
        [
          ['northern-forces', iso(deliveredAt)],
          ['relief-agency', null],
        ],
      );

      // Listing again records nothing more.
      t.clock.advance(MIN);
      await messages('northern-forces.watch', ch);
      const again = (await messages('coalition.watch', ch))[0];
      assert.ok(again);
      assert.equal(receipt(again, 'northern-forces').delivered_at, iso(deliveredAt));
      const more = (await eventsAfter('coalition.watch', senderHead)).filter(
        (e) => e.type === 'message.receipt',
      );
      assert.equal(more.length, 1, 'no second receipt event');
    });

    it('is marked read per party up to a sequence number', async () => {
      const ch = await channel('coalition', ['northern-forces', 'relief-agency']);
      const sent: MessageView[] = [];
      for (const text of ['a', 'b', 'c']) {
        sent.push(ok<MessageView>(await post('coalition.watch', ch, { text, precedence: 'routine' }), 201));
      }
      t.clock.advance(MIN);
      const firstRead = t.clock.now();
      const r1 = ok<Json>(
        await req('northern-forces.watch', 'POST', `/api/v1/channels/${ch}/read`, { seq: 2 }),
      );
      assert.deepEqual(r1, { channel: ch, read_up_to: 2, marked: 2 });

      t.clock.advance(MIN);
      const secondRead = t.clock.now();
      ok(await req('relief-agency.operator', 'POST', `/api/v1/channels/${ch}/read`, { seq: 3 }));
      // Reading again up to the same point marks nothing.
      const r2 = ok<Json>(
        await req('northern-forces.watch', 'POST', `/api/v1/channels/${ch}/read`, { seq: 2 }),
      );
      assert.equal(r2.marked, 0);

      const list = await messages('coalition.watch', ch);
      assert.deepEqual(
        list.map((m) => [receipt(m, 'northern-forces').read_at, receipt(m, 'relief-agency').read_at]),
        [
          [iso(firstRead), iso(secondRead)],
          [iso(firstRead), iso(secondRead)],
          [null, iso(secondRead)],
        ],
      );
      // Reading implies delivery.
      assert.equal(receipt(list[0] as MessageView, 'relief-agency').delivered_at, iso(secondRead));

      for (const seq of [0, -1, 1.5, '2', null]) {
        assertError(
          await req('northern-forces.watch', 'POST', `/api/v1/channels/${ch}/read`, { seq }),
          400,
          'invalid_request',
          'seq',
        );
      }
    });

    it('refuses empty and over-long text, and an unknown precedence (400 invalid_request)', async () => {
      const ch = await channel('coalition', ['northern-forces']);
      assertError(
        await post('coalition.watch', ch, { text: '', precedence: 'routine' }),
        400,
        'invalid_request',
        'text',
      );
      assertError(
        await post('coalition.watch', ch, { text: ' \n ', precedence: 'routine' }),
        400,
        'invalid_request',
        'text',
      );
      assertError(
        await post('coalition.watch', ch, { precedence: 'routine' }),
        400,
        'invalid_request',
        'text',
      );
      assertError(
        await post('coalition.watch', ch, { text: 'x'.repeat(4001), precedence: 'routine' }),
        400,
        'invalid_request',
        'text',
      );
      assertError(
        await post('coalition.watch', ch, { text: 'hi', precedence: 'urgent' }),
        400,
        'invalid_request',
        'precedence',
      );
      assertError(
        await post('coalition.watch', ch, { text: 'hi', precedence: 1 }),
        400,
        'invalid_request',
        'precedence',
      );
      assert.equal(await lastSeq(ch), 0, 'nothing was stored');
      const longest = ok<MessageView>(
        await post('coalition.watch', ch, { text: 'x'.repeat(4000), precedence: 'routine' }),
        201,
      );
      assert.equal(longest.text.length, 4000);
    });
  });

  describe('flash and immediate messages', () => {
    it('raise an alert at each receiving party, which escalates, and the acknowledgement reaches the sender', async () => {
      const ch = await channel('coalition', ['northern-forces', 'relief-agency']);
      const senderHead = await head('coalition.watch');
      const sentAt = t.clock.now();
      const m = ok<MessageView>(
        await post('coalition.senior', ch, { text: 'HOLD FIRE grid 34T', precedence: 'flash' }),
        201,
      );
      assert.equal(m.requires_ack, true);

      for (const party of ['northern-forces', 'relief-agency']) {
        const alerts = await alertsAbout(`${party}.watch`, m.id);
        assert.equal(alerts.length, 1, `${party}: ${JSON.stringify(alerts)}`);
        const a = alerts[0] as AlertView;
        assert.equal(a.subject_type, 'message');
        assert.equal(a.precedence, 'flash');
        assert.equal(a.status, 'open');
        assert.equal(a.level, 'watch_officer');
        assert.deepEqual(a.to, [`${party}.watch`]);
        assert.equal(a.due_at, iso(sentAt + 5 * MIN));
        assert.equal((a.summary.message as MessageView).text, 'HOLD FIRE grid 34T');
      }
      assert.deepEqual(await alertsAbout('coalition.watch', m.id), [], 'the sender is not alerted yet');

      // Not before its deadline; at it, to the senior officer on call.
      t.clock.advance(5 * MIN - 1);
      await t.hub.runDue();
      assert.equal((await alertsAbout('northern-forces.watch', m.id))[0]?.level, 'watch_officer');
      t.clock.advance(1);
      await t.hub.runDue();
      for (const party of ['northern-forces', 'relief-agency']) {
        const a = (await alertsAbout(`${party}.watch`, m.id))[0];
        assert.equal(a?.level, 'senior_officer');
        assert.deepEqual(a?.to, [`${party}.senior`]);
      }
      // The sender is told that each receiving party let the deadline pass: the receipts say so,
      // and its own watch gets an alert per late party (a pre-strike call nobody answered).
      const lateAt = sentAt + 5 * MIN;
      const [late] = await messages('coalition.watch', ch);
      for (const party of ['northern-forces', 'relief-agency']) {
        assert.equal(receipt(late as MessageView, party).escalated_at, iso(lateAt));
        assert.equal(receipt(late as MessageView, party).level, 'senior_officer');
      }
      const senderAlerts = await alertsAbout('coalition.watch', m.id);
      assert.deepEqual(
        senderAlerts.map((a) => [a.summary.unacknowledged_by, a.precedence, a.status]).sort(),
        [
          ['northern-forces', 'flash', 'open'],
          ['relief-agency', 'flash', 'open'],
        ],
      );
      assert.deepEqual(senderAlerts[0]?.to, ['coalition.watch']);

      t.clock.advance(MIN);
      const ackAt = t.clock.now();
      const acked = ok<MessageView>(
        await req('northern-forces.senior', 'POST', `/api/v1/messages/${m.id}/ack`, { reply: 'wilco' }),
      );
      assert.equal(receipt(acked, 'northern-forces').acked_at, iso(ackAt));
      assert.equal(receipt(acked, 'northern-forces').read_at, iso(ackAt), 'acknowledging reads it');
      assert.equal(receipt(acked, 'northern-forces').delivered_at, iso(ackAt));
      assert.equal(receipt(acked, 'relief-agency').acked_at, null);

      const northern = (await alertsAbout('northern-forces.watch', m.id))[0];
      assert.equal(northern?.status, 'acknowledged');
      const { entry, ...ack } = northern?.ack ?? { entry: null };
      assert.deepEqual(ack, {
        username: 'northern-forces.senior',
        at: iso(ackAt),
        reply: 'wilco',
        signed_by: null,
      });
      assert.ok(Number.isInteger(entry), 'the acknowledgement names its ledger entry (its receipt)');
      assert.equal((await alertsAbout('relief-agency.watch', m.id))[0]?.status, 'open');

      // The sender sees the acknowledgement, over the stream and in the channel.
      const notices = (await eventsAfter('coalition.watch', senderHead)).filter(
        (e) => e.type === 'message.receipt' && e.data.message === m.id,
      );
      const last = notices[notices.length - 1];
      assert.ok(last, 'a receipt event reached the sender');
      assert.equal(
        (last.data.receipts as ReceiptView[]).find((r) => r.party === 'northern-forces')?.acked_at,
        iso(ackAt),
      );
      const [listed] = await messages('coalition.watch', ch);
      assert.equal(receipt(listed as MessageView, 'northern-forces').acked_at, iso(ackAt));
      assert.equal(receipt(listed as MessageView, 'northern-forces').reply, 'wilco');
      assert.equal(receipt(listed as MessageView, 'northern-forces').level, null);
      // ...and as an acknowledgement event with the reply (the party, not who in it).
      const acks = (await eventsAfter('coalition.watch', senderHead)).filter(
        (e) => e.type === 'acknowledgement' && e.data.subject === m.id,
      );
      assert.deepEqual(
        acks.map((e) => e.data),
        [
          {
            subject_type: 'message',
            subject: m.id,
            party: 'northern-forces',
            at: iso(ackAt),
            reply: 'wilco',
          },
        ],
      );
      // The sender's alert about northern-forces closes; the one about relief-agency stays open.
      const after = await alertsAbout('coalition.watch', m.id);
      assert.deepEqual(after.map((a) => [a.summary.unacknowledged_by, a.status, a.closed_reason]).sort(), [
        ['northern-forces', 'closed', 'acknowledged'],
        ['relief-agency', 'open', null],
      ]);

      assertError(
        await req('northern-forces.watch', 'POST', `/api/v1/messages/${m.id}/ack`, {}),
        409,
        'already_acknowledged',
      );
      // The sending party has nothing to acknowledge; a party outside the channel no message.
      assertError(
        await req('coalition.watch', 'POST', `/api/v1/messages/${m.id}/ack`, {}),
        400,
        'invalid_request',
      );
      assertError(
        await req('city-police.watch', 'POST', `/api/v1/messages/${m.id}/ack`, {}),
        404,
        'not_found',
      );
      assertError(
        await req('relief-agency.operator', 'POST', `/api/v1/messages/${m.id}/ack`, {}),
        403,
        'forbidden',
      );
    });

    it('immediate: an alert with the immediate deadline (15 min), acknowledged by the watch officer', async () => {
      const ch = await channel('northern-forces', ['city-police']);
      const sentAt = t.clock.now();
      const m = ok<MessageView>(
        await post('northern-forces.watch', ch, { text: 'checkpoint moved', precedence: 'immediate' }),
        201,
      );
      const [a] = await alertsAbout('city-police.watch', m.id);
      assert.equal(a?.precedence, 'immediate');
      assert.equal(a?.due_at, iso(sentAt + 15 * MIN));
      const acked = ok<MessageView>(await req('city-police.watch', 'POST', `/api/v1/messages/${m.id}/ack`));
      assert.equal(receipt(acked, 'city-police').acked_at, iso(t.clock.now()));
      assert.equal((await alertsAbout('city-police.watch', m.id))[0]?.status, 'acknowledged');
    });

    it('routine and priority messages raise no alert and cannot be acknowledged (400)', async () => {
      const ch = await channel('coalition', ['northern-forces']);
      for (const precedence of ['routine', 'priority']) {
        const m = ok<MessageView>(
          await post('coalition.watch', ch, { text: `fyi ${precedence}`, precedence }),
          201,
        );
        assert.equal(m.requires_ack, false);
        assert.deepEqual(await alertsAbout('northern-forces.watch', m.id), []);
        assertError(
          await req('northern-forces.watch', 'POST', `/api/v1/messages/${m.id}/ack`, { reply: 'ok' }),
          400,
          'invalid_request',
        );
      }
    });
  });

  describe('references', () => {
    /** A declaration of `party` around (lon, lat), submitted by its operator. */
    async function declare(party: string, props: Json, lon: number, lat: number): Promise<Json> {
      const r = await req(`${party}.operator`, 'POST', '/api/v1/declarations', {
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [lon, lat] },
        properties: { start: '2026-11-25T10:00:00Z', end: '2026-11-25T12:00:00Z', buffer_m: 300, ...props },
      });
      return ok<Json>(r, 201);
    }

    it('refuses a reference the sender may not see as not found, storing nothing', async () => {
      const ch = await channel('coalition', ['relief-agency']);
      await declare(
        'relief-agency',
        {
          id: 'ref-relief-sealed',
          kind: 'protected_site',
          category: 'humanitarian',
          visibility: ['relief-agency'],
        },
        24.1,
        44.1,
      );
      await as('coalition.watch');
      const receiverHead = await head('relief-agency.watch');
      const before = (await ledger()).length;
      for (const ref of [
        { type: 'declaration', id: own('relief-agency', 'ref-relief-sealed') },
        { type: 'declaration', id: own('relief-agency', 'no-such-declaration') },
        { type: 'declaration', id: 'no-such-declaration' },
        { type: 'conflict', id: 'no-such-conflict' },
      ]) {
        assertError(
          await post('coalition.watch', ch, { text: 'see this', precedence: 'flash', ref }),
          404,
          'not_found',
          'ref',
        );
      }
      // Malformed references: the error names the field at fault.
      for (const [ref, path] of [
        [{ type: 'party', id: 'x' }, 'ref.type'],
        [{ type: 'declaration' }, 'ref.id'],
        [own('relief-agency', 'ref-relief-sealed'), 'ref'],
      ] as const) {
        assertError(
          await post('coalition.watch', ch, { text: 'see this', precedence: 'routine', ref }),
          400,
          'invalid_request',
          path,
        );
      }
      assert.equal(await lastSeq(ch), 0);
      assert.equal((await ledger()).length, before, 'no ledger entry');
      assert.deepEqual(await eventsAfter('relief-agency.watch', receiverHead), [], 'no event, no alert');
    });

    it('shows a declaration to the recipients that may see it, and only that there was one to the others', async () => {
      const ch = await channel('coalition', ['northern-forces', 'relief-agency']);
      await declare(
        'northern-forces',
        { id: 'ref-nf-mov', kind: 'strike', visibility: ['coalition'], label: 'secret north strike' },
        24.3,
        44.3,
      );
      const reliefHead = await head('relief-agency.watch');
      const m = ok<MessageView>(
        await post('coalition.watch', ch, {
          text: 'about your strike',
          precedence: 'flash',
          ref: { type: 'declaration', id: own('northern-forces', 'ref-nf-mov') },
        }),
        201,
      );
      assert.deepEqual(m.ref, { type: 'declaration', id: own('northern-forces', 'ref-nf-mov') });
      assert.deepEqual((await messages('northern-forces.watch', ch))[0]?.ref, {
        type: 'declaration',
        id: own('northern-forces', 'ref-nf-mov'),
      });
      assert.deepEqual((await messages('relief-agency.watch', ch))[0]?.ref, {
        type: 'declaration',
        hidden: true,
      });

      // Nothing the relief agency receives names the declaration: not the stream, not its alert.
      const events = await eventsAfter('relief-agency.watch', reliefHead);
      const posted = events.find((e) => e.type === 'message.posted');
      assert.deepEqual(posted?.data.ref, { type: 'declaration', hidden: true });
      assert.ok(events.some((e) => e.type === 'alert.created'));
      const [alert] = await alertsAbout('relief-agency.watch', m.id);
      assert.ok(alert);
      assert.deepEqual((alert.summary.message as MessageView).ref, { type: 'declaration', hidden: true });
      assert.doesNotMatch(JSON.stringify(events), /ref-nf-mov|secret north strike/);
      assert.doesNotMatch(JSON.stringify(alert), /ref-nf-mov/);
    });

    it('shows a conflict to the recipients involved in it, and only that there was one to the others', async () => {
      const ch = await channel('coalition', ['northern-forces', 'relief-agency']);
      await declare(
        'coalition',
        { id: 'ref-co-site', kind: 'protected_site', category: 'medical', visibility: 'all' },
        24.5,
        44.5,
      );
      const sub = await declare(
        'northern-forces',
        { id: 'ref-nf-strike', kind: 'strike', visibility: 'all' },
        24.5005,
        44.5005,
      );
      const conflicts = sub.conflicts as { id: string }[];
      assert.equal(conflicts.length, 1, JSON.stringify(conflicts));
      const conflict = (conflicts[0] as { id: string }).id;

      const m = ok<MessageView>(
        await post('northern-forces.watch', ch, {
          text: 'we see the conflict',
          precedence: 'routine',
          ref: { type: 'conflict', id: conflict },
        }),
        201,
      );
      assert.deepEqual(m.ref, { type: 'conflict', id: conflict });
      assert.deepEqual((await messages('coalition.watch', ch))[0]?.ref, { type: 'conflict', id: conflict });
      assert.deepEqual((await messages('relief-agency.watch', ch))[0]?.ref, {
        type: 'conflict',
        hidden: true,
      });
      // The relief agency is not involved: it may not reference the conflict either.
      assertError(
        await post('relief-agency.watch', ch, {
          text: 'which one?',
          precedence: 'routine',
          ref: { type: 'conflict', id: conflict },
        }),
        404,
        'not_found',
        'ref',
      );
    });
  });

  describe('ledger', () => {
    it('records channels, messages sent, delivered and read, and acknowledgements', async () => {
      const ch = await channel('city-police', ['relief-agency']);
      const m = ok<MessageView>(
        await post('city-police.senior', ch, { text: 'road closed', precedence: 'flash' }),
        201,
      );
      await messages('relief-agency.watch', ch);
      ok(await req('relief-agency.watch', 'POST', `/api/v1/channels/${ch}/read`, { seq: 1 }));
      ok(await req('relief-agency.watch', 'POST', `/api/v1/messages/${m.id}/ack`, { reply: 'rerouting' }));
      const [alert] = await alertsAbout('relief-agency.watch', m.id);
      assert.ok(alert);

      const entries = await ledger();
      const find = (type: string, subject: string) =>
        entries.filter((e) => e.type === type && e.subject === subject);
      assert.equal(find('channel.created', ch).length, 1);
      assert.equal(find('channel.accepted', ch).length, 1);
      const sent = find('message.sent', m.id);
      assert.equal(sent.length, 1);
      assert.equal(sent[0]?.actor, 'city-police.senior');
      assert.equal(sent[0]?.party, 'city-police');
      assert.deepEqual(sent[0]?.payload, {
        channel: ch,
        seq: 1,
        precedence: 'flash',
        text: 'road closed',
        ref: null,
      });
      assert.equal(find('message.delivered', m.id)[0]?.party, 'relief-agency');
      const read = find('message.read', ch);
      assert.equal(read.length, 1);
      assert.equal(read[0]?.actor, 'relief-agency.watch');
      // The other parties of the channel are its audience: they may fetch its receipt.
      assert.deepEqual(read[0]?.payload, { up_to: 1, audience: ['city-police'] });
      assert.equal(find('alert.raised', alert.id).length, 1);
      const ack = find('alert.acknowledged', alert.id);
      assert.equal(ack.length, 1);
      assert.equal(ack[0]?.actor, 'relief-agency.watch');
      assert.equal((ack[0] as { payload: Json }).payload.reply, 'rerouting');
    });
  });
});
