import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pgliteConf, pgliteExtensions } from './pglite-options.ts';

/**
 * A freshly initialised PGlite data directory, dumped as a gzip tarball. Running initdb costs
 * 3–8 s and ~0.7 GB of memory; loading this template costs ~0.5 s and a third of the memory.
 * `npm install` builds it (scripts/postinstall.mjs → this file) and first start and the test
 * suite load it. It is keyed by the PGlite version because the on-disk format follows it.
 */
const require = createRequire(import.meta.url);

/** The installed package's directory (its exports map hides package.json from resolve). */
function pglitePackageDir(): string {
  let dir = path.dirname(require.resolve('@electric-sql/pglite'));
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}

export function pgliteVersion(): string {
  const pkgPath = path.join(pglitePackageDir(), 'package.json');
  return (JSON.parse(fs.readFileSync(pkgPath, 'utf8')) as { version: string }).version;
}

export function defaultTemplatePath(): string {
  // node_modules/.cache is the conventional home for derived artefacts of installed packages.
  const nodeModules = path.resolve(pglitePackageDir(), '..', '..');
  return path.join(nodeModules, '.cache', 'switchyard', `pglite-template-${pgliteVersion()}.tar.gz`);
}

/** Returns the template blob, building it first if it is missing. Safe to call concurrently. */
export async function ensurePgliteTemplate(file = defaultTemplatePath()): Promise<Blob> {
  if (fs.existsSync(file)) return new Blob([fs.readFileSync(file)]);
  const pg = await PGlite.create({ extensions: pgliteExtensions, postgresqlconf: pgliteConf });
  try {
    const blob = await pg.dumpDataDir('gzip');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Write then rename so a concurrent reader never sees half a file.
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, Buffer.from(await blob.arrayBuffer()));
    fs.renameSync(tmp, file);
    return blob;
  } finally {
    await pg.close();
  }
}

/** The template if it exists, else undefined (callers then let PGlite run initdb). */
export function readPgliteTemplate(file = defaultTemplatePath()): Blob | undefined {
  return fs.existsSync(file) ? new Blob([fs.readFileSync(file)]) : undefined;
}
