/**
 * Request rates an integrator can set (docs/security.md, "Request rates"): the hub's default for
 * every token, an API token's own rate within the ceiling of the hub's operator, 429
 * `rate_limited` with a `Retry-After` computed from the token's bucket, a rate above the ceiling
 * refused with nothing created, a ceiling lowered after the fact lowering the tokens above it,
 * and a data directory from before token rates taking them on. The clock is the hub's manual
 * one: buckets refill only when a test moves it.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { NewToken, TokenView } from '../src/api/accounts.ts';
import { DEFAULT_REQUEST_RATE } from '../src/domain/limits.ts';
import { RateLimiter } from '../src/server/rate.ts';
import { databaseFile } from '../src/store/sqlite.ts';
import { runCli } from './support/cli.ts';
import { assertError, ok, request, startHub, type TestHub } from './support/hub.ts';

/** The hub's default in these tests: 20/s, burst 20; a token may be given up to 1,000/s. */
const HUB_RATE = { perSecond: 20, burst: 20 };
const CEILING = { perSecond: 1000, burst: 2000 };

const get = (t: TestHub, token: string) => request(t.app, token, 'GET', '/api/v1/conflicts');

/** Requests the token is admitted before its first 429 (at most `upTo`), the clock standing. */
async function admitted(t: TestHub, token: string, upTo: number): Promise<number> {
  for (let i = 0; i < upTo; i++) {
    const r = await get(t, token);
    if (r.statusCode === 429) return i;
    ok(r);
  }
  return upTo;
}

/** A 429 `rate_limited` with its whole seconds of `Retry-After`. */
function retryAfter(r: Awaited<ReturnType<typeof get>>): number {
  assertError(r, 429, 'rate_limited');
  const s = Number(r.headers['retry-after']);
  assert.ok(Number.isInteger(s) && s >= 1, `Retry-After: ${r.headers['retry-after']}`);
  return s;
}

