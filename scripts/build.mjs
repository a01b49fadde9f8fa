// Builds dist/: the server's TypeScript sources as plain ES modules — dist/switchyard.mjs plus
// chunks for what is imported lazily (the AI SDK, the NLP model), so those stay unloaded until
// used — with dependencies left as imports from node_modules. `npm start` then runs JavaScript
// instead of compiling every source file in-process with tsx: ~65 MB less resident memory
// (bench/README.md). esbuild ships with tsx; a build takes well under a second. bin/switchyard.mjs
// uses the build only while it is newer than every source file, and tsx otherwise, so a stale
// build is never run.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const quiet = process.argv.includes('--quiet');
const started = Date.now();
const dist = path.join(root, 'dist');
const staging = `${dist}.${process.pid}.tmp`;
try {
  const result = await build({
    entryPoints: {
      switchyard: path.join(root, 'src', 'main.ts'),
      // The OpenTelemetry SDK, loaded before the application only when tracing is configured.
      tracing: path.join(root, 'src', 'platform', 'telemetry', 'tracing-sdk.ts'),
    },
    outdir: staging,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    // Class and function names survive, for logs and error names.
    keepNames: true,
    logLevel: 'warning',
    write: false,
  });
  // Written beside, then swapped in: a process starting meanwhile finds the old build, the new
  // one, or (for an instant) none — then it runs the sources — never half of one.
  for (const file of result.outputFiles) {
    fs.mkdirSync(path.dirname(file.path), { recursive: true });
    fs.writeFileSync(file.path, file.contents);
  }
  const old = `${dist}.${process.pid}.old`;
  if (fs.existsSync(dist)) fs.renameSync(dist, old);
  fs.renameSync(staging, dist);
  fs.rmSync(old, { recursive: true, force: true });
  if (!quiet) console.log(`switchyard: built dist/ in ${Date.now() - started} ms`);
} catch (err) {
  fs.rmSync(staging, { recursive: true, force: true });
  // Never block a start: without a build, bin/switchyard.mjs runs the sources through tsx.
  console.warn(`switchyard: build failed (${err?.message ?? err}); running from source`);
}
