import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatWait, passwordHints, safeNext, signInErrorMessage, ssoErrorMessage } from './auth-messages.ts';

const problem = (code: string, extra: Record<string, unknown> = {}, status = 400) => ({
  status,
  code,
  message: 'server words',
  problem: extra,
});

describe('safeNext', () => {
  it('keeps paths on this server, with their query', () => {
    assert.equal(safeNext('/runs/run_1?tab=steps'), '/runs/run_1?tab=steps');
  });
  it('refuses other origins and odd forms, falling back to /', () => {
    for (const bad of [null, '', 'https://evil.example', '//evil.example', '/\\evil.example', 'runs', '/a b']) {
      assert.equal(safeNext(bad), '/', String(bad));
    }
  });
});

describe('signInErrorMessage', () => {
  it('says how long a locked account waits', () => {
    const msg = signInErrorMessage(problem('AUTH_ACCOUNT_LOCKED', { retryAfterSeconds: 840 }, 429), 0);
    assert.match(msg, /locked for 14 minutes \(until .+\)/);
  });
  it('says when to retry after a rate limit, a minute when not told', () => {
    assert.match(signInErrorMessage(problem('AUTH_RATE_LIMITED', { retryAfterSeconds: 30 })), /30 seconds/);
    assert.match(signInErrorMessage(problem('AUTH_RATE_LIMITED')), /1 minute/);
  });
  it('counts the MFA attempts left', () => {
    assert.match(signInErrorMessage(problem('MFA_INVALID_CODE', { attemptsLeft: 1 })), /1 attempt left/);
  });
  it("falls back to the server's own words", () => {
    assert.equal(signInErrorMessage(problem('SOMETHING_NEW')), 'server words');
  });
});

describe('ssoErrorMessage', () => {
  it('explains known codes and names unknown ones', () => {
    assert.match(ssoErrorMessage('SSO_EMAIL_NOT_VERIFIED'), /did not confirm your email/);
    assert.match(ssoErrorMessage('WHATEVER'), /\(WHATEVER\)/);
  });
});

describe('formatWait and passwordHints', () => {
  it('rounds waits to whole units', () => {
    assert.equal(formatWait(1), '1 second');
    assert.equal(formatWait(61), '2 minutes');
  });
  it('lists the rules a password misses', () => {
    assert.deepEqual(passwordHints('short'), ['At least 10 characters (5 more)']);
    assert.deepEqual(passwordHints('ada.lovelace rocks', { email: 'ada.lovelace@x.io', name: 'Ada Lovelace' }), [
      'Must not contain your email',
    ]);
    assert.deepEqual(passwordHints('orchid tundra 64 paddles', { email: 'me@x.io', name: 'Me' }), []);
  });
});
