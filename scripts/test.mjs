// `npm test`: runs every *.test.ts under src/, test/ and web/src/ (the dashboard's pure logic) with Node's test runner through tsx.
// Node 20's --test does not expand globs, so the files are found here. Extra arguments are
// substrings that select files: `npm test -- items` runs only files whose path contains "items".
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const passthrough = process.argv.slice(2).filter((a) => a.startsWith('-'));

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : find(p);
    return e.name.endsWith('.test.ts') ? [path.relative(root, p)] : [];
  });
}

const files = ['src', 'test', 'web/src']
  .flatMap((d) => find(path.join(root, d)))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', ...passthrough, ...files],
  { stdio: 'inherit', cwd: root },
);
process.exit(result.status ?? 1);
