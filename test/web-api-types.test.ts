import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { API_TYPES_FILE, renderApiTypes } from '../scripts/api-types.ts';
import { publishedOpenApi } from './support/openapi-doc.ts';

it("keeps the dashboard's API types in step with the published OpenAPI document (run `npm run web:api`)", async () => {
  const expected = await renderApiTypes(await publishedOpenApi());
  const committed = readFileSync(API_TYPES_FILE, 'utf8');
  assert.ok(committed === expected, 'web/src/api/openapi.d.ts is stale: run `npm run web:api` and commit it');
});
