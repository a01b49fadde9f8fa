// Builds dist/switchyard.mjs: the server's TypeScript sources in one ES module (dependencies stay
// imports from node_modules), so `npm start` runs plain JavaScript instead of compiling every
// source file in-process with tsx — ~65 MB less resident memory (bench/README.md). esbuild ships
// with tsx; a build takes well under a second. bin/switchyard.mjs uses the build only while it is
// newer than every source file, and tsx otherwise, so a stale build is never run.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const quiet = process.argv.includes('--quiet');
const started = Date.now();
try {
  const outfile = path.join(root, 'dist', 'switchyard.mjs');
  const result = await build({
    entryPoints: [path.join(root, 'src', 'main.ts')],
    outfile,
    write: false,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    // Class and function names survive, for logs and error names.
    keepNames: true,
    logLevel: 'warning',
  });
  // Written beside, then renamed: a process starting meanwhile reads the old build or the new one,
  // never half of one.
  const [file] = result.outputFiles;
  fs.mkdirSync(path.dirname(outfile), { recursive: true });
  const tmp = `${outfile}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, file.contents);
  fs.renameSync(tmp, outfile);
  if (!quiet) console.log(`switchyard: built dist/switchyard.mjs in ${Date.now() - started} ms`);
} catch (err) {
  // Never block a start: without a build, bin/switchyard.mjs runs the sources through tsx.
  console.warn(`switchyard: build failed (${err?.message ?? err}); running from source`);
}
