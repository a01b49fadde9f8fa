import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, type TestContext, test } from 'node:test';
import { Secret, TOTP } from 'otpauth';
import { keyIdOf } from '../../src/platform/crypto/index.ts';
import { createTestDatabase, isPostgresAvailable, type TestDatabase } from '../support/databases.ts';
import {
  api,
  type CliProcess,
  cliEnv,
  killAll,
  makeDataDir,
  newSecretKey,
  REPO_ROOT,
  removeDataDirs,
  runCli,
  spawnCli,
  startReady,
  signupHeaders,
} from './spawn.ts';

// Decided before any test is declared; throws in CI when PostgreSQL is unreachable.
const POSTGRES_AVAILABLE = await isPostgresAvailable();

const PACKAGE_VERSION = (
  JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

interface Item {
  id: string;
  name: string;
  tags: string[];
  metadata: Record<string, unknown>;
  version: number;
  [key: string]: unknown;
}

interface AuditEntry {
  action: string;
  target: { type: string; id: string };
}

after(async () => {
  await killAll();
  removeDataDirs();
});

/** SIGTERM, then the process must exit 0 having logged "stopped cleanly". */
async function stopCleanly(proc: CliProcess): Promise<void> {
  proc.signal('SIGTERM');
  const exit = await proc.waitForExit(15_000);
  assert.deepEqual(exit, { code: 0, signal: null }, `expected a clean exit\n${proc.output()}`);
  assert.ok(proc.messages().includes('stopped cleanly'), `no "stopped cleanly" line\n${proc.output()}`);
}

async function restartRoundTrip(t: TestContext, env: NodeJS.ProcessEnv, backend: 'pglite' | 'postgres') {
  const first = await startReady(['start'], env);
  t.diagnostic(`[${backend}] time to ready, first start: ${first.readyMs} ms`);
  if (backend === 'pglite') {
    assert.ok(first.proc.messages().includes('creating embedded database'), 'first start creates the database');
  }

  const auth = await signupHeaders(first.url);
  const created: Item[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await api(
      first.url,
      'POST',
      '/api/v1/items',
      { name: `e2e item ${i}`, tags: ['e2e', `n${i}`], metadata: { index: i, nested: { kept: true } } },
      auth,
    );
    assert.equal(res.status, 201, JSON.stringify(res.body));
    created.push(res.body as Item);
  }
  const put = await api(first.url, 'PUT', '/api/v1/settings/general.timezone', { value: 'Europe/Paris' }, auth);
  assert.equal(put.status, 200, JSON.stringify(put.body));
  const putSetting = put.body as { value: unknown; version: number };
  assert.equal(putSetting.value, 'Europe/Paris');

  await stopCleanly(first.proc);

  const second = await startReady(['start'], env);
  t.diagnostic(`[${backend}] time to ready, second start: ${second.readyMs} ms`);
  if (backend === 'pglite') {
    assert.ok(
      !second.proc.messages().includes('creating embedded database'),
      'second start must reopen the existing database, not create one',
    );
  }

  // The access token from before the restart still works: the master key persisted too (the key
  // file in embedded mode, the same SWITCHYARD_SECRET_KEY with PostgreSQL).
  const list = await api(second.url, 'GET', '/api/v1/items?limit=100', undefined, auth);
  assert.equal(list.status, 200, `the pre-restart access token must still work: ${JSON.stringify(list.body)}`);
  const byId = (a: Item, b: Item) => a.id.localeCompare(b.id);
  const listed = [...(list.body as { data: Item[] }).data].sort(byId);
  assert.deepEqual(listed, [...created].sort(byId), 'the same items, ids and versions survive a restart');
  for (const item of listed) assert.equal(item.version, 1);

  const setting = await api(second.url, 'GET', '/api/v1/settings/general.timezone', undefined, auth);
  assert.equal(setting.status, 200);
  assert.equal((setting.body as { value: unknown }).value, 'Europe/Paris');
  assert.equal((setting.body as { isDefault: boolean }).isDefault, false);
  assert.equal((setting.body as { version: number }).version, putSetting.version);

  const audit = await api(second.url, 'GET', '/api/v1/audit-logs?limit=100', undefined, auth);
  assert.equal(audit.status, 200, JSON.stringify(audit.body));
  const entries = (audit.body as { data: AuditEntry[] }).data;
  const itemCreated = entries.filter((e) => e.action === 'item.created').map((e) => e.target.id);
  assert.deepEqual(itemCreated.sort(), created.map((i) => i.id).sort());
  const settingUpdated = entries.filter((e) => e.action === 'setting.updated');
  assert.deepEqual(
    settingUpdated.map((e) => e.target),
    [{ type: 'setting', id: 'general.timezone' }],
  );

  await stopCleanly(second.proc);
}

describe('switchyard CLI end to end', () => {
  after(killAll);

  test('start on PGlite keeps items, settings and audit logs across a clean SIGTERM restart', async (t) => {
    const dataDir = makeDataDir();
    await restartRoundTrip(t, cliEnv({ SWITCHYARD_DATA_DIR: dataDir }), 'pglite');
    // Embedded mode made its own master key on first start, readable by this user only.
    const keyFile = fs.statSync(path.join(dataDir, 'secret.key'));
    if (process.platform !== 'win32') assert.equal(keyFile.mode & 0o777, 0o600);
  });

  test(
    'start on PostgreSQL keeps items, settings and audit logs across a clean SIGTERM restart',
    {
      skip: POSTGRES_AVAILABLE ? false : 'PostgreSQL not reachable (set TEST_DATABASE_URL)',
    },
    async (t) => {
      const db: TestDatabase = await createTestDatabase('postgres');
      t.after(async () => {
        await killAll();
        await db.dispose();
      });
      assert.ok(db.url);
      const dataDir = makeDataDir();
      // One key for both starts, as every process of a deployment shares one.
      const env = cliEnv({ SWITCHYARD_DATA_DIR: dataDir, DATABASE_URL: db.url, SWITCHYARD_SECRET_KEY: newSecretKey() });
      await restartRoundTrip(t, env, 'postgres');
      // PostgreSQL mode must not open an embedded database, nor make a key file, in the data dir.
      assert.equal(fs.existsSync(path.join(dataDir, 'pgdata')), false, 'no PGlite data dir with DATABASE_URL');
      assert.equal(fs.existsSync(path.join(dataDir, 'secret.key')), false, 'no key file with DATABASE_URL');
    },
  );

  test('SIGTERM during start-up lets start-up finish, then stops cleanly (exit 0), never half-migrated', async () => {
    const env = cliEnv({ SWITCHYARD_DATA_DIR: makeDataDir() });
    const proc = spawnCli(['start'], env);
    // Logged inside start-up, before the migrations and the listener.
    await proc.waitForLog((l) => l.msg === 'creating embedded database', 'the database to be created', 90_000);
    await stopCleanly(proc);
    const messages = proc.messages();
    const i = messages.indexOf('signal during start-up: stopping as soon as start-up completes');
    // The signal normally lands mid start-up; if start-up won the race, the usual stop ran instead.
    if (i !== -1) assert.ok(i < messages.indexOf('stopped cleanly'));
    // The database it created is whole: a second start opens it and serves.
    const again = await startReady(['start'], env);
    assert.ok(!again.proc.messages().includes('creating embedded database'));
    await stopCleanly(again.proc);
  });

  test('SIGTERM during a burst of writes answers every accepted request and exits 0', async (t) => {
    const dataDir = makeDataDir();
    // A shorter drain budget than the 10 s default keeps a failure quick; 5 s is ample for 30 inserts.
    const env = cliEnv({ SWITCHYARD_DATA_DIR: dataDir, SHUTDOWN_TIMEOUT_MS: '5000' });
    const { proc, url } = await startReady(['start'], env);
    const auth = await signupHeaders(url);

    type Outcome = { requestId: string; status: number; body: string } | { requestId: string; error: string };
    const post = (requestId: string, body: string | ReadableStream<Uint8Array>): Promise<Outcome> =>
      fetch(`${url}/api/v1/items`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': requestId, ...auth },
        body,
        duplex: 'half',
        signal: AbortSignal.timeout(15_000),
      } as RequestInit).then(
        async (res) => ({ requestId, status: res.status, body: await res.text() }),
        (err: unknown) => ({ requestId, error: String((err as Error).cause ?? err) }),
      );

    // 20 requests whose bodies are held back half-way: the server has taken them (routed and
    // logged them) but cannot finish them until after SIGTERM, so they are truly in flight.
    let release: () => void = () => {};
    const released = new Promise<void>((r) => {
      release = r;
    });
    const HELD = 20;
    const held = Array.from({ length: HELD }, (_, i) => {
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(new TextEncoder().encode(`{"name":"held `));
          await released;
          controller.enqueue(new TextEncoder().encode(`${i}"}`));
          controller.close();
        },
      });
      return post(`e2e-held-${i}`, body);
    });
    const isIncoming = (prefix: string) => (l: { msg?: string; requestId?: string }) =>
      l.msg === 'incoming request' && String(l.requestId).startsWith(prefix);
    try {
      await proc.waitForLog(
        () => proc.logs.filter(isIncoming('e2e-held-')).length === HELD,
        `all ${HELD} held requests to reach the server`,
        10_000,
      );
    } finally {
      // Never leave the streams hanging, whatever happens.
      setTimeout(release, 10_000).unref();
    }

    // A second, unthrottled burst races the signal.
    const RACING = 10;
    const racing = Array.from({ length: RACING }, (_, i) =>
      post(`e2e-race-${i}`, JSON.stringify({ name: `race ${i}` })),
    );
    proc.signal('SIGTERM');
    await proc.waitForLog((l) => l.msg === 'shutting down: draining requests', 'the shutdown to begin', 5_000);
    release();

    const results = await Promise.all([...held, ...racing]);
    // Asserted last, so the response and durability checks below run either way.
    const exit = await proc.waitForExit(15_000);

    const responded = results.filter((r) => 'status' in r);
    const created = responded.filter((r) => r.status === 201);
    t.diagnostic(
      `held ${HELD}, racing ${RACING}: ${created.length} × 201, ` +
        `${responded.filter((r) => r.status === 503).length} × 503, ` +
        `${results.length - responded.length} without a response`,
    );
    for (const r of responded) {
      assert.ok(r.status === 201 || r.status === 503, `unexpected ${r.status} for ${r.requestId}: ${r.body}`);
    }

    // Every request the server accepted (logged as incoming) was answered, and with 201.
    const accepted = proc.logs.filter((l) => isIncoming('e2e-')(l)).map((l) => String(l.requestId));
    assert.ok(accepted.length >= HELD);
    for (const requestId of accepted) {
      const result = results.find((r) => r.requestId === requestId);
      assert.ok(
        result && 'status' in result,
        `accepted request ${requestId} got no response: ${JSON.stringify(result)}`,
      );
      assert.equal(result.status, 201, `accepted request ${requestId} answered ${result.status}: ${result.body}`);
    }

    const again = await startReady(['start'], env);
    const list = await api(again.url, 'GET', '/api/v1/items?limit=100', undefined, auth);
    assert.equal(list.status, 200);
    const names = (list.body as { data: Item[] }).data.map((i) => i.name).sort();
    const expected = created.map((r) => (JSON.parse(r.body) as Item).name).sort();
    assert.deepEqual(names, expected, 'exactly the items answered 201 were stored');
    await stopCleanly(again.proc);

    assert.deepEqual(exit, { code: 0, signal: null }, `the drained process must exit 0\n${proc.output()}`);
    assert.ok(proc.messages().includes('stopped cleanly'), proc.output());
  });

  test('a second process on the same PGlite data dir refuses to start while the first keeps serving', async () => {
    const dataDir = makeDataDir();
    const env = cliEnv({ SWITCHYARD_DATA_DIR: dataDir });
    const first = await startReady(['start'], env);
    const lockFile = path.join(dataDir, 'pgdata.lock');
    assert.equal(fs.readFileSync(lockFile, 'utf8'), String(first.proc.pid));

    const second = await runCli(['start'], env);
    assert.notEqual(second.code, 0, `second process must fail\n${second.proc.output()}`);
    assert.equal(second.signal, null);
    assert.match(`${second.stdout}${second.stderr}`, new RegExp(`in use by process ${first.proc.pid}\\b`));
    assert.ok(!second.proc.messages().some((m) => m.startsWith('Switchyard listening')));

    // The refused process must leave the first one's lock and service alone.
    assert.equal(fs.readFileSync(lockFile, 'utf8'), String(first.proc.pid));
    const ready = await api(first.url, 'GET', '/health/ready');
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
    const created = await api(
      first.url,
      'POST',
      '/api/v1/items',
      { name: 'still serving' },
      await signupHeaders(first.url),
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));

    await stopCleanly(first.proc);
    assert.equal(fs.existsSync(lockFile), false, 'a clean stop releases the lock');
  });

  test('an invalid configuration or command stops start-up with a usage exit code', async () => {
    const dataDir = path.join(makeDataDir(), 'never-created');
    const [badPort, badDb, both, unknown, badFlag] = await Promise.all([
      runCli(['start'], cliEnv({ SWITCHYARD_DATA_DIR: dataDir, PORT: 'abc' })),
      runCli(['start'], cliEnv({ SWITCHYARD_DATA_DIR: dataDir, DATABASE_URL: 'mysql://x' })),
      runCli(['start'], cliEnv({ SWITCHYARD_DATA_DIR: dataDir, PORT: 'abc', DATABASE_URL: 'mysql://x' })),
      runCli(['frobnicate'], cliEnv({ SWITCHYARD_DATA_DIR: dataDir })),
      runCli(['start', '--no-such-flag'], cliEnv({ SWITCHYARD_DATA_DIR: dataDir })),
    ]);

    assert.equal(badPort.code, 78, badPort.proc.output());
    assert.match(badPort.stderr, /PORT: .*"abc"/);
    assert.doesNotMatch(badPort.stderr, /DATABASE_URL/);

    assert.equal(badDb.code, 78, badDb.proc.output());
    assert.match(badDb.stderr, /DATABASE_URL: must be a postgres/);
    assert.doesNotMatch(badDb.stderr, /PORT/);

    // Every problem is listed at once.
    assert.equal(both.code, 78, both.proc.output());
    assert.match(both.stderr, /PORT/);
    assert.match(both.stderr, /DATABASE_URL/);

    assert.equal(unknown.code, 2, unknown.proc.output());
    assert.match(unknown.stderr, /Unknown command: frobnicate/);
    assert.match(unknown.stderr, /Usage: switchyard <command>/);

    assert.equal(badFlag.code, 2, badFlag.proc.output());
    assert.match(badFlag.stderr, /no-such-flag/);
    assert.match(badFlag.stderr, /Usage: switchyard <command>/);

    for (const r of [badPort, badDb, both, unknown, badFlag]) {
      assert.equal(r.stdout, '', `nothing on stdout for a refused start\n${r.proc.output()}`);
    }
    assert.equal(fs.existsSync(dataDir), false, 'a refused start touches no data dir');
  });

  test('migrate prepares a data dir for api, and api refuses a never-migrated one', async () => {
    const migrated = makeDataDir();
    const migrate = await runCli(['migrate'], cliEnv({ SWITCHYARD_DATA_DIR: migrated }));
    assert.equal(migrate.code, 0, migrate.proc.output());
    assert.ok(migrate.proc.messages().includes('migrations applied'), migrate.proc.output());
    assert.equal(fs.existsSync(path.join(migrated, 'pgdata.lock')), false, 'migrate releases the lock');

    const apiOnly = await startReady(['api'], cliEnv({ SWITCHYARD_DATA_DIR: migrated }));
    const listening = apiOnly.proc.logs.find((l) => l.msg?.startsWith('Switchyard listening'));
    assert.deepEqual(listening?.roles, ['api']);
    const created = await api(
      apiOnly.url,
      'POST',
      '/api/v1/items',
      { name: 'on a migrated dir' },
      await signupHeaders(apiOnly.url),
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await stopCleanly(apiOnly.proc);

    const fresh = makeDataDir();
    const refused = await runCli(['api'], cliEnv({ SWITCHYARD_DATA_DIR: fresh }));
    assert.notEqual(refused.code, 0, refused.proc.output());
    assert.equal(refused.signal, null);
    assert.match(`${refused.stdout}${refused.stderr}`, /run `switchyard migrate`/);
    assert.ok(!refused.proc.messages().some((m) => m.startsWith('Switchyard listening')), refused.proc.output());
    assert.equal(fs.existsSync(path.join(fresh, 'pgdata.lock')), false, 'a refused start releases the lock');
  });

  test('with DATABASE_URL and no SWITCHYARD_SECRET_KEY every command but migrate exits 78 naming it', async (t) => {
    // Nothing listens on port 1: a role that got as far as the database would fail with 1, not 78.
    const unreachable = 'postgres://switchyard@127.0.0.1:1/switchyard';
    const dataDir = path.join(makeDataDir(), 'never-created');
    const env = cliEnv({ SWITCHYARD_DATA_DIR: dataDir, DATABASE_URL: unreachable });
    const commands = [['start'], ['api'], ['worker'], ['scheduler'], ['admin', 'rotate-key']];
    const refused = await Promise.all(commands.map((args) => runCli(args, env)));
    for (const [i, r] of refused.entries()) {
      const what = `${commands[i]?.join(' ')}\n${r.proc.output()}`;
      assert.equal(r.code, 78, what);
      assert.match(r.stderr, /SWITCHYARD_SECRET_KEY is required when DATABASE_URL is set/, what);
      assert.match(r.stderr, /openssl rand -base64 32/, what);
      assert.equal(r.stdout, '', what);
    }
    assert.equal(fs.existsSync(dataDir), false, 'no key file is made as a fallback');

    // A key file left by an earlier start is pointed at, not silently used.
    const withFile = makeDataDir();
    fs.writeFileSync(path.join(withFile, 'secret.key'), `${newSecretKey()}\n`, { mode: 0o600 });
    const hinted = await runCli(['start'], cliEnv({ SWITCHYARD_DATA_DIR: withFile, DATABASE_URL: unreachable }));
    assert.equal(hinted.code, 78, hinted.proc.output());
    assert.ok(hinted.stderr.includes(path.join(withFile, 'secret.key')), hinted.proc.output());

    // migrate handles no secrets, so it does not ask for the key.
    if (POSTGRES_AVAILABLE) {
      const db = await createTestDatabase('postgres');
      t.after(() => db.dispose());
      assert.ok(db.url);
      const migrate = await runCli(['migrate'], cliEnv({ SWITCHYARD_DATA_DIR: dataDir, DATABASE_URL: db.url }));
      assert.equal(migrate.code, 0, migrate.proc.output());
    } else {
      const migrate = await runCli(['migrate'], env);
      assert.equal(migrate.code, 1, migrate.proc.output());
      assert.doesNotMatch(migrate.proc.output(), /SWITCHYARD_SECRET_KEY/);
    }
  });

  test('admin rotate-key moves a PGlite install to a new key without losing TOTP secrets or live tokens', async () => {
    const dataDir = makeDataDir();
    const keyFile = path.join(dataDir, 'secret.key');
    const email = `rotate-${process.pid}@example.test`;
    const password = 'Quartz meadow lantern 7 drifting owl';

    // 1. An install on its generated key file, with a TOTP enrolment (a sealed secret) pending.
    const first = await startReady(['start'], cliEnv({ SWITCHYARD_DATA_DIR: dataDir }));
    const signup = await api(first.url, 'POST', '/api/v1/auth/signup', {
      email,
      password,
      name: 'Rotate',
      organizationName: 'Rotate org',
    });
    assert.equal(signup.status, 201, JSON.stringify(signup.body));
    const oldToken = { authorization: `Bearer ${(signup.body as { accessToken: string }).accessToken}` };
    const enroll = await api(first.url, 'POST', '/api/v1/auth/mfa/totp/enroll', { password }, oldToken);
    assert.equal(enroll.status, 200, JSON.stringify(enroll.body));
    // SHA1, 6 digits, 30 s: the parameters the enrolment's otpauth URI states.
    const totp = new TOTP({ secret: Secret.fromBase32((enroll.body as { secret: string }).secret) });
    await stopCleanly(first.proc);

    // 2. The operator puts a new key first and keeps the old one, then rotates.
    const oldKey = fs.readFileSync(keyFile, 'utf8').trim();
    const newKey = newSecretKey();
    const newId = keyIdOf(Buffer.from(newKey, 'base64'));
    const both = cliEnv({ SWITCHYARD_DATA_DIR: dataDir, SWITCHYARD_SECRET_KEY: `${newKey},${oldKey}` });
    const rotated = await runCli(['admin', 'rotate-key'], both);
    assert.equal(rotated.code, 0, rotated.proc.output());
    assert.match(rotated.stdout, /users\.totp_secret_sealed\s+1 re-sealed, 0 already current/);
    assert.match(rotated.stdout, /identity_providers\.client_secret_sealed\s+0 re-sealed, 0 already current/);
    assert.match(rotated.stdout, new RegExp(`Re-sealed 1 value\\(s\\) under key ${newId}\\.`));
    const again = await runCli(['admin', 'rotate-key'], both);
    assert.equal(again.code, 0, again.proc.output());
    assert.match(again.stdout, /users\.totp_secret_sealed\s+0 re-sealed, 1 already current/, 'idempotent');
    assert.equal(fs.readFileSync(keyFile, 'utf8').trim(), oldKey, 'the key file is never rewritten');

    // 3. While the old key is still in the ring, tokens it signed keep working.
    const during = await startReady(['start'], both);
    assert.equal((await api(during.url, 'GET', '/api/v1/items', undefined, oldToken)).status, 200);
    await stopCleanly(during.proc);

    // 4. Old key removed: its tokens are refused, but the TOTP secret opens under the new key alone.
    const after = await startReady(['start'], cliEnv({ SWITCHYARD_DATA_DIR: dataDir, SWITCHYARD_SECRET_KEY: newKey }));
    assert.equal((await api(after.url, 'GET', '/api/v1/items', undefined, oldToken)).status, 401);
    const login = await api(after.url, 'POST', '/api/v1/auth/login', { email, password });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    const newToken = { authorization: `Bearer ${(login.body as { accessToken: string }).accessToken}` };
    const confirm = await api(after.url, 'POST', '/api/v1/auth/mfa/totp/confirm', { code: totp.generate() }, newToken);
    assert.equal(confirm.status, 200, JSON.stringify(confirm.body));
    await stopCleanly(after.proc);
  });

  test('admin create-operator makes an operator who can log in, and admin outbox prints queued mail', async () => {
    const dataDir = makeDataDir();
    const env = cliEnv({ SWITCHYARD_DATA_DIR: dataDir });
    const created = await runCli(['admin', 'create-operator', '--email', 'Ops@Example.test', '--name', 'Ops'], env);
    assert.equal(created.code, 0, created.proc.output());
    const password = /Password \(shown once[^:]*\): (\S+)/.exec(created.stdout)?.[1];
    assert.ok(password, 'a generated password is printed once');
    const again = await runCli(['admin', 'create-operator', '--email', 'ops@example.test'], env);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /is now an instance operator; their password is unchanged/);
    assert.doesNotMatch(again.stdout, /Password/);
    const bad = await runCli(['admin', 'create-operator'], env);
    assert.equal(bad.code, 2);

    const server = await startReady(['start'], env);
    const login = await api(server.url, 'POST', '/api/v1/auth/login', { email: 'ops@example.test', password });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    const auth = { authorization: `Bearer ${(login.body as { accessToken: string }).accessToken}` };
    assert.equal((await api(server.url, 'GET', '/api/v1/operator/tenants', undefined, auth)).status, 200);
    const invited = await api(
      server.url,
      'POST',
      '/api/v1/invitations',
      { email: 'new@example.test', role: 'editor' },
      auth,
    );
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    await stopCleanly(server.proc);

    const outbox = await runCli(['admin', 'outbox', '--to', 'new@example.test'], env);
    assert.equal(outbox.code, 0, outbox.proc.output());
    assert.match(outbox.stdout, /invitation\s+to new@example\.test/);
    assert.match(outbox.stdout, /accept-invitation\?token=inv_/);
  });

  test('--version prints the package version and --help prints usage with every command', async () => {
    const env = cliEnv({ SWITCHYARD_DATA_DIR: path.join(makeDataDir(), 'unused') });
    const [version, v, help, h] = await Promise.all([
      runCli(['--version'], env),
      runCli(['-v'], env),
      runCli(['--help'], env),
      runCli(['-h'], env),
    ]);
    for (const r of [version, v]) {
      assert.equal(r.code, 0, r.proc.output());
      assert.equal(r.stdout, `${PACKAGE_VERSION}\n`);
      assert.equal(r.stderr, '');
    }
    for (const r of [help, h]) {
      assert.equal(r.code, 0, r.proc.output());
      assert.match(r.stdout, /^Usage: switchyard <command> \[options\]$/m);
      for (const command of ['start', 'api', 'worker', 'scheduler', 'migrate']) {
        assert.match(r.stdout, new RegExp(`^ {2}${command}\\s{2,}\\S`, 'm'), `usage lists ${command}`);
      }
      assert.match(r.stdout, /^ {2}admin rotate-key$/m, 'usage lists admin rotate-key');
      assert.equal(r.stderr, '');
    }
    assert.equal(help.stdout, h.stdout);
  });
});
