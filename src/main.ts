import { parseArgs } from 'node:util';
import { ConfigError, type Env, loadConfig } from './config.ts';
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
  if (positionals.length > 1 || (command !== 'migrate' && !ROLES_BY_COMMAND[command])) {
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
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
}
