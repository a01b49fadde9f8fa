#!/usr/bin/env node
// The `switchyard` CLI. Runs the TypeScript sources through tsx's loader, so a checkout needs
// no build step: `npm start` and `npx switchyard …` work right after `npm install`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
const code = await main(process.argv.slice(2), process.env);
// Flush pino's stdout before exiting (process.exit would cut an async write short).
process.stdout.write('', () => process.exit(code));
