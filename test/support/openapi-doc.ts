import { createTestApp } from './app.ts';
import { createTestDatabase } from './databases.ts';

/**
 * The OpenAPI document exactly as a running server publishes it, workflow engine routes included
 * (no worker runs). Used to generate the dashboard's typed client and to check it is current.
 */
export async function publishedOpenApi(): Promise<Record<string, unknown>> {
  const db = await createTestDatabase('pglite');
  try {
    const t = await createTestApp(db, { as: 'real', engine: { roles: [] } });
    try {
      return (await t.app.inject({ url: '/openapi.json' })).json();
    } finally {
      await t.app.close();
    }
  } finally {
    await db.dispose();
  }
}
