#!/usr/bin/env node
// The `switchyard` CLI. Runs dist/switchyard.mjs — the one-module build `npm start` makes first
// (scripts/build.mjs) — when it is newer than every source file; otherwise the TypeScript sources
// through tsx's loader, so a checkout needs no build step and an edited source is never shadowed
// by an old build. SWITCHYARD_FROM_SOURCE=true forces the sources, SWITCHYARD_FROM_BUILD=true the
// build (when there is one).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = path.join(root, 'dist', 'switchyard.mjs');

/** The build's time if it is newer than every file under src/, else undefined. */
function freshBuild() {
  if (process.env.SWITCHYARD_FROM_SOURCE === 'true') return undefined;
  let buildTime;
  try {
    buildTime = fs.statSync(built).mtimeMs;
  } catch {
    return undefined;
  }
  // The benchmarks build first and then measure the build even while sources change.
  if (process.env.SWITCHYARD_FROM_BUILD === 'true') return buildTime;
  const stack = [path.join(root, 'src')];
  while (stack.length) {
    const dir = stack.pop();
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) stack.push(p);
      else if (fs.statSync(p).mtimeMs > buildTime) return undefined;
    }
  }
  return buildTime;
}

let main;
if (freshBuild() !== undefined) {
  ({ main } = await import(built));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/main.ts'));
}
const code = await main(process.argv.slice(2), process.env);
// Flush pino's stdout before exiting (process.exit would cut an async write short).
process.stdout.write('', () => process.exit(code));
