import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The checkout's root: the nearest directory above this module holding Switchyard's package.json.
 * Found by walking up rather than by a fixed `../..`, so the same code works from `src/` (tsx) and
 * from the one-file build in `dist/` that `npm start` runs (scripts/build.mjs).
 */
export const ROOT: string = findRoot(path.dirname(fileURLToPath(import.meta.url)));

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'switchyard') return dir;
    } catch {
      // no package.json here: keep walking
    }
    if (path.dirname(dir) === dir) throw new Error(`Switchyard's package.json not found above ${from}`);
  }
}

/** Switchyard's package.json, parsed once. */
export const PACKAGE_JSON = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
};
