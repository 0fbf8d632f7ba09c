/**
 * The ledger records exactly the bytes it hashed (issue: one submission with a lone UTF-16
 * surrogate once broke the chain for ever). Every kind of entry the hub writes is read back from
 * disk by a fresh store and must re-verify; text that cannot round-trip as UTF-8 is refused
 * before anything is written, by the store itself (whatever the edge let through) and at the API.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { AlertView, ChannelView, MessageView } from '../src/api/watch.ts';
import type { LedgerEntry } from '../src/domain/records.ts';
import { DeconflictError } from '../src/errors.ts';
import { canonicalJson, entryHash, verifyChain } from '../src/ledger/chain.ts';
import { openSqliteStore } from '../src/store/sqlite.ts';
import { ok, sessions, startHub } from './support/hub.ts';
import { own } from './support/ids.ts';
import { HOUR, iso } from './support/time.ts';

/** Text from every plane people write in: accents, CJK, Arabic, emoji (astral), combining marks. */
const WORLD = 'Hôpital 北 مستشفى 🏥 ✅ e\u0301';

/** Every entry, read back from disk by a fresh store; the directory is removed afterwards. */
async function allEntries(dir: string): Promise<LedgerEntry[]> {
  const store = openSqliteStore({ dir });
  try {
    return await store.read((tx) => tx.ledger.range(1, 1_000_000));
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('every ledger entry re-verifies after a read-back', () => {
  it('for every kind of entry the hub writes, with text from every plane', async () => {
    const t = await startHub({ demo: true });
    const { req } = sessions(() => t, {});
    try {
      const now = t.clock.now();
      // Declarations: submitted (with a name in many scripts), amended, withdrawn; a notification.
      const site = (name: string) => ({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [21.3, 46.2] },
        properties: {
          id: 'rt-site',
          kind: 'protected_site',
          category: 'medical',
          label: name,
          start: iso(now),
          end: iso(now + 48 * HOUR),
          notify: ['coalition'],
        },
      });
      ok(await req('relief-agency.operator', 'POST', '/api/v1/declarations', site(WORLD)), 201);
      const id = own('relief-agency', 'rt-site');
      ok(await req('relief-agency.operator', 'PUT', `/api/v1/declarations/${id}`, site(`${WORLD} 2`)));
      // Alerts acknowledged with a reply in many scripts.
      const { alerts } = ok<{ alerts: AlertView[] }>(await req('coalition.watch', 'GET', '/api/v1/alerts'));
      const notice = alerts.find((a) => a.subject === id && a.status === 'open') as AlertView;
      ok(await req('coalition.watch', 'POST', `/api/v1/alerts/${notice.id}/ack`, { reply: WORLD }));
      // The hotline: a channel, accepted, a flash message, read, acknowledged with a reply.
      const ch = ok<ChannelView>(
        await req('coalition.admin', 'POST', '/api/v1/channels', { name: WORLD, parties: ['relief-agency'] }),
        201,
      );
      ok(await req('relief-agency.admin', 'POST', `/api/v1/channels/${ch.id}/accept`, {}));
      const m = ok<MessageView>(
        await req('coalition.watch', 'POST', `/api/v1/channels/${ch.id}/messages`, {
          text: `${WORLD}\nsecond line`,
          precedence: 'flash',
        }),
        201,
      );
      ok(await req('relief-agency.watch', 'POST', `/api/v1/channels/${ch.id}/read`, { seq: m.seq }));
      ok(await req('relief-agency.watch', 'POST', `/api/v1/messages/${m.id}/ack`, { reply: WORLD }));
      // Roster, tokens, probing budgets.
      const shift = ok<{ id: string }>(
        await req('relief-agency.admin', 'POST', '/api/v1/roster', {
          role: 'senior_officer',
          username: 'relief-agency.senior',
          start: iso(now + HOUR),
          end: iso(now + 2 * HOUR),
        }),
        201,
      );
      assert.equal(
        (await req('relief-agency.admin', 'DELETE', `/api/v1/roster/${shift.id}`)).statusCode,
        204,
      );
      const token = ok<{ id: string }>(
        await req('relief-agency.admin', 'POST', '/api/v1/tokens', { name: `gateway ${WORLD}` }),
        201,
      );
      assert.equal(
        (await req('relief-agency.admin', 'DELETE', `/api/v1/tokens/${token.id}`)).statusCode,
        204,
      );
      ok(
        await req('relief-agency.operator', 'POST', `/api/v1/declarations/${id}/withdraw`, { reason: WORLD }),
      );
      // Escalations and the alerts they raise (the hub's own entries).
      t.clock.advance(48 * HOUR);
      await t.hub.runDue();
    } finally {
      await t.close(true);
    }

    const entries = await allEntries(t.dir);
    assert.deepEqual(verifyChain(entries), { ok: true, entries: entries.length });
    for (const e of entries) assert.equal(entryHash(e), e.hash, `${e.seq} ${e.type}`);
    const types = new Set(entries.map((e) => e.type));
    for (const expected of [
      'party.created',
      'member.created',
      'session.opened',
      'declaration.created',
      'declaration.amended',
      'declaration.withdrawn',
      'conflict.detected',
      'alert.raised',
      'alert.acknowledged',
      'alert.escalated',
      'alert.overdue',
      'alert.closed',
      'channel.created',
      'channel.accepted',
      'message.sent',
      'message.read',
      'roster.shift_added',
      'roster.shift_removed',
      'token.created',
      'token.revoked',
    ]) {
      assert.ok(
        types.has(expected),
        `an entry of type ${expected} was written and re-verified: ${[...types]}`,
      );
    }
    // The text people wrote came back byte for byte.
    assert.ok(entries.some((e) => JSON.stringify(e.payload).includes(WORLD)));
  });
});

describe('text that cannot round-trip is refused before anything is written', () => {
  it('by the store: a lone surrogate in the subject, a payload value or a payload key', async () => {
    const t = await startHub({ demo: false });
    try {
      const entry = (subject: string, payload: unknown) => ({
        at: t.clock.now(),
        actor: null,
        party: null,
        type: 'test.entry',
        subject,
        payload,
      });
      const headBefore = await t.store.read((tx) => tx.ledger.head());
      for (const [subject, payload] of [
        ['s\ud800x', {}],
        ['ok', { reply: 'a\udc00' }],
        ['ok', { ['k\ud83d']: 1 }],
        ['ok', { nested: [{ text: '\ud83d' }] }],
      ] as const) {
        await assert.rejects(
          t.store.transact((tx) => tx.ledger.append(entry(subject, payload))),
          (err: unknown) => err instanceof DeconflictError && err.details[0]?.code === 'invalid_text',
        );
      }
      assert.deepEqual(await t.store.read((tx) => tx.ledger.head()), headBefore, 'nothing was written');
      // A well-formed astral character (a surrogate pair) is fine.
      await t.store.transact((tx) => tx.ledger.append(entry('🏥', { reply: '✅' })));
      await t.close(true);
      const entries = await allEntries(t.dir);
      assert.equal(verifyChain(entries).ok, true);
      assert.equal(entries.at(-1)?.subject, '🏥');
    } catch (err) {
      await t.close().catch(() => undefined);
      throw err;
    }
  });

  it('canonical JSON: sorted by UTF-16 code units, no whitespace, undefined members dropped', () => {
    assert.equal(canonicalJson({ b: 1, a: [true, null, 'x'], c: undefined }), '{"a":[true,null,"x"],"b":1}');
    // RFC 8785 §3.2.3: keys sort by UTF-16 code units ("\u20ac" < "\ud83d\ude00" < "\ufb33").
    assert.equal(
      canonicalJson({ '\ufb33': 3, '\u20ac': 1, '\ud83d\ude00': 2 }),
      '{"\u20ac":1,"\ud83d\ude00":2,"\ufb33":3}',
    );
    assert.equal(canonicalJson([1e21, 1.5e-7, -0, 333333333.3333333]), '[1e+21,1.5e-7,0,333333333.3333333]');
  });

  it('at the API: a submission whose id or name has a lone surrogate is refused and the chain verifies', async () => {
    const t = await startHub({ demo: true });
    const { req } = sessions(() => t, {});
    try {
      for (const props of [{ id: 's\ud800x' }, { id: 'fine', label: 'bad \udfff name' }]) {
        const r = await req('relief-agency.operator', 'POST', '/api/v1/declarations', {
          type: 'Feature',
          geometry: { type: 'Point', coordinates: [21.3, 46.2] },
          properties: {
            kind: 'protected_site',
            category: 'medical',
            start: iso(t.clock.now()),
            end: iso(t.clock.now() + HOUR),
            ...props,
          },
        });
        assert.ok(r.statusCode >= 400 && r.statusCode < 500, `${r.statusCode} ${r.body}`);
        assert.equal(r.json().errors[0].code, 'invalid_text', r.body);
      }
    } finally {
      await t.close(true);
    }
    const entries = await allEntries(t.dir);
    assert.equal(verifyChain(entries).ok, true);
  });
});
