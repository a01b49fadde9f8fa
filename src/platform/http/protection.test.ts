import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createTestApp, describeEachBackend, type TestApp } from '../../../test/support/app.ts';
import { TEST_ENV } from '../../../test/support/env.ts';

let seq = 0;
const email = (who: string) => `${who}.${process.pid}.${++seq}@example.test`;
const PASSWORD = 'velvet otter 42 climbs maple';

/** Redis runs whenever reachable and is mandatory in CI, like PostgreSQL. */
async function isRedisAvailable(): Promise<boolean> {
  const probe = new Redis(TEST_ENV.redisUrl, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0 });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch (err) {
    if (TEST_ENV.requireRedis) {
      throw new Error(`Redis is required (CI=true) but unreachable at ${TEST_ENV.redisUrl}`, { cause: err });
    }
    return false;
  } finally {
    probe.disconnect();
  }
}
const REDIS_AVAILABLE = await isRedisAvailable();

describeEachBackend('per-IP limits on the auth routes', (getDb) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(getDb(), { as: 'real', http: { authRateLimitPerMinute: 3 } });
  });
  after(async () => {
    await t.app.close();
  });
  const login = (remoteAddress = '127.0.0.1') =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress,
      payload: { email: email('nobody'), password: 'not the password' },
    });

  it('answers 429 AUTH_RATE_LIMITED with retry-after past the limit, across every auth route, per address', async () => {
    for (let i = 0; i < 2; i++) assert.equal((await login('10.1.0.1')).statusCode, 401);
    const forgot = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password/forgot',
      remoteAddress: '10.1.0.1',
      payload: { email: email('someone') },
    });
    assert.equal(forgot.statusCode, 202, 'the third request, on another auth route, shares the budget');
    assert.equal(forgot.headers['x-ratelimit-remaining'], '0');

    const refused = await login('10.1.0.1');
    assert.equal(refused.statusCode, 429);
    assert.match(String(refused.headers['content-type']), /^application\/problem\+json/);
    assert.equal(refused.json().code, 'AUTH_RATE_LIMITED');
    const retryAfter = Number(refused.headers['retry-after']);
    assert.ok(retryAfter > 0 && retryAfter <= 60, `retry-after ${retryAfter}`);
    assert.equal(refused.json().retryAfterSeconds, retryAfter);

    assert.equal((await login('10.1.0.2')).statusCode, 401, 'another address has its own budget');
    const providers = await t.app.inject({ url: '/api/v1/auth/sso/providers', remoteAddress: '10.1.0.1' });
    assert.equal(providers.statusCode, 200, 'routes that check no credentials are not in the auth budget');
  });

  it('refuses an auth request body over 16 KiB with 413, below the global body limit', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/signup',
      remoteAddress: '10.1.0.9',
      payload: { email: email('big'), password: PASSWORD, name: 'x'.repeat(20 * 1024), organizationName: 'Big' },
    });
    assert.equal(res.statusCode, 413);
    assert.equal(res.json().code, 'PAYLOAD_TOO_LARGE');
  });
});

describeEachBackend('per-principal limits', (getDb) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(getDb(), { as: 'real', http: { principalRateLimitPerMinute: 3 } });
  });
  after(async () => {
    await t.app.close();
  });
  async function signup(who: string): Promise<{ accessToken: string }> {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/signup',
      payload: { email: email(who), password: PASSWORD, name: who, organizationName: `${who} org` },
    });
    assert.equal(res.statusCode, 201, res.body);
    return res.json();
  }
  const me = (s: { accessToken: string }, remoteAddress: string) =>
    t.app.inject({ url: '/api/v1/auth/me', remoteAddress, headers: { authorization: `Bearer ${s.accessToken}` } });

  it('counts a user across addresses and answers 429 PRINCIPAL_RATE_LIMITED; other users are unaffected', async () => {
    const busy = await signup('busy');
    const calm = await signup('calm');
    for (const ip of ['10.2.0.1', '10.2.0.2', '10.2.0.3']) assert.equal((await me(busy, ip)).statusCode, 200);
    const refused = await me(busy, '10.2.0.4');
    assert.equal(refused.statusCode, 429);
    assert.equal(refused.json().code, 'PRINCIPAL_RATE_LIMITED');
    assert.ok(Number(refused.headers['retry-after']) > 0);
    assert.equal((await me(calm, '10.2.0.1')).statusCode, 200);
  });
});

