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

// Tracing (OpenTelemetry), only when an OTLP endpoint is configured: the instrumentations must
// patch http, pg and ioredis before the application imports them, so the SDK starts here, first.
// The loader hook lets them see ES modules too. Without an endpoint none of it is loaded.
const TRACED_COMMANDS = new Set(['start', 'api', 'worker', 'scheduler']);
const command = process.argv.slice(2).find((a) => !a.startsWith('-')) ?? 'start';
const traced =
  TRACED_COMMANDS.has(command) &&
  process.env.OTEL_SDK_DISABLED?.trim().toLowerCase() !== 'true' &&
  process.env.OTEL_TRACES_EXPORTER?.trim().toLowerCase() !== 'none' &&
  Boolean(process.env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
if (traced) {
  const { register } = await import('node:module');
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
}

let main;
let tracing;
const fromBuild = freshBuild() !== undefined;
if (!fromBuild) {
  const { register } = await import('tsx/esm/api');
  register();
}
if (traced) {
  const { startTracing } = await import(
    fromBuild ? path.join(root, 'dist', 'tracing.mjs') : '../src/platform/telemetry/tracing-sdk.ts'
  );
  try {
    tracing = startTracing(command, process.env);
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(78); // EX_CONFIG
  }
}
({ main } = await import(fromBuild ? built : '../src/main.ts'));
const code = await main(process.argv.slice(2), process.env);
// Spans still buffered go to the collector before the process ends (bounded).
await tracing?.shutdown();
// Flush pino's stdout before exiting (process.exit would cut an async write short).
process.stdout.write('', () => process.exit(code));
