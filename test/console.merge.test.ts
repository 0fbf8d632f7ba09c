/**
 * The console's merge of records that arrive by two roads (web/src/merge.ts): the HTTP answer to
 * its own action and the party's event stream, in any order. The hub only moves these records
 * forward, so whatever order copies arrive in, the console must end on the furthest-along one.
 * The first test is the race a browser test hit: the sender's console handled city-police's
 * "read" receipt before the answer to its own POST, and the answer rolled the receipt back.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { mergeAlert, mergeChannel, mergeMessage, type ReceiptLike } from '../web/src/merge.ts';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 150);
const T = (min: number) => new Date(Date.UTC(2026, 10, 22, 10, min)).toISOString();

interface Msg {
  id: string;
  receipts: ReceiptLike[];
}
const msg = (...receipts: ReceiptLike[]): Msg => ({ id: 'm1', receipts });
const receipt = (party: string, d: number | null, r: number | null, a: number | null): ReceiptLike => ({
  party,
  delivered_at: d === null ? null : T(d),
  read_at: r === null ? null : T(r),
  acked_at: a === null ? null : T(a),
});

/** Fold copies into a held record, as the console does: the first one is simply stored. */
function fold<X>(copies: readonly X[], merge: (held: X, next: X) => X): X {
  let held = copies[0] as X;
  for (const c of copies.slice(1)) held = merge(held, c);
  return held;
}

