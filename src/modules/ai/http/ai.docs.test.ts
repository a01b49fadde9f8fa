import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { createTestApp, describeEachBackend, type TestApp } from '../../../../test/support/app.ts';
import { AI_ERRORS } from '../errors.ts';

const API_MD = readFileSync(path.resolve(import.meta.dirname, '../../../../docs/api.md'), 'utf8');

describeEachBackend(
  'AI API documentation',
  (getDb) => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp(getDb());
    });
    after(() => t.app.close());

    it('documents every AI route of the OpenAPI document, and every AI error code, in docs/api.md', () => {
      const paths = (t.app.swagger() as { paths: Record<string, Record<string, unknown>> }).paths;
      const routes = Object.entries(paths)
        .filter(([p]) => p.startsWith('/api/v1/ai/'))
        .flatMap(([p, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${p}`));
      assert.ok(routes.length >= 11, routes.join(', '));
      assert.deepEqual(
        routes.filter((r) => !API_MD.includes(`\`${r}\``)),
        [],
        'routes missing from docs/api.md',
      );
      const codes = Object.values(AI_ERRORS).map(([code]) => code);
      assert.deepEqual(
        codes.filter((c) => !API_MD.includes(`\`${c}\``)),
        [],
        'codes missing from docs/api.md',
      );
    });
  },
  { backends: ['pglite'] },
);
