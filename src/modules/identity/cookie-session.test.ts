import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { createTestApp, describeEachBackend, type TestApp } from '../../../test/support/app.ts';

const PASSWORD = 'orchid tundra 64 paddles east';

/** Turns Set-Cookie headers into what a browser would send back, and their attributes. */
function jar(setCookie: string | string[] | undefined) {
  const list = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  const cookies = Object.fromEntries(
    list.map((c) => {
      const [pair = '', ...attrs] = c.split('; ');
      const [name = '', value = ''] = pair.split('=');
      return [name, { value: decodeURIComponent(value), attrs }];
    }),
  );
  return {
    cookies,
    header: () =>
      Object.entries(cookies)
        .filter(([, c]) => c.value)
        .map(([n, c]) => `${n}=${encodeURIComponent(c.value)}`)
        .join('; '),
  };
}

describeEachBackend('browser sessions with cookies', (getDb) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(getDb(), { as: 'real' });
  });

  it('keeps the refresh token in an HttpOnly cookie, demands the CSRF token to use it, rotates it and clears it on logout', async () => {
    const signup = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/signup',
      headers: { 'x-session-transport': 'cookie' },
      payload: { email: `cookie.${process.pid}@example.test`, password: PASSWORD, name: 'C', organizationName: 'C' },
    });
    assert.equal(signup.statusCode, 201, signup.body);
    const body = signup.json();
    assert.equal(body.refreshToken, undefined, 'no refresh token in a body scripts can read');
    assert.equal(body.refreshTransport, 'cookie');
    const first = jar(signup.headers['set-cookie']);
    const refreshCookie = first.cookies.sy_refresh;
    assert.ok(refreshCookie && refreshCookie.value.startsWith('rt_'));
    for (const attr of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/api/v1/auth']) {
      assert.ok(refreshCookie.attrs.includes(attr), `refresh cookie has ${attr}`);
    }
    assert.equal(first.cookies.sy_csrf?.value, body.csrfToken);
    assert.ok(!first.cookies.sy_csrf?.attrs.includes('HttpOnly'), 'the CSRF cookie is readable by our page');

    const noCsrf = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      headers: { cookie: first.header() },
      payload: {},
    });
    assert.equal(noCsrf.statusCode, 403);
    assert.equal(noCsrf.json().code, 'AUTH_CSRF_FAILED');
    const wrongCsrf = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      headers: { cookie: first.header(), 'x-csrf-token': 'forged' },
      payload: {},
    });
    assert.equal(wrongCsrf.statusCode, 403);

    const refreshed = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      headers: { cookie: first.header(), 'x-csrf-token': body.csrfToken, 'x-session-transport': 'cookie' },
      payload: {},
    });
    assert.equal(refreshed.statusCode, 200, refreshed.body);
    const second = jar(refreshed.headers['set-cookie']);
    assert.notEqual(second.cookies.sy_refresh?.value, refreshCookie.value, 'rotated');
    assert.equal(refreshed.json().refreshToken, undefined);

    const replay = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      // A copied cookie used from another browser (the same one would be a retry within the grace window).
      headers: { cookie: first.header(), 'x-csrf-token': body.csrfToken, 'user-agent': 'someone-else/1.0' },
      payload: {},
    });
    assert.equal(replay.statusCode, 401, 'the old cookie is a used token: the family is revoked');
    assert.equal(replay.json().code, 'AUTH_REFRESH_REUSED');

    const logout = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: { authorization: `Bearer ${refreshed.json().accessToken}` },
    });
    assert.equal(logout.statusCode, 401, 'the reuse above already ended the session');
    const fresh = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: `cookie.${process.pid}@example.test`, password: PASSWORD },
    });
    const out = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: { authorization: `Bearer ${fresh.json().accessToken}` },
    });
    assert.equal(out.statusCode, 204);
    const cleared = jar(out.headers['set-cookie']);
    assert.ok(cleared.cookies.sy_refresh?.attrs.includes('Max-Age=0'), 'logout clears the cookie');
    assert.equal(
      fresh.json().refreshToken.startsWith('rt_'),
      true,
      'API clients that did not ask for cookies keep the body',
    );
  });
});