describe('request rates per token', () => {
  let t: TestHub;
  let admin: string;
  const create = (body: unknown) => request(t.app, admin, 'POST', '/api/v1/tokens', body);

  before(async () => {
    t = await startHub({ hub: { tokenRateCeiling: CEILING }, app: { rate: HUB_RATE } });
    admin = await t.login('coalition.admin');
  });
  after(async () => {
    await t.close();
  });

  it('a token with 5/s is refused past its burst with Retry-After while a faster one goes on', async () => {
    const slow = ok<NewToken>(await create({ name: 'dashboard', rate_limit: { per_second: 5 } }), 201);
    assert.deepEqual(slow.rate_limit, { per_second: 5, burst: 10 });
    const gateway = ok<NewToken>(
      await create({ name: 'brigade gateway', rate_limit: { per_second: 1000, burst: 500 } }),
      201,
    );
    assert.deepEqual(gateway.rate_limit, { per_second: 1000, burst: 500 });

    assert.equal(await admitted(t, slow.token, 50), 10);
    const refused = await get(t, slow.token);
    // An empty bucket at 5/s holds one request again in 0.2 s: Retry-After rounds up to 1.
    assert.equal(retryAfter(refused), 1);
    assert.match(refused.body, /5\/s, burst 10/);
    // The gateway is not held back by the dashboard, nor by the hub's default of 20.
    assert.equal(await admitted(t, gateway.token, 300), 300);
    // The slow token's bucket refills at its own rate: one request per 0.2 s.
    t.clock.advance(200);
    ok(await get(t, slow.token));
    retryAfter(await get(t, slow.token));
  });

  it('the hub default applies to a token without its own, and to sessions', async () => {
    const plain = ok<NewToken>(await create({ name: 'plain system' }), 201);
    assert.equal(plain.rate_limit, null);
    assert.equal(await admitted(t, plain.token, 50), HUB_RATE.burst);
    assert.equal(retryAfter(await get(t, plain.token)), 1);
    const session = await t.login('coalition.watch');
    assert.equal(await admitted(t, session, 50), HUB_RATE.burst);
  });

  it('a token may be given less than the hub default', async () => {
    const low = ok<NewToken>(
      await create({ name: 'map screen', rate_limit: { per_second: 1, burst: 2 } }),
      201,
    );
    assert.equal(await admitted(t, low.token, 50), 2);
    t.clock.advance(999);
    retryAfter(await get(t, low.token));
    t.clock.advance(1);
    ok(await get(t, low.token));
  });

  it('a rate or burst above the ceiling is refused, naming it, and creates nothing', async () => {
    const tokens = async () =>
      ok<{ tokens: TokenView[] }>(await request(t.app, admin, 'GET', '/api/v1/tokens'));
    const before = await tokens();
    const head = await t.store.read((tx) => tx.ledger.head());
    const fast = assertError(
      await create({ name: 'too fast', rate_limit: { per_second: 1001 } }),
      422,
      'rate_above_ceiling',
      'rate_limit.per_second',
    );
    assert.match(fast.message, /1001\/s .*ceiling .*1000\/s, burst 2000/);
    const bursty = assertError(
      await create({ name: 'too bursty', rate_limit: { per_second: 10, burst: 2001 } }),
      422,
      'rate_above_ceiling',
      'rate_limit.burst',
    );
    assert.match(bursty.message, /2001 .*1000\/s, burst 2000/);
    // Not a rate at all: refused by the schema.
    for (const rate_limit of [{ per_second: 0 }, { per_second: 2.5 }, { burst: 10 }, { per_second: 1e9 }])
      assertError(await create({ name: 'bad', rate_limit }), 400, 'invalid_request');
    assert.deepEqual(await tokens(), before);
    assert.deepEqual(await t.store.read((tx) => tx.ledger.head()), head);
  });

  it('lists each token with its rate, and records the rate in the ledger', async () => {
    const made = ok<NewToken>(await create({ name: 'listed', rate_limit: { per_second: 300 } }), 201);
    const { tokens } = ok<{ tokens: TokenView[] }>(await request(t.app, admin, 'GET', '/api/v1/tokens'));
    const listed = tokens.find((x) => x.id === made.id);
    assert.deepEqual(listed?.rate_limit, { per_second: 300, burst: 600 });
    assert.equal(tokens.find((x) => x.name === 'plain system')?.rate_limit, null);
    const entry = await t.store.read((tx) => tx.ledger.head());
    assert.ok(entry);
    assert.equal(entry.type, 'token.created');
    assert.deepEqual((entry.payload as { rate_limit?: unknown }).rate_limit, {
      per_second: 300,
      burst: 600,
    });
  });

  it('only a party administrator creates tokens, with or without a rate', async () => {
    const operator = await t.login('coalition.operator');
    assertError(
      await request(t.app, operator, 'POST', '/api/v1/tokens', {
        name: 'mine',
        rate_limit: { per_second: 900 },
      }),
      403,
      'forbidden',
    );
  });
});

