import { parseArgs } from 'node:util';
import { ConfigError, type Env, loadConfig } from './config.ts';
import { createOperator, rotateSealedSecrets, type RotationResult } from './modules/identity/index.ts';
import { listOutbox } from './modules/mail/index.ts';
import {
  checkPasswordPolicy,
  hashPassword,
  type KeyRing,
  MasterKeyError,
  randomToken,
} from './platform/crypto/index.ts';
import { runBackupCommand } from './platform/db/backup-command.ts';
import { openDatabase } from './platform/db/database.ts';
import { createLogger } from './platform/telemetry/logger.ts';
import { describeDatabase, loadInstanceKeys, type Role, run } from './roles/run.ts';
import { VERSION } from './version.ts';

const USAGE = `switchyard ${VERSION} — self-hostable automation platform

Usage: switchyard <command> [options]

Commands:
  start       API, dashboard, worker and scheduler in one process; migrates first (default)
  api         HTTP API only (scale out behind a load balancer)
  worker      queue consumers only
  scheduler   cron triggers, delayed wake-ups, outbox relay (one per cluster)
  migrate     apply pending database migrations and exit
  admin create-operator --email <e> [--name <n>]
              make a user the instance operator (created if missing; password from
              SWITCHYARD_OPERATOR_PASSWORD, else generated and printed once)
  admin outbox [--to <email>] [--limit <n>]
              print queued emails (invitations, reset links) on an install without SMTP
  admin rotate-key
              re-encrypt every stored secret under the first key of SWITCHYARD_SECRET_KEY
              (or of the key file); run it after putting a new key first, before removing
              the old one
  admin backup <file>
              write a consistent snapshot (embedded: stop the server first, or set
              BACKUP_DIR and the running server writes snapshots itself; PostgreSQL:
              pg_dump); the file may hold the master key, so it is written mode 0600
  admin restore <file> [--force]
              restore a backup; refuses to replace a non-empty instance without --force

Options (each overrides its environment variable):
  --port <n>          PORT
  --host <addr>       HOST
  --data-dir <path>   SWITCHYARD_DATA_DIR
  --database-url <u>  DATABASE_URL
  --log-level <lvl>   LOG_LEVEL
  -h, --help          show this help
  -v, --version       print the version

Configuration is read from the environment; see the README's table. With DATABASE_URL,
SWITCHYARD_SECRET_KEY is required by every command but migrate.`;

const ROLES_BY_COMMAND: Record<string, Role[]> = {
  start: ['api', 'worker', 'scheduler'],
  api: ['api'],
  worker: ['worker'],
  scheduler: ['scheduler'],
};

