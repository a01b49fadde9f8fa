// Builds the dashboard (web/) into web/dist/ with Vite, which the server serves at /. `npm start`
// runs it with --if-stale: nothing happens while web/dist/ is newer than every file under web/
// and the lock file, so a start costs a directory walk, and a changed page is never shadowed by
// an old build. Without Vite (an install without dev dependencies) it warns and the server
// starts without a dashboard — the API, /docs and the engine still work.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const web = path.join(root, 'web');
const out = path.join(web, 'dist');
const quiet = process.argv.includes('--quiet');
const ifStale = process.argv.includes('--if-stale');

function newestInput() {
  let newest = fs.statSync(path.join(root, 'package-lock.json')).mtimeMs;
  const stack = [web];
  while (stack.length) {
    const dir = stack.pop();
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (dir === web && (entry.name === 'dist' || entry.name === 'node_modules')) continue;
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) stack.push(p);
      else newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  }
  return newest;
}

function builtAt() {
  try {
    return fs.statSync(path.join(out, 'index.html')).mtimeMs;
  } catch {
    return 0;
  }
}

if (ifStale && builtAt() > newestInput()) process.exit(0);

let vite;
try {
  vite = await import('vite');
} catch {
  console.warn('switchyard: Vite is not installed (dev dependencies omitted?); the dashboard is not built');
  process.exit(0);
}
const started = Date.now();
try {
  await vite.build({
    configFile: path.join(web, 'vite.config.ts'),
    logLevel: quiet ? 'warn' : 'info',
  });
  if (!quiet || ifStale) console.log(`switchyard: built the dashboard (web/dist/) in ${Date.now() - started} ms`);
} catch (err) {
  console.warn(`switchyard: the dashboard build failed (${err?.message ?? err}); starting without it`);
  process.exitCode = ifStale ? 0 : 1;
}
