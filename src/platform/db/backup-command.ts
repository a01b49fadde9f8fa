import type { loadConfig } from '../../config.ts';
import { VERSION } from '../../version.ts';
import { BackupError, type BackupTarget, backupInstance, restoreInstance } from './backup.ts';

/** The CLI adapter of `switchyard admin backup|restore <file>`: prints, and returns the exit code. */
export async function runBackupCommand(
  sub: 'backup' | 'restore',
  file: string,
  config: ReturnType<typeof loadConfig>,
  opts: { force: boolean },
): Promise<number> {
  const db = config.database;
  const target: BackupTarget =
    db.kind === 'pglite'
      ? { kind: 'pglite', pgDataDir: db.dataDir, instanceDir: config.dataDir }
      : { kind: 'postgres', url: db.url };
  try {
    if (sub === 'backup') {
      const { manifest, warnings } = await backupInstance(target, file, VERSION);
      for (const w of warnings) process.stderr.write(`Warning: ${w}\n`);
      process.stdout.write(
        `Backed up the ${manifest.backend} database (migration ${manifest.migrations.count}, ` +
          `${manifest.payloadBytes} bytes) to ${file}.\n`,
      );
      return 0;
    }
    const manifest = await restoreInstance(target, file, { force: opts.force });
    process.stdout.write(
      `Restored the backup of ${manifest.createdAt} (Switchyard ${manifest.switchyardVersion}, migration ` +
        `${manifest.migrations.count}). Start the server: it applies any newer migrations.\n`,
    );
    return 0;
  } catch (err) {
    if (err instanceof BackupError) {
      process.stderr.write(`${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}