export async function main(argv: string[], env: Env): Promise<number> {
  let parsed: ReturnType<typeof parseCli>;
  try {
    parsed = parseCli(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const command = positionals[0] ?? 'start';
  const isAdmin =
    command === 'admin' &&
    (positionals[1] === 'create-operator' || positionals[1] === 'outbox' || positionals[1] === 'rotate-key') &&
    positionals.length === 2;
  const isBackup =
    command === 'admin' && (positionals[1] === 'backup' || positionals[1] === 'restore') && positionals.length === 3;
  if (!isAdmin && !isBackup && (positionals.length > 1 || (command !== 'migrate' && !ROLES_BY_COMMAND[command]))) {
    process.stderr.write(`Unknown command: ${positionals.join(' ')}\n\n${USAGE}\n`);
    return 2;
  }

  const overrides: Env = {
    PORT: values.port,
    HOST: values.host,
    SWITCHYARD_DATA_DIR: values['data-dir'],
    DATABASE_URL: values['database-url'],
    LOG_LEVEL: values['log-level'],
  };
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig({
      ...env,
      ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 78; // EX_CONFIG
    }
    throw err;
  }
  const logger = createLogger(config.log);

  if (isBackup) {
    return runBackupCommand(positionals[1] === 'backup' ? 'backup' : 'restore', positionals[2] ?? '', config, {
      force: Boolean(values.force),
    });
  }
  if (isAdmin) {
    return runAdmin(positionals[1] ?? '', values, config, logger, env);
  }

  if (command === 'migrate') {
    try {
      const handle = await openDatabase(config.database, logger);
      try {
        await handle.migrate();
        logger.info({ database: describeDatabase(config) }, 'migrations applied');
      } finally {
        await handle.close();
      }
      return 0;
    } catch (err) {
      logger.fatal({ err }, 'migration failed');
      return 1;
    }
  }

  const roles = ROLES_BY_COMMAND[command] ?? [];
  // A signal during start-up (a rollout, Ctrl-C while migrating) must not kill the process halfway:
  // it is remembered, start-up finishes, and then the process stops as it would once running. A
  // second one exits at once.
  let early: NodeJS.Signals | undefined;
  const onEarlySignal = (signal: NodeJS.Signals) => {
    if (early) {
      logger.warn({ signal }, 'second signal during start-up: exiting now');
      process.stdout.write('', () => process.exit(1));
      return;
    }
    early = signal;
    logger.info({ signal }, 'signal during start-up: stopping as soon as start-up completes');
  };
  process.on('SIGTERM', onEarlySignal);
  process.on('SIGINT', onEarlySignal);
  let running: Awaited<ReturnType<typeof run>>;
  try {
    running = await run(config, logger, { roles, migrate: command === 'start' });
  } catch (err) {
    if (err instanceof MasterKeyError) return refuseKeys(err);
    logger.fatal({ err }, 'start-up failed');
    return 1;
  } finally {
    process.off('SIGTERM', onEarlySignal);
    process.off('SIGINT', onEarlySignal);
  }

  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals += 1;
      if (signals > 1) {
        logger.warn({ signal }, 'second signal: exiting now');
        resolve(1);
        return;
      }
      logger.info({ signal }, 'shutting down: draining requests');
      const timer = setTimeout(() => {
        logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timed out');
        resolve(1);
      }, config.shutdownTimeoutMs);
      timer.unref();
      running.stop().then(
        () => {
          clearTimeout(timer);
          logger.info('stopped cleanly');
          resolve(0);
        },
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    if (early) onSignal(early);
  });
}

/** A missing, malformed or unsafe master key is a configuration problem: say which, exit 78. */
function refuseKeys(err: MasterKeyError): number {
  process.stderr.write(`${err.message}\n`);
  return 78; // EX_CONFIG
}

/** `switchyard admin …`: operations on a (migrated) database, then exit. */
async function runAdmin(
  sub: string,
  values: ReturnType<typeof parseCli>['values'],
  config: ReturnType<typeof loadConfig>,
  logger: ReturnType<typeof createLogger>,
  env: Env,
): Promise<number> {
  // Keys before the database: a refused key must not leave a half-done command behind.
  let ring: KeyRing | undefined;
  if (sub === 'rotate-key') {
    try {
      ring = loadInstanceKeys(config);
    } catch (err) {
      if (err instanceof MasterKeyError) return refuseKeys(err);
      throw err;
    }
  }
  const handle = await openDatabase(config.database, logger).catch((err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    return undefined;
  });
  if (!handle) return 1;
  try {
    await handle.migrate();
    if (ring) {
      const result = await rotateSealedSecrets(handle.db, ring);
      printRotation(result, ring);
      return result.failures.length > 0 ? 1 : 0;
    }
    if (sub === 'create-operator') {
      const email = values.email?.trim().toLowerCase();
      if (!email || !/^[^@\s]+@[^@\s]+$/.test(email)) {
        process.stderr.write('admin create-operator needs --email <address>\n');
        return 2;
      }
      const given = env.SWITCHYARD_OPERATOR_PASSWORD;
      const password = given || `${randomToken(18)}`;
      if (given) {
        const problems = await checkPasswordPolicy(given, { email });
        if (problems.length) {
          process.stderr.write(
            `SWITCHYARD_OPERATOR_PASSWORD is too weak: ${problems.map((p) => p.message).join(' ')}\n`,
          );
          return 2;
        }
      }
      const result = await createOperator(handle.db, {
        email,
        name: values.name ?? 'Operator',
        passwordHash: await hashPassword(password),
      });
      if (result.created) {
        process.stdout.write(`Created operator ${email} (${result.userId}).\n`);
        if (!given) process.stdout.write(`Password (shown once, change it after logging in): ${password}\n`);
      } else {
        process.stdout.write(`${email} (${result.userId}) is now an instance operator; their password is unchanged.\n`);
      }
      return 0;
    }
    const limit = Math.min(Math.max(Number(values.limit ?? 20) || 20, 1), 200);
    const mails = await listOutbox(handle.db, { to: values.to, limit });
    if (mails.length === 0) process.stdout.write('The outbox is empty.\n');
    for (const m of mails) {
      process.stdout.write(`--- ${m.createdAt}  ${m.kind}  to ${m.to}\nSubject: ${m.subject}\n\n${m.text}\n`);
    }
    return 0;
  } finally {
    await handle.close();
  }
}

function printRotation(result: RotationResult, ring: KeyRing): void {
  const width = Math.max(...Object.keys(result.columns).map((c) => c.length));
  const lines = Object.entries(result.columns).map(
    ([column, c]) =>
      `  ${column.padEnd(width)}  ${c.resealed} re-sealed, ${c.current} already current` +
      (c.failed ? `, ${c.failed} FAILED` : ''),
  );
  const total = Object.values(result.columns).reduce((n, c) => n + c.resealed, 0);
  process.stdout.write(
    `Key ring: ${ring.keyIds.join(', ')} (current ${result.keyId}).\n${lines.join('\n')}\n` +
      `Re-sealed ${total} value(s) under key ${result.keyId}.\n`,
  );
  for (const f of result.failures) {
    process.stderr.write(`Could not re-seal ${f.column} of ${f.rowKey}: ${f.message}\n`);
  }
  if (result.failures.length > 0) {
    process.stderr.write(
      `${result.failures.length} value(s) could not be opened with the key ring and were left as they are; ` +
        'keep every older key in the ring until this command reports no failures.\n',
    );
  } else if (ring.keyIds.length > 1) {
    process.stdout.write(
      `If every process already runs with ${result.keyId} first, nothing stored depends on the older key(s): ` +
        'remove them once the access tokens they signed have expired (ACCESS_TOKEN_TTL_SECONDS after that restart).\n',
    );
  }
}

function parseCli(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      'database-url': { type: 'string' },
      'log-level': { type: 'string' },
      email: { type: 'string' },
      name: { type: 'string' },
      to: { type: 'string' },
      limit: { type: 'string' },
      force: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
}