describeEachBackend('security headers', (getDb) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(getDb(), { as: 'real' });
  });
  after(async () => {
    await t.app.close();
  });

  it('sends helmet headers and a locked-down content security policy on API answers, errors included', async () => {
    for (const url of ['/', '/api/v1/items', '/no-such-route']) {
      const res = await t.app.inject({ url });
      assert.match(String(res.headers['content-security-policy']), /default-src 'none'/, url);
      assert.match(String(res.headers['content-security-policy']), /frame-ancestors 'none'/, url);
      assert.equal(res.headers['x-frame-options'], 'DENY', url);
      assert.equal(res.headers['x-content-type-options'], 'nosniff', url);
      assert.equal(res.headers['referrer-policy'], 'no-referrer', url);
      assert.match(String(res.headers['strict-transport-security']), /^max-age=\d+$/, url);
      assert.equal(res.headers['cross-origin-opener-policy'], 'same-origin', url);
    }
  });

  it("lets Swagger UI's scripts, styles and spec load at /docs under its own policy", async () => {
    const page = await t.app.inject({ url: '/docs/' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<html/i);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /script-src 'self';/, 'no inline scripts, even here');
    assert.match(csp, /style-src 'self'/);
    assert.doesNotMatch(csp, /upgrade-insecure-requests/);
    for (const src of page.body.matchAll(/(?:src|href)="\.\/([^"]+)"/g)) {
      const asset = await t.app.inject({ url: `/docs/${src[1]}` });
      assert.equal(asset.statusCode, 200, `/docs/${src[1]}`);
    }
    assert.equal((await t.app.inject({ url: '/docs/json' })).statusCode, 200);
  });
});

describe(
  'rate limits shared through Redis',
  { skip: REDIS_AVAILABLE ? false : 'Redis not reachable (set TEST_REDIS_URL)' },
  () => {
    describeEachBackend('two api instances', (getDb) => {
      const keyPrefix = `switchyard-test:${process.pid}:${randomBytes(6).toString('hex')}:`;
      let a: TestApp;
      let b: TestApp;
      before(async () => {
        const http = {
          authRateLimitPerMinute: 3,
          rateLimitStore: { kind: 'redis', url: TEST_ENV.redisUrl, keyPrefix } as const,
        };
        a = await createTestApp(getDb(), { as: 'real', http });
        b = await createTestApp(getDb(), { as: 'real', http });
      });
      after(async () => {
        await a.app.close();
        await b.app.close();
        const redis = new Redis(TEST_ENV.redisUrl);
        const keys = await redis.keys(`${keyPrefix}*`);
        if (keys.length) await redis.del(...keys);
        await redis.quit();
      });
      const login = (t: TestApp) =>
        t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          remoteAddress: '10.3.0.1',
          payload: { email: email('nobody'), password: 'not the password' },
        });

      it('counts one client across both instances', async () => {
        assert.equal((await login(a)).statusCode, 401);
        assert.equal((await login(b)).statusCode, 401);
        assert.equal((await login(a)).statusCode, 401);
        const refused = await login(b);
        assert.equal(refused.statusCode, 429, 'the fourth request is over the limit though b saw only two');
        assert.equal(refused.json().code, 'AUTH_RATE_LIMITED');
      });
    });
  },
);

describeEachBackend('rate limits with Redis unreachable', (getDb) => {
  it('lets requests through rather than refusing or stalling them, and logs the store error', async () => {
    const t = await createTestApp(getDb(), {
      as: 'real',
      // Port 1 refuses connections at once.
      http: {
        authRateLimitPerMinute: 1,
        rateLimitStore: { kind: 'redis', url: 'redis://127.0.0.1:1', keyPrefix: 'x:' },
      },
    });
    try {
      for (let i = 0; i < 3; i++) {
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { email: email('nobody'), password: 'not the password' },
        });
        assert.equal(res.statusCode, 401, 'not counted, so never over the limit');
      }
      assert.ok(t.logs.lines.some((l) => l.includes('rate-limit store (Redis)')));
    } finally {
      await t.app.close();
    }
  });
});
