import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './config.ts';

describe('config', () => {
  it('runs on the embedded database with sane defaults when nothing is set', () => {
    const c = loadConfig({});
    assert.equal(c.http.port, 3000);
    assert.equal(c.http.host, '127.0.0.1');
    assert.equal(c.http.bodyLimitBytes, 1024 * 1024);
    assert.deepEqual(c.http.corsOrigins, []);
    assert.deepEqual(c.database, { kind: 'pglite', dataDir: path.resolve('.switchyard/pgdata') });
    assert.equal(c.redis, undefined);
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.http));
  });

  it('switches to PostgreSQL when DATABASE_URL is set, and treats empty strings as unset', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/sy', DATABASE_POOL_MAX: '25', PORT: '' });
    assert.deepEqual(c.database, { kind: 'postgres', url: 'postgres://u:p@db:5432/sy', poolMax: 25 });
    assert.equal(c.http.port, 3000);
  });

  it('parses lists and booleans', () => {
    const c = loadConfig({
      CORS_ORIGINS: 'https://a.example, http://localhost:5173',
      TRUST_PROXY: 'yes',
      LOG_PRETTY: '0',
    });
    assert.deepEqual(c.http.corsOrigins, ['https://a.example', 'http://localhost:5173']);
    assert.equal(c.http.trustProxy, true);
    assert.equal(c.log.pretty, false);
  });

  it('refuses bad values, naming every variable and what is wrong with it', () => {
    assert.throws(
      () =>
        loadConfig({
          PORT: 'abc',
          DATABASE_URL: 'mysql://x',
          LOG_LEVEL: 'loud',
          BODY_LIMIT_BYTES: '10',
          CORS_ORIGINS: 'https://ok.example/path',
          REDIS_URL: 'http://nope',
        }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        const names = err.problems.map((p) => p.split(':')[0]);
        assert.deepEqual(names.sort(), [
          'BODY_LIMIT_BYTES',
          'CORS_ORIGINS',
          'DATABASE_URL',
          'LOG_LEVEL',
          'PORT',
          'REDIS_URL',
        ]);
        assert.match(err.message, /PORT: must be a whole number \(got "abc"\)/);
        return true;
      },
    );
  });

  it('reads identity and outbound settings, with safe defaults', () => {
    const d = loadConfig({});
    assert.equal(d.auth.signupMode, 'open');
    assert.equal(d.auth.accessTokenTtlSeconds, 900);
    assert.equal(d.auth.secretKey, undefined);
    assert.deepEqual(d.outbound.allowlist, [], 'nothing private is reachable by default');
    assert.equal(d.sso.githubApiUrl, 'https://api.github.com');
    const c = loadConfig({
      SIGNUP_MODE: 'closed',
      OUTBOUND_ALLOWLIST: 'Keycloak.internal:8443, 127.0.0.1',
      GITHUB_API_URL: 'https://ghe.example.com/api/v3/',
      PUBLIC_URL: 'https://sy.example.com',
    });
    assert.equal(c.auth.signupMode, 'closed');
    assert.deepEqual(c.outbound.allowlist, ['keycloak.internal:8443', '127.0.0.1']);
    assert.equal(c.sso.githubApiUrl, 'https://ghe.example.com/api/v3');
    assert.equal(c.auth.issuer, 'https://sy.example.com');
    assert.throws(() => loadConfig({ SIGNUP_MODE: 'maybe' }), /SIGNUP_MODE/);
    assert.throws(() => loadConfig({ ACCESS_TOKEN_TTL_SECONDS: '5' }), /ACCESS_TOKEN_TTL_SECONDS/);
    assert.throws(() => loadConfig({ OUTBOUND_ALLOWLIST: 'http://not-a-host/' }), /OUTBOUND_ALLOWLIST/);
  });

  it('has no AI provider by default, and reads the instance provider and allowed base URLs', () => {
    const none = loadConfig({});
    assert.deepEqual(none.ai, { provider: undefined, allowedBaseUrls: [], maxInputChars: 100_000, timeoutMs: 120_000 });
    const c = loadConfig({
      AI_PROVIDER: 'ollama',
      AI_MODEL: 'llama3.2',
      AI_ALLOWED_BASE_URLS: 'http://10.0.0.5:11434, https://LLM.internal/',
      AI_TIMEOUT_MS: '30000',
    });
    assert.deepEqual(c.ai.provider, { kind: 'ollama', model: 'llama3.2' });
    assert.deepEqual(c.ai.allowedBaseUrls, ['http://10.0.0.5:11434', 'https://llm.internal']);
    assert.equal(c.ai.timeoutMs, 30_000);
  });

  it('names every missing piece of the AI provider at once, and never echoes the key', () => {
    assert.throws(
      () => loadConfig({ AI_PROVIDER: 'openai' }),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.problems.length === 2 &&
        /AI_MODEL/.test(e.problems.join()) &&
        /AI_API_KEY/.test(e.problems.join()),
    );
    assert.throws(() => loadConfig({ AI_PROVIDER: 'openai-compatible', AI_MODEL: 'm' }), /AI_BASE_URL/);
    assert.throws(() => loadConfig({ AI_ALLOWED_BASE_URLS: 'http://host/with/path' }), /AI_ALLOWED_BASE_URLS/);
    assert.throws(
      () => loadConfig({ AI_API_KEY: `sk-${'x'.repeat(5000)}` }),
      (e: unknown) => e instanceof ConfigError && /AI_API_KEY/.test(e.message) && !e.message.includes('sk-x'),
    );
  });

  it('leaves scheduled backups off unless BACKUP_DIR is set, then reads the interval and retention', () => {
    assert.equal(loadConfig({}).backup, undefined);
    assert.equal(loadConfig({ BACKUP_INTERVAL_MINUTES: '5' }).backup, undefined, 'no directory, no backups');
    const d = loadConfig({ BACKUP_DIR: 'backups' });
    assert.deepEqual(d.backup, { dir: path.resolve('backups'), intervalMinutes: 15, keep: 96 });
    const c = loadConfig({ BACKUP_DIR: '/var/backups/sy', BACKUP_INTERVAL_MINUTES: '1440', BACKUP_KEEP: '1' });
    assert.deepEqual(c.backup, { dir: '/var/backups/sy', intervalMinutes: 1440, keep: 1 });
    assert.ok(Object.isFrozen(c.backup));
  });

  it('refuses out-of-range backup intervals and retention, naming each variable', () => {
    assert.throws(
      () => loadConfig({ BACKUP_DIR: '/b', BACKUP_INTERVAL_MINUTES: '0', BACKUP_KEEP: '10001' }),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.problems
          .map((p) => p.split(':')[0])
          .sort()
          .join() === 'BACKUP_INTERVAL_MINUTES,BACKUP_KEEP',
    );
    assert.throws(() => loadConfig({ BACKUP_INTERVAL_MINUTES: '1441' }), /BACKUP_INTERVAL_MINUTES/);
    assert.throws(
      () => loadConfig({ BACKUP_INTERVAL_MINUTES: '7.5' }),
      /BACKUP_INTERVAL_MINUTES: must be a whole number/,
    );
    assert.throws(() => loadConfig({ BACKUP_KEEP: '0' }), /BACKUP_KEEP/);
  });

  it('refuses BACKUP_DIR with DATABASE_URL, pointing at pg_dump and WAL archiving', () => {
    assert.throws(
      () => loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/sy', BACKUP_DIR: '/b' }),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.problems.length === 1 &&
        /^BACKUP_DIR: .*embedded database only/.test(e.problems[0] ?? '') &&
        /pg_dump/.test(e.message) &&
        /WAL archiving/.test(e.message) &&
        /docs\/operations\.md/.test(e.message),
    );
    assert.equal(loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/sy' }).backup, undefined);
  });
});
