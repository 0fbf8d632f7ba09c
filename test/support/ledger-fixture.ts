/**
 * A ledger written as the hub writes it, for the tests of `deconflict verify`: entries, a member's
 * key and a statement signed with it, checkpoints signed by the hub, one cosigned — on any store.
 */
import { ManualClock } from '../../src/hub/clock.ts';
import { Hub, type Principal } from '../../src/hub/hub.ts';
import { formatCheckpoint, fromBase64, signerFromPrivateKey, toBase64 } from '../../src/ledger/note.ts';
import { newMemberKey, signStatement, witnessKeyName } from '../../src/ledger/statement.ts';
import type { Store } from '../../src/store/ports.ts';

export const T0 = Date.UTC(2026, 10, 22, 6);

/**
 * The fixture: 14 entries — 1 the hub's log.key, 2–9 declarations, 10 a member's key.added
 * (registered through the hub, signed), 11 an acknowledgement signed with that key, 12–14 more
 * declarations — checkpoints of size 9 and 14 signed by the hub, the latter cosigned by the member.
 * The store is closed when it returns.
 */
export async function makeLedgerFixture(store: Store) {
  const clock = new ManualClock(T0);
  const hub = await Hub.open(store, clock);
  const origin = hub.transparency.origin;
  const declare = (i: number) =>
    store.transact((tx) =>
      tx.ledger.append({
        at: clock.now() + i,
        actor: 'alpha.operator',
        party: 'alpha',
        type: 'declaration.submitted',
        subject: `alpha/d${i}`,
        payload: {
          id: `alpha/d${i}`,
          kind: 'protected_site',
          name: `site ${i}`,
          position: [30 + i / 100, 50],
        },
      }),
    );
  for (let i = 2; i <= 9; i++) await declare(i);
  await hub.transparency.latest();
  const watch: Principal = {
    username: 'alpha.watch',
    party: 'alpha',
    roles: ['watch_officer'],
    tokenId: 'test',
  };
  const key = newMemberKey();
  const seed = fromBase64(key.privateKey) as Uint8Array;
  const at = new Date(clock.now()).toISOString();
  const register = signStatement(
    {
      v: 1,
      origin,
      act: 'key.register',
      subject: key.id,
      by: 'alpha.watch',
      party: 'alpha',
      at,
      public_key: key.publicKey,
    },
    seed,
  );
  await hub.transparency.addKey(watch, 'laptop', register);
  const ack = signStatement(
    {
      v: 1,
      origin,
      act: 'alert.acknowledge',
      subject: 'alert-1',
      by: 'alpha.watch',
      party: 'alpha',
      at,
      reply: 'seen',
    },
    seed,
  );
  await store.transact((tx) =>
    tx.ledger.append({
      at: clock.now(),
      actor: 'alpha.watch',
      party: 'alpha',
      type: 'alert.acknowledged',
      subject: 'alert-1',
      payload: { reply: 'seen', audience: ['bravo'], signed: ack },
    }),
  );
  for (let i = 12; i <= 14; i++) await declare(i);
  const latest = await hub.transparency.latest();
  const text = formatCheckpoint({ origin, size: latest.size, root: fromBase64(latest.root) as Uint8Array });
  const signature = toBase64(
    signerFromPrivateKey(witnessKeyName(key.id), seed).sign(new TextEncoder().encode(text)),
  );
  await hub.transparency.cosign(watch, { size: latest.size, root: latest.root, key: key.id, signature });
  await hub.close();
  await store.close();
  return { origin, key };
}
