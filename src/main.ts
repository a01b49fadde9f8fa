import { parseArgs } from 'node:util';
import { ConfigError, type Env, loadConfig } from './config.ts';
import { createOperator } from './modules/identity/index.ts';
import { listOutbox } from './modules/mail/index.ts';
import { checkPasswordPolicy, hashPassword, randomToken } from './platform/crypto/index.ts';
import { openDatabase } from './platform/db/database.ts';
import { createLogger } from './platform/telemetry/logger.ts';
import { describeDatabase, type Role, run } from './roles/run.ts';
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

Options (each overrides its environment variable):
  --port <n>          PORT
  --host <addr>       HOST
  --data-dir <path>   SWITCHYARD_DATA_DIR
  --database-url <u>  DATABASE_URL
  --log-level <lvl>   LOG_LEVEL
  -h, --help          show this help
  -v, --version       print the version

Configuration is read from the environment; see the README's table.`;

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
    (positionals[1] === 'create-operator' || positionals[1] === 'outbox') &&
    positionals.length === 2;
  if (!isAdmin && (positionals.length > 1 || (command !== 'migrate' && !ROLES_BY_COMMAND[command]))) {
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
  let running: Awaited<ReturnType<typeof run>>;
  try {
    running = await run(config, logger, { roles, migrate: command === 'start' });
  } catch (err) {
    logger.fatal({ err }, 'start-up failed');
    return 1;
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
  });
}

/** `switchyard admin …`: operations on a (migrated) database, then exit. */
async function runAdmin(
  sub: string,
  values: ReturnType<typeof parseCli>['values'],
  config: ReturnType<typeof loadConfig>,
  logger: ReturnType<typeof createLogger>,
  env: Env,
): Promise<number> {
  const handle = await openDatabase(config.database, logger).catch((err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    return undefined;
  });
  if (!handle) return 1;
  try {
    await handle.migrate();
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
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
}