describe('Retry-After over a real socket', () => {
  let t: TestHub;
  let base: string;
  before(async () => {
    // A hub default slower than one a second: the wait is several seconds.
    t = await startHub({ app: { rate: { perSecond: 0.25, burst: 1 } } });
    base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await t.close();
  });

  it('says when the bucket will admit the next request', async () => {
    const token = await t.login('city-police.watch');
    const call = () => fetch(`${base}/api/v1/alerts`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal((await call()).status, 200);
    const first = await call();
    assert.equal(first.status, 429);
    assert.equal(first.headers.get('retry-after'), '4');
    t.clock.advance(3000);
    const later = await call();
    assert.equal(later.headers.get('retry-after'), '1');
    t.clock.advance(1000);
    assert.equal((await call()).status, 200);
  });
});

describe('a ceiling lowered by the operator', () => {
  it('lowers the tokens given more before, and leaves the others', async () => {
    const first = await startHub({ hub: { tokenRateCeiling: CEILING }, app: { rate: HUB_RATE } });
    const admin = await first.login('relief-agency.admin');
    const fast = ok<NewToken>(
      await request(first.app, admin, 'POST', '/api/v1/tokens', {
        name: 'convoy tracker',
        rate_limit: { per_second: 800, burst: 1600 },
      }),
      201,
    );
    const slow = ok<NewToken>(
      await request(first.app, admin, 'POST', '/api/v1/tokens', {
        name: 'clinic screen',
        rate_limit: { per_second: 2, burst: 3 },
      }),
      201,
    );
    await first.close(true);
    // Restarted with the default ceiling (100/s, burst 200).
    const again = await startHub({ dir: first.dir, demo: false, app: { rate: HUB_RATE } });
    try {
      assert.equal(await admitted(again, fast.token, 1000), DEFAULT_REQUEST_RATE.burst);
      assert.match((await get(again, fast.token)).body, /100\/s, burst 200/);
      assert.equal(await admitted(again, slow.token, 50), 3);
      // What it was given is still what it lists: the ceiling applies when it is used.
      const admin2 = await again.login('relief-agency.admin');
      const { tokens } = ok<{ tokens: TokenView[] }>(
        await request(again.app, admin2, 'GET', '/api/v1/tokens'),
      );
      assert.deepEqual(tokens.find((x) => x.id === fast.id)?.rate_limit, { per_second: 800, burst: 1600 });
    } finally {
      await again.close();
    }
  });
});

describe('a data directory from before token rates', () => {
  it('is upgraded: its tokens take the default, and new ones may have their own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'deconflict-rate-'));
    copyFileSync(
      fileURLToPath(new URL('./fixtures/data-v1/deconflict.db', import.meta.url)),
      databaseFile(dir),
    );
    const t = await startHub({
      dir,
      demo: false,
      hub: { tokenRateCeiling: CEILING },
      app: { rate: HUB_RATE },
    });
    try {
      const old = await t.store.read((tx) => tx.tokens.listByParty('coalition'));
      assert.ok(old.length > 0);
      for (const tok of old) assert.equal(tok.rate, null);
      const admin = await t.login('coalition.admin');
      const made = ok<NewToken>(
        await request(t.app, admin, 'POST', '/api/v1/tokens', {
          name: 'gateway',
          rate_limit: { per_second: 50 },
        }),
        201,
      );
      assert.equal(await admitted(t, made.token, 200), 100);
    } finally {
      await t.close();
    }
  });
});

describe('deconflict serve', () => {
  it('refuses a malformed rate, burst or ceiling, naming the flag, before it opens anything', async () => {
    for (const [flags, pattern] of [
      [['--rate-limit', '0/s'], /--rate-limit must be N\/s/],
      [['--rate-limit', 'fast'], /--rate-limit must be N\/s/],
      [['--rate-limit', '200000/s'], /--rate-limit must be N\/s, N a whole number from 1 to 100000/],
      [['--rate-burst', '1.5'], /--rate-burst must be a whole number/],
      [['--rate-limit-max', '5/min'], /--rate-limit-max must be N\/s/],
      [['--rate-burst-max', '0'], /--rate-burst-max must be a whole number/],
      [['--rate-limit', '500/s', '--rate-limit-max', '200/s'], /--rate-limit-max 200\/s, burst 400 is below/],
      [['--rate-burst', '300', '--rate-burst-max', '250'], /below the hub's rate \(100\/s, burst 300\)/],
    ] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'deconflict-rate-'));
      try {
        const r = await runCli(['serve', '--data', dir, '--port', '0', ...flags]);
        assert.equal(r.status, 2, `${flags.join(' ')}: ${r.out}${r.err}`);
        assert.match(r.err, pattern);
        assert.deepEqual(readdirSync(dir), [], 'nothing opened');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});

describe('the limiter', () => {
  it('keeps a bucket per key, follows a key’s latest rate, and counts the wait from the bucket', () => {
    let now = 0;
    const limiter = new RateLimiter({ perSecond: 2, burst: 2 }, () => now);
    assert.deepEqual([limiter.admit('a'), limiter.admit('a'), limiter.admit('a')], [0, 0, 1]);
    assert.equal(limiter.admit('b'), 0, 'another key has its own bucket');
    // At 0.5/s an empty bucket holds one request in 2 s.
    assert.equal(limiter.admit('a', { perSecond: 0.5, burst: 2 }), 2);
    now += 1000;
    assert.equal(limiter.admit('a', { perSecond: 0.5, burst: 2 }), 1);
    now += 1000;
    assert.equal(limiter.admit('a', { perSecond: 0.5, burst: 2 }), 0);
    // `take` goes on at the rate the key's bucket last had.
    assert.equal(limiter.take('a'), false);
    now += 2000;
    assert.equal(limiter.take('a'), true);
  });
});
