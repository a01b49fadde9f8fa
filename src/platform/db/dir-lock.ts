import fs from 'node:fs';

export interface DirLock {
  release(): void;
}

/**
 * An exclusive lock file holding our pid. A second process that finds the file with a live pid
 * refuses to start; a file left by a dead process (kill -9, power loss) is taken over.
 */
const heldHere = new Set<string>();

export function acquireDirLock(file: string): DirLock {
  if (heldHere.has(file)) throw new Error(`${file} is already locked by this process`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      let released = false;
      heldHere.add(file);
      return {
        release() {
          if (released) return;
          released = true;
          heldHere.delete(file);
          try {
            if (fs.readFileSync(file, 'utf8') === String(process.pid)) fs.unlinkSync(file);
          } catch {
            // Already gone: nothing to release.
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(fs.readFileSync(file, 'utf8'));
      // Our own pid in the file means a previous incarnation (a container restarts as pid 1).
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new Error(
          `The embedded database at ${file.replace(/\.lock$/, '')} is in use by process ${holder}. ` +
            'Only one process can open it; stop the other one, or set DATABASE_URL to share PostgreSQL.',
          { cause: err },
        );
      }
      fs.rmSync(file, { force: true });
    }
  }
  throw new Error(`Could not lock ${file}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