describe('console merge of a message', () => {
  it('keeps the read receipt when the answer to the sender’s own POST arrives after it', () => {
    const posted = msg(receipt('city-police', null, null, null));
    const delivered = msg(receipt('city-police', 1, null, null));
    const read = msg(receipt('city-police', 1, 2, null));
    // Stream: posted, delivered, read; then the POST answer (the state at posting).
    const held = fold([posted, delivered, read, posted], mergeMessage);
    assert.deepEqual(held.receipts, read.receipts);
  });

  it('keeps the reply and the lateness, and clears the level once acknowledged, in either order', () => {
    const late: ReceiptLike = {
      party: 'russia',
      delivered_at: '2026-11-23T10:00:01.000Z',
      read_at: null,
      acked_at: null,
      reply: null,
      escalated_at: '2026-11-23T10:05:00.000Z',
      level: 'senior_officer',
    };
    const answered: ReceiptLike = {
      ...late,
      read_at: '2026-11-23T10:06:00.000Z',
      acked_at: '2026-11-23T10:06:00.000Z',
      reply: 'Understood, holding',
      level: null,
    };
    const msg = (r: ReceiptLike) => ({ receipts: [r] });
    for (const [a, b] of [
      [late, answered],
      [answered, late],
    ] as const) {
      const [r] = mergeMessage(msg(a), msg(b)).receipts;
      assert.equal(r?.reply, 'Understood, holding');
      assert.equal(r?.level, null);
      assert.equal(r?.escalated_at, '2026-11-23T10:05:00.000Z');
    }
    // Unacknowledged: the further level wins.
    const further = mergeMessage(msg(late), msg({ ...late, level: 'party_admin' })).receipts[0];
    assert.equal(further?.level, 'party_admin');
  });

  it('ends on the furthest state whatever order the copies come in', () => {
    // A history of one message to three parties: each step sets one more receipt time.
    const arbHistory = fc
      .array(fc.tuple(fc.constantFrom(0, 1, 2), fc.constantFrom('delivered_at', 'read_at', 'acked_at')), {
        maxLength: 9,
      })
      .map((steps) => {
        let cur = msg(
          receipt('a', null, null, null),
          receipt('b', null, null, null),
          receipt('c', null, null, null),
        );
        const states = [cur];
        steps.forEach(([who, field], i) => {
          const receipts = cur.receipts.map((r, j) =>
            j === who && r[field as keyof ReceiptLike] === null ? { ...r, [field]: T(10 + i) } : r,
          );
          cur = { ...cur, receipts };
          states.push(cur);
        });
        return states;
      });
    fc.assert(
      fc.property(
        arbHistory.chain((states) =>
          fc.tuple(fc.constant(states), fc.shuffledSubarray(states, { minLength: 1 }), fc.nat()),
        ),
        ([states, arrived, seed]) => {
          // The newest state is always among those that arrive (the stream carries every change).
          const last = states[states.length - 1] as Msg;
          const order = [...arrived.filter((s) => s !== last)];
          order.splice(seed % (order.length + 1), 0, last);
          assert.deepEqual(fold(order, mergeMessage).receipts, last.receipts);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

interface Alert {
  id: string;
  status: 'open' | 'acknowledged' | 'closed';
  escalations: { level: string }[];
  peers?: { party: string; acknowledged: boolean }[];
}

describe('console merge of an alert', () => {
  const open0: Alert = { id: 'a1', status: 'open', escalations: [] };
  const open1: Alert = { ...open0, escalations: [{ level: 'senior_officer' }] };
  const open2: Alert = { ...open0, escalations: [{ level: 'senior_officer' }, { level: 'party_admin' }] };
  const acked: Alert = { ...open1, status: 'acknowledged' };

  it('an escalation event that arrives after the acknowledgement does not reopen it', () => {
    assert.equal(mergeAlert(acked, open1).status, 'acknowledged');
    assert.equal(mergeAlert(open1, acked).status, 'acknowledged');
  });

  it('ends on the furthest state whatever the order', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray([open0, open1, open2], { minLength: 0 }), fc.nat(), (rest, seed) => {
        const order = [...rest];
        order.splice(seed % (order.length + 1), 0, acked);
        assert.equal(fold(order, mergeAlert).status, 'acknowledged');
        const opens = [open0, open1, open2].filter((x) => rest.includes(x));
        if (opens.length > 0) {
          const furthest = fold(opens, mergeAlert);
          assert.equal(furthest.escalations.length, Math.max(...opens.map((x) => x.escalations.length)));
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('merges the other parties’ acknowledgements, never un-acknowledging one', () => {
    const a = { ...acked, peers: [{ party: 'relief-agency', acknowledged: true }] };
    const b = {
      ...acked,
      peers: [
        { party: 'relief-agency', acknowledged: false },
        { party: 'city-police', acknowledged: true },
      ],
    };
    const want = [
      { party: 'city-police', acknowledged: true },
      { party: 'relief-agency', acknowledged: true },
    ];
    assert.deepEqual(mergeAlert(a, b).peers, want);
    assert.deepEqual(mergeAlert(b, a).peers, want);
    // A copy without peers (a stream event) keeps the peers held.
    assert.deepEqual(mergeAlert(a, acked).peers, a.peers);
  });
});

describe('console merge of a channel', () => {
  type Member = { party: string; status: 'accepted' | 'invited' | 'declined' };
  const channel = (me: Member['status'] | null, ...members: Member[]) => ({
    id: 'c1',
    status:
      members.filter((m) => m.status === 'accepted').length >= 2 ? ('open' as const) : ('pending' as const),
    my_status: me,
    members,
  });
  it('keeps every answer to the invitation, from whichever copy had it', () => {
    const invited = channel(
      'invited',
      { party: 'coalition', status: 'accepted' },
      { party: 'city-police', status: 'invited' },
      { party: 'relief-agency', status: 'invited' },
    );
    const police = channel(
      'accepted',
      { party: 'coalition', status: 'accepted' },
      { party: 'city-police', status: 'accepted' },
      { party: 'relief-agency', status: 'invited' },
    );
    const relief = channel(
      'invited',
      { party: 'coalition', status: 'accepted' },
      { party: 'city-police', status: 'invited' },
      { party: 'relief-agency', status: 'declined' },
    );
    const want = ['accepted', 'accepted', 'declined'];
    for (const order of [
      [invited, police, relief],
      [invited, relief, police],
      [police, invited, relief],
      [relief, police, invited],
    ]) {
      const held = fold(order, mergeChannel);
      assert.deepEqual(
        held.members.map((m) => m.status),
        want,
      );
      assert.equal(held.my_status, 'accepted');
      assert.equal(held.status, 'open');
    }
  });
});
