import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';

const ROOT = path.resolve(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [p] : [];
  });
}

it('documents every error code the API can answer with (docs/api.md, docs/workflows.md)', () => {
  const codes = new Set<string>();
  for (const file of sources(path.join(ROOT, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:AppError\(\s*|(?:notFound|invalid|conflict)\(\s*|code: )'([A-Z][A-Z0-9_]+)'/g)) {
      const code = m[1] ?? '';
      // Start-up failures of the master key never reach an HTTP client.
      if (!code.startsWith('CRYPTO_MASTER_KEY') && !code.startsWith('CRYPTO_SEALED') && code !== 'CRYPTO_UNKNOWN_KEY')
        codes.add(code);
    }
  }
  assert.ok(codes.size > 50, `found ${codes.size} codes`);
  // API problems are listed in api.md; the errors a run or step records (and definition problems) in workflows.md.
  const docs = ['api.md', 'workflows.md'].map((f) => readFileSync(path.join(ROOT, 'docs', f), 'utf8')).join('\n');
  const missing = [...codes].filter((c) => !docs.includes(`\`${c}\``)).sort();
  assert.deepEqual(missing, [], 'error codes missing from docs/api.md and docs/workflows.md');
});
